//! Labels of a team, and workspace-wide labels.

use askama::Template;
use axum::extract::{Path, State};
use orgn_domain::Workspace;
use orgn_domain::model::{LabelId, TeamId};
use serde::Deserialize;

use super::{Empty, bad_request, client_message, given, missing, render, see};
use crate::AppState;
use crate::error::WebResult;
use crate::session::{Me, Posted};
use crate::view::{self, Chrome};

pub struct LabelView {
    pub id: LabelId,
    pub name: String,
    pub color: String,
    pub dot: String,
    pub scope: String,
    /// Whether to offer "Delete…": the domain decides again when it is asked.
    pub can_delete: bool,
}

#[derive(Template)]
#[template(path = "labels.html")]
struct LabelsPage {
    chrome: Chrome,
    heading: String,
    /// Where the create form posts, and where updates return.
    action: String,
    labels: Vec<LabelView>,
}

/// `team`: a team's page (its labels, then the workspace-wide ones), or `None` for the
/// workspace-wide page.
async fn labels_page(
    ws: &Workspace,
    me: &Me,
    team: Option<&str>,
    error: Option<String>,
) -> WebResult {
    let (heading, action, nav, team_id) = match team {
        Some(key) => {
            let t = ws.visible_team(&me.actor, key).map_err(missing)?;
            (
                format!("{} labels", t.name),
                format!("/team/{}/labels", t.key),
                format!("{}:labels", t.key),
                Some(t.id),
            )
        }
        None => (
            "Workspace labels".to_string(),
            "/labels".to_string(),
            "labels".to_string(),
            None,
        ),
    };
    let mut labels = ws.labels(&me.actor, team).await?;
    labels.retain(|l| {
        team_id.is_none() && l.team_id.is_none()
            || team_id.is_some() && (l.team_id == team_id || l.team_id.is_none())
    });
    labels.sort_by_key(|l| (l.team_id.is_none(), l.name.to_lowercase()));
    let views = labels
        .into_iter()
        .map(|l| LabelView {
            id: l.id,
            can_delete: match l.team_id {
                Some(team) => me.actor.is_team_admin(team),
                None => me.actor.is_admin(),
            },
            dot: view::dot(&l.color),
            scope: if l.team_id.is_some() {
                "team".into()
            } else {
                "workspace".into()
            },
            name: l.name,
            color: l.color,
        })
        .collect();
    render(LabelsPage {
        chrome: Chrome::new(me, heading.clone(), nav).with_error(error),
        heading,
        action,
        labels: views,
    })
}

pub async fn team_labels(
    State(state): State<AppState>,
    me: Me,
    Path(key): Path<String>,
) -> WebResult {
    labels_page(&state.workspace, &me, Some(&key), None).await
}

pub async fn workspace_labels(State(state): State<AppState>, me: Me) -> WebResult {
    labels_page(&state.workspace, &me, None, None).await
}

#[derive(Deserialize)]
pub struct LabelForm {
    #[serde(default)]
    name: String,
    color: Option<String>,
    back: Option<String>,
}

async fn create_label(
    state: AppState,
    team: Option<String>,
    posted: Posted<LabelForm>,
) -> WebResult {
    let ws = &state.workspace;
    let f = &posted.form;
    let result = ws
        .create_label(
            &posted.me.actor,
            team.as_deref(),
            &f.name,
            given(&f.color).as_deref(),
        )
        .await;
    match client_message(result)? {
        Ok(_) => see(&team
            .map(|k| format!("/team/{}/labels", k.to_ascii_uppercase()))
            .unwrap_or_else(|| "/labels".into())),
        Err(msg) => bad_request(labels_page(ws, &posted.me, team.as_deref(), Some(msg)).await),
    }
}

pub async fn create_team_label(
    State(state): State<AppState>,
    Path(key): Path<String>,
    posted: Posted<LabelForm>,
) -> WebResult {
    create_label(state, Some(key), posted).await
}

pub async fn create_workspace_label(
    State(state): State<AppState>,
    posted: Posted<LabelForm>,
) -> WebResult {
    create_label(state, None, posted).await
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<LabelId>,
    posted: Posted<LabelForm>,
) -> WebResult {
    let ws = &state.workspace;
    let f = &posted.form;
    let back = given(&f.back)
        .filter(|b| b.starts_with('/') && !b.starts_with("//"))
        .unwrap_or_else(|| "/labels".into());
    let result = ws
        .update_label(
            &posted.me.actor,
            id,
            given(&Some(f.name.clone())).as_deref(),
            given(&f.color).as_deref(),
        )
        .await;
    match client_message(result)? {
        Ok(_) => see(&back),
        Err(msg) => {
            let team = back
                .strip_prefix("/team/")
                .and_then(|r| r.split('/').next())
                .map(String::from);
            bad_request(labels_page(ws, &posted.me, team.as_deref(), Some(msg)).await)
        }
    }
}

/// The page that asks before a label is deleted, with how many tasks lose it.
#[derive(Template)]
#[template(path = "confirm_label_delete.html")]
struct ConfirmDelete {
    chrome: Chrome,
    name: String,
    dot: String,
    tasks: u64,
    action: String,
    cancel: String,
}

/// The labels page a label is listed on (its team's, or the workspace-wide one), and the
/// sidebar entry of that page.
fn labels_page_of(me: &Me, team_id: Option<TeamId>) -> (String, String) {
    team_id
        .and_then(|id| me.actor.memberships().iter().find(|m| m.team.id == id))
        .map(|m| {
            (
                format!("/team/{}/labels", m.team.key),
                format!("{}:labels", m.team.key),
            )
        })
        .unwrap_or_else(|| ("/labels".into(), "labels".into()))
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    me: Me,
    Path(id): Path<LabelId>,
) -> WebResult {
    let (label, tasks) = state
        .workspace
        .label_with_task_count(&me.actor, id)
        .await
        .map_err(missing)?;
    let (cancel, nav) = labels_page_of(&me, label.team_id);
    render(ConfirmDelete {
        chrome: Chrome::new(&me, format!("Delete {}", label.name), nav),
        dot: view::dot(&label.color),
        name: label.name,
        tasks,
        action: format!("/labels/{id}/delete"),
        cancel,
    })
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<LabelId>,
    posted: Posted<Empty>,
) -> WebResult {
    let label = state.workspace.delete_label(&posted.me.actor, id).await?;
    see(&labels_page_of(&posted.me, label.team_id).0)
}
