//! Projects and their milestones, cycles, and labels.

use time::Date;

use super::refs::{Ref, is_clear};
use super::{MAX_BODY, Workspace, bounded_text, parse_date, parse_optional_date, required_line};
use crate::access::Actor;
use crate::changes::{NewChange, ObjectKind};
use crate::error::{Error, Result, not_found, unknown_choice};
use crate::model::*;
use crate::store::{CycleChanges, MilestoneChanges, NewProject, ProjectChanges};

#[derive(Debug, Clone, Default)]
pub struct ProjectDraft {
    pub name: String,
    pub description: Option<String>,
    /// Team keys; at least one, all the actor's.
    pub teams: Vec<String>,
    pub status: Option<String>,
    pub lead: Option<String>,
    pub start_date: Option<String>,
    pub target_date: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ProjectPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub teams: Option<Vec<String>>,
    pub status: Option<String>,
    pub lead: Option<String>,
    pub start_date: Option<String>,
    pub target_date: Option<String>,
    /// The project's version the edit was based on: a field someone else changed since is
    /// refused (`Error::Conflict`).
    pub based_on: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct MilestonePatch {
    pub name: Option<String>,
    pub target_date: Option<String>,
    pub position: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct CycleDraft {
    pub team: String,
    pub name: Option<String>,
    pub starts_on: String,
    pub ends_on: String,
}

#[derive(Debug, Clone, Default)]
pub struct CyclePatch {
    pub name: Option<String>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
}

fn parse_project_status(s: &str) -> Result<ProjectStatus> {
    ProjectStatus::parse(s).ok_or_else(|| {
        let valid: Vec<&str> = ProjectStatus::ALL.iter().map(|s| s.as_str()).collect();
        unknown_choice("Project status", s.trim(), "", &valid)
    })
}

fn check_range(start: Option<Date>, end: Option<Date>, what: &str) -> Result<()> {
    match (start, end) {
        (Some(s), Some(e)) if e < s => Err(Error::Invalid(format!("{what} ends before it starts"))),
        _ => Ok(()),
    }
}

/// The longest cycle, as in Linear (1 to 8 weeks): long enough for any iteration, short
/// enough that a cycle's page and burn-up stay small.
pub const MAX_CYCLE_DAYS: i64 = 56;

/// A cycle runs from its first day to its last, both included, for at most `MAX_CYCLE_DAYS`.
fn check_cycle_length(starts_on: Date, ends_on: Date) -> Result<()> {
    check_range(Some(starts_on), Some(ends_on), "the cycle")?;
    let days = (ends_on - starts_on).whole_days() + 1;
    if days > MAX_CYCLE_DAYS {
        return Err(Error::Invalid(format!(
            "a cycle lasts at most {MAX_CYCLE_DAYS} days (8 weeks); {starts_on} to {ends_on} is {days}"
        )));
    }
    Ok(())
}

/// `#rrggbb`.
fn parse_color(color: &str) -> Result<String> {
    let c = color.trim();
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
    if ok {
        Ok(c.to_ascii_lowercase())
    } else {
        Err(Error::Invalid(format!(
            "color must look like #5e6ad2, got \"{c}\""
        )))
    }
}

const DEFAULT_LABEL_COLOR: &str = "#6b7280";

impl Workspace {
    // --- Projects ----------------------------------------------------------------------

    pub async fn projects(&self, actor: &Actor) -> Result<Vec<Project>> {
        let teams = actor.team_ids();
        if teams.is_empty() {
            return Ok(vec![]);
        }
        let projects = self.store.projects(&teams).await?;
        let mut leads_seen = Vec::new();
        let mut shown = Vec::with_capacity(projects.len());
        for project in projects {
            shown.push(self.as_seen_by(actor, project, &mut leads_seen).await?);
        }
        Ok(shown)
    }

    pub async fn project(
        &self,
        actor: &Actor,
        reference: impl Into<Ref<ProjectId>>,
    ) -> Result<Project> {
        let project = self.visible_project(actor, reference).await?;
        self.as_seen_by(actor, project, &mut Vec::new()).await
    }

    /// For a project shared with a team `actor` is not in, its progress counted over the
    /// actor's teams' tasks only, per milestone; None when the actor sees every team.
    async fn progress_seen_by(
        &self,
        actor: &Actor,
        project: &Project,
    ) -> Result<Option<Vec<(Option<MilestoneId>, Progress)>>> {
        if project.teams.iter().all(|t| actor.can_see_team(t.id)) {
            return Ok(None);
        }
        let counted = self
            .store
            .project_progress_in_teams(project.id, &actor.team_ids())
            .await?;
        Ok(Some(counted))
    }

    /// A project as `actor` may read it: shared with a team the actor is not in, its progress
    /// counts only the tasks of the actor's teams (the stored counters count every team's),
    /// and its lead is shown only to someone who shares a team with the lead. `leads_seen`
    /// remembers each lead's answer across a list of projects.
    async fn as_seen_by(
        &self,
        actor: &Actor,
        mut project: Project,
        leads_seen: &mut Vec<(UserId, bool)>,
    ) -> Result<Project> {
        if let Some(counted) = self.progress_seen_by(actor, &project).await? {
            project.progress = counted
                .iter()
                .fold(Progress::default(), |sum, (_, p)| Progress {
                    total: sum.total + p.total,
                    completed: sum.completed + p.completed,
                    canceled: sum.canceled + p.canceled,
                });
        }
        if let Some(lead) = &project.lead {
            let shares_team = match leads_seen.iter().find(|(id, _)| *id == lead.id) {
                Some((_, shares)) => *shares,
                None => {
                    let shares = lead.id == actor.id()
                        || self
                            .store
                            .memberships(lead.id)
                            .await?
                            .iter()
                            .any(|m| actor.can_see_team(m.team.id));
                    leads_seen.push((lead.id, shares));
                    shares
                }
            };
            if !shares_team {
                project.lead = None;
            }
        }
        Ok(project)
    }

    async fn team_ids_of(&self, actor: &Actor, keys: &[String]) -> Result<Vec<TeamId>> {
        let mut ids = Vec::new();
        for key in keys.iter().filter(|k| !k.trim().is_empty()) {
            let id = self.visible_team(actor, key)?.id;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.is_empty() {
            return Err(Error::Invalid("a project needs at least one team".into()));
        }
        Ok(ids)
    }

    pub async fn create_project(&self, actor: &Actor, draft: ProjectDraft) -> Result<Project> {
        let name = required_line("name", &draft.name, 200)?;
        let team_ids = self.team_ids_of(actor, &draft.teams).await?;
        if self
            .store
            .projects(&actor.team_ids())
            .await?
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case(&name))
        {
            return Err(Error::Conflict(format!(
                "a project named \"{name}\" already exists"
            )));
        }
        let status = match draft.status.as_deref() {
            Some(s) if !is_clear(s) => parse_project_status(s)?,
            _ => ProjectStatus::Planned,
        };
        let lead = match draft.lead.as_deref() {
            Some(l) => self.resolve_user(actor, l).await?,
            None => None,
        };
        let start_date =
            parse_optional_date("start_date", draft.start_date.as_deref().unwrap_or(""))?;
        let target_date =
            parse_optional_date("target_date", draft.target_date.as_deref().unwrap_or(""))?;
        check_range(start_date, target_date, "the project")?;
        let description = bounded_text(
            "description",
            draft.description.as_deref().unwrap_or(""),
            MAX_BODY,
        )?;
        let topics = team_ids.iter().map(|t| format!("team-{t}")).collect();
        let change = self.change(
            actor,
            ObjectKind::Project,
            0,
            team_ids.clone(),
            &name,
            &["created"],
            topics,
        );
        let id = self
            .store
            .create_project(
                NewProject {
                    name,
                    description,
                    status,
                    lead_id: lead.map(|l| l.id),
                    start_date,
                    target_date,
                    team_ids,
                    now: self.now(),
                },
                &change,
            )
            .await?;
        let project = self
            .store
            .project(id)
            .await?
            .ok_or_else(|| Error::Internal("project vanished after insert".into()))?;
        self.as_seen_by(actor, project, &mut Vec::new()).await
    }

    pub async fn update_project(
        &self,
        actor: &Actor,
        reference: impl Into<Ref<ProjectId>>,
        patch: ProjectPatch,
    ) -> Result<Project> {
        let project = self.visible_project(actor, reference).await?;
        let mut changes = ProjectChanges::default();
        if let Some(name) = patch.name {
            changes.name = Some(required_line("name", &name, 200)?);
        }
        if let Some(description) = patch.description {
            changes.description = Some(bounded_text("description", &description, MAX_BODY)?);
        }
        if let Some(teams) = patch.teams {
            let mut ids = self.team_ids_of(actor, &teams).await?;
            // Teams the actor cannot see stay on the project: it may not remove what it cannot see.
            ids.extend(
                project
                    .teams
                    .iter()
                    .map(|t| t.id)
                    .filter(|t| !actor.can_see_team(*t)),
            );
            changes.team_ids = Some(ids);
        }
        if let Some(status) = patch.status {
            changes.status = Some(parse_project_status(&status)?);
        }
        if let Some(lead) = patch.lead {
            changes.lead_id = Some(self.resolve_user(actor, &lead).await?.map(|u| u.id));
        }
        if let Some(d) = patch.start_date {
            changes.start_date = Some(parse_optional_date("start_date", &d)?);
        }
        if let Some(d) = patch.target_date {
            changes.target_date = Some(parse_optional_date("target_date", &d)?);
        }
        let start = changes.start_date.unwrap_or(project.start_date);
        let target = changes.target_date.unwrap_or(project.target_date);
        check_range(start, target, "the project")?;
        drop_unchanged(&mut changes, &project);
        let fields = changes.fields();
        if fields.is_empty() {
            return self.as_seen_by(actor, project, &mut Vec::new()).await;
        }
        if let Some(based_on) = patch.based_on {
            // A refusal names the current values as the actor may see them (not a lead it
            // shares no team with).
            let seen = self
                .as_seen_by(actor, project.clone(), &mut Vec::new())
                .await?;
            let current = |f: &str| project_field_text(&seen, f);
            self.refuse_conflicts(
                actor,
                ObjectKind::Project,
                project.id.get(),
                (based_on, project.version),
                &fields,
                current,
            )
            .await?;
        }
        let teams: Vec<TeamId> = project.teams.iter().map(|t| t.id).collect();
        let change = self.change(
            actor,
            ObjectKind::Project,
            project.id.get(),
            teams,
            &project.name,
            &fields,
            vec![format!("project-{}", project.id)],
        );
        self.store
            .update_project(project.id, &changes, &change)
            .await?;
        let project = self
            .store
            .project(project.id)
            .await?
            .ok_or_else(|| not_found("project"))?;
        self.as_seen_by(actor, project, &mut Vec::new()).await
    }

    // --- Milestones --------------------------------------------------------------------

    pub async fn milestones(
        &self,
        actor: &Actor,
        project: impl Into<Ref<ProjectId>>,
    ) -> Result<Vec<Milestone>> {
        let project = self.visible_project(actor, project).await?;
        let mut milestones = self.store.milestones(project.id).await?;
        if let Some(counted) = self.progress_seen_by(actor, &project).await? {
            for milestone in &mut milestones {
                milestone.progress = counted
                    .iter()
                    .find(|(id, _)| *id == Some(milestone.id))
                    .map(|(_, p)| *p)
                    .unwrap_or_default();
            }
        }
        Ok(milestones)
    }

    pub async fn create_milestone(
        &self,
        actor: &Actor,
        project: impl Into<Ref<ProjectId>>,
        name: &str,
        target_date: Option<&str>,
    ) -> Result<Milestone> {
        let project = self.visible_project(actor, project).await?;
        let name = required_line("name", name, 200)?;
        if self
            .store
            .milestones(project.id)
            .await?
            .iter()
            .any(|m| m.name.eq_ignore_ascii_case(&name))
        {
            return Err(Error::Conflict(format!(
                "project \"{}\" already has a milestone \"{name}\"",
                project.name
            )));
        }
        let target = parse_optional_date("target_date", target_date.unwrap_or(""))?;
        let change = self.project_part_change(
            actor,
            &project,
            ObjectKind::Milestone,
            0,
            &name,
            &["created"],
        );
        let id = self
            .store
            .create_milestone(project.id, &name, target, &change)
            .await?;
        self.store
            .milestone(id)
            .await?
            .ok_or_else(|| Error::Internal("milestone vanished after insert".into()))
    }

    /// A milestone by id or name within a project.
    pub async fn update_milestone(
        &self,
        actor: &Actor,
        project: impl Into<Ref<ProjectId>>,
        milestone: impl Into<Ref<MilestoneId>>,
        patch: MilestonePatch,
    ) -> Result<Milestone> {
        let project = self.visible_project(actor, project).await?;
        let milestone = self.resolve_milestone(&project, milestone).await?;
        let mut changes = MilestoneChanges::default();
        if let Some(name) = patch.name {
            changes.name = Some(required_line("name", &name, 200)?);
        }
        if let Some(d) = patch.target_date {
            changes.target_date = Some(parse_optional_date("target_date", &d)?);
        }
        changes.position = patch.position;
        let change = self.project_part_change(
            actor,
            &project,
            ObjectKind::Milestone,
            milestone.id.get(),
            &milestone.name,
            &["milestone"],
        );
        self.store
            .update_milestone(milestone.id, &changes, &change)
            .await?;
        self.store
            .milestone(milestone.id)
            .await?
            .ok_or_else(|| not_found("milestone"))
    }

    // --- Cycles ------------------------------------------------------------------------

    /// The cycles of one team, or of all the actor's teams, oldest first.
    pub async fn cycles(&self, actor: &Actor, team: Option<&str>) -> Result<Vec<Cycle>> {
        let teams = match team.filter(|t| !t.trim().is_empty()) {
            Some(key) => vec![self.visible_team(actor, key)?.id],
            None => actor.team_ids(),
        };
        if teams.is_empty() {
            return Ok(vec![]);
        }
        let mut cycles = self.store.cycles(&teams).await?;
        cycles.sort_by_key(|c| (c.team_id, c.starts_on));
        Ok(cycles)
    }

    pub async fn cycle(&self, actor: &Actor, team: &str, reference: &str) -> Result<Cycle> {
        let team = self.visible_team(actor, team)?;
        self.resolve_cycle(&team, reference).await
    }

    pub async fn create_cycle(&self, actor: &Actor, draft: CycleDraft) -> Result<Cycle> {
        let team = self.visible_team(actor, &draft.team)?;
        let starts_on = parse_date("starts_on", &draft.starts_on)?;
        let ends_on = parse_date("ends_on", &draft.ends_on)?;
        check_cycle_length(starts_on, ends_on)?;
        self.check_no_overlap(&team, None, starts_on, ends_on)
            .await?;
        let name = draft
            .name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty());
        let subject = name.clone().unwrap_or_else(|| "a new cycle".into());
        let change = self.change(
            actor,
            ObjectKind::Cycle,
            0,
            vec![team.id],
            &subject,
            &["created"],
            vec![format!("team-{}", team.id)],
        );
        let id = self
            .store
            .create_cycle(team.id, name.as_deref(), starts_on, ends_on, &change)
            .await?;
        self.store
            .cycle(id)
            .await?
            .ok_or_else(|| Error::Internal("cycle vanished after insert".into()))
    }

    pub async fn update_cycle(
        &self,
        actor: &Actor,
        team: &str,
        reference: &str,
        patch: CyclePatch,
    ) -> Result<Cycle> {
        let team = self.visible_team(actor, team)?;
        let cycle = self.resolve_cycle(&team, reference).await?;
        let mut changes = CycleChanges::default();
        if let Some(name) = patch.name {
            changes.name = Some(Some(name.trim().to_string()).filter(|n| !n.is_empty()));
        }
        if let Some(d) = patch.starts_on {
            changes.starts_on = Some(parse_date("starts_on", &d)?);
        }
        if let Some(d) = patch.ends_on {
            changes.ends_on = Some(parse_date("ends_on", &d)?);
        }
        let (start, end) = (
            changes.starts_on.unwrap_or(cycle.starts_on),
            changes.ends_on.unwrap_or(cycle.ends_on),
        );
        if changes.starts_on.is_some() || changes.ends_on.is_some() {
            check_cycle_length(start, end)?;
        }
        self.check_no_overlap(&team, Some(cycle.id), start, end)
            .await?;
        let change = self.change(
            actor,
            ObjectKind::Cycle,
            cycle.id.get(),
            vec![team.id],
            &cycle.display_name(),
            &["cycle"],
            vec![format!("team-{}", team.id), format!("cycle-{}", cycle.id)],
        );
        self.store.update_cycle(cycle.id, &changes, &change).await?;
        self.store
            .cycle(cycle.id)
            .await?
            .ok_or_else(|| not_found("cycle"))
    }

    /// A team works in one cycle at a time, so its cycles may not overlap.
    async fn check_no_overlap(
        &self,
        team: &Team,
        except: Option<CycleId>,
        start: Date,
        end: Date,
    ) -> Result<()> {
        for other in self.store.cycles(&[team.id]).await? {
            if Some(other.id) != except && other.starts_on <= end && start <= other.ends_on {
                return Err(Error::Conflict(format!(
                    "{} of {} already covers {} to {}",
                    other.display_name(),
                    team.key,
                    other.starts_on,
                    other.ends_on
                )));
            }
        }
        Ok(())
    }

    // --- Labels ------------------------------------------------------------------------

    /// Workspace-wide labels and those of the actor's teams (or of one team).
    pub async fn labels(&self, actor: &Actor, team: Option<&str>) -> Result<Vec<Label>> {
        let teams = match team.filter(|t| !t.trim().is_empty()) {
            Some(key) => vec![self.visible_team(actor, key)?.id],
            None => actor.team_ids(),
        };
        self.store.labels(&teams).await
    }

    /// A label for one team, or workspace-wide when `team` is `None`.
    pub async fn create_label(
        &self,
        actor: &Actor,
        team: Option<&str>,
        name: &str,
        color: Option<&str>,
    ) -> Result<Label> {
        let team_id = match team.filter(|t| !t.trim().is_empty()) {
            Some(key) => Some(self.visible_team(actor, key)?.id),
            None => None,
        };
        may_change_label(actor, team_id)?;
        let name = required_line("name", name, 60)?;
        let color = parse_color(color.unwrap_or(DEFAULT_LABEL_COLOR))?;
        // A team label may not shadow a workspace label, nor the reverse: names must resolve.
        let clash = self
            .store
            .labels(&actor.team_ids())
            .await?
            .into_iter()
            .find(|l| {
                l.name.eq_ignore_ascii_case(&name)
                    && (l.team_id.is_none() || team_id.is_none() || l.team_id == team_id)
            });
        if clash.is_some() {
            return Err(Error::Conflict(format!(
                "a label named \"{name}\" already exists"
            )));
        }
        self.store.create_label(team_id, &name, &color).await
    }

    /// A label the actor can see, by id or name; a wrong one answers with the valid names.
    pub async fn visible_label(
        &self,
        actor: &Actor,
        label: impl Into<Ref<LabelId>>,
    ) -> Result<Label> {
        let label = label.into();
        let labels = self.store.labels(&actor.team_ids()).await?;
        label
            .find(&labels, |l| l.id, |l| &l.name)
            .cloned()
            .ok_or_else(|| {
                let names: Vec<&str> = labels.iter().map(|l| l.name.as_str()).collect();
                unknown_choice("Label", &label.shown(), "", &names)
            })
    }

    /// A visible label by name (or id), then its new name and color.
    pub async fn update_label(
        &self,
        actor: &Actor,
        label: impl Into<Ref<LabelId>>,
        name: Option<&str>,
        color: Option<&str>,
    ) -> Result<Label> {
        let found = self.visible_label(actor, label).await?;
        may_change_label(actor, found.team_id)?;
        let name = name.map(|n| required_line("name", n, 60)).transpose()?;
        let color = color.map(parse_color).transpose()?;
        self.store
            .update_label(found.id, name.as_deref(), color.as_deref())
            .await?;
        self.store
            .label(found.id)
            .await?
            .ok_or_else(|| not_found("label"))
    }

    /// A visible label with how many tasks carry it, for the confirmation before deleting.
    pub async fn label_with_task_count(
        &self,
        actor: &Actor,
        label: impl Into<Ref<LabelId>>,
    ) -> Result<(Label, u64)> {
        let found = self.visible_label(actor, label).await?;
        let tasks = self.store.label_task_count(found.id).await?;
        Ok((found, tasks))
    }

    /// Deletes a label for good, taking it off every task that has it. A team's admins
    /// delete its labels; workspace admins delete the workspace-wide ones. A web-only power:
    /// no tool offers it.
    pub async fn delete_label(
        &self,
        actor: &Actor,
        label: impl Into<Ref<LabelId>>,
    ) -> Result<Label> {
        let found = self.visible_label(actor, label).await?;
        let allowed = match found.team_id {
            Some(team) => actor.is_team_admin(team),
            None => actor.is_admin(),
        };
        if !allowed {
            return Err(Error::Forbidden(match found.team_id {
                Some(_) => "only the team's admins delete its labels".into(),
                None => "only workspace admins delete workspace-wide labels".into(),
            }));
        }
        self.store.delete_label(found.id).await?;
        Ok(found)
    }
}

/// Who creates, renames and recolors labels: a team's members its labels (the actor sees the
/// team, so it is a member), workspace admins the workspace-wide ones, which every team's
/// tasks show.
fn may_change_label(actor: &Actor, team: Option<TeamId>) -> Result<()> {
    if team.is_none() && !actor.is_admin() {
        return Err(Error::Forbidden(
            "only workspace admins create or change workspace-wide labels; give a team for a team label".into(),
        ));
    }
    Ok(())
}

/// Leaves out of `changes` what would not change `project`: a form sends every field, and
/// only the ones the person changed may count (or conflict).
fn drop_unchanged(changes: &mut ProjectChanges, project: &Project) {
    if changes.name.as_ref() == Some(&project.name) {
        changes.name = None;
    }
    if changes.description.as_ref() == Some(&project.description) {
        changes.description = None;
    }
    if changes.status == Some(project.status) {
        changes.status = None;
    }
    if changes.lead_id == Some(project.lead.as_ref().map(|l| l.id)) {
        changes.lead_id = None;
    }
    if changes.start_date == Some(project.start_date) {
        changes.start_date = None;
    }
    if changes.target_date == Some(project.target_date) {
        changes.target_date = None;
    }
    if let Some(ids) = &changes.team_ids {
        let mut new: Vec<TeamId> = ids.clone();
        let mut old: Vec<TeamId> = project.teams.iter().map(|t| t.id).collect();
        new.sort();
        new.dedup();
        old.sort();
        if new == old {
            changes.team_ids = None;
        }
    }
}

/// A project's field as a conflict message names its current value.
fn project_field_text(project: &Project, field: &str) -> String {
    let date = |d: Option<time::Date>| d.map_or("none".to_string(), |d| d.to_string());
    match field {
        "name" => format!("\"{}\"", project.name),
        "status" => project.status.as_str().to_string(),
        "lead" => project
            .lead
            .as_ref()
            .map_or("none".into(), |l| l.name.clone()),
        "start_date" => date(project.start_date),
        "target_date" => date(project.target_date),
        "teams" => project
            .teams
            .iter()
            .map(|t| t.key.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        _ => "a new text".into(),
    }
}

impl Workspace {
    /// A change to a part of a project (a milestone): seen by the project's teams, on its page.
    fn project_part_change(
        &self,
        actor: &Actor,
        project: &Project,
        kind: ObjectKind,
        object_id: i64,
        subject: &str,
        fields: &[&str],
    ) -> NewChange {
        let teams = project.teams.iter().map(|t| t.id).collect();
        let topics = vec![format!("project-{}", project.id)];
        self.change(actor, kind, object_id, teams, subject, fields, topics)
    }
}
