//! The OAuth endpoints a client calls directly, without the browser: token (RFC 6749 §3.2),
//! dynamic client registration (RFC 7591) and revocation (RFC 7009). Each answers JSON in
//! the RFCs' error shape, never a page; the rules are the domain's.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use orgn_domain::{ClientMetadata, OAuthError, TokenRequest, oauth_error};
use serde::Deserialize;
use serde_json::json;

use super::oauth::{allow_any_origin, public_json};
use crate::AppState;

/// The largest body these endpoints read.
pub const MAX_OAUTH_BODY: usize = 64 * 1024;

/// An OAuth error answer; `basic` when the client tried HTTP Basic (RFC 6749 §5.2).
fn error_answer(e: OAuthError, basic: bool) -> Response {
    if let Some(internal) = &e.internal {
        tracing::error!(error = %internal, "an OAuth request failed");
    }
    let status = match e.code {
        "invalid_client" => StatusCode::UNAUTHORIZED,
        "access_denied" => StatusCode::FORBIDDEN,
        "temporarily_unavailable" => StatusCode::TOO_MANY_REQUESTS,
        "server_error" => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut res = public_json(
        status,
        json!({"error": e.code, "error_description": e.description}),
    );
    if status == StatusCode::UNAUTHORIZED && basic {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"orgn\""),
        );
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("3600"));
    }
    res
}

/// One form-encoded component decoded (RFC 6749 §2.3.1 encodes Basic's parts so).
fn form_decoded(s: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={s}")).ok()?;
    pairs.into_iter().next().map(|(_, v)| v)
}

/// `Authorization: Basic` client credentials, if sent.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((form_decoded(id)?, form_decoded(secret)?))
}

#[derive(Deserialize, Default)]
struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    resource: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    token: Option<String>,
}

/// The form and the client's credentials, from the body or the Basic header.
fn token_request(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(TokenRequest, Option<String>, bool), OAuthError> {
    let form: TokenForm = serde_urlencoded::from_bytes(body).map_err(|_| {
        oauth_error(
            "invalid_request",
            "the body must be application/x-www-form-urlencoded, each parameter at most once",
        )
    })?;
    let basic = basic_credentials(headers);
    let sent_basic = basic.is_some();
    let (client_id, client_secret) = match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (form.client_id, form.client_secret),
    };
    let request = TokenRequest {
        grant_type: form.grant_type,
        code: form.code,
        redirect_uri: form.redirect_uri,
        code_verifier: form.code_verifier,
        refresh_token: form.refresh_token,
        resource: form.resource,
        client_id,
        client_secret,
    };
    Ok((request, form.token, sent_basic))
}

/// POST `/oauth/token`.
pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (request, _, basic) = match token_request(&headers, &body) {
        Ok(r) => r,
        Err(e) => return error_answer(e, false),
    };
    match state
        .workspace
        .oauth_token(&state.oauth.server, &request)
        .await
    {
        Ok(t) => {
            let mut res = public_json(
                StatusCode::OK,
                json!({
                    "access_token": t.access_token,
                    "token_type": "Bearer",
                    "expires_in": t.expires_in,
                    "refresh_token": t.refresh_token,
                    "scope": t.scope.as_str(),
                }),
            );
            res.headers_mut()
                .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            res
        }
        Err(e) => error_answer(e, basic),
    }
}

/// POST `/oauth/revoke`: 200 for any token, known or not (RFC 7009 §2.2).
pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (request, token, basic) = match token_request(&headers, &body) {
        Ok(r) => r,
        Err(e) => return error_answer(e, false),
    };
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return error_answer(oauth_error("invalid_request", "token is missing"), basic);
    };
    match state.workspace.revoke_oauth_token(&request, &token).await {
        Ok(()) => {
            let mut res = StatusCode::OK.into_response();
            allow_any_origin(&mut res);
            res
        }
        Err(e) => error_answer(e, basic),
    }
}

/// The address a registration is counted against: the peer, or, behind a reverse proxy on
/// the same machine, the address that proxy last added to `X-Forwarded-For`.
fn client_address(req: &Request) -> String {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    match (peer, forwarded) {
        (Some(ip), Some(f)) if ip.is_loopback() => f,
        (Some(ip), _) => ip.to_string(),
        (None, _) => "unknown".into(),
    }
}

/// POST `/oauth/register` (RFC 7591 §3).
pub async fn register(State(state): State<AppState>, req: Request) -> Response {
    let from = client_address(&req);
    let Ok(body) = axum::body::to_bytes(req.into_body(), MAX_OAUTH_BODY).await else {
        return error_answer(
            oauth_error("invalid_client_metadata", "the body is too large"),
            false,
        );
    };
    let metadata: ClientMetadata = match serde_json::from_slice(&body) {
        Ok(m) => m,
        Err(e) => {
            return error_answer(
                oauth_error(
                    "invalid_client_metadata",
                    format!("the body is not client metadata JSON: {e}"),
                ),
                false,
            );
        }
    };
    let method = metadata.token_endpoint_auth_method.clone();
    match state
        .workspace
        .register_oauth_client(&state.oauth.server, metadata, &from)
        .await
    {
        Ok(r) => {
            let mut answer = json!({
                "client_id": r.client.client_id,
                "client_id_issued_at": r.client.created_at.unix_timestamp(),
                "client_name": r.client.name,
                "redirect_uris": r.client.redirect_uris,
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": method.unwrap_or_else(|| "client_secret_basic".into()),
            });
            if let Some(secret) = r.client_secret {
                answer["client_secret"] = json!(secret);
                answer["client_secret_expires_at"] = json!(0);
            }
            public_json(StatusCode::CREATED, answer)
        }
        Err(e) => error_answer(e, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut h = HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode("my%20app:s%3Acret");
        h.insert(
            header::AUTHORIZATION,
            format!("Basic {encoded}").parse().unwrap(),
        );
        assert_eq!(
            basic_credentials(&h),
            Some(("my app".into(), "s:cret".into()))
        );
        h.insert(header::AUTHORIZATION, "Bearer x".parse().unwrap());
        assert_eq!(basic_credentials(&h), None);
    }
}
