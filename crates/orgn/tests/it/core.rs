//! The domain over the real SQLite store: identifiers, the access rule, history, search,
//! pagination and tokens.

use std::collections::HashSet;

use crate::support::*;
use orgn_domain::{Caller, Error, TaskDraft, TaskFilter, TaskPatch, TaskRef, TokenRejection};
use time::Duration;

fn draft(team: &str, title: &str) -> TaskDraft {
    TaskDraft {
        team: team.into(),
        title: title.into(),
        ..Default::default()
    }
}

fn is_not_found<T: std::fmt::Debug>(r: Result<T, Error>) -> bool {
    matches!(r, Err(Error::NotFound(_)))
}

/// Dates come from the workspace's clock, never from the machine's: a server started at
/// another date sees that date as today and stamps its changes with that time.
#[tokio::test]
async fn today_and_timestamps_come_from_the_clock() {
    let starts_at = time::macros::datetime!(2031-02-03 09:30 UTC);
    let app = TestApp::builder().clock_at(starts_at).spawn().await;
    assert_eq!(app.workspace.today(), starts_at.date());
    let admin = app.actor(ADMIN).await;
    let task = app
        .workspace
        .task(&admin, &task_ref("ENG-1"))
        .await
        .unwrap();
    assert_eq!(task.created_at, starts_at);
    app.clock.advance(Duration::hours(30));
    let patch = TaskPatch {
        title: Some("Fix the login redirect".into()),
        ..Default::default()
    };
    let task = app
        .workspace
        .update_task(&admin, &task_ref("ENG-1"), patch)
        .await
        .unwrap();
    assert_eq!(task.updated_at, starts_at + Duration::hours(30));
    assert_eq!(app.workspace.today(), starts_at.date().next_day().unwrap());
    app.stop().await;
}

#[tokio::test]
async fn concurrent_creates_get_distinct_consecutive_identifiers() {
    let app = TestApp::spawn().await;
    let alice = app.actor(ALICE).await;
    let mut handles = Vec::new();
    for i in 0..40 {
        let ws = app.workspace.clone();
        let alice = alice.clone();
        handles.push(tokio::spawn(async move {
            ws.create_task(&alice, draft("ENG", &format!("Concurrent {i}")))
                .await
                .unwrap()
                .number
        }));
    }
    let mut numbers = Vec::new();
    for h in handles {
        numbers.push(h.await.unwrap());
    }
    numbers.sort();
    // The fixture made ENG-1..ENG-3: the 40 new ones are exactly 4..=43, no duplicate, no gap.
    assert_eq!(numbers, (4..=43).collect::<Vec<i64>>());
    app.stop().await;
}

#[tokio::test]
async fn a_deleted_tasks_number_is_never_reused() {
    let app = TestApp::spawn().await;
    let alice = app.actor(ALICE).await;
    let task = app
        .workspace
        .create_task(&alice, draft("ENG", "To be deleted"))
        .await
        .unwrap();
    assert_eq!(task.identifier(), "ENG-4");
    app.workspace
        .delete_task(&alice, &task_ref("ENG-4"))
        .await
        .unwrap();
    assert!(is_not_found(
        app.workspace.task(&alice, &task_ref("ENG-4")).await
    ));
    let next = app
        .workspace
        .create_task(&alice, draft("ENG", "After the delete"))
        .await
        .unwrap();
    assert_eq!(next.identifier(), "ENG-5");
}

#[tokio::test]
async fn an_eng_member_sees_nothing_of_des() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    // Tasks: read, update, comment, history.
    assert!(is_not_found(ws.task(&alice, &task_ref("DES-1")).await));
    assert!(is_not_found(
        ws.update_task(
            &alice,
            &task_ref("DES-1"),
            TaskPatch {
                title: Some("x".into()),
                ..Default::default()
            }
        )
        .await
    ));
    assert!(is_not_found(
        ws.create_comment(&alice, &task_ref("DES-1"), "hello").await
    ));
    assert!(is_not_found(
        ws.task_history(&alice, &task_ref("DES-1")).await
    ));
    assert!(is_not_found(ws.comments(&alice, &task_ref("DES-1")).await));
    // A task that does not exist at all answers exactly the same way.
    let missing = ws
        .task(&alice, &task_ref("DES-999"))
        .await
        .unwrap_err()
        .to_string();
    let hidden = ws
        .task(&alice, &task_ref("DES-1"))
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(missing.replace("999", "1"), hidden);
    // Search: neither by text nor by team.
    let found = ws
        .search_tasks(
            &alice,
            TaskFilter {
                query: Some("moodboard".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(found.items.is_empty());
    let all = ws
        .search_tasks(
            &alice,
            TaskFilter {
                limit: Some(100),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // All three of ENG's tasks, and nothing else: an empty answer would not do.
    let mut shown: Vec<String> = all.items.iter().map(|t| t.identifier()).collect();
    shown.sort();
    assert_eq!(shown, ["ENG-1", "ENG-2", "ENG-3"], "only ENG tasks");
    assert!(is_not_found(
        ws.search_tasks(
            &alice,
            TaskFilter {
                team: Some("DES".into()),
                ..Default::default()
            }
        )
        .await
    ));
    // Projects, cycles, labels, docs.
    assert!(is_not_found(ws.project(&alice, "Rebrand").await));
    let projects: Vec<String> = ws
        .projects(&alice)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(projects, ["Website"], "ENG's project, not DES's Rebrand");
    assert!(is_not_found(ws.milestones(&alice, "Rebrand").await));
    assert!(is_not_found(ws.cycles(&alice, Some("DES")).await));
    assert!(is_not_found(ws.cycle(&alice, "DES", "current").await));
    let mut labels: Vec<String> = ws
        .labels(&alice, None)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    labels.sort();
    assert_eq!(
        labels,
        ["Bug", "Frontend"],
        "the workspace's and ENG's, not DES's Brand"
    );
    assert!(is_not_found(
        ws.update_label(&alice, "Brand", Some("Mine"), None).await
    ));
    assert!(is_not_found(
        ws.create_task(
            &alice,
            TaskDraft {
                labels: vec!["Brand".into()],
                ..draft("ENG", "x")
            }
        )
        .await
    ));
    let docs = ws.search_docs(&alice, Default::default()).await.unwrap();
    assert_eq!(
        docs.items
            .iter()
            .map(|d| d.title.as_str())
            .collect::<Vec<_>>(),
        ["Onboarding"]
    );
    let des_doc = app
        .workspace
        .search_docs(&app.actor(DANA).await, Default::default())
        .await
        .unwrap()
        .items[0]
        .id;
    assert!(is_not_found(ws.doc(&alice, des_doc).await));
    assert!(is_not_found(
        ws.update_doc(&alice, des_doc, Some("mine"), None, None)
            .await
    ));
    // Nor can a task in ENG be pointed at a DES project.
    assert!(is_not_found(
        ws.create_task(
            &alice,
            TaskDraft {
                project: Some("Rebrand".into()),
                ..draft("ENG", "x")
            }
        )
        .await
    ));
}

#[tokio::test]
async fn removing_a_member_ends_access_at_once() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    assert!(
        ws.task(&app.actor(ALICE).await, &task_ref("ENG-1"))
            .await
            .is_ok()
    );
    ws.remove_member(Caller::Operator, "ENG", ALICE)
        .await
        .unwrap();
    assert!(is_not_found(
        ws.task(&app.actor(ALICE).await, &task_ref("ENG-1")).await
    ));
}

#[tokio::test]
async fn every_change_is_recorded_in_the_history() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let bob = app.actor(BOB).await;
    let patch = TaskPatch {
        status: Some("In Progress".into()),
        assignee: Some("me".into()),
        priority: Some("urgent".into()),
        ..Default::default()
    };
    let task = ws
        .update_task(&bob, &task_ref("ENG-2"), patch)
        .await
        .unwrap();
    assert_eq!(task.status.name, "In Progress");
    assert!(
        task.started_at.is_some(),
        "starting a task stamps started_at"
    );
    let history = ws.task_history(&bob, &task_ref("ENG-2")).await.unwrap();
    let fields: Vec<(&str, Option<&str>, Option<&str>, &str)> = history
        .iter()
        .map(|e| {
            (
                e.field.as_str(),
                e.old.as_deref(),
                e.new.as_deref(),
                e.actor.email.as_str(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("created", None, Some("ENG-2"), ADMIN),
            ("status", Some("Todo"), Some("In Progress"), BOB),
            ("priority", Some("None"), Some("Urgent"), BOB),
            ("assignee", None, Some("Bob"), BOB),
        ]
    );
    // An update that changes nothing records nothing.
    ws.update_task(
        &bob,
        &task_ref("ENG-2"),
        TaskPatch {
            status: Some("in progress".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        ws.task_history(&bob, &task_ref("ENG-2"))
            .await
            .unwrap()
            .len(),
        4
    );
}

#[tokio::test]
async fn a_wrong_reference_changes_nothing_and_lists_the_choices() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let patch = TaskPatch {
        title: Some("Renamed".into()),
        status: Some("Doing".into()),
        ..Default::default()
    };
    let err = ws
        .update_task(&alice, &task_ref("ENG-1"), patch)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "Status \"Doing\" not found in ENG; valid: Backlog, Todo, In Progress, Done, Canceled"
    );
    let task = ws.task(&alice, &task_ref("ENG-1")).await.unwrap();
    assert_eq!(
        task.title, "Fix login redirect",
        "the valid part of a bad patch is not written"
    );
    assert_eq!(
        ws.task_history(&alice, &task_ref("ENG-1"))
            .await
            .unwrap()
            .len(),
        1
    );
    let err = ws
        .create_task(
            &alice,
            TaskDraft {
                assignee: Some("dana@orgn.test".into()),
                ..draft("ENG", "x")
            },
        )
        .await
        .unwrap_err();
    let message = err.to_string();
    let (_, choices) = message
        .split_once("valid: ")
        .expect("the error lists the valid choices");
    assert_eq!(
        choices, "admin@orgn.test, alice@orgn.test, bob@orgn.test",
        "a DES-only person is not offered"
    );
}

#[tokio::test]
async fn search_ranks_title_matches_first_and_combines_filters() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    ws.create_task(
        &alice,
        TaskDraft {
            description: Some("the billing page is slow".into()),
            ..draft("ENG", "Refactor the invoices module")
        },
    )
    .await
    .unwrap();
    ws.create_task(&alice, draft("ENG", "Billing page crashes on load"))
        .await
        .unwrap();
    ws.create_task(
        &alice,
        TaskDraft {
            priority: Some("high".into()),
            labels: vec!["Bug".into()],
            assignee: Some("me".into()),
            ..draft("ENG", "Billing totals are wrong")
        },
    )
    .await
    .unwrap();
    let search = |filter: TaskFilter| async {
        ws.search_tasks(&alice, filter)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|t| t.title)
            .collect::<Vec<_>>()
    };
    let ranked = search(TaskFilter {
        query: Some("billing".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(ranked.len(), 3);
    assert_eq!(
        ranked[2], "Refactor the invoices module",
        "a description-only match ranks last: {ranked:?}"
    );
    // Prefix match, stemming, and identifiers.
    assert_eq!(
        search(TaskFilter {
            query: Some("crash".into()),
            ..Default::default()
        })
        .await,
        ["Billing page crashes on load"]
    );
    assert_eq!(
        search(TaskFilter {
            query: Some("ENG-1".into()),
            ..Default::default()
        })
        .await[0],
        "Fix login redirect"
    );
    // Filters combine with AND.
    let filtered = TaskFilter {
        query: Some("billing".into()),
        priority: Some("high".into()),
        labels: vec!["bug".into()],
        assignee: Some("me".into()),
        statuses: vec!["unstarted".into()],
        ..Default::default()
    };
    assert_eq!(search(filtered).await, ["Billing totals are wrong"]);
    assert_eq!(
        search(TaskFilter {
            project: Some("Website".into()),
            ..Default::default()
        })
        .await,
        ["Fix login redirect"]
    );
    assert_eq!(
        search(TaskFilter {
            team: Some("ENG".into()),
            cycle: Some("current".into()),
            ..Default::default()
        })
        .await,
        ["Paginate the board"]
    );
    assert_eq!(
        search(TaskFilter {
            assignee: Some("none".into()),
            query: Some("billing".into()),
            ..Default::default()
        })
        .await
        .len(),
        2
    );
    // FTS syntax in the input is text, not an operator.
    assert!(
        search(TaskFilter {
            query: Some("\"billing\" OR * NEAR(".into()),
            ..Default::default()
        })
        .await
        .len()
            <= 3
    );
}

#[tokio::test]
async fn text_search_pages_through_tiers_title_then_anywhere_then_prefix() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let mut expected = Vec::new();
    for i in 0..4 {
        let title = format!("Quasar in the title {i}");
        ws.create_task(&alice, draft("ENG", &title)).await.unwrap();
        expected.insert(0, title);
    }
    let mut anywhere = Vec::new();
    for i in 0..4 {
        let title = format!("Described only {i}");
        ws.create_task(
            &alice,
            TaskDraft {
                description: Some("a quasar somewhere below".into()),
                ..draft("ENG", &title)
            },
        )
        .await
        .unwrap();
        anywhere.insert(0, title);
    }
    let mut prefixed = Vec::new();
    for i in 0..3 {
        let title = format!("Quasarlike glow {i}");
        ws.create_task(&alice, draft("ENG", &title)).await.unwrap();
        prefixed.insert(0, title);
    }
    expected.extend(anywhere);
    expected.extend(prefixed);

    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let filter = TaskFilter {
            query: Some("quasar".into()),
            limit: Some(3),
            cursor: cursor.clone(),
            ..Default::default()
        };
        let page = ws.search_tasks(&alice, filter).await.unwrap();
        seen.extend(page.items.into_iter().map(|t| t.title));
        // A new best match while paging belongs to a fresh search, not to this one.
        ws.create_task(&alice, draft("ENG", "Quasar added meanwhile"))
            .await
            .unwrap();
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(
        seen, expected,
        "title matches, then matches anywhere, then prefixes; newest first in each"
    );
}

#[tokio::test]
async fn pages_lose_and_repeat_nothing_while_tasks_are_added() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    for i in 0..30 {
        ws.create_task(&alice, draft("ENG", &format!("Paging item {i}")))
            .await
            .unwrap();
    }
    for query in [None, Some("paging item".to_string())] {
        let mut seen = Vec::new();
        let mut cursor = None;
        let mut pages = 0;
        loop {
            let filter = TaskFilter {
                query: query.clone(),
                team: Some("ENG".into()),
                limit: Some(7),
                cursor: cursor.clone(),
                ..Default::default()
            };
            let page = ws.search_tasks(&alice, filter).await.unwrap();
            pages += 1;
            seen.extend(page.items.iter().map(|t| t.identifier()));
            // Someone adds a task while we page: it must not disturb what we see.
            ws.create_task(&alice, draft("ENG", &format!("Added meanwhile {pages}")))
                .await
                .unwrap();
            match page.next_cursor {
                Some(c) => {
                    assert_eq!(page.items.len(), 7, "a page before the last is full");
                    cursor = Some(c);
                }
                None => break,
            }
        }
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no task repeated: {seen:?}");
        let expected = if query.is_some() { 30 } else { 33 };
        assert_eq!(
            seen.len(),
            expected,
            "every task that existed when paging began was seen once"
        );
    }
    let bad = ws
        .search_tasks(
            &alice,
            TaskFilter {
                cursor: Some("not-a-cursor".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(bad, Err(Error::Invalid(_))));
    let too_many = ws
        .search_tasks(
            &alice,
            TaskFilter {
                limit: Some(101),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(too_many, Err(Error::Invalid(_))));
}

#[tokio::test]
async fn tokens_are_replaced_at_once_and_expire_after_30_days() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let (first, info) = ws.generate_token(&alice).await.unwrap();
    assert_eq!(info.expires_at - info.created_at, Duration::days(30));
    assert!(ws.authenticate_token(&first).await.unwrap().is_ok());
    let (second, _) = ws.generate_token(&alice).await.unwrap();
    assert_eq!(
        ws.authenticate_token(&first).await.unwrap().unwrap_err(),
        TokenRejection::Unknown
    );
    let (actor, _) = ws.authenticate_token(&second).await.unwrap().unwrap();
    assert_eq!(actor.user().email, ALICE);
    // The stored hint shows the token's last four characters, never the token.
    let shown = ws.token_info(&alice).await.unwrap().unwrap();
    assert!(shown.hint.ends_with(&second[second.len() - 4..]) && shown.hint.len() < 20);
    app.clock.advance(Duration::days(30) - Duration::seconds(1));
    assert!(ws.authenticate_token(&second).await.unwrap().is_ok());
    app.clock.advance(Duration::seconds(1));
    assert!(matches!(
        ws.authenticate_token(&second).await.unwrap(),
        Err(TokenRejection::Expired(_))
    ));
    assert_eq!(
        ws.authenticate_token("orgn_pat_nope")
            .await
            .unwrap()
            .unwrap_err(),
        TokenRejection::Malformed
    );
}

#[tokio::test]
async fn bulk_status_change_is_all_or_nothing() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let admin = app.actor(ADMIN).await;
    let ids = vec![
        "ENG-1".to_string(),
        "ENG-2".to_string(),
        "DES-1".to_string(),
    ];
    // "Done" exists in both teams: all three change, one history entry each.
    let done = ws.set_status_many(&admin, &ids, "Done").await.unwrap();
    assert_eq!(done.len(), 3, "{done:?}");
    assert!(
        done.iter()
            .all(|t| t.status.name == "Done" && t.completed_at.is_some())
    );
    // One invisible identifier: nothing changes.
    let alice = app.actor(ALICE).await;
    let err = ws
        .set_status_many(
            &alice,
            &["ENG-3".to_string(), "DES-2".to_string()],
            "Canceled",
        )
        .await;
    assert!(is_not_found(err));
    assert_eq!(
        ws.task(&alice, &task_ref("ENG-3"))
            .await
            .unwrap()
            .status
            .name,
        "Todo"
    );
}

/// A bulk change is kept in the database, so another server process undoes it; only its
/// author can, once, within 30 minutes, and the undo checks access again.
#[tokio::test]
async fn another_process_undoes_a_bulk_change_once_for_its_author_within_30_minutes() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let bob = app.actor(BOB).await;
    let ids = vec!["ENG-1".to_string(), "ENG-3".to_string()];
    ws.update_task(
        &alice,
        &task_ref("ENG-3"),
        TaskPatch {
            status: Some("In Progress".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let change = ws
        .set_status_many_undoable(&alice, &ids, "Done")
        .await
        .unwrap();
    assert_eq!(change.status, "Done");
    assert_eq!(
        change.previous,
        [
            ("ENG-1".to_string(), "Todo".to_string()),
            ("ENG-3".to_string(), "In Progress".to_string())
        ]
    );

    let other = app.other_process().await;
    assert!(
        is_not_found(other.undo_bulk_change(&bob, change.id).await),
        "someone else's change"
    );
    assert!(is_not_found(other.bulk_change(&bob, change.id).await));
    assert_eq!(other.bulk_change(&alice, change.id).await.unwrap(), change);
    let undone = other.undo_bulk_change(&alice, change.id).await.unwrap();
    assert_eq!(
        undone
            .iter()
            .map(|t| (t.identifier(), t.status.name.clone()))
            .collect::<Vec<_>>(),
        change.previous
    );
    assert!(
        is_not_found(ws.undo_bulk_change(&alice, change.id).await),
        "an undo happens once"
    );
    assert_eq!(
        ws.task(&alice, &task_ref("ENG-3"))
            .await
            .unwrap()
            .status
            .name,
        "In Progress"
    );
    let history = ws.task_history(&alice, &task_ref("ENG-1")).await.unwrap();
    assert_eq!(
        history.iter().filter(|e| e.field == "status").count(),
        2,
        "the change and its undo"
    );

    // After 30 minutes the change is gone for good, and nothing changes.
    let late = ws
        .set_status_many_undoable(&alice, &ids, "Canceled")
        .await
        .unwrap();
    app.clock.advance(Duration::minutes(31));
    assert!(is_not_found(other.undo_bulk_change(&alice, late.id).await));
    assert_eq!(
        ws.task(&alice, &task_ref("ENG-1"))
            .await
            .unwrap()
            .status
            .name,
        "Canceled"
    );
    // The next change forgets the expired ones.
    let next = ws
        .set_status_many_undoable(&alice, &["ENG-2".to_string()], "Done")
        .await
        .unwrap();
    assert!(next.id > late.id);
    app.clock.advance(Duration::minutes(-31));
    assert!(
        is_not_found(ws.bulk_change(&alice, late.id).await),
        "expired changes are deleted"
    );
}

#[tokio::test]
async fn progress_follows_every_change_of_a_task() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let alice = &alice;
    let progress =
        |name: &'static str| async move { ws.project(alice, name).await.unwrap().progress };
    let website = TaskDraft {
        project: Some("Website".into()),
        cycle: Some("current".into()),
        ..draft("ENG", "Counted")
    };
    for _ in 0..3 {
        ws.create_task(alice, website.clone()).await.unwrap();
    }
    // The fixture's ENG-1 is in Website too: 4 tasks, none done.
    assert_eq!(
        (
            progress("Website").await.total,
            progress("Website").await.completed
        ),
        (4, 0)
    );
    ws.update_task(
        alice,
        &task_ref("ENG-4"),
        TaskPatch {
            status: Some("Done".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    ws.update_task(
        alice,
        &task_ref("ENG-5"),
        TaskPatch {
            status: Some("Canceled".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let p = progress("Website").await;
    assert_eq!(
        (p.total, p.completed, p.canceled, p.percent()),
        (4, 1, 1, 33),
        "canceled tasks count neither way"
    );
    ws.update_task(
        alice,
        &task_ref("ENG-4"),
        TaskPatch {
            project: Some("none".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (
            progress("Website").await.total,
            progress("Website").await.completed
        ),
        (3, 0)
    );
    ws.delete_task(alice, &task_ref("ENG-6")).await.unwrap();
    assert_eq!(progress("Website").await.total, 2);
    ws.restore_task(alice, &task_ref("ENG-6")).await.unwrap();
    assert_eq!(progress("Website").await.total, 3);
    let cycle = ws.cycle(alice, "ENG", "current").await.unwrap().progress;
    // ENG-3 (fixture) and ENG-4..6 are in the current cycle; ENG-4 is done, ENG-5 canceled.
    assert_eq!((cycle.total, cycle.completed, cycle.canceled), (4, 1, 1));
    ws.set_status_many(alice, &["ENG-3".to_string(), "ENG-6".to_string()], "Done")
        .await
        .unwrap();
    let cycle = ws.cycle(alice, "ENG", "current").await.unwrap().progress;
    assert_eq!((cycle.completed, cycle.percent()), (3, 100));
}

#[tokio::test]
async fn bulk_inserts_write_what_single_inserts_write() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let admin = app.actor(ADMIN).await;
    // Prepared through the domain, inserted in one bulk transaction (600 crosses a chunk edge).
    let mut tasks = Vec::new();
    for i in 0..600 {
        let team = if i % 2 == 0 { "ENG" } else { "DES" };
        let draft = TaskDraft {
            labels: vec!["Bug".into()],
            project: (team == "ENG").then(|| "Website".to_string()),
            status: Some(if i % 3 == 0 { "Done" } else { "Todo" }.into()),
            ..draft(team, &format!("Bulk zebra {i}"))
        };
        tasks.push(ws.prepare_task(&admin, draft).await.unwrap());
    }
    ws.seed_tasks(Caller::Operator, &tasks).await.unwrap();
    let eng = ws.task(&admin, &task_ref("ENG-303")).await.unwrap();
    assert_eq!(
        (
            eng.title.as_str(),
            eng.labels.len(),
            eng.project.as_ref().map(|p| p.name.as_str())
        ),
        ("Bulk zebra 598", 1, Some("Website"))
    );
    assert!(
        is_not_found(ws.task(&admin, &task_ref("ENG-304")).await),
        "300 ENG tasks after the fixture's 3"
    );
    assert_eq!(
        ws.task(&admin, &task_ref("DES-302")).await.unwrap().title,
        "Bulk zebra 599"
    );
    assert_eq!(
        ws.task_history(&admin, &task_ref("DES-302")).await.unwrap()[0]
            .new
            .as_deref(),
        Some("DES-302")
    );
    let found = ws
        .search_tasks(
            &admin,
            TaskFilter {
                query: Some("zebra".into()),
                limit: Some(100),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(found.items.len(), 100);
    let website = ws.project(&admin, "Website").await.unwrap().progress;
    // 300 ENG tasks in Website (every other one of 600), a third of all 600 done: i % 6 == 0.
    assert_eq!((website.total, website.completed), (301, 100));
    let next = ws
        .create_task(&admin, draft("ENG", "After the bulk"))
        .await
        .unwrap();
    assert_eq!(next.identifier(), "ENG-304");
}

#[tokio::test]
async fn only_admins_delete_labels_and_a_deleted_label_leaves_every_task() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let admin = app.actor(ADMIN).await;
    ws.create_label(&alice, Some("ENG"), "Flaky", None)
        .await
        .unwrap();
    let task = ws
        .create_task(
            &alice,
            TaskDraft {
                labels: vec!["Flaky".into(), "Bug".into()],
                ..draft("ENG", "Retry the sync")
            },
        )
        .await
        .unwrap();
    let (label, tasks) = ws.label_with_task_count(&admin, "flaky").await.unwrap();
    assert_eq!((label.name.as_str(), tasks), ("Flaky", 1));

    // A member of the team may not; nothing changes.
    let refused = ws.delete_label(&alice, "Flaky").await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    assert!(ws.visible_label(&alice, "Flaky").await.is_ok());
    // Nor may a team admin delete a workspace-wide label, unless a workspace admin.
    ws.create_label(&admin, None, "Customer", None)
        .await
        .unwrap();
    let refused = ws.delete_label(&alice, "Customer").await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");

    let deleted = ws.delete_label(&admin, "Flaky").await.unwrap();
    assert_eq!(deleted.name, "Flaky");
    let labels: Vec<String> = ws
        .task(&alice, &TaskRef::from(&task))
        .await
        .unwrap()
        .labels
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(
        labels,
        ["Bug"],
        "the label left the task, the others stayed"
    );
    assert!(matches!(
        ws.visible_label(&alice, "Flaky").await,
        Err(Error::NotFound(_) | Error::Invalid(_))
    ));
    // A label of a team the actor cannot see is not found, as anything else there.
    ws.create_label(&admin, Some("DES"), "Palette", None)
        .await
        .unwrap();
    assert!(is_not_found(ws.delete_label(&alice, "Palette").await));
    assert!(ws.visible_label(&admin, "Palette").await.is_ok());
}

/// Workspace-wide labels show on every team's tasks: only workspace admins create, rename or
/// recolor them. Team labels stay with the team's members. A refusal changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_workspace_admins_change_workspace_wide_labels() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let admin = app.actor(ADMIN).await;
    let loner = ws
        .create_user(Caller::Operator, "loner@orgn.test", "Lone", PASSWORD, false)
        .await
        .unwrap();
    let loner = ws.actor(loner.id).await.unwrap();
    for (who, actor) in [("a team member", &alice), ("a user in no team", &loner)] {
        let refused = ws.create_label(actor, None, "Everywhere", None).await;
        assert!(
            matches!(refused, Err(Error::Forbidden(_))),
            "{who}: {refused:?}"
        );
        let refused = ws
            .update_label(actor, "Bug", Some("Bugz"), Some("#000000"))
            .await;
        assert!(
            matches!(refused, Err(Error::Forbidden(_))),
            "{who}: {refused:?}"
        );
    }
    let bug = ws.visible_label(&admin, "Bug").await.unwrap();
    assert_eq!((bug.name.as_str(), bug.color.as_str()), ("Bug", "#e5484d"));
    assert!(matches!(
        ws.visible_label(&admin, "Everywhere").await,
        Err(Error::Invalid(_) | Error::NotFound(_))
    ));
    // Team labels: any member of the team; workspace labels: a workspace admin.
    ws.create_label(&alice, Some("ENG"), "Flaky", None)
        .await
        .unwrap();
    ws.update_label(&alice, "Frontend", None, Some("#123456"))
        .await
        .unwrap();
    ws.create_label(&admin, None, "Everywhere", None)
        .await
        .unwrap();
    ws.update_label(&admin, "Bug", Some("Defect"), None)
        .await
        .unwrap();
    app.stop().await;
}

/// Titles and names are one line of what people will read: line breaks and tabs become
/// spaces; NUL, ESC and the bidirectional overrides (which make text display other than it
/// is) are dropped. Descriptions and comments keep their lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn titles_and_names_drop_control_characters() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let task = ws
        .create_task(
            &alice,
            TaskDraft {
                description: Some("line one\nline two".into()),
                ..draft(
                    "ENG",
                    "Pay\u{0} \u{1b}[31minvoice\u{202e}fdp.exe\tnow\nplease",
                )
            },
        )
        .await
        .unwrap();
    assert_eq!(task.title, "Pay [31minvoicefdp.exe now please");
    assert_eq!(task.description, "line one\nline two");
    let renamed = ws
        .update_task(
            &alice,
            &TaskRef::from(&task),
            TaskPatch {
                title: Some("\u{2066}Renamed\u{2069}\r\n".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.title, "Renamed");
    let label = ws
        .create_label(&alice, Some("ENG"), "Ur\u{202d}gent\u{7}", None)
        .await
        .unwrap();
    assert_eq!(label.name, "Urgent");
    app.stop().await;
}

/// A cycle lasts one day to eight weeks, within sane dates: a cycle from year 1 to 2000 (a
/// 26 MB page and its burn-up once) is refused, and so is stretching a cycle past the bound.
/// A date with a typo for a year (`0002-12-15`) is refused anywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cycles_and_dates_are_bounded() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let cycle = |starts_on: &str, ends_on: &str| orgn_domain::CycleDraft {
        team: "ENG".into(),
        name: Some("Bounded".into()),
        starts_on: starts_on.into(),
        ends_on: ends_on.into(),
    };
    let before = ws.cycles(&alice, Some("ENG")).await.unwrap().len();
    for (starts_on, ends_on) in [("0001-01-01", "2000-12-31"), ("2030-01-01", "2030-03-31")] {
        let refused = ws.create_cycle(&alice, cycle(starts_on, ends_on)).await;
        assert!(
            matches!(refused, Err(Error::Invalid(_))),
            "{starts_on}: {refused:?}"
        );
    }
    assert_eq!(ws.cycles(&alice, Some("ENG")).await.unwrap().len(), before);
    let made = ws
        .create_cycle(&alice, cycle("2030-01-07", "2030-03-03"))
        .await
        .expect("eight weeks is allowed");
    let stretched = ws
        .update_cycle(
            &alice,
            "ENG",
            &made.number.to_string(),
            orgn_domain::CyclePatch {
                ends_on: Some("2030-03-04".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(stretched, Err(Error::Invalid(_))), "{stretched:?}");
    let kept = ws.cycles(&alice, Some("ENG")).await.unwrap();
    let kept = kept.iter().find(|c| c.id == made.id).unwrap();
    assert_eq!(kept.ends_on.to_string(), "2030-03-03");
    let typo = ws
        .create_task(
            &alice,
            TaskDraft {
                due_date: Some("0002-12-15".into()),
                ..draft("ENG", "Due in year 2")
            },
        )
        .await;
    assert!(matches!(typo, Err(Error::Invalid(_))), "{typo:?}");
    app.stop().await;
}

/// A new password signs out whoever knew the old one: every other session of the person
/// ends, the one that changed it stays, and other people's sessions are untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_ends_the_persons_other_sessions() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let bob = app.actor(BOB).await;
    let here = ws.start_session(alice.user()).await.unwrap();
    let elsewhere = ws.start_session(alice.user()).await.unwrap();
    let bobs = ws.start_session(bob.user()).await.unwrap();
    let wrong = ws
        .change_password(&alice, &here.id, "not-the-password", "a-new-password")
        .await;
    assert!(matches!(wrong, Err(Error::Invalid(_))), "{wrong:?}");
    assert!(
        ws.session_actor(&elsewhere.id).await.is_ok(),
        "a refusal ends nothing"
    );
    ws.change_password(&alice, &here.id, PASSWORD, "a-new-password")
        .await
        .unwrap();
    assert!(ws.session_actor(&here.id).await.is_ok());
    assert!(matches!(
        ws.session_actor(&elsewhere.id).await,
        Err(Error::Unauthenticated(_))
    ));
    assert!(ws.session_actor(&bobs.id).await.is_ok());
    assert!(ws.sign_in(ALICE, "a-new-password").await.is_ok());
    app.stop().await;
}
