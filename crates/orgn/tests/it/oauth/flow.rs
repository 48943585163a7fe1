//! The OAuth rules, step by step over HTTP: the authorization request, codes and tokens,
//! scope and resource, registration, Disconnect.

use time::Duration;

use serde_json::json;

use super::*;
use crate::http::*;
use crate::support::*;

// --- The authorization request -----------------------------------------------------------------

#[tokio::test]
async fn pkce_is_required_and_only_s256() {
    let app = TestApp::spawn().await;
    let client = registered_client(&app).await;
    let alice = browser(&app, ALICE).await;
    let params = authorize_params(&client);
    for refused in [
        with(
            &with(&params, "code_challenge", None),
            "code_challenge_method",
            None,
        ),
        with(&params, "code_challenge_method", Some("plain")),
        with(&params, "code_challenge_method", None),
    ] {
        let r = get_authorize(&app, &alice, &refused).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let to = r.header("location").unwrap();
        assert!(to.starts_with(REDIRECT), "{to}");
        assert_eq!(
            query_param(to, "error").as_deref(),
            Some("invalid_request"),
            "{to}"
        );
        assert_eq!(query_param(to, "state").as_deref(), Some("st4te"));
        assert!(query_param(to, "code").is_none());
    }
    // And the token endpoint wants the verifier.
    let code = code_for(&app, &alice, &params).await;
    let r = token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &client),
        ],
    )
    .await;
    assert_eq!(
        (r.status, error_of(&r)),
        (400, "invalid_request".into()),
        "{}",
        r.body
    );
    let wrong = "x".repeat(43);
    let r = token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &wrong),
            ("client_id", &client),
        ],
    )
    .await;
    assert_eq!(
        (r.status, error_of(&r)),
        (400, "invalid_grant".into()),
        "{}",
        r.body
    );
    app.stop().await;
}

#[tokio::test]
async fn a_redirect_uri_the_client_did_not_register_is_refused_without_redirecting() {
    let app = TestApp::spawn().await;
    let client = registered_client(&app).await;
    let alice = browser(&app, ALICE).await;
    let params = authorize_params(&client);
    for uri in [
        "https://evil.example/callback",
        "http://127.0.0.1:7777/other",
    ] {
        let r = get_authorize(&app, &alice, &with(&params, "redirect_uri", Some(uri))).await;
        assert_eq!(r.status, 400, "{uri}: {}", r.head);
        assert!(r.header("location").is_none());
        assert!(r.body.contains("not one this app registered"), "{}", r.body);
    }
    // A loopback redirect may come back on another port (RFC 8252 §7.3)...
    let other_port = with(
        &params,
        "redirect_uri",
        Some("http://127.0.0.1:5151/callback"),
    );
    assert_eq!(get_authorize(&app, &alice, &other_port).await.status, 200);
    // ...but the code is bound to the URI it was asked with.
    let code = code_for(&app, &alice, &params).await;
    let r = token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:5151/callback"),
            ("code_verifier", VERIFIER),
            ("client_id", &client),
        ],
    )
    .await;
    assert_eq!(error_of(&r), "invalid_grant", "{}", r.body);
    // An unknown client is told on the page too.
    let r = get_authorize(
        &app,
        &alice,
        &with(&params, "client_id", Some("orgn_client_nope")),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("not registered here"), "{}", r.body);
    app.stop().await;
}

#[tokio::test]
async fn sign_in_comes_first_and_deny_tells_the_client() {
    let app = TestApp::spawn().await;
    let client = registered_client(&app).await;
    let params = authorize_params(&client);
    let path = format!("/oauth/authorize?{}", form(&pairs(&params)));
    let r = request(app.addr, "GET", &path, &[], "").await;
    assert_eq!(r.status, 303);
    assert!(
        r.header("location")
            .unwrap()
            .starts_with("/signin?next=/oauth/authorize%3Fresponse_type%3Dcode"),
        "{}",
        r.head
    );
    let alice = browser(&app, ALICE).await;
    let page = get_authorize(&app, &alice, &params).await;
    assert!(
        page.body.contains("Test app") && page.body.contains("127.0.0.1:7777"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Create and update tasks"));
    // Without the session's CSRF token, nothing happens.
    let mut fields = pairs(&params);
    fields.push(("decision", "allow"));
    let r = request(
        app.addr,
        "POST",
        "/oauth/authorize",
        &[("Cookie", &alice.cookie), FORM],
        form(&fields),
    )
    .await;
    assert_eq!(r.status, 403);
    let back = decide(&app, &alice, &params, "deny").await;
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("access_denied")
    );
    assert!(query_param(&back, "code").is_none());
    assert_eq!(
        query_param(&back, "iss").as_deref(),
        Some(app.base_url.as_str())
    );
    app.stop().await;
}

// --- Codes and tokens --------------------------------------------------------------------------

#[tokio::test]
async fn a_code_works_once_and_expires_within_a_minute() {
    let app = TestApp::spawn().await;
    let client = registered_client(&app).await;
    let alice = browser(&app, ALICE).await;
    let params = authorize_params(&client);
    let code = code_for(&app, &alice, &params).await;
    let first = exchange(&app, &client, &code).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let tokens = first.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "mcp");
    assert_eq!(first.header("cache-control"), Some("no-store"));
    let access = field(&tokens, "access_token");
    assert!(access.starts_with("orgn_oat_"));
    assert_eq!(tools_list(&app, "/mcp", access).await.status, 200);
    // Used again: refused, and what the code gave is revoked (RFC 6749 §4.1.2).
    let again = exchange(&app, &client, &code).await;
    assert_eq!(
        (again.status, error_of(&again)),
        (400, "invalid_grant".into())
    );
    assert_eq!(tools_list(&app, "/mcp", access).await.status, 401);
    // Another client cannot use a code.
    let other = registered_client(&app).await;
    let code = code_for(&app, &alice, &params).await;
    assert_eq!(
        error_of(&exchange(&app, &other, &code).await),
        "invalid_grant"
    );
    // A code older than a minute is refused.
    let code = code_for(&app, &alice, &params).await;
    app.clock.advance(Duration::seconds(61));
    let late = exchange(&app, &client, &code).await;
    assert_eq!(error_of(&late), "invalid_grant");
    assert!(late.body.contains("expired"), "{}", late.body);
    app.stop().await;
}

#[tokio::test]
async fn access_tokens_expire_after_an_hour_and_act_as_the_user() {
    let app = TestApp::spawn().await;
    let (_, tokens) = connected(&app, authorize_params).await;
    let access = field(&tokens, "access_token");
    let found = mcp_call(
        app.addr,
        access,
        "search_tasks",
        json!({"query": "rebrand"}),
    )
    .await;
    assert_eq!(
        found["result"]["structuredContent"]["tasks"],
        json!([]),
        "Alice is not in DES: {found}"
    );
    let refused = mcp_call(app.addr, access, "delete_task", json!({"id": "ENG-1"})).await;
    assert!(refused.to_string().contains("use the web app"), "{refused}");
    // The activity list names the app of each call, and what it changes says so too.
    let alice = app.actor(ALICE).await;
    let calls = app.workspace.recent_tool_calls(&alice, 5).await.unwrap();
    assert_eq!(calls[0].client.as_deref(), Some("Test app"), "{calls:?}");
    mcp_call(
        app.addr,
        access,
        "update_task",
        json!({"id": "ENG-1", "priority": "low"}),
    )
    .await;
    let history = app
        .workspace
        .task_history(&alice, &task_ref("ENG-1"))
        .await
        .unwrap();
    let last = history.iter().find(|e| e.field == "priority").unwrap();
    assert_eq!(last.via.describe(), "Test app");
    app.clock.advance(Duration::minutes(61));
    let r = tools_list(&app, "/mcp", access).await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("refresh it or sign in again"), "{}", r.body);
    app.stop().await;
}

#[tokio::test]
async fn refresh_tokens_rotate_with_a_grace_and_a_late_reuse_revokes_the_grant() {
    let app = TestApp::spawn().await;
    let (client, tokens) = connected(&app, authorize_params).await;
    let r0 = field(&tokens, "refresh_token").to_string();
    // Two refreshes at once with the same token both get the same new pair.
    let (a, b) = tokio::join!(refresh(&app, &client, &r0), refresh(&app, &client, &r0));
    assert_eq!((a.status, b.status), (200, 200), "{} / {}", a.body, b.body);
    let (a, b) = (a.json(), b.json());
    assert_eq!(a["access_token"], b["access_token"]);
    assert_eq!(a["refresh_token"], b["refresh_token"]);
    assert_ne!(field(&a, "refresh_token"), r0);
    let access1 = field(&a, "access_token").to_string();
    let r1 = field(&a, "refresh_token").to_string();
    assert_eq!(tools_list(&app, "/mcp", &access1).await.status, 200);
    // Still the same pair a moment later, within the grace.
    app.clock.advance(Duration::seconds(3));
    let c = refresh(&app, &client, &r0).await.json();
    assert_eq!(c["refresh_token"].as_str(), Some(r1.as_str()));
    // After the grace, the old token revokes the whole grant.
    app.clock.advance(Duration::seconds(3));
    let late = refresh(&app, &client, &r0).await;
    assert_eq!(error_of(&late), "invalid_grant");
    assert!(late.body.contains("revoked"), "{}", late.body);
    assert_eq!(tools_list(&app, "/mcp", &access1).await.status, 401);
    assert_eq!(
        error_of(&refresh(&app, &client, &r1).await),
        "invalid_grant"
    );
    let alice = app.actor(ALICE).await;
    assert!(
        app.workspace
            .connected_apps(&alice)
            .await
            .unwrap()
            .is_empty()
    );
    app.stop().await;
}

#[tokio::test]
async fn revocation_ends_the_grant_and_answers_200_for_anything() {
    let app = TestApp::spawn().await;
    let (client, tokens) = connected(&app, authorize_params).await;
    let revoke = |token: String| {
        let body = form(&[("token", &token), ("client_id", &client)]);
        async move { request(app.addr, "POST", "/oauth/revoke", &[FORM], body).await }
    };
    assert_eq!(revoke("orgn_ort_unknown".into()).await.status, 200);
    assert_eq!(
        revoke(field(&tokens, "refresh_token").into()).await.status,
        200
    );
    assert_eq!(
        tools_list(&app, "/mcp", field(&tokens, "access_token"))
            .await
            .status,
        401
    );
    let r = request(
        app.addr,
        "POST",
        "/oauth/revoke",
        &[FORM],
        form(&[("token", "x"), ("client_id", "nope")]),
    )
    .await;
    assert_eq!((r.status, error_of(&r)), (401, "invalid_client".into()));
    app.stop().await;
}

// --- Scope and resource ------------------------------------------------------------------------

#[tokio::test]
async fn a_read_only_grant_gets_only_the_read_tools() {
    let app = TestApp::spawn().await;
    let (_, tokens) = connected(&app, |c| {
        with(&authorize_params(c), "scope", Some("mcp:read"))
    })
    .await;
    assert_eq!(tokens["scope"], "mcp:read");
    let access = field(&tokens, "access_token");
    let listed = tools_list(&app, "/mcp", access).await.json();
    let names: Vec<&str> = listed["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"search_tasks") && !names.contains(&"create_task"),
        "{names:?}"
    );
    let write = mcp_call(
        app.addr,
        access,
        "create_task",
        json!({"team": "ENG", "title": "Nope"}),
    )
    .await;
    assert!(
        write.get("error").is_some() || write["result"]["isError"] == true,
        "{write}"
    );
    let alice = app.actor(ALICE).await;
    let eng4 = app.workspace.task(&alice, &task_ref("ENG-4")).await;
    assert!(eng4.is_err(), "no task was created");
    app.stop().await;
}

#[tokio::test]
async fn a_token_is_bound_to_its_resource() {
    let app = TestApp::spawn().await;
    let readonly = format!("{}/mcp/readonly", app.base_url);
    let (client, tokens) = connected(&app, |c| {
        with(&authorize_params(c), "resource", Some(&readonly))
    })
    .await;
    assert_eq!(tokens["scope"], "mcp:read");
    let access = field(&tokens, "access_token");
    assert_eq!(tools_list(&app, "/mcp/readonly", access).await.status, 200);
    let other = tools_list(&app, "/mcp", access).await;
    assert_eq!(other.status, 401);
    assert!(other.body.contains("another resource"), "{}", other.body);
    // A refresh cannot move it either.
    let r = token(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", field(&tokens, "refresh_token")),
            ("client_id", &client),
            ("resource", &format!("{}/mcp", app.base_url)),
        ],
    )
    .await;
    assert_eq!(error_of(&r), "invalid_target", "{}", r.body);
    // And nobody else's resource can be asked for.
    let alice = browser(&app, ALICE).await;
    let r = get_authorize(
        &app,
        &alice,
        &with(
            &authorize_params(&client),
            "resource",
            Some("https://evil.example/mcp"),
        ),
    )
    .await;
    assert_eq!(
        query_param(r.header("location").unwrap(), "error").as_deref(),
        Some("invalid_target")
    );
    app.stop().await;
}

// --- Registration ------------------------------------------------------------------------------

#[tokio::test]
async fn a_metadata_document_on_a_private_address_is_not_fetched() {
    let app = TestApp::spawn().await;
    let alice = browser(&app, ALICE).await;
    for client_id in [
        "https://10.1.2.3/oauth/client.json",
        "https://169.254.169.254/latest/meta-data.json",
        "https://[::1]/client.json",
        "https://localhost/client.json",
    ] {
        let r = get_authorize(&app, &alice, &authorize_params(client_id)).await;
        assert_eq!(r.status, 400, "{client_id}: {}", r.head);
        assert!(
            r.body.contains("private address"),
            "{client_id}: {}",
            r.body
        );
    }
    // Plain http to loopback needs --allow-loopback-client-metadata: without it, such a
    // client_id is no metadata document at all.
    let r = get_authorize(
        &app,
        &alice,
        &authorize_params("http://127.0.0.1:1/client.json"),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("not registered here"), "{}", r.body);
    app.stop().await;
}

#[tokio::test]
async fn registration_checks_its_input_and_an_admin_can_turn_it_off() {
    let app = TestApp::spawn().await;
    let bad = register(
        &app,
        json!({"client_name": "x", "redirect_uris": ["http://evil.example/cb"]}),
    )
    .await;
    assert_eq!(
        (bad.status, error_of(&bad)),
        (400, "invalid_redirect_uri".into())
    );
    let none = register(&app, json!({"client_name": "x"})).await;
    assert_eq!(error_of(&none), "invalid_redirect_uri");
    let garbage = request(app.addr, "POST", "/oauth/register", &[JSON_TYPE], "{nope").await;
    assert_eq!(error_of(&garbage), "invalid_client_metadata");
    // Without a method, a client gets a secret (RFC 7591 §2) and must send it.
    let confidential = register(
        &app,
        json!({"client_name": "Server app", "redirect_uris": [REDIRECT]}),
    )
    .await
    .json();
    let secret = field(&confidential, "client_secret");
    let id = field(&confidential, "client_id");
    let r = token(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "orgn_ort_x"),
            ("client_id", id),
        ],
    )
    .await;
    assert_eq!((r.status, error_of(&r)), (401, "invalid_client".into()));
    let r = token(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "orgn_ort_x"),
            ("client_id", id),
            ("client_secret", secret),
        ],
    )
    .await;
    assert_eq!(error_of(&r), "invalid_grant");

    let admin = browser(&app, ADMIN).await;
    let r = request(
        app.addr,
        "POST",
        "/settings/mcp/oauth",
        &[("Cookie", &admin.cookie), FORM],
        form(&[("_csrf", &admin.csrf)]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let off = register(
        &app,
        json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!((off.status, error_of(&off)), (403, "access_denied".into()));
    let m = request(
        app.addr,
        "GET",
        "/.well-known/oauth-authorization-server",
        &[],
        "",
    )
    .await
    .json();
    assert!(m.get("registration_endpoint").is_none(), "{m}");
    assert_eq!(m["client_id_metadata_document_supported"], false);
    // Only admins may change it.
    let alice = browser(&app, ALICE).await;
    let r = request(
        app.addr,
        "POST",
        "/settings/mcp/oauth",
        &[("Cookie", &alice.cookie), FORM],
        form(&[("_csrf", &alice.csrf), ("dynamic_registration", "on")]),
    )
    .await;
    assert_eq!(r.status, 403);
    app.stop().await;
}

// --- Connected apps ----------------------------------------------------------------------------

#[tokio::test]
async fn disconnect_stops_the_app_at_once_and_leaves_the_token_alone() {
    let app = TestApp::spawn().await;
    let pat = app.token_for(ALICE).await;
    let (_, tokens) = connected(&app, authorize_params).await;
    let access = field(&tokens, "access_token");
    assert_eq!(tools_list(&app, "/mcp", access).await.status, 200);
    let alice = browser(&app, ALICE).await;
    let page = request(
        app.addr,
        "GET",
        "/settings/mcp",
        &[("Cookie", &alice.cookie)],
        "",
    )
    .await;
    assert!(
        page.body.contains("Connected apps") && page.body.contains("Test app"),
        "{}",
        page.body
    );
    let apps = app
        .workspace
        .connected_apps(&app.actor(ALICE).await)
        .await
        .unwrap();
    let path = format!("/settings/mcp/apps/{}/disconnect", apps[0].grant_id);
    // Bob cannot disconnect Alice's app.
    let bob = browser(&app, BOB).await;
    let r = request(
        app.addr,
        "POST",
        &path,
        &[("Cookie", &bob.cookie), FORM],
        form(&[("_csrf", &bob.csrf)]),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = request(
        app.addr,
        "POST",
        &path,
        &[("Cookie", &alice.cookie), FORM],
        form(&[("_csrf", &alice.csrf)]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(tools_list(&app, "/mcp", access).await.status, 401);
    assert_eq!(
        error_of(&refresh(&app, "any", field(&tokens, "refresh_token")).await),
        "invalid_client"
    );
    assert_eq!(tools_list(&app, "/mcp", &pat).await.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn an_app_unused_for_30_days_is_no_longer_connected() {
    let app = TestApp::spawn().await;
    let (client, tokens) = connected(&app, authorize_params).await;
    let alice = app.actor(ALICE).await;
    assert_eq!(app.workspace.connected_apps(&alice).await.unwrap().len(), 1);
    app.clock.advance(Duration::days(29));
    let r = refresh(&app, &client, field(&tokens, "refresh_token")).await;
    assert_eq!(r.status, 200, "a refresh renews the 30 days: {}", r.body);
    app.clock.advance(Duration::days(29));
    assert_eq!(app.workspace.connected_apps(&alice).await.unwrap().len(), 1);
    app.clock.advance(Duration::days(2));
    assert!(
        app.workspace
            .connected_apps(&alice)
            .await
            .unwrap()
            .is_empty()
    );
    let late = refresh(&app, &client, field(&r.json(), "refresh_token")).await;
    assert_eq!(error_of(&late), "invalid_grant");
    app.stop().await;
}

#[tokio::test]
async fn registrations_are_limited_per_address_and_unused_ones_expire() {
    let app = TestApp::spawn().await;
    let unused = registered_client(&app).await;
    let used = registered_client(&app).await;
    let alice = browser(&app, ALICE).await;
    let code = code_for(&app, &alice, &authorize_params(&used)).await;
    assert_eq!(exchange(&app, &used, &code).await.status, 200);
    for _ in 2..20 {
        registered_client(&app).await;
    }
    let r = register(
        &app,
        json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(
        (r.status, error_of(&r)),
        (429, "temporarily_unavailable".into())
    );
    assert_eq!(r.header("retry-after"), Some("3600"));
    // A day later the next registration sweeps the ones that never got a grant.
    app.clock.advance(Duration::hours(25));
    registered_client(&app).await;
    let r = get_authorize(&app, &alice, &authorize_params(&unused)).await;
    assert!(r.body.contains("not registered here"), "{}", r.body);
    assert_eq!(
        get_authorize(&app, &alice, &authorize_params(&used))
            .await
            .status,
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn any_process_on_the_database_serves_any_step() {
    let app = TestApp::spawn().await;
    let client = registered_client(&app).await;
    let alice = browser(&app, ALICE).await;
    let code = code_for(&app, &alice, &authorize_params(&client)).await;
    // The code was made by this server; another process exchanges it and refreshes.
    let other = app.other_process().await;
    let server = orgn_domain::OAuthServer::new(&app.base_url);
    let request = |grant: &str| orgn_domain::TokenRequest {
        grant_type: Some(grant.into()),
        client_id: Some(client.clone()),
        ..Default::default()
    };
    let issued = other
        .oauth_token(
            &server,
            &orgn_domain::TokenRequest {
                code: Some(code),
                redirect_uri: Some(REDIRECT.into()),
                code_verifier: Some(VERIFIER.into()),
                ..request("authorization_code")
            },
        )
        .await
        .unwrap();
    let refreshed = refresh(&app, &client, &issued.refresh_token).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let again = other
        .oauth_token(
            &server,
            &orgn_domain::TokenRequest {
                refresh_token: Some(issued.refresh_token.clone()),
                ..request("refresh_token")
            },
        )
        .await
        .unwrap();
    assert_eq!(
        again.refresh_token,
        field(&refreshed.json(), "refresh_token")
    );
    assert_eq!(
        tools_list(&app, "/mcp", &again.access_token).await.status,
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn the_serve_flags_turn_a_way_of_registration_off_for_good() {
    let app = TestApp::builder().oauth_off(false, true).spawn().await;
    let r = register(
        &app,
        json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(r.status, 403);
    // The workspace setting cannot turn on what the operator turned off.
    let admin = browser(&app, ADMIN).await;
    let all_on = form(&[
        ("_csrf", &admin.csrf),
        ("metadata_documents", "on"),
        ("dynamic_registration", "on"),
    ]);
    let r = request(
        app.addr,
        "POST",
        "/settings/mcp/oauth",
        &[("Cookie", &admin.cookie), FORM],
        all_on,
    )
    .await;
    assert_eq!(r.status, 303);
    let m = request(
        app.addr,
        "GET",
        "/.well-known/oauth-authorization-server",
        &[],
        "",
    )
    .await
    .json();
    assert!(m.get("registration_endpoint").is_none(), "{m}");
    assert_eq!(m["client_id_metadata_document_supported"], true);
    app.stop().await;

    let app = TestApp::builder().oauth_off(true, false).spawn().await;
    let alice = browser(&app, ALICE).await;
    let r = get_authorize(
        &app,
        &alice,
        &authorize_params("https://app.example/oauth/client.json"),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body
            .contains("does not accept client ID metadata documents"),
        "{}",
        r.body
    );
    assert_eq!(
        registered_client(&app).await.len(),
        "orgn_client_".len() + 24
    );
    app.stop().await;
}
