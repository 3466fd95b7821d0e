//! One catalogue, prepared for searching: each distinct name split into words once, so a
//! search matches a few thousand names, not every path's four names, and answers in
//! milliseconds from memory with no upstream call.

use schemars::JsonSchema;
use std::collections::HashMap;

use serde::Serialize;

use super::text_match::{Name, Query, WordMatch};
use crate::store::{Catalogue, PathAt};
use crate::tidsreg::Lookup;

/// Bonus for an activity whose whole name is the query: "Udvikling" beats "Udvikling af …".
const EXACT_NAME_BONUS: u32 = 50;
/// How much a word matched at each level counts: the activity's own name most, then
/// customer and project, then the phase.
const ACTIVITY_WEIGHT: u32 = 3;
const CUSTOMER_WEIGHT: u32 = 2;
const PROJECT_WEIGHT: u32 = 2;
const PHASE_WEIGHT: u32 = 1;
/// Query words that count; more are ignored (a bitmask holds which are missing).
pub const MAX_QUERY_WORDS: usize = 32;

/// How a result matched the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    /// Every word, as written (accents, case and joined or split words aside).
    Exact,
    /// Every word, some only with a typo allowed.
    Fuzzy,
    /// Not every word: the closest there is, to offer as "did you mean …".
    Partial,
}

/// One place to book, with everything needed to book it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SearchHit {
    pub customer: Lookup,
    pub project: Lookup,
    pub phase: Lookup,
    pub activity: Lookup,
    pub score: u32,
    #[serde(rename = "match")]
    pub kind: MatchKind,
    /// The query words this result does not match (partial results only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

/// The best results of one search, and what they are.
#[derive(Debug, Default)]
pub struct Ranked {
    pub hits: Vec<SearchHit>,
    /// No path matched every word; the hits are the closest ones.
    pub partial: bool,
    /// Some hit needed typo tolerance.
    pub fuzzy: bool,
    /// Paths matching every word, with or without a typo (to know when a search has enough).
    pub full_matches: usize,
}

/// A catalogue with its names prepared.
#[derive(Debug)]
pub struct Index {
    pub catalogue: Catalogue,
    names: Vec<Name>,
    customer_names: Vec<u32>,
    project_names: Vec<u32>,
    phase_names: Vec<u32>,
    activity_names: Vec<u32>,
}

/// One path's standing against a query.
struct Candidate {
    path: PathAt,
    matched: u32,
    fuzzy: u32,
    score: u32,
    missing: u64,
}

impl Index {
    /// Prepares every distinct name of `catalogue`.
    pub fn new(catalogue: Catalogue) -> Self {
        let mut positions: HashMap<String, u32> = HashMap::new();
        let mut names = Vec::new();
        let mut intern = |name: &str| -> u32 {
            if let Some(&at) = positions.get(name) {
                return at;
            }
            let at = u32::try_from(names.len()).unwrap_or(u32::MAX);
            names.push(Name::new(name));
            positions.insert(name.to_owned(), at);
            at
        };
        let customer_names = catalogue
            .customers
            .iter()
            .map(|c| intern(&c.name))
            .collect();
        let project_names = catalogue.projects.iter().map(|c| intern(&c.name)).collect();
        let phase_names = catalogue.phases.iter().map(|c| intern(&c.name)).collect();
        let activity_names = catalogue
            .activities
            .iter()
            .map(|c| intern(&c.name))
            .collect();
        Self {
            catalogue,
            names,
            customer_names,
            project_names,
            phase_names,
            activity_names,
        }
    }

    /// How many activities (full paths) it holds.
    pub fn activities(&self) -> usize {
        self.catalogue.activities.len()
    }

    /// The `limit` best paths for `query`: those matching every word, exact before fuzzy,
    /// strongest first; when none matches every word, those matching the most.
    pub fn rank(&self, query: &Query, limit: usize) -> Ranked {
        let words = query.len().min(MAX_QUERY_WORDS);
        let per_name: Vec<Vec<Option<WordMatch>>> =
            self.names.iter().map(|n| query.match_name(n)).collect();
        let mut candidates: Vec<Candidate> = self
            .catalogue
            .paths()
            .filter_map(|path| self.score(query, words, &per_name, path))
            .collect();
        let all = u32::try_from(words).unwrap_or(u32::MAX);
        let partial = !candidates.iter().any(|c| c.matched == all);
        if !partial {
            candidates.retain(|c| c.matched == all);
        }
        let full_matches = candidates.iter().filter(|c| c.matched == all).count();
        let order = |a: &Candidate, b: &Candidate| {
            let name = |c: &Candidate| &self.catalogue.activities[c.path.activity];
            b.matched
                .cmp(&a.matched)
                .then(a.fuzzy.cmp(&b.fuzzy))
                .then(b.score.cmp(&a.score))
                .then(name(a).name.len().cmp(&name(b).name.len()))
                .then(name(a).name.cmp(&name(b).name))
                .then(name(a).id.cmp(&name(b).id))
        };
        if candidates.len() > limit {
            candidates.select_nth_unstable_by(limit, order);
            candidates.truncate(limit);
        }
        candidates.sort_by(order);
        let hits: Vec<SearchHit> = candidates
            .iter()
            .map(|c| self.hit(query, words, all, c))
            .collect();
        Ranked {
            fuzzy: hits.iter().any(|h| h.kind == MatchKind::Fuzzy),
            hits,
            partial,
            full_matches,
        }
    }

    /// A path's standing: each query word takes its best match on any level.
    fn score(
        &self,
        query: &Query,
        words: usize,
        per_name: &[Vec<Option<WordMatch>>],
        path: PathAt,
    ) -> Option<Candidate> {
        let activity_name = self.activity_names[path.activity] as usize;
        let levels = [
            (activity_name, ACTIVITY_WEIGHT),
            (self.customer_names[path.customer] as usize, CUSTOMER_WEIGHT),
            (self.project_names[path.project] as usize, PROJECT_WEIGHT),
            (self.phase_names[path.phase] as usize, PHASE_WEIGHT),
        ];
        let mut candidate = Candidate {
            path,
            matched: 0,
            fuzzy: 0,
            score: 0,
            missing: 0,
        };
        let rows = levels.map(|(name, weight)| (&per_name[name], weight));
        for (word, bit) in (0..words).map(|w| (w, 1u64 << w)) {
            let best = rows
                .iter()
                .filter_map(|&(row, weight)| row[word].map(|m| (m, weight)))
                .max_by_key(|(m, weight)| (!m.fuzzy, m.score * weight));
            match best {
                Some((m, weight)) => {
                    candidate.matched += 1;
                    candidate.fuzzy += u32::from(m.fuzzy);
                    candidate.score += m.score * weight;
                }
                None => candidate.missing |= bit,
            }
        }
        if candidate.matched == 0 {
            return None;
        }
        if query.is_whole_name(&self.names[activity_name]) {
            candidate.score += EXACT_NAME_BONUS;
        }
        Some(candidate)
    }

    fn hit(&self, query: &Query, words: usize, all: u32, c: &Candidate) -> SearchHit {
        let lookup = |id: u64, name: &str| Lookup {
            id,
            name: name.to_owned(),
        };
        let catalogue = &self.catalogue;
        let project = &catalogue.projects[c.path.project];
        let phase = &catalogue.phases[c.path.phase];
        let activity = &catalogue.activities[c.path.activity];
        let kind = match (c.matched == all, c.fuzzy) {
            (false, _) => MatchKind::Partial,
            (true, 0) => MatchKind::Exact,
            (true, _) => MatchKind::Fuzzy,
        };
        SearchHit {
            customer: catalogue.customers[c.path.customer].clone(),
            project: lookup(project.id, &project.name),
            phase: lookup(phase.id, &phase.name),
            activity: lookup(activity.id, &activity.name),
            score: c.score,
            kind,
            missing: (0..words)
                .filter(|w| c.missing & (1 << w) != 0)
                .map(|w| query.word(w).to_owned())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Child;

    fn index() -> Index {
        let child = |parent, id, name: &str| Child {
            parent,
            id,
            name: name.into(),
        };
        Index::new(Catalogue {
            built_at_ms: 1,
            customers: vec![
                Lookup {
                    id: 1,
                    name: "Købmand Hansen".into(),
                },
                Lookup {
                    id: 2,
                    name: "Nordisk Regnskab".into(),
                },
            ],
            projects: vec![child(0, 10, "Webshop"), child(1, 11, "Drift")],
            phases: vec![child(0, 20, "Udvikling"), child(1, 21, "Løbende")],
            activities: vec![
                child(0, 30, "Udvikling af rapporter"),
                child(0, 31, "Udvikling"),
                child(1, 32, "Regnskab"),
                child(1, 33, "Support"),
            ],
        })
    }

    fn rank(q: &str) -> Ranked {
        index().rank(&Query::new(q).unwrap(), 10)
    }

    #[test]
    fn an_exact_name_ranks_first_and_fuzzy_never_outranks_exact() {
        let ranked = rank("udvikling");
        assert_eq!(ranked.hits[0].activity.id, 31);
        assert_eq!(ranked.hits[0].kind, MatchKind::Exact);
        // "regnskab" matches customer 2's name exactly and activity 32 exactly.
        let ranked = rank("regnskav");
        assert!(ranked.fuzzy && !ranked.partial);
        assert_eq!(ranked.hits[0].activity.id, 32);
        let ranked = rank("hansen udviklin");
        assert!(
            ranked.hits.iter().all(|h| h.customer.id == 1),
            "{:?}",
            ranked.hits
        );
    }

    #[test]
    fn when_nothing_matches_every_word_the_closest_are_answered_marked() {
        let ranked = rank("kobmand zebra");
        assert!(ranked.partial);
        assert!(!ranked.hits.is_empty());
        assert!(ranked.hits.iter().all(|h| h.kind == MatchKind::Partial));
        assert_eq!(ranked.hits[0].missing, vec!["zebra".to_string()]);
        assert!(
            rank("zebra").hits.is_empty(),
            "nothing close: nothing answered"
        );
    }
}
