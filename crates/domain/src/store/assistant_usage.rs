//! Ask Orgn per person, in the database so that every process sees it: one answer at a
//! time, and the tokens used today against the daily budget.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::Result;
use crate::model::UserId;

#[async_trait]
pub trait AssistantUsage: Send + Sync {
    /// Holds `user` until `until` unless a hold that has not run out by `now` is there:
    /// `true` when it is now held for this caller.
    async fn hold_person(
        &self,
        user: UserId,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool>;
    async fn release_person(&self, user: UserId) -> Result<()>;
    /// Tokens `user` used on `day` (days since 1970-01-01).
    async fn tokens_used(&self, user: UserId, day: i64) -> Result<i64>;
    /// Adds `tokens` to `user`'s count for `day`; a count of an earlier day starts again.
    async fn add_tokens(&self, user: UserId, day: i64, tokens: i64) -> Result<()>;
}
