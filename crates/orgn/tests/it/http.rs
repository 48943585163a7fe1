//! The one HTTP client of the tests, for everything that is not a real third-party client
//! (the TypeScript SDK and mcp-remote under tests/mcp-clients, and Chromium): hyper-util's
//! client over plain HTTP/1.1, which decodes chunked answers itself. Requests are sent as
//! written, a `Host` header included (the Host check is under test), and every answer is read
//! to its end.

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

/// A slow machine answers in seconds; a server that does not answer at all fails the test.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

pub const ACCEPT: (&str, &str) = ("Accept", "application/json, text/event-stream");
pub const JSON_TYPE: (&str, &str) = ("Content-Type", "application/json");
pub const MCP_VERSION: (&str, &str) = ("MCP-Protocol-Version", "2025-06-18");

/// An answer read to its end.
pub struct Answer {
    pub status: u16,
    /// The status line and the headers as text (`name: value`, names in lower case), for
    /// assertions and failure messages.
    pub head: String,
    pub headers: hyper::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }
}

/// One request to the server at `addr`; an error when it cannot be sent or is not answered.
pub async fn try_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: impl AsRef<[u8]>,
) -> Result<Answer, String> {
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::copy_from_slice(body.as_ref())))
        .map_err(|e| e.to_string())?;
    // A client per request: each test runs on a runtime of its own, and a pooled connection
    // must not outlive the runtime that drives it.
    let client = Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    let answer = async {
        let response = client
            .request(request)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok::<_, String>((parts, body))
    };
    let (parts, body) = tokio::time::timeout(ANSWER_TIMEOUT, answer)
        .await
        .map_err(|_| format!("{method} {path}: no answer within {ANSWER_TIMEOUT:?}"))??;
    let mut head = format!("{:?} {}\r\n", parts.version, parts.status);
    for (name, value) in &parts.headers {
        head.push_str(&format!(
            "{name}: {}\r\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    Ok(Answer {
        status: parts.status.as_u16(),
        head,
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// One request that must be answered.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: impl AsRef<[u8]>,
) -> Answer {
    try_request(addr, method, path, headers, body)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// A POST of JSON-RPC to an MCP endpoint, as an MCP client sends it, with the token if any
/// and `extra` headers after the standard ones.
pub async fn mcp_post(
    addr: SocketAddr,
    path: &str,
    token: Option<&str>,
    extra: &[(&str, &str)],
    body: &str,
) -> Answer {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![ACCEPT, JSON_TYPE, MCP_VERSION];
    if let Some(bearer) = &bearer {
        headers.push(("Authorization", bearer));
    }
    headers.extend_from_slice(extra);
    request(addr, "POST", path, &headers, body).await
}

/// A JSON-RPC request's body.
pub fn rpc(method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string()
}

/// A tool call on `/mcp` that must be answered with 200: the whole JSON-RPC response.
pub async fn mcp_call(addr: SocketAddr, token: &str, tool: &str, args: Value) -> Value {
    let body = rpc("tools/call", json!({"name": tool, "arguments": args}));
    let answer = mcp_post(addr, "/mcp", Some(token), &[], &body).await;
    assert_eq!(
        answer.status, 200,
        "{tool}: {}\n{}",
        answer.head, answer.body
    );
    answer.json()
}

/// The same, from code that is not async (a test driving `orgn serve` processes, from
/// plain threads or from inside an async test): a small runtime on a thread of its own, as
/// a runtime cannot be started on a thread that already drives one.
pub fn blocking<T: Send>(future: impl std::future::Future<Output = T> + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for a blocking request")
                    .block_on(future)
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}
