//! Who is calling: the identity authentication established, the key of every per-caller
//! record (sessions, grants, rate limits).

use std::fmt;
use std::sync::Arc;

/// A caller's identity as authentication established it. It names the caller in logs; it
/// is never the secret itself. Every request clones it a few times, so a clone is a
/// reference count, not a string copy.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallerId(Arc<str>);

impl CallerId {
    /// The identity of an API key, by its id in the config file.
    pub fn api_key(id: &str) -> Self {
        Self(format!("key:{id}").into())
    }

    /// The identity of an OAuth grant: one person's sign-in through one client. Every token
    /// of the grant maps here, and nothing else does.
    pub fn oauth(grant_id: &str) -> Self {
        Self(format!("{OAUTH_PREFIX}{grant_id}").into())
    }

    /// The identity as written in logs.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for an OAuth grant: that caller signed in to Tidsreg on our sign-in page, so it
    /// is never offered (or told to call) `login`.
    pub fn is_oauth(&self) -> bool {
        self.0.starts_with(OAUTH_PREFIX)
    }
}

/// Prefix of OAuth identities; API key ids cannot produce it (theirs is `key:`).
const OAUTH_PREFIX: &str = "oauth:";

impl fmt::Display for CallerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
