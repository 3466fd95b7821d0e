//! The five catalogue lookups as typed requests. This is the one place that knows where they
//! live upstream (`/Find/Select…`) and what their query parameters are called.

use std::fmt::{self, Write};

use chrono::NaiveDate;
use url::form_urlencoded;

/// Every lookup is sent with `mode=0`: time registration (`2` would be vouchers).
const MODE: &str = "mode=0";
/// What a lookup's query usually holds: an id and a date, well under this many bytes.
const TYPICAL_LEN: usize = 64;

/// One catalogue lookup: which level, under which parent, at which date. Callers cache the
/// answers by it ([`Self::cache_key`]) without knowing how it travels upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LookupRequest<'a> {
    /// Customers the person can book on at `date`.
    Customers { date: NaiveDate },
    /// Projects of a customer.
    Projects { customer_id: u64, date: NaiveDate },
    /// Phases of a project.
    Phases { project_id: u64, date: NaiveDate },
    /// Activities of a phase: the things hours are booked on.
    Activities { phase_id: u64, date: NaiveDate },
    /// Kinds of hours allowed on an activity; upstream looks them up by names, not ids.
    Kinds {
        project_name: &'a str,
        activity_name: &'a str,
    },
}

impl LookupRequest<'_> {
    /// A key that tells any two different requests apart, for a cache of answers.
    pub fn cache_key(&self) -> String {
        let mut key = String::with_capacity(TYPICAL_LEN);
        let _ = write!(key, "{self}");
        key
    }

    /// The upstream path and query, e.g.
    /// `/Find/SelectProjects?mode=0&customerId=20417&date=2025-06-02`. Ids and dates need no
    /// escaping; names are form-encoded.
    pub(super) fn path_and_query(&self) -> String {
        let mut url = String::with_capacity(TYPICAL_LEN);
        // `Display` of a date is `YYYY-MM-DD`, the upstream's form, without parsing a format.
        let _ = match *self {
            Self::Customers { date } => write!(url, "/Find/SelectCustomers?{MODE}&date={date}"),
            Self::Projects { customer_id, date } => write!(
                url,
                "/Find/SelectProjects?{MODE}&customerId={customer_id}&date={date}"
            ),
            Self::Phases { project_id, date } => write!(
                url,
                "/Find/SelectPhases?{MODE}&projectId={project_id}&date={date}"
            ),
            Self::Activities { phase_id, date } => write!(
                url,
                "/Find/SelectActivities?{MODE}&phaseId={phase_id}&date={date}"
            ),
            Self::Kinds {
                project_name,
                activity_name,
            } => {
                url.extend(["/Find/SelectKinds?", MODE, "&projectName="]);
                url.extend(form_urlencoded::byte_serialize(project_name.as_bytes()));
                url.push_str("&activityName=");
                url.extend(form_urlencoded::byte_serialize(activity_name.as_bytes()));
                Ok(())
            }
        };
        url
    }
}

/// Readable, and unambiguous: names are prefixed by their length, since they may hold
/// anything, including the words around them.
impl fmt::Display for LookupRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Customers { date } => write!(f, "customers at {date}"),
            Self::Projects { customer_id, date } => {
                write!(f, "projects of customer {customer_id} at {date}")
            }
            Self::Phases { project_id, date } => {
                write!(f, "phases of project {project_id} at {date}")
            }
            Self::Activities { phase_id, date } => {
                write!(f, "activities of phase {phase_id} at {date}")
            }
            Self::Kinds {
                project_name,
                activity_name,
            } => write!(
                f,
                "kinds of activity {}:{activity_name} in project {}:{project_name}",
                activity_name.len(),
                project_name.len()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 2).expect("valid date")
    }

    #[test]
    fn dated_levels_send_mode_parent_and_date() {
        let date = date();
        let cases = [
            (
                LookupRequest::Customers { date },
                "/Find/SelectCustomers?mode=0&date=2025-06-02",
            ),
            (
                LookupRequest::Projects {
                    customer_id: 20417,
                    date,
                },
                "/Find/SelectProjects?mode=0&customerId=20417&date=2025-06-02",
            ),
            (
                LookupRequest::Phases {
                    project_id: 2201,
                    date,
                },
                "/Find/SelectPhases?mode=0&projectId=2201&date=2025-06-02",
            ),
            (
                LookupRequest::Activities {
                    phase_id: 3201,
                    date,
                },
                "/Find/SelectActivities?mode=0&phaseId=3201&date=2025-06-02",
            ),
        ];
        for (request, expected) in cases {
            assert_eq!(request.path_and_query(), expected);
        }
    }

    #[test]
    fn kinds_send_form_encoded_names() {
        let request = LookupRequest::Kinds {
            project_name: "Intern tid & drift",
            activity_name: "Møder",
        };
        assert_eq!(
            request.path_and_query(),
            "/Find/SelectKinds?mode=0&projectName=Intern+tid+%26+drift&activityName=M%C3%B8der"
        );
    }

    #[test]
    fn cache_keys_tell_requests_apart() {
        let date = date();
        let next_day = date.succ_opt().expect("a next day");
        let kinds = |project_name, activity_name| LookupRequest::Kinds {
            project_name,
            activity_name,
        };
        let requests = [
            LookupRequest::Customers { date },
            LookupRequest::Customers { date: next_day },
            LookupRequest::Projects {
                customer_id: 1,
                date,
            },
            LookupRequest::Phases {
                project_id: 1,
                date,
            },
            LookupRequest::Activities { phase_id: 1, date },
            LookupRequest::Activities { phase_id: 11, date },
            kinds("a in project 1:b", "c"),
            kinds("b", "c in project 16:a in project 1"),
        ];
        let keys: std::collections::HashSet<String> =
            requests.iter().map(LookupRequest::cache_key).collect();
        assert_eq!(keys.len(), requests.len(), "{keys:?}");
        assert_eq!(
            requests[2].cache_key(),
            LookupRequest::Projects {
                customer_id: 1,
                date
            }
            .cache_key()
        );
        assert_eq!(
            requests[2].cache_key(),
            "projects of customer 1 at 2025-06-02"
        );
    }
}
