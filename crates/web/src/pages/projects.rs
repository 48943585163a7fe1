//! Projects with their progress, milestones, tasks and docs.

use askama::Template;
use axum::extract::{Path, State};
use orgn_domain::model::*;
use orgn_domain::{DocFilter, ProjectDraft, ProjectPatch, TaskFilter, Workspace};
use serde::Deserialize;

use super::tasks::counted_groups;
use super::{bad_request, client_message, given, missing, render, see};
use crate::AppState;
use crate::error::WebResult;
use crate::session::{Me, Posted};
use crate::view::{self, Chrome, DocLink, Opt, StatusGroup};

pub struct ProjectRow {
    pub id: ProjectId,
    pub name: String,
    pub status: String,
    pub lead: String,
    pub teams: String,
    pub target: String,
    pub percent: i64,
    pub bar: String,
    pub counts: String,
}

impl ProjectRow {
    fn new(p: &Project) -> ProjectRow {
        ProjectRow {
            id: p.id,
            name: p.name.clone(),
            status: p.status.as_str().to_string(),
            lead: p.lead.as_ref().map(|l| l.name.clone()).unwrap_or_default(),
            teams: p
                .teams
                .iter()
                .map(|t| t.key.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            target: p.target_date.map(view::day).unwrap_or_default(),
            percent: p.progress.percent(),
            bar: view::progress_bar(&p.progress),
            counts: view::progress_counts(&p.progress),
        }
    }
}

#[derive(Template)]
#[template(path = "projects.html")]
struct ProjectsPage {
    chrome: Chrome,
    projects: Vec<ProjectRow>,
    teams: Vec<Team>,
}

async fn projects_page(ws: &Workspace, me: &Me, error: Option<String>) -> WebResult {
    let projects = ws.projects(&me.actor).await?;
    let chrome = Chrome::new(me, "Projects", "projects").with_error(error);
    render(ProjectsPage {
        projects: projects.iter().map(ProjectRow::new).collect(),
        teams: chrome.teams.clone(),
        chrome,
    })
}

pub async fn list(State(state): State<AppState>, me: Me) -> WebResult {
    projects_page(&state.workspace, &me, None).await
}

#[derive(Deserialize)]
pub struct NewProjectForm {
    #[serde(default)]
    name: String,
    description: Option<String>,
    target_date: Option<String>,
}

pub async fn create(State(state): State<AppState>, posted: Posted<NewProjectForm>) -> WebResult {
    let ws = &state.workspace;
    let f = &posted.form;
    let draft = ProjectDraft {
        name: f.name.clone(),
        description: f.description.clone(),
        teams: posted.all("teams"),
        target_date: given(&f.target_date),
        ..Default::default()
    };
    match client_message(ws.create_project(&posted.me.actor, draft).await)? {
        Ok(p) => see(&format!("/projects/{}", p.id)),
        Err(msg) => bad_request(projects_page(ws, &posted.me, Some(msg)).await),
    }
}

pub struct MilestoneView {
    pub name: String,
    pub target: String,
    pub percent: i64,
    pub bar: String,
    pub counts: String,
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage {
    chrome: Chrome,
    p: ProjectRow,
    project: Project,
    description_html: String,
    milestones: Vec<MilestoneView>,
    groups: Vec<StatusGroup>,
    /// Said when not every task is listed.
    listed: Option<String>,
    docs: Vec<DocLink>,
    statuses: Vec<Opt>,
    leads: Vec<Opt>,
    start: String,
    target_date: String,
}

async fn project_page(ws: &Workspace, me: &Me, id: ProjectId, error: Option<String>) -> WebResult {
    let a = &me.actor;
    let project = ws.project(a, id).await.map_err(missing)?;
    let milestones = ws.milestones(a, id).await?;
    let filter = TaskFilter {
        project: Some(id.to_string()),
        ..Default::default()
    };
    let (_, groups, listed) = counted_groups(ws, a, filter, &[]).await?;
    let docs = ws
        .search_docs(
            a,
            DocFilter {
                project: Some(id.to_string()),
                limit: Some(100),
                ..Default::default()
            },
        )
        .await?;
    let users = ws.users(a).await?;
    let lead = project
        .lead
        .as_ref()
        .map(|l| l.email.clone())
        .unwrap_or_default();
    let page = ProjectPage {
        chrome: Chrome::new(me, project.name.clone(), "projects").with_error(error),
        p: ProjectRow::new(&project),
        description_html: view::md(&project.description),
        milestones: milestones
            .iter()
            .map(|m| MilestoneView {
                name: m.name.clone(),
                target: m.target_date.map(view::day).unwrap_or_default(),
                percent: m.progress.percent(),
                bar: view::progress_bar(&m.progress),
                counts: view::progress_counts(&m.progress),
            })
            .collect(),
        groups,
        listed,
        docs: docs.items.iter().map(DocLink::new).collect(),
        statuses: ProjectStatus::ALL
            .iter()
            .map(|s| Opt {
                value: s.as_str().into(),
                label: s.as_str().into(),
                selected: *s == project.status,
            })
            .collect(),
        leads: users
            .into_iter()
            .map(|u| Opt {
                selected: u.email == lead,
                value: u.email,
                label: u.name,
            })
            .collect(),
        start: project
            .start_date
            .map(|d| d.to_string())
            .unwrap_or_default(),
        target_date: project
            .target_date
            .map(|d| d.to_string())
            .unwrap_or_default(),
        project,
    };
    render(page)
}

pub async fn show(State(state): State<AppState>, me: Me, Path(id): Path<ProjectId>) -> WebResult {
    project_page(&state.workspace, &me, id, None).await
}

#[derive(Deserialize)]
pub struct ProjectForm {
    name: Option<String>,
    description: Option<String>,
    status: Option<String>,
    lead: Option<String>,
    start_date: Option<String>,
    target_date: Option<String>,
    /// The version the page showed: a field someone else changed since is refused.
    version: Option<i64>,
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<ProjectId>,
    posted: Posted<ProjectForm>,
) -> WebResult {
    let ws = &state.workspace;
    let f = &posted.form;
    let patch = ProjectPatch {
        name: f.name.clone(),
        description: f.description.clone(),
        status: given(&f.status),
        lead: f.lead.as_ref().map(|l| {
            if l.trim().is_empty() {
                "none".to_string()
            } else {
                l.clone()
            }
        }),
        start_date: f.start_date.clone(),
        target_date: f.target_date.clone(),
        teams: None,
        based_on: f.version,
    };
    match client_message(ws.update_project(&posted.me.actor, id, patch).await)? {
        Ok(_) => see(&format!("/projects/{id}")),
        Err(msg) => bad_request(project_page(ws, &posted.me, id, Some(msg)).await),
    }
}

#[derive(Deserialize)]
pub struct MilestoneForm {
    #[serde(default)]
    name: String,
    target_date: Option<String>,
}

pub async fn add_milestone(
    State(state): State<AppState>,
    Path(id): Path<ProjectId>,
    posted: Posted<MilestoneForm>,
) -> WebResult {
    let ws = &state.workspace;
    let f = &posted.form;
    let result = ws
        .create_milestone(&posted.me.actor, id, &f.name, f.target_date.as_deref())
        .await;
    match client_message(result)? {
        Ok(_) => see(&format!("/projects/{id}")),
        Err(msg) => bad_request(project_page(ws, &posted.me, id, Some(msg)).await),
    }
}
