//! Who may ask for an OAuth grant: clients known by a client ID metadata document (an https
//! URL the server fetches) or registered dynamically (RFC 7591), and the redirect URIs they
//! may use (exact match, except the port of a loopback redirect, RFC 8252 §7.3).

use async_trait::async_trait;
use serde::Deserialize;
use time::Duration;

use super::oauth::{OAuthError, OAuthServer, oauth_error};
use super::{Workspace, required_line};
use crate::error::Result;
use crate::secrets;
use crate::store::{ClientKind, StoredClient};

/// A registration that never got a grant is forgotten after this.
pub const UNUSED_REGISTRATION_LIFETIME: Duration = Duration::hours(24);
/// Dynamic registrations one address may make in an hour.
pub const REGISTRATIONS_PER_HOUR: i64 = 20;
/// How long a fetched metadata document is used when its answer says nothing of caching.
pub const METADATA_DEFAULT_FRESHNESS: Duration = Duration::minutes(10);
/// The longest a fetched metadata document is used without fetching it again.
pub const METADATA_MAX_FRESHNESS: Duration = Duration::hours(24);
/// A client ID metadata document larger than this is refused. The draft suggests 5 KB, but
/// real documents (claude.ai's) are larger.
pub const MAX_METADATA_BYTES: usize = 64 * 1024;
const MAX_REDIRECT_URIS: usize = 20;
const MAX_URI_LEN: usize = 2000;

/// Client metadata (RFC 7591 §2), as a registration request or a metadata document holds it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClientMetadata {
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_name: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    pub grant_types: Option<Vec<String>>,
    #[serde(default)]
    pub response_types: Option<Vec<String>>,
}

/// A metadata document as fetched: its bytes and how long its answer said it may be kept.
pub struct FetchedDocument {
    pub body: Vec<u8>,
    /// `Cache-Control: max-age` (zero for `no-store`/`no-cache`), if the answer said.
    pub max_age: Option<Duration>,
}

/// Fetches client ID metadata documents: the front end's HTTP client, with its address
/// rules (no private, link-local or loopback address), timeouts and size limit.
#[async_trait]
pub trait MetadataFetcher: Send + Sync {
    /// The document, or why it could not be had, in words for the user.
    async fn fetch(&self, url: &str) -> std::result::Result<FetchedDocument, String>;
}

/// A new dynamic registration: the client as stored and, for a confidential client, its
/// secret, shown this once.
pub struct Registration {
    pub client: StoredClient,
    pub client_secret: Option<String>,
}

/// True for the loopback hosts of a native app's redirect or a test's metadata document.
fn loopback_authority(rest: &str) -> Option<(&str, &str)> {
    ["localhost", "127.0.0.1", "[::1]"].iter().find_map(|host| {
        let after = rest.strip_prefix(host)?;
        after
            .starts_with([':', '/', '?'])
            .then_some((*host, after))
            .or_else(|| after.is_empty().then_some((*host, after)))
    })
}

/// `http://127.0.0.1:PORT/path` without its port, for RFC 8252's loopback match.
fn loopback_without_port(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("http://")?;
    let (host, after) = loopback_authority(rest)?;
    let after = match after.strip_prefix(':') {
        Some(port) => port.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => after,
    };
    Some(format!("http://{host}{after}"))
}

/// Whether `given` is one of the registered URIs: exactly, or but for a loopback port.
pub fn redirect_uri_matches(registered: &[String], given: &str) -> bool {
    registered.iter().any(|r| {
        r == given
            || loopback_without_port(r)
                .is_some_and(|r| loopback_without_port(given).is_some_and(|g| g == r))
    })
}

/// A redirect URI a client may register: https, http to a loopback address (a native app,
/// RFC 8252 §7.3), or a private-use scheme (`cursor://…`, RFC 8252 §7.1); no fragment.
pub fn check_redirect_uri(uri: &str) -> std::result::Result<(), String> {
    let bad = |why: &str| Err(format!("redirect URI \"{}\" {why}", secrets_free(uri)));
    if uri.len() > MAX_URI_LEN || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("is too long or contains spaces");
    }
    if uri.contains('#') {
        return bad("must not have a fragment");
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return bad("has no scheme");
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok {
        return bad("has no valid scheme");
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => match rest.strip_prefix("//") {
            Some(authority) if !authority.is_empty() && !authority.starts_with('/') => Ok(()),
            _ => bad("has no host"),
        },
        "http" if loopback_without_port(uri).is_some() => Ok(()),
        "http" => bad("must use https (plain http is allowed to localhost only)"),
        "javascript" | "data" | "file" | "vbscript" | "blob" | "about" | "ftp" | "ws" | "wss" => {
            bad("uses a scheme that cannot receive a redirect")
        }
        _ => Ok(()),
    }
}

/// A URI cut to what can be repeated in a message.
fn secrets_free(uri: &str) -> String {
    uri.chars().take(200).collect()
}

/// The host a redirect goes to, as the consent page shows it.
pub fn redirect_host(uri: &str) -> String {
    let rest = uri.split_once("://").map(|(_, r)| r).unwrap_or(uri);
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let host = &rest[..end];
    if host.is_empty() {
        uri.split(':').next().unwrap_or(uri).to_string() + ":"
    } else {
        host.to_string()
    }
}

impl OAuthServer {
    /// A `client_id` that names a metadata document: an https URL with a path (plain http
    /// to a loopback address when `--allow-loopback-client-metadata` is given).
    pub fn is_metadata_url(&self, client_id: &str) -> bool {
        let rest = if let Some(rest) = client_id.strip_prefix("https://") {
            rest
        } else if let Some(rest) = client_id
            .strip_prefix("http://")
            .filter(|_| self.allow_loopback_client_metadata)
        {
            if loopback_authority(rest).is_none() {
                return false;
            }
            rest
        } else {
            return false;
        };
        let Some(slash) = rest.find('/') else {
            return false;
        };
        let (authority, path) = rest.split_at(slash);
        !authority.is_empty()
            && !authority.contains('@')
            && path.len() > 1
            && !client_id.contains('#')
            && !path
                .split(['/', '?'])
                .any(|segment| segment == "." || segment == "..")
            && client_id.len() <= MAX_URI_LEN
    }
}

fn check_metadata_shape(m: &ClientMetadata) -> std::result::Result<(), OAuthError> {
    if m.redirect_uris.is_empty() || m.redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(oauth_error(
            "invalid_redirect_uri",
            format!("redirect_uris must list 1 to {MAX_REDIRECT_URIS} URIs"),
        ));
    }
    for uri in &m.redirect_uris {
        check_redirect_uri(uri).map_err(|e| oauth_error("invalid_redirect_uri", e))?;
    }
    if let Some(grants) = &m.grant_types
        && !grants.iter().any(|g| g == "authorization_code")
    {
        return Err(oauth_error(
            "invalid_client_metadata",
            "grant_types must include authorization_code",
        ));
    }
    if let Some(types) = &m.response_types
        && types.iter().any(|t| t != "code")
    {
        return Err(oauth_error(
            "invalid_client_metadata",
            "response_types may only be code",
        ));
    }
    Ok(())
}

fn client_name(m: &ClientMetadata) -> String {
    m.client_name
        .as_deref()
        .and_then(|n| required_line("client_name", n, 100).ok())
        .unwrap_or_else(|| "Unnamed app".into())
}

impl Workspace {
    /// The client a `client_id` names, fetching its metadata document when it is one and
    /// not fresh in the database. `Err` holds why the client cannot be used, for the user.
    pub async fn oauth_client_for(
        &self,
        server: &OAuthServer,
        client_id: &str,
        fetcher: &dyn MetadataFetcher,
    ) -> Result<std::result::Result<StoredClient, String>> {
        let now = self.now();
        let stored = self.store.oauth_client(client_id).await?;
        if !server.is_metadata_url(client_id) {
            // Unused registrations are swept when a new one is made.
            let usable = stored.filter(|c| c.kind == ClientKind::Registered);
            return Ok(usable.ok_or_else(|| {
                "this app is not registered here (its registration may have expired); add the server to it again".to_string()
            }));
        }
        if !self.oauth_policy(server).await?.metadata_documents {
            return Ok(Err(
                "this server does not accept client ID metadata documents".into(),
            ));
        }
        if let Some(client) = stored.filter(|c| c.fresh_until.is_some_and(|t| t > now)) {
            return Ok(Ok(client));
        }
        let document = match fetcher.fetch(client_id).await {
            Ok(d) => d,
            Err(why) => return Ok(Err(why)),
        };
        let Ok(metadata) = serde_json::from_slice::<ClientMetadata>(&document.body) else {
            return Ok(Err(
                "the app's client metadata document is not valid JSON".into()
            ));
        };
        if metadata.client_id.as_deref() != Some(client_id) {
            return Ok(Err(
                "the app's client metadata document names another client_id".into(),
            ));
        }
        if let Err(e) = check_metadata_shape(&metadata) {
            return Ok(Err(e.description));
        }
        if metadata
            .token_endpoint_auth_method
            .as_deref()
            .is_some_and(|m| m != "none")
        {
            return Ok(Err(
                "the app's metadata document asks for a client authentication this server does not offer (only none)".into(),
            ));
        }
        let freshness = document
            .max_age
            .unwrap_or(METADATA_DEFAULT_FRESHNESS)
            .clamp(Duration::ZERO, METADATA_MAX_FRESHNESS);
        let client = StoredClient {
            client_id: client_id.to_string(),
            kind: ClientKind::MetadataDocument,
            name: client_name(&metadata),
            redirect_uris: metadata.redirect_uris,
            secret_digest: None,
            registered_from: None,
            created_at: now,
            fresh_until: Some(now + freshness),
        };
        self.store.save_oauth_client(&client).await?;
        Ok(Ok(client))
    }

    /// Dynamic client registration (RFC 7591): rate-limited per address; registrations
    /// that are never used are dropped after a day.
    pub async fn register_oauth_client(
        &self,
        server: &OAuthServer,
        metadata: ClientMetadata,
        from: &str,
    ) -> std::result::Result<Registration, OAuthError> {
        if !self.oauth_policy(server).await?.dynamic_registration {
            return Err(oauth_error(
                "access_denied",
                "dynamic client registration is turned off on this server",
            ));
        }
        let now = self.now();
        self.store
            .delete_unused_registrations(now - UNUSED_REGISTRATION_LIFETIME)
            .await?;
        if self
            .store
            .registrations_since(from, now - Duration::hours(1))
            .await?
            >= REGISTRATIONS_PER_HOUR
        {
            return Err(oauth_error(
                "temporarily_unavailable",
                "too many registrations from this address; try again in an hour",
            ));
        }
        check_metadata_shape(&metadata)?;
        // RFC 7591 §2: without a method, the client authenticates with a secret (basic).
        let method = metadata
            .token_endpoint_auth_method
            .as_deref()
            .unwrap_or("client_secret_basic");
        let client_secret = match method {
            "none" => None,
            "client_secret_basic" | "client_secret_post" => Some(secrets::random_base62(43)),
            other => {
                return Err(oauth_error(
                    "invalid_client_metadata",
                    format!(
                        "token_endpoint_auth_method {other} is not supported; use none, client_secret_basic or client_secret_post"
                    ),
                ));
            }
        };
        let client = StoredClient {
            client_id: format!("orgn_client_{}", secrets::random_base62(24)),
            kind: ClientKind::Registered,
            name: client_name(&metadata),
            redirect_uris: metadata.redirect_uris,
            secret_digest: client_secret.as_deref().map(secrets::digest),
            registered_from: Some(from.to_string()),
            created_at: now,
            fresh_until: None,
        };
        self.store.save_oauth_client(&client).await?;
        Ok(Registration {
            client,
            client_secret,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_match_on_any_port_others_exactly() {
        let registered = vec![
            "http://127.0.0.1:3000/callback".to_string(),
            "https://app.example/cb".to_string(),
        ];
        assert!(redirect_uri_matches(
            &registered,
            "http://127.0.0.1:51234/callback"
        ));
        assert!(redirect_uri_matches(
            &registered,
            "http://127.0.0.1/callback"
        ));
        assert!(!redirect_uri_matches(
            &registered,
            "http://127.0.0.1:5/other"
        ));
        assert!(!redirect_uri_matches(
            &registered,
            "http://localhost:3000/callback"
        ));
        assert!(redirect_uri_matches(&registered, "https://app.example/cb"));
        assert!(!redirect_uri_matches(
            &registered,
            "https://app.example:8443/cb"
        ));
        assert!(!redirect_uri_matches(
            &registered,
            "https://app.example/cb?x=1"
        ));
    }

    #[test]
    fn redirect_uris_are_checked() {
        assert!(check_redirect_uri("https://claude.ai/api/mcp/auth_callback").is_ok());
        assert!(check_redirect_uri("http://localhost:33418/").is_ok());
        assert!(check_redirect_uri("http://[::1]:8/cb").is_ok());
        assert!(check_redirect_uri("cursor://anysphere.cursor-retrieval/oauth/cb").is_ok());
        assert!(check_redirect_uri("http://evil.example/cb").is_err());
        assert!(check_redirect_uri("http://localhost.evil.example/cb").is_err());
        assert!(check_redirect_uri("https://app.example/cb#frag").is_err());
        assert!(check_redirect_uri("javascript:alert(1)").is_err());
        assert!(check_redirect_uri("https:///nohost").is_err());
    }

    #[test]
    fn metadata_urls_need_https_and_a_path() {
        let strict = OAuthServer::new("https://orgn.example");
        assert!(strict.is_metadata_url("https://app.example/oauth/client.json"));
        assert!(!strict.is_metadata_url("https://app.example"));
        assert!(!strict.is_metadata_url("https://app.example/"));
        assert!(!strict.is_metadata_url("https://u@app.example/c.json"));
        assert!(!strict.is_metadata_url("https://app.example/a/../c.json"));
        assert!(!strict.is_metadata_url("http://127.0.0.1:4000/c.json"));
        let tests = OAuthServer {
            allow_loopback_client_metadata: true,
            ..strict
        };
        assert!(tests.is_metadata_url("http://127.0.0.1:4000/c.json"));
        assert!(!tests.is_metadata_url("http://10.0.0.1/c.json"));
    }

    #[test]
    fn the_consent_page_names_the_redirect_host() {
        assert_eq!(redirect_host("https://claude.ai/api/cb?x=1"), "claude.ai");
        assert_eq!(redirect_host("http://127.0.0.1:5555/cb"), "127.0.0.1:5555");
        assert_eq!(redirect_host("cursor://anysphere/cb"), "anysphere");
    }
}
