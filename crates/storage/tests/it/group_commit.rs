//! Concurrent inserts share commits, and one bad insert fails alone.

use std::sync::Arc;

use orgn_domain::clock::SystemClock;
use orgn_domain::model::Priority;
use orgn_domain::model::TeamId;
use orgn_domain::store::*;
use orgn_domain::{Caller, Workspace};
use orgn_storage::SqliteStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_insert_does_not_fail_the_others_in_its_batch() {
    let dir = std::env::temp_dir().join(format!("orgn-group-commit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = SqliteStore::open(&dir).await.unwrap();
    let ws = Workspace::new(Arc::new(store.clone()), Arc::new(SystemClock));
    let user = ws
        .create_user(Caller::Operator, "a@example.com", "A", "password123", true)
        .await
        .unwrap();
    ws.create_team(Caller::Operator, "ENG", "Engineering")
        .await
        .unwrap();
    ws.add_member(
        Caller::Operator,
        "ENG",
        "a@example.com",
        orgn_domain::model::Role::Member,
    )
    .await
    .unwrap();
    let actor = ws.actor(user.id).await.unwrap();
    let team = actor.memberships()[0].team.id;
    let status = ws.statuses(&actor, "ENG").await.unwrap()[0].id;
    let task = |team_id: TeamId, title: String| NewTask {
        team_id,
        title,
        description: String::new(),
        status_id: status,
        priority: Priority::NONE,
        assignee_id: None,
        creator_id: user.id,
        label_ids: vec![],
        project_id: None,
        milestone_id: None,
        cycle_id: None,
        due_date: None,
        estimate: None,
        times: Lifecycle::default(),
        now: ws.now(),
        via: orgn_domain::changes::Via::web(),
        inbox: Default::default(),
    };
    let mut handles = Vec::new();
    for i in 0..200 {
        let store = store.clone();
        // Every tenth insert names a team that does not exist.
        let t = if i % 10 == 0 {
            task(TeamId::new(9999), format!("bad {i}"))
        } else {
            task(team, format!("good {i}"))
        };
        handles.push(tokio::spawn(async move { store.insert_task(t).await }));
    }
    let mut ok = 0;
    let mut failed = 0;
    for h in handles {
        match h.await.unwrap() {
            Ok(_) => ok += 1,
            Err(_) => failed += 1,
        }
    }
    assert_eq!((ok, failed), (180, 20));
    assert_eq!(store.count_tasks().await.unwrap(), 180);
    let numbers: Vec<i64> = {
        let mut n = Vec::new();
        for i in 1..=180 {
            n.push(
                store
                    .task_id_by_number(team, i)
                    .await
                    .unwrap()
                    .map(|_| i)
                    .unwrap_or(0),
            );
        }
        n
    };
    assert!(
        numbers.iter().all(|n| *n > 0),
        "numbers 1..=180 all taken, no gap left by the failures"
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
