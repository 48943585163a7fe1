//! Tasks: numbering, inserts, updates with their history and progress counters, and
//! search: the same SQL on both backends, but for the search index (`SearchIndex`), the
//! labels-JSON fragment of the task columns (`Backend::TASK_COLUMNS`), SQLite's group
//! commit and point reads (`GroupCommit`, `PointReads`) and bulk inserts (`BulkInsert`).

use std::collections::HashMap;

use async_trait::async_trait;
use orgn_domain::changes::{NewChange, Via};
use orgn_domain::cursor::SeekKey;
use orgn_domain::model::*;
use orgn_domain::store::*;
use orgn_domain::{Error, Result};
use time::OffsetDateTime;

use super::bulk::{self, BulkInsert};
use super::counts::{self, StatusDeltas};
use super::feed::append_change;
use super::graph;
use super::search::{Indexed, SearchIndex, push_tier_arms};
use super::{Arg, Backend, Conn, PointReads, Sql, SqlStore};
use crate::rows::{self, RowExt};
use crate::search::{self, Search};

/// The task columns `rows::task` reads, with a backend's expression for the task's labels
/// as a JSON array of `[id, name, color]` by name, then id (`json_group_array` on SQLite,
/// `json_agg` on PostgreSQL).
macro_rules! task_columns {
    ($labels_json:literal) => {
        concat!(
            "t.id, t.team_id, tm.key AS team_key, t.number, t.title, t.description, \
             t.status_id, s.name AS status_name, s.kind AS status_kind, t.priority, \
             t.assignee_id, a.name AS assignee_name, a.email AS assignee_email, \
             t.creator_id, c.name AS creator_name, c.email AS creator_email, \
             t.project_id, p.name AS project_name, t.milestone_id, m.name AS milestone_name, \
             t.cycle_id, cy.number AS cycle_number, cy.name AS cycle_name, \
             t.due_date, t.estimate, t.created_at, t.updated_at, t.started_at, t.completed_at, \
             t.canceled_at, t.version, t.parent_id, (SELECT count(*) FROM comments cm WHERE cm.task_id = t.id) AS comment_count, ",
            $labels_json,
            " AS labels_json"
        )
    };
}
pub(crate) use task_columns;

/// What `TASK_COLUMNS` reads from, after `FROM tasks t`.
pub(crate) const TASK_JOINS: &str = " JOIN teams tm ON tm.id = t.team_id \
    JOIN statuses s ON s.id = t.status_id \
    JOIN users c ON c.id = t.creator_id \
    LEFT JOIN users a ON a.id = t.assignee_id \
    LEFT JOIN projects p ON p.id = t.project_id \
    LEFT JOIN milestones m ON m.id = t.milestone_id \
    LEFT JOIN cycles cy ON cy.id = t.cycle_id";

/// The statement of the live tasks that meet `condition`, with every column `rows::task`
/// reads.
pub(crate) fn task_select<B: Backend>(condition: &str) -> String {
    format!(
        "SELECT {} FROM tasks t{TASK_JOINS} WHERE {condition} AND t.deleted_at IS NULL",
        B::TASK_COLUMNS
    )
}

/// A live task by id, on any connection (the default of `PointReads::task`).
pub(crate) async fn task_by_id<B: Backend>(conn: &mut B::Conn, id: TaskId) -> Result<Option<Task>> {
    let sql = Sql::new(task_select::<B>("t.id = $1")).arg(id);
    conn.optional(sql)
        .await?
        .as_ref()
        .map(rows::task)
        .transpose()
}

/// The live tasks with these ids, by id: one statement.
pub(crate) async fn tasks_by_id<B: Backend>(
    conn: &mut B::Conn,
    ids: &[TaskId],
) -> Result<HashMap<TaskId, Task>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(format!(
        "SELECT {} FROM tasks t{TASK_JOINS} WHERE t.deleted_at IS NULL AND t.id IN ",
        B::TASK_COLUMNS
    ));
    sql.list(ids);
    let rows = conn.rows(sql).await?;
    rows.iter()
        .map(|row| rows::task(row).map(|task| (task.id, task)))
        .collect()
}

/// Counts task `task` in (`delta` = 1) or out of (-1) the progress counters of its project,
/// milestone and cycle, by its current fields and status. Called inside the transaction of
/// every change that moves a task in or out of a count: insert, delete, restore, and an
/// update of its status, project, milestone or cycle (-1 before, +1 after). The tables go
/// in a fixed order, so that two PostgreSQL transactions lock their rows alike.
pub(crate) async fn adjust_progress<C: Conn>(conn: &mut C, task: TaskId, delta: i64) -> Result<()> {
    let kind = |k: &str| {
        format!(
            "(SELECT CASE WHEN s.kind = '{k}' THEN 1 ELSE 0 END FROM tasks t \
             JOIN statuses s ON s.id = t.status_id WHERE t.id = $2)"
        )
    };
    for (table, column) in [
        ("projects", "project_id"),
        ("milestones", "milestone_id"),
        ("cycles", "cycle_id"),
    ] {
        let sql = Sql::new(format!(
            "UPDATE {table} SET n_total = n_total + $1, n_completed = n_completed + $1 * {}, \
             n_canceled = n_canceled + $1 * {} WHERE id = (SELECT {column} FROM tasks WHERE id = $2)",
            kind("completed"),
            kind("canceled")
        ))
        .arg(delta)
        .arg(task);
        conn.execute(sql).await?;
    }
    Ok(())
}

/// The WHERE clause of a task search on `tasks t`: live tasks of one team, or of all of
/// `q.teams`, that pass every filter. A status filter compares `Backend::UNINDEXED_STATUS`,
/// which no index serves: the planner then reads a team's tasks in id order off the
/// (team_id, id) index and stops at the page size, rather than reading every task of a few
/// statuses and sorting them. (Its `false OR` keeps PostgreSQL from turning the kinds'
/// subquery into a join, which would lose that order.)
pub(crate) fn push_task_filters<B: Backend>(sql: &mut Sql, q: &TaskQuery, team: Option<TeamId>) {
    sql.push(" WHERE t.deleted_at IS NULL AND ");
    match team {
        Some(team) => sql.push("t.team_id = ").bind(team),
        None => sql.push("t.team_id IN ").list(&q.teams),
    };
    if !q.status_ids.is_empty() || !q.status_kinds.is_empty() {
        let status = B::UNINDEXED_STATUS;
        sql.push(" AND (false");
        if !q.status_ids.is_empty() {
            sql.push(&format!(" OR {status} IN ")).list(&q.status_ids);
        }
        if !q.status_kinds.is_empty() {
            let kinds: Vec<&str> = q.status_kinds.iter().map(|k| k.as_str()).collect();
            sql.push(&format!(
                " OR {status} IN (SELECT id FROM statuses WHERE kind IN "
            ))
            .list(&kinds)
            .push(")");
        }
        sql.push(")");
    }
    match q.assignee {
        Some(Some(user)) => {
            sql.push(" AND t.assignee_id = ").bind(user);
        }
        Some(None) => {
            sql.push(" AND t.assignee_id IS NULL");
        }
        None => {}
    }
    if !q.label_ids.is_empty() {
        sql.push(
            " AND EXISTS (SELECT 1 FROM task_labels tl WHERE tl.task_id = t.id AND tl.label_id IN ",
        )
        .list(&q.label_ids)
        .push(")");
    }
    if !q.priorities.is_empty() {
        let values: Vec<i64> = q.priorities.iter().map(|p| p.value()).collect();
        sql.push(" AND t.priority IN ").list(&values);
    }
    for (column, value) in [
        ("project_id", q.project_id.map(|id| id.get())),
        ("milestone_id", q.milestone_id.map(|id| id.get())),
        ("cycle_id", q.cycle_id.map(|id| id.get())),
    ] {
        if let Some(v) = value {
            sql.push(&format!(" AND t.{column} = ")).bind(v);
        }
    }
    if let Some(parent) = q.parent_id {
        sql.push(" AND t.parent_id = ").bind(parent);
    }
    if let Some(teams) = &q.blocked_by_teams {
        sql.push(" AND ");
        super::graph::push_in_open_blocker_targets(sql, teams);
    }
    if let Some(since) = q.updated_since {
        sql.push(" AND t.updated_at >= ").bind(since);
    }
}

/// The statement of a task search: the page is chosen on ids alone (each arm reading an
/// index in the page's order and stopping when the page is full); only its rows are then
/// joined to their names and texts.
pub(crate) fn task_search<B: SearchIndex>(q: &TaskQuery, text: Option<&Search>) -> Sql {
    let limit = q.limit as i64;
    let columns = B::TASK_COLUMNS;
    let mut sql = Sql::default();
    match text {
        Some(search) => {
            sql.push(&format!(
                "SELECT {columns}, CAST(h.tier AS BIGINT) AS rank FROM ("
            ));
            push_tier_arms::<B>(&mut sql, search, Indexed::Tasks, q.after, limit, |sql| {
                push_task_filters::<B>(sql, q, None)
            });
            sql.push(&format!(
                ") h JOIN tasks t ON t.id = h.hid{TASK_JOINS} ORDER BY h.tier, t.id DESC"
            ));
        }
        None => {
            // Newest first: each team's newest matches come straight off the (team, id)
            // index, stopping at the page size; the page is the newest of those.
            sql.push(&format!(
                "SELECT {columns}, CAST(NULL AS BIGINT) AS rank FROM (SELECT hid FROM ("
            ));
            for (i, team) in q.teams.iter().enumerate() {
                if i > 0 {
                    sql.push(" UNION ALL ");
                }
                sql.push("SELECT * FROM (SELECT t.id AS hid FROM tasks t");
                push_task_filters::<B>(&mut sql, q, Some(*team));
                if let Some(after) = q.after {
                    sql.push(" AND t.id < ").bind(after.id);
                }
                sql.push(" ORDER BY t.id DESC LIMIT ")
                    .bind(limit)
                    .push(&format!(") team{i}"));
            }
            sql.push(") teams ORDER BY hid DESC LIMIT ").bind(limit);
            sql.push(&format!(
                ") h JOIN tasks t ON t.id = h.hid{TASK_JOINS} ORDER BY t.id DESC"
            ));
        }
    }
    sql
}

pub(crate) async fn insert_event<C: Conn>(
    conn: &mut C,
    task: TaskId,
    actor: UserId,
    via: &Via,
    at: OffsetDateTime,
    e: &NewEvent,
) -> Result<()> {
    let sql = Sql::new(
        "INSERT INTO task_events (task_id, actor_id, at, field, old, new, channel, client) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .arg(task)
    .arg(actor)
    .arg(at)
    .arg(&e.field)
    .arg(&e.old)
    .arg(&e.new)
    .arg(via.channel.as_str())
    .arg(&via.client);
    conn.execute(sql).await?;
    Ok(())
}

async fn set_task_labels<C: Conn>(conn: &mut C, task: TaskId, labels: &[LabelId]) -> Result<()> {
    conn.execute(Sql::new("DELETE FROM task_labels WHERE task_id = $1").arg(task))
        .await?;
    if labels.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new("INSERT INTO task_labels (task_id, label_id) VALUES ");
    for (i, label) in labels.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push("(").bind(task).push(", ").bind(*label).push(")");
    }
    conn.execute(sql).await?;
    Ok(())
}

/// Every update, in ascending task id order (stable for one task's several updates), so
/// that two bulk changes from two PostgreSQL processes lock rows in the same order and
/// cannot deadlock; then their feed rows. `false` as soon as a task's version is not the
/// one its update was planned on: the caller rolls back.
pub(crate) async fn apply_task_updates<B: SearchIndex>(
    conn: &mut B::Conn,
    updates: &[TaskUpdate],
) -> Result<bool> {
    let mut ordered: Vec<&TaskUpdate> = updates.iter().collect();
    ordered.sort_by_key(|u| u.task_id);
    // Every task's row is locked first (on PostgreSQL), in id order, with what it is
    // counted under read: a change of counters (progress, status) then never waits for a
    // task row while holding a counter, so two transactions that share one cannot deadlock
    // (a task left alone because it already had the status would otherwise have its row
    // locked before the project's, in one, and after, in the other). The status counters
    // change once for all the updates, in their key order (a task given twice leaves the
    // status its first update gave it).
    let mut counted: HashMap<TaskId, (i64, i64)> = HashMap::new();
    for u in &ordered {
        if !counted.contains_key(&u.task_id)
            && let Some(under) = counts::counted_under::<B>(conn, u.task_id).await?
        {
            counted.insert(u.task_id, under);
        }
    }
    let mut status_deltas = StatusDeltas::new();
    for u in &ordered {
        if let (Some((status, _)), Some((team, before))) =
            (&u.changes.status, counted.get_mut(&u.task_id))
        {
            *status_deltas.entry((*team, *before)).or_default() -= 1;
            *status_deltas.entry((*team, status.get())).or_default() += 1;
            *before = status.get();
        }
        if !apply_task_update::<B>(conn, u).await? {
            return Ok(false);
        }
    }
    counts::adjust_status_counts(conn, &status_deltas).await?;
    for u in ordered {
        append_change::<B>(conn, &u.change).await?;
    }
    Ok(true)
}

async fn apply_task_update<B: SearchIndex>(conn: &mut B::Conn, u: &TaskUpdate) -> Result<bool> {
    let (actor, now) = (u.change.stamp.actor, u.change.stamp.at);
    if let Some(version) = u.planned_on {
        let current = Sql::new(format!(
            "SELECT version FROM tasks WHERE id = $1 AND deleted_at IS NULL{}",
            B::ROW_LOCK
        ))
        .arg(u.task_id);
        match conn.optional(current).await? {
            Some(row) if row.int("version")? == version => {}
            Some(_) => return Ok(false),
            None => return Err(Error::NotFound(format!("task {} not found", u.task_id))),
        }
    }
    let c = &u.changes;
    if let Some(Some(parent)) = c.parent_id {
        graph::refuse_cycle::<B>(conn, u.task_id, parent).await?;
    }
    // A task that changes status, project, milestone or cycle leaves one count and joins another.
    let moves = c.status.is_some()
        || c.project_id.is_some()
        || c.milestone_id.is_some()
        || c.cycle_id.is_some();
    if moves {
        adjust_progress(conn, u.task_id, -1).await?;
    }
    let mut sets: Vec<(&str, Arg)> = Vec::new();
    if let Some(v) = &c.title {
        sets.push(("title", v.into()));
    }
    if let Some(v) = &c.description {
        let of = orgn_domain::store::RevisionOf::Task;
        super::revisions::keep_previous(conn, of, u.task_id.get(), v, &u.change).await?;
        sets.push(("description", v.into()));
    }
    if let Some((status, times)) = &c.status {
        sets.push(("status_id", (*status).into()));
        sets.push(("started_at", times.started_at.into()));
        sets.push(("completed_at", times.completed_at.into()));
        sets.push(("canceled_at", times.canceled_at.into()));
    }
    if let Some(v) = c.priority {
        sets.push(("priority", v.value().into()));
    }
    if let Some(v) = c.assignee_id {
        sets.push(("assignee_id", v.into()));
    }
    if let Some(v) = c.project_id {
        sets.push(("project_id", v.into()));
    }
    if let Some(v) = c.milestone_id {
        sets.push(("milestone_id", v.into()));
    }
    if let Some(v) = c.cycle_id {
        sets.push(("cycle_id", v.into()));
    }
    if let Some(v) = c.due_date {
        sets.push(("due_date", v.into()));
    }
    if let Some(v) = c.estimate {
        sets.push(("estimate", v.into()));
    }
    if let Some(v) = c.parent_id {
        sets.push(("parent_id", v.into()));
    }
    let mut sql = super::update_versioned("tasks", ("updated_at", now.into()), sets, u.task_id);
    sql.push(" AND deleted_at IS NULL");
    if conn.execute(sql).await? != 1 {
        return Err(Error::NotFound(format!("task {} not found", u.task_id)));
    }
    if moves {
        adjust_progress(conn, u.task_id, 1).await?;
    }
    if let Some(labels) = &c.label_ids {
        set_task_labels(conn, u.task_id, labels).await?;
    }
    graph::remove_relations(conn, u.task_id, &c.remove_relations).await?;
    graph::add_relations(conn, u.task_id, &c.add_relations, now).await?;
    if c.title.is_some() || c.description.is_some() {
        B::reindex_tasks(conn, u.task_id, u.task_id).await?;
    }
    for e in &u.events {
        insert_event(conn, u.task_id, actor, &u.change.stamp.via, now, e).await?;
    }
    Ok(true)
}

/// Numbers and inserts one task with its labels, "created" entry and index entry, inside
/// the caller's transaction. On PostgreSQL the counter's row lock is held until that
/// transaction ends, so two processes never hand out the same number.
pub(crate) async fn insert_task_in<B: SearchIndex>(
    tx: &mut B::Conn,
    t: &NewTask,
) -> Result<TaskId> {
    let counter = Sql::new(
        "UPDATE teams SET task_counter = task_counter + 1 WHERE id = $1 RETURNING task_counter, key",
    )
    .arg(t.team_id);
    let counter = tx
        .optional(counter)
        .await?
        .ok_or_else(|| Error::NotFound("team not found".into()))?;
    let number = counter.int("task_counter")?;
    let key = counter.text("key")?;
    let insert = Sql::new(
        "INSERT INTO tasks (team_id, number, title, description, status_id, priority, assignee_id, creator_id, project_id, \
         milestone_id, cycle_id, due_date, estimate, created_at, updated_at, started_at, completed_at, canceled_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id",
    )
    .arg(t.team_id)
    .arg(number)
    .arg(&t.title)
    .arg(&t.description)
    .arg(t.status_id)
    .arg(t.priority.value())
    .arg(t.assignee_id)
    .arg(t.creator_id)
    .arg(t.project_id)
    .arg(t.milestone_id)
    .arg(t.cycle_id)
    .arg(t.due_date)
    .arg(t.estimate)
    .arg(t.now)
    .arg(t.now)
    .arg(t.times.started_at)
    .arg(t.times.completed_at)
    .arg(t.times.canceled_at);
    let id: TaskId = tx.one(insert).await?.id("id")?;
    set_task_labels(tx, id, &t.label_ids).await?;
    let created = NewEvent {
        field: "created".into(),
        old: None,
        new: Some(format!("{key}-{number}")),
    };
    insert_event(tx, id, t.creator_id, &t.via, t.now, &created).await?;
    if t.project_id.is_some() || t.milestone_id.is_some() || t.cycle_id.is_some() {
        adjust_progress(tx, id, 1).await?;
    }
    counts::adjust_status_counts(tx, &counts::new_task_deltas(std::slice::from_ref(t))).await?;
    B::reindex_tasks(tx, id, id).await?;
    let change = NewChange::task_created(t, id, format!("{key}-{number}"));
    append_change::<B>(tx, &change).await?;
    Ok(id)
}

/// Moves a live task to the Trash, as of its change's time, inside the caller's
/// transaction (a task deleted already is left alone).
pub(crate) async fn delete_task_in<B: SearchIndex>(
    tx: &mut B::Conn,
    id: TaskId,
    change: &NewChange,
) -> Result<()> {
    let deleted = Sql::new(
        "UPDATE tasks SET deleted_at = $1, version = version + 1 WHERE id = $2 AND deleted_at IS NULL",
    )
    .arg(change.stamp.at)
    .arg(id);
    if tx.execute(deleted).await? == 1 {
        adjust_progress(&mut *tx, id, -1).await?;
        counts::adjust_status_count_of(&mut *tx, id, -1).await?;
        B::unindex_task(tx, id).await?;
        append_change::<B>(tx, change).await?;
    }
    Ok(())
}

/// How a single task goes in. The default commits each insert on its own; SQLite's gathers
/// concurrent inserts into one commit (`sqlite/batch.rs`).
#[async_trait]
pub(crate) trait GroupCommit: SearchIndex {
    /// The task as inserted, read back in the inserting transaction.
    async fn insert_task(&self, t: NewTask) -> Result<Task> {
        let mut tx = self.begin().await?;
        let id = insert_task_in::<Self>(&mut tx, &t).await?;
        let task = task_by_id::<Self>(&mut tx, id).await?;
        Self::commit(tx).await?;
        task.ok_or_else(|| Error::Internal("task vanished after insert".into()))
    }
}

#[async_trait]
impl<B: GroupCommit + PointReads + BulkInsert> Tasks for SqlStore<B> {
    async fn insert_task(&self, t: NewTask) -> Result<Task> {
        self.0.insert_task(t).await
    }

    async fn task(&self, id: TaskId) -> Result<Option<Task>> {
        self.0.task(id).await
    }

    async fn task_by_number(&self, team: TeamId, number: i64) -> Result<Option<Task>> {
        self.0.task_by_number(team, number).await
    }

    async fn task_id_by_number(&self, team: TeamId, number: i64) -> Result<Option<TaskId>> {
        let sql = Sql::new(
            "SELECT id FROM tasks WHERE team_id = $1 AND number = $2 AND deleted_at IS NULL",
        )
        .arg(team)
        .arg(number);
        let row = self.reader().await?.optional(sql).await?;
        row.map(|r| r.id("id")).transpose()
    }

    async fn update_tasks(&self, updates: &[TaskUpdate]) -> Result<bool> {
        let mut tx = self.begin().await?;
        if !apply_task_updates::<B>(&mut tx, updates).await? {
            // Dropping the transaction rolls it back.
            return Ok(false);
        }
        self.commit_changes(tx).await?;
        Ok(true)
    }

    async fn delete_task(&self, id: TaskId, change: &NewChange) -> Result<()> {
        let mut tx = self.begin().await?;
        delete_task_in::<B>(&mut tx, id, change).await?;
        self.commit_changes(tx).await
    }

    async fn task_history(&self, id: TaskId) -> Result<Vec<TaskEvent>> {
        let sql = Sql::new(
            "SELECT e.at, e.field, e.old, e.new, e.channel, e.client, u.id AS actor_id, u.name AS actor_name, u.email AS actor_email \
             FROM task_events e JOIN users u ON u.id = e.actor_id WHERE e.task_id = $1 ORDER BY e.id",
        )
        .arg(id);
        let rows = self.reader().await?.rows(sql).await?;
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
        let sql = task_search::<B>(q, text.as_ref());
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter()
            .map(|row| {
                let task = rows::task(row)?;
                let key = SeekKey {
                    rank: row.opt_int("rank")?.map(|tier| tier as f64),
                    id: task.id.get(),
                };
                Ok((task, key))
            })
            .collect()
    }

    async fn insert_tasks(&self, tasks: &[NewTask]) -> Result<Vec<TaskId>> {
        let mut tx = self.begin().await?;
        let ids = bulk::insert_bulk::<B>(&mut tx, tasks).await?;
        self.commit_changes(tx).await?;
        Ok(ids)
    }

    async fn reindex_tasks(&self, after_id: i64, limit: i64) -> Result<Option<i64>> {
        let mut tx = self.begin().await?;
        let sql = Sql::new(
            "SELECT id FROM tasks WHERE id > $1 AND deleted_at IS NULL ORDER BY id LIMIT $2",
        )
        .arg(after_id)
        .arg(limit);
        let ids = tx.rows(sql).await?;
        let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
            return Ok(None);
        };
        let (first, last): (TaskId, TaskId) = (first.id("id")?, last.id("id")?);
        B::reindex_tasks(&mut tx, first, last).await?;
        B::commit(tx).await?;
        Ok(Some(last.get()))
    }

    async fn count_tasks(&self) -> Result<i64> {
        let sql = Sql::new("SELECT count(*) AS n FROM tasks WHERE deleted_at IS NULL");
        Ok(self.reader().await?.int(sql, "n").await?.unwrap_or(0))
    }
}
