//! [`Sse`] as a rocket `Responder` (ending at rocket's `Shutdown`), and [`Error`] as a JSON
//! response.

use std::io::Cursor;

use futures_util::Stream;
use rocket::Request;
use rocket::http::{ContentType, Status};
use rocket::response::stream::ByteStream;
use rocket::response::{self, Responder, Response};
use sse_core::{IntoFrame, RESPONSE_HEADERS};

sse_core::adapter_types!();

impl<'r, S> Responder<'r, 'r> for Sse<S>
where
    S: Stream + Send + 'static,
    S::Item: IntoFrame,
{
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'r> {
        // Rocket's graceful shutdown waits for open responses: end the stream with it.
        let stream = self.0.until(request.rocket().shutdown());
        let mut response = ByteStream(stream).respond_to(request)?;
        for (name, value) in RESPONSE_HEADERS {
            response.set_raw_header(name, value);
        }
        // Rocket reads the body in chunks of at most 4 KiB by default and hands each to
        // hyper through a channel: let a batch of ready events go as one. (Each busy stream
        // keeps a read buffer of this size.)
        response.set_max_chunk_size(sse_core::stream::BATCH_BYTES);
        Ok(response)
    }
}

impl<'r, 'o: 'r> Responder<'r, 'o> for Error {
    fn respond_to(self, _request: &'r Request<'_>) -> response::Result<'o> {
        Response::build()
            .status(Status::new(self.status()))
            .header(ContentType::JSON)
            .sized_body(self.body.len(), Cursor::new(self.body))
            .ok()
    }
}
