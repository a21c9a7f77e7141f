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
//! A subscription that resumes, a publish, the ready routes, a clock, a shutdown that cannot hang:
//!
//! ```no_run
//! use std::sync::{Arc, atomic::{AtomicU64, Ordering::Relaxed}};
//! use std::time::{Duration, SystemTime};
//!
//! use axum::extract::{FromRef, State};
//! use axum::{Router, routing::get, serve::ListenerExt};
//! use sse_axum::{Error, Event, EventName, Hub, HubEndpoints, LastEventId, Sse, Subscription};
//!
//! const NEWS: EventName = EventName::from_static("news"); // names checked at compile time
//! const BYE: EventName = EventName::from_static("bye");
//!
//! #[derive(Clone)]
//! struct AppState { hub: Hub, posts: Arc<AtomicU64> }
//!
//! // Lets handlers take `State<Hub>`; without it, rustc only says they are not `Handler`s.
//! impl FromRef<AppState> for Hub {
//!     fn from_ref(state: &AppState) -> Hub { state.hub.clone() }
//! }
//!
//! /// `GET /news`: what a reconnecting browser missed after its `Last-Event-ID`, exactly
//! /// once and in order, then live events. `Error`: JSON, with its status.
//! async fn news(State(hub): State<Hub>, last: LastEventId) -> Result<Sse<Subscription>, Error> {
//!     let subscription = hub.subscribe(["news"], last.0.as_ref())?;
//!     Ok(Sse::new(subscription).retry(Duration::from_secs(2)))
//! }
//!
//! /// `POST /news`: publishes the body to every subscriber; answers the id the hub gave it.
//! async fn post_news(State(app): State<AppState>, body: String) -> Result<String, Error> {
//!     let id = app.hub.publish("news", Event::new(body).named(NEWS)).await?;
//!     app.posts.fetch_add(1, Relaxed);
//!     Ok(id.to_string())
//! }
//!
//! async fn stats(State(app): State<AppState>) -> String {
//!     format!("{} posts, {} subscribers", app.posts.load(Relaxed), app.hub.stats().subscribers)
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let hub = Hub::new();
//!     // One clock for the whole app, on the topic `clock`, until the hub shuts down.
//!     hub.publish_every("clock", Duration::from_secs(1), || {
//!         let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
//!         Event::new(now.as_secs().to_string())
//!     })?;
//!     let app = Router::new()
//!         .route("/news", get(news).post(post_news))
//!         .route("/stats", get(stats))
//!         // `GET /events?topic=news&topic=clock` and `POST /publish`, ready-made.
//!         .merge(sse_axum::routes(HubEndpoints::new(hub.clone())))
//!         // Once, after the last route: every event stream ends when the hub shuts down.
//!         .layer(sse_axum::ShutdownLayer::new(hub.shutdown_signal()))
//!         .with_state(AppState { hub: hub.clone(), posts: Arc::default() });
//!     let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
//!     let listener = listener.tap_io(|tcp| drop(tcp.set_nodelay(true))); // events at once
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
//!     #[cfg(unix)]
//!     let sigterm = async {
//!         use tokio::signal::unix::{SignalKind, signal};
//!         signal(SignalKind::terminate()).expect("listening for SIGTERM").recv().await
//!     };
//!     #[cfg(not(unix))]
//!     let sigterm = std::future::pending::<Option<()>>();
//!     tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = sigterm => {} }
//! }
//! ```
//!
//! # On axum
//!
//! What every framework shares is written once, in [`sse_core::guide`]: [two
//! styles](sse_core::guide::two_styles) (on axum: [`Sse`]), [shutdown](sse_core::guide::shutdown),
//! [periodic publishing](sse_core::guide::periodic), [serving](sse_core::guide::serving),
//! [authentication, CORS and JWT](sse_core::guide::auth). What differs on axum:
//!
//! - **Shutdown**: [`ShutdownLayer`] once, after the last route (`.layer` wraps only the
//!   routes before it), and `hub.shutdown(..)` in `with_graceful_shutdown`'s future.
//! - **Serving**: `app.into_make_service()` (a bare `Router` is rebuilt for every
//!   connection). Serving HTTP/1.1 through `hyper::server::conn::http1` (as `demo-axum`
//!   does) costs less memory, sets the head timeout (`axum::serve`: 30 s) with
//!   `header_read_timeout`, and has an accept loop to hold an
//!   [`AddressLimit`](sse_endpoints::limits::AddressLimit) in. A body route of your own:
//!   `let admitted = endpoints.admit_body()?; let body =
//!   admitted.read(sse_axum::read_body(body, admitted.max_body())).await.bytes()?;`.
//! - **Authorization**: the [`Authorize`] hook gets the request's
//!   [`Parts`](axum::http::request::Parts), read by [`AxumRequest`] for hooks written once
//!   (as [`Jwt`]); [`routes`] shows one with a session lookup, and tower-http's CORS.
//!
//! # What is here, and features
//!
//! [`Sse`], [`LastEventId`], [`ShutdownLayer`], [`Error`] (JSON, with its status), and the
//! `sse-core` types handlers use; with the default feature `routes`, [`routes`],
//! [`read_body`], [`AxumRequest`] and [`sse_endpoints`] ([`HubEndpoints`], [`Authorize`],
//! [`Access`], [`Authorization`], [`Grant`], [`Denied`] here); with `jwt`, [`Jwt`].
//! `default-features = false` leaves only `Sse`, `LastEventId`, the shutdown and `Error`.

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
pub use shutdown::{ResponseFuture, Shutdown, ShutdownBody, ShutdownLayer};
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
