//! Who is calling: the bearer API keys from the config (or `TIDSREG_GPT_API_KEY`).

use crate::config_file::ApiKey;
use crate::sessions::CallerId;

/// The keys this server accepts. Each one is a separate caller with its own Tidsreg session.
#[derive(Debug, Clone)]
pub struct ApiKeys {
    keys: Vec<ApiKey>,
}

impl ApiKeys {
    /// Accepts exactly these keys; empty keys are dropped so an empty env var cannot
    /// become a key that matches an empty bearer.
    pub fn new(keys: Vec<ApiKey>) -> Self {
        let keys = keys.into_iter().filter(|k| !k.key.is_empty()).collect();
        Self { keys }
    }

    /// The caller a presented key belongs to. Every stored key is compared, in constant
    /// time, with no early exit, so timing reveals neither which key nor how much matched.
    pub fn identify(&self, presented: &str) -> Option<CallerId> {
        let mut found = None;
        for key in &self.keys {
            if key.key.matches(presented) && found.is_none() {
                found = Some(CallerId::api_key(&key.id));
            }
        }
        found
    }

    /// The keys, for the start-up screen.
    pub fn keys(&self) -> &[ApiKey] {
        &self.keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn key(id: &str, key: &str) -> ApiKey {
        ApiKey {
            id: id.into(),
            key: Secret::new(key),
        }
    }

    #[test]
    fn each_key_is_its_own_caller() {
        let keys = ApiKeys::new(vec![key("a", "k1"), key("b", "k2"), key("empty", "")]);
        assert_eq!(keys.identify("k1"), Some(CallerId::api_key("a")));
        assert_eq!(keys.identify("k2"), Some(CallerId::api_key("b")));
        assert_eq!(keys.identify(""), None);
        assert_eq!(keys.identify("k3"), None);
    }
}
