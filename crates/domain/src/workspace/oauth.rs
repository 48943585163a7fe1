//! OAuth 2.1 for the MCP endpoints: Orgn is the authorization server of its own `/mcp` and
//! `/mcp/readonly`. Authorization code with PKCE S256 only, the RFC 8707 `resource` binding a
//! grant to one endpoint, short-lived opaque access tokens, refresh tokens that rotate on
//! every use (a repeat within a short grace gets the same new pair; a repeat after it
//! revokes the grant). Codes and tokens are kept as digests only, like personal access
//! tokens, and act with exactly the user's access through the MCP channel.

use base64::Engine;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::{Caller, Workspace};
use crate::access::Actor;
use crate::error::{Error, Result, not_found};
use crate::secrets;
use crate::store::*;

pub use super::oauth_authorize::*;
pub use super::oauth_clients::*;

pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::hours(1);
/// A refresh token unused for this long stops working; each use issues a new one.
pub const REFRESH_TOKEN_LIFETIME: Duration = Duration::days(30);
pub const CODE_LIFETIME: Duration = Duration::seconds(60);
/// A refresh token used again within this time after its first use gets the same new pair:
/// clients that refresh from several requests at once are not locked out.
pub const REFRESH_GRACE: Duration = Duration::seconds(5);
pub const ACCESS_TOKEN_PREFIX: &str = "orgn_oat_";
pub const REFRESH_TOKEN_PREFIX: &str = "orgn_ort_";

/// Where the authorization server and its resources are, and what the operator allowed
/// (`orgn serve` flags); the workspace's own settings can only narrow these.
#[derive(Debug, Clone)]
pub struct OAuthServer {
    /// The public URL, without a trailing slash: the issuer.
    pub issuer: String,
    pub metadata_documents: bool,
    pub dynamic_registration: bool,
    /// Fetch metadata documents from loopback addresses, over plain http too (tests).
    pub allow_loopback_client_metadata: bool,
}

impl OAuthServer {
    pub fn new(public_url: &str) -> OAuthServer {
        OAuthServer {
            issuer: public_url.trim_end_matches('/').to_string(),
            metadata_documents: true,
            dynamic_registration: true,
            allow_loopback_client_metadata: false,
        }
    }

    /// The resource identifier (RFC 8707) of `/mcp` or `/mcp/readonly`.
    pub fn resource(&self, read_only: bool) -> String {
        if read_only {
            format!("{}/mcp/readonly", self.issuer)
        } else {
            format!("{}/mcp", self.issuer)
        }
    }

    /// The resource a request names, `/mcp` when it names none or only this server's origin
    /// (what clients without resource metadata fall back to); `None` for anything else.
    pub(super) fn resource_named(&self, given: Option<&str>) -> Option<String> {
        let given = given.map(str::trim).filter(|r| !r.is_empty());
        let given = given.map(|r| r.trim_end_matches('/'));
        let Some(given) = given.filter(|r| *r != self.issuer) else {
            return Some(self.resource(false));
        };
        [self.resource(false), self.resource(true)]
            .into_iter()
            .find(|r| r == given)
    }
}

/// What a grant allows: `mcp` (read and write, as a personal access token) or `mcp:read`
/// (the read-only tools only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Mcp,
    McpRead,
}

pub const SCOPES_SUPPORTED: [&str; 2] = ["mcp", "mcp:read"];

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Mcp => "mcp",
            Scope::McpRead => "mcp:read",
        }
    }

    pub fn read_only(self) -> bool {
        self == Scope::McpRead
    }

    /// A requested scope list: `mcp` when it holds `mcp` or nothing we know, `mcp:read` when
    /// that is all it asks. Scopes we do not offer are ignored (RFC 6749 §3.3: the answer
    /// says which scope was granted).
    pub fn requested(list: Option<&str>) -> Scope {
        let words: Vec<&str> = list.unwrap_or("").split_whitespace().collect();
        if words.contains(&"mcp:read") && !words.contains(&"mcp") {
            Scope::McpRead
        } else {
            Scope::Mcp
        }
    }

    fn stored(s: &str) -> Scope {
        if s == "mcp:read" {
            Scope::McpRead
        } else {
            Scope::Mcp
        }
    }

    /// What the consent page says the app will be able to do.
    pub fn abilities(self) -> &'static [&'static str] {
        match self {
            Scope::Mcp => &[
                "Read your tasks, projects, cycles, docs and comments in your teams",
                "Create and update tasks, comments, projects, milestones, cycles, labels and docs as you",
            ],
            Scope::McpRead => {
                &["Read your tasks, projects, cycles, docs and comments in your teams"]
            }
        }
    }
}

/// An OAuth error answer (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 8707 `invalid_target`), or a
/// failure of ours.
#[derive(Debug)]
pub struct OAuthError {
    pub code: &'static str,
    pub description: String,
    /// Set for a failure of ours: logged, answered as `server_error`.
    pub internal: Option<Error>,
}

pub fn oauth_error(code: &'static str, description: impl Into<String>) -> OAuthError {
    OAuthError {
        code,
        description: description.into(),
        internal: None,
    }
}

impl From<Error> for OAuthError {
    fn from(e: Error) -> OAuthError {
        OAuthError {
            code: "server_error",
            description: "the server could not answer; try again shortly".into(),
            internal: Some(e),
        }
    }
}

type OAuthResult<T> = std::result::Result<T, OAuthError>;

/// A token endpoint request (RFC 6749 §4.1.3, §6), with the client's credentials taken from
/// the body or the `Authorization: Basic` header.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub resource: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// A token response's contents.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub scope: Scope,
}

/// What an OAuth access token grants, for the MCP endpoint that checks it.
#[derive(Debug, Clone)]
pub struct OAuthAccess {
    pub grant_id: i64,
    pub client_name: String,
    pub scope: Scope,
    pub expires_at: OffsetDateTime,
}

/// Why an OAuth access token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthRejection {
    Malformed,
    /// Never issued, expired, or its app disconnected.
    Invalid,
    /// Issued for the other MCP endpoint.
    OtherResource,
}

impl OAuthRejection {
    pub fn message(&self) -> String {
        match self {
            OAuthRejection::Malformed => "the token is not an Orgn OAuth access token".into(),
            OAuthRejection::Invalid => "the access token is not valid (it expired, or the app was disconnected); refresh it or sign in again".into(),
            OAuthRejection::OtherResource => "the access token was issued for another resource; ask for one for this URL".into(),
        }
    }
}

/// A connected app on Settings → MCP Access.
#[derive(Debug, Clone)]
pub struct ConnectedApp {
    pub grant_id: i64,
    pub client_name: String,
    pub scope: Scope,
    pub connected_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

/// PKCE S256 (RFC 7636 §4.6): BASE64URL(SHA256(verifier)) without padding.
fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn verifier_well_formed(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// A new pair; derived from the old refresh token and a nonce when rotating, so that a
/// repeat of the same refresh within the grace gets the very same pair.
fn pair(seed: Option<(&str, &str)>, now: OffsetDateTime) -> (IssuedPair, PairDigests) {
    let (access, refresh) = match seed {
        Some((old, nonce)) => (
            secrets::derived_token(ACCESS_TOKEN_PREFIX, &format!("access {nonce} {old}")),
            secrets::derived_token(REFRESH_TOKEN_PREFIX, &format!("refresh {nonce} {old}")),
        ),
        None => (
            secrets::new_prefixed_token(ACCESS_TOKEN_PREFIX),
            secrets::new_prefixed_token(REFRESH_TOKEN_PREFIX),
        ),
    };
    let digests = PairDigests {
        access: TokenDigest {
            digest: secrets::digest(&access),
            expires_at: now + ACCESS_TOKEN_LIFETIME,
        },
        refresh: TokenDigest {
            digest: secrets::digest(&refresh),
            expires_at: now + REFRESH_TOKEN_LIFETIME,
        },
    };
    (IssuedPair { access, refresh }, digests)
}

struct IssuedPair {
    access: String,
    refresh: String,
}

fn invalid_grant(why: &str) -> OAuthError {
    oauth_error("invalid_grant", why)
}

impl Workspace {
    /// What the operator's flags and the workspace's settings allow together.
    pub async fn oauth_policy(&self, server: &OAuthServer) -> Result<OAuthSettings> {
        let s = self.store.oauth_settings().await?;
        Ok(OAuthSettings {
            metadata_documents: server.metadata_documents && s.metadata_documents,
            dynamic_registration: server.dynamic_registration && s.dynamic_registration,
        })
    }

    pub async fn oauth_settings(&self) -> Result<OAuthSettings> {
        self.store.oauth_settings().await
    }

    pub async fn set_oauth_settings(&self, by: Caller<'_>, settings: OAuthSettings) -> Result<()> {
        by.require_admin()?;
        self.store.set_oauth_settings(settings).await
    }

    /// The client a token or revocation request authenticates as.
    async fn token_client(&self, req: &TokenRequest) -> OAuthResult<StoredClient> {
        let unknown = || oauth_error("invalid_client", "unknown client or wrong client secret");
        let client_id = req.client_id.as_deref().ok_or_else(unknown)?;
        let client = self
            .store
            .oauth_client(client_id)
            .await?
            .ok_or_else(unknown)?;
        if let Some(digest) = &client.secret_digest {
            let given = req.client_secret.as_deref().map(secrets::digest);
            if given.as_deref() != Some(digest.as_str()) {
                return Err(unknown());
            }
        }
        Ok(client)
    }

    /// The token endpoint (RFC 6749 §3.2): a code or a refresh token for a new pair.
    pub async fn oauth_token(
        &self,
        server: &OAuthServer,
        req: &TokenRequest,
    ) -> OAuthResult<IssuedTokens> {
        match req.grant_type.as_deref() {
            Some("authorization_code") => {
                let client = self.token_client(req).await?;
                self.exchange_code(server, &client, req).await
            }
            Some("refresh_token") => {
                let client = self.token_client(req).await?;
                self.refresh(server, &client, req).await
            }
            Some(_) => Err(oauth_error(
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            )),
            None => Err(oauth_error("invalid_request", "grant_type is missing")),
        }
    }

    async fn exchange_code(
        &self,
        server: &OAuthServer,
        client: &StoredClient,
        req: &TokenRequest,
    ) -> OAuthResult<IssuedTokens> {
        let code = req
            .code
            .as_deref()
            .ok_or_else(|| oauth_error("invalid_request", "code is missing"))?;
        let digest = secrets::digest(code);
        let stored = self.store.oauth_code(&digest).await?;
        let stored = stored
            .filter(|c| c.client_id == client.client_id)
            .ok_or_else(|| invalid_grant("the code is not valid"))?;
        let now = self.now();
        let grant = NewGrant {
            client_id: client.client_id.clone(),
            user_id: stored.user_id,
            scope: stored.scope.clone(),
            resource: stored.resource.clone(),
            now,
        };
        let (issued, digests) = pair(None, now);
        if stored.used {
            // RFC 6749 §4.1.2: a code used twice revokes what it gave.
            self.store
                .redeem_oauth_code(&digest, &grant, &digests)
                .await?;
            return Err(invalid_grant(
                "the code was used already; the access it gave is revoked",
            ));
        }
        if stored.expires_at <= now {
            return Err(invalid_grant("the code expired; start the sign-in again"));
        }
        if req.redirect_uri.as_deref() != Some(stored.redirect_uri.as_str()) {
            return Err(invalid_grant(
                "redirect_uri differs from the authorization request's",
            ));
        }
        let verifier = req.code_verifier.as_deref().unwrap_or("");
        if !verifier_well_formed(verifier) {
            return Err(oauth_error(
                "invalid_request",
                "code_verifier is missing or malformed (43 to 128 characters)",
            ));
        }
        if s256(verifier) != stored.code_challenge {
            return Err(invalid_grant(
                "code_verifier does not match the code_challenge",
            ));
        }
        if req.resource.is_some()
            && server.resource_named(req.resource.as_deref()) != Some(stored.resource.clone())
        {
            return Err(oauth_error(
                "invalid_target",
                "resource differs from the authorization request's",
            ));
        }
        if self
            .store
            .redeem_oauth_code(&digest, &grant, &digests)
            .await?
            .is_none()
        {
            return Err(invalid_grant(
                "the code was used already; the access it gave is revoked",
            ));
        }
        Ok(IssuedTokens {
            access_token: issued.access,
            refresh_token: issued.refresh,
            expires_in: ACCESS_TOKEN_LIFETIME.whole_seconds(),
            scope: Scope::stored(&stored.scope),
        })
    }

    async fn refresh(
        &self,
        server: &OAuthServer,
        client: &StoredClient,
        req: &TokenRequest,
    ) -> OAuthResult<IssuedTokens> {
        let token = req
            .refresh_token
            .as_deref()
            .ok_or_else(|| oauth_error("invalid_request", "refresh_token is missing"))?;
        let not_valid = || invalid_grant("the refresh token is not valid; sign in again");
        if !secrets::prefixed_token_well_formed(REFRESH_TOKEN_PREFIX, token) {
            return Err(not_valid());
        }
        let digest = secrets::digest(token);
        let now = self.now();
        for _ in 0..2 {
            let stored = self.store.oauth_refresh(&digest).await?;
            let stored = stored
                .filter(|r| r.grant.client_id == client.client_id && r.expires_at > now)
                .ok_or_else(not_valid)?;
            if req.resource.is_some()
                && server.resource_named(req.resource.as_deref())
                    != Some(stored.grant.resource.clone())
            {
                return Err(oauth_error(
                    "invalid_target",
                    "resource differs from the grant's",
                ));
            }
            let scope = Scope::stored(&stored.grant.scope);
            match stored.replaced {
                None => {
                    let nonce = secrets::random_base62(32);
                    let (issued, digests) = pair(Some((token, &nonce)), now);
                    let rotated = self
                        .store
                        .rotate_oauth_refresh(stored.grant.id, &digest, &nonce, &digests, now)
                        .await?;
                    if rotated {
                        return Ok(IssuedTokens {
                            access_token: issued.access,
                            refresh_token: issued.refresh,
                            expires_in: ACCESS_TOKEN_LIFETIME.whole_seconds(),
                            scope,
                        });
                    }
                    // A concurrent refresh rotated it first: answer as it did, below.
                }
                Some((at, nonce)) if now < at + REFRESH_GRACE => {
                    let (issued, digests) = pair(Some((token, &nonce)), now);
                    let access = self.store.oauth_access(&digests.access.digest).await?;
                    let access = access.ok_or_else(not_valid)?;
                    return Ok(IssuedTokens {
                        access_token: issued.access,
                        refresh_token: issued.refresh,
                        expires_in: (access.expires_at - now).whole_seconds().max(0),
                        scope,
                    });
                }
                Some(_) => {
                    // Used again after its grace: stolen or replayed. End the whole grant.
                    self.store.revoke_oauth_grant(stored.grant.id).await?;
                    return Err(invalid_grant(
                        "the refresh token was used already; the connection is revoked, sign in again",
                    ));
                }
            }
        }
        Err(not_valid())
    }

    /// Token revocation (RFC 7009): a refresh token ends its grant, an access token only
    /// itself. Unknown tokens, and other clients' tokens, are ignored.
    pub async fn revoke_oauth_token(&self, req: &TokenRequest, token: &str) -> OAuthResult<()> {
        let client = self.token_client(req).await?;
        let digest = secrets::digest(token);
        if let Some(r) = self.store.oauth_refresh(&digest).await? {
            if r.grant.client_id == client.client_id {
                self.store.revoke_oauth_grant(r.grant.id).await?;
            }
        } else if let Some(a) = self.store.oauth_access(&digest).await?
            && a.grant.client_id == client.client_id
        {
            self.store.delete_oauth_access(&digest).await?;
        }
        Ok(())
    }

    /// True for a token in the shape of an OAuth access token (the MCP guard's choice
    /// between this and a personal access token).
    pub fn is_oauth_access_token(token: &str) -> bool {
        token.starts_with(ACCESS_TOKEN_PREFIX)
    }

    /// The actor an OAuth access token stands for, at the endpoint of `resource`.
    pub async fn authenticate_oauth_token(
        &self,
        server: &OAuthServer,
        token: &str,
        read_only_endpoint: bool,
    ) -> Result<std::result::Result<(Actor, OAuthAccess), OAuthRejection>> {
        if !secrets::prefixed_token_well_formed(ACCESS_TOKEN_PREFIX, token) {
            return Ok(Err(OAuthRejection::Malformed));
        }
        let Some((access, user, memberships)) = self
            .store
            .oauth_access_holder(&secrets::digest(token))
            .await?
        else {
            return Ok(Err(OAuthRejection::Invalid));
        };
        let now = self.now();
        if access.expires_at <= now {
            return Ok(Err(OAuthRejection::Invalid));
        }
        if access.grant.resource != server.resource(read_only_endpoint) {
            return Ok(Err(OAuthRejection::OtherResource));
        }
        // Shown to the minute, as a personal access token's last use.
        if access
            .grant
            .last_used_at
            .is_none_or(|t| now - t >= Duration::minutes(1))
        {
            self.store.touch_oauth_grant(access.grant.id, now).await?;
        }
        // What the app changes says so: "via Claude" (the name it registered with).
        let via = crate::changes::Via::mcp(Some(&access.grant.client_name));
        Ok(Ok((
            Actor::new(user, memberships).acting_via(via),
            OAuthAccess {
                grant_id: access.grant.id,
                client_name: access.grant.client_name,
                scope: Scope::stored(&access.grant.scope),
                expires_at: access.expires_at,
            },
        )))
    }

    /// The actor's apps that can still act: a grant whose refresh token ran out is gone.
    pub async fn connected_apps(&self, actor: &Actor) -> Result<Vec<ConnectedApp>> {
        let grants = self.store.user_oauth_grants(actor.id(), self.now()).await?;
        Ok(grants
            .into_iter()
            .map(|g| ConnectedApp {
                grant_id: g.id,
                client_name: g.client_name,
                scope: Scope::stored(&g.scope),
                connected_at: g.created_at,
                last_used_at: g.last_used_at,
            })
            .collect())
    }

    /// Ends one of the actor's grants at once: its tokens stop working on the next request.
    pub async fn disconnect_app(&self, actor: &Actor, grant_id: i64) -> Result<()> {
        let grants = self.store.user_oauth_grants(actor.id(), self.now()).await?;
        if !grants.iter().any(|g| g.id == grant_id) {
            return Err(not_found("connected app"));
        }
        self.store.revoke_oauth_grant(grant_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(verifier_well_formed(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        ));
        assert!(!verifier_well_formed("short"));
    }

    #[test]
    fn scopes_default_to_mcp_and_narrow_to_read() {
        assert_eq!(Scope::requested(None), Scope::Mcp);
        assert_eq!(Scope::requested(Some("mcp:read")), Scope::McpRead);
        assert_eq!(Scope::requested(Some("mcp mcp:read")), Scope::Mcp);
        assert_eq!(Scope::requested(Some("openid")), Scope::Mcp);
    }

    #[test]
    fn resources_are_the_two_endpoints() {
        let s = OAuthServer::new("https://orgn.example/");
        assert_eq!(s.resource_named(None).unwrap(), "https://orgn.example/mcp");
        assert_eq!(
            s.resource_named(Some("https://orgn.example/mcp/")).unwrap(),
            "https://orgn.example/mcp"
        );
        assert!(
            s.resource_named(Some("https://orgn.example/mcp/readonly"))
                .is_some()
        );
        assert!(s.resource_named(Some("https://evil.example/mcp")).is_none());
        assert_eq!(
            s.resource_named(Some("https://orgn.example/")).unwrap(),
            "https://orgn.example/mcp"
        );
        assert!(
            s.resource_named(Some("https://orgn.example/other"))
                .is_none()
        );
    }
}
