//! Inserting many tasks at once (imports, seeding) on PostgreSQL: the same rows as
//! `insert_task_in` writes one by one — numbers, labels, "created" entries, search vectors,
//! progress — but with a few array-bound (`UNNEST`) statements per chunk instead of several
//! statements per task (the counterpart of `sqlite/bulk.rs`).

use std::collections::{BTreeMap, HashMap};

use orgn_domain::model::{StatusKind, TaskId};
use orgn_domain::store::NewTask;
use orgn_domain::{Error, Result};
use sqlx::PgConnection;

use super::{PgBackend, db_error};
use crate::rows::RowExt;
use crate::rows::{date_text, millis};
use crate::sql::BulkInsert;

/// Rows per statement: bounds the size of one statement's arrays.
const ROWS: usize = 2000;

/// The search vector of a new task (no comments yet), from the columns of `u`: the same
/// value as `TASK_VECTOR` computes for it.
const NEW_TASK_VECTOR: &str = "setweight(to_tsvector('orgn_search', orgn_words(u.key || '-' || u.number || ' ' || u.key || u.number)), 'A') \
    || setweight(to_tsvector('orgn_search', orgn_words(u.title)), 'B') \
    || setweight(to_tsvector('orgn_search', orgn_words(u.description)), 'C') \
    || setweight(to_tsvector('orgn_search', orgn_words('')), 'D')";

/// Inserts `tasks` inside the caller's transaction; returns their ids in order.
#[async_trait::async_trait]
impl BulkInsert for PgBackend {
    async fn insert_bulk(tx: &mut PgConnection, tasks: &[NewTask]) -> Result<Vec<TaskId>> {
        if tasks.is_empty() {
            return Ok(vec![]);
        }
        // Numbers: one counter bump per team, in team id order (so two bulk inserts lock the
        // counter rows in the same order), held until the caller's transaction ends.
        let mut per_team: BTreeMap<i64, i64> = BTreeMap::new();
        for t in tasks {
            *per_team.entry(t.team_id.get()).or_default() += 1;
        }
        let mut next: HashMap<i64, (i64, String)> = HashMap::new();
        for (team, count) in &per_team {
            let row = sqlx::query("UPDATE teams SET task_counter = task_counter + $1 WHERE id = $2 RETURNING task_counter, key")
                .bind(*count)
                .bind(*team)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?
                .ok_or_else(|| Error::NotFound("team not found".into()))?;
            let last = row.int("task_counter")?;
            next.insert(*team, (last - *count + 1, row.text("key")?));
        }
        // Ids: taken from the identity sequence, so other writers never collide with them.
        let mut ids: Vec<i64> = sqlx::query_scalar(
            "SELECT nextval(pg_get_serial_sequence('tasks', 'id')) FROM generate_series(1, $1)",
        )
        .bind(tasks.len() as i64)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_error)?;
        ids.sort_unstable();
        let mut planned = Vec::with_capacity(tasks.len());
        for (t, id) in tasks.iter().zip(&ids) {
            let (number, key) = next
                .get_mut(&t.team_id.get())
                .expect("every team was counted");
            planned.push((*id, *number, key.clone()));
            *number += 1;
        }
        for (chunk, ids) in tasks.chunks(ROWS).zip(planned.chunks(ROWS)) {
            insert_chunk(tx, chunk, ids).await?;
        }
        add_progress(tx, tasks).await?;
        Ok(ids.into_iter().map(TaskId::new).collect())
    }
}

async fn insert_chunk(
    tx: &mut PgConnection,
    tasks: &[NewTask],
    planned: &[(i64, i64, String)],
) -> Result<()> {
    let ids: Vec<i64> = planned.iter().map(|p| p.0).collect();
    let numbers: Vec<i64> = planned.iter().map(|p| p.1).collect();
    let keys: Vec<String> = planned.iter().map(|p| p.2.clone()).collect();
    let col = |f: &dyn Fn(&NewTask) -> i64| tasks.iter().map(f).collect::<Vec<i64>>();
    let opt =
        |f: &dyn Fn(&NewTask) -> Option<i64>| tasks.iter().map(f).collect::<Vec<Option<i64>>>();
    let sql = format!(
        "INSERT INTO tasks (id, team_id, number, title, description, status_id, priority, assignee_id, creator_id, project_id, \
         milestone_id, cycle_id, due_date, estimate, created_at, updated_at, started_at, completed_at, canceled_at, search_vector) \
         SELECT u.id, u.team_id, u.number, u.title, u.description, u.status_id, u.priority, u.assignee_id, u.creator_id, u.project_id, \
         u.milestone_id, u.cycle_id, u.due_date, u.estimate, u.now, u.now, u.started_at, u.completed_at, u.canceled_at, {NEW_TASK_VECTOR} \
         FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], \
         $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::text[], $14::bigint[], $15::bigint[], $16::bigint[], \
         $17::bigint[], $18::bigint[], $19::text[]) \
         AS u(id, team_id, number, title, description, status_id, priority, assignee_id, creator_id, project_id, milestone_id, \
         cycle_id, due_date, estimate, now, started_at, completed_at, canceled_at, key) ORDER BY u.id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&ids)
        .bind(col(&|t| t.team_id.get()))
        .bind(&numbers)
        .bind(
            tasks
                .iter()
                .map(|t| t.title.clone())
                .collect::<Vec<String>>(),
        )
        .bind(
            tasks
                .iter()
                .map(|t| t.description.clone())
                .collect::<Vec<String>>(),
        )
        .bind(col(&|t| t.status_id.get()))
        .bind(col(&|t| t.priority.value()))
        .bind(opt(&|t| t.assignee_id.map(|id| id.get())))
        .bind(col(&|t| t.creator_id.get()))
        .bind(opt(&|t| t.project_id.map(|id| id.get())))
        .bind(opt(&|t| t.milestone_id.map(|id| id.get())))
        .bind(opt(&|t| t.cycle_id.map(|id| id.get())))
        .bind(
            tasks
                .iter()
                .map(|t| t.due_date.map(date_text))
                .collect::<Vec<Option<String>>>(),
        )
        .bind(opt(&|t| t.estimate))
        .bind(col(&|t| millis(t.now)))
        .bind(opt(&|t| t.times.started_at.map(millis)))
        .bind(opt(&|t| t.times.completed_at.map(millis)))
        .bind(opt(&|t| t.times.canceled_at.map(millis)))
        .bind(&keys)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;

    let (label_tasks, label_ids): (Vec<i64>, Vec<i64>) = tasks
        .iter()
        .zip(&ids)
        .flat_map(|(t, id)| t.label_ids.iter().map(move |l| (*id, l.get())))
        .unzip();
    if !label_tasks.is_empty() {
        sqlx::query("INSERT INTO task_labels (task_id, label_id) SELECT * FROM UNNEST($1::bigint[], $2::bigint[])")
            .bind(&label_tasks)
            .bind(&label_ids)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
    }

    sqlx::query(
        "INSERT INTO task_events (task_id, actor_id, at, field, old, new) \
         SELECT u.task_id, u.actor_id, u.at, 'created', NULL, u.new FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::text[]) \
         AS u(task_id, actor_id, at, new) ORDER BY u.task_id",
    )
    .bind(&ids)
    .bind(col(&|t| t.creator_id.get()))
    .bind(col(&|t| millis(t.now)))
    .bind(planned.iter().map(|(_, number, key)| format!("{key}-{number}")).collect::<Vec<String>>())
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Adds the new tasks to the progress counters, one UPDATE per project, milestone and cycle,
/// in `adjust_progress`'s table order and then id order, so concurrent writers lock alike.
async fn add_progress(tx: &mut PgConnection, tasks: &[NewTask]) -> Result<()> {
    if tasks
        .iter()
        .all(|t| t.project_id.is_none() && t.milestone_id.is_none() && t.cycle_id.is_none())
    {
        return Ok(());
    }
    let mut status_ids: Vec<i64> = tasks.iter().map(|t| t.status_id.get()).collect();
    status_ids.sort_unstable();
    status_ids.dedup();
    let kinds: HashMap<i64, String> =
        sqlx::query("SELECT id, kind FROM statuses WHERE id = ANY($1)")
            .bind(&status_ids)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_error)?
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
        for (table, id) in [
            t.project_id.map(|id| id.get()),
            t.milestone_id.map(|id| id.get()),
            t.cycle_id.map(|id| id.get()),
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(id) = id {
                let c = counts.entry((table, id)).or_default();
                *c = (c.0 + 1, c.1 + done, c.2 + canceled);
            }
        }
    }
    for ((table, id), (total, completed, canceled)) in counts {
        let sql = format!(
            "UPDATE {} SET n_total = n_total + $1, n_completed = n_completed + $2, n_canceled = n_canceled + $3 WHERE id = $4",
            tables[table]
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
