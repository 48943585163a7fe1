//! Bulk status change from the task list: the checked tasks, or every task matching the
//! list's filter (not only the ones shown), set to one status in one transaction. The
//! domain keeps what the change replaced, in the database, so that the toast's Undo can put
//! it back (also in one transaction) from whichever server process the click reaches.

use axum::extract::State;
use orgn_domain::model::{BulkChangeId, Task};
use orgn_domain::{Actor, Error, MAX_BULK, TaskFilter, Workspace};
use serde::Deserialize;

use super::tasks::groups::GROUP_STEP;
use super::tasks::list::{ListQuery, list_view, scoped_filter};
use super::tasks::tasks_up_to;
use super::{bad_request, client_message, see};
use crate::AppState;
use crate::error::WebResult;
use crate::session::{Me, Posted};
use crate::view::Toast;

#[derive(Deserialize, Default)]
pub struct BulkForm {
    /// The team key of a team's list; empty for My tasks.
    #[serde(default)]
    scope: String,
    /// The list's filter, as a query string.
    #[serde(default)]
    filter: String,
    #[serde(default)]
    status: String,
    /// "Select all matching the filter".
    all: Option<String>,
    /// The change to undo (the Undo form only).
    undo: Option<BulkChangeId>,
}

/// The list the form came from: its team (checked), its filter, and its URL.
fn origin(ws: &Workspace, actor: &Actor, f: &BulkForm) -> WebResult<(Option<String>, ListQuery)> {
    let scope = match f.scope.trim() {
        "" => None,
        key => Some(ws.visible_team(actor, key).map_err(super::missing)?.key),
    };
    let q: ListQuery = serde_urlencoded::from_str(&f.filter).unwrap_or_default();
    Ok((scope, q))
}

pub fn list_url(scope: Option<&str>, q: &ListQuery, extra: &str) -> String {
    let path = match scope {
        Some(key) => format!("/team/{key}/tasks"),
        None => "/my".to_string(),
    };
    let mut qs = q.query_string();
    if !extra.is_empty() {
        if !qs.is_empty() {
            qs.push('&');
        }
        qs.push_str(extra);
    }
    if qs.is_empty() {
        path
    } else {
        format!("{path}?{qs}")
    }
}

async fn targets(
    ws: &Workspace,
    me: &Me,
    f: &BulkForm,
    ids: &[String],
    filter: TaskFilter,
) -> orgn_domain::Result<Vec<Task>> {
    if f.all.is_some() {
        // One more than the limit, to tell "too many".
        let (tasks, _) = tasks_up_to(ws, &me.actor, filter, MAX_BULK + 1).await?;
        if tasks.len() > MAX_BULK {
            return Err(Error::Invalid(format!(
                "More than {MAX_BULK} tasks match this filter. A bulk change applies to at most {MAX_BULK} tasks at once: narrow the filter (by status, label, assignee…) and try again. Nothing was changed."
            )));
        }
        return Ok(tasks);
    }
    if ids.len() > MAX_BULK {
        return Err(Error::Invalid(format!(
            "{} tasks are selected; a bulk change applies to at most {MAX_BULK} at once. Nothing was changed.",
            ids.len()
        )));
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if !out
            .iter()
            .any(|t: &Task| t.identifier().eq_ignore_ascii_case(id))
        {
            out.push(ws.task(&me.actor, &id.parse()?).await?);
        }
    }
    Ok(out)
}

pub async fn apply(State(state): State<AppState>, posted: Posted<BulkForm>) -> WebResult {
    let ws = &state.workspace;
    let me = &posted.me;
    let f = &posted.form;
    let (scope, q) = origin(ws, &me.actor, f)?;
    let ids: Vec<String> = posted
        .all("ids")
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let status = f.status.trim();
    let outcome: orgn_domain::Result<BulkChangeId> = async {
        if status.is_empty() {
            return Err(Error::Invalid("Choose the status to set.".into()));
        }
        let tasks = targets(ws, me, f, &ids, scoped_filter(scope.as_deref(), &q)).await?;
        if tasks.is_empty() {
            return Err(Error::Invalid(if f.all.is_some() {
                "No tasks match this filter.".into()
            } else {
                "Select the tasks to change first (or tick \u{201c}Select all matching the filter\u{201d}).".into()
            }));
        }
        let idents: Vec<String> = tasks.iter().map(Task::identifier).collect();
        let change = ws.set_status_many_undoable(&me.actor, &idents, status).await?;
        Ok(change.id)
    }
    .await;
    match client_message(outcome)? {
        Ok(id) => see(&list_url(scope.as_deref(), &q, &format!("undo={id}"))),
        Err(msg) => bad_request(
            list_view(&state, me, scope.as_deref(), q, None, Some(msg), GROUP_STEP).await,
        ),
    }
}

/// Puts back the statuses a bulk change replaced, in one transaction.
pub async fn undo(State(state): State<AppState>, posted: Posted<BulkForm>) -> WebResult {
    let ws = &state.workspace;
    let me = &posted.me;
    let f = &posted.form;
    let (scope, q) = origin(ws, &me.actor, f)?;
    let change = f.undo.ok_or(crate::error::WebError::NotFound)?;
    match client_message(ws.undo_bulk_change(&me.actor, change).await)? {
        Ok(tasks) => see(&list_url(
            scope.as_deref(),
            &q,
            &format!("undone={}", tasks.len()),
        )),
        Err(msg) => bad_request(
            list_view(&state, me, scope.as_deref(), q, None, Some(msg), GROUP_STEP).await,
        ),
    }
}

/// The toast a list shows after a bulk change, an undo or a deletion.
pub async fn toast(state: &AppState, me: &Me, n: &ListNotice) -> Option<Toast> {
    // A change that can no longer be undone (or is someone else's) shows no toast.
    let change = match n.undo {
        Some(id) => state.workspace.bulk_change(&me.actor, id).await.ok(),
        None => None,
    };
    if let Some(change) = change {
        let (count, status, id) = (change.previous.len(), change.status, change.id);
        return Some(Toast {
            text: format!(
                "Status of {count} {} set to {status}",
                if count == 1 { "task" } else { "tasks" }
            ),
            undo: Some(id),
            restore: None,
        });
    }
    if let Some(n) = n.undone {
        return Some(Toast {
            text: format!(
                "Undone: {n} {} back to {} previous status",
                if n == 1 { "task" } else { "tasks" },
                if n == 1 { "its" } else { "their" }
            ),
            undo: None,
            restore: None,
        });
    }
    if let Some(ident) = n
        .deleted
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        return Some(Toast {
            text: format!("{ident} moved to the Trash"),
            undo: None,
            restore: Some(ident.to_string()),
        });
    }
    None
}

/// What a list was redirected with after an action.
#[derive(Deserialize, Default)]
pub struct ListNotice {
    pub undo: Option<BulkChangeId>,
    pub undone: Option<usize>,
    pub deleted: Option<String>,
}
