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
//! A subscription that resumes, a publish, the ready routes, a clock, a shutdown that cannot hang:
//!
//! ```no_run
//! use std::time::{Duration, SystemTime};
//!
//! use actix_web::{App, HttpServer, web};
//! use sse_actix::{Error, Event, EventName, Hub, HubEndpoints, LastEventId, Sse, Subscription};
//!
//! const NEWS: EventName = EventName::from_static("news"); // names checked at compile time
//! const BYE: EventName = EventName::from_static("bye");
//!
//! /// `GET /news`. A reconnecting browser sends `Last-Event-ID` and first gets every event
//! /// it missed, exactly once and in order, then live ones. `Error`: JSON, with its status.
//! async fn news(hub: web::Data<Hub>, last: LastEventId) -> Result<Sse<Subscription>, Error> {
//!     let subscription = hub.subscribe(["news"], last.0.as_ref())?;
//!     Ok(Sse::new(subscription).retry(Duration::from_secs(2)))
//! }
//!
//! /// `POST /news`: publishes the body to every subscriber; answers the id the hub gave it.
//! async fn post_news(hub: web::Data<Hub>, body: String) -> Result<String, Error> {
//!     Ok(hub.publish("news", Event::new(body).named(NEWS)).await?.to_string())
//! }
//!
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let hub = Hub::new();
//!     // Built once, outside the factory (it runs once per worker), so that workers share them.
//!     let hub_data = web::Data::new(hub.clone());
//!     let endpoints = HubEndpoints::new(hub.clone()); // its clones share its limits
//!     // One clock for the whole app, on the topic `clock`, until the hub shuts down.
//!     hub.publish_every("clock", Duration::from_secs(1), || {
//!         let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
//!         Event::new(now.as_secs().to_string())
//!     })?;
//!     let server = HttpServer::new(move || {
//!         App::new()
//!             // For the handlers, and the app's shutdown: every `Sse` ends with this hub.
//!             .app_data(hub_data.clone())
//!             .route("/news", web::get().to(news))
//!             .route("/news", web::post().to(post_news))
//!             // `GET /events?topic=news&topic=clock` and `POST /publish`, ready-made.
//!             .service(sse_actix::routes(endpoints.clone()))
//!     })
//!     .disable_signals() // stopped below, after the hub
//!     .tcp_nodelay(true) // send each event at once
//!     .h1_allow_half_closed(false) // a client that closes is let go at once
//!     .bind(("0.0.0.0", 3000))?
//!     .run();
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
//!     #[cfg(unix)]
//!     let sigterm = async {
//!         use actix_web::rt::signal::unix::{SignalKind, signal};
//!         signal(SignalKind::terminate()).expect("listening for SIGTERM").recv().await
//!     };
//!     #[cfg(not(unix))]
//!     let sigterm = std::future::pending::<Option<()>>();
//!     tokio::select! { _ = actix_web::rt::signal::ctrl_c() => {}, _ = sigterm => {} }
//! }
//! ```
//!
//! # On actix-web
//!
//! What every framework shares is written once, in [`sse_core::guide`]: [two
//! styles](sse_core::guide::two_styles) (on actix-web: [`Sse`]),
//! [shutdown](sse_core::guide::shutdown), [periodic publishing](sse_core::guide::periodic),
//! [serving](sse_core::guide::serving), [authentication, CORS and JWT](sse_core::guide::auth).
//! What differs on actix-web:
//!
//! - **Shutdown**: [`Sse`] ends at the hub registered as `web::Data<Hub>` (or a
//!   [`ShutdownSignal`] in the app data, which takes precedence). `.disable_signals()`, and
//!   on a signal `hub.shutdown(..)` then `handle.stop(true)`, as above: with actix-web's own
//!   signal handling, a SIGTERM waits the whole shutdown timeout (30 s) for streams that
//!   never end, then drops them without a final event.
//! - **`h1_allow_half_closed(false)`**: the HTTP/1 dispatcher sees a client's close at once,
//!   but by default takes it for a half-close and keeps the response going until a write
//!   fails, about two keep-alive intervals later, holding the subscription and its topic.
//!   Refused, the connection and its stream end as soon as the close is read. The price: a
//!   client that shuts its sending side while waiting for an answer (rare; not browsers)
//!   gets none. Without it, [`Sse::probe`] bounds the wait.
//! - **Serving**: `tcp_nodelay(true)` (4.13 and later). The request-head timeout is
//!   `HttpServer::client_request_timeout` (5 s, then 408). To cap connections per client IP,
//!   take an [`AddressLimit`](sse_endpoints::limits::AddressLimit) guard in
//!   `HttpServer::on_connect`, keep it in the connection's data, and answer 429 in a
//!   middleware for a connection that got none (as `demo-actix` does). A body route of your
//!   own: `let admitted = endpoints.admit_body()?; let body =
//!   admitted.read(sse_actix::read_body(payload, admitted.max_body())).await.bytes()?;`.
//! - **Authorization**: the [`Authorize`] hook gets the
//!   [`HttpRequest`](actix_web::HttpRequest), read by [`ActixRequest`] for hooks written once
//!   (as [`Jwt`]); [`routes`] shows one with a session lookup, and `actix-cors`.
//!
//! # What is here, and features
//!
//! [`Sse`] (ending at the app's shutdown), [`LastEventId`], [`Error`] (JSON, with its
//! status), and the `sse-core` types handlers use; with the default feature `routes`,
//! [`routes`], [`read_body`], [`ActixRequest`] and [`sse_endpoints`] ([`HubEndpoints`],
//! [`Authorize`], [`Access`], [`Authorization`], [`Grant`], [`Denied`] here); with `jwt`,
//! [`Jwt`]. `default-features = false` leaves only `Sse`, `LastEventId` and `Error`.

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
