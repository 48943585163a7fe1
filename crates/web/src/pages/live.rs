//! `GET /events`: the signed-in person's live stream of the change feed, as Server-Sent
//! Events. For each change they may see, one message per topic it concerns (`team-3`,
//! `task-12`, `project-4`, `cycle-2`, `doc-7`: the names pages listen to), then one
//! `change` message whose data is a line of HTML saying what changed and who did it, with
//! the change's sequence number as its `id`. A browser that reconnects sends that id back
//! (`Last-Event-ID`) and gets exactly what it missed. The access rule is applied by the
//! domain's stream (`Workspace::live_stream`). A change that notified the reader comes with
//! an `inbox` message first, sent to that reader only.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use orgn_domain::changes::{Change, ObjectKind, topic_scope};
use orgn_domain::model::TeamId;
use orgn_domain::{LiveEvent, LiveStream, ago};
use time::OffsetDateTime;

use crate::AppState;
use crate::error::WebError;
use crate::markdown::escape;
use crate::session::Me;

/// Open streams a process serves at most; past that, new ones are refused (503) and the
/// browser's EventSource retries later.
pub const MAX_STREAMS: usize = 10_000;

/// How long a browser waits before reconnecting after the stream ends.
const RETRY_AFTER: Duration = Duration::from_secs(2);

pub async fn events(
    State(state): State<AppState>,
    me: Me,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let Ok(permit) = state.live_streams.clone().try_acquire_owned() else {
        return Err(WebError::Busy(
            "too many live streams are open; retrying shortly".into(),
        ));
    };
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let live = state.workspace.live_stream(&me.actor, after).await?;
    let reader = me.actor.id();
    let workspace = state.workspace.clone();
    let cache = state.live_messages.clone();
    let events = stream::unfold((live, permit), move |(mut live, permit)| {
        let (workspace, cache) = (workspace.clone(), cache.clone());
        async move {
            let batch = match live.next().await {
                Ok(Some(LiveEvent::Change(change))) => {
                    let made = cache.messages(&change, workspace.now());
                    // A related task's topics go only to those who may see its team.
                    let mut batch: Messages = made
                        .iter()
                        .filter(|(scope, _)| scope.is_none_or(|team| live.sees_team(team)))
                        .map(|(_, message)| message.clone())
                        .collect();
                    if change.notified.contains(&reader) {
                        // Only to the people it notified (the stream has applied the access
                        // rule already): their sidebar count and inbox reload.
                        batch.insert(
                            0,
                            Ok(Event::default().event("inbox").data(change.seq.to_string())),
                        );
                    }
                    batch
                }
                Ok(Some(LiveEvent::Reset)) => reset_message(&live),
                // Their teams changed, and with them what their inbox shows: its count
                // reloads (no id: it is no change of the feed's).
                Ok(Some(LiveEvent::TeamsChanged)) => {
                    vec![Ok(Event::default().event("inbox").data("teams"))]
                }
                // The stream is over, or the feed could not be read: the browser reconnects
                // after `retry` and resumes from the last id it got.
                Ok(None) | Err(_) => return None,
            };
            Some((stream::iter(batch), (live, permit)))
        }
    });
    use futures_util::StreamExt;
    let events = events.flatten();
    let first = stream::once(async { Ok(Event::default().retry(RETRY_AFTER).comment("live")) });
    Ok(sse(first.chain(events)).into_response())
}

fn sse(
    events: impl Stream<Item = Result<Event, Infallible>> + Send + 'static,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + Send + 'static> {
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// The messages of the last changes, made once for every stream that delivers them: with
/// a thousand pages open, formatting each change once instead of a thousand times.
#[derive(Default)]
pub struct MessageCache(Mutex<VecDeque<(i64, Arc<Scoped>)>>);

/// What a stream sends for one event.
type Messages = Vec<Result<Event, Infallible>>;

/// A change's messages, each with the team whose members alone may be sent it, if any.
type Scoped = Vec<(Option<TeamId>, Result<Event, Infallible>)>;

/// Changes whose messages are kept (the broadcast holds as many).
const CACHED_CHANGES: usize = 256;

impl MessageCache {
    fn messages(&self, change: &Arc<Change>, now: OffsetDateTime) -> Arc<Scoped> {
        let cached = self.0.lock().expect("message cache");
        if let Some((_, m)) = cached.iter().rev().find(|(seq, _)| *seq == change.seq) {
            return m.clone();
        }
        drop(cached);
        let made = Arc::new(change_messages(change, now));
        let mut cached = self.0.lock().expect("message cache");
        if cached.len() == CACHED_CHANGES {
            cached.pop_front();
        }
        cached.push_back((change.seq, made.clone()));
        made
    }
}

/// The message that tells a page it cannot be caught up: it should load afresh.
fn reset_message(live: &LiveStream) -> Messages {
    vec![Ok(Event::default()
        .event("reset")
        .data("reload")
        .id(live.last_seq().to_string()))]
}

/// The messages of one change: a topic message per page it concerns, then `change`, which
/// carries the id (so that a reconnect after a half-sent change sends it again whole).
fn change_messages(change: &Arc<Change>, now: OffsetDateTime) -> Scoped {
    if change.kind == ObjectKind::Inbox {
        // The reader's own notifications marked (only they are sent it): the count reloads;
        // no line of recent changes.
        let marked = Event::default()
            .event("inbox")
            .data(change.seq.to_string())
            .id(change.seq.to_string());
        return vec![(None, Ok(marked))];
    }
    let own_page = format!("task-{}", change.object_id);
    let mut out: Scoped = change
        .topics
        .iter()
        .map(|topic| {
            let (topic, scope) = topic_scope(topic);
            // A task's page is told the version the change made (`v7`), so that a page that
            // shows it already (its own edit, swapped in) does not load it again; other pages
            // get the sequence number.
            let data = match (change.kind, change.version) {
                (ObjectKind::Task, Some(v)) if topic == own_page => format!("v{v}"),
                _ => change.seq.to_string(),
            };
            (scope, Ok(Event::default().event(topic).data(data)))
        })
        .collect();
    let line = Event::default()
        .event("change")
        .data(describe(change, now))
        .id(change.seq.to_string());
    out.push((None, Ok(line)));
    out
}

/// One line of HTML: "ENG-12 status, priority — Dee via Claude Desktop, 2 s ago".
fn describe(change: &Arc<Change>, now: OffsetDateTime) -> String {
    let subject = escape(&change.subject);
    let subject = match change.kind {
        ObjectKind::Task | ObjectKind::Comment => {
            format!("<a href=\"/tasks/{subject}\">{subject}</a>")
        }
        _ => format!("<strong>{subject}</strong>"),
    };
    let fields = escape(&change.fields.join(", ").replace('_', " "));
    let when = ago(change.at, now);
    format!(
        "<li class=\"change\">{subject} {fields} — {} <span class=\"muted\">{when}</span></li>",
        escape(&change.who()),
    )
}
