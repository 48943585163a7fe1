//! Tool arguments. Names are the same across tools: `id` for the thing acted on, `team`
//! (key), `title`, `description`, `status`, `priority`, `assignee`, `labels`, `project`,
//! `milestone`, `cycle`, `due_date`, `estimate`, `body`, `content`, `query`, `limit`,
//! `cursor`. References are human: `ENG-12`, status names, `me`, emails, names.
//!
//! Doc comments become schema descriptions: keep them few and short.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

/// Accepts a string or a number, as a string ("priority": 2 or "high").
fn str_or_num<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        S(String),
        N(i64),
    }
    Ok(Option::<Either>::deserialize(d)?.map(|e| match e {
        Either::S(s) => s,
        Either::N(n) => n.to_string(),
    }))
}

/// Tells an absent field (leave alone) from `null` (clear).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

/// This task <type> the other one.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    #[serde(rename = "type")]
    pub kind: RelationType,
    /// Task identifier, e.g. ENG-9.
    pub task: String,
}

#[derive(Deserialize, JsonSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum RelationType {
    Blocks,
    BlockedBy,
    RelatesTo,
    DuplicateOf,
}

impl RelationType {
    pub fn as_str(self) -> &'static str {
        match self {
            RelationType::Blocks => "blocks",
            RelationType::BlockedBy => "blocked_by",
            RelationType::RelatesTo => "relates_to",
            RelationType::DuplicateOf => "duplicate_of",
        }
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamArg {
    /// Team key; all your teams if omitted.
    pub team: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamPage {
    /// Team key; all your teams if omitted.
    pub team: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PageArgs {
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchTasks {
    /// Full-text search in title and description.
    pub query: Option<String>,
    pub team: Option<String>,
    /// Status name or type (started, completed...); comma-separate several.
    pub status: Option<String>,
    /// `me`, email, name, or `none`.
    pub assignee: Option<String>,
    /// Any of these label names.
    pub labels: Option<Vec<String>>,
    /// 0-4 or none, urgent, high, medium, low.
    #[serde(default, deserialize_with = "str_or_num")]
    #[schemars(with = "Option<String>")]
    pub priority: Option<String>,
    pub project: Option<String>,
    pub milestone: Option<String>,
    /// `current`, `next`, `previous`, number; needs team.
    pub cycle: Option<String>,
    /// RFC 3339 time or YYYY-MM-DD.
    pub updated_since: Option<String>,
    /// Its direct sub-tasks.
    pub parent: Option<String>,
    /// true: only tasks with an open blocker.
    pub blocked: Option<bool>,
    /// 1-100, default 25.
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetTask {
    /// Task identifier, e.g. ENG-12.
    pub id: String,
    /// Include the change history.
    pub history: Option<bool>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    pub team: String,
    pub title: String,
    /// Markdown.
    pub description: Option<String>,
    /// Status name; team default if omitted.
    pub status: Option<String>,
    /// 0-4 or none, urgent, high, medium, low.
    #[serde(default, deserialize_with = "str_or_num")]
    #[schemars(with = "Option<String>")]
    pub priority: Option<String>,
    /// `me`, email or name of a team member.
    pub assignee: Option<String>,
    pub labels: Option<Vec<String>>,
    pub project: Option<String>,
    pub milestone: Option<String>,
    /// `current`, `next` or a number.
    pub cycle: Option<String>,
    /// YYYY-MM-DD.
    pub due_date: Option<String>,
    pub estimate: Option<i64>,
    /// Parent task: this becomes its sub-task.
    pub parent: Option<String>,
    /// duplicate_of also cancels this task.
    pub add_relations: Option<Vec<Relation>>,
}

/// Omitted fields stay; `none` or "" clears optional ones.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTask {
    /// Task identifier, e.g. ENG-12.
    pub id: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub status: Option<String>,
    #[serde(default, deserialize_with = "str_or_num")]
    #[schemars(with = "Option<String>")]
    pub priority: Option<String>,
    pub assignee: Option<String>,
    /// Replaces all labels.
    pub labels: Option<Vec<String>>,
    pub project: Option<String>,
    pub milestone: Option<String>,
    pub cycle: Option<String>,
    pub due_date: Option<String>,
    /// null clears.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<i64>", extend("x-nullable" = true))]
    pub estimate: Option<Option<i64>>,
    /// Parent task; `none` makes it top-level.
    pub parent: Option<String>,
    pub add_relations: Option<Vec<Relation>>,
    pub remove_relations: Option<Vec<Relation>>,
    /// The task's version you read: a field someone changed since is refused, not overwritten.
    pub expected_version: Option<i64>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskPage {
    /// Task identifier, e.g. ENG-12.
    pub id: String,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateComment {
    /// Task identifier, e.g. ENG-12.
    pub id: String,
    /// Markdown.
    pub body: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateComment {
    /// Comment id (your own).
    pub id: i64,
    pub body: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectRef {
    /// Project name or id.
    pub id: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    pub name: String,
    /// Team keys.
    pub teams: Vec<String>,
    pub description: Option<String>,
    /// planned, started, paused, completed, canceled.
    pub status: Option<String>,
    /// `me`, email or name.
    pub lead: Option<String>,
    pub start_date: Option<String>,
    pub target_date: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProject {
    /// Project name or id.
    pub id: String,
    pub name: Option<String>,
    pub teams: Option<Vec<String>>,
    pub description: Option<String>,
    pub status: Option<String>,
    pub lead: Option<String>,
    pub start_date: Option<String>,
    pub target_date: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListMilestones {
    /// Project name or id.
    pub project: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMilestone {
    pub project: String,
    pub name: String,
    pub target_date: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMilestone {
    pub project: String,
    /// Milestone name or id.
    pub id: String,
    pub name: Option<String>,
    pub target_date: Option<String>,
    pub position: Option<i64>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCycle {
    pub team: String,
    pub name: Option<String>,
    /// YYYY-MM-DD.
    pub starts_on: String,
    pub ends_on: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCycle {
    pub team: String,
    /// `current`, `next`, number or name.
    pub id: String,
    pub name: Option<String>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLabel {
    /// Team key; workspace-wide if omitted.
    pub team: Option<String>,
    pub name: String,
    /// #rrggbb.
    pub color: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLabel {
    /// Label name or id.
    pub id: String,
    pub name: Option<String>,
    pub color: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchDocs {
    pub query: Option<String>,
    pub team: Option<String>,
    pub project: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DocIdArg {
    /// Doc id.
    pub id: i64,
}

/// Give team or project.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDoc {
    pub team: Option<String>,
    pub project: Option<String>,
    pub title: String,
    /// Markdown.
    pub content: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDoc {
    /// Doc id.
    pub id: i64,
    pub title: Option<String>,
    /// Replaces the whole content.
    pub content: Option<String>,
    /// The doc's version you read: refused, not overwritten, if changed since.
    pub expected_version: Option<i64>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListChanges {
    /// next_cursor of the last call; else `since`; else the last day.
    pub cursor: Option<String>,
    /// A time or a date, e.g. 2026-11-24T10:00:00Z.
    pub since: Option<String>,
    pub team: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskIdArg {
    /// Task identifier, e.g. ENG-12.
    pub id: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetStatusMany {
    /// Task identifiers.
    pub ids: Vec<String>,
    pub status: String,
}
