//! [`Sse`]: any stream of events (or a hub subscription) as an axum response.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use sse_core::http_error::HttpError;
use sse_core::{IntoFrame, KeepAlive, RESPONSE_HEADERS, SseStream};

/// An event-stream response: `text/event-stream`, `no-cache`, `x-accel-buffering: no`,
/// `content-encoding: identity`, keep-alive comments every 15 s of idleness by default.
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

    /// Ends the stream at an event boundary when `shutdown` completes, e.g. `hub.closed()`.
    pub fn until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Self {
        Sse(self.0.until(shutdown))
    }
}

impl<S> From<SseStream<S>> for Sse<S> {
    fn from(stream: SseStream<S>) -> Self {
        Sse(stream)
    }
}

impl<S> IntoResponse for Sse<S>
where
    S: Stream + Send + 'static,
    S::Item: IntoFrame,
{
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from_stream(self.0.map(Ok::<_, Infallible>)));
        for (name, value) in RESPONSE_HEADERS {
            response.headers_mut().insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        response
    }
}

/// Any error a client or publisher can cause, as a JSON response with its status
/// (`{"error": code, "message": text}`). Every `sse-core` error converts into it with `?`.
#[derive(Debug)]
pub struct Error {
    status: u16,
    body: String,
}

impl<E: HttpError> From<E> for Error {
    fn from(error: E) -> Self {
        Error {
            status: error.status(),
            body: error.json_body(),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, [(CONTENT_TYPE, "application/json")], self.body).into_response()
    }
}
