//! The change feed's vocabulary: through which channel a change came (`Via`), who made it
//! when (`Stamp`), what a change row says (`NewChange`, `Change`), and the topics live
//! pages listen to. The store appends a `NewChange` in the same transaction as the change
//! it describes; the feed is read by sequence number (`store::Feed`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::model::{CycleId, ProjectId, Task, TaskId, TeamId, UserId, UserRef};

/// The front end a change came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Web,
    Mcp,
    Assistant,
    Job,
    /// A CSV import (a job, named for what it does: history says "via an import").
    Import,
    Cli,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Mcp => "mcp",
            Channel::Assistant => "assistant",
            Channel::Job => "job",
            Channel::Import => "import",
            Channel::Cli => "cli",
        }
    }

    pub fn parse(s: &str) -> Channel {
        match s {
            "mcp" => Channel::Mcp,
            "assistant" => Channel::Assistant,
            "job" => Channel::Job,
            "import" => Channel::Import,
            "cli" => Channel::Cli,
            _ => Channel::Web,
        }
    }
}

/// Longest client name kept (an MCP client's `clientInfo.name`).
pub const MAX_CLIENT_NAME: usize = 64;

/// A channel and, over MCP, the client's own name ("Claude Desktop").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Via {
    pub channel: Channel,
    pub client: Option<String>,
}

impl Default for Via {
    fn default() -> Via {
        Via::web()
    }
}

impl Via {
    pub const fn web() -> Via {
        Via {
            channel: Channel::Web,
            client: None,
        }
    }

    pub const fn of(channel: Channel) -> Via {
        Via {
            channel,
            client: None,
        }
    }

    /// Over MCP, with the name the client gave (cleaned: one line, printable, bounded).
    pub fn mcp(client: Option<&str>) -> Via {
        Via {
            channel: Channel::Mcp,
            client: client.and_then(clean_client_name),
        }
    }

    /// How people read it: "Claude Desktop over MCP", "Ask Orgn", "the web app".
    pub fn describe(&self) -> String {
        match (self.channel, &self.client) {
            (Channel::Mcp, Some(client)) => client.clone(),
            (Channel::Mcp, None) => "MCP".into(),
            (Channel::Assistant, _) => "Ask Orgn".into(),
            (Channel::Job, _) => "a background job".into(),
            (Channel::Import, _) => "an import".into(),
            (Channel::Cli, _) => "the command line".into(),
            (Channel::Web, _) => "the web app".into(),
        }
    }
}

/// A client name as it may be shown: control and bidi characters dropped, trimmed,
/// at most `MAX_CLIENT_NAME` characters; `None` when nothing is left.
pub fn clean_client_name(name: &str) -> Option<String> {
    let cleaned: String = name
        .chars()
        .filter(|c| !c.is_control() && !crate::workspace::is_bidi_control(*c))
        .take(MAX_CLIENT_NAME)
        .collect();
    let cleaned = cleaned.trim();
    (!cleaned.is_empty()).then(|| cleaned.to_string())
}

/// Who made a change, through what, and when.
#[derive(Debug, Clone)]
pub struct Stamp {
    pub actor: UserId,
    pub via: Via,
    pub at: OffsetDateTime,
}

/// What kind of thing a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    Task,
    Comment,
    Doc,
    Project,
    Milestone,
    Cycle,
    Membership,
    /// A person's own notifications marked read or unread: seen by that person only (no
    /// teams), so that their other pages' unread counts follow.
    Inbox,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Task => "task",
            ObjectKind::Comment => "comment",
            ObjectKind::Doc => "doc",
            ObjectKind::Project => "project",
            ObjectKind::Milestone => "milestone",
            ObjectKind::Cycle => "cycle",
            ObjectKind::Membership => "membership",
            ObjectKind::Inbox => "inbox",
        }
    }

    pub fn parse(s: &str) -> Option<ObjectKind> {
        Some(match s {
            "task" => ObjectKind::Task,
            "comment" => ObjectKind::Comment,
            "doc" => ObjectKind::Doc,
            "project" => ObjectKind::Project,
            "milestone" => ObjectKind::Milestone,
            "cycle" => ObjectKind::Cycle,
            "membership" => ObjectKind::Membership,
            "inbox" => ObjectKind::Inbox,
            _ => return None,
        })
    }

    /// The table whose `version` column the change row records, for versioned kinds.
    pub fn versioned_table(self) -> Option<&'static str> {
        match self {
            ObjectKind::Task => Some("tasks"),
            ObjectKind::Comment => Some("comments"),
            ObjectKind::Doc => Some("docs"),
            ObjectKind::Project => Some("projects"),
            _ => None,
        }
    }
}

/// A change row to append, in the transaction of the change it describes.
#[derive(Debug, Clone)]
pub struct NewChange {
    pub kind: ObjectKind,
    pub object_id: i64,
    /// Members of any of these teams may see it; empty: everyone in the workspace.
    pub teams: Vec<TeamId>,
    pub subject: String,
    pub fields: Vec<String>,
    pub topics: Vec<String>,
    pub stamp: Stamp,
    /// The subscriptions and notifications the change brings about, on the task it is
    /// about (`object_id` of a task change; a comment's change is about its task).
    pub inbox: InboxWrites,
}

/// What a change writes to people's inboxes, in its own transaction: decided by the domain
/// (`workspace/inbox.rs`), written by the store with the change row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InboxWrites {
    /// People who now follow the task, unless they unsubscribed from it before.
    pub subscribe: Vec<UserId>,
    pub notify: Vec<NewNotification>,
}

impl InboxWrites {
    pub fn is_empty(&self) -> bool {
        self.subscribe.is_empty() && self.notify.is_empty()
    }
}

/// One person to tell, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    pub recipient: UserId,
    pub kind: NotificationKind,
    /// The task it is about, when not the change's own (a task a completed blocker blocked).
    pub task: Option<TaskId>,
    /// The status a followed task moved to; the identifier of a completed blocker.
    pub detail: Option<String>,
}

/// Why someone was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    Assigned,
    Mentioned,
    Comment,
    Status,
    BlockerCompleted,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Assigned => "assigned",
            NotificationKind::Mentioned => "mentioned",
            NotificationKind::Comment => "comment",
            NotificationKind::Status => "status",
            NotificationKind::BlockerCompleted => "blocker_completed",
        }
    }

    pub fn parse(s: &str) -> Option<NotificationKind> {
        Some(match s {
            "assigned" => NotificationKind::Assigned,
            "mentioned" => NotificationKind::Mentioned,
            "comment" => NotificationKind::Comment,
            "status" => NotificationKind::Status,
            "blocker_completed" => NotificationKind::BlockerCompleted,
            _ => return None,
        })
    }
}

/// The topics a task's change concerns: its team's lists and board, its own page, and the
/// pages of its project and cycle.
pub fn task_topics(
    team: TeamId,
    task: TaskId,
    project: Option<ProjectId>,
    cycle: Option<CycleId>,
) -> Vec<String> {
    let mut topics = vec![format!("team-{team}"), format!("task-{task}")];
    if let Some(p) = project {
        topics.push(format!("project-{p}"));
    }
    if let Some(c) = cycle {
        topics.push(format!("cycle-{c}"));
    }
    topics
}

/// The page of another task than the change's (a related one, which shows this task's
/// status), scoped to that task's team: `task-12@3`. A change is seen by the members of its
/// own teams; of those, only the members of team 3 are sent a topic scoped to it
/// (`topic_scope`), so no one learns the ids of tasks or teams they cannot see.
pub fn related_task_topic(team: TeamId, task: TaskId) -> String {
    format!("task-{task}@{team}")
}

/// The lists and board of another task's team (its "blocked" marker moved), scoped to it.
pub fn related_team_topic(team: TeamId) -> String {
    format!("team-{team}@{team}")
}

/// A stored topic's name, and the team whose members alone are sent it when it is scoped
/// (an unreadable scope names team 0, which no one is in).
pub fn topic_scope(topic: &str) -> (&str, Option<TeamId>) {
    match topic.split_once('@') {
        Some((name, team)) => (name, Some(TeamId::new(team.parse().unwrap_or(0)))),
        None => (topic, None),
    }
}

impl NewChange {
    /// A change to a task, about its page, lists, project and cycle as they are in `task`.
    pub fn task(task: &Task, fields: Vec<String>, stamp: Stamp) -> NewChange {
        NewChange {
            kind: ObjectKind::Task,
            object_id: task.id.get(),
            teams: vec![task.team_id],
            subject: task.identifier(),
            fields,
            topics: task_topics(
                task.team_id,
                task.id,
                task.project.as_ref().map(|p| p.id),
                task.cycle.as_ref().map(|c| c.id),
            ),
            stamp,
            inbox: InboxWrites::default(),
        }
    }

    /// A task just inserted as `identifier`, by its creator.
    pub fn task_created(task: &crate::store::NewTask, id: TaskId, identifier: String) -> NewChange {
        NewChange {
            kind: ObjectKind::Task,
            object_id: id.get(),
            teams: vec![task.team_id],
            subject: identifier,
            fields: vec!["created".into()],
            topics: task_topics(task.team_id, id, task.project_id, task.cycle_id),
            stamp: Stamp {
                actor: task.creator_id,
                via: task.via.clone(),
                at: task.now,
            },
            inbox: task.inbox.clone(),
        }
    }

    /// Adds a topic unless it is there already (an old project or cycle a task left).
    pub fn with_topic(mut self, topic: String) -> NewChange {
        if !self.topics.contains(&topic) {
            self.topics.push(topic);
        }
        self
    }
}

/// One row of the feed, as read back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub kind: ObjectKind,
    pub object_id: i64,
    pub version: Option<i64>,
    pub teams: Vec<TeamId>,
    pub subject: String,
    pub fields: Vec<String>,
    pub topics: Vec<String>,
    pub actor: UserRef,
    pub via: Via,
    /// The people whose inbox the change wrote to.
    pub notified: Vec<UserId>,
}

impl Change {
    /// "Dee via Claude Desktop"
    pub fn who(&self) -> String {
        format!("{} via {}", self.actor.name, self.via.describe())
    }
}
