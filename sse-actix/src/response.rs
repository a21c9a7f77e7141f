//! [`Sse`]: an event stream as an actix-web `Responder`.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use actix_web::body::BoxBody;
use actix_web::http::Version;
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use futures_util::{Stream, StreamExt};
use sse_core::{Hub, IntoFrame, KeepAlive, RESPONSE_HEADERS, ShutdownSignal, SseStream};

/// An event-stream response: the headers of [`RESPONSE_HEADERS`], keep-alive comments after
/// 15 s of idleness by default, and an optional retry prelude. It ends at the app's
/// shutdown signal: a [`ShutdownSignal`] in the app data, or else the shutdown of the
/// `web::Data<Hub>` registered there. A newtype over [`SseStream`], whose docs say what each
/// setting does.
///
/// The [two styles](sse_core::guide::two_styles) on actix-web: return a stream, or hand an
/// [`Emitter`](sse_core::Emitter) to a task, and answer `204 No Content` to a client that
/// has seen the end, so that its `EventSource` stops for good.
///
/// ```
/// use std::time::Duration;
///
/// use actix_web::{App, Either, HttpResponse, web};
/// use sse_actix::{Emitter, EmitterStream, Event, Finite, LastEventId, Resume, Sse};
///
/// const WORDS: [&str; 5] = ["Server-sent", "events", "resume", "after", "reconnecting"];
///
/// /// (a) A returned stream: numbered `1..=5`, resumed after `Last-Event-ID`.
/// async fn words(LastEventId(last): LastEventId) -> Either<Sse<Finite>, HttpResponse> {
///     match Finite::resume(last.as_ref(), WORDS.map(Event::new))
///         .map(|s| Sse::new(s.paced(Duration::from_secs(1))))
///     {
///         Some(sse) => Either::Left(sse),
///         None => Either::Right(HttpResponse::NoContent().finish()), // has every word
///     }
/// }
///
/// /// (b) An emitter: a task sends a word a second, numbered the same way, then completes.
/// async fn words_emitter(
///     LastEventId(last): LastEventId,
/// ) -> Either<Sse<EmitterStream>, HttpResponse> {
///     let Some(resume) = Resume::after(last.as_ref(), WORDS.len()) else {
///         return Either::Right(HttpResponse::NoContent().finish());
///     };
///     let (emitter, events) = Emitter::channel();
///     actix_web::rt::spawn(async move {
///         let mut second = actix_web::rt::time::interval(Duration::from_secs(1));
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
///     Either::Left(Sse::new(events))
/// }
///
/// let app = App::new()
///     .route("/words", web::get().to(words))
///     .route("/words/emitter", web::get().to(words_emitter));
/// # drop(app);
/// ```
///
/// A client that closes its connection drops the stream at once with
/// `HttpServer::h1_allow_half_closed(false)` (see the [crate docs](crate)); without it, at
/// the second write after it left, or within about two [`probe`](Self::probe) intervals.
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

    /// Writes an empty comment after `interval` without any write ([`SseStream::probe`]),
    /// so that a departed client is let go within about two `interval`s, whatever the
    /// keep-alive interval. Only for a server that cannot refuse half-closes: with
    /// `HttpServer::h1_allow_half_closed(false)` actix-web lets go at once, with no probe.
    pub fn probe(self, interval: Duration) -> Self {
        Sse(self.0.probe(interval))
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

impl<S> Responder for Sse<S>
where
    S: Stream + 'static,
    S::Item: IntoFrame,
{
    type Body = BoxBody;

    /// Ends the stream at the app's [`ShutdownSignal`] (from `App::app_data`), or else at
    /// the shutdown of a hub registered as `web::Data<Hub>`.
    fn respond_to(self, request: &HttpRequest) -> HttpResponse {
        let stream = if let Some(signal) = request.app_data::<ShutdownSignal>() {
            self.0.until(signal.triggered())
        } else if let Some(hub) = request.app_data::<web::Data<Hub>>() {
            self.0.until(hub.closed())
        } else {
            self.0
        };
        let mut response = HttpResponse::Ok();
        for header in RESPONSE_HEADERS {
            response.insert_header(header);
        }
        let http_1_0 = request.version() == Version::HTTP_10;
        if http_1_0 {
            // The body's end is the connection's: HTTP/1.0 has no keep-alive for a body
            // of unknown length.
            response.force_close();
        }
        let mut response = response.streaming(stream.map(Ok::<_, Infallible>));
        if http_1_0 {
            // HTTP/1.0 has no chunked encoding (actix-web would send it anyway): the events
            // go as they are, delimited by the close.
            response.head_mut().no_chunking(true);
        }
        response
    }
}
