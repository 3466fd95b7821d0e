//! Which activities are open on which days, where they sit (customer, project, phase) and
//! which kinds they allow: what a batch is checked against before anything is booked, and
//! what a copied week is warned about.
//!
//! The catalogue lookups are dated (`date=YYYY-MM-DD`): an activity is open on a day when
//! its phase lists it on that day. An activity id alone does not say which phase it is in.
//! Where the names of its path are known (a row of the week page), they lead straight down
//! to it; otherwise the catalogue is walked at the earliest day asked about until every id
//! is found. Each other day then costs one activities lookup per phase. Every place found
//! is remembered in the session's lookup cache, and every lookup goes through it, so a
//! batch sent after a `copyWeek` of the same week asks Tidsreg nothing new.

use schemars::JsonSchema;
use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use futures::{StreamExt, TryStreamExt, stream};
use serde::Serialize;

use super::Ops;
use crate::store::SignedIn;
use crate::tidsreg::{Lookup, LookupList, LookupRequest, UpstreamError};

/// Lookups one check keeps in flight: quick for the person, gentle on Tidsreg.
const MAX_IN_FLIGHT: usize = 4;
/// The lookup cache's key of a remembered place, before the activity id. No lookup's key
/// starts so (theirs are their upstream paths).
const PLACE_KEY: &str = "place of activity ";

/// Where an activity sits in the catalogue.
#[derive(Debug, Clone)]
pub(super) struct Place {
    pub customer: Lookup,
    pub project: Lookup,
    pub phase: Lookup,
    pub activity: Lookup,
}

impl Place {
    /// The place as the lookup cache keeps it: customer, project, phase, activity.
    fn to_list(&self) -> LookupList {
        LookupList::from(vec![
            self.customer.clone(),
            self.project.clone(),
            self.phase.clone(),
            self.activity.clone(),
        ])
    }

    fn from_list(list: &LookupList) -> Option<Self> {
        match &**list {
            [customer, project, phase, activity] => Some(Self {
                customer: customer.clone(),
                project: project.clone(),
                phase: phase.clone(),
                activity: activity.clone(),
            }),
            _ => None,
        }
    }

    /// Customer / project / phase / activity.
    pub fn path(&self) -> String {
        format!(
            "{} / {} / {} / {}",
            self.customer.name, self.project.name, self.phase.name, self.activity.name
        )
    }
}

/// Which activity of a phase [`Ops::place_by_names`] looks for.
#[derive(Debug, Clone, Copy)]
pub(super) enum Activity<'a> {
    Id(u64),
    /// The only activity of that exact name in its phase.
    Name(&'a str),
}

/// One activity and kind of a set of lines, by name: listed once, however many lines use it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamedActivity {
    pub activity_id: u64,
    pub kind_id: u64,
    /// Customer / project / phase / activity.
    pub path: String,
    pub kind: String,
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

    /// The activity and kind by name (ids where a name is unknown).
    pub fn named(&self, activity_id: u64, kind_id: u64) -> NamedActivity {
        let kind = self
            .kinds(activity_id)
            .iter()
            .find(|k| k.id == kind_id)
            .map_or_else(|| kind_id.to_string(), |k| k.name.clone());
        NamedActivity {
            activity_id,
            kind_id,
            path: self
                .place(activity_id)
                .map_or_else(|| activity_id.to_string(), Place::path),
            kind,
        }
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
        for (id, _) in wanted {
            if let Some(place) = remembered_place(signed_in, *id).await {
                found.places.insert(*id, place);
            }
        }
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
                self.walk_to_places(signed_in, day, &missing, &mut found.places)
                    .await?;
            }
        }
        for place in found.places.values() {
            remember_place(signed_in, place).await;
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

    /// Finds an activity's place by the names of its path (customer, project, phase), as
    /// the week page gives them, with one lookup per level at `date`, and remembers it.
    /// `None` when a name is not (or no longer) there on that day, or when the activity is
    /// asked for by a name its phase holds more than once.
    pub(super) async fn place_by_names(
        &self,
        signed_in: &SignedIn,
        date: NaiveDate,
        names: [&str; 3],
        activity: Activity<'_>,
    ) -> Result<Option<Place>, UpstreamError> {
        let named = |list: &LookupList, name: &str| list.iter().find(|l| l.name == name).cloned();
        let customers = self
            .cached_lookup(signed_in, &LookupRequest::Customers { date })
            .await?;
        let Some(customer) = named(&customers, names[0]) else {
            return Ok(None);
        };
        let request = LookupRequest::Projects {
            customer_id: customer.id,
            date,
        };
        let projects = self.cached_lookup(signed_in, &request).await?;
        let Some(project) = named(&projects, names[1]) else {
            return Ok(None);
        };
        let request = LookupRequest::Phases {
            project_id: project.id,
            date,
        };
        let phases = self.cached_lookup(signed_in, &request).await?;
        let Some(phase) = named(&phases, names[2]) else {
            return Ok(None);
        };
        let request = LookupRequest::Activities {
            phase_id: phase.id,
            date,
        };
        let activities = self.cached_lookup(signed_in, &request).await?;
        let mut matching = activities.iter().filter(|a| match activity {
            Activity::Id(id) => a.id == id,
            Activity::Name(name) => a.name == name,
        });
        let (Some(activity), None) = (matching.next().cloned(), matching.next()) else {
            return Ok(None);
        };
        let place = Place {
            customer,
            project,
            phase,
            activity,
        };
        remember_place(signed_in, &place).await;
        Ok(Some(place))
    }

    /// Walks the catalogue at `date` down to the activities, stopping once every id of
    /// `missing` has its place.
    async fn walk_to_places(
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

/// The place of an activity found earlier in this session, if the cache still holds it.
async fn remembered_place(signed_in: &SignedIn, activity_id: u64) -> Option<Place> {
    let key = format!("{PLACE_KEY}{activity_id}");
    let list = signed_in
        .lookups
        .get_or_fetch(&key, || async { Err(()) })
        .await
        .ok()?;
    Place::from_list(&list)
}

/// Keeps an activity's place for this session's later checks (as long as lookups are kept).
async fn remember_place(signed_in: &SignedIn, place: &Place) {
    let key = format!("{PLACE_KEY}{}", place.activity.id);
    let list = place.to_list();
    let _ = signed_in
        .lookups
        .get_or_fetch(&key, || async { Ok::<_, ()>(list) })
        .await;
}
