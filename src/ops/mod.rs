//! One function per operation: raw input → validation → upstream → typed output. The REST
//! API and the MCP tools are thin adapters over these, so both agree by construction.

mod batch;
mod booking;
mod catalogue;
mod catalogue_walk;
mod copy_week;
mod error;
mod holidays;
pub mod hours;
mod lookups;
mod open_activities;
pub mod params;
mod report;
mod search;
mod search_index;
mod signin;
mod text_match;
mod week_sheet;

use std::collections::HashMap;
use std::sync::Arc;

use std::future::Future;

use bytes::Bytes;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use batch::{BatchAnswer, BatchInput, DayTotal, LineOutcome, LineStatus, MAX_BATCH_LINES};
pub use booking::{Booked, IDEMPOTENCY_WINDOW, RegisterInput};
pub use catalogue::{DEFAULT_REFRESH, IndexSettings};
pub use catalogue_walk::{MAX_IN_FLIGHT as INDEX_MAX_IN_FLIGHT, Progress as IndexProgress};
pub use copy_week::{CopyWeekInput, WeekCopy};
pub use error::OpError;
pub use hours::{HoursInput, WeekBounds, WeekHours, WeekInput};
pub use lookups::{ActivitiesInput, CustomersInput, KindsInput, PhasesInput, ProjectsInput};
pub use open_activities::NamedActivity;
pub use params::Text;
pub use report::{Report, ReportInput};
pub use search::{MatchKind, SearchAnswer, SearchHit, SearchInput, Searched};
pub use week_sheet::{SheetRow, WeekSheet};

use crate::settings::credentials::Credentials;
use crate::settings::serve_settings::DEFAULT_EXPECTED_HOURS;
use crate::store::{CallerId, Clock, Sessions, StateStore};
use crate::tidsreg::{LookupList, Tidsreg};

/// What every operation needs: the upstream client and the per-caller sessions.
#[derive(Clone, Debug)]
pub struct Ops {
    tidsreg: Tidsreg,
    sessions: Sessions,
    /// Where bookings are remembered for retries (and what else must outlive a request).
    store: StateStore,
    /// The time failed sign-ins are counted on.
    clock: Clock,
    /// Hours a working day should hold; fewer gives a warning in `get_hours`.
    expected_hours: f64,
    /// Stored logins (`tidsreg-gpt login`), by the caller they sign in.
    credentials: Arc<HashMap<CallerId, Credentials>>,
    /// Each Tidsreg user's catalogue index, as searched (and being built).
    catalogues: Arc<catalogue::Catalogues>,
    /// When the catalogue is indexed.
    index_settings: IndexSettings,
}

/// One operation as both transports call it. The input type is what REST parses a query
/// or body into and what MCP parses the tool's arguments into; its JSON Schema (doc comments
/// included) is the tool's input schema. So a REST call and a tool call of the same
/// operation agree by construction.
pub trait Operation: DeserializeOwned + JsonSchema + Send + 'static {
    /// The answer, as both transports send it.
    type Output: Answer + Send;

    /// Runs the operation for `caller`.
    fn run(
        self,
        ops: &Ops,
        caller: &CallerId,
    ) -> impl Future<Output = Result<Self::Output, OpError>> + Send;
}

/// The operations: each input type, the `Ops` method it runs, and what it answers. A new
/// operation is its method and input type in its file, one row here, one route row, one
/// tool and one schema entry.
macro_rules! operations {
    ($($input:ty => $method:ident -> $output:ty),* $(,)?) => {$(
        impl Operation for $input {
            type Output = $output;
            async fn run(self, ops: &Ops, caller: &CallerId) -> Result<$output, OpError> {
                ops.$method(caller, self).await
            }
        }
    )*};
}

operations!(
    LoginInput => login -> LoginOutput,
    CustomersInput => list_customers -> Arc<LookupList>,
    ProjectsInput => list_projects -> Arc<LookupList>,
    PhasesInput => list_phases -> Arc<LookupList>,
    ActivitiesInput => list_activities -> Arc<LookupList>,
    KindsInput => list_kinds -> Arc<LookupList>,
    HoursInput => get_hours -> WeekSheet,
    RegisterInput => register_hours -> Booked,
    BatchInput => register_hours_batch -> BatchAnswer,
    CopyWeekInput => copy_week -> WeekCopy,
    WeekInput => get_week -> WeekBounds,
    SearchInput => search -> SearchAnswer,
    ReportInput => get_report -> Report,
);

/// An operation's answer as JSON: the body REST sends, and MCP's structured content.
pub trait Answer {
    /// The JSON encoding, as REST sends it.
    fn to_json(&self) -> Result<Bytes, serde_json::Error>;

    /// The answer as one JSON object, as an MCP tool's structured content must be: the same
    /// as [`Answer::to_json`] for objects; a list is wrapped as `{"items": [...]}`.
    fn to_object(&self) -> Result<serde_json::Value, serde_json::Error>;

    /// The JSON Schema of [`Answer::to_object`]: the tool's output schema.
    fn object_schema() -> schemars::Schema
    where
        Self: Sized;
}

/// The schema of `T` as it is serialised (a field left out when empty is not required),
/// in JSON Schema 2020-12 as MCP output schemas are.
fn output_schema_for<T: JsonSchema>() -> schemars::Schema {
    schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>()
}

/// A list answer as one object (see [`Answer::to_object`]).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Items<T> {
    /// The entries, in the order REST answers them.
    pub items: T,
}

/// Every serialisable answer is encoded when asked; a cached lookup list keeps its own
/// encoding (see `tidsreg::LookupList`).
macro_rules! serialised_answers {
    ($($answer:ty),* $(,)?) => {$(
        impl Answer for $answer {
            fn to_json(&self) -> Result<Bytes, serde_json::Error> {
                serde_json::to_vec(self).map(Bytes::from)
            }

            fn to_object(&self) -> Result<serde_json::Value, serde_json::Error> {
                serde_json::to_value(self)
            }

            fn object_schema() -> schemars::Schema {
                output_schema_for::<$answer>()
            }
        }
    )*};
}

serialised_answers!(
    LoginOutput,
    WeekSheet,
    WeekBounds,
    Booked,
    BatchAnswer,
    WeekCopy,
    SearchAnswer,
    Report
);

impl Answer for Arc<LookupList> {
    fn to_json(&self) -> Result<Bytes, serde_json::Error> {
        Ok(self.json())
    }

    fn to_object(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(Items {
            items: self.as_ref(),
        })
    }

    fn object_schema() -> schemars::Schema {
        output_schema_for::<Items<Vec<crate::tidsreg::Lookup>>>()
    }
}

/// Input of `login`: the user's own Tidsreg username and password.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct LoginInput {
    /// The user's Tidsreg username.
    #[schemars(with = "String")]
    pub username: Text,
    /// The user's Tidsreg password. Never repeat it back to the user.
    #[serde(default)]
    #[schemars(with = "String")]
    pub password: Option<crate::settings::Secret>,
}

/// Answer of `login`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginOutput {
    pub signed_in: bool,
    pub username: String,
    pub message: String,
}

impl Ops {
    /// Operations over `tidsreg`, with sessions kept in `sessions` and booking records (and
    /// counts of failed sign-ins) in `store`, on `clock`.
    pub fn new(tidsreg: Tidsreg, sessions: Sessions, store: StateStore, clock: Clock) -> Self {
        Self {
            tidsreg,
            sessions,
            store,
            clock,
            expected_hours: DEFAULT_EXPECTED_HOURS,
            credentials: Arc::default(),
            catalogues: Arc::default(),
            index_settings: IndexSettings::default(),
        }
    }

    /// The state store (for `/health`).
    pub fn store(&self) -> &StateStore {
        &self.store
    }

    /// The per-caller Tidsreg sessions (OAuth grants keep theirs here too).
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// Signs `credentials.key_id`'s session in by itself, and again when it expires.
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        let caller = CallerId::api_key(&credentials.key_id);
        Arc::make_mut(&mut self.credentials).insert(caller, credentials);
        self
    }

    /// Indexes the catalogue as `settings` say.
    pub fn with_index_settings(mut self, settings: IndexSettings) -> Self {
        self.index_settings = settings;
        self
    }

    /// Warns about working days with fewer than `hours` booked.
    pub fn with_expected_hours(mut self, hours: f64) -> Self {
        self.expected_hours = hours;
        self
    }
}
