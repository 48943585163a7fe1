//! Orgn's tools: the operations an AI client may call, in the domain's terms.
//!
//! One registry, independent of any protocol: the MCP adapter (`orgn-mcp`) and the in-app
//! assistant (`orgn-assistant`) list and call the tools their channel allows, through
//! [`Registry::call`], which also records every call in the caller's activity log. Each
//! tool is one type implementing [`Tool`] in the file of its area (`account`, `tasks`,
//! `planning`, `content`): name, terse description, argument type (its JSON Schema is
//! derived from it), output shape, explicit annotations, channel policy and handler. A call
//! returns structured data plus a compact text rendering, both within a fixed size budget,
//! with people-written text cleaned of invisible control characters.

mod account;
mod answer;
mod args;
mod changes;
mod content;
mod inbox;
mod planning;
mod registry;
mod render;
mod schema;
mod tasks;
mod tool;

use orgn_domain::model::TokenInfo;
use orgn_domain::{Actor, Workspace};
use serde_json::Value;

pub use registry::{Registry, WEB_APP_ONLY_NAMES, registry, target_of};
pub use render::{BUDGET, defuse_closing_tags, first_line, sanitize, sanitize_value};
pub use tool::{Annotations, Channel, Channels, Output, Tool, ToolSpec};

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

#[cfg(test)]
mod tests;

#[cfg(test)]
mod recording_tests;
