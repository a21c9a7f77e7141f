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
///
/// An app's own error type can wrap it, so that a handler answers both with `?`:
///
/// ```
/// use rocket::{Responder, State, post, routes};
/// use sse_rocket::sse_core::HttpError; // status() and code()
/// use sse_rocket::{Event, EventError, Hub, HubError};
///
/// #[derive(Debug, Responder)]
/// enum AppError {
///     Sse(sse_rocket::Error),
///     #[response(status = 400)]
///     EmptyPost(&'static str),
/// }
///
/// impl From<HubError> for AppError {
///     fn from(error: HubError) -> Self {
///         AppError::Sse(error.into())
///     }
/// }
///
/// impl From<EventError> for AppError {
///     fn from(error: EventError) -> Self {
///         AppError::Sse(error.into())
///     }
/// }
///
/// /// Publishes the body under an event name the client chose. Such a name is checked: one
/// /// with a line break is an `EventError`, 400 `invalid_event`.
/// #[post("/news/<name>", data = "<body>")]
/// async fn post_named(hub: &State<Hub>, name: &str, body: String) -> Result<String, AppError> {
///     if body.trim().is_empty() {
///         return Err(AppError::EmptyPost("nothing to post"));
///     }
///     Ok(hub.publish("news", Event::new(body).event(name)?).await?.to_string())
/// }
///
/// let rocket = rocket::build().manage(Hub::new()).mount("/", routes![post_named]);
/// let AppError::Sse(named) = AppError::from(Event::new("hi").event("a\nb").unwrap_err()) else {
///     unreachable!()
/// };
/// assert_eq!((named.as_ref().status(), named.as_ref().code()), (400, "invalid_event"));
/// # drop(rocket);
/// ```
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

/// The JSON status, or for a passing refusal of an event source
/// ([`for_event_source`](Error::for_event_source)) a 200 event stream that says why and
/// when to come back.
impl<'r, 'o: 'r> Responder<'r, 'o> for Error {
    fn respond_to(self, _request: &'r Request<'_>) -> response::Result<'o> {
        if let Some(body) = self.0.retry_stream() {
            let mut response = Response::build();
            response.sized_body(body.len(), Cursor::new(body));
            for (name, value) in sse_core::RESPONSE_HEADERS {
                response.raw_header(name, value);
            }
            return response.ok();
        }
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
