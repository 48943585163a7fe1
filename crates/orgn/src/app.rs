//! One way to start Orgn, shared by `orgn serve` and the tests: open the store, build the
//! workspace, bind the port, mount the web app and `/mcp`, serve.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use orgn_domain::Workspace;
use orgn_domain::clock::Clock;
use orgn_domain::store::Store;
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub addr: String,
    pub data_dir: PathBuf,
    /// A `postgres://…` URL: run on PostgreSQL instead of the SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// The URL people and clients use to reach this server; defaults to `http://ADDR`.
    pub public_url: Option<String>,
    pub demo: bool,
    /// The model behind Ask Orgn; without it the panel says how to configure one.
    pub assistant: Option<orgn_assistant::AssistantConfig>,
    /// Which ways OAuth clients may register (`orgn serve` flags).
    pub oauth: OAuthOptions,
    /// How long the change feed keeps changes (`--feed-retention-days`).
    pub feed_retention_days: u16,
    /// How long the MCP activity log keeps tool calls (`--activity-retention-days`).
    pub activity_retention_days: u16,
}

/// The operator's say on OAuth client registration; the workspace's admins can narrow it
/// further in Settings → MCP Access.
#[derive(Debug, Clone, Default)]
pub struct OAuthOptions {
    pub no_client_metadata_documents: bool,
    pub no_dynamic_client_registration: bool,
    /// Fetch client ID metadata documents from loopback addresses, over http too (tests).
    pub allow_loopback_client_metadata: bool,
}

impl OAuthOptions {
    fn server(&self, public_url: &str) -> orgn_domain::OAuthServer {
        orgn_domain::OAuthServer {
            metadata_documents: !self.no_client_metadata_documents,
            dynamic_registration: !self.no_dynamic_client_registration,
            allow_loopback_client_metadata: self.allow_loopback_client_metadata,
            ..orgn_domain::OAuthServer::new(public_url)
        }
    }
}

/// What one client's connections may hold of the server. axum::serve sets neither bound, so
/// the server runs hyper's HTTP/1.1 connection itself (see `serve`).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// How long a client may take to send a request's headers. hyper starts this timer
    /// whenever a connection waits for its next request, so it is also the idle keep-alive
    /// timeout: a connection that sends nothing is closed when it runs out.
    pub header_read_timeout: Duration,
    /// Connections served at once; more wait in the listen queue until one ends. Kept below
    /// the process's descriptor limit (see `ConnectionLimits::default`).
    pub max_connections: usize,
}

/// Descriptors kept for everything but connections: the database, exports, logs.
const RESERVED_DESCRIPTORS: u64 = 256;

impl Default for ConnectionLimits {
    /// 10 s for headers (and idle keep-alive), at most 10,000 connections, fewer when the
    /// descriptor limit (`ulimit -n`) is lower: it minus 256 others.
    fn default() -> Self {
        let budget = descriptor_limit().map_or(1_024, |n| n.saturating_sub(RESERVED_DESCRIPTORS));
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: budget.clamp(64, 10_000) as usize,
        }
    }
}

/// The soft limit on open descriptors, when the platform tells.
fn descriptor_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct passed, which lives for the call.
        let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
        #[allow(clippy::unnecessary_cast)] // rlim_t is u64 on Linux, not on every unix
        (ok && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur as u64)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets the connections
/// finish: hyper's HTTP/1.1 connections with a header-read timeout (hyper's own timer), at
/// most `max_connections` at once (a permit per connection, taken before `accept`), each
/// request knowing its peer address (`ConnectInfo`, which counts dynamic client
/// registrations per address).
async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower_service::Service;

    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept(&listener, &permits) => accepted,
        };
        let Some((stream, peer, permit)) = accepted else {
            continue;
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<_>| {
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            router.clone().call(request)
        });
        // No upgrades: Orgn has no WebSocket, its live pages are server-sent events.
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// The next connection, once one of the permits is free. None when accepting failed (a
/// client gone before it was accepted, or descriptors exhausted: waits a moment then).
async fn accept(
    listener: &TcpListener,
    permits: &Arc<tokio::sync::Semaphore>,
) -> Option<(
    tokio::net::TcpStream,
    SocketAddr,
    tokio::sync::OwnedSemaphorePermit,
)> {
    let permit = permits
        .clone()
        .acquire_owned()
        .await
        .expect("the semaphore is never closed");
    match listener.accept().await {
        Ok((stream, peer)) => Some((stream, peer, permit)),
        Err(e) => {
            tracing::warn!(error = %e, "accepting a connection failed");
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
    }
}

pub struct Application {
    limits: ConnectionLimits,
    listener: TcpListener,
    router: Router,
    workspace: Workspace,
    store: Arc<dyn Store>,
    public_url: String,
    activity_retention: time::Duration,
}

impl Application {
    /// Opens the database (migrating it), seeds the demo if asked and empty, and binds.
    pub async fn build(config: &ServeConfig, clock: Arc<dyn Clock>) -> Result<Application, String> {
        // Checked first: a wrong URL would put wrong snippets on the MCP Access page and
        // refuse every client's Host and Origin.
        let given_url = config
            .public_url
            .as_deref()
            .map(check_public_url)
            .transpose()?;
        let store = open_store(config.database_url.as_deref(), &config.data_dir).await?;
        let workspace = Workspace::new(store.clone(), clock)
            .with_feed_retention(time::Duration::days(config.feed_retention_days.into()));
        if config.demo {
            crate::demo::seed_if_empty(&workspace)
                .await
                .map_err(|e| format!("seeding the demo failed: {e}"))?;
        }
        let listener = TcpListener::bind(&config.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let public_url = given_url.unwrap_or_else(|| format!("http://{addr}"));
        let assistant = orgn_assistant::Assistant::new(workspace.clone(), config.assistant.clone());
        let oauth = config.oauth.server(&public_url);
        let router = routes(workspace.clone(), assistant, &public_url, oauth);
        Ok(Application {
            limits: ConnectionLimits::default(),
            listener,
            router,
            workspace,
            store,
            public_url,
            activity_retention: time::Duration::days(config.activity_retention_days.into()),
        })
    }

    /// Other bounds on connections than the defaults (tests use short ones).
    pub fn with_connection_limits(mut self, limits: ConnectionLimits) -> Application {
        self.limits = limits;
        self
    }

    pub fn addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    /// Serves until `shutdown` resolves, then closes the database cleanly.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // Background jobs and the Trash sweep run beside the server, in every process.
        let (stop_runner, stopped) = tokio::sync::watch::channel(false);
        let runner_name = format!("{}-{}", std::process::id(), self.addr());
        let runner = tokio::spawn(
            orgn_jobs::Runner::new(self.workspace.clone(), runner_name)
                .tool_calls_kept_for(self.activity_retention)
                .run(stopped),
        );
        // Live streams never end by themselves: ending them lets the graceful shutdown finish.
        let workspace = self.workspace.clone();
        let shutdown = async move {
            shutdown.await;
            workspace.end_live_streams();
        };
        let result = serve(self.listener, self.router, self.limits, shutdown).await;
        let _ = stop_runner.send(true);
        let _ = runner.await;
        self.store.close().await;
        result
    }
}

/// The store of a workspace: PostgreSQL when a database URL is given, else the SQLite file
/// in the data dir. Pending migrations are applied; a newer schema is refused.
pub async fn open_store(
    database_url: Option<&str>,
    data_dir: &std::path::Path,
) -> Result<Arc<dyn Store>, String> {
    match database_url.filter(|u| !u.trim().is_empty()) {
        Some(url) if orgn_storage::postgres::is_url(url) => orgn_storage::open(url).await.map_err(|e| e.to_string()),
        Some(_) => Err("the database URL must start with postgres:// (without one, Orgn uses the SQLite file in the data dir)".into()),
        None => Ok(Arc::new(orgn_storage::SqliteStore::open(data_dir).await.map_err(|e| e.to_string())?)),
    }
}

/// `https://orgn.example.com` or `http://host:port`: an origin, without a path, since Orgn
/// serves from the root. Returned without a trailing slash.
fn check_public_url(url: &str) -> Result<String, String> {
    let trimmed = url.trim().trim_end_matches('/');
    let bad = || {
        format!(
            "--public-url \"{url}\" must be an http(s) origin like https://orgn.example.com (no path)"
        )
    };
    let uri: axum::http::Uri = trimmed.parse().map_err(|_| bad())?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http") | Some("https"));
    let no_path = uri.path() == "/" || uri.path().is_empty();
    if !scheme_ok || uri.host().is_none_or(str::is_empty) || !no_path || uri.query().is_some() {
        return Err(bad());
    }
    Ok(trimmed.to_string())
}

fn routes(
    workspace: Workspace,
    assistant: orgn_assistant::Assistant,
    public_url: &str,
    oauth: orgn_domain::OAuthServer,
) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(orgn_mcp::router(
            workspace.clone(),
            orgn_mcp::McpConfig {
                public_url: public_url.to_string(),
                oauth: oauth.clone(),
            },
        ))
        .merge(orgn_web::router(
            workspace,
            orgn_web::WebConfig {
                public_url: public_url.to_string(),
                assistant,
                oauth,
            },
        ))
}
