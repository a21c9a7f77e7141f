//! [`Error`]: any error a client or publisher can cause, as a JSON actix-web response.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use sse_core::http::{ErrorResponse, HttpError};

/// Any error a client or publisher can cause, answered with its status and a JSON body
/// (`{"error": code, "message": text}`). Every `sse-core` error converts into it with `?`,
/// and so does an [`ErrorResponse`] of your own: `Error::from(ErrorResponse::new(409,
/// "taken", "that name is taken"))`. Its [`ErrorResponse`] is `error.as_ref()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(ErrorResponse);

impl<E: HttpError> From<E> for Error {
    fn from(error: E) -> Self {
        Error(ErrorResponse::from_error(&error))
    }
}

impl AsRef<ErrorResponse> for Error {
    fn as_ref(&self) -> &ErrorResponse {
        &self.0
    }
}

impl From<Error> for ErrorResponse {
    fn from(error: Error) -> Self {
        error.0
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
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
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
