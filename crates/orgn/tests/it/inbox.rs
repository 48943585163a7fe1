//! Handles, @mentions, subscriptions and the inbox: who is told of what, once, through the
//! access rule; the inbox over MCP and on the web; its live unread count.

use orgn_domain::changes::NotificationKind;
use orgn_domain::model::{NotificationId, Role};
use orgn_domain::store::Notification;
use orgn_domain::{Actor, Caller, TaskPatch};
use serde_json::json;

use crate::http::{mcp_call, request};
use crate::support::*;

/// Every notification of the person (read or not), newest first.
pub(crate) async fn inbox(app: &TestApp, email: &str) -> Vec<Notification> {
    let actor = app.actor(email).await;
    app.workspace
        .notifications(&actor, false, Some(100), None)
        .await
        .unwrap()
        .page
        .items
}

/// (task, kind) of each notification, oldest first: what a person was told.
pub(crate) async fn told(app: &TestApp, email: &str) -> Vec<(String, NotificationKind)> {
    let mut items: Vec<_> = inbox(app, email)
        .await
        .into_iter()
        .map(|n| (n.task_identifier, n.kind))
        .collect();
    items.reverse();
    items
}

pub(crate) async fn comment(app: &TestApp, email: &str, task: &str, body: &str) {
    let actor = app.actor(email).await;
    app.workspace
        .create_comment(&actor, &task_ref(task), body)
        .await
        .unwrap();
}

pub(crate) async fn update(app: &TestApp, email: &str, task: &str, patch: TaskPatch) {
    let actor = app.actor(email).await;
    app.workspace
        .update_task(&actor, &task_ref(task), patch)
        .await
        .unwrap();
}

fn status(name: &str) -> TaskPatch {
    TaskPatch {
        status: Some(name.into()),
        ..Default::default()
    }
}

fn blocks(task: &str) -> TaskPatch {
    TaskPatch {
        add_relations: vec![orgn_domain::RelationInput {
            kind: "blocks".into(),
            task: task.into(),
        }],
        ..Default::default()
    }
}

/// A signed-in session's cookie and CSRF token, for requests without a browser.
pub(crate) async fn session(app: &TestApp, email: &str) -> (String, String) {
    let actor: Actor = app.actor(email).await;
    let s = app.workspace.start_session(actor.user()).await.unwrap();
    (
        format!("{}={}", orgn_web::SESSION_COOKIE, s.id),
        s.csrf_token,
    )
}

#[tokio::test]
async fn a_mention_by_handle_notifies_only_people_who_can_see_the_task() {
    let app = TestApp::spawn().await;
    // Dana is in DES only; ENG-2 is Engineering's.
    comment(
        &app,
        BOB,
        "ENG-2",
        "@alice and @dana, have a look (mail dana@orgn.test)",
    )
    .await;
    assert_eq!(
        told(&app, ALICE).await,
        [
            ("ENG-1".to_string(), NotificationKind::Assigned),
            ("ENG-2".to_string(), NotificationKind::Mentioned)
        ]
    );
    assert!(told(&app, DANA).await.is_empty(), "Dana cannot see ENG-2");
    let dana = app.actor(DANA).await;
    assert!(
        app.workspace
            .follows(&dana, &task_ref("ENG-2"))
            .await
            .is_err()
    );

    // The page shows @alice as a link to her, and @dana as the text it was.
    let (cookie, _) = session(&app, BOB).await;
    let page = request(app.addr, "GET", "/tasks/ENG-2", &[("Cookie", &cookie)], "").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("class=\"mention\" href=\"/team/ENG/tasks?assignee=alice%40orgn.test\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("</a> and @dana, have a look"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(">@dana</a>"));

    // A mention in a description, too; the same mention again on an edit tells nobody twice.
    let described = |text: &str| TaskPatch {
        description: Some(text.into()),
        ..Default::default()
    };
    update(&app, ADMIN, "ENG-3", described("For @bob and @dana")).await;
    update(&app, ADMIN, "ENG-3", described("For @bob and @dana, soon")).await;
    assert_eq!(
        told(&app, BOB).await,
        [("ENG-3".to_string(), NotificationKind::Mentioned)]
    );
    assert!(told(&app, DANA).await.is_empty());

    // A comment edited to mention someone tells them, once.
    let bob = app.actor(BOB).await;
    let ws = &app.workspace;
    let written = ws
        .create_comment(&bob, &task_ref("ENG-3"), "Looks done")
        .await
        .unwrap();
    for body in ["Looks done, @admin?", "Looks done, @admin? (edited)"] {
        ws.update_comment(&bob, written.id, body, None)
            .await
            .unwrap();
    }
    let admins: Vec<_> = told(&app, ADMIN).await;
    let mentions = admins
        .iter()
        .filter(|(t, k)| t == "ENG-3" && *k == NotificationKind::Mentioned)
        .count();
    assert_eq!(mentions, 1, "{admins:?}");
    app.stop().await;
}

#[tokio::test]
async fn leaving_a_team_hides_its_notifications_at_once() {
    let app = TestApp::spawn().await;
    let alice = app.actor(ALICE).await;
    let ws = &app.workspace;
    assert_eq!(
        told(&app, ALICE).await.len(),
        1,
        "assigned ENG-1 by the fixture"
    );
    assert_eq!(ws.unread_count(&alice).await.unwrap(), 1);

    ws.remove_member(Caller::Operator, "ENG", ALICE)
        .await
        .unwrap();
    let alice = app.actor(ALICE).await;
    assert!(told(&app, ALICE).await.is_empty());
    assert_eq!(ws.unread_count(&alice).await.unwrap(), 0);
    let id = NotificationId::new(1);
    assert!(ws.notification(&alice, id).await.unwrap().is_none());
    assert_eq!(ws.mark_notifications(&alice, None, true).await.unwrap(), 0);

    // Back in the team, they are there again, still unread.
    ws.add_member(Caller::Operator, "ENG", ALICE, Role::Member)
        .await
        .unwrap();
    let alice = app.actor(ALICE).await;
    assert_eq!(ws.unread_count(&alice).await.unwrap(), 1);
    app.stop().await;
}

#[tokio::test]
async fn every_kind_of_notification_is_created_once() {
    let app = TestApp::spawn().await;
    // ENG-2 was created by the admin, who follows it.
    let assign = TaskPatch {
        assignee: Some(BOB.into()),
        ..Default::default()
    };
    update(&app, ALICE, "ENG-2", assign.clone()).await;
    update(&app, ALICE, "ENG-2", assign).await; // no change: nobody told again
    comment(&app, BOB, "ENG-2", "On it").await;
    comment(&app, ALICE, "ENG-2", "Thanks @bob").await;
    update(&app, ALICE, "ENG-2", status("In Progress")).await;
    update(&app, ALICE, "ENG-2", status("Todo")).await; // back to unstarted: quiet
    update(&app, ALICE, "ENG-2", status("Done")).await;
    use NotificationKind::*;
    let eng2 = |kinds: &[NotificationKind]| -> Vec<(String, NotificationKind)> {
        kinds.iter().map(|k| ("ENG-2".to_string(), *k)).collect()
    };
    // Bob: assigned once; Alice's comment mentions him (one notification, not a comment
    // one as well); then the two moves.
    assert_eq!(
        told(&app, BOB).await,
        eng2(&[Assigned, Mentioned, Status, Status])
    );
    // The admin follows as the creator: two comments and two moves.
    assert_eq!(
        told(&app, ADMIN).await,
        eng2(&[Comment, Comment, Status, Status])
    );
    // Alice followed by commenting, and did everything else herself.
    let alices = told(&app, ALICE).await;
    assert_eq!(alices, [("ENG-1".to_string(), Assigned)], "{alices:?}");
    let moves: Vec<_> = inbox(&app, BOB)
        .await
        .into_iter()
        .filter(|n| n.kind == Status)
        .map(|n| n.detail.unwrap_or_default())
        .collect();
    assert_eq!(moves, ["Done", "In Progress"]);

    // A new task assigned at creation: its assignee is told, its creator is not.
    let admin = app.actor(ADMIN).await;
    let created = app
        .workspace
        .create_task(
            &admin,
            orgn_domain::TaskDraft {
                team: "ENG".into(),
                title: "New one".into(),
                assignee: Some(BOB.into()),
                description: Some("cc @alice".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let ident = created.identifier();
    assert_eq!(
        told(&app, BOB).await.last(),
        Some(&(ident.clone(), Assigned))
    );
    assert_eq!(told(&app, ALICE).await.last(), Some(&(ident, Mentioned)));
    assert_eq!(told(&app, ADMIN).await.len(), 4);

    // A completed blocker: the people waiting on the blocked task, by the function the
    // relations wire in (the blocked task's assignee and followers, not the actor).
    let bob = app.actor(BOB).await;
    let blocker = app.workspace.task(&bob, &task_ref("ENG-3")).await.unwrap();
    let blocked = app.workspace.task(&bob, &task_ref("ENG-1")).await.unwrap();
    let told_of = app
        .workspace
        .inbox_for_completed_blocker(&bob, &blocker, &[blocked.id])
        .await
        .unwrap();
    let mut who: Vec<_> = told_of.iter().map(|n| n.recipient).collect();
    who.sort();
    let mut expected = vec![app.actor(ALICE).await.id(), admin.id()];
    expected.sort();
    assert_eq!(who, expected);
    // Across teams, only those who can see the blocker too: Dana (DES only) waits on DES-1
    // but cannot see ENG-3; the admin, its creator, sees both.
    let admin_patch = TaskPatch {
        assignee: Some(DANA.into()),
        ..Default::default()
    };
    update(&app, ADMIN, "DES-1", admin_patch).await;
    let des1 = app
        .workspace
        .task(&admin, &task_ref("DES-1"))
        .await
        .unwrap();
    let across = app
        .workspace
        .inbox_for_completed_blocker(&bob, &blocker, &[des1.id])
        .await
        .unwrap();
    let who: Vec<_> = across.iter().map(|n| n.recipient).collect();
    assert_eq!(who, [admin.id()], "{across:?}");
    assert!(told_of.iter().all(|n| n.kind == BlockerCompleted
        && n.task == Some(blocked.id)
        && n.detail.as_deref() == Some("ENG-3")));
    app.stop().await;
}

#[tokio::test]
async fn an_explicit_unsubscribe_sticks() {
    let app = TestApp::spawn().await;
    let admin = app.actor(ADMIN).await;
    let ws = &app.workspace;
    let eng2 = task_ref("ENG-2");
    assert!(ws.follows(&admin, &eng2).await.unwrap());
    ws.set_following(&admin, &eng2, false).await.unwrap();
    comment(&app, BOB, "ENG-2", "First").await;
    // Commenting would subscribe the admin; the unsubscribe stays.
    comment(&app, ADMIN, "ENG-2", "Mine").await;
    comment(&app, BOB, "ENG-2", "Second").await;
    assert!(told(&app, ADMIN).await.is_empty());
    assert!(!ws.follows(&admin, &eng2).await.unwrap());

    // Anyone who can see a task may follow it; others get "not found".
    let alice = app.actor(ALICE).await;
    ws.set_following(&alice, &eng2, true).await.unwrap();
    comment(&app, BOB, "ENG-2", "Third").await;
    assert_eq!(
        told(&app, ALICE).await.last(),
        Some(&("ENG-2".to_string(), NotificationKind::Comment))
    );
    let dana = app.actor(DANA).await;
    let refused = ws.set_following(&dana, &eng2, true).await.unwrap_err();
    assert!(
        matches!(refused, orgn_domain::Error::NotFound(_)),
        "{refused:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_inbox_pages_newest_first_and_marks_read_and_unread() {
    let app = TestApp::spawn().await;
    for text in ["one", "two", "three"] {
        comment(&app, BOB, "ENG-1", text).await; // the admin created ENG-1
    }
    let admin = app.actor(ADMIN).await;
    let ws = &app.workspace;
    let first = ws
        .notifications(&admin, false, Some(2), None)
        .await
        .unwrap();
    assert_eq!(first.page.items.len(), 2);
    assert_eq!(first.unread, 3);
    let cursor = first.page.next_cursor.clone().expect("more");
    let second = ws
        .notifications(&admin, false, Some(2), Some(&cursor))
        .await
        .unwrap();
    assert_eq!(second.page.items.len(), 1);
    assert!(second.page.next_cursor.is_none(), "next_cursor iff more");
    assert!(first.page.items[0].id > first.page.items[1].id);
    assert!(first.page.items[1].id > second.page.items[0].id);
    let exact = ws
        .notifications(&admin, false, Some(3), None)
        .await
        .unwrap();
    assert!(exact.page.next_cursor.is_none());

    let newest = first.page.items[0].id;
    assert_eq!(
        ws.mark_notifications(&admin, Some(&[newest]), true)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        ws.mark_notifications(&admin, Some(&[newest]), true)
            .await
            .unwrap(),
        0
    );
    let unread = ws.notifications(&admin, true, None, None).await.unwrap();
    assert_eq!(unread.page.items.len(), 2);
    assert_eq!(unread.unread, 2);
    assert!(unread.page.items.iter().all(|n| !n.read && n.id != newest));
    ws.mark_notifications(&admin, Some(&[newest]), false)
        .await
        .unwrap();
    assert_eq!(ws.unread_count(&admin).await.unwrap(), 3);
    assert_eq!(ws.mark_notifications(&admin, None, true).await.unwrap(), 3);
    assert_eq!(ws.unread_count(&admin).await.unwrap(), 0);
    // Someone else's notification is not marked.
    let bob = app.actor(BOB).await;
    let alices = inbox(&app, ALICE).await[0].id;
    assert_eq!(
        ws.mark_notifications(&bob, Some(&[alices]), true)
            .await
            .unwrap(),
        0
    );
    assert!(ws.notification(&bob, alices).await.unwrap().is_none());
    let bad = ws.notifications(&admin, false, None, Some("nope!")).await;
    assert!(matches!(bad, Err(orgn_domain::Error::Invalid(_))));
    app.stop().await;
}

#[tokio::test]
async fn handles_come_from_emails_are_unique_and_can_be_changed() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let op = Caller::Operator;
    assert_eq!(app.actor(ALICE).await.user().handle, "alice");
    let clash = ws
        .create_user(op, "Alice@elsewhere.test", "Other Alice", PASSWORD, false)
        .await
        .unwrap();
    assert_eq!(clash.handle, "alice2");
    let taken = ws
        .create_user_with_handle(op, "x@orgn.test", "X", PASSWORD, false, Some("Bob"))
        .await
        .unwrap_err();
    assert!(taken.to_string().contains("@bob is taken"), "{taken}");
    let given = ws
        .create_user_with_handle(op, "y@orgn.test", "Y", PASSWORD, false, Some("@Why.Not"))
        .await
        .unwrap();
    assert_eq!(given.handle, "why.not");

    let alice = app.actor(ALICE).await;
    assert!(matches!(
        ws.set_handle(&alice, "two words").await,
        Err(orgn_domain::Error::Invalid(_))
    ));
    assert!(ws.set_handle(&alice, "bob").await.is_err());
    // From the Profile page.
    let (cookie, csrf) = session(&app, ALICE).await;
    let form = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let saved = request(
        app.addr,
        "POST",
        "/settings/profile/handle",
        &form,
        format!("_csrf={csrf}&handle=Ally"),
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(app.actor(ALICE).await.user().handle, "ally");
    let refused = request(
        app.addr,
        "POST",
        "/settings/profile/handle",
        &form,
        format!("_csrf={csrf}&handle=bob"),
    )
    .await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("@bob is taken"), "{}", refused.body);
    // An admin adds a person with a handle, or without one (made from the e-mail).
    let (admin_cookie, admin_csrf) = session(&app, ADMIN).await;
    let admin_form = [
        ("Cookie", admin_cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    for (email, handle) in [("eve@orgn.test", "evie"), ("finn@orgn.test", "")] {
        let body =
            format!("_csrf={admin_csrf}&email={email}&name=N&password=password123&handle={handle}");
        let added = request(
            app.addr,
            "POST",
            "/settings/members/users",
            &admin_form,
            body,
        )
        .await;
        assert_eq!(added.status, 303, "{}", added.body);
    }
    let members = request(app.addr, "GET", "/settings/members", &admin_form[..1], "").await;
    assert!(members.body.contains("@evie") && members.body.contains("@finn"));
    // Mentions follow the new handle.
    comment(&app, BOB, "ENG-2", "@ally see this; @alice is nobody now").await;
    assert_eq!(
        told(&app, ALICE).await.last(),
        Some(&("ENG-2".to_string(), NotificationKind::Mentioned))
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_typescript_sdk_client_reads_and_clears_its_inbox() {
    let app = TestApp::spawn().await;
    let bob = app.token_for(BOB).await;
    mcp_call(
        app.addr,
        &bob,
        "update_task",
        json!({"id": "ENG-3", "assignee": ALICE}),
    )
    .await;
    comment(&app, BOB, "ENG-2", "@alice a question").await;
    let alice = app.token_for(ALICE).await;
    let args = ["inbox.mjs", &app.base_url, &alice];
    let s = run_node_client(&args).await;
    assert_eq!(s["unread_before"], json!(3), "{s}");
    assert_eq!(
        s["seen"],
        json!([
            "ENG-2 mentioned by Bob",
            "ENG-3 assigned by MCP, as Bob",
            "ENG-1 assigned by Ada Admin"
        ])
    );
    let read = json!({"readOnlyHint": true, "destructiveHint": false, "idempotentHint": true, "openWorldHint": false});
    assert_eq!(s["hints"]["list_notifications"], read);
    assert_eq!(
        s["hints"]["mark_notifications_read"]["readOnlyHint"],
        json!(false)
    );
    assert_eq!(s["marked_one"], json!({"marked": 1, "unread": 2}));
    assert_eq!(s["marked_all"], json!({"marked": 2, "unread": 0}));
    assert_eq!(s["unread_after"], json!(0));
    assert!(s["text_after"].as_str().unwrap().starts_with("0 unread."));
    let actor = app.actor(ALICE).await;
    assert_eq!(app.workspace.unread_count(&actor).await.unwrap(), 0);
    app.stop().await;
}

#[tokio::test]
async fn history_says_who_and_through_which_channel_an_import_included() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let csv = "Title,Assignee\nImported row,bob@orgn.test\n";
    let job = orgn_jobs::start_import(ws, &alice, "ENG", csv)
        .await
        .unwrap();
    let job = wait_for_job(ws, &alice, job.id).await;
    assert_eq!(job.state, orgn_domain::model::JobState::Done, "{job:?}");
    let history = ws.task_history(&alice, &task_ref("ENG-4")).await.unwrap();
    assert_eq!(history[0].via.describe(), "an import", "{history:?}");
    // An import subscribes its assignees but tells nobody: a big one would bury an inbox.
    let bob = app.actor(BOB).await;
    assert!(told(&app, BOB).await.is_empty());
    assert!(ws.follows(&bob, &task_ref("ENG-4")).await.unwrap());
    let (cookie, _) = session(&app, ALICE).await;
    let page = request(app.addr, "GET", "/tasks/ENG-4", &[("Cookie", &cookie)], "").await;
    assert!(page.body.contains("via an import"), "{}", page.body);
    app.stop().await;
}

/// `orgn user create --handle`, and the handle made from the e-mail without it.
#[test]
fn the_command_line_creates_users_with_handles() {
    let data = TempDir::new();
    let create = |extra: &[&str]| {
        let mut args = vec!["user", "create", "--name", "Dee"];
        args.extend_from_slice(extra);
        std::process::Command::new(env!("CARGO_BIN_EXE_orgn"))
            .args(&args)
            .env("ORGN_DATA_DIR", &data.path)
            .env("ORGN_PASSWORD", "correct horse battery")
            .env_remove("RUST_LOG")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("orgn runs")
    };
    let made = create(&["--email", "dee@orgn.test"]);
    assert!(
        String::from_utf8_lossy(&made.stdout).contains("@dee)"),
        "{made:?}"
    );
    let given = create(&["--email", "dee2@orgn.test", "--handle", "DeeK"]);
    assert!(
        String::from_utf8_lossy(&given.stdout).contains("@deek)"),
        "{given:?}"
    );
    let taken = create(&["--email", "other@orgn.test", "--handle", "dee"]);
    assert!(!taken.status.success());
    let err = String::from_utf8_lossy(&taken.stderr);
    assert!(err.contains("the handle @dee is taken"), "{err}");
    let bad = create(&["--email", "x@orgn.test", "--handle", "no spaces"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not valid"));
}

#[tokio::test]
async fn completing_a_blocker_tells_the_people_waiting_once() {
    let app = TestApp::spawn().await;
    update(&app, ADMIN, "ENG-3", blocks("ENG-1")).await;
    let before = told(&app, ALICE).await.len();
    // Bob completes the blocker: Alice, who has ENG-1, hears of it on ENG-1, once.
    update(&app, BOB, "ENG-3", status("Done")).await;
    let after = told(&app, ALICE).await;
    assert_eq!(
        after[before..],
        [("ENG-1".to_string(), NotificationKind::BlockerCompleted)],
        "{after:?}"
    );
    // A move between open statuses of the blocker tells nobody it was completed.
    update(&app, BOB, "ENG-3", status("In Progress")).await;
    let kinds = told(&app, ALICE).await;
    let completions = kinds
        .iter()
        .filter(|(_, k)| *k == NotificationKind::BlockerCompleted)
        .count();
    assert_eq!(completions, 1, "{kinds:?}");
    app.stop().await;
}

#[tokio::test]
async fn marking_by_id_takes_at_most_a_hundred_ids() {
    let app = TestApp::spawn().await;
    let alice = app.actor(ALICE).await;
    let ids: Vec<NotificationId> = (1..=101).map(NotificationId::new).collect();
    let refused = app
        .workspace
        .mark_notifications(&alice, Some(&ids), true)
        .await;
    assert!(
        matches!(&refused, Err(orgn_domain::Error::Invalid(m)) if m.contains("all: true")),
        "{refused:?}"
    );
    let fine = app
        .workspace
        .mark_notifications(&alice, Some(&ids[..100]), true)
        .await;
    assert!(fine.is_ok(), "{fine:?}");
    app.stop().await;
}

/// A completed blocker of another team is named only while the reader can see it.
#[tokio::test]
async fn a_blocker_of_a_team_one_left_is_no_longer_named() {
    let app = TestApp::spawn().await;
    // The admin, in ENG and DES, created ENG-1 and follows it.
    update(&app, ADMIN, "DES-1", blocks("ENG-1")).await;
    update(&app, DANA, "DES-1", status("Done")).await;
    let named = |n: &Notification| n.kind == NotificationKind::BlockerCompleted;
    let told = inbox(&app, ADMIN).await;
    let before = told.iter().find(|n| named(n)).expect("told of DES-1");
    assert_eq!(before.detail.as_deref(), Some("DES-1"));
    app.workspace
        .remove_member(Caller::Operator, "DES", ADMIN)
        .await
        .unwrap();
    let told = inbox(&app, ADMIN).await;
    let after = told
        .iter()
        .find(|n| named(n))
        .expect("still told, on ENG-1");
    assert_eq!(after.detail, None, "{after:?}");
    assert_eq!(
        orgn_domain::what_happened(after),
        "completed a task that blocked it"
    );
    app.stop().await;
}
