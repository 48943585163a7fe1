//! Counting tasks per status, for lists and boards of any size. A query with no filter but
//! its teams (and perhaps statuses) reads the live-task counters of `team_status_counts`:
//! a few rows, whatever the size of the team. Any other filter counts with one `GROUP BY`
//! over the same filters as a search (`tasks::push_task_filters`) (and, with words to look
//! for, over the search's tier arms, which are disjoint, so a task is counted once).
//!
//! The counters are kept here too: every change that moves a task in or out of a
//! (team, status) — insert, bulk insert, delete, restore, status change — adds its deltas
//! in the same transaction, as the progress counters are (`tasks::adjust_progress`). A
//! purge takes a task already out of the counts; tasks never change teams.

use std::collections::BTreeMap;

use async_trait::async_trait;
use orgn_domain::Result;
use orgn_domain::model::*;
use orgn_domain::store::{NewTask, TaskCounts, TaskQuery};

use super::search::{Indexed, SearchIndex, push_tier_arms};
use super::tasks::push_task_filters;
use super::{Backend, Conn, Sql, SqlStore};
use crate::rows::RowExt;
use crate::search::{self, Search};

/// Changes to the live-task counters, by (team id, status id).
pub(crate) type StatusDeltas = BTreeMap<(i64, i64), i64>;

/// Adds each delta to its (team, status) counter, creating the row if needed. The rows go
/// in key order, so that two PostgreSQL transactions lock them alike and cannot deadlock.
pub(crate) async fn adjust_status_counts<C: Conn>(
    conn: &mut C,
    deltas: &StatusDeltas,
) -> Result<()> {
    for (&(team, status), &delta) in deltas.iter().filter(|(_, d)| **d != 0) {
        let sql = Sql::new(
            "INSERT INTO team_status_counts (team_id, status_id, n) VALUES ($1, $2, $3) \
             ON CONFLICT (team_id, status_id) DO UPDATE SET n = team_status_counts.n + excluded.n",
        )
        .arg(team)
        .arg(status)
        .arg(delta);
        conn.execute(sql).await?;
    }
    Ok(())
}

/// Counts task `task` in (`delta` = 1) or out of (-1) the counter of its team and current
/// status: for a delete or a restore, which know the task by id alone.
pub(crate) async fn adjust_status_count_of<C: Conn>(
    conn: &mut C,
    task: TaskId,
    delta: i64,
) -> Result<()> {
    let sql = Sql::new(
        "INSERT INTO team_status_counts (team_id, status_id, n) \
         SELECT team_id, status_id, CAST($1 AS BIGINT) FROM tasks WHERE id = $2 \
         ON CONFLICT (team_id, status_id) DO UPDATE SET n = team_status_counts.n + excluded.n",
    )
    .arg(delta)
    .arg(task);
    conn.execute(sql).await?;
    Ok(())
}

/// The counters' deltas of new tasks: one per task, by its team and status.
pub(crate) fn new_task_deltas(tasks: &[NewTask]) -> StatusDeltas {
    let mut deltas = StatusDeltas::new();
    for t in tasks {
        *deltas
            .entry((t.team_id.get(), t.status_id.get()))
            .or_default() += 1;
    }
    deltas
}

/// The (team id, status id) a live task is counted under now, its row locked on PostgreSQL
/// (`Backend::ROW_LOCK`) until the transaction ends: a concurrent change of the task waits
/// rather than both counting it out of the status (or project) it had before either.
pub(crate) async fn counted_under<B: Backend>(
    conn: &mut B::Conn,
    task: TaskId,
) -> Result<Option<(i64, i64)>> {
    let sql = Sql::new(format!(
        "SELECT team_id, status_id FROM tasks WHERE id = $1 AND deleted_at IS NULL{}",
        B::ROW_LOCK
    ))
    .arg(task);
    conn.optional(sql)
        .await?
        .map(|row| Ok((row.int("team_id")?, row.int("status_id")?)))
        .transpose()
}

/// Whether the query filters on nothing the counters do not know: its teams and statuses
/// only. Every field is named, so a new filter cannot be forgotten here.
fn counted_by_counters(q: &TaskQuery) -> bool {
    let TaskQuery {
        teams: _,
        text,
        status_ids: _,
        status_kinds: _,
        assignee,
        label_ids,
        priorities,
        project_id,
        milestone_id,
        cycle_id,
        parent_id,
        blocked_by_teams,
        updated_since,
        after: _,
        limit: _,
    } = q;
    text.is_none()
        && assignee.is_none()
        && label_ids.is_empty()
        && priorities.is_empty()
        && project_id.is_none()
        && milestone_id.is_none()
        && cycle_id.is_none()
        && parent_id.is_none()
        && blocked_by_teams.is_none()
        && updated_since.is_none()
}

/// The statement over the counters: `(status_id, n)` rows, none of them 0.
pub(crate) fn counter_sql(q: &TaskQuery) -> Sql {
    let mut sql = Sql::new(
        "SELECT c.status_id, CAST(SUM(c.n) AS BIGINT) AS n FROM team_status_counts c WHERE c.team_id IN ",
    );
    sql.list(&q.teams);
    if !q.status_ids.is_empty() || !q.status_kinds.is_empty() {
        sql.push(" AND (false");
        if !q.status_ids.is_empty() {
            sql.push(" OR c.status_id IN ").list(&q.status_ids);
        }
        if !q.status_kinds.is_empty() {
            let kinds: Vec<&str> = q.status_kinds.iter().map(|k| k.as_str()).collect();
            sql.push(" OR c.status_id IN (SELECT id FROM statuses WHERE kind IN ")
                .list(&kinds)
                .push(")");
        }
        sql.push(")");
    }
    sql.push(" GROUP BY c.status_id HAVING SUM(c.n) <> 0");
    sql
}

/// The statement over the tasks: `(status_id, n)` rows.
pub(crate) fn scan_sql<B: SearchIndex>(q: &TaskQuery, text: Option<&Search>) -> Sql {
    let mut sql = Sql::new("SELECT t.status_id, COUNT(*) AS n FROM tasks t");
    match text {
        None => push_task_filters::<B>(&mut sql, q, None),
        Some(search) => {
            sql.push(" WHERE t.id IN (SELECT hid FROM (");
            push_tier_arms::<B>(&mut sql, search, Indexed::Tasks, None, i64::MAX, |sql| {
                push_task_filters::<B>(sql, q, None)
            });
            sql.push(") matches)");
        }
    }
    sql.push(" GROUP BY t.status_id");
    sql
}

/// The statement `count_tasks_by_status` runs for `q`.
pub(crate) fn count_sql<B: SearchIndex>(q: &TaskQuery, text: Option<&Search>) -> Sql {
    if counted_by_counters(q) {
        counter_sql(q)
    } else {
        scan_sql::<B>(q, text)
    }
}

#[async_trait]
impl<B: SearchIndex> TaskCounts for SqlStore<B> {
    async fn count_tasks_by_status(&self, q: &TaskQuery) -> Result<Vec<(StatusId, i64)>> {
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
        let rows = self
            .reader()
            .await?
            .rows(count_sql::<B>(q, text.as_ref()))
            .await?;
        rows.iter()
            .map(|row| Ok((row.id("status_id")?, row.int("n")?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use orgn_domain::store::Store;

    use super::*;
    use crate::SqliteStore;
    use crate::sqlite::SqliteBackend;

    /// The tables a statement's plan reads, one detail per row of EXPLAIN QUERY PLAN.
    async fn plan(store: &SqliteStore, q: &TaskQuery) -> Vec<String> {
        let mut sql = count_sql::<SqliteBackend>(q, None);
        sql.text = format!("EXPLAIN QUERY PLAN {}", sql.text);
        let rows = store.reader().await.unwrap().rows(sql).await.unwrap();
        rows.iter().map(|r| r.text("detail").unwrap()).collect()
    }

    /// An unfiltered count, or one by statuses, reads the counters off their key and never
    /// the tasks; any other filter counts the tasks themselves.
    #[tokio::test]
    async fn an_unfiltered_count_reads_the_counters_not_the_tasks() {
        let dir = std::env::temp_dir().join(format!("orgn-counts-plan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = SqliteStore::open(&dir).await.unwrap();
        let teams = vec![TeamId::new(1), TeamId::new(2)];
        let unfiltered = TaskQuery {
            teams: teams.clone(),
            ..Default::default()
        };
        let by_status = TaskQuery {
            status_ids: vec![StatusId::new(3)],
            status_kinds: vec![StatusKind::Started],
            ..unfiltered.clone()
        };
        for q in [&unfiltered, &by_status] {
            let p = plan(&store, q).await;
            assert!(
                p.iter().any(|d| d.starts_with("SEARCH c USING")
                    && d.contains("sqlite_autoindex_team_status_counts")),
                "{p:#?}"
            );
            assert!(
                !p.iter().any(|d| d.contains(" t ") || d.ends_with(" t")),
                "{p:#?}"
            );
        }
        let by_assignee = TaskQuery {
            assignee: Some(None),
            ..unfiltered
        };
        let p = plan(&store, &by_assignee).await;
        assert!(
            !p.iter().any(|d| d.contains("team_status_counts")),
            "{p:#?}"
        );
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
