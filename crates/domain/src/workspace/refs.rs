//! Turning human references into things: `ENG-123`, a status name, `me`, a label name, a
//! project name, `current`. Each lookup applies the access rule, and a wrong reference is
//! answered with the valid choices, so that a person or a model can correct it at once.

use super::{Workspace, bounded_list};
use crate::access::Actor;
use crate::error::{Error, Result, not_found, unknown_choice};
use crate::model::*;

/// `ENG-123` split into key and number. Only spaces around it are forgiven: a line break
/// (`ENG-1\n` in a URL or a tool's argument) is not part of any identifier.
pub fn parse_identifier(id: &str) -> Option<(String, i64)> {
    let (key, number) = id.trim_matches(' ').rsplit_once('-')?;
    let number: i64 = number.parse().ok().filter(|n| *n > 0)?;
    let key = key.to_ascii_uppercase();
    (!key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric())).then_some((key, number))
}

/// A task as people and models name it, `ENG-123`: parsed once, where it comes in (a tool's
/// argument, a URL), so that every operation on one task takes a well-formed identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TaskRef {
    key: String,
    number: i64,
}

impl TaskRef {
    pub fn key(&self) -> &str {
        &self.key
    }
    pub fn number(&self) -> i64 {
        self.number
    }
}

impl std::str::FromStr for TaskRef {
    type Err = Error;
    fn from_str(id: &str) -> Result<TaskRef> {
        let (key, number) = parse_identifier(id).ok_or_else(|| {
            Error::Invalid(format!(
                "\"{}\" is not a task identifier; expected one like ENG-123",
                id.trim()
            ))
        })?;
        Ok(TaskRef { key, number })
    }
}

impl std::fmt::Display for TaskRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.key, self.number)
    }
}

impl From<&Task> for TaskRef {
    fn from(task: &Task) -> TaskRef {
        TaskRef {
            key: task.team_key.clone(),
            number: task.number,
        }
    }
}

/// A project, label or milestone named by its id (the web app, which lists them) or by the
/// words a person or a model wrote (a name, or the id's number), resolved against what the
/// actor may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref<Id> {
    Id(Id),
    Text(String),
}

impl<Id> From<&str> for Ref<Id> {
    fn from(text: &str) -> Ref<Id> {
        Ref::Text(text.to_string())
    }
}

impl<Id> From<&String> for Ref<Id> {
    fn from(text: &String) -> Ref<Id> {
        Ref::Text(text.clone())
    }
}

macro_rules! ref_from_id {
    ($($id:ty),*) => {$(
        impl From<$id> for Ref<$id> {
            fn from(id: $id) -> Ref<$id> {
                Ref::Id(id)
            }
        }
    )*};
}
ref_from_id!(ProjectId, LabelId, MilestoneId);

impl<Id: RawId> Ref<Id> {
    /// The thing among `items` this names: by id, or by the text as an id's number, then as
    /// a name (any case).
    pub(super) fn find<'a, T>(
        &self,
        items: &'a [T],
        id_of: impl Fn(&T) -> Id,
        name_of: impl Fn(&T) -> &str,
    ) -> Option<&'a T>
    where
        Id: PartialEq,
    {
        match self {
            Ref::Id(id) => items.iter().find(|t| id_of(t) == *id),
            Ref::Text(text) => {
                let wanted = text.trim();
                let by_id = wanted
                    .parse::<i64>()
                    .ok()
                    .and_then(|n| items.iter().find(|t| id_of(t).raw() == n));
                by_id.or_else(|| {
                    items
                        .iter()
                        .find(|t| name_of(t).eq_ignore_ascii_case(wanted))
                })
            }
        }
    }

    /// How the reference reads in an error message.
    pub(super) fn shown(&self) -> String {
        match self {
            Ref::Id(id) => id.raw().to_string(),
            Ref::Text(text) => text.trim().to_string(),
        }
    }
}

fn is_none_word(s: &str) -> bool {
    let s = s.trim();
    s.is_empty() || s.eq_ignore_ascii_case("none") || s.eq_ignore_ascii_case("null")
}

impl Workspace {
    /// A task the actor may see, by identifier (`ENG-123`). Anything else: "not found".
    pub async fn visible_task(&self, actor: &Actor, id: &TaskRef) -> Result<Task> {
        let missing = || not_found(format!("Task {id}"));
        let team = actor
            .memberships()
            .iter()
            .find(|m| m.team.key == id.key)
            .ok_or_else(missing)?;
        self.store
            .task_by_number(team.team.id, id.number)
            .await?
            .ok_or_else(missing)
    }

    pub(super) async fn resolve_status(&self, team: &Team, name: &str) -> Result<Status> {
        let statuses = self.store.statuses(team.id).await?;
        let wanted = name.trim();
        let by_name = statuses
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(wanted));
        // A status type ("started") picks the first status of that type.
        let by_kind =
            || StatusKind::parse(wanted).and_then(|k| statuses.iter().find(|s| s.kind == k));
        by_name.or_else(by_kind).cloned().ok_or_else(|| {
            let names: Vec<&str> = statuses.iter().map(|s| s.name.as_str()).collect();
            unknown_choice("Status", wanted, &team.key, &names)
        })
    }

    /// A person in the given team: `me`, an email, or a name. `none` gives `None`.
    pub(super) async fn resolve_member(
        &self,
        actor: &Actor,
        team: &Team,
        who: &str,
    ) -> Result<Option<UserRef>> {
        if is_none_word(who) {
            return Ok(None);
        }
        let wanted = who.trim();
        let members = self.store.team_members(team.id).await?;
        let found = if wanted.eq_ignore_ascii_case("me") {
            members.iter().find(|(u, _)| u.id == actor.id())
        } else {
            members
                .iter()
                .find(|(u, _)| u.email.eq_ignore_ascii_case(wanted))
                .or_else(|| {
                    members
                        .iter()
                        .find(|(u, _)| u.name.eq_ignore_ascii_case(wanted))
                })
        };
        found.map(|(u, _)| Some(user_ref(u))).ok_or_else(|| {
            let emails: Vec<&str> = members.iter().map(|(u, _)| u.email.as_str()).collect();
            unknown_choice("Member", wanted, &team.key, &emails)
        })
    }

    /// Any user the actor works with (for filters and project leads), or `None` for "none".
    pub(super) async fn resolve_user(&self, actor: &Actor, who: &str) -> Result<Option<UserRef>> {
        if is_none_word(who) {
            return Ok(None);
        }
        let wanted = who.trim();
        if wanted.eq_ignore_ascii_case("me") {
            return Ok(Some(user_ref(actor.user())));
        }
        let users = self.users(actor).await?;
        users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(wanted))
            .or_else(|| users.iter().find(|u| u.name.eq_ignore_ascii_case(wanted)))
            .map(|u| Some(user_ref(u)))
            .ok_or_else(|| {
                let emails: Vec<&str> = users.iter().map(|u| u.email.as_str()).collect();
                unknown_choice("User", wanted, "", &emails)
            })
    }

    /// Labels by name, among the team's and the workspace-wide ones.
    pub(super) async fn resolve_labels(
        &self,
        team_ids: &[TeamId],
        names: &[String],
        scope: &str,
    ) -> Result<Vec<Label>> {
        let names = bounded_list("labels", names)?;
        let available = self.store.labels(team_ids).await?;
        let mut out: Vec<Label> = Vec::new();
        for name in names {
            let label = available
                .iter()
                .find(|l| l.name.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    let valid: Vec<&str> = available.iter().map(|l| l.name.as_str()).collect();
                    unknown_choice("Label", name, scope, &valid)
                })?;
            if !out.iter().any(|l| l.id == label.id) {
                out.push(label.clone());
            }
        }
        Ok(out)
    }

    /// A project the actor may see, by id, name or number id.
    pub async fn visible_project(
        &self,
        actor: &Actor,
        reference: impl Into<Ref<ProjectId>>,
    ) -> Result<Project> {
        let reference = reference.into();
        let projects = self.store.projects(&actor.team_ids()).await?;
        reference
            .find(&projects, |p| p.id, |p| &p.name)
            .cloned()
            .ok_or_else(|| {
                let names: Vec<&str> = projects.iter().map(|p| p.name.as_str()).collect();
                unknown_choice("Project", &reference.shown(), "", &names)
            })
    }

    pub(super) async fn resolve_milestone(
        &self,
        project: &Project,
        reference: impl Into<Ref<MilestoneId>>,
    ) -> Result<Milestone> {
        let reference = reference.into();
        let milestones = self.store.milestones(project.id).await?;
        reference
            .find(&milestones, |m| m.id, |m| &m.name)
            .cloned()
            .ok_or_else(|| {
                let names: Vec<&str> = milestones.iter().map(|m| m.name.as_str()).collect();
                unknown_choice("Milestone", &reference.shown(), &project.name, &names)
            })
    }

    /// A team's cycle: `current`, `next` (or `upcoming`), `previous`, a number, or a name.
    pub(super) async fn resolve_cycle(&self, team: &Team, reference: &str) -> Result<Cycle> {
        let wanted = reference.trim();
        let mut cycles = self.store.cycles(&[team.id]).await?;
        cycles.sort_by_key(|c| c.starts_on);
        let today = self.today();
        let found = match wanted.to_ascii_lowercase().as_str() {
            "current" | "active" => cycles
                .iter()
                .find(|c| c.state(today) == CycleState::Current),
            "next" | "upcoming" => cycles
                .iter()
                .find(|c| c.state(today) == CycleState::Upcoming),
            "previous" | "last" => cycles
                .iter()
                .rev()
                .find(|c| c.state(today) == CycleState::Past),
            other => {
                let number = other.trim_start_matches("cycle").trim().parse::<i64>().ok();
                cycles
                    .iter()
                    .find(|c| Some(c.number) == number)
                    .or_else(|| {
                        cycles.iter().find(|c| {
                            c.name
                                .as_deref()
                                .is_some_and(|n| n.eq_ignore_ascii_case(wanted))
                        })
                    })
            }
        };
        found.cloned().ok_or_else(|| {
            let mut valid: Vec<String> = cycles.iter().map(|c| c.number.to_string()).collect();
            valid.extend(["current", "next", "previous"].map(String::from));
            unknown_choice("Cycle", wanted, &team.key, &valid)
        })
    }
}

pub(super) fn user_ref(u: &User) -> UserRef {
    UserRef {
        id: u.id,
        name: u.name.clone(),
        email: u.email.clone(),
    }
}

pub(super) fn is_clear(s: &str) -> bool {
    is_none_word(s)
}
