//! Server-Sent Events for [axum](https://docs.rs/axum) 0.8: an [`Sse`] response, a
//! [`LastEventId`] extractor, ready-made hub [`routes`], and a [`ShutdownLayer`] that lets
//! graceful shutdown finish. Everything a handler needs is re-exported here.
//!
//! ```toml
//! [dependencies]
//! sse-axum = "0.1"
//! axum = "0.8"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread", "net", "signal", "time"] }
//! ```
//!
//! # An app
//!
//! A hub in the app's own state, a subscription that resumes after `Last-Event-ID`,
//! publishing handlers, the ready-made routes, a clock, and a graceful shutdown that cannot
//! hang:
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use std::time::{Duration, SystemTime};
//!
//! use axum::Router;
//! use axum::extract::{FromRef, Path, State};
//! use axum::http::StatusCode;
//! use axum::response::{IntoResponse, Response};
//! use axum::routing::{get, post};
//! use axum::serve::ListenerExt;
//! use sse_axum::{
//!     Event, EventError, EventName, Hub, HubEndpoints, HubError, LastEventId, ShutdownLayer,
//!     Sse, Subscription,
//! };
//!
//! // Event names checked once, at compile time.
//! const NEWS: EventName = EventName::from_static("news");
//! const TICK: EventName = EventName::from_static("tick");
//! const BYE: EventName = EventName::from_static("bye");
//!
//! #[derive(Clone)]
//! struct AppState {
//!     hub: Hub,
//!     posts: Arc<AtomicU64>,
//! }
//!
//! // Lets handlers of a `Router<AppState>` take `State<Hub>`. Without it the compiler only
//! // says that the handler does not implement `Handler`; it does not mention `FromRef`.
//! impl FromRef<AppState> for Hub {
//!     fn from_ref(state: &AppState) -> Hub {
//!         state.hub.clone()
//!     }
//! }
//!
//! /// The app's errors. `sse-core`'s errors come in through `?` as an `sse_axum::Error`,
//! /// which answers each with its documented status and a JSON body.
//! enum AppError {
//!     Sse(sse_axum::Error),
//!     EmptyPost,
//! }
//!
//! impl From<HubError> for AppError {
//!     fn from(error: HubError) -> Self {
//!         AppError::Sse(error.into())
//!     }
//! }
//!
//! impl From<EventError> for AppError {
//!     fn from(error: EventError) -> Self {
//!         AppError::Sse(error.into())
//!     }
//! }
//!
//! impl IntoResponse for AppError {
//!     fn into_response(self) -> Response {
//!         match self {
//!             AppError::Sse(error) => error.into_response(),
//!             AppError::EmptyPost => (StatusCode::BAD_REQUEST, "nothing to post").into_response(),
//!         }
//!     }
//! }
//!
//! /// `GET /news`: the `news` topic. A reconnecting browser sends `Last-Event-ID` and first
//! /// gets every event it missed, exactly once and in order, then live ones.
//! async fn news(
//!     State(hub): State<Hub>,
//!     LastEventId(last): LastEventId,
//! ) -> Result<Sse<Subscription>, AppError> {
//!     let subscription = hub.subscribe(["news"], last.as_ref())?; // HubError
//!     Ok(Sse::new(subscription).retry(Duration::from_secs(2)))
//! }
//!
//! /// `POST /news`: publishes the body to every subscriber; answers the id the hub gave it.
//! async fn post_news(State(app): State<AppState>, body: String) -> Result<String, AppError> {
//!     if body.trim().is_empty() {
//!         return Err(AppError::EmptyPost);
//!     }
//!     let id = app.hub.publish("news", Event::new(body).named(NEWS)).await?;
//!     app.posts.fetch_add(1, Ordering::Relaxed);
//!     Ok(id.to_string())
//! }
//!
//! /// `POST /news/{name}`: the same, under an event name the client chose. Such a name is
//! /// checked: one with a line break is an `EventError` (422).
//! async fn post_named(
//!     State(hub): State<Hub>,
//!     Path(name): Path<String>,
//!     body: String,
//! ) -> Result<String, AppError> {
//!     Ok(hub.publish("news", Event::new(body).event(name)?).await?.to_string())
//! }
//!
//! /// `GET /stats`
//! async fn stats(State(app): State<AppState>) -> String {
//!     let posts = app.posts.load(Ordering::Relaxed);
//!     format!("{posts} posts, {} subscribers", app.hub.stats().subscribers)
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let hub = Hub::new();
//!     let state = AppState { hub: hub.clone(), posts: Arc::default() };
//!
//!     // One clock for the whole app, on the topic `clock`, until the hub shuts down.
//!     hub.publish_every("clock", Duration::from_secs(1), || {
//!         let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
//!         Event::new(now.as_secs().to_string()).named(TICK)
//!     })?;
//!
//!     let app = Router::new()
//!         .route("/news", get(news).post(post_news))
//!         .route("/news/{name}", post(post_named))
//!         .route("/stats", get(stats))
//!         // `GET /events?topic=news&topic=clock` and `POST /publish`, ready-made.
//!         .merge(sse_axum::routes(HubEndpoints::new(hub.clone())))
//!         // Once, after the last route: every event stream ends when the hub shuts down.
//!         .layer(ShutdownLayer::new(hub.shutdown_signal()))
//!         .with_state(state);
//!
//!     let listener = tokio::net::TcpListener::bind("0.0.0.0:3000")
//!         .await?
//!         .tap_io(|tcp| {
//!             let _ = tcp.set_nodelay(true); // send each event at once
//!         });
//!     axum::serve(listener, app.into_make_service())
//!         .with_graceful_shutdown(async move {
//!             terminated().await;
//!             // Subscribers get this event, then every event stream ends, then the server.
//!             hub.shutdown(Some(Event::new("restarting").named(BYE)));
//!         })
//!         .await?;
//!     Ok(())
//! }
//!
//! /// Ctrl-C, or SIGTERM (what `docker stop` and Kubernetes send).
//! async fn terminated() {
//!     let ctrl_c = async {
//!         tokio::signal::ctrl_c().await.expect("listening for Ctrl-C");
//!     };
//!     #[cfg(unix)]
//!     let sigterm = async {
//!         use tokio::signal::unix::{SignalKind, signal};
//!         signal(SignalKind::terminate()).expect("listening for SIGTERM").recv().await;
//!     };
//!     #[cfg(not(unix))]
//!     let sigterm = std::future::pending::<()>();
//!     tokio::select! {
//!         () = ctrl_c => {}
//!         () = sigterm => {}
//!     }
//! }
//! ```
//!
//! Hub ids (`5f3a9c2e-1042`) are assigned by the hub; an id an event was built with is
//! replaced. The hub's history, lag policy and limits are in [`sse_core::hub`].
//!
//! # Two styles, one scenario
//!
//! "A word a second, then the end", written twice, as Spring writes the same scenario
//! for MVC and for WebFlux: (a) return a stream; (b) hand an [`Emitter`] to a task that
//! sends whenever it has something.
//!
//! ```
//! use std::time::Duration;
//!
//! use axum::Router;
//! use axum::http::StatusCode;
//! use axum::routing::get;
//! use sse_axum::{Emitter, EmitterStream, Event, Finite, LastEventId, Resume, Sse};
//!
//! const WORDS: [&str; 5] = ["Server-sent", "events", "resume", "after", "reconnecting"];
//!
//! /// (a) A returned stream: numbered `1..=5`, resumed after `Last-Event-ID`.
//! async fn words(LastEventId(last): LastEventId) -> Result<Sse<Finite>, StatusCode> {
//!     Finite::resume(last.as_ref(), WORDS.map(Event::new))
//!         .map(|s| Sse::new(s.paced(Duration::from_secs(1))))
//!         .ok_or(StatusCode::NO_CONTENT) // the client has every word
//! }
//!
//! /// (b) An emitter: a task sends a word a second, numbered the same way, then completes.
//! async fn words_emitter(
//!     LastEventId(last): LastEventId,
//! ) -> Result<Sse<EmitterStream>, StatusCode> {
//!     let resume = Resume::after(last.as_ref(), WORDS.len()).ok_or(StatusCode::NO_CONTENT)?;
//!     let (emitter, events) = Emitter::channel();
//!     tokio::spawn(async move {
//!         let mut second = tokio::time::interval(Duration::from_secs(1));
//!         for number in resume.remaining() {
//!             tokio::select! {
//!                 _ = emitter.closed() => return, // the client left: stop working
//!                 _ = second.tick() => {}         // the first tick is at once
//!             }
//!             let word = Finite::numbered(number, Event::new(WORDS[number - 1]));
//!             if emitter.send(word).await.is_err() {
//!                 return; // closed while sending
//!             }
//!         }
//!         emitter.complete(None);
//!     });
//!     Ok(Sse::new(events))
//! }
//!
//! let app: Router = Router::new()
//!     .route("/words", get(words))
//!     .route("/words/emitter", get(words_emitter));
//! # drop(app);
//! ```
//!
//! - **Answer 204 when the client has seen the end.** A browser's `EventSource` reconnects
//!   whenever a stream ends, a finished one too, and would replay it forever; `204 No
//!   Content` is the one answer that stops it. `Finite::resume` and `Resume::after` return
//!   `None` exactly then (see [`sse_core::finite`]).
//! - **The stream style** suits data you have or can compute as a `Stream`: pacing,
//!   backpressure and the end come with the stream, and a departed client's stream is
//!   simply dropped.
//! - **The emitter style** suits code that pushes: callbacks, a job in a task, several
//!   producers sharing clones of one emitter. [`send`](Emitter::send) waits while the
//!   buffer (16 events by default) is full, and fails once the stream has closed;
//!   [`closed`](Emitter::closed) resolves with the reason, so a producer can stop its work.
//!   The stream ends after [`complete`](Emitter::complete), or when every emitter is dropped.
//! - **A departed client is noticed at once on axum**: hyper watches the connection while it
//!   writes the response, so a client that closes its connection drops the stream
//!   immediately (under a millisecond, measured by the conformance check) and the emitter
//!   closes. On actix-web and rocket it takes one or two keep-alive writes. A keep-alive
//!   comment is written after 15 s without events by default; set it with
//!   `Sse::new(events).keep_alive(KeepAlive::new().interval(..))`. A client whose network
//!   vanished without closing anything is noticed only when TCP gives up on the
//!   connection.
//!
//! # Graceful shutdown that cannot hang
//!
//! `with_graceful_shutdown` waits for every open response to finish, and an event stream
//! may never finish: without help, the server never stops. The app above does three
//! things:
//!
//! 1. `.layer(ShutdownLayer::new(hub.shutdown_signal()))`, once, after the last route: it
//!    ends every event-stream response (hub subscriptions, `Finite` streams, emitters, any
//!    `Sse`) at an event boundary when the hub shuts down. `.layer` wraps only the routes
//!    added before it.
//! 2. The shutdown future waits for Ctrl-C **or SIGTERM**: containers and orchestrators stop
//!    a process with SIGTERM, and a server that listens only for Ctrl-C is killed after the
//!    grace period instead.
//! 3. It then calls `hub.shutdown(Some(final_event))`: every subscriber receives the final
//!    event (without an id, so a reconnecting client keeps its `Last-Event-ID`), then its
//!    stream ends, then axum stops.
//!
//! A handler's own [`Sse::until`] still works for other reasons to stop (a logout, a
//! cancelled job): `Sse::new(events).until(logged_out)`.
//!
//! # Periodic publishing
//!
//! [`Hub::publish_every`] spawns its task on the current tokio runtime, so call it inside
//! one, as in `#[tokio::main]` above; outside, it returns [`HubError::NoRuntime`]. The task
//! stops when the hub shuts down. Every subscriber of the topic shares the one task.
//!
//! # Serving
//!
//! - **`TCP_NODELAY`**: events are small writes; with Nagle's algorithm, one may wait for
//!   the client's delayed ACK of the previous one (up to 40 ms). Set it on every accepted
//!   connection with `listener.tap_io(|tcp| { let _ = tcp.set_nodelay(true); })`, as above.
//! - **`app.into_make_service()`**: `axum::serve(listener, router)` with a bare `Router`
//!   rebuilds the router for every connection, and keeps it for as long as the connection
//!   is open, which for an event stream is long.
//! - **Memory per connection**: what an idle stream costs on each framework, and how to
//!   shave the rest on axum (serving HTTP/1.1 through `hyper::server::conn::http1`
//!   directly, as the demo's `demo-axum` does), is measured in the repository's
//!   `BENCHMARKS.md`.
//! - **Many events a second?** [`HubBuilder::coalesce`](sse_core::hub::HubBuilder::coalesce)
//!   makes each subscriber write what arrived within a window in one go.
//! - **Timeouts**: hyper closes a connection whose request head takes longer than 30 s
//!   (`axum::serve`'s default); serving through `hyper::server::conn::http1` yourself, set it:
//!   `http1::Builder::new().timer(TokioTimer::new()).header_read_timeout(Duration::from_secs(10))`.
//!   The ready [`routes`] read a publish body within
//!   [`HubEndpoints::body_timeout`](sse_endpoints::HubEndpoints::body_timeout)
//!   (10 s; 408 `body_timeout`) and admit at most
//!   [`max_publishes_in_flight`](sse_endpoints::HubEndpoints::max_publishes_in_flight)
//!   and [`publish_rate`](sse_endpoints::HubEndpoints::publish_rate) (429); for
//!   a body route of your own, do as they do: `admit_publish`, `read_body_within`,
//!   `check_body`. To cap connections per client IP, hold a
//!   [`AddressLimit`](sse_endpoints::limits::AddressLimit) guard in each accepted
//!   connection's task (the demo's `limits::serve` does).
//!
//! # Authentication and CORS for `EventSource`
//!
//! A browser's `EventSource` cannot send headers: no `Authorization`. Authenticate with a
//! cookie, which it sends by itself (cross-origin with `new EventSource(url, {
//! withCredentials: true })`; across sites the cookie must be `SameSite=None; Secure`),
//! or with a token in the query string, which is weaker: URLs end up in logs and
//! histories. The ready-made routes call an [`Authorize`] hook with the request's
//! [`Parts`](axum::http::request::Parts) and the [`Access`] asked for. The hook reads the
//! request at once and answers now (`Ok(())`, `Err(Denied::Forbidden)`) or later, with
//! [`Authorization::later`] and a future that owns what it read: a session lookup here. A
//! [`Grant`] may expire: a subscription then ends at that time, at an event boundary, and
//! the browser reconnects and is authorized again. A 401 carries `WWW-Authenticate`.
//!
//! ```
//! use axum::Router;
//! use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE};
//! use axum::http::request::Parts;
//! use axum::http::{HeaderValue, Method};
//! use sse_axum::{Access, Authorization, Denied, Grant, Hub, HubEndpoints};
//! use tower_http::cors::CorsLayer;
//!
//! # use std::time::{Duration, SystemTime};
//! # #[derive(Clone)] struct Sessions;
//! # struct User { admin: bool, rooms: Vec<String>, until: SystemTime }
//! # impl Sessions {
//! #     async fn find(&self, token: &str) -> Option<User> {
//! #         (token == "s3cr3t").then(|| User { admin: false, rooms: vec!["lobby".into()], until: SystemTime::now() + Duration::from_secs(600) })
//! #     }
//! # }
//! /// A bearer token, else the `session` cookie (what an `EventSource` sends).
//! fn credentials(parts: &Parts) -> Option<String> {
//!     let bearer = parts.headers.get(AUTHORIZATION)
//!         .and_then(|value| value.to_str().ok()?.strip_prefix("Bearer "));
//!     let cookie = || parts.headers.get_all(COOKIE).iter()
//!         .filter_map(|value| value.to_str().ok())
//!         .flat_map(|cookies| cookies.split(';'))
//!         .find_map(|cookie| cookie.trim().strip_prefix("session="));
//!     bearer.or_else(cookie).map(str::to_owned)
//! }
//!
//! let sessions = Sessions; // your session store, cheap to clone
//! let hub = Hub::new();
//! let endpoints = HubEndpoints::new(hub.clone()).authorize(move |parts: &Parts, access: Access<'_>| {
//!     // Read the request now; the lookup owns what it needs.
//!     let (token, sessions) = (credentials(parts), sessions.clone());
//!     let publish = matches!(access, Access::Publish(_));
//!     let topics: Vec<String> = access.topics().map(str::to_owned).collect();
//!     Authorization::later(async move {
//!         let token = token.ok_or(Denied::Unauthorized)?; // 401
//!         let user = sessions.find(&token).await.ok_or(Denied::InvalidToken)?; // 401
//!         let granted = topics.iter().all(|topic| user.rooms.contains(topic));
//!         if !granted || (publish && !user.admin) {
//!             return Err(Denied::Forbidden); // 403, whether the topic exists or not
//!         }
//!         Ok(Grant::new().until(user.until)) // the stream ends when the session does
//!     })
//! });
//!
//! // The page is served from another origin: allow it, with its cookies.
//! let cors = CorsLayer::new()
//!     .allow_origin(HeaderValue::from_static("https://app.example.com"))
//!     .allow_credentials(true)
//!     .allow_methods([Method::GET, Method::POST])
//!     // Idempotency-Key: publishers that retry safely (see the ready routes).
//!     .allow_headers([CONTENT_TYPE, axum::http::HeaderName::from_static("idempotency-key")]);
//! let app: Router = Router::new().merge(sse_axum::routes(endpoints)).layer(cors);
//! # drop(app);
//! ```
//!
//! The CORS layer is tower-http's (`tower-http = { version = "0.6", features = ["cors"] }`).
//! With credentials, the browser accepts only the exact origin in
//! `Access-Control-Allow-Origin`, never `*`. An `EventSource` request is a plain `GET`; a
//! `fetch` that publishes JSON is preflighted, hence the methods and headers.
//!
//! ## JSON Web Tokens (feature `jwt`)
//!
//! [`Jwt`] checks Mercure-style tokens (`{"mercure": {"subscribe": [..], "publish": [..]},
//! "exp": ..}`, HS256 or RS256) from `Authorization: Bearer`, the cookie
//! `sse_authorization`, or `?authorization=` (weaker: it ends up in logs); a stream ends
//! when its token expires. See [`sse_endpoints::jwt`].
//!
//! ```
//! # #[cfg(feature = "jwt")] {
//! use std::time::Duration;
//! use sse_axum::{Hub, HubEndpoints, Jwt};
//! use sse_axum::sse_endpoints::jwt::Claims;
//!
//! let secret = "at least 32 random bytes, from your config";
//! let endpoints = HubEndpoints::new(Hub::new()).authorize(Jwt::hs256(secret).unwrap().cookie("token"));
//! let app: axum::Router = sse_axum::routes(endpoints);
//!
//! // A token for a client (a login handler's job): read `news`, publish nothing, for an hour.
//! let token = Claims::new().subscribe(["news"]).expires_in(Duration::from_secs(3600))
//!     .sign_hs256(secret.as_bytes()).unwrap();
//! // In the page: new EventSource(`/events?topic=news&authorization=${token}`),
//! // or set the cookie `token` and use new EventSource("/events?topic=news").
//! # drop((app, token));
//! # }
//! ```
//!
//! # What is here
//!
//! - [`Sse`]: an `IntoResponse` from any stream of events, a hub subscription or an
//!   emitter, with the right headers (including `content-encoding: identity`, so
//!   `CompressionLayer` leaves it alone, and `x-accel-buffering: no`), keep-alive and an
//!   optional retry prelude;
//! - [`LastEventId`]: the reconnecting client's `Last-Event-ID` (header or query);
//! - [`routes`]: `GET /events` + `POST /publish` over a [`Hub`], with an [`Authorize`] hook;
//! - [`ShutdownLayer`]: every event-stream response ends at the app's [`ShutdownSignal`];
//! - [`Error`]: every `sse-core` error as a JSON response with its status;
//! - re-exports of the `sse-core` types handlers use ([`Event`], [`EventName`], [`Hub`],
//!   [`Emitter`], [`Finite`], ...), and of [`Stream`], [`StreamExt`] and [`stream`] from
//!   `futures-util`, so an app needs no other dependency for them. The whole core is
//!   [`sse_core`].

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "routes")]
mod auth;
mod error;
mod extract;
mod response;
#[cfg(feature = "routes")]
mod routes;
mod shutdown;

#[cfg(feature = "routes")]
#[cfg_attr(docsrs, doc(cfg(feature = "routes")))]
pub use auth::AxumRequest;
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
pub use auth::Jwt;
pub use error::Error;
pub use extract::LastEventId;
pub use futures_util::{Stream, StreamExt, stream};
pub use response::Sse;
#[cfg(feature = "routes")]
#[cfg_attr(docsrs, doc(cfg(feature = "routes")))]
pub use routes::{read_body, routes};
pub use shutdown::{Shutdown, ShutdownLayer};
pub use sse_core;
pub use sse_core::{
    CloseReason, Emitter, EmitterStream, Event, EventError, EventId, EventName, Finite, Hub,
    HubError, KeepAlive, Resume, ShutdownSignal, Subscription,
};
#[cfg(feature = "routes")]
#[cfg_attr(docsrs, doc(cfg(feature = "routes")))]
pub use sse_endpoints;
#[cfg(feature = "routes")]
#[cfg_attr(docsrs, doc(cfg(feature = "routes")))]
pub use sse_endpoints::{Access, Authorization, Authorize, Denied, Grant, HubEndpoints};
