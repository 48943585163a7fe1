//! The change feed: read by sequence number, by object, and swept past its retention. It is
//! appended to by the write methods of the other areas, in their own transactions.

use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::changes::{Change, ObjectKind};
use crate::error::Result;

#[async_trait]
pub trait Feed: Send + Sync {
    /// Up to `limit` changes with `seq > after`, in sequence order.
    async fn changes_after(&self, after: i64, limit: i64) -> Result<Vec<Change>>;
    /// The changes of one object that brought it past `version`, oldest first.
    async fn changes_since_version(
        &self,
        kind: ObjectKind,
        object_id: i64,
        version: i64,
    ) -> Result<Vec<Change>>;
    /// The last sequence number appended (0 when the feed is empty).
    async fn last_change_seq(&self) -> Result<i64>;
    /// The first sequence number still kept (None when the feed is empty).
    async fn first_change_seq(&self) -> Result<Option<i64>>;
    /// The first sequence number of a change at or after `at`.
    async fn first_change_seq_at(&self, at: OffsetDateTime) -> Result<Option<i64>>;
    /// Removes changes older than `before`; returns how many.
    async fn prune_changes(&self, before: OffsetDateTime) -> Result<u64>;
    /// Woken after a change is appended — by this process, and on PostgreSQL by any process
    /// sharing the database (`LISTEN`). A wake-up says "read the feed", nothing more.
    fn change_signal(&self) -> Arc<Notify>;
}
