//! A team's board: one column per status.

use askama::Template;
use axum::extract::{Path, State};
use orgn_domain::TaskFilter;
use orgn_domain::model::*;

use super::all_tasks;
use crate::AppState;
use crate::error::WebResult;
use crate::pages::{missing, render};
use crate::session::Me;
use crate::view::{Chrome, StatusGroup, group_by_status};

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
