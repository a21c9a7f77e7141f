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
//! A subscription that resumes, a publish, the ready routes, a clock, a final event at shutdown:
//!
//! ```no_run
//! use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
//! use std::time::{Duration, SystemTime};
//!
//! use rocket::{State, get, post, routes};
//! use sse_rocket::{Error, Event, EventName, Hub, HubEndpoints, HubShutdown, LastEventId};
//! use sse_rocket::{Sse, Subscription};
//!
//! const NEWS: EventName = EventName::from_static("news"); // names checked at compile time
//! const BYE: EventName = EventName::from_static("bye");
//!
//! struct AppState { hub: Hub, posts: AtomicU64 }
//!
//! /// A reconnecting browser sends `Last-Event-ID` and first gets every event it missed,
//! /// exactly once and in order, then live ones. `Error`: JSON, with its status.
//! #[get("/news")]
//! fn news(app: &State<AppState>, last: LastEventId) -> Result<Sse<Subscription>, Error> {
//!     let subscription = app.hub.subscribe(["news"], last.0.as_ref())?;
//!     Ok(Sse::new(subscription).retry(Duration::from_secs(2)))
//! }
//!
//! /// Publishes the body to every subscriber; answers the id the hub gave it.
//! #[post("/news", data = "<body>")]
//! async fn post_news(app: &State<AppState>, body: String) -> Result<String, Error> {
//!     let id = app.hub.publish("news", Event::new(body).named(NEWS)).await?;
//!     app.posts.fetch_add(1, Relaxed);
//!     Ok(id.to_string())
//! }
//!
//! #[get("/stats")]
//! fn stats(app: &State<AppState>) -> String {
//!     format!("{} posts, {} subscribers", app.posts.load(Relaxed), app.hub.stats().subscribers)
//! }
//!
//! // `async`: it runs inside the tokio runtime, where `publish_every` can start its task.
//! #[rocket::launch]
//! async fn rocket() -> _ {
//!     let hub = Hub::new();
//!     // One clock for the whole app, on the topic `clock`, until the hub shuts down.
//!     hub.publish_every("clock", Duration::from_secs(1), || {
//!         let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
//!         Event::new(now.as_secs().to_string())
//!     })
//!     .expect("a valid topic, inside the runtime");
//!     rocket::build()
//!         .manage(AppState { hub: hub.clone(), posts: AtomicU64::new(0) })
//!         .mount("/", routes![news, post_news, stats])
//!         // `GET /events?topic=news&topic=clock` and `POST /publish`, ready-made.
//!         .mount("/", sse_rocket::routes(HubEndpoints::new(hub.clone())))
//!         // At Ctrl-C or SIGTERM: subscribers get this event, then every stream ends.
//!         .attach(HubShutdown::new(hub).final_event(Event::new("restarting").named(BYE)))
//! }
//! ```
//!
//! # On rocket
//!
//! What every framework shares is written once, in [`sse_core::guide`]: [two
//! styles](sse_core::guide::two_styles) (on rocket: [`Sse`]),
//! [shutdown](sse_core::guide::shutdown), [periodic publishing](sse_core::guide::periodic),
//! [serving](sse_core::guide::serving), [authentication, CORS and JWT](sse_core::guide::auth).
//! What differs on rocket:
//!
//! - **Shutdown**: rocket handles Ctrl-C and SIGTERM itself, and every [`Sse`] ends at its
//!   `Shutdown`. Attach [`HubShutdown`] once for the hub's final event: without it, streams
//!   end at `Shutdown` itself, before anything could call `hub.shutdown`.
//! - **Probe writes**: rocket learns that a client left only when it next writes, so an idle
//!   [`Sse`] writes an empty comment after a second without any write: a departed client is
//!   let go within a second ([`Sse::probe`], [`Sse::no_probe`]).
//! - **Periodic publishing**: `#[launch]` runs inside the runtime only when it is `async`;
//!   a plain `fn rocket() -> _` gets `HubError::NoRuntime`. Or start it at liftoff
//!   ([`HubShutdown`] shows how).
//! - **`impl Stream` from a handler that takes `&State`** needs `+ use<>` (else E0521,
//!   "borrowed data escapes"): see [`Sse`].
//! - **Serving**: rocket sets `TCP_NODELAY` itself. It logs `Remote left` at warning level
//!   for every client that closes a stream: set `log_level` to `Critical` (as the demo does)
//!   and log through `tracing`. Rocket 0.5 has no request-head timeout, nor a hook for one:
//!   put it behind a proxy that has one (nginx `client_header_timeout`), or relay to it from
//!   a hyper server of your own (as `demo-rocket` does). It reads the first 14 bytes of
//!   every body before routing: a body that stalls before them never reaches a handler's
//!   timeout. A body route of your own: `let admitted = endpoints.admit_body()?; let body =
//!   admitted.read(sse_rocket::read_body(request, data, admitted.max_body())).await.bytes()?;`.
//! - **Authorization**: the [`Authorize`] hook gets the [`Request`](rocket::Request), read by
//!   [`RocketRequest`] for hooks written once (as [`Jwt`]); rocket has no CORS middleware:
//!   [`routes`] shows a hook with a session lookup, and a CORS fairing.
//!
//! # What is here, and features
//!
//! [`Sse`], [`LastEventId`], [`HubShutdown`], [`Error`] (JSON, with its status), and the
//! `sse-core` types handlers use; with the default feature `routes`, [`routes`],
//! [`read_body`], [`RocketRequest`] and [`sse_endpoints`] ([`HubEndpoints`], [`Authorize`],
//! [`Access`], [`Authorization`], [`Grant`], [`Denied`] here); with `jwt`, [`Jwt`].
//! `default-features = false` leaves only `Sse`, `LastEventId`, the shutdown and `Error`.

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
