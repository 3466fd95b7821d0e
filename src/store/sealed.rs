//! Sealing what the store must not hold in clear (each caller's Tidsreg cookies): the
//! ChaCha20-Poly1305 AEAD of RustCrypto, with a random nonce per record and the record's
//! key as associated data, so a sealed value cannot be moved to another caller. The key
//! lives outside the store: in `state.key` beside the config file, or in
//! `TIDSREG_GPT_STATE_KEY` so replicas share it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

use super::StoreError;
use crate::settings::Secret;

/// Bytes of the key.
pub const KEY_BYTES: usize = 32;
/// Bytes of each record's nonce.
const NONCE_BYTES: usize = 12;

/// Seals and opens records with one key.
#[derive(Clone)]
pub struct Sealer(ChaCha20Poly1305);

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(key redacted)")
    }
}

impl Sealer {
    /// A sealer with the key written as base64url (43 characters, no padding), as
    /// [`new_key`] makes it; `None` when it is not 32 bytes of base64url.
    pub fn from_text(key: &Secret) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(key.expose().trim()).ok()?;
        let bytes: [u8; KEY_BYTES] = bytes.try_into().ok()?;
        Some(Self(ChaCha20Poly1305::new(&Key::from(bytes))))
    }

    /// `plain` sealed for `context` (the record's key), as text.
    pub fn seal(&self, plain: &[u8], context: &str) -> String {
        let nonce_bytes: [u8; NONCE_BYTES] = rand::random();
        let nonce = Nonce::from(nonce_bytes);
        let payload = Payload {
            msg: plain,
            aad: context.as_bytes(),
        };
        let sealed = self
            .0
            .encrypt(&nonce, payload)
            .expect("ChaCha20-Poly1305 encrypts any message of a cookie jar's size");
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// The plain bytes of `sealed`, when it was sealed with this key for `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, StoreError> {
        let refused = || {
            StoreError::Corrupt(
                "a sealed record does not open with this state key (was TIDSREG_GPT_STATE_KEY or state.key changed?)"
                    .into(),
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| refused())?;
        if bytes.len() < NONCE_BYTES {
            return Err(refused());
        }
        let (nonce, message) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| refused())?;
        let payload = Payload {
            msg: message,
            aad: context.as_bytes(),
        };
        self.0
            .decrypt(&Nonce::from(nonce), payload)
            .map_err(|_| refused())
    }
}

/// A fresh random key, as base64url text.
pub fn new_key() -> Secret {
    let bytes: [u8; KEY_BYTES] = rand::random();
    Secret::new(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_records_open_only_with_their_key_and_context() {
        let sealer = Sealer::from_text(&new_key()).unwrap();
        let sealed = sealer.seal(b"AuthTicket=secret", "key:a");
        assert!(!sealed.contains("secret"));
        assert_eq!(sealer.open(&sealed, "key:a").unwrap(), b"AuthTicket=secret");
        assert!(
            sealer.open(&sealed, "key:b").is_err(),
            "bound to its caller"
        );
        let other = Sealer::from_text(&new_key()).unwrap();
        assert!(other.open(&sealed, "key:a").is_err(), "bound to its key");
        assert!(Sealer::from_text(&Secret::new("too-short")).is_none());
    }
}
