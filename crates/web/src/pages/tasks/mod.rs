//! Tasks: the lists (a team's and My tasks), the board, creating a task, and the task page
//! with its comments and history. What more than one of them needs lives here.

pub mod board;
pub mod groups;
pub mod list;
pub mod new;
pub mod show;

use orgn_domain::model::*;
use orgn_domain::{Actor, TaskFilter, Workspace};

use super::given;

/// Whether the request came from htmx (its `HX-Request: true` header): such a request is
/// answered with the parts of the page to swap in place, any other with a whole page or a
/// redirect, as a plain form needs.
#[derive(Clone, Copy)]
pub struct Htmx(pub bool);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Htmx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let sent = parts.headers.get("hx-request");
        Ok(Htmx(sent.is_some_and(|v| v.as_bytes() == b"true")))
    }
}

/// Tasks shown on one page at most; the list says when there are more.
const PAGE_CAP: usize = 500;

/// Every task matching the filter, up to `PAGE_CAP`, and whether some were left out.
pub async fn all_tasks(
    ws: &Workspace,
    actor: &Actor,
    filter: TaskFilter,
) -> orgn_domain::Result<(Vec<Task>, bool)> {
    tasks_up_to(ws, actor, filter, PAGE_CAP).await
}

/// The tasks matching the filter, page by page until at least `cap` are in (the last page
/// may bring a few more), and whether more were left out.
pub async fn tasks_up_to(
    ws: &Workspace,
    actor: &Actor,
    mut filter: TaskFilter,
    cap: usize,
) -> orgn_domain::Result<(Vec<Task>, bool)> {
    filter.limit = Some(100);
    let mut out = Vec::new();
    loop {
        let page = ws.search_tasks(actor, filter.clone()).await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) if out.len() < cap => filter.cursor = Some(c),
            Some(_) => return Ok((out, true)),
            None => return Ok((out, false)),
        }
    }
}

/// Every status of these teams, team by team.
async fn team_statuses(
    ws: &Workspace,
    actor: &Actor,
    keys: &[String],
) -> orgn_domain::Result<Vec<Status>> {
    let mut all: Vec<Status> = Vec::new();
    for key in keys {
        all.extend(ws.statuses(actor, key).await?);
    }
    Ok(all)
}

/// The statuses of several teams merged by name, in workflow order.
fn merge_statuses(all: &[Status]) -> Vec<Status> {
    let mut merged: Vec<Status> = Vec::new();
    for s in all {
        if !merged.iter().any(|a| a.name == s.name) {
            merged.push(s.clone());
        }
    }
    merged.sort_by_key(|s| (s.kind, s.position));
    merged
}

/// The statuses of several teams merged by name, in workflow order.
async fn merged_statuses(
    ws: &Workspace,
    actor: &Actor,
    keys: &[String],
) -> orgn_domain::Result<Vec<Status>> {
    Ok(merge_statuses(&team_statuses(ws, actor, keys).await?))
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
