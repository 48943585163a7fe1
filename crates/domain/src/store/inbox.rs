//! Subscriptions to tasks and the notifications of the inbox. Both are written with the
//! change that causes them (`NewChange::inbox`, appended by the feed); here they are read,
//! marked read and changed by hand.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::changes::{NewChange, NotificationKind, Via};
use crate::error::Result;
use crate::model::*;

/// One notification as the inbox shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: NotificationId,
    pub kind: NotificationKind,
    pub task_id: TaskId,
    /// `ENG-12`
    pub task_identifier: String,
    pub task_title: String,
    pub detail: Option<String>,
    pub actor: UserRef,
    pub via: Via,
    pub at: OffsetDateTime,
    pub read: bool,
}

/// Which of a person's notifications to read. Access is applied by the domain: only tasks
/// of `teams` count.
#[derive(Debug, Clone)]
pub struct NotificationQuery {
    pub user: UserId,
    pub teams: Vec<TeamId>,
    pub unread_only: bool,
    /// Older than this id (the previous page's last).
    pub before: Option<NotificationId>,
    pub limit: usize,
}

/// Which notifications to mark: the given ones, or every one of the person's.
#[derive(Debug, Clone)]
pub enum Marking<'a> {
    Ids(&'a [NotificationId]),
    All,
}

#[async_trait]
pub trait Inbox: Send + Sync {
    /// Newest first, at most `limit`.
    async fn notifications(&self, query: &NotificationQuery) -> Result<Vec<Notification>>;
    /// Unread notifications on tasks of `teams`, counting at most `cap`.
    async fn unread_notifications(&self, user: UserId, teams: &[TeamId], cap: i64) -> Result<i64>;
    /// Marks read (`read_at` = `at`) or unread (`at` = None) the person's notifications on
    /// tasks of `teams`; returns how many changed. When any did, `change` is appended with
    /// them, in one transaction.
    async fn mark_notifications(
        &self,
        user: UserId,
        teams: &[TeamId],
        which: Marking<'_>,
        at: Option<OffsetDateTime>,
        change: &NewChange,
    ) -> Result<u64>;
    /// Everyone with a row for the task: `true` follows it, `false` unsubscribed.
    async fn subscriptions(&self, task: TaskId) -> Result<Vec<(UserId, bool)>>;
    /// Follows or stops following, by the person's own choice (kept over later implicit
    /// subscriptions).
    async fn set_subscription(&self, task: TaskId, user: UserId, subscribed: bool) -> Result<()>;
}
