//! The lookup answers, serialised once per catalogue and key spelling: the lookups are the
//! fake's hot path when it is benchmarked, so they serve shared bytes. The demo catalogue's
//! answers are built on first use; a generated one's when a test or the benchmark swaps it
//! in ([`super::FakeControls::use_generated_catalogue`]).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::generated::{self, Entry as GeneratedEntry, Generated};

/// One `{id, name}` entry, written with the key names of its level and key spelling.
struct Entry<'a> {
    id_key: &'static str,
    name_key: &'static str,
    id: u64,
    name: &'a str,
}

impl Serialize for Entry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(self.id_key, &self.id)?;
        map.serialize_entry(self.name_key, self.name)?;
        map.end()
    }
}

/// Serialises one lookup answer: `{"ProjectId": 1, "Name": ..}` when `pascal`, else
/// `{"id": 1, "name": ..}`.
pub(super) fn to_json<'a>(
    pascal: bool,
    pascal_id: &'static str,
    items: impl Iterator<Item = (u64, &'a str)>,
) -> Bytes {
    let (id_key, name_key) = if pascal {
        (pascal_id, "Name")
    } else {
        ("id", "name")
    };
    let entries: Vec<Entry<'a>> = items
        .map(|(id, name)| Entry {
            id_key,
            name_key,
            id,
            name,
        })
        .collect();
    let json = serde_json::to_vec(&entries).expect("catalogue entries always serialise");
    Bytes::from(json)
}

/// Every lookup answer of one catalogue in one key spelling.
#[derive(Debug)]
pub struct Answers {
    pub customers: Bytes,
    pub projects: HashMap<u64, Bytes>,
    pub phases: HashMap<u64, Bytes>,
    pub activities: HashMap<u64, Bytes>,
}

impl Answers {
    /// The answers of `catalogue`.
    pub fn of(catalogue: &Generated, pascal: bool) -> Self {
        let customers = catalogue.customers.iter().map(|c| (c.id, c.name.as_str()));
        Self {
            customers: to_json(pascal, "CustomerId", customers),
            projects: by_parent(&catalogue.projects, pascal, "ProjectId"),
            phases: by_parent(&catalogue.phases, pascal, "PhaseId"),
            activities: by_parent(&catalogue.activities, pascal, "ActivityId"),
        }
    }

    /// The demo catalogue's answers, built on first use.
    pub fn demo(pascal: bool) -> Arc<Self> {
        static PASCAL: OnceLock<Arc<Answers>> = OnceLock::new();
        static LOWER: OnceLock<Arc<Answers>> = OnceLock::new();
        let cell = if pascal { &PASCAL } else { &LOWER };
        cell.get_or_init(|| Arc::new(Self::of(&generated::demo(), pascal)))
            .clone()
    }
}

/// A swapped-in catalogue's answers in both spellings.
#[derive(Debug)]
pub struct CatalogueAnswers {
    pub pascal: Arc<Answers>,
    pub lower: Arc<Answers>,
}

impl CatalogueAnswers {
    /// Both spellings of `catalogue`'s answers.
    pub fn of(catalogue: &Generated) -> Self {
        Self {
            pascal: Arc::new(Answers::of(catalogue, true)),
            lower: Arc::new(Answers::of(catalogue, false)),
        }
    }
}

/// One answer per parent, its children in order.
fn by_parent(
    level: &[GeneratedEntry],
    pascal: bool,
    pascal_id: &'static str,
) -> HashMap<u64, Bytes> {
    let mut children: HashMap<u64, Vec<&GeneratedEntry>> = HashMap::new();
    for entry in level {
        children.entry(entry.parent).or_default().push(entry);
    }
    children
        .into_iter()
        .map(|(parent, entries)| {
            let items = entries.iter().map(|e| (e.id, e.name.as_str()));
            (parent, to_json(pascal, pascal_id, items))
        })
        .collect()
}
