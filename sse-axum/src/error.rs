//! [`Error`]: any error a client or publisher can cause, as a JSON axum response.

use std::fmt;

use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::response::{IntoResponse, Response};
use sse_core::http::{ErrorResponse, HttpError};

/// Any error a client or publisher can cause, answered with its status and a JSON body
/// (`{"error": code, "message": text}`). Every `sse-core` error converts into it with `?`,
/// and so does an [`ErrorResponse`] of your own: `Error::from(ErrorResponse::new(409,
/// "taken", "that name is taken"))`. Its [`ErrorResponse`] is `error.as_ref()`.
///
/// An app's own error type can wrap it, so that a handler answers both with `?`:
///
/// ```
/// use axum::extract::{Path, State};
/// use axum::http::StatusCode;
/// use axum::response::{IntoResponse, Response};
/// use sse_axum::{Event, EventError, Hub, HubError};
///
/// enum AppError {
///     Sse(sse_axum::Error),
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
/// impl IntoResponse for AppError {
///     fn into_response(self) -> Response {
///         match self {
///             AppError::Sse(error) => error.into_response(),
///             AppError::EmptyPost => (StatusCode::BAD_REQUEST, "nothing to post").into_response(),
///         }
///     }
/// }
///
/// /// `POST /news/{name}`: publishes the body under an event name the client chose. Such a
/// /// name is checked: one with a line break is an `EventError`, 400 `invalid_event`.
/// async fn post_named(
///     State(hub): State<Hub>,
///     Path(name): Path<String>,
///     body: String,
/// ) -> Result<String, AppError> {
///     if body.trim().is_empty() {
///         return Err(AppError::EmptyPost);
///     }
///     Ok(hub.publish("news", Event::new(body).event(name)?).await?.to_string())
/// }
///
/// let app: axum::Router = axum::Router::new()
///     .route("/news/{name}", axum::routing::post(post_named))
///     .with_state(Hub::new());
/// let named = AppError::from(Event::new("hi").event("a\nb").unwrap_err()).into_response();
/// assert_eq!(named.status(), StatusCode::BAD_REQUEST);
/// assert_eq!(AppError::from(HubError::Closed).into_response().status(), 503);
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

/// The JSON status, or for a passing refusal of an event source
/// ([`for_event_source`](Error::for_event_source)) a 200 event stream that says why and
/// when to come back.
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Some(body) = self.0.retry_stream() {
            let mut response = body.into_response();
            for (name, value) in sse_core::RESPONSE_HEADERS {
                response
                    .headers_mut()
                    .insert(name, HeaderValue::from_static(value));
            }
            return response;
        }
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (
            status,
            [(CONTENT_TYPE, "application/json")],
            self.0.json_body(),
        )
            .into_response();
        if let Some(seconds) = self.0.retry_after() {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(challenge) = self.0.www_authenticate()
            && let Ok(value) = HeaderValue::from_str(challenge)
        {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        response
    }
}
