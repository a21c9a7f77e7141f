//! The response body: any `Stream` of events becomes a `Stream` of whole-event [`Bytes`].
//!
//! [`SseStream`] adds what every SSE response needs and every framework adapter wraps in its
//! own body type:
//!
//! - **keep-alive** comments after a configurable idle time (default 15 s, `:\n\n`); the
//!   timer restarts after every event, so a busy stream sends none;
//! - an optional **retry prelude**: `retry: <ms>` sent in the same block as the first event
//!   (a block holding only `retry` shows up as an empty message in some clients);
//! - **shutdown** futures ([`SseStream::until`], [`Until`]): when one completes the stream
//!   ends. Items are whole events, so the stream always ends at an event boundary;
//! - an optional **departure probe** ([`SseStream::probe`]): a tiny comment after a short
//!   silence, for servers that learn a client has gone only by writing to it (rocket);
//! - **batching**: events that are ready together (a subscriber that fell behind, a finite
//!   stream) leave as one item of up to [`BATCH_BYTES`], so the server writes them in one
//!   call.
//!
//! Items may be [`Event`]s, already encoded [`Frame`]s (what a [`Hub`](crate::Hub)
//! subscription yields), or `Result`s of either: an `Err` ends the stream cleanly, at an
//! event boundary, and is logged with `tracing`.
//!
//! ```
//! use std::time::Duration;
//! use futures_util::stream;
//! use sse_core::{Event, KeepAlive, SseStream};
//!
//! let words = stream::iter(["hello", "world"].map(Event::new));
//! let body = SseStream::new(words)
//!     .keep_alive(KeepAlive::new().interval(Duration::from_secs(10)).text("ping"))
//!     .retry(Duration::from_secs(2));
//! # let _ = body;
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use tokio::time::{Instant, Sleep};

use crate::{Event, Frame, Text};

/// The headers every event-stream response carries, as the HTML standard and real clients
/// (browsers, the npm `eventsource` family, proxies) need them:
///
/// - `content-type: text/event-stream`, exactly;
/// - `cache-control: no-cache`;
/// - `x-accel-buffering: no`, so nginx does not buffer the stream;
/// - `content-encoding: identity`, so compression middleware (tower-http's
///   `CompressionLayer`, actix-web's `Compress`) leaves the response alone instead of
///   buffering events inside a compressor.
///
/// No `content-length` (the body is a stream) and no `connection` (illegal in HTTP/2).
pub const RESPONSE_HEADERS: [(&str, &str); 4] = [
    ("content-type", "text/event-stream"),
    ("cache-control", "no-cache"),
    ("x-accel-buffering", "no"),
    ("content-encoding", "identity"),
];

/// A boxed error, as carried by a fallible event stream.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Something a body stream can write: an [`Event`], a [`Frame`], or a `Result` of either.
pub trait IntoFrame {
    /// The encoded frame, or the error that ends the stream.
    fn into_frame(self) -> Result<Frame, BoxError>;
}

impl IntoFrame for Event {
    fn into_frame(self) -> Result<Frame, BoxError> {
        Ok(self.encode())
    }
}

impl IntoFrame for Frame {
    fn into_frame(self) -> Result<Frame, BoxError> {
        Ok(self)
    }
}

impl<T: IntoFrame, E: Into<BoxError>> IntoFrame for Result<T, E> {
    fn into_frame(self) -> Result<Frame, BoxError> {
        self.map_err(Into::into)?.into_frame()
    }
}

/// Keep-alive settings: a comment sent after `interval` without any event.
///
/// ```
/// use std::time::Duration;
/// use sse_core::KeepAlive;
/// let keep_alive = KeepAlive::new().interval(Duration::from_secs(30)).text("ping");
/// assert_eq!(keep_alive.frame().as_bytes(), b": ping\n\n");
/// ```
#[derive(Debug, Clone)]
pub struct KeepAlive {
    interval: Duration,
    frame: Frame,
}

impl KeepAlive {
    /// The default idle interval, 15 seconds.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(15);
    /// The shortest interval accepted; shorter ones are raised to it.
    pub const MIN_INTERVAL: Duration = Duration::from_millis(1);

    /// Every 15 seconds of idleness, an empty comment (`:\n\n`).
    pub fn new() -> Self {
        KeepAlive {
            interval: Self::DEFAULT_INTERVAL,
            frame: Frame::comment(Text::from_static("")),
        }
    }

    /// Sets the idle interval (at least [`MIN_INTERVAL`](Self::MIN_INTERVAL)).
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval.max(Self::MIN_INTERVAL);
        self
    }

    /// Sets the comment text (line breaks become several comment lines).
    #[must_use]
    pub fn text(mut self, text: impl Into<Text>) -> Self {
        self.frame = Frame::comment(text);
        self
    }

    /// The comment frame sent.
    pub fn frame(&self) -> &Frame {
        &self.frame
    }
}

impl Default for KeepAlive {
    fn default() -> Self {
        KeepAlive::new()
    }
}

struct KeepAliveTimer {
    config: KeepAlive,
    last_activity: Instant,
    /// Created on first poll, inside the runtime; re-armed lazily (an event only moves
    /// `last_activity`, so a busy stream does not touch the timer wheel per event).
    sleep: Option<Pin<Box<Sleep>>>,
}

impl KeepAliveTimer {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Frame> {
        let interval = self.config.interval;
        if interval == Duration::MAX {
            return Poll::Pending; // disabled: not inside a tokio runtime
        }
        let sleep = match &mut self.sleep {
            Some(sleep) => sleep,
            None => {
                if tokio::runtime::Handle::try_current().is_err() {
                    crate::trace::warning!(
                        "SSE keep-alive disabled: the stream is not polled inside a tokio runtime"
                    );
                    self.config.interval = Duration::MAX;
                    return Poll::Pending;
                }
                let deadline = self.last_activity.checked_add(interval);
                self.sleep.insert(Box::pin(tokio::time::sleep_until(
                    deadline.unwrap_or_else(far_future),
                )))
            }
        };
        loop {
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            let now = Instant::now();
            let due = self
                .last_activity
                .checked_add(interval)
                .unwrap_or_else(far_future);
            if now >= due {
                self.last_activity = now;
                sleep
                    .as_mut()
                    .reset(now.checked_add(interval).unwrap_or_else(far_future));
                return Poll::Ready(self.config.frame.clone());
            }
            sleep.as_mut().reset(due);
        }
    }
}

/// Events that are ready together leave as one item of up to about this many bytes (the
/// last event may take it past).
pub const BATCH_BYTES: usize = 8 * 1024;

/// Logs why an event stream ends early.
fn log_stream_error(error: &BoxError) {
    crate::trace::warning!(%error, "SSE event stream failed; ending the response at an event boundary");
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

/// A future the stream ends at, boxed so that signals of any type combine.
type Signal = Pin<Box<dyn Future<Output = ()> + Send>>;

pin_project_lite::pin_project! {
    /// Any stream, ended at a shutdown signal between two items. [`SseStream::until`] uses
    /// it for events, and adapters for whole response bodies.
    ///
    /// **When it ends.** At the first poll after a signal has fired, the stream is polled
    /// once more: an item it has ready then goes out (at most one), and the stream ends at
    /// the next poll; if it has none, it ends at once. So a hub subscription still delivers
    /// its final event after [`Hub::shutdown`](crate::Hub::shutdown), and a stream that is
    /// always ready cannot keep going. Several signals combine: the first to fire ends the
    /// stream.
    ///
    /// ```
    /// use futures_util::{StreamExt, stream};
    /// use sse_core::stream::Until;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let never = stream::pending::<u32>();
    /// let ended = Until::new(never).until(std::future::ready(()));
    /// assert!(ended.collect::<Vec<u32>>().await.is_empty());
    /// # }
    /// ```
    #[must_use = "streams do nothing unless polled"]
    pub struct Until<S> {
        #[pin]
        inner: S,
        signal: Option<Signal>,
        // A signal fired and the one last item was polled for: end at the next poll.
        draining: bool,
        done: bool,
    }
}

impl<S> Until<S> {
    /// `inner`, with no signal yet.
    pub fn new(inner: S) -> Self {
        Until {
            inner,
            signal: None,
            draining: false,
            done: false,
        }
    }

    /// Also ends at `signal`; earlier signals still count.
    pub fn until(mut self, signal: impl Future<Output = ()> + Send + 'static) -> Self {
        let signal: Signal = Box::pin(signal);
        self.signal = Some(match self.signal.take() {
            None => signal,
            Some(earlier) => Box::pin(either(earlier, signal)),
        });
        self
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

/// Completes when either future does.
async fn either(mut a: Signal, mut b: Signal) {
    std::future::poll_fn(|cx| {
        if a.as_mut().poll(cx).is_ready() || b.as_mut().poll(cx).is_ready() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await
}

fn fired(signal: &mut Option<Signal>, cx: &mut Context<'_>) -> bool {
    signal
        .as_mut()
        .is_some_and(|signal| signal.as_mut().poll(cx).is_ready())
}

impl<S: Stream> Stream for Until<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.project();
        if *this.done || *this.draining {
            *this.done = true;
            return Poll::Ready(None);
        }
        let mut inner = this.inner;
        if !fired(this.signal, cx) {
            match inner.as_mut().poll_next(cx) {
                Poll::Ready(None) => {
                    *this.done = true;
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(item)) => return Poll::Ready(Some(item)),
                // The signal may have fired since it was looked at: look again below.
                Poll::Pending if !fired(this.signal, cx) => return Poll::Pending,
                Poll::Pending => {}
            }
        }
        // A signal fired. One last look: what is ready now (a hub subscription's final
        // event, in place before the hub's signal fires) goes out, then the end.
        *this.draining = true;
        match inner.poll_next(cx) {
            Poll::Ready(Some(item)) => Poll::Ready(Some(item)),
            _ => {
                *this.done = true;
                Poll::Ready(None)
            }
        }
    }
}

impl<S> std::fmt::Debug for Until<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Until")
            .field("has_signal", &self.signal.is_some())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

pin_project_lite::pin_project! {
    /// A body stream of whole events with keep-alive, retry prelude and shutdown.
    /// See the [module docs](self).
    #[must_use = "streams do nothing unless polled"]
    pub struct SseStream<S> {
        #[pin]
        events: Until<S>,
        keep_alive: Option<KeepAliveTimer>,
        // Restarted by every write, keep-alives too.
        probe: Option<KeepAliveTimer>,
        retry: Option<u64>,
        done: bool,
    }
}

impl<S> SseStream<S>
where
    S: Stream,
    S::Item: IntoFrame,
{
    /// Wraps a stream of events, with the default [`KeepAlive`].
    pub fn new(events: S) -> Self {
        SseStream {
            events: Until::new(events),
            keep_alive: Some(KeepAliveTimer {
                config: KeepAlive::new(),
                last_activity: Instant::now(),
                sleep: None,
            }),
            probe: None,
            retry: None,
            done: false,
        }
    }

    /// Sets the keep-alive interval and text.
    pub fn keep_alive(mut self, keep_alive: KeepAlive) -> Self {
        self.keep_alive = Some(KeepAliveTimer {
            config: keep_alive,
            last_activity: Instant::now(),
            sleep: None,
        });
        self
    }

    /// Sends no keep-alive comments.
    pub fn no_keep_alive(mut self) -> Self {
        self.keep_alive = None;
        self
    }

    /// Writes an empty comment (`:\n\n`, 3 bytes) after `interval` without any write, event
    /// or keep-alive, so that a server which learns of a departed client only when it next
    /// writes learns of it within `interval`, whatever the keep-alive interval (the first
    /// probe comes after a quarter of `interval`, for clients that leave at once). Off by
    /// default; the rocket adapter turns it on (every second), since rocket 0.5 writes a
    /// response from a task that notices a closed connection only by writing.
    ///
    /// The keep-alive is unchanged: its comments still come every keep-alive interval (and
    /// restart the probe's silence). Each probe is a small write per idle client: about
    /// 3 bytes of event stream (plus framing) and one system call a second per client at
    /// the default.
    pub fn probe(mut self, interval: Duration) -> Self {
        let config = KeepAlive::new().interval(interval);
        // The first probe after a quarter of the interval: a client that leaves at once (a
        // hostile one that only makes topics) is let go sooner, for one more small write.
        let now = Instant::now();
        let early = config.interval - config.interval / 4;
        self.probe = Some(KeepAliveTimer {
            config,
            last_activity: now.checked_sub(early).unwrap_or(now),
            sleep: None,
        });
        self
    }

    /// Tells the client to wait `delay` before reconnecting, in the first event's block.
    pub fn retry(mut self, delay: Duration) -> Self {
        self.retry = Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Ends the stream, at an event boundary, when `shutdown` completes; earlier signals
    /// still count (see [`Until`] for exactly when it ends).
    ///
    /// Adapters end every response at the app's [`ShutdownSignal`](crate::ShutdownSignal)
    /// already; use this for other reasons to stop (a user logged out, a job cancelled). A
    /// hub subscription ended this way still delivers the hub's final event.
    pub fn until(mut self, shutdown: impl Future<Output = ()> + Send + 'static) -> Self {
        self.events = self.events.until(shutdown);
        self
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &S {
        self.events.get_ref()
    }
}

impl<S> Stream for SseStream<S>
where
    S: Stream,
    S::Item: IntoFrame,
{
    type Item = Bytes;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        let this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        let mut events = this.events;
        let first = match events
            .as_mut()
            .poll_next(cx)
            .map(|item| item.map(IntoFrame::into_frame))
        {
            Poll::Ready(Some(Ok(frame))) => frame,
            Poll::Ready(Some(Err(error))) => {
                log_stream_error(&error);
                *this.done = true;
                return Poll::Ready(None);
            }
            Poll::Ready(None) => {
                *this.done = true;
                return Poll::Ready(None);
            }
            Poll::Pending => {
                if let Some(Poll::Ready(frame)) = this.keep_alive.as_mut().map(|t| t.poll(cx)) {
                    if let Some(probe) = this.probe {
                        probe.last_activity = Instant::now();
                    }
                    return Poll::Ready(Some(frame.into_bytes()));
                }
                return match this.probe {
                    Some(probe) => probe.poll(cx).map(|frame| Some(frame.into_bytes())),
                    None => Poll::Pending,
                };
            }
        };
        if this.keep_alive.is_some() || this.probe.is_some() {
            let now = Instant::now();
            for timer in [this.keep_alive.as_mut(), this.probe.as_mut()]
                .into_iter()
                .flatten()
            {
                timer.last_activity = now;
            }
        }
        let first = match this.retry.take() {
            Some(ms) => first.with_retry_prefix(ms),
            None => first,
        };
        // Whatever else is ready goes out in the same chunk: one write for a subscriber
        // that has fallen behind, instead of one per event.
        let mut batch: Option<BytesMut> = None;
        while batch.as_ref().map_or(first.len(), BytesMut::len) < BATCH_BYTES {
            match events
                .as_mut()
                .poll_next(cx)
                .map(|item| item.map(IntoFrame::into_frame))
            {
                Poll::Ready(Some(Ok(next))) => batch
                    .get_or_insert_with(|| {
                        let mut batch = BytesMut::with_capacity(BATCH_BYTES.min(first.len() * 8));
                        batch.extend_from_slice(&first);
                        batch
                    })
                    .extend_from_slice(&next),
                Poll::Ready(Some(Err(error))) => {
                    log_stream_error(&error);
                    *this.done = true;
                    break;
                }
                Poll::Ready(None) => {
                    *this.done = true;
                    break;
                }
                Poll::Pending => break,
            }
        }
        Poll::Ready(Some(match batch {
            Some(batch) => batch.freeze(),
            None => first.into_bytes(),
        }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done { (0, Some(0)) } else { (0, None) }
    }
}

impl<S> std::fmt::Debug for SseStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SseStream")
            .field("keep_alive", &self.keep_alive.as_ref().map(|k| &k.config))
            .field("probe", &self.probe.as_ref().map(|p| p.config.interval))
            .field("retry_ms", &self.retry)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
