//! [`LastEventId`]: the `Last-Event-ID` header, or `?lastEventId=`, as a request guard.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use sse_core::last_event_id::LAST_EVENT_ID;

use crate::Error;

/// The `Last-Event-ID` a reconnecting client sent (`None` on a first connection).
///
/// Read from the header as UTF-8 (non-ASCII ids work), falling back to the `lastEventId`
/// query parameter. A too-long id fails the guard with 400; take `Result<LastEventId, Error>`
/// to answer that error as JSON yourself. Rocket drops header values that are not UTF-8
/// before any guard runs, so such an id reads as absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastEventId(pub Option<sse_core::LastEventId>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for LastEventId {
    type Error = Error;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Error> {
        let header = request.headers().get_one(LAST_EVENT_ID).map(str::as_bytes);
        let query = request.uri().query().map(|query| query.as_str());
        match sse_core::LastEventId::from_header_or_query(header, query) {
            Ok(id) => Outcome::Success(LastEventId(id)),
            Err(error) => Outcome::Error((Status::BadRequest, error.into())),
        }
    }
}
