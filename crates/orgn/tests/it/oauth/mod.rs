//! OAuth 2.1 for the MCP endpoints: discovery, registration both ways, the authorization
//! code flow with PKCE and consent, tokens, refresh rotation with its grace, revocation and
//! Disconnect, and the refusals. Real clients run the whole flow (`clients.rs`: the official
//! TypeScript SDK, mcp-remote, Chromium); the rules are driven over HTTP step by step
//! (`flow.rs`). Here: the helpers they share, and discovery.

mod clients;
mod flow;

use serde_json::{Value, json};

use crate::http::*;
use crate::support::*;

/// RFC 7636 Appendix B's pair.
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(crate) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub(crate) const REDIRECT: &str = "http://127.0.0.1:7777/callback";
pub(crate) const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub(crate) fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A query parameter of a URL, decoded.
pub(crate) fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| {
            let bytes = v.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
                    out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
                    i += 3;
                } else {
                    out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
                    i += 1;
                }
            }
            String::from_utf8(out).unwrap()
        })
    })
}

/// A signed-in browser of one user: its session cookie and CSRF token.
pub(crate) struct Signed {
    pub cookie: String,
    pub csrf: String,
}

pub(crate) async fn browser(app: &TestApp, email: &str) -> Signed {
    let user = app.actor(email).await.user().clone();
    let session = app.workspace.start_session(&user).await.unwrap();
    Signed {
        cookie: format!("orgn_session={}", session.id),
        csrf: session.csrf_token,
    }
}

/// An authorization request's parameters, which tests change one at a time.
pub(crate) fn authorize_params(client_id: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", client_id.into()),
        ("redirect_uri", REDIRECT.into()),
        ("code_challenge", CHALLENGE.into()),
        ("code_challenge_method", "S256".into()),
        ("state", "st4te".into()),
        ("scope", "mcp".into()),
    ]
}

pub(crate) fn with(
    params: &[(&'static str, String)],
    name: &'static str,
    value: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut out: Vec<_> = params.iter().filter(|(k, _)| *k != name).cloned().collect();
    if let Some(v) = value {
        out.push((name, v.to_string()));
    }
    out
}

pub(crate) fn pairs<'a>(params: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    params.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

pub(crate) async fn register(app: &TestApp, body: Value) -> Answer {
    request(
        app.addr,
        "POST",
        "/oauth/register",
        &[JSON_TYPE],
        body.to_string(),
    )
    .await
}

/// A public client registered dynamically with `REDIRECT`.
pub(crate) async fn registered_client(app: &TestApp) -> String {
    let r = register(
        app,
        json!({"client_name": "Test app", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["client_id"].as_str().unwrap().to_string()
}

pub(crate) async fn get_authorize(
    app: &TestApp,
    who: &Signed,
    params: &[(&'static str, String)],
) -> Answer {
    let path = format!("/oauth/authorize?{}", form(&pairs(params)));
    request(app.addr, "GET", &path, &[("Cookie", &who.cookie)], "").await
}

/// Allow (or Deny) posted from the consent page: the answer's Location.
pub(crate) async fn decide(
    app: &TestApp,
    who: &Signed,
    params: &[(&'static str, String)],
    decision: &str,
) -> String {
    let mut fields = pairs(params);
    fields.push(("_csrf", &who.csrf));
    fields.push(("decision", decision));
    let r = request(
        app.addr,
        "POST",
        "/oauth/authorize",
        &[("Cookie", &who.cookie), FORM],
        form(&fields),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    r.header("location").unwrap().to_string()
}

/// A code for `params`, after the consent page showed and Allow was pressed.
pub(crate) async fn code_for(
    app: &TestApp,
    who: &Signed,
    params: &[(&'static str, String)],
) -> String {
    let page = get_authorize(app, who, params).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let back = decide(app, who, params, "allow").await;
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(query_param(&back, "state").as_deref(), Some("st4te"));
    assert_eq!(
        query_param(&back, "iss").as_deref(),
        Some(app.base_url.as_str())
    );
    query_param(&back, "code").expect("a code")
}

pub(crate) async fn token(app: &TestApp, fields: &[(&str, &str)]) -> Answer {
    request(app.addr, "POST", "/oauth/token", &[FORM], form(fields)).await
}

pub(crate) async fn exchange(app: &TestApp, client_id: &str, code: &str) -> Answer {
    token(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", client_id),
        ],
    )
    .await
}

pub(crate) async fn refresh(app: &TestApp, client_id: &str, refresh_token: &str) -> Answer {
    token(
        app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ],
    )
    .await
}

/// Registration, consent and exchange for ALICE: the client id and the token answer.
pub(crate) async fn connected(
    app: &TestApp,
    params: impl FnOnce(&str) -> Vec<(&'static str, String)>,
) -> (String, Value) {
    let client = registered_client(app).await;
    let alice = browser(app, ALICE).await;
    let code = code_for(app, &alice, &params(&client)).await;
    let r = exchange(app, &client, &code).await;
    assert_eq!(r.status, 200, "{}", r.body);
    (client, r.json())
}

pub(crate) fn field<'a>(v: &'a Value, name: &str) -> &'a str {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {v}"))
}

pub(crate) async fn tools_list(app: &TestApp, path: &str, token: &str) -> Answer {
    mcp_post(
        app.addr,
        path,
        Some(token),
        &[],
        &rpc("tools/list", json!({})),
    )
    .await
}

pub(crate) fn error_of(r: &Answer) -> String {
    r.json()["error"].as_str().unwrap_or_default().to_string()
}

// --- Discovery ---------------------------------------------------------------------------------

#[tokio::test]
pub(crate) async fn the_metadata_documents_describe_the_server_and_401_points_to_them() {
    let app = TestApp::builder()
        .public_url("https://orgn.example")
        .spawn()
        .await;
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let prm = request(app.addr, "GET", path, &[], "").await.json();
        assert_eq!(prm["resource"], "https://orgn.example/mcp");
        assert_eq!(
            prm["authorization_servers"],
            json!(["https://orgn.example"])
        );
        assert_eq!(prm["scopes_supported"], json!(["mcp", "mcp:read"]));
        assert_eq!(prm["bearer_methods_supported"], json!(["header"]));
    }
    let ro = request(
        app.addr,
        "GET",
        "/.well-known/oauth-protected-resource/mcp/readonly",
        &[],
        "",
    )
    .await;
    assert_eq!(ro.json()["resource"], "https://orgn.example/mcp/readonly");
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let r = request(app.addr, "GET", path, &[], "").await;
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        let m = r.json();
        assert_eq!(m["issuer"], "https://orgn.example");
        assert_eq!(
            m["authorization_endpoint"],
            "https://orgn.example/oauth/authorize"
        );
        assert_eq!(m["token_endpoint"], "https://orgn.example/oauth/token");
        assert_eq!(
            m["registration_endpoint"],
            "https://orgn.example/oauth/register"
        );
        assert_eq!(
            m["revocation_endpoint"],
            "https://orgn.example/oauth/revoke"
        );
        assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(m["response_types_supported"], json!(["code"]));
        assert_eq!(
            m["grant_types_supported"],
            json!(["authorization_code", "refresh_token"])
        );
        assert_eq!(m["client_id_metadata_document_supported"], true);
        assert_eq!(m["authorization_response_iss_parameter_supported"], true);
        assert!(
            m["token_endpoint_auth_methods_supported"]
                .as_array()
                .unwrap()
                .contains(&json!("none"))
        );
    }
    let host = ("Host", "orgn.example");
    let r = mcp_post(
        app.addr,
        "/mcp",
        None,
        &[host],
        &rpc("tools/list", json!({})),
    )
    .await;
    assert_eq!(r.status, 401);
    let challenge = r.header("www-authenticate").unwrap();
    assert!(
        challenge.contains(
            r#"resource_metadata="https://orgn.example/.well-known/oauth-protected-resource/mcp""#
        ),
        "{challenge}"
    );
    assert!(challenge.contains(r#"scope="mcp""#), "{challenge}");
    let r = mcp_post(
        app.addr,
        "/mcp/readonly",
        Some("orgn_oat_nope"),
        &[host],
        &rpc("tools/list", json!({})),
    )
    .await;
    let challenge = r.header("www-authenticate").unwrap();
    assert!(
        challenge.starts_with(r#"Bearer error="invalid_token""#),
        "{challenge}"
    );
    assert!(
        challenge.contains("/.well-known/oauth-protected-resource/mcp/readonly\""),
        "{challenge}"
    );
    app.stop().await;
}

/// A row in every OAuth table, made the way the endpoints make them (for `orgn copy`'s
/// round trip): a registration, a used code, a grant whose refresh token was rotated once,
/// and the workspace's settings.
pub(crate) async fn add_an_oauth_connection(
    ws: &orgn_domain::Workspace,
    user: &orgn_domain::Actor,
) {
    use orgn_domain::*;
    let server = OAuthServer::new("http://127.0.0.1:1");
    let metadata = ClientMetadata {
        client_name: Some("Copied app".into()),
        redirect_uris: vec![REDIRECT.into()],
        token_endpoint_auth_method: Some("none".into()),
        ..Default::default()
    };
    let registration = ws
        .register_oauth_client(&server, metadata, "127.0.0.1")
        .await
        .unwrap();
    let client_id = registration.client.client_id.clone();
    let params = AuthorizeParams {
        response_type: Some("code".into()),
        client_id: Some(client_id.clone()),
        redirect_uri: Some(REDIRECT.into()),
        code_challenge: Some(CHALLENGE.into()),
        code_challenge_method: Some("S256".into()),
        ..Default::default()
    };
    let consent = ws
        .check_authorization(&server, registration.client, &params)
        .unwrap();
    let back = ws
        .approve_authorization(user, &server, &consent)
        .await
        .unwrap();
    let request = |grant: &str| TokenRequest {
        grant_type: Some(grant.into()),
        client_id: Some(client_id.clone()),
        ..Default::default()
    };
    let issued = ws
        .oauth_token(
            &server,
            &TokenRequest {
                code: query_param(&back, "code"),
                redirect_uri: Some(REDIRECT.into()),
                code_verifier: Some(VERIFIER.into()),
                ..request("authorization_code")
            },
        )
        .await
        .unwrap();
    ws.oauth_token(
        &server,
        &TokenRequest {
            refresh_token: Some(issued.refresh_token),
            ..request("refresh_token")
        },
    )
    .await
    .unwrap();
    let settings = store::OAuthSettings {
        metadata_documents: true,
        dynamic_registration: false,
    };
    ws.set_oauth_settings(Caller::Operator, settings)
        .await
        .unwrap();
}
