//! The raw material of OAuth: random tokens (stored as their SHA-256, see `settings::secret`) and the PKCE check.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix of access tokens, so a leaked one is recognisable (like the `tgpt_` API keys).
pub const ACCESS_PREFIX: &str = "tgpt_at_";
/// Prefix of refresh tokens.
pub const REFRESH_PREFIX: &str = "tgpt_rt_";
/// Prefix of client secrets, generated or registered.
pub use crate::settings::config_file::CLIENT_SECRET_PREFIX;
/// Prefix of authorization codes.
pub const CODE_PREFIX: &str = "tgpt_code_";
/// Shortest and longest PKCE verifier RFC 7636 §4.1 allows.
const VERIFIER_LEN: std::ops::RangeInclusive<usize> = 43..=128;

pub use crate::settings::secret::{random_id, random_token};

/// True when `challenge` is a well-formed S256 challenge: base64url of 32 bytes.
pub fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// RFC 7636 §4.6: `BASE64URL(SHA256(verifier)) == challenge`, compared in constant time,
/// with the verifier's length and alphabet checked first.
pub fn pkce_matches(challenge: &str, verifier: &str) -> bool {
    let well_formed = VERIFIER_LEN.contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    well_formed && bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_follows_the_rfc_7636_example() {
        // RFC 7636, Appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(is_s256_challenge(challenge));
        assert!(pkce_matches(challenge, verifier));
        assert!(!pkce_matches(
            challenge,
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX"
        ));
        assert!(!pkce_matches(challenge, "short"));
    }

    #[test]
    fn tokens_are_random_prefixed_and_hash_stably() {
        let a = random_token(ACCESS_PREFIX);
        let b = random_token(ACCESS_PREFIX);
        assert_ne!(a, b);
        assert!(a.expose().starts_with(ACCESS_PREFIX));
        assert!(a.expose().len() >= ACCESS_PREFIX.len() + 43);
        let hash = crate::settings::secret::sha256_hex;
        assert_eq!(hash(a.expose()), hash(a.expose()));
        assert_ne!(hash(a.expose()), hash(b.expose()));
    }
}
