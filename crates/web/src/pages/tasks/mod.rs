//! Tasks: the lists (a team's and My tasks), the board, creating a task, and the task page
//! with its comments and history. What more than one of them needs lives here.

pub mod board;
pub mod graph;
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

/// A project's or a cycle's tasks in status groups: up to `PAGE_CAP` of them listed, newest
/// first, and when that is not all, every group's true count from the store and a note that
/// says how many are listed: nothing is cut without saying so.
pub async fn counted_groups(
    ws: &Workspace,
    actor: &Actor,
    filter: TaskFilter,
    order: &[Status],
) -> orgn_domain::Result<(Vec<Task>, Vec<crate::view::StatusGroup>, Option<String>)> {
    let (tasks, cut) = all_tasks(ws, actor, filter.clone()).await?;
    let mut groups = crate::view::group_by_status(&tasks, order, false);
    if !cut {
        return Ok((tasks, groups, None));
    }
    let mut statuses = Vec::new();
    for m in actor.memberships() {
        statuses.extend(ws.statuses(actor, &m.team.key).await?);
    }
    groups.iter_mut().for_each(|g| g.count = 0);
    let mut total = 0;
    for (id, n) in ws.count_tasks_by_status(actor, filter).await? {
        let Some(s) = statuses.iter().find(|s| s.id == id) else {
            continue;
        };
        total += n;
        match groups.iter_mut().find(|g| g.name == s.name) {
            Some(g) => g.count += n,
            None => {
                let mut g = crate::view::StatusGroup::empty(&s.name, s.kind);
                g.count = n;
                groups.push(g);
            }
        }
    }
    let note = format!(
        "Listing the newest {} of {total} tasks; each group says how many it has. The team's list shows them all.",
        tasks.len()
    );
    Ok((tasks, groups, Some(note)))
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
