//! [`Sse`]: any stream of events (or a hub subscription) as an actix-web response.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder, ResponseError};
use futures_util::{Stream, StreamExt};
use sse_core::http_error::HttpError;
use sse_core::{IntoFrame, KeepAlive, RESPONSE_HEADERS, SseStream};

/// An event-stream response: `text/event-stream`, `no-cache`, `x-accel-buffering: no`,
/// `content-encoding: identity` (so `Compress` leaves it alone), keep-alive comments every
/// 15 s of idleness by default.
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

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.body)
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code())
            .content_type("application/json")
            .body(self.body.clone())
    }
}
