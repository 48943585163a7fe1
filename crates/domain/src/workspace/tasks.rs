//! Tasks: create, change (with history), search, and the web-only powers (delete, bulk status).

use time::OffsetDateTime;

use super::graph::{GraphPlan, RelationInput};
use super::refs::{TaskRef, is_clear};
use super::{MAX_BODY, MAX_TITLE, Workspace, bounded_text, parse_optional_date, required_line};
use crate::access::Actor;
use crate::changes::{NewChange, ObjectKind, Stamp};
use crate::error::{Error, Result, not_found};
use crate::model::*;
use crate::store::{Lifecycle, NewEvent, NewTask, TaskChanges, TaskUpdate};

/// A new task, in human references: team key, status name, assignee email or `me`, ...
#[derive(Debug, Clone, Default)]
pub struct TaskDraft {
    pub team: String,
    pub title: String,
    pub description: Option<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    pub assignee: Option<String>,
    pub labels: Vec<String>,
    pub project: Option<String>,
    pub milestone: Option<String>,
    pub cycle: Option<String>,
    pub due_date: Option<String>,
    pub estimate: Option<i64>,
    /// The parent's identifier: the new task is its sub-task (same team).
    pub parent: Option<String>,
    /// Relations as the new task sees them; a `duplicate_of` starts it canceled.
    pub relations: Vec<RelationInput>,
}

/// Changes to a task. `None` leaves a field alone; for optional fields an empty string or
/// "none" clears it.
#[derive(Debug, Clone, Default)]
pub struct TaskPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    pub assignee: Option<String>,
    pub labels: Option<Vec<String>>,
    pub project: Option<String>,
    pub milestone: Option<String>,
    pub cycle: Option<String>,
    pub due_date: Option<String>,
    /// `Some(None)` clears the estimate.
    pub estimate: Option<Option<i64>>,
    /// The parent's identifier; `none` (or empty) moves the task to the top level.
    pub parent: Option<String>,
    pub add_relations: Vec<RelationInput>,
    pub remove_relations: Vec<RelationInput>,
    /// The version of the task the change was based on (the page's, or MCP's
    /// `expected_version`). A field that someone else changed since is refused with
    /// `Error::Conflict`, naming who and the current value; other fields go through.
    pub based_on: Option<i64>,
}

fn lifecycle_for(kind: StatusKind, current: Lifecycle, now: OffsetDateTime) -> Lifecycle {
    Lifecycle {
        started_at: match kind {
            StatusKind::Backlog | StatusKind::Unstarted => None,
            _ => current.started_at.or(Some(now)),
        },
        completed_at: (kind == StatusKind::Completed).then(|| current.completed_at.unwrap_or(now)),
        canceled_at: (kind == StatusKind::Canceled).then(|| current.canceled_at.unwrap_or(now)),
    }
}

pub(super) fn parse_priority(p: &str) -> Result<Priority> {
    Priority::parse(p).ok_or_else(|| {
        Error::Invalid(format!(
            "Priority \"{}\" not valid; valid: 0 none, 1 urgent, 2 high, 3 medium, 4 low",
            p.trim()
        ))
    })
}

fn check_estimate(e: Option<i64>) -> Result<Option<i64>> {
    match e {
        Some(v) if !(0..=1000).contains(&v) => {
            Err(Error::Invalid("estimate must be between 0 and 1000".into()))
        }
        other => Ok(other),
    }
}

fn label_names(labels: &[LabelRef]) -> String {
    labels
        .iter()
        .map(|l| l.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn date_text(d: Option<time::Date>) -> Option<String> {
    d.map(|d| d.to_string())
}

/// An update being planned: the changes to write and the history entries that go with
/// them, field by field, from resolved values. A field whose value stays the same changes
/// nothing and writes no history.
struct UpdatePlan<'a> {
    task: &'a Task,
    changes: TaskChanges,
    events: Vec<NewEvent>,
    /// Pages beyond the task's own that the change concerns (related tasks').
    topics: Vec<String>,
}

impl<'a> UpdatePlan<'a> {
    fn new(task: &'a Task) -> UpdatePlan<'a> {
        UpdatePlan {
            task,
            changes: TaskChanges::default(),
            events: Vec::new(),
            topics: Vec::new(),
        }
    }

    /// Writes a history entry if the value changes; says whether it did.
    fn record(&mut self, field: &str, old: Option<String>, new: Option<String>) -> bool {
        if old == new {
            return false;
        }
        self.events.push(NewEvent {
            field: field.into(),
            old,
            new,
        });
        true
    }

    fn title(&mut self, title: String) {
        if self.record("title", Some(self.task.title.clone()), Some(title.clone())) {
            self.changes.title = Some(title);
        }
    }

    fn description(&mut self, description: String) {
        if description != self.task.description {
            // The whole text is in the task; history notes that it changed, not the text twice.
            self.record("description", None, Some("edited".into()));
            self.changes.description = Some(description);
        }
    }

    /// A new status moves the lifecycle times, as of `now` (read only when it changes).
    fn status(&mut self, status: &Status, now: impl FnOnce() -> OffsetDateTime) {
        let task = self.task;
        if self.record(
            "status",
            Some(task.status.name.clone()),
            Some(status.name.clone()),
        ) {
            let current = Lifecycle {
                started_at: task.started_at,
                completed_at: task.completed_at,
                canceled_at: task.canceled_at,
            };
            self.changes.status = Some((status.id, lifecycle_for(status.kind, current, now())));
        }
    }

    fn priority(&mut self, priority: Priority) {
        if self.record(
            "priority",
            Some(self.task.priority.name().into()),
            Some(priority.name().into()),
        ) {
            self.changes.priority = Some(priority);
        }
    }

    fn assignee(&mut self, assignee: Option<UserRef>) {
        let old = self.task.assignee.as_ref().map(|u| u.name.clone());
        if self.record("assignee", old, assignee.as_ref().map(|u| u.name.clone())) {
            self.changes.assignee_id = Some(assignee.map(|u| u.id));
        }
    }

    /// Labels change when the set does (their order does not count).
    fn labels(&mut self, labels: &[Label]) {
        let refs: Vec<LabelRef> = labels
            .iter()
            .map(|l| LabelRef {
                id: l.id,
                name: l.name.clone(),
                color: l.color.clone(),
            })
            .collect();
        let mut old_ids: Vec<LabelId> = self.task.labels.iter().map(|l| l.id).collect();
        let mut new_ids: Vec<LabelId> = refs.iter().map(|l| l.id).collect();
        old_ids.sort();
        new_ids.sort();
        if old_ids != new_ids {
            self.record(
                "labels",
                Some(label_names(&self.task.labels)),
                Some(label_names(&refs)),
            );
            self.changes.label_ids = Some(new_ids);
        }
    }

    /// Returns the task's project once this applies. Leaving a project leaves its milestone,
    /// unless the patch names a milestone itself (`milestone_given`).
    fn project(
        &mut self,
        project: Option<&Project>,
        milestone_given: bool,
    ) -> Option<NamedRef<ProjectId>> {
        let task = self.task;
        let new = project.map(|p| NamedRef {
            id: p.id,
            name: p.name.clone(),
        });
        if self.record(
            "project",
            task.project.as_ref().map(|p| p.name.clone()),
            new.as_ref().map(|p| p.name.clone()),
        ) {
            self.changes.project_id = Some(new.as_ref().map(|p| p.id));
            if task.milestone.is_some() && !milestone_given {
                self.record(
                    "milestone",
                    task.milestone.as_ref().map(|m| m.name.clone()),
                    None,
                );
                self.changes.milestone_id = Some(None);
            }
        }
        new
    }

    fn milestone(&mut self, milestone: Option<NamedRef<MilestoneId>>) {
        if self.record(
            "milestone",
            self.task.milestone.as_ref().map(|m| m.name.clone()),
            milestone.as_ref().map(|m| m.name.clone()),
        ) {
            self.changes.milestone_id = Some(milestone.map(|m| m.id));
        }
    }

    fn cycle(&mut self, cycle: Option<&Cycle>) {
        let new = cycle.map(|c| NamedRef {
            id: c.id,
            name: c.display_name(),
        });
        if self.record(
            "cycle",
            self.task.cycle.as_ref().map(|c| c.name.clone()),
            new.as_ref().map(|c| c.name.clone()),
        ) {
            self.changes.cycle_id = Some(new.map(|c| c.id));
        }
    }

    fn due_date(&mut self, due: Option<time::Date>) {
        if self.record("due_date", date_text(self.task.due_date), date_text(due)) {
            self.changes.due_date = Some(due);
        }
    }

    fn estimate(&mut self, estimate: Option<i64>) {
        if self.record(
            "estimate",
            self.task.estimate.map(|e| e.to_string()),
            estimate.map(|e| e.to_string()),
        ) {
            self.changes.estimate = Some(estimate);
        }
    }

    /// The parent and relations a patch changes (already compared with the task's).
    fn graph(&mut self, graph: GraphPlan) {
        self.changes.parent_id = graph.parent_id;
        self.changes.add_relations = graph.add;
        self.changes.remove_relations = graph.remove;
        self.events.extend(graph.events);
        self.topics.extend(graph.topics);
    }

    /// The update, with its feed row: the fields it changes and the pages it concerns (the
    /// task's project and cycle before and after).
    fn into_update(self, stamp: Stamp, planned_on: Option<i64>) -> TaskUpdate {
        let task = self.task;
        let mut fields: Vec<String> = Vec::new();
        for e in &self.events {
            if !fields.contains(&e.field) {
                fields.push(e.field.clone());
            }
        }
        let mut change = NewChange::task(task, fields, stamp);
        if let Some(Some(project)) = self.changes.project_id {
            change = change.with_topic(format!("project-{project}"));
        }
        if let Some(Some(cycle)) = self.changes.cycle_id {
            change = change.with_topic(format!("cycle-{cycle}"));
        }
        // A parent's page lists its sub-tasks' statuses: the old parent's and the new one's.
        let parents = [task.parent_id, self.changes.parent_id.flatten()];
        for parent in parents.into_iter().flatten() {
            change = change.with_topic(format!("task-{parent}"));
        }
        for topic in self.topics {
            change = change.with_topic(topic);
        }
        TaskUpdate {
            task_id: task.id,
            changes: self.changes,
            events: self.events,
            change,
            planned_on,
        }
    }
}

impl Workspace {
    pub async fn create_task(&self, actor: &Actor, mut draft: TaskDraft) -> Result<Task> {
        let team = self.visible_team(actor, &draft.team)?;
        let (links, cancels) = self
            .prepare_links(actor, team.id, draft.parent.as_deref(), &draft.relations)
            .await?;
        if cancels && draft.status.as_deref().is_none_or(is_clear) {
            draft.status = Some(self.canceled_status(team.id).await?.name);
        }
        let task = self.prepare_task(actor, draft).await?;
        let mut task = if links.parent_id.is_none() && links.relations.is_empty() {
            self.store.insert_task(task).await?
        } else {
            self.store.insert_task_linked(task, &links).await?
        };
        self.mark_blocked(actor, std::slice::from_mut(&mut task))
            .await?;
        Ok(task)
    }

    /// Resolves and checks a draft into a task ready to insert, writing nothing: used by
    /// `create_task` and by imports, which insert many at once.
    pub async fn prepare_task(&self, actor: &Actor, draft: TaskDraft) -> Result<NewTask> {
        let team = self.visible_team(actor, &draft.team)?;
        let title = required_line("title", &draft.title, MAX_TITLE)?;
        let description = bounded_text(
            "description",
            draft.description.as_deref().unwrap_or(""),
            MAX_BODY,
        )?;
        let status = match draft.status.as_deref() {
            Some(s) if !is_clear(s) => self.resolve_status(&team, s).await?,
            // A new task starts in the team's first unstarted status ("Todo"), as in Linear.
            _ => self.default_status(&team).await?,
        };
        let priority = match draft.priority.as_deref() {
            Some(p) if !is_clear(p) => parse_priority(p)?,
            _ => Priority::NONE,
        };
        let assignee = match draft.assignee.as_deref() {
            Some(a) => self.resolve_member(actor, &team, a).await?,
            None => None,
        };
        let labels = self
            .resolve_labels(&[team.id], &draft.labels, &team.key)
            .await?;
        let project = match draft.project.as_deref() {
            Some(p) if !is_clear(p) => Some(self.project_for_team(actor, p, &team).await?),
            _ => None,
        };
        let milestone = match (draft.milestone.as_deref(), &project) {
            (Some(m), Some(p)) if !is_clear(m) => Some(self.resolve_milestone(p, m).await?),
            (Some(m), None) if !is_clear(m) => {
                return Err(Error::Invalid(
                    "a milestone needs a project; set project too".into(),
                ));
            }
            _ => None,
        };
        let cycle = match draft.cycle.as_deref() {
            Some(c) if !is_clear(c) => Some(self.resolve_cycle(&team, c).await?),
            _ => None,
        };
        let due_date = parse_optional_date("due_date", draft.due_date.as_deref().unwrap_or(""))?;
        let estimate = check_estimate(draft.estimate)?;
        let now = self.now();
        let mut task = NewTask {
            team_id: team.id,
            title,
            description,
            status_id: status.id,
            priority,
            assignee_id: assignee.map(|a| a.id),
            creator_id: actor.id(),
            label_ids: labels.iter().map(|l| l.id).collect(),
            project_id: project.map(|p| p.id),
            milestone_id: milestone.map(|m| m.id),
            cycle_id: cycle.map(|c| c.id),
            due_date,
            estimate,
            times: lifecycle_for(status.kind, Lifecycle::default(), now),
            now,
            via: actor.via().clone(),
            inbox: Default::default(),
        };
        task.inbox = self.inbox_for_new_task(&task).await?;
        Ok(task)
    }

    /// Inserts tasks prepared by the operator at the machine (seeding a benchmark) in one
    /// transaction, without resolving references one by one. Their team ids are taken as
    /// given, so no signed-in user may call it, admin or not.
    pub async fn seed_tasks(
        &self,
        by: super::Caller<'_>,
        tasks: &[NewTask],
    ) -> Result<Vec<TaskId>> {
        match by {
            super::Caller::Operator => self.store.insert_tasks(tasks).await,
            super::Caller::User(_) => Err(Error::Forbidden(
                "seeding is for the operator at the machine".into(),
            )),
        }
    }

    async fn default_status(&self, team: &Team) -> Result<Status> {
        let statuses = self.store.statuses(team.id).await?;
        statuses
            .iter()
            .find(|s| s.kind == StatusKind::Unstarted)
            .or_else(|| statuses.first())
            .cloned()
            .ok_or_else(|| Error::Internal(format!("team {} has no statuses", team.key)))
    }

    /// A visible project that includes the task's team.
    async fn project_for_team(
        &self,
        actor: &Actor,
        reference: &str,
        team: &Team,
    ) -> Result<Project> {
        let project = self.visible_project(actor, reference).await?;
        if !project.teams.iter().any(|t| t.id == team.id) {
            return Err(Error::Invalid(format!(
                "project \"{}\" does not include team {}",
                project.name, team.key
            )));
        }
        Ok(project)
    }

    /// A task the actor may see, with its "blocked" marker as the actor sees it.
    pub async fn task(&self, actor: &Actor, id: &TaskRef) -> Result<Task> {
        let mut task = self.visible_task(actor, id).await?;
        self.mark_blocked(actor, std::slice::from_mut(&mut task))
            .await?;
        Ok(task)
    }

    /// Applies a patch. The task is read, checked against the patch's `based_on` and
    /// written only if it still has the version that was read; if another change came in
    /// between, all of it is done again on the newer task.
    pub async fn update_task(&self, actor: &Actor, id: &TaskRef, patch: TaskPatch) -> Result<Task> {
        for _ in 0..UPDATE_ATTEMPTS {
            let task = self.visible_task(actor, id).await?;
            let update = self
                .plan_update(actor, &task, patch.clone(), Some(task.version))
                .await?;
            if let Some(based_on) = patch.based_on {
                let fields: Vec<&str> = update.change.fields.iter().map(String::as_str).collect();
                let versions = (based_on, task.version);
                let current = |f: &str| task_field_text(&task, f);
                self.refuse_conflicts(
                    actor,
                    ObjectKind::Task,
                    task.id.get(),
                    versions,
                    &fields,
                    current,
                )
                .await?;
            }
            if update.events.is_empty() || self.store.update_tasks(&[update]).await? {
                let mut task = self
                    .store
                    .task(task.id)
                    .await?
                    .ok_or_else(|| not_found(format!("Task {}", task.identifier())))?;
                self.mark_blocked(actor, std::slice::from_mut(&mut task))
                    .await?;
                return Ok(task);
            }
        }
        Err(Error::Busy(
            "this task is changing too often right now; try again in a moment".into(),
        ))
    }

    /// Works out the changes and their history entries, resolving every reference first,
    /// so that nothing is written when any part of the patch is wrong. Fields are checked,
    /// and their history entries written, in the order below.
    async fn plan_update(
        &self,
        actor: &Actor,
        task: &Task,
        patch: TaskPatch,
        planned_on: Option<i64>,
    ) -> Result<TaskUpdate> {
        let team = Team {
            id: task.team_id,
            key: task.team_key.clone(),
            name: String::new(),
        };
        let mut plan = UpdatePlan::new(task);
        let graph = self
            .plan_graph(
                actor,
                task,
                patch.parent.as_deref(),
                &patch.add_relations,
                &patch.remove_relations,
            )
            .await?;
        let status = match (patch.status, graph.cancels) {
            (Some(status), _) => Some(self.resolve_status(&team, &status).await?),
            (None, true) => Some(self.canceled_status(team.id).await?),
            (None, false) => None,
        };
        plan.graph(graph);
        if let Some(title) = patch.title {
            plan.title(required_line("title", &title, MAX_TITLE)?);
        }
        if let Some(description) = patch.description {
            plan.description(bounded_text("description", &description, MAX_BODY)?);
        }
        if let Some(status) = status {
            plan.status(&status, || self.now());
            if status.id != task.status.id {
                plan.topics.extend(self.related_topics(task.id).await?);
            }
        }
        if let Some(priority) = patch.priority {
            plan.priority(if is_clear(&priority) {
                Priority::NONE
            } else {
                parse_priority(&priority)?
            });
        }
        if let Some(assignee) = patch.assignee {
            plan.assignee(self.resolve_member(actor, &team, &assignee).await?);
        }
        if let Some(labels) = patch.labels {
            let labels = self.resolve_labels(&[team.id], &labels, &team.key).await?;
            plan.labels(&labels);
        }
        let mut project_now = task.project.clone();
        if let Some(project) = patch.project {
            let project = if is_clear(&project) {
                None
            } else {
                Some(self.project_for_team(actor, &project, &team).await?)
            };
            project_now = plan.project(project.as_ref(), patch.milestone.is_some());
        }
        if let Some(milestone) = patch.milestone {
            let milestone = if is_clear(&milestone) {
                None
            } else {
                Some(
                    self.milestone_of(actor, project_now.as_ref(), &milestone)
                        .await?,
                )
            };
            plan.milestone(milestone);
        }
        if let Some(cycle) = patch.cycle {
            let cycle = if is_clear(&cycle) {
                None
            } else {
                Some(self.resolve_cycle(&team, &cycle).await?)
            };
            plan.cycle(cycle.as_ref());
        }
        if let Some(due) = patch.due_date {
            plan.due_date(parse_optional_date("due_date", &due)?);
        }
        if let Some(estimate) = patch.estimate {
            plan.estimate(check_estimate(estimate)?);
        }
        let mut update = plan.into_update(self.stamp(actor), planned_on);
        update.change.inbox = self.inbox_for_update(actor, task, &update.changes).await?;
        Ok(update)
    }

    /// The milestone a patch names, in the project the task has once the patch applies.
    async fn milestone_of(
        &self,
        actor: &Actor,
        project: Option<&NamedRef<ProjectId>>,
        reference: &str,
    ) -> Result<NamedRef<MilestoneId>> {
        let project = project
            .ok_or_else(|| Error::Invalid("a milestone needs a project; set project too".into()))?;
        let project = self.visible_project(actor, project.id).await?;
        let m = self.resolve_milestone(&project, reference).await?;
        Ok(NamedRef {
            id: m.id,
            name: m.name,
        })
    }

    pub async fn task_history(&self, actor: &Actor, id: &TaskRef) -> Result<Vec<TaskEvent>> {
        let task = self.visible_task(actor, id).await?;
        let mut history = self.store.task_history(task.id).await?;
        super::graph::hide_unseen_relations(actor, &mut history);
        Ok(history)
    }

    /// Moves a task to its team's Trash. Its identifier is never reused.
    pub async fn delete_task(&self, actor: &Actor, id: &TaskRef) -> Result<()> {
        let task = self.visible_task(actor, id).await?;
        let change = NewChange::task(&task, vec!["deleted".into()], self.stamp(actor));
        // Its parent's page lists it.
        let change = match task.parent_id {
            Some(parent) => change.with_topic(format!("task-{parent}")),
            None => change,
        };
        self.store.delete_task(task.id, &change).await?;
        self.store
            .set_deleted_by(TrashKind::Task, task.id.get(), actor.id())
            .await
    }

    /// Sets the status of several tasks in one transaction, one history entry per task.
    /// Every identifier must be visible and the status valid in every task's team, or
    /// nothing changes.
    pub async fn set_status_many(
        &self,
        actor: &Actor,
        ids: &[String],
        status: &str,
    ) -> Result<Vec<Task>> {
        let changes: Vec<(String, String)> = ids
            .iter()
            .map(|id| (id.clone(), status.to_string()))
            .collect();
        self.set_statuses(actor, &changes).await
    }

    /// Sets each task's own status, all in one transaction.
    pub async fn set_statuses(
        &self,
        actor: &Actor,
        changes: &[(String, String)],
    ) -> Result<Vec<Task>> {
        let planned = self.plan_statuses(actor, changes).await?;
        self.store.update_tasks(&planned.updates).await?;
        self.tasks_by_id(&planned.tasks).await
    }

    /// `set_status_many`, kept so that the actor can undo it for `UNDO_FOR`, from any
    /// server process: the change and its record are written in one transaction.
    pub async fn set_status_many_undoable(
        &self,
        actor: &Actor,
        ids: &[String],
        status: &str,
    ) -> Result<BulkChange> {
        let changes: Vec<(String, String)> = ids
            .iter()
            .map(|id| (id.clone(), status.to_string()))
            .collect();
        let planned = self.plan_statuses(actor, &changes).await?;
        let now = self.now();
        let mut change = BulkChange {
            // The store numbers the change as it keeps it.
            id: BulkChangeId::new(0),
            user_id: actor.id(),
            status: status.trim().to_string(),
            previous: planned.previous,
            created_at: now,
        };
        change.id = self
            .store
            .update_tasks_keeping_undo(&planned.updates, &change, now - UNDO_FOR)
            .await?;
        Ok(change)
    }

    /// A bulk change the actor made and may still undo; anyone else's, or an expired one,
    /// is not found.
    pub async fn bulk_change(&self, actor: &Actor, id: BulkChangeId) -> Result<BulkChange> {
        self.store
            .bulk_change(id)
            .await?
            .filter(|c| c.user_id == actor.id() && self.now() - c.created_at < UNDO_FOR)
            .ok_or_else(no_undo)
    }

    /// Puts back the statuses a bulk change replaced, once, in one transaction. Access is
    /// checked again: a task the actor can no longer see stops the undo.
    pub async fn undo_bulk_change(&self, actor: &Actor, id: BulkChangeId) -> Result<Vec<Task>> {
        let change = self.bulk_change(actor, id).await?;
        let planned = self.plan_statuses(actor, &change.previous).await?;
        if !self.store.undo_bulk_change(id, &planned.updates).await? {
            return Err(no_undo());
        }
        self.tasks_by_id(&planned.tasks).await
    }

    /// The updates that set each visible task's status, with what they replace. Every
    /// identifier must be visible and every status valid in its task's team.
    async fn plan_statuses(
        &self,
        actor: &Actor,
        changes: &[(String, String)],
    ) -> Result<PlannedStatuses> {
        if changes.is_empty() {
            return Err(Error::Invalid("no tasks given".into()));
        }
        if changes.len() > MAX_BULK {
            return Err(Error::Invalid(format!("at most {MAX_BULK} tasks at once")));
        }
        let mut planned = PlannedStatuses::default();
        for (id, status) in changes {
            let task = self.visible_task(actor, &id.parse()?).await?;
            let patch = TaskPatch {
                status: Some(status.to_string()),
                ..Default::default()
            };
            // A bulk change sets the status whatever else happened meanwhile: no version check.
            let update = self.plan_update(actor, &task, patch, None).await?;
            if !update.events.is_empty() {
                planned.updates.push(update);
            }
            planned
                .previous
                .push((task.identifier(), task.status.name.clone()));
            planned.tasks.push(task.id);
        }
        Ok(planned)
    }

    async fn tasks_by_id(&self, ids: &[TaskId]) -> Result<Vec<Task>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.store.task(*id).await?);
        }
        Ok(out)
    }
}

fn no_undo() -> Error {
    Error::NotFound(
        "This change can no longer be undone (it was undone already, or is more than 30 minutes old).".into(),
    )
}

/// How often `update_task` plans again when other changes keep coming in between.
const UPDATE_ATTEMPTS: usize = 5;

/// A task's field as a conflict message names its current value.
fn task_field_text(task: &Task, field: &str) -> String {
    let or_none = |v: Option<String>| v.unwrap_or_else(|| "none".into());
    match field {
        "title" => format!("\"{}\"", task.title),
        "status" => task.status.name.clone(),
        "priority" => task.priority.name().to_string(),
        "assignee" => or_none(task.assignee.as_ref().map(|u| u.name.clone())),
        "labels" => or_none(Some(label_names(&task.labels)).filter(|l| !l.is_empty())),
        "project" => or_none(task.project.as_ref().map(|p| p.name.clone())),
        "milestone" => or_none(task.milestone.as_ref().map(|m| m.name.clone())),
        "cycle" => or_none(task.cycle.as_ref().map(|c| c.name.clone())),
        "due_date" => or_none(date_text(task.due_date)),
        "estimate" => or_none(task.estimate.map(|e| e.to_string())),
        "parent" => "another parent".into(),
        "relations" => "other relations".into(),
        _ => "a new text".into(),
    }
}

/// The most tasks one bulk change may touch.
pub const MAX_BULK: usize = 1000;
/// How long a bulk status change can be undone.
pub const UNDO_FOR: time::Duration = time::Duration::minutes(30);

#[derive(Default)]
struct PlannedStatuses {
    updates: Vec<TaskUpdate>,
    /// Each task's identifier and status name before the change.
    previous: Vec<(String, String)>,
    tasks: Vec<TaskId>,
}
