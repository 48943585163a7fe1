//! What the domain needs from storage: the port that a storage backend implements.
//!
//! The store knows nothing of actors. The domain decides what an actor may see and passes
//! the result down as plain filters (`teams`), so the access rule lives in one place.
//! Every method that writes more than one row does it in one transaction.

use async_trait::async_trait;
use time::{Date, OffsetDateTime};

use crate::cursor::SeekKey;
use crate::error::Result;
use crate::model::*;

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub now: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewStatus {
    pub name: String,
    pub kind: StatusKind,
    pub color: String,
}

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
}

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A change to one task with the history entries that describe it.
#[derive(Debug, Clone)]
pub struct TaskUpdate {
    pub task_id: TaskId,
    pub changes: TaskChanges,
    pub events: Vec<NewEvent>,
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
    pub updated_since: Option<OffsetDateTime>,
    pub after: Option<SeekKey>,
    /// The store returns at most this many.
    pub limit: usize,
}

#[derive(Debug, Clone)]
pub struct NewProject {
    pub name: String,
    pub description: String,
    pub status: ProjectStatus,
    pub lead_id: Option<UserId>,
    pub start_date: Option<Date>,
    pub target_date: Option<Date>,
    pub team_ids: Vec<TeamId>,
    pub now: OffsetDateTime,
}

#[derive(Debug, Clone, Default)]
pub struct ProjectChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: Option<ProjectStatus>,
    pub lead_id: Option<Option<UserId>>,
    pub start_date: Option<Option<Date>>,
    pub target_date: Option<Option<Date>>,
    pub team_ids: Option<Vec<TeamId>>,
}

#[derive(Debug, Clone, Default)]
pub struct MilestoneChanges {
    pub name: Option<String>,
    pub target_date: Option<Option<Date>>,
    pub position: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct CycleChanges {
    pub name: Option<Option<String>>,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
}

#[derive(Debug, Clone)]
pub struct NewDoc {
    pub team_id: Option<TeamId>,
    pub project_id: Option<ProjectId>,
    pub title: String,
    pub content: String,
    pub creator_id: UserId,
    pub now: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct DocQuery {
    pub teams: Vec<TeamId>,
    pub projects: Vec<ProjectId>,
    pub text: Option<String>,
    pub after: Option<SeekKey>,
    pub limit: usize,
}

#[derive(Debug, Clone)]
pub struct StoredToken {
    pub user_id: UserId,
    pub info: TokenInfo,
}

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

#[derive(Debug, Clone)]
pub struct StoredSession {
    pub user_id: UserId,
    pub csrf_token: String,
    pub expires_at: OffsetDateTime,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Finishes pending writes and closes connections; the store is unusable afterwards.
    async fn close(&self) {}

    // Users and teams.
    async fn create_user(&self, user: NewUser) -> Result<User>;
    async fn user(&self, id: UserId) -> Result<Option<User>>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    async fn users(&self) -> Result<Vec<User>>;
    async fn count_users(&self) -> Result<i64>;
    async fn password_hash(&self, id: UserId) -> Result<Option<String>>;
    async fn set_password_hash(&self, id: UserId, hash: &str) -> Result<()>;
    async fn set_user_name(&self, id: UserId, name: &str) -> Result<()>;
    /// Creates the team with its workflow statuses, in order.
    async fn create_team(
        &self,
        key: &str,
        name: &str,
        statuses: &[NewStatus],
        now: OffsetDateTime,
    ) -> Result<Team>;
    async fn team(&self, id: TeamId) -> Result<Option<Team>>;
    async fn team_by_key(&self, key: &str) -> Result<Option<Team>>;
    async fn teams(&self) -> Result<Vec<Team>>;
    async fn memberships(&self, user: UserId) -> Result<Vec<Membership>>;
    /// A user with their memberships, as every request needs them. A backend may answer it
    /// in one query.
    async fn user_with_memberships(&self, user: UserId) -> Result<Option<(User, Vec<Membership>)>> {
        match self.user(user).await? {
            Some(u) => Ok(Some((u, self.memberships(user).await?))),
            None => Ok(None),
        }
    }
    async fn team_members(&self, team: TeamId) -> Result<Vec<(User, Role)>>;
    async fn set_membership(&self, team: TeamId, user: UserId, role: Role) -> Result<()>;
    /// False when there was no such membership.
    async fn remove_membership(&self, team: TeamId, user: UserId) -> Result<bool>;
    async fn statuses(&self, team: TeamId) -> Result<Vec<Status>>;

    // Tasks.
    /// Takes the next number of the task's team and inserts the task, its labels and its
    /// "created" history entry, atomically. Numbers are never reused.
    /// The task as inserted, read back in the same transaction.
    async fn insert_task(&self, task: NewTask) -> Result<Task>;
    async fn task(&self, id: TaskId) -> Result<Option<Task>>;
    async fn task_id_by_number(&self, team: TeamId, number: i64) -> Result<Option<TaskId>>;
    /// A live task by its team and number. A backend may answer it in one query.
    async fn task_by_number(&self, team: TeamId, number: i64) -> Result<Option<Task>> {
        match self.task_id_by_number(team, number).await? {
            Some(id) => self.task(id).await,
            None => Ok(None),
        }
    }
    /// Applies every update and its history in one transaction: all or nothing.
    async fn update_tasks(
        &self,
        updates: &[TaskUpdate],
        actor: UserId,
        now: OffsetDateTime,
    ) -> Result<()>;
    async fn delete_task(&self, id: TaskId, now: OffsetDateTime) -> Result<()>;
    async fn task_history(&self, id: TaskId) -> Result<Vec<TaskEvent>>;
    /// Up to `limit` tasks with their seek keys. With text: by tier (where all the words were
    /// found: identifier, title, anywhere, then as word prefixes), newest first in a tier;
    /// the seek key's rank is the tier. Without text: newest first.
    async fn search_tasks(&self, query: &TaskQuery) -> Result<Vec<(Task, SeekKey)>>;

    // Labels.
    /// Workspace-wide labels and those of the given teams.
    async fn labels(&self, teams: &[TeamId]) -> Result<Vec<Label>>;
    async fn label(&self, id: LabelId) -> Result<Option<Label>>;
    async fn create_label(&self, team: Option<TeamId>, name: &str, color: &str) -> Result<Label>;
    /// How many tasks (live or in the Trash) carry the label.
    async fn label_task_count(&self, id: LabelId) -> Result<u64>;
    /// Takes the label off every task and deletes it, in one transaction.
    async fn delete_label(&self, id: LabelId) -> Result<()>;
    async fn update_label(
        &self,
        id: LabelId,
        name: Option<&str>,
        color: Option<&str>,
    ) -> Result<()>;

    // Projects and milestones.
    async fn create_project(&self, project: NewProject) -> Result<ProjectId>;
    async fn project(&self, id: ProjectId) -> Result<Option<Project>>;
    /// Projects that involve any of the given teams.
    async fn projects(&self, teams: &[TeamId]) -> Result<Vec<Project>>;
    async fn update_project(
        &self,
        id: ProjectId,
        changes: &ProjectChanges,
        now: OffsetDateTime,
    ) -> Result<()>;
    async fn create_milestone(
        &self,
        project: ProjectId,
        name: &str,
        target: Option<Date>,
    ) -> Result<MilestoneId>;
    async fn milestone(&self, id: MilestoneId) -> Result<Option<Milestone>>;
    async fn milestones(&self, project: ProjectId) -> Result<Vec<Milestone>>;
    async fn update_milestone(&self, id: MilestoneId, changes: &MilestoneChanges) -> Result<()>;

    // Cycles.
    /// Numbers the cycle after the team's last one.
    async fn create_cycle(
        &self,
        team: TeamId,
        name: Option<&str>,
        starts_on: Date,
        ends_on: Date,
    ) -> Result<CycleId>;
    async fn cycle(&self, id: CycleId) -> Result<Option<Cycle>>;
    async fn cycles(&self, teams: &[TeamId]) -> Result<Vec<Cycle>>;
    async fn update_cycle(&self, id: CycleId, changes: &CycleChanges) -> Result<()>;

    // Comments.
    async fn create_comment(
        &self,
        task: TaskId,
        author: UserId,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<CommentId>;
    async fn comment(&self, id: CommentId) -> Result<Option<Comment>>;
    async fn comments(&self, task: TaskId) -> Result<Vec<Comment>>;
    async fn update_comment(&self, id: CommentId, body: &str, now: OffsetDateTime) -> Result<()>;

    // Docs.
    async fn create_doc(&self, doc: NewDoc) -> Result<DocId>;
    async fn doc(&self, id: DocId) -> Result<Option<Doc>>;
    async fn update_doc(
        &self,
        id: DocId,
        title: Option<&str>,
        content: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<()>;
    async fn delete_doc(&self, id: DocId, now: OffsetDateTime) -> Result<()>;
    async fn search_docs(&self, query: &DocQuery) -> Result<Vec<(Doc, SeekKey)>>;

    // Personal access tokens: one per user.
    /// Replaces the user's token, if any, in one transaction.
    async fn replace_token(&self, user: UserId, digest: &str, info: &TokenInfo) -> Result<()>;
    async fn token_by_digest(&self, digest: &str) -> Result<Option<StoredToken>>;
    /// A token with its user and the user's memberships, as every MCP request needs them. A
    /// backend may answer it in one query.
    async fn token_holder(
        &self,
        digest: &str,
    ) -> Result<Option<(StoredToken, User, Vec<Membership>)>> {
        let Some(token) = self.token_by_digest(digest).await? else {
            return Ok(None);
        };
        Ok(self
            .user_with_memberships(token.user_id)
            .await?
            .map(|(user, memberships)| (token, user, memberships)))
    }
    async fn token_info(&self, user: UserId) -> Result<Option<TokenInfo>>;
    async fn touch_token(&self, digest: &str, now: OffsetDateTime) -> Result<()>;
    async fn record_tool_call(&self, user: UserId, call: &ToolCallRecord) -> Result<()>;
    async fn recent_tool_calls(&self, user: UserId, limit: i64) -> Result<Vec<ToolCallRecord>>;

    // Bulk writes and the Trash.
    /// Inserts many tasks in one transaction (each numbered and recorded as `insert_task` does).
    async fn insert_tasks(&self, tasks: &[NewTask]) -> Result<Vec<TaskId>>;
    /// The deleted tasks and docs of these teams (and of projects of these teams), newest first.
    async fn trash(&self, teams: &[TeamId]) -> Result<Vec<TrashItem>>;
    /// A deleted task by number, for restoring or purging it.
    async fn deleted_task_id(&self, team: TeamId, number: i64) -> Result<Option<TaskId>>;
    /// A deleted doc (any id), with its team or project, for restoring or purging it.
    async fn deleted_doc(&self, id: DocId) -> Result<Option<TrashItem>>;
    async fn restore_task(&self, id: TaskId, now: OffsetDateTime) -> Result<()>;
    async fn restore_doc(&self, id: DocId, now: OffsetDateTime) -> Result<()>;
    /// Deletes for good: the task with its labels, comments and history.
    async fn purge_task(&self, id: TaskId) -> Result<()>;
    async fn purge_doc(&self, id: DocId) -> Result<()>;
    /// Purges everything deleted before `cutoff`; returns how many items went.
    async fn purge_deleted_before(&self, cutoff: OffsetDateTime) -> Result<u64>;
    /// Records who deleted a task or doc (the delete itself is `delete_task`/`delete_doc`).
    async fn set_deleted_by(&self, kind: TrashKind, id: i64, user: UserId) -> Result<()>;

    // Undo of bulk status changes: kept in the database, so that any server process can
    // undo a change another one made.
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
    async fn undo_bulk_change(
        &self,
        id: BulkChangeId,
        updates: &[TaskUpdate],
        actor: UserId,
        now: OffsetDateTime,
    ) -> Result<bool>;

    // Background jobs.
    async fn create_job(
        &self,
        user: UserId,
        kind: JobKind,
        input: &str,
        now: OffsetDateTime,
    ) -> Result<JobId>;
    async fn job(&self, id: JobId) -> Result<Option<Job>>;
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
    async fn import_chunk(&self, chunk: &ImportChunk, now: OffsetDateTime) -> Result<()>;
    async fn job_errors(&self, id: JobId) -> Result<Vec<(i64, String)>>;
    async fn put_job_file(&self, id: JobId, name: &str, content: &[u8]) -> Result<()>;
    async fn job_file(&self, id: JobId, name: &str) -> Result<Option<Vec<u8>>>;
    /// Rebuilds the search index of tasks with ids after `after_id`, up to `limit` of them;
    /// returns the last id done (None when there were none left).
    async fn reindex_tasks(&self, after_id: i64, limit: i64) -> Result<Option<i64>>;
    async fn count_tasks(&self) -> Result<i64>;

    // Ask Orgn conversations.
    async fn create_conversation(
        &self,
        user: UserId,
        title: &str,
        now: OffsetDateTime,
    ) -> Result<ConversationId>;
    async fn conversations(&self, user: UserId, limit: i64) -> Result<Vec<Conversation>>;
    async fn conversation_owner(&self, id: ConversationId) -> Result<Option<UserId>>;
    async fn append_message(
        &self,
        id: ConversationId,
        role: ChatRole,
        content: &str,
        now: OffsetDateTime,
    ) -> Result<i64>;
    async fn messages(&self, id: ConversationId) -> Result<Vec<ChatMessage>>;
    /// Marks the conversation busy until `until`, unless it is busy already (a mark that
    /// has not passed `now`): `false` then. The mark lives in the database so that two
    /// server processes cannot answer or resolve in one conversation at once, and a
    /// process that dies mid-answer leaves a mark that simply runs out.
    async fn hold_conversation(
        &self,
        id: ConversationId,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool>;
    async fn release_conversation(&self, id: ConversationId) -> Result<()>;

    // Web sessions.
    async fn create_session(&self, digest: &str, session: &StoredSession) -> Result<()>;
    async fn session(&self, digest: &str) -> Result<Option<StoredSession>>;
    async fn delete_session(&self, digest: &str) -> Result<()>;
}
