//! The request bodies of the two wire formats, from the conversation as the model sees it.

use serde_json::{Map, Value, json};

use crate::wire::{Msg, ToolDef};

pub(crate) fn openai_body(
    model: &str,
    system: &str,
    messages: &[Msg],
    tools: &[ToolDef],
    max_tokens: u32,
) -> Value {
    let mut out = vec![json!({"role": "system", "content": system})];
    for m in messages {
        out.push(match m {
            Msg::User(text) => json!({"role": "user", "content": text}),
            Msg::Assistant { text, calls } => {
                let mut v = json!({"role": "assistant"});
                v["content"] = if text.is_empty() && !calls.is_empty() {
                    Value::Null
                } else {
                    json!(text)
                };
                if !calls.is_empty() {
                    v["tool_calls"] = calls
                        .iter()
                        .map(|c| {
                            json!({
                                "id": c.id,
                                "type": "function",
                                "function": {"name": c.name, "arguments": c.arguments},
                            })
                        })
                        .collect();
                }
                v
            }
            Msg::ToolResult {
                call_id, content, ..
            } => json!({"role": "tool", "tool_call_id": call_id, "content": content}),
        });
    }
    let mut body = json!({
        "model": model,
        "messages": out,
        "stream": true,
        "max_tokens": max_tokens,
    });
    if !tools.is_empty() {
        body["tools"] = tools
            .iter()
            .map(|t| {
                json!({
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": t.schema},
                })
            })
            .collect();
    }
    body
}

pub(crate) fn anthropic_body(
    model: &str,
    system: &str,
    messages: &[Msg],
    tools: &[ToolDef],
    max_tokens: u32,
) -> Value {
    // Anthropic alternates user and assistant turns: consecutive messages of one side are
    // merged, tool results first in a user turn, and empty text blocks are left out.
    let mut turns: Vec<(&str, Vec<Value>)> = Vec::new();
    for m in messages {
        let (role, blocks) = match m {
            Msg::User(text) => (
                "user",
                if text.is_empty() {
                    vec![]
                } else {
                    vec![json!({"type": "text", "text": text})]
                },
            ),
            Msg::Assistant { text, calls } => {
                let mut blocks = Vec::new();
                if !text.trim().is_empty() {
                    blocks.push(json!({"type": "text", "text": text}));
                }
                for c in calls {
                    let input = match serde_json::from_str::<Value>(&c.arguments) {
                        Ok(v @ Value::Object(_)) => v,
                        _ => Value::Object(Map::new()),
                    };
                    blocks.push(
                        json!({"type": "tool_use", "id": c.id, "name": c.name, "input": input}),
                    );
                }
                ("assistant", blocks)
            }
            Msg::ToolResult {
                call_id,
                content,
                is_error,
            } => {
                let mut block =
                    json!({"type": "tool_result", "tool_use_id": call_id, "content": content});
                if *is_error {
                    block["is_error"] = json!(true);
                }
                ("user", vec![block])
            }
        };
        if blocks.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some((r, existing)) if *r == role => existing.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }
    let messages: Vec<Value> = turns
        .into_iter()
        .map(|(role, blocks)| {
            let (mut results, rest): (Vec<Value>, Vec<Value>) =
                blocks.into_iter().partition(|b| b["type"] == "tool_result");
            results.extend(rest);
            json!({"role": role, "content": results})
        })
        .collect();
    let mut body = json!({
        "model": model,
        "max_tokens": max_tokens,
        "system": system,
        "messages": messages,
        "stream": true,
    });
    if !tools.is_empty() {
        body["tools"] = tools
            .iter()
            .map(
                |t| json!({"name": t.name, "description": t.description, "input_schema": t.schema}),
            )
            .collect();
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Call;

    #[test]
    fn anthropic_turns_alternate() {
        let msgs = vec![
            Msg::User("q1".into()),
            Msg::Assistant {
                text: String::new(),
                calls: vec![Call {
                    id: "t1".into(),
                    name: "whoami".into(),
                    arguments: "{}".into(),
                }],
            },
            Msg::ToolResult {
                call_id: "t1".into(),
                content: "me".into(),
                is_error: false,
            },
            Msg::User("q2".into()),
        ];
        let body = anthropic_body("m", "sys", &msgs, &[], 100);
        let m = body["messages"].as_array().unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m[1]["content"][0]["type"], "tool_use");
        assert_eq!(m[2]["content"][0]["type"], "tool_result");
        assert_eq!(m[2]["content"][1]["text"], "q2");
    }
}
