//! The inbox: the signed-in person's notifications, newest first, a page at a time; opening
//! one marks it read and goes to its task; read and unread by hand, or all read at once.
//! The sidebar's unread count is a fragment of its own (`/inbox/count`), loaded with the
//! page and again whenever the live stream says this person's inbox changed (`sse:inbox`).
//! Following a task (the task page's Subscribe button) is here too.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use orgn_domain::model::NotificationId;
use orgn_domain::store::Notification;
use orgn_domain::{UNREAD_CAP, ago, what_happened, who_and_how};
use serde::Deserialize;

use super::{missing, render, see, task_ref};
use crate::AppState;
use crate::error::{WebError, WebResult};
use crate::session::{Me, Posted};
use crate::view::{self, Chrome};

#[derive(Deserialize, Default)]
pub struct InboxQuery {
    unread: Option<String>,
    cursor: Option<String>,
}

struct Row {
    id: NotificationId,
    ident: String,
    title: String,
    who: String,
    what: String,
    ago: String,
    at: String,
    read: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPageView {
    chrome: Chrome,
    rows: Vec<Row>,
    unread: String,
    unread_only: bool,
    next: Option<String>,
}

fn row(n: &Notification, now: time::OffsetDateTime) -> Row {
    Row {
        id: n.id,
        ident: n.task_identifier.clone(),
        title: n.task_title.clone(),
        who: who_and_how(&n.actor, &n.via),
        what: what_happened(n),
        ago: ago(n.at, now),
        at: view::rfc3339(n.at),
        read: n.read,
    }
}

/// "7", or "99+" past the cap; empty for none.
fn count_text(unread: i64) -> String {
    match unread {
        0 => String::new(),
        n if n >= UNREAD_CAP => format!("{}+", UNREAD_CAP - 1),
        n => n.to_string(),
    }
}

pub async fn page(State(state): State<AppState>, me: Me, Query(q): Query<InboxQuery>) -> WebResult {
    let ws = &state.workspace;
    let unread_only = q.unread.as_deref().is_some_and(|u| !u.is_empty());
    let inbox = ws
        .notifications(&me.actor, unread_only, None, q.cursor.as_deref())
        .await
        .map_err(|e| match e {
            // A cursor edited by hand is a page that does not exist.
            orgn_domain::Error::Invalid(_) => WebError::NotFound,
            e => e.into(),
        })?;
    let now = ws.now();
    render(InboxPageView {
        chrome: Chrome::new(&me, "Inbox", "inbox"),
        rows: inbox.page.items.iter().map(|n| row(n, now)).collect(),
        unread: count_text(inbox.unread),
        unread_only,
        next: inbox.page.next_cursor,
    })
}

#[derive(Template)]
#[template(path = "inbox_count.html")]
struct CountView {
    unread: String,
}

/// The sidebar's unread count.
pub async fn count(State(state): State<AppState>, me: Me) -> WebResult {
    let unread = state.workspace.unread_count(&me.actor).await?;
    render(CountView {
        unread: count_text(unread),
    })
}

/// Opens a notification's task, marking the notification read. One that is not the
/// person's, or whose task they can no longer see, is not found. A link on another site,
/// or a prefetch, just opens the task: a GET that changes state must not be made for
/// people by others.
pub async fn open(
    State(state): State<AppState>,
    me: Me,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> WebResult {
    let ws = &state.workspace;
    let id: NotificationId = id.parse().map_err(|_| WebError::NotFound)?;
    let found = ws
        .notification(&me.actor, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let prefetch = headers.get("sec-purpose").is_some();
    // Browsers say where a navigation came from; one that does not is no browser's.
    if !matches!(site, Some("cross-site" | "same-site")) && !prefetch {
        ws.mark_notifications(&me.actor, Some(&[id]), true).await?;
    }
    see(&format!("/tasks/{}", found.task_identifier))
}

#[derive(Deserialize)]
pub struct MarkForm {
    id: i64,
    /// "1": read; anything else: unread.
    #[serde(default)]
    read: String,
    #[serde(default)]
    back: String,
}

pub async fn mark(State(state): State<AppState>, posted: Posted<MarkForm>) -> WebResult {
    let f = &posted.form;
    let ids = [NotificationId::new(f.id)];
    state
        .workspace
        .mark_notifications(&posted.me.actor, Some(&ids), f.read == "1")
        .await?;
    see(back_to(&f.back))
}

#[derive(Deserialize)]
pub struct AllForm {
    #[serde(default)]
    back: String,
}

pub async fn mark_all(State(state): State<AppState>, posted: Posted<AllForm>) -> WebResult {
    state
        .workspace
        .mark_notifications(&posted.me.actor, None, true)
        .await?;
    see(back_to(&posted.form.back))
}

/// Back to the inbox page the form was on: only the inbox's own addresses.
fn back_to(back: &str) -> &str {
    if back == "/inbox?unread=1" {
        back
    } else {
        "/inbox"
    }
}

#[derive(Template)]
#[template(path = "task_follow.html")]
pub struct FollowView {
    pub ident: String,
    pub following: bool,
    pub csrf: String,
}

impl FollowView {
    /// The task page's Subscribe / Unsubscribe button.
    pub async fn for_task(state: &AppState, me: &Me, ident: &str) -> Result<FollowView, WebError> {
        let following = state
            .workspace
            .follows(&me.actor, &task_ref(ident)?)
            .await
            .map_err(missing)?;
        Ok(FollowView {
            ident: ident.to_string(),
            following,
            csrf: me.csrf.clone(),
        })
    }
}

#[derive(Deserialize)]
pub struct FollowForm {
    /// "1": follow; anything else: stop.
    #[serde(default)]
    on: String,
}

/// Follows or stops following; with htmx, answers the button as it is now.
pub async fn follow(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    posted: Posted<FollowForm>,
) -> WebResult {
    let task = task_ref(&id)?;
    let on = posted.form.on == "1";
    state
        .workspace
        .set_following(&posted.me.actor, &task, on)
        .await
        .map_err(missing)?;
    if headers.contains_key("hx-request") {
        render(FollowView::for_task(&state, &posted.me, &id).await?)
    } else {
        see(&format!("/tasks/{id}"))
    }
}

#[derive(Deserialize)]
pub struct MentionQuery {
    #[serde(default)]
    team: String,
    #[serde(default)]
    q: String,
}

struct Suggestion {
    handle: String,
    name: String,
}

#[derive(Template)]
#[template(path = "inbox_mentions.html")]
struct MentionsView {
    people: Vec<Suggestion>,
}

/// The most people completion offers.
const SUGGESTIONS: usize = 8;

/// Completion after `@`: members of the team (one the person is in; else nobody) whose
/// handle or name starts with `q`.
pub async fn mentions(
    State(state): State<AppState>,
    me: Me,
    Query(q): Query<MentionQuery>,
) -> WebResult {
    let team = me
        .actor
        .memberships()
        .iter()
        .find(|m| m.team.key.eq_ignore_ascii_case(q.team.trim()))
        .map(|m| m.team.id);
    let typed = q.q.trim().trim_start_matches('@').to_lowercase();
    let people = match team {
        Some(team) => state.workspace.mentionable(&me.actor, team).await?,
        None => Vec::new(),
    };
    let starts = |s: &str| s.to_lowercase().starts_with(&typed);
    render(MentionsView {
        people: people
            .into_iter()
            .filter(|u| starts(&u.handle) || u.name.split_whitespace().any(starts))
            .take(SUGGESTIONS)
            .map(|u| Suggestion {
                handle: u.handle,
                name: u.name,
            })
            .collect(),
    })
}
