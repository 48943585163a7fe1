//! An OAuth authorization request (RFC 6749 §4.1.1 with PKCE, RFC 7636, and `resource`,
//! RFC 8707): checked before the user is asked, then answered at the client's redirect URI
//! with a single-use code, or an error, and `iss` (RFC 9207).

use time::Duration;

use super::Workspace;
use super::oauth::{CODE_LIFETIME, OAuthServer, Scope};
use super::oauth_clients::redirect_uri_matches;
use crate::access::Actor;
use crate::error::Result;
use crate::secrets;
use crate::store::{StoredClient, StoredCode};

/// An authorization request's parameters, as they came (RFC 6749 §4.1.1, RFC 7636, RFC 8707).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub resource: Option<String>,
}

/// A valid authorization request, waiting for the user's answer.
#[derive(Debug, Clone)]
pub struct Consent {
    pub client: StoredClient,
    pub redirect_uri: String,
    pub scope: Scope,
    pub resource: String,
    pub code_challenge: String,
    pub state: Option<String>,
}

/// Why an authorization request is refused.
#[derive(Debug)]
pub enum AuthorizeRefusal {
    /// The client or its redirect URI cannot be trusted: shown to the user, never redirected
    /// (RFC 6749 §4.1.2.1).
    Page(String),
    /// Told to the client at its redirect URI.
    Redirect(String),
}

/// `redirect_uri` with the query parameters added (percent-encoded).
pub fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut out = uri.to_string();
    let mut sep = if uri.contains('?') { '&' } else { '?' };
    for (k, v) in params {
        out.push(sep);
        sep = '&';
        out.push_str(&percent_encode(k));
        out.push('=');
        out.push_str(&percent_encode(v));
    }
    out
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn challenge_well_formed(c: &str) -> bool {
    c.len() == 43
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Workspace {
    /// Checks an authorization request (RFC 6749 §4.1.1 with PKCE and `resource`) before the
    /// user is asked; the client comes from `oauth_client_for`.
    pub fn check_authorization(
        &self,
        server: &OAuthServer,
        client: StoredClient,
        p: &AuthorizeParams,
    ) -> std::result::Result<Consent, AuthorizeRefusal> {
        let redirect_uri = match p.redirect_uri.as_deref() {
            Some(uri) if redirect_uri_matches(&client.redirect_uris, uri) => uri.to_string(),
            Some(_) => {
                return Err(AuthorizeRefusal::Page(
                    "the redirect_uri is not one this app registered".into(),
                ));
            }
            None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
            None => {
                return Err(AuthorizeRefusal::Page(
                    "the request has no redirect_uri".into(),
                ));
            }
        };
        let refuse = |code: &str, description: &str| {
            let mut params = vec![("error", code), ("error_description", description)];
            if let Some(state) = p.state.as_deref() {
                params.push(("state", state));
            }
            params.push(("iss", server.issuer.as_str()));
            AuthorizeRefusal::Redirect(with_query(&redirect_uri, &params))
        };
        if p.response_type.as_deref() != Some("code") {
            return Err(refuse(
                "unsupported_response_type",
                "only response_type=code is supported",
            ));
        }
        let challenge = p.code_challenge.as_deref().unwrap_or("");
        match p.code_challenge_method.as_deref() {
            _ if challenge.is_empty() => {
                return Err(refuse(
                    "invalid_request",
                    "PKCE is required: send code_challenge with code_challenge_method=S256",
                ));
            }
            Some("S256") if challenge_well_formed(challenge) => {}
            Some("S256") => {
                return Err(refuse("invalid_request", "code_challenge is not S256"));
            }
            _ => {
                return Err(refuse(
                    "invalid_request",
                    "only code_challenge_method=S256 is supported",
                ));
            }
        }
        let Some(resource) = server.resource_named(p.resource.as_deref()) else {
            return Err(refuse(
                "invalid_target",
                "resource must be this server's /mcp or /mcp/readonly",
            ));
        };
        let scope = if resource == server.resource(true) {
            Scope::McpRead
        } else {
            Scope::requested(p.scope.as_deref())
        };
        Ok(Consent {
            client,
            redirect_uri,
            scope,
            resource,
            code_challenge: challenge.to_string(),
            state: p.state.clone(),
        })
    }

    /// The user allowed: a single-use code, and where to send the browser with it (the
    /// client's redirect URI with `code`, `state` and `iss`, RFC 9207).
    pub async fn approve_authorization(
        &self,
        actor: &Actor,
        server: &OAuthServer,
        consent: &Consent,
    ) -> Result<String> {
        let code = secrets::random_base62(43);
        let now = self.now();
        let stored = StoredCode {
            client_id: consent.client.client_id.clone(),
            user_id: actor.id(),
            redirect_uri: consent.redirect_uri.clone(),
            code_challenge: consent.code_challenge.clone(),
            scope: consent.scope.as_str().into(),
            resource: consent.resource.clone(),
            expires_at: now + CODE_LIFETIME,
            used: false,
        };
        self.store
            .create_oauth_code(&secrets::digest(&code), &stored, now - Duration::hours(1))
            .await?;
        let mut params = vec![("code", code.as_str())];
        if let Some(state) = consent.state.as_deref() {
            params.push(("state", state));
        }
        params.push(("iss", server.issuer.as_str()));
        Ok(with_query(&consent.redirect_uri, &params))
    }

    /// The user denied: where to send the browser (RFC 6749 §4.1.2.1 `access_denied`).
    pub fn deny_authorization(&self, server: &OAuthServer, consent: &Consent) -> String {
        let mut params = vec![
            ("error", "access_denied"),
            ("error_description", "the user denied access"),
        ];
        if let Some(state) = consent.state.as_deref() {
            params.push(("state", state));
        }
        params.push(("iss", server.issuer.as_str()));
        with_query(&consent.redirect_uri, &params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_encoded() {
        assert_eq!(
            with_query(
                "https://a.example/cb?x=1",
                &[("state", "a b&c"), ("iss", "https://o")]
            ),
            "https://a.example/cb?x=1&state=a%20b%26c&iss=https%3A%2F%2Fo"
        );
    }
}
