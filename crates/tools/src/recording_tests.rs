//! The one rule for the activity log, checked on a real workspace for every channel.

use std::sync::Arc;

use orgn_domain::clock::SystemClock;
use orgn_domain::{Caller, Workspace};
use serde_json::json;

use crate::{CallContext, Channel, ToolError, registry};

/// A throwaway SQLite workspace, removed when dropped.
struct TempWorkspace {
    dir: std::path::PathBuf,
    workspace: Workspace,
}

impl TempWorkspace {
    async fn new() -> TempWorkspace {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("orgn-tools-test-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = orgn_storage::open(dir.to_str().unwrap()).await.unwrap();
        TempWorkspace {
            dir,
            workspace: Workspace::new(store, Arc::new(SystemClock)),
        }
    }
}

impl Drop for TempWorkspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn every_known_call_is_recorded_once_whatever_the_channel() {
    let temp = TempWorkspace::new().await;
    let ws = &temp.workspace;
    let user = ws
        .create_user(
            Caller::Operator,
            "ann@orgn.test",
            "Ann",
            "a long password 1",
            false,
        )
        .await
        .unwrap();
    let actor = ws.actor(user.id).await.unwrap();
    let ctx = CallContext {
        workspace: ws,
        actor: &actor,
        token: None,
    };
    let r = registry();
    let calls = [
        (Channel::Mcp, "whoami", json!({})),
        (Channel::Assistant, "get_task", json!({"id": " nope-1 "})),
        (Channel::Mcp, "get_task", json!({"id": "ENG-1", "bogus": 1})),
        (Channel::Mcp, "delete_task", json!({"id": "ENG-2"})),
        (Channel::McpReadOnly, "create_doc", json!({"title": "x"})),
        (Channel::Assistant, "export_workspace", json!({})),
        (Channel::Mcp, "made_up_tool", json!({"id": "ENG-3"})),
    ];
    let mut answers = Vec::new();
    for (channel, name, args) in calls {
        answers.push(r.call(channel, name, &ctx, args).await);
    }
    assert!(answers[0].is_ok());
    assert!(matches!(answers[2], Err(ToolError::InvalidArguments(_))));
    assert!(matches!(answers[3], Err(ToolError::NotOnChannel { .. })));
    assert!(matches!(answers[6], Err(ToolError::UnknownTool(_))));
    // Describing a proposal runs nothing, so it records nothing.
    assert!(
        r.propose(
            Channel::Assistant,
            "delete_task",
            &ctx,
            json!({"id": "ENG-9"})
        )
        .await
        .is_err()
    );

    let mut log = ws.recent_tool_calls(&actor, 100).await.unwrap();
    log.reverse();
    let seen: Vec<(&str, Option<&str>, bool)> = log
        .iter()
        .map(|c| (c.tool.as_str(), c.target.as_deref(), c.ok))
        .collect();
    assert_eq!(
        seen,
        [
            ("whoami", None, true),
            ("get_task", Some("nope-1"), false),
            ("get_task", Some("ENG-1"), false),
            ("delete_task", Some("ENG-2"), false),
            ("create_doc", None, false),
            ("export_workspace", None, false),
        ]
    );
}
