//! Real clients through the whole OAuth flow.

use serde_json::{Value, json};

use super::*;
use crate::browser::*;
use crate::support::*;

// --- Real clients ------------------------------------------------------------------------------

async fn run_oauth_client(app: &TestApp, mode: &str) -> Value {
    let args = ["oauth-client.mjs", mode, &app.base_url, ALICE, PASSWORD];
    run_node_client(&args).await
}

fn check_oauth_summary(app: &TestApp, s: &Value) {
    let tools = summary_tools(s);
    assert!(
        tools.contains(&"create_task") && !tools.contains(&"delete_task"),
        "{tools:?}"
    );
    assert_eq!(s["whoami"], ALICE);
    assert_eq!(s["created"], "ENG-4");
    assert_eq!(s["after_refresh"], "ENG-4");
    assert_eq!(s["refresh"], "AUTHORIZED");
    assert_eq!(s["refreshed"], true, "{s}");
    assert_eq!(s["iss"], app.base_url.as_str());
    assert_eq!(s["state_returned"], true);
    assert_eq!(s["resource_asked"], format!("{}/mcp", app.base_url));
    assert_eq!(s["scope_granted"], "mcp");
    // The consent page lets its form on to the app's redirect, and nowhere else.
    let csp = s["consent_csp"].as_str().unwrap();
    assert!(
        csp.contains("form-action 'self' http://127.0.0.1:9;"),
        "{csp}"
    );
}

#[tokio::test]
async fn the_typescript_sdk_registers_dynamically_signs_in_and_refreshes() {
    let app = TestApp::spawn().await;
    let summary = run_oauth_client(&app, "dcr").await;
    check_oauth_summary(&app, &summary);
    assert!(
        summary["registered_client_id"]
            .as_str()
            .unwrap()
            .starts_with("orgn_client_")
    );
    assert_eq!(summary["consent_client"], "Orgn test client (dcr)");
    assert_eq!(
        summary["consent_client_host"],
        Value::Null,
        "no site vouches for it"
    );
    let alice = app.actor(ALICE).await;
    let apps = app.workspace.connected_apps(&alice).await.unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].client_name, "Orgn test client (dcr)");
    assert!(apps[0].last_used_at.is_some());
    app.stop().await;
}

#[tokio::test]
async fn the_typescript_sdk_signs_in_with_a_client_id_metadata_document() {
    let app = TestApp::builder()
        .allow_loopback_client_metadata()
        .spawn()
        .await;
    let summary = run_oauth_client(&app, "cimd").await;
    check_oauth_summary(&app, &summary);
    assert_eq!(summary["consent_client"], "Orgn test client (cimd)");
    let host = summary["consent_client_host"].as_str().unwrap_or_default();
    assert!(host.starts_with("127.0.0.1:"), "{summary}");
    // Fetched once, then used as cached (max-age=300) for the second check of the request.
    assert_eq!(summary["document_fetches"], 1, "{summary}");
    app.stop().await;
}

#[tokio::test]
async fn mcp_remote_given_only_the_url_signs_in_by_itself() {
    let app = TestApp::spawn().await;
    let summary = run_oauth_client(&app, "mcp-remote").await;
    let tools = summary["tools"].as_array().unwrap();
    assert!(tools.contains(&json!("create_task")), "{summary}");
    assert_eq!(summary["whoami"], ALICE);
    assert_eq!(summary["created"], "ENG-4");
    assert_eq!(summary["browser"]["callback_status"], 200, "{summary}");
    assert_eq!(summary["browser"]["iss"], app.base_url.as_str());
    let alice = app.actor(ALICE).await;
    assert_eq!(app.workspace.connected_apps(&alice).await.unwrap().len(), 1);
    app.stop().await;
}

/// A server standing in for an app's redirect URI: answers anything with 200 and hands over
/// the first request to `/callback` (path and query).
async fn redirect_catcher() -> (String, tokio::sync::oneshot::Receiver<String>) {
    use std::sync::{Arc, Mutex};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}/callback", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = Arc::new(Mutex::new(Some(tx)));
    let catcher = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let tx = tx.clone();
        async move {
            if uri.path() == "/callback"
                && let Some(tx) = tx.lock().unwrap().take()
            {
                let _ = tx.send(uri.to_string());
            }
            "connected"
        }
    });
    tokio::spawn(async move { axum::serve(listener, catcher).await });
    (uri, rx)
}

/// Real Chromium: sign-in first, then the consent page, Allow, and the browser is sent on to
/// the app (the consent page's CSP lets its form through to the app's origin, Chromium
/// applying `form-action` to the redirect after the POST).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_signs_in_allows_and_is_sent_back_to_the_app() {
    let app = TestApp::spawn().await;
    let (redirect, caught) = redirect_catcher().await;
    let registered = register(
        &app,
        json!({"client_name": "Browser app", "redirect_uris": [redirect], "token_endpoint_auth_method": "none"}),
    )
    .await
    .json();
    let client = registered["client_id"].as_str().unwrap().to_string();
    let params = with(&authorize_params(&client), "redirect_uri", Some(&redirect));
    let b = Browser::start().await;
    let c = &b.client;
    c.goto(&format!(
        "{}/oauth/authorize?{}",
        app.base_url,
        form(&pairs(&params))
    ))
    .await
    .unwrap();
    fill_sign_in(c, ALICE).await;
    assert_eq!(text(c, "#consent-client").await, "Browser app");
    screenshot(c, "oauth-consent").await;
    css(c, "#consent-allow").await.click().await.unwrap();
    let back = tokio::time::timeout(std::time::Duration::from_secs(30), caught)
        .await
        .expect("the browser reached the app's redirect URI")
        .unwrap();
    assert_eq!(query_param(&back, "state").as_deref(), Some("st4te"));
    assert_eq!(
        query_param(&back, "iss").as_deref(),
        Some(app.base_url.as_str())
    );
    let code = query_param(&back, "code").unwrap();
    let r = token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect),
            ("code_verifier", VERIFIER),
            ("client_id", &client),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    b.close().await;
    app.stop().await;
}
