//! Counting tasks per status, for lists and boards of any size: one `GROUP BY` over the
//! same filters as a search (and, with words to look for, over the search's tier arms,
//! which are disjoint, so a task is counted once).

use async_trait::async_trait;
use orgn_domain::Result;
use orgn_domain::model::*;
use orgn_domain::store::{TaskCounts, TaskQuery};

use super::search::{Indexed, SearchIndex, push_tier_arms};
use super::{Conn, Sql, SqlStore};
use crate::rows::RowExt;
use crate::search::{self, Search};

/// ` WHERE …`: the live tasks of `q.teams` that pass every filter of `q`.
fn push_count_filters(sql: &mut Sql, q: &TaskQuery) {
    sql.push(" WHERE t.deleted_at IS NULL AND t.team_id IN ")
        .list(&q.teams);
    if !q.status_ids.is_empty() || !q.status_kinds.is_empty() {
        sql.push(" AND (t.status_id IN ").list(&q.status_ids);
        let kinds: Vec<&str> = q.status_kinds.iter().map(|k| k.as_str()).collect();
        sql.push(" OR t.status_id IN (SELECT id FROM statuses WHERE kind IN ")
            .list(&kinds)
            .push("))");
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
    if let Some(since) = q.updated_since {
        sql.push(" AND t.updated_at >= ").bind(since);
    }
}

/// The statement: `(status_id, n)` rows.
fn count_sql<B: SearchIndex>(q: &TaskQuery, text: Option<&Search>) -> Sql {
    let mut sql = Sql::new("SELECT t.status_id, COUNT(*) AS n FROM tasks t");
    match text {
        None => push_count_filters(&mut sql, q),
        Some(search) => {
            sql.push(" WHERE t.id IN (SELECT hid FROM (");
            push_tier_arms::<B>(&mut sql, search, Indexed::Tasks, None, i64::MAX, |sql| {
                push_count_filters(sql, q)
            });
            sql.push(") matches)");
        }
    }
    sql.push(" GROUP BY t.status_id");
    sql
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
