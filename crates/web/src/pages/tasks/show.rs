//! The task page: its properties, comments and history, and the forms that change them.

use askama::Template;
use axum::extract::{Path, State};
use orgn_domain::model::*;
use orgn_domain::{TaskPatch, TaskRef, Workspace};
use serde::Deserialize;

use super::parse_estimate;
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
        }
    }
}

pub struct EventView {
    pub actor: String,
    pub text: String,
    pub when: String,
}

impl EventView {
    fn new(e: &TaskEvent) -> EventView {
        EventView {
            actor: e.actor.name.clone(),
            text: describe(e),
            when: view::when(e.at),
        }
    }
}

fn describe(e: &TaskEvent) -> String {
    let field = e.field.replace('_', " ");
    match (e.field.as_str(), e.old.as_deref(), e.new.as_deref()) {
        ("created", _, _) => "created the task".into(),
        ("description", _, _) => "edited the description".into(),
        (_, None | Some(""), Some(new)) => format!("set {field} to {new}"),
        (_, Some(old), None | Some("")) => format!("cleared {field} (was {old})"),
        (_, Some(old), Some(new)) => format!("changed {field} from {old} to {new}"),
        (_, None, None) => format!("changed {field}"),
    }
}

#[derive(Template)]
#[template(path = "task.html")]
struct TaskPage {
    chrome: Chrome,
    task: Task,
    ident: String,
    status_icon: String,
    description_html: String,
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
    delete_what: &'static str,
}

async fn task_page(
    ws: &Workspace,
    me: &Me,
    id: &TaskRef,
    error: Option<String>,
    comment_draft: String,
) -> WebResult {
    let task = ws.task(&me.actor, id).await.map_err(missing)?;
    let a = &me.actor;
    let statuses = ws.statuses(a, &task.team_key).await?;
    let members = ws.team_members(a, &task.team_key).await?;
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
    let ident = task.identifier();
    let page = TaskPage {
        chrome: Chrome::new(
            me,
            format!("{ident} {}", task.title),
            format!("{}:tasks", task.team_key),
        )
        .with_error(error),
        status_icon: view::status_icon(task.status.kind),
        description_html: view::md(&task.description),
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
        comments: comments
            .into_iter()
            .map(|c| CommentView::new(c, a.id()))
            .collect(),
        history: history.iter().rev().map(EventView::new).collect(),
        delete_action: format!("/tasks/{ident}/delete"),
        delete_what: "task",
        ident,
        task,
        comment_draft,
    };
    render(page)
}

pub async fn show(State(state): State<AppState>, me: Me, Path(id): Path<String>) -> WebResult {
    task_page(&state.workspace, &me, &task_ref(&id)?, None, String::new()).await
}

/// One of the task page's two forms: `text` (title and description) or `props` (the rest).
#[derive(Deserialize, Default)]
pub struct TaskForm {
    form: Option<String>,
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
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted<TaskForm>,
) -> WebResult {
    let ws = &state.workspace;
    let actor = &posted.me.actor;
    let id = task_ref(&id)?;
    let task = ws.task(actor, &id).await.map_err(missing)?;
    let f = &posted.form;
    let mut patch = TaskPatch::default();
    let mut problem = None;
    if f.form.as_deref() == Some("text") {
        patch.title = f.title.clone();
        patch.description = f.description.clone();
    } else {
        patch.status = given(&f.status);
        patch.priority = f.priority.clone();
        patch.assignee = f.assignee.clone();
        patch.project = f.project.clone();
        patch.cycle = f.cycle.clone();
        patch.due_date = f.due_date.clone();
        // A new project clears the milestone: the old one belongs to the old project.
        let project_now = task
            .project
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_default();
        if f.project.as_deref().unwrap_or("") == project_now {
            patch.milestone = f.milestone.clone();
        }
        if posted.pairs.iter().any(|(k, _)| k == "labels_shown") {
            patch.labels = Some(posted.all("labels"));
        }
        if f.estimate.is_some() {
            match parse_estimate(&f.estimate) {
                Ok(e) => patch.estimate = Some(e),
                Err(m) => problem = Some(m),
            }
        }
    }
    let result = match problem {
        Some(m) => Err(orgn_domain::Error::Invalid(m)),
        None => ws.update_task(actor, &id, patch).await,
    };
    match client_message(result)? {
        Ok(task) => see(&format!("/tasks/{}", task.identifier())),
        Err(msg) => bad_request(task_page(ws, &posted.me, &id, Some(msg), String::new()).await),
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
    Path(id): Path<String>,
    posted: Posted<CommentForm>,
) -> WebResult {
    let ws = &state.workspace;
    let id = task_ref(&id)?;
    match client_message(
        ws.create_comment(&posted.me.actor, &id, &posted.form.body)
            .await,
    )? {
        Ok(c) => see(&format!("/tasks/{id}#comment-{}", c.id)),
        Err(msg) => {
            bad_request(task_page(ws, &posted.me, &id, Some(msg), posted.form.body.clone()).await)
        }
    }
}

pub async fn edit_comment(
    State(state): State<AppState>,
    Path(cid): Path<CommentId>,
    posted: Posted<CommentForm>,
) -> WebResult {
    let ws = &state.workspace;
    let task = posted.form.task.clone();
    match client_message(
        ws.update_comment(&posted.me.actor, cid, &posted.form.body, None)
            .await,
    )? {
        Ok(_) => see(&format!("/tasks/{}#comment-{cid}", view::url_encode(&task))),
        Err(msg) => bad_request(
            task_page(ws, &posted.me, &task_ref(&task)?, Some(msg), String::new()).await,
        ),
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
    }
}
