//! The task page's place in the work graph: its parent, its sub-tasks with their statuses
//! and a done count, its relations both ways with live status, and the forms that change
//! them (they post to the task like its other properties).

use orgn_domain::model::*;
use orgn_domain::{RelationInput, TaskPatch};

use std::collections::HashSet;

use crate::view::{self, Opt, TaskRow, opts};

/// Another task as the page links to it.
pub struct LinkView {
    pub ident: String,
    pub title: String,
    pub status: String,
    pub status_icon: String,
}

impl LinkView {
    fn new(l: &TaskLink) -> LinkView {
        LinkView {
            ident: l.identifier.clone(),
            title: l.title.clone(),
            status: l.status.name.clone(),
            status_icon: view::status_icon(l.status.kind),
        }
    }
}

pub struct RelationView {
    /// `blocked_by`: what the remove form sends back.
    pub kind: &'static str,
    /// "blocked by"
    pub label: &'static str,
    pub link: LinkView,
}

pub struct GraphView {
    pub parent: Option<LinkView>,
    pub children: Vec<LinkView>,
    /// Completed sub-tasks, of those that count (canceled ones do not).
    pub done: i64,
    pub counted: i64,
    /// Sub-tasks not listed (the page lists `MAX_CHILDREN_SHOWN`).
    pub more_children: i64,
    /// Live sub-tasks, canceled ones included: what a delete asks about.
    pub children_total: i64,
    pub relations: Vec<RelationView>,
    pub more_relations: bool,
    /// The relation types the add form offers.
    pub kinds: Vec<Opt>,
}

impl GraphView {
    pub fn new(g: &TaskGraph) -> GraphView {
        let p = g.children_progress;
        let kinds = [
            RelationKind::Blocks,
            RelationKind::BlockedBy,
            RelationKind::RelatesTo,
            RelationKind::DuplicateOf,
        ];
        GraphView {
            parent: g.parent.as_ref().map(LinkView::new),
            children: g.children.iter().map(LinkView::new).collect(),
            done: p.completed,
            counted: p.total - p.canceled,
            more_children: p.total - g.children.len() as i64,
            children_total: p.total,
            relations: g
                .relations
                .iter()
                .map(|r| RelationView {
                    kind: r.kind.as_str(),
                    label: r.kind.label(),
                    link: LinkView::new(&r.task),
                })
                .collect(),
            more_relations: g.more_relations,
            kinds: opts(
                kinds.map(|k| (k.as_str().to_string(), k.label().to_string())),
                "",
            ),
        }
    }
}

/// The deepest a list indents a sub-task.
const MAX_DEPTH_SHOWN: usize = 4;

/// A group's rows, flat (as they came, newest first) or `nested`: each sub-task right
/// after its parent when the parent is among them, indented; the rest as they came.
pub fn rows(tasks: &[Task], nested: bool) -> Vec<TaskRow> {
    if !nested {
        return tasks.iter().map(TaskRow::new).collect();
    }
    let here: HashSet<TaskId> = tasks.iter().map(|t| t.id).collect();
    let is_top = |t: &Task| !t.parent_id.is_some_and(|p| here.contains(&p));
    let mut out = Vec::with_capacity(tasks.len());
    // Depth first from each top row, children in the order they came.
    let mut stack: Vec<(&Task, usize)> = tasks
        .iter()
        .filter(|t| is_top(t))
        .map(|t| (t, 0))
        .rev()
        .collect();
    while let Some((task, depth)) = stack.pop() {
        let mut row = TaskRow::new(task);
        row.depth = depth.min(MAX_DEPTH_SHOWN);
        out.push(row);
        let children = tasks.iter().filter(|t| t.parent_id == Some(task.id));
        stack.extend(
            children
                .map(|c| (c, depth + 1))
                .collect::<Vec<_>>()
                .into_iter()
                .rev(),
        );
    }
    out
}

/// The graph fields of the task page's forms.
#[derive(Default)]
pub struct GraphForm {
    /// The parent's identifier; empty: top level.
    pub parent: Option<String>,
    pub relation_type: Option<String>,
    pub relation_task: Option<String>,
    /// `blocked_by ENG-5`: the relation to remove.
    pub remove_relation: Option<String>,
}

impl GraphForm {
    /// The control the form came from, if it is one of these.
    pub fn field(&self) -> Option<&'static str> {
        if self.parent.is_some() {
            Some("parent")
        } else if self.relation_task.is_some() || self.remove_relation.is_some() {
            Some("relations")
        } else {
            None
        }
    }

    /// Adds what the form asks to the patch. A relation is added or removed whatever the
    /// page showed (like a label): it needs no version check.
    pub fn apply(&self, patch: &mut TaskPatch) -> bool {
        patch.parent = self.parent.clone();
        if let Some(task) = self.relation_task.as_deref() {
            patch.add_relations.push(RelationInput {
                kind: self.relation_type.clone().unwrap_or_default(),
                task: task.trim().to_string(),
            });
        }
        if let Some(relation) = self.remove_relation.as_deref() {
            let (kind, task) = relation.trim().split_once(' ').unwrap_or((relation, ""));
            patch.remove_relations.push(RelationInput {
                kind: kind.into(),
                task: task.trim().into(),
            });
        }
        !patch.add_relations.is_empty() || !patch.remove_relations.is_empty()
    }
}
