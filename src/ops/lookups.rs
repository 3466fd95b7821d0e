//! The five lookups that lead from a customer to the activity and kind to book on.

use std::sync::Arc;

use super::{OpError, Ops, params};
use crate::store::{CallerId, SignedIn};
use crate::tidsreg::{LookupList, LookupRequest, UpstreamError};

/// Input of the dated lookups: the parent's id (absent for customers) and the date.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListInput {
    pub parent_id: Option<String>,
    pub date: Option<String>,
}

/// Input of `list_kinds`: kinds are looked up by names, not ids.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KindsInput {
    pub project_name: Option<String>,
    pub activity_name: Option<String>,
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
        input: ListInput,
    ) -> Result<Arc<LookupList>, OpError> {
        self.list_level(caller, Level::Customers, input).await
    }

    /// Projects of a customer.
    pub async fn list_projects(
        &self,
        caller: &CallerId,
        input: ListInput,
    ) -> Result<Arc<LookupList>, OpError> {
        self.list_level(caller, Level::Projects, input).await
    }

    /// Phases of a project.
    pub async fn list_phases(
        &self,
        caller: &CallerId,
        input: ListInput,
    ) -> Result<Arc<LookupList>, OpError> {
        self.list_level(caller, Level::Phases, input).await
    }

    /// Activities of a phase: the things hours are booked on.
    pub async fn list_activities(
        &self,
        caller: &CallerId,
        input: ListInput,
    ) -> Result<Arc<LookupList>, OpError> {
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
        input: ListInput,
    ) -> Result<Arc<LookupList>, OpError> {
        // The parent's id is checked before the date, under its name in our API.
        let parent_id = |field| params::id(field, input.parent_id.as_deref());
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
            self.cached_lookup(&signed_in, request).await
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
