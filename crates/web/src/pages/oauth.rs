//! Orgn as the OAuth 2.1 authorization server of its MCP endpoints, the parts a browser or
//! a discovering client sees: the metadata documents (RFC 9728 for the resources, RFC 8414
//! and the OpenID discovery path for the server) and the authorization endpoint with its
//! consent page (sign-in first, then Allow or Deny). The token, registration and revocation
//! endpoints are in `oauth_token.rs`; the rules are the domain's (`workspace/oauth.rs`).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use orgn_domain::store::ClientKind;
use orgn_domain::{
    AuthorizeParams, AuthorizeRefusal, Consent, MetadataFetcher, OAuthServer, SCOPES_SUPPORTED,
    redirect_host,
};
use serde_json::{Value, json};

use super::render_with;
use crate::AppState;
use crate::error::WebResult;
use crate::session::{Me, Posted};

/// What the OAuth endpoints need besides the workspace.
pub struct OAuthState {
    pub server: OAuthServer,
    pub fetcher: Arc<dyn MetadataFetcher>,
}

/// Put on the consent page's answer: the one extra `form-action` source its CSP allows, the
/// origin of the client's redirect URI. Chromium applies `form-action` to the redirect that
/// follows the form's POST, so without it Allow could not send the browser back to the app.
#[derive(Clone)]
pub struct FormActionSource(pub String);

/// A JSON answer any web origin may read (browser-based MCP clients discover and sign in
/// from their own origin; nothing here depends on cookies).
pub fn public_json(status: StatusCode, body: Value) -> Response {
    let mut res = (status, axum::Json(body)).into_response();
    allow_any_origin(&mut res);
    res
}

pub fn allow_any_origin(res: &mut Response) {
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

/// The CORS preflight of the public OAuth endpoints.
pub async fn preflight() -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    allow_any_origin(&mut res);
    let h = res.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type, MCP-Protocol-Version"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    res
}

fn resource_metadata(server: &OAuthServer, read_only: bool) -> Value {
    let scopes: &[&str] = if read_only {
        &["mcp:read"]
    } else {
        &SCOPES_SUPPORTED
    };
    json!({
        "resource": server.resource(read_only),
        "authorization_servers": [server.issuer],
        "scopes_supported": scopes,
        "bearer_methods_supported": ["header"],
        "resource_name": "Orgn",
        "resource_documentation": format!("{}/settings/mcp", server.issuer),
    })
}

/// RFC 9728 for `/mcp` (also at the well-known root, where clients look first).
pub async fn protected_resource(State(state): State<AppState>) -> Response {
    public_json(
        StatusCode::OK,
        resource_metadata(&state.oauth.server, false),
    )
}

/// RFC 9728 for `/mcp/readonly`.
pub async fn protected_resource_readonly(State(state): State<AppState>) -> Response {
    public_json(StatusCode::OK, resource_metadata(&state.oauth.server, true))
}

/// RFC 8414 (and the same at `/.well-known/openid-configuration`). The registration
/// endpoint is named only while registration is on.
pub async fn authorization_server(State(state): State<AppState>) -> WebResult {
    let server = &state.oauth.server;
    let policy = state.workspace.oauth_policy(server).await?;
    let issuer = &server.issuer;
    let auth_methods = ["none", "client_secret_basic", "client_secret_post"];
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "scopes_supported": SCOPES_SUPPORTED,
        "client_id_metadata_document_supported": policy.metadata_documents,
        "authorization_response_iss_parameter_supported": true,
        "service_documentation": format!("{issuer}/settings/mcp"),
    });
    if policy.dynamic_registration {
        doc["registration_endpoint"] = json!(format!("{issuer}/oauth/register"));
    }
    Ok(public_json(StatusCode::OK, doc))
}

#[derive(Template)]
#[template(path = "oauth_consent.html")]
struct ConsentPage {
    csrf: String,
    user_email: String,
    client_name: String,
    redirect_host: String,
    /// False for a self-registered client, whose name nobody vouches for.
    verified: bool,
    /// Where a metadata document client is published: the site that vouches for it.
    client_host: String,
    abilities: &'static [&'static str],
    params: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "oauth_error.html")]
struct ErrorPage {
    message: String,
}

fn error_page(message: String) -> WebResult {
    render_with(StatusCode::BAD_REQUEST, ErrorPage { message })
}

/// The request checked (`Ok`), or the answer that refuses it (`Err`).
async fn checked(state: &AppState, p: &AuthorizeParams) -> Result<Consent, Response> {
    let refuse = |why: String| match error_page(why) {
        Ok(res) => res,
        Err(e) => e.into_response(),
    };
    let Some(client_id) = p.client_id.as_deref().filter(|c| !c.is_empty()) else {
        return Err(refuse("the request has no client_id".into()));
    };
    let server = &state.oauth.server;
    let ws = &state.workspace;
    let client = ws
        .oauth_client_for(server, client_id, state.oauth.fetcher.as_ref())
        .await
        .map_err(|e| crate::error::WebError::from(e).into_response())?
        .map_err(refuse)?;
    ws.check_authorization(server, client, p)
        .map_err(|refusal| match refusal {
            AuthorizeRefusal::Page(why) => refuse(why),
            AuthorizeRefusal::Redirect(to) => Redirect::to(&to).into_response(),
        })
}

/// The `form-action` source for a redirect URI: its origin, or its scheme for a private-use
/// scheme (`cursor:`). `None` when it has characters a CSP source cannot hold.
fn form_action_source(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Some(format!("{scheme}:"));
    }
    let rest = rest.strip_prefix("//")?;
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let ok = !authority.is_empty()
        && authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    ok.then(|| format!("{scheme}://{authority}"))
}

fn hidden_params(c: &Consent, p: &AuthorizeParams) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("response_type", "code".to_string()),
        ("client_id", c.client.client_id.clone()),
        ("redirect_uri", c.redirect_uri.clone()),
        ("code_challenge", c.code_challenge.clone()),
        ("code_challenge_method", "S256".to_string()),
        ("resource", c.resource.clone()),
    ];
    if let Some(scope) = &p.scope {
        out.push(("scope", scope.clone()));
    }
    if let Some(state) = &p.state {
        out.push(("state", state.clone()));
    }
    out
}

/// GET `/oauth/authorize`: after sign-in, the consent page for a valid request.
pub async fn authorize(
    State(state): State<AppState>,
    me: Me,
    Query(p): Query<AuthorizeParams>,
) -> WebResult {
    let consent = match checked(&state, &p).await {
        Ok(c) => c,
        Err(answer) => return Ok(answer),
    };
    let page = ConsentPage {
        csrf: me.csrf.clone(),
        user_email: me.actor.user().email.clone(),
        client_name: consent.client.name.clone(),
        redirect_host: redirect_host(&consent.redirect_uri),
        verified: consent.client.kind == ClientKind::MetadataDocument,
        client_host: redirect_host(&consent.client.client_id),
        abilities: consent.scope.abilities(),
        params: hidden_params(&consent, &p),
    };
    let mut res = render_with(StatusCode::OK, page)?;
    if let Some(source) = form_action_source(&consent.redirect_uri) {
        res.extensions_mut().insert(FormActionSource(source));
    }
    Ok(res)
}

/// POST `/oauth/authorize`: Allow or Deny, with the session's CSRF token. The request is
/// checked again (the form's fields are the client's request), then the browser goes back
/// to the app with a code, or with `access_denied`.
pub async fn decide(State(state): State<AppState>, posted: Posted<AuthorizeParams>) -> WebResult {
    let consent = match checked(&state, &posted.form).await {
        Ok(c) => c,
        Err(answer) => return Ok(answer),
    };
    let server = &state.oauth.server;
    let to = if posted.all("decision").iter().any(|d| d == "allow") {
        state
            .workspace
            .approve_authorization(&posted.me.actor, server, &consent)
            .await?
    } else {
        state.workspace.deny_authorization(server, &consent)
    };
    Ok(Redirect::to(&to).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_action_exception_is_the_redirect_origin() {
        assert_eq!(
            form_action_source("http://127.0.0.1:5555/cb?x=1").as_deref(),
            Some("http://127.0.0.1:5555")
        );
        assert_eq!(
            form_action_source("https://claude.ai/api/mcp/auth_callback").as_deref(),
            Some("https://claude.ai")
        );
        assert_eq!(
            form_action_source("cursor://anysphere.cursor-retrieval/oauth").as_deref(),
            Some("cursor:")
        );
        assert_eq!(form_action_source("https://a;b/cb"), None);
    }
}
