//! The test harness: a real Orgn server in-process on a free port, on a fresh data dir,
//! with a clock the test can move. Every integration test starts here.
//!
//! The backend is SQLite unless `ORGN_TEST_BACKEND=postgres`: then every `TestApp` runs on
//! its own fresh database (`orgn_test_<pid>_<n>`) on the server of `ORGN_TEST_DATABASE_URL`,
//! so tests stay independent and run in parallel. `scripts/test` runs the suite both ways.

use std::path::PathBuf;
use std::sync::Arc;

use orgn::{Application, ServeConfig};
use orgn_assistant::AssistantConfig;
use orgn_domain::clock::ManualClock;
use orgn_domain::model::{Job, JobId, Role};
use orgn_domain::{Actor, Caller, CycleDraft, DocDraft, ProjectDraft, TaskDraft, Workspace};
use time::{Duration, OffsetDateTime};
use tokio::sync::oneshot;

pub const PASSWORD: &str = "password123";
pub const ADMIN: &str = "admin@orgn.test";
pub const ALICE: &str = "alice@orgn.test";
pub const BOB: &str = "bob@orgn.test";
pub const DANA: &str = "dana@orgn.test";

/// 2026-11-24 12:00 UTC: tests see the same "today" on every run.
pub fn start_time() -> OffsetDateTime {
    time::macros::datetime!(2026-11-24 12:00 UTC)
}

/// True when the suite runs on PostgreSQL (`ORGN_TEST_BACKEND=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("ORGN_TEST_BACKEND").is_ok_and(|v| v.eq_ignore_ascii_case("postgres"))
}

/// The PostgreSQL server for tests, if one is configured.
pub fn test_database_url() -> Option<String> {
    std::env::var("ORGN_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// A fresh database of its own on the test server, dropped by `drop_now` or, when a test
/// panics before that, by `Drop`.
pub struct TestDatabase {
    server_url: String,
    pub name: String,
    pub url: String,
    dropped: bool,
}

/// How long dropping a test database may take: a server that has gone away must not hang
/// the test that is already failing.
const DROP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl TestDatabase {
    /// Fails the test with a clear message when no server is configured.
    pub async fn create() -> TestDatabase {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let server_url = test_database_url().unwrap_or_else(|| {
            panic!(
                "ORGN_TEST_BACKEND=postgres needs ORGN_TEST_DATABASE_URL=postgres://user@host:port/db (a server where it may \
                 create databases); scripts/test starts a throwaway one and sets both"
            )
        });
        let name = format!(
            "orgn_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let _ = orgn_storage::postgres::drop_database(&server_url, &name).await;
        let url = orgn_storage::postgres::create_database(&server_url, &name)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot create the test database {name} on {}: {e}",
                    orgn_storage::postgres::describe(&server_url)
                )
            });
        TestDatabase {
            server_url,
            name,
            url,
            dropped: false,
        }
    }

    pub async fn drop_now(mut self) {
        let dropped =
            drop_database_within_timeout(self.server_url.clone(), self.name.clone()).await;
        self.dropped = dropped;
    }
}

/// True when the database is gone (`WITH (FORCE)` ends the connections still open to it).
async fn drop_database_within_timeout(server_url: String, name: String) -> bool {
    let drop = orgn_storage::postgres::drop_database(&server_url, &name);
    matches!(tokio::time::timeout(DROP_TIMEOUT, drop).await, Ok(Ok(())))
}

impl Drop for TestDatabase {
    /// Runs when a test panicked before `drop_now`. `Drop` cannot await, and it usually runs
    /// on a runtime's thread (where blocking on another runtime panics), so the drop runs on
    /// a thread of its own with a small runtime, and this thread waits for it.
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (server_url, name) = (self.server_url.clone(), self.name.clone());
        let worker = std::thread::Builder::new()
            .name(format!("drop {name}"))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime {
                    runtime.block_on(drop_database_within_timeout(server_url, name));
                }
            });
        if let Ok(worker) = worker {
            let _ = worker.join();
        }
    }
}

/// How a `TestApp` is made: `TestApp::builder()…spawn()`. Always the standard fixture; by
/// default no assistant, the public URL the server's own address, the clock at `start_time()`.
pub struct TestAppBuilder {
    assistant: Option<AssistantConfig>,
    public_url: Option<String>,
    starts_at: OffsetDateTime,
    oauth: orgn::app::OAuthOptions,
}

impl TestAppBuilder {
    /// Ask Orgn configured with this model server.
    pub fn assistant(mut self, config: AssistantConfig) -> Self {
        self.assistant = Some(config);
        self
    }

    /// The origin the server says it is reached at (`--public-url`).
    pub fn public_url(mut self, url: &str) -> Self {
        self.public_url = Some(url.to_string());
        self
    }

    /// `orgn serve --allow-loopback-client-metadata`: the test serves OAuth client ID
    /// metadata documents on loopback.
    pub fn allow_loopback_client_metadata(mut self) -> Self {
        self.oauth.allow_loopback_client_metadata = true;
        self
    }

    /// `orgn serve --no-client-metadata-documents` and `--no-dynamic-client-registration`.
    pub fn oauth_off(mut self, metadata_documents: bool, dynamic_registration: bool) -> Self {
        self.oauth.no_client_metadata_documents = metadata_documents;
        self.oauth.no_dynamic_client_registration = dynamic_registration;
        self
    }

    /// The test clock's first reading (it moves only when the test moves it).
    pub fn clock_at(mut self, starts_at: OffsetDateTime) -> Self {
        self.starts_at = starts_at;
        self
    }

    pub async fn spawn(self) -> TestApp {
        let data_dir = TempDir::new();
        let database = if on_postgres() {
            Some(TestDatabase::create().await)
        } else {
            None
        };
        let clock = Arc::new(ManualClock::new(self.starts_at));
        let config = ServeConfig {
            addr: "127.0.0.1:0".into(),
            data_dir: data_dir.path.clone(),
            database_url: database.as_ref().map(|d| d.url.clone()),
            public_url: self.public_url,
            demo: false,
            assistant: self.assistant,
            oauth: self.oauth,
            feed_retention_days: orgn_domain::FEED_RETENTION_DAYS,
            activity_retention_days: 90,
        };
        let app = Application::build(&config, clock.clone())
            .await
            .expect("the app builds");
        let addr = app.addr();
        let base_url = app.public_url().to_string();
        let workspace = app.workspace().clone();
        fixture(&workspace).await;
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        TestApp {
            base_url,
            addr,
            workspace,
            clock,
            data_dir,
            database,
            stop: Some(stop),
            server: Some(server),
        }
    }
}

pub struct TestApp {
    /// The public URL (`--public-url`, or the server's own address).
    pub base_url: String,
    pub addr: std::net::SocketAddr,
    pub workspace: Workspace,
    pub clock: Arc<ManualClock>,
    pub data_dir: TempDir,
    /// The PostgreSQL database, when the suite runs on PostgreSQL.
    pub database: Option<TestDatabase>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            assistant: None,
            public_url: None,
            starts_at: start_time(),
            oauth: Default::default(),
        }
    }

    /// A server with the standard fixture (see `fixture`).
    pub async fn spawn() -> TestApp {
        TestApp::builder().spawn().await
    }

    pub async fn actor(&self, email: &str) -> Actor {
        let user = self
            .workspace
            .user_by_email(Caller::Operator, email)
            .await
            .expect("fixture user exists");
        self.workspace.actor(user.id).await.expect("actor loads")
    }

    /// The same workspace as another `orgn serve` process sees it: a store of its own on the
    /// same database (the SQLite file, or the PostgreSQL database), with the same clock.
    pub async fn other_process(&self) -> Workspace {
        let url = self.database.as_ref().map(|d| d.url.as_str());
        let store = orgn::app::open_store(url, &self.data_dir.path)
            .await
            .expect("a second store opens");
        Workspace::new(store, self.clock.clone())
    }

    /// Another `orgn serve` process on the same database (the SQLite file, or the
    /// PostgreSQL database) and clock, serving HTTP on a port of its own until dropped.
    pub async fn second_server(&self) -> SecondServer {
        let config = ServeConfig {
            addr: "127.0.0.1:0".into(),
            data_dir: self.data_dir.path.clone(),
            database_url: self.database.as_ref().map(|d| d.url.clone()),
            public_url: None,
            demo: false,
            assistant: None,
            oauth: Default::default(),
            feed_retention_days: orgn_domain::FEED_RETENTION_DAYS,
            activity_retention_days: 90,
        };
        let app = Application::build(&config, self.clock.clone())
            .await
            .expect("a second server builds");
        let addr = app.addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        SecondServer {
            addr,
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// A fresh personal access token for the user (replacing any previous one).
    pub async fn token_for(&self, email: &str) -> String {
        let actor = self.actor(email).await;
        self.workspace
            .generate_token(&actor)
            .await
            .expect("token generates")
            .0
    }

    /// Stops the server and waits until it has closed the database.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        if let Some(database) = self.database.take() {
            database.drop_now().await;
        }
    }
}

/// A second server process of a `TestApp` (`TestApp::second_server`).
pub struct SecondServer {
    pub addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl SecondServer {
    /// Stops it and waits until it has closed its connections.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

/// The standard fixture:
/// - admin@orgn.test (workspace admin; ENG admin, DES admin), alice@ and bob@ (ENG), dana@ (DES only);
/// - labels Bug (workspace-wide), Frontend (ENG), Brand (DES);
/// - projects Website (ENG) and Rebrand (DES only, milestone Kickoff);
/// - a current cycle in each team;
/// - tasks ENG-1 "Fix login redirect", ENG-2 "Add search to the docs page", ENG-3 "Paginate the board";
///   DES-1 "Secret rebrand moodboard", DES-2 "Pick the new palette";
/// - docs "Onboarding" (ENG) and "Rebrand brief" (DES).
pub async fn fixture(ws: &Workspace) {
    let op = Caller::Operator;
    ws.create_user(op, ADMIN, "Ada Admin", PASSWORD, true)
        .await
        .unwrap();
    ws.create_user(op, ALICE, "Alice", PASSWORD, false)
        .await
        .unwrap();
    ws.create_user(op, BOB, "Bob", PASSWORD, false)
        .await
        .unwrap();
    ws.create_user(op, DANA, "Dana", PASSWORD, false)
        .await
        .unwrap();
    ws.create_team(op, "ENG", "Engineering").await.unwrap();
    ws.create_team(op, "DES", "Design").await.unwrap();
    for (team, email, role) in [
        ("ENG", ADMIN, Role::Admin),
        ("DES", ADMIN, Role::Admin),
        ("ENG", ALICE, Role::Member),
        ("ENG", BOB, Role::Member),
        ("DES", DANA, Role::Member),
    ] {
        ws.add_member(op, team, email, role).await.unwrap();
    }
    let admin = ws
        .actor(ws.user_by_email(op, ADMIN).await.unwrap().id)
        .await
        .unwrap();
    ws.create_label(&admin, None, "Bug", Some("#e5484d"))
        .await
        .unwrap();
    ws.create_label(&admin, Some("ENG"), "Frontend", None)
        .await
        .unwrap();
    ws.create_label(&admin, Some("DES"), "Brand", None)
        .await
        .unwrap();
    let project = |name: &str, team: &str| ProjectDraft {
        name: name.into(),
        teams: vec![team.into()],
        ..Default::default()
    };
    ws.create_project(&admin, project("Website", "ENG"))
        .await
        .unwrap();
    ws.create_project(&admin, project("Rebrand", "DES"))
        .await
        .unwrap();
    ws.create_milestone(&admin, "Rebrand", "Kickoff", Some("2026-12-01"))
        .await
        .unwrap();
    let today = ws.today();
    for team in ["ENG", "DES"] {
        let draft = CycleDraft {
            team: team.into(),
            name: None,
            starts_on: (today - Duration::days(3)).to_string(),
            ends_on: (today + Duration::days(10)).to_string(),
        };
        ws.create_cycle(&admin, draft).await.unwrap();
    }
    let task = |team: &str, title: &str| TaskDraft {
        team: team.into(),
        title: title.into(),
        ..Default::default()
    };
    ws.create_task(
        &admin,
        TaskDraft {
            assignee: Some(ALICE.into()),
            labels: vec!["Bug".into()],
            project: Some("Website".into()),
            ..task("ENG", "Fix login redirect")
        },
    )
    .await
    .unwrap();
    ws.create_task(
        &admin,
        TaskDraft {
            description: Some("Docs need full-text search.".into()),
            ..task("ENG", "Add search to the docs page")
        },
    )
    .await
    .unwrap();
    ws.create_task(
        &admin,
        TaskDraft {
            cycle: Some("current".into()),
            ..task("ENG", "Paginate the board")
        },
    )
    .await
    .unwrap();
    ws.create_task(
        &admin,
        TaskDraft {
            labels: vec!["Brand".into()],
            project: Some("Rebrand".into()),
            milestone: Some("Kickoff".into()),
            ..task("DES", "Secret rebrand moodboard")
        },
    )
    .await
    .unwrap();
    ws.create_task(
        &admin,
        TaskDraft {
            cycle: Some("current".into()),
            ..task("DES", "Pick the new palette")
        },
    )
    .await
    .unwrap();
    ws.create_doc(
        &admin,
        DocDraft {
            team: Some("ENG".into()),
            title: "Onboarding".into(),
            content: "Read the README first.".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    ws.create_doc(
        &admin,
        DocDraft {
            team: Some("DES".into()),
            title: "Rebrand brief".into(),
            content: "Confidential direction for the new brand.".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
}

/// A port that was free a moment ago, for an `orgn serve` process or chromedriver.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits for a background job to finish (done, failed or canceled), five minutes at most.
pub async fn wait_for_job(ws: &Workspace, actor: &Actor, id: JobId) -> Job {
    let started = std::time::Instant::now();
    loop {
        let job = ws.job(actor, id).await.unwrap();
        if job.state.is_finished() {
            return job;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(300),
            "job {id} did not finish: {job:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A directory removed when dropped; no crate needed for that.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new() -> TempDir {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("orgn-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A task identifier the test knows to be well formed.
pub fn task_ref(id: &str) -> orgn_domain::TaskRef {
    id.parse().expect("a task identifier")
}

/// The tool names a client's summary lists (its `tools`).
pub fn summary_tools(summary: &serde_json::Value) -> Vec<&str> {
    summary["tools"]
        .as_array()
        .expect("the summary lists the tools")
        .iter()
        .map(|t| t.as_str().expect("a tool name"))
        .collect()
}

/// Runs one of the real MCP clients of `tests/mcp-clients` (`node <args>` there) and returns
/// the JSON summary it prints last, which must say `"ok": true`.
pub async fn run_node_client(args: &[&str]) -> serde_json::Value {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/mcp-clients")
        .canonicalize()
        .expect("tests/mcp-clients exists");
    assert!(
        dir.join("node_modules/@modelcontextprotocol/sdk").is_dir()
            && dir.join("node_modules/mcp-remote").is_dir(),
        "the MCP test clients are not installed; run: npm ci --prefix tests/mcp-clients (Node.js 18+)"
    );
    let what = args.join(" ");
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .args(&args)
            .current_dir(&dir)
            .output()
    })
    .await
    .unwrap()
    .expect("node runs (install Node.js 18+)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stdout.lines().last().unwrap_or_default();
    let summary: serde_json::Value = serde_json::from_str(last)
        .unwrap_or_else(|_| panic!("{what}: no summary.\nstdout: {stdout}\nstderr: {stderr}"));
    println!("{what}: {summary}");
    assert_eq!(
        summary["ok"], true,
        "{what} failed: {summary}\nstderr: {stderr}"
    );
    summary
}
