//! A string that never shows itself in logs, and the one way this program makes random
//! tokens (API keys, OAuth client secrets, codes, access and refresh tokens, ids).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;

/// Random bytes in every generated key, token, code and id (256 bits): far beyond guessing,
/// and the OAuth 2.1 advice of at least 128.
pub const TOKEN_BYTES: usize = 32;

/// A fresh random identifier, URL-safe base64 of [`TOKEN_BYTES`] random bytes: not secret by
/// itself (grant ids, pending sign-in ids), but unguessable.
pub fn random_id() -> String {
    let bytes: [u8; TOKEN_BYTES] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of `text`, in hex: how tokens, client secrets and booking keys are stored,
/// so a copy of the store holds nothing that works as a credential. Tokens are 256 random
/// bits, so a plain fast hash is enough (no salt, no slow hash as for passwords).
pub fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A fresh random secret with `prefix`, so secret scanners and people recognise a leaked one
/// (`tgpt_` API keys, `tgpt_at_` access tokens…).
pub fn random_token(prefix: &str) -> Secret {
    Secret::new(format!("{prefix}{}", random_id()))
}

/// Passwords, cookies, API keys and tokens live in this newtype so that printing a whole
/// config or request with `{:?}` or `{}` cannot leak them: both print `(redacted)`.
/// The only way out is [`Secret::expose`], which makes every use greppable.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value that must not be printed.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that must send or compare it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares in constant time, so response timing does not reveal how many leading
    /// characters of a guessed key were right.
    pub fn matches(&self, candidate: &str) -> bool {
        self.0.as_bytes().ct_eq(candidate.as_bytes()).into()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// Serialised as the plain value: only the config file (mode 0600) ever stores a secret.
impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "(redacted)");
        assert_eq!(format!("{s}"), "(redacted)");
        assert!(!format!("{:?}", Some(&s)).contains("hunter2"));
    }

    #[test]
    fn matches_only_the_exact_value() {
        let s = Secret::new("abc");
        assert!(s.matches("abc"));
        assert!(!s.matches("abd"));
        assert!(!s.matches("ab"));
        assert!(!s.matches("abcd"));
    }
}
