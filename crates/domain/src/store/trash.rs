//! The Trash, and the undo of bulk status changes: kept in the database, so that any
//! server process can undo a change another one made.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::TaskUpdate;
use crate::changes::NewChange;
use crate::error::Result;
use crate::model::*;

#[async_trait]
pub trait Trash: Send + Sync {
    /// The deleted tasks and docs of these teams (and of projects of these teams), newest first.
    async fn trash(&self, teams: &[TeamId]) -> Result<Vec<TrashItem>>;
    /// A deleted task by number, for restoring or purging it.
    async fn deleted_task_id(&self, team: TeamId, number: i64) -> Result<Option<TaskId>>;
    /// A deleted doc (any id), with its team or project, for restoring or purging it.
    async fn deleted_doc(&self, id: DocId) -> Result<Option<TrashItem>>;
    async fn restore_task(&self, id: TaskId, change: &NewChange) -> Result<()>;
    async fn restore_doc(&self, id: DocId, change: &NewChange) -> Result<()>;
    /// Deletes for good: the task with its labels, comments and history.
    async fn purge_task(&self, id: TaskId) -> Result<()>;
    async fn purge_doc(&self, id: DocId) -> Result<()>;
    /// Purges everything deleted before `cutoff`; returns how many items went.
    async fn purge_deleted_before(&self, cutoff: OffsetDateTime) -> Result<u64>;
    /// Records who deleted a task or doc (the delete itself is `delete_task`/`delete_doc`).
    async fn set_deleted_by(&self, kind: TrashKind, id: i64, user: UserId) -> Result<()>;
    /// `update_tasks`, and in the same transaction: keeps `change` (its id is ignored) and
    /// deletes the changes made before `forget_before`. Returns the kept change's id.
    async fn update_tasks_keeping_undo(
        &self,
        updates: &[TaskUpdate],
        change: &BulkChange,
        forget_before: OffsetDateTime,
    ) -> Result<BulkChangeId>;
    async fn bulk_change(&self, id: BulkChangeId) -> Result<Option<BulkChange>>;
    /// Deletes the change and applies `updates` in one transaction; `false` (and nothing
    /// applied) when the change was gone already, so that an undo happens once.
    async fn undo_bulk_change(&self, id: BulkChangeId, updates: &[TaskUpdate]) -> Result<bool>;
}
