//! `search`: one call from a person's words ("kobmand regnskab") to the full paths they
//! could book on, answered from the user's catalogue index ([`super::catalogue`]) in
//! milliseconds, with typos, Danish letters and joined words forgiven
//! ([`super::text_match`]). The answer says how much of the catalogue it searched and how
//! the results matched, so the model can tell the person what it did.

use std::sync::Arc;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::catalogue_walk::{Build, Progress};
use super::params::Text;
use super::search_index::{Index, Ranked};
use super::text_match::Query;
use super::{OpError, Ops, params};
use crate::store::{CallerId, SignedIn};
use crate::tidsreg::UpstreamError;

pub use super::search_index::{MatchKind, SearchHit};

/// Results when the caller does not say.
pub const DEFAULT_LIMIT: usize = 10;
/// Most results one call answers.
pub const MAX_LIMIT: usize = 50;
/// How long a search waits on a catalogue still being built before it answers from the
/// part indexed so far: "a few seconds", far inside ChatGPT's 45 s for a whole Action.
pub const BUILD_WAIT: Duration = Duration::from_secs(3);
/// How often a waiting search looks at what is indexed (and reports progress).
const LOOK_EVERY: Duration = Duration::from_millis(250);

/// Input of finding where to book.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct SearchInput {
    /// The user's words for the place to book, as they typed them, like "acme portal development", "kobmand regnskab" or "udvikling". Typos, Danish letters typed as plain letters and words written together or apart are forgiven.
    #[schemars(with = "String")]
    pub q: Text,
    /// Day the lookup is for, as YYYY-MM-DD (year 1900 to 2200); defaults to today when omitted. Turn words like "yesterday" or "last Friday" into a date first, and pass the day the user wants to book.
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub date: Text,
    /// Most results to answer, 1 to 50; defaults to 10.
    #[schemars(with = "Option<u32>")]
    pub limit: Text,
}

/// How much of the catalogue a search looked at.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Searched {
    /// Customers whose every activity was searched.
    pub customers: usize,
    /// Customers the user can book on, once known.
    pub customers_total: Option<usize>,
    /// Activities (full paths) searched.
    pub activities: usize,
}

/// The answer of `search`: the results and what they are.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchAnswer {
    /// Best first.
    pub results: Vec<SearchHit>,
    /// True when the whole catalogue was searched; false while it is still being indexed.
    pub complete: bool,
    /// True when no place matched every word: the results are the closest ones.
    pub partial: bool,
    /// True when some result matched only with a typo allowed.
    pub fuzzy: bool,
    pub searched: Searched,
    /// When the index searched was built (RFC 3339), absent while it is being built.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_built_at: Option<String>,
    /// What the search did, in a sentence the model can pass on.
    pub note: String,
}

impl Ops {
    /// Full paths whose names match the words of `q`, best first.
    pub async fn search(
        &self,
        caller: &CallerId,
        input: SearchInput,
    ) -> Result<SearchAnswer, OpError> {
        self.search_reporting(caller, input, &|_| {}).await
    }

    /// [`Self::search`], calling `report` with the build's progress while it waits on a
    /// catalogue still being indexed (MCP sends it on as progress notifications).
    pub async fn search_reporting(
        &self,
        caller: &CallerId,
        input: SearchInput,
        report: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<SearchAnswer, OpError> {
        let q = params::required("q", input.q.as_deref())?;
        let query = Query::new(q).ok_or_else(|| {
            OpError::bad_input(
                "q",
                "`q` needs at least one letter or digit, like `portal udvikling`",
            )
        })?;
        // The index holds the catalogue as it is today; the date is still checked, so a
        // bad one gets the same words as in every other operation.
        params::date_or_today("date", input.date.as_deref())?;
        let limit = limit(input.limit.as_deref())?;
        let query = &query;
        self.with_session(caller, |signed_in| async move {
            self.search_in(caller, signed_in, query, limit, report)
                .await
        })
        .await
    }

    async fn search_in(
        &self,
        caller: &CallerId,
        signed_in: Arc<SignedIn>,
        query: &Query,
        limit: usize,
        report: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<SearchAnswer, UpstreamError> {
        let user = self.user_index(&signed_in).await;
        if let Some(index) = user.ready() {
            let refreshing = self.is_due(&index) || user.is_stale();
            if refreshing {
                self.start_build(caller, &signed_in, &user);
            }
            return Ok(answer_complete(
                &index,
                index.rank(query, limit),
                refreshing,
            ));
        }
        let build = self.start_build(caller, &signed_in, &user);
        self.wait_on_build(&build, query, limit, report)
            .await
            .map(|found| {
                found.unwrap_or_else(|| match user.ready() {
                    Some(index) => answer_complete(&index, index.rank(query, limit), false),
                    None => answer_so_far(&Index::new(build.snapshot()), query, limit, &build),
                })
            })
    }

    /// Waits on `build` until the places `query` names are indexed and enough match, the
    /// build ends, or [`BUILD_WAIT`] is up; answers the part-built search then (`None`:
    /// the build ended well, search the whole index).
    async fn wait_on_build(
        &self,
        build: &Build,
        query: &Query,
        limit: usize,
        report: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<Option<SearchAnswer>, UpstreamError> {
        let boost = build.boost(query.clone());
        let mut progress = build.subscribe();
        let deadline = tokio::time::Instant::now() + BUILD_WAIT;
        loop {
            tokio::select! {
                () = tokio::time::sleep(LOOK_EVERY) => {}
                _ = progress.wait_for(|p| p.ended.is_some()) => {}
            }
            let now = progress.borrow_and_update().clone();
            report(&now);
            let so_far = Index::new(build.snapshot());
            match now.ended {
                Some(Ok(())) => return Ok(None),
                Some(Err(_)) if so_far.activities() == 0 => {
                    return Err(build.failure().unwrap_or(UpstreamError::Timeout));
                }
                Some(Err(_)) => return Ok(Some(answer_so_far(&so_far, query, limit, build))),
                None => {}
            }
            let ranked = so_far.rank(query, limit);
            // Enough: the places the words name are all fetched and matched, or (words
            // that name no customer, project or phase) a whole page of full matches.
            let boosted_done = now.boost_applied >= boost && now.boosted_open == 0;
            let wanted = if now.boosted_ever > 0 { 1 } else { limit };
            let enough = boosted_done && ranked.full_matches >= wanted;
            if enough || tokio::time::Instant::now() >= deadline {
                return Ok(Some(answer_from(ranked, &so_far, &now, build)));
            }
        }
    }
}

/// The answer from a complete index.
fn answer_complete(index: &Index, ranked: Ranked, refreshing: bool) -> SearchAnswer {
    let customers = index.catalogue.customers.len();
    let searched = Searched {
        customers,
        customers_total: Some(customers),
        activities: index.activities(),
    };
    let mut note = format!(
        "Searched the whole catalogue ({customers} customers, {} activities).",
        index.activities()
    );
    if refreshing {
        note.push_str(" The index is being refreshed from Tidsreg in the background.");
    }
    let built_at = chrono::DateTime::from_timestamp_millis(
        i64::try_from(index.catalogue.built_at_ms).unwrap_or(i64::MAX),
    )
    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    answer(ranked, true, searched, built_at, note)
}

/// The answer from the part of the catalogue indexed so far.
fn answer_so_far(so_far: &Index, query: &Query, limit: usize, build: &Build) -> SearchAnswer {
    let progress = build.subscribe().borrow().clone();
    answer_from(so_far.rank(query, limit), so_far, &progress, build)
}

fn answer_from(ranked: Ranked, so_far: &Index, progress: &Progress, build: &Build) -> SearchAnswer {
    let searched = Searched {
        customers: progress.customers_done,
        customers_total: progress.customers_total,
        activities: so_far.activities(),
    };
    let of_total = progress
        .customers_total
        .map_or_else(String::new, |total| format!(" of {total}"));
    let note = match build.failure() {
        Some(e) => format!(
            "Only part of the catalogue could be indexed ({} customers{of_total}), because {e}; these results come from that part. Search again later for the rest.",
            progress.customers_done
        ),
        None => format!(
            "The catalogue is still being indexed ({} customers{of_total} so far, {} activities); these results come from that part, searched first where the words point. Search again in a minute to search it all.",
            progress.customers_done,
            so_far.activities()
        ),
    };
    answer(ranked, false, searched, None, note)
}

fn answer(
    ranked: Ranked,
    complete: bool,
    searched: Searched,
    index_built_at: Option<String>,
    mut note: String,
) -> SearchAnswer {
    if ranked.hits.is_empty() {
        note.push_str(
            " Nothing resembles these words: ask the user for other words, or walk the lists.",
        );
    } else if ranked.partial {
        note.push_str(" No place matches every word; these are the closest (`missing` lists the words each lacks): ask the user \"did you mean …?\" before booking.");
    } else if ranked.fuzzy {
        note.push_str(" Some results match only with a typo allowed (`match`: `fuzzy`): check the name with the user.");
    }
    SearchAnswer {
        complete,
        partial: ranked.partial,
        fuzzy: ranked.fuzzy,
        results: ranked.hits,
        searched,
        index_built_at,
        note,
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
