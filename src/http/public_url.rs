//! The server's public base URL, as clients outside see it: the tunnel's, `--public-url`, or
//! the local one. OAuth metadata (issuer, endpoints) and the `/mcp` challenge are built from
//! it at request time, because the tunnel may reopen with another URL while we serve.

use std::sync::Arc;

use super::live_text::LiveText;

/// A shared, replaceable base URL, without a trailing slash so
/// `format!("{base}/oauth/token")` is always right.
#[derive(Clone, Debug)]
pub struct PublicUrl(LiveText);

impl PublicUrl {
    /// Serves `url` until replaced.
    pub fn new(url: &str) -> Self {
        Self(LiveText::new(trimmed(url)))
    }

    /// Uses `url` from now on (the tunnel reopened elsewhere).
    pub fn set(&self, url: &str) {
        self.0.set(trimmed(url));
    }

    /// The current base URL, e.g. `https://abc.ngrok.app`.
    pub fn get(&self) -> Arc<str> {
        self.0.get()
    }

    /// `path` (starting with `/`) under the current base URL.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.get())
    }
}

fn trimmed(url: &str) -> &str {
    url.trim().trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_without_double_slashes_and_follows_changes() {
        let url = PublicUrl::new("https://a.example/");
        assert_eq!(url.join("/mcp"), "https://a.example/mcp");
        let clone = url.clone();
        url.set("https://b.example");
        assert_eq!(clone.join("/mcp"), "https://b.example/mcp");
    }
}
