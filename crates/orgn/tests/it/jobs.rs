//! Web-only powers in the core: the Trash, and background jobs (export, import, re-index)
//! that survive a restart.

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::*;
use orgn_domain::clock::SystemClock;
use orgn_domain::model::{JobState, TrashKind};
use orgn_domain::{Caller, DocFilter, Error, TaskFilter, Workspace};
use orgn_storage::SqliteStore;

fn csv_rows(n: usize, bad: &[usize]) -> String {
    let mut csv =
        String::from("Title,Description,Status,Priority,Assignee,Labels,Due Date,Estimate\n");
    for i in 1..=n {
        if bad.contains(&i) {
            // A status that does not exist, a bad date, an empty title: each a different reason.
            match i % 3 {
                0 => csv.push_str(&format!("Row {i},,Doing,,,,,\n")),
                1 => csv.push_str(&format!("Row {i},,Todo,,,,31/12/2026,\n")),
                _ => csv.push_str(",no title here,Todo,,,,,\n"),
            }
        } else {
            csv.push_str(&format!("Row {i},\"Imported, with \"\"quotes\"\"\",Todo,High,alice@orgn.test,Bug,2026-12-31,3\n"));
        }
    }
    csv
}

#[tokio::test]
async fn deleted_tasks_and_docs_go_to_the_trash_and_come_back_whole() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    ws.create_comment(&alice, &task_ref("ENG-1"), "keep me")
        .await
        .unwrap();
    ws.delete_task(&alice, &task_ref("ENG-1")).await.unwrap();
    assert!(matches!(
        ws.task(&alice, &task_ref("ENG-1")).await,
        Err(Error::NotFound(_))
    ));
    let found = ws
        .search_tasks(
            &alice,
            TaskFilter {
                query: Some("login".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(found.items.is_empty(), "a deleted task leaves search");
    let trash = ws.trash(&alice, Some("ENG")).await.unwrap();
    assert_eq!(trash.len(), 1);
    assert_eq!(
        (trash[0].kind, trash[0].label.as_str()),
        (TrashKind::Task, "ENG-1")
    );
    assert_eq!(trash[0].deleted_by.as_ref().unwrap().email, ALICE);
    // Dana (DES only) neither sees nor restores it: her trash shows DES's deleted task only.
    let dana = app.actor(DANA).await;
    ws.delete_task(&dana, &task_ref("DES-2")).await.unwrap();
    let dana_sees: Vec<String> = ws
        .trash(&dana, None)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.label)
        .collect();
    assert_eq!(dana_sees, ["DES-2"]);
    assert!(matches!(
        ws.restore_task(&dana, &task_ref("ENG-1")).await,
        Err(Error::NotFound(_))
    ));
    let restored = ws.restore_task(&alice, &task_ref("ENG-1")).await.unwrap();
    assert_eq!(restored.title, "Fix login redirect");
    assert_eq!(restored.labels.len(), 1, "labels come back");
    assert_eq!(
        ws.comments(&alice, &task_ref("ENG-1")).await.unwrap().len(),
        1,
        "comments come back"
    );
    assert_eq!(
        ws.task_history(&alice, &task_ref("ENG-1"))
            .await
            .unwrap()
            .len(),
        1,
        "history comes back"
    );
    let found = ws
        .search_tasks(
            &alice,
            TaskFilter {
                query: Some("login".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1, "and so does its place in search");

    let doc = ws
        .search_docs(&alice, DocFilter::default())
        .await
        .unwrap()
        .items[0]
        .id;
    ws.delete_doc(&alice, doc).await.unwrap();
    assert!(
        ws.search_docs(&alice, DocFilter::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    ws.restore_doc(&alice, doc).await.unwrap();
    assert_eq!(
        ws.search_docs(
            &alice,
            DocFilter {
                query: Some("readme".into()),
                ..Default::default()
            }
        )
        .await
        .unwrap()
        .items
        .len(),
        1
    );
}

#[tokio::test]
async fn only_team_admins_purge_early_and_the_sweep_purges_after_30_days() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let admin = app.actor(ADMIN).await;
    ws.delete_task(&alice, &task_ref("ENG-2")).await.unwrap();
    ws.delete_task(&alice, &task_ref("ENG-3")).await.unwrap();
    assert!(matches!(
        ws.purge_task(&alice, &task_ref("ENG-2")).await,
        Err(Error::Forbidden(_))
    ));
    ws.purge_task(&admin, &task_ref("ENG-2")).await.unwrap();
    assert!(matches!(
        ws.restore_task(&admin, &task_ref("ENG-2")).await,
        Err(Error::NotFound(_))
    ));
    app.clock.advance(time::Duration::days(29));
    assert_eq!(ws.sweep_trash().await.unwrap(), 0);
    app.clock
        .advance(time::Duration::days(1) + time::Duration::seconds(1));
    assert_eq!(ws.sweep_trash().await.unwrap(), 1);
    assert!(ws.trash(&admin, Some("ENG")).await.unwrap().is_empty());
    // Numbers stay taken for good.
    let next = ws
        .create_task(
            &alice,
            orgn_domain::TaskDraft {
                team: "ENG".into(),
                title: "New".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(next.identifier(), "ENG-4");
}

#[tokio::test]
async fn export_writes_json_and_csv_of_the_visible_teams_only() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let job = orgn_jobs::start_export(ws, &alice).await.unwrap();
    let job = wait_for_job(ws, &alice, job.id).await;
    assert_eq!(job.state, JobState::Done, "{job:?}");
    let json: serde_json::Value = serde_json::from_slice(
        &ws.job_file(&alice, job.id, orgn_jobs::EXPORT_JSON)
            .await
            .unwrap(),
    )
    .unwrap();
    let teams: Vec<&str> = json["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["team"]["key"].as_str().unwrap())
        .collect();
    assert_eq!(teams, ["ENG"]);
    let csv = String::from_utf8(
        ws.job_file(&alice, job.id, orgn_jobs::EXPORT_CSV)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        csv.lines().count(),
        4,
        "a header and ENG's three tasks:\n{csv}"
    );
    assert!(!csv.contains("moodboard"));
    // Another user's job is "not found".
    let bob = app.actor(BOB).await;
    assert!(matches!(
        ws.job(&bob, job.id).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        ws.job_file(&bob, job.id, orgn_jobs::EXPORT_CSV).await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn an_import_reports_bad_rows_and_imports_the_rest() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let csv = csv_rows(1000, &[10, 500, 998]);
    let preview = orgn_jobs::preview_import(ws, &alice, "ENG", &csv)
        .await
        .unwrap();
    assert_eq!((preview.rows, preview.valid), (1000, 997));
    let bad_rows: Vec<i64> = preview.errors.iter().map(|e| e.0).collect();
    assert_eq!(
        bad_rows,
        [11, 501, 999],
        "row numbers as a spreadsheet shows them"
    );
    assert_eq!(
        ws.count_tasks().await.unwrap(),
        5,
        "a preview writes nothing"
    );
    let job = orgn_jobs::start_import(ws, &alice, "ENG", &csv)
        .await
        .unwrap();
    let job = wait_for_job(ws, &alice, job.id).await;
    assert_eq!(job.state, JobState::Done, "{job:?}");
    assert_eq!(ws.job_errors(&alice, job.id).await.unwrap().len(), 3);
    assert_eq!(ws.count_tasks().await.unwrap(), 5 + 997);
    let row = ws
        .search_tasks(
            &alice,
            TaskFilter {
                query: Some("\"Row 7\"".into()),
                limit: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let task = &row.items[0];
    assert_eq!(task.description, "Imported, with \"quotes\"");
    assert_eq!(
        (
            task.status.name.as_str(),
            task.priority.name(),
            task.assignee.as_ref().unwrap().email.as_str()
        ),
        ("Todo", "High", ALICE)
    );
    // A file without a title column is refused before any job starts.
    assert!(matches!(
        orgn_jobs::start_import(ws, &alice, "ENG", "Name2,Status\nx,Todo\n").await,
        Err(Error::Invalid(_))
    ));
}

#[tokio::test]
async fn a_canceled_job_stops_and_writes_nothing_more() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let alice = app.actor(ALICE).await;
    let job = orgn_jobs::start_import(ws, &alice, "ENG", &csv_rows(20_000, &[]))
        .await
        .unwrap();
    // Cancel as soon as it has made some progress.
    let started = Instant::now();
    while ws.job(&alice, job.id).await.unwrap().done == 0 {
        assert!(started.elapsed() < Duration::from_secs(120));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    ws.cancel_job(&alice, job.id).await.unwrap();
    let after_cancel = ws.count_tasks().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let job = ws.job(&alice, job.id).await.unwrap();
    assert_eq!(job.state, JobState::Canceled);
    assert_eq!(
        ws.count_tasks().await.unwrap(),
        after_cancel,
        "nothing written after the cancel"
    );
    assert!(after_cancel < 5 + 20_000, "it stopped before the end");
    assert_eq!(
        (after_cancel - 5) % 500,
        0,
        "only whole chunks were written"
    );
}

#[tokio::test]
async fn reindexing_rebuilds_search() {
    let app = TestApp::spawn().await;
    let ws = &app.workspace;
    let admin = app.actor(ADMIN).await;
    let palette = || async {
        let filter = TaskFilter {
            query: Some("palette".into()),
            ..Default::default()
        };
        ws.search_tasks(&admin, filter).await.unwrap().items.len()
    };
    assert_eq!(palette().await, 1, "the fixture's task is found before");
    empty_the_task_search_index(&app).await;
    assert_eq!(
        palette().await,
        0,
        "with its index gone, search finds nothing"
    );
    let job = orgn_jobs::start_reindex(ws, &admin).await.unwrap();
    let job = wait_for_job(ws, &admin, job.id).await;
    assert_eq!((job.state, job.done, job.total), (JobState::Done, 5, 5));
    assert_eq!(palette().await, 1, "the re-index brought it back");
    app.stop().await;
}

/// Loses the whole task search index behind the store's back, as a damaged or restored
/// database would: the FTS5 table on SQLite, the `search_vector` column on PostgreSQL.
async fn empty_the_task_search_index(app: &TestApp) {
    use sqlx::Connection;
    match &app.database {
        Some(database) => {
            let mut conn = sqlx::PgConnection::connect(&database.url).await.unwrap();
            sqlx::query("UPDATE tasks SET search_vector = ''::tsvector")
                .execute(&mut conn)
                .await
                .unwrap();
        }
        None => {
            let file = app.data_dir.path.join(orgn_storage::sqlite::DATABASE_FILE);
            let url = format!("sqlite://{}", file.display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query("DELETE FROM task_fts")
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(data: &TempDir) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_orgn"))
        .args(["serve", "--addr", &format!("127.0.0.1:{}", free_port())])
        .env("ORGN_DATA_DIR", &data.path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Server(child)
}

/// The server is killed (SIGKILL) in the middle of an import of 100,000 rows and started
/// again: the job resumes after its last committed chunk, and every row ends up imported
/// exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_survives_the_server_being_killed() {
    let data = TempDir::new();
    // Set up the workspace from this process, on the same database file.
    let store = SqliteStore::open(&data.path).await.unwrap();
    let ws = Workspace::new(Arc::new(store), Arc::new(SystemClock));
    fixture(&ws).await;
    let alice = ws
        .actor(ws.user_by_email(Caller::Operator, ALICE).await.unwrap().id)
        .await
        .unwrap();
    let rows = 100_000;
    let job = orgn_jobs::start_import(&ws, &alice, "ENG", &csv_rows(rows, &[]))
        .await
        .unwrap();

    let first = serve(&data);
    let started = Instant::now();
    let progress_before_kill = loop {
        let job = ws.job(&alice, job.id).await.unwrap();
        if job.done >= 5_000 {
            break job.done;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the import did not start: {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    drop(first); // SIGKILL: no clean shutdown.
    let at_kill = ws.job(&alice, job.id).await.unwrap();
    assert_eq!(at_kill.state, JobState::Running, "killed mid-job");
    assert!(at_kill.done < rows as i64, "killed before the end");
    let committed = ws.count_tasks().await.unwrap() - 5;
    assert_eq!(
        committed, at_kill.done,
        "the rows in the database are exactly the committed progress"
    );
    assert!(progress_before_kill <= at_kill.done);

    let _second = serve(&data);
    let job = wait_for_job(&ws, &alice, job.id).await;
    assert_eq!(job.state, JobState::Done, "{job:?}");
    assert_eq!(ws.count_tasks().await.unwrap(), 5 + rows as i64);
    // No row twice: every title "Row N" appears once.
    let mut titles = HashSet::new();
    let mut cursor = None;
    loop {
        let filter = TaskFilter {
            team: Some("ENG".into()),
            limit: Some(100),
            cursor: cursor.clone(),
            ..Default::default()
        };
        let page = ws.search_tasks(&alice, filter).await.unwrap();
        for task in page.items {
            assert!(
                titles.insert(task.title.clone()),
                "duplicate task {}",
                task.title
            );
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(titles.len(), rows + 3);
}
