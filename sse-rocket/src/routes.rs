//! [`routes`]: the hub's `GET /events` and `POST /publish`, as rocket routes.

use std::sync::Arc;

use rocket::Request;
use rocket::data::{Data, ToByteUnit};
use rocket::http::Method;
use rocket::response::content::RawJson;
use rocket::route::{Handler, Outcome, Route};
use sse_core::endpoints::{Access, Denied, HubEndpoints};
use sse_core::last_event_id::HEADER;

use crate::{Error, Sse};

/// The authorization hook: called with the request and the topics it asks for.
/// `()` allows everything; any `Fn(&Request, Access) -> Result<(), Denied>` closure works.
pub trait Authorize: Send + Sync + 'static {
    /// Allows or denies `access` for `request`.
    fn authorize(&self, request: &Request<'_>, access: Access<'_>) -> Result<(), Denied>;
}

impl Authorize for () {
    fn authorize(&self, _: &Request<'_>, _: Access<'_>) -> Result<(), Denied> {
        Ok(())
    }
}

impl<F> Authorize for F
where
    F: Fn(&Request<'_>, Access<'_>) -> Result<(), Denied> + Send + Sync + 'static,
{
    fn authorize(&self, request: &Request<'_>, access: Access<'_>) -> Result<(), Denied> {
        self(request, access)
    }
}

/// `GET /events?topic=...` (subscribe, resuming after `Last-Event-ID`) and `POST /publish`
/// (`{"topic","data","event"?,"retry"?}` -> `{"id"}`), with the statuses documented in
/// [`sse_core::endpoints`]. Mount them: `rocket.mount("/", routes(endpoints))`.
pub fn routes<A: Authorize>(endpoints: HubEndpoints<A>) -> Vec<Route> {
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
impl<A: Authorize> Handler for Subscribe<A> {
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
impl<A: Authorize> Handler for Publish<A> {
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
