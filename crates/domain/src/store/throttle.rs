//! Failed sign-ins per key (an account's e-mail, a client address), in the database so that
//! every process counts the same attempts.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::Result;

#[async_trait]
pub trait Throttle: Send + Sync {
    /// The largest count of failures among `keys` whose window started after `since`.
    async fn sign_in_failures(&self, keys: &[String], since: OffsetDateTime) -> Result<i64>;
    /// One more failure for `key`: a window started after `since` counts on, an older one
    /// starts again at `now` with one. Rows whose window started before `since` are swept.
    async fn record_sign_in_failure(
        &self,
        key: &str,
        now: OffsetDateTime,
        since: OffsetDateTime,
    ) -> Result<()>;
    async fn clear_sign_in_failures(&self, key: &str) -> Result<()>;
}
