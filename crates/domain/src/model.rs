//! The things Orgn keeps. Plain data: no I/O, no knowledge of how it is stored or shown.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

pub use crate::ids::*;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    /// For @mentions: unique, lowercase (`handles.rs`).
    pub handle: String,
    pub is_admin: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Whether the web app's shortcuts without Ctrl/Cmd (`c`, `j`, `?`...) are on; a person
    /// may turn them off (WCAG 2.1.4).
    pub single_key_shortcuts: bool,
}

/// A short reference to a person, as shown next to the things they touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    pub id: UserId,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub id: TeamId,
    pub key: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub team: Team,
    pub role: Role,
}

/// The type of a workflow status. Ordered as a task moves through work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusKind {
    Backlog,
    Unstarted,
    Started,
    Completed,
    Canceled,
}

impl StatusKind {
    pub const ALL: [StatusKind; 5] = [
        StatusKind::Backlog,
        StatusKind::Unstarted,
        StatusKind::Started,
        StatusKind::Completed,
        StatusKind::Canceled,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            StatusKind::Backlog => "backlog",
            StatusKind::Unstarted => "unstarted",
            StatusKind::Started => "started",
            StatusKind::Completed => "completed",
            StatusKind::Canceled => "canceled",
        }
    }
    pub fn parse(s: &str) -> Option<StatusKind> {
        StatusKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }
    /// Done or canceled: the task needs no more work.
    pub fn is_closed(self) -> bool {
        matches!(self, StatusKind::Completed | StatusKind::Canceled)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub id: StatusId,
    pub team_id: TeamId,
    pub name: String,
    pub kind: StatusKind,
    pub position: i64,
    pub color: String,
}

/// Linear's scale: 0 none, 1 urgent, 2 high, 3 medium, 4 low.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Priority(u8);

impl Priority {
    pub const NONE: Priority = Priority(0);
    pub const URGENT: Priority = Priority(1);
    pub const HIGH: Priority = Priority(2);
    pub const MEDIUM: Priority = Priority(3);
    pub const LOW: Priority = Priority(4);
    const NAMES: [&'static str; 5] = ["None", "Urgent", "High", "Medium", "Low"];

    pub fn new(value: i64) -> Option<Priority> {
        (0..=4).contains(&value).then_some(Priority(value as u8))
    }
    /// Accepts 0..4 or a name ("high", "Urgent", "none").
    pub fn parse(s: &str) -> Option<Priority> {
        let s = s.trim();
        if let Ok(n) = s.parse::<i64>() {
            return Priority::new(n);
        }
        Self::NAMES
            .iter()
            .position(|name| name.eq_ignore_ascii_case(s))
            .map(|i| Priority(i as u8))
    }
    pub fn value(self) -> i64 {
        self.0 as i64
    }
    pub fn name(self) -> &'static str {
        Self::NAMES[self.0 as usize]
    }
}

impl TryFrom<i64> for Priority {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        Priority::new(v).ok_or_else(|| format!("priority must be 0..4, got {v}"))
    }
}
impl From<Priority> for i64 {
    fn from(p: Priority) -> i64 {
        p.value()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub id: LabelId,
    /// `None` for a workspace-wide label.
    pub team_id: Option<TeamId>,
    pub name: String,
    pub color: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelRef {
    pub id: LabelId,
    pub name: String,
    pub color: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedRef<Id> {
    pub id: Id,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRef {
    pub id: StatusId,
    pub name: String,
    pub kind: StatusKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    pub team_id: TeamId,
    pub team_key: String,
    pub number: i64,
    pub title: String,
    pub description: String,
    pub status: StatusRef,
    pub priority: Priority,
    pub assignee: Option<UserRef>,
    pub creator: UserRef,
    pub labels: Vec<LabelRef>,
    /// How many comments the task has (the comments themselves are fetched on their own).
    #[serde(default)]
    pub comment_count: u64,
    pub project: Option<NamedRef<ProjectId>>,
    pub milestone: Option<NamedRef<MilestoneId>>,
    pub cycle: Option<NamedRef<CycleId>>,
    pub due_date: Option<Date>,
    pub estimate: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub canceled_at: Option<OffsetDateTime>,
    /// Raised by every change; an edit may say which version it was based on.
    #[serde(default = "first_version")]
    pub version: i64,
    /// The task this one is a sub-task of (same team).
    #[serde(default)]
    pub parent_id: Option<TaskId>,
    /// Whether a task the reader can see, not completed nor canceled, blocks this one.
    /// Depends on the reader: the workspace fills it in for what it answers.
    #[serde(default)]
    pub blocked: bool,
}

fn first_version() -> i64 {
    1
}

impl Task {
    /// `ENG-123`: the team key and the team's counter at creation. Never reused.
    pub fn identifier(&self) -> String {
        format!("{}-{}", self.team_key, self.number)
    }
}

/// How a task relates to another, as seen from the first. Kept one way in storage
/// (`RelationEdge`); `blocked_by` and `duplicated_by` are the other side's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    Blocks,
    BlockedBy,
    RelatesTo,
    DuplicateOf,
    DuplicatedBy,
}

impl RelationKind {
    pub const ALL: [RelationKind; 5] = [
        RelationKind::Blocks,
        RelationKind::BlockedBy,
        RelationKind::RelatesTo,
        RelationKind::DuplicateOf,
        RelationKind::DuplicatedBy,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RelationKind::Blocks => "blocks",
            RelationKind::BlockedBy => "blocked_by",
            RelationKind::RelatesTo => "relates_to",
            RelationKind::DuplicateOf => "duplicate_of",
            RelationKind::DuplicatedBy => "duplicated_by",
        }
    }
    /// For people: "blocked by".
    pub fn label(self) -> &'static str {
        match self {
            RelationKind::Blocks => "blocks",
            RelationKind::BlockedBy => "blocked by",
            RelationKind::RelatesTo => "relates to",
            RelationKind::DuplicateOf => "duplicate of",
            RelationKind::DuplicatedBy => "duplicated by",
        }
    }
    /// `blocks`, `blocked_by`, `blocked by`, `Blocked-By`...
    pub fn parse(s: &str) -> Option<RelationKind> {
        let wanted = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        RelationKind::ALL.into_iter().find(|k| k.as_str() == wanted)
    }
    /// The stored edge for "`this` <kind> `other`".
    pub fn edge(self, this: TaskId, other: TaskId) -> RelationEdge {
        let (kind, from, to) = match self {
            RelationKind::Blocks => (EdgeKind::Blocks, this, other),
            RelationKind::BlockedBy => (EdgeKind::Blocks, other, this),
            RelationKind::DuplicateOf => (EdgeKind::DuplicateOf, this, other),
            RelationKind::DuplicatedBy => (EdgeKind::DuplicateOf, other, this),
            // Symmetric: kept once, from the smaller id.
            RelationKind::RelatesTo => (EdgeKind::RelatesTo, this.min(other), this.max(other)),
        };
        RelationEdge { kind, from, to }
    }
}

/// A stored relation: `from` blocks / duplicates / relates to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RelationEdge {
    pub kind: EdgeKind,
    pub from: TaskId,
    pub to: TaskId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    Blocks,
    RelatesTo,
    DuplicateOf,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Blocks => "blocks",
            EdgeKind::RelatesTo => "relates_to",
            EdgeKind::DuplicateOf => "duplicate_of",
        }
    }
    pub fn parse(s: &str) -> Option<EdgeKind> {
        [EdgeKind::Blocks, EdgeKind::RelatesTo, EdgeKind::DuplicateOf]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
    /// How the edge reads from its `from` side (`true`) or its `to` side.
    pub fn seen_from(self, from_side: bool) -> RelationKind {
        match (self, from_side) {
            (EdgeKind::Blocks, true) => RelationKind::Blocks,
            (EdgeKind::Blocks, false) => RelationKind::BlockedBy,
            (EdgeKind::DuplicateOf, true) => RelationKind::DuplicateOf,
            (EdgeKind::DuplicateOf, false) => RelationKind::DuplicatedBy,
            (EdgeKind::RelatesTo, _) => RelationKind::RelatesTo,
        }
    }
}

/// Another task as a parent, child or relation shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskLink {
    pub id: TaskId,
    pub team_id: TeamId,
    pub identifier: String,
    pub title: String,
    pub status: StatusRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRelation {
    #[serde(rename = "type")]
    pub kind: RelationKind,
    pub task: TaskLink,
}

/// A task's place in the work graph as a reader sees it: relations to tasks the reader
/// cannot see are left out (children share the task's team, so they are visible).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskGraph {
    pub parent: Option<TaskLink>,
    /// The newest children first, at most `MAX_CHILDREN_SHOWN`; `children_progress.total`
    /// says how many there are.
    pub children: Vec<TaskLink>,
    pub children_progress: Progress,
    /// At most `MAX_RELATIONS_SHOWN`, blockers first; `more_relations` when some were left out.
    pub relations: Vec<TaskRelation>,
    pub more_relations: bool,
}

/// One recorded change of one field of a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskEvent {
    pub actor: UserRef,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
    /// The channel (and MCP client) the change came through.
    #[serde(default)]
    pub via: crate::changes::Via,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProjectStatus {
    Planned,
    Started,
    Paused,
    Completed,
    Canceled,
}

impl ProjectStatus {
    pub const ALL: [ProjectStatus; 5] = [
        ProjectStatus::Planned,
        ProjectStatus::Started,
        ProjectStatus::Paused,
        ProjectStatus::Completed,
        ProjectStatus::Canceled,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectStatus::Planned => "planned",
            ProjectStatus::Started => "started",
            ProjectStatus::Paused => "paused",
            ProjectStatus::Completed => "completed",
            ProjectStatus::Canceled => "canceled",
        }
    }
    pub fn parse(s: &str) -> Option<ProjectStatus> {
        ProjectStatus::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// How far a set of tasks has come. Canceled tasks count neither way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub total: i64,
    pub completed: i64,
    pub canceled: i64,
}

impl Progress {
    /// 0.0..=1.0 of the tasks that still count (not canceled).
    pub fn ratio(&self) -> f64 {
        let counted = self.total - self.canceled;
        if counted <= 0 {
            0.0
        } else {
            self.completed as f64 / counted as f64
        }
    }
    pub fn percent(&self) -> i64 {
        (self.ratio() * 100.0).round() as i64
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub id: ProjectId,
    pub name: String,
    pub description: String,
    pub status: ProjectStatus,
    pub lead: Option<UserRef>,
    pub start_date: Option<Date>,
    pub target_date: Option<Date>,
    pub teams: Vec<Team>,
    pub progress: Progress,
    #[serde(default = "first_version")]
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Milestone {
    pub id: MilestoneId,
    pub project_id: ProjectId,
    pub name: String,
    pub target_date: Option<Date>,
    pub position: i64,
    pub progress: Progress,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CycleState {
    Past,
    Current,
    Upcoming,
}

impl CycleState {
    pub fn as_str(self) -> &'static str {
        match self {
            CycleState::Past => "past",
            CycleState::Current => "current",
            CycleState::Upcoming => "upcoming",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cycle {
    pub id: CycleId,
    pub team_id: TeamId,
    pub number: i64,
    pub name: Option<String>,
    pub starts_on: Date,
    pub ends_on: Date,
    pub progress: Progress,
}

impl Cycle {
    /// Derived from the dates: a cycle covers `starts_on..=ends_on`.
    pub fn state(&self, today: Date) -> CycleState {
        if today < self.starts_on {
            CycleState::Upcoming
        } else if today > self.ends_on {
            CycleState::Past
        } else {
            CycleState::Current
        }
    }
    pub fn display_name(&self) -> String {
        match &self.name {
            Some(n) if !n.is_empty() => format!("Cycle {} · {}", self.number, n),
            _ => format!("Cycle {}", self.number),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: CommentId,
    pub task_id: TaskId,
    pub author: UserRef,
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub edited_at: Option<OffsetDateTime>,
    #[serde(default = "first_version")]
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Doc {
    pub id: DocId,
    /// Exactly one of `team_id` and `project_id` is set.
    pub team_id: Option<TeamId>,
    pub project_id: Option<ProjectId>,
    pub title: String,
    pub content: String,
    pub creator: UserRef,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(default = "first_version")]
    pub version: i64,
}

/// What is known of a personal access token after it was shown: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub hint: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// The MCP client that last connected with it (its `clientInfo` name).
    #[serde(default)]
    pub client_name: Option<String>,
}

/// One tool call made over MCP, for the user's "recent activity".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCallRecord {
    pub tool: String,
    pub target: Option<String>,
    pub ok: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The MCP client that made it ("Claude Desktop"), when known.
    #[serde(default)]
    pub client: Option<String>,
}

/// A bulk status change as kept for its Undo: who made it, the status it set, and each
/// task's status before it (identifier, status name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkChange {
    pub id: BulkChangeId,
    pub user_id: UserId,
    pub status: String,
    pub previous: Vec<(String, String)>,
    pub created_at: OffsetDateTime,
}

/// Something deleted, waiting in its team's Trash until restored or purged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrashItem {
    pub kind: TrashKind,
    pub id: i64,
    /// `ENG-12` for a task, the title for a doc.
    pub label: String,
    pub title: String,
    pub team_id: Option<TeamId>,
    pub project_id: Option<ProjectId>,
    pub deleted_by: Option<UserRef>,
    #[serde(with = "time::serde::rfc3339")]
    pub deleted_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrashKind {
    Task,
    Doc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    Export,
    Import,
    Reindex,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Export => "export",
            JobKind::Import => "import",
            JobKind::Reindex => "reindex",
        }
    }
    pub fn parse(s: &str) -> Option<JobKind> {
        [JobKind::Export, JobKind::Import, JobKind::Reindex]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
    Canceled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Canceled => "canceled",
        }
    }
    pub fn parse(s: &str) -> Option<JobState> {
        [
            JobState::Queued,
            JobState::Running,
            JobState::Done,
            JobState::Failed,
            JobState::Canceled,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
    pub fn is_finished(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed | JobState::Canceled)
    }
}

/// A long-running, workspace-wide operation, run in the background and kept in the
/// database so that it survives a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    pub user_id: UserId,
    pub kind: JobKind,
    pub state: JobState,
    /// The job's input, as the job kind defines it (JSON text).
    pub input: String,
    pub done: i64,
    pub total: i64,
    /// A short summary when finished (JSON text), e.g. counts.
    pub result: Option<String>,
    pub error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatRole {
    User,
    Assistant,
    Tool,
}

impl ChatRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatRole::User => "user",
            ChatRole::Assistant => "assistant",
            ChatRole::Tool => "tool",
        }
    }
    pub fn parse(s: &str) -> Option<ChatRole> {
        [ChatRole::User, ChatRole::Assistant, ChatRole::Tool]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// An "Ask Orgn" conversation; it belongs to one user's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub title: String,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// One message of a conversation. `content` is JSON defined by the assistant (text, tool
/// calls, tool results, a proposal waiting for confirmation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub id: i64,
    pub role: ChatRole,
    pub content: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}
