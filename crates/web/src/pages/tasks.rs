//! Task lists, the board, the task page with its comments and history, and creating tasks.

use askama::Template;
use axum::extract::{Path, Query, State};
use orgn_domain::model::*;
use orgn_domain::{Actor, TaskDraft, TaskFilter, TaskPatch, Workspace};
use serde::Deserialize;

use super::bulk::{self, ListNotice};
use super::{bad_request, client_message, given, missing, render, see};
use crate::AppState;
use crate::error::{WebError, WebResult};
use crate::session::{Me, Posted};
use crate::view::{self, Chrome, StatusGroup, group_by_status};

/// Tasks shown on one page at most; the list says when there are more.
const PAGE_CAP: usize = 500;

/// Every task matching the filter, up to `PAGE_CAP`, and whether some were left out.
pub async fn all_tasks(
    ws: &Workspace,
    actor: &Actor,
    mut filter: TaskFilter,
) -> orgn_domain::Result<(Vec<Task>, bool)> {
    filter.limit = Some(100);
    let mut out = Vec::new();
    loop {
        let page = ws.search_tasks(actor, filter.clone()).await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) if out.len() < PAGE_CAP => filter.cursor = Some(c),
            Some(_) => return Ok((out, true)),
            None => return Ok((out, false)),
        }
    }
}

/// The statuses of several teams merged by name, in workflow order.
async fn merged_statuses(
    ws: &Workspace,
    actor: &Actor,
    keys: &[String],
) -> orgn_domain::Result<Vec<Status>> {
    let mut all: Vec<Status> = Vec::new();
    for key in keys {
        for s in ws.statuses(actor, key).await? {
            if !all.iter().any(|a| a.name == s.name) {
                all.push(s);
            }
        }
    }
    all.sort_by_key(|s| (s.kind, s.position));
    Ok(all)
}

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    pub q: Option<String>,
    pub status: Option<String>,
    pub assignee: Option<String>,
    pub label: Option<String>,
    pub priority: Option<String>,
    pub project: Option<String>,
    pub cycle: Option<String>,
}

impl ListQuery {
    fn filter(&self, team: Option<&str>) -> TaskFilter {
        TaskFilter {
            team: team.map(String::from),
            query: given(&self.q),
            statuses: given(&self.status).into_iter().collect(),
            assignee: given(&self.assignee),
            labels: given(&self.label).into_iter().collect(),
            priority: given(&self.priority),
            project: given(&self.project),
            cycle: given(&self.cycle),
            ..Default::default()
        }
    }
    fn active(&self) -> bool {
        [
            &self.q,
            &self.status,
            &self.assignee,
            &self.label,
            &self.priority,
            &self.project,
            &self.cycle,
        ]
        .iter()
        .any(|v| given(v).is_some())
    }
}

/// A choice in a filter or property select.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn opts(items: impl IntoIterator<Item = (String, String)>, current: &str) -> Vec<Opt> {
    items
        .into_iter()
        .map(|(value, label)| Opt {
            selected: !current.is_empty() && value.eq_ignore_ascii_case(current),
            value,
            label,
        })
        .collect()
}

fn priority_opts(current: &str) -> Vec<Opt> {
    opts(
        (0..=4).map(|v| (v.to_string(), Priority::new(v).unwrap().name().to_string())),
        current,
    )
}

/// The selects of the filter bar, for one team or for all of the actor's teams.
pub struct FilterBar {
    pub action: String,
    pub q: String,
    pub statuses: Vec<Opt>,
    pub assignees: Vec<Opt>,
    pub labels: Vec<Opt>,
    pub priorities: Vec<Opt>,
    pub projects: Vec<Opt>,
    pub cycles: Vec<Opt>,
    pub active: bool,
}

async fn filter_bar(
    ws: &Workspace,
    me: &Me,
    team: Option<&Team>,
    q: &ListQuery,
    action: String,
) -> orgn_domain::Result<FilterBar> {
    let keys: Vec<String> = match team {
        Some(t) => vec![t.key.clone()],
        None => me
            .actor
            .memberships()
            .iter()
            .map(|m| m.team.key.clone())
            .collect(),
    };
    let statuses = merged_statuses(ws, &me.actor, &keys).await?;
    let v = |o: &Option<String>| given(o).unwrap_or_default();
    let mut people: Vec<(String, String)> = vec![
        ("me".into(), "Me".into()),
        ("none".into(), "Unassigned".into()),
    ];
    match team {
        Some(t) => people.extend(
            ws.team_members(&me.actor, &t.key)
                .await?
                .into_iter()
                .map(|(u, _)| (u.email, u.name)),
        ),
        None => people.extend(
            ws.users(&me.actor)
                .await?
                .into_iter()
                .map(|u| (u.email, u.name)),
        ),
    }
    let labels = ws.labels(&me.actor, team.map(|t| t.key.as_str())).await?;
    let projects = ws.projects(&me.actor).await?;
    let projects = projects
        .into_iter()
        .filter(|p| team.is_none_or(|t| p.teams.iter().any(|pt| pt.id == t.id)));
    let mut cycles = vec![];
    if let Some(t) = team {
        cycles.push(("current".to_string(), "Current cycle".to_string()));
        cycles.push(("next".to_string(), "Next cycle".to_string()));
        cycles.extend(
            ws.cycles(&me.actor, Some(&t.key))
                .await?
                .iter()
                .rev()
                .map(|c| (c.number.to_string(), c.display_name())),
        );
    }
    Ok(FilterBar {
        action,
        q: v(&q.q),
        statuses: opts(
            statuses.into_iter().map(|s| (s.name.clone(), s.name)),
            &v(&q.status),
        ),
        assignees: opts(people, &v(&q.assignee)),
        labels: opts(
            labels.into_iter().map(|l| (l.name.clone(), l.name)),
            &v(&q.label),
        ),
        priorities: priority_opts(&v(&q.priority)),
        projects: opts(projects.map(|p| (p.name.clone(), p.name)), &v(&q.project)),
        cycles: opts(cycles, &v(&q.cycle)),
        active: q.active(),
    })
}

#[derive(Template)]
#[template(path = "task_list.html")]
struct TaskListPage {
    chrome: Chrome,
    heading: String,
    team_key: String,
    filters: FilterBar,
    groups: Vec<StatusGroup>,
    count: usize,
    truncated: bool,
    /// The filter as a query string, for the bulk form's "all matching".
    filter_qs: String,
    /// The statuses a bulk change may set.
    bulk_statuses: Vec<Opt>,
    toast: Option<Toast>,
    /// The list's URL without the toast's parameters, for the address bar.
    clean_url: String,
}

/// A message in the bottom-right corner after an action, maybe with a button.
pub struct Toast {
    pub text: String,
    /// The bulk change the Undo button reverts.
    pub undo: Option<orgn_domain::model::BulkChangeId>,
    /// The deleted task the Restore button brings back.
    pub restore: Option<String>,
}

impl ListQuery {
    /// The filter's non-empty fields as a query string.
    pub fn query_string(&self) -> String {
        let fields = [
            ("q", &self.q),
            ("status", &self.status),
            ("assignee", &self.assignee),
            ("label", &self.label),
            ("priority", &self.priority),
            ("project", &self.project),
            ("cycle", &self.cycle),
        ];
        let pairs: Vec<(&str, String)> = fields
            .iter()
            .filter_map(|(k, v)| given(v).map(|v| (*k, v)))
            .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// The filter of a team's list, or of My tasks (assigned to me unless chosen otherwise).
pub fn scoped_filter(team: Option<&str>, q: &ListQuery) -> TaskFilter {
    match team {
        Some(key) => q.filter(Some(key)),
        None => {
            let mut q = q.clone();
            if given(&q.assignee).is_none() {
                q.assignee = Some("me".into());
            }
            q.filter(None)
        }
    }
}

pub async fn my_tasks(
    State(state): State<AppState>,
    me: Me,
    Query(q): Query<ListQuery>,
    Query(notice): Query<ListNotice>,
) -> WebResult {
    let toast = bulk::toast(&state, &me, &notice).await;
    list_view(&state, &me, None, q, toast, None).await
}

pub async fn team_tasks(
    State(state): State<AppState>,
    me: Me,
    Path(key): Path<String>,
    Query(q): Query<ListQuery>,
    Query(notice): Query<ListNotice>,
) -> WebResult {
    let team = state
        .workspace
        .visible_team(&me.actor, &key)
        .map_err(missing)?;
    let toast = bulk::toast(&state, &me, &notice).await;
    list_view(&state, &me, Some(&team.key), q, toast, None).await
}

/// A task list: a team's (`team` given) or My tasks, with the bulk bar and maybe a toast or
/// a form's error.
pub async fn list_view(
    state: &AppState,
    me: &Me,
    team: Option<&str>,
    q: ListQuery,
    toast: Option<Toast>,
    error: Option<String>,
) -> WebResult {
    let ws = &state.workspace;
    let (chrome, heading, team_key, filters, order) = match team {
        Some(key) => {
            let team = ws.visible_team(&me.actor, key).map_err(missing)?;
            let filters =
                filter_bar(ws, me, Some(&team), &q, format!("/team/{}/tasks", team.key)).await?;
            let order = ws.statuses(&me.actor, &team.key).await?;
            let chrome = Chrome::new(
                me,
                format!("{} tasks", team.name),
                format!("{}:tasks", team.key),
            );
            (chrome, team.name.clone(), team.key.clone(), filters, order)
        }
        None => {
            let mut shown = q.clone();
            if given(&shown.assignee).is_none() {
                shown.assignee = Some("me".into());
            }
            let filters = filter_bar(ws, me, None, &shown, "/my".into()).await?;
            let keys: Vec<String> = me
                .actor
                .memberships()
                .iter()
                .map(|m| m.team.key.clone())
                .collect();
            let order = merged_statuses(ws, &me.actor, &keys).await?;
            let chrome = Chrome::new(me, "My tasks", "my");
            (chrome, "My tasks".to_string(), String::new(), filters, order)
        }
    };
    let bulk_statuses = order
        .iter()
        .map(|s| Opt {
            value: s.name.clone(),
            label: s.name.clone(),
            selected: false,
        })
        .collect();
    let filter_qs = q.query_string();
    let clean_url = bulk::list_url(team, &q, "");
    let filter = scoped_filter(team, &q);
    // A wrong filter value (an unknown label typed into the URL) is the user's to fix: say so.
    let (tasks, truncated, chrome) = match client_message(all_tasks(ws, &me.actor, filter).await)? {
        Ok((tasks, truncated)) => (tasks, truncated, chrome.with_error(error)),
        Err(msg) => (vec![], false, chrome.with_error(Some(msg))),
    };
    let mut groups = group_by_status(&tasks, &order, false);
    for g in &mut groups {
        g.selectable = true;
    }
    let page = TaskListPage {
        chrome,
        heading,
        team_key,
        filters,
        groups,
        count: tasks.len(),
        truncated,
        filter_qs,
        bulk_statuses,
        toast,
        clean_url,
    };
    if page.chrome.error.is_some() {
        bad_request(render(page))
    } else {
        render(page)
    }
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    chrome: Chrome,
    team: Team,
    columns: Vec<StatusGroup>,
}

pub async fn board(State(state): State<AppState>, me: Me, Path(key): Path<String>) -> WebResult {
    let ws = &state.workspace;
    let team = ws.visible_team(&me.actor, &key).map_err(missing)?;
    let order = ws.statuses(&me.actor, &team.key).await?;
    let (tasks, _) = all_tasks(
        ws,
        &me.actor,
        TaskFilter {
            team: Some(team.key.clone()),
            ..Default::default()
        },
    )
    .await?;
    let columns = group_by_status(&tasks, &order, true)
        .into_iter()
        .filter(|c| c.name != "Canceled" || !c.tasks.is_empty())
        .collect();
    render(BoardPage {
        chrome: Chrome::new(
            &me,
            format!("{} board", team.name),
            format!("{}:board", team.key),
        ),
        team,
        columns,
    })
}

// --- Creating -----------------------------------------------------------------------------

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
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    team: Option<String>,
}

async fn new_task_page(
    ws: &Workspace,
    me: &Me,
    team_key: Option<&str>,
    form: &NewTaskForm,
    error: Option<String>,
) -> WebResult {
    let team = match team_key.filter(|k| !k.trim().is_empty()) {
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
        &NewTaskForm::default(),
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
}

fn parse_estimate(s: &Option<String>) -> Result<Option<i64>, String> {
    match given(s) {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .map(Some)
            .map_err(|_| format!("estimate must be a whole number, got \"{v}\"")),
    }
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
            };
            ws.create_task(&posted.me.actor, draft).await
        }
    };
    match client_message(result)? {
        Ok(task) => see(&format!("/tasks/{}", task.identifier())),
        Err(msg) => bad_request(new_task_page(ws, &posted.me, Some(&team), f, Some(msg)).await),
    }
}

// --- The task page ------------------------------------------------------------------------

pub struct CommentView {
    pub id: i64,
    pub author: String,
    pub initials: String,
    pub when: String,
    pub edited: bool,
    pub html: String,
    pub body: String,
    pub mine: bool,
}

pub struct EventView {
    pub actor: String,
    pub text: String,
    pub when: String,
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
    id: &str,
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
        Some(p) => ws.milestones(a, &p.id.to_string()).await?,
        None => vec![],
    };
    let cycles = ws.cycles(a, Some(&task.team_key)).await?;
    let comments = ws.comments(a, id).await?;
    let history = ws.task_history(a, id).await?;
    let ident = task.identifier();
    let named = |r: &Option<NamedRef>| r.as_ref().map(|n| n.name.clone()).unwrap_or_default();
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
            &named(&task.project),
        ),
        milestones: opts(
            milestones.into_iter().map(|m| (m.name.clone(), m.name)),
            &named(&task.milestone),
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
            .map(|c| CommentView {
                id: c.id,
                initials: view::initials(&c.author.name),
                author: c.author.name.clone(),
                when: view::when(c.created_at),
                edited: c.edited_at.is_some(),
                html: view::md(&c.body),
                mine: c.author.id == a.id(),
                body: c.body,
            })
            .collect(),
        history: history
            .iter()
            .rev()
            .map(|e| EventView {
                actor: e.actor.name.clone(),
                text: describe(e),
                when: view::when(e.at),
            })
            .collect(),
        delete_action: format!("/tasks/{ident}/delete"),
        delete_what: "task",
        ident,
        task,
        comment_draft,
    };
    render(page)
}

pub async fn show(State(state): State<AppState>, me: Me, Path(id): Path<String>) -> WebResult {
    task_page(&state.workspace, &me, &id, None, String::new()).await
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
    Path(cid): Path<i64>,
    posted: Posted<CommentForm>,
) -> WebResult {
    let ws = &state.workspace;
    let task = posted.form.task.clone();
    match client_message(
        ws.update_comment(&posted.me.actor, cid, &posted.form.body)
            .await,
    )? {
        Ok(_) => see(&format!("/tasks/{}#comment-{cid}", view::url_encode(&task))),
        Err(msg) => bad_request(task_page(ws, &posted.me, &task, Some(msg), String::new()).await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn event(field: &str, old: Option<&str>, new: Option<&str>) -> TaskEvent {
        TaskEvent {
            actor: UserRef {
                id: 1,
                name: "Alice".into(),
                email: "a@x.y".into(),
            },
            at: datetime!(2026-11-24 10:00 UTC),
            field: field.into(),
            old: old.map(String::from),
            new: new.map(String::from),
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
