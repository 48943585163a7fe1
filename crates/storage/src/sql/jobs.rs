//! Background jobs, their errors and their files: the same SQL on both backends, but for
//! the row locks PostgreSQL needs (`Backend::CLAIM_LOCK`, `Backend::ROW_LOCK`) where
//! SQLite's single writer already serializes.

use async_trait::async_trait;
use orgn_domain::model::*;
use orgn_domain::store::{ImportChunk, Jobs};
use orgn_domain::{Error, Result};
use time::OffsetDateTime;

use super::{BulkInsert, Conn, Sql, SqlStore};
use crate::rows::{RowExt, from_millis, opt_from_millis};

const JOB_COLUMNS: &str = "id, user_id, kind, state, input, done, total, result, error, created_at, started_at, finished_at";

fn job(row: &impl RowExt) -> Result<Job> {
    let kind = row.text("kind")?;
    let state = row.text("state")?;
    Ok(Job {
        id: row.id("id")?,
        user_id: row.id("user_id")?,
        kind: JobKind::parse(&kind)
            .ok_or_else(|| Error::Internal(format!("unknown job kind {kind}")))?,
        state: JobState::parse(&state)
            .ok_or_else(|| Error::Internal(format!("unknown job state {state}")))?,
        input: row.text("input")?,
        done: row.int("done")?,
        total: row.int("total")?,
        result: row.opt_text("result")?,
        error: row.opt_text("error")?,
        created_at: from_millis(row.int("created_at")?),
        started_at: opt_from_millis(row.opt_int("started_at")?),
        finished_at: opt_from_millis(row.opt_int("finished_at")?),
    })
}

#[async_trait]
impl<B: BulkInsert> Jobs for SqlStore<B> {
    async fn create_job(
        &self,
        user: UserId,
        kind: JobKind,
        input: &str,
        now: OffsetDateTime,
    ) -> Result<JobId> {
        let sql = Sql::new(
            "INSERT INTO jobs (user_id, kind, state, input, created_at) \
             VALUES ($1, $2, 'queued', $3, $4) RETURNING id",
        )
        .arg(user)
        .arg(kind.as_str())
        .arg(input)
        .arg(now);
        self.writer().await?.one(sql).await?.id("id")
    }

    async fn create_exclusive_job(
        &self,
        user: UserId,
        kind: JobKind,
        input: &str,
        now: OffsetDateTime,
    ) -> Result<Option<JobId>> {
        let sql = Sql::new(
            "INSERT INTO jobs (user_id, kind, state, input, created_at) \
             SELECT $1, $2, 'queued', $3, $4 WHERE NOT EXISTS (SELECT 1 FROM jobs \
             WHERE user_id = $1 AND kind IN ('export', 'import') AND state IN ('queued', 'running')) \
             RETURNING id",
        )
        .arg(user)
        .arg(kind.as_str())
        .arg(input)
        .arg(now);
        let row = self.writer().await?.optional(sql).await?;
        row.map(|r| r.id("id")).transpose()
    }

    async fn delete_job_files(&self, before: OffsetDateTime) -> Result<u64> {
        let sql = Sql::new(
            "DELETE FROM job_files WHERE job_id IN \
             (SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < $1)",
        )
        .arg(before);
        self.writer().await?.execute(sql).await
    }

    async fn job(&self, id: JobId) -> Result<Option<Job>> {
        let sql = Sql::new(format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1")).arg(id);
        let row = self.reader().await?.optional(sql).await?;
        row.as_ref().map(job).transpose()
    }

    async fn jobs(&self, user: UserId, limit: i64) -> Result<Vec<Job>> {
        let sql = Sql::new(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE user_id = $1 ORDER BY id DESC LIMIT $2"
        ))
        .arg(user)
        .arg(limit);
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter().map(job).collect()
    }

    /// Exactly one caller gets each job: one statement, whose candidate row PostgreSQL locks
    /// with `SKIP LOCKED` (a concurrent claimer passes over it to the next one instead of
    /// waiting), and SQLite runs on its single writer.
    async fn claim_job(
        &self,
        owner: &str,
        now: OffsetDateTime,
        stale_before: OffsetDateTime,
    ) -> Result<Option<Job>> {
        let sql = Sql::new(format!(
            "UPDATE jobs SET state = 'running', owner = $1, heartbeat_at = $2, started_at = coalesce(started_at, $2) \
             WHERE id = (SELECT id FROM jobs WHERE state = 'queued' OR (state = 'running' AND heartbeat_at < $3) \
             ORDER BY id LIMIT 1{}) RETURNING {JOB_COLUMNS}",
            B::CLAIM_LOCK
        ))
        .arg(owner)
        .arg(now)
        .arg(stale_before);
        let row = self.writer().await?.optional(sql).await?;
        row.as_ref().map(job).transpose()
    }

    async fn job_progress(
        &self,
        id: JobId,
        done: i64,
        total: i64,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let sql = Sql::new(
            "UPDATE jobs SET done = $1, total = $2, heartbeat_at = $3 WHERE id = $4 AND state = 'running'",
        )
        .arg(done)
        .arg(total)
        .arg(now)
        .arg(id);
        Ok(self.writer().await?.execute(sql).await? == 1)
    }

    async fn finish_job(
        &self,
        id: JobId,
        state: JobState,
        result: Option<&str>,
        error: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let sql = Sql::new(
            "UPDATE jobs SET state = $1, result = $2, error = $3, finished_at = $4, owner = NULL \
             WHERE id = $5 AND state IN ('queued', 'running')",
        )
        .arg(state.as_str())
        .arg(result)
        .arg(error)
        .arg(now)
        .arg(id);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }

    async fn cancel_job(&self, id: JobId, now: OffsetDateTime) -> Result<bool> {
        let sql = Sql::new(
            "UPDATE jobs SET state = 'canceled', finished_at = $1, owner = NULL \
             WHERE id = $2 AND state IN ('queued', 'running')",
        )
        .arg(now)
        .arg(id);
        Ok(self.writer().await?.execute(sql).await? == 1)
    }

    async fn import_chunk(&self, chunk: &ImportChunk, now: OffsetDateTime) -> Result<Vec<TaskId>> {
        let mut tx = self.begin().await?;
        // Checked inside the transaction (with the job's row locked on PostgreSQL): a cancel
        // waits for this chunk, and a canceled job writes nothing more.
        let state = Sql::new(format!(
            "SELECT state FROM jobs WHERE id = $1{}",
            B::ROW_LOCK
        ))
        .arg(chunk.job);
        let state = tx
            .optional(state)
            .await?
            .map(|r| r.text("state"))
            .transpose()?;
        if state.as_deref() != Some("running") {
            return Err(Error::Conflict("the job is no longer running".into()));
        }
        let ids = super::bulk::insert_bulk::<B>(&mut tx, &chunk.tasks).await?;
        for (row, message) in &chunk.errors {
            let error = Sql::new(
                "INSERT INTO job_errors (job_id, row_number, message) VALUES ($1, $2, $3) \
                 ON CONFLICT (job_id, row_number) DO UPDATE SET message = excluded.message",
            )
            .arg(chunk.job)
            .arg(*row)
            .arg(message);
            tx.execute(error).await?;
        }
        let progress = Sql::new("UPDATE jobs SET done = $1, heartbeat_at = $2 WHERE id = $3")
            .arg(chunk.done)
            .arg(now)
            .arg(chunk.job);
        tx.execute(progress).await?;
        B::commit(tx).await?;
        Ok(ids)
    }

    async fn job_errors(&self, id: JobId) -> Result<Vec<(i64, String)>> {
        let sql = Sql::new(
            "SELECT row_number, message FROM job_errors WHERE job_id = $1 ORDER BY row_number",
        )
        .arg(id);
        let rows = self.reader().await?.rows(sql).await?;
        rows.iter()
            .map(|r| Ok((r.int("row_number")?, r.text("message")?)))
            .collect()
    }

    async fn put_job_file(&self, id: JobId, name: &str, content: &[u8]) -> Result<()> {
        let sql = Sql::new(
            "INSERT INTO job_files (job_id, name, content) VALUES ($1, $2, $3) \
             ON CONFLICT (job_id, name) DO UPDATE SET content = excluded.content",
        )
        .arg(id)
        .arg(name)
        .arg(content);
        self.writer().await?.execute(sql).await?;
        Ok(())
    }

    async fn job_file(&self, id: JobId, name: &str) -> Result<Option<Vec<u8>>> {
        let sql = Sql::new("SELECT content FROM job_files WHERE job_id = $1 AND name = $2")
            .arg(id)
            .arg(name);
        let row = self.reader().await?.optional(sql).await?;
        row.map(|r| r.bytes("content")).transpose()
    }
}
