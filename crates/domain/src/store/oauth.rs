//! OAuth 2.1 for the MCP endpoints: clients, authorization codes, grants and their tokens,
//! and the workspace's registration settings. Tokens and codes are kept as digests only.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::Result;
use crate::model::*;

/// How a client came to be known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// Its `client_id` is the URL of a client ID metadata document, fetched by the server.
    MetadataDocument,
    /// Registered through dynamic client registration (RFC 7591).
    Registered,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::MetadataDocument => "metadata",
            ClientKind::Registered => "registered",
        }
    }

    pub fn parse(s: &str) -> Option<ClientKind> {
        match s {
            "metadata" => Some(ClientKind::MetadataDocument),
            "registered" => Some(ClientKind::Registered),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredClient {
    pub client_id: String,
    pub kind: ClientKind,
    pub name: String,
    pub redirect_uris: Vec<String>,
    /// A confidential registered client's secret, as a digest.
    pub secret_digest: Option<String>,
    /// The address a registration came from, for its rate limit.
    pub registered_from: Option<String>,
    pub created_at: OffsetDateTime,
    /// A metadata document is used as fetched until then, and fetched again after.
    pub fresh_until: Option<OffsetDateTime>,
}

#[derive(Debug, Clone)]
pub struct StoredCode {
    pub client_id: String,
    pub user_id: UserId,
    pub redirect_uri: String,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    pub scope: String,
    pub resource: String,
    pub expires_at: OffsetDateTime,
    pub used: bool,
}

/// A grant to be made, with its first token pair.
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub client_id: String,
    pub user_id: UserId,
    pub scope: String,
    pub resource: String,
    pub now: OffsetDateTime,
}

/// A token as stored: its digest and when it stops working.
#[derive(Debug, Clone)]
pub struct TokenDigest {
    pub digest: String,
    pub expires_at: OffsetDateTime,
}

/// An access token and a refresh token issued together.
#[derive(Debug, Clone)]
pub struct PairDigests {
    pub access: TokenDigest,
    pub refresh: TokenDigest,
}

#[derive(Debug, Clone)]
pub struct StoredGrant {
    pub id: i64,
    pub client_id: String,
    pub client_name: String,
    pub user_id: UserId,
    pub scope: String,
    pub resource: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

/// A refresh token as found by its digest.
#[derive(Debug, Clone)]
pub struct StoredRefresh {
    pub grant: StoredGrant,
    pub expires_at: OffsetDateTime,
    /// When it was exchanged for the next pair, and the random part that pair was derived
    /// with; `None` while it is the grant's current refresh token.
    pub replaced: Option<(OffsetDateTime, String)>,
}

/// An access token with its grant.
#[derive(Debug, Clone)]
pub struct StoredAccess {
    pub grant: StoredGrant,
    pub expires_at: OffsetDateTime,
}

/// Which ways of client registration the workspace accepts (Settings → MCP Access).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OAuthSettings {
    pub metadata_documents: bool,
    pub dynamic_registration: bool,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        OAuthSettings {
            metadata_documents: true,
            dynamic_registration: true,
        }
    }
}

#[async_trait]
pub trait OAuth: Send + Sync {
    async fn oauth_client(&self, client_id: &str) -> Result<Option<StoredClient>>;
    /// Inserts the client, or replaces what is known of it (a metadata document fetched again).
    async fn save_oauth_client(&self, client: &StoredClient) -> Result<()>;
    /// Registrations from this address since then.
    async fn registrations_since(&self, from: &str, since: OffsetDateTime) -> Result<i64>;
    /// Deletes registered clients made before then that never got a grant.
    async fn delete_unused_registrations(&self, before: OffsetDateTime) -> Result<u64>;

    /// Stores a new code, dropping codes that expired before `expired_before`.
    async fn create_oauth_code(
        &self,
        digest: &str,
        code: &StoredCode,
        expired_before: OffsetDateTime,
    ) -> Result<()>;
    async fn oauth_code(&self, digest: &str) -> Result<Option<StoredCode>>;
    /// Marks the code used and makes its grant with the first pair, in one transaction.
    /// `None` when the code had been used already: the grant made with it is then revoked.
    async fn redeem_oauth_code(
        &self,
        code_digest: &str,
        grant: &NewGrant,
        pair: &PairDigests,
    ) -> Result<Option<i64>>;

    async fn oauth_refresh(&self, digest: &str) -> Result<Option<StoredRefresh>>;
    /// Replaces the current refresh token `old` by `pair`, in one transaction; false when
    /// `old` was no longer current (a concurrent refresh won).
    async fn rotate_oauth_refresh(
        &self,
        grant: i64,
        old: &str,
        nonce: &str,
        pair: &PairDigests,
        now: OffsetDateTime,
    ) -> Result<bool>;
    async fn oauth_access(&self, digest: &str) -> Result<Option<StoredAccess>>;
    /// An access token with its grant, user and the user's memberships, as every MCP
    /// request with an OAuth token needs them.
    async fn oauth_access_holder(
        &self,
        digest: &str,
    ) -> Result<Option<(StoredAccess, User, Vec<Membership>)>>;
    async fn delete_oauth_access(&self, digest: &str) -> Result<()>;
    async fn touch_oauth_grant(&self, grant: i64, now: OffsetDateTime) -> Result<()>;
    /// Deletes the grant and every token issued under it.
    async fn revoke_oauth_grant(&self, grant: i64) -> Result<()>;
    /// The user's grants that can still be used at `now` (their refresh token is live).
    async fn user_oauth_grants(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<Vec<StoredGrant>>;

    async fn oauth_settings(&self) -> Result<OAuthSettings>;
    async fn set_oauth_settings(&self, settings: OAuthSettings) -> Result<()>;
}
