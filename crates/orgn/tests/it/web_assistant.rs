//! Ask Orgn in the browser: the real server, configured with the local scripted LLM server
//! (OpenAI Chat Completions wire format, streamed), driven by headless Chromium. The panel
//! opens with its shortcut, the answer streams in with its tool calls, a proposed delete runs
//! only after Confirm, and a canceled one changes nothing. Without a model, the panel says
//! how to configure one. The screenshot goes to `target/screenshots/ask-orgn.png`.
//!
//! Needs `chromium` and `chromedriver` on PATH (`apt-get install chromium chromium-driver`).

use std::collections::BTreeSet;

use crate::browser::*;
use crate::http::*;
use crate::llm_stub::{Reply, Stub, tool};
use crate::support::*;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, Locator};
use orgn_assistant::Api;
use serde_json::{Value, json};

/// A form POST with the session's cookie: (status, head, body).
async fn post(
    app: &TestApp,
    path: &str,
    cookie: &str,
    accept: &str,
    body: &str,
) -> (u16, String, String) {
    let headers = [
        ("Cookie", cookie),
        ("Accept", accept),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let answer = request(app.addr, "POST", path, &headers, body).await;
    (answer.status, answer.head, answer.body)
}

async fn go(c: &Client, app: &TestApp, path: &str) {
    c.goto(&format!("{}{path}", app.base_url)).await.unwrap();
}

async fn count(c: &Client, selector: &str) -> usize {
    c.find_all(Locator::Css(selector)).await.unwrap().len()
}

/// Types a question into the open panel and sends it with Enter; waits for the answer to end.
async fn ask(c: &Client, question: &str, answered: usize) {
    let input = css(c, "#ask-panel [data-ask-input]").await;
    input.send_keys(question).await.unwrap();
    input.send_keys("\u{E007}").await.unwrap();
    css(
        c,
        &format!("#ask-panel [data-ask-root][data-answered='{answered}']"),
    )
    .await;
}

fn form_value(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("{name} in the page"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

// --- Scenarios ----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_in_the_panel_see_the_stream_and_tool_calls_then_confirm_and_cancel_proposals() {
    let long_tail = "Nothing else in ENG is blocked by it. ".repeat(6);
    let stub = Stub::start(
        Api::OpenAi,
        vec![
            Reply::Tools(
                "Let me look that up.".into(),
                vec![("search_tasks".into(), json!({"query": "login"}))],
            ),
            tool("update_task", json!({"id": "ENG-1", "status": "Done"})),
            Reply::Text(format!(
                "Done: **ENG-1** “Fix login redirect” is now *Done*.\n\n- It was assigned to you\n- {long_tail}"
            )),
            // The second question: a delete, proposed.
            tool("delete_task", json!({"id": "ENG-3"})),
            Reply::Text("I proposed deleting ENG-3: confirm it in the panel.".into()),
            // The third: another delete, which the user cancels.
            tool("delete_task", json!({"id": "ENG-2"})),
            Reply::Text("Proposed: delete ENG-2.".into()),
        ],
    )
    .await;
    let app = TestApp::builder().assistant(stub.config()).spawn().await;
    let alice = app.actor(ALICE).await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;
    go(c, &app, "/team/ENG/tasks").await;
    css(c, "#task-list").await;

    // The sidebar has the button with its shortcut; `a` opens the panel on any page.
    let button = text(c, "[data-ask-toggle]").await;
    assert!(
        button.contains("Ask Orgn") && button.contains('A'),
        "{button}"
    );
    assert!(!css(c, "#ask-panel").await.is_displayed().await.unwrap());
    press(c, 'a').await;
    css(c, "#ask-panel [data-ask-empty]").await;
    assert!(css(c, "#ask-panel").await.is_displayed().await.unwrap());
    assert!(
        text(c, "#ask-panel .ask-form").await.contains("Enter"),
        "the form says how to send"
    );
    assert_eq!(
        c.active_element()
            .await
            .unwrap()
            .attr("name")
            .await
            .unwrap()
            .as_deref(),
        Some("question"),
        "the question box has the focus"
    );

    // Record how the answer grows, to see it stream.
    c.execute(
        "var log = document.querySelector('#ask-panel [data-ask-log]');
         window.__askLens = [];
         new MutationObserver(function () {
           var a = log.querySelectorAll('.ask-a');
           if (a.length) window.__askLens.push(a[a.length - 1].textContent.length);
         }).observe(log, {childList: true, subtree: true, characterData: true});",
        vec![],
    )
    .await
    .unwrap();

    // A question that leads to search_tasks, then update_task.
    ask(c, "Mark the login redirect task as done", 1).await;
    let question = text(c, "#ask-panel .ask-q").await;
    assert_eq!(question, "Mark the login redirect task as done");
    let search = text(c, "#ask-panel .ask-tool[data-tool='search_tasks']").await;
    assert!(search.contains("search_tasks"), "{search}");
    assert!(search.contains("query: \"login\""), "{search}");
    assert!(search.contains("ENG-1"), "the result summary: {search}");
    let update = text(c, "#ask-panel .ask-tool[data-tool='update_task']").await;
    assert!(update.contains("status: \"Done\""), "{update}");
    assert_eq!(count(c, "#ask-panel .ask-tool.failed").await, 0);
    let answers = c.find_all(Locator::Css("#ask-panel .ask-a")).await.unwrap();
    assert_eq!(
        answers.len(),
        2,
        "the text before the tools, and the answer"
    );
    assert_eq!(answers[0].text().await.unwrap(), "Let me look that up.");
    let answer = answers[1].text().await.unwrap();
    assert!(
        answer.contains("Done: ENG-1 “Fix login redirect” is now Done."),
        "{answer}"
    );
    // Markdown, sanitized, with the task identifier as a link.
    assert_eq!(
        text(c, "#ask-panel .ask-a strong a[href='/tasks/ENG-1']").await,
        "ENG-1"
    );
    assert_eq!(count(c, "#ask-panel .ask-a em").await, 1);
    assert_eq!(count(c, "#ask-panel .ask-a li").await, 2);
    // The new conversation joins the history list.
    assert_eq!(
        content(c, "#ask-panel .ask-history-list a.current").await,
        "Mark the login redirect task as done"
    );
    let lens: Vec<u64> =
        serde_json::from_value(c.execute("return window.__askLens;", vec![]).await.unwrap())
            .unwrap();
    let distinct: BTreeSet<u64> = lens.iter().copied().collect();
    assert!(
        distinct.len() >= 3,
        "the answer grew as it streamed: {lens:?}"
    );
    // The change happened, as alice.
    let task = app
        .workspace
        .task(&alice, &task_ref("ENG-1"))
        .await
        .unwrap();
    assert_eq!(task.status.name, "Done");
    let history = app
        .workspace
        .task_history(&alice, &task_ref("ENG-1"))
        .await
        .unwrap();
    let change = history.iter().rev().find(|e| e.field == "status").unwrap();
    assert_eq!(change.actor.email, ALICE);

    // A delete is only proposed: nothing happens until Confirm.
    ask(c, "Delete the pagination task", 2).await;
    let card = text(c, "#ask-panel .ask-proposal[data-state='pending']").await;
    assert!(
        card.contains("Delete task ENG-3 “Paginate the board”"),
        "{card}"
    );
    assert!(
        card.contains("Confirm") && card.contains("Cancel"),
        "{card}"
    );
    assert!(
        app.workspace.task(&alice, &task_ref("ENG-3")).await.is_ok(),
        "nothing ran on the model's word"
    );
    assert!(
        text(c, "#ask-panel .ask-a:last-child")
            .await
            .contains("confirm it in the panel")
    );
    screenshot(c, "ask-orgn").await;

    css(
        c,
        "#ask-panel .ask-proposal[data-state='pending'] [data-confirm]",
    )
    .await
    .click()
    .await
    .unwrap();
    let done = text(c, "#ask-panel .ask-proposal[data-state='confirmed']").await;
    assert!(done.contains("ENG-3"), "{done}");
    let trash = app.workspace.trash(&alice, Some("ENG")).await.unwrap();
    assert!(
        trash.iter().any(|i| i.label == "ENG-3"),
        "ENG-3 went to the Trash: {trash:?}"
    );
    assert_eq!(
        trash[0].deleted_by.as_ref().map(|u| u.email.as_str()),
        Some(ALICE)
    );
    assert!(matches!(
        app.workspace.task(&alice, &task_ref("ENG-3")).await,
        Err(orgn_domain::Error::NotFound(_))
    ));

    // A second proposal, canceled: the task stays.
    ask(c, "And delete ENG-2 too", 3).await;
    assert!(
        text(c, "#ask-panel .ask-proposal[data-state='pending']")
            .await
            .contains("ENG-2")
    );
    css(
        c,
        "#ask-panel .ask-proposal[data-state='pending'] [data-cancel]",
    )
    .await
    .click()
    .await
    .unwrap();
    let canceled = text(c, "#ask-panel .ask-proposal[data-state='canceled']").await;
    assert!(canceled.contains("nothing was changed"), "{canceled}");
    assert_eq!(
        app.workspace
            .task(&alice, &task_ref("ENG-2"))
            .await
            .unwrap()
            .title,
        "Add search to the docs page"
    );
    let trash = app.workspace.trash(&alice, Some("ENG")).await.unwrap();
    assert!(!trash.iter().any(|i| i.label == "ENG-2"), "{trash:?}");

    // Escape closes the panel; on another page, Ctrl+J opens it again on the same
    // conversation, now rendered by the server from the stored transcript.
    press(c, '\u{E00C}').await;
    assert!(!css(c, "#ask-panel").await.is_displayed().await.unwrap());
    go(c, &app, "/my").await;
    css(c, ".main").await;
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: '\u{E009}' })
        .then(KeyAction::Down { value: 'j' })
        .then(KeyAction::Up { value: 'j' })
        .then(KeyAction::Up { value: '\u{E009}' });
    c.perform_actions(keys).await.unwrap();
    css(c, "#ask-panel .ask-proposal[data-state='confirmed']").await;
    assert_eq!(count(c, "#ask-panel .ask-q").await, 3);
    assert_eq!(count(c, "#ask-panel .ask-tool").await, 2);
    assert_eq!(
        count(c, "#ask-panel .ask-proposal[data-state='canceled']").await,
        1
    );
    assert_eq!(
        count(c, "#ask-panel .ask-proposal [data-confirm]").await,
        0,
        "resolved proposals have no buttons"
    );
    assert!(exists(c, "#ask-panel .ask-a a[href='/tasks/ENG-1']").await);
    // The panel opened on a key press: its title reads as empty until it is displayed.
    assert_eq!(
        shown_text(c, "#ask-panel [data-ask-title]").await,
        "Mark the login redirect task as done"
    );
    // The history lists it; "New conversation" starts an empty one.
    css(c, "#ask-panel .ask-history summary")
        .await
        .click()
        .await
        .unwrap();
    assert_eq!(
        text(c, "#ask-panel .ask-history-list a.current").await,
        "Mark the login redirect task as done"
    );
    css(c, "#ask-panel [data-ask-new]")
        .await
        .click()
        .await
        .unwrap();
    css(c, "#ask-panel [data-ask-empty]").await;
    assert_eq!(count(c, "#ask-panel .ask-q").await, 0);

    // Security: a POST without the session's CSRF token is refused before the model hears
    // of it; with it, a plain form post (no JavaScript) answers with the conversation.
    let cookie = session_cookie(c).await;
    let before = stub.requests().len();
    let (status, _, _) = post(
        &app,
        "/assistant/ask",
        &cookie,
        "text/event-stream",
        "question=Delete+everything",
    )
    .await;
    assert_eq!(status, 403);
    let (status, _, _) = post(
        &app,
        "/assistant/ask",
        "",
        "text/event-stream",
        "question=hi&_csrf=x",
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(stub.requests().len(), before);
    go(c, &app, "/assistant").await;
    // The page's form is there before its source is read (a loaded machine is slow).
    css(c, "#ask-panel input[name=_csrf], form input[name=_csrf]").await;
    let html = c.source().await.unwrap();
    let csrf = form_value(&html, "_csrf");
    stub.push(vec![Reply::Text("ENG-2 is still open.".into())]);
    let (status, head, _) = post(
        &app,
        "/assistant/ask",
        &cookie,
        "text/html",
        &format!("_csrf={csrf}&question=Is+ENG-2+open%3F"),
    )
    .await;
    assert_eq!(status, 303, "{head}");
    let location = head
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .unwrap()
        .to_string();
    assert!(location.starts_with("/assistant?c="), "{location}");
    go(c, &app, &location).await;
    assert_eq!(text(c, ".ask-page .ask-q").await, "Is ENG-2 open?");
    assert!(exists(c, ".ask-page .ask-a a[href='/tasks/ENG-2']").await);
    screenshot(c, "ask-orgn-page").await;
    // The stream, as the wire carries it.
    stub.push(vec![Reply::Text("Yes.".into())]);
    let conv = location.trim_start_matches("/assistant?c=");
    let (status, head, body) = post(
        &app,
        "/assistant/ask",
        &cookie,
        "text/event-stream",
        &format!("_csrf={csrf}&question=Sure%3F&conversation={conv}"),
    )
    .await;
    assert_eq!(status, 200, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{head}"
    );
    let names: Vec<&str> = body
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(names.first(), Some(&"conversation"), "{body}");
    assert_eq!(names.last(), Some(&"done"), "{body}");
    assert!(names.contains(&"text"), "{body}");
    let first: Value =
        serde_json::from_str(body.lines().find_map(|l| l.strip_prefix("data: ")).unwrap()).unwrap();
    assert_eq!(first["id"].to_string(), conv);
    // Someone else's conversation is not found.
    sign_out_and_in_as(c, &app, BOB).await;
    go(c, &app, &location).await;
    wait_text(c, "Not found").await;

    b.close().await;
    app.stop().await;
}

async fn sign_out_and_in_as(c: &Client, app: &TestApp, email: &str) {
    go(c, app, "/my").await;
    css(c, ".me form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    wait_path(c, "/signin").await;
    sign_in(c, &app.base_url, email).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_model_the_panel_says_how_to_configure_it_and_the_app_works() {
    let app = TestApp::spawn().await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;
    go(c, &app, "/team/ENG/tasks").await;
    css(c, "#task-list").await;
    press(c, 'a').await;
    let message = shown_text(c, "#ask-panel #ask-not-configured").await;
    assert!(
        message.starts_with("Ask Orgn is not configured"),
        "{message}"
    );
    assert!(message.contains("Start orgn serve with"), "{message}");
    assert!(message.contains("--assistant-url"), "{message}");
    assert!(message.contains("ORGN_ASSISTANT_API_KEY"), "{message}");
    assert!(!exists(c, "#ask-panel [data-ask-input]").await);
    screenshot(c, "ask-orgn-not-configured").await;
    // The page of its own (where the sidebar link leads without JavaScript) says the same.
    go(c, &app, "/assistant").await;
    assert!(
        text(c, ".ask-page #ask-not-configured")
            .await
            .contains("not configured")
    );
    // The rest of the app is unaffected: `c` still creates a task.
    go(c, &app, "/team/ENG/tasks").await;
    css(c, "#task-list").await;
    press(c, 'c').await;
    css(c, "#create-dialog[open] input[name=title]").await;
    b.close().await;
    app.stop().await;
}
