//! [`routes`]: the hub's `GET /events` and `POST /publish`, as two actix-web resources.

use actix_web::dev::HttpServiceFactory;
use actix_web::http::Method;
use actix_web::http::header::{ALLOW, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use futures_util::StreamExt;
use sse_core::http::ErrorResponse;
use sse_core::{Event, Subscription};
use sse_endpoints::{Authorize, HubEndpoints, PUBLISH_ALLOW, RequestBody, SUBSCRIBE_ALLOW};

use crate::{ActixRequest, Error, Sse};

/// `GET /events?topic=...` (subscribe, resuming after `Last-Event-ID`) and `POST /publish`
/// (`{"topic","data","event"?,"retry"?,"idempotency_key"?}` -> `{"id"}`, the key also from
/// an `Idempotency-Key` header), with the statuses documented in
/// [`sse_endpoints::endpoints`]. Register them with `App::service`, before or after your
/// own routes (they match only their two paths), or inside a `web::scope` for a prefix.
/// `HEAD /events` answers like `GET` without subscribing; `OPTIONS` on either path answers
/// 204 with its `Allow` header; any other method is a JSON 405 `method_not_allowed` with it.
/// Build the [`HubEndpoints`] once, outside `HttpServer::new`'s factory, and pass each
/// worker a clone: clones share the limits.
///
/// The [`Authorize`] hook is called with the [`HttpRequest`] and the
/// [`Access`](sse_endpoints::Access) asked for (see the guide's
/// [authentication and CORS](sse_core::guide::auth)): here it reads a bearer token or the
/// `session` cookie, and answers later, after a session lookup.
///
/// ```
/// use actix_web::HttpRequest;
/// use actix_web::http::header::{AUTHORIZATION, COOKIE};
/// use sse_actix::{Access, Authorization, Denied, Grant, Hub, HubEndpoints};
///
/// # use std::time::{Duration, SystemTime};
/// # #[derive(Clone)] struct Sessions;
/// # struct User { admin: bool, rooms: Vec<String>, until: SystemTime }
/// # impl Sessions {
/// #     async fn find(&self, token: &str) -> Option<User> {
/// #         (token == "s3cr3t").then(|| User { admin: false, rooms: vec!["lobby".into()], until: SystemTime::now() + Duration::from_secs(600) })
/// #     }
/// # }
/// /// A bearer token, else the `session` cookie (what an `EventSource` sends). (With
/// /// actix-web's `cookies` feature, on by default: `request.cookie("session")`.)
/// fn credentials(request: &HttpRequest) -> Option<String> {
///     let bearer = request.headers().get(AUTHORIZATION)
///         .and_then(|value| value.to_str().ok()?.strip_prefix("Bearer "));
///     let cookie = || request.headers().get_all(COOKIE)
///         .filter_map(|value| value.to_str().ok())
///         .flat_map(|cookies| cookies.split(';'))
///         .find_map(|cookie| cookie.trim().strip_prefix("session="));
///     bearer.or_else(cookie).map(str::to_owned)
/// }
///
/// let sessions = Sessions; // your session store, cheap to clone
/// let hub = Hub::new();
/// let endpoints = HubEndpoints::new(hub.clone()).authorize(move |request: &HttpRequest, access: Access<'_>| {
///     // Read the request now; the lookup owns what it needs.
///     let (token, sessions) = (credentials(request), sessions.clone());
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
/// let app = actix_web::App::new().service(sse_actix::routes(endpoints));
/// # drop(app);
/// ```
///
/// CORS, when the page is served from another origin, with the `actix-cors` crate
/// (`actix-cors = "0.7"`), allowing that origin and its cookies (a `fetch` that publishes
/// JSON is preflighted, hence the methods and headers):
///
/// ```ignore
/// use actix_cors::Cors;
/// use actix_web::http::header;
///
/// App::new()
///     .wrap(
///         Cors::default()
///             .allowed_origin("https://app.example.com")
///             .allowed_methods(["GET", "POST"])
///             .allowed_header(header::CONTENT_TYPE)
///             .allowed_header("idempotency-key")
///             .supports_credentials(),
///     )
///     .service(sse_actix::routes(endpoints))
/// ```
pub fn routes<A: Authorize<HttpRequest>>(endpoints: HubEndpoints<A>) -> impl HttpServiceFactory {
    let endpoints = web::Data::new(endpoints);
    (
        web::resource("/events")
            .app_data(endpoints.clone())
            .route(web::get().to(subscribe::<A>))
            .route(web::head().to(check_subscribe::<A>))
            .route(web::method(Method::OPTIONS).to(|| async { options(SUBSCRIBE_ALLOW) }))
            .default_service(web::to(|| async { method_not_allowed(SUBSCRIBE_ALLOW) })),
        web::resource("/publish")
            .app_data(endpoints)
            .route(web::post().to(publish::<A>))
            .route(web::method(Method::OPTIONS).to(|| async { options(PUBLISH_ALLOW) }))
            .default_service(web::to(|| async { method_not_allowed(PUBLISH_ALLOW) })),
    )
}

/// `HEAD /events`: the headers of an event stream that ends at once, or the error `GET`
/// would answer.
async fn check_subscribe<A: Authorize<HttpRequest>>(
    request: HttpRequest,
    endpoints: web::Data<HubEndpoints<A>>,
) -> Result<Sse<futures_util::stream::Empty<Event>>, Error> {
    endpoints
        .check_subscribe::<ActixRequest, _>(&request)
        .await?;
    Ok(Sse::new(futures_util::stream::empty()))
}

/// `OPTIONS`: 204 with the path's `Allow` header.
fn options(allow: &'static str) -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((ALLOW, allow))
        .finish()
}

/// Any other method: a JSON 405 with the path's `Allow` header.
fn method_not_allowed(allow: &'static str) -> HttpResponse {
    let mut response = Error::from(ErrorResponse::method_not_allowed(allow)).error_response();
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    response
}

async fn subscribe<A: Authorize<HttpRequest>>(
    request: HttpRequest,
    endpoints: web::Data<HubEndpoints<A>>,
) -> Result<Sse<Subscription>, Error> {
    let accepts = sse_endpoints::accepts_event_stream::<ActixRequest, _>(&request);
    let stream = endpoints
        .subscribe::<ActixRequest, _>(&request)
        .await
        .map_err(|error| Error::from(error).for_event_source(accepts))?;
    Ok(Sse::from(stream))
}

async fn publish<A: Authorize<HttpRequest>>(
    request: HttpRequest,
    payload: web::Payload,
    endpoints: web::Data<HubEndpoints<A>>,
) -> Result<HttpResponse, Error> {
    let admitted = endpoints.admit_publish::<ActixRequest, _>(&request)?;
    let limit = admitted.max_body();
    let body = admitted.read(read_body(payload, limit)).await;
    let published = body.publish(&request).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(published.json_body()))
}

/// Reads a request body up to `limit` bytes and says how that went, as the ready publish
/// route does: for an app's own routes that take a body, admitted with
/// [`HubEndpoints::admit_body`] and read with [`Admitted::read`](sse_endpoints::Admitted::read)
/// (the timeout), then [`ReceivedBody::bytes`](sse_endpoints::ReceivedBody::bytes) (the
/// statuses).
pub async fn read_body(mut payload: web::Payload, limit: usize) -> RequestBody {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        match chunk {
            Ok(chunk) if body.len() + chunk.len() > limit => return RequestBody::OverLimit,
            Ok(chunk) => body.extend_from_slice(&chunk),
            Err(error) => return RequestBody::Unreadable(error.to_string()),
        }
    }
    RequestBody::Complete(body.freeze())
}
