//! The catalogue index of each Tidsreg user: built in the background right after a sign-in
//! by walking customers → projects → phases → activities with at most [`MAX_IN_FLIGHT`]
//! lookups at a time, kept in the state store, and built again when it is a day old
//! ([`DEFAULT_REFRESH`]) or a lookup shows it no longer matches Tidsreg.
//!
//! A search while the index is being built does not start a walk of its own: it *boosts*
//! the lookups under the customers, projects and phases whose names match its words, so
//! the build fetches those first, and answers from what is indexed when it has enough or
//! its few seconds are up.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::{Notify, watch};

use super::Ops;
use super::search_index::Index;
use super::text_match::{Name, Query};
use crate::store::{CallerId, Catalogue, Child, SignedIn, catalogue_key};
use crate::tidsreg::{Lookup, LookupRequest, UpstreamError};

/// Lookups one build keeps in flight: 8 × 100 ms lookups walk 300 customers in about half
/// a minute, and Tidsreg sees no more than a few people clicking at once.
pub const MAX_IN_FLIGHT: usize = 8;
/// How old an index may grow before a search builds it again (in the background).
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(24 * 60 * 60);
/// Times one lookup is tried before the build gives up (a blip is not a failure).
const TRIES: u32 = 3;

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

/// How far a build is: what a search tells the person, and what MCP progress reports.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub lookups_done: usize,
    /// Lookups known so far (done, in flight or waiting); grows as the walk goes down.
    pub lookups_known: usize,
    /// Customers whose whole tree is indexed.
    pub customers_done: usize,
    /// Customers in all, once the first lookup answered.
    pub customers_total: Option<usize>,
    /// Lookups under names the latest search boosted, not yet done.
    pub boosted_open: usize,
    /// Lookups the latest search boosted in all: none when its words name no customer,
    /// project or phase found so far.
    pub boosted_ever: usize,
    /// The latest search boost the build has applied.
    pub boost_applied: u64,
    /// Set when the build has ended: `Ok` indexed, `Err` why not.
    pub ended: Option<Result<(), String>>,
}

/// A build in progress: the part-built catalogue, its progress, and the searches' boost.
#[derive(Debug)]
pub struct Build {
    catalogue: Mutex<Catalogue>,
    progress: watch::Sender<Progress>,
    boost: Mutex<(u64, Option<Arc<Query>>)>,
    boosted: Notify,
    /// Why the build failed, as the upstream said it (a search passes it on).
    failure: Mutex<Option<UpstreamError>>,
}

impl Build {
    fn new() -> Self {
        Self {
            catalogue: Mutex::default(),
            progress: watch::Sender::new(Progress::default()),
            boost: Mutex::default(),
            boosted: Notify::new(),
            failure: Mutex::default(),
        }
    }

    /// A copy of what is indexed so far.
    pub fn snapshot(&self) -> Catalogue {
        self.catalogue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Progress now, and every change to come.
    pub fn subscribe(&self) -> watch::Receiver<Progress> {
        self.progress.subscribe()
    }

    /// Asks the build to fetch what lies under names matching `query` first; answers the
    /// boost's number, which [`Progress::boost_applied`] reaches once it is in effect.
    pub fn boost(&self, query: Query) -> u64 {
        let mut boost = self.boost.lock().unwrap_or_else(|p| p.into_inner());
        boost.0 += 1;
        boost.1 = Some(Arc::new(query));
        self.boosted.notify_one();
        boost.0
    }

    /// The upstream error that ended the build, if it failed.
    pub fn failure(&self) -> Option<UpstreamError> {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn current_boost(&self) -> (u64, Option<Arc<Query>>) {
        self.boost.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The level a lookup fetches, deepest last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Customers,
    Projects,
    Phases,
    Activities,
}

/// One lookup still to do: the children of the entry at `parent` of the level above.
#[derive(Debug, Clone, Copy)]
struct Pending {
    level: Level,
    parent: usize,
    customer: usize,
    seq: u64,
    boost: usize,
    tries: u32,
}

impl Pending {
    /// Boosted first, then the deepest (so customers are finished one by one and a
    /// part-built index already holds whole paths), then in the order found.
    fn priority(&self) -> (usize, Level, std::cmp::Reverse<u64>) {
        (self.boost, self.level, std::cmp::Reverse(self.seq))
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
        let build = Arc::new(Build::new());
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
                *build.failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                Err(message)
            }
        };
        *user.build.lock().unwrap_or_else(|p| p.into_inner()) = None;
        build.progress.send_modify(|p| p.ended = Some(ended));
    }

    /// The walk itself: one scheduler, [`MAX_IN_FLIGHT`] lookups at a time, each answer
    /// adding its entries and the lookups under them.
    async fn walk(&self, signed_in: &SignedIn, build: &Build) -> Result<(), UpstreamError> {
        let date = super::params::today();
        let mut queue = vec![Pending {
            level: Level::Customers,
            parent: 0,
            customer: 0,
            seq: 0,
            boost: 0,
            tries: 0,
        }];
        let mut seq = 1;
        let mut open: Vec<usize> = Vec::new();
        let mut progress = Progress {
            lookups_known: 1,
            ..Progress::default()
        };
        let mut boost_seen = 0;
        let mut boosted_in_flight = 0;
        let mut in_flight = FuturesUnordered::new();
        loop {
            let (generation, query) = build.current_boost();
            if generation != boost_seen {
                boost_seen = generation;
                let catalogue = build.catalogue.lock().unwrap_or_else(|p| p.into_inner());
                for pending in &mut queue {
                    pending.boost = boost_of(pending, &catalogue, query.as_deref());
                }
                progress.boosted_ever = queue.iter().filter(|p| p.boost > 0).count();
                progress.boost_applied = generation;
            }
            while in_flight.len() < MAX_IN_FLIGHT {
                let Some(next) = (0..queue.len()).max_by_key(|&i| queue[i].priority()) else {
                    break;
                };
                let pending = queue.swap_remove(next);
                boosted_in_flight += usize::from(pending.boost > 0);
                let request = {
                    let catalogue = build.catalogue.lock().unwrap_or_else(|p| p.into_inner());
                    request_for(&pending, &catalogue, date)
                };
                // Past the session's lookup cache: a walk asks each lookup once anyway, and
                // a person's own lookups after a sign-in still go to Tidsreg, as before.
                in_flight.push(async move {
                    let answer = self.tidsreg.lookup(&signed_in.upstream, &request).await;
                    (pending, answer)
                });
            }
            progress.boosted_open =
                boosted_in_flight + queue.iter().filter(|p| p.boost > 0).count();
            build.progress.send_replace(progress.clone());
            if in_flight.is_empty() {
                return Ok(());
            }
            let done = tokio::select! {
                done = in_flight.next() => done,
                () = build.boosted.notified() => None,
            };
            let Some((pending, answer)) = done else {
                continue;
            };
            boosted_in_flight -= usize::from(pending.boost > 0);
            let children = match answer {
                Ok(children) => children,
                Err(UpstreamError::SessionExpired) => return Err(UpstreamError::SessionExpired),
                Err(e) if pending.tries + 1 >= TRIES => return Err(e),
                Err(e) => {
                    tracing::debug!(error = %e, "a catalogue lookup failed; trying it again");
                    queue.push(Pending {
                        tries: pending.tries + 1,
                        ..pending
                    });
                    continue;
                }
            };
            progress.lookups_done += 1;
            let mut catalogue = build.catalogue.lock().unwrap_or_else(|p| p.into_inner());
            let added = add_children(&mut catalogue, &pending, &children);
            if pending.level == Level::Customers {
                open = vec![0; children.len()];
                progress.customers_total = Some(children.len());
            }
            for at in added {
                let customer = if pending.level == Level::Customers {
                    at
                } else {
                    pending.customer
                };
                let mut child = Pending {
                    level: deeper(pending.level),
                    parent: at,
                    customer,
                    seq,
                    boost: 0,
                    tries: 0,
                };
                child.boost = boost_of(&child, &catalogue, query.as_deref());
                progress.boosted_ever += usize::from(child.boost > 0);
                seq += 1;
                open[customer] += 1;
                progress.lookups_known += 1;
                queue.push(child);
            }
            if pending.level != Level::Customers {
                open[pending.customer] -= 1;
                if open[pending.customer] == 0 {
                    progress.customers_done += 1;
                }
            } else {
                // Customers without projects (none in practice) are done at once.
                progress.customers_done += open.iter().filter(|&&n| n == 0).count();
            }
        }
    }
}

/// The level under `level`.
fn deeper(level: Level) -> Level {
    match level {
        Level::Customers => Level::Projects,
        Level::Projects => Level::Phases,
        Level::Phases | Level::Activities => Level::Activities,
    }
}

/// The upstream lookup of `pending`.
fn request_for(
    pending: &Pending,
    catalogue: &Catalogue,
    date: chrono::NaiveDate,
) -> LookupRequest<'static> {
    match pending.level {
        Level::Customers => LookupRequest::Customers { date },
        Level::Projects => LookupRequest::Projects {
            customer_id: catalogue.customers[pending.parent].id,
            date,
        },
        Level::Phases => LookupRequest::Phases {
            project_id: catalogue.projects[pending.parent].id,
            date,
        },
        Level::Activities => LookupRequest::Activities {
            phase_id: catalogue.phases[pending.parent].id,
            date,
        },
    }
}

/// Adds a lookup's answer under its parent; answers the positions of the entries added,
/// each the parent of a lookup still to do (none under activities).
fn add_children(catalogue: &mut Catalogue, pending: &Pending, children: &[Lookup]) -> Vec<usize> {
    let parent = u32::try_from(pending.parent).unwrap_or(u32::MAX);
    let child = |l: &Lookup| Child {
        parent,
        id: l.id,
        name: l.name.clone(),
    };
    let level = match pending.level {
        Level::Customers => {
            let start = catalogue.customers.len();
            catalogue.customers.extend(children.iter().cloned());
            return (start..catalogue.customers.len()).collect();
        }
        Level::Projects => &mut catalogue.projects,
        Level::Phases => &mut catalogue.phases,
        Level::Activities => {
            catalogue.activities.extend(children.iter().map(child));
            return Vec::new();
        }
    };
    let start = level.len();
    level.extend(children.iter().map(child));
    (start..level.len()).collect()
}

/// How many of the query's words the names above `pending` match (0 without a query).
fn boost_of(pending: &Pending, catalogue: &Catalogue, query: Option<&Query>) -> usize {
    let Some(query) = query else { return 0 };
    let mut names: Vec<&str> = Vec::with_capacity(3);
    match pending.level {
        Level::Customers => {}
        Level::Projects => names.push(&catalogue.customers[pending.parent].name),
        Level::Phases => {
            let project = &catalogue.projects[pending.parent];
            names.push(&catalogue.customers[project.parent as usize].name);
            names.push(&project.name);
        }
        Level::Activities => {
            let phase = &catalogue.phases[pending.parent];
            let project = &catalogue.projects[phase.parent as usize];
            names.push(&catalogue.customers[project.parent as usize].name);
            names.push(&project.name);
            names.push(&phase.name);
        }
    }
    let mut matched = vec![false; query.len()];
    for name in names {
        for (slot, m) in matched.iter_mut().zip(query.match_name(&Name::new(name))) {
            *slot |= m.is_some();
        }
    }
    matched.iter().filter(|&&m| m).count()
}

/// The ids of the entries under the entry at `parent`.
fn children_of(level: &[Child], parent: usize) -> Vec<u64> {
    level
        .iter()
        .filter(|c| c.parent as usize == parent)
        .map(|c| c.id)
        .collect()
}
