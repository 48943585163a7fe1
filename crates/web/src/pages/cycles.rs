//! A team's cycles: current, upcoming and past, each with progress; a cycle's page with its
//! burn-up chart and tasks.

use askama::Template;
use axum::extract::{Path, State};
use orgn_domain::model::*;
use orgn_domain::{CycleDraft, TaskFilter, Workspace};
use serde::Deserialize;

use super::tasks::counted_groups;
use super::{bad_request, client_message, missing, render, see};
use crate::AppState;
use crate::burnup;
use crate::error::WebResult;
use crate::session::{Me, Posted};
use crate::view::{self, Chrome, StatusGroup};

pub struct CycleRow {
    pub number: i64,
    pub name: String,
    pub dates: String,
    pub state: String,
    pub percent: i64,
    pub bar: String,
    pub counts: String,
}

impl CycleRow {
    fn new(c: &Cycle, today: time::Date) -> CycleRow {
        CycleRow {
            number: c.number,
            name: c.display_name(),
            dates: format!("{} – {}", view::day(c.starts_on), view::day(c.ends_on)),
            state: c.state(today).as_str().to_string(),
            percent: c.progress.percent(),
            bar: view::progress_bar(&c.progress),
            counts: format!("{} done", view::progress_counts(&c.progress)),
        }
    }
}

#[derive(Template)]
#[template(path = "cycles.html")]
struct CyclesPage {
    chrome: Chrome,
    team: Team,
    sections: Vec<CycleSection>,
}

pub struct CycleSection {
    pub title: &'static str,
    pub rows: Vec<CycleRow>,
}

async fn cycles_page(ws: &Workspace, me: &Me, key: &str, error: Option<String>) -> WebResult {
    let team = ws.visible_team(&me.actor, key).map_err(missing)?;
    let cycles = ws.cycles(&me.actor, Some(&team.key)).await?;
    let today = ws.today();
    let pick = |s: CycleState| {
        cycles
            .iter()
            .filter(|c| c.state(today) == s)
            .map(|c| CycleRow::new(c, today))
            .collect::<Vec<_>>()
    };
    let mut past = pick(CycleState::Past);
    past.reverse();
    render(CyclesPage {
        chrome: Chrome::new(
            me,
            format!("{} cycles", team.name),
            format!("{}:cycles", team.key),
        )
        .with_error(error),
        sections: vec![
            CycleSection {
                title: "Current",
                rows: pick(CycleState::Current),
            },
            CycleSection {
                title: "Upcoming",
                rows: pick(CycleState::Upcoming),
            },
            CycleSection {
                title: "Past",
                rows: past,
            },
        ],
        team,
    })
}

pub async fn list(State(state): State<AppState>, me: Me, Path(key): Path<String>) -> WebResult {
    cycles_page(&state.workspace, &me, &key, None).await
}

#[derive(Deserialize)]
pub struct CycleForm {
    name: Option<String>,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
}

pub async fn create(
    State(state): State<AppState>,
    Path(key): Path<String>,
    posted: Posted<CycleForm>,
) -> WebResult {
    let ws = &state.workspace;
    let f = &posted.form;
    let draft = CycleDraft {
        team: key.clone(),
        name: f.name.clone(),
        starts_on: f.starts_on.clone(),
        ends_on: f.ends_on.clone(),
    };
    match client_message(ws.create_cycle(&posted.me.actor, draft).await)? {
        Ok(c) => see(&format!(
            "/team/{}/cycles/{}",
            key.to_ascii_uppercase(),
            c.number
        )),
        Err(msg) => bad_request(cycles_page(ws, &posted.me, &key, Some(msg)).await),
    }
}

#[derive(Template)]
#[template(path = "cycle.html")]
struct CyclePage {
    chrome: Chrome,
    team: Team,
    c: CycleRow,
    chart: String,
    groups: Vec<StatusGroup>,
    /// Said when not every task is listed.
    listed: Option<String>,
    scope: i64,
    completed: i64,
}

pub async fn show(
    State(state): State<AppState>,
    me: Me,
    Path((key, number)): Path<(String, i64)>,
) -> WebResult {
    let ws = &state.workspace;
    let team = ws.visible_team(&me.actor, &key).map_err(missing)?;
    let cycle = ws
        .cycle(&me.actor, &team.key, &number.to_string())
        .await
        .map_err(missing)?;
    let filter = TaskFilter {
        team: Some(team.key.clone()),
        cycle: Some(cycle.number.to_string()),
        ..Default::default()
    };
    let order = ws.statuses(&me.actor, &team.key).await?;
    let (tasks, groups, listed) = counted_groups(ws, &me.actor, filter, &order).await?;
    let times: Vec<burnup::TaskTimes> = tasks
        .iter()
        .map(|t| burnup::TaskTimes {
            created_at: t.created_at,
            completed_at: t.completed_at,
            canceled_at: t.canceled_at,
        })
        .collect();
    let today = ws.today();
    let days = burnup::compute(cycle.starts_on, cycle.ends_on, today, &times);
    render(CyclePage {
        chrome: Chrome::new(&me, cycle.display_name(), format!("{}:cycles", team.key)),
        c: CycleRow::new(&cycle, today),
        chart: burnup::svg(cycle.starts_on, cycle.ends_on, &days),
        scope: days.last().map(|d| d.scope).unwrap_or(tasks.len() as i64),
        completed: days.last().map(|d| d.completed).unwrap_or(0),
        groups,
        listed,
        team,
    })
}
