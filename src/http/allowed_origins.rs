//! DNS-rebinding protection for `/mcp` (a MUST of the MCP 2025-11-25 transport): a web page
//! on another site can point its own host name at this machine and have the browser call
//! us. Such a request carries that site's `Host` and `Origin`, so both are checked against
//! the names this server goes by: its public URL (which follows the tunnel), its local URL
//! and that URL's loopback aliases, and any origin the owner allowed (`--allow-origin`). A
//! request with no `Origin` (every server-side client: ChatGPT, Claude, SDKs) passes the
//! `Origin` check.

use axum::http::{HeaderMap, header};
use url::Url;

/// The names this server goes by, apart from the live public URL (passed to each check).
#[derive(Debug, Clone, Default)]
pub struct AllowedOrigins {
    /// Origins, like `http://127.0.0.1:8080`, lower-case, without a trailing slash.
    origins: Vec<String>,
}

impl AllowedOrigins {
    /// The local URL `http://host:port` (with `localhost`, `127.0.0.1` and `[::1]` at the
    /// same port, the names a local client may use) and the `extra` origins.
    pub fn new(local_url: &str, extra: &[String]) -> Self {
        let mut origins: Vec<String> = extra.iter().filter_map(|o| origin_of(o)).collect();
        if let Ok(local) = Url::parse(local_url) {
            origins.extend(origin_of(local_url));
            if let Some(port) = local.port_or_known_default() {
                for alias in ["localhost", "127.0.0.1", "[::1]"] {
                    origins.push(format!("{}://{alias}:{port}", local.scheme()));
                }
            }
        }
        Self { origins }
    }

    /// Why the request must be refused, if it must: a `Host` or an `Origin` this server does
    /// not go by.
    pub fn refusal(&self, headers: &HeaderMap, public_url: &str) -> Option<String> {
        let public = origin_of(public_url);
        let known = || self.origins.iter().chain(public.iter());
        if let Some(host) = headers.get(header::HOST) {
            let host = host.to_str().unwrap_or_default().to_ascii_lowercase();
            if !known().any(|origin| same_host(origin, &host)) {
                return Some(format!(
                    "the Host `{host}` is not a name of this server; call it at {public_url}/mcp (or start it with --allow-origin for another name)"
                ));
            }
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or_default();
            let allowed = origin_of(origin).is_some_and(|o| known().any(|k| *k == o));
            if !allowed {
                return Some(format!(
                    "requests from web pages at `{origin}` are refused (DNS-rebinding protection); start the server with --allow-origin {origin} to allow that site"
                ));
            }
        }
        None
    }
}

/// `scheme://host[:port]` of a URL, lower-case, the port only when it is not the scheme's
/// default (as browsers write `Origin`).
fn origin_of(url: &str) -> Option<String> {
    let url = Url::parse(url.trim()).ok()?;
    match url.origin() {
        origin @ url::Origin::Tuple(..) => Some(origin.ascii_serialization().to_ascii_lowercase()),
        url::Origin::Opaque(_) => None,
    }
}

/// Whether `Host` (`name[:port]`) names the host of `origin`: the port, when `Host` leaves
/// it out, is the scheme's default.
fn same_host(origin: &str, host: &str) -> bool {
    let Ok(url) = Url::parse(origin) else {
        return false;
    };
    let Some(name) = url.host_str() else {
        return false;
    };
    let port = url.port_or_known_default();
    let (host_name, host_port) = match host.rsplit_once(':') {
        Some((name, port)) if !name.is_empty() && !port.contains(']') => {
            (name, port.parse::<u16>().ok())
        }
        _ => (host, None),
    };
    let default = match url.scheme() {
        "https" => Some(443),
        _ => Some(80),
    };
    host_name == name && host_port.or(default) == port
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn the_servers_own_names_pass_and_others_are_refused() {
        let allowed = AllowedOrigins::new(
            "http://127.0.0.1:8080",
            &["http://localhost:6274".to_string()],
        );
        let public = "https://abc.ngrok.app";
        for ok in [
            vec![],
            vec![("host", "127.0.0.1:8080")],
            vec![("host", "localhost:8080")],
            vec![("host", "[::1]:8080")],
            vec![("host", "abc.ngrok.app")],
            vec![("host", "ABC.ngrok.app:443")],
            vec![
                ("host", "abc.ngrok.app"),
                ("origin", "https://abc.ngrok.app"),
            ],
            vec![
                ("host", "127.0.0.1:8080"),
                ("origin", "http://localhost:6274"),
            ],
            vec![
                ("host", "127.0.0.1:8080"),
                ("origin", "http://127.0.0.1:8080"),
            ],
        ] {
            assert_eq!(allowed.refusal(&headers(&ok), public), None, "{ok:?}");
        }
        for refused in [
            vec![("host", "evil.example.com")],
            vec![("host", "127.0.0.1:9999")],
            vec![("host", "abc.ngrok.app:8443")],
            vec![
                ("host", "127.0.0.1:8080"),
                ("origin", "https://evil.example"),
            ],
            vec![("host", "127.0.0.1:8080"), ("origin", "null")],
            vec![
                ("host", "abc.ngrok.app"),
                ("origin", "http://abc.ngrok.app"),
            ],
        ] {
            assert!(
                allowed.refusal(&headers(&refused), public).is_some(),
                "{refused:?}"
            );
        }
    }
}
