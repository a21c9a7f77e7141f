//! [`routes`]: the hub's `GET /events` and `POST /publish`, as an axum `Router`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use sse_core::Subscription;
use sse_core::endpoints::{Access, Denied, HubEndpoints};
use sse_core::last_event_id::HEADER;

use crate::{Error, Sse};

/// The authorization hook: called with the request and the topics it asks for.
/// `()` allows everything; any `Fn(&Parts, Access) -> Result<(), Denied>` closure works.
pub trait Authorize: Clone + Send + Sync + 'static {
    /// Allows or denies `access` for `request`.
    fn authorize(&self, request: &Parts, access: Access<'_>) -> Result<(), Denied>;
}

impl Authorize for () {
    fn authorize(&self, _: &Parts, _: Access<'_>) -> Result<(), Denied> {
        Ok(())
    }
}

impl<F> Authorize for F
where
    F: Fn(&Parts, Access<'_>) -> Result<(), Denied> + Clone + Send + Sync + 'static,
{
    fn authorize(&self, request: &Parts, access: Access<'_>) -> Result<(), Denied> {
        self(request, access)
    }
}

/// `GET /events?topic=...` (subscribe, resuming after `Last-Event-ID`) and `POST /publish`
/// (`{"topic","data","event"?,"retry"?}` -> `{"id"}`), with the statuses documented in
/// [`sse_core::endpoints`]. Merge or nest it into your app's router.
pub fn routes<A: Authorize, S: Clone + Send + Sync + 'static>(
    endpoints: HubEndpoints<A>,
) -> Router<S> {
    Router::new()
        .route("/events", get(subscribe::<A>))
        .route("/publish", post(publish::<A>))
        .with_state(Arc::new(endpoints))
}

async fn subscribe<A: Authorize>(
    State(endpoints): State<Arc<HubEndpoints<A>>>,
    parts: Parts,
) -> Result<Sse<Subscription>, Error> {
    let header = parts.headers.get(HEADER).map(|value| value.as_bytes());
    let stream = endpoints.subscribe(parts.uri.query(), header, |access| {
        endpoints.authorizer().authorize(&parts, access)
    })?;
    Ok(Sse::from(stream))
}

async fn publish<A: Authorize>(
    State(endpoints): State<Arc<HubEndpoints<A>>>,
    request: Request,
) -> Result<impl IntoResponse, Error> {
    let (parts, body) = request.into_parts();
    let (body, truncated) = match axum::body::to_bytes(body, endpoints.body_limit()).await {
        Ok(bytes) => (bytes, false),
        Err(_) => (Default::default(), true),
    };
    let published = endpoints.publish(&body, truncated, |access| {
        endpoints.authorizer().authorize(&parts, access)
    })?;
    Ok(([(CONTENT_TYPE, "application/json")], published.json_body()))
}
