//! One way to start Orgn, shared by `orgn serve` and the tests: open the store, build the
//! workspace, bind the port, mount the web app and `/mcp`, serve.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

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

pub struct Application {
    listener: TcpListener,
    router: Router,
    workspace: Workspace,
    store: Arc<dyn Store>,
    public_url: String,
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
            listener,
            router,
            workspace,
            store,
            public_url,
        })
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
        let runner =
            tokio::spawn(orgn_jobs::Runner::new(self.workspace.clone(), runner_name).run(stopped));
        // Live streams never end by themselves: ending them lets the graceful shutdown finish.
        let workspace = self.workspace.clone();
        let shutdown = async move {
            shutdown.await;
            workspace.end_live_streams();
        };
        // The peer address counts dynamic client registrations per address.
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let result = axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await;
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
