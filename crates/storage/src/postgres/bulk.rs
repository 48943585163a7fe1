//! Bulk inserts on PostgreSQL (see `sql/bulk.rs`): a few array-bound (`UNNEST`) statements
//! per chunk, ids from the identity sequence, and each task's search vector computed in its
//! insert.

use orgn_domain::Result;
use orgn_domain::store::NewTask;
use sqlx::PgConnection;

use super::{PgBackend, db_error};
use crate::rows::{date_text, millis};
use crate::sql::BulkInsert;
use crate::sql::bulk::Planned;

/// Rows per statement: bounds the size of one statement's arrays.
const ROWS: usize = 2000;

/// The search vector of a new task (no comments yet), from the columns of `u`: the same
/// value as `TASK_VECTOR` computes for it.
const NEW_TASK_VECTOR: &str = "setweight(to_tsvector('orgn_search', orgn_words(u.key || '-' || u.number || ' ' || u.key || u.number)), 'A') \
    || setweight(to_tsvector('orgn_search', orgn_words(u.title)), 'B') \
    || setweight(to_tsvector('orgn_search', orgn_words(u.description)), 'C') \
    || setweight(to_tsvector('orgn_search', orgn_words('')), 'D')";

#[async_trait::async_trait]
impl BulkInsert for PgBackend {
    /// Taken from the identity sequence, so other writers never collide with them.
    async fn new_task_ids(tx: &mut PgConnection, n: usize) -> Result<Vec<i64>> {
        let mut ids: Vec<i64> = sqlx::query_scalar(
            "SELECT nextval(pg_get_serial_sequence('tasks', 'id')) FROM generate_series(1, $1)",
        )
        .bind(n as i64)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_error)?;
        ids.sort_unstable();
        Ok(ids)
    }

    async fn insert_rows(
        tx: &mut PgConnection,
        tasks: &[NewTask],
        planned: &[Planned],
    ) -> Result<()> {
        for (chunk, planned) in tasks.chunks(ROWS).zip(planned.chunks(ROWS)) {
            insert_chunk(tx, chunk, planned).await?;
        }
        Ok(())
    }
}

async fn insert_chunk(tx: &mut PgConnection, tasks: &[NewTask], planned: &[Planned]) -> Result<()> {
    let ids: Vec<i64> = planned.iter().map(|p| p.id).collect();
    let numbers: Vec<i64> = planned.iter().map(|p| p.number).collect();
    let keys: Vec<String> = planned.iter().map(|p| p.key.clone()).collect();
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
        "INSERT INTO task_events (task_id, actor_id, at, field, old, new, channel, client) \
         SELECT u.task_id, u.actor_id, u.at, 'created', NULL, u.new, u.channel, u.client \
         FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[]) \
         AS u(task_id, actor_id, at, new, channel, client) ORDER BY u.task_id",
    )
    .bind(&ids)
    .bind(col(&|t| t.creator_id.get()))
    .bind(col(&|t| millis(t.now)))
    .bind(
        planned
            .iter()
            .map(Planned::identifier)
            .collect::<Vec<String>>(),
    )
    // Who made them through what: an import says so in each task's history.
    .bind(
        tasks
            .iter()
            .map(|t| t.via.channel.as_str())
            .collect::<Vec<&str>>(),
    )
    .bind(
        tasks
            .iter()
            .map(|t| t.via.client.clone())
            .collect::<Vec<Option<String>>>(),
    )
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    Ok(())
}
