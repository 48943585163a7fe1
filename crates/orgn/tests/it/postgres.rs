//! Orgn past one machine: several `orgn serve` processes (the real binary) on one
//! PostgreSQL database, and `orgn copy` from the embedded SQLite file to PostgreSQL.
//!
//! These tests need a PostgreSQL server: `ORGN_TEST_DATABASE_URL` (scripts/test starts a
//! throwaway one). Without it they are skipped with a notice, except when the suite runs on
//! PostgreSQL (`ORGN_TEST_BACKEND=postgres`), where its absence is a failure. They always
//! run on PostgreSQL, so `ORGN_TEST_BACKEND=sqlite` (scripts/test's SQLite pass) skips them.
//!

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::http::*;
use crate::support::*;
use orgn_domain::clock::SystemClock;
use orgn_domain::model::*;
use orgn_domain::store::*;
use orgn_domain::{Caller, Workspace};
use orgn_storage::{PgStore, SqliteStore};
use serde_json::{Value, json};

/// The server to test on, or None (with a notice) when there is none and that is allowed.
fn server() -> Option<String> {
    if std::env::var("ORGN_TEST_BACKEND").is_ok_and(|b| b == "sqlite") {
        // scripts/test runs these once, in its PostgreSQL pass.
        return None;
    }
    match test_database_url() {
        Some(url) => Some(url),
        None if on_postgres() => {
            panic!("ORGN_TEST_BACKEND=postgres needs ORGN_TEST_DATABASE_URL (scripts/test sets it)")
        }
        None => {
            // Written to stderr directly, past the test harness's capture, so the skip is seen.
            let _ = std::io::Write::write_all(&mut std::io::stderr(), "NOTICE: PostgreSQL tests skipped: set ORGN_TEST_DATABASE_URL=postgres://… (scripts/test does)\n".as_bytes());
            None
        }
    }
}

fn orgn(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_orgn"));
    cmd.args(args)
        .env_remove("ORGN_DATABASE_URL")
        .env_remove("ORGN_DATA_DIR")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("orgn runs")
}

fn ok(args: &[&str], env: &[(&str, &str)]) -> String {
    let out = orgn(args, env);
    assert!(
        out.status.success(),
        "orgn {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// An `orgn serve` process, killed when dropped.
struct Server {
    child: Child,
    addr: String,
    _data: TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(database_url: &str) -> Server {
    let data = TempDir::new();
    let addr = format!("127.0.0.1:{}", free_port());
    let log = std::fs::File::create(data.path.join("serve.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_orgn"))
        .args(["serve", "--addr", &addr, "--database-url", database_url])
        .env("ORGN_DATA_DIR", &data.path)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut server = Server {
        child,
        addr,
        _data: data,
    };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        let addr = server.addr.parse().expect("a socket address");
        if blocking(try_request(addr, "GET", "/healthz", &[], "")).is_ok() {
            return server;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            let log =
                std::fs::read_to_string(server._data.path.join("serve.log")).unwrap_or_default();
            panic!("orgn serve exited ({status}): {log}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("orgn serve did not start on {}", server.addr);
}

/// A POST like an MCP client's, from a plain thread: (status, body).
fn http_post(addr: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
    let addr = addr.parse().expect("a socket address");
    let answer = blocking(mcp_post(addr, path, token, &[], body));
    (answer.status, answer.body)
}

/// The status of `tools/list` with this token on this server.
fn list_status(server: &Server, token: &str) -> u16 {
    http_post(
        &server.addr,
        "/mcp",
        Some(token),
        &rpc("tools/list", json!({})),
    )
    .0
}

#[test]
fn two_processes_share_tokens_and_hand_out_distinct_identifiers() {
    let Some(_) = server() else { return };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = runtime.block_on(TestDatabase::create());
    let env = [
        ("ORGN_DATABASE_URL", db.url.as_str()),
        ("ORGN_PASSWORD", PASSWORD),
    ];
    ok(&["migrate"], &env);
    ok(
        &["user", "create", "--email", ALICE, "--name", "Alice"],
        &env,
    );
    ok(
        &["team", "create", "--key", "ENG", "--name", "Engineering"],
        &env,
    );
    ok(
        &["team", "add-member", "--team", "ENG", "--email", ALICE],
        &env,
    );

    let a = serve(&db.url);
    let b = serve(&db.url);

    // A token made by one process works on every process at once...
    let first = ok(&["token", "generate", "--email", ALICE], &env)
        .trim()
        .to_string();
    assert_eq!(list_status(&a, &first), 200);
    assert_eq!(list_status(&b, &first), 200);
    // ...and replacing it ends the old one everywhere at once: no process caches tokens.
    let second = ok(
        &[
            "token",
            "generate",
            "--email",
            ALICE,
            "--database-url",
            &db.url,
        ],
        &[("ORGN_PASSWORD", PASSWORD)],
    )
    .trim()
    .to_string();
    assert_ne!(first, second);
    assert_eq!(list_status(&a, &first), 401);
    assert_eq!(list_status(&b, &first), 401);
    assert_eq!(list_status(&a, &second), 200);
    assert_eq!(list_status(&b, &second), 200);

    // 16 clients creating tasks at once through both processes: 16 distinct identifiers.
    let addrs = [a.addr.clone(), b.addr.clone()];
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let addr = addrs[i % 2].clone();
            let token = second.clone();
            std::thread::spawn(move || {
                let body = rpc("tools/call", json!({"name": "create_task", "arguments": {"team": "ENG", "title": format!("Concurrent task {i}")}}));
                let (status, body) = http_post(&addr, "/mcp", Some(&token), &body);
                assert_eq!(status, 200, "{body}");
                let v: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
                assert_ne!(v["result"]["isError"], true, "{v}");
                v["result"]["structuredContent"]["task"]["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
            })
        })
        .collect();
    let ids: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), 16, "{ids:?}");
    let expected: BTreeSet<String> = (1..=16).map(|n| format!("ENG-{n}")).collect();
    assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), expected);

    drop(a);
    drop(b);
    runtime.block_on(db.drop_now());
}

#[tokio::test]
async fn serve_and_migrate_refuse_a_database_with_a_newer_schema() {
    let Some(_) = server() else { return };
    let db = TestDatabase::create().await;
    let store = PgStore::open(&db.url).await.unwrap();
    orgn_storage::postgres::testing::mark_schema_version(&store, 9999)
        .await
        .unwrap();
    store.close().await;
    for args in [vec!["serve", "--addr", "127.0.0.1:0"], vec!["migrate"]] {
        let out = orgn(&args, &[("ORGN_DATABASE_URL", db.url.as_str())]);
        assert!(
            !out.status.success(),
            "orgn {args:?} must refuse a newer schema"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("newer than this orgn knows"), "{err}");
    }
    db.drop_now().await;
}

// --- orgn copy ------------------------------------------------------------------------------------

fn copy(source: &Path, target: &str) -> Output {
    orgn(
        &[
            "copy",
            "--from",
            &format!("sqlite:{}", source.display()),
            "--to",
            target,
        ],
        &[],
    )
}

/// Every table gets at least a row: tokens, sessions, tool calls, the Trash, jobs with a
/// file, conversations.
async fn add_one_of_everything(store: &SqliteStore, ws: &Workspace) {
    let users = store.users().await.unwrap();
    let admin = ws.actor(users[0].id).await.unwrap();
    ws.generate_token(&admin).await.unwrap();
    crate::oauth::add_an_oauth_connection(ws, &admin).await;
    crate::graph::add_a_sub_task_and_a_relation(ws, &admin).await;
    let now = time::OffsetDateTime::now_utc();
    store
        .create_session(
            "session-digest",
            &StoredSession {
                user_id: admin.user().id,
                csrf_token: "csrf".into(),
                expires_at: now,
                last_used_at: Some(now),
            },
        )
        .await
        .unwrap();
    ws.sign_in_failed("nobody@orgn.test", None).await.unwrap();
    store
        .record_tool_call(
            admin.user().id,
            &ToolCallRecord {
                tool: "create_task".into(),
                target: Some("ENG-1".into()),
                ok: true,
                at: now,
                client: Some("Cursor".into()),
            },
        )
        .await
        .unwrap();
    store
        .record_tool_call(
            admin.user().id,
            &ToolCallRecord {
                tool: "search".into(),
                target: None,
                ok: false,
                at: now,
                client: Some("Cursor".into()),
            },
        )
        .await
        .unwrap();
    let teams = store.teams().await.unwrap();
    let tasks = store
        .search_tasks(&TaskQuery {
            teams: teams.iter().map(|t| t.id).collect(),
            limit: 3,
            ..Default::default()
        })
        .await
        .unwrap();
    let (doomed, _) = &tasks[0];
    // A kept previous version and a day's Ask Orgn tokens (revisions, assistant_usage).
    let patch = orgn_domain::TaskPatch {
        description: Some("Replaced.".into()),
        ..Default::default()
    };
    let described = ws
        .search_tasks(&admin, Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|t| !t.description.is_empty() && t.id != doomed.id)
        .expect("a task with a description");
    ws.update_task(&admin, &(&described).into(), patch)
        .await
        .unwrap();
    store.add_tokens(admin.user().id, 1, 10).await.unwrap();
    let stamp = orgn_domain::changes::Stamp {
        actor: admin.user().id,
        via: orgn_domain::changes::Via::web(),
        at: now,
    };
    let deleted = orgn_domain::changes::NewChange::task(doomed, vec!["deleted".into()], stamp);
    store.delete_task(doomed.id, &deleted).await.unwrap();
    store
        .set_deleted_by(TrashKind::Task, doomed.id.get(), admin.user().id)
        .await
        .unwrap();
    let job = store
        .create_job(
            admin.user().id,
            JobKind::Export,
            "{\"format\":\"csv\"}",
            now,
        )
        .await
        .unwrap();
    store
        .put_job_file(job, "export.csv", &[0, 1, 2, 255, b'a', b'\n'])
        .await
        .unwrap();
    // A job error row, written the way an import writes one.
    let claimed = store
        .claim_job("test", now, now)
        .await
        .unwrap()
        .expect("the job is claimable");
    assert_eq!(claimed.id, job);
    store
        .import_chunk(
            &ImportChunk {
                job,
                tasks: vec![],
                errors: vec![(7, "bad row".into())],
                done: 1,
            },
            now,
        )
        .await
        .unwrap();
    let conversation = store
        .create_conversation(admin.user().id, "Plan the week", now)
        .await
        .unwrap();
    store
        .append_message(conversation, ChatRole::User, "{\"text\":\"hello\"}", now)
        .await
        .unwrap();
    store
        .append_message(conversation, ChatRole::Assistant, "{\"text\":\"hi\"}", now)
        .await
        .unwrap();
    let first_task = format!("{}-1", admin.memberships()[0].team.key);
    let change = ws
        .set_status_many_undoable(&admin, &[first_task], "Done")
        .await
        .unwrap();
    assert_eq!(
        change.id,
        BulkChangeId::new(1),
        "the snapshot reads it by id"
    );
}

/// Everything the domain can read, from one store, in a comparable form.
async fn snapshot(store: &dyn Store) -> Vec<String> {
    let mut out = Vec::new();
    let users = store.users().await.unwrap();
    out.push(format!("{users:?}"));
    out.push(format!(
        "{:?}",
        store.bulk_change(BulkChangeId::new(1)).await.unwrap()
    ));
    let teams = store.teams().await.unwrap();
    out.push(format!("{teams:?}"));
    let team_ids: Vec<TeamId> = teams.iter().map(|t| t.id).collect();
    for t in &teams {
        out.push(format!("{:?}", store.statuses(t.id).await.unwrap()));
        out.push(format!("{:?}", store.team_members(t.id).await.unwrap()));
    }
    for u in &users {
        out.push(format!("{:?}", store.memberships(u.id).await.unwrap()));
        out.push(format!("{:?}", store.token_info(u.id).await.unwrap()));
        out.push(format!(
            "{:?}",
            store.recent_tool_calls(u.id, 100).await.unwrap()
        ));
        out.push(format!("{:?}", store.jobs(u.id, 100).await.unwrap()));
        for c in store.conversations(u.id, 100).await.unwrap() {
            out.push(format!("{c:?} {:?}", store.messages(c.id).await.unwrap()));
        }
    }
    out.push(format!("{:?}", store.labels(&team_ids).await.unwrap()));
    let projects = store.projects(&team_ids).await.unwrap();
    out.push(format!("{projects:?}"));
    for p in &projects {
        out.push(format!("{:?}", store.milestones(p.id).await.unwrap()));
    }
    out.push(format!("{:?}", store.cycles(&team_ids).await.unwrap()));
    let tasks = store
        .search_tasks(&TaskQuery {
            teams: team_ids.clone(),
            limit: 1_000_000,
            ..Default::default()
        })
        .await
        .unwrap();
    for (task, key) in &tasks {
        out.push(format!("{task:?} {key:?}"));
        out.push(format!("{:?}", store.comments(task.id).await.unwrap()));
        out.push(format!("{:?}", store.task_history(task.id).await.unwrap()));
    }
    let project_ids: Vec<ProjectId> = projects.iter().map(|p| p.id).collect();
    let docs = store
        .search_docs(&DocQuery {
            teams: team_ids.clone(),
            projects: project_ids.clone(),
            text: None,
            after: None,
            limit: 10_000,
        })
        .await
        .unwrap();
    out.push(format!("{docs:?}"));
    out.push(format!("{:?}", store.trash(&team_ids).await.unwrap()));
    out.push(format!("{:?}", store.count_tasks().await.unwrap()));
    // Both engines order matches by the same tiers, so the order is compared too.
    for words in [
        "login",
        "search",
        "the board",
        "ENG-1",
        "dark mode",
        "redir",
    ] {
        let found = store
            .search_tasks(&TaskQuery {
                teams: team_ids.clone(),
                text: Some(words.into()),
                limit: 10_000,
                ..Default::default()
            })
            .await
            .unwrap();
        let ids: Vec<(TaskId, Option<f64>)> =
            found.iter().map(|(t, key)| (t.id, key.rank)).collect();
        out.push(format!("search {words}: {ids:?}"));
    }
    out
}

#[tokio::test]
async fn copy_round_trips_the_demo_workspace() {
    let Some(_) = server() else { return };
    let dir = TempDir::new();
    let sqlite = SqliteStore::open(&dir.path).await.unwrap();
    let ws = Workspace::new(Arc::new(sqlite.clone()), Arc::new(SystemClock));
    assert!(orgn::demo::seed_if_empty(&ws).await.unwrap());
    add_one_of_everything(&sqlite, &ws).await;
    let before = snapshot(&sqlite).await;
    sqlite.close().await;

    let db = TestDatabase::create().await;
    let out = copy(&dir.path, &db.url);
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "orgn copy failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("verified, nothing lost"), "{stdout}");
    for table in orgn_storage::postgres::copy::TABLES.iter().map(|t| t.0) {
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(table))
            .unwrap_or_else(|| panic!("no line for {table}"));
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields.get(4), Some(&"ok"), "{line}");
        assert_eq!(fields[1], fields[2], "{line}");
        assert!(
            fields[1].parse::<u64>().unwrap() > 0,
            "{table} should have rows: {line}"
        );
    }

    // The domain reads the same workspace from PostgreSQL, search included.
    let pg = PgStore::open(&db.url).await.unwrap();
    let after = snapshot(&pg).await;
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a);
    }
    // Identity sequences moved past the copied ids, counters kept: new rows fit in.
    let ws = Workspace::new(Arc::new(pg.clone()), Arc::new(SystemClock));
    let admin = ws
        .actor(
            pg.user_by_email(orgn::demo::ADMIN_EMAIL)
                .await
                .unwrap()
                .unwrap()
                .id,
        )
        .await
        .unwrap();
    let created = ws
        .create_task(
            &admin,
            orgn_domain::TaskDraft {
                team: "ENG".into(),
                title: "After the move".into(),
                project: Some("MCP launch".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // The progress counters, copied and then kept by PgStore, agree with a count of the tasks.
    let all_teams: Vec<TeamId> = pg.teams().await.unwrap().iter().map(|t| t.id).collect();
    for project in pg.projects(&all_teams).await.unwrap() {
        let tasks = pg
            .search_tasks(&TaskQuery {
                teams: all_teams.clone(),
                project_id: Some(project.id),
                limit: 10_000,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            project.progress.total,
            tasks.len() as i64,
            "{}",
            project.name
        );
        let completed = tasks
            .iter()
            .filter(|(t, _)| t.status.kind == StatusKind::Completed)
            .count() as i64;
        assert_eq!(project.progress.completed, completed, "{}", project.name);
    }
    let eng = pg.team_by_key("ENG").await.unwrap().unwrap();
    let highest = pg
        .search_tasks(&TaskQuery {
            teams: vec![eng.id],
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(highest[0].0.identifier(), created.identifier());
    assert!(
        ws.create_user(
            Caller::Operator,
            "new@orgn.local",
            "New",
            "a long password",
            false
        )
        .await
        .is_ok()
    );
    pg.close().await;

    // A second copy into the now non-empty database is refused, and changes nothing.
    let again = copy(&dir.path, &db.url);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("not empty"), "{err}");
    db.drop_now().await;
}

#[tokio::test]
async fn copy_refuses_what_it_cannot_copy() {
    let Some(_) = server() else { return };
    let db = TestDatabase::create().await;
    let missing = TempDir::new();
    let out = copy(&missing.path.join("nowhere"), &db.url);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no Orgn database"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = orgn(
        &[
            "copy",
            "--from",
            "postgres://x@localhost/db",
            "--to",
            &db.url,
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from must be sqlite:PATH"));
    db.drop_now().await;
}

#[tokio::test]
async fn copy_moves_a_100k_task_workspace_with_nothing_lost() {
    let Some(_) = server() else { return };
    const TASKS: usize = 100_000;
    let dir = TempDir::new();
    let sqlite = SqliteStore::open(&dir.path).await.unwrap();
    let ws = Workspace::new(Arc::new(sqlite.clone()), Arc::new(SystemClock));
    let op = Caller::Operator;
    ws.create_user(op, ADMIN, "Ada Admin", PASSWORD, true)
        .await
        .unwrap();
    ws.create_user(op, ALICE, "Alice", PASSWORD, false)
        .await
        .unwrap();
    let admin = sqlite.user_by_email(ADMIN).await.unwrap().unwrap();
    let alice = sqlite.user_by_email(ALICE).await.unwrap().unwrap();
    let mut teams = Vec::new();
    for key in ["ENG", "OPS", "WEB", "APP"] {
        ws.create_team(op, key, key).await.unwrap();
        ws.add_member(op, key, ADMIN, Role::Admin).await.unwrap();
        let team = sqlite.team_by_key(key).await.unwrap().unwrap();
        let statuses = sqlite.statuses(team.id).await.unwrap();
        let label = sqlite
            .create_label(Some(team.id), &format!("{key} label"), "#336699")
            .await
            .unwrap();
        teams.push((team, statuses, label));
    }
    let generated = Instant::now();
    let now = time::OffsetDateTime::now_utc();
    let batch: usize = 5_000;
    for start in (0..TASKS).step_by(batch) {
        let tasks: Vec<NewTask> = (start..start + batch)
            .map(|i| {
                let (team, statuses, label) = &teams[i % teams.len()];
                let status = &statuses[i % statuses.len()];
                NewTask {
                    team_id: team.id,
                    title: format!("Task {i}: {} the {} module", ["fix", "review", "ship", "document"][i % 4], ["billing", "search", "login", "export", "sync"][i % 5]),
                    description: format!("Generated task number {i}. Steps: open page {}, check totals, report back.", i % 97),
                    status_id: status.id,
                    priority: Priority::new((i % 5) as i64).unwrap(),
                    assignee_id: if i % 3 == 0 { Some(alice.id) } else { None },
                    creator_id: admin.id,
                    label_ids: if i % 7 == 0 { vec![label.id] } else { vec![] },
                    project_id: None,
                    milestone_id: None,
                    cycle_id: None,
                    due_date: None,
                    estimate: if i % 2 == 0 { Some((i % 8) as i64) } else { None },
                    times: Lifecycle::default(),
                    now: now + time::Duration::milliseconds(i as i64),
                    via: orgn_domain::changes::Via::web(),
                    inbox: Default::default(),
                }
            })
            .collect();
        sqlite.insert_tasks(&tasks).await.unwrap();
    }
    for id in (1..=TASKS as i64).step_by(100).map(TaskId::new) {
        sqlite
            .create_comment(
                id,
                alice.id,
                &format!("Comment on task {id}: looks good"),
                &orgn_domain::changes::NewChange {
                    kind: orgn_domain::changes::ObjectKind::Task,
                    object_id: id.get(),
                    teams: vec![],
                    subject: id.to_string(),
                    fields: vec!["comment".into()],
                    topics: vec![],
                    stamp: orgn_domain::changes::Stamp {
                        actor: alice.id,
                        via: orgn_domain::changes::Via::web(),
                        at: now,
                    },
                    inbox: Default::default(),
                },
            )
            .await
            .unwrap();
    }
    eprintln!(
        "generated {TASKS} tasks in SQLite in {:.1} s",
        generated.elapsed().as_secs_f64()
    );
    assert_eq!(sqlite.count_tasks().await.unwrap(), TASKS as i64);
    sqlite.close().await;

    let db = TestDatabase::create().await;
    let started = Instant::now();
    let out = copy(&dir.path, &db.url);
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!(
        "{stdout}orgn copy of {TASKS} tasks took {:.1} s in all",
        elapsed.as_secs_f64()
    );
    assert!(
        out.status.success(),
        "orgn copy failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("verified, nothing lost"), "{stdout}");
    let tasks_line = stdout.lines().find(|l| l.starts_with("tasks ")).unwrap();
    assert!(tasks_line.contains(&format!(" {TASKS} ")), "{tasks_line}");

    let pg = PgStore::open(&db.url).await.unwrap();
    assert_eq!(pg.count_tasks().await.unwrap(), TASKS as i64);
    let all_teams: Vec<TeamId> = teams.iter().map(|t| t.0.id).collect();
    let found = pg
        .search_tasks(&TaskQuery {
            teams: all_teams.clone(),
            text: Some("Task 99999".into()),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        found[0].0.title.split(':').next(),
        Some("Task 99999"),
        "{:?}",
        found.iter().map(|f| &f.0.title).collect::<Vec<_>>()
    );
    let commented = pg
        .search_tasks(&TaskQuery {
            teams: all_teams,
            text: Some("looks good".into()),
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(commented.len(), TASKS / 100);
    pg.close().await;
    db.drop_now().await;
}

// --- Background jobs across processes -------------------------------------------------------

fn import_csv(rows: usize) -> String {
    let mut csv = String::from("Title,Description,Status,Priority\n");
    for i in 1..=rows {
        csv.push_str(&format!("Row {i},Imported row {i},Todo,High\n"));
    }
    csv
}

/// A job started while process A runs is claimed by A; A is killed (SIGKILL) mid-job; B,
/// running beside it all along, takes the job over once A's heartbeat is stale and finishes
/// it: every row imported exactly once. Then an export with two live processes runs once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_survives_its_process_being_killed_and_runs_once() {
    let Some(_) = server() else { return };
    let db = TestDatabase::create().await;
    let store = PgStore::open(&db.url).await.unwrap();
    let ws = Workspace::new(Arc::new(store.clone()), Arc::new(SystemClock));
    fixture(&ws).await;
    let alice = ws
        .actor(ws.user_by_email(Caller::Operator, ALICE).await.unwrap().id)
        .await
        .unwrap();
    let before = ws.count_tasks().await.unwrap();
    let rows = 10_000;
    let a = serve(&db.url);
    let job = orgn_jobs::start_import(&ws, &alice, "ENG", &import_csv(rows))
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        let job = ws.job(&alice, job.id).await.unwrap();
        if job.done >= 1_000 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "A did not start the import: {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let b = serve(&db.url);
    drop(a); // SIGKILL: no clean shutdown, the job stays "running" with A's last heartbeat.
    let at_kill = ws.job(&alice, job.id).await.unwrap();
    assert_eq!(at_kill.state, JobState::Running, "killed mid-job");
    assert!(at_kill.done < rows as i64, "killed before the end");

    let done = wait_for_job(&ws, &alice, job.id).await;
    assert_eq!(done.state, JobState::Done, "{done:?}");
    assert_eq!(ws.count_tasks().await.unwrap(), before + rows as i64);
    let eng = store.team_by_key("ENG").await.unwrap().unwrap();
    let all = store
        .search_tasks(&TaskQuery {
            teams: vec![eng.id],
            limit: 1_000_000,
            ..Default::default()
        })
        .await
        .unwrap();
    let titles: BTreeSet<&str> = all
        .iter()
        .map(|(t, _)| t.title.as_str())
        .filter(|t| t.starts_with("Row "))
        .collect();
    assert_eq!(titles.len(), rows, "every row once");

    // An export with two processes running: done once, its files there.
    let c = serve(&db.url);
    let export = orgn_jobs::start_export(&ws, &alice).await.unwrap();
    let finished = wait_for_job(&ws, &alice, export.id).await;
    assert_eq!(finished.state, JobState::Done, "{finished:?}");
    for file in [orgn_jobs::EXPORT_JSON, orgn_jobs::EXPORT_CSV] {
        assert!(
            store
                .job_file(export.id, file)
                .await
                .unwrap()
                .is_some_and(|f| !f.is_empty()),
            "{file}"
        );
    }
    drop(b);
    drop(c);
    store.close().await;
    db.drop_now().await;
}
