//! Bulk inserts on SQLite (see `sql/bulk.rs`): multi-row `INSERT`s, ids taken after the
//! current maximum, and the search index written once for the whole range.

use orgn_domain::Result;
use orgn_domain::model::TaskId;
use orgn_domain::store::NewTask;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{SqliteBackend, db_error};
use crate::rows::{date_text, millis};
use crate::sql::bulk::Planned;
use crate::sql::{BulkInsert, Conn, SearchIndex, Sql};

/// Rows per multi-row INSERT: well under SQLite's limit of 32,766 bound values.
const ROWS: usize = 500;

#[async_trait::async_trait]
impl BulkInsert for SqliteBackend {
    /// This is the only writer, so the ids after the current maximum are ours.
    async fn new_task_ids(tx: &mut SqliteConnection, n: usize) -> Result<Vec<i64>> {
        let sql = Sql::new("SELECT coalesce(max(id), 0) + 1 AS first FROM tasks");
        let first = tx.int(sql, "first").await?.unwrap_or(1);
        Ok((first..first + n as i64).collect())
    }

    async fn insert_rows(
        tx: &mut SqliteConnection,
        tasks: &[NewTask],
        planned: &[Planned],
    ) -> Result<()> {
        for (chunk, ids) in tasks.chunks(ROWS).zip(planned.chunks(ROWS)) {
            insert_chunk(tx, chunk, ids).await?;
        }
        let (Some(first), Some(last)) = (planned.first(), planned.last()) else {
            return Ok(());
        };
        Self::reindex_tasks(tx, TaskId::new(first.id), TaskId::new(last.id)).await
    }
}

async fn insert_chunk(
    tx: &mut SqliteConnection,
    tasks: &[NewTask],
    planned: &[Planned],
) -> Result<()> {
    let mut b = QueryBuilder::<Sqlite>::new(
        "INSERT INTO tasks (id, team_id, number, title, description, status_id, priority, assignee_id, creator_id, project_id, \
         milestone_id, cycle_id, due_date, estimate, created_at, updated_at, started_at, completed_at, canceled_at) ",
    );
    b.push_values(tasks.iter().zip(planned), |mut row, (t, p)| {
        row.push_bind(p.id)
            .push_bind(t.team_id.get())
            .push_bind(p.number)
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
        .zip(planned)
        .flat_map(|(t, p)| t.label_ids.iter().map(move |l| (p.id, l.get())))
        .collect();
    if !labels.is_empty() {
        let mut b = QueryBuilder::<Sqlite>::new("INSERT INTO task_labels (task_id, label_id) ");
        b.push_values(&labels, |mut row, (task, label)| {
            row.push_bind(*task).push_bind(*label);
        });
        b.build().execute(&mut *tx).await.map_err(db_error)?;
    }

    let mut b = QueryBuilder::<Sqlite>::new(
        "INSERT INTO task_events (task_id, actor_id, at, field, old, new, channel, client) ",
    );
    b.push_values(tasks.iter().zip(planned), |mut row, (t, p)| {
        row.push_bind(p.id)
            .push_bind(t.creator_id.get())
            .push_bind(millis(t.now))
            .push_bind("created")
            .push_bind(None::<String>)
            .push_bind(p.identifier())
            .push_bind(t.via.channel.as_str())
            .push_bind(t.via.client.clone());
    });
    b.build().execute(&mut *tx).await.map_err(db_error)?;
    Ok(())
}
