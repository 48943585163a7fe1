//! Counting tasks per status, for lists and boards of any size: one `GROUP BY` over the
//! same filters as a search (`tasks::push_task_filters`) (and, with words to look for, over the search's tier arms,
//! which are disjoint, so a task is counted once).

use async_trait::async_trait;
use orgn_domain::Result;
use orgn_domain::model::*;
use orgn_domain::store::{TaskCounts, TaskQuery};

use super::search::{Indexed, SearchIndex, push_tier_arms};
use super::tasks::push_task_filters;
use super::{Conn, Sql, SqlStore};
use crate::rows::RowExt;
use crate::search::{self, Search};

/// The statement: `(status_id, n)` rows.
fn count_sql<B: SearchIndex>(q: &TaskQuery, text: Option<&Search>) -> Sql {
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
