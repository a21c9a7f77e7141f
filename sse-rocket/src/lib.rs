//! Server-Sent Events for [rocket](https://docs.rs/rocket) 0.5, on [`sse_core`].
//!
//! - [`Sse`]: a `Responder` from any stream of events or a hub subscription, with the right
//!   headers (including `content-encoding: identity` and `x-accel-buffering: no`),
//!   keep-alive, an optional retry prelude, and an end at rocket's `Shutdown`;
//! - [`LastEventId`]: a request guard for the reconnecting client's `Last-Event-ID`;
//! - [`routes`]: ready-made `GET /events` + `POST /publish` over a [`Hub`](sse_core::Hub), with an
//!   authorization hook;
//! - [`Error`]: every `sse-core` error as a JSON response with the right status.
//!
//! ```no_run
//! use std::time::Duration;
//! use futures_util::stream;
//! use rocket::{State, get, post, routes};
//! use sse_rocket::{Error, LastEventId, Sse};
//! use sse_core::{Event, Hub, Subscription};
//!
//! // 1. A finite stream: the words of a sentence, then the end.
//! #[get("/words")]
//! fn words() -> Sse<impl futures_util::Stream<Item = Event>> {
//!     Sse::new(stream::iter("the quick brown fox".split(' ').map(Event::new)))
//! }
//!
//! // 2. A hub subscription, resuming after Last-Event-ID without loss.
//! #[get("/news")]
//! fn news(hub: &State<Hub>, last: LastEventId) -> Result<Sse<Subscription>, Error> {
//!     Ok(Sse::new(hub.subscribe(["news"], last.0.as_ref())?).retry(Duration::from_secs(2)))
//! }
//!
//! // 3. Publishing from any other handler.
//! #[post("/news", data = "<body>")]
//! async fn post_news(hub: &State<Hub>, body: String) -> Result<String, Error> {
//!     Ok(hub.publish("news", Event::new(body).event("headline")?).await?.to_string())
//! }
//!
//! #[rocket::launch]
//! fn rocket() -> _ {
//!     let hub = Hub::new();
//!     rocket::build()
//!         .manage(hub.clone())
//!         .mount("/", routes![words, news, post_news])
//!         .mount("/", sse_rocket::routes(sse_core::http::endpoints::HubEndpoints::new(hub)))
//!     // Every `Sse` ends at rocket's `Shutdown`, so graceful shutdown completes by itself.
//! }
//! ```

mod error;
mod guard;
mod response;
mod routes;
mod shutdown;

pub use error::Error;
pub use guard::LastEventId;
pub use response::Sse;
pub use routes::routes;
pub use shutdown::HubShutdown;
pub use sse_core;
pub use sse_core::http::endpoints::{Access, Authorize, Denied, HubEndpoints};
