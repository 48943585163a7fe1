//! Inserting many tasks at once (imports, seeding, SQLite's group commit): the same rows as
//! `tasks::insert_task_in` writes one by one — numbers, labels, "created" entries, index
//! entries, progress, status counts — but with a few statements per chunk instead of
//! several per task. Numbering, progress and status counts are shared; how ids are taken
//! and the rows written differ (multi-row `INSERT`s on SQLite, `UNNEST` arrays on
//! PostgreSQL).

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use orgn_domain::changes::NewChange;
use orgn_domain::model::{StatusKind, TaskId};
use orgn_domain::store::NewTask;
use orgn_domain::{Error, Result};

use super::search::SearchIndex;
use super::{Conn, Sql};
use crate::rows::RowExt;

/// A new task's id, number and team key, decided before its rows are written.
pub(crate) struct Planned {
    pub id: i64,
    pub number: i64,
    pub key: String,
}

impl Planned {
    /// `ENG-12`.
    pub fn identifier(&self) -> String {
        format!("{}-{}", self.key, self.number)
    }
}

#[async_trait]
pub(crate) trait BulkInsert: SearchIndex {
    /// `n` ids for new tasks, ascending, that no other writer takes.
    async fn new_task_ids(tx: &mut Self::Conn, n: usize) -> Result<Vec<i64>>;

    /// Writes the tasks' rows, labels, "created" entries and index entries.
    async fn insert_rows(tx: &mut Self::Conn, tasks: &[NewTask], planned: &[Planned])
    -> Result<()>;
}

/// Inserts `tasks` inside the caller's transaction; returns their ids in order.
pub(crate) async fn insert_bulk<B: BulkInsert>(
    tx: &mut B::Conn,
    tasks: &[NewTask],
) -> Result<Vec<TaskId>> {
    if tasks.is_empty() {
        return Ok(vec![]);
    }
    // Numbers: one counter bump per team, taken in the same transaction (so never reused),
    // in team id order (so two bulk inserts lock the counter rows in the same order).
    let mut per_team: BTreeMap<i64, i64> = BTreeMap::new();
    for t in tasks {
        *per_team.entry(t.team_id.get()).or_default() += 1;
    }
    let mut next: HashMap<i64, (i64, String)> = HashMap::new();
    for (team, count) in &per_team {
        let sql = Sql::new(
            "UPDATE teams SET task_counter = task_counter + $1 WHERE id = $2 RETURNING task_counter, key",
        )
        .arg(*count)
        .arg(*team);
        let row = tx
            .optional(sql)
            .await?
            .ok_or_else(|| Error::NotFound("team not found".into()))?;
        let last = row.int("task_counter")?;
        next.insert(*team, (last - *count + 1, row.text("key")?));
    }
    let ids = B::new_task_ids(tx, tasks.len()).await?;
    let mut planned = Vec::with_capacity(tasks.len());
    for (t, id) in tasks.iter().zip(&ids) {
        let (number, key) = next
            .get_mut(&t.team_id.get())
            .expect("every team was counted");
        planned.push(Planned {
            id: *id,
            number: *number,
            key: key.clone(),
        });
        *number += 1;
    }
    B::insert_rows(tx, tasks, &planned).await?;
    add_progress(tx, tasks).await?;
    super::counts::adjust_status_counts(tx, &super::counts::new_task_deltas(tasks)).await?;
    for (t, p) in tasks.iter().zip(&planned) {
        let change = NewChange::task_created(t, TaskId::new(p.id), p.identifier());
        super::feed::append_change::<B>(tx, &change).await?;
    }
    Ok(ids.into_iter().map(TaskId::new).collect())
}

/// Adds the new tasks to the progress counters, one UPDATE per project, milestone and cycle,
/// in `adjust_progress`'s table order and then id order, so concurrent writers lock alike.
async fn add_progress<C: Conn>(tx: &mut C, tasks: &[NewTask]) -> Result<()> {
    if tasks
        .iter()
        .all(|t| t.project_id.is_none() && t.milestone_id.is_none() && t.cycle_id.is_none())
    {
        return Ok(());
    }
    let mut status_ids: Vec<i64> = tasks.iter().map(|t| t.status_id.get()).collect();
    status_ids.sort_unstable();
    status_ids.dedup();
    let mut sql = Sql::new("SELECT id, kind FROM statuses WHERE id IN ");
    sql.list(&status_ids);
    let kinds: HashMap<i64, String> = tx
        .rows(sql)
        .await?
        .iter()
        .map(|r| Ok((r.int("id")?, r.text("kind")?)))
        .collect::<Result<_>>()?;
    // (table order, id) -> (total, completed, canceled)
    let tables = ["projects", "milestones", "cycles"];
    let mut counts: BTreeMap<(usize, i64), (i64, i64, i64)> = BTreeMap::new();
    for t in tasks {
        let kind = kinds.get(&t.status_id.get()).map(String::as_str);
        let done = (kind == Some(StatusKind::Completed.as_str())) as i64;
        let canceled = (kind == Some(StatusKind::Canceled.as_str())) as i64;
        let places = [
            t.project_id.map(|id| id.get()),
            t.milestone_id.map(|id| id.get()),
            t.cycle_id.map(|id| id.get()),
        ];
        for (table, id) in places.into_iter().enumerate() {
            if let Some(id) = id {
                let c = counts.entry((table, id)).or_default();
                *c = (c.0 + 1, c.1 + done, c.2 + canceled);
            }
        }
    }
    for ((table, id), (total, completed, canceled)) in counts {
        let sql = Sql::new(format!(
            "UPDATE {} SET n_total = n_total + $1, n_completed = n_completed + $2, n_canceled = n_canceled + $3 WHERE id = $4",
            tables[table]
        ))
        .arg(total)
        .arg(completed)
        .arg(canceled)
        .arg(id);
        tx.execute(sql).await?;
    }
    Ok(())
}
