//! Issue 16, item 14: the hostile-input review kept repeatable. A generated corpus of
//! malformed MCP requests (broken JSON, wrong envelopes, every tool with arguments of the
//! wrong type, size or shape, wrong headers) goes to `/mcp`: no answer is a 5xx, none hangs,
//! and every answer is well-formed JSON-RPC or a clear HTTP 4xx.

use futures_util::stream::{self, StreamExt};
use serde_json::{Value, json};

use crate::http::{ACCEPT, JSON_TYPE, MCP_VERSION, mcp_call, try_request};
use crate::support::{ALICE, TestApp};

/// A small deterministic generator (xorshift), so that a failure names a case that comes
/// back on every run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn one_in(&mut self, n: u64) -> bool {
        self.next().is_multiple_of(n)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// Values of every JSON type and of awkward sizes and contents.
fn odd_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(1e308),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(""),
        json!(" "),
        json!("ENG-999999999999999999999"),
        json!("\u{0}\u{1b}[31m\u{202e}"),
        json!("a\nb\r\nc"),
        json!("x".repeat(70_000)),
        json!("'; DROP TABLE tasks; --"),
        json!("<script>alert(1)</script>"),
        json!([]),
        json!([1, "a", null]),
        json!(vec!["Todo"; 5000]),
        json!({}),
        json!({"nested": {"deeper": [1, 2, {"x": null}]}}),
    ]
}

/// Bodies that are not a JSON-RPC request at all.
fn broken_bodies() -> Vec<Vec<u8>> {
    let mut bodies: Vec<Vec<u8>> = [
        "",
        " ",
        "{",
        "}",
        "[",
        "]",
        "null",
        "1",
        "\"x\"",
        "[]",
        "[{}]",
        "{}",
        "{\"jsonrpc\":",
        "{\"jsonrpc\":\"2.0\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1}",
        "{'jsonrpc':'2.0'}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"",
        "\u{feff}{}",
        "NaN",
        "tru",
        "{\"a\":1,\"a\":2}",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    bodies.push(vec![0xff, 0xfe, 0x00, 0x7b]);
    bodies.push(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\x00".to_vec());
    bodies.push("[".repeat(100_000).into_bytes());
    bodies.push("{\"a\":".repeat(20_000).into_bytes());
    bodies.push(
        format!(
            "[{}]",
            vec!["{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"; 200].join(",")
        )
        .into_bytes(),
    );
    bodies
}

/// Envelopes with wrong fields: versions, ids, methods and params of every kind.
fn envelopes(dice: &mut Dice, n: usize) -> Vec<Vec<u8>> {
    let methods = [
        json!("initialize"),
        json!("ping"),
        json!("tools/list"),
        json!("tools/call"),
        json!("resources/list"),
        json!("prompts/list"),
        json!("notifications/initialized"),
        json!("logging/setLevel"),
        json!("completion/complete"),
        json!("no/such/method"),
        json!(""),
        json!(7),
        Value::Null,
    ];
    let versions = [json!("2.0"), json!("1.0"), json!(2), Value::Null];
    let values = odd_values();
    (0..n)
        .map(|_| {
            let mut body = serde_json::Map::new();
            if !dice.one_in(5) {
                body.insert("jsonrpc".into(), dice.pick(&versions).clone());
            }
            if !dice.one_in(4) {
                body.insert("id".into(), dice.pick(&values).clone());
            }
            if !dice.one_in(8) {
                body.insert("method".into(), dice.pick(&methods).clone());
            }
            if !dice.one_in(3) {
                body.insert("params".into(), dice.pick(&values).clone());
            }
            Value::Object(body).to_string().into_bytes()
        })
        .collect()
}

/// Calls of every tool (and of unknown ones) with arguments of the wrong type or shape.
fn tool_calls(dice: &mut Dice, tools: &[(String, Vec<String>)], n: usize) -> Vec<Vec<u8>> {
    let values = odd_values();
    let mut names: Vec<Value> = tools.iter().map(|(t, _)| json!(t)).collect();
    names.extend([
        json!("delete_task"),
        json!("export_workspace"),
        json!("x".repeat(5000)),
        json!("get_task\n"),
        json!(1),
        Value::Null,
    ]);
    (0..n)
        .map(|i| {
            let (name, properties) = &tools[i % tools.len()];
            let mut args = serde_json::Map::new();
            for p in properties {
                if dice.one_in(2) {
                    args.insert(p.clone(), dice.pick(&values).clone());
                }
            }
            if dice.one_in(6) {
                args.insert("unexpected".into(), json!(1));
            }
            let name = if dice.one_in(10) { dice.pick(&names).clone() } else { json!(name) };
            let arguments = match dice.next() % 12 {
                0 => dice.pick(&values).clone(),
                _ => Value::Object(args),
            };
            json!({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": name, "arguments": arguments}})
                .to_string()
                .into_bytes()
        })
        .collect()
}

/// The tools `/mcp` lists, with their argument names.
async fn listed_tools(app: &TestApp, token: &str) -> Vec<(String, Vec<String>)> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).to_string();
    let headers = [
        ACCEPT,
        JSON_TYPE,
        MCP_VERSION,
        ("Authorization", &format!("Bearer {token}")),
    ];
    let answer = try_request(app.addr, "POST", "/mcp", &headers, body)
        .await
        .unwrap();
    answer.json()["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let props = t["inputSchema"]["properties"]
                .as_object()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            (t["name"].as_str().unwrap().to_string(), props)
        })
        .collect()
}

/// The headers of one request.
type Headers<'a> = Vec<(&'a str, &'a str)>;

/// What is wrong with an answer, if anything.
fn judge(status: u16, content_type: Option<&str>, body: &str) -> Option<String> {
    if status >= 500 {
        return Some(format!("a {status}"));
    }
    if status == 202 && body.is_empty() {
        return None; // a notification, accepted
    }
    if (400..500).contains(&status) {
        // A clear 4xx: a JSON-RPC error when JSON, else some words.
        return match content_type {
            // JSON-RPC's error, or the bearer token's error (RFC 6750 words as JSON).
            Some(t) if t.starts_with("application/json") => {
                match serde_json::from_str::<Value>(body) {
                    Ok(v) if v["error"].is_string() && v["message"].is_string() => None,
                    _ => well_formed(body, true),
                }
            }
            _ if body.trim().is_empty() && status != 401 && status != 406 && status != 415 => {
                Some(format!("a {status} with no words"))
            }
            _ => None,
        };
    }
    if status != 200 {
        return Some(format!("status {status}"));
    }
    well_formed(body, false)
}

fn well_formed(body: &str, error_only: bool) -> Option<String> {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return Some("not JSON".into());
    };
    let one = |v: &Value| -> Option<String> {
        if v["jsonrpc"] != "2.0" || v.get("id").is_none() {
            return Some("no jsonrpc 2.0 envelope with an id".into());
        }
        match (v.get("result"), v.get("error")) {
            (Some(_), None) if !error_only => None,
            (None, Some(e)) if e["code"].is_i64() && e["message"].is_string() => None,
            _ => Some("neither one result nor one well-formed error".into()),
        }
    };
    match &v {
        Value::Array(items) if !items.is_empty() => items.iter().find_map(one),
        v => one(v),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_malformed_mcp_requests_get_no_5xx_no_hang_and_well_formed_answers() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ALICE).await;
    let tools = listed_tools(&app, &token).await;
    assert!(tools.len() > 20, "{tools:?}");
    let mut dice = Dice(0x5eed_1234_abcd_ef01);
    let mut bodies = broken_bodies();
    bodies.extend(envelopes(&mut dice, 700));
    bodies.extend(tool_calls(&mut dice, &tools, 1300));
    let bearer = format!("Bearer {token}");
    // The same bodies with wrong headers: no Accept, another content type, an unknown
    // protocol version, no token, a bad token.
    let header_sets: Vec<Headers> = vec![
        vec![ACCEPT, JSON_TYPE, MCP_VERSION, ("Authorization", &bearer)],
        vec![JSON_TYPE, MCP_VERSION, ("Authorization", &bearer)],
        vec![
            ACCEPT,
            ("Content-Type", "text/plain"),
            MCP_VERSION,
            ("Authorization", &bearer),
        ],
        vec![
            ACCEPT,
            JSON_TYPE,
            ("MCP-Protocol-Version", "1999-01-01"),
            ("Authorization", &bearer),
        ],
        vec![ACCEPT, JSON_TYPE, MCP_VERSION],
        vec![
            ACCEPT,
            JSON_TYPE,
            MCP_VERSION,
            ("Authorization", "Bearer orgn_pat_nope"),
        ],
    ];
    let cases: Vec<(usize, Vec<u8>, &Headers)> = bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            // Most go with the right headers, so that they reach the JSON-RPC layer.
            let headers = if i % 7 == 0 {
                &header_sets[1 + i / 7 % (header_sets.len() - 1)]
            } else {
                &header_sets[0]
            };
            (i, body, headers)
        })
        .collect();
    assert!(cases.len() >= 2000, "{}", cases.len());
    let started = std::time::Instant::now();
    let failures: Vec<String> = stream::iter(cases)
        .map(|(i, body, headers)| {
            let addr = app.addr;
            async move {
                let shown = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
                match try_request(addr, "POST", "/mcp", headers, &body).await {
                    Err(e) => Some(format!("case {i} {shown}: {e}")),
                    Ok(a) => judge(a.status, a.header("content-type"), &a.body).map(|why| {
                        format!(
                            "case {i} {shown}: {why}: {} {}",
                            a.status,
                            &a.body[..a.body.len().min(300)]
                        )
                    }),
                }
            }
        })
        .buffer_unordered(8)
        .filter_map(|f| async move { f })
        .collect()
        .await;
    assert!(
        failures.is_empty(),
        "{} of the corpus failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The server still serves a well-formed call afterwards.
    let answer = mcp_call(app.addr, &token, "whoami", json!({})).await;
    assert!(answer["result"].is_object(), "{answer}");
    println!("corpus answered in {:?}", started.elapsed());
    app.stop().await;
}
