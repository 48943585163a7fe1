//! `orgn` on the command line. Every flag can also come from an `ORGN_*` variable.
//! Failures print one line on stderr and exit non-zero.

use std::io::{IsTerminal, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use orgn_domain::changes::{Channel, Via};
use orgn_domain::clock::SystemClock;
use orgn_domain::model::Role;
use orgn_domain::{Caller, Workspace, rfc3339};

use crate::app::{Application, ServeConfig};

#[derive(Parser)]
#[command(
    name = "orgn",
    version,
    about = "A self-hosted project-management workspace with an MCP server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DataDir {
    /// Where the database lives.
    #[arg(long, env = "ORGN_DATA_DIR", default_value = "./orgn-data")]
    data_dir: PathBuf,
    /// Run on PostgreSQL (postgres://user:password@host:port/db) instead of the SQLite file
    /// in the data dir.
    #[arg(long, env = "ORGN_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

/// The model behind Ask Orgn: any OpenAI-compatible Chat Completions endpoint (OpenAI,
/// Ollama, llama.cpp, vLLM, LM Studio) or Anthropic's Messages API.
#[derive(Args, Clone)]
struct AssistantArgs {
    /// e.g. http://localhost:11434/v1 (Ollama) or https://api.anthropic.com
    #[arg(long, env = "ORGN_ASSISTANT_URL")]
    assistant_url: Option<String>,
    #[arg(long, env = "ORGN_ASSISTANT_MODEL")]
    assistant_model: Option<String>,
    /// Which wire format; detected from the URL when not given.
    #[arg(long, env = "ORGN_ASSISTANT_API", value_parser = ["openai", "anthropic"])]
    assistant_api: Option<String>,
    /// Tokens one person may use in a day (UTC); no budget when not given.
    #[arg(long, env = "ORGN_ASSISTANT_DAILY_TOKENS", value_parser = clap::value_parser!(u64).range(1..))]
    assistant_daily_tokens: Option<u64>,
}

impl AssistantArgs {
    /// The key comes only from the environment (`ORGN_ASSISTANT_API_KEY`), never a flag,
    /// so that it does not show in the process list.
    fn config(self) -> Result<Option<orgn_assistant::AssistantConfig>, String> {
        let key = std::env::var("ORGN_ASSISTANT_API_KEY")
            .ok()
            .filter(|k| !k.is_empty());
        match (self.assistant_url, self.assistant_model) {
            (None, None) => Ok(None),
            (Some(url), Some(model)) => {
                let mut config = orgn_assistant::AssistantConfig::new(url, model, key);
                if let Some(api) = self
                    .assistant_api
                    .as_deref()
                    .and_then(orgn_assistant::Api::parse)
                {
                    config = config.with_api(api);
                }
                config.limits.daily_tokens = self.assistant_daily_tokens;
                config.validate()?;
                Ok(Some(config))
            }
            _ => Err("--assistant-url and --assistant-model go together".into()),
        }
    }
}

/// How OAuth clients (Claude's and ChatGPT's connectors, VS Code, Cursor) may register.
#[derive(Args)]
struct OAuthArgs {
    /// Refuse OAuth clients identified by a client ID metadata document (an https client_id).
    #[arg(long, env = "ORGN_NO_CLIENT_METADATA_DOCUMENTS")]
    no_client_metadata_documents: bool,
    /// Refuse OAuth dynamic client registration (RFC 7591).
    #[arg(long, env = "ORGN_NO_DYNAMIC_CLIENT_REGISTRATION")]
    no_dynamic_client_registration: bool,
    /// Fetch client ID metadata documents from loopback addresses, over plain http too
    /// (for tests; never on a server others use).
    #[arg(long)]
    allow_loopback_client_metadata: bool,
}

impl OAuthArgs {
    fn options(&self) -> crate::app::OAuthOptions {
        crate::app::OAuthOptions {
            no_client_metadata_documents: self.no_client_metadata_documents,
            no_dynamic_client_registration: self.no_dynamic_client_registration,
            allow_loopback_client_metadata: self.allow_loopback_client_metadata,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app and the MCP endpoint.
    Serve {
        #[arg(long, env = "ORGN_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
        /// The URL people and MCP clients use to reach this server (e.g. https://orgn.example.com).
        #[arg(long, env = "ORGN_PUBLIC_URL")]
        public_url: Option<String>,
        /// Seed a demo workspace when the database is empty.
        #[arg(long, env = "ORGN_DEMO")]
        demo: bool,
        #[command(flatten)]
        data: DataDir,
        #[command(flatten)]
        assistant: AssistantArgs,
        #[command(flatten)]
        oauth: OAuthArgs,
        /// How many days the change feed keeps changes: live pages and `list_changes` can
        /// look that far back, and an edit based on an older version counts every change
        /// since as a conflict.
        #[arg(long, env = "ORGN_FEED_RETENTION_DAYS", default_value_t = orgn_domain::FEED_RETENTION_DAYS,
              value_parser = clap::value_parser!(u16).range(1..=3650))]
        feed_retention_days: u16,
        /// How many days Settings → MCP Access keeps the log of MCP tool calls.
        #[arg(long, env = "ORGN_ACTIVITY_RETENTION_DAYS", default_value_t = 90,
              value_parser = clap::value_parser!(u16).range(1..=3650))]
        activity_retention_days: u16,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage teams and their members.
    Team {
        #[command(subcommand)]
        command: TeamCommand,
    },
    /// Personal access tokens for MCP clients.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Apply pending database migrations (serve also applies them when it starts).
    Migrate {
        #[command(flatten)]
        data: DataDir,
    },
    /// Copy a workspace from its SQLite file into an empty PostgreSQL database, keeping
    /// every id, and verify row counts and checksums of every table.
    Copy {
        /// The source: sqlite:PATH (a data dir, or the orgn.db file in it).
        #[arg(long)]
        from: String,
        /// The target: postgres://… (an empty database).
        #[arg(long)]
        to: String,
    },
    /// Measure throughput and latency: seeds N tasks and drives the real server over MCP,
    /// or drives an existing server with --url and --token.
    Bench {
        #[arg(long, default_value_t = 10_000)]
        tasks: usize,
        /// Seconds per workload.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// An existing server to drive (read-only unless --writes).
        #[arg(long, env = "ORGN_BENCH_URL")]
        url: Option<String>,
        #[arg(long, env = "ORGN_BENCH_TOKEN")]
        token: Option<String>,
        #[arg(long)]
        writes: bool,
        /// End with one line of JSON holding every figure.
        #[arg(long)]
        json: bool,
        /// Keep the seeded workspace in DIR, and reuse it on the next run with the same --tasks.
        #[arg(long)]
        data_dir: Option<std::path::PathBuf>,
        /// Seed and serve on this PostgreSQL database instead (reused when already seeded).
        #[arg(long, env = "ORGN_BENCH_DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
        /// The `live` workload: hold N event streams (/events) open while an MCP client
        /// writes; reports change-to-delivery times (own server only).
        #[arg(long, default_value_t = 0)]
        streams: usize,
        /// Only the soak: --concurrency MCP clients for --seconds, a mix of reads and
        /// writes; reports errors and latency percentiles (scripts/soak).
        #[arg(long)]
        soak: bool,
        /// Only /healthz latency while N sign-ins run in parallel (own server only).
        #[arg(long, default_value_t = 0)]
        signins: usize,
    },
    /// Exit 0 when a server answers on ADDR.
    Healthcheck {
        #[arg(long, env = "ORGN_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. The password comes from ORGN_PASSWORD, or is asked for on a terminal.
    Create {
        #[arg(long, env = "ORGN_EMAIL")]
        email: String,
        #[arg(long, env = "ORGN_NAME")]
        name: String,
        #[arg(long, env = "ORGN_ADMIN")]
        admin: bool,
        /// The handle others @mention them by; default: from the e-mail's local part.
        #[arg(long, env = "ORGN_HANDLE")]
        handle: Option<String>,
        #[command(flatten)]
        data: DataDir,
    },
}

#[derive(Subcommand)]
enum TeamCommand {
    /// Create a team with the default workflow.
    Create {
        #[arg(long, env = "ORGN_TEAM_KEY")]
        key: String,
        #[arg(long, env = "ORGN_TEAM_NAME")]
        name: String,
        #[command(flatten)]
        data: DataDir,
    },
    /// Add a member to a team (or change their role).
    AddMember {
        #[arg(long, env = "ORGN_TEAM")]
        team: String,
        #[arg(long, env = "ORGN_EMAIL")]
        email: String,
        #[arg(long, env = "ORGN_ROLE", default_value = "member", value_parser = ["admin", "member"])]
        role: String,
        #[command(flatten)]
        data: DataDir,
    },
    /// Remove a member from a team; their access ends at once.
    RemoveMember {
        #[arg(long, env = "ORGN_TEAM")]
        team: String,
        #[arg(long, env = "ORGN_EMAIL")]
        email: String,
        #[command(flatten)]
        data: DataDir,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a new token for the user, once; it replaces their previous one.
    Generate {
        #[arg(long, env = "ORGN_EMAIL")]
        email: String,
        #[command(flatten)]
        data: DataDir,
    },
    /// Show the user's token hint, creation, expiry and last use (never the token).
    Show {
        #[arg(long, env = "ORGN_EMAIL")]
        email: String,
        #[command(flatten)]
        data: DataDir,
    },
}

pub fn main() -> ExitCode {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let cli = Cli::parse();
    // rmcp logs every request of a stateless server at INFO (three lines each): warnings
    // only from libraries, information from Orgn.
    let filter = tracing_subscriber::filter::Targets::new()
        .with_default(tracing::Level::WARN)
        .with_target("orgn", tracing::Level::INFO);
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .finish()
        .with(filter)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("orgn: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Serve {
            addr,
            public_url,
            demo,
            data,
            assistant,
            oauth,
            feed_retention_days,
            activity_retention_days,
        } => {
            serve(ServeConfig {
                addr,
                data_dir: data.data_dir,
                database_url: data.database_url,
                public_url,
                demo,
                assistant: assistant.config()?,
                oauth: oauth.options(),
                feed_retention_days,
                activity_retention_days,
            })
            .await
        }
        Command::Healthcheck { addr } => healthcheck(&addr),
        Command::Bench {
            tasks,
            seconds,
            concurrency,
            url,
            token,
            writes,
            json,
            data_dir,
            database_url,
            streams,
            soak,
            signins,
        } => {
            let args = crate::bench::BenchArgs {
                tasks,
                seconds,
                concurrency,
                url,
                token,
                writes,
                json,
                data_dir,
                database_url,
                streams,
                soak,
                signins,
            };
            crate::bench::run(args).await
        }
        Command::Migrate { data } => migrate(&data).await,
        Command::Copy { from, to } => copy(&from, &to).await,
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    name,
                    admin,
                    handle,
                    data,
                },
        } => {
            let password = read_password()?;
            let ws = open(&data).await?;
            let user = ws
                .create_user_with_handle(
                    Caller::Operator,
                    &email,
                    &name,
                    &password,
                    admin,
                    handle.as_deref(),
                )
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "created user {} ({}, @{}){}",
                user.email,
                user.name,
                user.handle,
                if admin { " as workspace admin" } else { "" }
            );
            Ok(())
        }
        Command::Team { command } => team(command).await,
        Command::Token { command } => token(command).await,
    }
}

async fn team(command: TeamCommand) -> Result<(), String> {
    match command {
        TeamCommand::Create { key, name, data } => {
            let ws = open(&data).await?;
            let team = ws
                .create_team(Caller::Operator, &key, &name)
                .await
                .map_err(|e| e.to_string())?;
            println!("created team {} ({})", team.key, team.name);
        }
        TeamCommand::AddMember {
            team,
            email,
            role,
            data,
        } => {
            let ws = open(&data).await?;
            let role = Role::parse(&role).unwrap_or(Role::Member);
            ws.add_member(Caller::Operator, &team, &email, role)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{} is now {} of {}",
                email.trim(),
                role.as_str(),
                team.trim().to_uppercase()
            );
        }
        TeamCommand::RemoveMember { team, email, data } => {
            let ws = open(&data).await?;
            ws.remove_member(Caller::Operator, &team, &email)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "removed {} from {}",
                email.trim(),
                team.trim().to_uppercase()
            );
        }
    }
    Ok(())
}

async fn token(command: TokenCommand) -> Result<(), String> {
    match command {
        TokenCommand::Generate { email, data } => {
            let ws = open(&data).await?;
            let actor = actor_by_email(&ws, &email).await?;
            let (token, info) = ws.generate_token(&actor).await.map_err(|e| e.to_string())?;
            println!("{token}");
            eprintln!(
                "expires {}; it will not be shown again, and it replaces any previous token",
                rfc3339(info.expires_at)
            );
        }
        TokenCommand::Show { email, data } => {
            let ws = open(&data).await?;
            let actor = actor_by_email(&ws, &email).await?;
            match ws.token_info(&actor).await.map_err(|e| e.to_string())? {
                None => println!("{} has no token", actor.user().email),
                Some(info) => {
                    println!("hint:      {}", info.hint);
                    println!("created:   {}", rfc3339(info.created_at));
                    println!("expires:   {}", rfc3339(info.expires_at));
                    println!(
                        "last used: {}",
                        info.last_used_at
                            .map(rfc3339)
                            .unwrap_or_else(|| "never".into())
                    );
                }
            }
        }
    }
    Ok(())
}

async fn actor_by_email(ws: &Workspace, email: &str) -> Result<orgn_domain::Actor, String> {
    let user = ws
        .user_by_email(Caller::Operator, email)
        .await
        .map_err(|e| e.to_string())?;
    ws.actor(user.id)
        .await
        .map(|a| a.acting_via(Via::of(Channel::Cli)))
        .map_err(|e| e.to_string())
}

/// The workspace on the data dir, for one-off commands.
async fn open(data: &DataDir) -> Result<Workspace, String> {
    let store = crate::app::open_store(data.database_url.as_deref(), &data.data_dir).await?;
    Ok(Workspace::new(store, Arc::new(SystemClock)))
}

/// `orgn migrate`: applies what is pending and says where the schema stands.
async fn migrate(data: &DataDir) -> Result<(), String> {
    match data
        .database_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        Some(url) => {
            if !orgn_storage::postgres::is_url(url) {
                return Err("the database URL must start with postgres://".into());
            }
            let store = orgn_storage::PgStore::connect(url)
                .await
                .map_err(|e| e.to_string())?;
            let applied = store.migrate().await.map_err(|e| e.to_string());
            let versions = store.schema_versions().await.map_err(|e| e.to_string());
            orgn_domain::store::Store::close(&store).await;
            let applied = applied?;
            let version = versions?.last().copied().unwrap_or(0);
            report_migrations(&orgn_storage::postgres::describe(url), &applied, version);
        }
        None => {
            // The SQLite runner applies pending migrations when the store opens.
            let store = orgn_storage::SqliteStore::open(&data.data_dir)
                .await
                .map_err(|e| e.to_string())?;
            orgn_domain::store::Store::close(&store).await;
            let version = orgn_storage::sqlite::MIGRATIONS
                .last()
                .map(|m| m.0)
                .unwrap_or(0);
            println!(
                "{}: schema version {version} (up to date)",
                data.data_dir.display()
            );
        }
    }
    Ok(())
}

fn report_migrations(place: &str, applied: &[i64], version: i64) {
    if applied.is_empty() {
        println!("{place}: schema version {version}, nothing to apply");
    } else {
        let list: Vec<String> = applied.iter().map(|v| v.to_string()).collect();
        println!(
            "{place}: applied migration(s) {}; schema version {version}",
            list.join(", ")
        );
    }
}

/// `orgn copy --from sqlite:PATH --to postgres://…`.
async fn copy(from: &str, to: &str) -> Result<(), String> {
    let source = match orgn_storage::Location::parse(from) {
        orgn_storage::Location::Sqlite(path) if from.starts_with("sqlite:") => path,
        _ => {
            return Err(format!(
                "--from must be sqlite:PATH (a data dir or its orgn.db), got \"{from}\""
            ));
        }
    };
    if !orgn_storage::postgres::is_url(to) {
        return Err("--to must be a postgres:// URL".into());
    }
    println!(
        "copying {} to {}",
        orgn_storage::postgres::copy::sqlite_file(&source).display(),
        orgn_storage::postgres::describe(to)
    );
    let report =
        orgn_storage::postgres::copy::copy(&source, to, &|line: &str| println!("  {line}"))
            .await
            .map_err(|e| format!("copy failed: {e}"))?;
    print!("{}", report.render());
    if report.ok() {
        Ok(())
    } else {
        Err("the copy does not match its source (see the table above); nothing was committed to the target".into())
    }
}

fn read_password() -> Result<String, String> {
    if let Ok(p) = std::env::var("ORGN_PASSWORD") {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        return Err("set ORGN_PASSWORD, or run on a terminal to be asked for the password".into());
    }
    let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
    let again = rpassword::prompt_password("Again: ").map_err(|e| e.to_string())?;
    if first != again {
        return Err("the passwords differ".into());
    }
    Ok(first)
}

async fn serve(config: ServeConfig) -> Result<(), String> {
    let started = std::time::Instant::now();
    let app = Application::build(&config, Arc::new(SystemClock)).await?;
    let url = app.public_url().to_string();
    println!(
        "Orgn is running at {url} (ready in {} ms)",
        started.elapsed().as_millis()
    );
    if config.demo {
        println!(
            "Sign in as {} with password {}",
            crate::demo::ADMIN_EMAIL,
            crate::demo::PASSWORD
        );
    }
    println!("MCP endpoint: {url}/mcp  (tokens in Settings → MCP Access)");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    app.run_until(shutdown).await.map_err(|e| e.to_string())
}

/// A plain HTTP/1.1 GET of /healthz: no client library needed for one request.
fn healthcheck(addr: &str) -> Result<(), String> {
    let sock = addr
        .parse()
        .map_err(|_| format!("\"{addr}\" is not an address like 127.0.0.1:8080"))?;
    let mut stream = TcpStream::connect_timeout(&sock, Duration::from_secs(3))
        .map_err(|e| format!("no server at {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    if response.starts_with("HTTP/1.1 200") {
        println!("ok");
        Ok(())
    } else {
        Err(format!(
            "the server at {addr} is not healthy: {}",
            response.lines().next().unwrap_or("no answer")
        ))
    }
}
