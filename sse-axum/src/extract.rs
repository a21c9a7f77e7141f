//! [`LastEventId`]: the `Last-Event-ID` header as raw UTF-8 bytes, or `?lastEventId=`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sse_core::last_event_id::LAST_EVENT_ID;

use crate::Error;

/// The `Last-Event-ID` a reconnecting client sent (`None` on a first connection).
///
/// Read from the header's raw bytes as UTF-8 (so non-ASCII ids work), falling back to the
/// `lastEventId` query parameter. An id that is not UTF-8 or is too long is a 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastEventId(pub Option<sse_core::LastEventId>);

impl<S: Send + Sync> FromRequestParts<S> for LastEventId {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Error> {
        let header = parts
            .headers
            .get(LAST_EVENT_ID)
            .map(|value| value.as_bytes());
        Ok(LastEventId(sse_core::LastEventId::from_header_or_query(
            header,
            parts.uri.query(),
        )?))
    }
}
