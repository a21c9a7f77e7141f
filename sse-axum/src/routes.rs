//! [`routes`]: the hub's `GET /events` and `POST /publish`, as an axum `Router`.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::{ALLOW, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use sse_core::http::ErrorResponse;
use sse_core::{Event, Subscription};
use sse_endpoints::{Authorize, HubEndpoints, PUBLISH_ALLOW, RequestBody, SUBSCRIBE_ALLOW};

use crate::{AxumRequest, Error, Sse};

/// `GET /events?topic=...` (subscribe, resuming after `Last-Event-ID`) and `POST /publish`
/// (`{"topic","data","event"?,"retry"?,"idempotency_key"?}` -> `{"id"}`, the key also from
/// an `Idempotency-Key` header), with the statuses documented in
/// [`sse_endpoints::endpoints`]. `HEAD /events` answers like `GET` without subscribing;
/// `OPTIONS` on either path answers 204 with its `Allow` header; any other method is a JSON
/// 405 `method_not_allowed` with it. Merge or nest it into your
/// app's router.
pub fn routes<A: Authorize<Parts>, S: Clone + Send + Sync + 'static>(
    endpoints: HubEndpoints<A>,
) -> Router<S> {
    Router::new()
        .route(
            "/events",
            get(subscribe::<A>)
                .head(check_subscribe::<A>)
                .options(|| async { options(SUBSCRIBE_ALLOW) })
                .fallback(|| async { method_not_allowed(SUBSCRIBE_ALLOW) }),
        )
        .route(
            "/publish",
            post(publish::<A>)
                .options(|| async { options(PUBLISH_ALLOW) })
                .fallback(|| async { method_not_allowed(PUBLISH_ALLOW) }),
        )
        .with_state(Arc::new(endpoints))
}

/// `HEAD /events`: the headers of an event stream that ends at once, or the error `GET`
/// would answer.
async fn check_subscribe<A: Authorize<Parts>>(
    State(endpoints): State<Arc<HubEndpoints<A>>>,
    parts: Parts,
) -> Result<Sse<futures_util::stream::Empty<Event>>, Error> {
    endpoints.check_subscribe::<AxumRequest, _>(&parts).await?;
    Ok(Sse::new(futures_util::stream::empty()))
}

/// `OPTIONS`: 204 with the path's `Allow` header.
fn options(allow: &'static str) -> impl IntoResponse {
    (StatusCode::NO_CONTENT, [(ALLOW, allow)])
}

/// Any other method: a JSON 405 with the path's `Allow` header.
fn method_not_allowed(allow: &'static str) -> impl IntoResponse {
    (
        [(ALLOW, allow)],
        Error::from(ErrorResponse::method_not_allowed(allow)),
    )
}

async fn subscribe<A: Authorize<Parts>>(
    State(endpoints): State<Arc<HubEndpoints<A>>>,
    parts: Parts,
) -> Result<Sse<Subscription>, Error> {
    let accepts = sse_endpoints::accepts_event_stream::<AxumRequest, _>(&parts);
    let stream = endpoints
        .subscribe::<AxumRequest, _>(&parts)
        .await
        .map_err(|error| Error::from(error).for_event_source(accepts))?;
    Ok(Sse::from(stream))
}

async fn publish<A: Authorize<Parts>>(
    State(endpoints): State<Arc<HubEndpoints<A>>>,
    request: Request,
) -> Result<impl IntoResponse, Error> {
    let (parts, body) = request.into_parts();
    let admitted = endpoints.admit_publish::<AxumRequest, _>(&parts)?;
    let limit = admitted.max_body();
    let published = admitted
        .read(read_body(body, limit))
        .await
        .publish(&parts)
        .await?;
    Ok(([(CONTENT_TYPE, "application/json")], published.json_body()))
}

/// Reads a request body up to `limit` bytes and says how that went, as the ready publish
/// route does: for an app's own routes that take a body, admitted with
/// [`HubEndpoints::admit_body`] and read with [`Admitted::read`](sse_endpoints::Admitted::read)
/// (the timeout), then [`ReceivedBody::bytes`](sse_endpoints::ReceivedBody::bytes) (the
/// statuses).
pub async fn read_body(body: Body, limit: usize) -> RequestBody {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => RequestBody::Complete(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => RequestBody::OverLimit,
        Err(error) => RequestBody::Unreadable(error.to_string()),
    }
}
