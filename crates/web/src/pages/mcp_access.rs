//! Settings → MCP Access, as `shared/product/mcp-access.md` specifies it: generate the one
//! personal access token (shown once, in the answer to the POST that made it), see what is
//! known of the current one, and copy a client configuration.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use orgn_domain::model::TokenInfo;
use orgn_domain::store::OAuthSettings;
use orgn_domain::{Caller, TOKEN_LIFETIME, Workspace};
use serde::Deserialize;

use super::{bad_request, render, see};
use crate::AppState;
use crate::error::WebResult;
use crate::session::{Me, Posted};
use crate::view::{self, Chrome};

/// Stands in for the token until one is generated.
pub const PLACEHOLDER: &str = "<your-token>";

pub struct ClientConfig {
    pub id: &'static str,
    pub name: &'static str,
    /// Where the snippet goes, in words.
    pub file: String,
    pub snippet: String,
    pub checked: bool,
}

/// The snippets of the spec, for the server's public URL and a token (or the placeholder).
pub fn client_configs(public_url: &str, token: &str) -> Vec<ClientConfig> {
    let mcp_url = format!("{}/mcp", public_url.trim_end_matches('/'));
    let url_json = serde_json::to_string(&mcp_url).unwrap_or_default();
    let bearer_json = serde_json::to_string(&format!("Bearer {token}")).unwrap_or_default();
    // mcp-remote refuses plain http except to localhost unless told otherwise.
    let local = ["http://localhost", "http://127.0.0.1", "http://[::1]"]
        .iter()
        .any(|p| mcp_url.starts_with(p));
    let allow_http = if mcp_url.starts_with("http://") && !local {
        r#", "--allow-http""#
    } else {
        ""
    };
    vec![
        ClientConfig {
            id: "claude-desktop",
            name: "Claude Desktop",
            file: "Paste into claude_desktop_config.json (macOS: ~/Library/Application Support/Claude/, Windows: %APPDATA%\\Claude\\). \
                   Claude Desktop starts the mcp-remote bridge for it, which needs Node.js 18 or later."
                .into(),
            snippet: format!(
                "{{\n  \"mcpServers\": {{\n    \"orgn\": {{\n      \"command\": \"npx\",\n      \"args\": [\"-y\", \"mcp-remote\", {url_json}, \"--header\", \"Authorization:${{AUTH_HEADER}}\"{allow_http}],\n      \"env\": {{ \"AUTH_HEADER\": {bearer_json} }}\n    }}\n  }}\n}}"
            ),
            checked: true,
        },
        ClientConfig {
            id: "cursor",
            name: "Cursor",
            file: "Paste into ~/.cursor/mcp.json (or .cursor/mcp.json in a project).".into(),
            snippet: format!("{{ \"mcpServers\": {{ \"orgn\": {{ \"url\": {url_json}, \"headers\": {{ \"Authorization\": {bearer_json} }} }} }} }}"),
            checked: false,
        },
        ClientConfig {
            id: "vscode",
            name: "VS Code",
            file: "Paste into .vscode/mcp.json in your project, or into your user mcp.json (top-level key \"servers\").".into(),
            snippet: format!(
                "{{ \"servers\": {{ \"orgn\": {{ \"type\": \"http\", \"url\": {url_json}, \"headers\": {{ \"Authorization\": {bearer_json} }} }} }} }}"
            ),
            checked: false,
        },
        ClientConfig {
            id: "claude-code",
            name: "Claude Code",
            file: "Run this command in a terminal.".into(),
            snippet: format!("claude mcp add --transport http orgn {mcp_url} --header \"Authorization: Bearer {token}\""),
            checked: false,
        },
    ]
}

pub struct TokenView {
    pub hint: String,
    pub created: String,
    pub expires: String,
    pub expires_iso: String,
    pub last_used: String,
    pub expired: bool,
}

pub struct NewToken {
    pub token: String,
    pub expires_exact: String,
    pub expires_iso: String,
}

pub struct CallView {
    pub tool: String,
    pub target: String,
    pub ok: bool,
    pub when: String,
    /// "via Claude Desktop", when the client is known.
    pub via: String,
}

/// A connected OAuth app (a grant), as the Connected apps section lists it.
pub struct AppView {
    pub id: i64,
    pub name: String,
    pub scope: &'static str,
    pub connected: String,
    pub last_used: String,
}

#[derive(Template)]
#[template(path = "mcp_access.html")]
struct McpAccessPage {
    chrome: Chrome,
    current: Option<TokenView>,
    /// Present only in the answer to the POST that generated it.
    new_token: Option<NewToken>,
    /// What the generate form says it replaces, so that a resubmitted form does nothing.
    replaces: String,
    configs: Vec<ClientConfig>,
    calls: Vec<CallView>,
    lifetime_days: i64,
    apps: Vec<AppView>,
    mcp_url: String,
    /// The workspace's registration settings, shown to admins.
    oauth_settings: OAuthSettings,
}

fn marker(info: &Option<TokenInfo>) -> String {
    match info {
        Some(i) => format!("{}|{}", i.hint, view::rfc3339(i.created_at)),
        None => "none".into(),
    }
}

async fn page_for(
    ws: &Workspace,
    public_url: &str,
    me: &Me,
    new_token: Option<NewToken>,
    error: Option<String>,
) -> WebResult {
    let info = ws.token_info(&me.actor).await?;
    let calls = ws.recent_tool_calls(&me.actor, 20).await?;
    let apps = ws.connected_apps(&me.actor).await?;
    let oauth_settings = ws.oauth_settings().await?;
    let now = ws.now();
    let token_text = new_token
        .as_ref()
        .map(|t| t.token.as_str())
        .unwrap_or(PLACEHOLDER);
    let page = McpAccessPage {
        chrome: Chrome::new(me, "MCP Access", "settings:mcp").with_error(error),
        replaces: marker(&info),
        current: info.as_ref().map(|i| TokenView {
            hint: i.hint.clone(),
            created: view::when(i.created_at),
            expires: view::when(i.expires_at),
            expires_iso: view::rfc3339(i.expires_at),
            last_used: i
                .last_used_at
                .map(view::when)
                .unwrap_or_else(|| "Never".into()),
            expired: i.expires_at <= now,
        }),
        configs: client_configs(public_url, token_text),
        new_token,
        calls: calls
            .into_iter()
            .map(|c| CallView {
                tool: c.tool,
                target: c.target.unwrap_or_default(),
                ok: c.ok,
                when: view::when(c.at),
                via: c.client.map(|n| format!("via {n}")).unwrap_or_default(),
            })
            .collect(),
        lifetime_days: TOKEN_LIFETIME.whole_days(),
        apps: apps
            .into_iter()
            .map(|a| AppView {
                id: a.grant_id,
                name: a.client_name,
                scope: a.scope.as_str(),
                connected: view::when(a.connected_at),
                last_used: a
                    .last_used_at
                    .map(view::when)
                    .unwrap_or_else(|| "Never".into()),
            })
            .collect(),
        oauth_settings,
        mcp_url: format!("{}/mcp", public_url.trim_end_matches('/')),
    };
    let mut res = render(page)?;
    // The token must not land in any cache, and the page never in a frame.
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

pub async fn page(State(state): State<AppState>, me: Me) -> WebResult {
    page_for(&state.workspace, &state.public_url, &me, None, None).await
}

#[derive(Deserialize)]
pub struct GenerateForm {
    #[serde(default)]
    replaces: String,
    confirm: Option<String>,
}

pub async fn generate(State(state): State<AppState>, posted: Posted<GenerateForm>) -> WebResult {
    let ws = &state.workspace;
    let me = &posted.me;
    let info = ws.token_info(&me.actor).await?;
    // A form shown before the current token existed (a resubmission, another tab): do
    // nothing rather than replace a token the user may just have copied.
    if posted.form.replaces != marker(&info) {
        return see("/settings/mcp");
    }
    if info.is_some() && posted.form.confirm.as_deref() != Some("yes") {
        let msg = "Generating a new token replaces your current one, which stops working at once. Tick the box to confirm.";
        return bad_request(page_for(ws, &state.public_url, me, None, Some(msg.into())).await);
    }
    let (token, info) = ws.generate_token(&me.actor).await?;
    let new_token = NewToken {
        token,
        expires_exact: view::exact(info.expires_at),
        expires_iso: view::rfc3339(info.expires_at),
    };
    page_for(ws, &state.public_url, me, Some(new_token), None).await
}

/// POST `/settings/mcp/apps/{id}/disconnect`: the app's tokens stop working at once.
pub async fn disconnect(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<super::Empty>,
) -> WebResult {
    state
        .workspace
        .disconnect_app(&posted.me.actor, id)
        .await
        .map_err(super::missing)?;
    see("/settings/mcp#connected-apps")
}

#[derive(Deserialize)]
pub struct RegistrationForm {
    metadata_documents: Option<String>,
    dynamic_registration: Option<String>,
}

/// POST `/settings/mcp/oauth`: which ways of OAuth client registration the workspace
/// accepts (admins only).
pub async fn set_registration(
    State(state): State<AppState>,
    posted: Posted<RegistrationForm>,
) -> WebResult {
    let settings = OAuthSettings {
        metadata_documents: posted.form.metadata_documents.is_some(),
        dynamic_registration: posted.form.dynamic_registration.is_some(),
    };
    state
        .workspace
        .set_oauth_settings(Caller::User(&posted.me.actor), settings)
        .await?;
    see("/settings/mcp#oauth-registration")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_match_the_spec() {
        let c = client_configs("https://orgn.example.com", PLACEHOLDER);
        assert_eq!(
            c[0].snippet,
            r#"{
  "mcpServers": {
    "orgn": {
      "command": "npx",
      "args": ["-y", "mcp-remote", "https://orgn.example.com/mcp", "--header", "Authorization:${AUTH_HEADER}"],
      "env": { "AUTH_HEADER": "Bearer <your-token>" }
    }
  }
}"#
        );
        assert_eq!(
            c[1].snippet,
            r#"{ "mcpServers": { "orgn": { "url": "https://orgn.example.com/mcp", "headers": { "Authorization": "Bearer <your-token>" } } } }"#
        );
        assert_eq!(
            c[2].snippet,
            r#"{ "servers": { "orgn": { "type": "http", "url": "https://orgn.example.com/mcp", "headers": { "Authorization": "Bearer <your-token>" } } } }"#
        );
        assert_eq!(
            c[3].snippet,
            r#"claude mcp add --transport http orgn https://orgn.example.com/mcp --header "Authorization: Bearer <your-token>""#
        );
        for json in &c[..3] {
            serde_json::from_str::<serde_json::Value>(&json.snippet).expect("valid JSON");
        }
    }

    #[test]
    fn plain_http_off_localhost_needs_allow_http() {
        assert!(
            client_configs("http://orgn.lan:8080", "t")[0]
                .snippet
                .contains(r#""--allow-http""#)
        );
        assert!(
            !client_configs("http://127.0.0.1:8080", "t")[0]
                .snippet
                .contains("--allow-http")
        );
        assert!(
            client_configs("http://127.0.0.1:8080/", "orgn_pat_x")[1]
                .snippet
                .contains(r#""Bearer orgn_pat_x""#)
        );
    }
}
