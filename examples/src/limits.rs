//! What protects the demos from their clients, beside the hub's own limits: the defaults of
//! [`Options`](crate::Options), and the accept loop that demo-axum serves on and that fronts
//! demo-rocket.
//!
//! | limit | default | flag | past it |
//! |---|---|---|---|
//! | a request head, whole | 10 s | `--header-timeout-ms` | closed (actix-web: 408, closed) |
//! | a `/publish` or `/chat` body, whole | 10 s | `--body-timeout-ms` | 408 `body_timeout`, closed |
//! | publishes a second, `/publish` and `/chat` | 5,000 | `--max-publish-rate` (0: none) | 429 `too_many_requests`, `Retry-After: 1` |
//! | publishes in flight | 1,024 | | 429 `too_many_requests`, `Retry-After: 1` |
//! | connections per client IP, an IPv6 client by its /64 (each event stream holds one) | none | `--max-connections-per-address` | 429 `too_many_connections`, `Retry-After: 1`, closed |
//!
//! How each framework gets them:
//! - **axum** ([`serve`]): hyper's `http1::Builder::header_read_timeout`, and an
//!   [`AddressLimit`] guard per accepted connection, held by the connection's task.
//! - **actix-web**: `HttpServer::client_request_timeout`, and the guard taken in
//!   `HttpServer::on_connect` and kept in the connection's data; a middleware answers the
//!   429 for a connection that got none.
//! - **rocket** 0.5 has neither: its hyper 0.14 server sets no header-read timeout (a head
//!   left unfinished stays open for good), and its listener API is private
//!   (`Rocket::http_server` is `pub(crate)`). demo-rocket therefore binds rocket to an
//!   ephemeral port on 127.0.0.1 and fronts it with [`serve`] and [`RocketFront`], a
//!   one-connection-per-client HTTP/1.1 relay that passes the client's address in
//!   `X-Real-IP` (rocket's `ip_header`). `--header-timeout-ms 0` serves rocket directly,
//!   with no header timeout and no per-address cap (for measuring rocket alone).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use sse_core::http::HttpError;
use sse_endpoints::limits::AddressLimit;

use crate::shutdown;

/// How long a request head may take to arrive, whole (10 s).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a `/publish` or `/chat` body may take to arrive, whole (10 s, the hub routes'
/// default).
pub const BODY_TIMEOUT: Duration = sse_endpoints::limits::DEFAULT_BODY_TIMEOUT;

/// Publishes a second, `/publish` and `/chat` together (5,000).
pub const PUBLISH_RATE: u32 = 5_000;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What the accept loop enforces per connection.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// hyper's `header_read_timeout`.
    pub header_timeout: Duration,
    /// The cap on connections per client IP, if any.
    pub per_address: Option<AddressLimit>,
    /// The cap on open connections in all, if any: past it a connection is answered 503
    /// `too_many_connections` with `Retry-After: 1` and closed, holding one descriptor for
    /// at most two seconds.
    pub total: Option<Arc<tokio::sync::Semaphore>>,
}

/// demo-rocket's caps behind its front, where each client holds three descriptors (its
/// connection, the front's to rocket, and rocket's end of that): open connections up to
/// what fits in the open-files limit ([`sse_core::hub::subscriber_room`]`(3)`), and
/// subscribers up to 90% of that, so that past the subscriber limit publishers still get
/// in, and refused clients cost one descriptor, not three. Without them a storm of
/// reconnects past the limit used the descriptors up and starved publishing.
pub fn rocket_front_limits() -> (Option<usize>, Option<usize>) {
    let connections = sse_core::hub::subscriber_room(3);
    (Some(connections), Some((connections * 9 / 10).max(1)))
}

impl ConnectionLimits {
    /// From the command line.
    pub fn new(options: &crate::Options) -> Self {
        ConnectionLimits {
            header_timeout: options.header_timeout,
            per_address: match options.max_connections_per_address {
                0 => None,
                max => Some(AddressLimit::new(max)),
            },
            total: None,
        }
    }

    /// With a cap on open connections in all (`None`: no cap).
    #[must_use]
    pub fn max_connections(mut self, max: Option<usize>) -> Self {
        self.total = max.map(|max| Arc::new(tokio::sync::Semaphore::new(max)));
        self
    }
}

/// Serves HTTP/1.1 (all a browser speaks without TLS) on `listener` until `shutdown`, one
/// `service(peer)` per connection, then waits up to [`shutdown::GRACE`] for open
/// connections. Every request head must arrive within the header timeout; a connection
/// over its address's cap is answered 429 `too_many_connections` and closed.
///
/// Two costs of `axum::serve(listener, router)` are avoided, measured with massif on 1,000
/// idle event streams: it rebuilds the router for every connection (`Router::with_state`,
/// 5.9 KiB each; `into_make_service` avoids that too), and its HTTP/1-or-2 detection hands
/// hyper the first 24 bytes separately, so hyper's 8 KiB read buffer regrows to 16 KiB.
pub async fn serve<S, B>(
    listener: tokio::net::TcpListener,
    limits: ConnectionLimits,
    service: impl Fn(SocketAddr) -> S,
    shutdown: impl Future<Output = ()>,
) where
    S: Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let connections = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        // Zero (`--header-timeout-ms 0`) is none, as on the other demos.
        .header_read_timeout((!limits.header_timeout.is_zero()).then_some(limits.header_timeout));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: wait instead of spinning.
                    shutdown::log(&format!("accept failed: {error}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Events are small writes that should leave at once, not wait for the previous
        // one's ACK (Nagle's algorithm, which the client's delayed ACK makes up to 40 ms).
        let _ = stream.set_nodelay(true);
        let place = match limits
            .total
            .as_ref()
            .map(|total| total.clone().try_acquire_owned())
        {
            Some(Err(_)) => {
                let busy = sse_core::http::ErrorResponse::new(
                    503,
                    "too_many_connections",
                    "the server holds as many connections as it can; retry later",
                );
                tokio::spawn(refuse(stream, "503 Service Unavailable", busy.json_body()));
                continue;
            }
            Some(Ok(place)) => Some(place),
            None => None,
        };
        let guard = match limits.per_address.as_ref().map(|l| l.acquire(peer.ip())) {
            Some(Err(error)) => {
                tokio::spawn(refuse(stream, "429 Too Many Requests", error.json_body()));
                continue;
            }
            Some(Ok(guard)) => Some(guard),
            None => None,
        };
        let connection =
            connections.watch(http.serve_connection(TokioIo::new(stream), service(peer)));
        tokio::spawn(async move {
            let _ = connection.await;
            drop((guard, place));
        });
    }
    if tokio::time::timeout(shutdown::GRACE, connections.shutdown())
        .await
        .is_err()
    {
        shutdown::log(&format!(
            "connections still open after {:?}; exiting",
            shutdown::GRACE
        ));
    }
}

/// Answers a connection refused by a cap within a second, not the header timeout (a client
/// that sends nothing must not hold the descriptor for long): it waits up to a second for
/// the request head (a client reads an answer to the request it sent), then answers the
/// status, the JSON `body` and `Retry-After: 1`, and closes, after reading what else the
/// client sent for up to a second, so that the close does not reset the answer away.
async fn refuse(mut stream: tokio::net::TcpStream, status: &str, body: String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let answer = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\nretry-after: 1\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut head = Vec::new();
    let read_head = async {
        let mut buffer = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&buffer[..n]),
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), read_head).await;
    let linger = async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), linger).await;
}

/// demo-rocket's front: relays one client connection's requests, in order, over one
/// connection of its own to rocket at `backend` (opened at the first request, and again if
/// rocket closed it), with the client's address in `X-Real-IP`.
///
/// Rocket reads the first 14 bytes of every request body before routing, so a body that
/// stalls before them never reaches a handler and its body timeout. The relay therefore
/// gives every body `body_deadline` to arrive, whole; past it the relayed body fails, and
/// rocket's connection and the client's are closed.
#[derive(Debug, Clone)]
pub struct RocketFront {
    backend: SocketAddr,
    peer: SocketAddr,
    body_deadline: Duration,
    sender: Arc<tokio::sync::Mutex<Option<Sender>>>,
}

type Sender = hyper::client::conn::http1::SendRequest<Deadline<Incoming>>;

impl RocketFront {
    /// A relay for the client at `peer`. Give `body_deadline` some room beyond the
    /// handlers' own body timeout, so that theirs answers 408 first.
    pub fn new(backend: SocketAddr, peer: SocketAddr, body_deadline: Duration) -> Self {
        RocketFront {
            backend,
            peer,
            body_deadline,
            sender: Arc::default(),
        }
    }
}

/// A request body that fails once `after` has passed without its end.
#[derive(Debug)]
pub struct Deadline<B> {
    inner: B,
    after: Duration,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl<B> Deadline<B> {
    fn new(inner: B, after: Duration) -> Self {
        Deadline {
            inner,
            after,
            sleep: Box::pin(tokio::time::sleep(after)),
        }
    }
}

impl<B> Body for Deadline<B>
where
    B: Body + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = B::Data;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<B::Data>, BoxError>>> {
        use std::task::Poll;
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame.map(|frame| frame.map_err(Into::into))),
            Poll::Pending => match this.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(format!(
                    "the request body did not arrive within {:?}",
                    this.after
                )
                .into()))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

impl Service<Request<Incoming>> for RocketFront {
    type Response = Response<Incoming>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Incoming>, BoxError>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let front = self.clone();
        let mut request = request.map(|body| Deadline::new(body, front.body_deadline));
        Box::pin(async move {
            if let Ok(ip) = hyper::header::HeaderValue::try_from(front.peer.ip().to_string()) {
                request.headers_mut().insert("x-real-ip", ip);
            }
            let mut slot = front.sender.lock().await;
            let open = slot.as_ref().is_some_and(|sender| !sender.is_closed());
            if !open {
                let stream = tokio::net::TcpStream::connect(front.backend).await?;
                let _ = stream.set_nodelay(true);
                let (sender, connection) =
                    hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
                tokio::spawn(connection);
                *slot = Some(sender);
            }
            let sender = slot.as_mut().ok_or("no connection to rocket")?;
            sender.ready().await?;
            let response = sender.send_request(request);
            drop(slot);
            Ok(response.await?)
        })
    }
}
