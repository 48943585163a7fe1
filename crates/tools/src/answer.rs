//! How answers are put together within the size budget: single answers, pages of a whole
//! list (offsets as opaque cursors), and pages the domain cuts (asked again to fit).

use orgn_domain::cursor::{self, SeekKey};
use orgn_domain::model::TeamId;
use orgn_domain::{Error, Page};
use serde_json::{Map, Value, json};

use crate::render::{BUDGET, cut, fit_count};
use crate::{CallContext, ToolError, ToolOutput};

pub(crate) fn out(structured: Value, text: String, target: Option<String>) -> ToolOutput {
    ToolOutput {
        structured,
        text,
        target,
    }
}

pub(crate) fn lines_or(lines: Vec<String>, empty: &str) -> String {
    if lines.is_empty() {
        empty.to_string()
    } else {
        lines.join("\n")
    }
}

pub(crate) fn team_key(ctx: &CallContext<'_>, team_id: TeamId) -> String {
    ctx.actor
        .memberships()
        .iter()
        .find(|m| m.team.id == team_id)
        .map(|m| m.team.key.clone())
        .unwrap_or_else(|| team_id.to_string())
}

/// A last guard for single answers: nothing leaves bigger than the budget.
pub(crate) fn fit_single(
    mut structured: Value,
    mut text: String,
    target: Option<String>,
) -> ToolOutput {
    let mut over = false;
    if structured.to_string().len() > BUDGET {
        // Cut the longest strings until it fits.
        while structured.to_string().len() > BUDGET {
            if !cut_longest(&mut structured) {
                break;
            }
        }
        over = true;
    }
    if text.len() > BUDGET {
        cut(&mut text, BUDGET - 100);
        text.push_str("\n(trimmed to fit the size budget)");
        over = true;
    }
    if over {
        structured["trimmed"] = json!(true);
    }
    out(structured, text, target)
}

fn cut_longest(v: &mut Value) -> bool {
    fn longest(v: &mut Value) -> Option<&mut String> {
        match v {
            Value::String(s) => Some(s),
            Value::Array(a) => a.iter_mut().filter_map(longest).max_by_key(|s| s.len()),
            Value::Object(m) => m.values_mut().filter_map(longest).max_by_key(|s| s.len()),
            _ => None,
        }
    }
    match longest(v) {
        Some(s) if s.len() > 64 => {
            let half = s.len() / 2;
            cut(s, half);
            true
        }
        _ => false,
    }
}

/// Offsets as opaque cursors, for lists the domain hands over whole.
fn decode_offset(c: Option<&str>) -> Result<usize, ToolError> {
    match c.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(0),
        Some(c) => {
            let key = cursor::decode(c)?;
            usize::try_from(key.id)
                .map_err(|_| ToolError::Domain(Error::Invalid("cursor is not valid".into())))
        }
    }
}

fn encode_offset(o: usize) -> String {
    cursor::encode(&SeekKey {
        rank: None,
        id: o as i64,
    })
}

/// A page of a whole list: `limit` items from the cursor, fewer if the budget says so;
/// `next_cursor` present if and only if more items follow.
pub(crate) fn local_page<T>(
    key: &str,
    items: Vec<T>,
    limit: Option<usize>,
    cursor: Option<&str>,
    render: impl Fn(&T) -> (Value, String),
) -> Result<ToolOutput, ToolError> {
    let limit = cursor::clamp_limit(limit)?;
    let start = decode_offset(cursor)?.min(items.len());
    let rendered: Vec<(Value, String)> = items[start..].iter().take(limit).map(&render).collect();
    let sizes: Vec<(usize, usize)> = rendered
        .iter()
        .map(|(v, t)| (v.to_string().len(), t.len()))
        .collect();
    let fit = fit_count(&sizes).max(1).min(rendered.len());
    let trimmed = fit < rendered.len();
    let end = start + fit;
    let next = (end < items.len()).then(|| encode_offset(end));
    let (views, lines): (Vec<Value>, Vec<String>) = rendered.into_iter().take(fit).unzip();
    Ok(list_answer(key, views, lines, next, trimmed))
}

pub(crate) fn list_answer(
    key: &str,
    views: Vec<Value>,
    mut lines: Vec<String>,
    next: Option<String>,
    trimmed: bool,
) -> ToolOutput {
    let mut structured = Map::new();
    if lines.is_empty() {
        lines.push(format!("No {key}."));
    }
    structured.insert(key.into(), Value::Array(views));
    if let Some(n) = &next {
        structured.insert("next_cursor".into(), json!(n));
        lines.push(format!("next_cursor: {n}"));
    }
    if trimmed {
        structured.insert("trimmed".into(), json!(true));
        lines.push("(trimmed to fit the size budget; pass next_cursor for more)".into());
    }
    let text = lines.join("\n");
    fit_single(Value::Object(structured), text, None)
}

/// When a page is over the budget, asks the domain again for as many items as fit, so that
/// its cursor continues exactly after the last item shown.
pub(crate) async fn refit<T, F, Fut>(
    page: Page<T>,
    size: impl Fn(&T) -> (usize, usize),
    again: F,
) -> Result<(Page<T>, bool), ToolError>
where
    F: FnOnce(usize) -> Fut,
    Fut: std::future::Future<Output = orgn_domain::Result<Page<T>>>,
{
    let sizes: Vec<(usize, usize)> = page.items.iter().map(size).collect();
    let fit = fit_count(&sizes).max(1);
    if fit >= page.items.len() {
        return Ok((page, false));
    }
    let page = again(fit).await?;
    Ok((page, true))
}
