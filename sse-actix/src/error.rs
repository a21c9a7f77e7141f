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
