//! `/mcp` over real HTTP: authentication, Origin and Host checks, the access rule through
//! every tool, the web-only operations, annotations, `/mcp/readonly`, robustness against bad
//! input, the size of the tool surface and its snapshot, and real third-party clients.

use crate::http::*;
use crate::support::*;
use serde_json::{Value, json};
use time::Duration;

/// An MCP client of one user on one endpoint.
struct Mcp<'a> {
    app: &'a TestApp,
    token: String,
    path: &'static str,
}

impl<'a> Mcp<'a> {
    async fn new(app: &'a TestApp, email: &str) -> Mcp<'a> {
        Mcp {
            app,
            token: app.token_for(email).await,
            path: "/mcp",
        }
    }
    /// A JSON-RPC request; the whole response object.
    async fn rpc(&self, method: &str, params: Value) -> Value {
        let body =
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let r = mcp_post(self.app.addr, self.path, Some(&self.token), &[], &body).await;
        assert_eq!(r.status, 200, "{method}: {}", r.body);
        r.json()
    }
    async fn tools(&self) -> Vec<Value> {
        self.rpc("tools/list", json!({})).await["result"]["tools"]
            .as_array()
            .unwrap()
            .clone()
    }
    /// A tool call that must succeed: its result.
    async fn ok(&self, tool: &str, args: Value) -> Value {
        let r = self
            .rpc("tools/call", json!({"name": tool, "arguments": args}))
            .await;
        let result = r
            .get("result")
            .unwrap_or_else(|| panic!("{tool}: {r}"))
            .clone();
        assert_ne!(result["isError"], true, "{tool} {args}: {result}");
        result
    }
    /// A tool call that the tool refuses: its message.
    async fn refused(&self, tool: &str, args: Value) -> String {
        let r = self
            .rpc("tools/call", json!({"name": tool, "arguments": args}))
            .await;
        let result = &r["result"];
        assert_eq!(result["isError"], true, "{tool} {args} should fail: {r}");
        result["content"][0]["text"].as_str().unwrap().to_string()
    }
    /// A call that fails at the protocol level: the JSON-RPC error.
    async fn rpc_error(&self, tool: &str, args: Value) -> Value {
        let r = self
            .rpc("tools/call", json!({"name": tool, "arguments": args}))
            .await;
        r.get("error")
            .unwrap_or_else(|| panic!("{tool} should be a JSON-RPC error: {r}"))
            .clone()
    }
}

fn text(result: &Value) -> String {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn names(list: &Value, key: &str, field: &str) -> Vec<String> {
    list["structuredContent"][key]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[field].as_str().unwrap_or_default().to_string())
        .collect()
}

// --- Authentication ------------------------------------------------------------------------------

fn assert_401(r: &Answer, words: &str) {
    assert_eq!(r.status, 401, "{}", r.body);
    let challenge = r.header("www-authenticate").expect("WWW-Authenticate");
    assert!(
        challenge.starts_with("Bearer error=\"invalid_token\""),
        "{challenge}"
    );
    assert!(challenge.contains("error_description=\""), "{challenge}");
    let body = r.json();
    let message = body["message"].as_str().unwrap();
    assert!(message.contains(words), "{message}");
    assert!(message.contains("Settings → MCP Access"), "{message}");
}

const LIST: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#;

#[tokio::test]
async fn bad_tokens_get_401_with_a_bearer_challenge() {
    let app = TestApp::spawn().await;
    assert_401(
        &mcp_post(app.addr, "/mcp", None, &[], LIST).await,
        "Authorization: Bearer token is required",
    );
    assert_401(
        &mcp_post(app.addr, "/mcp", Some("nope"), &[], LIST).await,
        "not an Orgn personal access token",
    );
    assert_401(
        &mcp_post(app.addr, "/mcp/readonly", None, &[], LIST).await,
        "required",
    );
    // Another scheme is no bearer token.
    let r = request(
        app.addr,
        "POST",
        "/mcp",
        &[
            ACCEPT,
            JSON_TYPE,
            ("Authorization", "Basic YWxpY2U6cGFzc3dvcmQxMjM="),
        ],
        LIST,
    )
    .await;
    assert_401(&r, "required");
    // A well-formed token with a wrong checksum is refused before any lookup.
    let good = app.token_for(ALICE).await;
    let mut tampered: Vec<char> = good.chars().collect();
    let i = 12;
    tampered[i] = if tampered[i] == 'a' { 'b' } else { 'a' };
    let tampered: String = tampered.into_iter().collect();
    assert_401(
        &mcp_post(app.addr, "/mcp", Some(&tampered), &[], LIST).await,
        "not an Orgn personal access token",
    );
    // The web session cookie never authorizes /mcp.
    let r = request(
        app.addr,
        "POST",
        "/mcp",
        &[
            ACCEPT,
            JSON_TYPE,
            ("Cookie", &format!("orgn_session={good}; session={good}")),
        ],
        LIST,
    )
    .await;
    assert_401(&r, "required");
    app.stop().await;
}

#[tokio::test]
async fn a_replaced_token_fails_at_once_and_the_new_one_works() {
    let app = TestApp::spawn().await;
    let old = app.token_for(ALICE).await;
    assert_eq!(
        mcp_post(app.addr, "/mcp", Some(&old), &[], LIST)
            .await
            .status,
        200
    );
    let new = app.token_for(ALICE).await;
    assert_401(
        &mcp_post(app.addr, "/mcp", Some(&old), &[], LIST).await,
        "replaced",
    );
    assert_eq!(
        mcp_post(app.addr, "/mcp", Some(&new), &[], LIST)
            .await
            .status,
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn an_expired_token_gets_401_with_its_expiry_date_and_whoami_warns_before() {
    let app = TestApp::spawn().await;
    let mcp = Mcp::new(&app, ALICE).await;
    let who = mcp.ok("whoami", json!({})).await;
    assert_eq!(who["structuredContent"]["user"]["email"], ALICE);
    assert_eq!(
        who["structuredContent"]["token_expires_at"],
        "2026-12-24T12:00:00Z"
    );
    assert!(who["structuredContent"].get("warning").is_none());
    app.clock.advance(Duration::days(25));
    let who = mcp.ok("whoami", json!({})).await;
    let warning = who["structuredContent"]["warning"]
        .as_str()
        .expect("a warning under 7 days");
    assert!(
        warning.contains("expires in 5 days") && warning.contains("Settings → MCP Access"),
        "{warning}"
    );
    assert!(text(&who).contains("warning"));
    app.clock.advance(Duration::days(6));
    let r = mcp_post(app.addr, "/mcp", Some(&mcp.token), &[], LIST).await;
    assert_401(&r, "expired on 2026-12-24T12:00:00Z");
    app.stop().await;
}

#[tokio::test]
async fn tokens_in_the_url_are_refused_even_when_valid() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ALICE).await;
    for path in [
        format!("/mcp?token={token}"),
        format!("/mcp?access_token={token}"),
        format!("/mcp/readonly?token={token}"),
    ] {
        let r = mcp_post(app.addr, &path, None, &[], LIST).await;
        assert!(r.status == 400 || r.status == 401, "{path}: {}", r.status);
        assert!(
            r.json()["message"]
                .as_str()
                .unwrap()
                .contains("never accepted in the URL")
        );
        // Even together with a good header.
        let r = mcp_post(app.addr, &path, Some(&token), &[], LIST).await;
        assert!(r.status == 400 || r.status == 401, "{path}: {}", r.status);
    }
    app.stop().await;
}

#[tokio::test]
async fn foreign_origins_and_hosts_get_403() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ALICE).await;
    for origin in [
        "http://evil.example",
        "https://evil.example",
        "null",
        "http://localhost:1",
    ] {
        let r = mcp_post(app.addr, "/mcp", Some(&token), &[("Origin", origin)], LIST).await;
        assert_eq!(r.status, 403, "{origin}: {}", r.body);
        // Before the token is looked at: a browser page learns nothing.
        let r = mcp_post(app.addr, "/mcp", None, &[("Origin", origin)], LIST).await;
        assert_eq!(r.status, 403, "{origin}");
    }
    let own = app.base_url.trim_end_matches('/').to_string();
    assert_eq!(
        mcp_post(app.addr, "/mcp", Some(&token), &[("Origin", &own)], LIST)
            .await
            .status,
        200
    );
    let r = mcp_post(
        app.addr,
        "/mcp",
        Some(&token),
        &[("Host", "evil.example")],
        LIST,
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let port = app.addr.port().to_string();
    let localhost = format!("localhost:{port}");
    assert_eq!(
        mcp_post(
            app.addr,
            "/mcp",
            Some(&token),
            &[("Host", &localhost)],
            LIST
        )
        .await
        .status,
        200
    );
    app.stop().await;
}

/// Behind a proxy (`--public-url`), the public origin is the one allowed: the server's own
/// address is then as foreign as any other site.
#[tokio::test]
async fn behind_a_proxy_only_the_public_origin_is_allowed() {
    let public = "https://orgn.example.com";
    let app = TestApp::builder().public_url(public).spawn().await;
    assert_eq!(app.base_url.trim_end_matches('/'), public);
    let token = app.token_for(ALICE).await;
    let proxied = [("Origin", public), ("Host", "orgn.example.com")];
    let r = mcp_post(app.addr, "/mcp", Some(&token), &proxied, LIST).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let own = format!("http://{}", app.addr);
    let r = mcp_post(app.addr, "/mcp", Some(&token), &[("Origin", &own)], LIST).await;
    assert_eq!(r.status, 403, "{}", r.body);
    app.stop().await;
}

// --- The access rule through every tool ------------------------------------------------------------

#[tokio::test]
async fn an_eng_member_sees_nothing_of_des_through_any_tool() {
    let app = TestApp::spawn().await;
    let mcp = Mcp::new(&app, ALICE).await;
    let dana = Mcp::new(&app, DANA).await;
    let brief = dana.ok("search_docs", json!({"query": "Rebrand"})).await;
    let brief_id = brief["structuredContent"]["docs"][0]["id"]
        .as_i64()
        .expect("dana sees the brief");
    let secret = [
        "DES-",
        "Secret rebrand",
        "Rebrand",
        "Brand",
        "Design",
        "dana@",
        "Confidential",
    ];
    let mut answers = Vec::new();

    // Reads: DES things are absent.
    for (tool, args) in [
        ("whoami", json!({})),
        ("list_teams", json!({})),
        ("list_users", json!({})),
        ("list_statuses", json!({})),
        ("search_tasks", json!({})),
        (
            "search_tasks",
            json!({"query": "rebrand moodboard palette"}),
        ),
        ("search_tasks", json!({"limit": 100})),
        ("list_projects", json!({})),
        ("list_cycles", json!({})),
        ("list_labels", json!({})),
        ("search_docs", json!({})),
        ("search_docs", json!({"query": "brand"})),
    ] {
        let r = mcp.ok(tool, args.clone()).await;
        let all = r.to_string();
        for s in secret {
            assert!(!all.contains(s), "{tool} {args} shows {s}: {all}");
        }
        answers.push(r);
    }
    assert_eq!(names(&answers[1], "teams", "key"), ["ENG"]);
    assert!(names(&answers[7], "projects", "name").contains(&"Website".to_string()));
    assert!(names(&answers[9], "labels", "name").contains(&"Frontend".to_string()));

    // Direct references: "not found" or the list of valid choices, never the thing itself.
    for (tool, args) in [
        ("get_task", json!({"id": "DES-1"})),
        ("get_task", json!({"id": "DES-2", "history": true})),
        ("update_task", json!({"id": "DES-1", "title": "mine now"})),
        ("list_comments", json!({"id": "DES-1"})),
        ("create_comment", json!({"id": "DES-1", "body": "hello"})),
        ("create_task", json!({"team": "DES", "title": "sneak in"})),
        ("search_tasks", json!({"team": "DES"})),
        ("search_tasks", json!({"project": "Rebrand"})),
        ("search_tasks", json!({"labels": ["Brand"]})),
        ("get_project", json!({"id": "Rebrand"})),
        ("update_project", json!({"id": "Rebrand", "name": "Mine"})),
        ("list_milestones", json!({"project": "Rebrand"})),
        (
            "create_milestone",
            json!({"project": "Rebrand", "name": "Sneaky"}),
        ),
        (
            "update_milestone",
            json!({"project": "Rebrand", "id": "Kickoff", "name": "x"}),
        ),
        ("list_cycles", json!({"team": "DES"})),
        (
            "create_cycle",
            json!({"team": "DES", "starts_on": "2027-01-01", "ends_on": "2027-01-14"}),
        ),
        (
            "update_cycle",
            json!({"team": "DES", "id": "current", "name": "x"}),
        ),
        ("list_labels", json!({"team": "DES"})),
        ("create_label", json!({"team": "DES", "name": "Sneaky"})),
        ("update_label", json!({"id": "Brand", "name": "x"})),
        ("list_statuses", json!({"team": "DES"})),
        ("list_users", json!({"team": "DES"})),
        ("get_doc", json!({"id": brief_id})),
        ("update_doc", json!({"id": brief_id, "title": "x"})),
        ("search_docs", json!({"team": "DES"})),
        ("create_doc", json!({"team": "DES", "title": "x"})),
    ] {
        let message = mcp.refused(tool, args.clone()).await;
        for s in [
            "Secret rebrand",
            "Confidential",
            "Kickoff",
            "dana@",
            "Design",
        ] {
            assert!(!message.contains(s), "{tool} {args} leaks {s}: {message}");
        }
    }
    // And nothing changed on the DES side.
    let des1 = dana.ok("get_task", json!({"id": "DES-1"})).await;
    assert_eq!(
        des1["structuredContent"]["task"]["title"],
        "Secret rebrand moodboard"
    );
    assert_eq!(des1["structuredContent"]["comments"], 0);
    app.stop().await;
}

// --- Tools that work ----------------------------------------------------------------------------

#[tokio::test]
async fn tasks_are_created_searched_updated_and_commented_with_human_references() {
    let app = TestApp::spawn().await;
    let mcp = Mcp::new(&app, ALICE).await;
    let created = mcp
        .ok("create_task", json!({"team": "eng", "title": "Write MCP docs", "priority": 2, "assignee": "me", "labels": ["Frontend"], "cycle": "current", "due_date": "2026-12-01", "estimate": 3}))
        .await;
    let task = &created["structuredContent"]["task"];
    assert_eq!(task["id"], "ENG-4");
    assert_eq!(task["assignee"], ALICE);
    assert_eq!(task["priority"], "High");
    assert_eq!(
        text(&created),
        "Created ENG-4 [Todo] (High) Write MCP docs — @alice"
    );

    let wrong = mcp
        .refused("update_task", json!({"id": "ENG-4", "status": "Doing"}))
        .await;
    assert!(
        wrong.contains(
            "Status \"Doing\" not found in ENG; valid: Backlog, Todo, In Progress, Done, Canceled"
        ),
        "{wrong}"
    );
    let updated = mcp
        .ok(
            "update_task",
            json!({"id": "ENG-4", "status": "In Progress", "estimate": null}),
        )
        .await;
    assert_eq!(
        updated["structuredContent"]["task"]["status"],
        "In Progress"
    );
    assert_eq!(
        updated["structuredContent"]["task"]["estimate"],
        Value::Null
    );

    let mine = mcp
        .ok(
            "search_tasks",
            json!({"assignee": "me", "status": "started"}),
        )
        .await;
    assert_eq!(names(&mine, "tasks", "id"), ["ENG-4"]);
    let current = mcp
        .ok("search_tasks", json!({"team": "ENG", "cycle": "current"}))
        .await;
    let ids = names(&current, "tasks", "id");
    assert!(
        ids.contains(&"ENG-4".into()) && ids.contains(&"ENG-3".into()),
        "{ids:?}"
    );
    let found = mcp.ok("search_tasks", json!({"query": "MCP docs"})).await;
    assert_eq!(names(&found, "tasks", "id")[0], "ENG-4");

    let comment = mcp
        .ok(
            "create_comment",
            json!({"id": "ENG-4", "body": "Started on it."}),
        )
        .await;
    let comment_id = comment["structuredContent"]["comment"]["id"]
        .as_i64()
        .unwrap();
    mcp.ok(
        "update_comment",
        json!({"id": comment_id, "body": "Started on it today."}),
    )
    .await;
    let bob = Mcp::new(&app, BOB).await;
    let not_bobs = bob
        .refused(
            "update_comment",
            json!({"id": comment_id, "body": "hijack"}),
        )
        .await;
    assert!(not_bobs.contains("your own comments"), "{not_bobs}");
    let comments = mcp.ok("list_comments", json!({"id": "ENG-4"})).await;
    assert_eq!(
        names(&comments, "comments", "body"),
        ["Started on it today."]
    );
    let full = mcp
        .ok("get_task", json!({"id": "ENG-4", "history": true}))
        .await;
    assert_eq!(full["structuredContent"]["comments"], 1);
    assert!(
        full["structuredContent"]["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "status")
    );

    // Every call is in the user's activity, with its target.
    let alice = app.actor(ALICE).await;
    let calls = app.workspace.recent_tool_calls(&alice, 100).await.unwrap();
    assert!(
        calls
            .iter()
            .any(|c| c.tool == "create_task" && c.target.as_deref() == Some("ENG-4") && c.ok),
        "{calls:?}"
    );
    assert!(
        calls
            .iter()
            .any(|c| c.tool == "update_task" && c.target.as_deref() == Some("ENG-4") && !c.ok)
    );
    assert!(calls.iter().any(|c| c.tool == "search_tasks" && c.ok));
    app.stop().await;
}

#[tokio::test]
async fn projects_milestones_cycles_labels_and_docs_are_managed() {
    let app = TestApp::spawn().await;
    let mcp = Mcp::new(&app, ALICE).await;
    let p = mcp
        .ok(
            "create_project",
            json!({"name": "API", "teams": ["ENG"], "lead": "me", "status": "started"}),
        )
        .await;
    assert_eq!(p["structuredContent"]["project"]["lead"], ALICE);
    mcp.ok(
        "update_project",
        json!({"id": "API", "target_date": "2027-02-01"}),
    )
    .await;
    mcp.ok(
        "create_milestone",
        json!({"project": "API", "name": "Beta", "target_date": "2027-01-10"}),
    )
    .await;
    mcp.ok(
        "update_milestone",
        json!({"project": "API", "id": "Beta", "name": "Public beta"}),
    )
    .await;
    let got = mcp.ok("get_project", json!({"id": "api"})).await;
    assert_eq!(
        got["structuredContent"]["milestones"][0]["name"],
        "Public beta"
    );
    assert_eq!(
        got["structuredContent"]["project"]["target_date"],
        "2027-02-01"
    );
    let ms = mcp.ok("list_milestones", json!({"project": "API"})).await;
    assert_eq!(names(&ms, "milestones", "name"), ["Public beta"]);

    let c = mcp.ok("create_cycle", json!({"team": "ENG", "name": "Next", "starts_on": "2026-12-10", "ends_on": "2026-12-20"})).await;
    assert_eq!(c["structuredContent"]["cycle"]["state"], "upcoming");
    let clash = mcp
        .refused(
            "create_cycle",
            json!({"team": "ENG", "starts_on": "2026-12-15", "ends_on": "2026-12-25"}),
        )
        .await;
    assert!(clash.contains("already covers"), "{clash}");
    mcp.ok(
        "update_cycle",
        json!({"team": "ENG", "id": "next", "name": "Holidays"}),
    )
    .await;
    let cycles = mcp.ok("list_cycles", json!({"team": "ENG"})).await;
    assert_eq!(names(&cycles, "cycles", "state"), ["current", "upcoming"]);

    mcp.ok(
        "create_label",
        json!({"team": "ENG", "name": "Backend", "color": "#00ff00"}),
    )
    .await;
    mcp.ok("update_label", json!({"id": "Backend", "color": "#0000ff"}))
        .await;
    let labels = mcp.ok("list_labels", json!({"team": "ENG"})).await;
    assert!(labels.to_string().contains("#0000ff"));

    let doc = mcp
        .ok(
            "create_doc",
            json!({"project": "API", "title": "API design", "content": "# Endpoints"}),
        )
        .await;
    let id = doc["structuredContent"]["doc"]["id"].as_i64().unwrap();
    mcp.ok(
        "update_doc",
        json!({"id": id, "content": "# Endpoints\nGET /tasks"}),
    )
    .await;
    let got = mcp.ok("get_doc", json!({"id": id})).await;
    assert_eq!(
        got["structuredContent"]["doc"]["content"],
        "# Endpoints\nGET /tasks"
    );
    assert_eq!(got["structuredContent"]["doc"]["in"], "project API");
    assert!(
        text(&got).contains("<data content>\n# Endpoints\nGET /tasks\n</data>"),
        "{}",
        text(&got)
    );
    let docs = mcp.ok("search_docs", json!({"query": "Endpoints"})).await;
    assert_eq!(names(&docs, "docs", "title"), ["API design"]);
    app.stop().await;
}

#[tokio::test]
async fn pages_have_a_cursor_if_and_only_if_more_follow_and_big_answers_are_trimmed() {
    let app = TestApp::spawn().await;
    let alice = app.actor(ALICE).await;
    for i in 0..120 {
        let draft = orgn_domain::TaskDraft {
            team: "ENG".into(),
            title: format!("Bulk task number {i} with a reasonably long title to take room"),
            ..Default::default()
        };
        app.workspace.create_task(&alice, draft).await.unwrap();
    }
    let mcp = Mcp::new(&app, ALICE).await;
    // Walk every page: all 123 tasks, each once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut args = json!({"team": "ENG", "limit": 50});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let page = mcp.ok("search_tasks", args).await;
        seen.extend(names(&page, "tasks", "id"));
        match page["structuredContent"]["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let unique: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), 123);
    assert_eq!(unique.len(), 123);

    // 100 tasks do not fit: the answer says so and its cursor continues right after.
    let big = mcp
        .ok("search_tasks", json!({"team": "ENG", "limit": 100}))
        .await;
    let shown = names(&big, "tasks", "id");
    let size = big["structuredContent"].to_string().len();
    println!(
        "search_tasks limit 100: {} tasks shown, structured {size} bytes, text {} bytes",
        shown.len(),
        text(&big).len()
    );
    assert_eq!(big["structuredContent"]["trimmed"], true);
    assert!(shown.len() < 100);
    assert!(size <= 24 * 1024 && text(&big).len() <= 24 * 1024);
    let next = mcp
        .ok(
            "search_tasks",
            json!({"team": "ENG", "limit": 100, "cursor": big["structuredContent"]["next_cursor"]}),
        )
        .await;
    let after = names(&next, "tasks", "id");
    assert!(!after.is_empty(), "the cursor leads to more");
    assert!(!after.iter().any(|id| shown.contains(id)));

    // A huge description is cut in the answer, and the answer says so.
    let long = "word ".repeat(20_000);
    mcp.ok("update_task", json!({"id": "ENG-1", "description": long}))
        .await;
    let got = mcp.ok("get_task", json!({"id": "ENG-1"})).await;
    assert_eq!(got["structuredContent"]["trimmed"], true);
    assert!(got["structuredContent"].to_string().len() <= 24 * 1024);
    assert!(text(&got).len() <= 24 * 1024 && text(&got).contains("trimmed"));
    app.stop().await;
}

#[tokio::test]
async fn invisible_characters_in_peoples_text_are_stripped_from_answers() {
    let app = TestApp::spawn().await;
    let mcp = Mcp::new(&app, ALICE).await;
    let title = "Fix\u{202E}nigol\u{202C} now\u{200B}\u{E0041}";
    let created = mcp
        .ok(
            "create_task",
            json!({"team": "ENG", "title": title, "description": "ok\u{2066}hidden\u{2069}"}),
        )
        .await;
    let got = mcp
        .ok(
            "get_task",
            json!({"id": created["structuredContent"]["task"]["id"]}),
        )
        .await;
    assert_eq!(got["structuredContent"]["task"]["title"], "Fixnigol now");
    assert_eq!(got["structuredContent"]["task"]["description"], "okhidden");
    for c in ['\u{202E}', '\u{200B}', '\u{2066}', '\u{E0041}'] {
        assert!(!got.to_string().contains(c));
    }
    app.stop().await;
}

// --- The tool surface -------------------------------------------------------------------------------

const WEB_ONLY: [&str; 4] = [
    "delete_task",
    "delete_doc",
    "set_status_many",
    "export_workspace",
];

#[tokio::test]
async fn web_only_operations_are_not_listed_and_refused_by_name() {
    let app = TestApp::spawn().await;
    let mcp = Mcp::new(&app, ALICE).await;
    let tools = mcp.tools().await;
    assert!(!tools.is_empty());
    for name in WEB_ONLY {
        assert!(!tools.iter().any(|t| t["name"] == name), "{name} is listed");
    }
    for (name, args) in [
        ("delete_task", json!({"id": "ENG-1"})),
        ("delete_doc", json!({"id": 1})),
        (
            "set_status_many",
            json!({"ids": ["ENG-1", "ENG-2"], "status": "Done"}),
        ),
        ("export_workspace", json!({})),
    ] {
        let error = mcp.rpc_error(name, args).await;
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("use the web app"),
            "{name}: {error}"
        );
    }
    let still = mcp.ok("get_task", json!({"id": "ENG-1"})).await;
    assert_eq!(still["structuredContent"]["task"]["status"], "Todo");
    app.stop().await;
}

#[tokio::test]
async fn every_tool_sets_all_three_annotations_and_readonly_serves_only_reads() {
    let app = TestApp::spawn().await;
    let mut mcp = Mcp::new(&app, ALICE).await;
    let all = mcp.tools().await;
    assert!(all.len() >= 28, "{}", all.len());
    for t in &all {
        let a = &t["annotations"];
        for hint in ["readOnlyHint", "destructiveHint", "idempotentHint"] {
            assert!(a[hint].is_boolean(), "{} lacks {hint}: {a}", t["name"]);
        }
        assert!(
            t["outputSchema"].is_object() && t["inputSchema"]["type"] == "object",
            "{}",
            t["name"]
        );
    }
    mcp.path = "/mcp/readonly";
    let reads = mcp.tools().await;
    assert!(!reads.is_empty() && reads.len() < all.len());
    for t in &reads {
        assert_eq!(
            t["annotations"]["readOnlyHint"], true,
            "{} on /mcp/readonly",
            t["name"]
        );
    }
    let names: Vec<&str> = reads.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"search_tasks") && !names.contains(&"create_task"));
    mcp.ok("search_tasks", json!({})).await;
    let error = mcp
        .rpc_error("create_task", json!({"team": "ENG", "title": "x"}))
        .await;
    assert!(
        error["message"].as_str().unwrap().contains("/mcp/readonly"),
        "{error}"
    );
    app.stop().await;
}

#[tokio::test]
async fn tools_list_is_small_and_matches_the_snapshot() {
    let app = TestApp::spawn().await;
    let mcp = Mcp::new(&app, ALICE).await;
    let r = mcp_post(app.addr, "/mcp", Some(&mcp.token), &[], LIST).await;
    let size = r.body.len();
    let tools = r.json()["result"]["tools"].clone();
    println!(
        "tools/list: {} tools, {size} bytes",
        tools.as_array().unwrap().len()
    );
    assert!(size < 24 * 1024, "tools/list is {size} bytes");

    // The whole surface as pretty JSON, so that a change shows as a line diff. To accept one:
    // `cargo insta review`, or INSTA_UPDATE=always cargo test -p orgn --test it mcp::tools_list.
    let current = serde_json::to_string_pretty(&tools).unwrap();
    insta::assert_snapshot!("tools_list", current);
    app.stop().await;
}

// --- Bad input never gets a 5xx --------------------------------------------------------------------

#[tokio::test]
async fn bad_requests_get_4xx_or_json_rpc_errors_never_5xx() {
    let app = TestApp::spawn().await;
    let mcp = Mcp::new(&app, ALICE).await;
    let token = mcp.token.clone();
    let call = |name: Value, args: Value| {
        json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": name, "arguments": args}}).to_string()
    };
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"create_task","arguments":{{"team":"ENG","title":"{}"}}}}}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let cases: Vec<(&str, String)> = vec![
        (
            "malformed JSON",
            "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ".into(),
        ),
        ("not JSON-RPC", "[1, 2, 3]".into()),
        ("empty body", String::new()),
        ("no method", r#"{"jsonrpc":"2.0","id":1}"#.into()),
        (
            "unknown method",
            r#"{"jsonrpc":"2.0","id":1,"method":"tasks/destroy","params":{}}"#.into(),
        ),
        ("unknown tool", call(json!("drop_database"), json!({}))),
        ("tool name not a string", call(json!(5), json!({}))),
        (
            "arguments not an object",
            call(json!("get_task"), json!("ENG-1")),
        ),
        (
            "id of the wrong type",
            call(json!("get_task"), json!({"id": 5})),
        ),
        (
            "limit of the wrong type",
            call(json!("search_tasks"), json!({"limit": "many"})),
        ),
        (
            "limit out of range",
            call(json!("search_tasks"), json!({"limit": 100000})),
        ),
        (
            "negative limit",
            call(json!("search_tasks"), json!({"limit": -1})),
        ),
        (
            "missing required",
            call(json!("create_task"), json!({"team": "ENG"})),
        ),
        (
            "unknown argument",
            call(json!("get_task"), json!({"id": "ENG-1", "verbose": true})),
        ),
        (
            "labels not a list",
            call(
                json!("create_task"),
                json!({"team": "ENG", "title": "x", "labels": "Bug"}),
            ),
        ),
        (
            "doc id as text",
            call(json!("get_doc"), json!({"id": "one"})),
        ),
        (
            "bad cursor",
            call(json!("search_tasks"), json!({"cursor": "%%%"})),
        ),
        (
            "bad date",
            call(
                json!("create_task"),
                json!({"team": "ENG", "title": "x", "due_date": "tomorrow"}),
            ),
        ),
        (
            "huge number",
            call(json!("update_comment"), json!({"id": 1e300, "body": "x"})),
        ),
        ("oversized body", huge),
    ];
    for (what, body) in cases {
        let r = mcp_post(app.addr, "/mcp", Some(&token), &[], &body).await;
        assert!(r.status < 500, "{what}: {} {}", r.status, r.body);
        if r.status == 200 {
            let v = r.json();
            let is_error = v.get("error").is_some() || v["result"]["isError"] == true;
            assert!(is_error, "{what} should be an error: {v}");
            let message = v["error"]["message"]
                .as_str()
                .or(v["result"]["content"][0]["text"].as_str())
                .unwrap_or_default()
                .to_string();
            assert!(!message.is_empty(), "{what}: {v}");
            println!("{what}: {message}");
        } else {
            println!("{what}: HTTP {}", r.status);
        }
        if what == "oversized body" {
            assert_eq!(r.status, 413);
        }
        if what == "unknown tool" {
            assert_eq!(r.json()["error"]["code"], -32602);
        }
    }
    // Wrong HTTP shapes.
    let auth = format!("Bearer {token}");
    let r = request(
        app.addr,
        "GET",
        "/mcp",
        &[("Authorization", &auth), ACCEPT],
        "",
    )
    .await;
    assert!((400..500).contains(&r.status), "GET: {}", r.status);
    let r = request(
        app.addr,
        "POST",
        "/mcp",
        &[("Authorization", &auth), JSON_TYPE],
        LIST,
    )
    .await;
    assert!(r.status < 500, "no Accept: {}", r.status);
    let r = request(
        app.addr,
        "POST",
        "/mcp",
        &[
            ("Authorization", &auth),
            ACCEPT,
            ("Content-Type", "text/plain"),
        ],
        LIST,
    )
    .await;
    assert!(r.status < 500, "text/plain: {}", r.status);
    // And the server is still fine.
    mcp.ok("whoami", json!({})).await;
    app.stop().await;
}

// --- Real third-party clients ----------------------------------------------------------------------

async fn run_client(app: &TestApp, mode: &str, token: &str) -> Value {
    let args = ["client.mjs", mode, &app.base_url, token];
    run_node_client(&args).await
}

fn check_client_summary(s: &Value, created: &str) {
    let tools = summary_tools(s);
    assert!(
        tools.contains(&"create_task") && !tools.contains(&"delete_task"),
        "{tools:?}"
    );
    assert_eq!(s["server"], "orgn");
    assert_eq!(s["whoami"], ALICE);
    assert_eq!(s["created"], created);
    assert!(
        s["created_text"]
            .as_str()
            .unwrap()
            .contains(&format!("{created} [Todo] (High)"))
    );
    assert!(
        s["found"]
            .as_array()
            .unwrap()
            .iter()
            .any(|id| id == created),
        "{s}"
    );
    assert_eq!(s["updated_status"], "In Progress");
    assert_eq!(s["comments"].as_array().unwrap().len(), 1);
    assert_eq!(s["projects"], json!(["Website"]));
    assert_eq!(s["project"], "Website");
    assert_eq!(s["cycles"], json!(["current"]));
    assert!(
        s["in_current_cycle"]
            .as_array()
            .unwrap()
            .iter()
            .any(|id| id == "ENG-3")
    );
    assert_eq!(s["docs"], json!(["Onboarding"]));
    assert_eq!(s["doc_content"], "Read the README first.");
    assert!(
        s["delete_refused"]
            .as_str()
            .unwrap()
            .contains("use the web app"),
        "{s}"
    );
}

#[tokio::test]
async fn the_typescript_sdk_client_works_over_streamable_http() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ALICE).await;
    let summary = run_client(&app, "sdk", &token).await;
    check_client_summary(&summary, "ENG-4");
    app.stop().await;
}

#[tokio::test]
async fn mcp_remote_works_with_the_claude_desktop_command_line() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ALICE).await;
    let summary = run_client(&app, "mcp-remote", &token).await;
    check_client_summary(&summary, "ENG-4");
    let alice = app.actor(ALICE).await;
    let calls = app.workspace.recent_tool_calls(&alice, 100).await.unwrap();
    assert!(
        calls
            .iter()
            .any(|c| c.tool == "create_task" && c.target.as_deref() == Some("ENG-4"))
    );
    app.stop().await;
}

/// A list argument has a bound and no repeats: 10,000 copies of one status work as one, and
/// 10,000 different statuses or labels are refused with a clear message (once "internal
/// error", SQLite's expression depth), never an internal error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_arguments_are_bounded_and_deduplicated() {
    let app = TestApp::spawn().await;
    let alice = Mcp::new(&app, ALICE).await;
    let all = alice.ok("search_tasks", json!({"team": "ENG"})).await;
    let status = all["structuredContent"]["tasks"][0]["status"]
        .as_str()
        .unwrap_or_else(|| panic!("ENG has tasks: {all}"))
        .to_string();
    let once = alice
        .ok("search_tasks", json!({"team": "ENG", "status": status}))
        .await;
    assert!(
        !once["structuredContent"]["tasks"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let repeated = vec![status.as_str(); 10_000].join(",");
    let found = alice
        .ok("search_tasks", json!({"team": "ENG", "status": repeated}))
        .await;
    assert_eq!(found["structuredContent"], once["structuredContent"]);
    let many: Vec<String> = (0..10_000).map(|i| format!("s{i}")).collect();
    let refused = alice
        .refused(
            "search_tasks",
            json!({"team": "ENG", "status": many.join(",")}),
        )
        .await;
    assert!(refused.contains("at most 50"), "{refused}");
    let refused = alice
        .refused("search_tasks", json!({"team": "ENG", "labels": many}))
        .await;
    assert!(refused.contains("at most 50"), "{refused}");
    app.stop().await;
}
