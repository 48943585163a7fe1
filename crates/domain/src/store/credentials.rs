//! Personal access tokens (one per user) and web sessions.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::Accounts;
use crate::error::Result;
use crate::model::*;

#[derive(Debug, Clone)]
pub struct StoredToken {
    pub user_id: UserId,
    pub info: TokenInfo,
}

#[derive(Debug, Clone)]
pub struct StoredSession {
    pub user_id: UserId,
    pub csrf_token: String,
    pub expires_at: OffsetDateTime,
    /// None: not recorded (a session from before last use was kept, or copied).
    pub last_used_at: Option<OffsetDateTime>,
}

#[async_trait]
pub trait Credentials: Accounts {
    /// Replaces the user's token, if any, in one transaction.
    async fn replace_token(&self, user: UserId, digest: &str, info: &TokenInfo) -> Result<()>;
    async fn token_by_digest(&self, digest: &str) -> Result<Option<StoredToken>>;
    /// A token with its user and the user's memberships, as every MCP request needs them. A
    /// backend may answer it in one query.
    async fn token_holder(
        &self,
        digest: &str,
    ) -> Result<Option<(StoredToken, User, Vec<Membership>)>> {
        let Some(token) = self.token_by_digest(digest).await? else {
            return Ok(None);
        };
        Ok(self
            .user_with_memberships(token.user_id)
            .await?
            .map(|(user, memberships)| (token, user, memberships)))
    }
    async fn token_info(&self, user: UserId) -> Result<Option<TokenInfo>>;
    async fn touch_token(&self, digest: &str, now: OffsetDateTime) -> Result<()>;
    /// Records the MCP client name the user's token last connected with.
    async fn set_token_client(&self, user: UserId, client: &str) -> Result<()>;
    async fn create_session(&self, digest: &str, session: &StoredSession) -> Result<()>;
    async fn session(&self, digest: &str) -> Result<Option<StoredSession>>;
    async fn delete_session(&self, digest: &str) -> Result<()>;
    /// Records that the session was used at `now`.
    async fn touch_session(&self, digest: &str, now: OffsetDateTime) -> Result<()>;
}
