//! `search`: one call from a person's words ("Acme portal development") to the full paths
//! they could book on, instead of walking customers → projects → phases → activities by hand.

use std::sync::Arc;

use chrono::NaiveDate;
use futures::{StreamExt, TryStreamExt, stream};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::params::Text;
use super::text_match::{WHOLE_WORD, fold, word_score, words};
use super::{OpError, Ops, params};
use crate::store::{CallerId, SignedIn};
use crate::tidsreg::{Lookup, LookupList, LookupRequest, UpstreamError};

/// Upstream calls one search keeps in flight: quick for the person, gentle on Tidsreg.
pub const MAX_IN_FLIGHT: usize = 4;
/// Results when the caller does not say.
pub const DEFAULT_LIMIT: usize = 10;
/// Most results one call answers.
pub const MAX_LIMIT: usize = 50;
/// Bonus for an activity whose whole name is the query: "Udvikling" beats "Udvikling af …".
const EXACT_NAME_BONUS: u32 = 50;

/// Input of finding where to book.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct SearchInput {
    /// The user's words for the place to book, like "acme portal development" or "udvikling". Every word must match somewhere on the path.
    #[schemars(with = "String")]
    pub q: Text,
    /// Day the lookup is for, as YYYY-MM-DD (year 1900 to 2200); defaults to today when omitted. Turn words like "yesterday" or "last Friday" into a date first, and pass the day the user wants to book.
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub date: Text,
    /// Most results to answer, 1 to 50; defaults to 10.
    #[schemars(with = "Option<u32>")]
    pub limit: Text,
}

/// One place to book, with everything needed to book it.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub customer: Lookup,
    pub project: Lookup,
    pub phase: Lookup,
    pub activity: Lookup,
    pub score: u32,
}

type Phase = (Lookup, Lookup, Lookup);

impl Ops {
    /// Full paths whose names match all the words of `q`, best first.
    pub async fn search(
        &self,
        caller: &CallerId,
        input: SearchInput,
    ) -> Result<Vec<SearchHit>, OpError> {
        let q = params::required("q", input.q.as_deref())?.to_owned();
        let query = words(&q);
        if query.is_empty() {
            return Err(OpError::bad_input(
                "q",
                "`q` needs at least one letter or digit, like `portal udvikling`",
            ));
        }
        let date = params::date_or_today("date", input.date.as_deref())?;
        let limit = limit(input.limit.as_deref())?;
        let (query, q) = (&query, &q);
        self.with_session(caller, |signed_in| async move {
            let walk = Walk {
                ops: self,
                signed_in: &signed_in,
                date,
                query,
                folded: fold(q),
            };
            walk.run(limit).await
        })
        .await
    }
}

fn limit(raw: Option<&str>) -> Result<usize, OpError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(OpError::bad_input(
                "limit",
                format!("`limit` must be a whole number from 1 to {MAX_LIMIT} (got `{raw}`)"),
            )),
        },
    }
}

/// One search's walk down the hierarchy.
struct Walk<'a> {
    ops: &'a Ops,
    signed_in: &'a SignedIn,
    date: NaiveDate,
    query: &'a [String],
    folded: String,
}

impl Walk<'_> {
    async fn run(&self, limit: usize) -> Result<Vec<SearchHit>, UpstreamError> {
        let date = self.date;
        let customers = self.lookup(LookupRequest::Customers { date }).await?;
        let customers: Vec<Lookup> = customers.to_vec();
        let projects = self
            .expand(customers, |c| LookupRequest::Projects {
                customer_id: c.id,
                date,
            })
            .await?;
        let phases = self
            .expand(projects, |(_, p)| LookupRequest::Phases {
                project_id: p.id,
                date,
            })
            .await?;
        let mut phases: Vec<Phase> = phases.into_iter().map(|((c, p), ph)| (c, p, ph)).collect();
        // Likely places first, so the walk can stop early once it has enough good answers.
        phases.sort_by_key(|(c, p, ph)| std::cmp::Reverse(self.ancestor_score(c, p, ph)));
        let hits = self.activities(phases, limit).await?;
        Ok(rank(hits, limit))
    }

    /// Fetches the children of every parent, at most [`MAX_IN_FLIGHT`] at a time.
    async fn expand<P: Clone>(
        &self,
        parents: Vec<P>,
        children_of: impl Fn(&P) -> LookupRequest<'static>,
    ) -> Result<Vec<(P, Lookup)>, UpstreamError> {
        let fetches = parents.into_iter().map(|parent| {
            let request = children_of(&parent);
            async move {
                let children = self.lookup(request).await?;
                Ok::<_, UpstreamError>(
                    children
                        .iter()
                        .map(|c| (parent.clone(), c.clone()))
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

    /// Activities of each phase, scored, stopping once `limit` hits match every word in the
    /// activity's own name.
    async fn activities(
        &self,
        phases: Vec<Phase>,
        limit: usize,
    ) -> Result<Vec<SearchHit>, UpstreamError> {
        let fetches = phases
            .into_iter()
            .map(|(customer, project, phase)| async move {
                let request = LookupRequest::Activities {
                    phase_id: phase.id,
                    date: self.date,
                };
                let activities = self.lookup(request).await?;
                Ok::<_, UpstreamError>((customer, project, phase, activities))
            });
        let mut fetched = stream::iter(fetches).buffered(MAX_IN_FLIGHT);
        let mut hits = Vec::new();
        let mut strong = 0;
        while let Some(result) = fetched.next().await {
            let (customer, project, phase, activities) = result?;
            for activity in activities.iter() {
                if let Some(score) = self.score(&customer, &project, &phase, activity) {
                    strong += usize::from(self.matches_activity_alone(activity));
                    hits.push(SearchHit {
                        customer: customer.clone(),
                        project: project.clone(),
                        phase: phase.clone(),
                        activity: activity.clone(),
                        score,
                    });
                }
            }
            if strong >= limit {
                break;
            }
        }
        Ok(hits)
    }

    /// One lookup through the session's cache.
    async fn lookup(&self, request: LookupRequest<'_>) -> Result<Arc<LookupList>, UpstreamError> {
        self.ops.cached_lookup(self.signed_in, &request).await
    }

    /// Every query word must match somewhere on the path; the activity's own name counts
    /// most, then customer and project, then the phase.
    fn score(
        &self,
        customer: &Lookup,
        project: &Lookup,
        phase: &Lookup,
        activity: &Lookup,
    ) -> Option<u32> {
        let levels = [
            (words(&activity.name), 3),
            (words(&customer.name), 2),
            (words(&project.name), 2),
            (words(&phase.name), 1),
        ];
        let mut total = 0;
        for word in self.query {
            let best = levels
                .iter()
                .map(|(names, weight)| word_score(word, names) * weight)
                .max()
                .unwrap_or(0);
            if best == 0 {
                return None;
            }
            total += best;
        }
        if fold(&activity.name)
            .split_whitespace()
            .eq(self.folded.split_whitespace())
        {
            total += EXACT_NAME_BONUS;
        }
        Some(total)
    }

    fn matches_activity_alone(&self, activity: &Lookup) -> bool {
        let names = words(&activity.name);
        self.query
            .iter()
            .all(|w| word_score(w, &names) >= WHOLE_WORD)
    }

    fn ancestor_score(&self, customer: &Lookup, project: &Lookup, phase: &Lookup) -> u32 {
        let names: Vec<String> = [customer, project, phase]
            .iter()
            .flat_map(|l| words(&l.name))
            .collect();
        self.query.iter().map(|w| word_score(w, &names)).sum()
    }
}

/// Best first; among equals, the shorter (more specific) activity name, then by name.
fn rank(mut hits: Vec<SearchHit>, limit: usize) -> Vec<SearchHit> {
    hits.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.activity.name.len().cmp(&b.activity.name.len()))
            .then(a.activity.name.cmp(&b.activity.name))
    });
    hits.truncate(limit);
    hits
}
