//! Edits in place (htmx): each control of the task page sends only its own field and the
//! page's parts are swapped without a navigation; the board's drag and drop and `[` / `]`;
//! status groups of any size (true counts, "Show more"); the New-task dialog's team; due
//! dates saved only once whole. In real Chromium, plus the HTTP answers (fragment or
//! redirect) they rely on.

use std::time::{Duration, Instant};

use crate::browser::*;
use crate::http::*;
use crate::support::*;
use fantoccini::Client;
use orgn_domain::model::Task;
use orgn_domain::{Caller, TaskDraft};
use serde_json::json;

async fn go(c: &Client, app: &TestApp, path: &str) {
    c.goto(&format!("{}{path}", app.base_url)).await.unwrap();
}

async fn task(app: &TestApp, id: &str) -> Task {
    let admin = app.actor(ADMIN).await;
    app.workspace.task(&admin, &task_ref(id)).await.unwrap()
}

/// Marks the loaded page: the mark is gone if the browser navigates.
async fn mark_page(c: &Client) {
    c.execute("window.__stayed = true; return true", vec![])
        .await
        .unwrap();
}

async fn same_page(c: &Client) -> bool {
    c.execute("return window.__stayed === true", vec![])
        .await
        .unwrap()
        == json!(true)
}

/// Waits until `check` holds for the task, or fails after a while.
async fn wait_task(app: &TestApp, id: &str, what: &str, check: impl Fn(&Task) -> bool) -> Task {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let t = task(app, id).await;
        if check(&t) {
            return t;
        }
        assert!(Instant::now() < deadline, "{id} never got {what}: {t:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many of ENG's tasks have this status (the fixture's few: one page).
async fn fixture_count(app: &TestApp, status: &str) -> usize {
    let filter = orgn_domain::TaskFilter {
        team: Some("ENG".into()),
        statuses: vec![status.into()],
        limit: Some(100),
        ..Default::default()
    };
    let admin = app.actor(ADMIN).await;
    let page = app.workspace.search_tasks(&admin, filter).await.unwrap();
    assert!(page.next_cursor.is_none());
    page.items.len()
}

async fn count_of(c: &Client, selector: &str) -> usize {
    c.find_all(fantoccini::Locator::Css(selector))
        .await
        .unwrap()
        .len()
}

// --- Scenarios ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_task_page_changes_only_the_field_touched_in_place() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ALICE).await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;
    go(c, &app, "/tasks/ENG-1").await;
    css(c, "#prop-priority").await;
    let htmx = c
        .execute("return typeof window.htmx", vec![])
        .await
        .unwrap();
    assert_eq!(htmx, json!("object"), "htmx is served and loaded");
    mark_page(c).await;
    let before = task(&app, "ENG-1").await;
    assert_ne!(before.status.name, "Done");

    // An agent sets the status meanwhile; the page still shows the old one.
    mcp_call(
        app.addr,
        &token,
        "update_task",
        json!({"id": "ENG-1", "status": "Done"}),
    )
    .await;
    assert_eq!(task(&app, "ENG-1").await.status.name, "Done");

    // The person changes the priority on the stale page (or on the page as the agent's
    // change refreshed it, if that came first: either way only the priority is sent).
    select_retrying(c, "#prop-priority", "1").await;
    let after = wait_task(&app, "ENG-1", "priority Urgent", |t| {
        t.priority.value() == 1
    })
    .await;
    assert_eq!(after.status.name, "Done", "the agent's status stays");
    wait_text(c, "to Urgent").await;
    assert!(
        same_page(c).await,
        "the change was saved without a navigation"
    );
    // The swapped panel shows the task as it is now, the agent's status included.
    wait_selected_status(c, "Done").await;

    // A label toggles alone (ENG-1 has Bug; Frontend is added beside it); a refused
    // value is shown beside its control, in place.
    css(c, "[data-label=Frontend]").await.click().await.unwrap();
    let labelled = wait_task(&app, "ENG-1", "the Frontend label", |t| {
        t.labels.iter().any(|l| l.name == "Frontend")
    })
    .await;
    assert!(labelled.labels.iter().any(|l| l.name == "Bug"));
    wait_text(c, "Frontend").await;
    css(c, "[data-label=Frontend][checked]").await;
    let estimate = css(c, "#prop-estimate").await;
    estimate.send_keys("lots\n").await.unwrap();
    let message = text(c, "#error-estimate").await;
    assert!(message.contains("whole number"), "{message}");
    assert!(same_page(c).await);

    // A comment is added in place, and its form is emptied.
    css(c, "#new-comment")
        .await
        .send_keys("Seen, thanks")
        .await
        .unwrap();
    css(c, "#comment-form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    wait_text(c, "Seen, thanks").await;
    assert!(same_page(c).await);
    assert_eq!(
        css(c, "#new-comment").await.prop("value").await.unwrap(),
        Some(String::new())
    );
    screenshot(c, "task-edited-in-place").await;
    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_forms_answer_parts_to_htmx_and_redirect_plain_posts() {
    let app = TestApp::spawn().await;
    let alice = app.actor(ALICE).await;
    let session = app.workspace.start_session(alice.user()).await.unwrap();
    let cookie = format!("orgn_session={}", session.id);
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let csrf = &session.csrf_token;
    let plain = [("Cookie", cookie.as_str()), form];
    let htmx = [("Cookie", cookie.as_str()), form, ("HX-Request", "true")];

    let body = format!("_csrf={csrf}&priority=2");
    let answer = request(app.addr, "POST", "/tasks/ENG-1", &plain, &body).await;
    assert_eq!(answer.status, 303, "{}", answer.head);
    let answer = request(
        app.addr,
        "POST",
        "/tasks/ENG-1",
        &htmx,
        "_csrf=".to_string() + csrf + "&priority=3",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.head);
    assert!(!answer.body.contains("<html"), "a fragment, not a page");
    assert!(answer.body.contains(r#"id="task-props""#) && answer.body.contains("hx-swap-oob"));
    assert_eq!(task(&app, "ENG-1").await.priority.value(), 3);

    // Only the field sent changes: a priority form leaves the title and status alone.
    let before = task(&app, "ENG-1").await;
    request(
        app.addr,
        "POST",
        "/tasks/ENG-1",
        &htmx,
        format!("_csrf={csrf}&priority=4"),
    )
    .await;
    let after = task(&app, "ENG-1").await;
    assert_eq!(
        (after.title, after.status.name),
        (before.title, before.status.name)
    );

    // A date whose year is still being typed is refused (by the domain), in place.
    let body = format!("_csrf={csrf}&due_date=0002-12-15");
    let answer = request(app.addr, "POST", "/tasks/ENG-1", &htmx, &body).await;
    assert_eq!(answer.status, 400);
    assert!(
        answer.body.contains(r#"id="error-due_date""#),
        "{}",
        answer.body
    );
    assert_eq!(task(&app, "ENG-1").await.due_date, None);

    // A live refresh (GET with HX-Request) gets the parts too.
    let answer = request(app.addr, "GET", "/tasks/ENG-1", &htmx[..1], "").await;
    let answer_htmx = request(
        app.addr,
        "GET",
        "/tasks/ENG-1",
        &[("Cookie", cookie.as_str()), ("HX-Request", "true")],
        "",
    )
    .await;
    assert!(answer.body.contains("<html") && !answer_htmx.body.contains("<html"));

    // The vendored scripts are served, cached for long.
    let js = request(
        app.addr,
        "GET",
        "/assets/vendor/htmx-2.0.11.min.js",
        &[],
        "",
    )
    .await;
    assert_eq!(js.status, 200);
    assert!(
        js.header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(js.header("cache-control").unwrap().contains("immutable"));
    let sse = request(
        app.addr,
        "GET",
        "/assets/vendor/htmx-ext-sse-2.2.4.min.js",
        &[],
        "",
    )
    .await;
    assert!(sse.status == 200 && sse.body.contains("defineExtension(\"sse\""));
    let live = request(app.addr, "GET", "/assets/live.js", &[], "").await;
    assert!(live.status == 200 && live.body.contains("htmx:sseError"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_due_date_is_not_saved_until_whole() {
    let app = TestApp::spawn().await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;
    go(c, &app, "/tasks/ENG-1").await;
    let due = css(c, "#prop-due_date").await;
    due.click().await.unwrap();
    // Month, day and the first digit of the year: the browser already calls it a date.
    due.send_keys("12152").await.unwrap();
    let typed = c
        .execute(
            "return document.getElementById('prop-due_date').value",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        typed,
        json!("0002-12-15"),
        "what Chromium reports mid-typing"
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(task(&app, "ENG-1").await.due_date, None);
    due.send_keys("2026").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(task(&app, "ENG-1").await.due_date, None, "not while typing");
    // Leaving the field saves the whole date.
    css(c, "#prop-estimate").await.click().await.unwrap();
    let t = wait_task(&app, "ENG-1", "a due date", |t| t.due_date.is_some()).await;
    assert_eq!(t.due_date.unwrap().to_string(), "2026-12-15");
    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_dragged_or_moved_with_keys_changes_its_status() {
    let app = TestApp::spawn().await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;
    go(c, &app, "/team/ENG/board").await;
    css(c, "#board-hint").await;
    let card = css(c, ".card-task[data-task=ENG-1]").await;
    let from = task(&app, "ENG-1").await.status.name;
    assert_ne!(from, "Done");
    mark_page(c).await;
    // HTML5 drag and drop, as the browser dispatches it.
    c.execute(
        r#"const card = document.querySelector(".card-task[data-task='ENG-1']");
           const col = document.querySelector(".column[data-status='Done']");
           const dt = new DataTransfer();
           card.dispatchEvent(new DragEvent("dragstart", {bubbles: true, dataTransfer: dt}));
           col.dispatchEvent(new DragEvent("dragover", {bubbles: true, cancelable: true, dataTransfer: dt}));
           col.dispatchEvent(new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: dt}));
           card.dispatchEvent(new DragEvent("dragend", {bubbles: true, dataTransfer: dt}));
           return true"#,
        vec![],
    )
    .await
    .unwrap();
    drop(card);
    wait_task(&app, "ENG-1", "Done", |t| t.status.name == "Done").await;
    css(c, ".column[data-status=Done] .card-task[data-task=ENG-1]").await;
    assert!(same_page(c).await, "moved in place");

    // The keyboard: focus a card, `[` moves it one column left.
    let statuses: Vec<String> = c
        .execute(
            "return [...document.querySelectorAll('.column[data-status]')].map(c => c.dataset.status)",
            vec![],
        )
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let done = statuses.iter().position(|s| s == "Done").unwrap();
    c.execute(
        "document.querySelector(\".card-task[data-task='ENG-1']\").focus(); return true",
        vec![],
    )
    .await
    .unwrap();
    press(c, '[').await;
    let left = statuses[done - 1].clone();
    wait_task(&app, "ENG-1", &left, |t| t.status.name == left).await;
    css(
        c,
        &format!(".column[data-status='{left}'] .card-task[data-task=ENG-1]"),
    )
    .await;
    screenshot(c, "board-moved").await;

    // In a narrow window the columns scroll sideways inside the board; the page does not.
    c.set_window_size(900, 800).await.unwrap();
    let widths = c
        .execute(
            r#"const b = document.getElementById("board");
               return [b.scrollWidth > b.clientWidth,
                       document.documentElement.scrollWidth <= window.innerWidth]"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        widths,
        json!([true, true]),
        "columns scroll, the page does not"
    );
    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_of_2000_tasks_shows_true_counts_and_loads_more() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let admin = app.actor(ADMIN).await;
    let mut tasks = Vec::new();
    for i in 0..2000 {
        let draft = TaskDraft {
            team: "ENG".into(),
            title: format!("Bulk task {i}"),
            status: Some(if i % 4 == 0 { "Done" } else { "Todo" }.into()),
            ..Default::default()
        };
        tasks.push(ws.prepare_task(&admin, draft).await.unwrap());
    }
    // What the fixture already holds per status, counted through search.
    let (todo0, done0) = (
        fixture_count(&app, "Todo").await,
        fixture_count(&app, "Done").await,
    );
    ws.seed_tasks(Caller::Operator, &tasks).await.unwrap();
    let (todo, done) = (todo0 + 1500, done0 + 500);

    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;
    go(c, &app, "/team/ENG/tasks").await;
    let head = "section.group[data-status=Todo]";
    assert_eq!(
        text(c, &format!("{head} [data-count]")).await,
        todo.to_string()
    );
    assert_eq!(
        text(c, "section.group[data-status=Done] [data-count]").await,
        done.to_string()
    );
    assert_eq!(count_of(c, &format!("{head} a.row")).await, 50);
    assert!(!page_text(c).await.contains("first 500"));
    mark_page(c).await;
    css(c, &format!("{head} .show-more"))
        .await
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while count_of(c, &format!("{head} a.row")).await < 100 {
        assert!(Instant::now() < deadline, "no more rows came");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count_of(c, &format!("{head} a.row")).await, 100);
    assert!(same_page(c).await, "loaded in place");
    assert_eq!(count_of(c, &format!("{head} .show-more")).await, 1);

    // Without JavaScript, the link asks the page for more per group.
    let href = css(c, &format!("{head} .show-more"))
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(href, "/team/ENG/tasks?shown=100");
    let cookie = session_cookie(c).await;
    let page = request(app.addr, "GET", &href, &[("Cookie", &cookie)], "").await;
    let todo_rows = page.body.split(r#"data-status="Todo""#).nth(1).unwrap();
    let todo_rows = todo_rows.split("<section").next().unwrap();
    assert_eq!(todo_rows.matches(r#"<a class="row""#).count(), 100);

    // The board: the same true counts, and more cards on demand.
    go(c, &app, "/team/ENG/board").await;
    let col = ".column[data-status=Todo]";
    assert_eq!(
        text(c, &format!("{col} [data-count]")).await,
        todo.to_string()
    );
    assert_eq!(count_of(c, &format!("{col} .card-task")).await, 50);
    css(c, &format!("{col} .show-more"))
        .await
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while count_of(c, &format!("{col} .card-task")).await < 100 {
        assert!(Instant::now() < deadline, "no more cards came");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(c, "board-2000").await;
    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_new_task_dialog_preselects_the_team_of_the_page() {
    let app = TestApp::spawn().await;
    let b = Browser::start().await;
    let c = &b.client;
    // The admin is in DES and ENG; DES comes first in the sidebar.
    sign_in(c, &app.base_url, ADMIN).await;
    for (path, team) in [
        ("/team/ENG/tasks", "ENG"),
        ("/tasks/ENG-2", "ENG"),
        ("/team/DES/board", "DES"),
    ] {
        go(c, &app, path).await;
        css(c, "#task-live, #task-list, #board").await;
        press(c, 'c').await;
        let chosen = css(c, "#create-dialog[open] select[name=team]")
            .await
            .prop("value")
            .await
            .unwrap();
        assert_eq!(chosen.as_deref(), Some(team), "{path}");
    }
    b.close().await;
    app.stop().await;
}

/// What the SSE extension does when `/events` sends an event named `topic`: triggers
/// `sse:<topic>` on the element listening for it.
async fn stream_sends(c: &Client, listener: &str, topic: &str) {
    let script = format!(
        "htmx.trigger(document.querySelector({listener:?}), {:?}); return true",
        format!("sse:{topic}")
    );
    c.execute(&script, vec![]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_event_refreshes_the_pages_in_place_and_keeps_what_is_typed() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ALICE).await;
    let alice = app.actor(ALICE).await;
    let eng = app.workspace.visible_team(&alice, "ENG").unwrap();
    let eng1 = task(&app, "ENG-1").await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;

    // The task page: an agent's change shows; the comment being written stays.
    go(c, &app, "/tasks/ENG-1").await;
    let body = css(c, "body").await;
    assert_eq!(
        body.attr("sse-connect").await.unwrap().as_deref(),
        Some("/events")
    );
    let listener = css(c, "#task-live").await.attr("hx-trigger").await.unwrap();
    assert!(
        listener
            .unwrap()
            .starts_with(&format!("sse:task-{}", eng1.id))
    );
    mark_page(c).await;
    css(c, "#new-comment")
        .await
        .send_keys("half-written")
        .await
        .unwrap();
    mcp_call(
        app.addr,
        &token,
        "update_task",
        json!({"id": "ENG-1", "status": "Done", "title": "Renamed by the agent"}),
    )
    .await;
    stream_sends(c, "#task-live", &format!("task-{}", eng1.id)).await;
    wait_text(c, "Renamed by the agent").await;
    let status = css(c, "#prop-status option[selected]")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(status, "Done");
    assert!(same_page(c).await);
    assert_eq!(
        css(c, "#new-comment").await.prop("value").await.unwrap(),
        Some("half-written".to_string()),
        "the draft being typed is kept"
    );

    // The team's list and board.
    for (path, listener) in [
        ("/team/ENG/tasks", "#list-page"),
        ("/team/ENG/board", "#board"),
    ] {
        go(c, &app, path).await;
        css(c, listener).await;
        mark_page(c).await;
        let title = format!("Live on {path}");
        mcp_call(
            app.addr,
            &token,
            "update_task",
            json!({"id": "ENG-2", "title": title}),
        )
        .await;
        stream_sends(c, listener, &format!("team-{}", eng.id)).await;
        wait_text(c, &title).await;
        assert!(same_page(c).await, "{path} refreshed in place");
    }

    // A stream that is down says so; back up, it does not.
    let shown: serde_json::Value = c
        .execute(
            r#"const b = document.getElementById("stream-down");
               document.body.dispatchEvent(new CustomEvent("htmx:sseOpen", {bubbles: true}));
               const open = b.hidden;
               document.body.dispatchEvent(new CustomEvent("htmx:sseError", {bubbles: true}));
               return [open, b.hidden]"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(shown, json!([true, false]));

    // The recent changes keep the newest few.
    c.execute(
        r#"const list = document.getElementById("live-changes");
           for (let i = 0; i < 7; i++) list.insertAdjacentHTML("afterbegin", `<li class="change">change ${i}</li>`);
           list.dispatchEvent(new CustomEvent("htmx:sseMessage", {bubbles: true}));
           return true"#,
        vec![],
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(count_of(c, "#live-changes li.change").await, 4);
    assert!(text(c, "#live-changes").await.starts_with("change 6"));
    b.close().await;
    app.stop().await;
}

/// Every task of a search, page by page, counted per status id.
async fn counted_by_search(
    app: &TestApp,
    filter: orgn_domain::TaskFilter,
) -> Vec<(orgn_domain::model::StatusId, i64)> {
    let admin = app.actor(ADMIN).await;
    let mut f = orgn_domain::TaskFilter {
        limit: Some(100),
        ..filter
    };
    let mut counts: Vec<(orgn_domain::model::StatusId, i64)> = Vec::new();
    loop {
        let page = app.workspace.search_tasks(&admin, f.clone()).await.unwrap();
        for t in page.items {
            match counts.iter_mut().find(|(id, _)| *id == t.status.id) {
                Some((_, n)) => *n += 1,
                None => counts.push((t.status.id, 1)),
            }
        }
        match page.next_cursor {
            Some(c) => f.cursor = Some(c),
            None => break,
        }
    }
    counts.sort();
    counts
}

#[tokio::test]
async fn status_counts_agree_with_search_for_every_kind_of_filter() {
    let app = TestApp::spawn().await;
    let admin = app.actor(ADMIN).await;
    for i in 0..240 {
        let team = if i % 3 == 0 { "DES" } else { "ENG" };
        let draft = TaskDraft {
            team: team.into(),
            title: format!("{} counted {i}", if i % 2 == 0 { "zebra" } else { "lion" }),
            status: Some(["Todo", "In Progress", "Done", "Backlog"][i % 4].into()),
            labels: if i % 5 == 0 {
                vec!["Bug".into()]
            } else {
                vec![]
            },
            assignee: (i % 7 == 0).then(|| ADMIN.to_string()),
            priority: Some((i % 5).to_string()),
            ..Default::default()
        };
        app.workspace.create_task(&admin, draft).await.unwrap();
    }
    let filters = [
        orgn_domain::TaskFilter::default(),
        orgn_domain::TaskFilter {
            team: Some("ENG".into()),
            ..Default::default()
        },
        orgn_domain::TaskFilter {
            query: Some("zebra".into()),
            ..Default::default()
        },
        orgn_domain::TaskFilter {
            query: Some("counted".into()),
            team: Some("DES".into()),
            labels: vec!["Bug".into()],
            ..Default::default()
        },
        orgn_domain::TaskFilter {
            assignee: Some("me".into()),
            statuses: vec!["started".into(), "Todo".into()],
            ..Default::default()
        },
        orgn_domain::TaskFilter {
            assignee: Some("none".into()),
            priority: Some("2".into()),
            ..Default::default()
        },
    ];
    for filter in filters {
        let mut counted = app
            .workspace
            .count_tasks_by_status(&admin, filter.clone())
            .await
            .unwrap();
        counted.sort();
        let searched = counted_by_search(&app, filter.clone()).await;
        assert!(!searched.is_empty(), "{filter:?} matches something");
        assert_eq!(counted, searched, "{filter:?}");
    }
    // A person sees the counts of their own teams only.
    let alice = app.actor(ALICE).await;
    let all = app
        .workspace
        .count_tasks_by_status(&alice, orgn_domain::TaskFilter::default())
        .await
        .unwrap();
    let eng = app
        .workspace
        .count_tasks_by_status(
            &alice,
            orgn_domain::TaskFilter {
                team: Some("ENG".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (mut all, mut eng) = (all, eng);
    all.sort();
    eng.sort();
    assert_eq!(all, eng, "Alice is in ENG only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_change_and_its_undo_apply_in_place() {
    let app = TestApp::spawn().await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;
    go(c, &app, "/team/ENG/tasks").await;
    let before = task(&app, "ENG-1").await.status.name;
    assert_ne!(before, "Done");
    mark_page(c).await;
    css(c, "input[data-pick][value=ENG-1]")
        .await
        .click()
        .await
        .unwrap();
    css(c, "#bulk-status")
        .await
        .select_by_value("Done")
        .await
        .unwrap();
    css(c, "#bulk-apply").await.click().await.unwrap();
    wait_text(c, "Status of 1 task set to Done").await;
    assert_eq!(task(&app, "ENG-1").await.status.name, "Done");
    css(c, "section.group[data-status=Done] a.row[data-task=ENG-1]").await;
    assert!(same_page(c).await, "applied in place");
    assert!(
        css(c, "#bulk-visible").await.is_displayed().await.unwrap(),
        "the swapped bulk bar is set up as on load"
    );
    css(c, "#undo").await.click().await.unwrap();
    wait_text(c, "Undone: 1 task back to its previous status").await;
    assert_eq!(task(&app, "ENG-1").await.status.name, before);
    assert!(same_page(c).await, "undone in place");
    b.close().await;
    app.stop().await;
}

/// The value of attribute `name` on the element whose `id` is given, in a page's HTML.
fn attr_of(html: &str, id: &str, name: &str) -> String {
    let at = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("#{id} in the page"));
    let tag_start = html[..at].rfind('<').unwrap();
    let tag = &html[tag_start..tag_start + html[tag_start..].find('>').unwrap()];
    let key = format!(r#"{name}=""#);
    let from = tag
        .find(&key)
        .unwrap_or_else(|| panic!("#{id} has {name}: {tag}"));
    let rest = &tag[from + key.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_live_page_listens_to_its_topic_and_its_refresh_answers() {
    let app = TestApp::spawn().await;
    let alice = app.actor(ALICE).await;
    let ws = &app.workspace;
    let eng = ws.visible_team(&alice, "ENG").unwrap();
    let project = ws.projects(&alice).await.unwrap()[0].clone();
    let cycle = ws.cycle(&alice, "ENG", "current").await.unwrap();
    let session = ws.start_session(alice.user()).await.unwrap();
    let cookie = format!("orgn_session={}", session.id);
    let get = |path: String| {
        let cookie = cookie.clone();
        async move {
            let answer = request(app.addr, "GET", &path, &[("Cookie", &cookie)], "").await;
            assert_eq!(answer.status, 200, "{path}");
            answer.body
        }
    };
    let team = format!("sse:team-{} delay:150ms", eng.id);
    let pages = [
        (
            "/my".to_string(),
            "list-page",
            "sse:change delay:150ms".to_string(),
        ),
        ("/team/ENG/tasks".into(), "list-page", team.clone()),
        (
            "/team/ENG/board".into(),
            "board",
            format!("sse:team-{} delay:100ms", eng.id),
        ),
        (
            format!("/projects/{}", project.id),
            "project-live",
            format!("sse:project-{} delay:150ms", project.id),
        ),
        (
            format!("/team/ENG/cycles/{}", cycle.number),
            "cycle-live",
            team,
        ),
        (
            "/settings/mcp".into(),
            "mcp-activity",
            "sse:change delay:500ms".into(),
        ),
    ];
    for (path, part, topic) in pages {
        let html = get(path.clone()).await;
        assert!(html.contains(r#"hx-ext="sse" sse-connect="/events">"#));
        assert!(html.contains(r#"sse-swap="change""#) && html.contains(r#"id="stream-down""#));
        assert_eq!(attr_of(&html, part, "hx-trigger"), topic, "{path}");
        // The refresh asks for a page that has the part again.
        let again = get(attr_of(&html, part, "hx-get")).await;
        assert!(again.contains(&format!(r#"id="{part}""#)), "{path}");
    }
    let html = get("/tasks/ENG-1".into()).await;
    let eng1 = ws.task(&alice, &task_ref("ENG-1")).await.unwrap();
    assert_eq!(
        attr_of(&html, "task-live", "hx-trigger"),
        format!("sse:task-{} delay:100ms", eng1.id)
    );
    app.stop().await;
}

/// Picks `value` in the select, again if a live refresh replaced it meanwhile.
async fn select_retrying(c: &Client, selector: &str, value: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match css(c, selector).await.select_by_value(value).await {
            Ok(()) => return,
            Err(e) => assert!(Instant::now() < deadline, "{selector}: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the task page's status control shows `status`. The panel may be swapped by
/// a live refresh between finding it and reading it: such a read is tried again.
async fn wait_selected_status(c: &Client, status: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let shown = match css(c, "#prop-status option[selected]").await.text().await {
            Ok(shown) if shown == status => return,
            Ok(shown) => shown,
            Err(e) => e.to_string(),
        };
        assert!(Instant::now() < deadline, "the page still shows {shown}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Tells the server, as an MCP client does once, the client's name.
async fn mcp_hello(app: &TestApp, token: &str, client: &str) {
    let hello = rpc(
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": client, "version": "1"}}),
    );
    let answer = mcp_post(app.addr, "/mcp", Some(token), &[], &hello).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agents_change_appears_live_and_a_clashing_edit_is_shown_not_applied() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ALICE).await;
    mcp_hello(&app, &token, "Claude Desktop").await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;
    go(c, &app, "/tasks/ENG-2").await;
    css(c, "#prop-status").await;
    mark_page(c).await;
    let before = task(&app, "ENG-2").await;

    screenshot(c, "live-before").await;
    // The agent's change reaches the open page through /events, without a reload, and
    // says who made it through what.
    mcp_call(
        app.addr,
        &token,
        "update_task",
        json!({"id": "ENG-2", "status": "Done"}),
    )
    .await;
    wait_text(c, "via Claude Desktop").await;
    wait_selected_status(c, "Done").await;
    assert!(same_page(c).await, "updated in place");
    // Its history says through what.
    wait_text(c, "Alice via Claude Desktop changed status").await;
    screenshot(c, "live-after").await;

    // A page still based on the version from before (as one whose stream was down would
    // be) sets the status: refused and shown beside the control, naming the agent.
    c.execute(
        "var v = arguments[0]; document.querySelectorAll('input[name=version]').forEach(function (i) { i.value = v; }); return true",
        vec![json!(before.version)],
    )
    .await
    .unwrap();
    css(c, "#prop-status")
        .await
        .select_by_label("In Progress")
        .await
        .unwrap();
    let message = text(c, "#error-status").await;
    assert!(
        message.contains("Status was changed to Done by Alice")
            && message.contains("Claude Desktop"),
        "{message}"
    );
    assert_eq!(task(&app, "ENG-2").await.status.name, "Done", "not applied");
    assert!(same_page(c).await);
    screenshot(c, "conflict-shown").await;
    b.close().await;
    app.stop().await;
}

#[tokio::test]
async fn a_project_of_more_tasks_than_a_page_lists_says_so_with_true_counts() {
    let app = TestApp::spawn().await;
    let admin = app.actor(ADMIN).await;
    let ws = &app.workspace;
    let mut tasks = Vec::new();
    for i in 0..520 {
        let draft = TaskDraft {
            team: "ENG".into(),
            title: format!("Website task {i}"),
            status: Some(if i % 4 == 0 { "Done" } else { "Todo" }.into()),
            project: Some("Website".into()),
            ..Default::default()
        };
        tasks.push(ws.prepare_task(&admin, draft).await.unwrap());
    }
    ws.seed_tasks(Caller::Operator, &tasks).await.unwrap();
    let project = ws.project(&admin, "Website").await.unwrap();
    let total = project.progress.total;
    assert!(total > 520, "{total}");
    let session = ws.start_session(admin.user()).await.unwrap();
    let cookie = format!("orgn_session={}", session.id);
    let answer = request(
        app.addr,
        "GET",
        &format!("/projects/{}", project.id),
        &[("Cookie", &cookie)],
        "",
    )
    .await;
    assert_eq!(answer.status, 200);
    assert!(
        answer.body.contains(&format!("of {total} tasks")),
        "the page says how many it lists"
    );
    // Every group's count is its true size, not the number listed.
    let done = project.progress.completed;
    // 130 Done of 520, of which only 125 are among the newest 500 listed.
    assert_eq!(done, 130);
    assert!(
        answer.body.contains(&format!("data-count>{done}<")),
        "the Done group counts all {done}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agents_change_moves_the_card_on_an_open_board_and_the_row_on_an_open_list() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ALICE).await;
    mcp_hello(&app, &token, "Cursor").await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;

    go(c, &app, "/team/ENG/board").await;
    css(c, "section.column[data-status=Todo] [data-task=ENG-3]").await;
    mark_page(c).await;
    mcp_call(
        app.addr,
        &token,
        "update_task",
        json!({"id": "ENG-3", "status": "In Progress"}),
    )
    .await;
    css(
        c,
        "section.column[data-status=\"In Progress\"] [data-task=ENG-3]",
    )
    .await;
    assert!(same_page(c).await, "the board moved the card in place");

    go(c, &app, "/team/ENG/tasks").await;
    css(
        c,
        "section.group[data-status=\"In Progress\"] a.row[data-task=ENG-3]",
    )
    .await;
    mark_page(c).await;
    mcp_call(
        app.addr,
        &token,
        "update_task",
        json!({"id": "ENG-3", "status": "Done"}),
    )
    .await;
    css(c, "section.group[data-status=Done] a.row[data-task=ENG-3]").await;
    assert!(same_page(c).await, "the list moved the row in place");
    wait_text(c, "via Cursor").await;
    b.close().await;
    app.stop().await;
}
