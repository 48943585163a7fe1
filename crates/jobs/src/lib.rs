//! Long-running, workspace-wide jobs and the runner that does them in the background.
//!
//! A user starts a job through the domain (`Workspace::start_job`); the job is a row in the
//! database. Every server process runs a [`Runner`] that claims queued jobs (exactly one
//! runner gets each), does them in chunks, reports progress after each chunk, and stops when
//! the job is canceled. A job whose runner died is taken over after `JOB_STALE_AFTER`: an
//! import resumes after its last committed chunk, the others start again (they are
//! idempotent).

mod export;
mod import;
mod import_links;
#[cfg(test)]
mod import_props;

use std::time::Duration;

use orgn_domain::changes::{Channel, Via};
use orgn_domain::model::{Job, JobKind, JobState};
use orgn_domain::{Actor, Error, Workspace};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

pub use export::{EXPORT_CSV, EXPORT_JSON};
pub use import::{
    ColumnMapping, IMPORT_FIELDS, ImportPreview, ImportSample, preview_import,
    preview_import_mapped,
};

/// What an import job is given.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportInput {
    pub team: String,
    pub csv: String,
    /// The columns as the person mapped them in the preview; None: guessed from headers.
    #[serde(default)]
    pub mapping: Option<ColumnMapping>,
}

/// Starts an export of every team the actor may see.
pub async fn start_export(ws: &Workspace, actor: &Actor) -> Result<Job, Error> {
    ws.start_job(actor, JobKind::Export, "{}").await
}

/// Checks the file and starts the import; nothing is written until the job runs.
pub async fn start_import(
    ws: &Workspace,
    actor: &Actor,
    team: &str,
    csv: &str,
) -> Result<Job, Error> {
    start_import_mapped(ws, actor, team, csv, None).await
}

/// The same, with the columns mapped as the person chose in the preview.
pub async fn start_import_mapped(
    ws: &Workspace,
    actor: &Actor,
    team: &str,
    csv: &str,
    mapping: Option<ColumnMapping>,
) -> Result<Job, Error> {
    ws.visible_team(actor, team)?;
    import::parse(csv, mapping.as_ref())?;
    let input = serde_json::to_string(&ImportInput {
        team: team.to_string(),
        csv: csv.to_string(),
        mapping,
    })
    .map_err(|e| Error::Internal(e.to_string()))?;
    ws.start_job(actor, JobKind::Import, &input).await
}

pub async fn start_reindex(ws: &Workspace, actor: &Actor) -> Result<Job, Error> {
    ws.start_job(actor, JobKind::Reindex, "{}").await
}

/// How a job ended, as the runner saw it.
enum Outcome {
    Done(String),
    Canceled,
}

/// The background worker of one server process.
pub struct Runner {
    workspace: Workspace,
    name: String,
    idle: Duration,
    tool_calls_kept_for: time::Duration,
}

impl Runner {
    pub fn new(workspace: Workspace, name: impl Into<String>) -> Runner {
        Runner {
            workspace,
            name: name.into(),
            idle: Duration::from_millis(300),
            tool_calls_kept_for: orgn_domain::TOOL_CALLS_KEPT_FOR,
        }
    }

    /// How long the MCP activity log keeps a call (`TOOL_CALLS_KEPT_FOR` unless set).
    pub fn tool_calls_kept_for(mut self, kept_for: time::Duration) -> Runner {
        self.tool_calls_kept_for = kept_for;
        self
    }

    /// Runs until `stop` turns true: jobs as they come, and the sweeps of the Trash, of
    /// the change feed, of the MCP activity log and of expired job files now and then.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut last_sweep: Option<tokio::time::Instant> = None;
        loop {
            if *stop.borrow() {
                return;
            }
            if last_sweep.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)) {
                match self.workspace.sweep_trash().await {
                    Ok(n) if n > 0 => tracing::info!(purged = n, "swept the Trash"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "sweeping the Trash failed"),
                }
                match self.workspace.sweep_changes().await {
                    Ok(n) if n > 0 => tracing::info!(forgotten = n, "swept the change feed"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "sweeping the change feed failed"),
                }
                match self
                    .workspace
                    .sweep_tool_calls(self.tool_calls_kept_for)
                    .await
                {
                    Ok(n) if n > 0 => tracing::info!(forgotten = n, "swept the MCP activity log"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "sweeping the MCP activity log failed"),
                }
                match self.workspace.sweep_job_files().await {
                    Ok(n) if n > 0 => tracing::info!(deleted = n, "swept expired job files"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "sweeping job files failed"),
                }
                last_sweep = Some(tokio::time::Instant::now());
            }
            let worked = match self.workspace.claim_job(&self.name).await {
                Ok(Some(job)) => {
                    self.run_job(job).await;
                    true
                }
                Ok(None) => false,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming a job failed");
                    false
                }
            };
            if !worked {
                tokio::select! {
                    _ = tokio::time::sleep(self.idle) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }

    async fn run_job(&self, job: Job) {
        tracing::info!(job = job.id.get(), kind = job.kind.as_str(), "job started");
        let actor = self.workspace.actor(job.user_id).await;
        let channel = match job.kind {
            JobKind::Import => Channel::Import,
            _ => Channel::Job,
        };
        let actor = actor.map(|a| a.acting_via(Via::of(channel)));
        let result = match actor {
            Ok(actor) => match job.kind {
                JobKind::Export => export::run(&self.workspace, &actor, &job).await,
                JobKind::Import => import::run(&self.workspace, &actor, &job).await,
                JobKind::Reindex => reindex(&self.workspace, &job).await,
            },
            Err(e) => Err(e),
        };
        let finished = match &result {
            Ok(Outcome::Done(summary)) => {
                self.workspace
                    .finish_job(job.id, JobState::Done, Some(summary), None)
                    .await
            }
            Ok(Outcome::Canceled) => Ok(()),
            Err(e) => {
                self.workspace
                    .finish_job(job.id, JobState::Failed, None, Some(&failure_message(e)))
                    .await
            }
        };
        match (result, finished) {
            (_, Err(e)) => {
                tracing::warn!(job = job.id.get(), error = %e, "recording the end of a job failed")
            }
            (Err(e), _) => tracing::warn!(job = job.id.get(), error = %e, "job failed"),
            (Ok(_), _) => tracing::info!(job = job.id.get(), "job ended"),
        }
    }
}

/// What the person sees of a failed job: the reason when it is theirs to fix (a bad file, a
/// missing team), a generic sentence for a fault of ours, whose text (SQL, paths) stays in
/// the log.
fn failure_message(error: &Error) -> String {
    match error {
        Error::Internal(_) => {
            "The job failed because of a fault on the server; the server log has the details."
                .to_string()
        }
        other => other.to_string(),
    }
}

async fn reindex(ws: &Workspace, job: &Job) -> Result<Outcome, Error> {
    const BATCH: i64 = 2_000;
    let total = ws.count_tasks().await?;
    let mut done = 0;
    let mut after = 0;
    if !ws.report_job(job.id, 0, total).await? {
        return Ok(Outcome::Canceled);
    }
    while let Some(last) = ws.reindex_tasks(after, BATCH).await? {
        after = last;
        done = (done + BATCH).min(total);
        if !ws.report_job(job.id, done, total).await? {
            return Ok(Outcome::Canceled);
        }
    }
    ws.report_job(job.id, total, total).await?;
    Ok(Outcome::Done(
        serde_json::json!({ "tasks": total }).to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_of_ours_fails_the_job_with_a_generic_message() {
        let internal = Error::Internal("no such table: tasks (SELECT * FROM tasks)".into());
        let message = failure_message(&internal);
        assert!(!message.contains("tasks"), "{message}");
        assert!(message.contains("fault on the server"), "{message}");
        let invalid = Error::Invalid("Row 3: no status \"Doing\"".into());
        assert_eq!(failure_message(&invalid), "Row 3: no status \"Doing\"");
    }
}
