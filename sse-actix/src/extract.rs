//! [`LastEventId`]: the `Last-Event-ID` header as raw UTF-8 bytes, or `?lastEventId=`.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use sse_core::last_event_id::LAST_EVENT_ID;

use crate::Error;

/// The `Last-Event-ID` a reconnecting client sent (`None` on a first connection).
///
/// Read from the header's raw bytes as UTF-8 (so non-ASCII ids work), falling back to the
/// `lastEventId` query parameter. An id that is not UTF-8 or is too long is a 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastEventId(pub Option<sse_core::LastEventId>);

impl FromRequest for LastEventId {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let header = request
            .headers()
            .get(LAST_EVENT_ID)
            .map(|value| value.as_bytes());
        let query = Some(request.query_string()).filter(|query| !query.is_empty());
        ready(
            sse_core::LastEventId::from_header_or_query(header, query)
                .map(LastEventId)
                .map_err(Error::from),
        )
    }
}
