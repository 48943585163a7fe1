//! One live workspace: versions and conflicts, the change feed (`list_changes`), and the
//! live stream (`/events`) — what it shows whom, resuming it, and across processes.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use orgn_domain::model::Role;
use orgn_domain::{Caller, TaskPatch};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::http::{mcp_call, mcp_post, rpc};
use crate::support::*;

/// A live stream read off the socket as it comes (the HTTP client of `http.rs` waits for
/// a whole body, which an event stream never ends).
pub(crate) struct EventStream {
    socket: TcpStream,
    pub(crate) text: String,
}

impl EventStream {
    pub(crate) async fn open(
        addr: SocketAddr,
        app: &TestApp,
        email: &str,
        last_event_id: Option<i64>,
    ) -> EventStream {
        let actor = app.actor(email).await;
        let session = app.workspace.start_session(actor.user()).await.unwrap();
        let mut socket = TcpStream::connect(addr).await.unwrap();
        let resume = last_event_id.map_or(String::new(), |id| format!("Last-Event-ID: {id}\r\n"));
        let head = format!(
            "GET /events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\nCookie: {}={}\r\n{resume}\r\n",
            orgn_web::SESSION_COOKIE,
            session.id
        );
        socket.write_all(head.as_bytes()).await.unwrap();
        let mut stream = EventStream {
            socket,
            text: String::new(),
        };
        stream.until("live", Duration::from_secs(10)).await;
        assert!(stream.text.starts_with("HTTP/1.1 200"), "{}", stream.text);
        stream
    }

    /// Reads until `needle` has arrived, or panics after `within`.
    pub(crate) async fn until(&mut self, needle: &str, within: Duration) {
        let deadline = Instant::now() + within;
        while !self.text.contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no {needle:?} within {within:?}; got:\n{}",
                self.text
            );
            self.read_for(left).await;
        }
    }

    /// Reads whatever comes within `window`.
    pub(crate) async fn read_for(&mut self, window: Duration) {
        let mut buf = [0u8; 8192];
        if let Ok(Ok(n)) = tokio::time::timeout(window, self.socket.read(&mut buf)).await {
            assert!(n > 0, "the stream ended:\n{}", self.text);
            self.text.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    }

    /// The ids of the `change` messages received so far, in order.
    fn change_ids(&self) -> Vec<i64> {
        let mut ids = Vec::new();
        let mut in_change = false;
        for line in self.text.lines() {
            if line == "event: change" {
                in_change = true;
            } else if let Some(id) = line.strip_prefix("id: ") {
                if in_change {
                    ids.push(id.trim().parse().unwrap());
                }
                in_change = false;
            }
        }
        ids
    }
}

async fn task_id(app: &TestApp, identifier: &str) -> i64 {
    let admin = app.actor("admin@orgn.test").await;
    app.workspace
        .task(&admin, &task_ref(identifier))
        .await
        .unwrap()
        .id
        .get()
}

async fn set_priority(app: &TestApp, email: &str, identifier: &str, priority: &str) {
    let actor = app.actor(email).await;
    let patch = TaskPatch {
        priority: Some(priority.into()),
        ..Default::default()
    };
    app.workspace
        .update_task(&actor, &task_ref(identifier), patch)
        .await
        .unwrap();
}

fn tool_text(answer: &Value) -> String {
    answer["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn an_edit_based_on_an_old_version_keeps_what_others_changed_and_refuses_what_clashes() {
    let app = TestApp::spawn().await;
    let token = app.token_for("alice@orgn.test").await;
    // The agent says who it is once, as MCP clients do.
    let hello = rpc(
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "Claude Desktop", "version": "1"}}),
    );
    let answer = mcp_post(app.addr, "/mcp", Some(&token), &[], &hello).await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    let read = mcp_call(app.addr, &token, "get_task", json!({"id": "ENG-1"})).await;
    let seen = read["result"]["structuredContent"]["task"]["version"]
        .as_i64()
        .unwrap();

    // Meanwhile Bob, in the browser, sets the status.
    let bob = app.actor("bob@orgn.test").await;
    let done = TaskPatch {
        status: Some("Done".into()),
        ..Default::default()
    };
    app.workspace
        .update_task(&bob, &task_ref("ENG-1"), done)
        .await
        .unwrap();

    // A field nobody else changed goes through, whatever else changed.
    let priority = mcp_call(
        app.addr,
        &token,
        "update_task",
        json!({"id": "ENG-1", "priority": "high", "expected_version": seen}),
    )
    .await;
    assert_ne!(priority["result"]["isError"], json!(true), "{priority}");

    // The field Bob changed is refused, saying who changed it to what.
    let clash = mcp_call(
        app.addr,
        &token,
        "update_task",
        json!({"id": "ENG-1", "status": "Todo", "expected_version": seen}),
    )
    .await;
    assert_eq!(clash["result"]["isError"], json!(true), "{clash}");
    let message = tool_text(&clash);
    assert!(
        message.contains("Status was changed to Done by Bob"),
        "{message}"
    );

    let task = app.workspace.task(&bob, &task_ref("ENG-1")).await.unwrap();
    assert_eq!(task.status.name, "Done");
    assert_eq!(task.priority.name(), "High");
    assert!(task.version > seen);

    // The history says the priority came through Claude Desktop over MCP.
    let history = app
        .workspace
        .task_history(&bob, &task_ref("ENG-1"))
        .await
        .unwrap();
    let via = history.iter().find(|e| e.field == "priority").unwrap();
    assert_eq!(via.via.describe(), "Claude Desktop");
    // So does the activity list of Settings → MCP Access.
    let alice = app.actor("alice@orgn.test").await;
    let alices = app.workspace.start_session(alice.user()).await.unwrap();
    let cookie = format!("{}={}", orgn_web::SESSION_COOKIE, alices.id);
    let page =
        crate::http::request(app.addr, "GET", "/settings/mcp", &[("Cookie", &cookie)], "").await;
    assert!(page.body.contains("via Claude Desktop"), "{}", page.body);
    app.stop().await;
}

#[tokio::test]
async fn list_changes_tells_an_agent_what_changed_and_who_did_it() {
    let app = TestApp::spawn().await;
    let token = app.token_for("alice@orgn.test").await;
    let first = mcp_call(app.addr, &token, "list_changes", json!({"limit": 100})).await;
    let cursor_before = first["result"]["structuredContent"]["next_cursor"].clone();
    assert!(cursor_before.is_null(), "{first}");
    set_priority(&app, "bob@orgn.test", "ENG-2", "urgent").await;
    set_priority(&app, "admin@orgn.test", "DES-1", "urgent").await;
    let answer = mcp_call(
        app.addr,
        &token,
        "list_changes",
        json!({"team": "ENG", "limit": 100}),
    )
    .await;
    let text = tool_text(&answer);
    assert!(
        text.contains("ENG-2 priority — Bob via the web app"),
        "{text}"
    );
    // Alice is not in DES: its changes are not hers to see.
    assert!(!text.contains("DES-1"), "{text}");
    let everything = mcp_call(app.addr, &token, "list_changes", json!({"limit": 100})).await;
    assert!(!tool_text(&everything).contains("DES-1"));

    // Paging: one at a time, next_cursor while more exist.
    let one = mcp_call(
        app.addr,
        &token,
        "list_changes",
        json!({"team": "ENG", "limit": 1}),
    )
    .await;
    let next = one["result"]["structuredContent"]["next_cursor"]
        .as_str()
        .unwrap()
        .to_string();
    let rest = mcp_call(
        app.addr,
        &token,
        "list_changes",
        json!({"team": "ENG", "limit": 100, "cursor": next}),
    )
    .await;
    assert!(tool_text(&rest).contains("ENG-2 priority"));
    assert!(rest["result"]["structuredContent"]["next_cursor"].is_null());
    app.stop().await;
}

#[tokio::test]
async fn a_stream_carries_only_what_its_reader_may_see_and_stops_a_team_at_once() {
    let app = TestApp::spawn().await;
    let (eng_1, des_1, des_2) = (
        task_id(&app, "ENG-1").await,
        task_id(&app, "DES-1").await,
        task_id(&app, "DES-2").await,
    );
    let mut dana = EventStream::open(app.addr, &app, "dana@orgn.test", None).await;
    set_priority(&app, "alice@orgn.test", "ENG-1", "urgent").await;
    set_priority(&app, "admin@orgn.test", "DES-1", "urgent").await;
    dana.until(&format!("event: task-{des_1}"), Duration::from_secs(5))
        .await;
    assert!(
        !dana.text.contains(&format!("task-{eng_1}")),
        "{}",
        dana.text
    );
    assert!(!dana.text.contains("ENG-1"), "{}", dana.text);

    // Dana leaves DES: its changes stop at once, before anything that follows.
    app.workspace
        .remove_member(Caller::Operator, "DES", "dana@orgn.test")
        .await
        .unwrap();
    set_priority(&app, "admin@orgn.test", "DES-2", "urgent").await;
    app.workspace
        .add_member(Caller::Operator, "ENG", "dana@orgn.test", Role::Member)
        .await
        .unwrap();
    set_priority(&app, "alice@orgn.test", "ENG-2", "urgent").await;
    let eng_2 = task_id(&app, "ENG-2").await;
    dana.until(&format!("event: task-{eng_2}"), Duration::from_secs(5))
        .await;
    assert!(
        !dana.text.contains(&format!("task-{des_2}")),
        "{}",
        dana.text
    );
    // The server's shutdown ends the stream (it would otherwise wait for it for ever).
    app.stop().await;
}

#[tokio::test]
async fn a_stream_resumed_with_last_event_id_on_another_process_gets_exactly_what_it_missed() {
    let app = TestApp::spawn().await;
    let mut alice = EventStream::open(app.addr, &app, "alice@orgn.test", None).await;
    set_priority(&app, "bob@orgn.test", "ENG-1", "urgent").await;
    alice.until("event: change", Duration::from_secs(5)).await;
    alice.until("\nid: ", Duration::from_secs(5)).await;
    alice.read_for(Duration::from_millis(200)).await;
    let seen = alice.change_ids();
    assert_eq!(seen.len(), 1, "{}", alice.text);
    drop(alice);

    // While nobody listens: two changes Alice may see, one she may not.
    set_priority(&app, "bob@orgn.test", "ENG-2", "urgent").await;
    set_priority(&app, "admin@orgn.test", "DES-1", "urgent").await;
    set_priority(&app, "bob@orgn.test", "ENG-3", "urgent").await;

    // The server she reconnects to is another process: it knows only the database.
    let second = app.second_server().await;
    let mut again = EventStream::open(second.addr, &app, "alice@orgn.test", Some(seen[0])).await;
    let eng_3 = task_id(&app, "ENG-3").await;
    again
        .until(&format!("event: task-{eng_3}"), Duration::from_secs(5))
        .await;
    again.read_for(Duration::from_millis(300)).await;
    let resumed = again.change_ids();
    assert_eq!(
        resumed.len(),
        2,
        "exactly the two missed changes:\n{}",
        again.text
    );
    assert!(resumed.iter().all(|id| *id > seen[0]));
    assert!(again.text.contains("ENG-2") && again.text.contains("ENG-3"));
    assert!(!again.text.contains("DES-1"));
    drop(again);
    second.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn on_postgres_a_change_through_one_process_reaches_a_stream_on_another() {
    if !on_postgres() {
        // One SQLite file has one server process; several processes share PostgreSQL.
        return;
    }
    let app = TestApp::spawn().await;
    let second = app.second_server().await;
    let mut alice = EventStream::open(second.addr, &app, "alice@orgn.test", None).await;
    set_priority(&app, "bob@orgn.test", "ENG-1", "urgent").await;
    let eng_1 = task_id(&app, "ENG-1").await;
    alice
        .until(&format!("event: task-{eng_1}"), Duration::from_secs(5))
        .await;
    assert!(alice.text.contains("Bob via the web app"), "{}", alice.text);
    drop(alice);
    second.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn changes_past_the_retention_are_swept_and_a_stream_from_before_starts_afresh() {
    let app = TestApp::spawn().await;
    set_priority(&app, "bob@orgn.test", "ENG-1", "urgent").await;
    let alice = app.actor("alice@orgn.test").await;
    let kept = app
        .workspace
        .list_changes(&alice, 0, None, 100)
        .await
        .unwrap();
    let first = kept
        .changes
        .first()
        .expect("the fixture and Bob's change")
        .seq;

    // Within the retention nothing goes; past it, everything older does.
    assert_eq!(app.workspace.sweep_changes().await.unwrap(), 0);
    app.clock.advance(time::Duration::days(31));
    let swept = app.workspace.sweep_changes().await.unwrap();
    assert!(swept as usize >= kept.changes.len(), "{swept}");
    let left = app
        .workspace
        .list_changes(&alice, 0, None, 100)
        .await
        .unwrap();
    assert!(left.changes.is_empty(), "{:?}", left.changes);

    // A page that last saw a change no longer kept cannot be brought up to date: it is
    // told to load afresh, then gets what follows.
    set_priority(&app, "bob@orgn.test", "ENG-2", "urgent").await;
    let mut stream = EventStream::open(app.addr, &app, "alice@orgn.test", Some(first)).await;
    stream.until("event: reset", Duration::from_secs(5)).await;
    set_priority(&app, "bob@orgn.test", "ENG-3", "urgent").await;
    let eng_3 = task_id(&app, "ENG-3").await;
    stream
        .until(&format!("event: task-{eng_3}"), Duration::from_secs(5))
        .await;
    app.stop().await;
}
