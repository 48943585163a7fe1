//! `orgn bench`: seeds a workspace of N tasks, starts the real server on it, and drives it
//! over real HTTP with C concurrent keep-alive clients speaking MCP as an AI client does.
//! With `--url` and `--token` it drives an existing server instead (read-only unless
//! `--writes`). Like pgbench, anyone can run it against their own installation. With
//! `--streams N`, the `live` workload too (`live.rs`).

mod graph;
mod inbox;
mod live;
mod report;
mod signins;
mod soak;

use report::print_table;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use orgn_domain::changes::{Channel, Via};
use orgn_domain::clock::SystemClock;
use orgn_domain::model::{
    CycleId, LabelId, Priority, ProjectId, Role, Status, StatusKind, TeamId, UserId,
};
use orgn_domain::store::{Lifecycle, NewTask};
use orgn_domain::{Actor, Caller, CycleDraft, ProjectDraft, Workspace};
use serde_json::{Value, json};
use time::OffsetDateTime;

pub struct BenchArgs {
    pub tasks: usize,
    pub seconds: f64,
    pub concurrency: usize,
    pub url: Option<String>,
    pub token: Option<String>,
    pub writes: bool,
    pub json: bool,
    /// Keep the seeded workspace here, and reuse it when it is already seeded.
    pub data_dir: Option<PathBuf>,
    /// Seed and serve on this PostgreSQL database instead of SQLite (reused when seeded).
    pub database_url: Option<String>,
    /// Event streams to hold open for the `live` workload (0: skip it; own server only).
    pub streams: usize,
    /// Only the soak: a mix of calls by `concurrency` clients, errors counted (`soak.rs`).
    pub soak: bool,
    /// Only `/healthz` while this many sign-ins run in parallel (`signins.rs`; 0: not).
    pub signins: usize,
}

/// What one run measured. Field names are the keys of the `--json` line.
#[derive(Default, serde::Serialize)]
struct Report {
    tasks: usize,
    concurrency: usize,
    ping_rps: f64,
    get_task_rps: f64,
    get_task_p50_ms: f64,
    get_task_p99_ms: f64,
    search_p50_ms: f64,
    search_p99_ms: f64,
    create_rps: Option<f64>,
    create_p99_ms: Option<f64>,
    seed_seconds: Option<f64>,
    startup_ms: Option<f64>,
    rss_mb: Option<f64>,
    /// Peak of the server's private (anonymous) memory, sampled every 100 ms: `rss_mb` less
    /// the pages of the database file that the readers map, which are the kernel's page cache.
    rss_private_mb: Option<f64>,
    task_list_page_p50_ms: Option<f64>,
    task_page_p50_ms: Option<f64>,
    live: Option<live::LiveReport>,
    inbox: Option<inbox::InboxReport>,
    graph: Option<graph::GraphReport>,
}

/// Real words for the head of the vocabulary; the long tail is made of syllables.
const COMMON: [&str; 64] = [
    "login",
    "billing",
    "search",
    "export",
    "import",
    "sync",
    "cache",
    "query",
    "index",
    "token",
    "session",
    "upload",
    "avatar",
    "webhook",
    "invoice",
    "report",
    "dashboard",
    "filter",
    "sidebar",
    "shortcut",
    "timezone",
    "calendar",
    "cycle",
    "project",
    "milestone",
    "label",
    "comment",
    "markdown",
    "editor",
    "mobile",
    "desktop",
    "offline",
    "latency",
    "timeout",
    "retry",
    "crash",
    "memory",
    "leak",
    "render",
    "layout",
    "theme",
    "contrast",
    "keyboard",
    "focus",
    "modal",
    "toast",
    "email",
    "digest",
    "mention",
    "audit",
    "admin",
    "permission",
    "onboarding",
    "pricing",
    "checkout",
    "payment",
    "refund",
    "backup",
    "restore",
    "migration",
    "schema",
    "replica",
    "queue",
    "worker",
];
const SYLLABLES: [&str; 16] = [
    "ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "zu", "ba", "de", "fi", "go", "hu", "ja",
];
const VOCABULARY: usize = 4096;

/// Word number `i` of the vocabulary: the 64 common words first, then syllable words.
fn word(i: usize) -> String {
    if i < COMMON.len() {
        return COMMON[i].to_string();
    }
    let mut n = i;
    let mut w = String::new();
    for _ in 0..3 {
        w.push_str(SYLLABLES[n % SYLLABLES.len()]);
        n /= SYLLABLES.len();
    }
    w
}

/// A fixed-seed generator (SplitMix64): the same workspace on every run, so runs compare.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Zipf-like: word ranks are spread log-uniformly, so a few words are everywhere and
    /// most are rare, as in real text.
    fn word(&mut self) -> String {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        word(
            ((VOCABULARY as f64).powf(u) as usize)
                .saturating_sub(1)
                .min(VOCABULARY - 1),
        )
    }
    fn words(&mut self, n: usize) -> String {
        (0..n).map(|_| self.word()).collect::<Vec<_>>().join(" ")
    }
    /// A word people would search for: neither everywhere nor nowhere (ranks 20 to 500).
    fn search_word(&mut self) -> String {
        word(20 + self.below(480))
    }
}

const TEAMS: [&str; 4] = ["ENG", "DES", "OPS", "SUP"];
const USER: &str = "bench@orgn.local";
const PASSWORD: &str = "bench-password";

pub async fn run(args: BenchArgs) -> Result<(), String> {
    let mut report = Report {
        tasks: args.tasks,
        concurrency: args.concurrency,
        ..Default::default()
    };
    let mut server = None;
    let (base, token, session, identifiers) = match (&args.url, &args.token) {
        (Some(url), Some(token)) => {
            let ids = discover_identifiers(url, token).await?;
            (
                url.trim_end_matches('/').to_string(),
                token.clone(),
                None,
                ids,
            )
        }
        (Some(_), None) | (None, Some(_)) => return Err("--url and --token go together".into()),
        (None, None) => {
            let own = own_server(&args, &mut report).await?;
            server = Some(own.server);
            (own.base, own.token, Some(own.session), own.identifiers)
        }
    };
    let private_memory = server
        .as_ref()
        .map(|(child, _, _): &(Child, PathBuf, bool)| watch_private_memory(child.id()));
    let bench = Bench::new(
        &base,
        &token,
        args.concurrency,
        Duration::from_secs_f64(args.seconds),
    );
    if args.soak || args.signins > 0 {
        let json = if args.soak {
            serde_json::to_string(&soak::run(&bench, &identifiers).await?)
        } else {
            serde_json::to_string(&signins::run(&bench, args.signins).await?)
        };
        stop_server(server);
        if args.json {
            println!("{}", json.map_err(|e| e.to_string())?);
        }
        return Ok(());
    }
    let ping = bench
        .run(|_, _| json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .await?;
    report.ping_rps = ping.rps();
    let ids = Arc::new(identifiers);
    let get = {
        let ids = ids.clone();
        bench
            .run(move |dice, _| tool("get_task", json!({"id": ids[dice.below(ids.len())]})))
            .await?
    };
    (
        report.get_task_rps,
        report.get_task_p50_ms,
        report.get_task_p99_ms,
    ) = (get.rps(), get.percentile(50.0), get.percentile(99.0));
    let search = bench
        .run(|dice, _| {
            tool(
                "search_tasks",
                json!({"query": dice.search_word(), "status": "started", "limit": 25}),
            )
        })
        .await?;
    (report.search_p50_ms, report.search_p99_ms) =
        (search.percentile(50.0), search.percentile(99.0));
    report.inbox = Some(inbox::measure(&bench).await?);
    if args.url.is_none() || args.writes {
        let create = bench
            .run(|dice, n| tool("create_task", json!({"team": TEAMS[n % TEAMS.len()], "title": format!("Bench {}", dice.words(5)), "priority": "high"})))
            .await?;
        report.create_rps = Some(create.rps());
        report.create_p99_ms = Some(create.percentile(99.0));
        report.graph = Some(graph::measure(&bench).await?);
    }
    if let Some(session) = &session {
        measure_pages(&args, &mut report, &base, &token, session, &ids).await?;
        if args.streams > 0 {
            report.live = Some(live::measure(&bench, session, &ids, args.streams).await?);
        }
    }
    if let Some((mut child, dir, keep)) = server {
        report.rss_mb = memory_mb(child.id(), "VmHWM:");
        if let Some((watcher, stop)) = private_memory {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            report.rss_private_mb = watcher.await.ok();
        }
        let _ = child.kill();
        let _ = child.wait();
        if !keep {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    print_table(&report, &args);
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| e.to_string())?
        );
    }
    Ok(())
}

/// Stops a server of our own and removes its data unless it is to be kept.
fn stop_server(server: Option<(Child, PathBuf, bool)>) {
    if let Some((mut child, dir, keep)) = server {
        let _ = child.kill();
        let _ = child.wait();
        if !keep {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A server of our own on a seeded workspace, and how to reach it.
struct OwnServer {
    base: String,
    token: String,
    session: String,
    identifiers: Vec<String>,
    /// The process, its data dir, and whether to keep that dir afterwards.
    server: (Child, PathBuf, bool),
}

/// Seeds a workspace (or reuses one seeded by an earlier run), then starts `orgn serve` on it.
async fn own_server(args: &BenchArgs, report: &mut Report) -> Result<OwnServer, String> {
    let keep = args.data_dir.is_some();
    let dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("orgn-bench-{}", std::process::id())));
    if !keep && args.database_url.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let db = args.database_url.as_deref();
    let store = crate::app::open_store(db, &dir).await?;
    let ws = Workspace::new(store.clone(), Arc::new(SystemClock));
    // A workspace seeded by an earlier run is reused: new credentials, same tasks.
    let seeded = ws.has_users().await.map_err(|e| e.to_string())?;
    report.seed_seconds = if seeded {
        None
    } else {
        Some(seed(&ws, args.tasks).await?)
    };
    let (token, session) = credentials(&ws).await?;
    let identifiers = sample_identifiers(args.tasks);
    store.close().await;
    let (child, base, startup) = start_server(&dir, db)?;
    report.startup_ms = Some(startup);
    Ok(OwnServer {
        base,
        token,
        session,
        identifiers,
        server: (child, dir, keep),
    })
}

/// The web pages' times, as a person in the browser waits for them: a team's task list and
/// task pages, one client.
async fn measure_pages(
    args: &BenchArgs,
    report: &mut Report,
    base: &str,
    token: &str,
    session: &str,
    ids: &Arc<Vec<String>>,
) -> Result<(), String> {
    let pages = Bench::new(
        base,
        token,
        1,
        Duration::from_secs_f64(args.seconds.min(3.0)),
    );
    let list = pages
        .get_pages(session, |_| "/team/ENG/tasks".to_string())
        .await?;
    report.task_list_page_p50_ms = Some(list.percentile(50.0));
    let ids = ids.clone();
    let page = pages
        .get_pages(session, move |dice| {
            format!("/tasks/{}", ids[dice.below(ids.len())])
        })
        .await?;
    report.task_page_p50_ms = Some(page.percentile(50.0));
    Ok(())
}

fn tool(name: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}})
}

/// Seeds the workspace: people, teams, labels, projects, cycles and `n` tasks with text
/// from the fixed-seed generator, through the bulk path. Returns the seconds it took.
async fn seed(ws: &Workspace, n: usize) -> Result<f64, String> {
    let started = Instant::now();
    let e = |e: orgn_domain::Error| e.to_string();
    let op = Caller::Operator;
    let (user, people) = seed_people(ws).await?;
    let actor = ws.actor(user).await.map_err(e)?;
    let mut plan = Vec::new();
    for key in TEAMS {
        plan.push(seed_team_planning(ws, &actor, key).await?);
    }
    let mut dice = Dice(7);
    let now = ws.now();
    let batch = 10_000;
    let mut made = 0;
    while made < n {
        let size = batch.min(n - made);
        let tasks: Vec<NewTask> = (0..size)
            .map(|i| random_task(&mut dice, &plan[(made + i) % plan.len()], &people, now))
            .map(inbox::notify_assignee)
            .collect();
        ws.seed_tasks(op, &tasks).await.map_err(e)?;
        made += size;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// The bench user (an admin of every team) and nine members; returns the bench user and
/// everyone's ids.
async fn seed_people(ws: &Workspace) -> Result<(UserId, Vec<UserId>), String> {
    let e = |e: orgn_domain::Error| e.to_string();
    let op = Caller::Operator;
    let user = ws
        .create_user(op, USER, "Bench", PASSWORD, true)
        .await
        .map_err(e)?;
    let mut people = vec![user.id];
    for i in 0..9 {
        let email = format!("user{i}@orgn.local");
        let name = format!("User {i}");
        let member = ws.create_user(op, &email, &name, PASSWORD, false);
        people.push(member.await.map_err(e)?.id);
    }
    for key in TEAMS {
        ws.create_team(op, key, &format!("Team {key}"))
            .await
            .map_err(e)?;
        ws.add_member(op, key, USER, Role::Admin).await.map_err(e)?;
        for i in 0..9 {
            let email = format!("user{i}@orgn.local");
            ws.add_member(op, key, &email, Role::Member)
                .await
                .map_err(e)?;
        }
    }
    Ok((user.id, people))
}

/// What the seeded tasks of one team draw from.
struct TeamPlan {
    team_id: TeamId,
    statuses: Vec<Status>,
    labels: Vec<LabelId>,
    project: ProjectId,
    cycles: Vec<CycleId>,
}

/// A team's labels, one project and three cycles (the last, the current and the next).
async fn seed_team_planning(ws: &Workspace, actor: &Actor, key: &str) -> Result<TeamPlan, String> {
    let e = |e: orgn_domain::Error| e.to_string();
    let statuses = ws.statuses(actor, key).await.map_err(e)?;
    let mut labels = Vec::new();
    for name in ["bug", "feature", "chore", "frontend", "backend"] {
        let name = format!("{name}-{key}");
        let label = ws.create_label(actor, Some(key), &name, None);
        labels.push(label.await.map_err(e)?.id);
    }
    let draft = ProjectDraft {
        name: format!("Project {key}"),
        teams: vec![key.to_string()],
        ..Default::default()
    };
    let project = ws.create_project(actor, draft).await.map_err(e)?.id;
    let today = ws.today();
    let mut cycles = Vec::new();
    for c in -1i64..=1 {
        let start = today + time::Duration::days(c * 14 - 3);
        let draft = CycleDraft {
            team: key.to_string(),
            name: None,
            starts_on: start.to_string(),
            ends_on: (start + time::Duration::days(13)).to_string(),
        };
        cycles.push(ws.create_cycle(actor, draft).await.map_err(e)?.id);
    }
    let team_id = actor
        .memberships()
        .iter()
        .find(|m| m.team.key == *key)
        .map(|m| m.team.id)
        .ok_or("team missing")?;
    Ok(TeamPlan {
        team_id,
        statuses,
        labels,
        project,
        cycles,
    })
}

/// One task of `team`, with the dice thrown in a fixed order (the same workspace every run).
fn random_task(
    dice: &mut Dice,
    team: &TeamPlan,
    people: &[UserId],
    now: OffsetDateTime,
) -> NewTask {
    let status = &team.statuses[dice.below(team.statuses.len())];
    let started = (status.kind >= StatusKind::Started).then_some(now);
    let title_words = 4 + dice.below(5);
    let description_words = 15 + dice.below(40);
    NewTask {
        team_id: team.team_id,
        title: dice.words(title_words),
        description: dice.words(description_words),
        status_id: status.id,
        priority: Priority::new(dice.below(5) as i64).unwrap_or(Priority::NONE),
        assignee_id: (dice.below(5) > 0).then(|| people[dice.below(people.len())]),
        creator_id: people[dice.below(people.len())],
        label_ids: vec![team.labels[dice.below(team.labels.len())]],
        project_id: (dice.below(3) == 0).then_some(team.project),
        milestone_id: None,
        cycle_id: (dice.below(3) == 0).then(|| team.cycles[dice.below(team.cycles.len())]),
        due_date: None,
        estimate: Some(1 + dice.below(8) as i64),
        times: Lifecycle {
            started_at: started,
            completed_at: (status.kind == StatusKind::Completed).then_some(now),
            canceled_at: (status.kind == StatusKind::Canceled).then_some(now),
        },
        now,
        via: Via::of(Channel::Cli),
        inbox: Default::default(),
    }
}

async fn credentials(ws: &Workspace) -> Result<(String, String), String> {
    let e = |e: orgn_domain::Error| e.to_string();
    let user = ws.user_by_email(Caller::Operator, USER).await.map_err(e)?;
    let actor = ws.actor(user.id).await.map_err(e)?;
    let (token, _) = ws.generate_token(&actor).await.map_err(e)?;
    let session = ws.start_session(&user).await.map_err(e)?.id;
    Ok((token, session))
}

/// Identifiers spread over the seeded tasks (tasks go round-robin over the teams).
fn sample_identifiers(n: usize) -> Vec<String> {
    (0..1000.min(n))
        .map(|i| {
            let key = TEAMS[i % TEAMS.len()];
            let per_team = (n / TEAMS.len()).max(1);
            format!("{key}-{}", 1 + (i * 7919) % per_team)
        })
        .collect()
}

async fn discover_identifiers(url: &str, token: &str) -> Result<Vec<String>, String> {
    let bench = Bench::new(url, token, 1, Duration::ZERO);
    let answer = bench
        .call(&tool("search_tasks", json!({"limit": 100})))
        .await?;
    let ids: Vec<String> = answer["result"]["structuredContent"]["tasks"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|t| t["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    if ids.is_empty() {
        Err("the server returned no tasks to read".into())
    } else {
        Ok(ids)
    }
}

fn free_port() -> Result<u16, String> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| e.to_string())?
        .local_addr()
        .map_err(|e| e.to_string())?
        .port())
}

/// Starts `orgn serve` on the seeded data and waits for /healthz: the cold start.
fn start_server(dir: &PathBuf, database_url: Option<&str>) -> Result<(Child, String, f64), String> {
    let addr = format!("127.0.0.1:{}", free_port()?);
    let started = Instant::now();
    let child = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .args(["serve", "--addr", &addr])
        .env("ORGN_DATA_DIR", dir)
        .envs(database_url.map(|url| ("ORGN_DATABASE_URL", url)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start orgn serve: {e}"))?;
    while started.elapsed() < Duration::from_secs(60) {
        if std::net::TcpStream::connect(&addr).is_ok() {
            return Ok((
                child,
                format!("http://{addr}"),
                started.elapsed().as_secs_f64() * 1000.0,
            ));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    Err("the server did not start within 60 s".into())
}

/// A memory figure of process `pid` from /proc (`VmHWM`, `RssAnon`, …), in MB.
fn memory_mb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Samples the private memory of process `pid` every 100 ms; the task's result is the peak.
fn watch_private_memory(
    pid: u32,
) -> (
    tokio::task::JoinHandle<f64>,
    Arc<std::sync::atomic::AtomicBool>,
) {
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let done = stop.clone();
    let watcher = tokio::spawn(async move {
        let mut peak: f64 = 0.0;
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            peak = peak.max(memory_mb(pid, "RssAnon:").unwrap_or(0.0));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        peak
    });
    (watcher, stop)
}

struct Samples {
    latencies_us: Vec<u64>,
    elapsed: Duration,
}

impl Samples {
    fn rps(&self) -> f64 {
        self.latencies_us.len() as f64 / self.elapsed.as_secs_f64()
    }
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((p / 100.0) * (self.latencies_us.len() - 1) as f64).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }
}

#[derive(Clone)]
struct Bench {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
    token: String,
    concurrency: usize,
    duration: Duration,
}

impl Bench {
    fn new(base: &str, token: &str, concurrency: usize, duration: Duration) -> Bench {
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(concurrency.max(1))
            .build_http();
        Bench {
            client,
            base: base.to_string(),
            token: token.to_string(),
            concurrency: concurrency.max(1),
            duration,
        }
    }

    async fn call(&self, body: &Value) -> Result<Value, String> {
        let request = hyper::Request::post(format!("{}/mcp", self.base))
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-06-18")
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| e.to_string())?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|_| format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes)))?;
        if !status.is_success()
            || value.get("error").is_some()
            || value["result"]["isError"] == json!(true)
        {
            return Err(format!("HTTP {status}: {value}"));
        }
        Ok(value)
    }

    /// Runs `make` in `concurrency` loops for the duration; every request must succeed.
    async fn run<F>(&self, make: F) -> Result<Samples, String>
    where
        F: Fn(&mut Dice, usize) -> Value + Send + Sync + 'static,
    {
        let make = Arc::new(make);
        let started = Instant::now();
        let mut workers = Vec::new();
        for w in 0..self.concurrency {
            let bench = self.clone();
            let make = make.clone();
            workers.push(tokio::spawn(async move {
                let mut dice = Dice(1000 + w as u64);
                let mut latencies = Vec::new();
                let mut n = w;
                while started.elapsed() < bench.duration {
                    let body = make(&mut dice, n);
                    let t = Instant::now();
                    bench.call(&body).await?;
                    latencies.push(t.elapsed().as_micros() as u64);
                    n += bench.concurrency;
                }
                Ok::<_, String>(latencies)
            }));
        }
        let mut all = Vec::new();
        for w in workers {
            all.extend(w.await.map_err(|e| e.to_string())??);
        }
        let elapsed = started.elapsed();
        all.sort_unstable();
        Ok(Samples {
            latencies_us: all,
            elapsed,
        })
    }

    /// Fetches web pages with a session cookie, one at a time: server time plus loopback.
    async fn get_pages<F>(&self, session: &str, path: F) -> Result<Samples, String>
    where
        F: Fn(&mut Dice) -> String,
    {
        let mut dice = Dice(99);
        let mut all = Vec::new();
        let started = Instant::now();
        while started.elapsed() < self.duration {
            let request = hyper::Request::get(format!("{}{}", self.base, path(&mut dice)))
                .header("cookie", format!("{}={session}", orgn_web::SESSION_COOKIE))
                .body(Full::new(Bytes::new()))
                .map_err(|e| e.to_string())?;
            let t = Instant::now();
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status();
            response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?;
            if status != 200 {
                return Err(format!("page answered {status}"));
            }
            all.push(t.elapsed().as_micros() as u64);
        }
        let elapsed = started.elapsed();
        all.sort_unstable();
        Ok(Samples {
            latencies_us: all,
            elapsed,
        })
    }
}
