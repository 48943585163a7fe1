//! Tasks, their history and their search.

use async_trait::async_trait;
use time::{Date, OffsetDateTime};

use crate::changes::{NewChange, Via};
use crate::cursor::SeekKey;
use crate::error::Result;
use crate::model::*;

#[derive(Debug, Clone)]
pub struct NewTask {
    pub team_id: TeamId,
    pub title: String,
    pub description: String,
    pub status_id: StatusId,
    pub priority: Priority,
    pub assignee_id: Option<UserId>,
    pub creator_id: UserId,
    pub label_ids: Vec<LabelId>,
    pub project_id: Option<ProjectId>,
    pub milestone_id: Option<MilestoneId>,
    pub cycle_id: Option<CycleId>,
    pub due_date: Option<Date>,
    pub estimate: Option<i64>,
    pub times: Lifecycle,
    pub now: OffsetDateTime,
    /// The channel it came through, for the change feed (the creator is the actor).
    pub via: Via,
    /// Who follows the new task and who is told of it (`workspace/inbox.rs`).
    pub inbox: crate::changes::InboxWrites,
}

/// When a task was started, completed and canceled; derived from its status changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lifecycle {
    pub started_at: Option<OffsetDateTime>,
    pub completed_at: Option<OffsetDateTime>,
    pub canceled_at: Option<OffsetDateTime>,
}

/// Field changes for one task. `None`: leave as is. `Some(None)`: clear.
#[derive(Debug, Clone, Default)]
pub struct TaskChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    /// A new status comes with the lifecycle times it implies.
    pub status: Option<(StatusId, Lifecycle)>,
    pub priority: Option<Priority>,
    pub assignee_id: Option<Option<UserId>>,
    pub label_ids: Option<Vec<LabelId>>,
    pub project_id: Option<Option<ProjectId>>,
    pub milestone_id: Option<Option<MilestoneId>>,
    pub cycle_id: Option<Option<CycleId>>,
    pub due_date: Option<Option<Date>>,
    pub estimate: Option<Option<i64>>,
    /// `Some(None)`: the task goes to the top level.
    pub parent_id: Option<Option<TaskId>>,
    /// Relations as the task sees them; adding one that exists, or removing one that does
    /// not, changes nothing.
    pub add_relations: Vec<(RelationKind, TaskId)>,
    pub remove_relations: Vec<(RelationKind, TaskId)>,
}

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A change to one task with the history entries and the feed row that describe it.
#[derive(Debug, Clone)]
pub struct TaskUpdate {
    pub task_id: TaskId,
    pub changes: TaskChanges,
    pub events: Vec<NewEvent>,
    /// Who, through what and when; the fields and topics for the feed.
    pub change: NewChange,
    /// The version the update was planned on: when set, the store applies it only if the
    /// task still has that version, and answers `Error::Conflict` otherwise.
    pub planned_on: Option<i64>,
}

/// A query over tasks, with references already resolved and access already applied.
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    /// The teams to search. Never empty: the domain answers "nothing" itself then.
    pub teams: Vec<TeamId>,
    pub text: Option<String>,
    pub status_ids: Vec<StatusId>,
    pub status_kinds: Vec<StatusKind>,
    /// `Some(None)`: unassigned tasks only.
    pub assignee: Option<Option<UserId>>,
    /// Tasks with any of these labels.
    pub label_ids: Vec<LabelId>,
    pub priorities: Vec<Priority>,
    pub project_id: Option<ProjectId>,
    pub milestone_id: Option<MilestoneId>,
    pub cycle_id: Option<CycleId>,
    /// The direct children of this task.
    pub parent_id: Option<TaskId>,
    /// Only tasks with an open blocker in these teams (the reader's).
    pub blocked_by_teams: Option<Vec<TeamId>>,
    pub updated_since: Option<OffsetDateTime>,
    pub after: Option<SeekKey>,
    /// The store returns at most this many.
    pub limit: usize,
}

#[async_trait]
pub trait Tasks: Send + Sync {
    /// Takes the next number of the task's team and inserts the task, its labels and its
    /// "created" history entry, atomically. Numbers are never reused.
    /// The task as inserted, read back in the same transaction.
    async fn insert_task(&self, task: NewTask) -> Result<Task>;
    /// Inserts many tasks in one transaction (each numbered and recorded as `insert_task` does).
    async fn insert_tasks(&self, tasks: &[NewTask]) -> Result<Vec<TaskId>>;
    async fn task(&self, id: TaskId) -> Result<Option<Task>>;
    async fn task_id_by_number(&self, team: TeamId, number: i64) -> Result<Option<TaskId>>;
    /// A live task by its team and number. A backend may answer it in one query.
    async fn task_by_number(&self, team: TeamId, number: i64) -> Result<Option<Task>> {
        match self.task_id_by_number(team, number).await? {
            Some(id) => self.task(id).await,
            None => Ok(None),
        }
    }
    /// Applies every update, its history and its feed row in one transaction: all or
    /// nothing. Each raises its task's version. `false`, with nothing written, when a task
    /// no longer has the version its update was `planned_on`.
    async fn update_tasks(&self, updates: &[TaskUpdate]) -> Result<bool>;
    async fn delete_task(&self, id: TaskId, change: &NewChange) -> Result<()>;
    async fn task_history(&self, id: TaskId) -> Result<Vec<TaskEvent>>;
    /// Up to `limit` tasks with their seek keys. With text: by tier (where all the words were
    /// found: identifier, title, anywhere, then as word prefixes), newest first in a tier;
    /// the seek key's rank is the tier. Without text: newest first.
    async fn search_tasks(&self, query: &TaskQuery) -> Result<Vec<(Task, SeekKey)>>;
    async fn count_tasks(&self) -> Result<i64>;
    /// Rebuilds the search index of tasks with ids after `after_id`, up to `limit` of them;
    /// returns the last id done (None when there were none left).
    async fn reindex_tasks(&self, after_id: i64, limit: i64) -> Result<Option<i64>>;
}
