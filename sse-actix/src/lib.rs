//! Server-Sent Events for [actix-web](https://docs.rs/actix-web) 4, on [`sse_core`].
//!
//! - [`Sse`]: a `Responder` from any stream of events or a hub subscription, with the right
//!   headers (including `content-encoding: identity`, so `Compress` leaves it alone, and
//!   `x-accel-buffering: no`), keep-alive and an optional retry prelude;
//! - [`LastEventId`]: an extractor for the reconnecting client's `Last-Event-ID`;
//! - [`routes`]: ready-made `GET /events` + `POST /publish` over a [`Hub`](sse_core::Hub), with an
//!   authorization hook;
//! - [`Error`]: every `sse-core` error as a JSON response with the right status.
//!
//! ```no_run
//! use std::time::Duration;
//! use actix_web::{App, HttpServer, web};
//! use futures_util::stream;
//! use sse_actix::{Error, LastEventId, Sse};
//! use sse_core::{Event, Hub, Subscription};
//!
//! // 1. A finite stream: the words of a sentence, then the end.
//! async fn words() -> Sse<impl futures_util::Stream<Item = Event>> {
//!     Sse::new(stream::iter("the quick brown fox".split(' ').map(Event::new)))
//! }
//!
//! // 2. A hub subscription, resuming after Last-Event-ID without loss.
//! async fn news(hub: web::Data<Hub>, LastEventId(last): LastEventId) -> Result<Sse<Subscription>, Error> {
//!     Ok(Sse::new(hub.subscribe(["news"], last.as_ref())?).retry(Duration::from_secs(2)))
//! }
//!
//! // 3. Publishing from any other handler.
//! async fn post_news(hub: web::Data<Hub>, body: String) -> Result<String, Error> {
//!     Ok(hub.publish("news", Event::new(body).event("headline")?).await?.to_string())
//! }
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     let hub = Hub::new();
//!     let app_hub = hub.clone();
//!     let server = HttpServer::new(move || {
//!         App::new()
//!             .app_data(web::Data::new(app_hub.clone()))
//!             .route("/words", web::get().to(words))
//!             .route("/news", web::get().to(news))
//!             .route("/news", web::post().to(post_news))
//!             .service(sse_actix::routes(sse_core::http::endpoints::HubEndpoints::new(app_hub.clone())))
//!     })
//!     .disable_signals()
//!     .bind("127.0.0.1:3001")?
//!     .run();
//!     // Graceful shutdown: end every event stream at an event boundary, then stop; the
//!     // server would otherwise wait for the streams until its shutdown timeout.
//!     let handle = server.handle();
//!     actix_web::rt::spawn(async move {
//!         let _ = tokio::signal::ctrl_c().await;
//!         hub.shutdown(None);
//!         handle.stop(true).await;
//!     });
//!     server.await
//! }
//! ```

mod error;
mod extract;
mod response;
mod routes;

pub use error::Error;
pub use extract::LastEventId;
pub use response::Sse;
pub use routes::routes;
pub use sse_core;
pub use sse_core::http::endpoints::{Access, Authorize, Denied, HubEndpoints};
