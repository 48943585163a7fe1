//! Ask Orgn, the in-app assistant: its panel (a fragment that `app.js` shows beside any page,
//! and a page of its own at `/assistant` that works without JavaScript), the question posted
//! to `/assistant/ask` (answered as `text/event-stream` while it streams, or with the final
//! transcript for a plain form), and the Confirm / Cancel of the changes it proposes.
//!
//! The signed-in user is the actor of everything the assistant does; every POST carries the
//! session's CSRF token. Everything shown is rendered here: answers as sanitized markdown
//! with task identifiers linked, tool calls as one line each, proposals with their forms.

use std::collections::VecDeque;
use std::convert::Infallible;

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use orgn_assistant::{Asked, Assistant, AssistantError, Entry, Event, ProposalState};
use orgn_domain::model::{Conversation, ConversationId};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::{Empty, render, see, team_keys};
use crate::AppState;
use crate::error::{WebError, WebResult};
use crate::markdown;
use crate::session::{Me, Posted};
use crate::view::Chrome;

/// Conversations listed in the panel's history.
const HISTORY: usize = 8;

/// `?c=12` shows that conversation, `?c=new` an empty one; nothing: the latest.
#[derive(Deserialize, Default)]
pub struct Which {
    #[serde(default)]
    pub c: Option<String>,
}

/// One item of the conversation, ready for the template.
pub struct EntryView {
    /// `question`, `answer`, `tool`, `proposal`, `notice`.
    pub kind: &'static str,
    pub id: i64,
    /// The question or notice as text.
    pub text: String,
    /// The answer as sanitized HTML; a tool's or proposal's summary as escaped HTML.
    pub html: String,
    pub tool: String,
    /// `query: "login", limit: 5`, shortened.
    pub args_short: String,
    /// The arguments as pretty JSON, for the expanded tool line.
    pub args_full: String,
    pub ok: bool,
    /// A proposal's: `pending`, `confirmed`, `failed`, `canceled`.
    pub state: &'static str,
    /// A resolved proposal's result line.
    pub outcome: String,
}

impl EntryView {
    fn blank(kind: &'static str, id: i64) -> EntryView {
        EntryView {
            kind,
            id,
            text: String::new(),
            html: String::new(),
            tool: String::new(),
            args_short: String::new(),
            args_full: String::new(),
            ok: true,
            state: "",
            outcome: String::new(),
        }
    }

    fn answer(text: &str, keys: &[String]) -> EntryView {
        let mut v = EntryView::blank("answer", 0);
        v.html = markdown::render_linked(text, keys);
        v
    }

    fn tool(name: &str, arguments: &Value, summary: &str, ok: bool, keys: &[String]) -> EntryView {
        let mut v = EntryView::blank("tool", 0);
        v.tool = name.to_string();
        v.args_short = short_args(arguments);
        v.args_full = serde_json::to_string_pretty(arguments).unwrap_or_default();
        v.html = markdown::linked_text(summary, keys);
        v.ok = ok;
        v
    }

    fn proposal(
        id: i64,
        tool: &str,
        arguments: &Value,
        summary: &str,
        keys: &[String],
    ) -> EntryView {
        let mut v = EntryView::tool(tool, arguments, summary, true, keys);
        v.kind = "proposal";
        v.id = id;
        v.state = "pending";
        v
    }

    fn notice(text: &str) -> EntryView {
        let mut v = EntryView::blank("notice", 0);
        v.text = text.to_string();
        v
    }

    fn of(entry: &Entry, keys: &[String]) -> EntryView {
        match entry {
            Entry::Question { id, text, .. } => {
                let mut v = EntryView::blank("question", *id);
                v.text = text.clone();
                v
            }
            Entry::Answer { id, text, .. } => {
                let mut v = EntryView::answer(text, keys);
                v.id = *id;
                v
            }
            Entry::ToolCall {
                id,
                name,
                arguments,
                summary,
                ok,
            } => {
                let mut v = EntryView::tool(name, arguments, summary, *ok, keys);
                v.id = *id;
                v
            }
            Entry::Proposal {
                id,
                tool,
                arguments,
                summary,
                state,
            } => {
                let mut v = EntryView::proposal(*id, tool, arguments, summary, keys);
                match state {
                    ProposalState::Pending => {}
                    ProposalState::Confirmed { ok, summary } => {
                        v.state = if *ok { "confirmed" } else { "failed" };
                        v.outcome = summary.clone();
                    }
                    ProposalState::Canceled => v.state = "canceled",
                }
                v
            }
            Entry::Notice { id, text } => {
                let mut v = EntryView::notice(text);
                v.id = *id;
                v
            }
        }
    }
}

/// `query: "login", status: "Done"`: the arguments on one short line.
fn short_args(arguments: &Value) -> String {
    let line = match arguments {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    if line.chars().count() > 90 {
        let mut s: String = line.chars().take(89).collect();
        s.push('…');
        s
    } else {
        line
    }
}

/// One entry of the conversation (also sent, rendered, with the streamed events).
#[derive(Template)]
#[template(path = "ask_entry.html")]
struct EntryTemplate<'a> {
    e: &'a EntryView,
    csrf: &'a str,
    conversation: ConversationId,
}

fn entry_html(e: &EntryView, csrf: &str, conversation: Option<ConversationId>) -> String {
    let Some(conversation) = conversation else {
        return String::new();
    };
    EntryTemplate {
        e,
        csrf,
        conversation,
    }
    .render()
    .unwrap_or_default()
}

pub struct HistoryItem {
    pub id: ConversationId,
    pub title: String,
    pub current: bool,
}

/// The panel: header, history, conversation and question form (or how to configure it).
#[derive(Template)]
#[template(path = "ask_panel.html")]
struct PanelTemplate {
    csrf: String,
    /// Why the assistant cannot answer (not configured), as a heading and how to fix it:
    /// shown instead of the form.
    unavailable: Option<(String, String)>,
    conversation: Option<ConversationId>,
    title: String,
    history: Vec<HistoryItem>,
    entries: Vec<String>,
    /// On the page of its own (no close button, no JavaScript needed).
    standalone: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "assistant.html")]
struct AssistantPage {
    chrome: Chrome,
    panel: String,
}

fn domain(e: AssistantError) -> WebError {
    match e {
        AssistantError::NotConfigured => WebError::Invalid(e.to_string()),
        AssistantError::Domain(d) => d.into(),
    }
}

async fn panel(
    assistant: &Assistant,
    me: &Me,
    which: &Which,
    standalone: bool,
    error: Option<String>,
) -> WebResult<String> {
    let csrf = me.csrf.clone();
    if let Some(why) = assistant.status() {
        // "Ask Orgn is not configured: start orgn serve with…": a heading and its words.
        let (heading, how) = match why.split_once(": ") {
            Some((h, rest)) => {
                let mut chars = rest.chars();
                let first = chars.next().map(|c| c.to_uppercase().to_string());
                (h.to_string(), first.unwrap_or_default() + chars.as_str())
            }
            None => ("Ask Orgn is not available".to_string(), why.to_string()),
        };
        return Ok(PanelTemplate {
            csrf,
            unavailable: Some((heading, how)),
            conversation: None,
            title: String::new(),
            history: vec![],
            entries: vec![],
            standalone,
            error,
        }
        .render()?);
    }
    let list: Vec<Conversation> = assistant.conversations(&me.actor).await.map_err(domain)?;
    let wanted = match which.c.as_deref().map(str::trim) {
        Some("new") => None,
        Some(id) if !id.is_empty() => Some(
            id.parse::<ConversationId>()
                .map_err(|_| WebError::NotFound)?,
        ),
        _ => list.first().map(|c| c.id),
    };
    let (conversation, title, entries) = match wanted {
        None => (None, String::new(), vec![]),
        Some(id) => {
            let transcript = assistant.transcript(&me.actor, id).await.map_err(domain)?;
            let keys = team_keys(&me.actor);
            let entries = transcript
                .iter()
                .map(|e| entry_html(&EntryView::of(e, &keys), &csrf, Some(id)))
                .collect();
            let title = list
                .iter()
                .find(|c| c.id == id)
                .map(|c| c.title.clone())
                .unwrap_or_default();
            (Some(id), title, entries)
        }
    };
    let history = list
        .iter()
        .take(HISTORY)
        .map(|c| HistoryItem {
            id: c.id,
            title: c.title.clone(),
            current: Some(c.id) == conversation,
        })
        .collect();
    Ok(PanelTemplate {
        csrf,
        unavailable: None,
        conversation,
        title,
        history,
        entries,
        standalone,
        error,
    }
    .render()?)
}

async fn page(state: &AppState, me: &Me, which: &Which, error: Option<String>) -> WebResult {
    let panel = panel(&state.assistant, me, which, true, error).await?;
    render(AssistantPage {
        chrome: Chrome::new(me, "Ask Orgn", "assistant"),
        panel,
    })
}

/// `/assistant`: the panel as a page of its own (where the sidebar link leads without
/// JavaScript, and where a plain form post comes back to).
pub async fn show(State(state): State<AppState>, me: Me, Query(which): Query<Which>) -> WebResult {
    page(&state, &me, &which, None).await
}

/// `/assistant/panel`: the panel alone, for `app.js` to show beside the page.
pub async fn fragment(
    State(state): State<AppState>,
    me: Me,
    Query(which): Query<Which>,
) -> WebResult {
    let html = panel(&state.assistant, &me, &which, false, None).await?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

#[derive(Deserialize)]
pub struct AskForm {
    pub question: String,
    #[serde(default)]
    pub conversation: Option<String>,
}

fn wants(headers: &HeaderMap, kind: &str) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(kind))
}

/// The path of the page a question was asked on: the panel posts from whatever page is
/// open, and the browser names it in `Referer` (same origin: its path is sent in full).
/// A question that names no team is about that page's team.
fn asked_on(headers: &HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let uri: axum::http::Uri = referer.parse().ok()?;
    Some(uri.path().to_string())
}

/// `POST /assistant/ask`: with `Accept: text/event-stream` the events stream as they happen
/// (each with its HTML); a plain form waits for the answer and shows the conversation.
pub async fn ask(
    State(state): State<AppState>,
    headers: HeaderMap,
    posted: Posted<AskForm>,
) -> WebResult {
    let me = posted.me;
    let conversation = match posted.form.conversation.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) => Some(
            id.parse::<ConversationId>()
                .map_err(|_| WebError::Invalid("no such conversation".into()))?,
        ),
    };
    let question = posted.form.question;
    let on_page = asked_on(&headers);
    if wants(&headers, "text/event-stream") {
        let rx = state
            .assistant
            .ask_on_page(me.actor.clone(), conversation, question, on_page);
        return Ok(stream(rx, me.csrf, team_keys(&me.actor), conversation));
    }
    let asked = Asked {
        conversation,
        question: &question,
        page: on_page.as_deref(),
    };
    let events = state.assistant.ask_collect_with(&me.actor, asked).await;
    let id = events.iter().find_map(|e| match e {
        Event::Conversation { id, .. } => Some(*id),
        _ => None,
    });
    let error = events.iter().find_map(|e| match e {
        Event::Error(m) => Some(m.clone()),
        _ => None,
    });
    match (id, error) {
        (Some(id), None) => see(&format!("/assistant?c={id}")),
        (id, error) => {
            let which = Which {
                c: Some(id.or(conversation).map_or("new".into(), |i| i.to_string())),
            };
            let mut res = page(&state, &me, &which, error).await?;
            *res.status_mut() = StatusCode::BAD_REQUEST;
            Ok(res)
        }
    }
}

/// Turns the assistant's events into `text/event-stream`, each event's data with the HTML the
/// panel shows for it.
struct Streamer {
    rx: mpsc::Receiver<Event>,
    pending: VecDeque<Event>,
    csrf: String,
    keys: Vec<String>,
    /// Known from the first event on (the answer always starts by naming its conversation).
    conversation: Option<ConversationId>,
    /// The text of the answer being streamed (since the last tool call).
    text: String,
    finished: bool,
}

impl Streamer {
    fn frame(name: &str, data: Value) -> String {
        format!("event: {name}\ndata: {data}\n\n")
    }

    async fn next(&mut self) -> Option<String> {
        if self.finished {
            return None;
        }
        let event = match self.pending.pop_front() {
            Some(e) => e,
            None => match self.rx.recv().await {
                Some(e) => e,
                None => {
                    self.finished = true;
                    return Some(Self::frame(
                        "error",
                        json!({"message": "The answer stopped."}),
                    ));
                }
            },
        };
        let name = event.name();
        let data = match event {
            Event::Conversation { id, title } => {
                self.conversation = Some(id);
                json!({"id": id, "title": title})
            }
            Event::Text(piece) => {
                // Take the pieces that have already arrived too: one render for all.
                let mut delta = piece;
                loop {
                    match self.rx.try_recv() {
                        Ok(Event::Text(more)) => delta.push_str(&more),
                        Ok(other) => {
                            self.pending.push_back(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                self.text.push_str(&delta);
                json!({"text": delta, "html": markdown::render_linked(&self.text, &self.keys)})
            }
            Event::ToolCall {
                name,
                arguments,
                summary,
                ok,
            } => {
                self.text.clear();
                let view = EntryView::tool(&name, &arguments, &summary, ok, &self.keys);
                json!({"name": name, "arguments": arguments, "summary": summary, "ok": ok,
                    "html": entry_html(&view, &self.csrf, self.conversation)})
            }
            Event::Proposal {
                id,
                tool,
                arguments,
                summary,
            } => {
                self.text.clear();
                let view = EntryView::proposal(id, &tool, &arguments, &summary, &self.keys);
                json!({"id": id, "tool": tool, "arguments": arguments, "summary": summary,
                    "html": entry_html(&view, &self.csrf, self.conversation)})
            }
            Event::Stopped(message) => {
                self.text.clear();
                let view = EntryView::notice(&message);
                json!({"message": message, "html": entry_html(&view, &self.csrf, self.conversation)})
            }
            Event::Done => {
                self.finished = true;
                Value::Null
            }
            Event::Error(message) => {
                self.finished = true;
                json!({"message": message})
            }
        };
        Some(Self::frame(name, data))
    }
}

fn stream(
    rx: mpsc::Receiver<Event>,
    csrf: String,
    keys: Vec<String>,
    conversation: Option<ConversationId>,
) -> Response {
    let streamer = Streamer {
        rx,
        pending: VecDeque::new(),
        csrf,
        keys,
        conversation,
        text: String::new(),
        finished: false,
    };
    let body = futures_util::stream::unfold(streamer, |mut s| async move {
        s.next().await.map(|frame| (Ok::<_, Infallible>(frame), s))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .header("x-accel-buffering", "no")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// `POST /assistant/{conversation}/proposals/{id}/confirm`: the proposed change runs now, as
/// the user. JSON for `app.js`, else back to the conversation.
pub async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((conversation, proposal)): Path<(ConversationId, i64)>,
    posted: Posted<Empty>,
) -> WebResult {
    let result = state
        .assistant
        .confirm(&posted.me.actor, conversation, proposal)
        .await;
    resolved(
        &state,
        &headers,
        &posted.me,
        conversation,
        result.map(|o| (o.ok, o.summary)),
    )
    .await
}

/// `POST /assistant/{conversation}/proposals/{id}/cancel`: nothing runs.
pub async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((conversation, proposal)): Path<(ConversationId, i64)>,
    posted: Posted<Empty>,
) -> WebResult {
    let result = state
        .assistant
        .cancel(&posted.me.actor, conversation, proposal)
        .await;
    resolved(
        &state,
        &headers,
        &posted.me,
        conversation,
        result.map(|()| (true, "Canceled: nothing was changed.".to_string())),
    )
    .await
}

async fn resolved(
    state: &AppState,
    headers: &HeaderMap,
    me: &Me,
    conversation: ConversationId,
    result: Result<(bool, String), AssistantError>,
) -> WebResult {
    let json = wants(headers, "application/json");
    match result {
        Ok((ok, summary)) if json => {
            Ok(axum::Json(json!({"ok": ok, "summary": summary})).into_response())
        }
        Ok(_) => see(&format!("/assistant?c={conversation}")),
        Err(AssistantError::Domain(orgn_domain::Error::NotFound(_))) => Err(WebError::NotFound),
        Err(e) if json => Ok((
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"ok": false, "summary": e.to_string()})),
        )
            .into_response()),
        Err(e) => {
            let which = Which {
                c: Some(conversation.to_string()),
            };
            let mut res = page(state, me, &which, Some(e.to_string())).await?;
            *res.status_mut() = StatusCode::BAD_REQUEST;
            Ok(res)
        }
    }
}
