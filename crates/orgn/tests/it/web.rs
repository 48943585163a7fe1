//! The web app end to end: the real server (in-process, on a free port) driven by Debian's
//! headless Chromium through chromedriver. Screenshots of the main pages go to
//! `target/screenshots/`.
//!
//! Needs `chromium` and `chromedriver` on PATH (`apt-get install chromium chromium-driver`);
//! `scripts/test` installs them.

use std::time::{Duration, Instant};

use crate::browser::*;
use crate::http::*;
use crate::support::*;
use fantoccini::Locator;
use serde_json::json;

// --- MCP, over plain HTTP ----------------------------------------------------------------------

async fn mcp_tools_list(app: &TestApp, token: &str) -> Answer {
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    mcp_post(app.addr, "/mcp", Some(token), &[], body).await
}

// --- Scenarios ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_with_the_c_shortcut_then_list_board_status_history_and_comments() {
    let app = TestApp::spawn().await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;

    // `c` opens the create dialog anywhere; the new task opens on its own page.
    c.goto(&format!("{}/team/ENG/tasks", app.base_url))
        .await
        .unwrap();
    css(c, "#task-list").await;
    press(c, 'c').await;
    let title = css(c, "#create-dialog[open] input[name=title]").await;
    title
        .send_keys("Write the onboarding checklist")
        .await
        .unwrap();
    css(c, "#create-dialog textarea[name=description]")
        .await
        .send_keys("Steps for **new** people")
        .await
        .unwrap();
    css(c, "#create-dialog button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    wait_path(c, "/tasks/ENG-4").await;
    assert_eq!(
        text(c, "#task-title").await,
        "Write the onboarding checklist"
    );
    assert_eq!(
        css(c, "#task-description strong")
            .await
            .text()
            .await
            .unwrap(),
        "new"
    );

    // In the list, under its status, and on the board.
    c.goto(&format!("{}/team/ENG/tasks", app.base_url))
        .await
        .unwrap();
    let row = css(c, "section.group[data-status=Todo] a.row[data-task=ENG-4]").await;
    assert!(
        row.text()
            .await
            .unwrap()
            .contains("Write the onboarding checklist")
    );
    screenshot(c, "task-list").await;
    c.goto(&format!("{}/team/ENG/board", app.base_url))
        .await
        .unwrap();
    css(
        c,
        "section.column[data-status=Todo] a.card-task[data-task=ENG-4]",
    )
    .await;
    screenshot(c, "board").await;

    // Changing the status (the select submits itself) shows in the history.
    c.goto(&format!("{}/tasks/ENG-4", app.base_url))
        .await
        .unwrap();
    css(c, "#task-props select[name=status]")
        .await
        .select_by_value("In Progress")
        .await
        .unwrap();
    wait_text(c, "changed status from Todo to In Progress").await;
    let selected = css(c, "#task-props select[name=status] option[selected]")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(selected, "In Progress");

    // A comment, and one whose markup shows as text and runs nothing.
    let comment = css(c, "#comment-form textarea[name=body]").await;
    comment
        .send_keys("Looks good, starting now.")
        .await
        .unwrap();
    css(c, "#comment-form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    wait_text(c, "Looks good, starting now.").await;
    let evil = "<script>window.__pwned = 1</script> <img src=x onerror=\"window.__pwned = 2\">";
    css(c, "#comment-form textarea[name=body]")
        .await
        .send_keys(evil)
        .await
        .unwrap();
    css(c, "#comment-form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    wait_text(c, "<script>window.__pwned = 1</script>").await;
    assert!(!exists(c, "#comments script").await && !exists(c, "#comments img").await);
    let pwned = c
        .execute("return window.__pwned === undefined", vec![])
        .await
        .unwrap();
    assert_eq!(pwned, json!(true), "no script from a comment may run");

    // The author edits their own comment.
    let first = css(c, "#comments .comment").await;
    first
        .find(Locator::Css("details.edit-comment summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let area = first
        .find(Locator::Css("textarea[name=body]"))
        .await
        .unwrap();
    area.clear().await.unwrap();
    area.send_keys("Looks good, started.").await.unwrap();
    first
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(c, "Looks good, started.").await;
    wait_text(c, "edited").await;
    screenshot(c, "task-page").await;

    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_milestone_progress_and_cycle_burn_up() {
    let app = TestApp::spawn().await;
    // Kickoff holds DES-1; completing it completes the milestone.
    let admin = app.actor(ADMIN).await;
    let done = orgn_domain::TaskPatch {
        status: Some("Done".into()),
        ..Default::default()
    };
    app.workspace
        .update_task(&admin, &task_ref("DES-1"), done)
        .await
        .unwrap();
    // Two more tasks in ENG's current cycle, one of them done: the chart has something to draw.
    for title in ["Cycle task A", "Cycle task B"] {
        let draft = orgn_domain::TaskDraft {
            team: "ENG".into(),
            title: title.into(),
            cycle: Some("current".into()),
            ..Default::default()
        };
        app.workspace.create_task(&admin, draft).await.unwrap();
    }
    let done = orgn_domain::TaskPatch {
        status: Some("Done".into()),
        ..Default::default()
    };
    app.workspace
        .update_task(&admin, &task_ref("ENG-4"), done)
        .await
        .unwrap();

    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ADMIN).await;

    c.goto(&format!("{}/projects", app.base_url)).await.unwrap();
    let rebrand = css(c, "a.trow[data-project=Rebrand]").await;
    assert!(rebrand.text().await.unwrap().contains("100%"));
    rebrand.click().await.unwrap();
    wait_text(c, "Milestones").await;
    let kickoff = css(c, ".milestone[data-milestone=Kickoff]").await;
    assert!(kickoff.text().await.unwrap().contains("Kickoff"));
    assert_eq!(
        css(c, ".milestone[data-milestone=Kickoff] .pct")
            .await
            .attr("data-percent")
            .await
            .unwrap()
            .as_deref(),
        Some("100")
    );
    assert!(exists(c, ".milestone[data-milestone=Kickoff] svg.progress").await);
    assert!(page_text(c).await.contains("Secret rebrand moodboard"));
    screenshot(c, "project").await;

    c.goto(&format!("{}/team/ENG/cycles", app.base_url))
        .await
        .unwrap();
    css(c, "a.trow[data-cycle='1']")
        .await
        .click()
        .await
        .unwrap();
    wait_path(c, "/team/ENG/cycles/1").await;
    let chart = css(c, "#burnup svg.burnup").await;
    assert!(
        chart
            .attr("aria-label")
            .await
            .unwrap()
            .unwrap()
            .contains("1 of 3 tasks completed")
    );
    // The cycle started three days ago: four days are drawn, as two lines.
    assert_eq!(chart.attr("data-days").await.unwrap().as_deref(), Some("4"));
    assert!(
        exists(c, "#burnup polyline.burnup-scope").await
            && exists(c, "#burnup polyline.burnup-completed").await
    );
    assert_eq!(text(c, "#cycle-scope").await, "3");
    assert_eq!(text(c, "#cycle-completed").await, "1");
    screenshot(c, "cycle").await;

    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_access_generate_copy_reload_use_and_replace() {
    let app = TestApp::spawn().await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;

    c.goto(&format!("{}/settings/mcp", app.base_url))
        .await
        .unwrap();
    assert!(
        content(c, "#config-cursor")
            .await
            .contains("Bearer <your-token>")
    );
    assert!(exists(c, "#no-token").await);
    css(c, "#generate-token").await.click().await.unwrap();

    // The token, once; the orange notice with the exact expiry, 30 days ahead; the toast.
    let token = text(c, "#new-token").await;
    assert!(token.starts_with("orgn_pat_"), "{token}");
    // The toast first: it fades out and removes itself 4 s after the page shows, so its
    // fade-out is held while it is read (a loaded machine can spend 4 s on a few checks).
    c.execute(
        "document.getAnimations().filter(a => a.animationName === 'toast-out').forEach(a => a.pause())",
        vec![],
    )
    .await
    .unwrap();
    assert!(content(c, "#toast").await.contains("Token created"));
    let (x, y, w, h) = css(c, "#toast").await.rectangle().await.unwrap();
    assert!(
        x + w > 1000.0 && y + h > 500.0,
        "the toast sits bottom right: {x},{y} {w}x{h}"
    );
    c.execute(
        "document.getAnimations().filter(a => a.animationName === 'toast-out').forEach(a => a.play())",
        vec![],
    )
    .await
    .unwrap();
    let notice = css(c, "#token-notice").await;
    let notice_text = notice.text().await.unwrap();
    assert!(
        notice_text.contains("Copy your token now: it will not be shown again."),
        "{notice_text}"
    );
    let expiry = start_time() + time::Duration::days(30);
    assert_eq!(expiry.date(), time::macros::date!(2026 - 12 - 24));
    assert!(
        notice_text.contains("December 24, 2026 at 12:00 UTC"),
        "{notice_text}"
    );
    assert_eq!(
        css(c, "#token-expiry")
            .await
            .attr("datetime")
            .await
            .unwrap()
            .as_deref(),
        Some(orgn_domain::rfc3339(expiry).as_str())
    );
    let color = notice.css_value("background-color").await.unwrap();
    assert_eq!(color, "rgba(255, 244, 229, 1)", "the notice is orange");
    let border = notice.css_value("border-left-color").await.unwrap();
    assert_eq!(border, "rgba(242, 153, 74, 1)");

    // Every client snippet carries the token; the copy button copies it.
    for id in ["claude-desktop", "cursor", "vscode", "claude-code"] {
        let snippet = content(c, &format!("#config-{id}")).await;
        assert!(
            snippet.contains(&format!("Bearer {token}")),
            "{id}: {snippet}"
        );
    }
    let cursor_json = text(c, "#config-claude-desktop").await;
    let parsed: serde_json::Value =
        serde_json::from_str(&cursor_json).expect("the snippet is JSON");
    assert_eq!(
        parsed["mcpServers"]["orgn"]["env"]["AUTH_HEADER"],
        json!(format!("Bearer {token}"))
    );
    assert_eq!(
        parsed["mcpServers"]["orgn"]["args"][2],
        json!(format!("{}/mcp", app.base_url))
    );
    css(c, "#panel-claude-desktop button[data-copy]")
        .await
        .click()
        .await
        .unwrap();
    wait_text(c, "Copied").await;
    screenshot(c, "mcp-access").await;

    // The toast fades by itself.
    let deadline = Instant::now() + Duration::from_secs(8);
    while is_displayed_now(c, "#toast").await {
        assert!(Instant::now() < deadline, "the toast did not fade");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Reload: the token is gone for good, its hint remains, and no new token was made.
    c.refresh().await.unwrap();
    css(c, "#token-info").await;
    assert!(!exists(c, "#new-token").await);
    assert!(!page_text(c).await.contains(&token));
    assert_eq!(
        text(c, "#token-hint").await,
        format!("orgn_pat_…{}", &token[token.len() - 4..])
    );
    assert!(
        content(c, "#config-cursor")
            .await
            .contains("Bearer <your-token>")
    );
    let source = c.source().await.unwrap();
    assert!(!source.contains(&token));

    // The copied token works against /mcp; the web session does not, and the token does not
    // open the web app.
    let answer = mcp_tools_list(&app, &token).await;
    assert_eq!(answer.status, 200, "{}\n{}", answer.head, answer.body);
    assert!(answer.body.contains("\"tools\""), "{}", answer.body);
    let cookie = session_cookie(c).await;
    let with_session = request(
        app.addr,
        "POST",
        "/mcp",
        &[("Cookie", &cookie), ("Content-Type", "application/json")],
        "{}",
    )
    .await;
    assert_eq!(with_session.status, 401);
    let bearer = format!("Bearer {token}");
    let web_with_token = request(app.addr, "GET", "/my", &[("Authorization", &bearer)], "").await;
    assert_eq!(web_with_token.status, 303);
    assert!(
        web_with_token.head.contains("location: /signin"),
        "{}",
        web_with_token.head
    );

    // Generating again asks for confirmation, replaces the token, and the old one is refused.
    assert!(
        text(c, "#generate-form")
            .await
            .contains("stops working at once")
    );
    css(c, "#confirm-replace").await.click().await.unwrap();
    css(c, "#generate-token").await.click().await.unwrap();
    let second = text(c, "#new-token").await;
    assert_ne!(second, token);
    let old = mcp_tools_list(&app, &token).await;
    assert_eq!(old.status, 401, "{}", old.head);
    assert!(
        old.head
            .to_ascii_lowercase()
            .contains("www-authenticate: bearer"),
        "{}",
        old.head
    );
    assert_eq!(mcp_tools_list(&app, &second).await.status, 200);

    // Without the confirmation the server refuses to replace (the checkbox is also required
    // in the browser).
    c.goto(&format!("{}/settings/mcp", app.base_url))
        .await
        .unwrap();
    c.execute(
        "document.getElementById('confirm-replace').removeAttribute('required')",
        vec![],
    )
    .await
    .unwrap();
    css(c, "#generate-token").await.click().await.unwrap();
    wait_text(c, "Tick the box to confirm").await;
    assert_eq!(
        mcp_tools_list(&app, &second).await.status,
        200,
        "an unconfirmed form replaced nothing"
    );

    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_teams_tasks_are_404_and_cross_site_posts_are_refused() {
    let app = TestApp::spawn().await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;

    // Alice is in ENG only: DES-1 does not exist for her.
    c.goto(&format!("{}/tasks/DES-1", app.base_url))
        .await
        .unwrap();
    wait_text(c, "Not found").await;
    assert!(!page_text(c).await.contains("Secret rebrand moodboard"));
    let cookie = session_cookie(c).await;
    let des = request(app.addr, "GET", "/tasks/DES-1", &[("Cookie", &cookie)], "").await;
    assert_eq!(des.status, 404);
    assert!(!des.body.contains("Secret rebrand"));
    assert_eq!(
        request(app.addr, "GET", "/tasks/ENG-1", &[("Cookie", &cookie)], "")
            .await
            .status,
        200
    );
    assert_eq!(
        request(
            app.addr,
            "GET",
            "/team/DES/board",
            &[("Cookie", &cookie)],
            ""
        )
        .await
        .status,
        404
    );

    // A form posted from elsewhere carries no CSRF token: 403, and nothing is created.
    let form = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let forged = request(app.addr, "POST", "/tasks", &form, "team=ENG&title=Forged").await;
    assert_eq!(forged.status, 403);
    let wrong = request(
        app.addr,
        "POST",
        "/tasks",
        &form,
        "team=ENG&title=Forged&_csrf=not-the-token",
    )
    .await;
    assert_eq!(wrong.status, 403);
    // The same from a page on another origin, in the browser.
    let page = format!(
        "data:text/html,<form method=post action='{}/tasks'><input name=team value=ENG><input name=title value=Forged></form><script>document.forms[0].submit()</script>",
        app.base_url
    );
    c.goto(&page).await.unwrap();
    wait_text(c, "Not allowed").await;
    let alice = app.actor(ALICE).await;
    let forged_tasks = app
        .workspace
        .search_tasks(
            &alice,
            orgn_domain::TaskFilter {
                query: Some("Forged".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(forged_tasks.items.is_empty());

    // No state change on GET, and the security headers on every page.
    let signin = request(app.addr, "GET", "/signin", &[], "").await;
    let head = signin.head.to_ascii_lowercase();
    assert!(
        head.contains("content-security-policy:")
            && head.contains("script-src 'self'")
            && head.contains("frame-ancestors 'none'")
    );
    assert!(!head.contains("unsafe-inline"));
    assert!(head.contains("httponly") && head.contains("samesite=lax"));
    assert_eq!(
        request(app.addr, "GET", "/signout", &[("Cookie", &cookie)], "")
            .await
            .status,
        405
    );

    b.close().await;
    app.stop().await;
}

/// After signing in, `next` leads only to a path of this app: a tab (which the browser drops,
/// leaving `//evil.example`), a line break or a NUL sends the person to My tasks, and never
/// answers 500 after the session is made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_goes_on_only_to_a_path_of_this_app() {
    let app = TestApp::spawn().await;
    let headers = [
        ("Cookie", "orgn_signin=form-token"),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let sign_in = |next: &'static str| {
        let body =
            format!("_csrf=form-token&email=alice%40orgn.test&password={PASSWORD}&next={next}");
        request(app.addr, "POST", "/signin", &headers, body)
    };
    for (next, expected) in [
        ("%2Fteam%2FENG%2Ftasks", "/team/ENG/tasks"),
        ("%2F%09%2Fevil.example%2Fphish", "/my"),
        ("%2F%0A%2Fx", "/my"),
        ("%2F%0D%2Fx", "/my"),
        ("%2F%00%2Fx", "/my"),
        ("%2F%0B%2Fx", "/my"),
        ("%2F%5Cevil.example", "/my"),
    ] {
        let answer = sign_in(next).await;
        assert_eq!(answer.status, 303, "next={next}: {}", answer.head);
        assert_eq!(answer.header("location"), Some(expected), "next={next}");
    }
    app.stop().await;
}

/// Sign-in reads a few hundred bytes: a form over its limit is refused before it is read, an
/// e-mail over 254 bytes before the throttle remembers it or a password is hashed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_refuses_oversized_forms_and_e_mails() {
    let app = TestApp::spawn().await;
    let headers = [
        ("Cookie", "orgn_signin=form-token"),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let form = |email: &str| format!("_csrf=form-token&email={email}&password=wrong-password");
    let huge = request(
        app.addr,
        "POST",
        "/signin",
        &headers,
        form(&"a".repeat(20_000)),
    )
    .await;
    assert_eq!(huge.status, 413, "{}", huge.head);
    let long = format!("{}%40orgn.test", "a".repeat(250));
    let refused = request(app.addr, "POST", "/signin", &headers, form(&long)).await;
    assert_eq!(refused.status, 400, "{}", refused.head);
    assert!(refused.body.contains("at most 254"), "{}", refused.body);
    // A normal failed sign-in is still an ordinary 401 with the form.
    let wrong = request(
        app.addr,
        "POST",
        "/signin",
        &headers,
        form("alice%40orgn.test"),
    )
    .await;
    assert_eq!(wrong.status, 401);
    app.stop().await;
}

/// Behind an https public URL, every page tells the browser to come back over https only
/// (HSTS); over plain http it does not, as that would lock a local install out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsts_is_sent_when_the_public_url_is_https() {
    let plain = TestApp::spawn().await;
    let page = request(plain.addr, "GET", "/signin", &[], "").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("strict-transport-security"), None);
    plain.stop().await;
    let https = TestApp::builder()
        .public_url("https://orgn.example.com")
        .spawn()
        .await;
    let page = request(
        https.addr,
        "GET",
        "/signin",
        &[("Host", "orgn.example.com")],
        "",
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.head);
    assert_eq!(
        page.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    https.stop().await;
}

/// A task identifier in a URL is taken as it is: `ENG-1` followed by a line break is no
/// task, and a comment posted there is refused and saved nowhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_posted_to_a_malformed_task_path_saves_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.actor(ALICE).await;
    let session = app.workspace.start_session(alice.user()).await.unwrap();
    let cookie = format!("orgn_session={}", session.id);
    let headers = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let before = app
        .workspace
        .comments(&alice, &task_ref("ENG-1"))
        .await
        .unwrap()
        .len();
    for path in ["/tasks/ENG-1%0A/comments", "/tasks/%20ENG-1/comments"] {
        let body = format!("_csrf={}&body=sneaked+in", session.csrf_token);
        let answer = request(app.addr, "POST", path, &headers, body).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.head);
    }
    let after = app
        .workspace
        .comments(&alice, &task_ref("ENG-1"))
        .await
        .unwrap()
        .len();
    assert_eq!(after, before);
    app.stop().await;
}
