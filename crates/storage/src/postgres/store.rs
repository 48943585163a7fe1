//! `Store` on PostgreSQL: the SQLite store's semantics in PostgreSQL's dialect.
//! Search uses the `search_vector` columns (GIN-indexed), kept in step by this store.

use async_trait::async_trait;
use orgn_domain::cursor::SeekKey;
use orgn_domain::model::*;
use orgn_domain::store::*;
use orgn_domain::{Error, Result};
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use time::OffsetDateTime;

use super::{PgStore, db_error};
use crate::rows::{self, date_text, millis};
use crate::search::{self, Search, Tier};

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

const DOC_COLUMNS: &str = "d.id, d.team_id, d.project_id, d.title, d.content, d.creator_id, \
    u.name AS creator_name, u.email AS creator_email, d.created_at, d.updated_at";

/// The search vector of task `t` (joined with its team `tm`): identifier (A), title (B),
/// description (C), comments (D). `ENG-12` is indexed as `ENG`, `12` and `ENG12`.
pub(super) const TASK_VECTOR: &str = "setweight(to_tsvector('orgn_search', orgn_words(tm.key || '-' || t.number || ' ' || tm.key || t.number)), 'A') \
    || setweight(to_tsvector('orgn_search', orgn_words(t.title)), 'B') \
    || setweight(to_tsvector('orgn_search', orgn_words(t.description)), 'C') \
    || setweight(to_tsvector('orgn_search', orgn_words(coalesce((SELECT string_agg(cm.body, ' ' ORDER BY cm.id) FROM comments cm WHERE cm.task_id = t.id), ''))), 'D')";

/// The search vector of doc `d`: title (A), content (C).
pub(super) const DOC_VECTOR: &str = "setweight(to_tsvector('orgn_search', orgn_words(d.title)), 'A') || setweight(to_tsvector('orgn_search', orgn_words(d.content)), 'C')";

/// The weight of each column of the search vectors, in the order `search::Tier::columns`
/// counts them.
const TASK_WEIGHTS: &str = "ABCD";
const DOC_WEIGHTS: &str = "AC";

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
            .bind(task)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

/// One search tier as a `to_tsquery` text: every word, as a prefix when the tier says so,
/// restricted to the weights of the tier's leading columns. The words are alphanumeric, so
/// no query syntax gets through.
pub(crate) fn ts_match(weights: &str, words: &[String], tier: Tier) -> String {
    let label = format!(
        "{}{}",
        if tier.prefix { "*" } else { "" },
        tier.columns.map_or("", |n| &weights[..n])
    );
    let terms: Vec<String> = words
        .iter()
        .map(|w| {
            if label.is_empty() {
                w.clone()
            } else {
                format!("{w}:{label}")
            }
        })
        .collect();
    terms.join(" & ")
}

/// The `(tier, hid)` rows of one page of a text search over `table alias` (with a
/// `search_vector`), best first: one arm per tier from the cursor's on, newest first, all
/// under one LIMIT, so that a later tier is read only when the earlier ones run out. The
/// SQLite store's `push_tier_arms`.
fn push_tier_arms(
    b: &mut QueryBuilder<Postgres>,
    search: &Search,
    weights: &str,
    (table, alias): (&str, &str),
    after: Option<SeekKey>,
    limit: i64,
    push_filters: impl Fn(&mut QueryBuilder<Postgres>),
) {
    let (start, after_id) = search.start(after);
    b.push("SELECT tier, hid FROM (");
    for i in start..search.tiers.len() {
        if i > start {
            b.push(" UNION ALL ");
        }
        b.push(format!(
            "(SELECT {i} AS tier, {alias}.id AS hid FROM {table} {alias}"
        ));
        push_filters(b);
        b.push(format!(
            " AND {alias}.search_vector @@ to_tsquery('orgn_search', "
        ))
        .push_bind(search.tier_expression(i, |words, tier| ts_match(weights, words, tier), " & !"))
        .push(")");
        if let (true, Some(id)) = (i == start, after_id) {
            b.push(format!(" AND {alias}.id < ")).push_bind(id);
        }
        b.push(format!(" ORDER BY {alias}.id DESC LIMIT "))
            .push_bind(limit)
            .push(")");
    }
    if start >= search.tiers.len() {
        b.push("SELECT 0 AS tier, 0::bigint AS hid WHERE false");
    }
    b.push(") arms LIMIT ").push_bind(limit);
}

/// The WHERE clause of a doc search on `docs d`: live docs of the query's teams or projects.
fn push_doc_filters(b: &mut QueryBuilder<Postgres>, q: &DocQuery) {
    b.push(" WHERE d.deleted_at IS NULL AND (d.team_id = ANY(")
        .push_bind(q.teams.clone())
        .push(") OR d.project_id = ANY(")
        .push_bind(q.projects.clone())
        .push("))");
}

/// The filters of a task search on `tasks t`, for one team or all of `q.teams`. Status
/// filters compare `t.status_id + 0`, which no index serves: the planner then reads a team's
/// tasks in id order off the (team_id, id) index and stops at the page size, rather than
/// reading every task of a few statuses and sorting them (the SQLite store's `+t.status_id`).
fn push_task_filters(b: &mut QueryBuilder<Postgres>, q: &TaskQuery, team: Option<TeamId>) {
    b.push(" WHERE t.deleted_at IS NULL AND ");
    match team {
        Some(team) => {
            b.push("t.team_id = ").push_bind(team);
        }
        None => {
            b.push("t.team_id = ANY(")
                .push_bind(q.teams.clone())
                .push(")");
        }
    }
    if !q.status_ids.is_empty() || !q.status_kinds.is_empty() {
        b.push(" AND (false");
        if !q.status_ids.is_empty() {
            b.push(" OR t.status_id + 0 = ANY(")
                .push_bind(q.status_ids.clone())
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
            b.push(" AND t.assignee_id = ").push_bind(user);
        }
        Some(None) => {
            b.push(" AND t.assignee_id IS NULL");
        }
        None => {}
    }
    if !q.label_ids.is_empty() {
        b.push(" AND EXISTS (SELECT 1 FROM task_labels tl WHERE tl.task_id = t.id AND tl.label_id = ANY(").push_bind(q.label_ids.clone()).push("))");
    }
    if !q.priorities.is_empty() {
        let values: Vec<i64> = q.priorities.iter().map(|p| p.value()).collect();
        b.push(" AND t.priority = ANY(").push_bind(values).push(")");
    }
    for (column, value) in [
        ("project_id", q.project_id),
        ("milestone_id", q.milestone_id),
        ("cycle_id", q.cycle_id),
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
        .bind(task)
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

pub(super) async fn refresh_doc_vector(conn: &mut PgConnection, doc: DocId) -> Result<()> {
    let sql = format!("UPDATE docs d SET search_vector = {DOC_VECTOR} WHERE d.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(doc)
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

async fn insert_event(
    conn: &mut PgConnection,
    task: TaskId,
    actor: UserId,
    at: OffsetDateTime,
    e: &NewEvent,
) -> Result<()> {
    sqlx::query("INSERT INTO task_events (task_id, actor_id, at, field, old, new) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(task)
        .bind(actor)
        .bind(millis(at))
        .bind(&e.field)
        .bind(&e.old)
        .bind(&e.new)
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

async fn set_task_labels(conn: &mut PgConnection, task: TaskId, labels: &[LabelId]) -> Result<()> {
    sqlx::query("DELETE FROM task_labels WHERE task_id = $1")
        .bind(task)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    if !labels.is_empty() {
        sqlx::query("INSERT INTO task_labels (task_id, label_id) SELECT $1, l FROM unnest($2::bigint[]) AS l")
            .bind(task)
            .bind(labels)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

/// Every update, in ascending task id order (stable for one task's several updates), so
/// that two bulk changes from two processes lock rows in the same order and cannot deadlock.
async fn apply_task_updates(
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

async fn apply_task_update(
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
        b.push(", status_id = ").push_bind(*status);
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
        b.push(", assignee_id = ").push_bind(v);
    }
    if let Some(v) = c.project_id {
        b.push(", project_id = ").push_bind(v);
    }
    if let Some(v) = c.milestone_id {
        b.push(", milestone_id = ").push_bind(v);
    }
    if let Some(v) = c.cycle_id {
        b.push(", cycle_id = ").push_bind(v);
    }
    if let Some(v) = c.due_date {
        b.push(", due_date = ").push_bind(v.map(date_text));
    }
    if let Some(v) = c.estimate {
        b.push(", estimate = ").push_bind(v);
    }
    b.push(" WHERE id = ")
        .push_bind(u.task_id)
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
        .bind(t.team_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::NotFound("team not found".into()))?;
    let number: i64 = counter.get(0);
    let key: String = counter.get(1);
    let now = millis(t.now);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO tasks (team_id, number, title, description, status_id, priority, assignee_id, creator_id, project_id, \
         milestone_id, cycle_id, due_date, estimate, created_at, updated_at, started_at, completed_at, canceled_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id",
    )
    .bind(t.team_id)
    .bind(number)
    .bind(&t.title)
    .bind(&t.description)
    .bind(t.status_id)
    .bind(t.priority.value())
    .bind(t.assignee_id)
    .bind(t.creator_id)
    .bind(t.project_id)
    .bind(t.milestone_id)
    .bind(t.cycle_id)
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
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(rows::task(&row)?))
    }

    async fn task_id_by_number(&self, team: TeamId, number: i64) -> Result<Option<TaskId>> {
        sqlx::query_scalar(
            "SELECT id FROM tasks WHERE team_id = $1 AND number = $2 AND deleted_at IS NULL",
        )
        .bind(team)
        .bind(number)
        .fetch_optional(&self.pool)
        .await
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
                .bind(id)
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
        .bind(id)
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
                id: task.id,
            });
            tasks.push(task);
        }
        Ok(tasks.into_iter().zip(keys).collect())
    }

    async fn insert_tasks(&self, tasks: &[NewTask]) -> Result<Vec<TaskId>> {
        self.insert_many(tasks).await
    }

    async fn reindex_tasks(&self, after_id: i64, limit: i64) -> Result<Option<i64>> {
        self.reindex_batch(after_id, limit).await
    }

    async fn count_tasks(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT count(*) FROM tasks WHERE deleted_at IS NULL")
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)
    }
}

#[async_trait]
impl Content for PgStore {
    async fn create_comment(
        &self,
        task: TaskId,
        author: UserId,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<CommentId> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let id: i64 = sqlx::query_scalar("INSERT INTO comments (task_id, author_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(task)
            .bind(author)
            .bind(body)
            .bind(millis(now))
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        refresh_task_vector(&mut tx, task).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(id)
    }

    async fn comment(&self, id: CommentId) -> Result<Option<Comment>> {
        let row = sqlx::query(
            "SELECT cm.id, cm.task_id, cm.author_id, u.name AS author_name, u.email AS author_email, cm.body, cm.created_at, cm.edited_at \
             FROM comments cm JOIN users u ON u.id = cm.author_id WHERE cm.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(rows::comment).transpose()
    }

    async fn comments(&self, task: TaskId) -> Result<Vec<Comment>> {
        let rows = sqlx::query(
            "SELECT cm.id, cm.task_id, cm.author_id, u.name AS author_name, u.email AS author_email, cm.body, cm.created_at, cm.edited_at \
             FROM comments cm JOIN users u ON u.id = cm.author_id WHERE cm.task_id = $1 ORDER BY cm.id",
        )
        .bind(task)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(rows::comment).collect()
    }

    async fn update_comment(&self, id: CommentId, body: &str, now: OffsetDateTime) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let task: i64 = sqlx::query_scalar(
            "UPDATE comments SET body = $1, edited_at = $2 WHERE id = $3 RETURNING task_id",
        )
        .bind(body)
        .bind(millis(now))
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        refresh_task_vector(&mut tx, task).await?;
        tx.commit().await.map_err(db_error)
    }

    async fn create_doc(&self, d: NewDoc) -> Result<DocId> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO docs (team_id, project_id, title, content, creator_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(d.team_id)
        .bind(d.project_id)
        .bind(&d.title)
        .bind(&d.content)
        .bind(d.creator_id)
        .bind(millis(d.now))
        .bind(millis(d.now))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        refresh_doc_vector(&mut tx, id).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(id)
    }

    async fn doc(&self, id: DocId) -> Result<Option<Doc>> {
        let sql = format!(
            "SELECT {DOC_COLUMNS} FROM docs d JOIN users u ON u.id = d.creator_id WHERE d.id = $1 AND d.deleted_at IS NULL"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.as_ref().map(rows::doc).transpose()
    }

    async fn update_doc(
        &self,
        id: DocId,
        title: Option<&str>,
        content: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        sqlx::query("UPDATE docs SET title = coalesce($1, title), content = coalesce($2, content), updated_at = $3 WHERE id = $4")
            .bind(title)
            .bind(content)
            .bind(millis(now))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        refresh_doc_vector(&mut tx, id).await?;
        tx.commit().await.map_err(db_error)
    }

    async fn delete_doc(&self, id: DocId, now: OffsetDateTime) -> Result<()> {
        sqlx::query("UPDATE docs SET deleted_at = $1 WHERE id = $2")
            .bind(millis(now))
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn search_docs(&self, q: &DocQuery) -> Result<Vec<(Doc, SeekKey)>> {
        let text = match q.text.as_deref() {
            Some(t) => match search::docs(t) {
                Some(search) => Some(search),
                None => return Ok(vec![]),
            },
            None => None,
        };
        let limit = q.limit as i64;
        let mut b = QueryBuilder::<Postgres>::new("SELECT ");
        b.push(DOC_COLUMNS);
        match &text {
            Some(search) => {
                b.push(", h.tier::float8 AS rank FROM (");
                push_tier_arms(
                    &mut b,
                    search,
                    DOC_WEIGHTS,
                    ("docs", "d"),
                    q.after,
                    limit,
                    |b| push_doc_filters(b, q),
                );
                b.push(") h JOIN docs d ON d.id = h.hid JOIN users u ON u.id = d.creator_id ORDER BY h.tier, d.id DESC");
            }
            None => {
                b.push(", NULL::float8 AS rank FROM docs d JOIN users u ON u.id = d.creator_id");
                push_doc_filters(&mut b, q);
                if let Some(after) = q.after {
                    b.push(" AND d.id < ").push_bind(after.id);
                }
                b.push(" ORDER BY d.id DESC LIMIT ").push_bind(limit);
            }
        }
        let rows = b.build().fetch_all(&self.pool).await.map_err(db_error)?;
        rows.iter()
            .map(|row| {
                let doc = rows::doc(row)?;
                let key = SeekKey {
                    rank: rows::RowExt::opt_float(row, "rank")?,
                    id: doc.id,
                };
                Ok((doc, key))
            })
            .collect()
    }
}

#[async_trait]
impl Trash for PgStore {
    async fn update_tasks_keeping_undo(
        &self,
        updates: &[TaskUpdate],
        change: &BulkChange,
        forget_before: OffsetDateTime,
    ) -> Result<BulkChangeId> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        apply_task_updates(&mut tx, updates, change.user_id, change.created_at).await?;
        sqlx::query("DELETE FROM bulk_changes WHERE created_at < $1")
            .bind(millis(forget_before))
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let id = sqlx::query_scalar(
            "INSERT INTO bulk_changes (user_id, status, previous, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(change.user_id)
        .bind(&change.status)
        .bind(rows::previous_to_json(&change.previous))
        .bind(millis(change.created_at))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(id)
    }

    async fn bulk_change(&self, id: BulkChangeId) -> Result<Option<BulkChange>> {
        let row = sqlx::query(
            "SELECT id, user_id, status, previous, created_at FROM bulk_changes WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(rows::bulk_change).transpose()
    }

    async fn undo_bulk_change(
        &self,
        id: BulkChangeId,
        updates: &[TaskUpdate],
        actor: UserId,
        now: OffsetDateTime,
    ) -> Result<bool> {
        // Deleting the row first locks it: of two processes undoing the same change, the
        // second waits, then finds it gone.
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let taken = sqlx::query("DELETE FROM bulk_changes WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        if taken.rows_affected() == 0 {
            return Ok(false);
        }
        apply_task_updates(&mut tx, updates, actor, now).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }

    async fn trash(&self, teams: &[TeamId]) -> Result<Vec<TrashItem>> {
        self.trash_items(teams).await
    }

    async fn deleted_task_id(&self, team: TeamId, number: i64) -> Result<Option<TaskId>> {
        sqlx::query_scalar(
            "SELECT id FROM tasks WHERE team_id = $1 AND number = $2 AND deleted_at IS NOT NULL",
        )
        .bind(team)
        .bind(number)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)
    }

    async fn deleted_doc(&self, id: DocId) -> Result<Option<TrashItem>> {
        self.deleted_doc_item(id).await
    }

    async fn restore_task(&self, id: TaskId, now: OffsetDateTime) -> Result<()> {
        self.restore(TrashKind::Task, id, now).await
    }

    async fn restore_doc(&self, id: DocId, now: OffsetDateTime) -> Result<()> {
        self.restore(TrashKind::Doc, id, now).await
    }

    async fn purge_task(&self, id: TaskId) -> Result<()> {
        self.purge(TrashKind::Task, id).await
    }

    async fn purge_doc(&self, id: DocId) -> Result<()> {
        self.purge(TrashKind::Doc, id).await
    }

    async fn purge_deleted_before(&self, cutoff: OffsetDateTime) -> Result<u64> {
        self.purge_before(cutoff).await
    }

    async fn set_deleted_by(&self, kind: TrashKind, id: i64, user: UserId) -> Result<()> {
        self.mark_deleted_by(kind, id, user).await
    }
}
