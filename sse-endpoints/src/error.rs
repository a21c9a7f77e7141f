//! [`EndpointError`]: why an endpoint refused a request, with its status and JSON body.

use std::fmt;
use std::time::Duration;

use sse_core::http::HttpError;
use sse_core::{EventError, HubError, LastEventIdError};

use crate::auth::Denied;
use crate::idempotency::InvalidKey;
use crate::limits::LimitError;
use crate::publish::MAX_RETRY_MS;

/// Why an endpoint refused a request.
#[derive(Debug)]
#[non_exhaustive]
pub enum EndpointError {
    /// The authorization hook said no.
    Denied(Denied),
    /// The request body is larger than the limit.
    BodyTooLarge {
        /// The limit, in bytes.
        max: usize,
    },
    /// The request body could not be read to its end.
    InvalidBody(String),
    /// The request body was not read within the [body timeout](crate::HubEndpoints::body_timeout).
    BodyTimeout {
        /// The timeout.
        after: Duration,
    },
    /// A limit refused the request (429).
    Limit(LimitError),
    /// The publish body is not the expected JSON.
    InvalidJson(serde_json::Error),
    /// The event name is not valid.
    InvalidEvent(EventError),
    /// The event name is one of the hub's own ([`RESERVED_EVENTS`](sse_core::hub::RESERVED_EVENTS)).
    ReservedEvent(String),
    /// The `retry` is longer than [`MAX_RETRY_MS`].
    InvalidRetry {
        /// The `retry` asked for, in milliseconds.
        ms: u64,
    },
    /// The idempotency key is empty, too long, or not UTF-8.
    InvalidIdempotencyKey(InvalidKey),
    /// The idempotency key was used, within its window, for another event on the topic.
    IdempotencyKeyReused,
    /// The publish body is not declared `application/json`.
    UnsupportedMediaType,
    /// The `Last-Event-ID` cannot be used.
    LastEventId(LastEventIdError),
    /// The hub refused.
    Hub(HubError),
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndpointError::Denied(Denied::Unauthorized) => f.write_str("authentication required"),
            EndpointError::Denied(Denied::InvalidToken) => {
                f.write_str("the credentials are invalid or expired")
            }
            EndpointError::Denied(Denied::Forbidden) => f.write_str("not allowed for these topics"),
            EndpointError::BodyTooLarge { max } => {
                write!(f, "the request body is larger than {max} bytes")
            }
            EndpointError::InvalidBody(error) => {
                write!(f, "the request body is unreadable: {error}")
            }
            EndpointError::BodyTimeout { after } => {
                write!(f, "the request body was not received within {after:?}")
            }
            EndpointError::Limit(error) => error.fmt(f),
            EndpointError::InvalidJson(error) => write!(f, "invalid publish request: {error}"),
            EndpointError::InvalidEvent(error) => error.fmt(f),
            EndpointError::ReservedEvent(name) => write!(
                f,
                "the event name {name:?} is reserved for the hub's own notices"
            ),
            EndpointError::InvalidRetry { ms } => {
                write!(
                    f,
                    "retry {ms} ms is longer than the maximum, {MAX_RETRY_MS} ms"
                )
            }
            EndpointError::InvalidIdempotencyKey(error) => error.fmt(f),
            EndpointError::IdempotencyKeyReused => {
                f.write_str("the idempotency key was already used for another event on this topic")
            }
            EndpointError::UnsupportedMediaType => {
                f.write_str("a publish body must be sent with content-type: application/json")
            }
            EndpointError::LastEventId(error) => error.fmt(f),
            EndpointError::Hub(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for EndpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EndpointError::Limit(error) => Some(error),
            EndpointError::InvalidJson(error) => Some(error),
            EndpointError::InvalidEvent(error) => Some(error),
            EndpointError::InvalidIdempotencyKey(error) => Some(error),
            EndpointError::LastEventId(error) => Some(error),
            EndpointError::Hub(error) => Some(error),
            _ => None,
        }
    }
}

impl HttpError for EndpointError {
    fn status(&self) -> u16 {
        match self {
            EndpointError::Denied(Denied::Unauthorized | Denied::InvalidToken) => 401,
            EndpointError::Denied(Denied::Forbidden) => 403,
            EndpointError::BodyTooLarge { .. } => 413,
            EndpointError::InvalidBody(_)
            | EndpointError::InvalidJson(_)
            | EndpointError::ReservedEvent(_)
            | EndpointError::InvalidRetry { .. }
            | EndpointError::InvalidIdempotencyKey(_) => 400,
            EndpointError::InvalidEvent(_) | EndpointError::IdempotencyKeyReused => 422,
            EndpointError::UnsupportedMediaType => 415,
            EndpointError::BodyTimeout { .. } => 408,
            EndpointError::Limit(error) => error.status(),
            EndpointError::LastEventId(error) => error.status(),
            EndpointError::Hub(error) => HttpError::status(error),
        }
    }

    fn retry_after(&self) -> Option<u32> {
        match self {
            EndpointError::Hub(error) => error.retry_after(),
            EndpointError::Limit(error) => error.retry_after(),
            _ => None,
        }
    }

    fn www_authenticate(&self) -> Option<&str> {
        match self {
            EndpointError::Denied(denied) => denied.challenge(),
            _ => None,
        }
    }

    fn code(&self) -> &str {
        match self {
            EndpointError::Denied(Denied::Unauthorized) => "unauthorized",
            EndpointError::Denied(Denied::InvalidToken) => "invalid_token",
            EndpointError::Denied(Denied::Forbidden) => "forbidden",
            EndpointError::BodyTooLarge { .. } => "body_too_large",
            EndpointError::InvalidBody(_) => "invalid_body",
            EndpointError::BodyTimeout { .. } => "body_timeout",
            EndpointError::Limit(error) => error.code(),
            EndpointError::InvalidJson(_) => "invalid_json",
            EndpointError::InvalidEvent(error) => error.code(),
            EndpointError::ReservedEvent(_) => "reserved_event",
            EndpointError::InvalidRetry { .. } => "invalid_retry",
            EndpointError::InvalidIdempotencyKey(_) => "invalid_idempotency_key",
            EndpointError::IdempotencyKeyReused => "idempotency_key_reused",
            EndpointError::UnsupportedMediaType => "unsupported_media_type",
            EndpointError::LastEventId(error) => error.code(),
            EndpointError::Hub(error) => HttpError::code(error),
        }
    }
}

impl From<HubError> for EndpointError {
    fn from(error: HubError) -> Self {
        EndpointError::Hub(error)
    }
}

impl From<LastEventIdError> for EndpointError {
    fn from(error: LastEventIdError) -> Self {
        EndpointError::LastEventId(error)
    }
}

impl From<LimitError> for EndpointError {
    fn from(error: LimitError) -> Self {
        EndpointError::Limit(error)
    }
}

impl From<Denied> for EndpointError {
    fn from(denied: Denied) -> Self {
        EndpointError::Denied(denied)
    }
}
