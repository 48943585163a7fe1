//! Deleting tasks and docs (after a confirmation), and each team's Trash: restore for
//! members, "Delete forever" for team admins. Items are purged 30 days after deletion.

use askama::Template;
use axum::extract::{Path, Query, State};
use orgn_domain::TRASH_RETENTION;
use orgn_domain::model::{DocId, ProjectId, TeamId, TrashItem, TrashKind};
use orgn_domain::{Actor, SubTasks, Workspace};
use serde::Deserialize;

use super::{Empty, client_message, missing, render, see, task_ref};
use crate::AppState;
use crate::error::{WebError, WebResult};
use crate::session::{Me, Posted};
use crate::view::{self, Chrome};

/// The page that asks "Delete this?" when JavaScript is off (with it, a dialog asks).
#[derive(Template)]
#[template(path = "confirm_delete.html")]
struct ConfirmPage {
    chrome: Chrome,
    what: String,
    name: String,
    team_key: String,
    action: String,
    cancel: String,
}

/// The confirmation of a task's delete, which for a parent asks what becomes of its
/// sub-tasks, as the task page's dialog does.
#[derive(Template)]
#[template(path = "task_confirm_delete.html")]
struct ConfirmTaskPage {
    chrome: Chrome,
    name: String,
    team_key: String,
    action: String,
    cancel: String,
    /// Its live sub-tasks.
    sub_tasks: i64,
}

pub async fn confirm_task(
    State(state): State<AppState>,
    me: Me,
    Path(id): Path<String>,
) -> WebResult {
    let ws = &state.workspace;
    let (task, graph) = ws
        .task_with_graph(&me.actor, &task_ref(&id)?)
        .await
        .map_err(missing)?;
    let ident = task.identifier();
    let chrome = Chrome::new(
        &me,
        format!("Delete {ident}"),
        format!("{}:tasks", task.team_key),
    );
    render(ConfirmTaskPage {
        chrome,
        name: format!("{ident} {}", task.title),
        team_key: task.team_key.clone(),
        action: format!("/tasks/{ident}/delete"),
        cancel: format!("/tasks/{ident}"),
        sub_tasks: graph.children_progress.total,
    })
}

/// What the delete dialog of a parent says of its sub-tasks: `with` (to the Trash with
/// it) or, by default, `top` (they stay, at the top level).
#[derive(Deserialize, Default)]
pub struct DeleteTaskForm {
    sub_tasks: Option<String>,
}

pub async fn delete_task(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted<DeleteTaskForm>,
) -> WebResult {
    let ws = &state.workspace;
    let id = task_ref(&id)?;
    let task = ws.task(&posted.me.actor, &id).await.map_err(missing)?;
    let sub_tasks = match posted.form.sub_tasks.as_deref() {
        Some("with") => SubTasks::GoWithIt,
        _ => SubTasks::MoveToTopLevel,
    };
    ws.delete_task_and_sub_tasks(&posted.me.actor, &id, sub_tasks)
        .await?;
    see(&format!(
        "/team/{}/tasks?deleted={}",
        task.team_key,
        task.identifier()
    ))
}

/// The key of a team that owns the doc and that the actor is in (the first of a project's).
pub async fn doc_team_key(
    ws: &Workspace,
    actor: &Actor,
    team_id: Option<TeamId>,
    project_id: Option<ProjectId>,
) -> String {
    let key_of = |id: TeamId| {
        actor
            .memberships()
            .iter()
            .find(|m| m.team.id == id)
            .map(|m| m.team.key.clone())
    };
    if let Some(key) = team_id.and_then(key_of) {
        return key;
    }
    if let Some(p) = project_id
        && let Ok(project) = ws.project(actor, &p.to_string()).await
        && let Some(key) = project.teams.iter().find_map(|t| key_of(t.id))
    {
        return key;
    }
    actor
        .memberships()
        .first()
        .map(|m| m.team.key.clone())
        .unwrap_or_default()
}

pub async fn confirm_doc(
    State(state): State<AppState>,
    me: Me,
    Path(id): Path<DocId>,
) -> WebResult {
    let ws = &state.workspace;
    let doc = ws.doc(&me.actor, id).await.map_err(missing)?;
    let team_key = doc_team_key(ws, &me.actor, doc.team_id, doc.project_id).await;
    render(ConfirmPage {
        chrome: Chrome::new(&me, format!("Delete {}", doc.title), "docs"),
        what: "doc".into(),
        name: doc.title,
        team_key,
        action: format!("/docs/{id}/delete"),
        cancel: format!("/docs/{id}"),
    })
}

pub async fn delete_doc(
    State(state): State<AppState>,
    Path(id): Path<DocId>,
    posted: Posted<Empty>,
) -> WebResult {
    let ws = &state.workspace;
    ws.doc(&posted.me.actor, id).await.map_err(missing)?;
    ws.delete_doc(&posted.me.actor, id).await?;
    see(&format!("/docs?deleted={id}"))
}

// --- The Trash page -----------------------------------------------------------------------

pub struct TrashRow {
    pub kind: &'static str,
    /// `ENG-12`, or the doc's id.
    pub key: String,
    pub label: String,
    pub title: String,
    pub deleted_by: String,
    pub deleted_at: String,
    pub deleted_at_iso: String,
    pub purge_at: String,
    pub purge_at_iso: String,
}

impl TrashRow {
    fn new(item: &TrashItem) -> TrashRow {
        let purge = item.deleted_at + TRASH_RETENTION;
        let (kind, key) = match item.kind {
            TrashKind::Task => ("task", item.label.clone()),
            TrashKind::Doc => ("doc", item.id.to_string()),
        };
        TrashRow {
            kind,
            key,
            label: item.label.clone(),
            title: item.title.clone(),
            deleted_by: item
                .deleted_by
                .as_ref()
                .map(|u| u.name.clone())
                .unwrap_or_else(|| "someone".into()),
            deleted_at: view::when(item.deleted_at),
            deleted_at_iso: view::rfc3339(item.deleted_at),
            purge_at: view::exact(purge),
            purge_at_iso: view::rfc3339(purge),
        }
    }
}

#[derive(Template)]
#[template(path = "trash.html")]
struct TrashPage {
    chrome: Chrome,
    team_key: String,
    team_name: String,
    admin: bool,
    items: Vec<TrashRow>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct TrashQuery {
    restored: Option<String>,
    purged: Option<String>,
}

async fn trash_page(
    ws: &Workspace,
    me: &Me,
    key: &str,
    notice: Option<String>,
    error: Option<String>,
) -> WebResult {
    let team = ws.visible_team(&me.actor, key).map_err(missing)?;
    let items = ws.trash(&me.actor, Some(&team.key)).await?;
    render(TrashPage {
        chrome: Chrome::new(
            me,
            format!("{} Trash", team.name),
            format!("{}:trash", team.key),
        )
        .with_error(error),
        admin: me.actor.is_team_admin(team.id),
        items: items.iter().map(TrashRow::new).collect(),
        team_key: team.key,
        team_name: team.name,
        notice,
    })
}

pub async fn page(
    State(state): State<AppState>,
    me: Me,
    Path(key): Path<String>,
    Query(q): Query<TrashQuery>,
) -> WebResult {
    let notice = match (q.restored, q.purged) {
        (Some(r), _) => Some(format!("Restored {r}.")),
        (None, Some(p)) => Some(format!("Deleted {p} forever.")),
        _ => None,
    };
    trash_page(&state.workspace, &me, &key, notice, None).await
}

#[derive(Deserialize)]
pub struct TrashForm {
    #[serde(default)]
    kind: String,
    /// `ENG-12` for a task, the id for a doc.
    #[serde(default)]
    id: String,
    /// The team whose Trash page posted the form; empty when posted from a toast.
    #[serde(default)]
    team: String,
}

fn doc_id(id: &str) -> Result<DocId, WebError> {
    id.trim().parse().map_err(|_| WebError::NotFound)
}

/// Brings an item back: to the Trash page it came from, or to the item itself.
pub async fn restore(State(state): State<AppState>, posted: Posted<TrashForm>) -> WebResult {
    let ws = &state.workspace;
    let actor = &posted.me.actor;
    let f = &posted.form;
    let (label, href) = match f.kind.as_str() {
        "task" => {
            let task = ws.restore_task(actor, &task_ref(&f.id)?).await?;
            let ident = task.identifier();
            (ident.clone(), format!("/tasks/{ident}"))
        }
        "doc" => {
            let doc = ws.restore_doc(actor, doc_id(&f.id)?).await?;
            (doc.title.clone(), format!("/docs/{}", doc.id))
        }
        _ => return Err(WebError::Invalid("kind must be task or doc".into())),
    };
    if f.team.trim().is_empty() {
        see(&href)
    } else {
        let team = ws.visible_team(actor, &f.team).map_err(missing)?;
        see(&format!(
            "/team/{}/trash?restored={}",
            team.key,
            view::url_encode(&label)
        ))
    }
}

/// Deletes for good before the 30 days are over (team admins).
pub async fn purge(State(state): State<AppState>, posted: Posted<TrashForm>) -> WebResult {
    let ws = &state.workspace;
    let actor = &posted.me.actor;
    let f = &posted.form;
    let team = ws.visible_team(actor, &f.team).map_err(missing)?;
    let label = match f.kind.as_str() {
        "task" => f.id.trim().to_string(),
        "doc" => ws
            .trash(actor, Some(&team.key))
            .await?
            .into_iter()
            .find(|i| i.kind == TrashKind::Doc && i.id.to_string() == f.id.trim())
            .map(|i| i.title)
            .unwrap_or_else(|| "the doc".into()),
        _ => return Err(WebError::Invalid("kind must be task or doc".into())),
    };
    let result = match f.kind.as_str() {
        "task" => ws.purge_task(actor, &task_ref(&f.id)?).await,
        _ => ws.purge_doc(actor, doc_id(&f.id)?).await,
    };
    match client_message(result)? {
        Ok(()) => see(&format!(
            "/team/{}/trash?purged={}",
            team.key,
            view::url_encode(&label)
        )),
        Err(msg) => {
            super::bad_request(trash_page(ws, &posted.me, &team.key, None, Some(msg)).await)
        }
    }
}
