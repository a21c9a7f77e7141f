//! [`Sse`]: an event stream as a rocket `Responder`, ending at rocket's `Shutdown`.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use futures_util::Stream;
use rocket::Request;
use rocket::response::stream::ByteStream;
use rocket::response::{self, Responder};
use sse_core::{IntoFrame, KeepAlive, RESPONSE_HEADERS, SseStream};

use crate::shutdown::StreamsEnd;

/// An event-stream response: the headers of [`RESPONSE_HEADERS`], keep-alive comments after
/// 15 s of idleness by default, and an optional retry prelude. It ends at rocket's
/// `Shutdown`, or, with the [`HubShutdown`](crate::HubShutdown) fairing attached, when the
/// hub has shut down after its final event. Over [`SseStream`], whose docs say what each
/// setting does.
///
/// **Departed clients.** Rocket 0.5 writes a response body from a task of its own, through
/// a channel to hyper: when a client closes its connection, hyper notices at once and
/// closes its side, but the task (and the stream it holds: a hub subscription, its topic)
/// learns of it only when it next hands the channel something. So, by default, an `Sse`
/// writes an empty comment (`:\n\n`) after [`DEFAULT_PROBE`](Self::DEFAULT_PROBE) (one
/// second; the first a quarter second after the start) without any write
/// ([`SseStream::probe`]): a departed client is let go within a second, whatever the
/// keep-alive interval, and one that leaves at once within a quarter second. Change it with [`probe`](Self::probe), or turn
/// it off with [`no_probe`](Self::no_probe) (a departed client then waits for the next event
/// or keep-alive).
///
/// The [two styles](sse_core::guide::two_styles) on rocket: return a stream, or hand an
/// [`Emitter`](sse_core::Emitter) to a task, and answer `204 No Content` to a client that
/// has seen the end, so that its `EventSource` stops for good.
///
/// ```
/// use std::time::Duration;
///
/// use rocket::response::status::NoContent;
/// use rocket::{get, routes};
/// use sse_rocket::{Emitter, EmitterStream, Event, Finite, LastEventId, Resume, Sse};
///
/// const WORDS: [&str; 5] = ["Server-sent", "events", "resume", "after", "reconnecting"];
///
/// /// (a) A returned stream: numbered `1..=5`, resumed after `Last-Event-ID`.
/// #[get("/words")]
/// fn words(last: LastEventId) -> Result<Sse<Finite>, NoContent> {
///     Finite::resume(last.0.as_ref(), WORDS.map(Event::new))
///         .map(|s| Sse::new(s.paced(Duration::from_secs(1))))
///         .ok_or(NoContent) // the client has every word
/// }
///
/// /// (b) An emitter: a task sends a word a second, numbered the same way, then completes.
/// #[get("/words/emitter")]
/// fn words_emitter(last: LastEventId) -> Result<Sse<EmitterStream>, NoContent> {
///     let resume = Resume::after(last.0.as_ref(), WORDS.len()).ok_or(NoContent)?;
///     let (emitter, events) = Emitter::channel();
///     rocket::tokio::spawn(async move {
///         let mut second = rocket::tokio::time::interval(Duration::from_secs(1));
///         for number in resume.remaining() {
///             rocket::tokio::select! {
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
/// let rocket = rocket::build().mount("/", routes![words, words_emitter]);
/// # drop(rocket);
/// ```
///
/// **Returning `impl Stream` from a handler that takes `&State`.** With edition 2024, a
/// returned `impl Trait` captures every lifetime in scope, the `&State`'s too, and rocket
/// needs a response that does not borrow the request. Say that the stream borrows nothing
/// with `+ use<>`:
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use rocket::{State, get};
/// use sse_rocket::{Event, Sse, Stream, stream};
///
/// struct AppState { posts: AtomicU64 }
///
/// #[get("/countdown")]
/// fn countdown(app: &State<AppState>) -> Sse<impl Stream<Item = Event> + use<>> {
///     let from = app.posts.load(Ordering::Relaxed);
///     Sse::new(stream::iter((1..=from).rev().map(|n| Event::new(n.to_string()))))
/// }
/// # let _ = rocket::build().manage(AppState { posts: AtomicU64::new(3) }).mount("/", rocket::routes![countdown]);
/// ```
///
/// Without it the error is E0521, "borrowed data escapes outside of function", about
/// rocket's generated `__req`, with the hint "replace `'__r` with `'static`": neither is in
/// your code, and the fix is `+ use<>` on the return type.
///
/// ```compile_fail,E0521
/// # use std::sync::atomic::{AtomicU64, Ordering};
/// # use rocket::{State, get};
/// # use sse_rocket::{Event, Sse, Stream, stream};
/// # struct AppState { posts: AtomicU64 }
/// #[get("/countdown")]
/// fn countdown(app: &State<AppState>) -> Sse<impl Stream<Item = Event>> {
///     let from = app.posts.load(Ordering::Relaxed);
///     Sse::new(stream::iter((1..=from).rev().map(|n| Event::new(n.to_string()))))
/// }
/// ```
#[must_use]
pub struct Sse<S> {
    stream: SseStream<S>,
    probe: Option<Duration>,
}

impl<S> Sse<S>
where
    S: Stream,
    S::Item: IntoFrame,
{
    /// Streams `events`: [`Event`](sse_core::Event)s, a hub
    /// [`Subscription`](sse_core::Subscription), or `Result`s of either (an error ends the
    /// stream cleanly, at an event boundary).
    pub fn new(events: S) -> Self {
        Sse::from(SseStream::new(events))
    }

    /// Sets the keep-alive interval and text ([`SseStream::keep_alive`]).
    pub fn keep_alive(self, keep_alive: KeepAlive) -> Self {
        self.map(|stream| stream.keep_alive(keep_alive))
    }

    /// Sends the client's reconnection delay with the first event ([`SseStream::retry`]).
    pub fn retry(self, delay: Duration) -> Self {
        self.map(|stream| stream.retry(delay))
    }

    /// Ends the stream at an event boundary when `shutdown` completes ([`SseStream::until`]).
    pub fn until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Self {
        self.map(|stream| stream.until(shutdown))
    }

    fn map(self, f: impl FnOnce(SseStream<S>) -> SseStream<S>) -> Self {
        Sse {
            stream: f(self.stream),
            probe: self.probe,
        }
    }
}

impl<S> Sse<S> {
    /// How long a stream stays silent before it writes an empty comment to find out whether
    /// its client is still there (one second): see [`Sse`] on departed clients.
    pub const DEFAULT_PROBE: Duration = Duration::from_secs(1);

    /// Writes an empty comment after `interval` without any write, so that a departed
    /// client is let go within about `interval` ([`SseStream::probe`]; default
    /// [`DEFAULT_PROBE`](Self::DEFAULT_PROBE)).
    pub fn probe(mut self, interval: Duration) -> Self {
        self.probe = Some(interval);
        self
    }

    /// Writes no probes: a departed client is let go at the next event or keep-alive.
    pub fn no_probe(mut self) -> Self {
        self.probe = None;
        self
    }
}

impl<S> From<SseStream<S>> for Sse<S> {
    /// With the default probe ([`Sse::DEFAULT_PROBE`]).
    fn from(stream: SseStream<S>) -> Self {
        Sse {
            stream,
            probe: Some(Self::DEFAULT_PROBE),
        }
    }
}

impl<S> fmt::Debug for Sse<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sse")
            .field("stream", &self.stream)
            .field("probe", &self.probe)
            .finish()
    }
}

impl<'r, S> Responder<'r, 'r> for Sse<S>
where
    S: Stream + Send + 'static,
    S::Item: IntoFrame,
{
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'r> {
        // Rocket's graceful shutdown waits for open responses: end the stream with it, or,
        // with the `HubShutdown` fairing, once the hub has shut down (after its final event).
        let stream = match self.probe {
            Some(interval) => self.stream.probe(interval),
            None => self.stream,
        };
        let stream = match request.rocket().state::<StreamsEnd>() {
            Some(StreamsEnd(signal)) => stream.until(signal.triggered()),
            None => stream.until(request.rocket().shutdown()),
        };
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
