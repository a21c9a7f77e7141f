//! Server-Sent Events for [actix-web](https://docs.rs/actix-web) 4: an [`Sse`] responder
//! that ends at the app's shutdown, a [`LastEventId`] extractor, and ready-made hub
//! [`routes`]. Everything a handler needs is re-exported here.
//!
//! ```toml
//! [dependencies]
//! sse-actix = "0.1"
//! actix-web = "4.13" # 4.13 for HttpServer::tcp_nodelay
//! tokio = { version = "1", features = ["macros"] } # tokio::select!
//! ```
//!
//! # An app
//!
//! A hub in the app's own state, a subscription that resumes after `Last-Event-ID`,
//! publishing handlers, the ready-made routes, a clock, and a graceful shutdown that cannot
//! hang:
//!
//! ```no_run
//! use std::fmt;
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use std::time::{Duration, SystemTime};
//!
//! use actix_web::http::StatusCode;
//! use actix_web::{App, HttpResponse, HttpServer, ResponseError, web};
//! use sse_actix::{
//!     Event, EventError, EventName, Hub, HubEndpoints, HubError, LastEventId, Sse,
//!     Subscription,
//! };
//!
//! // Event names checked once, at compile time.
//! const NEWS: EventName = EventName::from_static("news");
//! const TICK: EventName = EventName::from_static("tick");
//! const BYE: EventName = EventName::from_static("bye");
//!
//! struct AppState {
//!     hub: Hub,
//!     posts: AtomicU64,
//! }
//!
//! /// The app's errors. `sse-core`'s errors come in through `?` as an `sse_actix::Error`,
//! /// which answers each with its documented status and a JSON body.
//! #[derive(Debug)]
//! enum AppError {
//!     Sse(sse_actix::Error),
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
//! impl fmt::Display for AppError {
//!     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
//!         match self {
//!             AppError::Sse(error) => error.fmt(f),
//!             AppError::EmptyPost => f.write_str("nothing to post"),
//!         }
//!     }
//! }
//!
//! impl ResponseError for AppError {
//!     fn status_code(&self) -> StatusCode {
//!         match self {
//!             AppError::Sse(error) => error.status_code(),
//!             AppError::EmptyPost => StatusCode::BAD_REQUEST,
//!         }
//!     }
//!
//!     fn error_response(&self) -> HttpResponse {
//!         match self {
//!             AppError::Sse(error) => error.error_response(),
//!             AppError::EmptyPost => HttpResponse::BadRequest().body("nothing to post"),
//!         }
//!     }
//! }
//!
//! /// `GET /news`: the `news` topic. A reconnecting browser sends `Last-Event-ID` and first
//! /// gets every event it missed, exactly once and in order, then live ones.
//! async fn news(
//!     app: web::Data<AppState>,
//!     LastEventId(last): LastEventId,
//! ) -> Result<Sse<Subscription>, AppError> {
//!     let subscription = app.hub.subscribe(["news"], last.as_ref())?; // HubError
//!     Ok(Sse::new(subscription).retry(Duration::from_secs(2)))
//! }
//!
//! /// `POST /news`: publishes the body to every subscriber; answers the id the hub gave it.
//! async fn post_news(app: web::Data<AppState>, body: String) -> Result<String, AppError> {
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
//!     app: web::Data<AppState>,
//!     name: web::Path<String>,
//!     body: String,
//! ) -> Result<String, AppError> {
//!     let event = Event::new(body).event(name.into_inner())?;
//!     Ok(app.hub.publish("news", event).await?.to_string())
//! }
//!
//! /// `GET /stats`
//! async fn stats(app: web::Data<AppState>) -> String {
//!     let posts = app.posts.load(Ordering::Relaxed);
//!     format!("{posts} posts, {} subscribers", app.hub.stats().subscribers)
//! }
//!
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let hub = Hub::new();
//!     // Built once, outside the factory, so that every worker shares them.
//!     let state = web::Data::new(AppState { hub: hub.clone(), posts: AtomicU64::new(0) });
//!     let hub_data = web::Data::new(hub.clone());
//!
//!     // One clock for the whole app, on the topic `clock`, until the hub shuts down.
//!     hub.publish_every("clock", Duration::from_secs(1), || {
//!         let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
//!         Event::new(now.as_secs().to_string()).named(TICK)
//!     })?;
//!
//!     let server = HttpServer::new(move || {
//!         App::new()
//!             .app_data(state.clone())
//!             // The app's shutdown: every `Sse` ends when this hub shuts down.
//!             .app_data(hub_data.clone())
//!             .route("/news", web::get().to(news))
//!             .route("/news", web::post().to(post_news))
//!             .route("/news/{name}", web::post().to(post_named))
//!             .route("/stats", web::get().to(stats))
//!             // `GET /events?topic=news&topic=clock` and `POST /publish`, ready-made.
//!             .service(sse_actix::routes(HubEndpoints::new(hub_data.get_ref().clone())))
//!     })
//!     .disable_signals() // stopped below, after the hub
//!     .tcp_nodelay(true) // send each event at once
//!     .h1_allow_half_closed(false) // a client that closes is let go at once
//!     .bind(("0.0.0.0", 3000))?
//!     .run();
//!
//!     let handle = server.handle();
//!     actix_web::rt::spawn(async move {
//!         terminated().await;
//!         // Subscribers get this event, then every event stream ends; then stop.
//!         hub.shutdown(Some(Event::new("restarting").named(BYE)));
//!         handle.stop(true).await;
//!     });
//!     server.await?;
//!     Ok(())
//! }
//!
//! /// Ctrl-C, or SIGTERM (what `docker stop` and Kubernetes send).
//! async fn terminated() {
//!     let ctrl_c = async {
//!         actix_web::rt::signal::ctrl_c().await.expect("listening for Ctrl-C");
//!     };
//!     #[cfg(unix)]
//!     let sigterm = async {
//!         use actix_web::rt::signal::unix::{SignalKind, signal};
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
//! use actix_web::{App, Either, HttpResponse, web};
//! use sse_actix::{Emitter, EmitterStream, Event, Finite, LastEventId, Resume, Sse};
//!
//! const WORDS: [&str; 5] = ["Server-sent", "events", "resume", "after", "reconnecting"];
//!
//! /// (a) A returned stream: numbered `1..=5`, resumed after `Last-Event-ID`.
//! async fn words(LastEventId(last): LastEventId) -> Either<Sse<Finite>, HttpResponse> {
//!     match Finite::resume(last.as_ref(), WORDS.map(Event::new))
//!         .map(|s| Sse::new(s.paced(Duration::from_secs(1))))
//!     {
//!         Some(sse) => Either::Left(sse),
//!         None => Either::Right(HttpResponse::NoContent().finish()), // has every word
//!     }
//! }
//!
//! /// (b) An emitter: a task sends a word a second, numbered the same way, then completes.
//! async fn words_emitter(
//!     LastEventId(last): LastEventId,
//! ) -> Either<Sse<EmitterStream>, HttpResponse> {
//!     let Some(resume) = Resume::after(last.as_ref(), WORDS.len()) else {
//!         return Either::Right(HttpResponse::NoContent().finish());
//!     };
//!     let (emitter, events) = Emitter::channel();
//!     actix_web::rt::spawn(async move {
//!         let mut second = actix_web::rt::time::interval(Duration::from_secs(1));
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
//!     Either::Left(Sse::new(events))
//! }
//!
//! let app = App::new()
//!     .route("/words", web::get().to(words))
//!     .route("/words/emitter", web::get().to(words_emitter));
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
//! - **A departed client is noticed at once with `HttpServer::h1_allow_half_closed(false)`**
//!   (as in the app above). actix-web's HTTP/1 dispatcher keeps reading while it streams a
//!   response and sees the client's close (its FIN) at once, but by default it treats that
//!   as a half-close and keeps the response going until a write fails: the second write
//!   after the client left, about two keep-alive intervals later (15 s each by default), and
//!   meanwhile the subscription, its topic and the connection stay. With half-closes
//!   refused, the dispatcher ends the connection as soon as it reads the close, and the
//!   stream (the subscription, the topic it made) goes with it; the conformance check
//!   `departed_clients_let_go_of_their_topics_and_connections` measures it. The price: a
//!   client that shuts its sending side while still waiting for an answer (rare; not
//!   browsers, not `EventSource`) gets none if the handler has not answered by then.
//!   Without the setting, [`Sse::probe`] bounds the wait at about two probe intervals,
//!   whatever the keep-alive. Until the stream is dropped an emitter stays open and sends
//!   succeed into its buffer. (axum notices at once, rocket within a second.) A client
//!   whose network vanished without closing anything is noticed only when TCP gives up on
//!   the connection.
//!
//! # Graceful shutdown that cannot hang
//!
//! An event stream may never end by itself, and a graceful stop waits for open responses.
//! The app above does three things:
//!
//! 1. It registers the hub as `web::Data<Hub>` in the app data. [`Sse`] looks it up when it
//!    responds and ends at an event boundary when the hub shuts down: hub subscriptions
//!    (after the hub's final event), `Finite` streams, emitters, any `Sse`. (A
//!    [`ShutdownSignal`] in the app data, `.app_data(signal)`, takes precedence.)
//! 2. `.disable_signals()`, and a task that waits for Ctrl-C **or SIGTERM** (what
//!    containers are stopped with), calls `hub.shutdown(Some(final_event))`, then
//!    `handle.stop(true)`: subscribers receive the final event (without an id, so a
//!    reconnecting client keeps its `Last-Event-ID`), every stream ends, and the server
//!    stops at once.
//! 3. Nothing else: no handler needs its own shutdown future.
//!
//! With actix-web's default signal handling instead, a SIGTERM stops accepting
//! connections, then waits the shutdown timeout (30 s by default,
//! `HttpServer::shutdown_timeout`) for the event streams, which never end, and then drops
//! them: no final event, and every stop takes the whole timeout. (Ctrl-C, SIGINT, is a
//! forced stop that drops them at once.)
//!
//! A handler's own [`Sse::until`] still works for other reasons to stop (a logout, a
//! cancelled job): `Sse::new(events).until(logged_out)`.
//!
//! # Periodic publishing
//!
//! [`Hub::publish_every`] spawns its task on the current tokio runtime, so call it inside
//! one, as in `#[actix_web::main]` above (actix-web's runtime is tokio's); outside, it
//! returns [`HubError::NoRuntime`]. The task stops when the hub shuts down. Every
//! subscriber of the topic shares the one task.
//!
//! # Serving
//!
//! - **`TCP_NODELAY`**: events are small writes; with Nagle's algorithm, one may wait for
//!   the client's delayed ACK of the previous one (up to 40 ms). actix-web leaves the
//!   operating system's default unless told: `HttpServer::tcp_nodelay(true)` (actix-web
//!   4.13 and later), as above.
//! - **State shared by every worker** is built once, outside the `HttpServer::new`
//!   factory, and cloned in: the factory runs once per worker thread.
//! - **Memory per connection**: what an idle stream costs on each framework is measured
//!   in the repository's `BENCHMARKS.md`.
//! - **Many events a second?** [`HubBuilder::coalesce`](sse_core::hub::HubBuilder::coalesce)
//!   makes each subscriber write what arrived within a window in one go.
//! - **Timeouts**: actix-web answers 408 and closes a connection whose request head takes
//!   longer than `HttpServer::client_request_timeout` (default 5 s). The ready [`routes`]
//!   read a publish body within
//!   [`HubEndpoints::body_timeout`](sse_endpoints::HubEndpoints::body_timeout)
//!   (10 s; 408 `body_timeout`) and admit at most
//!   [`max_publishes_in_flight`](sse_endpoints::HubEndpoints::max_publishes_in_flight)
//!   and [`publish_rate`](sse_endpoints::HubEndpoints::publish_rate) (429):
//!   build the `HubEndpoints` once, outside the factory, so that workers share them. To cap
//!   connections per client IP, take an [`AddressLimit`](sse_endpoints::limits::AddressLimit)
//!   guard in `HttpServer::on_connect`, keep it in the connection's data, and answer 429 in a
//!   middleware for a connection that got none (the demo's `demo-actix` does).
//!
//! # Authentication and CORS for `EventSource`
//!
//! A browser's `EventSource` cannot send headers: no `Authorization`. Authenticate with a
//! cookie, which it sends by itself (cross-origin with `new EventSource(url, {
//! withCredentials: true })`; across sites the cookie must be `SameSite=None; Secure`),
//! or with a token in the query string, which is weaker: URLs end up in logs and
//! histories. The ready-made routes call an [`Authorize`] hook with the
//! [`HttpRequest`](actix_web::HttpRequest) and the [`Access`] asked for. The hook reads the
//! request at once and answers now (`Ok(())`, `Err(Denied::Forbidden)`) or later, with
//! [`Authorization::later`] and a future that owns what it read: a session lookup here. A
//! [`Grant`] may expire: a subscription then ends at that time, at an event boundary, and
//! the browser reconnects and is authorized again. A 401 carries `WWW-Authenticate`.
//!
//! ```
//! use actix_web::HttpRequest;
//! use actix_web::http::header::{AUTHORIZATION, COOKIE};
//! use sse_actix::{Access, Authorization, Denied, Grant, Hub, HubEndpoints};
//!
//! # use std::time::{Duration, SystemTime};
//! # #[derive(Clone)] struct Sessions;
//! # struct User { admin: bool, rooms: Vec<String>, until: SystemTime }
//! # impl Sessions {
//! #     async fn find(&self, token: &str) -> Option<User> {
//! #         (token == "s3cr3t").then(|| User { admin: false, rooms: vec!["lobby".into()], until: SystemTime::now() + Duration::from_secs(600) })
//! #     }
//! # }
//! /// A bearer token, else the `session` cookie (what an `EventSource` sends). (With
//! /// actix-web's `cookies` feature, on by default: `request.cookie("session")`.)
//! fn credentials(request: &HttpRequest) -> Option<String> {
//!     let bearer = request.headers().get(AUTHORIZATION)
//!         .and_then(|value| value.to_str().ok()?.strip_prefix("Bearer "));
//!     let cookie = || request.headers().get_all(COOKIE)
//!         .filter_map(|value| value.to_str().ok())
//!         .flat_map(|cookies| cookies.split(';'))
//!         .find_map(|cookie| cookie.trim().strip_prefix("session="));
//!     bearer.or_else(cookie).map(str::to_owned)
//! }
//!
//! let sessions = Sessions; // your session store, cheap to clone
//! let hub = Hub::new();
//! let endpoints = HubEndpoints::new(hub.clone()).authorize(move |request: &HttpRequest, access: Access<'_>| {
//!     // Read the request now; the lookup owns what it needs.
//!     let (token, sessions) = (credentials(request), sessions.clone());
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
//! let app = actix_web::App::new().service(sse_actix::routes(endpoints));
//! # drop(app);
//! ```
//!
//! CORS, when the page is served from another origin, with the `actix-cors` crate
//! (`actix-cors = "0.7"`), allowing that origin and its cookies:
//!
//! ```ignore
//! use actix_cors::Cors;
//! use actix_web::http::header;
//!
//! App::new()
//!     .wrap(
//!         Cors::default()
//!             .allowed_origin("https://app.example.com")
//!             .allowed_methods(["GET", "POST"])
//!             .allowed_header(header::CONTENT_TYPE)
//!             .allowed_header("idempotency-key")
//!             .supports_credentials(),
//!     )
//!     .service(sse_actix::routes(endpoints))
//! ```
//!
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
//! use sse_actix::{Hub, HubEndpoints, Jwt};
//! use sse_actix::sse_endpoints::jwt::Claims;
//!
//! let secret = "at least 32 random bytes, from your config";
//! let endpoints = HubEndpoints::new(Hub::new()).authorize(Jwt::hs256(secret).unwrap().cookie("token"));
//! let app = actix_web::App::new().service(sse_actix::routes(endpoints));
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
//! - [`Sse`]: a `Responder` from any stream of events, a hub subscription or an emitter,
//!   with the right headers (including `content-encoding: identity`, so `Compress` leaves
//!   it alone, and `x-accel-buffering: no`), keep-alive, an optional retry prelude, and an
//!   end at the app's shutdown (a [`ShutdownSignal`] or `web::Data<Hub>` in the app data);
//! - [`LastEventId`]: the reconnecting client's `Last-Event-ID` (header or query);
//! - [`routes`]: `GET /events` + `POST /publish` over a [`Hub`], with an [`Authorize`] hook;
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

#[cfg(feature = "routes")]
#[cfg_attr(docsrs, doc(cfg(feature = "routes")))]
pub use auth::ActixRequest;
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
