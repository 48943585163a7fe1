//! Orgn's tools: the operations an AI client may call, in the domain's terms.
//!
//! One registry, independent of any protocol: the MCP adapter (`orgn-mcp`) lists and calls
//! the tools its channel allows, and the in-app assistant will use the same registry. Each
//! tool has a name, a terse description, input and output JSON Schemas, explicit
//! annotations and a channel policy. A call returns structured data plus a compact text
//! rendering, both within a fixed size budget, with people-written text cleaned of
//! invisible control characters.

mod args;
mod render;
mod schema;
mod tools;

use std::sync::OnceLock;

use orgn_domain::model::TokenInfo;
use orgn_domain::{Actor, Workspace};
use serde_json::{Map, Value};

pub use render::{BUDGET, sanitize, sanitize_value};

/// Hints for clients. All three are always set explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Annotations {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
}

/// Where a tool may be called from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// External AI clients over MCP with a personal access token.
    Mcp,
    /// The in-app assistant, acting inside the signed-in web session.
    Assistant,
}

/// The channel policy of a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channels {
    pub mcp: bool,
    pub assistant: bool,
    /// The assistant must ask the user to confirm before calling it.
    pub confirm: bool,
}

impl Channels {
    /// Normal tools: everywhere, no confirmation.
    pub const ALL: Channels = Channels {
        mcp: true,
        assistant: true,
        confirm: false,
    };
    /// Web-only powers: never over MCP; the assistant asks first.
    pub const WEB_ONLY: Channels = Channels {
        mcp: false,
        assistant: true,
        confirm: true,
    };

    pub fn allows(&self, channel: Channel) -> bool {
        match channel {
            Channel::Mcp => self.mcp,
            Channel::Assistant => self.assistant,
        }
    }
}

/// A tool as clients see it.
#[derive(Debug, Clone)]
pub struct ToolSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub input_schema: Map<String, Value>,
    pub output_schema: Map<String, Value>,
    pub annotations: Annotations,
    pub channels: Channels,
}

/// Operations that exist only in the web app and have no tool at all (long workspace-wide
/// scans). Calls of these names, and of tools whose policy excludes the channel, are told to
/// use the web app.
pub const WEB_APP_ONLY_NAMES: [&str; 4] = [
    "export_workspace",
    "import_workspace",
    "reindex_workspace",
    "delete_project",
];

/// Who calls, on what.
pub struct CallContext<'a> {
    pub workspace: &'a Workspace,
    pub actor: &'a Actor,
    /// The token the call came with, for `whoami` (MCP); `None` in the web session.
    pub token: Option<&'a TokenInfo>,
}

/// What a tool answers: structured data matching its output schema, and compact text.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutput {
    pub structured: Value,
    pub text: String,
    /// The identifier the call acted on or created (`ENG-12`, `doc 3`), for the activity log.
    pub target: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ToolError {
    /// No tool has that name.
    UnknownTool(String),
    /// The tool exists but not on this channel (or it lives in the web app only).
    NotOnChannel { tool: String, message: String },
    /// The arguments do not match the input schema.
    InvalidArguments(String),
    /// The domain refused: not found, invalid reference (with valid choices), conflict...
    Domain(orgn_domain::Error),
}

impl ToolError {
    /// Words for the client. Internal faults do not leak details.
    pub fn message(&self) -> String {
        use orgn_domain::Error as E;
        match self {
            ToolError::UnknownTool(name) => format!("unknown tool \"{name}\""),
            ToolError::NotOnChannel { message, .. } => message.clone(),
            ToolError::InvalidArguments(m) => format!("invalid arguments: {m}"),
            ToolError::Domain(E::Internal(_)) => "internal error; please try again later".into(),
            ToolError::Domain(e) => sanitize(&e.to_string()),
        }
    }
    /// Protocol-level errors (the call itself is wrong) as opposed to tool execution errors
    /// (the tool ran and refused), which a model can read and correct.
    pub fn is_protocol_error(&self) -> bool {
        matches!(
            self,
            ToolError::UnknownTool(_) | ToolError::NotOnChannel { .. }
        )
    }
}

impl From<orgn_domain::Error> for ToolError {
    fn from(e: orgn_domain::Error) -> Self {
        ToolError::Domain(e)
    }
}

/// The registry of every tool.
pub struct Registry {
    tools: Vec<ToolSpec>,
}

/// The one registry, built once.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry {
        tools: tools::specs(),
    })
}

impl Registry {
    pub fn tools(&self) -> &[ToolSpec] {
        &self.tools
    }

    pub fn get(&self, name: &str) -> Option<&ToolSpec> {
        self.tools.iter().find(|t| t.name == name)
    }

    /// The tools a channel may list and call, in registry order.
    pub fn for_channel(&self, channel: Channel) -> impl Iterator<Item = &ToolSpec> {
        self.tools
            .iter()
            .filter(move |t| t.channels.allows(channel))
    }

    /// Checks that `name` may be called on `channel`; the error says what to do instead.
    pub fn check(&self, channel: Channel, name: &str) -> Result<&ToolSpec, ToolError> {
        let web_app = || ToolError::NotOnChannel {
            tool: name.to_string(),
            message: format!("{name} is not available to AI clients over MCP; use the web app"),
        };
        match self.get(name) {
            Some(spec) if spec.channels.allows(channel) => Ok(spec),
            Some(_) => Err(web_app()),
            None if WEB_APP_ONLY_NAMES.contains(&name) => Err(web_app()),
            None => Err(ToolError::UnknownTool(name.to_string())),
        }
    }

    /// Calls a tool. `args` is the JSON object of arguments (`null` counts as `{}`).
    pub async fn call(
        &self,
        channel: Channel,
        name: &str,
        ctx: &CallContext<'_>,
        args: Value,
    ) -> Result<ToolOutput, ToolError> {
        let spec = self.check(channel, name)?;
        let mut out = tools::dispatch(spec.name, ctx, args).await?;
        out.structured = sanitize_value(out.structured);
        out.text = sanitize(&out.text);
        Ok(out)
    }
}

/// The target of a call for the activity log, from its arguments: the `id` argument (with
/// its project or team when the id is only unique inside them).
pub fn target_of(args: &Value) -> Option<String> {
    let id = match args.get("id")? {
        Value::String(s) => s.trim().chars().take(100).collect(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Some(id)
}

#[cfg(test)]
mod tests;
