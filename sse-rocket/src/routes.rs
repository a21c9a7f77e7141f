//! [`routes`]: the hub's `GET /events` and `POST /publish`, as rocket routes.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rocket::Request;
use rocket::data::{Data, ToByteUnit};
use rocket::http::{Header, Method, Status};
use rocket::response::Responder;
use rocket::response::content::RawJson;
use rocket::route::{Handler, Outcome, Route};
use rocket::tokio::io::{AsyncRead, AsyncSeek, ReadBuf};
use sse_core::RESPONSE_HEADERS;
use sse_core::http::ErrorResponse;
use sse_endpoints::{Authorize, HubEndpoints, PUBLISH_ALLOW, RequestBody, SUBSCRIBE_ALLOW};

use crate::{Error, RocketRequest, Sse};

/// `GET /events?topic=...` (subscribe, resuming after `Last-Event-ID`) and `POST /publish`
/// (`{"topic","data","event"?,"retry"?,"idempotency_key"?}` -> `{"id"}`, the key also from
/// an `Idempotency-Key` header), with the statuses documented in
/// [`sse_endpoints::endpoints`]. `HEAD /events` answers like `GET` without subscribing;
/// `OPTIONS` on either path answers 204 with its `Allow` header; `PUT`, `DELETE`, `PATCH`
/// and the other path's method are a JSON 405 `method_not_allowed` with it. Mount them:
/// `rocket.mount("/", routes(endpoints))`.
///
/// The [`Authorize`] hook is called with the [`Request`] and the
/// [`Access`](sse_endpoints::Access) asked for (see the guide's
/// [authentication and CORS](sse_core::guide::auth)): here it reads a bearer token or the
/// `session` cookie, and answers later, after a session lookup.
///
/// ```
/// use rocket::Request;
/// use sse_rocket::{Access, Authorization, Denied, Grant, Hub, HubEndpoints};
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
/// fn credentials(request: &Request<'_>) -> Option<String> {
///     let bearer = request.headers().get_one("authorization")
///         .and_then(|value| value.strip_prefix("Bearer ")).map(str::to_owned);
///     bearer.or_else(|| request.cookies().get("session").map(|cookie| cookie.value().to_owned()))
/// }
///
/// let sessions = Sessions; // your session store, cheap to clone
/// let hub = Hub::new();
/// let endpoints = HubEndpoints::new(hub.clone()).authorize(move |request: &Request<'_>, access: Access<'_>| {
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
/// let rocket = rocket::build().mount("/", sse_rocket::routes(endpoints));
/// # drop(rocket);
/// ```
///
/// CORS, when the page is served from another origin: rocket has no CORS middleware of
/// its own, and a small fairing is enough. It echoes an allowed origin and allows its
/// cookies; the `OPTIONS` route answers the preflight of a `fetch` that publishes JSON (an
/// `EventSource` request is a plain `GET`, not preflighted):
///
/// ```
/// use rocket::fairing::{Fairing, Info, Kind};
/// use rocket::http::Status;
/// use rocket::{Request, Response, options, routes};
///
/// struct Cors {
///     origins: &'static [&'static str],
/// }
///
/// #[rocket::async_trait]
/// impl Fairing for Cors {
///     fn info(&self) -> Info {
///         Info { name: "CORS", kind: Kind::Response }
///     }
///
///     async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
///         let Some(origin) = request.headers().get_one("origin") else { return };
///         if self.origins.contains(&origin) {
///             // With credentials, the browser accepts the exact origin only, never `*`.
///             response.set_raw_header("Access-Control-Allow-Origin", origin.to_owned());
///             response.set_raw_header("Access-Control-Allow-Credentials", "true");
///             response.set_raw_header("Access-Control-Allow-Methods", "GET, POST");
///             response.set_raw_header("Access-Control-Allow-Headers", "content-type, idempotency-key");
///         }
///         response.adjoin_raw_header("Vary", "Origin");
///     }
/// }
///
/// /// Preflight requests, for any path.
/// #[options("/<_..>")]
/// fn preflight() -> Status {
///     Status::NoContent
/// }
///
/// let rocket = rocket::build()
///     .attach(Cors { origins: &["https://app.example.com"] })
///     .mount("/", routes![preflight]);
/// # drop(rocket);
/// ```
pub fn routes<A: for<'a> Authorize<Request<'a>>>(endpoints: HubEndpoints<A>) -> Vec<Route> {
    let endpoints = Arc::new(endpoints);
    let mut routes = vec![
        Route::new(Method::Get, "/events", Subscribe(endpoints.clone())),
        Route::new(Method::Head, "/events", CheckSubscribe(endpoints.clone())),
        Route::new(Method::Options, "/events", Options(SUBSCRIBE_ALLOW)),
        Route::new(Method::Post, "/publish", Publish(endpoints)),
        Route::new(Method::Options, "/publish", Options(PUBLISH_ALLOW)),
    ];
    // Rocket has no 405 of its own (an unrouted method is a 404): answer it here, ranked
    // last so that an app's own route for one of these methods and paths wins instead of
    // colliding at launch.
    let others = [Method::Put, Method::Delete, Method::Patch];
    for method in others.into_iter().chain([Method::Post]) {
        routes.push(Route::ranked(
            NOT_ALLOWED_RANK,
            method,
            "/events",
            NotAllowed(SUBSCRIBE_ALLOW),
        ));
    }
    for method in others.into_iter().chain([Method::Get]) {
        routes.push(Route::ranked(
            NOT_ALLOWED_RANK,
            method,
            "/publish",
            NotAllowed(PUBLISH_ALLOW),
        ));
    }
    routes
}

/// The rank of the 405 routes: after any route an app is likely to give these paths.
const NOT_ALLOWED_RANK: isize = 100;

/// Any other method: a JSON 405 with the path's `Allow` header.
#[derive(Clone)]
struct NotAllowed(&'static str);

#[rocket::async_trait]
impl Handler for NotAllowed {
    async fn handle<'r>(&self, request: &'r Request<'_>, _: Data<'r>) -> Outcome<'r> {
        let error = Error::from(ErrorResponse::method_not_allowed(self.0));
        match error.respond_to(request) {
            Ok(mut response) => {
                response.set_header(Header::new("allow", self.0));
                Outcome::Success(response)
            }
            Err(status) => Outcome::Error(status),
        }
    }
}

/// `HEAD /events`: the headers of an event stream that ends at once, or the error `GET`
/// would answer.
struct CheckSubscribe<A>(Arc<HubEndpoints<A>>);

impl<A> Clone for CheckSubscribe<A> {
    fn clone(&self) -> Self {
        CheckSubscribe(self.0.clone())
    }
}

#[rocket::async_trait]
impl<A: for<'a> Authorize<Request<'a>>> Handler for CheckSubscribe<A> {
    async fn handle<'r>(&self, request: &'r Request<'_>, _data: Data<'r>) -> Outcome<'r> {
        match self.0.check_subscribe::<RocketRequest, _>(request).await {
            Ok(()) => Outcome::Success(head_response()),
            Err(error) => Outcome::from(request, Err::<(), _>(Error::from(error))),
        }
    }
}

/// The event-stream headers, and a body of unknown length that is empty. Rocket strips a
/// `HEAD` response's body and would state the length of what is left, `content-length: 0`,
/// which a `GET` would not (its body is a stream); a body whose length cannot be told
/// keeps the header out.
fn head_response<'r>() -> rocket::Response<'r> {
    let mut response = rocket::Response::new();
    for (name, value) in RESPONSE_HEADERS {
        response.set_raw_header(name, value);
    }
    response.set_sized_body(None, NoLength);
    response
}

/// An empty body that cannot tell its length (seeking fails).
struct NoLength;

impl AsyncRead for NoLength {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncSeek for NoLength {
    fn start_seek(self: Pin<&mut Self>, _: io::SeekFrom) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }

    fn poll_complete(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Poll::Ready(Err(io::ErrorKind::Unsupported.into()))
    }
}

/// `OPTIONS`: 204 with the path's `Allow` header.
#[derive(Clone)]
struct Options(&'static str);

#[rocket::async_trait]
impl Handler for Options {
    async fn handle<'r>(&self, _: &'r Request<'_>, _: Data<'r>) -> Outcome<'r> {
        let response = rocket::Response::build()
            .status(Status::NoContent)
            .header(Header::new("allow", self.0))
            .finalize();
        Outcome::Success(response)
    }
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
        let accepts = sse_endpoints::accepts_event_stream::<RocketRequest, _>(request);
        let result = self
            .0
            .subscribe::<RocketRequest, _>(request)
            .await
            .map(Sse::from)
            .map_err(|error| Error::from(error).for_event_source(accepts));
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
        let result = publish(&self.0, request, data).await;
        Outcome::from(request, result)
    }
}

/// `POST /publish`: admitted, its body read, then published.
async fn publish<A: for<'a> Authorize<Request<'a>>>(
    endpoints: &HubEndpoints<A>,
    request: &Request<'_>,
    data: Data<'_>,
) -> Result<RawJson<String>, Error> {
    let admitted = endpoints.admit_publish::<RocketRequest, _>(request)?;
    let limit = admitted.max_body();
    let body = admitted.read(read_body(request, data, limit)).await;
    let published = body.publish(request).await?;
    Ok(RawJson(published.json_body()))
}

/// Reads a request body up to `limit` bytes and says how that went, as the ready publish
/// route does: for an app's own routes that take a body, admitted with
/// [`HubEndpoints::admit_body`] and read with [`Admitted::read`](sse_endpoints::Admitted::read)
/// (the timeout), then [`ReceivedBody::bytes`](sse_endpoints::ReceivedBody::bytes) (the
/// statuses).
///
/// Rocket reports a body that ends early (the client closed before sending its declared
/// length) as a short, complete one, so the length is checked here. So it does a body whose
/// framing breaks within its first 14 bytes (a chunked body cut off or with a bad chunk
/// size): rocket reads that much of every body before routing and drops a read error there
/// (`Data::peek`), so such a body is caught here as one that ended before 14 bytes without
/// rocket having seen its end.
pub async fn read_body(request: &Request<'_>, mut data: Data<'_>, limit: usize) -> RequestBody {
    let declared: Option<usize> = request
        .headers()
        .get_one("content-length")
        .and_then(|length| length.parse().ok());
    // What rocket's pre-routing peek asks for (`"_method=delete".len()`): it stops short of
    // it only at the body's end (then `peek_complete`) or on a read error.
    const PRE_ROUTING_PEEK: usize = "_method=delete".len();
    let seen_end = data.peek_complete();
    let peeked = data.peek(PRE_ROUTING_PEEK).await.len();
    if !seen_end && peeked < PRE_ROUTING_PEEK {
        return RequestBody::Unreadable(format!("the body's framing broke after {peeked} bytes"));
    }
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
