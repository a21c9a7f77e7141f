//! A small HTTP/1.1 client on hyper's connection API, and an event-stream reader on the
//! workspace's decoder. Used by the suite and by the demo apps' route tests.
//!
//! Test code: an `expect` or `panic!` here fails the test that called it (no server runs
//! this client).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use sse_core::{Decoded, Decoder, MessageEvent};

/// Generous bound for anything that should happen "promptly": a liveness guard so a broken
/// adapter fails instead of hanging, not a performance assertion.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Sends one request on a fresh connection and returns once the response head arrives.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &[u8])],
    body: Option<Vec<u8>>,
) -> http::Response<Incoming> {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
    for (name, value) in headers {
        builder = builder.header(
            *name,
            http::HeaderValue::from_bytes(value).expect("header value"),
        );
    }
    let request = builder
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .expect("request");
    tokio::time::timeout(PATIENCE, sender.send_request(request))
        .await
        .expect("response head in time")
        .expect("response")
}

/// A whole, finite response.
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON (panics if it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "JSON body expected ({error}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// Sends one request and reads the whole response.
pub async fn fetch(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &[u8])],
    body: Option<Vec<u8>>,
) -> Answer {
    let response = request(addr, method, path, headers, body).await;
    let (parts, body) = response.into_parts();
    let body = tokio::time::timeout(PATIENCE, body.collect())
        .await
        .expect("whole body in time")
        .expect("body")
        .to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// `POST /publish` of `data` to `topic`; returns the event id.
pub async fn publish(addr: SocketAddr, topic: &str, data: &str) -> String {
    let body = serde_json::json!({"topic": topic, "data": data}).to_string();
    let answer = fetch(
        addr,
        "POST",
        "/publish",
        &[("content-type", b"application/json")],
        Some(body.into_bytes()),
    )
    .await;
    assert_eq!(
        answer.status,
        200,
        "publish: {:?}",
        String::from_utf8_lossy(&answer.body)
    );
    answer.json()["id"].as_str().expect("id").to_owned()
}

/// Reads an event stream as a client would.
#[derive(Debug)]
pub struct EventReader {
    /// The response status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    body: Incoming,
    decoder: Decoder,
    /// Every byte received, to check event boundaries.
    pub raw: Vec<u8>,
    ended: bool,
}

impl EventReader {
    /// Opens `GET path` and returns once the head has arrived.
    pub async fn open(addr: SocketAddr, path: &str, headers: &[(&str, &[u8])]) -> EventReader {
        let response = request(addr, "GET", path, headers, None).await;
        let (parts, body) = response.into_parts();
        EventReader {
            status: parts.status,
            headers: parts.headers,
            body,
            decoder: Decoder::new(),
            raw: Vec::new(),
            ended: false,
        }
    }

    /// The next decoded item; `None` at the end of the stream. Panics if nothing arrives in
    /// `PATIENCE`.
    pub async fn next(&mut self) -> Option<Decoded> {
        tokio::time::timeout(PATIENCE, self.next_untimed())
            .await
            .expect("an item or the end of the stream in time")
    }

    /// The next decoded item, however long it takes.
    pub async fn next_untimed(&mut self) -> Option<Decoded> {
        loop {
            if let Some(item) = self.decoder.next_item() {
                return Some(item);
            }
            if self.ended {
                return None;
            }
            match self.body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.raw.extend_from_slice(&data);
                        self.decoder.push(&data).expect("decodable stream");
                    }
                }
                Some(Err(_)) | None => {
                    self.decoder.finish();
                    self.ended = true;
                }
            }
        }
    }

    /// The next dispatched event, skipping comments and retry fields.
    pub async fn next_event(&mut self) -> Option<MessageEvent> {
        loop {
            match self.next().await? {
                Decoded::Event(event) => return Some(event),
                Decoded::Comment(_) | Decoded::Retry(_) => {}
            }
        }
    }

    /// The last event id in force, as a browser would send it.
    pub fn last_event_id(&self) -> &str {
        self.decoder.last_event_id()
    }
}

/// What came back on a raw connection: the status, if a response head arrived, and
/// everything read as text.
#[derive(Debug)]
pub struct RawAnswer {
    /// The status of the response, or `None` if the server closed without answering.
    pub status: Option<u16>,
    /// Every byte read, lossily as text.
    pub text: String,
}

/// Writes `bytes` as they are on a fresh connection (a request a well-behaved client would
/// never send), then, with `half_close`, shuts the write side, and reads until the server
/// closes or [`PATIENCE`] runs out.
pub async fn raw_exchange(addr: SocketAddr, bytes: &[u8], half_close: bool) -> RawAnswer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(bytes).await.expect("write");
    if half_close {
        stream.shutdown().await.expect("half-close");
    }
    let mut read = Vec::new();
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(PATIENCE, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    read.extend_from_slice(&buf[..n]);
                    // A complete small answer: the head, and a body that ends with `}`.
                    if read.windows(4).any(|w| w == b"\r\n\r\n") && read.ends_with(b"}") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&read).into_owned();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| text.strip_prefix("HTTP/1.0 "))
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok());
    RawAnswer { status, text }
}

/// Writes `bytes` on a fresh connection and reads until the server closes it, or
/// [`PATIENCE`] runs out (then `closed`, the second value, is false: a safety bound, not a
/// measurement).
pub async fn until_closed(addr: SocketAddr, bytes: &[u8]) -> (String, bool) {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(bytes).await.expect("write");
    read_until_closed(&mut stream).await
}

/// Reads `stream` until the server closes it, or [`PATIENCE`] runs out (then `closed`, the
/// second value, is false).
pub async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> (String, bool) {
    use tokio::io::AsyncReadExt;
    let mut read = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => read.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    (String::from_utf8_lossy(&read).into_owned(), closed)
}
