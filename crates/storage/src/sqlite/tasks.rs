//! Tasks on SQLite: numbering, inserts, updates with their history and progress counters, and search.

use async_trait::async_trait;
use orgn_domain::cursor::SeekKey;
use orgn_domain::model::*;
use orgn_domain::store::*;
use orgn_domain::{Error, Result};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use time::OffsetDateTime;

use super::SqliteBackend;
use super::search::*;
use super::{SqliteStore, db_error};
use crate::rows::RowExt;
use crate::rows::{self, date_text, millis};
use crate::search::{self, Search};
use crate::sql::BulkInsert;

pub(super) const TASK_COLUMNS: &str = "t.id, t.team_id, tm.key AS team_key, t.number, t.title, t.description, \
    t.status_id, s.name AS status_name, s.kind AS status_kind, t.priority, \
    t.assignee_id, a.name AS assignee_name, a.email AS assignee_email, \
    t.creator_id, c.name AS creator_name, c.email AS creator_email, \
    t.project_id, p.name AS project_name, t.milestone_id, m.name AS milestone_name, \
    t.cycle_id, cy.number AS cycle_number, cy.name AS cycle_name, \
    t.due_date, t.estimate, t.created_at, t.updated_at, t.started_at, t.completed_at, t.canceled_at, \
    (SELECT json_group_array(json_array(l.id, l.name, l.color)) FROM \
        (SELECT l.id, l.name, l.color FROM task_labels tl JOIN labels l ON l.id = tl.label_id WHERE tl.task_id = t.id ORDER BY l.name) l) AS labels_json, \
    (SELECT count(*) FROM comments cm WHERE cm.task_id = t.id) AS comment_count";

pub(super) const TASK_JOINS: &str = " JOIN teams tm ON tm.id = t.team_id \
    JOIN statuses s ON s.id = t.status_id \
    JOIN users c ON c.id = t.creator_id \
    LEFT JOIN users a ON a.id = t.assignee_id \
    LEFT JOIN projects p ON p.id = t.project_id \
    LEFT JOIN milestones m ON m.id = t.milestone_id \
    LEFT JOIN cycles cy ON cy.id = t.cycle_id";

pub(super) const DOC_COLUMNS: &str = "d.id, d.team_id, d.project_id, d.title, d.content, d.creator_id, \
    u.name AS creator_name, u.email AS creator_email, d.created_at, d.updated_at";

/// The columns of the full-text indexes, in the order `search::Tier::columns` counts them.
pub(super) const TASK_FTS_COLUMNS: [&str; 4] = ["identifier", "title", "description", "comments"];

/// Adds `delta` (+1 or -1) to the progress counters of the task's project, milestone and
/// cycle, by its current fields and status. Called inside the transaction of every change
/// that moves a task in or out of a count: insert, delete, restore, and an update of its
/// status, project, milestone or cycle (-1 before, +1 after).
pub(super) async fn adjust_progress(
    conn: &mut SqliteConnection,
    task: TaskId,
    delta: i64,
) -> Result<()> {
    for (table, column) in [
        ("projects", "project_id"),
        ("milestones", "milestone_id"),
        ("cycles", "cycle_id"),
    ] {
        let sql = format!(
            "UPDATE {table} SET n_total = n_total + ?1, \
             n_completed = n_completed + ?1 * (SELECT s.kind = 'completed' FROM tasks t JOIN statuses s ON s.id = t.status_id WHERE t.id = ?2), \
             n_canceled = n_canceled + ?1 * (SELECT s.kind = 'canceled' FROM tasks t JOIN statuses s ON s.id = t.status_id WHERE t.id = ?2) \
             WHERE id = (SELECT {column} FROM tasks WHERE id = ?2)"
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

pub(super) fn push_ids<I: RawId>(b: &mut QueryBuilder<Sqlite>, ids: &[I]) {
    push_ints(b, &crate::rows::raw_ids(ids));
}

/// `(v1, v2, ...)`, each bound.
fn push_ints(b: &mut QueryBuilder<Sqlite>, values: &[i64]) {
    b.push("(");
    let mut list = b.separated(", ");
    for v in values {
        list.push_bind(*v);
    }
    b.push(")");
}

/// The joins and WHERE clause of a task search: live tasks of the query's teams (or of one
/// team) that pass every filter.
pub(super) fn push_task_filters(b: &mut QueryBuilder<Sqlite>, q: &TaskQuery, team: Option<TeamId>) {
    b.push(" WHERE t.deleted_at IS NULL AND ");
    match team {
        Some(team) => {
            b.push("t.team_id = ").push_bind(team.get());
        }
        None => {
            b.push("t.team_id IN ");
            push_ids(b, &q.teams);
        }
    }
    // `+` keeps SQLite from reading by status (a few values over many rows) and sorting;
    // reading a team's tasks in id order and skipping the others stops at the page size.
    if !q.status_ids.is_empty() || !q.status_kinds.is_empty() {
        b.push(" AND (0");
        if !q.status_ids.is_empty() {
            b.push(" OR +t.status_id IN ");
            push_ids(b, &q.status_ids);
        }
        for kind in &q.status_kinds {
            b.push(" OR +t.status_id IN (SELECT id FROM statuses WHERE kind = ")
                .push_bind(kind.as_str())
                .push(")");
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
        b.push(
            " AND EXISTS (SELECT 1 FROM task_labels tl WHERE tl.task_id = t.id AND tl.label_id IN ",
        );
        push_ids(b, &q.label_ids);
        b.push(")");
    }
    if !q.priorities.is_empty() {
        let values: Vec<i64> = q.priorities.iter().map(|p| p.value()).collect();
        b.push(" AND t.priority IN ");
        push_ints(b, &values);
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

/// The statement of a task search, into `b`: the page is chosen on ids alone (each arm
/// reading an index in the page's order and stopping when the page is full); only its rows
/// are then joined to their names and texts.
pub(super) fn push_task_search(b: &mut QueryBuilder<Sqlite>, q: &TaskQuery, text: Option<&Search>) {
    let limit = q.limit as i64;
    match text {
        Some(search) => {
            b.push("SELECT ")
                .push(TASK_COLUMNS)
                .push(", h.tier AS rank FROM (");
            push_tier_arms(
                b,
                search,
                ("task_fts", &TASK_FTS_COLUMNS),
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
            // Newest first: each team's newest matches come straight off the (team, id)
            // index, stopping at the page size; the page is the newest of those.
            b.push("SELECT ")
                .push(TASK_COLUMNS)
                .push(", NULL AS rank FROM (SELECT hid FROM (");
            for (i, team) in q.teams.iter().enumerate() {
                if i > 0 {
                    b.push(" UNION ALL ");
                }
                b.push("SELECT * FROM (SELECT t.id AS hid FROM tasks t");
                push_task_filters(b, q, Some(*team));
                if let Some(after) = q.after {
                    b.push(" AND t.id < ").push_bind(after.id);
                }
                b.push(" ORDER BY t.id DESC LIMIT ")
                    .push_bind(limit)
                    .push(")");
            }
            b.push(") ORDER BY hid DESC LIMIT ").push_bind(limit);
            b.push(") h JOIN tasks t ON t.id = h.hid")
                .push(TASK_JOINS)
                .push(" ORDER BY t.id DESC");
        }
    }
}

pub(super) async fn insert_event(
    conn: &mut SqliteConnection,
    task: TaskId,
    actor: UserId,
    at: OffsetDateTime,
    e: &NewEvent,
) -> Result<()> {
    sqlx::query("INSERT INTO task_events (task_id, actor_id, at, field, old, new) VALUES (?, ?, ?, ?, ?, ?)")
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
    conn: &mut SqliteConnection,
    task: TaskId,
    labels: &[LabelId],
) -> Result<()> {
    sqlx::query("DELETE FROM task_labels WHERE task_id = ?")
        .bind(task.get())
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    for label in labels {
        sqlx::query("INSERT INTO task_labels (task_id, label_id) VALUES (?, ?)")
            .bind(task.get())
            .bind(label.get())
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

pub(super) async fn apply_task_update(
    conn: &mut SqliteConnection,
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
    let mut b = QueryBuilder::<Sqlite>::new("UPDATE tasks SET updated_at = ");
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
        sqlx::query("UPDATE task_fts SET title = (SELECT title FROM tasks WHERE id = ?1), description = (SELECT description FROM tasks WHERE id = ?1) WHERE rowid = ?1")
            .bind(u.task_id.get())
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    for e in &u.events {
        insert_event(conn, u.task_id, actor, now, e).await?;
    }
    Ok(())
}

/// Numbers and inserts one task with its labels, "created" entry and index row, inside the
/// caller's transaction.
pub(super) async fn insert_task_in(tx: &mut SqliteConnection, t: &NewTask) -> Result<TaskId> {
    let counter = sqlx::query(
        "UPDATE teams SET task_counter = task_counter + 1 WHERE id = ? RETURNING task_counter, key",
    )
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
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
    let identifier = format!("{key}-{number}");
    let created = NewEvent {
        field: "created".into(),
        old: None,
        new: Some(identifier.clone()),
    };
    insert_event(tx, id, t.creator_id, t.now, &created).await?;
    if t.project_id.is_some() || t.milestone_id.is_some() || t.cycle_id.is_some() {
        adjust_progress(tx, id, 1).await?;
    }
    sqlx::query("INSERT INTO task_fts (rowid, identifier, title, description, comments) VALUES (?, ?, ?, ?, '')")
        .bind(id.get())
        .bind(format!("{identifier} {key}{number}"))
        .bind(&t.title)
        .bind(&t.description)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    Ok(id)
}

#[async_trait]
impl Tasks for SqliteStore {
    async fn insert_task(&self, t: NewTask) -> Result<Task> {
        // Through the group-commit queue: concurrent inserts share one durable commit.
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.inserts
            .send(super::batch::PendingInsert { task: t, reply })
            .await
            .map_err(|_| Error::Internal("the store is closed".into()))?;
        answer
            .await
            .map_err(|_| Error::Internal("the store is closed".into()))?
    }

    async fn task(&self, id: TaskId) -> Result<Option<Task>> {
        self.sync_reads.task(id)
    }

    async fn task_by_number(&self, team: TeamId, number: i64) -> Result<Option<Task>> {
        self.sync_reads.task_by_number(team, number)
    }

    async fn task_id_by_number(&self, team: TeamId, number: i64) -> Result<Option<TaskId>> {
        sqlx::query_scalar::<_, i64>(
            "SELECT id FROM tasks WHERE team_id = ? AND number = ? AND deleted_at IS NULL",
        )
        .bind(team.get())
        .bind(number)
        .fetch_optional(&self.reader)
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
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        for u in updates {
            apply_task_update(&mut tx, u, actor, now).await?;
        }
        tx.commit().await.map_err(db_error)
    }

    async fn delete_task(&self, id: TaskId, now: OffsetDateTime) -> Result<()> {
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        let deleted =
            sqlx::query("UPDATE tasks SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL")
                .bind(millis(now))
                .bind(id.get())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        if deleted.rows_affected() == 1 {
            adjust_progress(&mut tx, id, -1).await?;
        }
        sqlx::query("DELETE FROM task_fts WHERE rowid = ?")
            .bind(id.get())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)
    }

    async fn task_history(&self, id: TaskId) -> Result<Vec<TaskEvent>> {
        let rows = sqlx::query(
            "SELECT e.at, e.field, e.old, e.new, u.id AS actor_id, u.name AS actor_name, u.email AS actor_email \
             FROM task_events e JOIN users u ON u.id = e.actor_id \
             WHERE e.task_id = ? ORDER BY e.id",
        )
        .bind(id.get())
        .fetch_all(&self.reader)
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
        let mut b = QueryBuilder::<Sqlite>::new("");
        push_task_search(&mut b, q, text.as_ref());
        let rows = b.build().fetch_all(&self.reader).await.map_err(db_error)?;
        let mut keys = Vec::with_capacity(rows.len());
        let mut tasks = Vec::with_capacity(rows.len());
        for row in &rows {
            let task = rows::task(row)?;
            keys.push(SeekKey {
                rank: row.get::<Option<i64>, _>("rank").map(|tier| tier as f64),
                id: task.id.get(),
            });
            tasks.push(task);
        }
        Ok(tasks.into_iter().zip(keys).collect())
    }

    async fn insert_tasks(&self, tasks: &[NewTask]) -> Result<Vec<TaskId>> {
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        let ids = SqliteBackend::insert_bulk(&mut tx, tasks).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(ids)
    }

    async fn reindex_tasks(&self, after_id: i64, limit: i64) -> Result<Option<i64>> {
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM tasks WHERE id > ? AND deleted_at IS NULL ORDER BY id LIMIT ?",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_error)?;
        let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
            return Ok(None);
        };
        sqlx::query("DELETE FROM task_fts WHERE rowid BETWEEN ? AND ?")
            .bind(first)
            .bind(last)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        index_tasks(&mut tx, *first, *last).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(Some(*last))
    }

    async fn count_tasks(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT count(*) FROM tasks WHERE deleted_at IS NULL")
            .fetch_one(&self.reader)
            .await
            .map_err(db_error)
    }
}

/// Writes the search index rows of the live tasks with ids from `first` to `last`.
pub(super) async fn index_tasks(
    conn: &mut sqlx::SqliteConnection,
    first: i64,
    last: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO task_fts (rowid, identifier, title, description, comments) \
         SELECT t.id, tm.key || '-' || t.number || ' ' || tm.key || t.number, t.title, t.description, \
         coalesce((SELECT group_concat(body, ' ') FROM comments WHERE task_id = t.id), '') \
         FROM tasks t JOIN teams tm ON tm.id = t.team_id WHERE t.id BETWEEN ? AND ? AND t.deleted_at IS NULL",
    )
    .bind(first)
    .bind(last)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan of a task search: (id, parent, detail) per row of EXPLAIN QUERY PLAN.
    async fn plan(store: &SqliteStore, q: &TaskQuery) -> Vec<(i64, i64, String)> {
        let mut b = QueryBuilder::<Sqlite>::new("EXPLAIN QUERY PLAN ");
        let text = q.text.as_deref().and_then(search::tasks);
        push_task_search(&mut b, q, text.as_ref());
        let rows = b.build().fetch_all(&store.reader).await.unwrap();
        rows.iter()
            .map(|r| {
                (
                    r.int("id").unwrap(),
                    r.int("parent").unwrap(),
                    r.text("detail").unwrap(),
                )
            })
            .collect()
    }

    /// How many arms of the plan start with `arm`, checking that none of them sorts: a sort
    /// would read every match before the first row came out, which is what made search cost
    /// grow with the workspace.
    fn streaming_arms(plan: &[(i64, i64, String)], arm: &str) -> usize {
        let arms: Vec<i64> = plan
            .iter()
            .filter(|(_, _, d)| d.starts_with(arm))
            .map(|(_, parent, _)| *parent)
            .collect();
        for parent in &arms {
            let sorts = plan
                .iter()
                .any(|(_, p, d)| p == parent && d.contains("TEMP B-TREE"));
            assert!(!sorts, "an arm sorts its matches: {plan:#?}");
        }
        arms.len()
    }

    #[tokio::test]
    async fn each_search_arm_reads_its_index_in_page_order() {
        let dir = std::env::temp_dir().join(format!("orgn-search-plan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = SqliteStore::open(&dir).await.unwrap();
        let with_text = TaskQuery {
            teams: vec![TeamId::new(1), TeamId::new(2)],
            status_kinds: vec![StatusKind::Started],
            text: Some("billing".into()),
            limit: 26,
            ..Default::default()
        };
        let p = plan(&store, &with_text).await;
        // Title, anywhere, prefixes: one full-text arm each, in rowid order off the index.
        assert_eq!(streaming_arms(&p, "SCAN f VIRTUAL TABLE"), 3, "{p:#?}");
        let newest_first = TaskQuery {
            text: None,
            ..with_text
        };
        let p = plan(&store, &newest_first).await;
        // One arm per team, each reading the (team, id) index backwards.
        assert_eq!(streaming_arms(&p, "SEARCH t USING INDEX"), 2, "{p:#?}");
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
