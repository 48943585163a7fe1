//! Fetching OAuth client ID metadata documents: the `client_id` is a URL anyone may choose,
//! so the fetch is an SSRF risk. It goes only to public addresses (checked on the addresses
//! the name resolves to, which are the ones connected to, so a name cannot resolve to a
//! public address for the check and a private one for the connection), follows no
//! redirect, gives up after a few seconds and reads at most `MAX_METADATA_BYTES`.
//! `--allow-loopback-client-metadata` (tests) allows loopback addresses, over plain http too.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::TokioExecutor;
use orgn_domain::{FetchedDocument, MAX_METADATA_BYTES, MetadataFetcher};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether an address may be fetched from: public unicast only (loopback when allowed).
pub fn address_allowed(ip: IpAddr, allow_loopback: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                return allow_loopback;
            }
            !(v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                || (a == 198 && (b == 18 || b == 19)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return address_allowed(IpAddr::V4(v4), allow_loopback);
            }
            if v6.is_loopback() {
                return allow_loopback;
            }
            let first = v6.segments()[0];
            !(v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)) // documentation
        }
    }
}

/// A resolver that answers only the allowed addresses of a name, and fails when none is.
#[derive(Clone)]
struct PublicResolver {
    allow_loopback: bool,
}

type Resolved =
    Pin<Box<dyn Future<Output = std::io::Result<std::vec::IntoIter<SocketAddr>>> + Send>>;

impl tower_service::Service<Name> for PublicResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Resolved;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Resolved {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let allowed: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|a| address_allowed(a.ip(), allow_loopback))
                .collect();
            if allowed.is_empty() {
                return Err(std::io::Error::other(PRIVATE));
            }
            Ok(allowed.into_iter())
        })
    }
}

const PRIVATE: &str = "the app's client metadata document is on a private address, which this server does not fetch from";

type FetchClient =
    Client<hyper_rustls::HttpsConnector<HttpConnector<PublicResolver>>, Empty<Bytes>>;

pub struct HttpMetadataFetcher {
    client: FetchClient,
    allow_loopback: bool,
}

impl HttpMetadataFetcher {
    pub fn new(allow_loopback: bool) -> HttpMetadataFetcher {
        let mut http = HttpConnector::new_with_resolver(PublicResolver { allow_loopback });
        http.enforce_http(false);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let builder = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .expect("the ring provider has TLS 1.2 and 1.3 cipher suites");
        // Plain http only where loopback is allowed (tests); `is_metadata_url` lets http
        // through only to loopback names then.
        let tls = if allow_loopback {
            builder.https_or_http().enable_http1().wrap_connector(http)
        } else {
            builder.https_only().enable_http1().wrap_connector(http)
        };
        HttpMetadataFetcher {
            client: Client::builder(TokioExecutor::new()).build(tls),
            allow_loopback,
        }
    }

    async fn get(&self, uri: hyper::Uri) -> Result<FetchedDocument, String> {
        let request = hyper::Request::get(uri)
            .header(hyper::header::ACCEPT, "application/json")
            .header(hyper::header::USER_AGENT, "orgn")
            .body(Empty::new())
            .map_err(|_| "the app's client_id is not a URL that can be fetched".to_string())?;
        let response = self.client.request(request).await.map_err(|e| {
            let private = std::error::Error::source(&e)
                .map(|s| format!("{s:?}").contains(PRIVATE))
                .unwrap_or(false);
            if private {
                PRIVATE.to_string()
            } else {
                "the app's client metadata document could not be fetched".to_string()
            }
        })?;
        if response.status() != hyper::StatusCode::OK {
            return Err(format!(
                "fetching the app's client metadata document answered {} (200 expected; redirects are not followed)",
                response.status().as_u16()
            ));
        }
        let max_age = max_age(response.headers());
        let mut body = response.into_body();
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame =
                frame.map_err(|_| "the app's client metadata document could not be read")?;
            if let Some(data) = frame.data_ref() {
                bytes.extend_from_slice(data);
                if bytes.len() > MAX_METADATA_BYTES {
                    return Err(format!(
                        "the app's client metadata document is larger than {} KiB",
                        MAX_METADATA_BYTES / 1024
                    ));
                }
            }
        }
        Ok(FetchedDocument {
            body: bytes,
            max_age,
        })
    }
}

/// How long an answer may be kept, from its `Cache-Control` (RFC 9111): `no-store` and
/// `no-cache` mean not at all.
fn max_age(headers: &hyper::HeaderMap) -> Option<time::Duration> {
    let value = headers.get(hyper::header::CACHE_CONTROL)?.to_str().ok()?;
    let mut found = None;
    for directive in value.split(',').map(|d| d.trim().to_ascii_lowercase()) {
        if directive == "no-store" || directive == "no-cache" {
            return Some(time::Duration::ZERO);
        }
        if let Some(secs) = directive.strip_prefix("max-age=") {
            found = secs
                .trim_matches('"')
                .parse::<i64>()
                .ok()
                .map(time::Duration::seconds);
        }
    }
    found
}

#[async_trait]
impl MetadataFetcher for HttpMetadataFetcher {
    async fn fetch(&self, url: &str) -> Result<FetchedDocument, String> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|_| "the app's client_id is not a URL that can be fetched".to_string())?;
        // An address written as such is never resolved, so the resolver cannot check it.
        let host = uri.host().unwrap_or("").trim_matches(['[', ']']);
        if let Ok(ip) = host.parse::<IpAddr>()
            && !address_allowed(ip, self.allow_loopback)
        {
            return Err(PRIVATE.into());
        }
        match tokio::time::timeout(FETCH_TIMEOUT, self.get(uri)).await {
            Ok(answer) => answer,
            Err(_) => Err(format!(
                "the app's client metadata document did not arrive within {} seconds",
                FETCH_TIMEOUT.as_secs()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_fetched_from() {
        for private in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "127.0.0.1",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(
                !address_allowed(private.parse().unwrap(), false),
                "{private}"
            );
        }
        assert!(address_allowed("93.184.216.34".parse().unwrap(), false));
        assert!(address_allowed("2606:4700::1111".parse().unwrap(), false));
        assert!(address_allowed("127.0.0.1".parse().unwrap(), true));
        assert!(!address_allowed("10.0.0.1".parse().unwrap(), true));
    }

    #[test]
    fn cache_control_sets_the_freshness() {
        let mut h = hyper::HeaderMap::new();
        assert_eq!(max_age(&h), None);
        h.insert(
            hyper::header::CACHE_CONTROL,
            "public, max-age=600".parse().unwrap(),
        );
        assert_eq!(max_age(&h), Some(time::Duration::minutes(10)));
        h.insert(hyper::header::CACHE_CONTROL, "no-store".parse().unwrap());
        assert_eq!(max_age(&h), Some(time::Duration::ZERO));
    }
}
