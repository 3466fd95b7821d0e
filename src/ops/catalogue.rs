//! The catalogue index of each Tidsreg user: built in the background right after a sign-in
//! ([`super::catalogue_walk`] walks it), kept in the state store, and built again when it
//! is a day old ([`DEFAULT_REFRESH`]) or a lookup shows it no longer matches Tidsreg.
//!
//! A search while the index is being built does not start a walk of its own: it *boosts*
//! the lookups under the customers, projects and phases whose names match its words, so
//! the build fetches those first, and answers from what is indexed when it has enough or
//! its few seconds are up.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use super::Ops;
use super::catalogue_walk::Build;
use super::search_index::Index;
use crate::store::{CallerId, Child, SignedIn, catalogue_key};
use crate::tidsreg::{Lookup, LookupRequest};

/// How old an index may grow before a search builds it again (in the background).
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(24 * 60 * 60);

/// When the catalogue is indexed.
#[derive(Debug, Clone, Copy)]
pub struct IndexSettings {
    /// Build right after each sign-in (off: only when a search needs it).
    pub on_sign_in: bool,
    /// Age at which an index is built again.
    pub refresh: Duration,
}

impl Default for IndexSettings {
    fn default() -> Self {
        Self {
            on_sign_in: true,
            refresh: DEFAULT_REFRESH,
        }
    }
}

/// Every user's index, in memory: a cache of the state store's copy plus the build in
/// progress, if any.
#[derive(Debug, Default)]
pub(super) struct Catalogues {
    users: Mutex<HashMap<String, Arc<UserIndex>>>,
}

/// One user's index.
#[derive(Debug, Default)]
pub(super) struct UserIndex {
    key: String,
    ready: RwLock<Option<Arc<Index>>>,
    build: Mutex<Option<Arc<Build>>>,
    loaded: tokio::sync::OnceCell<()>,
    stale: AtomicBool,
}

impl UserIndex {
    /// The last complete index, if any.
    pub fn ready(&self) -> Option<Arc<Index>> {
        self.ready.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The build running now, if any.
    pub fn build(&self) -> Option<Arc<Build>> {
        self.build.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// True when a lookup showed the index no longer matches Tidsreg.
    pub fn is_stale(&self) -> bool {
        self.stale.load(Ordering::Relaxed)
    }
}

impl Ops {
    /// The index state of the user signed in as `signed_in`, loaded from the store the
    /// first time.
    pub(super) async fn user_index(&self, signed_in: &SignedIn) -> Arc<UserIndex> {
        let key = catalogue_key(self.tidsreg.base_url().as_str(), &signed_in.username);
        let user = {
            let mut users = self
                .catalogues
                .users
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            users
                .entry(key.clone())
                .or_insert_with(|| {
                    Arc::new(UserIndex {
                        key,
                        ..UserIndex::default()
                    })
                })
                .clone()
        };
        user.loaded
            .get_or_init(|| async {
                match self.store.catalogue(&user.key).await {
                    Ok(Some(catalogue)) => {
                        let index = Arc::new(Index::new(catalogue));
                        *user.ready.write().unwrap_or_else(|p| p.into_inner()) = Some(index);
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot read a stored catalogue index"),
                }
            })
            .await;
        user
    }

    /// True when `index` is older than the refresh age.
    pub(super) fn is_due(&self, index: &Index) -> bool {
        let age_ms = self
            .clock
            .unix_ms()
            .saturating_sub(index.catalogue.built_at_ms);
        u128::from(age_ms) >= self.index_settings.refresh.as_millis()
    }

    /// Right after a sign-in: builds the user's index in the background unless a fresh one
    /// is kept.
    pub(super) fn index_after_sign_in(&self, caller: &CallerId, signed_in: Arc<SignedIn>) {
        if !self.index_settings.on_sign_in {
            return;
        }
        let ops = self.clone();
        let caller = caller.clone();
        tokio::spawn(async move {
            let user = ops.user_index(&signed_in).await;
            let fresh = user.ready().is_some_and(|index| !ops.is_due(&index));
            if !fresh || user.is_stale() {
                ops.start_build(&caller, &signed_in, &user);
            }
        });
    }

    /// The build of `user`'s index: the one running, or a new one started now.
    pub(super) fn start_build(
        &self,
        caller: &CallerId,
        signed_in: &Arc<SignedIn>,
        user: &Arc<UserIndex>,
    ) -> Arc<Build> {
        let mut slot = user.build.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(build) = slot.as_ref() {
            return build.clone();
        }
        let build = Arc::new(Build::default());
        *slot = Some(build.clone());
        let (ops, caller, signed_in, user) = (
            self.clone(),
            caller.clone(),
            signed_in.clone(),
            user.clone(),
        );
        let running = build.clone();
        tracing::info!(%caller, "catalogue index build started");
        tokio::spawn(async move {
            ops.run_build(&caller, &signed_in, &user, &running).await;
        });
        build
    }

    /// Notes that Tidsreg refused a booking: the activity may have closed or moved since the
    /// index was built, so the index is stale and is built again in the background.
    pub(super) async fn booking_refused(&self, caller: &CallerId, signed_in: &Arc<SignedIn>) {
        let user = self.user_index(signed_in).await;
        if user.ready().is_some() && user.build().is_none() {
            tracing::info!("a booking was refused: building the catalogue index again");
            user.stale.store(true, Ordering::Relaxed);
            self.start_build(caller, signed_in, &user);
        }
    }

    /// Notes a lookup's answer: when it disagrees with the user's index (for today), the
    /// index is stale and is built again in the background.
    pub(super) async fn compare_with_index(
        &self,
        caller: &CallerId,
        signed_in: &Arc<SignedIn>,
        request: &LookupRequest<'_>,
        answer: &[Lookup],
    ) {
        let today = super::params::today();
        let user = self.user_index(signed_in).await;
        let Some(index) = user.ready() else { return };
        let indexed = match *request {
            LookupRequest::Customers { date } if date == today => {
                Some(index.catalogue.customers.iter().map(|c| c.id).collect())
            }
            LookupRequest::Projects { customer_id, date } if date == today => {
                let at = index
                    .catalogue
                    .customers
                    .iter()
                    .position(|c| c.id == customer_id);
                at.map(|at| children_of(&index.catalogue.projects, at))
            }
            LookupRequest::Phases { project_id, date } if date == today => {
                let at = index
                    .catalogue
                    .projects
                    .iter()
                    .position(|p| p.id == project_id);
                at.map(|at| children_of(&index.catalogue.phases, at))
            }
            LookupRequest::Activities { phase_id, date } if date == today => {
                let at = index.catalogue.phases.iter().position(|p| p.id == phase_id);
                at.map(|at| children_of(&index.catalogue.activities, at))
            }
            _ => return,
        };
        let answered: Vec<u64> = answer.iter().map(|l| l.id).collect();
        // A parent the index does not know is as stale as children that differ.
        if indexed.as_ref() != Some(&answered) && user.build().is_none() {
            tracing::info!(%request, "a lookup differs from the catalogue index: building it again");
            user.stale.store(true, Ordering::Relaxed);
            self.start_build(caller, signed_in, &user);
        }
    }

    /// Walks the catalogue, then keeps it (in memory and in the store) as the user's index.
    async fn run_build(
        &self,
        caller: &CallerId,
        signed_in: &SignedIn,
        user: &UserIndex,
        build: &Build,
    ) {
        let walked = self.walk(signed_in, build).await;
        if let Err(e) = self.sessions.save_if_changed(caller, signed_in).await {
            tracing::warn!(error = %e, "cannot keep the session's new cookies after indexing");
        }
        let ended = match walked {
            Ok(()) => {
                let mut catalogue = build.snapshot();
                catalogue.built_at_ms = self.clock.unix_ms();
                if let Err(e) = self.store.keep_catalogue(&user.key, &catalogue).await {
                    tracing::warn!(error = %e, "cannot keep the catalogue index; it lives in memory until a restart");
                }
                let paths = catalogue.activities.len();
                let index = Arc::new(Index::new(catalogue));
                *user.ready.write().unwrap_or_else(|p| p.into_inner()) = Some(index);
                user.stale.store(false, Ordering::Relaxed);
                tracing::info!(activities = paths, "catalogue index built");
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "catalogue index build failed");
                let message = e.to_string();
                build.fail(e);
                Err(message)
            }
        };
        *user.build.lock().unwrap_or_else(|p| p.into_inner()) = None;
        build.end(ended);
    }
}

/// The ids of the entries under the entry at `parent`.
fn children_of(level: &[Child], parent: usize) -> Vec<u64> {
    level
        .iter()
        .filter(|c| c.parent as usize == parent)
        .map(|c| c.id)
        .collect()
}
