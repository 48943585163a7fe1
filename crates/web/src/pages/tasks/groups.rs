//! Status groups of any size, for a list and the board: every group shows its true count
//! (one counting query) and its first tasks; "Show more" brings the next ones in place
//! (htmx asks `/tasks/group` for them), or, without JavaScript, reloads the page with more.

use askama::Template;
use axum::extract::{Query, State};
use orgn_domain::model::*;
use orgn_domain::{Actor, TaskFilter, Workspace};
use serde::Deserialize;

use super::list::{ListQuery, scoped_filter};
use crate::AppState;
use crate::error::WebResult;
use crate::pages::{missing, render};
use crate::session::Me;
use crate::view::{MoreLink, StatusGroup, status_icon};

/// Tasks a group shows at first, and brings with each "Show more".
pub const GROUP_STEP: usize = 50;
/// The most a page shows per group when asked with `shown` (a browser without JavaScript).
const MAX_SHOWN: usize = 2000;

/// Where a list's or board's groups come from, to ask for more of one of them.
pub struct GroupSource {
    /// The team key of a team's list or board; empty for My tasks.
    pub scope: String,
    /// The list's filter, as a query string.
    pub filter_qs: String,
    /// The page itself (`/team/ENG/tasks`), for the links without JavaScript.
    pub page_path: String,
    /// The board's columns (empty ones kept, cards) rather than a list's groups.
    pub board: bool,
    /// How many tasks each group shows at first.
    pub shown: usize,
    /// Sub-tasks shown under their parents (`?nest=1`) rather than flat.
    pub nested: bool,
}

impl GroupSource {
    fn more(&self, status: &str, cursor: String, shown: usize) -> MoreLink {
        let fragment = serde_urlencoded::to_string([
            ("scope", self.scope.as_str()),
            ("filter", self.filter_qs.as_str()),
            ("status", status),
            ("cursor", cursor.as_str()),
            ("board", if self.board { "1" } else { "" }),
        ])
        .unwrap_or_default();
        let mut page = format!("{}?", self.page_path);
        if !self.filter_qs.is_empty() {
            page.push_str(&self.filter_qs);
            page.push('&');
        }
        page.push_str(&format!("shown={}", shown + GROUP_STEP));
        MoreLink {
            fragment: format!("/tasks/group?{fragment}"),
            page,
            step: GROUP_STEP,
        }
    }
}

/// How many tasks a page shows per group (`?shown=`): at least a step, at most `MAX_SHOWN`.
#[derive(Deserialize, Default)]
pub struct Shown {
    pub shown: Option<usize>,
}

impl Shown {
    pub fn get(&self) -> usize {
        self.shown
            .unwrap_or(GROUP_STEP)
            .clamp(GROUP_STEP, MAX_SHOWN)
    }
}

/// Up to `n` tasks of one status matching `filter`, newest first, from `cursor` on, and
/// the cursor of the rest when there is more.
async fn group_page(
    ws: &Workspace,
    actor: &Actor,
    filter: &TaskFilter,
    status: &str,
    cursor: Option<String>,
    n: usize,
) -> orgn_domain::Result<(Vec<Task>, Option<String>)> {
    let mut f = TaskFilter {
        statuses: vec![status.to_string()],
        cursor,
        ..filter.clone()
    };
    let mut out = Vec::new();
    loop {
        f.limit = Some((n - out.len()).min(orgn_domain::cursor::MAX_LIMIT));
        let page = ws.search_tasks(actor, f.clone()).await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) if out.len() < n => f.cursor = Some(c),
            next => return Ok((out, next)),
        }
    }
}

/// The groups of `order` (statuses by name, in workflow order; `statuses`: every status of
/// the teams shown, whose ids the counts name), each with its count and first
/// `source.shown` tasks. Empty groups are left out but for the board's columns.
pub async fn status_groups(
    ws: &Workspace,
    actor: &Actor,
    filter: &TaskFilter,
    order: &[Status],
    statuses: &[Status],
    source: &GroupSource,
) -> orgn_domain::Result<Vec<StatusGroup>> {
    let shown = source.shown;
    let counts = ws.count_tasks_by_status(actor, filter.clone()).await?;
    let count_of = |name: &str| -> i64 {
        counts
            .iter()
            .filter(|(id, _)| statuses.iter().any(|s| s.id == *id && s.name == name))
            .map(|(_, n)| n)
            .sum()
    };
    // The groups' first pages are read at once (each is one or a few queries).
    let pages = order.iter().map(|status| async move {
        let mut g = StatusGroup::empty(&status.name, status.kind);
        g.count = count_of(&status.name);
        if g.count > 0 {
            let (tasks, next) = group_page(ws, actor, filter, &status.name, None, shown).await?;
            g.tasks = super::graph::rows(&tasks, source.nested);
            g.more = next.map(|c| source.more(&status.name, c, shown));
        }
        Ok::<_, orgn_domain::Error>(g)
    });
    let groups = futures_util::future::try_join_all(pages)
        .await?
        .into_iter()
        .filter(|g| g.count > 0 || source.board)
        .collect();
    Ok(groups)
}

#[derive(Deserialize, Default)]
pub struct MoreQuery {
    #[serde(default)]
    scope: String,
    #[serde(default)]
    filter: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    cursor: String,
    #[serde(default)]
    board: String,
}

/// The next tasks of one group, as rows (or cards), and the link to the ones after.
#[derive(Template)]
#[template(path = "group_more.html")]
struct MoreRows {
    g: StatusGroup,
    board: bool,
}

pub async fn more(State(state): State<AppState>, me: Me, Query(q): Query<MoreQuery>) -> WebResult {
    let ws = &state.workspace;
    let scope = match q.scope.trim() {
        "" => None,
        key => Some(ws.visible_team(&me.actor, key).map_err(missing)?.key),
    };
    let list: ListQuery = serde_urlencoded::from_str(&q.filter).unwrap_or_default();
    let filter = scoped_filter(scope.as_deref(), &list);
    let (tasks, next) = group_page(
        ws,
        &me.actor,
        &filter,
        &q.status,
        Some(q.cursor.clone()),
        GROUP_STEP,
    )
    .await?;
    let board = !q.board.is_empty();
    let source = GroupSource {
        page_path: match &scope {
            Some(key) if board => format!("/team/{key}/board"),
            Some(key) => format!("/team/{key}/tasks"),
            None => "/my".into(),
        },
        scope: scope.unwrap_or_default(),
        filter_qs: list.query_string(),
        board,
        shown: GROUP_STEP,
        nested: list.nested(),
    };
    let kind = tasks
        .first()
        .map(|t| t.status.kind)
        .unwrap_or(StatusKind::Unstarted);
    let g = StatusGroup {
        selectable: !board,
        tasks: super::graph::rows(&tasks, source.nested),
        more: next.map(|c| source.more(&q.status, c, GROUP_STEP)),
        icon: status_icon(kind),
        ..StatusGroup::empty(&q.status, kind)
    };
    render(MoreRows { g, board })
}
