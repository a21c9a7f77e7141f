//! [`Sse`] as an actix-web `Responder`, and [`Error`] as a JSON `ResponseError`.

use std::convert::Infallible;

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder, ResponseError};
use futures_util::{Stream, StreamExt};
use sse_core::{IntoFrame, RESPONSE_HEADERS};

sse_core::adapter_types!();

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

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code())
            .content_type("application/json")
            .body(self.body().to_owned())
    }
}
