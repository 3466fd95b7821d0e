//! The five lookups that lead from a customer to the activity and kind to book on.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Deserialize;

use super::params::Text;
use super::{OpError, Ops, params};
use crate::store::{CallerId, SignedIn};
use crate::tidsreg::{LookupList, LookupRequest, UpstreamError};

/// Input of the customers lookup.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct CustomersInput {
    /// Day the lookup is for, as YYYY-MM-DD (year 1900 to 2200); defaults to today when omitted. Turn words like "yesterday" or "last Friday" into a date first, and pass the day the user wants to book.
    #[serde(default)]
    #[schemars(with = "String", extend("format" = "date"))]
    pub date: Text,
}

/// Input of the projects lookup.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectsInput {
    /// Id of the customer, from the customers lookup.
    #[schemars(with = "u64", range(min = 1))]
    pub customer_id: Text,
    /// Day the lookup is for, as YYYY-MM-DD (year 1900 to 2200); defaults to today when omitted. Turn words like "yesterday" or "last Friday" into a date first, and pass the day the user wants to book.
    #[serde(default)]
    #[schemars(with = "String", extend("format" = "date"))]
    pub date: Text,
}

/// Input of the phases lookup.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PhasesInput {
    /// Id of the project, from the projects lookup.
    #[schemars(with = "u64", range(min = 1))]
    pub project_id: Text,
    /// Day the lookup is for, as YYYY-MM-DD (year 1900 to 2200); defaults to today when omitted. Turn words like "yesterday" or "last Friday" into a date first, and pass the day the user wants to book.
    #[serde(default)]
    #[schemars(with = "String", extend("format" = "date"))]
    pub date: Text,
}

/// Input of the activities lookup.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivitiesInput {
    /// Id of the phase, from the phases lookup.
    #[schemars(with = "u64", range(min = 1))]
    pub phase_id: Text,
    /// Day the lookup is for, as YYYY-MM-DD (year 1900 to 2200); defaults to today when omitted. Turn words like "yesterday" or "last Friday" into a date first, and pass the day the user wants to book.
    #[serde(default)]
    #[schemars(with = "String", extend("format" = "date"))]
    pub date: Text,
}

/// Input of the kinds lookup: kinds are looked up by names, not ids.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KindsInput {
    /// Exact name of the project, as the projects lookup gave it (not its id).
    #[schemars(with = "String")]
    pub project_name: Text,
    /// Exact name of the activity, as the activities lookup gave it (not its id).
    #[schemars(with = "String")]
    pub activity_name: Text,
}

/// A dated lookup's input: the parent's id (absent for customers) and the date.
struct ListInput<'a> {
    parent_id: Option<&'a Text>,
    date: &'a Text,
}

/// One dated level of the hierarchy, customers down to activities.
#[derive(Clone, Copy)]
enum Level {
    Customers,
    Projects,
    Phases,
    Activities,
}

impl Ops {
    /// Customers the signed-in person can book on at `date`.
    pub async fn list_customers(
        &self,
        caller: &CallerId,
        input: CustomersInput,
    ) -> Result<Arc<LookupList>, OpError> {
        let input = ListInput {
            parent_id: None,
            date: &input.date,
        };
        self.list_level(caller, Level::Customers, input).await
    }

    /// Projects of a customer.
    pub async fn list_projects(
        &self,
        caller: &CallerId,
        input: ProjectsInput,
    ) -> Result<Arc<LookupList>, OpError> {
        let input = ListInput {
            parent_id: Some(&input.customer_id),
            date: &input.date,
        };
        self.list_level(caller, Level::Projects, input).await
    }

    /// Phases of a project.
    pub async fn list_phases(
        &self,
        caller: &CallerId,
        input: PhasesInput,
    ) -> Result<Arc<LookupList>, OpError> {
        let input = ListInput {
            parent_id: Some(&input.project_id),
            date: &input.date,
        };
        self.list_level(caller, Level::Phases, input).await
    }

    /// Activities of a phase: the things hours are booked on.
    pub async fn list_activities(
        &self,
        caller: &CallerId,
        input: ActivitiesInput,
    ) -> Result<Arc<LookupList>, OpError> {
        let input = ListInput {
            parent_id: Some(&input.phase_id),
            date: &input.date,
        };
        self.list_level(caller, Level::Activities, input).await
    }

    /// Kinds of work (billable, overtime…) allowed for a project's activity, by names.
    pub async fn list_kinds(
        &self,
        caller: &CallerId,
        input: KindsInput,
    ) -> Result<Arc<LookupList>, OpError> {
        let project_name = params::required("projectName", input.project_name.as_deref())?;
        let activity_name = params::required("activityName", input.activity_name.as_deref())?;
        let request = &LookupRequest::Kinds {
            project_name,
            activity_name,
        };
        self.with_session(caller, |signed_in| async move {
            self.cached_lookup(&signed_in, request).await
        })
        .await
    }

    async fn list_level(
        &self,
        caller: &CallerId,
        level: Level,
        input: ListInput<'_>,
    ) -> Result<Arc<LookupList>, OpError> {
        // The parent's id is checked before the date, under its name in our API.
        let parent_id = |field| params::id(field, input.parent_id.and_then(Text::as_deref));
        let date = || params::date_or_today("date", input.date.as_deref());
        let request = &match level {
            Level::Customers => LookupRequest::Customers { date: date()? },
            Level::Projects => LookupRequest::Projects {
                customer_id: parent_id("customerId")?,
                date: date()?,
            },
            Level::Phases => LookupRequest::Phases {
                project_id: parent_id("projectId")?,
                date: date()?,
            },
            Level::Activities => LookupRequest::Activities {
                phase_id: parent_id("phaseId")?,
                date: date()?,
            },
        };
        self.with_session(caller, |signed_in| async move {
            let answer = self.cached_lookup(&signed_in, request).await?;
            self.compare_with_index(caller, &signed_in, request, &answer)
                .await;
            Ok(answer)
        })
        .await
    }

    /// A lookup through the session's cache, keyed by the request: the same request within
    /// the cache's lifetime is fetched once.
    pub(super) async fn cached_lookup(
        &self,
        signed_in: &SignedIn,
        request: &LookupRequest<'_>,
    ) -> Result<Arc<LookupList>, UpstreamError> {
        signed_in
            .lookups
            .get_or_fetch(&request.cache_key(), || async {
                let entries = self.tidsreg.lookup(&signed_in.upstream, request).await;
                entries.map(LookupList::from)
            })
            .await
    }
}
