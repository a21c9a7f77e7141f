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
///
/// The [`Authorize`] hook is called with the request's [`Parts`] and the
/// [`Access`](sse_endpoints::Access) asked for (see the guide's
/// [authentication and CORS](sse_core::guide::auth)): here it reads a bearer token or the
/// `session` cookie, and answers later, after a session lookup. The page is served from
/// another origin, allowed with tower-http's `CorsLayer` (`tower-http = { version = "0.6",
/// features = ["cors"] }`):
///
/// ```
/// use axum::Router;
/// use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE};
/// use axum::http::request::Parts;
/// use axum::http::{HeaderName, HeaderValue, Method};
/// use sse_axum::{Access, Authorization, Denied, Grant, Hub, HubEndpoints};
/// use tower_http::cors::CorsLayer;
///
/// # use std::time::{Duration, SystemTime};
/// # #[derive(Clone)] struct Sessions;
/// # struct User { admin: bool, rooms: Vec<String>, until: SystemTime }
/// # impl Sessions {
/// #     async fn find(&self, token: &str) -> Option<User> {
/// #         (token == "s3cr3t").then(|| User { admin: false, rooms: vec!["lobby".into()], until: SystemTime::now() + Duration::from_secs(600) })
/// #     }
/// # }
/// /// A bearer token, else the `session` cookie (what an `EventSource` sends).
/// fn credentials(parts: &Parts) -> Option<String> {
///     let bearer = parts.headers.get(AUTHORIZATION)
///         .and_then(|value| value.to_str().ok()?.strip_prefix("Bearer "));
///     let cookie = || parts.headers.get_all(COOKIE).iter()
///         .filter_map(|value| value.to_str().ok())
///         .flat_map(|cookies| cookies.split(';'))
///         .find_map(|cookie| cookie.trim().strip_prefix("session="));
///     bearer.or_else(cookie).map(str::to_owned)
/// }
///
/// let sessions = Sessions; // your session store, cheap to clone
/// let hub = Hub::new();
/// let endpoints = HubEndpoints::new(hub.clone()).authorize(move |parts: &Parts, access: Access<'_>| {
///     // Read the request now; the lookup owns what it needs.
///     let (token, sessions) = (credentials(parts), sessions.clone());
///     let publish = matches!(access, Access::Publish(_));
///     let topics: Vec<String> = access.topics().map(str::to_owned).collect();
///     Authorization::later(async move {
///         let token = token.ok_or(Denied::Unauthorized)?; // 401
///         let user = sessions.find(&token).await.ok_or(Denied::InvalidToken)?; // 401
///         let granted = topics.iter().all(|topic| user.rooms.contains(topic));
///         if !granted || (publish && !user.admin) {
///             return Err(Denied::Forbidden); // 403, whether the topic exists or not
///         }
///         Ok(Grant::new().until(user.until)) // the stream ends when the session does
///     })
/// });
///
/// // The page's origin, exactly, with its cookies; `fetch` publishes are preflighted.
/// let cors = CorsLayer::new()
///     .allow_origin(HeaderValue::from_static("https://app.example.com"))
///     .allow_credentials(true)
///     .allow_methods([Method::GET, Method::POST])
///     .allow_headers([CONTENT_TYPE, HeaderName::from_static("idempotency-key")]);
/// let app: Router = Router::new().merge(sse_axum::routes(endpoints)).layer(cors);
/// # drop(app);
/// ```
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
