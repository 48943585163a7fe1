//! Creating a task: the form and its submission.

use askama::Template;
use axum::extract::{Query, State};
use orgn_domain::model::*;
use orgn_domain::{TaskDraft, Workspace};
use serde::Deserialize;

use super::parse_estimate;
use crate::AppState;
use crate::error::{WebError, WebResult};
use crate::pages::{bad_request, client_message, given, missing, render, see};
use crate::session::{Me, Posted};
use crate::view::{Chrome, Opt, opts, priority_opts};

#[derive(Template)]
#[template(path = "task_new.html")]
struct NewTaskPage {
    chrome: Chrome,
    team: Team,
    statuses: Vec<Opt>,
    priorities: Vec<Opt>,
    members: Vec<Opt>,
    labels: Vec<Opt>,
    projects: Vec<Opt>,
    cycles: Vec<Opt>,
    title: String,
    description: String,
    /// The parent's identifier when this is a sub-task (the team is the parent's).
    parent: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    team: Option<String>,
    /// `/tasks/new?parent=ENG-12`: a sub-task of ENG-12, in its team.
    parent: Option<String>,
}

async fn new_task_page(
    ws: &Workspace,
    me: &Me,
    team_key: Option<&str>,
    form: &NewTaskForm,
    error: Option<String>,
) -> WebResult {
    let parent = match given(&form.parent) {
        Some(p) => Some(ws.task(&me.actor, &p.parse()?).await.map_err(missing)?),
        None => None,
    };
    let parent_team = parent.as_ref().map(|p| p.team_key.clone());
    let team = match parent_team
        .as_deref()
        .or(team_key)
        .filter(|k| !k.trim().is_empty())
    {
        Some(k) => ws.visible_team(&me.actor, k).map_err(missing)?,
        None => me
            .actor
            .memberships()
            .first()
            .map(|m| m.team.clone())
            .ok_or_else(|| {
                WebError::Invalid(
                    "you are not a member of any team yet; ask an admin to add you".into(),
                )
            })?,
    };
    let statuses = ws.statuses(&me.actor, &team.key).await?;
    let members = ws.team_members(&me.actor, &team.key).await?;
    let labels = ws.labels(&me.actor, Some(&team.key)).await?;
    let projects = ws.projects(&me.actor).await?;
    let cycles = ws.cycles(&me.actor, Some(&team.key)).await?;
    let today = ws.today();
    let cur = |o: &Option<String>| o.clone().unwrap_or_default();
    let page = NewTaskPage {
        chrome: Chrome::new(me, "New task", "").with_error(error),
        statuses: opts(
            statuses.into_iter().map(|s| (s.name.clone(), s.name)),
            &cur(&form.status),
        ),
        priorities: priority_opts(&cur(&form.priority)),
        members: opts(
            members.into_iter().map(|(u, _)| (u.email, u.name)),
            &cur(&form.assignee),
        ),
        labels: opts(labels.into_iter().map(|l| (l.name.clone(), l.name)), ""),
        projects: opts(
            projects
                .into_iter()
                .filter(|p| p.teams.iter().any(|t| t.id == team.id))
                .map(|p| (p.name.clone(), p.name)),
            &cur(&form.project),
        ),
        cycles: opts(
            cycles
                .into_iter()
                .filter(|c| c.state(today) != CycleState::Past)
                .map(|c| (c.number.to_string(), c.display_name())),
            &cur(&form.cycle),
        ),
        title: cur(&form.title),
        description: cur(&form.description),
        parent: parent.map(|p| p.identifier()),
        team,
    };
    render(page)
}

pub async fn new_form(
    State(state): State<AppState>,
    me: Me,
    Query(q): Query<NewQuery>,
) -> WebResult {
    new_task_page(
        &state.workspace,
        &me,
        q.team.as_deref(),
        &NewTaskForm {
            parent: q.parent,
            ..Default::default()
        },
        None,
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct NewTaskForm {
    team: Option<String>,
    title: Option<String>,
    description: Option<String>,
    status: Option<String>,
    priority: Option<String>,
    assignee: Option<String>,
    project: Option<String>,
    cycle: Option<String>,
    due_date: Option<String>,
    estimate: Option<String>,
    parent: Option<String>,
}

pub async fn create(State(state): State<AppState>, posted: Posted<NewTaskForm>) -> WebResult {
    let ws = &state.workspace;
    let f = &posted.form;
    let team = given(&f.team).unwrap_or_default();
    let result = match parse_estimate(&f.estimate) {
        Err(m) => Err(orgn_domain::Error::Invalid(m)),
        Ok(estimate) => {
            let draft = TaskDraft {
                team: team.clone(),
                title: f.title.clone().unwrap_or_default(),
                description: f.description.clone(),
                status: given(&f.status),
                priority: given(&f.priority),
                assignee: given(&f.assignee),
                labels: posted.all("labels"),
                project: given(&f.project),
                milestone: None,
                cycle: given(&f.cycle),
                due_date: given(&f.due_date),
                estimate,
                parent: given(&f.parent),
                relations: Vec::new(),
            };
            ws.create_task(&posted.me.actor, draft).await
        }
    };
    match client_message(result)? {
        Ok(task) => see(&format!("/tasks/{}", task.identifier())),
        Err(msg) => bad_request(new_task_page(ws, &posted.me, Some(&team), f, Some(msg)).await),
    }
}
