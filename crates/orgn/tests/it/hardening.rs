//! What a hostile-input review found (issue 16): requests that are not one JSON-RPC message,
//! identifiers with line breaks, sessions left unused, slow connections.

use crate::http::*;
use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn mcp_bodies_that_are_not_one_json_rpc_message_answer_400_with_the_json_rpc_error() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ALICE).await;
    let cases = [
        (
            "malformed JSON",
            r#"{"jsonrpc": "2.0", "id": 1, "method": "#,
            -32700,
        ),
        ("empty body", "", -32700),
        (
            "a batch",
            r#"[{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}]"#,
            -32600,
        ),
        ("a number", "5", -32600),
    ];
    for path in ["/mcp", "/mcp/readonly"] {
        for (case, body, code) in cases {
            let answer = mcp_post(app.addr, path, Some(&token), &[], body).await;
            assert_eq!(answer.status, 400, "{path} {case}: {}", answer.body);
            let error = answer.json();
            assert_eq!(error["jsonrpc"], "2.0", "{case}: {error}");
            assert_eq!(error["id"], json!(null), "{case}: {error}");
            assert_eq!(error["error"]["code"], code, "{case}: {error}");
        }
    }
    // One well-formed message still goes through, its body intact.
    let list = mcp_post(
        app.addr,
        "/mcp",
        Some(&token),
        &[],
        &rpc("tools/list", json!({})),
    )
    .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        list.json()["result"]["tools"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );
    // Without a token the guard answers first: nobody gets a body read for free.
    let anonymous = mcp_post(app.addr, "/mcp", None, &[], "[").await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn create_comment_with_a_line_break_in_the_task_id_saves_nothing() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ALICE).await;
    for id in ["ENG-1\n", "\nENG-1", "ENG-1\r\nENG-2", "ENG\n-1", "ENG-\n1"] {
        let answer = mcp_call(
            app.addr,
            &token,
            "create_comment",
            json!({"id": id, "body": "planted"}),
        )
        .await;
        let result = &answer["result"];
        assert_eq!(result["isError"], true, "{id:?}: {answer}");
    }
    let task = mcp_call(app.addr, &token, "get_task", json!({"id": "ENG-1"})).await;
    assert!(!task.to_string().contains("planted"), "{task}");
}
