//! [`routes`]: the hub's `GET /events` and `POST /publish`, as rocket routes.

use std::sync::Arc;

use rocket::Request;
use rocket::data::{Data, ToByteUnit};
use rocket::http::Method;
use rocket::response::content::RawJson;
use rocket::route::{Handler, Outcome, Route};
use sse_core::endpoints::{Authorize, HubEndpoints};
use sse_core::last_event_id::HEADER;

use crate::{Error, Sse};

/// `GET /events?topic=...` (subscribe, resuming after `Last-Event-ID`) and `POST /publish`
/// (`{"topic","data","event"?,"retry"?}` -> `{"id"}`), with the statuses documented in
/// [`sse_core::endpoints`]. Mount them: `rocket.mount("/", routes(endpoints))`.
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
            .subscribe(query, header, |access| {
                endpoints.authorizer().authorize(request, access)
            })
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
        let (body, truncated) = match data.open(endpoints.body_limit().bytes()).into_bytes().await {
            Ok(capped) => {
                let complete = capped.is_complete();
                (capped.into_inner(), !complete)
            }
            Err(error) => {
                return Outcome::from(request, Error::new(400, "invalid_body", &error.to_string()));
            }
        };
        let result = endpoints
            .publish(&body, truncated, |access| {
                endpoints.authorizer().authorize(request, access)
            })
            .map(|published| RawJson(published.json_body()))
            .map_err(Error::from);
        Outcome::from(request, result)
    }
}
