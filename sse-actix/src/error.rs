//! [`Error`]: any error a client or publisher can cause, as a JSON actix-web response.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use sse_core::http::{ErrorResponse, HttpError};

/// Any error a client or publisher can cause, answered with its status and a JSON body
/// (`{"error": code, "message": text}`). Every `sse-core` error converts into it with `?`,
/// and so does an [`ErrorResponse`] of your own: `Error::from(ErrorResponse::new(409,
/// "taken", "that name is taken"))`. It derefs to the [`ErrorResponse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(ErrorResponse);

impl<E: HttpError> From<E> for Error {
    fn from(error: E) -> Self {
        Error(ErrorResponse::from_error(&error))
    }
}

impl Error {
    /// Marks the error as met by a request that accepts an event stream (from
    /// `sse_endpoints::accepts_event_stream`, or
    /// [`sse_core::http::error::accepts_event_stream`] on the `Accept` header): a passing refusal (one with `Retry-After`)
    /// is then answered as a 200 event stream that a browser's `EventSource` retries after
    /// the `Retry-After`, instead of its JSON status, which would stop the browser for good
    /// ([`ErrorResponse::retry_stream`]). The hub routes' subscribe does it.
    #[must_use]
    pub fn for_event_source(self, accepts: bool) -> Self {
        Error(self.0.for_event_source(accepts))
    }
}

impl std::ops::Deref for Error {
    type Target = ErrorResponse;

    fn deref(&self) -> &ErrorResponse {
        &self.0
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Error {}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        if self.0.retry_stream().is_some() {
            return StatusCode::OK;
        }
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The JSON status, or for a passing refusal of an event source
    /// ([`for_event_source`](Error::for_event_source)) a 200 event stream that says why and
    /// when to come back.
    fn error_response(&self) -> HttpResponse {
        if let Some(body) = self.0.retry_stream() {
            let mut response = HttpResponse::Ok();
            for header in sse_core::RESPONSE_HEADERS {
                response.insert_header(header);
            }
            return response.body(body);
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/json");
        if let Some(seconds) = self.0.retry_after() {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds));
        }
        if let Some(challenge) = self.0.www_authenticate() {
            response.insert_header((actix_web::http::header::WWW_AUTHENTICATE, challenge));
        }
        response.body(self.0.json_body())
    }
}
