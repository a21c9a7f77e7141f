//! Server-Sent Events for [rocket](https://docs.rs/rocket) 0.5: an [`Sse`] responder that
//! ends at rocket's shutdown, a [`LastEventId`] request guard, ready-made hub [`routes`],
//! and a [`HubShutdown`] fairing that delivers the hub's final event at shutdown.
//! Everything a handler needs is re-exported here.
//!
//! ```toml
//! [dependencies]
//! sse-rocket = "0.1"
//! rocket = "0.5"
//! ```
//!
//! No `tokio` dependency is needed: rocket re-exports it as `rocket::tokio`.
//!
//! # An app
//!
//! A hub in the app's own state, a subscription that resumes after `Last-Event-ID`,
//! publishing handlers, the ready-made routes, a clock, and a graceful shutdown that
//! delivers a final event:
//!
//! ```no_run
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use std::time::{Duration, SystemTime};
//!
//! use rocket::{Responder, State, get, post, routes};
//! use sse_rocket::{
//!     Event, EventError, EventName, Hub, HubEndpoints, HubError, HubShutdown, LastEventId,
//!     Sse, Subscription,
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
//! /// The app's errors. `sse-core`'s errors come in through `?` as an `sse_rocket::Error`,
//! /// which answers each with its documented status and a JSON body.
//! #[derive(Debug, Responder)]
//! enum AppError {
//!     Sse(sse_rocket::Error),
//!     #[response(status = 400)]
//!     EmptyPost(&'static str),
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
//! /// The `news` topic. A reconnecting browser sends `Last-Event-ID` and first gets every
//! /// event it missed, exactly once and in order, then live ones.
//! #[get("/news")]
//! fn news(app: &State<AppState>, last: LastEventId) -> Result<Sse<Subscription>, AppError> {
//!     let subscription = app.hub.subscribe(["news"], last.0.as_ref())?; // HubError
//!     Ok(Sse::new(subscription).retry(Duration::from_secs(2)))
//! }
//!
//! /// Publishes the body to every subscriber; answers the id the hub gave it.
//! #[post("/news", data = "<body>")]
//! async fn post_news(app: &State<AppState>, body: String) -> Result<String, AppError> {
//!     if body.trim().is_empty() {
//!         return Err(AppError::EmptyPost("nothing to post"));
//!     }
//!     let id = app.hub.publish("news", Event::new(body).named(NEWS)).await?;
//!     app.posts.fetch_add(1, Ordering::Relaxed);
//!     Ok(id.to_string())
//! }
//!
//! /// The same, under an event name the client chose. Such a name is checked: one with a
//! /// line break is an `EventError` (422).
//! #[post("/news/<name>", data = "<body>")]
//! async fn post_named(app: &State<AppState>, name: &str, body: String) -> Result<String, AppError> {
//!     Ok(app.hub.publish("news", Event::new(body).event(name)?).await?.to_string())
//! }
//!
//! #[get("/stats")]
//! fn stats(app: &State<AppState>) -> String {
//!     let posts = app.posts.load(Ordering::Relaxed);
//!     format!("{posts} posts, {} subscribers", app.hub.stats().subscribers)
//! }
//!
//! // `async`: it runs inside the tokio runtime, where `publish_every` can start its task.
//! #[rocket::launch]
//! async fn rocket() -> _ {
//!     let hub = Hub::new();
//!     // One clock for the whole app, on the topic `clock`, until the hub shuts down.
//!     hub.publish_every("clock", Duration::from_secs(1), || {
//!         let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
//!         Event::new(now.as_secs().to_string()).named(TICK)
//!     })
//!     .expect("a valid topic, inside the runtime");
//!
//!     rocket::build()
//!         .manage(AppState { hub: hub.clone(), posts: AtomicU64::new(0) })
//!         .mount("/", routes![news, post_news, post_named, stats])
//!         // `GET /events?topic=news&topic=clock` and `POST /publish`, ready-made.
//!         .mount("/", sse_rocket::routes(HubEndpoints::new(hub.clone())))
//!         // At Ctrl-C or SIGTERM: subscribers get this event, then every stream ends.
//!         .attach(HubShutdown::new(hub).final_event(Event::new("restarting").named(BYE)))
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
//! use rocket::response::status::NoContent;
//! use rocket::{get, routes};
//! use sse_rocket::{Emitter, EmitterStream, Event, Finite, LastEventId, Resume, Sse};
//!
//! const WORDS: [&str; 5] = ["Server-sent", "events", "resume", "after", "reconnecting"];
//!
//! /// (a) A returned stream: numbered `1..=5`, resumed after `Last-Event-ID`.
//! #[get("/words")]
//! fn words(last: LastEventId) -> Result<Sse<Finite>, NoContent> {
//!     Finite::resume(last.0.as_ref(), WORDS.map(Event::new))
//!         .map(|s| Sse::new(s.paced(Duration::from_secs(1))))
//!         .ok_or(NoContent) // the client has every word
//! }
//!
//! /// (b) An emitter: a task sends a word a second, numbered the same way, then completes.
//! #[get("/words/emitter")]
//! fn words_emitter(last: LastEventId) -> Result<Sse<EmitterStream>, NoContent> {
//!     let resume = Resume::after(last.0.as_ref(), WORDS.len()).ok_or(NoContent)?;
//!     let (emitter, events) = Emitter::channel();
//!     rocket::tokio::spawn(async move {
//!         let mut second = rocket::tokio::time::interval(Duration::from_secs(1));
//!         for number in resume.remaining() {
//!             rocket::tokio::select! {
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
//! let rocket = rocket::build().mount("/", routes![words, words_emitter]);
//! # drop(rocket);
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
//! - **A departed client is noticed within a second on rocket**, whatever the keep-alive
//!   interval: rocket writes a body from a task that learns of a closed connection only
//!   when it next writes, so an idle [`Sse`] writes an empty comment after a second without
//!   any write (see [`Sse`]'s *departed clients*; [`Sse::probe`], [`Sse::no_probe`]). The
//!   conformance check `departed_clients_let_go_of_their_topics_and_connections` measures
//!   it. Until then the emitter stays open and sends succeed into its buffer. (axum
//!   notices at once, actix-web at once with `HttpServer::h1_allow_half_closed(false)`.) A
//!   client whose network vanished without closing anything is noticed only when TCP gives
//!   up on the connection.
//!
//! # Graceful shutdown that cannot hang
//!
//! Rocket handles Ctrl-C and SIGTERM itself, and every [`Sse`] ends at rocket's
//! `Shutdown`, so a graceful shutdown never waits for an event stream. Attach
//! [`HubShutdown`] once, as the app above does, for the hub's final event:
//!
//! ```text
//! .attach(HubShutdown::new(hub.clone()).final_event(final_event))
//! ```
//!
//! At shutdown it calls `hub.shutdown(Some(final_event))`; every `Sse` then ends once the
//! hub has, so subscribers receive the final event (without an id, so a reconnecting
//! client keeps its `Last-Event-ID`) before their stream ends, and every other stream
//! (`Finite`, emitters, any `Sse`) ends too. Without the fairing, streams end at rocket's
//! `Shutdown` itself, which fires before anything could call `hub.shutdown`: the final
//! event is cut off.
//!
//! A handler's own [`Sse::until`] still works for other reasons to stop (a logout, a
//! cancelled job): `Sse::new(events).until(logged_out)`.
//!
//! # Periodic publishing
//!
//! [`Hub::publish_every`] spawns its task on the current tokio runtime. Rocket's
//! `#[launch]` function runs inside the runtime only when it is `async`, as above: with a
//! plain `fn rocket() -> _`, `publish_every` returns [`HubError::NoRuntime`]. Or start it
//! once rocket is up, in a fairing:
//!
//! ```
//! use std::time::Duration;
//! use rocket::fairing::AdHoc;
//! use sse_rocket::{Event, Hub};
//!
//! let hub = Hub::new();
//! let clock_hub = hub.clone();
//! let rocket = rocket::build()
//!     .manage(hub)
//!     .attach(AdHoc::on_liftoff("clock", move |_| {
//!         Box::pin(async move {
//!             let tick = || Event::new("tick");
//!             if let Err(error) = clock_hub.publish_every("clock", Duration::from_secs(1), tick) {
//!                 eprintln!("no clock: {error}");
//!             }
//!         })
//!     }));
//! # drop(rocket);
//! ```
//!
//! The task stops when the hub shuts down. Every subscriber of the topic shares it.
//!
//! # Returning `impl Stream` from a handler that takes `&State`
//!
//! With edition 2024, a returned `impl Trait` captures every lifetime in scope, the
//! `&State`'s too, and rocket needs a response that does not borrow the request. Say that
//! the stream borrows nothing with `+ use<>`:
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use rocket::{State, get};
//! use sse_rocket::{Event, Sse, Stream, stream};
//!
//! struct AppState { posts: AtomicU64 }
//!
//! #[get("/countdown")]
//! fn countdown(app: &State<AppState>) -> Sse<impl Stream<Item = Event> + use<>> {
//!     let from = app.posts.load(Ordering::Relaxed);
//!     Sse::new(stream::iter((1..=from).rev().map(|n| Event::new(n.to_string()))))
//! }
//! # let _ = rocket::build().manage(AppState { posts: AtomicU64::new(3) }).mount("/", rocket::routes![countdown]);
//! ```
//!
//! Without it the error is E0521, "borrowed data escapes outside of function", about
//! rocket's generated `__req`, with the hint "replace `'__r` with `'static`": neither is in
//! your code, and the fix is `+ use<>` on the return type.
//!
//! ```compile_fail,E0521
//! # use std::sync::atomic::{AtomicU64, Ordering};
//! # use rocket::{State, get};
//! # use sse_rocket::{Event, Sse, Stream, stream};
//! # struct AppState { posts: AtomicU64 }
//! #[get("/countdown")]
//! fn countdown(app: &State<AppState>) -> Sse<impl Stream<Item = Event>> {
//!     let from = app.posts.load(Ordering::Relaxed);
//!     Sse::new(stream::iter((1..=from).rev().map(|n| Event::new(n.to_string()))))
//! }
//! ```
//!
//! # Serving
//!
//! - **`TCP_NODELAY`**: events are small writes; with Nagle's algorithm, one may wait for
//!   the client's delayed ACK of the previous one (up to 40 ms). Rocket 0.5 sets
//!   `TCP_NODELAY` on every connection itself.
//! - **Memory per connection**: what an idle stream costs on each framework is measured
//!   in the repository's `BENCHMARKS.md`.
//! - **Many events a second?** [`HubBuilder::coalesce`](sse_core::hub::HubBuilder::coalesce)
//!   makes each subscriber write what arrived within a window in one go.
//! - **Logs**: rocket's own logger writes `Remote left: ...` at warning level for every
//!   client that closes an event stream (and a few lines per request at `Normal`), so a
//!   busy SSE server fills its log with routine disconnects. Rocket cannot lower that one
//!   line: set `log_level` to `LogLevel::Critical` (as the demo does) or `Off`, and log
//!   through `tracing`, where the hub writes one *debug* line per subscriber that leaves
//!   and its notable events (lag, `missed` notices, shutdown) at info.
//! - **Timeouts**: rocket 0.5 has no request-head timeout, and no hook for one (its hyper
//!   0.14 options and its listener are private): a head trickled or left unfinished stays
//!   open for good. Put it behind a proxy that has one (nginx `client_header_timeout`), or
//!   bind rocket to 127.0.0.1 and relay to it from a hyper server of your own, as the
//!   demo's `demo-rocket` does. The ready [`routes`] read a publish body within
//!   [`HubEndpoints::body_timeout`](sse_endpoints::HubEndpoints::body_timeout)
//!   (10 s; 408 `body_timeout`), and admit at most
//!   [`max_publishes_in_flight`](sse_endpoints::HubEndpoints::max_publishes_in_flight)
//!   and [`publish_rate`](sse_endpoints::HubEndpoints::publish_rate) (429).
//!   Rocket reads the first 14 bytes of every body before routing: a body that stalls
//!   before them never reaches a handler, or its timeout.
//!
//! # Authentication and CORS for `EventSource`
//!
//! A browser's `EventSource` cannot send headers: no `Authorization`. Authenticate with a
//! cookie, which it sends by itself (cross-origin with `new EventSource(url, {
//! withCredentials: true })`; across sites the cookie must be `SameSite=None; Secure`),
//! or with a token in the query string, which is weaker: URLs end up in logs and
//! histories. The ready-made routes call an [`Authorize`] hook with the
//! [`Request`](rocket::Request) and the [`Access`] asked for. The hook reads the request at
//! once and answers now (`Ok(())`, `Err(Denied::Forbidden)`) or later, with
//! [`Authorization::later`] and a future that owns what it read: a session lookup here. A
//! [`Grant`] may expire: a subscription then ends at that time, at an event boundary, and
//! the browser reconnects and is authorized again. A 401 carries `WWW-Authenticate`.
//!
//! ```
//! use rocket::Request;
//! use sse_rocket::{Access, Authorization, Denied, Grant, Hub, HubEndpoints};
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
//! fn credentials(request: &Request<'_>) -> Option<String> {
//!     let bearer = request.headers().get_one("authorization")
//!         .and_then(|value| value.strip_prefix("Bearer ")).map(str::to_owned);
//!     bearer.or_else(|| request.cookies().get("session").map(|cookie| cookie.value().to_owned()))
//! }
//!
//! let sessions = Sessions; // your session store, cheap to clone
//! let hub = Hub::new();
//! let endpoints = HubEndpoints::new(hub.clone()).authorize(move |request: &Request<'_>, access: Access<'_>| {
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
//! let rocket = rocket::build().mount("/", sse_rocket::routes(endpoints));
//! # drop(rocket);
//! ```
//!
//! CORS, when the page is served from another origin: rocket has no CORS middleware of
//! its own, and a small fairing is enough. It echoes an allowed origin and allows its
//! cookies; the `OPTIONS` route answers the preflight of a `fetch` that publishes JSON (an
//! `EventSource` request is a plain `GET`, not preflighted):
//!
//! ```
//! use rocket::fairing::{Fairing, Info, Kind};
//! use rocket::http::Status;
//! use rocket::{Request, Response, options, routes};
//!
//! struct Cors {
//!     origins: &'static [&'static str],
//! }
//!
//! #[rocket::async_trait]
//! impl Fairing for Cors {
//!     fn info(&self) -> Info {
//!         Info { name: "CORS", kind: Kind::Response }
//!     }
//!
//!     async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
//!         let Some(origin) = request.headers().get_one("origin") else { return };
//!         if self.origins.contains(&origin) {
//!             // With credentials, the browser accepts the exact origin only, never `*`.
//!             response.set_raw_header("Access-Control-Allow-Origin", origin.to_owned());
//!             response.set_raw_header("Access-Control-Allow-Credentials", "true");
//!             response.set_raw_header("Access-Control-Allow-Methods", "GET, POST");
//!             response.set_raw_header("Access-Control-Allow-Headers", "content-type, idempotency-key");
//!         }
//!         response.adjoin_raw_header("Vary", "Origin");
//!     }
//! }
//!
//! /// Preflight requests, for any path.
//! #[options("/<_..>")]
//! fn preflight() -> Status {
//!     Status::NoContent
//! }
//!
//! let rocket = rocket::build()
//!     .attach(Cors { origins: &["https://app.example.com"] })
//!     .mount("/", routes![preflight]);
//! # drop(rocket);
//! ```
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
//! use sse_rocket::{Hub, HubEndpoints, Jwt};
//! use sse_rocket::sse_endpoints::jwt::Claims;
//!
//! let secret = "at least 32 random bytes, from your config";
//! let endpoints = HubEndpoints::new(Hub::new()).authorize(Jwt::hs256(secret).unwrap().cookie("token"));
//! let rocket = rocket::build().mount("/", sse_rocket::routes(endpoints));
//!
//! // A token for a client (a login handler's job): read `news`, publish nothing, for an hour.
//! let token = Claims::new().subscribe(["news"]).expires_in(Duration::from_secs(3600))
//!     .sign_hs256(secret.as_bytes()).unwrap();
//! // In the page: new EventSource(`/events?topic=news&authorization=${token}`),
//! // or set the cookie `token` and use new EventSource("/events?topic=news").
//! # drop((rocket, token));
//! # }
//! ```
//!
//! # What is here
//!
//! - [`Sse`]: a `Responder` from any stream of events, a hub subscription or an emitter,
//!   with the right headers (including `content-encoding: identity` and
//!   `x-accel-buffering: no`), keep-alive, an optional retry prelude, and an end at
//!   rocket's `Shutdown` (or at the hub's, with [`HubShutdown`]);
//! - [`LastEventId`]: a request guard for the reconnecting client's `Last-Event-ID`
//!   (header or query);
//! - [`routes`]: `GET /events` + `POST /publish` over a [`Hub`], with an [`Authorize`] hook;
//! - [`HubShutdown`]: a fairing that shuts the hub down at rocket's shutdown, with a final
//!   event;
//! - [`Error`]: every `sse-core` error as a JSON response with its status;
//! - re-exports of the `sse-core` types handlers use ([`Event`], [`EventName`], [`Hub`],
//!   [`Emitter`], [`Finite`], ...), and of [`Stream`], [`StreamExt`] and [`stream`] from
//!   `futures-util`, so an app needs no other dependency for them. The whole core is
//!   [`sse_core`].

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "routes")]
mod auth;
mod error;
mod guard;
mod response;
#[cfg(feature = "routes")]
mod routes;
mod shutdown;

#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
pub use auth::Jwt;
#[cfg(feature = "routes")]
#[cfg_attr(docsrs, doc(cfg(feature = "routes")))]
pub use auth::RocketRequest;
pub use error::Error;
pub use futures_util::{Stream, StreamExt, stream};
pub use guard::LastEventId;
pub use response::Sse;
#[cfg(feature = "routes")]
#[cfg_attr(docsrs, doc(cfg(feature = "routes")))]
pub use routes::{read_body, routes};
pub use shutdown::HubShutdown;
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
