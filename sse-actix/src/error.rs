//! [`Error`]: any error a client or publisher can cause, as a JSON actix-web response.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use sse_core::http::{ErrorResponse, HttpError};

/// Any error a client or publisher can cause, answered with its status and a JSON body
/// (`{"error": code, "message": text}`). Every `sse-core` error converts into it with `?`,
/// and so does an [`ErrorResponse`] of your own: `Error::from(ErrorResponse::new(409,
/// "taken", "that name is taken"))`. Its [`ErrorResponse`] is `error.as_ref()`.
///
/// An app's own error type can wrap it, so that a handler answers both with `?`:
///
/// ```
/// use std::fmt;
///
/// use actix_web::http::StatusCode;
/// use actix_web::{HttpResponse, ResponseError, web};
/// use sse_actix::{Event, EventError, Hub, HubError};
///
/// #[derive(Debug)]
/// enum AppError {
///     Sse(sse_actix::Error),
///     EmptyPost,
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
/// impl fmt::Display for AppError {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
///         match self {
///             AppError::Sse(error) => error.fmt(f),
///             AppError::EmptyPost => f.write_str("nothing to post"),
///         }
///     }
/// }
///
/// impl ResponseError for AppError {
///     fn status_code(&self) -> StatusCode {
///         match self {
///             AppError::Sse(error) => error.status_code(),
///             AppError::EmptyPost => StatusCode::BAD_REQUEST,
///         }
///     }
///
///     fn error_response(&self) -> HttpResponse {
///         match self {
///             AppError::Sse(error) => error.error_response(),
///             AppError::EmptyPost => HttpResponse::BadRequest().body("nothing to post"),
///         }
///     }
/// }
///
/// /// `POST /news/{name}`: publishes the body under an event name the client chose. Such a
/// /// name is checked: one with a line break is an `EventError`, 400 `invalid_event`.
/// async fn post_named(
///     hub: web::Data<Hub>,
///     name: web::Path<String>,
///     body: String,
/// ) -> Result<String, AppError> {
///     if body.trim().is_empty() {
///         return Err(AppError::EmptyPost);
///     }
///     let event = Event::new(body).event(name.into_inner())?;
///     Ok(hub.publish("news", event).await?.to_string())
/// }
///
/// let app = actix_web::App::new().route("/news/{name}", web::post().to(post_named));
/// let named = AppError::from(Event::new("hi").event("a\nb").unwrap_err());
/// assert_eq!(named.error_response().status(), StatusCode::BAD_REQUEST);
/// assert_eq!(AppError::from(HubError::Closed).status_code(), 503);
/// # drop(app);
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
