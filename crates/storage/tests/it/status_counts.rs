//! The live-task counters per (team, status) that unfiltered lists and boards read: after a
//! workload of every change that moves a task in or out of a count (single, concurrent and
//! bulk inserts, status changes one by one and in bulk with their undo, deletes, restores,
//! purges), they equal a fresh `GROUP BY` over the tasks, and the store's counts from them
//! equal its counts by scan; migration 0015 fills them from the rows a database has. On
//! SQLite, and on PostgreSQL when `ORGN_TEST_DATABASE_URL` is set.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use orgn_domain::changes::Via;
use orgn_domain::clock::SystemClock;
use orgn_domain::model::*;
use orgn_domain::store::*;
use orgn_domain::{Actor, Caller, ProjectDraft, TaskDraft, TaskPatch, TaskRef, Workspace};
use orgn_storage::postgres::drop_database;
use orgn_storage::sqlite::DATABASE_FILE;
use orgn_storage::{PgStore, SqliteStore};
use sqlx::Connection;
use time::OffsetDateTime;

use super::postgres::{fresh, server};

/// (team id, status id, live tasks), in key order, none 0.
type Counts = Vec<(i64, i64, i64)>;

const COUNTERS: &str =
    "SELECT team_id, status_id, n FROM team_status_counts WHERE n <> 0 ORDER BY team_id, status_id";
const GROUP_BY: &str = "SELECT team_id, status_id, count(*) AS n FROM tasks WHERE deleted_at IS NULL \
     GROUP BY team_id, status_id ORDER BY team_id, status_id";
/// Takes migration 0015 back, so that the next open applies it to the rows there are.
const UNDO_0015: &str =
    "DROP TABLE team_status_counts; DELETE FROM schema_migrations WHERE version = 15";

fn ident(task: &Task) -> TaskRef {
    TaskRef::from(task)
}

fn draft(team: &str, title: &str, status: Option<&str>) -> TaskDraft {
    TaskDraft {
        team: team.into(),
        title: title.into(),
        status: status.map(Into::into),
        ..Default::default()
    }
}

fn imported(team: &Team, status: StatusId, creator: UserId, n: usize) -> Vec<NewTask> {
    (0..n)
        .map(|i| NewTask {
            team_id: team.id,
            title: format!("imported {i}"),
            description: String::new(),
            status_id: status,
            priority: Priority::NONE,
            assignee_id: None,
            creator_id: creator,
            label_ids: vec![],
            project_id: None,
            milestone_id: None,
            cycle_id: None,
            due_date: None,
            estimate: None,
            times: Lifecycle::default(),
            now: OffsetDateTime::now_utc(),
            via: Via::web(),
            inbox: Default::default(),
        })
        .collect()
}

/// Two teams; tasks made one by one, ten at once (SQLite's group commit gathers those),
/// and imported; statuses changed singly and in bulk, one bulk change undone; tasks deleted,
/// restored and purged. The teams, for counting.
async fn workload(store: Arc<dyn Store>) -> Vec<Team> {
    let (ws, actor, teams) = two_teams(store.clone()).await;
    let statuses = store.statuses(teams[0].id).await.unwrap();
    let (first, last) = (&statuses[0], &statuses[statuses.len() - 1]);

    let mut tasks = Vec::new();
    for (i, team) in ["ENG", "OPS", "ENG"].iter().enumerate() {
        let status = (i == 2).then_some(last.name.as_str());
        tasks.push(
            ws.create_task(&actor, draft(team, "one", status))
                .await
                .unwrap(),
        );
    }
    let together = created_at_once(&ws, &actor, 10).await;
    tasks.extend(together);
    store
        .insert_tasks(&imported(&teams[0], first.id, actor.id(), 25))
        .await
        .unwrap();
    store
        .insert_tasks(&imported(
            &teams[1],
            store.statuses(teams[1].id).await.unwrap()[1].id,
            actor.id(),
            7,
        ))
        .await
        .unwrap();

    let patch = TaskPatch {
        status: Some(statuses[1].name.clone()),
        ..Default::default()
    };
    ws.update_task(&actor, &ident(&tasks[0]), patch)
        .await
        .unwrap();
    let ids: Vec<String> = tasks[3..9].iter().map(|t| ident(t).to_string()).collect();
    // One task named twice: counted out of its status once.
    let twice = [&ids[..3], &ids[..1]].concat();
    let kept = ws
        .set_status_many_undoable(&actor, &twice, &last.name)
        .await
        .unwrap();
    let undone = ws
        .set_status_many_undoable(&actor, &ids, &statuses[2].name)
        .await
        .unwrap();
    ws.undo_bulk_change(&actor, undone.id).await.unwrap();
    assert_eq!(ws.bulk_change(&actor, kept.id).await.unwrap().id, kept.id);

    for t in &tasks[5..11] {
        ws.delete_task(&actor, &ident(t)).await.unwrap();
    }
    ws.restore_task(&actor, &ident(&tasks[5])).await.unwrap();
    ws.purge_task(&actor, &ident(&tasks[6])).await.unwrap();
    // A restored task that changes status, then goes again.
    let patch = TaskPatch {
        status: Some(last.name.clone()),
        ..Default::default()
    };
    ws.update_task(&actor, &ident(&tasks[5]), patch)
        .await
        .unwrap();
    ws.delete_task(&actor, &ident(&tasks[1])).await.unwrap();
    store
        .purge_deleted_before(OffsetDateTime::now_utc() + time::Duration::days(1))
        .await
        .unwrap();
    teams
}

/// A workspace of two teams, ENG and OPS, with an admin of both.
async fn two_teams(store: Arc<dyn Store>) -> (Workspace, Actor, Vec<Team>) {
    let ws = Workspace::new(store, Arc::new(SystemClock));
    let admin = ws
        .create_user(Caller::Operator, "a@example.com", "A", "password123", true)
        .await
        .unwrap();
    let mut teams = Vec::new();
    for key in ["ENG", "OPS"] {
        teams.push(ws.create_team(Caller::Operator, key, key).await.unwrap());
        ws.add_member(Caller::Operator, key, "a@example.com", Role::Admin)
            .await
            .unwrap();
    }
    let actor = ws.actor(admin.id).await.unwrap();
    (ws, actor, teams)
}

/// Eight writers at once setting the same twenty tasks of a project to Todo or Done, over
/// and over (on PostgreSQL each in its own transaction and connection): no deadlock, and
/// no task counted out of a status twice. The project's progress as it ends, and Done.
async fn concurrent_status_changes(store: Arc<dyn Store>) -> (Progress, StatusId) {
    let (ws, actor, teams) = two_teams(store.clone()).await;
    let statuses = store.statuses(teams[0].id).await.unwrap();
    let project = ProjectDraft {
        name: "Contended".into(),
        teams: vec!["ENG".into()],
        ..Default::default()
    };
    let project = ws.create_project(&actor, project).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..20 {
        let mut task = draft("ENG", &format!("contended {i}"), None);
        task.project = Some(project.name.clone());
        ids.push(ident(&ws.create_task(&actor, task).await.unwrap()).to_string());
    }
    let (todo, done) = (&statuses[1], &statuses[3]);
    assert_eq!(done.kind, StatusKind::Completed);
    let mut writers = Vec::new();
    for w in 0..8 {
        let (ws, actor, ids) = (ws.clone(), actor.clone(), ids.clone());
        let status = [todo, done][w % 2].name.clone();
        writers.push(tokio::spawn(async move {
            for _ in 0..25 {
                ws.set_status_many(&actor, &ids, &status).await.unwrap();
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    let project = store.project(project.id).await.unwrap().unwrap();
    (project.progress, done.id)
}

/// The counters equal a fresh `GROUP BY` of the twenty contended tasks, and their project's
/// progress counts as completed those in `done`.
fn expect_exact(counters: Counts, group_by: Counts, (progress, done): (Progress, StatusId)) {
    assert_eq!(counters, group_by);
    assert_eq!(group_by.iter().map(|r| r.2).sum::<i64>(), 20);
    let in_done: i64 = group_by
        .iter()
        .filter(|r| r.1 == done.get())
        .map(|r| r.2)
        .sum();
    assert_eq!(
        (progress.total, progress.completed),
        (20, in_done),
        "{progress:?}"
    );
}

/// `n` tasks created at once, on one team.
async fn created_at_once(ws: &Workspace, actor: &Actor, n: usize) -> Vec<Task> {
    let mut handles = Vec::new();
    for i in 0..n {
        let (ws, actor) = (ws.clone(), actor.clone());
        handles.push(tokio::spawn(async move {
            ws.create_task(&actor, draft("ENG", &format!("together {i}"), None))
                .await
                .unwrap()
        }));
    }
    let mut tasks = Vec::new();
    for h in handles {
        tasks.push(h.await.unwrap());
    }
    tasks.sort_by_key(|t| t.id);
    tasks
}

/// The store's counts per status: from the counters (no filter), and by scanning the tasks
/// (a filter every task passes).
async fn store_counts(
    store: &dyn Store,
    teams: &[Team],
) -> (Vec<Vec<(StatusId, i64)>>, Vec<Vec<(StatusId, i64)>>) {
    let (mut counted, mut scanned) = (Vec::new(), Vec::new());
    let mut sets: Vec<Vec<TeamId>> = teams.iter().map(|t| vec![t.id]).collect();
    sets.push(teams.iter().map(|t| t.id).collect());
    for set in sets {
        let query = TaskQuery {
            teams: set,
            ..Default::default()
        };
        let mut by_counter = store.count_tasks_by_status(&query).await.unwrap();
        let everything = TaskQuery {
            updated_since: Some(OffsetDateTime::UNIX_EPOCH),
            ..query
        };
        let mut by_scan = store.count_tasks_by_status(&everything).await.unwrap();
        by_counter.sort();
        by_scan.sort();
        counted.push(by_counter);
        scanned.push(by_scan);
    }
    (counted, scanned)
}

fn data_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("orgn-status-counts-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn sqlite_rows(dir: &Path, sql: &str) -> Counts {
    let url = format!("sqlite://{}", dir.join(DATABASE_FILE).display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    rows
}

async fn sqlite_exec(dir: &Path, sql: &str) {
    let url = format!("sqlite://{}", dir.join(DATABASE_FILE).display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

async fn pg_rows(store: &PgStore, sql: &str) -> Counts {
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(store.pool())
        .await
        .unwrap()
}

/// What every backend must show after the workload.
fn expect_agreement(
    counters: &Counts,
    group_by: &Counts,
    counted: &[Vec<(StatusId, i64)>],
    scanned: &[Vec<(StatusId, i64)>],
) {
    assert_eq!(counters, group_by);
    // The workload left tasks in several statuses of both teams.
    assert!(group_by.len() >= 4, "{group_by:?}");
    assert_eq!(counted, scanned);
}

#[tokio::test]
async fn sqlite_counters_equal_a_fresh_group_by_after_every_kind_of_change() {
    let dir = data_dir("workload");
    let store = SqliteStore::open(&dir).await.unwrap();
    let teams = workload(Arc::new(store.clone())).await;
    let (counted, scanned) = store_counts(&store, &teams).await;
    store.close().await;
    let group_by = sqlite_rows(&dir, GROUP_BY).await;
    expect_agreement(
        &sqlite_rows(&dir, COUNTERS).await,
        &group_by,
        &counted,
        &scanned,
    );

    // Migration 0015 counts the rows there are.
    sqlite_exec(&dir, UNDO_0015).await;
    SqliteStore::open(&dir).await.unwrap().close().await;
    assert_eq!(sqlite_rows(&dir, COUNTERS).await, group_by);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn postgres_counters_equal_a_fresh_group_by_after_every_kind_of_change() {
    let Some(server) = server() else { return };
    let (url, name) = fresh(&server, "status_counts").await;
    let store = PgStore::open(&url).await.unwrap();
    let teams = workload(Arc::new(store.clone())).await;
    let (counted, scanned) = store_counts(&store, &teams).await;
    let group_by = pg_rows(&store, GROUP_BY).await;
    expect_agreement(
        &pg_rows(&store, COUNTERS).await,
        &group_by,
        &counted,
        &scanned,
    );

    sqlx::raw_sql(sqlx::AssertSqlSafe(UNDO_0015))
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;
    let store = PgStore::open(&url).await.unwrap();
    assert_eq!(pg_rows(&store, COUNTERS).await, group_by);
    store.close().await;
    drop_database(&server, &name).await.unwrap();
}

#[tokio::test]
async fn sqlite_counters_stay_exact_under_concurrent_status_changes() {
    let dir = data_dir("concurrent");
    let store = SqliteStore::open(&dir).await.unwrap();
    let progress = concurrent_status_changes(Arc::new(store.clone())).await;
    store.close().await;
    let counters = sqlite_rows(&dir, COUNTERS).await;
    expect_exact(counters, sqlite_rows(&dir, GROUP_BY).await, progress);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn postgres_counters_stay_exact_under_concurrent_status_changes() {
    let Some(server) = server() else { return };
    let (url, name) = fresh(&server, "status_counts_concurrent").await;
    let store = PgStore::open(&url).await.unwrap();
    let progress = concurrent_status_changes(Arc::new(store.clone())).await;
    let counters = pg_rows(&store, COUNTERS).await;
    expect_exact(counters, pg_rows(&store, GROUP_BY).await, progress);
    store.close().await;
    drop_database(&server, &name).await.unwrap();
}
