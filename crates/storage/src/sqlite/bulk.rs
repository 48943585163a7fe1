//! Inserting many tasks at once (imports, seeding): the same rows as `insert_task_in` writes
//! one by one — numbers, labels, "created" entries, index rows, progress — but with a few
//! multi-row statements per chunk instead of several statements per task.

use std::collections::HashMap;

use orgn_domain::model::{StatusKind, TaskId};
use orgn_domain::store::NewTask;
use orgn_domain::{Error, Result};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::tasks::index_tasks;
use super::{SqliteBackend, db_error};
use crate::rows::RowExt;
use crate::rows::{date_text, millis};
use crate::sql::BulkInsert;

/// Rows per multi-row INSERT: well under SQLite's limit of 32,766 bound values.
const ROWS: usize = 500;

/// Inserts `tasks` inside the caller's transaction; returns their ids in order.
#[async_trait::async_trait]
impl BulkInsert for SqliteBackend {
    async fn insert_bulk(tx: &mut SqliteConnection, tasks: &[NewTask]) -> Result<Vec<TaskId>> {
        if tasks.is_empty() {
            return Ok(vec![]);
        }
        // Numbers: one counter bump per team, taken in the same transaction, so never reused.
        let mut per_team: HashMap<i64, usize> = HashMap::new();
        for t in tasks {
            *per_team.entry(t.team_id.get()).or_default() += 1;
        }
        let mut next: HashMap<i64, (i64, String)> = HashMap::new();
        for (team, count) in &per_team {
            let row = sqlx::query("UPDATE teams SET task_counter = task_counter + ? WHERE id = ? RETURNING task_counter, key")
                .bind(*count as i64)
                .bind(team)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?
                .ok_or_else(|| Error::NotFound("team not found".into()))?;
            let last = row.int("task_counter")?;
            next.insert(*team, (last - *count as i64 + 1, row.text("key")?));
        }
        // Ids: this is the only writer, so the ids after the current maximum are ours.
        let first_id: i64 = sqlx::query_scalar("SELECT coalesce(max(id), 0) + 1 FROM tasks")
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        let mut planned = Vec::with_capacity(tasks.len());
        for (i, t) in tasks.iter().enumerate() {
            let (number, key) = next
                .get_mut(&t.team_id.get())
                .expect("every team was counted");
            planned.push((first_id + i as i64, *number, key.clone()));
            *number += 1;
        }
        for (chunk, ids) in tasks.chunks(ROWS).zip(planned.chunks(ROWS)) {
            insert_chunk(tx, chunk, ids).await?;
        }
        // The search index in one statement for all of them: FTS5 writes what it has gathered
        // as a new segment before each statement, so one statement per chunk made thousands of
        // small segments to merge at a million tasks.
        index_tasks(tx, first_id, first_id + tasks.len() as i64 - 1).await?;
        add_progress(tx, tasks).await?;
        Ok(planned.iter().map(|(id, _, _)| TaskId::new(*id)).collect())
    }
}

async fn insert_chunk(
    tx: &mut SqliteConnection,
    tasks: &[NewTask],
    ids: &[(i64, i64, String)],
) -> Result<()> {
    let mut b = QueryBuilder::<Sqlite>::new(
        "INSERT INTO tasks (id, team_id, number, title, description, status_id, priority, assignee_id, creator_id, project_id, \
         milestone_id, cycle_id, due_date, estimate, created_at, updated_at, started_at, completed_at, canceled_at) ",
    );
    b.push_values(tasks.iter().zip(ids), |mut row, (t, (id, number, _))| {
        row.push_bind(*id)
            .push_bind(t.team_id.get())
            .push_bind(*number)
            .push_bind(t.title.clone())
            .push_bind(t.description.clone())
            .push_bind(t.status_id.get())
            .push_bind(t.priority.value())
            .push_bind(t.assignee_id.map(|id| id.get()))
            .push_bind(t.creator_id.get())
            .push_bind(t.project_id.map(|id| id.get()))
            .push_bind(t.milestone_id.map(|id| id.get()))
            .push_bind(t.cycle_id.map(|id| id.get()))
            .push_bind(t.due_date.map(date_text))
            .push_bind(t.estimate)
            .push_bind(millis(t.now))
            .push_bind(millis(t.now))
            .push_bind(t.times.started_at.map(millis))
            .push_bind(t.times.completed_at.map(millis))
            .push_bind(t.times.canceled_at.map(millis));
    });
    b.build().execute(&mut *tx).await.map_err(db_error)?;

    let labels: Vec<(i64, i64)> = tasks
        .iter()
        .zip(ids)
        .flat_map(|(t, (id, _, _))| t.label_ids.iter().map(move |l| (*id, l.get())))
        .collect();
    if !labels.is_empty() {
        let mut b = QueryBuilder::<Sqlite>::new("INSERT INTO task_labels (task_id, label_id) ");
        b.push_values(&labels, |mut row, (task, label)| {
            row.push_bind(*task).push_bind(*label);
        });
        b.build().execute(&mut *tx).await.map_err(db_error)?;
    }

    let mut b = QueryBuilder::<Sqlite>::new(
        "INSERT INTO task_events (task_id, actor_id, at, field, old, new) ",
    );
    b.push_values(tasks.iter().zip(ids), |mut row, (t, (id, number, key))| {
        row.push_bind(*id)
            .push_bind(t.creator_id.get())
            .push_bind(millis(t.now))
            .push_bind("created")
            .push_bind(None::<String>)
            .push_bind(format!("{key}-{number}"));
    });
    b.build().execute(&mut *tx).await.map_err(db_error)?;

    Ok(())
}

/// Adds the new tasks to the progress counters, one UPDATE per project, milestone and cycle.
async fn add_progress(tx: &mut SqliteConnection, tasks: &[NewTask]) -> Result<()> {
    let kinds: HashMap<i64, String> = sqlx::query("SELECT id, kind FROM statuses")
        .fetch_all(&mut *tx)
        .await
        .map_err(db_error)?
        .iter()
        .map(|r| Ok((r.int("id")?, r.text("kind")?)))
        .collect::<Result<_>>()?;
    // (table, id) -> (total, completed, canceled)
    let mut counts: HashMap<(&str, i64), (i64, i64, i64)> = HashMap::new();
    for t in tasks {
        let kind = kinds.get(&t.status_id.get()).map(String::as_str);
        let done = (kind == Some(StatusKind::Completed.as_str())) as i64;
        let canceled = (kind == Some(StatusKind::Canceled.as_str())) as i64;
        for (table, id) in [
            ("projects", t.project_id.map(|id| id.get())),
            ("milestones", t.milestone_id.map(|id| id.get())),
            ("cycles", t.cycle_id.map(|id| id.get())),
        ] {
            if let Some(id) = id {
                let c = counts.entry((table, id)).or_default();
                *c = (c.0 + 1, c.1 + done, c.2 + canceled);
            }
        }
    }
    for ((table, id), (total, completed, canceled)) in counts {
        let sql = format!(
            "UPDATE {table} SET n_total = n_total + ?, n_completed = n_completed + ?, n_canceled = n_canceled + ? WHERE id = ?"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(total)
            .bind(completed)
            .bind(canceled)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}
