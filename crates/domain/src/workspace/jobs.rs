//! Background jobs (export, import, re-index): started by a user, run by the server's job
//! runner, kept in the database so that they survive a restart. A job belongs to the user's
//! account: others get "not found".

use time::Duration;

use super::Workspace;
use crate::access::Actor;
use crate::error::{Error, Result, not_found};
use crate::model::*;
use crate::store::ImportChunk;

/// A running job whose runner has not reported for this long is taken over by another.
pub const JOB_STALE_AFTER: Duration = Duration::seconds(15);

/// How long the MCP activity log keeps a call, unless the runner is told otherwise.
pub const TOOL_CALLS_KEPT_FOR: Duration = Duration::days(90);

/// How long a finished job's files (an export's JSON and CSV) can be downloaded.
pub const JOB_FILES_KEPT_FOR: Duration = Duration::days(7);

impl Workspace {
    pub async fn start_job(&self, actor: &Actor, kind: JobKind, input: &str) -> Result<Job> {
        if actor.memberships().is_empty() {
            return Err(Error::Invalid("you are not a member of any team".into()));
        }
        let id = match kind {
            JobKind::Export | JobKind::Import => self
                .store
                .create_exclusive_job(actor.id(), kind, input, self.now())
                .await?
                .ok_or_else(|| {
                    Error::Conflict(
                        "you already have an export or import under way: wait for it to finish, \
                         or cancel it, before starting another"
                            .into(),
                    )
                })?,
            JobKind::Reindex => {
                self.store
                    .create_job(actor.id(), kind, input, self.now())
                    .await?
            }
        };
        self.store
            .job(id)
            .await?
            .ok_or_else(|| Error::Internal("job vanished after insert".into()))
    }

    pub async fn job(&self, actor: &Actor, id: JobId) -> Result<Job> {
        match self.store.job(id).await? {
            Some(job) if job.user_id == actor.id() => Ok(job),
            _ => Err(not_found(format!("Job {id}"))),
        }
    }

    pub async fn jobs(&self, actor: &Actor) -> Result<Vec<Job>> {
        self.store.jobs(actor.id(), 20).await
    }

    pub async fn cancel_job(&self, actor: &Actor, id: JobId) -> Result<Job> {
        let job = self.job(actor, id).await?;
        if !self.store.cancel_job(job.id, self.now()).await? {
            return Err(Error::Conflict(format!("job {id} has already finished")));
        }
        self.job(actor, id).await
    }

    pub async fn job_errors(&self, actor: &Actor, id: JobId) -> Result<Vec<(i64, String)>> {
        let job = self.job(actor, id).await?;
        self.store.job_errors(job.id).await
    }

    pub async fn job_file(&self, actor: &Actor, id: JobId, name: &str) -> Result<Vec<u8>> {
        let job = self.job(actor, id).await?;
        if job
            .finished_at
            .is_some_and(|at| at < self.now() - JOB_FILES_KEPT_FOR)
        {
            return Err(not_found(format!(
                "file {name} of job {id}: files are kept for {} days after a job ends",
                JOB_FILES_KEPT_FOR.whole_days()
            )));
        }
        self.store
            .job_file(job.id, name)
            .await?
            .ok_or_else(|| not_found(format!("file {name} of job {id}")))
    }

    // --- For the job runner -------------------------------------------------------------

    /// Forgets the MCP activity log's calls older than `kept_for`; how many went.
    pub async fn sweep_tool_calls(&self, kept_for: Duration) -> Result<u64> {
        self.store.delete_tool_calls(self.now() - kept_for).await
    }

    /// Deletes the files of jobs that ended more than `JOB_FILES_KEPT_FOR` ago (an export
    /// holds a copy of everything its owner could see); how many.
    pub async fn sweep_job_files(&self) -> Result<u64> {
        self.store
            .delete_job_files(self.now() - JOB_FILES_KEPT_FOR)
            .await
    }

    /// The next job to run, for the runner named `owner`.
    pub async fn claim_job(&self, owner: &str) -> Result<Option<Job>> {
        let now = self.now();
        self.store
            .claim_job(owner, now, now - JOB_STALE_AFTER)
            .await
    }

    /// Reports progress; false when the job was canceled and the runner should stop.
    pub async fn report_job(&self, id: JobId, done: i64, total: i64) -> Result<bool> {
        self.store.job_progress(id, done, total, self.now()).await
    }

    pub async fn finish_job(
        &self,
        id: JobId,
        state: JobState,
        result: Option<&str>,
        error: Option<&str>,
    ) -> Result<()> {
        self.store
            .finish_job(id, state, result, error, self.now())
            .await
    }

    /// The ids of the chunk's tasks, in its order.
    pub async fn save_import_chunk(&self, chunk: &ImportChunk) -> Result<Vec<TaskId>> {
        self.store.import_chunk(chunk, self.now()).await
    }

    pub async fn save_job_file(&self, id: JobId, name: &str, content: &[u8]) -> Result<()> {
        self.store.put_job_file(id, name, content).await
    }

    /// Re-indexes up to `limit` tasks after `after_id`; the last id done, or None at the end.
    pub async fn reindex_tasks(&self, after_id: i64, limit: i64) -> Result<Option<i64>> {
        self.store.reindex_tasks(after_id, limit).await
    }

    pub async fn count_tasks(&self) -> Result<i64> {
        self.store.count_tasks().await
    }
}
