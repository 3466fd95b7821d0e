//! Text the server serves that can change while it runs: the rendered schema and the public
//! URL both follow the tunnel when it reopens elsewhere.

use std::sync::{Arc, RwLock};

/// A shared, replaceable text. Clones share it: a `set` is seen by every holder at once.
#[derive(Clone, Debug, Default)]
pub struct LiveText(Arc<RwLock<Arc<str>>>);

impl LiveText {
    /// Holds `text` until replaced.
    pub fn new(text: &str) -> Self {
        Self(Arc::new(RwLock::new(text.into())))
    }

    /// Holds `text` from now on.
    pub fn set(&self, text: &str) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = text.into();
    }

    /// The current text.
    pub fn get(&self) -> Arc<str> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The Action schema being served at `/openapi.yaml`.
pub type LiveSchema = LiveText;
