//! The inbox over HTTP: the MCP tools, the live stream's inbox messages, the inbox page and
//! following a task, and in Chromium the live unread count, opening a notification from the
//! keyboard and mention completion.

use serde_json::{Value, json};

use crate::browser::*;
use crate::http::{mcp_call, request};
use crate::inbox::{comment, inbox, session, update};
use crate::support::*;
use orgn_domain::{Caller, TaskPatch};

#[tokio::test]
async fn the_inbox_page_opens_a_task_marking_it_read_and_marks_all_read() {
    let app = TestApp::spawn().await;
    comment(&app, BOB, "ENG-2", "Hello @alice").await;
    let (cookie, csrf) = session(&app, ALICE).await;
    let get = |path: &'static str| {
        let cookie = cookie.clone();
        let addr = app.addr;
        async move { request(addr, "GET", path, &[("Cookie", &cookie)], "").await }
    };
    let page = get("/inbox").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Bob</strong> mentioned you"),
        "{}",
        page.body
    );
    assert!(page.body.contains("2 unread"), "{}", page.body);
    let count = get("/inbox/count").await;
    assert!(count.body.contains(">2</span>"), "{}", count.body);

    let newest = inbox(&app, ALICE).await[0].id;
    let path = format!("/inbox/{newest}");
    let unread_now = || async {
        app.workspace
            .unread_count(&app.actor(ALICE).await)
            .await
            .unwrap()
    };
    // From a link on another site it opens the task but marks nothing.
    let foreign = [
        ("Cookie", cookie.as_str()),
        ("Sec-Fetch-Site", "cross-site"),
    ];
    let followed = request(app.addr, "GET", &path, &foreign, "").await;
    assert_eq!(followed.header("location"), Some("/tasks/ENG-2"));
    assert_eq!(unread_now().await, 2);
    let opened = request(app.addr, "GET", &path, &[("Cookie", &cookie)], "").await;
    assert_eq!(opened.status, 303);
    assert_eq!(opened.header("location"), Some("/tasks/ENG-2"));
    assert_eq!(
        app.workspace
            .unread_count(&app.actor(ALICE).await)
            .await
            .unwrap(),
        1
    );
    // Someone else's notification is not found.
    let (bobs, _) = session(&app, BOB).await;
    let other = request(app.addr, "GET", &path, &[("Cookie", &bobs)], "").await;
    assert_eq!(other.status, 404);
    assert_eq!(get("/inbox/nope").await.status, 404);
    assert_eq!(get("/inbox?cursor=zz").await.status, 404);

    let form = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let unread = request(
        app.addr,
        "POST",
        "/inbox/mark",
        &form,
        format!("_csrf={csrf}&id={newest}&read=0"),
    )
    .await;
    assert_eq!(unread.status, 303);
    assert_eq!(
        app.workspace
            .unread_count(&app.actor(ALICE).await)
            .await
            .unwrap(),
        2
    );
    let all = request(
        app.addr,
        "POST",
        "/inbox/read-all",
        &form,
        format!("_csrf={csrf}"),
    )
    .await;
    assert_eq!(all.status, 303);
    assert_eq!(
        app.workspace
            .unread_count(&app.actor(ALICE).await)
            .await
            .unwrap(),
        0
    );
    let empty = get("/inbox?unread=1").await;
    assert!(empty.body.contains("Nothing unread."), "{}", empty.body);

    // Subscribe and unsubscribe from the task page.
    assert!(
        get("/tasks/ENG-2")
            .await
            .body
            .contains("data-follow=\"on\""),
        "mentioned: following"
    );
    let page = get("/tasks/ENG-3").await;
    assert!(
        page.body.contains("data-follow=\"off\""),
        "Alice does not follow ENG-3"
    );
    let follow = request(
        app.addr,
        "POST",
        "/tasks/ENG-3/follow",
        &form,
        format!("_csrf={csrf}&on=1"),
    )
    .await;
    assert_eq!(follow.status, 303);
    assert!(
        get("/tasks/ENG-3")
            .await
            .body
            .contains("data-follow=\"on\"")
    );
    let hidden = request(
        app.addr,
        "POST",
        "/tasks/DES-1/follow",
        &form,
        format!("_csrf={csrf}&on=1"),
    )
    .await;
    assert_eq!(hidden.status, 404);
    app.stop().await;
}

#[tokio::test]
async fn the_live_stream_tells_only_the_recipient_that_their_inbox_changed() {
    use std::time::Duration;

    use crate::live::EventStream;
    let app = TestApp::spawn().await;
    let mut alices = EventStream::open(app.addr, &app, ALICE, None).await;
    let mut bobs = EventStream::open(app.addr, &app, BOB, None).await;
    let assign = TaskPatch {
        assignee: Some(ALICE.into()),
        ..Default::default()
    };
    update(&app, BOB, "ENG-2", assign).await;
    alices.until("event: inbox", Duration::from_secs(10)).await;
    // Bob sees the change, and is told nothing of an inbox.
    bobs.until("event: change", Duration::from_secs(10)).await;
    assert!(!bobs.text.contains("event: inbox"), "{}", bobs.text);

    // A comment on the task she now follows: told again; Bob, its author, is not.
    comment(&app, BOB, "ENG-2", "Done soon").await;
    // Each change's inbox message comes before its `change` line.
    alices.until("</a> comment", Duration::from_secs(10)).await;
    assert_eq!(
        alices.text.matches("event: inbox").count(),
        2,
        "{}",
        alices.text
    );
    bobs.until("</a> comment", Duration::from_secs(10)).await;
    assert!(!bobs.text.contains("event: inbox"), "{}", bobs.text);

    // Marking read (here all, by Alice herself) is told to her own pages only.
    let alice = app.actor(ALICE).await;
    app.workspace
        .mark_notifications(&alice, None, true)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while alices.text.matches("event: inbox").count() < 3 {
        assert!(std::time::Instant::now() < deadline, "{}", alices.text);
        alices.read_for(Duration::from_millis(100)).await;
    }
    assert!(
        !alices.text.contains("inbox</strong>"),
        "no line of recent changes"
    );
    bobs.read_for(Duration::from_millis(300)).await;
    assert!(!bobs.text.contains("event: inbox"), "{}", bobs.text);

    // Leaving the team changes what her inbox shows: her count is told to reload at once.
    app.workspace
        .remove_member(Caller::Operator, "ENG", ALICE)
        .await
        .unwrap();
    alices.until("data: teams", Duration::from_secs(10)).await;
    app.stop().await;
}

#[tokio::test]
async fn list_notifications_and_mark_notifications_read_over_mcp() {
    let app = TestApp::spawn().await;
    let bob = app.token_for(BOB).await;
    let admin = app.token_for(ADMIN).await;
    // Bob, through an agent, assigns the admin a task.
    let set = mcp_call(
        app.addr,
        &bob,
        "update_task",
        json!({"id": "ENG-2", "assignee": ADMIN}),
    )
    .await;
    assert_ne!(set["result"]["isError"], json!(true), "{set}");
    comment(&app, BOB, "ENG-1", "Also this").await;

    let listed = mcp_call(app.addr, &admin, "list_notifications", json!({"limit": 1})).await;
    let s = &listed["result"]["structuredContent"];
    assert_eq!(s["unread"], json!(2), "{listed}");
    assert_eq!(s["notifications"][0]["kind"], json!("comment"));
    assert!(s["next_cursor"].is_string(), "{listed}");
    let next = mcp_call(
        app.addr,
        &admin,
        "list_notifications",
        json!({"limit": 1, "cursor": s["next_cursor"]}),
    )
    .await;
    let n = &next["result"]["structuredContent"];
    assert!(n.get("next_cursor").is_none(), "{next}");
    assert_eq!(n["notifications"][0]["kind"], json!("assigned"));
    assert_eq!(n["notifications"][0]["by"], json!("MCP, as Bob"));
    let text = next["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(
        text.contains("ENG-2") && text.contains("assigned you"),
        "{next}"
    );
    let id = n["notifications"][0]["id"].clone();

    let marked = mcp_call(
        app.addr,
        &admin,
        "mark_notifications_read",
        json!({"ids": [id]}),
    )
    .await;
    assert_eq!(
        marked["result"]["structuredContent"],
        json!({"marked": 1, "unread": 1})
    );
    let unread = mcp_call(
        app.addr,
        &admin,
        "list_notifications",
        json!({"unread_only": true}),
    )
    .await;
    assert_eq!(
        unread["result"]["structuredContent"]["notifications"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    for bad in [
        json!({}),
        json!({"ids": [1], "all": true}),
        json!({"ids": []}),
    ] {
        let refused = mcp_call(app.addr, &admin, "mark_notifications_read", bad.clone()).await;
        assert_eq!(
            refused["result"]["isError"],
            json!(true),
            "{bad}: {refused}"
        );
    }
    let all = mcp_call(
        app.addr,
        &admin,
        "mark_notifications_read",
        json!({"all": true}),
    )
    .await;
    assert_eq!(
        all["result"]["structuredContent"],
        json!({"marked": 1, "unread": 0})
    );
    app.stop().await;
}

/// The sidebar's unread count as shown (empty when none), read again if a live refresh
/// replaced it meanwhile.
async fn shown_count(c: &fantoccini::Client) -> String {
    let read = "var e = document.getElementById('inbox-count'); return e && !e.hidden ? e.textContent.trim() : '';";
    match c.execute(read, vec![]).await {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

async fn wait_count(c: &fantoccini::Client, expected: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let shown = shown_count(c).await;
        if shown == expected {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the unread count shows {shown:?}, not {expected:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unread_count_rises_live_when_an_agent_assigns_a_task_and_the_inbox_opens_it() {
    let app = TestApp::spawn().await;
    let token = app.token_for(BOB).await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;
    // The fixture assigned her ENG-1.
    wait_count(c, "1").await;
    c.execute("window.__stayed = true; return true", vec![])
        .await
        .unwrap();

    let set = mcp_call(
        app.addr,
        &token,
        "update_task",
        json!({"id": "ENG-2", "assignee": ALICE}),
    )
    .await;
    assert_ne!(set["result"]["isError"], json!(true), "{set}");
    wait_count(c, "2").await;
    let stayed = c.execute("return window.__stayed === true", vec![]).await;
    assert_eq!(
        stayed.unwrap(),
        json!(true),
        "the count rose without a reload"
    );

    // The inbox, from the keyboard: j focuses the newest, Enter opens it and marks it read.
    css(c, "#inbox-link").await.click().await.unwrap();
    wait_path(c, "/inbox").await;
    wait_text(c, "MCP, as Bob assigned you").await;
    screenshot(c, "inbox").await;
    press(c, 'j').await;
    press(c, '\u{E007}').await;
    wait_path(c, "/tasks/ENG-2").await;
    wait_count(c, "1").await;

    // Her agent clears the inbox: the count follows on the open page.
    c.goto(&format!("{}/my", app.base_url)).await.unwrap();
    wait_count(c, "1").await;
    let own = app.token_for(ALICE).await;
    mcp_call(
        app.addr,
        &own,
        "mark_notifications_read",
        json!({"all": true}),
    )
    .await;
    wait_count(c, "").await;
    let alice = app.actor(ALICE).await;
    let newest = inbox(&app, ALICE).await[0].id;
    app.workspace
        .mark_notifications(&alice, Some(&[newest]), false)
        .await
        .unwrap();
    wait_count(c, "1").await;

    // Out of ENG, its notifications are gone from the count at once, without a reload.
    app.workspace
        .remove_member(Caller::Operator, "ENG", ALICE)
        .await
        .unwrap();
    wait_count(c, "").await;
    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_comment_editor_completes_a_mention_after_an_at_sign() {
    let app = TestApp::spawn().await;
    // Suggestions come from the server, for a team of the person's only.
    let (cookie, _) = session(&app, ALICE).await;
    let get = |path: String| {
        let cookie = cookie.clone();
        let addr = app.addr;
        async move { request(addr, "GET", &path, &[("Cookie", &cookie)], "").await }
    };
    let eng = get("/mentions?team=ENG&q=bo".into()).await;
    assert!(eng.body.contains("data-handle=\"bob\""), "{}", eng.body);
    assert!(!eng.body.contains("data-handle=\"alice\""), "{}", eng.body);
    let by_name = get("/mentions?team=eng&q=Ad".into()).await;
    assert!(
        by_name.body.contains("data-handle=\"admin\""),
        "{}",
        by_name.body
    );
    let des = get("/mentions?team=DES&q=".into()).await;
    assert_eq!(
        (des.status, des.body.trim()),
        (200, ""),
        "Alice is not in DES"
    );

    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, BOB).await;
    c.goto(&format!("{}/tasks/ENG-1", app.base_url))
        .await
        .unwrap();
    let field = css(c, "#new-comment").await;
    field.send_keys("Thanks @al").await.unwrap();
    css(c, ".mention-menu [data-handle=alice]").await;
    field.send_keys("\u{E007}").await.unwrap();
    let value = css(c, "#new-comment").await.prop("value").await.unwrap();
    assert_eq!(value.as_deref(), Some("Thanks @alice "));
    assert!(!exists(c, ".mention-menu").await, "the menu closes");
    b.close().await;
    app.stop().await;
}
