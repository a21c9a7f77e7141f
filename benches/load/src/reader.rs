//! A minimal HTTP/1.1 client for one event stream: it writes the request and hands the
//! body's bytes (de-chunked) to the caller.
//!
//! The load tool shares a core with nothing but its own thousands of readers, so it reads
//! with one buffer per connection and `httparse`, not a full HTTP client: a hyper client
//! connection per subscriber cost more CPU than the servers it measured.

use std::io;
use std::net::{IpAddr, SocketAddr};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How the response body is delimited.
enum Framing {
    /// `transfer-encoding: chunked`: bytes left in the current chunk, and whether the CRLF
    /// that ends it is still to come.
    Chunked { left: usize, crlf: bool },
    /// Until the connection closes.
    Close,
}

/// An open event stream.
pub(crate) struct EventReader {
    stream: TcpStream,
    buffer: BytesMut,
    framing: Framing,
    ended: bool,
}

/// Opens a connection from `source`, sends `GET path` with `headers`, and reads the
/// response head. Returns the status and, for a 200, the reader.
pub(crate) async fn open(
    source: IpAddr,
    server: SocketAddr,
    path: &str,
    headers: &[(&str, &[u8])],
) -> Result<(u16, EventReader), String> {
    let socket = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket
        .bind(SocketAddr::new(source, 0))
        .map_err(|e| format!("bind {source}: {e}"))?;
    let mut stream = socket
        .connect(server)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let mut request = format!("GET {path} HTTP/1.1\r\nhost: {server}\r\n").into_bytes();
    for (name, value) in headers {
        request.extend_from_slice(name.as_bytes());
        request.extend_from_slice(b": ");
        request.extend_from_slice(value);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"\r\n");
    stream
        .write_all(&request)
        .await
        .map_err(|e| format!("write: {e}"))?;

    let mut buffer = BytesMut::with_capacity(4096);
    loop {
        if stream
            .read_buf(&mut buffer)
            .await
            .map_err(|e| format!("read: {e}"))?
            == 0
        {
            return Err("closed before the response head".into());
        }
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        let parsed = response.parse(&buffer).map_err(|e| e.to_string())?;
        if let httparse::Status::Complete(length) = parsed {
            let status = response.code.unwrap_or(0);
            let chunked = response.headers.iter().any(|header| {
                header.name.eq_ignore_ascii_case("transfer-encoding")
                    && header.value.eq_ignore_ascii_case(b"chunked")
            });
            buffer.advance(length);
            let framing = if chunked {
                Framing::Chunked {
                    left: 0,
                    crlf: false,
                }
            } else {
                Framing::Close
            };
            let reader = EventReader {
                stream,
                buffer,
                framing,
                ended: false,
            };
            return Ok((status, reader));
        }
    }
}

impl EventReader {
    /// Waits for more of the body and passes every body byte that arrived to `sink`, in
    /// order and possibly in several pieces. `Ok(false)` once the body has ended.
    pub(crate) async fn read(&mut self, mut sink: impl FnMut(&[u8])) -> io::Result<bool> {
        if self.ended {
            return Ok(false);
        }
        if self.buffer.is_empty() {
            self.buffer.reserve(4096);
        }
        let read = self.stream.read_buf(&mut self.buffer).await?;
        let body_ended = self.drain(&mut sink)?;
        if body_ended || read == 0 {
            self.ended = true;
        }
        Ok(!self.ended)
    }

    /// Hands the buffered body bytes to `sink`; `true` at the last chunk.
    fn drain(&mut self, sink: &mut impl FnMut(&[u8])) -> io::Result<bool> {
        self.framing.drain(&mut self.buffer, sink)
    }
}

impl Framing {
    /// Passes the body bytes in `buffer` to `sink` and removes what it consumed; `true` at
    /// the last chunk. A chunk header or CRLF cut short stays in `buffer` for the next call.
    fn drain(&mut self, buffer: &mut BytesMut, sink: &mut impl FnMut(&[u8])) -> io::Result<bool> {
        let Framing::Chunked { left, crlf } = self else {
            sink(buffer);
            buffer.clear();
            return Ok(false);
        };
        loop {
            if *left > 0 {
                let n = (*left).min(buffer.len());
                if n == 0 {
                    return Ok(false);
                }
                sink(&buffer[..n]);
                buffer.advance(n);
                *left -= n;
                *crlf = *left == 0;
                continue;
            }
            if *crlf {
                if buffer.len() < 2 {
                    return Ok(false);
                }
                buffer.advance(2);
                *crlf = false;
            }
            match httparse::parse_chunk_size(buffer) {
                Ok(httparse::Status::Complete((length, 0))) => {
                    buffer.advance(length);
                    return Ok(true);
                }
                Ok(httparse::Status::Complete((length, size))) => {
                    buffer.advance(length);
                    *left = usize::try_from(size).map_err(io::Error::other)?;
                }
                Ok(httparse::Status::Partial) => return Ok(false),
                Err(_) => return Err(io::Error::other("invalid chunk size")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// De-chunks `wire` fed in pieces of `step` bytes.
    fn dechunk(wire: &[u8], step: usize) -> (Vec<u8>, bool) {
        let mut framing = Framing::Chunked {
            left: 0,
            crlf: false,
        };
        let (mut buffer, mut body, mut ended) = (BytesMut::new(), Vec::new(), false);
        for piece in wire.chunks(step) {
            buffer.extend_from_slice(piece);
            ended |= framing
                .drain(&mut buffer, &mut |data: &[u8]| body.extend_from_slice(data))
                .unwrap();
        }
        (body, ended)
    }

    #[test]
    fn chunks_split_anywhere() {
        let wire = b"a\r\ndata: one\n\r\n17\r\nid: 2\ndata: two words\n\n\r\n0\r\n\r\n";
        for step in 1..=wire.len() {
            let (body, ended) = dechunk(wire, step);
            assert_eq!(
                body, b"data: one\nid: 2\ndata: two words\n\n",
                "step {step}"
            );
            assert!(ended, "step {step}");
        }
    }

    #[test]
    fn an_open_stream_has_not_ended() {
        let (body, ended) = dechunk(b"5\r\n: hi\n\r\n", 3);
        assert_eq!(body, b": hi\n");
        assert!(!ended);
    }

    #[test]
    fn a_bad_chunk_size_is_an_error() {
        let mut framing = Framing::Chunked {
            left: 0,
            crlf: false,
        };
        let mut buffer = BytesMut::from(&b"zz\r\n"[..]);
        assert!(framing.drain(&mut buffer, &mut |_: &[u8]| {}).is_err());
    }
}
