//! Sign in and out.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use orgn_domain::Error;
use serde::Deserialize;

use super::{Empty, render_with};
use crate::AppState;
use crate::error::{WebError, WebResult};
use crate::session::{
    self, PRE_SESSION_COOKIE, Posted, SESSION_COOKIE, clear_cookie, cookie, same_secret, set_cookie,
};

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    csrf: String,
    next: String,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Where to go after signing in: only a path of this app, otherwise My tasks. A path is
/// printable ASCII (a URL's own characters; anything else is percent-encoded) that starts
/// with one `/`. Browsers drop tabs and line breaks inside a URL and read `\` as `/`, so
/// `/\t/evil.example` or `/\\evil.example` would lead off the site; a control character
/// would not even fit in a `Location` header.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_string()
        }
        _ => "/my".to_string(),
    }
}

fn sign_in_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    next: String,
    email: String,
    error: Option<String>,
) -> WebResult {
    // The sign-in form's CSRF token lives in a cookie until there is a session.
    let existing = cookie(headers, PRE_SESSION_COOKIE);
    let token = existing
        .clone()
        .unwrap_or_else(|| orgn_domain::secrets::random_base62(32));
    let mut res = render_with(
        status,
        SignInPage {
            csrf: token.clone(),
            next,
            email,
            error,
        },
    )?;
    if existing.is_none() {
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(PRE_SESSION_COOKIE, &token, Some(3600), state.secure_cookies)
                .parse()
                .unwrap(),
        );
    }
    Ok(res)
}

pub async fn sign_in_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> WebResult {
    if let Some(id) = cookie(&headers, SESSION_COOKIE)
        && state.workspace.session_actor(&id).await.is_ok()
    {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    sign_in_form(
        &state,
        &headers,
        StatusCode::OK,
        safe_next(q.next.as_deref()),
        String::new(),
        None,
    )
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// A sign-in form is an e-mail, a password, a token and a path: a few hundred bytes. Bigger
/// is refused (413) before it is read.
pub const MAX_SIGN_IN_FORM: usize = 8 * 1024;
/// The longest e-mail address there is (RFC 5321's path limit less its brackets).
const MAX_EMAIL: usize = 254;

pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    Form(f): Form<SignInForm>,
) -> WebResult {
    let client = peer.map(|axum::Extension(info)| info.0.ip());
    let expected = cookie(&headers, PRE_SESSION_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_secret(&f.csrf, &expected) {
        return Err(WebError::Forbidden(
            "The sign-in form expired. Reload the page and try again.".into(),
        ));
    }
    // Before anything remembers it (the throttle) or hashes for it.
    if f.email.trim().len() > MAX_EMAIL {
        return Err(WebError::Invalid(format!(
            "An e-mail address has at most {MAX_EMAIL} characters."
        )));
    }
    let email = f.email.trim().to_lowercase();
    let next = safe_next(f.next.as_deref());
    let delay = state.workspace.sign_in_delay(&email, client).await?;
    if delay.is_positive() {
        tokio::time::sleep(delay.unsigned_abs()).await;
    }
    let user = match state.workspace.sign_in(&email, &f.password).await {
        Ok(user) => user,
        Err(Error::Unauthenticated(m)) => {
            state.workspace.sign_in_failed(&email, client).await?;
            return sign_in_form(
                &state,
                &headers,
                StatusCode::UNAUTHORIZED,
                next,
                f.email,
                Some(m),
            );
        }
        Err(e) => return Err(e.into()),
    };
    state.workspace.sign_in_succeeded(&email).await?;
    // A fresh session id at every sign-in; the one the browser had before is ended.
    if let Some(old) = cookie(&headers, SESSION_COOKIE) {
        let _ = state.workspace.end_session(&old).await;
    }
    let session = state.workspace.start_session(&user).await?;
    let max_age = orgn_domain::SESSION_LIFETIME.whole_seconds();
    let mut res: Response = Redirect::to(&next).into_response();
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            &session.id,
            Some(max_age),
            state.secure_cookies,
        )
        .parse()
        .unwrap(),
    );
    h.append(
        header::SET_COOKIE,
        clear_cookie(PRE_SESSION_COOKIE, state.secure_cookies)
            .parse()
            .unwrap(),
    );
    Ok(res)
}

pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    posted: Posted<Empty>,
) -> WebResult {
    let _ = posted;
    if let Some(id) = cookie(&headers, session::SESSION_COOKIE) {
        state.workspace.end_session(&id).await?;
    }
    let mut res: Response = Redirect::to("/signin").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        clear_cookie(SESSION_COOKIE, state.secure_cookies)
            .parse()
            .unwrap(),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_a_path_of_this_app_or_my_tasks() {
        for kept in [
            "/my",
            "/team/ENG/tasks?status=started",
            "/tasks/ENG-12#comment-3",
            "/docs/%20x",
        ] {
            assert_eq!(safe_next(Some(kept)), kept);
        }
        for refused in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example/phish",
            "/\n/x",
            "/\r/x",
            "/\0/x",
            "/\u{b}/x",
            "/a\\b",
            "/ x",
            "/caf\u{e9}",
            "https://evil.example",
            "evil",
            "",
        ] {
            assert_eq!(safe_next(Some(refused)), "/my", "{refused:?}");
        }
        assert_eq!(safe_next(None), "/my");
    }
}
