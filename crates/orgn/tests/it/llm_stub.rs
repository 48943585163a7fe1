//! A scripted LLM server for the assistant's tests: axum on 127.0.0.1:0, speaking the real
//! streaming wire format of OpenAI Chat Completions (`POST /v1/chat/completions`) or
//! Anthropic Messages (`POST /v1/messages`), answering each request with the next scripted
//! reply, and recording every request it got. Like a real server, it refuses a request whose
//! tool calls are not all answered by tool results (400 with the API's error shape).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use orgn_assistant::{Api, AssistantConfig};
use serde_json::{Value, json};

pub const KEY: &str = "test-key-123";

/// One scripted model turn.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Text, then the end of the turn.
    Text(String),
    /// Optional text, then these tool calls (name, arguments).
    Tools(String, Vec<(String, Value)>),
    /// Text cut off by the token limit (finish_reason length / stop_reason max_tokens).
    Length(String),
    /// Some text, then nothing for a long time (the connection stays open).
    Stall(String),
}

pub fn tool(name: &str, args: Value) -> Reply {
    Reply::Tools(String::new(), vec![(name.to_string(), args)])
}

#[derive(Clone, Debug)]
pub struct Recorded {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
    pub raw: String,
}

struct StubState {
    api: Api,
    script: Mutex<VecDeque<Reply>>,
    forever: Mutex<Option<Reply>>,
    requests: Mutex<Vec<Recorded>>,
    counter: Mutex<u64>,
}

pub struct Stub {
    pub base: String,
    pub api: Api,
    state: Arc<StubState>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Stub {
    pub async fn start(api: Api, script: Vec<Reply>) -> Stub {
        let state = Arc::new(StubState {
            api,
            script: Mutex::new(script.into()),
            forever: Mutex::new(None),
            requests: Mutex::new(Vec::new()),
            counter: Mutex::new(0),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(handle))
            .route("/v1/messages", post(handle))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Stub {
            base: format!("http://{addr}"),
            api,
            state,
            server,
        }
    }

    /// The assistant's configuration for this server, the API detected from the URL as
    /// `orgn serve` would: `…/v1` is OpenAI-compatible, `…/v1/messages` is Anthropic.
    pub fn config(&self) -> AssistantConfig {
        let url = match self.api {
            Api::OpenAi => format!("{}/v1", self.base),
            Api::Anthropic => format!("{}/v1/messages", self.base),
        };
        let c = AssistantConfig::new(url, "stub-model", Some(KEY.into()));
        assert_eq!(c.api, self.api, "the API is detected from the URL");
        c
    }

    pub fn push(&self, replies: Vec<Reply>) {
        self.state.script.lock().unwrap().extend(replies);
    }

    /// Answer every request (once the script is used up) with this reply.
    pub fn forever(&self, reply: Reply) {
        *self.state.forever.lock().unwrap() = Some(reply);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// The tool results sent in the last request, in order.
    pub fn last_tool_results(&self) -> Vec<String> {
        let reqs = self.requests();
        let Some(last) = reqs.last() else {
            return vec![];
        };
        tool_results(self.api, &last.body)
    }
}

/// Every tool result in a request body.
pub fn tool_results(api: Api, body: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for m in body["messages"].as_array().into_iter().flatten() {
        match api {
            Api::OpenAi => {
                if m["role"] == "tool" {
                    out.push(m["content"].as_str().unwrap_or_default().to_string());
                }
            }
            Api::Anthropic => {
                for b in m["content"].as_array().into_iter().flatten() {
                    if b["type"] == "tool_result" {
                        out.push(b["content"].as_str().unwrap_or_default().to_string());
                    }
                }
            }
        }
    }
    out
}

/// What a real server would refuse: unanswered tool calls, roles out of order.
fn check(api: Api, body: &Value) -> Result<(), String> {
    let msgs = body["messages"].as_array().ok_or("messages missing")?;
    if body["stream"] != true {
        return Err("stream must be true".into());
    }
    if body["model"] != "stub-model" {
        return Err("unknown model".into());
    }
    match api {
        Api::OpenAi => {
            if msgs.first().map(|m| &m["role"]) != Some(&json!("system")) {
                return Err("the system message comes first".into());
            }
            let mut open: Vec<String> = Vec::new();
            for m in msgs {
                match m["role"].as_str() {
                    Some("tool") => {
                        let id = m["tool_call_id"].as_str().unwrap_or_default();
                        let pos = open
                            .iter()
                            .position(|o| o == id)
                            .ok_or(format!("tool message for unknown call {id}"))?;
                        open.remove(pos);
                    }
                    Some(role) => {
                        if !open.is_empty() {
                            return Err(format!("tool calls {open:?} have no tool message"));
                        }
                        if role == "assistant" {
                            for c in m["tool_calls"].as_array().into_iter().flatten() {
                                let args = c["function"]["arguments"].as_str().unwrap_or("x");
                                serde_json::from_str::<Value>(args)
                                    .map_err(|_| "arguments must be JSON text")?;
                                open.push(c["id"].as_str().unwrap_or_default().to_string());
                            }
                        }
                    }
                    None => return Err("a message without role".into()),
                }
            }
            if !open.is_empty() {
                return Err(format!("tool calls {open:?} have no tool message"));
            }
        }
        Api::Anthropic => {
            if body["max_tokens"].as_u64().is_none() {
                return Err("max_tokens: Field required".into());
            }
            let mut expect = "user";
            let mut open: Vec<String> = Vec::new();
            for m in msgs {
                let role = m["role"].as_str().unwrap_or_default();
                if role != expect {
                    return Err(format!(
                        "roles must alternate; got {role}, expected {expect}"
                    ));
                }
                let blocks = m["content"].as_array().ok_or("content must be blocks")?;
                if blocks.is_empty() {
                    return Err("empty content".into());
                }
                if role == "user" {
                    let mut results_done = false;
                    for b in blocks {
                        if b["type"] == "tool_result" {
                            if results_done {
                                return Err("tool_result blocks must come first".into());
                            }
                            let id = b["tool_use_id"].as_str().unwrap_or_default();
                            let pos = open
                                .iter()
                                .position(|o| o == id)
                                .ok_or(format!("tool_result for unknown tool_use {id}"))?;
                            open.remove(pos);
                        } else {
                            results_done = true;
                            if b["type"] == "text" && b["text"].as_str().unwrap_or("").is_empty() {
                                return Err("text content blocks must be non-empty".into());
                            }
                        }
                    }
                    if !open.is_empty() {
                        return Err(format!("tool_use ids without tool_result: {open:?}"));
                    }
                } else {
                    for b in blocks {
                        if b["type"] == "tool_use" {
                            if !b["input"].is_object() {
                                return Err("tool_use input must be an object".into());
                            }
                            open.push(b["id"].as_str().unwrap_or_default().to_string());
                        }
                    }
                }
                expect = if role == "user" { "assistant" } else { "user" };
            }
            if expect != "assistant" {
                return Err("the last message must be the user's".into());
            }
        }
    }
    Ok(())
}

async fn handle(
    State(state): State<Arc<StubState>>,
    uri: Uri,
    headers: HeaderMap,
    raw: String,
) -> Response {
    let body: Value = serde_json::from_str(&raw).unwrap_or(Value::Null);
    state.requests.lock().unwrap().push(Recorded {
        path: uri.path().to_string(),
        headers: headers.clone(),
        body: body.clone(),
        raw: raw.clone(),
    });
    let api = state.api;
    let error = |status: StatusCode, message: String| {
        let body = match api {
            Api::OpenAi => json!({"error": {"message": message, "type": "invalid_request_error"}}),
            Api::Anthropic => {
                json!({"type": "error", "error": {"type": "invalid_request_error", "message": message}})
            }
        };
        (status, axum::Json(body)).into_response()
    };
    let authorized = match api {
        Api::OpenAi => {
            headers.get("authorization").and_then(|v| v.to_str().ok())
                == Some(&format!("Bearer {KEY}"))
        }
        Api::Anthropic => {
            headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(KEY)
                && headers.get("anthropic-version").is_some()
        }
    };
    if !authorized {
        return error(StatusCode::UNAUTHORIZED, "invalid api key".into());
    }
    if let Err(e) = check(api, &body) {
        return error(StatusCode::BAD_REQUEST, e);
    }
    let reply = {
        let next = state.script.lock().unwrap().pop_front();
        next.or_else(|| state.forever.lock().unwrap().clone())
    };
    let Some(reply) = reply else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the script is used up".into(),
        );
    };
    let n = {
        let mut c = state.counter.lock().unwrap();
        *c += 1;
        *c
    };
    let (events, stall) = match api {
        Api::OpenAi => openai_events(&reply, n),
        Api::Anthropic => anthropic_events(&reply, n),
    };
    // The bytes go out in small pieces that cut through lines and events.
    let text: String = events.concat();
    let bytes = text.into_bytes();
    let pieces: Vec<Vec<u8>> = bytes.chunks(37).map(|c| c.to_vec()).collect();
    let stream = futures_util::stream::unfold(
        (pieces.into_iter().enumerate(), stall),
        |(mut it, stall)| async move {
            match it.next() {
                Some((i, p)) => {
                    // A longer pause every 100 pieces: a long answer reaches the browser in
                    // several reads even when a loaded machine lets the 1 ms gaps pile up.
                    let pause = if i % 100 == 99 { 100 } else { 1 };
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                    Some((Ok::<_, std::convert::Infallible>(p), (it, stall)))
                }
                None if stall => {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    None
                }
                None => None,
            }
        },
    );
    Response::builder()
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(Body::from_stream(stream))
        .unwrap()
}

fn split(s: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    chars.chunks(n).map(|c| c.iter().collect()).collect()
}

fn data(v: Value) -> String {
    format!("data: {v}\n\n")
}

fn openai_events(reply: &Reply, n: u64) -> (Vec<String>, bool) {
    let chunk = |delta: Value, finish: Value| {
        data(json!({
            "id": format!("chatcmpl-{n}"), "object": "chat.completion.chunk", "created": 1764000000,
            "model": "stub-model",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }))
    };
    let mut out = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    let (text, calls, finish, stall) = match reply {
        Reply::Text(t) => (t.clone(), vec![], "stop", false),
        Reply::Tools(t, c) => (t.clone(), c.clone(), "tool_calls", false),
        Reply::Length(t) => (t.clone(), vec![], "length", false),
        Reply::Stall(t) => (t.clone(), vec![], "", true),
    };
    for piece in split(&text, 5) {
        out.push(chunk(json!({"content": piece}), Value::Null));
    }
    for (i, (name, args)) in calls.iter().enumerate() {
        out.push(chunk(
            json!({"tool_calls": [{"index": i, "id": format!("call_{n}_{i}"), "type": "function",
                "function": {"name": name, "arguments": ""}}]}),
            Value::Null,
        ));
        for piece in split(&args.to_string(), 7) {
            out.push(chunk(
                json!({"tool_calls": [{"index": i, "function": {"arguments": piece}}]}),
                Value::Null,
            ));
        }
    }
    if !stall {
        out.push(chunk(json!({}), json!(finish)));
        out.push("data: [DONE]\n\n".into());
    }
    (out, stall)
}

fn anthropic_events(reply: &Reply, n: u64) -> (Vec<String>, bool) {
    let ev = |name: &str, v: Value| format!("event: {name}\ndata: {v}\n\n");
    let mut out = vec![ev(
        "message_start",
        json!({"type": "message_start", "message": {"id": format!("msg_{n}"), "type": "message",
            "role": "assistant", "content": [], "model": "stub-model", "stop_reason": null,
            "stop_sequence": null, "usage": {"input_tokens": 10, "output_tokens": 1}}}),
    )];
    let (text, calls, stop, stall) = match reply {
        Reply::Text(t) => (t.clone(), vec![], "end_turn", false),
        Reply::Tools(t, c) => (t.clone(), c.clone(), "tool_use", false),
        Reply::Length(t) => (t.clone(), vec![], "max_tokens", false),
        Reply::Stall(t) => (t.clone(), vec![], "", true),
    };
    let mut index = 0;
    if !text.is_empty() {
        out.push(ev(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ));
        out.push(ev("ping", json!({"type": "ping"})));
        for piece in split(&text, 5) {
            out.push(ev(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}),
            ));
        }
        if stall {
            return (out, true);
        }
        out.push(ev(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ));
        index = 1;
    }
    for (i, (name, args)) in calls.iter().enumerate() {
        let idx = index + i;
        out.push(ev(
            "content_block_start",
            json!({"type": "content_block_start", "index": idx, "content_block": {"type": "tool_use",
                "id": format!("toolu_{n}_{i}"), "name": name, "input": {}}}),
        ));
        for piece in split(&args.to_string(), 7) {
            out.push(ev(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": idx, "delta": {"type": "input_json_delta", "partial_json": piece}}),
            ));
        }
        out.push(ev(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": idx}),
        ));
    }
    out.push(ev(
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null}, "usage": {"output_tokens": 12}}),
    ));
    out.push(ev("message_stop", json!({"type": "message_stop"})));
    (out, stall)
}
