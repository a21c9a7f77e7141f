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
//!   ephemeral port on 127.0.0.1 and fronts it with [`serve_front`] and [`RocketFront`]: a
//!   byte relay, one connection to rocket per client connection, that times the first
//!   request head and then passes bytes through unparsed, so that rocket alone decides
//!   where each request ends (the front cannot disagree with it: no request smuggling).
//!   Rocket sees every client as 127.0.0.1. `--header-timeout-ms 0` serves rocket
//!   directly, with no header timeout and no per-address cap (for measuring rocket alone).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use sse_core::http::{ErrorResponse, HttpError};
use sse_endpoints::limits::{AddressGuard, AddressLimit};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;

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
    accept(listener, &limits, shutdown, |stream, peer, places| {
        let connection =
            connections.watch(http.serve_connection(TokioIo::new(stream), service(peer)));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(places);
        });
    })
    .await;
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

/// What an accepted connection holds under the caps, given back when dropped.
type Places = (Option<AddressGuard>, Option<OwnedSemaphorePermit>);

/// Accepts connections until `shutdown`, refusing those past a cap, and hands the others
/// to `handle` with their places.
async fn accept(
    listener: tokio::net::TcpListener,
    limits: &ConnectionLimits,
    shutdown: impl Future<Output = ()>,
    mut handle: impl FnMut(TcpStream, SocketAddr, Places),
) {
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
                let busy = ErrorResponse::new(
                    503,
                    "too_many_connections",
                    "the server holds as many connections as it can; retry later",
                )
                .with_retry_after(1);
                tokio::spawn(refuse(stream, busy));
                continue;
            }
            Some(Ok(place)) => Some(place),
            None => None,
        };
        let guard = match limits.per_address.as_ref().map(|l| l.acquire(peer.ip())) {
            Some(Err(error)) => {
                tokio::spawn(refuse(stream, ErrorResponse::from_error(&error)));
                continue;
            }
            Some(Ok(guard)) => Some(guard),
            None => None,
        };
        handle(stream, peer, (guard, place));
    }
}

/// Answers a connection refused by a cap within a second, not the header timeout (a client
/// that sends nothing must not hold the descriptor for long): it waits up to a second for
/// the request head (a client reads an answer to the request it sent), then answers
/// `refusal` ([`answer`]: its JSON status, or the event stream a browser's `EventSource`
/// retries), and closes.
async fn refuse(mut stream: TcpStream, refusal: ErrorResponse) {
    let mut head = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(1), read_head(&mut stream, &mut head)).await;
    answer(stream, refusal, &head).await;
}

/// Writes `response` on `stream` as the answer to the request whose head (or start) is
/// `head`: the JSON status with `Retry-After` if it has one, or, for a passing error met by
/// a `GET` that accepts an event stream, the 200 event stream an `EventSource` retries
/// ([`ErrorResponse::retry_stream`]); then closes, after reading what else the client sent
/// for up to a second, so that the close does not reset the answer away.
async fn answer(mut stream: TcpStream, response: ErrorResponse, head: &[u8]) {
    let response =
        response.for_event_source(head.starts_with(b"GET ") && accepts_event_stream(head));
    let mut answer = String::new();
    let body = match response.retry_stream() {
        Some(stream) => {
            answer.push_str("HTTP/1.1 200 OK\r\n");
            for (name, value) in sse_core::RESPONSE_HEADERS {
                answer.push_str(&format!("{name}: {value}\r\n"));
            }
            stream
        }
        None => {
            let status = hyper::StatusCode::from_u16(response.status())
                .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
            answer.push_str(&format!(
                "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\n",
                status.as_str(),
                status.canonical_reason().unwrap_or("")
            ));
            if let Some(seconds) = response.retry_after() {
                answer.push_str(&format!("retry-after: {seconds}\r\n"));
            }
            response.json_body()
        }
    };
    answer.push_str(&format!(
        "connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    ));
    let linger = async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), linger).await;
}

/// Whether a request head has an `Accept` header that asks for an event stream.
fn accepts_event_stream(head: &[u8]) -> bool {
    let values = head.split(|&byte| byte == b'\n').filter_map(|line| {
        let colon = line.iter().position(|&byte| byte == b':')?;
        let (name, value) = line.split_at(colon);
        name.eq_ignore_ascii_case(b"accept").then_some(&value[1..])
    });
    sse_core::http::error::accepts_event_stream(values)
}

/// Where the first request head in `buffer` ends, just past its blank line: the first
/// empty line (`\r\n` or a bare `\n`, as rocket's parser also accepts) after a line that is
/// not empty (empty lines before the request line are skipped, by rocket's parser too).
fn head_end(buffer: &[u8]) -> Option<usize> {
    let start = buffer
        .iter()
        .position(|&byte| byte != b'\r' && byte != b'\n')?;
    let rest = &buffer[start..];
    (0..rest.len()).find_map(|i| {
        if rest[i] != b'\n' {
            return None;
        }
        match rest.get(i + 1..) {
            Some([b'\n', ..]) => Some(start + i + 2),
            Some([b'\r', b'\n', ..]) => Some(start + i + 3),
            _ => None,
        }
    })
}

/// The most of a first request head the front reads before it relays anyway (rocket then
/// answers a head too large itself).
const MAX_HEAD: usize = 64 * 1024;

/// Reads from `stream` into `head` until it holds the end of the first request head
/// ([`head_end`]), [`MAX_HEAD`] bytes, or the client closed or failed; says whether the
/// head ended.
async fn read_head(stream: &mut TcpStream, head: &mut Vec<u8>) -> bool {
    let mut buffer = [0u8; 4096];
    while head.len() < MAX_HEAD {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => {
                head.extend_from_slice(&buffer[..n]);
                if head_end(head).is_some() {
                    return true;
                }
            }
        }
    }
    false
}

/// Serves demo-rocket's front on `listener` until `shutdown`: every accepted connection
/// within the caps is relayed by `front` ([`RocketFront::relay`]); then it waits up to
/// [`shutdown::GRACE`] for the relays to end (rocket ends its connections as it shuts down).
pub async fn serve_front(
    listener: tokio::net::TcpListener,
    limits: ConnectionLimits,
    front: RocketFront,
    shutdown: impl Future<Output = ()>,
) {
    let front = Arc::new(front);
    let open = Arc::new(());
    accept(listener, &limits, shutdown, |stream, _peer, places| {
        let (front, open) = (front.clone(), open.clone());
        tokio::spawn(async move {
            front.relay(stream).await;
            drop((places, open));
        });
    })
    .await;
    let ended = async {
        while Arc::strong_count(&open) > 1 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    if tokio::time::timeout(shutdown::GRACE, ended).await.is_err() {
        shutdown::log(&format!(
            "connections still open after {:?}; exiting",
            shutdown::GRACE
        ));
    }
}

/// demo-rocket's front: relays each client connection over a connection of its own to
/// rocket at `backend`, as bytes. It reads the first request head within the header
/// timeout (past it the connection is closed, as hyper's timeout does on demo-axum), then
/// connects (within [`connect_timeout`](Self::connect_timeout)) and passes every byte
/// through, both ways, unparsed: rocket alone decides where each request ends.
///
/// Every request is answered: if rocket cannot be reached, 503 `backend_unavailable` with
/// `Retry-After: 1`; if rocket's connection fails or closes before it answered anything, 502
/// `bad_gateway` (after rocket's first byte the front cannot tell where an answer ends,
/// so a later failure closes the connection); both JSON, or for a browser's `EventSource`
/// the retry stream of a passing error.
///
/// Rocket reads the first 14 bytes of every request body before routing, so a body that
/// stalls before them never reaches a handler and its body timeout; nor does rocket time
/// the head of a later request on a kept-alive connection. So bytes the client sent must be
/// followed by one from rocket within `answer_within`: past it, the connection is closed
/// (answered 408 `request_timeout` if rocket has answered nothing yet). An idle
/// connection, an event stream, a slow handler that sends nothing are not affected: only
/// client bytes start the clock, and any byte from rocket stops it.
#[derive(Debug, Clone)]
pub struct RocketFront {
    backend: SocketAddr,
    header_timeout: Duration,
    answer_within: Duration,
    connect_timeout: Duration,
}

/// How long connecting to rocket may take (2 s) before the client is answered 503.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

impl RocketFront {
    /// A front for rocket at `backend`, with the header timeout `header_timeout` (zero:
    /// none) and `answer_within`. Give `answer_within` some room beyond the handlers' own
    /// body timeout, so that theirs answers 408 first.
    pub fn new(backend: SocketAddr, header_timeout: Duration, answer_within: Duration) -> Self {
        RocketFront {
            backend,
            header_timeout,
            answer_within,
            connect_timeout: CONNECT_TIMEOUT,
        }
    }

    /// With another timeout for connecting to rocket (default [`CONNECT_TIMEOUT`]).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Relays one client connection, to its end.
    pub async fn relay(&self, mut client: TcpStream) {
        let mut head = Vec::with_capacity(1024);
        let reading = read_head(&mut client, &mut head);
        let ended = match self.header_timeout.is_zero() {
            true => reading.await,
            false => match tokio::time::timeout(self.header_timeout, reading).await {
                Ok(ended) => ended,
                Err(_) => return,
            },
        };
        if !ended && head.len() < MAX_HEAD {
            // The client closed before its head ended: nothing to answer (nor does rocket).
            return;
        }
        let connected =
            tokio::time::timeout(self.connect_timeout, TcpStream::connect(self.backend)).await;
        let mut rocket = match connected {
            Ok(Ok(rocket)) => rocket,
            Ok(Err(_)) | Err(_) => {
                let away = ErrorResponse::new(
                    503,
                    "backend_unavailable",
                    "the server behind this one cannot be reached; retry later",
                )
                .with_retry_after(1);
                return answer(client, away, &head).await;
            }
        };
        let _ = rocket.set_nodelay(true);
        let relayed = match rocket.write_all(&head).await {
            Ok(()) => splice(&mut client, &mut rocket, self.answer_within).await,
            Err(_) => Relayed::Failed { answered: false },
        };
        drop(rocket);
        match relayed {
            Relayed::ClientGone => {}
            Relayed::Failed { answered: false } => {
                let failed = ErrorResponse::new(
                    502,
                    "bad_gateway",
                    "the server behind this one failed before answering",
                );
                answer(client, failed, &head).await;
            }
            Relayed::Unanswered { answered: false } => {
                answer(client, ErrorResponse::for_status(408), &head).await;
            }
            Relayed::Failed { answered: true } | Relayed::Unanswered { answered: true } => {}
            Relayed::Ended => {
                // Rocket closed after its answer: so does the front, reading what else the
                // client sent for up to a second, so that the close does not reset the
                // answer away.
                let linger = async {
                    client.shutdown().await?;
                    let mut sink = [0u8; 4096];
                    while client.read(&mut sink).await? > 0 {}
                    Ok::<_, std::io::Error>(())
                };
                let _ = tokio::time::timeout(Duration::from_secs(1), linger).await;
            }
        }
    }
}

/// A value the two halves of a relay share.
struct Shared<T>(std::sync::Mutex<T>);

impl<T: Copy> Shared<T> {
    fn get(&self) -> T {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set(&self, value: T) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = value;
    }
}

/// How a relay ended.
enum Relayed {
    /// Rocket closed its connection after answering.
    Ended,
    /// The client's connection failed: nothing more to say to it.
    ClientGone,
    /// Rocket's connection failed (or closed before any answer); `answered`: it had sent
    /// something already.
    Failed { answered: bool },
    /// Client bytes waited longer than `answer_within` for rocket.
    Unanswered { answered: bool },
}

/// Passes bytes both ways between `client` and `rocket` until rocket closes or either
/// fails, or client bytes wait for rocket longer than `answer_within`.
async fn splice(
    client: &mut TcpStream,
    rocket: &mut TcpStream,
    answer_within: Duration,
) -> Relayed {
    // Since when client bytes have waited for rocket's next byte (the first head, now).
    // (The halves run in one task; a `Cell` would do, but the task must be `Send`.)
    let waiting = Shared(std::sync::Mutex::new(Some(Instant::now())));
    let answered = std::sync::atomic::AtomicBool::new(false);
    let started = tokio::sync::Notify::new();
    let (mut client_read, mut client_write) = client.split();
    let (mut rocket_read, mut rocket_write) = rocket.split();
    let up = async {
        let mut buffer = vec![0u8; 8192];
        loop {
            match client_read.read(&mut buffer).await {
                Ok(0) => {
                    // The client half-closed: so does the front, towards rocket.
                    let _ = rocket_write.shutdown().await;
                    return None;
                }
                Ok(n) => {
                    if waiting.get().is_none() {
                        waiting.set(Some(Instant::now()));
                        started.notify_one();
                    }
                    if rocket_write.write_all(&buffer[..n]).await.is_err() {
                        return Some(Relayed::Failed {
                            answered: answered.load(Relaxed),
                        });
                    }
                }
                Err(_) => return Some(Relayed::ClientGone),
            }
        }
    };
    let down = async {
        let mut buffer = vec![0u8; 8192];
        loop {
            match rocket_read.read(&mut buffer).await {
                Ok(0) if answered.load(Relaxed) => return Relayed::Ended,
                Ok(0) | Err(_) => {
                    return Relayed::Failed {
                        answered: answered.load(Relaxed),
                    };
                }
                Ok(n) => {
                    waiting.set(None);
                    answered.store(true, Relaxed);
                    if client_write.write_all(&buffer[..n]).await.is_err() {
                        return Relayed::ClientGone;
                    }
                }
            }
        }
    };
    let watchdog = async {
        loop {
            match waiting.get() {
                None => started.notified().await,
                Some(since) => tokio::select! {
                    () = tokio::time::sleep_until(since + answer_within) => {
                        if waiting.get() == Some(since) {
                            return Relayed::Unanswered { answered: answered.load(Relaxed) };
                        }
                    }
                    () = started.notified() => {}
                },
            }
        }
    };
    let up = async {
        match up.await {
            Some(relayed) => relayed,
            // The client is done sending: wait for rocket.
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        relayed = up => relayed,
        relayed = down => relayed,
        relayed = watchdog => relayed,
    }
}
