//! The change feed from the workspace's side: stamping the changes an actor makes, refusing
//! an edit whose fields someone else changed since the version it was based on, and reading
//! the feed as an actor may see it (`list_changes`, and the live streams of `live.rs`).

use time::OffsetDateTime;

use super::Workspace;
use crate::access::Actor;
use crate::changes::{Change, Channel, NewChange, ObjectKind, Stamp, topic_scope};
use crate::error::{Error, Result};
use crate::model::TeamId;

/// The most feed rows one `list_changes` call reads, whatever it finds visible: a call
/// never turns into a long scan; `next_cursor` carries on from where it stopped.
pub const MAX_FEED_SCAN: i64 = 2000;

/// How many days the change feed keeps changes unless `orgn serve` says otherwise.
pub const FEED_RETENTION_DAYS: u16 = 30;

/// A page of the feed as one actor may see it.
#[derive(Debug, Clone)]
pub struct ChangePage {
    pub changes: Vec<Change>,
    /// The sequence number to continue after; `Some` if and only if more may follow.
    pub next_after: Option<i64>,
}

/// Whether the actor may see a change: one of its teams is among the change's; a
/// workspace-wide change (no teams) is the actor's own account's only.
pub fn may_see(actor: &Actor, change: &Change) -> bool {
    if change.teams.is_empty() {
        change.actor.id == actor.id()
    } else {
        actor.can_see_any(&change.teams)
    }
}

/// "5 s ago", "3 min ago", "2 h ago", "4 days ago".
pub fn ago(then: OffsetDateTime, now: OffsetDateTime) -> String {
    let s = (now - then).whole_seconds().max(0);
    match s {
        0..=59 => format!("{s} s ago"),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=86_399 => format!("{} h ago", s / 3600),
        _ => format!("{} days ago", s / 86_400),
    }
}

/// The topics of a change as `actor` may read them: a topic scoped to another team
/// (`changes::topic_scope`: a related task's page) only if the actor is in it, unscoped.
fn visible_topics(actor: &Actor, topics: &[String]) -> Vec<String> {
    topics
        .iter()
        .filter_map(|topic| match topic_scope(topic) {
            (_, Some(team)) if !actor.can_see_team(team) => None,
            (name, _) => Some(name.to_string()),
        })
        .collect()
}

impl Workspace {
    /// Who acts, through what, now.
    pub(crate) fn stamp(&self, actor: &Actor) -> Stamp {
        Stamp {
            actor: actor.id(),
            via: actor.via().clone(),
            at: self.now(),
        }
    }

    /// A change by `actor` to anything but a task (tasks: `NewChange::task`). Each argument
    /// is one column of the feed row, named at the call site.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn change(
        &self,
        actor: &Actor,
        kind: ObjectKind,
        object_id: i64,
        teams: Vec<TeamId>,
        subject: &str,
        fields: &[&str],
        topics: Vec<String>,
    ) -> NewChange {
        NewChange {
            kind,
            object_id,
            teams,
            subject: subject.to_string(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
            topics,
            stamp: self.stamp(actor),
            inbox: Default::default(),
        }
    }

    /// Refuses an edit of `fields` based on version `based_on` of an object now at
    /// `current`, when someone else changed one of those fields since. The actor's own
    /// changes from the web app do not count (two quick edits from one page), changes the
    /// actor made through an agent do. When the feed no longer covers every version since
    /// (past its retention), any change counts. `describe` gives a field's current value.
    pub(crate) async fn refuse_conflicts(
        &self,
        actor: &Actor,
        kind: ObjectKind,
        object_id: i64,
        (based_on, current): (i64, i64),
        fields: &[&str],
        describe: impl Fn(&str) -> String,
    ) -> Result<()> {
        if based_on >= current || fields.is_empty() {
            return Ok(());
        }
        let since = self
            .store
            .changes_since_version(kind, object_id, based_on)
            .await?;
        let covered = since.iter().filter_map(|c| c.version).min() == Some(based_on + 1);
        let others = |c: &&Change| !(c.actor.id == actor.id() && c.via.channel == Channel::Web);
        let clash = since.iter().rev().filter(others).find_map(|c| {
            fields
                .iter()
                .find(|f| c.fields.iter().any(|cf| cf == *f))
                .map(|f| (c, *f))
        });
        if let Some((change, field)) = clash {
            return Err(Error::Conflict(format!(
                "{} was changed to {} by {} {} — your change was not saved; the page shows the current value",
                capitalized(field),
                describe(field),
                change.who(),
                ago(change.at, self.now()),
            )));
        }
        if !covered {
            return Err(Error::Conflict(format!(
                "this was changed since you opened it (now version {current}) — your change was not saved; reload to see the current values"
            )));
        }
        Ok(())
    }

    /// The changes after `after` (a sequence number; 0: from the oldest kept) that the
    /// actor may see, optionally of one team, up to `limit`, reading at most
    /// `MAX_FEED_SCAN` rows.
    pub async fn list_changes(
        &self,
        actor: &Actor,
        after: i64,
        team: Option<TeamId>,
        limit: usize,
    ) -> Result<ChangePage> {
        if team.is_some_and(|t| !actor.can_see_team(t)) {
            return Err(crate::error::not_found("Team".to_string()));
        }
        let mut changes = Vec::new();
        let mut cursor = after;
        let mut scanned = 0;
        loop {
            let batch = (MAX_FEED_SCAN - scanned).min(500);
            let rows = self.store.changes_after(cursor, batch).await?;
            let exhausted = (rows.len() as i64) < batch;
            scanned += rows.len() as i64;
            for mut change in rows {
                cursor = change.seq;
                let wanted = team.is_none_or(|t| change.teams.contains(&t));
                if wanted && may_see(actor, &change) {
                    change.topics = visible_topics(actor, &change.topics);
                    changes.push(change);
                    if changes.len() == limit {
                        let more = self.store.changes_after(cursor, 1).await?;
                        let next_after = (!more.is_empty()).then_some(cursor);
                        return Ok(ChangePage {
                            changes,
                            next_after,
                        });
                    }
                }
            }
            if exhausted {
                return Ok(ChangePage {
                    changes,
                    next_after: None,
                });
            }
            if scanned >= MAX_FEED_SCAN {
                return Ok(ChangePage {
                    changes,
                    next_after: Some(cursor),
                });
            }
        }
    }

    /// The sequence number to read after for "changes since `at`".
    pub async fn change_seq_before(&self, at: OffsetDateTime) -> Result<i64> {
        Ok(self
            .store
            .first_change_seq_at(at)
            .await?
            .map(|s| s - 1)
            .unwrap_or(self.store.last_change_seq().await?))
    }

    /// The same workspace with another retention for the change feed.
    pub fn with_feed_retention(mut self, retention: time::Duration) -> Workspace {
        self.feed_retention = retention;
        self
    }

    /// Forgets the changes older than the retention; returns how many went. The job
    /// runner of every process calls it now and then.
    pub async fn sweep_changes(&self) -> Result<u64> {
        self.store
            .prune_changes(self.now() - self.feed_retention)
            .await
    }
}

fn capitalized(field: &str) -> String {
    let label = field.replace('_', " ");
    let mut chars = label.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => label,
    }
}
