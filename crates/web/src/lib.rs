//! Orgn's web app: server-rendered HTML over the domain's [`Workspace`].
//!
//! Every page is a plain async handler: it takes the signed-in user (a [`session::Me`], or a
//! [`session::Posted`] form whose CSRF token has been checked), calls the workspace, which
//! applies the access rule, and renders an askama template. Forms work without JavaScript;
//! `assets/app.js` only adds shortcuts, copy buttons, dialogs, shift-click selection, live
//! job progress and the Ask Orgn panel with its streamed answers; `assets/keys.js` the
//! command palette (`pages/palette.rs`), moving through lists by keyboard and the phone menu;
//! htmx (vendored, with `assets/live.js`) applies edits in place and keeps pages live.

mod assets;
mod burnup;
mod client_metadata;
mod error;
mod form_stream;
mod markdown;
#[cfg(test)]
mod markdown_props;
mod pages;
mod session;
mod view;

/// The name of the cookie that carries a web session (for tools such as `orgn bench`).
pub use session::SESSION_COOKIE;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use orgn_domain::Workspace;

/// How the web app is reached from outside.
#[derive(Clone)]
pub struct WebConfig {
    /// `https://orgn.example.com` (no trailing slash needed): used for the MCP client
    /// snippets, and to mark the session cookie `Secure` when it is https.
    pub public_url: String,
    /// Ask Orgn, the in-app assistant (it says so itself when no model is configured).
    pub assistant: orgn_assistant::Assistant,
    /// Orgn as the OAuth authorization server of `/mcp` (`pages/oauth.rs`).
    pub oauth: orgn_domain::OAuthServer,
}

#[derive(Clone)]
pub(crate) struct AppState {
    pub workspace: Workspace,
    pub public_url: String,
    pub secure_cookies: bool,
    /// Ask Orgn (it answers "not configured" itself when no model is set).
    pub assistant: orgn_assistant::Assistant,
    /// Bounds the live streams (`/events`) one process holds open.
    pub live_streams: Arc<tokio::sync::Semaphore>,
    /// The last changes' messages, shared by every stream (`pages/live.rs`).
    pub live_messages: Arc<pages::live::MessageCache>,
    pub oauth: Arc<pages::oauth::OAuthState>,
}

/// The web app's routes. The binary merges them with `/mcp` and `/healthz`.
pub fn router(workspace: Workspace, config: WebConfig) -> Router {
    let public_url = config.public_url.trim_end_matches('/').to_string();
    let state = AppState {
        workspace,
        secure_cookies: public_url.starts_with("https://"),
        public_url,
        assistant: config.assistant,
        live_streams: Arc::new(tokio::sync::Semaphore::new(pages::live::MAX_STREAMS)),
        live_messages: Default::default(),
        oauth: Arc::new(pages::oauth::OAuthState {
            fetcher: Arc::new(client_metadata::HttpMetadataFetcher::new(
                config.oauth.allow_loopback_client_metadata,
            )),
            server: config.oauth,
        }),
    };
    // A CSV import is posted as a form field: allow big files on those two routes only.
    let big = || DefaultBodyLimit::max(pages::data::MAX_IMPORT_BYTES);
    use pages::*;
    Router::new()
        .route("/", get(home))
        .route(
            "/signin",
            get(auth::sign_in_page)
                .post(auth::sign_in)
                .layer(DefaultBodyLimit::max(auth::MAX_SIGN_IN_FORM)),
        )
        .route("/signout", post(auth::sign_out))
        .route("/my", get(tasks::list::my_tasks))
        .route("/team/{key}/tasks", get(tasks::list::team_tasks))
        .route("/team/{key}/board", get(tasks::board::board))
        .route("/team/{key}/board/move", post(tasks::board::move_card))
        .route("/tasks/group", get(tasks::groups::more))
        .route("/team/{key}/trash", get(trash::page))
        .route("/trash/restore", post(trash::restore))
        .route("/trash/purge", post(trash::purge))
        .route("/tasks/bulk", post(bulk::apply))
        .route("/tasks/bulk/undo", post(bulk::undo))
        .route("/team/{key}/cycles", get(cycles::list).post(cycles::create))
        .route("/team/{key}/cycles/{number}", get(cycles::show))
        .route(
            "/team/{key}/labels",
            get(labels::team_labels).post(labels::create_team_label),
        )
        .route(
            "/labels",
            get(labels::workspace_labels).post(labels::create_workspace_label),
        )
        .route("/labels/{id}", post(labels::update))
        .route(
            "/labels/{id}/delete",
            get(labels::confirm_delete).post(labels::delete),
        )
        .route("/tasks", post(tasks::new::create))
        .route("/tasks/new", get(tasks::new::new_form))
        .route(
            "/tasks/{id}",
            get(tasks::show::show).post(tasks::show::update),
        )
        .route("/tasks/{id}/comments", post(tasks::show::add_comment))
        .route(
            "/tasks/{id}/delete",
            get(trash::confirm_task).post(trash::delete_task),
        )
        .route("/comments/{id}", post(tasks::show::edit_comment))
        .route("/projects", get(projects::list).post(projects::create))
        .route("/projects/{id}", get(projects::show).post(projects::update))
        .route("/projects/{id}/milestones", post(projects::add_milestone))
        .route("/docs", get(docs::list).post(docs::create))
        .route("/docs/new", get(docs::new_form))
        .route("/docs/{id}", get(docs::show).post(docs::update))
        .route("/docs/{id}/edit", get(docs::edit_form))
        .route("/docs/{id}/versions", get(revisions::doc_versions))
        .route(
            "/docs/{id}/versions/{revision}/restore",
            post(revisions::restore_doc),
        )
        .route("/tasks/{id}/versions", get(revisions::task_versions))
        .route(
            "/tasks/{id}/versions/{revision}/restore",
            post(revisions::restore_task),
        )
        .route(
            "/docs/{id}/delete",
            get(trash::confirm_doc).post(trash::delete_doc),
        )
        .route("/inbox", get(inbox::page))
        .route("/inbox/count", get(inbox::count))
        .route("/inbox/{id}", get(inbox::open))
        .route("/inbox/mark", post(inbox::mark))
        .route("/inbox/read-all", post(inbox::mark_all))
        .route("/mentions", get(inbox::mentions))
        .route("/tasks/{id}/follow", post(inbox::follow))
        .route("/settings", get(settings::index))
        .route("/settings/profile", get(settings::profile))
        .route("/settings/profile/name", post(settings::rename))
        .route("/settings/profile/handle", post(settings::set_handle))
        .route("/settings/profile/shortcuts", post(settings::set_shortcuts))
        .route(
            "/settings/profile/password",
            post(settings::change_password),
        )
        .route("/settings/data", get(data::page))
        .route("/settings/data/export", post(data::export))
        .route("/settings/data/reindex", post(data::reindex))
        .route("/settings/data/import", post(data::preview).layer(big()))
        .route(
            "/settings/data/import/start",
            post(data::start_import).layer(big()),
        )
        .route("/jobs/{id}", get(data::job))
        .route("/jobs/{id}/cancel", post(data::cancel))
        .route("/jobs/{id}/files/{name}", get(data::file))
        .route("/settings/members", get(settings::members))
        .route("/settings/members/users", post(settings::create_user))
        .route("/settings/members/teams", post(settings::create_team))
        .route(
            "/settings/members/memberships",
            post(settings::set_membership),
        )
        .route(
            "/settings/mcp",
            get(mcp_access::page).post(mcp_access::generate),
        )
        .route(
            "/settings/mcp/apps/{id}/disconnect",
            post(mcp_access::disconnect),
        )
        .route("/settings/mcp/oauth", post(mcp_access::set_registration))
        .route("/assistant", get(assistant::show))
        .route("/assistant/panel", get(assistant::fragment))
        .route("/assistant/ask", post(assistant::ask))
        .route(
            "/assistant/{conversation}/proposals/{id}/confirm",
            post(assistant::confirm),
        )
        .route(
            "/assistant/{conversation}/proposals/{id}/cancel",
            post(assistant::cancel),
        )
        .route("/events", get(live::events))
        .merge(oauth_routes())
        .route("/assets/app.css", get(assets::css))
        .route("/assets/app.js", get(assets::js))
        .route("/assets/keys.js", get(assets::keys_js))
        .route("/assets/favicon.svg", get(assets::favicon_svg))
        .route("/favicon.ico", get(assets::favicon_ico))
        .route("/palette", get(palette::results))
        .route("/assets/live.js", get(assets::live_js))
        .route(assets::HTMX_PATH, get(assets::htmx))
        .route(assets::HTMX_SSE_PATH, get(assets::htmx_sse))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.secure_cookies,
            security_headers,
        ))
        .with_state(state)
}

/// The OAuth authorization server of `/mcp` (`pages/oauth.rs`, `pages/oauth_token.rs`).
fn oauth_routes() -> Router<AppState> {
    use pages::{oauth, oauth_token};
    let small = || DefaultBodyLimit::max(oauth_token::MAX_OAUTH_BODY);
    let resource = || get(oauth::protected_resource).options(oauth::preflight);
    let server = || get(oauth::authorization_server).options(oauth::preflight);
    Router::new()
        .route("/.well-known/oauth-protected-resource", resource())
        .route("/.well-known/oauth-protected-resource/mcp", resource())
        .route(
            "/.well-known/oauth-protected-resource/mcp/readonly",
            get(oauth::protected_resource_readonly).options(oauth::preflight),
        )
        .route("/.well-known/oauth-authorization-server", server())
        .route("/.well-known/openid-configuration", server())
        .route(
            "/oauth/authorize",
            get(oauth::authorize).post(oauth::decide).layer(small()),
        )
        .route(
            "/oauth/token",
            post(oauth_token::token)
                .options(oauth::preflight)
                .layer(small()),
        )
        .route(
            "/oauth/register",
            post(oauth_token::register)
                .options(oauth::preflight)
                .layer(small()),
        )
        .route(
            "/oauth/revoke",
            post(oauth_token::revoke)
                .options(oauth::preflight)
                .layer(small()),
        )
}

/// Headers every answer of the web app carries. No inline script or style is allowed: all
/// behaviour comes from `/assets/app.js`, all styling from `/assets/app.css` and attributes.
/// Served over https (the public URL says so), browsers are also told to come back over
/// https only, for a year (HSTS).
async fn security_headers(State(https): State<bool>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    if https {
        res.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    // The OAuth consent page alone may send its form on to the client's redirect URI.
    let form_action = match res.extensions().get::<pages::oauth::FormActionSource>() {
        Some(source) => format!("'self' {}", source.0),
        None => "'self'".into(),
    };
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
         form-action {form_action}; base-uri 'none'; frame-ancestors 'none'"
    );
    let h = res.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
