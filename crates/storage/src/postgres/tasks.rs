//! Tasks on PostgreSQL: numbering, inserts, updates with their history and progress counters, and search.

use async_trait::async_trait;
use orgn_domain::cursor::SeekKey;
use orgn_domain::model::*;
use orgn_domain::store::*;
use orgn_domain::{Error, Result};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use time::OffsetDateTime;

use super::PgBackend;
use super::search::*;
use super::{PgStore, db_error};
use crate::rows::{self, RowExt, date_text, millis};
use crate::search::{self};
use crate::sql::BulkInsert;

pub(super) const TASK_COLUMNS: &str = "t.id, t.team_id, tm.key AS team_key, t.number, t.title, t.description, \
    t.status_id, s.name AS status_name, s.kind AS status_kind, t.priority, \
    t.assignee_id, a.name AS assignee_name, a.email AS assignee_email, \
    t.creator_id, c.name AS creator_name, c.email AS creator_email, \
    t.project_id, p.name AS project_name, t.milestone_id, m.name AS milestone_name, \
    t.cycle_id, cy.number AS cycle_number, cy.name AS cycle_name, \
    t.due_date, t.estimate, t.created_at, t.updated_at, t.started_at, t.completed_at, t.canceled_at, \
    (SELECT count(*) FROM comments cm WHERE cm.task_id = t.id) AS comment_count, \
    (SELECT coalesce(json_agg(json_build_array(l.id, l.name, l.color) ORDER BY l.name, l.id), '[]'::json)::text \
        FROM task_labels tl JOIN labels l ON l.id = tl.label_id WHERE tl.task_id = t.id) AS labels_json";

pub(super) const TASK_JOINS: &str = " JOIN teams tm ON tm.id = t.team_id \
    JOIN statuses s ON s.id = t.status_id \
    JOIN users c ON c.id = t.creator_id \
    LEFT JOIN users a ON a.id = t.assignee_id \
    LEFT JOIN projects p ON p.id = t.project_id \
    LEFT JOIN milestones m ON m.id = t.milestone_id \
    LEFT JOIN cycles cy ON cy.id = t.cycle_id";

pub(super) const DOC_COLUMNS: &str = "d.id, d.team_id, d.project_id, d.title, d.content, d.creator_id, \
    u.name AS creator_name, u.email AS creator_email, d.created_at, d.updated_at";

/// The search vector of task `t` (joined with its team `tm`): identifier (A), title (B),
/// description (C), comments (D). `ENG-12` is indexed as `ENG`, `12` and `ENG12`.
pub(super) const TASK_VECTOR: &str = "setweight(to_tsvector('orgn_search', orgn_words(tm.key || '-' || t.number || ' ' || tm.key || t.number)), 'A') \
    || setweight(to_tsvector('orgn_search', orgn_words(t.title)), 'B') \
    || setweight(to_tsvector('orgn_search', orgn_words(t.description)), 'C') \
    || setweight(to_tsvector('orgn_search', orgn_words(coalesce((SELECT string_agg(cm.body, ' ' ORDER BY cm.id) FROM comments cm WHERE cm.task_id = t.id), ''))), 'D')";

/// The search vector of doc `d`: title (A), content (C).
pub(super) const DOC_VECTOR: &str = "setweight(to_tsvector('orgn_search', orgn_words(d.title)), 'A') || setweight(to_tsvector('orgn_search', orgn_words(d.content)), 'C')";

/// Counts task `task` in (`delta` = 1) or out of (-1) the progress counters of its project,
/// milestone and cycle, as it is now. Row-locked updates in the caller's transaction, in a
/// fixed table order; the SQLite store's `adjust_progress`.
pub(super) async fn adjust_progress(
    conn: &mut PgConnection,
    task: TaskId,
    delta: i64,
) -> Result<()> {
    for (table, column) in [
        ("projects", "project_id"),
        ("milestones", "milestone_id"),
        ("cycles", "cycle_id"),
    ] {
        let kind = |k: &str| {
            format!(
                "(SELECT CASE WHEN s.kind = '{k}' THEN 1 ELSE 0 END FROM tasks t JOIN statuses s ON s.id = t.status_id WHERE t.id = $2)"
            )
        };
        let sql = format!(
            "UPDATE {table} SET n_total = n_total + $1, n_completed = n_completed + $1 * {}, n_canceled = n_canceled + $1 * {} \
             WHERE id = (SELECT {column} FROM tasks WHERE id = $2)",
            kind("completed"),
            kind("canceled")
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(delta)
            .bind(task.get())
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

/// The filters of a task search on `tasks t`, for one team or all of `q.teams`. Status
/// filters compare `t.status_id + 0`, which no index serves: the planner then reads a team's
/// tasks in id order off the (team_id, id) index and stops at the page size, rather than
/// reading every task of a few statuses and sorting them (the SQLite store's `+t.status_id`).
pub(super) fn push_task_filters(
    b: &mut QueryBuilder<Postgres>,
    q: &TaskQuery,
    team: Option<TeamId>,
) {
    b.push(" WHERE t.deleted_at IS NULL AND ");
    match team {
        Some(team) => {
            b.push("t.team_id = ").push_bind(team.get());
        }
        None => {
            b.push("t.team_id = ANY(")
                .push_bind(crate::rows::raw_ids(&q.teams))
                .push(")");
        }
    }
    if !q.status_ids.is_empty() || !q.status_kinds.is_empty() {
        b.push(" AND (false");
        if !q.status_ids.is_empty() {
            b.push(" OR t.status_id + 0 = ANY(")
                .push_bind(crate::rows::raw_ids(&q.status_ids))
                .push(")");
        }
        if !q.status_kinds.is_empty() {
            let kinds: Vec<String> = q
                .status_kinds
                .iter()
                .map(|k| k.as_str().to_string())
                .collect();
            b.push(" OR t.status_id + 0 = ANY(ARRAY(SELECT id FROM statuses WHERE kind = ANY(")
                .push_bind(kinds)
                .push(")))");
        }
        b.push(")");
    }
    match q.assignee {
        Some(Some(user)) => {
            b.push(" AND t.assignee_id = ").push_bind(user.get());
        }
        Some(None) => {
            b.push(" AND t.assignee_id IS NULL");
        }
        None => {}
    }
    if !q.label_ids.is_empty() {
        b.push(" AND EXISTS (SELECT 1 FROM task_labels tl WHERE tl.task_id = t.id AND tl.label_id = ANY(").push_bind(crate::rows::raw_ids(&q.label_ids)).push("))");
    }
    if !q.priorities.is_empty() {
        let values: Vec<i64> = q.priorities.iter().map(|p| p.value()).collect();
        b.push(" AND t.priority = ANY(").push_bind(values).push(")");
    }
    for (column, value) in [
        ("project_id", q.project_id.map(|id| id.get())),
        ("milestone_id", q.milestone_id.map(|id| id.get())),
        ("cycle_id", q.cycle_id.map(|id| id.get())),
    ] {
        if let Some(v) = value {
            b.push(format!(" AND t.{column} = ")).push_bind(v);
        }
    }
    if let Some(since) = q.updated_since {
        b.push(" AND t.updated_at >= ").push_bind(millis(since));
    }
}

/// Recomputes the search vector of one task.
pub(super) async fn refresh_task_vector(conn: &mut PgConnection, task: TaskId) -> Result<()> {
    let sql = format!(
        "UPDATE tasks t SET search_vector = {TASK_VECTOR} FROM teams tm WHERE tm.id = t.team_id AND t.id = $1"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(task.get())
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

pub(super) async fn insert_event(
    conn: &mut PgConnection,
    task: TaskId,
    actor: UserId,
    at: OffsetDateTime,
    e: &NewEvent,
) -> Result<()> {
    sqlx::query("INSERT INTO task_events (task_id, actor_id, at, field, old, new) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(task.get())
        .bind(actor.get())
        .bind(millis(at))
        .bind(&e.field)
        .bind(&e.old)
        .bind(&e.new)
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

pub(super) async fn set_task_labels(
    conn: &mut PgConnection,
    task: TaskId,
    labels: &[LabelId],
) -> Result<()> {
    sqlx::query("DELETE FROM task_labels WHERE task_id = $1")
        .bind(task.get())
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    if !labels.is_empty() {
        sqlx::query("INSERT INTO task_labels (task_id, label_id) SELECT $1, l FROM unnest($2::bigint[]) AS l")
            .bind(task.get())
            .bind(crate::rows::raw_ids(labels))
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

/// Every update, in ascending task id order (stable for one task's several updates), so
/// that two bulk changes from two processes lock rows in the same order and cannot deadlock.
pub(super) async fn apply_task_updates(
    conn: &mut PgConnection,
    updates: &[TaskUpdate],
    actor: UserId,
    now: OffsetDateTime,
) -> Result<()> {
    let mut ordered: Vec<&TaskUpdate> = updates.iter().collect();
    ordered.sort_by_key(|u| u.task_id);
    for u in ordered {
        apply_task_update(conn, u, actor, now).await?;
    }
    Ok(())
}

pub(super) async fn apply_task_update(
    conn: &mut PgConnection,
    u: &TaskUpdate,
    actor: UserId,
    now: OffsetDateTime,
) -> Result<()> {
    let c = &u.changes;
    // A task that changes status, project, milestone or cycle leaves one count and joins another.
    let moves = c.status.is_some()
        || c.project_id.is_some()
        || c.milestone_id.is_some()
        || c.cycle_id.is_some();
    if moves {
        adjust_progress(conn, u.task_id, -1).await?;
    }
    let mut b = QueryBuilder::<Postgres>::new("UPDATE tasks SET updated_at = ");
    b.push_bind(millis(now));
    if let Some(v) = &c.title {
        b.push(", title = ").push_bind(v.clone());
    }
    if let Some(v) = &c.description {
        b.push(", description = ").push_bind(v.clone());
    }
    if let Some((status, times)) = &c.status {
        b.push(", status_id = ").push_bind((*status).get());
        b.push(", started_at = ")
            .push_bind(times.started_at.map(millis));
        b.push(", completed_at = ")
            .push_bind(times.completed_at.map(millis));
        b.push(", canceled_at = ")
            .push_bind(times.canceled_at.map(millis));
    }
    if let Some(v) = c.priority {
        b.push(", priority = ").push_bind(v.value());
    }
    if let Some(v) = c.assignee_id {
        b.push(", assignee_id = ").push_bind(v.map(|id| id.get()));
    }
    if let Some(v) = c.project_id {
        b.push(", project_id = ").push_bind(v.map(|id| id.get()));
    }
    if let Some(v) = c.milestone_id {
        b.push(", milestone_id = ").push_bind(v.map(|id| id.get()));
    }
    if let Some(v) = c.cycle_id {
        b.push(", cycle_id = ").push_bind(v.map(|id| id.get()));
    }
    if let Some(v) = c.due_date {
        b.push(", due_date = ").push_bind(v.map(date_text));
    }
    if let Some(v) = c.estimate {
        b.push(", estimate = ").push_bind(v);
    }
    b.push(" WHERE id = ")
        .push_bind(u.task_id.get())
        .push(" AND deleted_at IS NULL");
    let done = b.build().execute(&mut *conn).await.map_err(db_error)?;
    if done.rows_affected() != 1 {
        return Err(Error::NotFound(format!("task {} not found", u.task_id)));
    }
    if moves {
        adjust_progress(conn, u.task_id, 1).await?;
    }
    if let Some(labels) = &c.label_ids {
        set_task_labels(conn, u.task_id, labels).await?;
    }
    if c.title.is_some() || c.description.is_some() {
        refresh_task_vector(conn, u.task_id).await?;
    }
    for e in &u.events {
        insert_event(conn, u.task_id, actor, now, e).await?;
    }
    Ok(())
}

/// Numbers and inserts one task with its labels, "created" entry and search vector, inside
/// the caller's transaction. The counter's row lock is held until that transaction ends, so
/// two processes never hand out the same number.
pub(super) async fn insert_task_in(tx: &mut PgConnection, t: &NewTask) -> Result<TaskId> {
    let counter = sqlx::query("UPDATE teams SET task_counter = task_counter + 1 WHERE id = $1 RETURNING task_counter, key")
        .bind(t.team_id.get())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::NotFound("team not found".into()))?;
    let number = counter.int("task_counter")?;
    let key = counter.text("key")?;
    let now = millis(t.now);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO tasks (team_id, number, title, description, status_id, priority, assignee_id, creator_id, project_id, \
         milestone_id, cycle_id, due_date, estimate, created_at, updated_at, started_at, completed_at, canceled_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id",
    )
    .bind(t.team_id.get())
    .bind(number)
    .bind(&t.title)
    .bind(&t.description)
    .bind(t.status_id.get())
    .bind(t.priority.value())
    .bind(t.assignee_id.map(|id| id.get()))
    .bind(t.creator_id.get())
    .bind(t.project_id.map(|id| id.get()))
    .bind(t.milestone_id.map(|id| id.get()))
    .bind(t.cycle_id.map(|id| id.get()))
    .bind(t.due_date.map(date_text))
    .bind(t.estimate)
    .bind(now)
    .bind(now)
    .bind(t.times.started_at.map(millis))
    .bind(t.times.completed_at.map(millis))
    .bind(t.times.canceled_at.map(millis))
    .fetch_one(&mut *tx)
    .await
    .map_err(db_error)?;
    let id = TaskId::new(id);
    set_task_labels(tx, id, &t.label_ids).await?;
    let created = NewEvent {
        field: "created".into(),
        old: None,
        new: Some(format!("{key}-{number}")),
    };
    insert_event(tx, id, t.creator_id, t.now, &created).await?;
    if t.project_id.is_some() || t.milestone_id.is_some() || t.cycle_id.is_some() {
        adjust_progress(tx, id, 1).await?;
    }
    refresh_task_vector(tx, id).await?;
    Ok(id)
}

#[async_trait]
impl Tasks for PgStore {
    async fn insert_task(&self, t: NewTask) -> Result<Task> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let id = insert_task_in(&mut tx, &t).await?;
        tx.commit().await.map_err(db_error)?;
        self.task(id)
            .await?
            .ok_or_else(|| Error::Internal("task vanished after insert".into()))
    }

    async fn task(&self, id: TaskId) -> Result<Option<Task>> {
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM tasks t{TASK_JOINS} WHERE t.id = $1 AND t.deleted_at IS NULL"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.get())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(rows::task(&row)?))
    }

    async fn task_id_by_number(&self, team: TeamId, number: i64) -> Result<Option<TaskId>> {
        sqlx::query_scalar::<_, i64>(
            "SELECT id FROM tasks WHERE team_id = $1 AND number = $2 AND deleted_at IS NULL",
        )
        .bind(team.get())
        .bind(number)
        .fetch_optional(&self.pool)
        .await
        .map(|id| id.map(TaskId::new))
        .map_err(db_error)
    }

    async fn update_tasks(
        &self,
        updates: &[TaskUpdate],
        actor: UserId,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        apply_task_updates(&mut tx, updates, actor, now).await?;
        tx.commit().await.map_err(db_error)
    }

    async fn delete_task(&self, id: TaskId, now: OffsetDateTime) -> Result<()> {
        // The search vector stays: searches skip deleted tasks, and a restore needs no reindex.
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let deleted =
            sqlx::query("UPDATE tasks SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL")
                .bind(millis(now))
                .bind(id.get())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        if deleted.rows_affected() == 1 {
            adjust_progress(&mut tx, id, -1).await?;
        }
        tx.commit().await.map_err(db_error)
    }

    async fn task_history(&self, id: TaskId) -> Result<Vec<TaskEvent>> {
        let rows = sqlx::query(
            "SELECT e.at, e.field, e.old, e.new, u.id AS actor_id, u.name AS actor_name, u.email AS actor_email \
             FROM task_events e JOIN users u ON u.id = e.actor_id WHERE e.task_id = $1 ORDER BY e.id",
        )
        .bind(id.get())
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(rows::task_event).collect()
    }

    async fn search_tasks(&self, q: &TaskQuery) -> Result<Vec<(Task, SeekKey)>> {
        if q.teams.is_empty() {
            return Ok(vec![]);
        }
        let text = match q.text.as_deref() {
            Some(t) => match search::tasks(t) {
                Some(search) => Some(search),
                None => return Ok(vec![]),
            },
            None => None,
        };
        // The page is chosen on ids alone; only its rows are then joined to their names and
        // texts.
        let limit = q.limit as i64;
        let mut b = QueryBuilder::<Postgres>::new("");
        match &text {
            Some(search) => {
                b.push("SELECT ")
                    .push(TASK_COLUMNS)
                    .push(", h.tier::float8 AS rank FROM (");
                push_tier_arms(
                    &mut b,
                    search,
                    TASK_WEIGHTS,
                    ("tasks", "t"),
                    q.after,
                    limit,
                    |b| push_task_filters(b, q, None),
                );
                b.push(") h JOIN tasks t ON t.id = h.hid")
                    .push(TASK_JOINS)
                    .push(" ORDER BY h.tier, t.id DESC");
            }
            None => {
                // Newest first: each team's newest matches come straight off the (team_id, id)
                // index backwards, stopping at the page size; the page is the newest of those.
                b.push("SELECT ")
                    .push(TASK_COLUMNS)
                    .push(", NULL::float8 AS rank FROM (SELECT u.hid FROM (");
                for (i, team) in q.teams.iter().enumerate() {
                    if i > 0 {
                        b.push(" UNION ALL ");
                    }
                    b.push("(SELECT t.id AS hid FROM tasks t");
                    push_task_filters(&mut b, q, Some(*team));
                    if let Some(after) = q.after {
                        b.push(" AND t.id < ").push_bind(after.id);
                    }
                    b.push(" ORDER BY t.id DESC LIMIT ")
                        .push_bind(limit)
                        .push(")");
                }
                b.push(") u ORDER BY u.hid DESC LIMIT ").push_bind(limit);
                b.push(") h JOIN tasks t ON t.id = h.hid")
                    .push(TASK_JOINS)
                    .push(" ORDER BY t.id DESC");
            }
        }
        let rows = b.build().fetch_all(&self.pool).await.map_err(db_error)?;
        let mut keys = Vec::with_capacity(rows.len());
        let mut tasks = Vec::with_capacity(rows.len());
        for row in &rows {
            let task = rows::task(row)?;
            keys.push(SeekKey {
                rank: rows::RowExt::opt_float(row, "rank")?,
                id: task.id.get(),
            });
            tasks.push(task);
        }
        Ok(tasks.into_iter().zip(keys).collect())
    }

    async fn insert_tasks(&self, tasks: &[NewTask]) -> Result<Vec<TaskId>> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let ids = PgBackend::insert_bulk(&mut tx, tasks).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(ids)
    }

    async fn reindex_tasks(&self, after_id: i64, limit: i64) -> Result<Option<i64>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM tasks WHERE id > $1 AND deleted_at IS NULL ORDER BY id LIMIT $2",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let Some(last) = ids.last().copied() else {
            return Ok(None);
        };
        let sql = format!(
            "UPDATE tasks t SET search_vector = {TASK_VECTOR} FROM teams tm WHERE tm.id = t.team_id AND t.id = ANY($1)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&ids)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(Some(last))
    }

    async fn count_tasks(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT count(*) FROM tasks WHERE deleted_at IS NULL")
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)
    }
}
