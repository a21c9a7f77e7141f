//! [`routes`]: the hub's `GET /events` and `POST /publish`, as an axum `Router`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use sse_core::Subscription;
use sse_core::endpoints::{Authorize, HubEndpoints};
use sse_core::last_event_id::HEADER;

use crate::{Error, Sse};

/// `GET /events?topic=...` (subscribe, resuming after `Last-Event-ID`) and `POST /publish`
/// (`{"topic","data","event"?,"retry"?}` -> `{"id"}`), with the statuses documented in
/// [`sse_core::endpoints`]. Merge or nest it into your app's router.
pub fn routes<A: Authorize<Parts>, S: Clone + Send + Sync + 'static>(
    endpoints: HubEndpoints<A>,
) -> Router<S> {
    Router::new()
        .route("/events", get(subscribe::<A>))
        .route("/publish", post(publish::<A>))
        .with_state(Arc::new(endpoints))
}

async fn subscribe<A: Authorize<Parts>>(
    State(endpoints): State<Arc<HubEndpoints<A>>>,
    parts: Parts,
) -> Result<Sse<Subscription>, Error> {
    let header = parts.headers.get(HEADER).map(|value| value.as_bytes());
    let stream = endpoints.subscribe(parts.uri.query(), header, |access| {
        endpoints.authorizer().authorize(&parts, access)
    })?;
    Ok(Sse::from(stream))
}

async fn publish<A: Authorize<Parts>>(
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
