//! What the panel hears while a question is answered, and what it shows of a stored
//! conversation.

use orgn_domain::model::ConversationId;
use serde::Serialize;
use serde_json::Value;

/// What the panel hears while a question is answered, in order: `Conversation` first, then
/// any number of `Text`, `ToolCall`, `Proposal` and `Stopped`, and last exactly one `Done`
/// or `Error`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Event {
    /// The conversation this question belongs to (new or continued).
    Conversation { id: ConversationId, title: String },
    /// A piece of the answer's text (markdown), as it streams.
    Text(String),
    /// A tool call that ran: its arguments and a one-line summary of the result.
    ToolCall {
        name: String,
        arguments: Value,
        summary: String,
        ok: bool,
    },
    /// A change waiting for the user: confirm or cancel it by `id`.
    Proposal {
        id: i64,
        tool: String,
        arguments: Value,
        summary: String,
    },
    /// A limit stopped the answer (tool calls, time, tokens); the words say which.
    Stopped(String),
    /// The answer is complete.
    Done,
    /// The question could not be answered (not configured, the model failed, …).
    Error(String),
}

impl Event {
    /// The SSE `event:` name.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Conversation { .. } => "conversation",
            Event::Text(_) => "text",
            Event::ToolCall { .. } => "tool_call",
            Event::Proposal { .. } => "proposal",
            Event::Stopped(_) => "stopped",
            Event::Done => "done",
            Event::Error(_) => "error",
        }
    }

    /// The SSE `data:` payload (JSON; `Text` is a JSON string, `Done` is `null`).
    pub fn data(&self) -> Value {
        serde_json::to_value(self)
            .ok()
            .and_then(|mut v| v.get_mut("data").map(Value::take))
            .unwrap_or(Value::Null)
    }
}

/// One item of a stored conversation, for the panel.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Entry {
    Question {
        id: i64,
        text: String,
        at: String,
    },
    Answer {
        id: i64,
        text: String,
        at: String,
    },
    ToolCall {
        id: i64,
        name: String,
        arguments: Value,
        summary: String,
        ok: bool,
    },
    Proposal {
        id: i64,
        tool: String,
        arguments: Value,
        summary: String,
        state: ProposalState,
    },
    Notice {
        id: i64,
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ProposalState {
    Pending,
    Confirmed { ok: bool, summary: String },
    Canceled,
}

/// The result of a confirmed proposal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub ok: bool,
    /// One line: what happened (or why it failed).
    pub summary: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_shapes() {
        assert_eq!(Event::Text("hi".into()).data(), json!("hi"));
        assert_eq!(Event::Done.data(), Value::Null);
        assert_eq!(
            Event::Proposal {
                id: 7,
                tool: "delete_task".into(),
                arguments: json!({"id": "ENG-3"}),
                summary: "Delete".into()
            }
            .data(),
            json!({"id": 7, "tool": "delete_task", "arguments": {"id": "ENG-3"}, "summary": "Delete"})
        );
    }
}
