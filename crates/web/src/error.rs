//! One error type for every handler, and the page each kind of error shows.
//! A client's mistake is a 4xx with words it can act on; only our own faults are 5xx, and
//! their details go to the log.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use orgn_domain::Error;

#[derive(Debug)]
pub enum WebError {
    NotFound,
    Invalid(String),
    Forbidden(String),
    /// The server has too much of this work at once: 429, try again in a second.
    Busy(String),
    /// Not signed in: go to the sign-in page, then back to this path.
    SignIn(String),
    Internal(String),
}

impl From<Error> for WebError {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound(_) => WebError::NotFound,
            Error::Invalid(m) | Error::Conflict(m) => WebError::Invalid(m),
            Error::Forbidden(m) => WebError::Forbidden(m),
            Error::Busy(m) => WebError::Busy(m),
            Error::Unauthenticated(_) => WebError::SignIn(String::new()),
            Error::Internal(m) => WebError::Internal(m),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(format!("template: {e}"))
    }
}

pub type WebResult<T = Response> = Result<T, WebError>;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    code: u16,
    title: &'a str,
    message: &'a str,
}

pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let page = ErrorPage {
        code: status.as_u16(),
        title,
        message,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, title.to_string()).into_response(),
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::NotFound => error_page(
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here, or it belongs to a team you are not a member of.",
            ),
            WebError::Invalid(m) => error_page(StatusCode::BAD_REQUEST, "That did not work", &m),
            WebError::Forbidden(m) => error_page(StatusCode::FORBIDDEN, "Not allowed", &m),
            WebError::Busy(m) => {
                let mut res = error_page(StatusCode::TOO_MANY_REQUESTS, "Busy", &m);
                res.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
                res
            }
            WebError::SignIn(next) => {
                let target = if next.is_empty() || next == "/" {
                    "/signin".to_string()
                } else {
                    format!("/signin?next={}", crate::view::url_encode(&next))
                };
                let mut res = Redirect::to(&target).into_response();
                res.headers_mut()
                    .insert(header::CACHE_CONTROL, "no-store".parse().unwrap());
                res
            }
            WebError::Internal(m) => {
                tracing::error!(error = %m, "web request failed");
                error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The error has been logged. Please try again.",
                )
            }
        }
    }
}
