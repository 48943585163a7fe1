//! Live streams of the change feed. One reader per process follows the feed in the database
//! (woken by the store's change signal: this process's commits, and on PostgreSQL every
//! process's `NOTIFY`) and broadcasts each new change; every stream filters what it gets
//! through the access rule, with its actor's memberships reloaded the moment a change to
//! them goes by. A stream that starts after a sequence number (`Last-Event-ID`), or falls
//! behind the broadcast, reads what it missed from the database: it misses nothing and
//! repeats nothing.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OnceCell, broadcast, watch};

use super::Workspace;
use super::feed::may_see;
use crate::access::Actor;
use crate::changes::{Change, ObjectKind};
use crate::error::Result;
use crate::model::{TeamId, UserId};

/// How many changes the broadcast holds for a slow stream before it must catch up from
/// the database.
const BROADCAST_CAPACITY: usize = 1024;
/// Rows read from the feed at a time.
const READ_BATCH: i64 = 500;
/// The most changes a resuming stream reads back; further back, it starts afresh.
const MAX_CATCH_UP: usize = 10_000;
/// The reader looks at the feed at least this often, should a wake-up be lost.
const POLL_EVERY: Duration = Duration::from_secs(1);

/// The process's reader of the feed, started by the first stream, and the switch that ends
/// every stream when the server shuts down (a browser's stream never ends by itself, and
/// a graceful shutdown waits for open connections).
#[derive(Clone)]
pub(crate) struct LiveFeed {
    sender: Arc<OnceCell<broadcast::Sender<Arc<Change>>>>,
    closing: Arc<watch::Sender<bool>>,
}

impl Default for LiveFeed {
    fn default() -> LiveFeed {
        LiveFeed {
            sender: Default::default(),
            closing: Arc::new(watch::channel(false).0),
        }
    }
}

/// What a stream yields.
#[derive(Debug)]
pub enum LiveEvent {
    /// A change the stream's user may see.
    Change(Arc<Change>),
    /// The stream could not resume where it was asked to (the feed's retention, or too far
    /// back): the page should load afresh.
    Reset,
    /// The user's own teams changed: what their inbox shows changed with them (a team
    /// left hides its notifications), whether or not they may see the change itself.
    TeamsChanged,
}

/// One user's stream of the changes they may see.
pub struct LiveStream {
    workspace: Workspace,
    user: UserId,
    actor: Actor,
    last: i64,
    backlog: VecDeque<Arc<Change>>,
    /// A change to deliver next, held back while `TeamsChanged` goes first.
    held: Option<Arc<Change>>,
    reset: bool,
    receiver: broadcast::Receiver<Arc<Change>>,
    closing: watch::Receiver<bool>,
}

impl Workspace {
    /// The broadcast of the process's reader, started on first use. The reader starts from
    /// the feed's end as read before any stream reads its own start, so that no change
    /// falls between the two.
    async fn live_sender(&self) -> Result<&broadcast::Sender<Arc<Change>>> {
        self.live
            .sender
            .get_or_try_init(|| async {
                let last = self.store.last_change_seq().await?;
                let (sender, _) = broadcast::channel(BROADCAST_CAPACITY);
                let closing = self.live.closing.subscribe();
                tokio::spawn(follow_feed(self.clone(), sender.clone(), closing, last));
                Ok(sender)
            })
            .await
    }

    /// Ends every live stream of this process, and its reader of the feed: the server is
    /// shutting down. Browsers reconnect to another process, or to this one once it is
    /// back, and resume where they were.
    pub fn end_live_streams(&self) {
        self.live.closing.send_replace(true);
    }

    /// A stream of what `actor` may see from now on, or from after `after` (a sequence
    /// number the client saw last).
    pub async fn live_stream(&self, actor: &Actor, after: Option<i64>) -> Result<LiveStream> {
        // Subscribe first: whatever is appended from here on is in the broadcast or in
        // what is read back below (duplicates are skipped by sequence number).
        let receiver = self.live_sender().await?.subscribe();
        let mut stream = LiveStream {
            workspace: self.clone(),
            user: actor.id(),
            actor: actor.clone(),
            last: 0,
            backlog: VecDeque::new(),
            held: None,
            reset: false,
            receiver,
            closing: self.live.closing.subscribe(),
        };
        match after {
            Some(after) if after >= 0 => {
                let oldest = self.store.first_change_seq().await?;
                let kept = oldest.is_none_or(|first| after + 1 >= first);
                stream.last = after;
                if !kept || !stream.catch_up().await? {
                    stream.reset = true;
                    stream.last = self.store.last_change_seq().await?;
                    stream.backlog.clear();
                }
            }
            _ => stream.last = self.store.last_change_seq().await?,
        }
        Ok(stream)
    }
}

impl LiveStream {
    /// The next event for this user; `None` when the stream is over (the user is gone, or
    /// the process is shutting down).
    pub async fn next(&mut self) -> Result<Option<LiveEvent>> {
        if std::mem::take(&mut self.reset) {
            return Ok(Some(LiveEvent::Reset));
        }
        if let Some(change) = self.held.take() {
            return Ok(Some(LiveEvent::Change(change)));
        }
        loop {
            if *self.closing.borrow() {
                return Ok(None);
            }
            let change = match self.backlog.pop_front() {
                Some(c) => c,
                None => match self.next_broadcast().await {
                    // A gap: something this stream has not seen may lie between (the
                    // process's reader started after the stream, or a rolled-back number);
                    // the database says which.
                    Ok(c) if c.seq > self.last + 1 => {
                        if !self.catch_up().await? {
                            self.last = self.workspace.store.last_change_seq().await?;
                            return Ok(Some(LiveEvent::Reset));
                        }
                        continue;
                    }
                    Ok(c) => c,
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        if !self.catch_up().await? {
                            self.last = self.workspace.store.last_change_seq().await?;
                            return Ok(Some(LiveEvent::Reset));
                        }
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => return Ok(None),
                },
            };
            if change.seq <= self.last {
                continue;
            }
            self.last = change.seq;
            if change.kind == ObjectKind::Membership && change.object_id == self.user.get() {
                // Memberships are read afresh before this change is judged: a removal
                // stops that team's events from here on.
                match self.workspace.actor(self.user).await {
                    Ok(actor) => self.actor = actor,
                    Err(_) => return Ok(None),
                }
                if may_see(&self.actor, &change) {
                    self.held = Some(change);
                }
                return Ok(Some(LiveEvent::TeamsChanged));
            }
            if may_see(&self.actor, &change) {
                return Ok(Some(LiveEvent::Change(change)));
            }
        }
    }

    /// The next broadcast change, or `Closed` once the server is shutting down.
    async fn next_broadcast(&mut self) -> Result<Arc<Change>, broadcast::error::RecvError> {
        tokio::select! {
            received = self.receiver.recv() => received,
            _ = self.closing.wait_for(|closing| *closing) => Err(broadcast::error::RecvError::Closed),
        }
    }

    /// Whether a topic scoped to `team` (`changes::topic_scope`) may be sent on this stream:
    /// the access rule, with the memberships as the stream knows them now.
    pub fn sees_team(&self, team: TeamId) -> bool {
        self.actor.can_see_team(team)
    }

    /// The sequence number of the last change this stream went past.
    pub fn last_seq(&self) -> i64 {
        self.last
    }

    /// Reads what came after `last` from the database into the backlog; `false` when
    /// that is more than a stream catches up on.
    async fn catch_up(&mut self) -> Result<bool> {
        let mut after = self.last.max(self.backlog.back().map_or(0, |c| c.seq));
        loop {
            let rows = self
                .workspace
                .store
                .changes_after(after, READ_BATCH)
                .await?;
            let done = (rows.len() as i64) < READ_BATCH;
            for change in rows {
                after = change.seq;
                self.backlog.push_back(Arc::new(change));
            }
            if self.backlog.len() > MAX_CATCH_UP {
                return Ok(false);
            }
            if done {
                return Ok(true);
            }
        }
    }
}

/// The process's one reader: from the feed's end as it starts, each new change once, in
/// order, to every stream.
async fn follow_feed(
    workspace: Workspace,
    sender: broadcast::Sender<Arc<Change>>,
    mut closing: watch::Receiver<bool>,
    mut last: i64,
) {
    let signal = workspace.store.change_signal();
    loop {
        tokio::select! {
            _ = tokio::time::timeout(POLL_EVERY, signal.notified()) => {}
            _ = closing.wait_for(|closing| *closing) => return,
        }
        loop {
            let rows = match workspace.store.changes_after(last, READ_BATCH).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing_error(&e);
                    break;
                }
            };
            let done = (rows.len() as i64) < READ_BATCH;
            for change in rows {
                last = change.seq;
                // No receivers is fine: nobody is watching right now.
                let _ = sender.send(Arc::new(change));
            }
            if done {
                break;
            }
        }
    }
}

fn tracing_error(e: &crate::Error) {
    // Retried at the next wake-up.
    tracing::warn!(error = %e, "reading the change feed failed");
}
