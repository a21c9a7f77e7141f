//! [`Sse`]: an event stream as an axum response.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use sse_core::{IntoFrame, KeepAlive, RESPONSE_HEADERS, SseStream};

/// An event-stream response: the headers of [`RESPONSE_HEADERS`], keep-alive comments after
/// 15 s of idleness by default, and an optional retry prelude. A newtype over
/// [`SseStream`], whose docs say what each setting does.
///
/// The [two styles](sse_core::guide::two_styles) on axum: return a stream, or hand an
/// [`Emitter`](sse_core::Emitter) to a task, and answer `204 No Content` to a client that
/// has seen the end, so that its `EventSource` stops for good.
///
/// ```
/// use std::time::Duration;
///
/// use axum::Router;
/// use axum::http::StatusCode;
/// use axum::routing::get;
/// use sse_axum::{Emitter, EmitterStream, Event, Finite, LastEventId, Resume, Sse};
///
/// const WORDS: [&str; 5] = ["Server-sent", "events", "resume", "after", "reconnecting"];
///
/// /// (a) A returned stream: numbered `1..=5`, resumed after `Last-Event-ID`.
/// async fn words(LastEventId(last): LastEventId) -> Result<Sse<Finite>, StatusCode> {
///     Finite::resume(last.as_ref(), WORDS.map(Event::new))
///         .map(|s| Sse::new(s.paced(Duration::from_secs(1))))
///         .ok_or(StatusCode::NO_CONTENT) // the client has every word
/// }
///
/// /// (b) An emitter: a task sends a word a second, numbered the same way, then completes.
/// async fn words_emitter(
///     LastEventId(last): LastEventId,
/// ) -> Result<Sse<EmitterStream>, StatusCode> {
///     let resume = Resume::after(last.as_ref(), WORDS.len()).ok_or(StatusCode::NO_CONTENT)?;
///     let (emitter, events) = Emitter::channel();
///     tokio::spawn(async move {
///         let mut second = tokio::time::interval(Duration::from_secs(1));
///         for number in resume.remaining() {
///             tokio::select! {
///                 _ = emitter.closed() => return, // the client left: stop working
///                 _ = second.tick() => {}         // the first tick is at once
///             }
///             let word = Finite::numbered(number, Event::new(WORDS[number - 1]));
///             if emitter.send(word).await.is_err() {
///                 return; // closed while sending
///             }
///         }
///         emitter.complete(None);
///     });
///     Ok(Sse::new(events))
/// }
///
/// let app: Router = Router::new()
///     .route("/words", get(words))
///     .route("/words/emitter", get(words_emitter));
/// # drop(app);
/// ```
///
/// A client that closes its connection drops the stream at once on axum (hyper watches the
/// connection while it writes the response: under a millisecond, measured by the
/// conformance check), and the emitter closes.
#[must_use]
pub struct Sse<S>(SseStream<S>);

impl<S> Sse<S>
where
    S: Stream,
    S::Item: IntoFrame,
{
    /// Streams `events`: [`Event`](sse_core::Event)s, a hub
    /// [`Subscription`](sse_core::Subscription), or `Result`s of either (an error ends the
    /// stream cleanly, at an event boundary).
    pub fn new(events: S) -> Self {
        Sse(SseStream::new(events))
    }

    /// Sets the keep-alive interval and text ([`SseStream::keep_alive`]).
    pub fn keep_alive(self, keep_alive: KeepAlive) -> Self {
        Sse(self.0.keep_alive(keep_alive))
    }

    /// Sends the client's reconnection delay with the first event ([`SseStream::retry`]).
    pub fn retry(self, delay: Duration) -> Self {
        Sse(self.0.retry(delay))
    }

    /// Ends the stream at an event boundary when `shutdown` completes ([`SseStream::until`]).
    pub fn until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Self {
        Sse(self.0.until(shutdown))
    }
}

impl<S> From<SseStream<S>> for Sse<S> {
    fn from(stream: SseStream<S>) -> Self {
        Sse(stream)
    }
}

impl<S> fmt::Debug for Sse<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Sse").field(&self.0).finish()
    }
}

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
