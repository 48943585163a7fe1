//! Background jobs, their errors and their files.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::NewTask;
use crate::error::Result;
use crate::model::*;

/// One chunk of an import: the tasks to insert and the rows that failed, written in one
/// transaction with the job's progress, so that a restart resumes exactly after it.
#[derive(Debug, Clone)]
pub struct ImportChunk {
    pub job: JobId,
    pub tasks: Vec<NewTask>,
    /// (row number, message) of rows that could not be imported.
    pub errors: Vec<(i64, String)>,
    /// The job's `done` after this chunk.
    pub done: i64,
}

#[async_trait]
pub trait Jobs: Send + Sync {
    async fn create_job(
        &self,
        user: UserId,
        kind: JobKind,
        input: &str,
        now: OffsetDateTime,
    ) -> Result<JobId>;
    /// Creates the job unless `user` already has an export or import queued or running
    /// (None then), checked in the insert's own statement.
    async fn create_exclusive_job(
        &self,
        user: UserId,
        kind: JobKind,
        input: &str,
        now: OffsetDateTime,
    ) -> Result<Option<JobId>>;
    async fn job(&self, id: JobId) -> Result<Option<Job>>;
    /// Deletes the files of jobs that finished before `before`; how many.
    async fn delete_job_files(&self, before: OffsetDateTime) -> Result<u64>;
    async fn jobs(&self, user: UserId, limit: i64) -> Result<Vec<Job>>;
    /// Takes the oldest queued job, or a running one whose owner stopped beating before
    /// `stale_before`, for `owner`; exactly one caller gets each job.
    async fn claim_job(
        &self,
        owner: &str,
        now: OffsetDateTime,
        stale_before: OffsetDateTime,
    ) -> Result<Option<Job>>;
    /// Progress and heartbeat; false when the job was canceled meanwhile (stop working on it).
    async fn job_progress(
        &self,
        id: JobId,
        done: i64,
        total: i64,
        now: OffsetDateTime,
    ) -> Result<bool>;
    async fn finish_job(
        &self,
        id: JobId,
        state: JobState,
        result: Option<&str>,
        error: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<()>;
    /// Cancels a queued or running job; false when it had already finished.
    async fn cancel_job(&self, id: JobId, now: OffsetDateTime) -> Result<bool>;
    /// The ids of the chunk's tasks, in its order (the import links them afterwards).
    async fn import_chunk(&self, chunk: &ImportChunk, now: OffsetDateTime) -> Result<Vec<TaskId>>;
    async fn job_errors(&self, id: JobId) -> Result<Vec<(i64, String)>>;
    async fn put_job_file(&self, id: JobId, name: &str, content: &[u8]) -> Result<()>;
    async fn job_file(&self, id: JobId, name: &str) -> Result<Option<Vec<u8>>>;
}
