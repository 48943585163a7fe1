//! Who is asking: the session cookie, the CSRF check on every form, and the brake on
//! repeated failed sign-ins.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use orgn_domain::{Actor, Error};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::WebError;

pub const SESSION_COOKIE: &str = "orgn_session";
/// Holds a random value that the sign-in form echoes: the sign-in form's CSRF token, before
/// there is a session to keep one in.
pub const PRE_SESSION_COOKIE: &str = "orgn_signin";
pub const CSRF_FIELD: &str = "_csrf";

/// The value of one cookie from the `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for a cookie that scripts cannot read and other sites do not send on POST.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

pub fn clear_cookie(name: &str, secure: bool) -> String {
    set_cookie(name, "", Some(0), secure)
}

/// Compares secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The signed-in user of a page request, with the session's CSRF token for its forms.
///
/// Only a session cookie signs in: an `Authorization` header (an MCP token) is ignored here.
pub struct Me {
    pub actor: Actor,
    pub csrf: String,
    /// The session cookie's value, for the operations that end the person's other sessions.
    pub session_id: String,
}

async fn me_from(parts: &Parts, state: &AppState) -> Result<Me, Error> {
    let id = cookie(&parts.headers, SESSION_COOKIE)
        .ok_or_else(|| Error::Unauthenticated("please sign in".into()))?;
    let (actor, csrf) = state.workspace.session_actor(&id).await?;
    Ok(Me {
        actor,
        csrf,
        session_id: id,
    })
}

impl FromRequestParts<AppState> for Me {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        me_from(parts, state).await.map_err(|e| match e {
            Error::Unauthenticated(_) => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default();
                WebError::SignIn(next)
            }
            other => other.into(),
        })
    }
}

/// A form posted by a signed-in user, whose `_csrf` field matched the session's token.
/// Anything else is refused with 403 before the handler runs.
pub struct Posted<T> {
    pub me: Me,
    pub form: T,
    /// Every field as posted, in order, for repeated keys such as `labels`.
    pub pairs: Vec<(String, String)>,
}

impl<T> Posted<T> {
    pub fn all(&self, key: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

fn forbidden() -> WebError {
    WebError::Forbidden(
        "This form has expired or did not come from Orgn. Go back, reload the page and try again."
            .into(),
    )
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Posted<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let me = me_from(&parts, state).await.map_err(|e| match e {
            Error::Unauthenticated(_) => forbidden(),
            other => other.into(),
        })?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| WebError::Invalid("the form could not be read".into()))?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| WebError::Invalid("the form could not be read".into()))?;
        let sent = pairs
            .iter()
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        if !same_secret(sent, &me.csrf) {
            return Err(forbidden());
        }
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| WebError::Invalid(format!("the form is incomplete: {e}")))?;
        Ok(Posted { me, form, pairs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn reads_one_cookie_among_several() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; orgn_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("", "abc"));
    }
}
