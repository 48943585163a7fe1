//! The work graph: sub-tasks and relations between tasks.
//!
//! Writes go with the task they change: a new task's parent and relations through
//! `insert_task_linked`, a change of them through `TaskChanges` in `update_tasks`. Reads
//! are bounded: children and relations by a limit, blocked markers by the page of tasks.

use async_trait::async_trait;

use super::NewTask;
use crate::changes::NewChange;
use crate::error::Result;
use crate::model::*;

/// What a new task is linked to, written in the task's insert transaction.
#[derive(Debug, Clone, Default)]
pub struct NewLinks {
    pub parent_id: Option<TaskId>,
    /// Each relation as the new task sees it ("blocks ENG-9": `(Blocks, ENG-9's id)`).
    pub relations: Vec<(RelationKind, TaskId)>,
    /// The pages the links concern besides the new task's own: its parent's, and each
    /// related task's, scoped to that task's team (`changes::related_task_topic`).
    pub topics: Vec<String>,
}

#[async_trait]
pub trait Graph: Send + Sync {
    /// `insert_task` with the task's parent and relations, in one transaction.
    async fn insert_task_linked(&self, task: NewTask, links: &NewLinks) -> Result<Task>;
    /// The task's parent, its parent's parent and so on, nearest first, at most `limit`.
    async fn ancestors(&self, task: TaskId, limit: usize) -> Result<Vec<TaskId>>;
    /// The live tasks among `ids` as links, in no particular order.
    async fn task_links(&self, ids: &[TaskId]) -> Result<Vec<TaskLink>>;
    /// `children` and `relations` at once (one round trip, for a task's page and get_task).
    async fn children_and_relations(
        &self,
        task: TaskId,
        teams: &[TeamId],
        children_limit: usize,
        relations_limit: usize,
    ) -> Result<(Vec<TaskLink>, Vec<TaskRelation>)>;
    /// A parent's live children, oldest first, at most `limit`.
    async fn children(&self, parent: TaskId, limit: usize) -> Result<Vec<TaskLink>>;
    /// How many live children a parent has, completed and canceled among them.
    async fn children_progress(&self, parent: TaskId) -> Result<Progress>;
    /// The task's relations, both ways, to live tasks of `teams` only: blockers first,
    /// then by kind and newest; at most `limit`.
    async fn relations(
        &self,
        task: TaskId,
        teams: &[TeamId],
        limit: usize,
    ) -> Result<Vec<TaskRelation>>;
    /// The task's relations with the tasks `among` (of `teams`), whatever their number: what
    /// a change that names them must know of, without reading every relation of the task.
    async fn relations_among(
        &self,
        task: TaskId,
        among: &[TaskId],
        teams: &[TeamId],
    ) -> Result<Vec<TaskRelation>>;
    /// Which of `tasks` have a live blocker of `teams` that is neither completed nor canceled.
    async fn blocked_among(&self, tasks: &[TaskId], teams: &[TeamId]) -> Result<Vec<TaskId>>;
    /// Moves the tasks to the Trash in one transaction, each with its change (all at one
    /// instant, so that a restore knows what went together); first, when `detach` names a
    /// task, its live sub-tasks move to the top level.
    async fn delete_tasks_together(
        &self,
        deletions: &[(TaskId, NewChange)],
        detach: Option<TaskId>,
    ) -> Result<()>;
    /// The deleted sub-tasks of a deleted task that went to the Trash with it (at the same
    /// instant), at most `limit`.
    async fn deleted_with(&self, parent: TaskId, limit: usize) -> Result<Vec<TaskLink>>;
    /// The live tasks related to this one either way, whatever their team, at most `limit`:
    /// the pages that show its status.
    async fn related_tasks(&self, task: TaskId, limit: usize) -> Result<Vec<TaskLink>>;
    /// The live tasks this one blocks (any team; the caller applies the access rule), at
    /// most `limit`: whom to tell when it is completed.
    async fn tasks_blocked_by(&self, task: TaskId, limit: usize) -> Result<Vec<TaskId>>;
}
