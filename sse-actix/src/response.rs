//! [`Sse`]: an event stream as an actix-web `Responder`.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use actix_web::body::BoxBody;
use actix_web::{HttpRequest, HttpResponse, Responder};
use futures_util::{Stream, StreamExt};
use sse_core::{IntoFrame, KeepAlive, RESPONSE_HEADERS, SseStream};

/// An event-stream response: the headers of [`RESPONSE_HEADERS`], keep-alive comments after
/// 15 s of idleness by default, and an optional retry prelude. A newtype over
/// [`SseStream`], whose docs say what each setting does.
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

impl<S> Responder for Sse<S>
where
    S: Stream + 'static,
    S::Item: IntoFrame,
{
    type Body = BoxBody;

    fn respond_to(self, _request: &HttpRequest) -> HttpResponse {
        let mut response = HttpResponse::Ok();
        for header in RESPONSE_HEADERS {
            response.insert_header(header);
        }
        response.streaming(self.0.map(Ok::<_, Infallible>))
    }
}
