//! The five lookups that lead from a customer to the activity and kind to book on.

use std::fmt::Write;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::Deserialize;

use super::params::Text;
use super::{OpError, Operation, Ops, params};
use crate::store::{CallerId, SignedIn};
use crate::tidsreg::{LookupList, UpstreamError};

/// Input of the customers lookup.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct CustomersInput {
    /// Day the lookup is for, as YYYY-MM-DD; defaults to today when omitted. Turn words like "yesterday" or "last Friday" into a date first, and pass the day the user wants to book.
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
    /// Day the lookup is for, as YYYY-MM-DD; defaults to today when omitted. Turn words like "yesterday" or "last Friday" into a date first, and pass the day the user wants to book.
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
    /// Day the lookup is for, as YYYY-MM-DD; defaults to today when omitted. Turn words like "yesterday" or "last Friday" into a date first, and pass the day the user wants to book.
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
    /// Day the lookup is for, as YYYY-MM-DD; defaults to today when omitted. Turn words like "yesterday" or "last Friday" into a date first, and pass the day the user wants to book.
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

impl Operation for CustomersInput {
    type Output = Arc<LookupList>;
    async fn run(self, ops: &Ops, caller: &CallerId) -> Result<Self::Output, OpError> {
        ops.list_customers(caller, self).await
    }
}

impl Operation for ProjectsInput {
    type Output = Arc<LookupList>;
    async fn run(self, ops: &Ops, caller: &CallerId) -> Result<Self::Output, OpError> {
        ops.list_projects(caller, self).await
    }
}

impl Operation for PhasesInput {
    type Output = Arc<LookupList>;
    async fn run(self, ops: &Ops, caller: &CallerId) -> Result<Self::Output, OpError> {
        ops.list_phases(caller, self).await
    }
}

impl Operation for ActivitiesInput {
    type Output = Arc<LookupList>;
    async fn run(self, ops: &Ops, caller: &CallerId) -> Result<Self::Output, OpError> {
        ops.list_activities(caller, self).await
    }
}

impl Operation for KindsInput {
    type Output = Arc<LookupList>;
    async fn run(self, ops: &Ops, caller: &CallerId) -> Result<Self::Output, OpError> {
        ops.list_kinds(caller, self).await
    }
}

/// One dated level of the hierarchy: where it lives upstream and what its parent is called.
struct Level {
    path: &'static str,
    /// Name of the parent id, both in our API and upstream (they agree).
    parent: Option<&'static str>,
}

const CUSTOMERS: Level = Level {
    path: "/Find/SelectCustomers",
    parent: None,
};
const PROJECTS: Level = Level {
    path: "/Find/SelectProjects",
    parent: Some("customerId"),
};
const PHASES: Level = Level {
    path: "/Find/SelectPhases",
    parent: Some("projectId"),
};
const ACTIVITIES: Level = Level {
    path: "/Find/SelectActivities",
    parent: Some("phaseId"),
};

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
        self.list_level(caller, &CUSTOMERS, input).await
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
        self.list_level(caller, &PROJECTS, input).await
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
        self.list_level(caller, &PHASES, input).await
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
        self.list_level(caller, &ACTIVITIES, input).await
    }

    /// Kinds of work (billable, overtime…) allowed for a project's activity, by names.
    pub async fn list_kinds(
        &self,
        caller: &CallerId,
        input: KindsInput,
    ) -> Result<Arc<LookupList>, OpError> {
        let project = params::required("projectName", input.project_name.as_deref())?;
        let activity = params::required("activityName", input.activity_name.as_deref())?;
        let query = [("projectName", project), ("activityName", activity)];
        self.with_session(caller, |signed_in| async move {
            self.cached_lookup(&signed_in, "/Find/SelectKinds", &query)
                .await
        })
        .await
    }

    async fn list_level(
        &self,
        caller: &CallerId,
        level: &Level,
        input: ListInput<'_>,
    ) -> Result<Arc<LookupList>, OpError> {
        let parent = match level.parent {
            Some(field) => Some((
                field,
                params::id(field, input.parent_id.and_then(Text::as_deref))?,
            )),
            None => None,
        };
        let date = params::date_or_today("date", input.date.as_deref())?;
        // `Display` of a date is `YYYY-MM-DD`, the upstream's form, without parsing a format.
        let date = date.to_string();
        let parent_id = parent.map(|(field, id)| (field, id.to_string()));
        let mut query = vec![("date", date.as_str())];
        if let Some((field, id)) = &parent_id {
            query.insert(0, (field, id.as_str()));
        }
        let query = &query;
        self.with_session(caller, |signed_in| async move {
            self.cached_lookup(&signed_in, level.path, query).await
        })
        .await
    }

    /// A lookup through the session's cache: the key is the upstream request itself, each
    /// value prefixed by its length, since kinds are looked up by names that may hold `&`.
    pub(super) async fn cached_lookup(
        &self,
        signed_in: &SignedIn,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Arc<LookupList>, UpstreamError> {
        let mut key = String::with_capacity(64);
        key.push_str(path);
        for (name, value) in query {
            let _ = write!(key, "&{name}={}:{value}", value.len());
        }
        signed_in
            .lookups
            .get_or_fetch(&key, || async {
                let entries = self.tidsreg.lookup(&signed_in.upstream, path, query).await;
                entries.map(LookupList::from)
            })
            .await
    }
}
