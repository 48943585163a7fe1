//! Group commit. SQLite makes a write durable with one fsync per commit, and a disk does
//! only so many fsyncs a second; so concurrent task inserts wait in a queue and one writer
//! commits whatever has gathered in a single transaction (written with the multi-row
//! statements of the bulk path), then answers each caller. Every acknowledged insert is
//! durable (`synchronous=FULL`), and a failing insert is rolled back to its own savepoint
//! without failing the others.
//!
//! The MCP activity log goes through a second queue, written at most once a second (and
//! whenever it is read): it is a record of use, not user data, and one commit per tool call
//! would make every read a write. A crash loses at most the last second of it.

use orgn_domain::model::{Task, TaskId, ToolCallRecord, UserId};
use orgn_domain::store::NewTask;
use orgn_domain::{Error, Result};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::SqliteBackend;
use super::db_error;
use crate::rows::millis;
use crate::sql::tasks::{insert_task_in, tasks_by_id};
use crate::sql::{ActivityLog, GroupCommit, bulk};

/// At most this many inserts share one transaction.
const MAX_BATCH: usize = 512;

/// How long the activity log gathers before it is written (unless someone reads it, or a
/// batch fills). Every commit makes each reader connection drop its page cache (SQLite's WAL
/// rule), so writing the log as fast as tools are called would make every read go to disk.
const ACTIVITY_DELAY: std::time::Duration = std::time::Duration::from_secs(1);

pub(crate) struct PendingInsert {
    pub task: NewTask,
    pub reply: oneshot::Sender<Result<Task>>,
}

pub(crate) enum Activity {
    Record(UserId, ToolCallRecord),
    /// Answered once everything queued before it is written.
    Flush(oneshot::Sender<()>),
}

/// Starts the two writer tasks; they end when every sender is dropped.
pub(crate) fn start(writer: SqlitePool) -> (mpsc::Sender<PendingInsert>, mpsc::Sender<Activity>) {
    let (inserts, insert_queue) = mpsc::channel(4096);
    let (activity, activity_queue) = mpsc::channel(4096);
    tokio::spawn(insert_loop(writer.clone(), insert_queue));
    tokio::spawn(activity_loop(writer, activity_queue));
    (inserts, activity)
}

async fn insert_loop(writer: SqlitePool, mut queue: mpsc::Receiver<PendingInsert>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (tasks, replies): (Vec<NewTask>, Vec<_>) =
            batch.into_iter().map(|p| (p.task, p.reply)).unzip();
        let results = commit_inserts(&writer, &tasks).await;
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
    }
}

async fn commit_inserts(writer: &SqlitePool, tasks: &[NewTask]) -> Vec<Result<Task>> {
    let all_fail = |e: Error| tasks.iter().map(|_| Err(e.clone())).collect();
    let mut tx = match writer.begin().await {
        Ok(tx) => tx,
        Err(e) => return all_fail(db_error(e)),
    };
    // The whole batch in a few multi-row statements. Should that fail (say, a team deleted
    // meanwhile), each task goes in again on its own, so that a bad insert fails alone.
    let ids = match insert_all(&mut tx, tasks).await {
        Ok(ids) => ids.into_iter().map(Ok).collect(),
        Err(_) => insert_each(&mut tx, tasks).await,
    };
    // Each caller gets its task as written, read in the same transaction: no second trip
    // through a reader connection.
    let written: Vec<TaskId> = ids
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    let mut tasks = match tasks_by_id::<SqliteBackend>(&mut tx, &written).await {
        Ok(tasks) => tasks,
        Err(e) => return all_fail(e),
    };
    let results = ids
        .into_iter()
        .map(|r| {
            r.and_then(|id| {
                tasks
                    .remove(&id)
                    .ok_or_else(|| Error::Internal("task vanished after insert".into()))
            })
        })
        .collect();
    match tx.commit().await {
        Ok(()) => results,
        Err(e) => all_fail(db_error(e)),
    }
}

/// All of `tasks` or none, in a savepoint of the caller's transaction.
async fn insert_all(tx: &mut SqliteConnection, tasks: &[NewTask]) -> Result<Vec<TaskId>> {
    let mut savepoint = sqlx::Connection::begin(&mut *tx).await.map_err(db_error)?;
    match bulk::insert_bulk::<SqliteBackend>(&mut savepoint, tasks).await {
        Ok(ids) => savepoint.commit().await.map(|_| ids).map_err(db_error),
        Err(e) => {
            let _ = savepoint.rollback().await;
            Err(e)
        }
    }
}

/// Each of `tasks` in a savepoint of its own: one failing leaves the others in.
async fn insert_each(tx: &mut SqliteConnection, tasks: &[NewTask]) -> Vec<Result<TaskId>> {
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        let result = match sqlx::Connection::begin(&mut *tx).await {
            Ok(mut savepoint) => {
                match insert_task_in::<SqliteBackend>(&mut savepoint, task).await {
                    Ok(id) => savepoint.commit().await.map(|_| id).map_err(db_error),
                    Err(e) => {
                        let _ = savepoint.rollback().await;
                        Err(e)
                    }
                }
            }
            Err(e) => Err(db_error(e)),
        };
        results.push(result);
    }
    results
}

async fn activity_loop(writer: SqlitePool, mut queue: mpsc::Receiver<Activity>) {
    while let Some(first) = queue.recv().await {
        let mut records = Vec::new();
        let mut flushed = Vec::new();
        let deadline = tokio::time::Instant::now() + ACTIVITY_DELAY;
        let mut next = Some(first);
        while let Some(item) = next {
            match item {
                Activity::Record(user, record) => records.push((user, record)),
                Activity::Flush(done) => flushed.push(done),
            }
            if records.len() >= MAX_BATCH || !flushed.is_empty() {
                break;
            }
            next = tokio::time::timeout_at(deadline, queue.recv())
                .await
                .ok()
                .flatten();
        }
        if let Err(e) = write_activity(&writer, &records).await {
            tracing::warn!(error = %e, lost = records.len(), "writing the MCP activity log failed");
        }
        for done in flushed {
            let _ = done.send(());
        }
    }
}

async fn write_activity(writer: &SqlitePool, records: &[(UserId, ToolCallRecord)]) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    // One statement for the batch: a statement per record would cost a hand-off to the
    // writer's thread each (at 15,000 calls a second, most of that thread's time).
    let mut insert = QueryBuilder::<Sqlite>::new(
        "INSERT INTO tool_calls (user_id, tool, target, ok, at, client) ",
    );
    insert.push_values(records, |mut row, (user, call)| {
        row.push_bind((*user).get())
            .push_bind(call.tool.clone())
            .push_bind(call.target.clone())
            .push_bind(call.ok as i64)
            .push_bind(millis(call.at))
            .push_bind(call.client.clone());
    });
    insert.build().execute(writer).await.map_err(db_error)?;
    Ok(())
}

/// Task inserts through their queue: concurrent inserts share one durable commit.
#[async_trait::async_trait]
impl GroupCommit for SqliteBackend {
    async fn insert_task(&self, task: NewTask) -> Result<Task> {
        let (reply, answer) = oneshot::channel();
        self.inserts
            .send(PendingInsert { task, reply })
            .await
            .map_err(|_| Error::Internal("the store is closed".into()))?;
        let task = answer
            .await
            .map_err(|_| Error::Internal("the store is closed".into()))??;
        // Its "created" change is committed with it.
        self.changes.notify_one();
        Ok(task)
    }
}

/// The activity log through its queue.
#[async_trait::async_trait]
impl ActivityLog for SqliteBackend {
    async fn record_tool_call(&self, user: UserId, call: &ToolCallRecord) -> Result<()> {
        self.activity
            .send(Activity::Record(user, call.clone()))
            .await
            .map_err(|_| Error::Internal("the store is closed".into()))
    }

    async fn flush_activity(&self) {
        let (done, flushed) = oneshot::channel();
        if self.activity.send(Activity::Flush(done)).await.is_ok() {
            let _ = flushed.await;
        }
    }
}
