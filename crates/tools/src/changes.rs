//! "What changed since I last looked": the change feed, as the actor may see it.

use orgn_domain::changes::Change;
use orgn_domain::cursor::{self, SeekKey, clamp_limit};
use serde_json::json;

use crate::answer::{lines_or, out};
use crate::args;
use crate::render::{self, one_line};
use crate::tasks::parse_since;
use crate::tool::{Annotations, Output, Tool};
use crate::{CallContext, ToolError, ToolOutput};

pub struct ListChanges;

impl Tool for ListChanges {
    type Args = args::ListChanges;
    const NAME: &'static str = "list_changes";
    const DESCRIPTION: &'static str = "What changed since a cursor or a time, and who did it.";
    const ANNOTATIONS: Annotations = Annotations::READ;
    const OUTPUT: Output = Output::list("changes", true);

    async fn run(
        &self,
        ctx: &CallContext<'_>,
        a: args::ListChanges,
    ) -> Result<ToolOutput, ToolError> {
        let (ws, actor) = (ctx.workspace, ctx.actor);
        let limit = clamp_limit(a.limit)?;
        let team = match a.team.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(key) => Some(ws.visible_team(actor, key)?.id),
            None => None,
        };
        let after = match (
            a.cursor.as_deref().filter(|c| !c.trim().is_empty()),
            parse_since(a.since.as_deref())?,
        ) {
            (Some(c), _) => cursor::decode(c)?.id,
            (None, Some(since)) => ws.change_seq_before(since).await?,
            // Neither: the last day.
            (None, None) => {
                ws.change_seq_before(ws.now() - time::Duration::days(1))
                    .await?
            }
        };
        let page = ws.list_changes(actor, after, team, limit).await?;
        let items: Vec<_> = page.changes.iter().map(change_view).collect();
        let lines: Vec<String> = page.changes.iter().map(change_line).collect();
        let mut structured = json!({ "changes": items });
        let mut text = lines_or(lines, "No changes.");
        if let Some(next) = page.next_after {
            let c = cursor::encode(&SeekKey {
                rank: None,
                id: next,
            });
            structured["next_cursor"] = json!(c);
            text.push_str(&format!("\nnext_cursor: {c}"));
        }
        Ok(out(structured, text, None))
    }
}

fn change_view(c: &Change) -> serde_json::Value {
    json!({
        "at": render::time(c.at),
        "kind": c.kind.as_str(),
        "subject": c.subject,
        "fields": c.fields,
        "by": c.actor.email,
        "via": c.via.describe(),
    })
}

/// `2026-12-01T10:00:00Z ENG-12 status, priority — Dee via Claude Desktop`
fn change_line(c: &Change) -> String {
    format!(
        "{} {} {} {} — {}",
        render::time(c.at),
        c.kind.as_str(),
        one_line(&c.subject),
        c.fields.join(", "),
        c.who()
    )
}
