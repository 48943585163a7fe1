//! The task page: its properties, comments and history, and the forms that change them.
//! Each property is a form of its own, sending only its field; with htmx (`HX-Request`) the
//! answer is the page's parts, swapped in place, otherwise a redirect back to the page.

use askama::Template;
use axum::extract::{Path, State};
use orgn_domain::model::*;
use orgn_domain::{TaskPatch, TaskRef, Workspace};
use serde::Deserialize;

use super::graph::{GraphForm, GraphView};
use super::{Htmx, parse_estimate};
use crate::AppState;
use crate::error::WebResult;
use crate::pages::{bad_request, client_message, given, missing, render, see, task_ref};
use crate::session::{Me, Posted};
use crate::view::{self, Chrome, Opt, opts, priority_opts};

pub struct CommentView {
    pub id: CommentId,
    pub author: String,
    pub initials: String,
    pub when: String,
    pub edited: bool,
    pub html: String,
    pub body: String,
    pub mine: bool,
    /// The message of a failed edit of this comment.
    pub error: Option<String>,
}

impl CommentView {
    /// `me`: the viewer, who may edit their own comments.
    fn new(c: Comment, me: UserId) -> CommentView {
        CommentView {
            id: c.id,
            initials: view::initials(&c.author.name),
            author: c.author.name.clone(),
            when: view::when(c.created_at),
            edited: c.edited_at.is_some(),
            html: view::md(&c.body),
            mine: c.author.id == me,
            body: c.body,
            error: None,
        }
    }
}

pub struct EventView {
    pub actor: String,
    pub text: String,
    pub when: String,
    /// "via Claude Desktop", "via Ask Orgn": said of every channel but the web app.
    pub via: Option<String>,
}

impl EventView {
    fn new(e: &TaskEvent) -> EventView {
        EventView {
            actor: e.actor.name.clone(),
            text: describe(e),
            when: view::when(e.at),
            via: (e.via.channel != orgn_domain::changes::Channel::Web)
                .then(|| format!("via {}", e.via.describe())),
        }
    }
}

fn describe(e: &TaskEvent) -> String {
    let field = e.field.replace('_', " ");
    match (e.field.as_str(), e.old.as_deref(), e.new.as_deref()) {
        ("created", _, _) => "created the task".into(),
        ("description", _, _) => "edited the description".into(),
        ("relations", _, Some(new)) => format!("added the relation {new}"),
        ("relations", Some(old), None) => format!("removed the relation {old}"),
        (_, None | Some(""), Some(new)) => format!("set {field} to {new}"),
        (_, Some(old), None | Some("")) => format!("cleared {field} (was {old})"),
        (_, Some(old), Some(new)) => format!("changed {field} from {old} to {new}"),
        (_, None, None) => format!("changed {field}"),
    }
}

/// A message for one control of the task page, shown beside it: `field` is a property's
/// form name (`status`, `labels`, `title`…), `comment` (the new comment) or `comment-<id>`.
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// What the task page shows, whole or in parts.
pub struct TaskView {
    task: Task,
    ident: String,
    status_icon: String,
    description_html: String,
    /// Whether the viewer follows the task (`task_follow.html`).
    following: bool,
    statuses: Vec<Opt>,
    priorities: Vec<Opt>,
    members: Vec<Opt>,
    labels: Vec<Opt>,
    projects: Vec<Opt>,
    milestones: Vec<Opt>,
    cycles: Vec<Opt>,
    due: String,
    estimate: String,
    created: String,
    creator: String,
    comments: Vec<CommentView>,
    history: Vec<EventView>,
    comment_draft: String,
    delete_action: String,
    graph: GraphView,
    error: Option<FieldError>,
    /// Rendered as parts of an htmx answer: each part replaces its namesake by id.
    oob: bool,
}

impl TaskView {
    /// The message for the control `field`, if it is the one that failed.
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

#[derive(Template)]
#[template(path = "task.html")]
struct TaskPage {
    chrome: Chrome,
    t: TaskView,
}

/// The parts of the task page that change (header, properties, history, comments and the
/// comment form), each to take the place of its namesake: what an htmx request is answered.
#[derive(Template)]
#[template(path = "task_parts.html")]
struct TaskParts {
    chrome: Chrome,
    t: TaskView,
}

async fn task_view(
    ws: &Workspace,
    me: &Me,
    id: &TaskRef,
    error: Option<FieldError>,
    comment_draft: String,
) -> WebResult<TaskView> {
    let (task, graph) = ws.task_with_graph(&me.actor, id).await.map_err(missing)?;
    let a = &me.actor;
    let statuses = ws.statuses(a, &task.team_key).await?;
    let members = ws.team_members(a, &task.team_key).await?;
    let people = view::mentionable(members.iter().map(|(u, _)| u), &task.team_key);
    let labels = ws.labels(a, Some(&task.team_key)).await?;
    let projects: Vec<Project> = ws
        .projects(a)
        .await?
        .into_iter()
        .filter(|p| p.teams.iter().any(|t| t.id == task.team_id))
        .collect();
    let milestones = match &task.project {
        Some(p) => ws.milestones(a, p.id).await?,
        None => vec![],
    };
    let cycles = ws.cycles(a, Some(&task.team_key)).await?;
    let comments = ws.comments(a, id).await?;
    let history = ws.task_history(a, id).await?;
    let graph = GraphView::new(&graph);
    let ident = task.identifier();
    let mut comments: Vec<CommentView> = comments
        .into_iter()
        .map(|c| CommentView::new(c, a.id()))
        .collect();
    comments
        .iter_mut()
        .for_each(|c| c.html = view::md_mentions(&c.body, &people));
    if let Some(e) = &error {
        for c in &mut comments {
            if e.field == format!("comment-{}", c.id) {
                c.error = Some(e.message.clone());
            }
        }
    }
    Ok(TaskView {
        status_icon: view::status_icon(task.status.kind),
        description_html: view::md_mentions(&task.description, &people),
        following: ws.follows(a, id).await?,
        statuses: opts(
            statuses.into_iter().map(|s| (s.name.clone(), s.name)),
            &task.status.name,
        ),
        priorities: priority_opts(&task.priority.value().to_string()),
        members: opts(
            members.into_iter().map(|(u, _)| (u.email, u.name)),
            &task
                .assignee
                .as_ref()
                .map(|u| u.email.clone())
                .unwrap_or_default(),
        ),
        labels: labels
            .into_iter()
            .map(|l| Opt {
                selected: task.labels.iter().any(|tl| tl.id == l.id),
                value: l.name.clone(),
                label: l.name,
            })
            .collect(),
        projects: opts(
            projects.into_iter().map(|p| (p.name.clone(), p.name)),
            &ref_name(&task.project),
        ),
        milestones: opts(
            milestones.into_iter().map(|m| (m.name.clone(), m.name)),
            &ref_name(&task.milestone),
        ),
        cycles: {
            let current = task.cycle.as_ref().map(|c| c.id);
            cycles
                .into_iter()
                .map(|c| Opt {
                    selected: Some(c.id) == current,
                    value: c.number.to_string(),
                    label: c.display_name(),
                })
                .collect()
        },
        due: task.due_date.map(|d| d.to_string()).unwrap_or_default(),
        estimate: task.estimate.map(|e| e.to_string()).unwrap_or_default(),
        created: view::when(task.created_at),
        creator: task.creator.name.clone(),
        comments,
        history: history.iter().rev().map(EventView::new).collect(),
        delete_action: format!("/tasks/{ident}/delete"),
        graph,
        ident,
        task,
        comment_draft,
        error,
        oob: false,
    })
}

/// The task page, whole (400 when a form failed), or its parts for htmx.
async fn task_answer(
    ws: &Workspace,
    me: &Me,
    id: &TaskRef,
    htmx: Htmx,
    error: Option<FieldError>,
    comment_draft: String,
) -> WebResult {
    let failed = error.is_some();
    let mut t = task_view(ws, me, id, error, comment_draft).await?;
    let answer = if htmx.0 {
        t.oob = true;
        render(TaskParts {
            chrome: Chrome::new(me, "", ""),
            t,
        })
    } else {
        let title = format!("{} {}", t.ident, t.task.title);
        let nav = format!("{}:tasks", t.task.team_key);
        render(TaskPage {
            chrome: Chrome::new(me, title, nav),
            t,
        })
    };
    if failed { bad_request(answer) } else { answer }
}

pub async fn show(
    State(state): State<AppState>,
    me: Me,
    htmx: Htmx,
    Path(id): Path<String>,
) -> WebResult {
    task_answer(
        &state.workspace,
        &me,
        &task_ref(&id)?,
        htmx,
        None,
        String::new(),
    )
    .await
}

/// One control of the task page: each form sends only its own field, so a page opened
/// before someone else's change never sends back the values it showed then.
#[derive(Deserialize, Default)]
pub struct TaskForm {
    title: Option<String>,
    description: Option<String>,
    status: Option<String>,
    priority: Option<String>,
    assignee: Option<String>,
    project: Option<String>,
    milestone: Option<String>,
    cycle: Option<String>,
    due_date: Option<String>,
    estimate: Option<String>,
    /// A label to add (`label_on` sent: its checkbox ticked) or remove (not sent).
    label: Option<String>,
    label_on: Option<String>,
    /// The task's version the page showed: a field someone else changed since is refused.
    version: Option<i64>,
    /// The graph's controls (`GraphForm`): not flattened, as serde_urlencoded reads a
    /// flattened struct's numbers (`version`) as text and fails.
    parent: Option<String>,
    relation_type: Option<String>,
    relation_task: Option<String>,
    remove_relation: Option<String>,
}

impl TaskForm {
    fn graph(&self) -> GraphForm {
        GraphForm {
            parent: self.parent.clone(),
            relation_type: self.relation_type.clone(),
            relation_task: self.relation_task.clone(),
            remove_relation: self.remove_relation.clone(),
        }
    }

    /// The control the form came from, for its error message.
    fn field(&self) -> &'static str {
        let fields = [
            ("title", &self.title),
            ("description", &self.description),
            ("status", &self.status),
            ("priority", &self.priority),
            ("assignee", &self.assignee),
            ("project", &self.project),
            ("milestone", &self.milestone),
            ("cycle", &self.cycle),
            ("due_date", &self.due_date),
            ("estimate", &self.estimate),
            ("labels", &self.label),
        ];
        fields
            .iter()
            .find(|(_, v)| v.is_some())
            .map(|(k, _)| *k)
            .or(self.graph().field())
            .unwrap_or("status")
    }

    /// The patch of the fields sent, and nothing else. A label is added to or removed from
    /// the task's labels as they are now (`task`, read for this request), not as the page
    /// showed them.
    fn patch(&self, task: &Task) -> Result<TaskPatch, String> {
        let mut patch = TaskPatch {
            title: self.title.clone(),
            description: self.description.clone(),
            status: given(&self.status),
            priority: self.priority.clone(),
            assignee: self.assignee.clone(),
            project: self.project.clone(),
            milestone: self.milestone.clone(),
            cycle: self.cycle.clone(),
            // A date input calls a year being typed a date (`0002-12-15`): the form sends
            // it only when the field is left, and the domain refuses years out of range.
            due_date: self.due_date.clone(),
            ..Default::default()
        };
        if self.estimate.is_some() {
            patch.estimate = Some(parse_estimate(&self.estimate)?);
        }
        let relations = self.graph().apply(&mut patch);
        if let Some(label) = given(&self.label) {
            let mut names: Vec<String> = task.labels.iter().map(|l| l.name.clone()).collect();
            names.retain(|n| !n.eq_ignore_ascii_case(&label));
            if self.label_on.is_some() {
                names.push(label);
            }
            patch.labels = Some(names);
        } else if !relations {
            // A label toggle is applied to the labels as they are now and needs no check;
            // any other field is refused if someone else changed it since the page's version.
            patch.based_on = self.version;
        }
        Ok(patch)
    }
}

pub async fn update(
    State(state): State<AppState>,
    htmx: Htmx,
    Path(id): Path<String>,
    posted: Posted<TaskForm>,
) -> WebResult {
    let ws = &state.workspace;
    let actor = &posted.me.actor;
    let id = task_ref(&id)?;
    let task = ws.task(actor, &id).await.map_err(missing)?;
    let f = &posted.form;
    let result = match f.patch(&task) {
        Err(m) => Err(orgn_domain::Error::Invalid(m)),
        Ok(patch) => ws.update_task(actor, &id, patch).await,
    };
    match client_message(result)? {
        Ok(task) if !htmx.0 => see(&format!("/tasks/{}", task.identifier())),
        Ok(_) => task_answer(ws, &posted.me, &id, htmx, None, String::new()).await,
        Err(message) => {
            let error = FieldError {
                field: f.field().into(),
                message,
            };
            task_answer(ws, &posted.me, &id, htmx, Some(error), String::new()).await
        }
    }
}

#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    task: String,
}

pub async fn add_comment(
    State(state): State<AppState>,
    htmx: Htmx,
    Path(id): Path<String>,
    posted: Posted<CommentForm>,
) -> WebResult {
    let ws = &state.workspace;
    let id = task_ref(&id)?;
    let body = &posted.form.body;
    match client_message(ws.create_comment(&posted.me.actor, &id, body).await)? {
        Ok(c) if !htmx.0 => see(&format!("/tasks/{id}#comment-{}", c.id)),
        Ok(_) => task_answer(ws, &posted.me, &id, htmx, None, String::new()).await,
        Err(message) => {
            let error = FieldError {
                field: "comment".into(),
                message,
            };
            task_answer(ws, &posted.me, &id, htmx, Some(error), body.clone()).await
        }
    }
}

pub async fn edit_comment(
    State(state): State<AppState>,
    htmx: Htmx,
    Path(cid): Path<CommentId>,
    posted: Posted<CommentForm>,
) -> WebResult {
    let ws = &state.workspace;
    let task = posted.form.task.clone();
    let result = ws
        .update_comment(&posted.me.actor, cid, &posted.form.body, None)
        .await;
    match client_message(result)? {
        Ok(_) if !htmx.0 => see(&format!("/tasks/{}#comment-{cid}", view::url_encode(&task))),
        Ok(_) => task_answer(ws, &posted.me, &task_ref(&task)?, htmx, None, String::new()).await,
        Err(message) => {
            let error = FieldError {
                field: format!("comment-{cid}"),
                message,
            };
            let id = task_ref(&task)?;
            task_answer(ws, &posted.me, &id, htmx, Some(error), String::new()).await
        }
    }
}

/// The name of a task's project, milestone or cycle; empty when it has none.
fn ref_name<Id>(r: &Option<NamedRef<Id>>) -> String {
    r.as_ref().map(|n| n.name.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn event(field: &str, old: Option<&str>, new: Option<&str>) -> TaskEvent {
        TaskEvent {
            actor: UserRef {
                id: UserId::new(1),
                name: "Alice".into(),
                email: "a@x.y".into(),
            },
            at: datetime!(2026-11-24 10:00 UTC),
            field: field.into(),
            old: old.map(String::from),
            new: new.map(String::from),
            via: Default::default(),
        }
    }

    #[test]
    fn history_reads_as_sentences() {
        assert_eq!(
            describe(&event("status", Some("Todo"), Some("In Progress"))),
            "changed status from Todo to In Progress"
        );
        assert_eq!(
            describe(&event("assignee", None, Some("Bob"))),
            "set assignee to Bob"
        );
        assert_eq!(
            describe(&event("due_date", Some("2026-12-01"), None)),
            "cleared due date (was 2026-12-01)"
        );
        assert_eq!(
            describe(&event("relations", None, Some("blocked by ENG-1"))),
            "added the relation blocked by ENG-1"
        );
        assert_eq!(
            describe(&event("relations", Some("relates to DES-2"), None)),
            "removed the relation relates to DES-2"
        );
    }
}
