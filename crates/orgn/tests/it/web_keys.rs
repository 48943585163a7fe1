//! Orgn from the keyboard and on a phone, in a real headless Chromium: the command palette
//! (Ctrl+K) jumping to tasks and pages and changing the focused task, j/k/x/Enter/Esc in
//! lists, the `?` list of shortcuts, single-key shortcuts turned off in Profile, the phone
//! layout, and the favicon. The phone screenshot goes to `target/screenshots/phone.png`.

use std::time::{Duration, Instant};

use crate::browser::*;
use crate::http::*;
use crate::support::*;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, Locator};
use orgn_domain::model::Task;

const ENTER: char = '\u{E007}';
const ESCAPE: char = '\u{E00C}';
const CONTROL: char = '\u{E009}';

async fn go(c: &Client, app: &TestApp, path: &str) {
    c.goto(&format!("{}{path}", app.base_url)).await.unwrap();
    css(c, "body").await;
}

/// Waits until the browser is at `path` and that page has run its scripts, so that the
/// next key press reaches them.
async fn arrive(c: &Client, path: &str) {
    wait_path(c, path).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let state = c.execute("return document.readyState", vec![]).await;
        if state.is_ok_and(|s| s == "complete") {
            return;
        }
        assert!(Instant::now() < deadline, "{path} never finished loading");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Ctrl held while `key` is pressed, as a person opens the palette.
async fn ctrl(c: &Client, key: char) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: CONTROL })
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key })
        .then(KeyAction::Up { value: CONTROL });
    c.perform_actions(keys).await.unwrap();
}

/// Opens the palette and types `text` into it.
async fn palette(c: &Client, text: &str) {
    ctrl(c, 'k').await;
    let input = css(c, "#palette[open] [data-palette-input]").await;
    input.send_keys(text).await.unwrap();
}

/// The text of the palette's selected item once the answer to what was typed has come:
/// waits until it contains `needle`.
async fn selected_shows(c: &Client, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = c
            .execute(
                "var s = document.querySelector('#palette [aria-selected=true]'); \
                 return s ? s.textContent : '';",
                vec![],
            )
            .await
            .unwrap();
        let now = now.as_str().unwrap_or("").to_string();
        if now.contains(needle) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the palette's selected item never showed {needle:?}; it shows {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Types `typed` into the palette, waits for `selected` to be the chosen item, and opens it
/// with Enter: the page at `path` comes.
async fn palette_opens(c: &Client, typed: &str, selected: &str, path: &str) {
    palette(c, typed).await;
    selected_shows(c, selected).await;
    press(c, ENTER).await;
    arrive(c, path).await;
}

async fn palette_text(c: &Client) -> String {
    content(c, "#palette [data-palette-list]").await
}

/// The identifier of the row that j/k focused.
async fn focused_task(c: &Client) -> String {
    let v = c
        .execute(
            "var a = document.activeElement; \
             return a && a.getAttribute('data-task') || '';",
            vec![],
        )
        .await
        .unwrap();
    v.as_str().unwrap_or("").to_string()
}

async fn task(app: &TestApp, email: &str, id: &str) -> Task {
    let actor = app.actor(email).await;
    app.workspace.task(&actor, &task_ref(id)).await.unwrap()
}

/// Waits until the task in the store satisfies `ok`.
async fn wait_task(app: &TestApp, id: &str, ok: impl Fn(&Task) -> bool) -> Task {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let t = task(app, ALICE, id).await;
        if ok(&t) {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "{id} never changed as expected: {t:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The session cookie of a fresh web session of the user, for plain HTTP requests.
async fn signed_in_cookie(app: &TestApp, email: &str) -> String {
    let actor = app.actor(email).await;
    let session = app.workspace.start_session(actor.user()).await.unwrap();
    format!("orgn_session={}", session.id)
}

async fn is_open(c: &Client, dialog: &str) -> bool {
    exists(c, &format!("{dialog}[open]")).await
}

// --- The palette ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_k_opens_a_task_by_identifier_or_title_words_and_any_page() {
    let app = TestApp::spawn().await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;

    palette(c, "ENG-2").await;
    selected_shows(c, "ENG-2 Add search to the docs page").await;
    screenshot(c, "palette").await;
    press(c, ENTER).await;
    arrive(c, "/tasks/ENG-2").await;
    // Words of a title, in any case; an identifier typed loosely; pages.
    palette_opens(
        c,
        "paginate BOARD",
        "ENG-3 Paginate the board",
        "/tasks/ENG-3",
    )
    .await;
    palette_opens(c, "eng 1", "ENG-1 Fix login redirect", "/tasks/ENG-1").await;
    palette_opens(c, "mcp", "MCP Access", "/settings/mcp").await;
    palette_opens(c, "inbox", "Inbox", "/inbox").await;

    // Among several, chosen with the arrow keys.
    palette(c, "engineering").await;
    selected_shows(c, "Engineering Tasks").await;
    press(c, '\u{E015}').await; // ArrowDown
    selected_shows(c, "Engineering Board").await;
    press(c, ENTER).await;
    arrive(c, "/team/ENG/board").await;
    // G then N: the inbox.
    press(c, 'g').await;
    press(c, 'n').await;
    arrive(c, "/inbox").await;
    go(c, &app, "/team/ENG/board").await;

    // Esc closes it.
    palette(c, "zzz nothing").await;
    assert!(
        shown_text(c, "#palette [data-palette-message]")
            .await
            .contains("Nothing matches")
    );
    press(c, ESCAPE).await;
    assert!(!is_open(c, "#palette").await);

    // Signed out meanwhile (the cookie gone): it says so instead of showing the sign-in page.
    c.delete_cookie("orgn_session").await.unwrap();
    palette(c, "eng").await;
    let said = shown_text(c, "#palette [data-palette-message]").await;
    assert!(said.contains("reload the page"), "{said}");
    assert!(!exists(c, "#palette input[name=password]").await);
    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_palette_action_changes_only_that_field_of_the_focused_or_open_task() {
    let app = TestApp::spawn().await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;
    let before = task(&app, ALICE, "ENG-1").await;

    // On the list, j moves to ENG-1; the palette offers its actions.
    go(c, &app, "/team/ENG/tasks").await;
    css(c, "#task-list").await;
    for _ in 0..5 {
        press(c, 'j').await;
        if focused_task(c).await == "ENG-1" {
            break;
        }
    }
    assert_eq!(focused_task(c).await, "ENG-1");
    palette(c, "status").await;
    selected_shows(c, "Change status").await;
    press(c, ENTER).await;
    css(c, "#palette [data-palette-item][aria-selected=true]").await;
    css(c, "#palette [data-palette-input]")
        .await
        .send_keys("done")
        .await
        .unwrap();
    selected_shows(c, "Done").await;
    press(c, ENTER).await;
    let after = wait_task(&app, "ENG-1", |t| t.status.name == "Done").await;
    assert_eq!(after.priority, before.priority);
    assert_eq!(after.assignee, before.assignee);
    assert_eq!(after.labels, before.labels);
    assert_eq!(after.project, before.project);
    // The list shows it under Done, and the row keeps the focus.
    css(c, "section.group[data-status=Done] a.row[data-task=ENG-1]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while focused_task(c).await != "ENG-1" {
        assert!(Instant::now() < deadline, "the row lost the focus");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // On the task page, the open task: a priority, then a label taken off.
    go(c, &app, "/tasks/ENG-1").await;
    palette(c, "priority").await;
    selected_shows(c, "Set priority").await;
    press(c, ENTER).await;
    css(c, "#palette [data-palette-input]")
        .await
        .send_keys("high")
        .await
        .unwrap();
    selected_shows(c, "High").await;
    press(c, ENTER).await;
    let after = wait_task(&app, "ENG-1", |t| t.priority.name() == "High").await;
    assert_eq!(after.status.name, "Done");
    assert_eq!(after.labels, before.labels);
    // The page reloaded with the new priority before the palette opens again.
    css(
        c,
        "#task-props select[name=priority] option[value='2'][selected]",
    )
    .await;
    palette(c, "labels").await;
    selected_shows(c, "labels").await;
    press(c, ENTER).await;
    css(c, "#palette [data-palette-input]")
        .await
        .send_keys("bug")
        .await
        .unwrap();
    selected_shows(c, "remove").await;
    press(c, ENTER).await;
    let after = wait_task(&app, "ENG-1", |t| t.labels.is_empty()).await;
    assert_eq!(after.priority.name(), "High");
    assert_eq!(after.assignee, before.assignee);
    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_palette_never_shows_a_task_of_a_team_the_user_is_not_in() {
    let app = TestApp::spawn().await;
    let b = Browser::start().await;
    let c = &b.client;
    // Dana is only in DES.
    sign_in(c, &app.base_url, DANA).await;
    palette(c, "ENG-1").await;
    selected_shows(c, "").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let shown = palette_text(c).await;
    assert!(!shown.contains("ENG-1"), "{shown}");
    assert!(!shown.contains("Fix login"), "{shown}");
    press(c, ESCAPE).await;
    palette(c, "fix login redirect").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let shown = palette_text(c).await;
    assert!(
        !shown.contains("ENG-1") && !shown.contains("Fix login"),
        "{shown}"
    );

    // Nor its actions, asked for directly: the same answer as for no task at all.
    let cookie = session_cookie(c).await;
    let ask = |path: &'static str| {
        let cookie = cookie.clone();
        async move { request(app.addr, "GET", path, &[("Cookie", &cookie)], "").await }
    };
    let foreign = ask("/palette?q=&task=ENG-1&pick=status").await;
    let missing = ask("/palette?q=&task=DES-99&pick=status").await;
    assert_eq!(foreign.status, 400);
    assert_eq!(foreign.body, missing.body);
    assert!(!foreign.body.contains("Todo"), "{}", foreign.body);
    let own = ask("/palette?q=&task=DES-1&pick=status").await;
    assert_eq!(own.status, 200);
    assert!(own.body.contains("action=\"/tasks/DES-1\""), "{}", own.body);
    assert!(
        own.body.contains("name=\"status\" value=\"Done\""),
        "{}",
        own.body
    );
    assert!(!own.body.contains("name=\"priority\""), "{}", own.body);
    b.close().await;
    app.stop().await;
}

#[tokio::test]
async fn the_palette_refuses_long_text_and_unknown_actions_with_a_message() {
    let app = TestApp::spawn().await;
    let cookie = signed_in_cookie(&app, ALICE).await;
    let long = format!("/palette?q={}", "a".repeat(101));
    let answer = request(app.addr, "GET", &long, &[("Cookie", &cookie)], "").await;
    assert_eq!(answer.status, 400);
    assert!(
        answer.body.contains("at most 100 characters"),
        "{}",
        answer.body
    );
    let path = "/palette?task=ENG-1&pick=everything";
    let answer = request(app.addr, "GET", path, &[("Cookie", &cookie)], "").await;
    assert_eq!(answer.status, 400);
    assert!(answer.body.contains("no action"), "{}", answer.body);
    // Signed out: to the sign-in page, not a fragment.
    let answer = request(app.addr, "GET", "/palette?q=eng", &[], "").await;
    assert_eq!(answer.status, 303, "{}", answer.head);
    app.stop().await;
}

// --- Lists and shortcuts ------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn j_k_move_x_selects_enter_opens_esc_goes_back_and_question_mark_lists_shortcuts() {
    let app = TestApp::spawn().await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;
    go(c, &app, "/team/ENG/tasks").await;
    let rows: Vec<String> = {
        let mut out = vec![];
        for r in c.find_all(Locator::Css("a.row[data-task]")).await.unwrap() {
            out.push(r.attr("data-task").await.unwrap().unwrap());
        }
        out
    };
    assert_eq!(rows.len(), 3);
    press(c, 'j').await;
    assert_eq!(focused_task(c).await, rows[0]);
    press(c, 'j').await;
    assert_eq!(focused_task(c).await, rows[1]);
    press(c, 'j').await;
    press(c, 'j').await;
    assert_eq!(focused_task(c).await, rows[2], "j stops at the last row");
    press(c, 'k').await;
    assert_eq!(focused_task(c).await, rows[1]);
    assert!(exists(c, &format!("a.row.kbd-focus[data-task={}]", rows[1])).await);
    press(c, 'x').await;
    let picked = format!("input[data-pick][value={}]", rows[1]);
    assert!(css(c, &picked).await.is_selected().await.unwrap());
    assert!(text(c, "#bulk-count").await.contains('1'));
    press(c, 'x').await;
    assert!(!css(c, &picked).await.is_selected().await.unwrap());
    press(c, ENTER).await;
    arrive(c, &format!("/tasks/{}", rows[1])).await;
    press(c, ESCAPE).await;
    arrive(c, "/team/ENG/tasks").await;

    // The board's cards too; Esc from a task opened there goes back to the board.
    go(c, &app, "/team/ENG/board").await;
    press(c, 'j').await;
    let first = focused_task(c).await;
    assert!(first.starts_with("ENG-"), "{first}");
    press(c, ENTER).await;
    arrive(c, &format!("/tasks/{first}")).await;
    press(c, ESCAPE).await;
    arrive(c, "/team/ENG/board").await;

    // My tasks, the search results of a list.
    go(c, &app, "/my").await;
    press(c, 'j').await;
    assert_eq!(focused_task(c).await, "ENG-1");
    go(c, &app, "/team/ENG/tasks?q=paginate").await;
    press(c, 'j').await;
    assert_eq!(focused_task(c).await, "ENG-3");

    press(c, '?').await;
    let list = shown_text(c, "#shortcuts[open]").await;
    for key in [
        "Command palette",
        "Ask Orgn",
        "New task",
        "Search the list",
        "Next / previous task",
        "Select the focused task",
        "Open the focused task",
        "back to its list",
        "This list",
    ] {
        assert!(list.contains(key), "{key} missing from:\n{list}");
    }
    screenshot(c, "shortcuts").await;
    press(c, ESCAPE).await;
    assert!(!is_open(c, "#shortcuts").await);
    b.close().await;
    app.stop().await;
}

/// Ticks or unticks single-key shortcuts in Profile and saves; whether they are now on.
async fn flip_shortcuts(c: &Client, app: &TestApp) -> bool {
    go(c, app, "/settings/profile").await;
    css(c, "input[name=single_key_shortcuts]")
        .await
        .click()
        .await
        .unwrap();
    css(c, "#shortcuts-settings button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    wait_text(c, "Your keyboard shortcuts were saved.").await;
    css(c, "input[name=single_key_shortcuts]")
        .await
        .is_selected()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_key_shortcuts_turned_off_in_profile_leave_ctrl_k_working() {
    let app = TestApp::spawn().await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;
    assert!(!flip_shortcuts(c, &app).await, "they were on, now off");
    assert!(!app.actor(ALICE).await.user().single_key_shortcuts);

    go(c, &app, "/team/ENG/tasks").await;
    css(c, "#task-list").await;
    for key in ['c', 'j', '?', 'a'] {
        press(c, key).await;
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!is_open(c, "#create-dialog").await, "c did nothing");
    assert!(!is_open(c, "#shortcuts").await, "? did nothing");
    assert!(!exists(c, ".kbd-focus").await, "j did nothing");
    assert!(!is_displayed_now(c, "#ask-panel").await, "a did nothing");
    palette_opens(c, "ENG-2", "ENG-2", "/tasks/ENG-2").await;

    // Someone else's shortcuts stay on; turned on again, `c` works.
    assert!(app.actor(BOB).await.user().single_key_shortcuts);
    assert!(flip_shortcuts(c, &app).await);
    go(c, &app, "/team/ENG/tasks").await;
    press(c, 'c').await;
    css(c, "#create-dialog[open]").await;
    b.close().await;
    app.stop().await;
}

// --- Phone and favicon --------------------------------------------------------------------------

/// How much wider than the window the page is (0: no sideways scroll), and the widest
/// element sticking out, to say what to fix.
async fn overflow(c: &Client) -> (i64, String) {
    let v = c
        .execute(
            "var d = document.documentElement; var worst = ''; var w = 0; \
             document.querySelectorAll('body *').forEach(function (e) { \
               var r = e.getBoundingClientRect(); \
               if (r.right > window.innerWidth + 1 && r.width > 0 && r.right > w) { \
                 w = r.right; worst = e.tagName + '.' + e.className + ' ' + Math.round(r.right); } }); \
             return [d.scrollWidth - window.innerWidth, worst];",
            vec![],
        )
        .await
        .unwrap();
    (v[0].as_i64().unwrap(), v[1].as_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_layout_puts_content_first_scrolls_no_sideways_and_has_a_menu() {
    let app = TestApp::spawn().await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in(c, &app.base_url, ALICE).await;
    c.set_window_size(390, 844).await.unwrap();
    let width = c.execute("return window.innerWidth", vec![]).await.unwrap();
    assert!(
        width.as_i64().unwrap() <= 430,
        "the window is {width} px wide"
    );
    let admin = app.actor(ADMIN).await;
    let website = app
        .workspace
        .visible_project(&admin, "Website")
        .await
        .unwrap();
    let project = format!("/projects/{}", website.id);
    for path in [
        "/team/ENG/tasks",
        "/my",
        "/team/ENG/board",
        "/tasks/ENG-1",
        project.as_str(),
        "/team/ENG/cycles",
        "/team/ENG/cycles/1",
        "/settings/mcp",
    ] {
        go(c, &app, path).await;
        let name: String = path.chars().filter(char::is_ascii_alphanumeric).collect();
        screenshot(c, &format!("phone-{name}")).await;
        let (wider, worst) = overflow(c).await;
        // The board scrolls its columns inside itself, not the page.
        assert!(wider <= 0, "{path} scrolls sideways by {wider} px: {worst}");
        assert!(
            !is_displayed_now(c, ".sidebar").await,
            "{path}: the menu starts closed"
        );
        let top = c
            .execute(
                "return document.querySelector('main').getBoundingClientRect().top",
                vec![],
            )
            .await
            .unwrap();
        assert!(
            top.as_f64().unwrap() < 80.0,
            "{path}: the content comes first"
        );
    }
    go(c, &app, "/team/ENG/tasks").await;
    screenshot(c, "phone").await;
    css(c, "[data-menu-toggle]").await.click().await.unwrap();
    css(c, "body.menu-open").await;
    assert!(is_displayed_now(c, ".sidebar").await);
    assert_eq!(
        css(c, "[data-menu-toggle]")
            .await
            .attr("aria-expanded")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    screenshot(c, "phone-menu").await;
    css(c, ".sidebar a[href='/team/ENG/board']")
        .await
        .click()
        .await
        .unwrap();
    arrive(c, "/team/ENG/board").await;
    css(c, "[data-menu-toggle]").await.click().await.unwrap();
    assert!(is_displayed_now(c, ".sidebar").await);
    press(c, ESCAPE).await;
    assert!(
        !is_displayed_now(c, ".sidebar").await,
        "Esc closes the menu"
    );
    // No keyboard on a phone: the menu's "Go to…" opens the palette.
    css(c, "[data-menu-toggle]").await.click().await.unwrap();
    css(c, ".sidebar [data-palette-open]")
        .await
        .click()
        .await
        .unwrap();
    css(c, "#palette[open]").await;
    assert!(!is_displayed_now(c, ".sidebar").await);
    let (wider, worst) = overflow(c).await;
    assert!(
        wider <= 0,
        "the palette scrolls sideways by {wider} px: {worst}"
    );
    b.close().await;
    app.stop().await;
}

#[tokio::test]
async fn the_favicon_is_an_image_cached_by_browsers() {
    let app = TestApp::spawn().await;
    let ico = request(app.addr, "GET", "/favicon.ico", &[], "").await;
    assert_eq!(ico.status, 200, "{}", ico.head);
    assert_eq!(ico.header("content-type"), Some("image/x-icon"));
    assert!(ico.header("cache-control").unwrap().contains("max-age"));
    let svg = request(app.addr, "GET", "/assets/favicon.svg", &[], "").await;
    assert_eq!(svg.status, 200);
    assert!(
        svg.header("content-type")
            .unwrap()
            .starts_with("image/svg+xml")
    );
    assert!(svg.body.starts_with("<svg"));
    let page = request(app.addr, "GET", "/signin", &[], "").await;
    assert!(
        page.body
            .contains(r#"<link rel="icon" href="/assets/favicon.svg""#),
        "{}",
        page.body
    );
    app.stop().await;
}
