//! [`Sse`]: an event stream as a rocket `Responder`, ending at rocket's `Shutdown`.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use futures_util::Stream;
use rocket::Request;
use rocket::response::stream::ByteStream;
use rocket::response::{self, Responder};
use sse_core::{IntoFrame, KeepAlive, RESPONSE_HEADERS, SseStream};

use crate::shutdown::StreamsEnd;

/// An event-stream response: the headers of [`RESPONSE_HEADERS`], keep-alive comments after
/// 15 s of idleness by default, and an optional retry prelude. It ends at rocket's
/// `Shutdown`, or, with the [`HubShutdown`](crate::HubShutdown) fairing attached, when the
/// hub has shut down after its final event. A newtype over [`SseStream`], whose docs say
/// what each setting does.
#[must_use]
pub struct Sse<S>(SseStream<S>);

impl<S> Sse<S>
where
    S: Stream,
    S::Item: IntoFrame,
{
    /// Streams `events`: [`Event`](sse_core::Event)s, a hub
    /// [`Subscription`](sse_core::Subscription), or `Result`s of either (an error ends the
    /// stream cleanly, at an event boundary).
    pub fn new(events: S) -> Self {
        Sse(SseStream::new(events))
    }

    /// Sets the keep-alive interval and text ([`SseStream::keep_alive`]).
    pub fn keep_alive(self, keep_alive: KeepAlive) -> Self {
        Sse(self.0.keep_alive(keep_alive))
    }

    /// Sends the client's reconnection delay with the first event ([`SseStream::retry`]).
    pub fn retry(self, delay: Duration) -> Self {
        Sse(self.0.retry(delay))
    }

    /// Ends the stream at an event boundary when `shutdown` completes ([`SseStream::until`]).
    pub fn until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Self {
        Sse(self.0.until(shutdown))
    }
}

impl<S> From<SseStream<S>> for Sse<S> {
    fn from(stream: SseStream<S>) -> Self {
        Sse(stream)
    }
}

impl<S> fmt::Debug for Sse<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Sse").field(&self.0).finish()
    }
}

impl<'r, S> Responder<'r, 'r> for Sse<S>
where
    S: Stream + Send + 'static,
    S::Item: IntoFrame,
{
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'r> {
        // Rocket's graceful shutdown waits for open responses: end the stream with it, or,
        // with the `HubShutdown` fairing, once the hub has shut down (after its final event).
        let stream = match request.rocket().state::<StreamsEnd>() {
            Some(StreamsEnd(signal)) => self.0.until(signal.triggered()),
            None => self.0.until(request.rocket().shutdown()),
        };
        let mut response = ByteStream(stream).respond_to(request)?;
        for (name, value) in RESPONSE_HEADERS {
            response.set_raw_header(name, value);
        }
        // Rocket reads the body in chunks of at most 4 KiB by default and hands each to
        // hyper through a channel: let a batch of ready events go as one. (Each busy stream
        // keeps a read buffer of this size.)
        response.set_max_chunk_size(sse_core::stream::BATCH_BYTES);
        Ok(response)
    }
}
