//! The caller's inbox: what others (people and agents) did that concerns them, and
//! marking it read.

use orgn_domain::model::NotificationId;
use orgn_domain::store::Notification;
use orgn_domain::{what_happened, who_and_how};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::answer::{lines_or, out, refit};
use crate::render::{self, one_line};
use crate::schema;
use crate::tool::{Annotations, Output, Tool};
use crate::{CallContext, ToolError, ToolOutput};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListNotificationsArgs {
    /// Only those not read yet.
    pub unread_only: Option<bool>,
    pub limit: Option<usize>,
    /// next_cursor of the last call.
    pub cursor: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkNotificationsReadArgs {
    /// Notification ids from list_notifications.
    pub ids: Option<Vec<i64>>,
    /// true: every notification.
    pub all: Option<bool>,
}

pub struct ListNotifications;

impl Tool for ListNotifications {
    type Args = ListNotificationsArgs;
    const NAME: &'static str = "list_notifications";
    const DESCRIPTION: &'static str = "Your inbox: assignments, mentions, comments, newest first.";
    const ANNOTATIONS: Annotations = Annotations::READ;
    const OUTPUT: Output = Output::Custom(list_schema);

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: ListNotificationsArgs,
    ) -> Result<ToolOutput, ToolError> {
        let (ws, actor) = (ctx.workspace, ctx.actor);
        let unread_only = a.unread_only.unwrap_or(false);
        let cursor = a.cursor.as_deref();
        let inbox = ws
            .notifications(actor, unread_only, a.limit, cursor)
            .await?;
        let size = |n: &Notification| (view(n).to_string().len(), line(n).len());
        // Past the size budget: the page again with as many as fit, so that its cursor
        // continues right after the last one shown.
        let (page, trimmed) = refit(inbox.page, size, |fit| async move {
            ws.notifications(actor, unread_only, Some(fit), cursor)
                .await
                .map(|i| i.page)
        })
        .await?;
        let items: Vec<_> = page.items.iter().map(view).collect();
        let lines: Vec<String> = page.items.iter().map(line).collect();
        let mut structured = json!({ "notifications": items, "unread": inbox.unread });
        if trimmed {
            structured["trimmed"] = json!(true);
        }
        let mut text = format!(
            "{} unread.\n{}",
            unread_text(inbox.unread),
            lines_or(lines, "No notifications.")
        );
        if let Some(next) = page.next_cursor {
            text.push_str(&format!("\nnext_cursor: {next}"));
            structured["next_cursor"] = json!(next);
        }
        Ok(out(structured, text, None))
    }
}

pub struct MarkNotificationsRead;

impl Tool for MarkNotificationsRead {
    type Args = MarkNotificationsReadArgs;
    const NAME: &'static str = "mark_notifications_read";
    const DESCRIPTION: &'static str = "Mark inbox notifications read: ids, or all: true.";
    const ANNOTATIONS: Annotations = Annotations::UPDATE;
    const OUTPUT: Output = Output::Custom(marked_schema);

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: MarkNotificationsReadArgs,
    ) -> Result<ToolOutput, ToolError> {
        let ids: Option<Vec<NotificationId>> = match (a.ids, a.all.unwrap_or(false)) {
            (Some(_), true) => {
                return Err(ToolError::InvalidArguments(
                    "give ids or all: true, not both".into(),
                ));
            }
            (None, false) => {
                return Err(ToolError::InvalidArguments(
                    "give ids (from list_notifications) or all: true".into(),
                ));
            }
            (Some(ids), false) if ids.is_empty() => {
                return Err(ToolError::InvalidArguments("ids is empty".into()));
            }
            (Some(ids), false) => Some(ids.into_iter().map(NotificationId::new).collect()),
            (None, true) => None,
        };
        let ws = ctx.workspace;
        let marked = ws
            .mark_notifications(ctx.actor, ids.as_deref(), true)
            .await?;
        let unread = ws.unread_count(ctx.actor).await?;
        let text = format!("Marked {marked} read; {} unread.", unread_text(unread));
        Ok(out(
            json!({ "marked": marked, "unread": unread }),
            text,
            None,
        ))
    }
}

/// A page of notifications, and the unread count beside it.
fn list_schema() -> Map<String, Value> {
    let mut schema = schema::list("notifications", true);
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        props.insert("unread".into(), json!({"type": "integer"}));
    }
    schema
}

fn marked_schema() -> Map<String, Value> {
    let mut props = Map::new();
    props.insert("marked".into(), json!({"type": "integer"}));
    props.insert("unread".into(), json!({"type": "integer"}));
    schema::object(props, &["marked", "unread"])
}

/// "3", or "100+" at the cap.
fn unread_text(unread: i64) -> String {
    if unread >= orgn_domain::UNREAD_CAP {
        format!("{}+", orgn_domain::UNREAD_CAP)
    } else {
        unread.to_string()
    }
}

fn view(n: &Notification) -> Value {
    json!({
        "id": n.id.get(),
        "kind": n.kind.as_str(),
        "task": n.task_identifier,
        "title": n.task_title,
        "what": what_happened(n),
        "by": who_and_how(&n.actor, &n.via),
        "at": render::time(n.at),
        "read": n.read,
    })
}

/// `#12 unread ENG-3 "Fix login" — Claude Desktop over MCP, as Dee assigned you (2026-…)`
fn line(n: &Notification) -> String {
    format!(
        "#{} {}{} \"{}\" — {} {} ({})",
        n.id,
        if n.read { "" } else { "unread " },
        n.task_identifier,
        one_line(&n.task_title),
        who_and_how(&n.actor, &n.via),
        what_happened(n),
        render::time(n.at),
    )
}
