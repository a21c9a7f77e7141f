//! Server-Sent Events for [axum](https://docs.rs/axum) 0.8, on [`sse_core`].
//!
//! - [`Sse`]: an `IntoResponse` from any stream of events or a hub subscription, with the
//!   right headers (including `content-encoding: identity`, so `CompressionLayer` leaves it
//!   alone, and `x-accel-buffering: no`), keep-alive and an optional retry prelude;
//! - [`LastEventId`]: an extractor for the reconnecting client's `Last-Event-ID`;
//! - [`routes`]: ready-made `GET /events` + `POST /publish` over a [`Hub`](sse_core::Hub), with an
//!   authorization hook;
//! - [`Error`]: every `sse-core` error as a JSON response with the right status.
//!
//! ```no_run
//! use std::time::Duration;
//! use axum::{Router, extract::State, routing::{get, post}};
//! use futures_util::stream;
//! use sse_axum::{Error, LastEventId, Sse};
//! use sse_core::{Event, Hub, Subscription};
//!
//! // 1. A finite stream: the words of a sentence, then the end.
//! async fn words() -> Sse<impl futures_util::Stream<Item = Event>> {
//!     Sse::new(stream::iter("the quick brown fox".split(' ').map(Event::new)))
//! }
//!
//! // 2. A hub subscription, resuming after Last-Event-ID without loss.
//! async fn news(State(hub): State<Hub>, LastEventId(last): LastEventId) -> Result<Sse<Subscription>, Error> {
//!     Ok(Sse::new(hub.subscribe(["news"], last.as_ref())?).retry(Duration::from_secs(2)))
//! }
//!
//! // 3. Publishing from any other handler.
//! async fn post_news(State(hub): State<Hub>, body: String) -> Result<String, Error> {
//!     Ok(hub.publish("news", Event::new(body).event("headline")?).await?.to_string())
//! }
//!
//! # #[tokio::main] async fn main() -> std::io::Result<()> {
//! let hub = Hub::new();
//! let app = Router::new()
//!     .route("/words", get(words))
//!     .route("/news", get(news).post(post_news))
//!     .merge(sse_axum::routes(sse_core::http::endpoints::HubEndpoints::new(hub.clone())))
//!     .with_state(hub.clone());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! // Graceful shutdown: end every event stream at an event boundary, or the server would
//! // wait for them forever. Streams not from the hub end with `.until(hub.closed())`.
//! // `into_make_service`: with a bare `Router`, `axum::serve` rebuilds the router for every
//! // connection (5.9 KiB that stays for as long as an event stream is open).
//! axum::serve(listener, app.into_make_service())
//!     .with_graceful_shutdown(async move {
//!         let _ = tokio::signal::ctrl_c().await;
//!         hub.shutdown(None);
//!     })
//!     .await
//! # }
//! ```
//!
//! **Many idle streams?** Serve with `app.into_make_service()` as above. For the last few
//! KiB per connection, serve HTTP/1.1 through `hyper::server::conn::http1` directly (the
//! demo's `demo-axum` shows how): `axum::serve` also detects HTTP/2, which grows hyper's read
//! buffer to 16 KiB. Browsers speak HTTP/2 only over TLS, which a TLS proxy in front ends.
//!
//! **Many events a second?** [`HubBuilder::coalesce`](sse_core::hub::HubBuilder::coalesce)
//! makes each subscriber write what arrived within a window in one go.

mod error;
mod extract;
mod response;
mod routes;
mod shutdown;

pub use error::Error;
pub use extract::LastEventId;
pub use response::Sse;
pub use routes::routes;
pub use shutdown::{Shutdown, ShutdownLayer};
pub use sse_core;
pub use sse_core::http::endpoints::{Access, Authorize, Denied, HubEndpoints};
