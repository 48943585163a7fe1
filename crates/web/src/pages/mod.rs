//! The handlers, one module per area of the app.

pub mod assistant;
pub mod auth;
pub mod bulk;
pub mod cycles;
pub mod data;
pub mod docs;
pub mod inbox;
pub mod labels;
pub mod live;
pub mod mcp_access;
pub mod oauth;
pub mod oauth_token;
pub mod palette;
pub mod projects;
pub mod revisions;
pub mod settings;
pub mod tasks;
pub mod trash;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use orgn_domain::{Actor, Error, Result as DomainResult, TaskRef};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::session::Me;

/// A form with nothing in it but its CSRF token.
#[derive(Deserialize)]
pub struct Empty {}

pub fn render(t: impl Template) -> WebResult {
    Ok(Html(t.render()?).into_response())
}

pub fn render_with(status: StatusCode, t: impl Template) -> WebResult {
    Ok((status, Html(t.render()?)).into_response())
}

pub fn see(path: &str) -> WebResult {
    Ok(Redirect::to(path).into_response())
}

/// A form's outcome: on a client mistake, the message to show above the form again
/// (the caller re-renders with 400); any other error stops the request.
///
/// "Not found" counts as a mistake in a form: it names a choice that does not exist
/// ("Label "Nope" not found in ENG; valid: Bug, Frontend"). Callers check the page's own
/// subject first, so that a task or team outside the user's teams is still a 404.
pub fn client_message<T>(r: DomainResult<T>) -> Result<std::result::Result<T, String>, WebError> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(Error::Invalid(m)) | Err(Error::Conflict(m)) | Err(Error::NotFound(m)) => Ok(Err(m)),
        Err(e) => Err(e.into()),
    }
}

/// For the subject of a page (the task, team, project or doc in its URL): a reference that
/// does not resolve, or is malformed, is a page that does not exist.
/// A task identifier from a URL or a form: one that is not well formed (a line break or a
/// space around it included) is not found.
pub fn task_ref(id: &str) -> Result<TaskRef, WebError> {
    if id.trim() != id {
        return Err(WebError::NotFound);
    }
    id.parse().map_err(missing)
}

pub fn missing(e: Error) -> WebError {
    match e {
        Error::NotFound(_) | Error::Invalid(_) => WebError::NotFound,
        e => e.into(),
    }
}

/// Re-renders a page with a form's error message, answering 400.
pub fn bad_request(page: WebResult) -> WebResult {
    let mut res = page?;
    *res.status_mut() = StatusCode::BAD_REQUEST;
    Ok(res)
}

pub async fn home(me: Me) -> WebResult {
    let _ = me;
    see("/my")
}

pub async fn not_found() -> Response {
    WebError::NotFound.into_response()
}

/// The keys of the teams the user is a member of.
pub fn team_keys(actor: &Actor) -> Vec<String> {
    actor
        .memberships()
        .iter()
        .map(|m| m.team.key.clone())
        .collect()
}

/// `Some(text)` for a non-empty field, else `None`.
pub fn given(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}
