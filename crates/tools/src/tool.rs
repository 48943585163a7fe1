//! What a tool is: one type per tool implementing [`Tool`], whose argument type gives the
//! input schema and whose `run` is the handler, so that a tool cannot be listed without
//! its handler nor handled without being listed.

use std::future::Future;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::{CallContext, ToolError, ToolOutput};

/// Hints for clients. All three are always set explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Annotations {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
}

impl Annotations {
    pub const READ: Annotations = Annotations {
        read_only: true,
        destructive: false,
        idempotent: true,
    };
    pub const CREATE: Annotations = Annotations {
        read_only: false,
        destructive: false,
        idempotent: false,
    };
    /// Updates that set fields to given values: repeating them changes nothing more.
    pub const UPDATE: Annotations = Annotations {
        read_only: false,
        destructive: false,
        idempotent: true,
    };
    /// Updates that replace people-written text (docs' contents and tasks' descriptions keep
    /// their previous versions; projects' descriptions and comments do not).
    pub const OVERWRITE: Annotations = Annotations {
        read_only: false,
        destructive: true,
        idempotent: true,
    };
    pub const DELETE: Annotations = Annotations {
        read_only: false,
        destructive: true,
        idempotent: true,
    };
}

/// Where a tool may be called from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// External AI clients over MCP with a personal access token (`/mcp`).
    Mcp,
    /// The same, on the endpoint that only reads (`/mcp/readonly`).
    McpReadOnly,
    /// The in-app assistant, acting inside the signed-in web session.
    Assistant,
}

/// The channel policy of a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channels {
    /// Over MCP; on `/mcp/readonly` too when the tool only reads.
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
}

/// The shape of a tool's structured answer, for its output schema.
#[derive(Debug, Clone, Copy)]
pub enum Output {
    /// `{ key: [objects], next_cursor?, trimmed? }` (`next_cursor` when `paginated`).
    List { key: &'static str, paginated: bool },
    /// `{ key: object }` and top-level `extra` fields of the given JSON types.
    One {
        key: &'static str,
        extra: &'static [(&'static str, &'static str)],
    },
    /// Written out by the tool.
    Custom(fn() -> Map<String, Value>),
}

impl Output {
    pub const fn list(key: &'static str, paginated: bool) -> Output {
        Output::List { key, paginated }
    }

    pub const fn one(key: &'static str) -> Output {
        Output::One { key, extra: &[] }
    }

    pub fn schema(&self) -> Map<String, Value> {
        match *self {
            Output::List { key, paginated } => crate::schema::list(key, paginated),
            Output::One { key, extra } => {
                let extra: Vec<(&str, Value)> = extra
                    .iter()
                    .map(|(field, kind)| (*field, json!({ "type": kind })))
                    .collect();
                crate::schema::one(key, &extra)
            }
            Output::Custom(schema) => schema(),
        }
    }
}

/// One tool, defined once: its name, description, annotations, channels, argument type
/// (the input schema is derived from it), output schema and handler.
pub trait Tool: Send + Sync + 'static {
    type Args: DeserializeOwned + JsonSchema + Send + Sync;
    const NAME: &'static str;
    /// Terse: it is sent with every `tools/list`.
    const DESCRIPTION: &'static str;
    const ANNOTATIONS: Annotations;
    const CHANNELS: Channels = Channels::ALL;

    const OUTPUT: Output;

    /// The call itself, with arguments already checked against `Args`.
    fn run(
        &self,
        ctx: &CallContext<'_>,
        args: Self::Args,
    ) -> impl Future<Output = Result<ToolOutput, ToolError>> + Send;

    /// For tools the assistant asks the user to confirm: one line saying what the call
    /// would do, checked against the workspace first (a thing the user cannot see answers
    /// "not found" instead of a proposal). `None` says it with the name and arguments.
    fn proposal(
        &self,
        _ctx: &CallContext<'_>,
        _args: &Self::Args,
    ) -> impl Future<Output = Result<Option<String>, ToolError>> + Send {
        async { Ok(None) }
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

impl ToolSpec {
    pub(crate) fn of<T: Tool>() -> ToolSpec {
        ToolSpec {
            name: T::NAME,
            description: T::DESCRIPTION,
            input_schema: crate::schema::input::<T::Args>(),
            output_schema: T::OUTPUT.schema(),
            annotations: T::ANNOTATIONS,
            channels: T::CHANNELS,
        }
    }

    pub fn allows(&self, channel: Channel) -> bool {
        match channel {
            Channel::Mcp => self.channels.mcp,
            Channel::McpReadOnly => self.channels.mcp && self.annotations.read_only,
            Channel::Assistant => self.channels.assistant,
        }
    }
}
