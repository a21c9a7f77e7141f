//! Server-Sent Events, framework-agnostic: spec-exact encoding, a streaming decoder,
//! keep-alive body streams, `Last-Event-ID`, and an in-memory publish/subscribe [`Hub`].
//!
//! The framework adapters (`sse-axum`, `sse-actix`, `sse-rocket`) are a page of glue over
//! this crate. Use it directly to encode events, to read an event stream as a client, or to
//! build an adapter for another framework.
//!
//! ```
//! use futures_util::StreamExt;
//! use sse_core::{Event, Hub, SseStream};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // One hub for the whole app; publish from any handler.
//! let hub = Hub::new();
//!
//! // A client subscribes; the body stream adds keep-alives and ends on shutdown.
//! let subscription = hub.subscribe(["news"], None)?;
//! let mut body = SseStream::new(subscription);
//!
//! hub.publish("news", Event::new("hello").event("headline")?).await?;
//! let bytes = body.next().await.unwrap();
//! assert!(bytes.ends_with(b"event: headline\ndata: hello\n\n"));
//! # Ok(())
//! # }
//! ```
//!
//! # Modules, by concern
//!
//! - [`event`]: the [`Event`] value, validated as it is built;
//! - [`encode`]: the wire format and the [`Frame`] (encoded once, shared by reference count);
//! - [`decode`]: a streaming, WHATWG-exact parser;
//! - [`stream`]: [`SseStream`], the response body (keep-alive, retry, shutdown);
//! - [`shutdown`]: the [`ShutdownSignal`] an app registers once with its adapter, so every
//!   stream ends when the app shuts down;
//! - [`emitter`]: an [`Emitter`] other code sends events through, and the stream half to
//!   respond with (bounded buffer, completion, close reasons);
//! - [`last_event_id`]: the [`LastEventId`] header, read from raw bytes;
//! - [`finite`]: [`Finite`] streams numbered `1..=N` that resume after `Last-Event-ID` and
//!   say when to answer `204 No Content`, so a browser does not replay them forever;
//! - [`hub`]: the [`Hub`]: topics, replay, bounded memory, shutdown, periodic publishing;
//! - [`http`]: what every adapter's HTTP side shares: [`HttpError`] and [`ErrorResponse`]
//!   (the status code and JSON body for every error a client can cause). The HTTP policy
//!   (the ready-made hub endpoints, authorization, limits, idempotency) is the
//!   `sse-endpoints` crate's.
//!
//! The [`guide`] to serving events with the adapters (two styles, shutdown, periodic
//! publishing, serving, authentication and CORS) is written once, here: every adapter's
//! documentation links to it.
//!
//! # Features
//!
//! - `json`: `Event::json`, event data serialized with `serde_json`;
//! - `tracing` (on by default): the hub's and the streams' logs through `tracing` (the hub
//!   module lists them); without it they compile to nothing;
//! - `metrics`: the hub's metrics through the `metrics` facade (`hub::metrics` lists them;
//!   without it nothing of them is compiled in).

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Without `tracing`, values computed only for a log line are left unused.
#![cfg_attr(not(feature = "tracing"), allow(unused_variables))]

pub mod decode;
pub mod emitter;
pub mod encode;
pub mod event;
pub mod finite;
pub mod guide;
pub mod http;
pub mod hub;
mod json;
pub mod last_event_id;
mod race;
pub mod shutdown;
pub mod stream;
mod trace;

pub use decode::{Decoded, Decoder, MessageEvent};
pub use emitter::{CloseReason, Emitter, EmitterBuilder, EmitterStream, SendError, TrySendError};
pub use encode::Frame;
pub use event::{Event, EventError, EventName, Field, Text};
pub use finite::{Finite, Resume};
pub use http::{ErrorResponse, HttpError};
pub use hub::{
    DisconnectHandle, EventId, Hub, HubBuilder, HubError, HubStats, LagPolicy, Subscription,
    TopicStats,
};
pub use last_event_id::{LastEventId, LastEventIdError};
pub use shutdown::{ShutdownSignal, ShutdownTrigger};
pub use stream::{IntoFrame, KeepAlive, RESPONSE_HEADERS, SseStream};
