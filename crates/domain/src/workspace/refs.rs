//! Turning human references into things: `ENG-123`, a status name, `me`, a label name, a
//! project name, `current`. Each lookup applies the access rule, and a wrong reference is
//! answered with the valid choices, so that a person or a model can correct it at once.

use super::Workspace;
use crate::access::Actor;
use crate::error::{Error, Result, not_found, unknown_choice};
use crate::model::*;

/// `ENG-123` split into key and number.
pub fn parse_identifier(id: &str) -> Option<(String, i64)> {
    let (key, number) = id.trim().rsplit_once('-')?;
    let number: i64 = number.parse().ok().filter(|n| *n > 0)?;
    let key = key.to_ascii_uppercase();
    (!key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric())).then_some((key, number))
}

fn is_none_word(s: &str) -> bool {
    let s = s.trim();
    s.is_empty() || s.eq_ignore_ascii_case("none") || s.eq_ignore_ascii_case("null")
}

impl Workspace {
    /// A task the actor may see, by identifier (`ENG-123`). Anything else: "not found".
    pub async fn visible_task(&self, actor: &Actor, id: &str) -> Result<Task> {
        let missing = || not_found(format!("Task {}", id.trim()));
        let (key, number) = parse_identifier(id).ok_or_else(|| {
            Error::Invalid(format!(
                "\"{}\" is not a task identifier; expected one like ENG-123",
                id.trim()
            ))
        })?;
        let team = actor
            .memberships()
            .iter()
            .find(|m| m.team.key == key)
            .ok_or_else(missing)?;
        self.store
            .task_by_number(team.team.id, number)
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
        let available = self.store.labels(team_ids).await?;
        let mut out: Vec<Label> = Vec::new();
        for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
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

    /// A project the actor may see, by name or number id.
    pub async fn visible_project(&self, actor: &Actor, reference: &str) -> Result<Project> {
        let wanted = reference.trim();
        let projects = self.store.projects(&actor.team_ids()).await?;
        let by_id = wanted
            .parse::<ProjectId>()
            .ok()
            .and_then(|id| projects.iter().find(|p| p.id == id));
        by_id
            .or_else(|| {
                projects
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(wanted))
            })
            .cloned()
            .ok_or_else(|| {
                let names: Vec<&str> = projects.iter().map(|p| p.name.as_str()).collect();
                unknown_choice("Project", wanted, "", &names)
            })
    }

    pub(super) async fn resolve_milestone(
        &self,
        project: &Project,
        reference: &str,
    ) -> Result<Milestone> {
        let wanted = reference.trim();
        let milestones = self.store.milestones(project.id).await?;
        let by_id = wanted
            .parse::<MilestoneId>()
            .ok()
            .and_then(|id| milestones.iter().find(|m| m.id == id));
        by_id
            .or_else(|| {
                milestones
                    .iter()
                    .find(|m| m.name.eq_ignore_ascii_case(wanted))
            })
            .cloned()
            .ok_or_else(|| {
                let names: Vec<&str> = milestones.iter().map(|m| m.name.as_str()).collect();
                unknown_choice("Milestone", wanted, &project.name, &names)
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
