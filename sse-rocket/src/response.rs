//! [`Sse`]: any stream of events (or a hub subscription) as a rocket response.

use std::future::Future;
use std::io::Cursor;
use std::time::Duration;

use futures_util::Stream;
use rocket::Request;
use rocket::http::{ContentType, Status};
use rocket::response::stream::ByteStream;
use rocket::response::{self, Responder, Response};
use sse_core::http_error::HttpError;
use sse_core::{IntoFrame, KeepAlive, RESPONSE_HEADERS, SseStream};

/// An event-stream response: `text/event-stream`, `no-cache`, `x-accel-buffering: no`,
/// `content-encoding: identity`, keep-alive comments every 15 s of idleness by default.
/// It ends, at an event boundary, when rocket shuts down.
#[must_use]
pub struct Sse<S>(SseStream<S>);

impl<S> Sse<S>
where
    S: Stream,
    S::Item: IntoFrame,
{
    /// Streams `events`: [`Event`](sse_core::Event)s, a hub
    /// [`Subscription`](sse_core::Subscription), or `Result`s of either (an error ends the
    /// stream cleanly).
    pub fn new(events: S) -> Self {
        Sse(SseStream::new(events))
    }

    /// Sets the keep-alive interval and text.
    pub fn keep_alive(self, keep_alive: KeepAlive) -> Self {
        Sse(self.0.keep_alive(keep_alive))
    }

    /// Sends the client's reconnection delay with the first event.
    pub fn retry(self, delay: Duration) -> Self {
        Sse(self.0.retry(delay))
    }

    /// Also ends the stream when `shutdown` completes, e.g. `hub.closed()`.
    pub fn until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Self {
        Sse(self.0.until(shutdown))
    }
}

impl<S> From<SseStream<S>> for Sse<S> {
    fn from(stream: SseStream<S>) -> Self {
        Sse(stream)
    }
}

impl<'r, S> Responder<'r, 'r> for Sse<S>
where
    S: Stream + Send + 'static,
    S::Item: IntoFrame,
{
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'r> {
        // Rocket's graceful shutdown waits for open responses: end the stream with it.
        let stream = self.0.until(request.rocket().shutdown());
        let mut response = ByteStream(stream).respond_to(request)?;
        for (name, value) in RESPONSE_HEADERS {
            response.set_raw_header(name, value);
        }
        Ok(response)
    }
}

/// Any error a client or publisher can cause, as a JSON response with its status
/// (`{"error": code, "message": text}`). Every `sse-core` error converts into it with `?`.
#[derive(Debug)]
pub struct Error {
    status: u16,
    body: String,
}

impl Error {
    pub(crate) fn new(status: u16, code: &str, message: &str) -> Self {
        Error {
            status,
            body: sse_core::http_error::json_error(code, message),
        }
    }
}

impl<E: HttpError> From<E> for Error {
    fn from(error: E) -> Self {
        Error {
            status: error.status(),
            body: error.json_body(),
        }
    }
}

impl<'r, 'o: 'r> Responder<'r, 'o> for Error {
    fn respond_to(self, _request: &'r Request<'_>) -> response::Result<'o> {
        Response::build()
            .status(Status::new(self.status))
            .header(ContentType::JSON)
            .sized_body(self.body.len(), Cursor::new(self.body))
            .ok()
    }
}
