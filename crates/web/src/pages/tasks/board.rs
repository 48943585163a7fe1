//! A team's board: one column per status, each with its true count and its first cards;
//! a card dragged to another column (or moved with `[` / `]`) changes its status.

use askama::Template;
use axum::extract::{Path, Query, State};
use orgn_domain::model::*;
use orgn_domain::{TaskFilter, TaskPatch};
use serde::Deserialize;

use super::Htmx;
use super::groups::{GroupSource, Shown, status_groups};
use crate::AppState;
use crate::error::WebResult;
use crate::pages::{bad_request, client_message, given, missing, render, see, task_ref};
use crate::session::{Me, Posted};
use crate::view::{Chrome, StatusGroup};

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    chrome: Chrome,
    team: Team,
    columns: Vec<StatusGroup>,
    /// Why the last move was refused, shown on the board.
    error: Option<String>,
}

async fn board_page(
    state: &AppState,
    me: &Me,
    key: &str,
    shown: usize,
    error: Option<String>,
) -> WebResult {
    let ws = &state.workspace;
    let team = ws.visible_team(&me.actor, key).map_err(missing)?;
    let order = ws.statuses(&me.actor, &team.key).await?;
    let filter = TaskFilter {
        team: Some(team.key.clone()),
        ..Default::default()
    };
    let source = GroupSource {
        scope: team.key.clone(),
        filter_qs: String::new(),
        page_path: format!("/team/{}/board", team.key),
        board: true,
        shown,
        nested: false,
    };
    let columns = status_groups(ws, &me.actor, &filter, &order, &order, &source)
        .await?
        .into_iter()
        .filter(|c| c.name != "Canceled" || c.count > 0)
        .collect();
    let failed = error.is_some();
    let page = render(BoardPage {
        chrome: Chrome::new(
            me,
            format!("{} board", team.name),
            format!("{}:board", team.key),
        ),
        team,
        columns,
        error,
    });
    if failed { bad_request(page) } else { page }
}

pub async fn board(
    State(state): State<AppState>,
    me: Me,
    Path(key): Path<String>,
    Query(shown): Query<Shown>,
) -> WebResult {
    board_page(&state, &me, &key, shown.get(), None).await
}

/// A card moved to another column: its new status, and nothing else.
#[derive(Deserialize, Default)]
pub struct MoveForm {
    #[serde(default)]
    task: String,
    #[serde(default)]
    status: String,
}

/// Sets the moved card's status; answers the board again (htmx takes its `#board`), or,
/// for a plain form, a redirect to it.
pub async fn move_card(
    State(state): State<AppState>,
    htmx: Htmx,
    Path(key): Path<String>,
    posted: Posted<MoveForm>,
) -> WebResult {
    let f = &posted.form;
    let patch = TaskPatch {
        status: given(&Some(f.status.clone())),
        ..Default::default()
    };
    let id = task_ref(f.task.trim())?;
    let result = state
        .workspace
        .update_task(&posted.me.actor, &id, patch)
        .await;
    match client_message(result)? {
        Ok(_) if !htmx.0 => see(&format!("/team/{}/board", crate::view::url_encode(&key))),
        Ok(_) => board_page(&state, &posted.me, &key, Shown::default().get(), None).await,
        Err(msg) => board_page(&state, &posted.me, &key, Shown::default().get(), Some(msg)).await,
    }
}
