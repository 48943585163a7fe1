//! The web-only powers end to end, in a real headless Chromium: delete and restore through
//! the Trash, bulk status changes with undo, and background jobs (export, CSV import with a
//! preview, live progress). And through `/mcp`, none of it is reachable.
//! Screenshots go to `target/screenshots/`.

use std::time::{Duration, Instant};

use crate::browser::*;
use crate::http::*;
use crate::support::*;
use fantoccini::actions::{
    InputSource, KeyAction, KeyActions, MOUSE_BUTTON_LEFT, MouseActions, PointerAction,
};
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use orgn_domain::model::JobId;
use orgn_domain::{Error, TaskDraft, TaskFilter, TaskPatch, TaskRef};
use serde_json::{Value, json};

// --- Helpers ------------------------------------------------------------------------------------

async fn go(c: &Client, app: &TestApp, path: &str) {
    c.goto(&format!("{}{path}", app.base_url)).await.unwrap();
}

async fn count(c: &Client, selector: &str) -> usize {
    c.find_all(Locator::Css(selector)).await.unwrap().len()
}

async fn scroll_to(c: &Client, el: &Element) {
    c.execute(
        "arguments[0].scrollIntoView({block: 'center'})",
        vec![serde_json::to_value(el).unwrap()],
    )
    .await
    .unwrap();
}

/// A click on an element brought to the middle of the window (the bulk bar is sticky).
async fn click(c: &Client, el: &Element) {
    scroll_to(c, el).await;
    el.click().await.unwrap();
}

/// A click with Shift held, as a person extends a selection.
async fn shift_click(c: &Client, el: &Element) {
    scroll_to(c, el).await;
    let pause = Duration::from_millis(10);
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: '\u{E008}' })
        .then(KeyAction::Pause { duration: pause })
        .then(KeyAction::Pause { duration: pause })
        .then(KeyAction::Pause { duration: pause })
        .then(KeyAction::Up { value: '\u{E008}' });
    let mouse = MouseActions::new("mouse".into())
        .then(PointerAction::Pause { duration: pause })
        .then(PointerAction::MoveToElement {
            element: el.clone(),
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Pause { duration: pause });
    c.perform_actions(fantoccini::actions::Actions::from(keys).and(mouse))
        .await
        .unwrap();
    c.release_actions().await.unwrap();
}

/// The toast sits in the bottom-right corner of the 1360x900 window.
async fn assert_bottom_right(c: &Client) {
    let (x, y, w, h) = css(c, "#toast").await.rectangle().await.unwrap();
    assert!(
        x + w > 1100.0 && y + h > 700.0,
        "the toast sits bottom right: {x},{y} {w}x{h}"
    );
}

async fn sign_out(c: &Client) {
    css(c, ".me form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    wait_path(c, "/signin").await;
}

async fn status_of(app: &TestApp, email: &str, id: &str) -> String {
    let actor = app.actor(email).await;
    app.workspace
        .task(&actor, &task_ref(id))
        .await
        .unwrap()
        .status
        .name
}

/// Waits until the job's row on the page says `state` (the page polls the JSON itself).
async fn wait_job_state(c: &Client, job: &str, state: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let now = css(c, job)
            .await
            .attr("data-state")
            .await
            .unwrap()
            .unwrap_or_default();
        if now == state {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{job} is still {now}, expected {state}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The newest job on the Data page: its row's selector.
async fn newest_job(c: &Client) -> String {
    let id = css(c, "#jobs [data-job]")
        .await
        .attr("id")
        .await
        .unwrap()
        .unwrap();
    format!("#{id}")
}

/// A Linear-style CSV of `n` rows; the rows numbered in `bad` fail, each for its own reason.
fn csv_rows(n: usize, bad: &[usize]) -> String {
    let mut csv = String::from(
        "Title,Description,Status,Priority,Assignee,Labels,Due Date,Estimate,Creator\n",
    );
    for i in 1..=n {
        if bad.contains(&i) {
            match i % 3 {
                0 => csv.push_str(&format!("Row {i},,Doing,,,,,,x\n")),
                1 => csv.push_str(&format!("Row {i},,Todo,,,,31/12/2026,,x\n")),
                _ => csv.push_str(",no title here,Todo,,,,,,x\n"),
            }
        } else {
            csv.push_str(&format!(
                "Row {i},\"Imported, with \"\"quotes\"\"\",Todo,High,alice@orgn.test,Bug,2026-12-31,3,x\n"
            ));
        }
    }
    csv
}

/// Picks a CSV file in the import form (JS reads it into the text area) and asks for the preview.
async fn preview_csv(c: &Client, app: &TestApp, dir: &TempDir, name: &str, csv: &str, rows: usize) {
    let path = dir.path.join(name);
    std::fs::write(&path, csv).unwrap();
    go(c, app, "/settings/data").await;
    css(c, "#import-team")
        .await
        .select_by_value("ENG")
        .await
        .unwrap();
    css(c, "#import-file")
        .await
        .send_keys(path.to_str().unwrap())
        .await
        .unwrap();
    wait_text(c, &format!("{name}: {rows} lines after the header")).await;
    css(c, "#preview-import").await.click().await.unwrap();
    css(c, "#preview-stats").await;
}

// --- Delete, Trash, restore ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_and_restore_a_task_and_a_doc_and_mcp_sees_nothing_deleted() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ALICE).await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;

    // From the task page: the dialog asks, then the task leaves the list.
    go(c, &app, "/tasks/ENG-2").await;
    css(c, "#delete-task").await.click().await.unwrap();
    css(c, "#delete-dialog[open]").await;
    screenshot(c, "delete-dialog").await;
    css(c, "#dialog-delete-button").await.click().await.unwrap();
    wait_path(c, "/team/ENG/tasks").await;
    // textContent: the toast fades in from opacity 0, which WebDriver's visible text skips.
    assert_eq!(content(c, "#toast-text").await, "ENG-2 moved to the Trash");
    assert_bottom_right(c).await;
    assert!(!exists(c, "a.row[data-task=ENG-2]").await);
    assert!(exists(c, "a.row[data-task=ENG-1]").await);

    // Without JavaScript the link leads to a confirmation page instead.
    go(c, &app, "/tasks/ENG-3/delete").await;
    assert!(
        text(c, "#confirm-delete")
            .await
            .contains("ENG-3 Paginate the board")
    );
    screenshot(c, "delete-confirm").await;
    css(c, "#confirm-delete-button")
        .await
        .click()
        .await
        .unwrap();
    wait_path(c, "/team/ENG/tasks").await;
    assert!(!exists(c, "a.row[data-task=ENG-3]").await);

    // Gone from the board, search, the cycle, and every MCP tool.
    go(c, &app, "/team/ENG/board").await;
    css(c, "a.card-task[data-task=ENG-1]").await;
    assert!(!exists(c, "[data-task=ENG-2]").await && !exists(c, "[data-task=ENG-3]").await);
    go(c, &app, "/team/ENG/tasks?q=docs+page").await;
    wait_text(c, "No tasks match.").await;
    go(c, &app, "/team/ENG/cycles/1").await;
    assert!(!page_text(c).await.contains("Paginate the board"));
    let got = mcp_call(app.addr, &token, "get_task", json!({"id": "ENG-2"})).await;
    assert_eq!(got["result"]["isError"], true, "{got}");
    assert!(
        got["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("not found"),
        "{got}"
    );
    let found = mcp_call(app.addr, &token, "search_tasks", json!({"team": "ENG"})).await;
    let ids: Vec<&str> = found["result"]["structuredContent"]["tasks"]
        .as_array()
        .unwrap_or_else(|| panic!("{found}"))
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ENG-1"], "{found}");
    let searched = mcp_call(
        app.addr,
        &token,
        "search_tasks",
        json!({"query": "docs page"}),
    )
    .await;
    assert!(!searched.to_string().contains("ENG-2"), "{searched}");
    // The web-only powers themselves are refused by name.
    for (tool, args) in [
        ("delete_task", json!({"id": "ENG-1"})),
        (
            "set_status_many",
            json!({"ids": ["ENG-1"], "status": "Done"}),
        ),
    ] {
        let r = mcp_call(app.addr, &token, tool, args).await;
        let message = r["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{tool}: {r}"));
        assert!(message.contains("use the web app"), "{tool}: {r}");
    }
    assert_eq!(status_of(&app, ALICE, "ENG-1").await, "Todo");

    // The team's Trash, from the sidebar: who, when, and when it will be purged.
    css(c, "details.team a[href='/team/ENG/trash']")
        .await
        .click()
        .await
        .unwrap();
    wait_path(c, "/team/ENG/trash").await;
    let row = text(c, "#trash-task-ENG-2").await;
    assert!(row.contains("Add search to the docs page"), "{row}");
    assert!(row.contains("Deleted by Alice"), "{row}");
    assert!(row.contains("Nov 24, 2026 12:00 UTC"), "{row}");
    assert!(row.contains("December 24, 2026 at 12:00 UTC"), "{row}");
    assert!(exists(c, "#trash-task-ENG-3").await);
    // Alice is a member, not a team admin: she restores, she does not purge.
    assert!(exists(c, "#trash-task-ENG-2 [data-restore]").await);
    assert!(!exists(c, "[data-purge]").await);
    screenshot(c, "trash").await;
    css(c, "#trash-task-ENG-2 [data-restore]")
        .await
        .click()
        .await
        .unwrap();
    wait_text(c, "Restored ENG-2.").await;
    assert!(!exists(c, "#trash-task-ENG-2").await);
    go(c, &app, "/tasks/ENG-2").await;
    assert_eq!(text(c, "#task-title").await, "Add search to the docs page");
    let got = mcp_call(app.addr, &token, "get_task", json!({"id": "ENG-2"})).await;
    assert_eq!(
        got["result"]["structuredContent"]["task"]["title"], "Add search to the docs page",
        "{got}"
    );

    // A doc: deleted from its page, restored from the toast.
    go(c, &app, "/docs").await;
    css(c, "#docs a").await.click().await.unwrap();
    assert_eq!(text(c, "#doc-title").await, "Onboarding");
    let doc_path = c.current_url().await.unwrap().path().to_string();
    css(c, "#delete-doc").await.click().await.unwrap();
    css(c, "#delete-dialog[open] #dialog-delete-button")
        .await
        .click()
        .await
        .unwrap();
    wait_path(c, "/docs").await;
    assert!(content(c, "#toast-text").await.contains("Onboarding"));
    assert!(text(c, "#docs").await.contains("No docs found."));
    let gone = request(
        app.addr,
        "GET",
        &doc_path,
        &[("Cookie", &session_cookie(c).await)],
        "",
    )
    .await;
    assert_eq!(gone.status, 404);
    go(c, &app, "/team/ENG/trash").await;
    assert!(text(c, "#trash").await.contains("Onboarding"));
    go(c, &app, "/docs").await;
    assert!(!page_text(c).await.contains("Onboarding"));
    // The toast's Restore, from the list right after deleting.
    go(
        c,
        &app,
        &format!("/docs?deleted={}", doc_path.trim_start_matches("/docs/")),
    )
    .await;
    css(c, "#toast-restore").await.click().await.unwrap();
    wait_path(c, &doc_path).await;
    assert_eq!(text(c, "#doc-title").await, "Onboarding");

    // A team admin deletes forever, after a second click; the identifier is not reused.
    sign_out(c).await;
    sign_in(c, &app.base_url, ADMIN).await;
    go(c, &app, "/team/ENG/trash").await;
    css(c, "#trash-task-ENG-3 details.purge summary")
        .await
        .click()
        .await
        .unwrap();
    screenshot(c, "trash-admin").await;
    css(c, "#trash-task-ENG-3 [data-purge]")
        .await
        .click()
        .await
        .unwrap();
    wait_text(c, "Deleted ENG-3 forever.").await;
    assert!(exists(c, "#trash-empty").await);
    let admin = app.actor(ADMIN).await;
    assert!(matches!(
        app.workspace.restore_task(&admin, &task_ref("ENG-3")).await,
        Err(Error::NotFound(_))
    ));
    let next = app
        .workspace
        .create_task(
            &admin,
            TaskDraft {
                team: "ENG".into(),
                title: "After the purge".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(next.identifier(), "ENG-4");

    b.close().await;
    app.stop().await;
}

// --- Bulk status change ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_admin_deletes_a_label_after_confirming_and_it_leaves_its_task() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    ws.create_label(&alice, Some("ENG"), "Flaky", None)
        .await
        .unwrap();
    let task = ws
        .create_task(
            &alice,
            TaskDraft {
                team: "ENG".into(),
                title: "Retry the sync".into(),
                labels: vec!["Flaky".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let b = Browser::start().await;
    let c = &b.client;

    // A member is not offered the deletion.
    sign_in(c, &app.base_url, ALICE).await;
    go(c, &app, "/team/ENG/labels").await;
    assert!(exists(c, "input[aria-label='Name of Flaky']").await);
    assert!(!exists(c, "a[aria-label='Delete Flaky']").await);
    sign_out(c).await;

    // The team's admin is: a page says what it takes off, then the label is gone.
    sign_in(c, &app.base_url, ADMIN).await;
    go(c, &app, "/team/ENG/labels").await;
    css(c, "a[aria-label='Delete Flaky']")
        .await
        .click()
        .await
        .unwrap();
    let asked = text(c, "#confirm-delete").await;
    assert!(
        asked.contains("Flaky") && asked.contains("It comes off the one task that has it."),
        "{asked}"
    );
    screenshot(c, "label-delete-confirm").await;
    css(c, "#confirm-delete-button")
        .await
        .click()
        .await
        .unwrap();
    wait_path(c, "/team/ENG/labels").await;
    css(c, "#labels").await;
    assert!(!exists(c, "input[aria-label='Name of Flaky']").await);
    let labels = ws.task(&alice, &TaskRef::from(&task)).await.unwrap().labels;
    assert!(labels.is_empty(), "the task lost the label: {labels:?}");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_change_the_status_of_a_filtered_selection_and_undo_it() {
    let app = TestApp::spawn().await;
    let alice = app.actor(ALICE).await;
    for i in 1..=30 {
        app.workspace
            .create_task(
                &alice,
                TaskDraft {
                    team: "ENG".into(),
                    title: format!("Polish widget {i:02}"),
                    labels: vec!["Frontend".into()],
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    // ENG-4..ENG-33 carry the label; ENG-1..3 do not.
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;
    go(c, &app, "/team/ENG/tasks?label=Frontend").await;
    assert_eq!(count(c, "input[data-pick]").await, 30);
    assert!(!exists(c, "a.row[data-task=ENG-1]").await);

    // Click the first, shift-click the last: the whole range.
    let boxes = c.find_all(Locator::Css("input[data-pick]")).await.unwrap();
    click(c, &boxes[0]).await;
    shift_click(c, &boxes[29]).await;
    assert_eq!(count(c, "input[data-pick]:checked").await, 30);
    assert_eq!(text(c, "#bulk-count").await, "30 tasks selected");
    // Shift-click again inside the range unticks a sub-range.
    click(c, &boxes[4]).await;
    shift_click(c, &boxes[9]).await;
    assert_eq!(count(c, "input[data-pick]:checked").await, 24);
    click(c, &boxes[4]).await;
    shift_click(c, &boxes[9]).await;
    assert_eq!(count(c, "input[data-pick]:checked").await, 30);
    c.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
    screenshot(c, "bulk-selected").await;

    css(c, "#bulk-status")
        .await
        .select_by_value("In Progress")
        .await
        .unwrap();
    css(c, "#bulk-apply").await.click().await.unwrap();
    wait_text(c, "Status of 30 tasks set to In Progress").await;
    assert_bottom_right(c).await;
    screenshot(c, "bulk-undo-toast").await;
    // Another change in the team refreshes the list in place; the toast and its Undo stay.
    let renamed = TaskPatch {
        title: Some("Polish widget renamed".into()),
        ..Default::default()
    };
    app.workspace
        .update_task(&alice, &task_ref("ENG-20"), renamed)
        .await
        .unwrap();
    wait_text(c, "Polish widget renamed").await;
    assert!(exists(c, "#undo").await, "the live refresh kept the Undo");
    // The filter is kept; the address bar no longer carries the undo.
    let url = c.current_url().await.unwrap();
    assert_eq!(url.path(), "/team/ENG/tasks");
    assert_eq!(url.query(), Some("label=Frontend"));
    for i in 4..=33 {
        assert_eq!(
            status_of(&app, ALICE, &format!("ENG-{i}")).await,
            "In Progress"
        );
    }
    assert_eq!(status_of(&app, ALICE, "ENG-1").await, "Todo");
    let history = app
        .workspace
        .task_history(&alice, &task_ref("ENG-17"))
        .await
        .unwrap();
    assert_eq!(
        history.iter().filter(|e| e.field == "status").count(),
        1,
        "one history entry per task"
    );

    // Undo puts every previous status back.
    css(c, "#undo").await.click().await.unwrap();
    wait_text(c, "Undone: 30 tasks back to their previous status").await;
    for i in 4..=33 {
        assert_eq!(status_of(&app, ALICE, &format!("ENG-{i}")).await, "Todo");
    }
    assert!(!exists(c, "#undo").await, "an undo is done once");

    // "Select all matching the filter": the server applies it to every matching task.
    go(c, &app, "/team/ENG/tasks?label=Frontend&q=widget").await;
    css(c, "#bulk-all").await.click().await.unwrap();
    assert_eq!(count(c, "input[data-pick]:checked").await, 30);
    assert_eq!(
        text(c, "#bulk-count").await,
        "All tasks matching the filter"
    );
    css(c, "#bulk-status")
        .await
        .select_by_value("Done")
        .await
        .unwrap();
    css(c, "#bulk-apply").await.click().await.unwrap();
    wait_text(c, "Status of 30 tasks set to Done").await;
    assert_eq!(status_of(&app, ALICE, "ENG-33").await, "Done");
    assert_eq!(status_of(&app, ALICE, "ENG-2").await, "Todo");
    css(c, "#undo").await.click().await.unwrap();
    wait_text(c, "Undone: 30 tasks").await;
    assert_eq!(status_of(&app, ALICE, "ENG-33").await, "Todo");

    // Without JavaScript it is a plain form post: checked boxes and a status.
    let cookie = session_cookie(c).await;
    let csrf = css(c, "#bulk input[name=_csrf]")
        .await
        .attr("value")
        .await
        .unwrap()
        .unwrap();
    let form =
        format!("_csrf={csrf}&scope=ENG&filter=label%3DFrontend&status=Done&ids=ENG-5&ids=ENG-6");
    let posted = request(
        app.addr,
        "POST",
        "/tasks/bulk",
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &form,
    )
    .await;
    assert_eq!(posted.status, 303, "{}", posted.head);
    assert!(
        posted
            .head
            .contains("location: /team/ENG/tasks?label=Frontend&undo="),
        "{}",
        posted.head
    );
    assert_eq!(status_of(&app, ALICE, "ENG-5").await, "Done");
    assert_eq!(status_of(&app, ALICE, "ENG-7").await, "Todo");
    // Its Undo, posted twice: the first puts the statuses back, the second changes nothing.
    let change = posted
        .head
        .split("undo=")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim()
        .to_string();
    let form = format!("_csrf={csrf}&scope=ENG&filter=label%3DFrontend&undo={change}");
    let headers = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let undone = request(app.addr, "POST", "/tasks/bulk/undo", &headers, &form).await;
    assert_eq!(undone.status, 303, "{}", undone.head);
    assert!(undone.head.contains("undone=2"), "{}", undone.head);
    assert_eq!(status_of(&app, ALICE, "ENG-5").await, "Todo");
    let alice = app.actor(ALICE).await;
    let patch = orgn_domain::TaskPatch {
        status: Some("In Progress".into()),
        ..Default::default()
    };
    app.workspace
        .update_task(&alice, &task_ref("ENG-5"), patch)
        .await
        .unwrap();
    let again = request(app.addr, "POST", "/tasks/bulk/undo", &headers, &form).await;
    assert_eq!(again.status, 400, "{}", again.head);
    assert!(
        again.body.contains("can no longer be undone"),
        "{}",
        again.body
    );
    assert_eq!(status_of(&app, ALICE, "ENG-5").await, "In Progress");
    // All or nothing: one unknown status, or one task out of reach, and nothing changes.
    let form = format!("_csrf={csrf}&scope=ENG&filter=&status=Doing&ids=ENG-7&ids=ENG-8");
    let refused = request(
        app.addr,
        "POST",
        "/tasks/bulk",
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &form,
    )
    .await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("Doing"), "{}", refused.body);
    let form = format!("_csrf={csrf}&scope=ENG&filter=&status=Done&ids=ENG-7&ids=DES-1");
    let refused = request(
        app.addr,
        "POST",
        "/tasks/bulk",
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &form,
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(status_of(&app, ALICE, "ENG-7").await, "Todo");

    b.close().await;
    app.stop().await;
}

// --- Jobs ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_the_workspace_and_download_both_files() {
    let app = TestApp::spawn().await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;
    go(c, &app, "/my").await;
    css(c, "a[href='/settings/data']")
        .await
        .click()
        .await
        .unwrap();
    wait_path(c, "/settings/data").await;
    css(c, "#start-export").await.click().await.unwrap();
    wait_text(c, "started").await;
    let job = newest_job(c).await;
    wait_job_state(c, &job, "done", Duration::from_secs(60)).await;
    let summary = text(c, &format!("{job} [data-job-summary]")).await;
    assert!(
        summary.contains("Exported 3 tasks from 1 team, and 1 docs"),
        "{summary}"
    );
    assert_eq!(
        css(c, &format!("{job} [data-job-percent]"))
            .await
            .attr("data-percent")
            .await
            .unwrap()
            .as_deref(),
        Some("100")
    );
    screenshot(c, "export-done").await;

    // Both links, fetched with the session cookie as the browser would.
    let links = c
        .find_all(Locator::Css(&format!("{job} [data-job-files] a")))
        .await
        .unwrap();
    assert_eq!(links.len(), 2);
    let cookie = session_cookie(c).await;
    let mut got = vec![];
    for link in links {
        let href = link.attr("href").await.unwrap().unwrap();
        let a = request(app.addr, "GET", &href, &[("Cookie", &cookie)], "").await;
        assert_eq!(a.status, 200, "{href}: {}", a.head);
        let head = a.head.to_ascii_lowercase();
        assert!(head.contains("content-disposition: attachment"), "{head}");
        got.push((href, head, a.body));
    }
    let (json_href, json_head, json_body) = &got[0];
    assert!(json_href.ends_with("orgn-export.json") && json_head.contains("application/json"));
    let export: Value = serde_json::from_str(json_body).unwrap();
    assert_eq!(export["format"], "orgn-export/1");
    assert_eq!(export["exported_by"], ALICE);
    let teams: Vec<&str> = export["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["team"]["key"].as_str().unwrap())
        .collect();
    assert_eq!(teams, ["ENG"], "only Alice's teams");
    assert_eq!(export["teams"][0]["tasks"].as_array().unwrap().len(), 3);
    assert!(!json_body.contains("Secret rebrand"));
    let (csv_href, csv_head, csv_body) = &got[1];
    assert!(csv_href.ends_with("orgn-export.csv") && csv_head.contains("text/csv"));
    let mut lines = csv_body.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("ID,Team,Title,Description,Status,Priority,Assignee,Labels")
    );
    assert_eq!(csv_body.lines().count(), 4, "{csv_body}");
    assert!(
        csv_body.contains("ENG-1,ENG,Fix login redirect"),
        "{csv_body}"
    );

    // Without the session they are not served.
    let other = request(app.addr, "GET", csv_href, &[], "").await;
    assert_eq!(other.status, 303, "not signed in: to the sign-in page");
    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_a_csv_preview_the_bad_rows_then_import_the_rest() {
    let app = TestApp::spawn().await;
    let alice = app.actor(ALICE).await;
    let dir = TempDir::new();
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;

    let bad = [100, 500, 999];
    preview_csv(
        c,
        &app,
        &dir,
        "linear-export.csv",
        &csv_rows(1000, &bad),
        1000,
    )
    .await;
    assert_eq!(text(c, "#preview-rows").await, "1000");
    assert_eq!(text(c, "#preview-valid").await, "997");
    assert_eq!(text(c, "#preview-errors").await, "3");
    let mapping = text(c, "#preview-mapping").await;
    assert!(
        mapping.contains("Assignee") && mapping.contains("due_date"),
        "{mapping}"
    );
    assert!(text(c, "#preview-ignored").await.contains("Creator"));
    // Spreadsheet rows: the header is row 1, so CSV row i is row i + 1.
    for (i, reason) in [(100, "31/12/2026"), (500, "title"), (999, "Doing")] {
        let row = text(c, &format!("#preview-row-errors [data-row='{}']", i + 1)).await;
        assert!(
            row.contains(&format!("Row {}", i + 1)) && row.contains(reason),
            "{row}"
        );
    }
    assert_eq!(count(c, "#preview-row-errors [data-row]").await, 3);
    screenshot(c, "import-preview").await;
    // Nothing is written by a preview.
    let before = app
        .workspace
        .search_tasks(
            &alice,
            TaskFilter {
                team: Some("ENG".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(before.items.len(), 3);

    css(c, "#start-import").await.click().await.unwrap();
    wait_path(c, "/settings/data").await;
    let job = newest_job(c).await;
    wait_job_state(c, &job, "done", Duration::from_secs(120)).await;
    let summary = text(c, &format!("{job} [data-job-summary]")).await;
    assert_eq!(
        summary,
        "Imported 997 of 1,000 rows; 3 rows had errors and were skipped."
    );
    // ENG-1..3 existed: the 997 imported are ENG-4..ENG-1000, nothing more.
    let last = app
        .workspace
        .task(&alice, &task_ref("ENG-1000"))
        .await
        .unwrap();
    assert_eq!(last.title, "Row 1000");
    assert_eq!(last.assignee.as_ref().unwrap().email, ALICE);
    assert!(matches!(
        app.workspace.task(&alice, &task_ref("ENG-1001")).await,
        Err(Error::NotFound(_))
    ));
    // The job's page lists the rows that were not imported.
    css(c, &format!("{job} a")).await.click().await.unwrap();
    css(c, "#import-errors").await;
    assert!(
        text(c, "#import-errors h2")
            .await
            .contains("3 rows not imported")
    );
    for i in bad {
        assert!(exists(c, &format!("#import-errors [data-row='{}']", i + 1)).await);
    }
    screenshot(c, "import-job").await;

    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_progress_bar_moves_while_a_big_import_runs_and_can_be_canceled() {
    let app = TestApp::spawn().await;
    let dir = TempDir::new();
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;
    let started = Instant::now();
    preview_csv(c, &app, &dir, "big.csv", &csv_rows(20_000, &[]), 20_000).await;
    eprintln!("preview of 20,000 rows: {:?}", started.elapsed());
    assert_eq!(text(c, "#preview-valid").await, "20000");
    css(c, "#start-import").await.click().await.unwrap();
    wait_path(c, "/settings/data").await;
    let job = newest_job(c).await;

    // Read the bar twice while it runs: it moves, and the count and percent agree.
    let percent = |c: &Client, job: String| {
        let c = c.clone();
        async move {
            css(&c, &format!("{job} [data-job-percent]"))
                .await
                .attr("data-percent")
                .await
                .unwrap()
                .unwrap()
                .parse::<i64>()
                .unwrap()
        }
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    let first = loop {
        let p = percent(c, job.clone()).await;
        if p > 0 {
            break p;
        }
        assert!(Instant::now() < deadline, "the bar never left 0%");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        first < 100,
        "the import finished before the bar was seen moving"
    );
    screenshot(c, "job-progress").await;
    // The user keeps working meanwhile: other pages answer at once.
    let cookie = session_cookie(c).await;
    let other = request(
        app.addr,
        "GET",
        "/settings/profile",
        &[("Cookie", &cookie)],
        "",
    )
    .await;
    assert_eq!(other.status, 200);
    // Answered while the import still runs (not after it): no timing, the job's own state.
    let alice = app.actor(ALICE).await;
    let id: JobId = job.trim_start_matches("#job-").parse().unwrap();
    let state = app.workspace.job(&alice, id).await.unwrap().state;
    assert_eq!(
        state,
        orgn_domain::model::JobState::Running,
        "the page waited for the import"
    );
    let second = loop {
        let p = percent(c, job.clone()).await;
        if p > first {
            break p;
        }
        assert!(Instant::now() < deadline, "the bar stayed at {first}%");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!("progress bar: {first}% then {second}%");
    let meta = text(c, &format!("{job} [data-job-count]")).await;
    assert!(meta.ends_with("of 20,000 rows"), "{meta}");
    let fill = css(c, &format!("{job} [data-job-fill]"))
        .await
        .attr("width")
        .await
        .unwrap()
        .unwrap();
    assert!(fill.parse::<i64>().unwrap() >= second, "{fill}");

    // Cancel: it stops between two chunks; what was imported stays, and is accounted for.
    while percent(c, job.clone()).await < 8 {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    css(c, &format!("{job} [data-job-cancel] button"))
        .await
        .click()
        .await
        .unwrap();
    wait_text(c, "canceled.").await;
    let job = newest_job(c).await;
    wait_job_state(c, &job, "canceled", Duration::from_secs(10)).await;
    let summary = text(c, &format!("{job} [data-job-summary]")).await;
    assert!(summary.starts_with("Canceled after "), "{summary}");
    screenshot(c, "job-canceled").await;

    // More than 1000 tasks now match "Todo": a bulk change over all of them is refused, clearly.
    go(c, &app, "/team/ENG/tasks?status=Todo").await;
    css(c, "#bulk-all").await.click().await.unwrap();
    css(c, "#bulk-status")
        .await
        .select_by_value("Done")
        .await
        .unwrap();
    css(c, "#bulk-apply").await.click().await.unwrap();
    wait_text(c, "More than 1000 tasks match this filter").await;
    assert!(
        text(c, "#form-error")
            .await
            .contains("Nothing was changed.")
    );
    assert_eq!(status_of(&app, ALICE, "ENG-4").await, "Todo");
    screenshot(c, "bulk-too-many").await;

    b.close().await;
    app.stop().await;
}
