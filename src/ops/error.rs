//! The one error type of every operation. Each transport maps it once (HTTP status + JSON
//! in `api::error`; an MCP tool error with the same words), so both always agree.

use crate::store::StoreError;
use crate::tidsreg::UpstreamError;

/// Why an operation failed, phrased for the caller (often a language model): each message
/// says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error("{message}")]
    BadInput {
        field: &'static str,
        message: String,
    },
    #[error(
        "not signed in to Tidsreg yet: call `login` with the user's Tidsreg username and password, then retry this call"
    )]
    LoginRequired,
    #[error(
        "the Tidsreg session has expired: call `login` again with the user's Tidsreg username and password, then retry this call"
    )]
    SessionExpired,
    /// The Tidsreg session of an OAuth caller ended. It cannot call `login` (its session came
    /// from the sign-in page); its grant has ended with the session, so the client's next
    /// call is refused and the client signs the person in again.
    #[error(
        "the user's Tidsreg sign-in has ended: the next call will ask them to sign in to Tidsreg again through this connection; then retry this call"
    )]
    SignInEnded,
    #[error(
        "Tidsreg rejected the username or password: ask the user to check them and call `login` again"
    )]
    LoginRejected,
    #[error(
        "Tidsreg refused the stored password of this server's own login; the server's owner must run `tidsreg-gpt login` again"
    )]
    StoredLoginRejected,
    /// Tidsreg would not take a well-formed booking (unknown or closed activity, a kind not
    /// allowed), or an earlier attempt is still unsettled: a conflict with Tidsreg's state
    /// (409), not a malformed request.
    #[error("{0}")]
    Refused(String),
    /// Well-formed input naming something that does not exist (week 53 of a 52-week year).
    #[error("{message}")]
    NotFound {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Upstream(String),
    #[error(
        "Tidsreg did not answer in time; try again in a moment, and tell the user if it persists"
    )]
    UpstreamTimeout,
    /// The username failed to sign in too often lately.
    #[error(
        "too many failed sign-ins for this Tidsreg username lately; wait {retry_after_secs} seconds, check the username and password, then try again"
    )]
    TooManyFailedSignIns { retry_after_secs: u64 },
    /// Tidsreg took a booking but did not answer in time: it may or may not be stored.
    #[error(
        "Tidsreg did not answer in time, so it is not known whether the hours were booked: send the same booking again (with the same Idempotency-Key, if one was sent); it checks Tidsreg first and books only if the hours are not there"
    )]
    BookingInDoubt,
    /// The state store (sessions, idempotency records) did not answer: nothing was sent to
    /// Tidsreg.
    #[error("{0}; nothing was sent to Tidsreg")]
    StoreUnavailable(String),
}

impl From<StoreError> for OpError {
    fn from(error: StoreError) -> Self {
        tracing::warn!(%error, "state store call failed");
        Self::StoreUnavailable(error.to_string())
    }
}

impl OpError {
    /// A bad or missing input, naming the field so the caller can fix exactly that.
    pub fn bad_input(field: &'static str, message: impl Into<String>) -> Self {
        Self::BadInput {
            field,
            message: message.into(),
        }
    }

    /// A stable machine-readable code, documented in the schema.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadInput { .. } => "bad_request",
            Self::LoginRequired => "tidsreg_login_required",
            Self::SessionExpired | Self::SignInEnded => "tidsreg_session_expired",
            Self::LoginRejected | Self::StoredLoginRejected => "tidsreg_login_rejected",
            Self::Refused(_) => "refused",
            Self::NotFound { .. } => "not_found",
            Self::Upstream(_) => "upstream_error",
            Self::UpstreamTimeout | Self::BookingInDoubt => "upstream_timeout",
            Self::TooManyFailedSignIns { .. } => "rate_limited",
            Self::StoreUnavailable(_) => "store_unavailable",
        }
    }

    /// The offending input field, when there is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::BadInput { field, .. } | Self::NotFound { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl From<UpstreamError> for OpError {
    fn from(error: UpstreamError) -> Self {
        match error {
            UpstreamError::LoginRejected => Self::LoginRejected,
            UpstreamError::SessionExpired => Self::SessionExpired,
            UpstreamError::Timeout => Self::UpstreamTimeout,
            // What Tidsreg said, and where it is, is for the log: its body may quote internal
            // hosts or traces, and the transport error names the upstream URL and address.
            UpstreamError::Status { status, excerpt } => {
                tracing::warn!(status, excerpt = %excerpt, "Tidsreg answered an error");
                Self::Upstream(format!(
                    "Tidsreg answered HTTP {status}; try again in a moment, and tell the user if it persists"
                ))
            }
            UpstreamError::Unreachable(detail) => {
                tracing::warn!(detail = %detail, "cannot reach Tidsreg");
                Self::Upstream(
                    "cannot reach Tidsreg; try again in a moment, and tell the user if it persists"
                        .into(),
                )
            }
            UpstreamError::BadAnswer(detail) => Self::Upstream(format!(
                "Tidsreg answered something unexpected ({detail}); try again in a moment"
            )),
        }
    }
}

/// The upstream's words, when they are short text worth quoting, never an HTML page.
pub(super) fn readable(excerpt: &str) -> Option<&str> {
    (!excerpt.is_empty() && !excerpt.starts_with('<')).then_some(excerpt)
}
