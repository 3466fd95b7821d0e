//! Who is calling: the bearer API keys from the config (or `TIDSREG_GPT_API_KEY`).

use std::path::PathBuf;
use std::sync::{Mutex, RwLock};
use std::time::SystemTime;

use crate::settings::config_file::{ApiKey, FileConfig};
use crate::store::CallerId;

/// The keys this server accepts. Each one is a separate caller with its own Tidsreg session.
/// When they come from the config file, a change to the file (`tidsreg-gpt key rotate`)
/// takes effect on the next request: a rotated key stops working at once.
#[derive(Debug)]
pub struct ApiKeys {
    keys: RwLock<Vec<Known>>,
    file: Option<Watched>,
}

/// A key, and the identity it stands for (built once, not per request).
#[derive(Debug)]
struct Known {
    key: ApiKey,
    caller: CallerId,
}

#[derive(Debug)]
struct Watched {
    path: PathBuf,
    modified: Mutex<Option<SystemTime>>,
}

impl ApiKeys {
    /// Accepts exactly these keys; empty keys are dropped so an empty env var cannot
    /// become a key that matches an empty bearer.
    pub fn new(keys: Vec<ApiKey>) -> Self {
        Self {
            keys: RwLock::new(non_empty(keys)),
            file: None,
        }
    }

    /// Accepts the keys of the config file at `path`, re-reading it when it changes.
    pub fn watching(keys: Vec<ApiKey>, path: PathBuf) -> Self {
        let modified = modified(&path);
        Self {
            keys: RwLock::new(non_empty(keys)),
            file: Some(Watched {
                path,
                modified: Mutex::new(modified),
            }),
        }
    }

    /// The caller a presented key belongs to. Every stored key is compared, in constant
    /// time, with no early exit, so timing reveals neither which key nor how much matched.
    pub fn identify(&self, presented: &str) -> Option<CallerId> {
        self.reload_if_changed();
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        let mut found = None;
        for known in keys.iter() {
            if known.key.key.matches(presented) && found.is_none() {
                found = Some(known.caller.clone());
            }
        }
        found
    }

    /// The keys, for the start-up screen.
    pub fn keys(&self) -> Vec<ApiKey> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        keys.iter().map(|known| known.key.clone()).collect()
    }

    /// One `stat` per request: cheap next to a request, and it makes rotation immediate.
    /// A file that cannot be read keeps the keys already loaded, so a half-written file
    /// never locks everyone out.
    fn reload_if_changed(&self) {
        let Some(file) = &self.file else {
            return;
        };
        let now = modified(&file.path);
        let mut seen = file.modified.lock().unwrap_or_else(|p| p.into_inner());
        if now == *seen {
            return;
        }
        match FileConfig::load(&file.path) {
            Ok(config) if !config.api_keys.is_empty() => {
                *self.keys.write().unwrap_or_else(|p| p.into_inner()) = non_empty(config.api_keys);
                *seen = now;
                tracing::info!(path = %file.path.display(), "reloaded the API keys");
            }
            Ok(_) => tracing::warn!("the config file has no API keys now; keeping the old ones"),
            Err(e) => tracing::warn!("cannot reload the API keys: {e:#}"),
        }
    }
}

fn non_empty(keys: Vec<ApiKey>) -> Vec<Known> {
    keys.into_iter()
        .filter(|k| !k.key.is_empty())
        .map(|key| Known {
            caller: CallerId::api_key(&key.id),
            key,
        })
        .collect()
}

fn modified(path: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::secret::Secret;

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
