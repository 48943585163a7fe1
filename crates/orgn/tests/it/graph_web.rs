//! The work graph in the web app: the task page's parent, sub-tasks and relations with
//! live status and its delete dialog, the command palette's "Create sub-task", and lists
//! with sub-tasks flat or nested. The rules themselves are tested in `graph.rs`.

use crate::graph::{patch, set_status, sub_task};
use crate::support::*;

/// Waits until the page has no element matching `selector` (a live refresh removed it).
async fn wait_gone(c: &fantoccini::Client, selector: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while crate::browser::exists(c, selector).await {
        assert!(std::time::Instant::now() < deadline, "{selector} stayed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_task_page_shows_sub_tasks_and_relations_live() {
    use crate::browser::*;
    let app = TestApp::spawn().await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;

    // A relation added on ENG-2's page: ENG-2 is blocked, and ENG-1 shows the other side.
    c.goto(&format!("{}/tasks/ENG-2", app.base_url))
        .await
        .unwrap();
    css(c, "#relation-type option[value=blocked_by]")
        .await
        .click()
        .await
        .unwrap();
    css(c, "#relation-task")
        .await
        .send_keys("ENG-1")
        .await
        .unwrap();
    css(c, "#relation-form button").await.click().await.unwrap();
    css(c, "[data-relation='blocked_by ENG-1']").await;
    css(c, "#blocked-note").await;
    c.goto(&format!("{}/team/ENG/tasks", app.base_url))
        .await
        .unwrap();
    assert!(
        text(c, "[data-task=ENG-2] .row-meta")
            .await
            .contains("Blocked")
    );
    c.goto(&format!("{}/tasks/ENG-1", app.base_url))
        .await
        .unwrap();
    css(c, "[data-relation='blocks ENG-2']").await;

    // A sub-task made from the page, in the parent's team.
    css(c, "#add-sub-task").await.click().await.unwrap();
    wait_text(c, "New sub-task of ENG-1").await;
    css(c, "input[name=title]")
        .await
        .send_keys("Check the redirect")
        .await
        .unwrap();
    css(c, "form.form-grid button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    wait_text(c, "Sub-task of").await;
    assert!(text(c, "#task-parent").await.contains("ENG-1"));

    // The blocker completed by someone else: ENG-2's page drops its marker without a reload.
    c.goto(&format!("{}/tasks/ENG-2", app.base_url))
        .await
        .unwrap();
    css(c, "#blocked-note").await;
    let admin = app.actor(ADMIN).await;
    patch(&app.workspace, &admin, "ENG-1", set_status("Done"))
        .await
        .unwrap();
    // The change names ENG-2's page (the graph tests check its topics); the stream may not
    // be open yet in a headless browser, so the test sends what the SSE extension would
    // (as web_edits' tests do).
    let blocked = app
        .workspace
        .task(&admin, &task_ref("ENG-2"))
        .await
        .unwrap();
    let script = format!(
        "htmx.trigger(document.querySelector('#task-live'), 'sse:task-{}'); return true",
        blocked.id
    );
    c.execute(&script, vec![]).await.unwrap();
    wait_gone(c, "#blocked-note").await;
    assert!(text(c, "#task-relations").await.contains("Done"));

    // Deleting a parent asks about its sub-tasks; "too" takes them to the Trash with it.
    c.goto(&format!("{}/tasks/ENG-1", app.base_url))
        .await
        .unwrap();
    css(c, "#delete-task").await.click().await.unwrap();
    css(c, "#delete-dialog[open] #delete-with-sub-tasks")
        .await
        .click()
        .await
        .unwrap();
    css(c, "#delete-dialog[open] #dialog-delete-button")
        .await
        .click()
        .await
        .unwrap();
    wait_path(c, "/team/ENG/tasks").await;
    let trash = app.workspace.trash(&admin, Some("ENG")).await.unwrap();
    let gone: Vec<&str> = trash.iter().map(|i| i.label.as_str()).collect();
    assert_eq!(gone.len(), 2, "ENG-1 and its sub-task: {gone:?}");
    b.close().await;
    app.stop().await;
}

/// The command palette offers "Create sub-task" for the open task: the new task form as its
/// sub-task.
#[tokio::test]
async fn the_palette_creates_a_sub_task_of_the_open_task() {
    use crate::http::request;
    let app = TestApp::spawn().await;
    let alice = app.actor(ALICE).await;
    let session = app.workspace.start_session(alice.user()).await.unwrap().id;
    let cookie = format!("{}={session}", orgn_web::SESSION_COOKIE);
    let headers = [("Cookie", cookie.as_str())];
    let results = request(app.addr, "GET", "/palette?task=ENG-1&q=sub", &headers, "").await;
    assert_eq!(results.status, 200, "{}", results.body);
    assert!(
        results.body.contains("/tasks/new?parent=ENG-1"),
        "{}",
        results.body
    );
    let form = request(app.addr, "GET", "/tasks/new?parent=ENG-1", &headers, "").await;
    assert!(form.body.contains("New sub-task of"), "{}", form.body);
    assert!(form.body.contains(r#"name="parent" value="ENG-1""#));
    // A parent the person cannot see is not found, as the task itself would be.
    let hidden = request(app.addr, "GET", "/tasks/new?parent=DES-1", &headers, "").await;
    assert_eq!(hidden.status, 404);
    app.stop().await;
}

/// Lists show sub-tasks flat (newest first, as any task) or, with the toggle, right under
/// their parent, indented.
#[tokio::test]
async fn lists_show_sub_tasks_flat_or_nested_under_their_parent() {
    use crate::http::request;
    let app = TestApp::spawn().await;
    let (ws, alice) = (&app.workspace, app.actor(ALICE).await);
    let parent = sub_task(ws, &alice, "Parent", None).await.identifier();
    sub_task(ws, &alice, "First step", Some(&parent)).await;
    sub_task(ws, &alice, "Second step", Some(&parent)).await;
    let session = ws.start_session(alice.user()).await.unwrap().id;
    let cookie = format!("{}={session}", orgn_web::SESSION_COOKIE);
    let order = |body: &str| -> Vec<String> {
        body.split("data-task=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next().map(String::from))
            .collect()
    };
    let list = |path: &'static str| {
        let cookie = cookie.clone();
        async move { request(app.addr, "GET", path, &[("Cookie", &cookie)], "").await }
    };
    let flat = list("/team/ENG/tasks").await;
    assert_eq!(
        order(&flat.body),
        ["ENG-6", "ENG-5", "ENG-4", "ENG-3", "ENG-2", "ENG-1"]
    );
    assert!(!flat.body.contains("data-depth"));
    let nested = list("/team/ENG/tasks?nest=1").await;
    assert_eq!(
        order(&nested.body),
        ["ENG-4", "ENG-6", "ENG-5", "ENG-3", "ENG-2", "ENG-1"]
    );
    assert_eq!(nested.body.matches("data-depth=\"1\"").count(), 2);
    assert!(
        nested.body.contains("/team/ENG/tasks?nest=1"),
        "the toggle keeps its place"
    );
    app.stop().await;
}

/// Without JavaScript the delete confirmation page asks about a parent's sub-tasks too,
/// and its answer is the one applied.
#[tokio::test]
async fn the_delete_page_without_javascript_asks_about_sub_tasks() {
    use crate::http::request;
    let app = TestApp::spawn().await;
    let (ws, alice) = (&app.workspace, app.actor(ALICE).await);
    let parent = sub_task(ws, &alice, "Parent", None).await.identifier();
    let child = sub_task(ws, &alice, "Child", Some(&parent))
        .await
        .identifier();
    let session = ws.start_session(alice.user()).await.unwrap().id;
    let cookie = format!("{}={session}", orgn_web::SESSION_COOKIE);
    let path = format!("/tasks/{parent}/delete");
    let page = request(app.addr, "GET", &path, &[("Cookie", &cookie)], "").await;
    assert!(page.body.contains("Its 1 sub-tasks"), "{}", page.body);
    let csrf = page.body.split(r#"name="_csrf" value=""#).nth(1).unwrap();
    let csrf = csrf.split('"').next().unwrap();
    let form = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let body = format!("_csrf={csrf}&sub_tasks=with");
    let deleted = request(app.addr, "POST", &path, &form, &body).await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    assert!(
        ws.task(&alice, &task_ref(&child)).await.is_err(),
        "went with it"
    );
    app.stop().await;
}
