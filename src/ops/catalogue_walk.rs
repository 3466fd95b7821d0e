//! One build of a catalogue index: the walk down customers → projects → phases →
//! activities, one scheduler keeping at most [`MAX_IN_FLIGHT`] lookups in flight, deepest
//! first (so customers are finished one by one and a part-built index already holds whole
//! paths), and first of all the lookups under names a waiting search mentions (its boost).

use std::sync::{Arc, Mutex};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::{Notify, watch};

use super::Ops;
use super::text_match::{Name, Query};
use crate::store::{Catalogue, Child, SignedIn};
use crate::tidsreg::{Lookup, LookupRequest, UpstreamError};

/// Lookups one build keeps in flight: 8 × 100 ms lookups walk 300 customers in about half
/// a minute, and Tidsreg sees no more than a few people clicking at once.
pub const MAX_IN_FLIGHT: usize = 8;
/// Times one lookup is tried before the build gives up (a blip is not a failure).
const TRIES: u32 = 3;

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

impl Default for Build {
    fn default() -> Self {
        Self {
            catalogue: Mutex::default(),
            progress: watch::Sender::new(Progress::default()),
            boost: Mutex::default(),
            boosted: Notify::new(),
            failure: Mutex::default(),
        }
    }
}

impl Build {
    /// Records why the build failed, for the searches waiting on it.
    pub(super) fn fail(&self, error: UpstreamError) {
        *self.failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(error);
    }

    /// Tells every waiting search the build has ended, and how.
    pub(super) fn end(&self, ended: Result<(), String>) {
        self.progress.send_modify(|p| p.ended = Some(ended));
    }
}

impl Ops {
    /// The walk itself: one scheduler, [`MAX_IN_FLIGHT`] lookups at a time, each answer
    /// adding its entries and the lookups under them.
    pub(super) async fn walk(
        &self,
        signed_in: &SignedIn,
        build: &Build,
    ) -> Result<(), UpstreamError> {
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
