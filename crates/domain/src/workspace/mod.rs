//! The service that every front end calls. Each operation takes the acting user and applies
//! the access rule before anything else.

mod accounts;
mod assistant_usage;
mod content;
mod conversations;
mod feed;
mod graph;
mod inbox;
mod jobs;
mod live;
mod mentions;
mod oauth;
mod oauth_authorize;
mod oauth_clients;
mod passwords;
mod planning;
mod refs;
mod revisions;
mod task_search;
mod tasks;
mod throttle;
mod trash;

use std::sync::Arc;

use time::{Date, OffsetDateTime};

use crate::access::Actor;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::model::UserId;
use crate::store::Store;

pub use accounts::{
    NewSession, SESSION_IDLE_LIMIT, SESSION_LIFETIME, TOKEN_LIFETIME, TOKEN_WARNING,
    TokenRejection, parse_team_key, rfc3339,
};
pub use assistant_usage::ANSWER_IN_PROGRESS;
pub use content::{DocDraft, DocFilter};
pub use feed::{ChangePage, FEED_RETENTION_DAYS, MAX_FEED_SCAN, ago, may_see};
pub use graph::{MAX_CHILDREN_SHOWN, MAX_DEPTH, MAX_RELATIONS_SHOWN, RelationInput, SubTasks};
pub use inbox::{InboxPage, UNREAD_CAP, what_happened, who_and_how};
pub use jobs::{JOB_FILES_KEPT_FOR, JOB_STALE_AFTER, TOOL_CALLS_KEPT_FOR};
pub use live::{LiveEvent, LiveStream};
pub use mentions::{MAX_HANDLE, Mention, check_handle, find_mentions, handle_from_email};
pub use oauth::*;
pub use planning::{CycleDraft, CyclePatch, MilestonePatch, ProjectDraft, ProjectPatch};
pub use refs::{Ref, TaskRef, parse_identifier};
pub use task_search::TaskFilter;
pub use tasks::{MAX_BULK, TaskDraft, TaskPatch, UNDO_FOR};
pub use throttle::SIGN_IN_FAILURE_WINDOW;
pub use trash::TRASH_RETENTION;

/// Who asks for an administrative operation: the operator at the machine (the CLI, who owns
/// the database anyway) or a signed-in user, who must be a workspace admin.
#[derive(Clone, Copy)]
pub enum Caller<'a> {
    Operator,
    User(&'a Actor),
}

impl Caller<'_> {
    fn require_admin(&self) -> Result<()> {
        match self {
            Caller::Operator => Ok(()),
            Caller::User(a) if a.is_admin() => Ok(()),
            Caller::User(_) => Err(Error::Forbidden("only workspace admins can do this".into())),
        }
    }
}

#[derive(Clone)]
pub struct Workspace {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    passwords: passwords::PasswordWork,
    live: live::LiveFeed,
    /// How long the change feed keeps changes (`orgn serve --feed-retention-days`).
    feed_retention: time::Duration,
}

impl Workspace {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Workspace {
            store,
            clock,
            passwords: passwords::PasswordWork::new(),
            live: Default::default(),
            feed_retention: time::Duration::days(FEED_RETENTION_DAYS.into()),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    pub fn today(&self) -> Date {
        self.clock.now().date()
    }

    /// The user with their memberships as stored now. Fails when the user is gone.
    pub async fn actor(&self, user_id: UserId) -> Result<Actor> {
        let (user, memberships) = self
            .store
            .user_with_memberships(user_id)
            .await?
            .ok_or_else(|| Error::Unauthenticated("this account no longer exists".into()))?;
        Ok(Actor::new(user, memberships))
    }
}

/// U+202A–U+202E and U+2066–U+2069: they make text display other than it is.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A one-line text (a title, a name) as people will read it: a tab or line break becomes a
/// space, other control characters (NUL, ESC and its terminal sequences' lead) and the
/// bidirectional controls (`is_bidi_control`) are dropped; then as `required_text`.
fn required_line(field: &str, value: &str, max: usize) -> Result<String> {
    let line: String = value
        .chars()
        .filter_map(|c| match c {
            c if c.is_control() && c.is_whitespace() => Some(' '),
            c if c.is_control() || is_bidi_control(c) => None,
            c => Some(c),
        })
        .collect();
    required_text(field, &line, max)
}

/// Trims a required text field and checks its length.
fn required_text(field: &str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::Invalid(format!("{field} must not be empty")));
    }
    bounded_text(field, v, max)
}

/// How many values one list argument (statuses, labels) may hold: more than any team has,
/// few enough that resolving them is cheap.
pub const MAX_LIST: usize = 50;

/// A list argument's values, trimmed, without blanks and repeats (compared ignoring case, as
/// names are), in the order given; more than `MAX_LIST` distinct values is refused.
fn bounded_list<'a>(field: &str, values: &'a [String]) -> Result<Vec<&'a str>> {
    let mut out: Vec<&str> = Vec::new();
    for value in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        if !out.iter().any(|seen| seen.eq_ignore_ascii_case(value)) {
            if out.len() == MAX_LIST {
                return Err(Error::Invalid(format!(
                    "{field}: at most {MAX_LIST} different values"
                )));
            }
            out.push(value);
        }
    }
    Ok(out)
}

fn bounded_text(field: &str, value: &str, max: usize) -> Result<String> {
    if value.chars().count() > max {
        return Err(Error::Invalid(format!(
            "{field} is longer than {max} characters"
        )));
    }
    Ok(value.to_string())
}

/// `YYYY-MM-DD`; an empty string or "none" clears.
pub fn parse_optional_date(field: &str, value: &str) -> Result<Option<Date>> {
    let v = value.trim();
    if v.is_empty() || v.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    parse_date(field, v).map(Some)
}

/// The dates Orgn accepts: wide enough for any plan or history, narrow enough that a typo
/// (`0002-12-15`) is refused rather than kept.
pub const EARLIEST_DATE: Date = time::macros::date!(1970 - 01 - 01);
pub const LATEST_DATE: Date = time::macros::date!(2199 - 12 - 31);

pub fn parse_date(field: &str, value: &str) -> Result<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = Date::parse(value.trim(), &format).map_err(|_| {
        Error::Invalid(format!(
            "{field} must be a date like 2026-12-31, got \"{value}\""
        ))
    })?;
    if !(EARLIEST_DATE..=LATEST_DATE).contains(&date) {
        return Err(Error::Invalid(format!(
            "{field} must be between {EARLIEST_DATE} and {LATEST_DATE}, got {date}"
        )));
    }
    Ok(date)
}

pub const MAX_TITLE: usize = 300;
pub const MAX_BODY: usize = 100_000;
