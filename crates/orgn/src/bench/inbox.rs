//! The `list_notifications` workload: the bench user's inbox read a page at a time over
//! MCP — the first page, the first page of the unread ones, and a page 40 pages deep (a
//! page's cost must not grow with the inbox behind it). Seeded tasks tell their assignee,
//! as `create_task` does, so a workspace of N tasks holds about 0.7 N notifications, a
//! tenth of them the bench user's.

use orgn_domain::changes::{NewNotification, NotificationKind};
use orgn_domain::store::NewTask;
use serde_json::{Value, json};

use super::{Bench, tool};

/// How deep the deep page is, in pages of `PAGE`.
const DEPTH: usize = 40;
const PAGE: usize = 25;

#[derive(Debug, Default, serde::Serialize)]
pub(super) struct InboxReport {
    pub list_rps: f64,
    pub list_p50_ms: f64,
    pub list_p99_ms: f64,
    pub unread_p50_ms: f64,
    pub unread_p99_ms: f64,
    /// A page `DEPTH` pages in (None when the inbox is shorter).
    pub deep_p50_ms: Option<f64>,
    pub deep_p99_ms: Option<f64>,
}

/// A seeded task with its assignee's "assigned you" notification, as a person's
/// `create_task` makes it.
pub(super) fn notify_assignee(mut task: NewTask) -> NewTask {
    if let Some(assignee) = task.assignee_id.filter(|a| *a != task.creator_id) {
        task.inbox.notify.push(NewNotification {
            recipient: assignee,
            kind: NotificationKind::Assigned,
            task: None,
            detail: None,
        });
    }
    task
}

fn page(args: Value) -> Value {
    tool("list_notifications", args)
}

pub(super) async fn measure(bench: &Bench) -> Result<InboxReport, String> {
    let first = bench.run(|_, _| page(json!({"limit": PAGE}))).await?;
    let unread = bench
        .run(|_, _| page(json!({"unread_only": true, "limit": PAGE})))
        .await?;
    let mut report = InboxReport {
        list_rps: first.rps(),
        list_p50_ms: first.percentile(50.0),
        list_p99_ms: first.percentile(99.0),
        unread_p50_ms: unread.percentile(50.0),
        unread_p99_ms: unread.percentile(99.0),
        ..Default::default()
    };
    if let Some(cursor) = deep_cursor(bench).await? {
        let deep = bench
            .run(move |_, _| page(json!({"limit": PAGE, "cursor": cursor})))
            .await?;
        report.deep_p50_ms = Some(deep.percentile(50.0));
        report.deep_p99_ms = Some(deep.percentile(99.0));
    }
    Ok(report)
}

/// The cursor `DEPTH` pages into the inbox, walked to once.
async fn deep_cursor(bench: &Bench) -> Result<Option<String>, String> {
    let mut cursor: Option<String> = None;
    for _ in 0..DEPTH {
        let mut args = json!({"limit": PAGE});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let answer = bench.call(&page(args)).await?;
        match answer["result"]["structuredContent"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return Ok(None),
        }
    }
    Ok(cursor)
}

pub(super) fn print(r: &InboxReport) {
    let deep = match (r.deep_p50_ms, r.deep_p99_ms) {
        (Some(p50), Some(p99)) => format!("p50 {p50:.2} ms   p99 {p99:.2} ms"),
        _ => "- (fewer pages)".into(),
    };
    println!(
        "  list_notifications   {:.0} req/s   p50 {:.2} ms   p99 {:.2} ms",
        r.list_rps, r.list_p50_ms, r.list_p99_ms
    );
    println!(
        "    unread only        p50 {:.2} ms   p99 {:.2} ms",
        r.unread_p50_ms, r.unread_p99_ms
    );
    println!("    {DEPTH} pages deep      {deep}");
}
