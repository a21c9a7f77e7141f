//! [`Sse`] as an axum response, and [`Error`] as a JSON error response.

use std::convert::Infallible;

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use sse_core::{IntoFrame, RESPONSE_HEADERS};

sse_core::adapter_types!();

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

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, [(CONTENT_TYPE, "application/json")], self.body).into_response()
    }
}
