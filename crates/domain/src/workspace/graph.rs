//! The work graph: sub-tasks (a parent in the same team, to any depth, never a cycle) and
//! relations (`blocks`, `relates_to`, `duplicate_of`, across teams), resolved and checked
//! before anything is written, and read back through the access rule: a relation to a task
//! the reader cannot see is neither shown nor counted, nor does it make a task blocked.

use std::collections::HashSet;

use super::Workspace;
use super::refs::{TaskRef, is_clear};
use crate::access::Actor;
use crate::changes::{NewChange, ObjectKind, related_task_topic, related_team_topic, task_topics};
use crate::error::{Error, Result};
use crate::model::*;
use crate::store::{NewEvent, NewLinks};

/// The most children `task_graph` lists (the oldest first); `children_progress.total`
/// counts them all, so a reader knows how many more there are.
pub const MAX_CHILDREN_SHOWN: usize = 50;
/// The most relations `task_graph` lists, blockers first; `more_relations` says if more.
pub const MAX_RELATIONS_SHOWN: usize = 50;
/// The most relations of one task an export carries.
pub const MAX_RELATIONS_EXPORTED: usize = 10_000;
/// The most relations one create or update may add or remove.
pub const MAX_RELATIONS_PER_CHANGE: usize = 20;
/// How far up the parent chain the cycle check looks; deeper nesting is refused.
pub const MAX_DEPTH: usize = 1000;
/// The most related tasks whose pages hear of a task's status change at once.
const MAX_RELATED_TOPICS: usize = 50;

/// The most tasks that go to the Trash with one parent (all its descendants).
pub const MAX_TREE_DELETED: usize = 1000;

/// What deleting a parent does to its sub-tasks (the web app asks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubTasks {
    /// They, and theirs, go to the Trash with it; restoring it brings them back.
    GoWithIt,
    /// They stay, at the top level.
    MoveToTopLevel,
}

/// A relation in human references: "this task <kind> <task>".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationInput {
    pub kind: String,
    pub task: String,
}

/// What a change does to a task's place in the graph, resolved and checked.
#[derive(Debug, Default)]
pub(super) struct GraphPlan {
    pub parent_id: Option<Option<TaskId>>,
    pub add: Vec<(RelationKind, TaskId)>,
    pub remove: Vec<(RelationKind, TaskId)>,
    pub events: Vec<NewEvent>,
    /// The pages of the other tasks, which show this relation too.
    pub topics: Vec<String>,
    /// A `duplicate_of` was added: the task moves to a canceled status, as in Linear.
    pub cancels: bool,
}

fn relation_text(kind: RelationKind, other: &str) -> String {
    format!("{} {other}", kind.label())
}

/// Drops from a task's history the relations to tasks of teams the actor is not in: a
/// relation the task page hides must not be told by its history ("added the relation
/// blocked by DES-1"). The other task is named by identifier in the entry's text.
pub(super) fn hide_unseen_relations(actor: &Actor, history: &mut Vec<TaskEvent>) {
    let seen = |text: &Option<String>| {
        let Some(text) = text else { return true };
        let other = text
            .rsplit(' ')
            .next()
            .and_then(|w| w.parse::<TaskRef>().ok());
        other.is_some_and(|r| actor.can_see_team_key(r.key()))
    };
    history.retain(|e| e.field != "relations" || (seen(&e.old) && seen(&e.new)));
}

fn parse_kind(kind: &str) -> Result<RelationKind> {
    RelationKind::parse(kind).ok_or_else(|| {
        Error::Invalid(format!(
            "relation type \"{}\" not valid; valid: blocks, blocked_by, relates_to, duplicate_of",
            kind.trim()
        ))
    })
}

impl Workspace {
    /// The task's parent, children and relations as the actor sees them.
    pub async fn task_graph(&self, actor: &Actor, task: &Task) -> Result<TaskGraph> {
        let parent = match task.parent_id {
            Some(id) => self.store.task_links(&[id]).await?.into_iter().next(),
            None => None,
        };
        let (children, mut relations) = self
            .store
            .children_and_relations(
                task.id,
                &actor.team_ids(),
                MAX_CHILDREN_SHOWN,
                MAX_RELATIONS_SHOWN + 1,
            )
            .await?;
        // Fewer than a full list are all of them: counted here, without another query.
        let children_progress = if children.len() < MAX_CHILDREN_SHOWN {
            let of = |kind| children.iter().filter(|c| c.status.kind == kind).count() as i64;
            Progress {
                total: children.len() as i64,
                completed: of(StatusKind::Completed),
                canceled: of(StatusKind::Canceled),
            }
        } else {
            self.store.children_progress(task.id).await?
        };
        let more_relations = relations.len() > MAX_RELATIONS_SHOWN;
        relations.truncate(MAX_RELATIONS_SHOWN);
        Ok(TaskGraph {
            parent,
            children,
            children_progress,
            relations,
            more_relations,
        })
    }

    /// A task with its place in the graph, as `task` and `task_graph` give them, its
    /// "blocked" marker read off the relations when they are all there (a query fewer).
    pub async fn task_with_graph(&self, actor: &Actor, id: &TaskRef) -> Result<(Task, TaskGraph)> {
        let mut task = self.visible_task(actor, id).await?;
        let graph = self.task_graph(actor, &task).await?;
        if graph.more_relations {
            self.mark_blocked(actor, std::slice::from_mut(&mut task))
                .await?;
        } else {
            task.blocked = graph
                .relations
                .iter()
                .any(|r| r.kind == RelationKind::BlockedBy && !r.task.status.kind.is_closed());
        }
        Ok((task, graph))
    }

    /// Every relation of a task that the actor may see (an export carries them all, not
    /// the `MAX_RELATIONS_SHOWN` a page lists), at most `MAX_RELATIONS_EXPORTED`.
    pub async fn all_relations(&self, actor: &Actor, task: &Task) -> Result<Vec<TaskRelation>> {
        self.store
            .relations(task.id, &actor.team_ids(), MAX_RELATIONS_EXPORTED)
            .await
    }

    /// Sets `blocked` on each task: whether a blocker the actor can see is still open.
    /// One query for the whole page.
    pub async fn mark_blocked(&self, actor: &Actor, tasks: &mut [Task]) -> Result<()> {
        let ids: Vec<TaskId> = tasks.iter().map(|t| t.id).collect();
        let blocked: HashSet<TaskId> = self
            .store
            .blocked_among(&ids, &actor.team_ids())
            .await?
            .into_iter()
            .collect();
        for task in tasks {
            task.blocked = blocked.contains(&task.id);
        }
        Ok(())
    }

    /// The live tasks that `task` blocks, whatever their team: the inbox tells their people
    /// when it is completed (after its own access check), at most `limit` of them.
    pub async fn tasks_blocked_by(&self, task: TaskId, limit: usize) -> Result<Vec<TaskId>> {
        self.store.tasks_blocked_by(task, limit).await
    }

    /// A parent for a task of `team`: visible, in the same team, and neither the task itself
    /// nor one of its descendants (`child` is `None` for a task not created yet).
    pub(super) async fn resolve_parent(
        &self,
        actor: &Actor,
        team: TeamId,
        child: Option<&Task>,
        reference: &str,
    ) -> Result<Task> {
        let id: TaskRef = reference.parse()?;
        let parent = self.visible_task(actor, &id).await?;
        if parent.team_id != team {
            return Err(Error::Invalid(format!(
                "parent {} is in another team; a sub-task stays in its parent's team",
                parent.identifier()
            )));
        }
        if let Some(child) = child {
            let ancestors = self.store.ancestors(parent.id, MAX_DEPTH).await?;
            if parent.id == child.id || ancestors.contains(&child.id) {
                return Err(Error::Invalid(format!(
                    "{} cannot be the parent of {}: it is {} (a task cannot be its own ancestor)",
                    parent.identifier(),
                    child.identifier(),
                    if parent.id == child.id {
                        "the task itself"
                    } else {
                        "one of its sub-tasks"
                    }
                )));
            }
            if ancestors.len() >= MAX_DEPTH {
                return Err(Error::Invalid(format!(
                    "sub-tasks nest at most {MAX_DEPTH} levels deep"
                )));
            }
        }
        Ok(parent)
    }

    /// Each relation's type and visible task; a task related to itself is refused.
    async fn resolve_relations(
        &self,
        actor: &Actor,
        this: Option<&Task>,
        inputs: &[RelationInput],
    ) -> Result<Vec<(RelationKind, Task)>> {
        if inputs.len() > MAX_RELATIONS_PER_CHANGE {
            return Err(Error::Invalid(format!(
                "at most {MAX_RELATIONS_PER_CHANGE} relations at once"
            )));
        }
        let mut out = Vec::with_capacity(inputs.len());
        for input in inputs {
            let kind = parse_kind(&input.kind)?;
            let other = self.visible_task(actor, &input.task.parse()?).await?;
            if this.is_some_and(|t| t.id == other.id) {
                return Err(Error::Invalid(format!(
                    "{} cannot be related to itself",
                    other.identifier()
                )));
            }
            out.push((kind, other));
        }
        Ok(out)
    }

    /// The links of a task being created in `team`, and whether it starts canceled (it is
    /// a duplicate).
    pub(super) async fn prepare_links(
        &self,
        actor: &Actor,
        team: TeamId,
        parent: Option<&str>,
        relations: &[RelationInput],
    ) -> Result<(NewLinks, bool)> {
        let parent_id = match parent.filter(|p| !is_clear(p)) {
            Some(p) => Some(self.resolve_parent(actor, team, None, p).await?.id),
            None => None,
        };
        let relations = self.resolve_relations(actor, None, relations).await?;
        let cancels = relations
            .iter()
            .any(|(k, _)| *k == RelationKind::DuplicateOf);
        let topics = parent_id
            .map(|p| format!("task-{p}"))
            .into_iter()
            .chain(
                relations
                    .iter()
                    .map(|(_, t)| related_task_topic(t.team_id, t.id)),
            )
            .collect();
        let links = NewLinks {
            parent_id,
            relations: relations.iter().map(|(k, t)| (*k, t.id)).collect(),
            topics,
        };
        Ok((links, cancels))
    }

    /// What a patch does to the task's parent and relations, with its history entries.
    /// Adding a relation that is there, or removing one that is not, changes nothing.
    pub(super) async fn plan_graph(
        &self,
        actor: &Actor,
        task: &Task,
        parent: Option<&str>,
        add: &[RelationInput],
        remove: &[RelationInput],
    ) -> Result<GraphPlan> {
        let mut plan = GraphPlan::default();
        if let Some(parent) = parent {
            let new = match is_clear(parent) {
                true => None,
                false => Some(
                    self.resolve_parent(actor, task.team_id, Some(task), parent)
                        .await?,
                ),
            };
            if new.as_ref().map(|p| p.id) != task.parent_id {
                let old = match task.parent_id {
                    Some(id) => self.store.task_links(&[id]).await?.pop(),
                    None => None,
                };
                plan.events.push(NewEvent {
                    field: "parent".into(),
                    old: old.map(|p| p.identifier),
                    new: new.as_ref().map(|p| p.identifier()),
                });
                plan.parent_id = Some(new.map(|p| p.id));
            }
        }
        if add.is_empty() && remove.is_empty() {
            return Ok(plan);
        }
        let remove = self.resolve_relations(actor, Some(task), remove).await?;
        let add = self.resolve_relations(actor, Some(task), add).await?;
        // Only the relations with the tasks named: a task may have any number of others.
        let named: Vec<TaskId> = remove.iter().chain(&add).map(|(_, t)| t.id).collect();
        let existing: HashSet<(RelationKind, TaskId)> = self
            .store
            .relations_among(task.id, &named, &actor.team_ids())
            .await?
            .into_iter()
            .map(|r| (r.kind, r.task.id))
            .collect();
        for (kind, other) in remove {
            if existing.contains(&(kind, other.id)) && !plan.remove.contains(&(kind, other.id)) {
                plan.events.push(NewEvent {
                    field: "relations".into(),
                    old: Some(relation_text(kind, &other.identifier())),
                    new: None,
                });
                plan.remove.push((kind, other.id));
                plan.topics
                    .push(related_task_topic(other.team_id, other.id));
            }
        }
        for (kind, other) in add {
            let removed = plan.remove.contains(&(kind, other.id));
            if (removed || !existing.contains(&(kind, other.id)))
                && !plan.add.contains(&(kind, other.id))
            {
                plan.events.push(NewEvent {
                    field: "relations".into(),
                    old: None,
                    new: Some(relation_text(kind, &other.identifier())),
                });
                plan.add.push((kind, other.id));
                plan.cancels |= kind == RelationKind::DuplicateOf;
                plan.topics
                    .push(related_task_topic(other.team_id, other.id));
                plan.topics.push(related_team_topic(other.team_id));
            }
        }
        Ok(plan)
    }

    /// The pages of the tasks related to `task`, which show its status, and their lists
    /// (a blocker moving between open and closed changes their "blocked" marker).
    pub(super) async fn related_topics(&self, task: TaskId) -> Result<Vec<String>> {
        let links = self.store.related_tasks(task, MAX_RELATED_TOPICS).await?;
        let mut topics = Vec::with_capacity(links.len() * 2);
        for link in links {
            topics.push(related_task_topic(link.team_id, link.id));
            topics.push(related_team_topic(link.team_id));
        }
        Ok(topics)
    }

    /// The identifiers of the tasks among `ids` that the actor may see (an import names the
    /// tasks it inserted by id).
    pub async fn task_identifiers(
        &self,
        actor: &Actor,
        ids: &[TaskId],
    ) -> Result<Vec<(TaskId, String)>> {
        let links = self.store.task_links(ids).await?;
        Ok(links
            .into_iter()
            .filter(|l| actor.can_see_team(l.team_id))
            .map(|l| (l.id, l.identifier))
            .collect())
    }

    /// Moves a task to the Trash, its sub-tasks with it or to the top level, in one
    /// transaction: web only, like `delete_task`.
    pub async fn delete_task_and_sub_tasks(
        &self,
        actor: &Actor,
        id: &TaskRef,
        sub_tasks: SubTasks,
    ) -> Result<()> {
        let task = self.visible_task(actor, id).await?;
        let stamp = self.stamp(actor);
        let deleted = || vec!["deleted".to_string()];
        let mut root = NewChange::task(&task, deleted(), stamp.clone());
        if let Some(parent) = task.parent_id {
            root = root.with_topic(format!("task-{parent}"));
        }
        let mut deletions = vec![(task.id, root)];
        if sub_tasks == SubTasks::GoWithIt {
            let mut parents = vec![task.id];
            while let Some(parent) = parents.pop() {
                for child in self.store.children(parent, MAX_TREE_DELETED + 1).await? {
                    if deletions.len() > MAX_TREE_DELETED {
                        return Err(Error::Invalid(format!(
                            "{} has more than {MAX_TREE_DELETED} sub-tasks; move some to the top level first",
                            task.identifier()
                        )));
                    }
                    let change = NewChange {
                        kind: ObjectKind::Task,
                        object_id: child.id.get(),
                        teams: vec![child.team_id],
                        subject: child.identifier.clone(),
                        fields: deleted(),
                        topics: task_topics(child.team_id, child.id, None, None),
                        stamp: stamp.clone(),
                        inbox: Default::default(),
                    };
                    parents.push(child.id);
                    deletions.push((child.id, change));
                }
            }
        }
        let detach = (sub_tasks == SubTasks::MoveToTopLevel).then_some(task.id);
        self.store.delete_tasks_together(&deletions, detach).await?;
        for (id, _) in &deletions {
            self.store
                .set_deleted_by(TrashKind::Task, id.get(), actor.id())
                .await?;
        }
        Ok(())
    }

    /// The deleted sub-tasks (and theirs) that went to the Trash with `task`: a restore
    /// brings them back with it.
    pub(super) async fn deleted_together(&self, task: TaskId) -> Result<Vec<TaskLink>> {
        let mut together = Vec::new();
        let mut parents = vec![task];
        while let Some(parent) = parents.pop() {
            let room = MAX_TREE_DELETED.saturating_sub(together.len());
            if room == 0 {
                break;
            }
            let children = self.store.deleted_with(parent, room).await?;
            parents.extend(children.iter().map(|c| c.id));
            together.extend(children);
        }
        Ok(together)
    }

    /// The team's first canceled status, where a duplicate goes.
    pub(super) async fn canceled_status(&self, team: TeamId) -> Result<Status> {
        self.store
            .statuses(team)
            .await?
            .into_iter()
            .find(|s| s.kind == StatusKind::Canceled)
            .ok_or_else(|| {
                Error::Invalid("this team has no canceled status for the duplicate".into())
            })
    }
}
