//! Client ID Metadata Documents (CIMD; draft-ietf-oauth-client-id-metadata-document, the
//! registration MCP 2025-11-25 prefers): a client whose `client_id` is an https URL
//! publishes its metadata at that URL, so it needs no registration here. Claude uses
//! `https://claude.ai/oauth/mcp-oauth-client-metadata`.
//!
//! Fetching a URL a stranger names is a way into the network behind us, so the fetch is
//! narrow: https only, to a host whose every address is public (the connection is pinned to
//! the address that was checked, and redirects are not followed), within a time-out and a
//! size cap. A document is kept as long as its `Cache-Control: max-age` says (at most a
//! day; five minutes without one).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;
use url::Url;

/// Longest wait for a document.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest document read; real ones are a few hundred bytes.
const MAX_DOCUMENT_BYTES: usize = 16 * 1024;
/// How long a document without `max-age` is kept.
const DEFAULT_KEEP: Duration = Duration::from_secs(5 * 60);
/// Longest a document is kept, whatever it says.
const MAX_KEEP: Duration = Duration::from_secs(24 * 60 * 60);
/// Most documents kept at once; past it the cache starts over.
const MAX_KEPT: usize = 1_000;

/// What a client's metadata document says, as far as we use it.
#[derive(Debug, Clone, Deserialize)]
pub struct ClientDocument {
    pub client_id: String,
    pub client_name: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: Option<String>,
}

/// Fetches and keeps client metadata documents.
#[derive(Debug, Default)]
pub struct ClientDocuments {
    kept: Mutex<HashMap<String, (ClientDocument, Instant)>>,
    /// Tests serve documents from loopback over plain http; `serve` never allows it.
    allow_loopback: bool,
}

/// Whether a `client_id` is a metadata document URL rather than a registered id.
pub fn is_document_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

impl ClientDocuments {
    /// Documents from public https hosts only; `allow_loopback` (tests) also takes
    /// `http://127.0.0.1…`.
    pub fn new(allow_loopback: bool) -> Self {
        Self {
            kept: Mutex::default(),
            allow_loopback,
        }
    }

    /// The document at `url`, fetched or kept; why it cannot be used, in words for the
    /// person or the client developer.
    pub async fn get(&self, url: &str) -> Result<ClientDocument, String> {
        if let Some(document) = self.kept(url) {
            return Ok(document);
        }
        let (document, keep) = self.fetch(url).await?;
        if document.client_id != url {
            return Err(format!(
                "the document's client_id `{}` is not its own URL",
                document.client_id
            ));
        }
        if !keep.is_zero() {
            let mut kept = self.kept.lock().expect("document cache lock");
            if kept.len() >= MAX_KEPT {
                kept.clear();
            }
            kept.insert(url.to_string(), (document.clone(), Instant::now() + keep));
        }
        Ok(document)
    }

    fn kept(&self, url: &str) -> Option<ClientDocument> {
        let kept = self.kept.lock().expect("document cache lock");
        kept.get(url)
            .filter(|(_, until)| *until > Instant::now())
            .map(|(document, _)| document.clone())
    }

    async fn fetch(&self, raw: &str) -> Result<(ClientDocument, Duration), String> {
        let url = self.check_url(raw)?;
        let host = url.host_str().ok_or("the client_id URL has no host")?;
        let port = url.port_or_known_default().unwrap_or(443);
        let address = self.public_address(host, port).await?;
        let http = reqwest::Client::builder()
            .resolve(host, address)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(FETCH_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot fetch it ({e})"))?;
        let mut response = http
            .get(url.as_str())
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| format!("it could not be fetched ({e})"))?;
        if !response.status().is_success() {
            return Err(format!("fetching it answered HTTP {}", response.status()));
        }
        let keep = keep_for(response.headers());
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("reading it failed ({e})"))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_DOCUMENT_BYTES {
                return Err(format!(
                    "it is larger than {} KiB",
                    MAX_DOCUMENT_BYTES / 1024
                ));
            }
        }
        let document = serde_json::from_slice(&body)
            .map_err(|e| format!("it is not a client metadata document ({e})"))?;
        Ok((document, keep))
    }

    /// The URL rules of the CIMD draft: https, a path, no fragment, no credentials, no
    /// dot segments.
    fn check_url(&self, raw: &str) -> Result<Url, String> {
        let url = Url::parse(raw).map_err(|_| "the client_id is not a URL".to_string())?;
        let loopback_http = self.allow_loopback
            && url.scheme() == "http"
            && url
                .host_str()
                .is_some_and(|h| h == "127.0.0.1" || h == "localhost");
        if url.scheme() != "https" && !loopback_http {
            return Err("a client_id URL must use https".into());
        }
        let dotted = raw.contains("/./") || raw.contains("/../");
        if url.path().len() < 2
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
            || dotted
        {
            return Err(
                "a client_id URL needs a path and no fragment, credentials or dot segments".into(),
            );
        }
        Ok(url)
    }

    /// An address of `host` to connect to, when every address it has is public (or
    /// loopback, in tests).
    async fn public_address(&self, host: &str, port: u16) -> Result<SocketAddr, String> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| format!("its host does not resolve ({e})"))?
            .collect();
        let allowed = |ip: IpAddr| is_public(ip) || (self.allow_loopback && ip.is_loopback());
        match addresses.first() {
            Some(first) if addresses.iter().all(|a| allowed(a.ip())) => Ok(*first),
            Some(_) => Err("its host has a private or local address".into()),
            None => Err("its host has no address".into()),
        }
    }
}

/// How long `Cache-Control` lets a document be kept.
fn keep_for(headers: &reqwest::header::HeaderMap) -> Duration {
    let directives: Vec<String> = headers
        .get_all(reqwest::header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    if directives
        .iter()
        .any(|d| d == "no-store" || d == "no-cache")
    {
        return Duration::ZERO;
    }
    directives
        .iter()
        .find_map(|d| d.strip_prefix("max-age=")?.parse::<u64>().ok())
        .map_or(DEFAULT_KEEP, |secs| Duration::from_secs(secs).min(MAX_KEEP))
}

/// Whether `ip` is on the public internet: not loopback, private, link-local, shared
/// (carrier NAT), documentation, multicast or unspecified.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_fetched_from() {
        for public in ["93.184.216.34", "2606:4700::1111", "1.1.1.1"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
    }

    #[test]
    fn client_id_urls_follow_the_draft() {
        let documents = ClientDocuments::new(false);
        assert!(
            documents
                .check_url("https://claude.ai/oauth/mcp-oauth-client-metadata")
                .is_ok()
        );
        for bad in [
            "http://claude.ai/meta",
            "https://claude.ai",
            "https://claude.ai/",
            "https://claude.ai/a#x",
            "https://u:p@claude.ai/a",
            "https://claude.ai/a/../b",
            "http://127.0.0.1:9/meta",
        ] {
            assert!(documents.check_url(bad).is_err(), "{bad}");
        }
        assert!(
            ClientDocuments::new(true)
                .check_url("http://127.0.0.1:9/meta")
                .is_ok()
        );
    }

    #[test]
    fn cache_control_sets_how_long_a_document_is_kept() {
        let headers = |value: &str| {
            let mut map = reqwest::header::HeaderMap::new();
            map.insert(reqwest::header::CACHE_CONTROL, value.parse().unwrap());
            map
        };
        assert_eq!(keep_for(&reqwest::header::HeaderMap::new()), DEFAULT_KEEP);
        assert_eq!(
            keep_for(&headers("public, max-age=60")),
            Duration::from_secs(60)
        );
        assert_eq!(keep_for(&headers("max-age=99999999")), MAX_KEEP);
        assert_eq!(keep_for(&headers("no-store")), Duration::ZERO);
    }
}
