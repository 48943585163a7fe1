//! The two wire formats, for real: OpenAI-compatible Chat Completions and Anthropic
//! Messages, both streaming with tool calls, over hyper's client (rustls for https).

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Uri, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout_at};

use crate::bodies::{anthropic_body, openai_body};
use crate::sse::{SseEvent, SseParser};
use crate::{Api, AssistantConfig, Event};

/// A message of the conversation as the model sees it, independent of the wire format.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    User(String),
    Assistant {
        text: String,
        calls: Vec<Call>,
    },
    ToolResult {
        call_id: String,
        content: String,
        is_error: bool,
    },
}

/// A tool call the model asked for. `arguments` is the JSON text as the model wrote it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Call {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// A tool as the model is told about it.
#[derive(Debug, Clone)]
pub struct ToolDef {
    pub name: String,
    pub description: String,
    pub schema: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The model finished its turn (with or without tool calls).
    End,
    /// The answer hit the token limit.
    MaxTokens,
    /// The wall-clock limit ran out while streaming.
    TimedOut,
}

#[derive(Debug, Clone)]
pub struct Turn {
    pub text: String,
    pub calls: Vec<Call>,
    pub stop: Stop,
    /// Tokens the server reported for this turn (prompt and answer); 0 when it reported none.
    pub reported_tokens: u64,
}

/// Largest response body read, whatever the stream says.
const MAX_RESPONSE: usize = 16 * 1024 * 1024;
const ANTHROPIC_VERSION: &str = "2023-06-01";

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A configured model endpoint.
pub struct Model {
    api: Api,
    endpoint: Uri,
    model: String,
    api_key: Option<String>,
    client: HttpsClient,
}

impl Model {
    pub fn new(config: &AssistantConfig) -> Result<Model, String> {
        let endpoint = config.endpoint()?;
        let tls = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| format!("TLS setup failed: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(hyper_util::rt::TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(tls);
        Ok(Model {
            api: config.api,
            endpoint,
            model: config.model.clone(),
            api_key: config.api_key.clone().filter(|k| !k.trim().is_empty()),
            client,
        })
    }

    pub fn request_body(
        &self,
        system: &str,
        messages: &[Msg],
        tools: &[ToolDef],
        max_tokens: u32,
    ) -> Value {
        match self.api {
            Api::OpenAi => openai_body(&self.model, system, messages, tools, max_tokens),
            Api::Anthropic => anthropic_body(&self.model, system, messages, tools, max_tokens),
        }
    }

    /// Sends one request and streams the answer: each text delta goes to `tx` as it
    /// arrives. Stops at `deadline` (returning what came so far, `Stop::TimedOut`), and after
    /// about `max_tokens` worth of text even if the server ignores the limit.
    pub async fn stream(
        &self,
        body: &Value,
        deadline: Instant,
        max_tokens: u32,
        tx: &mpsc::Sender<Event>,
    ) -> Result<Turn, String> {
        let req = self.request(body)?;
        let Some(response) = self.send(req, deadline).await? else {
            return Ok(Turn {
                text: String::new(),
                calls: vec![],
                stop: Stop::TimedOut,
                reported_tokens: 0,
            });
        };
        let status = response.status();
        let body = response.into_body();
        if !status.is_success() {
            return Err(failure(status, body, deadline).await);
        }
        self.read_answer(body, deadline, max_tokens, tx).await
    }

    /// The streaming request, with the headers of the endpoint's API.
    fn request(&self, body: &Value) -> Result<Request<Full<Bytes>>, String> {
        let mut req = Request::post(self.endpoint.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "text/event-stream")
            .header(
                header::USER_AGENT,
                concat!("orgn/", env!("CARGO_PKG_VERSION")),
            );
        match self.api {
            Api::OpenAi => {
                if let Some(key) = &self.api_key {
                    req = req.header(header::AUTHORIZATION, format!("Bearer {}", key.trim()));
                }
            }
            Api::Anthropic => {
                if let Some(key) = &self.api_key {
                    req = req.header("x-api-key", key.trim());
                }
                req = req.header("anthropic-version", ANTHROPIC_VERSION);
            }
        }
        req.body(Full::new(Bytes::from(body.to_string())))
            .map_err(|_| "the assistant's API key is not a valid header value".to_string())
    }

    /// Sends the request; `None` when the deadline came first.
    async fn send(
        &self,
        req: Request<Full<Bytes>>,
        deadline: Instant,
    ) -> Result<Option<http::Response<Incoming>>, String> {
        match timeout_at(deadline, self.client.request(req)).await {
            Err(_) => Ok(None),
            Ok(Err(e)) => {
                let host = self
                    .endpoint
                    .authority()
                    .map(|a| a.to_string())
                    .unwrap_or_default();
                let cause = std::error::Error::source(&e)
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default();
                Err(format!("could not reach the model server {host}{cause}"))
            }
            Ok(Ok(r)) => Ok(Some(r)),
        }
    }

    /// Reads the event stream of a successful answer, text deltas to `tx` as they come.
    async fn read_answer(
        &self,
        mut body: Incoming,
        deadline: Instant,
        max_tokens: u32,
        tx: &mpsc::Sender<Event>,
    ) -> Result<Turn, String> {
        let mut parser = SseParser::default();
        let mut acc = Accumulator::new(self.api);
        let mut read = 0usize;
        let mut raw = Vec::new();
        let text_cap = max_tokens as usize * 16;
        let mut stop_early = None;
        'read: loop {
            let frame = match timeout_at(deadline, body.frame()).await {
                Err(_) => {
                    stop_early = Some(Stop::TimedOut);
                    break;
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => {
                    return Err(format!("the model server's stream broke off: {e}"));
                }
                Ok(Some(Ok(frame))) => frame,
            };
            let Some(data) = frame.data_ref() else {
                continue;
            };
            read += data.len();
            if raw.len() < 64 * 1024 {
                raw.extend_from_slice(data);
            }
            if read > MAX_RESPONSE {
                return Err("the model server's answer is too large".into());
            }
            for event in parser.push(data)? {
                acc.take(&event, tx).await?;
                if acc.done {
                    break 'read;
                }
            }
            if acc.text.len() > text_cap {
                stop_early = Some(Stop::MaxTokens);
                break;
            }
        }
        if !acc.done
            && stop_early.is_none()
            && let Some(event) = parser.finish()
        {
            acc.take(&event, tx).await?;
        }
        if !acc.saw_event {
            // Not a stream at all: most likely an error object.
            let detail = error_message(&raw).unwrap_or_else(|| "no event stream".into());
            return Err(format!(
                "the model server did not stream an answer: {detail}"
            ));
        }
        let mut turn = acc.finish();
        if let Some(stop) = stop_early {
            turn.stop = stop;
        }
        Ok(turn)
    }
}

/// The words of an unsuccessful answer: its status and the human part of its body.
async fn failure(status: http::StatusCode, mut body: Incoming, deadline: Instant) -> String {
    let mut bytes = Vec::new();
    while let Ok(Some(Ok(frame))) = timeout_at(deadline, body.frame()).await {
        if let Some(d) = frame.data_ref() {
            bytes.extend_from_slice(d);
        }
        if bytes.len() > 64 * 1024 {
            break;
        }
    }
    let detail = error_message(&bytes);
    format!(
        "the model server answered {}{}",
        status.as_u16(),
        detail.map(|d| format!(": {d}")).unwrap_or_default()
    )
}

/// The human part of an error body of either API (never echoes headers or keys).
fn error_message(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let message = match serde_json::from_str::<Value>(text.trim()) {
        Ok(v) => v
            .pointer("/error/message")
            .or_else(|| v.get("error"))
            .or_else(|| v.get("message"))
            .and_then(|m| m.as_str().map(str::to_string))?,
        Err(_) => text.trim().to_string(),
    };
    let mut message = orgn_tools::sanitize(&message).replace('\n', " ");
    if message.is_empty() {
        return None;
    }
    if message.len() > 300 {
        let mut end = 300;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push('…');
    }
    Some(message)
}

// --- Streamed answers -----------------------------------------------------------------------

#[derive(Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
    /// Anthropic: the `input` of content_block_start, used when no JSON deltas follow.
    input: Option<Value>,
}

/// Collects one streamed answer, in either format.
struct Accumulator {
    api: Api,
    text: String,
    calls: BTreeMap<u64, PartialCall>,
    stop: Stop,
    done: bool,
    saw_event: bool,
    reported_tokens: u64,
}

/// The tokens an event reports: OpenAI's `usage` (sent when the server includes it),
/// Anthropic's `message_start` input and `message_delta` output counts.
fn reported_usage(v: &Value) -> u64 {
    let count = |p: &str| v.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    count("/usage/prompt_tokens")
        + count("/usage/completion_tokens")
        + count("/message/usage/input_tokens")
        + count("/usage/output_tokens")
}

fn stream_error(v: &Value) -> String {
    let message = v
        .pointer("/error/message")
        .and_then(Value::as_str)
        .or_else(|| v.get("error").and_then(Value::as_str))
        .unwrap_or("unknown error");
    format!(
        "the model server reported an error: {}",
        orgn_tools::sanitize(message)
    )
}

impl Accumulator {
    fn new(api: Api) -> Self {
        Accumulator {
            api,
            text: String::new(),
            calls: BTreeMap::new(),
            stop: Stop::End,
            done: false,
            saw_event: false,
            reported_tokens: 0,
        }
    }

    /// Takes one event and sends the text deltas it carried.
    async fn take(&mut self, e: &SseEvent, tx: &mpsc::Sender<Event>) -> Result<(), String> {
        for t in self.event(e)? {
            let _ = tx.send(Event::Text(t)).await;
        }
        Ok(())
    }

    /// Takes one event; returns the text deltas it carried.
    fn event(&mut self, e: &SseEvent) -> Result<Vec<String>, String> {
        let data = e.data.trim();
        if data.is_empty() {
            return Ok(vec![]);
        }
        if data == "[DONE]" {
            self.saw_event = true;
            self.done = true;
            return Ok(vec![]);
        }
        let v: Value = serde_json::from_str(data)
            .map_err(|_| "the model server sent an event that is not JSON".to_string())?;
        self.saw_event = true;
        self.reported_tokens += reported_usage(&v);
        match self.api {
            Api::OpenAi => self.openai(&v),
            Api::Anthropic => self.anthropic(e.event.as_deref(), &v),
        }
    }

    fn openai(&mut self, v: &Value) -> Result<Vec<String>, String> {
        if v.get("error").is_some_and(|e| !e.is_null()) {
            return Err(stream_error(v));
        }
        let mut texts = Vec::new();
        let Some(choice) = v.get("choices").and_then(|c| c.get(0)) else {
            return Ok(texts);
        };
        let delta = &choice["delta"];
        if let Some(t) = delta.get("content").and_then(Value::as_str)
            && !t.is_empty()
        {
            self.text.push_str(t);
            texts.push(t.to_string());
        }
        if let Some(calls) = delta.get("tool_calls").and_then(Value::as_array) {
            for (pos, c) in calls.iter().enumerate() {
                let index = c.get("index").and_then(Value::as_u64).unwrap_or(pos as u64);
                let entry = self.calls.entry(index).or_default();
                if let Some(id) = c.get("id").and_then(Value::as_str)
                    && !id.is_empty()
                {
                    entry.id = id.to_string();
                }
                let f = &c["function"];
                if let Some(name) = f.get("name").and_then(Value::as_str)
                    && entry.name.is_empty()
                {
                    entry.name = name.to_string();
                }
                match f.get("arguments") {
                    Some(Value::String(s)) => entry.arguments.push_str(s),
                    // Some servers send the arguments as an object, whole.
                    Some(v @ Value::Object(_)) => entry.arguments = v.to_string(),
                    _ => {}
                }
            }
        }
        if choice.get("finish_reason").and_then(Value::as_str) == Some("length") {
            self.stop = Stop::MaxTokens;
        }
        Ok(texts)
    }

    fn anthropic(&mut self, _event: Option<&str>, v: &Value) -> Result<Vec<String>, String> {
        let index = v.get("index").and_then(Value::as_u64).unwrap_or(0);
        match v.get("type").and_then(Value::as_str).unwrap_or_default() {
            "error" => return Err(stream_error(v)),
            "content_block_start" => {
                let block = &v["content_block"];
                match block.get("type").and_then(Value::as_str) {
                    Some("tool_use") => {
                        let entry = self.calls.entry(index).or_default();
                        entry.id = block["id"].as_str().unwrap_or_default().to_string();
                        entry.name = block["name"].as_str().unwrap_or_default().to_string();
                        entry.input = block.get("input").cloned();
                    }
                    Some("text") => {
                        if let Some(t) = block.get("text").and_then(Value::as_str)
                            && !t.is_empty()
                        {
                            self.text.push_str(t);
                            return Ok(vec![t.to_string()]);
                        }
                    }
                    _ => {}
                }
            }
            "content_block_delta" => {
                let delta = &v["delta"];
                match delta.get("type").and_then(Value::as_str) {
                    Some("text_delta") => {
                        if let Some(t) = delta.get("text").and_then(Value::as_str)
                            && !t.is_empty()
                        {
                            self.text.push_str(t);
                            return Ok(vec![t.to_string()]);
                        }
                    }
                    Some("input_json_delta") => {
                        if let Some(j) = delta.get("partial_json").and_then(Value::as_str) {
                            self.calls.entry(index).or_default().arguments.push_str(j);
                        }
                    }
                    _ => {}
                }
            }
            "message_delta"
                if v.pointer("/delta/stop_reason").and_then(Value::as_str)
                    == Some("max_tokens") =>
            {
                self.stop = Stop::MaxTokens;
            }
            "message_stop" => self.done = true,
            _ => {}
        }
        Ok(vec![])
    }

    fn finish(self) -> Turn {
        let calls = self
            .calls
            .into_values()
            .filter(|c| !c.name.is_empty())
            .enumerate()
            .map(|(i, c)| {
                let arguments = if !c.arguments.trim().is_empty() {
                    c.arguments
                } else {
                    match c.input {
                        Some(v @ Value::Object(_)) => v.to_string(),
                        _ => "{}".into(),
                    }
                };
                Call {
                    id: if c.id.is_empty() {
                        format!("call_{i}")
                    } else {
                        c.id
                    },
                    name: c.name,
                    arguments,
                }
            })
            .collect();
        Turn {
            text: self.text,
            calls,
            stop: self.stop,
            reported_tokens: self.reported_tokens,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn feed(api: Api, events: &[(&str, Value)]) -> Turn {
        let mut acc = Accumulator::new(api);
        for (name, data) in events {
            acc.event(&SseEvent {
                event: (!name.is_empty()).then(|| name.to_string()),
                data: data.to_string(),
            })
            .unwrap();
        }
        acc.finish()
    }

    /// The budget counts what the servers report: OpenAI's `usage` chunk, Anthropic's
    /// input tokens at the start and output tokens at the end.
    #[test]
    fn reported_usage_is_summed() {
        let t = feed(
            Api::OpenAi,
            &[(
                "",
                json!({"choices":[],"usage":{"prompt_tokens":120,"completion_tokens":7}}),
            )],
        );
        assert_eq!(t.reported_tokens, 127);
        let t = feed(
            Api::Anthropic,
            &[
                (
                    "message_start",
                    json!({"type":"message_start","message":{"usage":{"input_tokens":300}}}),
                ),
                (
                    "message_delta",
                    json!({"type":"message_delta","delta":{},"usage":{"output_tokens":12}}),
                ),
            ],
        );
        assert_eq!(t.reported_tokens, 312);
    }

    #[test]
    fn openai_tool_call_fragments() {
        let t = feed(
            Api::OpenAi,
            &[
                (
                    "",
                    json!({"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi "}}]}),
                ),
                (
                    "",
                    json!({"choices":[{"index":0,"delta":{"content":"there"}}]}),
                ),
                (
                    "",
                    json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_task","arguments":""}}]}}]}),
                ),
                (
                    "",
                    json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"id\":"}}]}}]}),
                ),
                (
                    "",
                    json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"ENG-1\"}"}}]}}]}),
                ),
                (
                    "",
                    json!({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}),
                ),
            ],
        );
        assert_eq!(t.text, "Hi there");
        assert_eq!(
            t.calls,
            vec![Call {
                id: "call_1".into(),
                name: "get_task".into(),
                arguments: "{\"id\":\"ENG-1\"}".into()
            }]
        );
        assert_eq!(t.stop, Stop::End);
    }

    #[test]
    fn anthropic_tool_use_blocks() {
        let t = feed(
            Api::Anthropic,
            &[
                (
                    "message_start",
                    json!({"type":"message_start","message":{"id":"m","content":[]}}),
                ),
                (
                    "content_block_start",
                    json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
                ),
                (
                    "content_block_delta",
                    json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Looking"}}),
                ),
                (
                    "content_block_stop",
                    json!({"type":"content_block_stop","index":0}),
                ),
                (
                    "content_block_start",
                    json!({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"search_tasks","input":{}}}),
                ),
                (
                    "content_block_delta",
                    json!({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"query\": \"lo"}}),
                ),
                (
                    "content_block_delta",
                    json!({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"gin\"}"}}),
                ),
                (
                    "content_block_stop",
                    json!({"type":"content_block_stop","index":1}),
                ),
                (
                    "message_delta",
                    json!({"type":"message_delta","delta":{"stop_reason":"tool_use"}}),
                ),
                ("message_stop", json!({"type":"message_stop"})),
            ],
        );
        assert_eq!(t.text, "Looking");
        assert_eq!(t.calls.len(), 1);
        assert_eq!(t.calls[0].name, "search_tasks");
        assert_eq!(t.calls[0].arguments, "{\"query\": \"login\"}");
    }

    #[tokio::test]
    async fn https_client_builds_and_fails_cleanly() {
        let config = AssistantConfig::new("https://127.0.0.1:1/v1", "m", Some("k".into()));
        let model = Model::new(&config).unwrap();
        let (tx, _rx) = mpsc::channel(8);
        let deadline = Instant::now() + Duration::from_secs(5);
        let err = model
            .stream(&json!({}), deadline, 10, &tx)
            .await
            .unwrap_err();
        assert!(
            err.starts_with("could not reach the model server 127.0.0.1:1"),
            "{err}"
        );
    }
}
