//! Each Tidsreg user's catalogue: every place they can book (customer → project → phase →
//! activity), kept in the state store so that after a restart a search answers from it at
//! once instead of walking thousands of lookups again.
//!
//! It is kept flat, each entry naming its parent by position, because it is built that way:
//! lookups answer in any order, and appending never moves what is already there.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Collection, StateStore, StoreError};
use crate::tidsreg::Lookup;

/// How long an unused catalogue is kept: a person who has not signed in for a month gets a
/// fresh one built at the next sign-in, and the store does not keep everyone's forever.
pub const CATALOGUE_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// One project, phase or activity, under the entry at `parent` of the level above.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Child {
    pub parent: u32,
    pub id: u64,
    pub name: String,
}

/// A user's catalogue, whole or (while it is being built) in part.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalogue {
    /// When the walk that built it ended (unix ms on the store's clock); 0 while building.
    pub built_at_ms: u64,
    pub customers: Vec<Lookup>,
    pub projects: Vec<Child>,
    pub phases: Vec<Child>,
    pub activities: Vec<Child>,
}

/// One full path, as positions in each level of a [`Catalogue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathAt {
    pub customer: usize,
    pub project: usize,
    pub phase: usize,
    pub activity: usize,
}

impl Catalogue {
    /// Every full path down to an activity (a part-built catalogue has fewer).
    pub fn paths(&self) -> impl Iterator<Item = PathAt> + '_ {
        self.activities.iter().enumerate().map(|(activity, a)| {
            let phase = a.parent as usize;
            let project = self.phases[phase].parent as usize;
            let customer = self.projects[project].parent as usize;
            PathAt {
                customer,
                project,
                phase,
                activity,
            }
        })
    }
}

/// The record key of `username`'s catalogue at the upstream `base`: hashed, so the store
/// holds no username in its keys, and per upstream, so two Tidsregs never mix.
pub fn catalogue_key(base: &str, username: &str) -> String {
    let who = format!("{base}\n{}", username.trim().to_lowercase());
    crate::settings::secret::sha256_hex(&who)
}

impl StateStore {
    /// The catalogue kept under `key`, if any.
    pub async fn catalogue(&self, key: &str) -> Result<Option<Catalogue>, StoreError> {
        self.get(Collection::Catalogues, key).await
    }

    /// Keeps `catalogue` under `key` for [`CATALOGUE_TTL`], replacing the one before.
    pub async fn keep_catalogue(&self, key: &str, catalogue: &Catalogue) -> Result<(), StoreError> {
        self.put(Collection::Catalogues, key, catalogue, Some(CATALOGUE_TTL))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Clock;
    use crate::store::sqlite::Sqlite;

    fn child(parent: u32, id: u64, name: &str) -> Child {
        Child {
            parent,
            id,
            name: name.into(),
        }
    }

    #[tokio::test]
    async fn a_catalogue_survives_the_store_and_walks_its_paths() {
        let catalogue = Catalogue {
            built_at_ms: 7,
            customers: vec![Lookup {
                id: 1,
                name: "Ærø".into(),
            }],
            projects: vec![child(0, 2, "P")],
            phases: vec![child(0, 3, "F")],
            activities: vec![child(0, 4, "A"), child(0, 5, "B")],
        };
        let paths: Vec<PathAt> = catalogue.paths().collect();
        assert_eq!(paths.len(), 2);
        assert_eq!(paths[1].activity, 1);
        let store = StateStore::new(Sqlite::in_memory(Clock::system()).unwrap());
        let key = catalogue_key("http://t", "Demo");
        assert_eq!(key, catalogue_key("http://t", " demo"));
        assert_ne!(key, catalogue_key("http://other", "demo"));
        store.keep_catalogue(&key, &catalogue).await.unwrap();
        assert_eq!(store.catalogue(&key).await.unwrap(), Some(catalogue));
    }
}
