//! [`routes`]: the hub's `GET /events` and `POST /publish`, as rocket routes.

use std::sync::Arc;

use rocket::Request;
use rocket::data::{Data, ToByteUnit};
use rocket::http::Method;
use rocket::response::content::RawJson;
use rocket::route::{Handler, Outcome, Route};
use sse_core::http::endpoints::{Authorize, HubEndpoints, RequestBody};
use sse_core::http::idempotency;
use sse_core::last_event_id::HEADER;

use crate::{Error, Sse};

/// `GET /events?topic=...` (subscribe, resuming after `Last-Event-ID`) and `POST /publish`
/// (`{"topic","data","event"?,"retry"?,"idempotency_key"?}` -> `{"id"}`, the key also from
/// an `Idempotency-Key` header), with the statuses documented in
/// [`sse_core::http::endpoints`]. Mount them: `rocket.mount("/", routes(endpoints))`.
pub fn routes<A: for<'a> Authorize<Request<'a>>>(endpoints: HubEndpoints<A>) -> Vec<Route> {
    let endpoints = Arc::new(endpoints);
    vec![
        Route::new(Method::Get, "/events", Subscribe(endpoints.clone())),
        Route::new(Method::Post, "/publish", Publish(endpoints)),
    ]
}

struct Subscribe<A>(Arc<HubEndpoints<A>>);

impl<A> Clone for Subscribe<A> {
    fn clone(&self) -> Self {
        Subscribe(self.0.clone())
    }
}

#[rocket::async_trait]
impl<A: for<'a> Authorize<Request<'a>>> Handler for Subscribe<A> {
    async fn handle<'r>(&self, request: &'r Request<'_>, _data: Data<'r>) -> Outcome<'r> {
        let endpoints = &self.0;
        let header = request.headers().get_one(HEADER).map(str::as_bytes);
        let query = request.uri().query().map(|query| query.as_str());
        let result = endpoints
            .subscribe(request, query, header)
            .map(Sse::from)
            .map_err(Error::from);
        Outcome::from(request, result)
    }
}

struct Publish<A>(Arc<HubEndpoints<A>>);

impl<A> Clone for Publish<A> {
    fn clone(&self) -> Self {
        Publish(self.0.clone())
    }
}

#[rocket::async_trait]
impl<A: for<'a> Authorize<Request<'a>>> Handler for Publish<A> {
    async fn handle<'r>(&self, request: &'r Request<'_>, data: Data<'r>) -> Outcome<'r> {
        let endpoints = &self.0;
        let body = read_body(request, data, endpoints.max_body_bytes()).await;
        let key = request
            .headers()
            .get_one(idempotency::HEADER)
            .map(str::as_bytes);
        let result = endpoints
            .publish(request, key, body)
            .await
            .map(|published| RawJson(published.json_body()))
            .map_err(Error::from);
        Outcome::from(request, result)
    }
}

/// Reads the body up to `limit`. Rocket reports a body that ends early (the client closed
/// before sending its declared length) as a short, complete one, so the length is checked
/// here.
async fn read_body(request: &Request<'_>, data: Data<'_>, limit: usize) -> RequestBody {
    let declared: Option<usize> = request
        .headers()
        .get_one("content-length")
        .and_then(|length| length.parse().ok());
    match data.open(limit.bytes()).into_bytes().await {
        Ok(capped) if !capped.is_complete() => RequestBody::OverLimit,
        Ok(capped) => match declared {
            Some(declared) if declared != capped.len() => RequestBody::Unreadable(format!(
                "the body ended after {} of its {declared} declared bytes",
                capped.len()
            )),
            _ => RequestBody::Complete(capped.into_inner().into()),
        },
        Err(error) => RequestBody::Unreadable(error.to_string()),
    }
}
