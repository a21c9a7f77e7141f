//! [`Error`]: any error a client or publisher can cause, as a JSON rocket response.

use std::fmt;
use std::io::Cursor;

use rocket::Request;
use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder, Response};
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

impl<'r, 'o: 'r> Responder<'r, 'o> for Error {
    fn respond_to(self, _request: &'r Request<'_>) -> response::Result<'o> {
        let body = self.0.json_body();
        let mut response = Response::build();
        response
            .status(Status::new(self.0.status()))
            .header(ContentType::JSON)
            .sized_body(body.len(), Cursor::new(body));
        if let Some(seconds) = self.0.retry_after() {
            response.raw_header("retry-after", seconds.to_string());
        }
        if let Some(challenge) = self.0.www_authenticate() {
            response.raw_header("www-authenticate", challenge.to_owned());
        }
        response.ok()
    }
}
