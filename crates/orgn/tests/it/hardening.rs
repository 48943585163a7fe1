//! What a hostile-input review found (issue 16): requests that are not one JSON-RPC message,
//! identifiers with line breaks, sessions left unused, slow connections.

use crate::http::*;
use crate::support::*;
use orgn_domain::clock::Clock;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn mcp_bodies_that_are_not_one_json_rpc_message_answer_400_with_the_json_rpc_error() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ALICE).await;
    let cases = [
        (
            "malformed JSON",
            r#"{"jsonrpc": "2.0", "id": 1, "method": "#,
            -32700,
        ),
        ("empty body", "", -32700),
        (
            "a batch",
            r#"[{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}]"#,
            -32600,
        ),
        ("a number", "5", -32600),
    ];
    for path in ["/mcp", "/mcp/readonly"] {
        for (case, body, code) in cases {
            let answer = mcp_post(app.addr, path, Some(&token), &[], body).await;
            assert_eq!(answer.status, 400, "{path} {case}: {}", answer.body);
            let error = answer.json();
            assert_eq!(error["jsonrpc"], "2.0", "{case}: {error}");
            assert_eq!(error["id"], json!(null), "{case}: {error}");
            assert_eq!(error["error"]["code"], code, "{case}: {error}");
        }
    }
    // One well-formed message still goes through, its body intact.
    let list = mcp_post(
        app.addr,
        "/mcp",
        Some(&token),
        &[],
        &rpc("tools/list", json!({})),
    )
    .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        list.json()["result"]["tools"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );
    // Without a token the guard answers first: nobody gets a body read for free.
    let anonymous = mcp_post(app.addr, "/mcp", None, &[], "[").await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn create_comment_with_a_line_break_in_the_task_id_saves_nothing() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ALICE).await;
    for id in ["ENG-1\n", "\nENG-1", "ENG-1\r\nENG-2", "ENG\n-1", "ENG-\n1"] {
        let answer = mcp_call(
            app.addr,
            &token,
            "create_comment",
            json!({"id": id, "body": "planted"}),
        )
        .await;
        let result = &answer["result"];
        assert_eq!(result["isError"], true, "{id:?}: {answer}");
    }
    let task = mcp_call(app.addr, &token, "get_task", json!({"id": "ENG-1"})).await;
    assert!(!task.to_string().contains("planted"), "{task}");
}

/// A server with short connection bounds and nothing else: 1 s for headers (and idle
/// keep-alive), 100 connections at once. Returns its address and what keeps it running.
async fn spawn_with_short_connection_limits() -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    (TempDir, Option<TestDatabase>),
) {
    let data_dir = TempDir::new();
    let database = if on_postgres() {
        Some(TestDatabase::create().await)
    } else {
        None
    };
    let config = orgn::ServeConfig {
        addr: "127.0.0.1:0".into(),
        data_dir: data_dir.path.clone(),
        database_url: database.as_ref().map(|d| d.url.clone()),
        public_url: None,
        demo: false,
        assistant: None,
        oauth: Default::default(),
        feed_retention_days: orgn_domain::FEED_RETENTION_DAYS,
        activity_retention_days: 90,
    };
    let clock = std::sync::Arc::new(orgn_domain::clock::ManualClock::new(start_time()));
    let app = orgn::Application::build(&config, clock)
        .await
        .expect("the app builds")
        .with_connection_limits(orgn::app::ConnectionLimits {
            header_read_timeout: Duration::from_secs(1),
            max_connections: 100,
        });
    let addr = app.addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    (addr, stop, (data_dir, database))
}

/// Reads until the server closes the connection; false when it is still open after `wait`.
async fn closed_within(mut stream: TcpStream, wait: Duration) -> bool {
    let mut sink = Vec::new();
    // An error (a reset) closes it too.
    let read = tokio::time::timeout(wait, stream.read_to_end(&mut sink)).await;
    read.is_ok()
}

#[tokio::test]
async fn slow_and_idle_connections_are_closed_and_healthz_keeps_answering() {
    const SLOW: usize = 300;
    let (addr, stop, _keep) = spawn_with_short_connection_limits().await;
    // Three times the connection limit, each sending one header line and then nothing.
    let mut slow = Vec::with_capacity(SLOW);
    for _ in 0..SLOW {
        let mut stream = TcpStream::connect(addr).await.expect("connects");
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .await
            .expect("writes a header line");
        slow.push(stream);
    }
    let started = Instant::now();
    let health = request(addr, "GET", "/healthz", &[], "").await;
    assert_eq!(health.status, 200, "{}", health.body);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "/healthz took {:?} behind {SLOW} slow connections",
        started.elapsed()
    );
    let closing = slow
        .into_iter()
        .map(|stream| tokio::spawn(closed_within(stream, Duration::from_secs(15))));
    let mut still_open = 0;
    for closed in closing {
        still_open += usize::from(!closed.await.unwrap());
    }
    assert_eq!(still_open, 0, "slow connections the server kept open");

    // A keep-alive connection left idle after its answer is closed too.
    let mut idle = TcpStream::connect(addr).await.expect("connects");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("writes a request");
    let mut answer = [0u8; 64];
    let n = idle.read(&mut answer).await.expect("an answer");
    assert!(
        answer[..n].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        &answer[..n]
    );
    assert!(
        closed_within(idle, Duration::from_secs(5)).await,
        "an idle keep-alive connection stayed open"
    );
    let _ = stop.send(());
}

#[tokio::test]
async fn a_session_unused_for_a_week_ends_and_one_in_use_lives_its_lifetime() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let left = ws.start_session(alice.user()).await.unwrap();
    let used = ws.start_session(alice.user()).await.unwrap();
    let day = time::Duration::days(1);
    // Days 3, 6 and 9: one is used, the other is not (a check counts as a use).
    for _ in 0..3 {
        app.clock.advance(day * 3);
        let outcome = ws.session_actor(&used.id).await;
        assert!(outcome.is_ok(), "a session in use ended: {outcome:?}");
    }
    assert!(app.clock.now() - start_time() >= orgn_domain::SESSION_IDLE_LIMIT);
    let outcome = ws.session_actor(&left.id).await;
    assert!(outcome.is_err(), "unused for 9 days: {outcome:?}");
    app.clock.advance(day * 3);
    assert!(ws.session_actor(&used.id).await.is_ok(), "day 12");
    // Past its lifetime, use or not.
    app.clock.advance(day * 3);
    assert!(ws.session_actor(&used.id).await.is_err());
}

#[tokio::test]
async fn the_sign_in_throttle_is_shared_by_every_process_per_account_and_per_address() {
    let app = TestApp::spawn().await;
    let here = &app.workspace;
    let elsewhere = app.other_process().await;
    let attacker: std::net::IpAddr = "203.0.113.7".parse().unwrap();
    let someone: std::net::IpAddr = "198.51.100.2".parse().unwrap();
    for _ in 0..3 {
        let delay = elsewhere.sign_in_delay(ALICE, Some(someone)).await.unwrap();
        assert!(delay.is_zero(), "{delay}");
        here.sign_in_failed(ALICE, Some(attacker)).await.unwrap();
    }
    // Another process, another address, the e-mail as typed differently: the same account.
    let delay = elsewhere
        .sign_in_delay(" Alice@ORGN.test ", Some(someone))
        .await
        .unwrap();
    assert!(
        delay.is_positive(),
        "the account's failures were not shared"
    );
    // One address guessing at many accounts is slowed too, past its free attempts.
    for n in 0..20 {
        let email = format!("guess{n}@orgn.test");
        here.sign_in_failed(&email, Some(attacker)).await.unwrap();
    }
    let fresh = elsewhere.sign_in_delay(BOB, Some(attacker)).await.unwrap();
    assert!(
        fresh.is_positive(),
        "the address's failures were not counted"
    );
    assert!(
        elsewhere
            .sign_in_delay(BOB, Some(someone))
            .await
            .unwrap()
            .is_zero()
    );
    // A right password clears the account, not the address.
    here.sign_in_succeeded(ALICE).await.unwrap();
    assert!(here.sign_in_delay(ALICE, None).await.unwrap().is_zero());
    assert!(
        here.sign_in_delay(ALICE, Some(attacker))
            .await
            .unwrap()
            .is_positive()
    );
    // Past the window the rows are swept: new failures start a window of their own (an
    // old row counted on would keep its old window, and its failures would not count).
    app.clock
        .advance(orgn_domain::SIGN_IN_FAILURE_WINDOW + time::Duration::seconds(1));
    assert!(
        here.sign_in_delay("guess0@orgn.test", None)
            .await
            .unwrap()
            .is_zero()
    );
    for _ in 0..3 {
        here.sign_in_failed("guess0@orgn.test", None).await.unwrap();
    }
    let again = here.sign_in_delay("guess0@orgn.test", None).await.unwrap();
    assert!(
        again.is_positive(),
        "the failures after the window were not counted"
    );
}

/// `orgn bench --soak` and `--signins` run against a server of their own and end with their
/// figures as one line of JSON: the soak with no errors, the sign-ins with `/healthz` timed.
#[test]
fn bench_soak_and_signins_report_their_figures() {
    let run = |extra: &[&str]| -> serde_json::Value {
        let data = TempDir::new();
        let mut args = vec!["bench", "--tasks", "200", "--seconds", "1", "--json"];
        args.extend_from_slice(extra);
        args.extend(["--data-dir", data.path.to_str().unwrap()]);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_orgn"))
            .args(&args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
    };
    let soak = run(&["--soak", "--concurrency", "4"]);
    assert!(soak["requests"].as_u64().unwrap() > 0, "{soak}");
    assert_eq!(soak["errors"], 0, "{soak}");
    assert!(soak["p99_ms"].as_f64().unwrap() > 0.0, "{soak}");
    let signins = run(&["--signins", "4"]);
    assert!(
        signins["healthz_requests"].as_u64().unwrap() > 0,
        "{signins}"
    );
    let attempts = ["signed_in", "refused", "busy"]
        .iter()
        .map(|k| signins[k].as_u64().unwrap())
        .sum::<u64>();
    assert!(attempts > 0, "{signins}");
    assert_eq!(signins["other"], 0, "{signins}");
}
