//! Which activities are open on which days, where they sit (customer, project, phase) and
//! which kinds they allow: what a batch is checked against before anything is booked, and
//! what a copied week is warned about.
//!
//! The catalogue lookups are dated (`date=YYYY-MM-DD`): an activity is open on a day when
//! its phase lists it on that day. An activity id alone does not say which phase it is in,
//! so the catalogue is walked once, at the earliest day asked about, until every id is
//! found; each other day then costs one activities lookup per phase. All of it goes through
//! the session's lookup cache, so a batch sent after a `copyWeek` of the same week asks
//! Tidsreg nothing new.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use futures::{StreamExt, TryStreamExt, stream};

use super::Ops;
use crate::store::SignedIn;
use crate::tidsreg::{Lookup, LookupRequest, UpstreamError};

/// Lookups one check keeps in flight: quick for the person, gentle on Tidsreg.
const MAX_IN_FLIGHT: usize = 4;

/// Where an activity sits in the catalogue.
#[derive(Debug, Clone)]
pub(super) struct Place {
    pub customer: Lookup,
    pub project: Lookup,
    pub phase: Lookup,
    pub activity: Lookup,
}

impl Place {
    /// Customer / project / phase / activity.
    pub fn path(&self) -> String {
        format!(
            "{} / {} / {} / {}",
            self.customer.name, self.project.name, self.phase.name, self.activity.name
        )
    }
}

/// What the catalogue says about some (activity, day) pairs.
#[derive(Debug, Default)]
pub(super) struct OpenActivities {
    places: HashMap<u64, Place>,
    open: HashSet<(u64, NaiveDate)>,
    kinds: HashMap<u64, Vec<Lookup>>,
}

impl OpenActivities {
    /// Where the activity sits, if the catalogue lists it on any day asked about.
    pub fn place(&self, activity_id: u64) -> Option<&Place> {
        self.places.get(&activity_id)
    }

    /// Whether the activity can be booked on `date`.
    pub fn is_open(&self, activity_id: u64, date: NaiveDate) -> bool {
        self.open.contains(&(activity_id, date))
    }

    /// The kinds the activity allows (empty when unknown).
    pub fn kinds(&self, activity_id: u64) -> &[Lookup] {
        self.kinds.get(&activity_id).map_or(&[], Vec::as_slice)
    }
}

impl Ops {
    /// Looks up each (activity, day) pair: where the activity sits, whether it is open that
    /// day, and its kinds.
    pub(super) async fn open_activities(
        &self,
        signed_in: &SignedIn,
        wanted: &[(u64, NaiveDate)],
    ) -> Result<OpenActivities, UpstreamError> {
        let mut found = OpenActivities::default();
        let days: BTreeSet<NaiveDate> = wanted.iter().map(|(_, date)| *date).collect();
        // The earliest day first; an activity closed then is looked for on its own days.
        for day in days {
            let missing: HashSet<u64> = wanted
                .iter()
                .map(|(id, _)| *id)
                .filter(|id| !found.places.contains_key(id))
                .collect();
            if missing.is_empty() {
                break;
            }
            if wanted
                .iter()
                .any(|(id, d)| *d == day && missing.contains(id))
            {
                self.walk(signed_in, day, &missing, &mut found.places)
                    .await?;
            }
        }
        let phase_days: BTreeSet<(u64, NaiveDate)> = wanted
            .iter()
            .filter_map(|(id, date)| Some((found.places.get(id)?.phase.id, *date)))
            .collect();
        let lists = stream::iter(phase_days.into_iter().map(|(phase_id, date)| async move {
            let request = LookupRequest::Activities { phase_id, date };
            let list = self.cached_lookup(signed_in, &request).await?;
            Ok::<_, UpstreamError>((date, list))
        }))
        .buffered(MAX_IN_FLIGHT)
        .try_collect::<Vec<_>>()
        .await?;
        for (date, list) in lists {
            found.open.extend(list.iter().map(|a| (a.id, date)));
        }
        for (id, place) in &found.places {
            let request = LookupRequest::Kinds {
                project_name: &place.project.name,
                activity_name: &place.activity.name,
            };
            let kinds = self.cached_lookup(signed_in, &request).await?;
            found.kinds.insert(*id, kinds.to_vec());
        }
        Ok(found)
    }

    /// Walks the catalogue at `date` down to the activities, stopping once every id of
    /// `missing` has its place.
    async fn walk(
        &self,
        signed_in: &SignedIn,
        date: NaiveDate,
        missing: &HashSet<u64>,
        places: &mut HashMap<u64, Place>,
    ) -> Result<(), UpstreamError> {
        let customers = self
            .cached_lookup(signed_in, &LookupRequest::Customers { date })
            .await?;
        let projects = self
            .children(signed_in, customers.to_vec(), |c: &Lookup| {
                LookupRequest::Projects {
                    customer_id: c.id,
                    date,
                }
            })
            .await?;
        let phases = self
            .children(signed_in, projects, |(_, p): &(Lookup, Lookup)| {
                LookupRequest::Phases {
                    project_id: p.id,
                    date,
                }
            })
            .await?;
        for chunk in phases.chunks(MAX_IN_FLIGHT) {
            let activities = self
                .children(
                    signed_in,
                    chunk.to_vec(),
                    |(_, ph): &((Lookup, Lookup), Lookup)| LookupRequest::Activities {
                        phase_id: ph.id,
                        date,
                    },
                )
                .await?;
            for (((customer, project), phase), activity) in activities {
                if missing.contains(&activity.id) {
                    places.entry(activity.id).or_insert(Place {
                        customer,
                        project,
                        phase,
                        activity,
                    });
                }
            }
            if missing.iter().all(|id| places.contains_key(id)) {
                break;
            }
        }
        Ok(())
    }

    /// The children of every parent, at most [`MAX_IN_FLIGHT`] lookups at a time.
    async fn children<P: Clone>(
        &self,
        signed_in: &SignedIn,
        parents: Vec<P>,
        request_of: impl Fn(&P) -> LookupRequest<'static>,
    ) -> Result<Vec<(P, Lookup)>, UpstreamError> {
        let fetches = parents.into_iter().map(|parent| {
            let request = request_of(&parent);
            async move {
                let list = self.cached_lookup(signed_in, &request).await?;
                Ok::<_, UpstreamError>(
                    list.iter()
                        .map(|child| (parent.clone(), child.clone()))
                        .collect::<Vec<_>>(),
                )
            }
        });
        let nested: Vec<Vec<(P, Lookup)>> = stream::iter(fetches)
            .buffered(MAX_IN_FLIGHT)
            .try_collect()
            .await?;
        Ok(nested.into_iter().flatten().collect())
    }
}
