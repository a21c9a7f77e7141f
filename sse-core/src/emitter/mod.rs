//! An emitter: hand it to other code (a spawned task, a callback) that sends events
//! whenever it has them and completes at the end; the response streams what it sends.
//! Spring MVC's `SseEmitter`, with backpressure and without its default timeout.
//!
//! # What to know first
//!
//! - **The buffer is bounded.** An emitter holds at most
//!   [`capacity`](EmitterBuilder::capacity) events (default
//!   [16](Emitter::DEFAULT_CAPACITY)) that the client has not read yet. When it is full,
//!   [`send`](Emitter::send) waits until the client reads, so a slow client slows its
//!   producer instead of growing memory, and [`try_send`](Emitter::try_send) returns
//!   [`TrySendError::Full`] at once. Capacity counts events, not bytes.
//! - **Each event is encoded at send time, into one [`Frame`]**, so events from several
//!   producers sharing clones of one emitter never interleave their lines.
//! - **An emitter closes once, for one [`CloseReason`]**, and the first reason wins:
//!   - [`Completed`](CloseReason::Completed): [`complete`](Emitter::complete) was called, or
//!     every clone of the emitter was dropped. The stream sends what is already buffered,
//!     then the final event if one was given, then ends. A `send` still waiting for room
//!     fails.
//!   - [`Disconnected`](CloseReason::Disconnected): the stream half was dropped: the
//!     response body went away (the client left, or the server dropped the response).
//!   - [`TimedOut`](CloseReason::TimedOut): the [`max_lifetime`](EmitterBuilder::max_lifetime)
//!     has passed since the emitter was built.
//!   - [`Shutdown`](CloseReason::Shutdown): the [`until`](EmitterBuilder::until) future
//!     completed (for example [`Hub::closed`](crate::Hub::closed)).
//!
//!   On the last three, the stream ends at once, at an event boundary, and drops what is
//!   buffered. After any of them, sending fails with the reason and gives the event back
//!   (waiting senders wake up with it); nothing panics and nothing is logged.
//!   [`closed`](Emitter::closed) resolves with the reason, so a producer can stop its work.
//! - **There is no default timeout.** An emitter lives until it is completed, its client
//!   leaves or the server shuts down. (Spring's emitters time out after the MVC async
//!   timeout, 30 s by default, which surprises people.) Set `max_lifetime` for a cap.
//! - **A vanished client is noticed late.** A server learns that a client has gone when the
//!   connection says so, which many servers find out only when they next write to it. Send
//!   the stream through [`SseStream`](crate::SseStream), whose keep-alive comments write
//!   something at least every keep-alive interval (15 s by default) even while the
//!   producer is idle: a client that closed its connection is then noticed at the latest
//!   about one keep-alive interval after it left (hyper, under axum, may notice sooner).
//!   Until then, sends succeed into the buffer. A client whose network vanished without
//!   closing anything is noticed only when the operating system gives up on the connection.
//! - **The stream half watches the lifetime and the shutdown future itself**, without a
//!   task of its own: it notices them when it is polled, which a response body being
//!   written is as soon as either fires. A stream not yet polled (the handler has not
//!   returned it) notices them at its first poll. Once completed, it drains its buffer
//!   without watching them.
//!
//! # Example
//!
//! A task sends a word a second, then completes with a final event; the stream half becomes
//! the response body (an adapter's `Sse::new(events)` wraps it in the same `SseStream`).
//!
//! ```
//! use std::time::Duration;
//! use futures_util::StreamExt;
//! use sse_core::{Emitter, Event, SseStream};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let (emitter, events) = Emitter::builder()
//!     .capacity(32)
//!     .max_lifetime(Duration::from_secs(600))
//!     .build();
//!
//! tokio::spawn(async move {
//!     for word in ["one", "word", "a", "second"] {
//!         // An error says the stream is closed, and why: nobody to send to, so stop.
//!         if emitter.send(Event::new(word)).await.is_err() {
//!             return;
//!         }
//!         tokio::time::sleep(Duration::from_secs(1)).await;
//!     }
//!     emitter.complete(Some(Event::new("[DONE]")));
//! });
//!
//! let body = SseStream::new(events);
//! # let bytes: Vec<_> = body.collect().await;
//! # assert_eq!(
//! #     bytes.concat(),
//! #     b"data: one\n\ndata: word\n\ndata: a\n\ndata: second\n\ndata: [DONE]\n\n"
//! # );
//! # }
//! ```
//!
//! A producer that has long work between events can stop as soon as the client leaves:
//!
//! ```
//! # use sse_core::{CloseReason, Emitter, Event};
//! # async fn compute_next() -> Event { Event::new("x") }
//! # async fn produce(emitter: Emitter) {
//! loop {
//!     tokio::select! {
//!         reason = emitter.closed() => {
//!             tracing::debug!(?reason, "stream closed, stopping");
//!             break;
//!         }
//!         event = compute_next() => {
//!             if emitter.send(event).await.is_err() {
//!                 break;
//!             }
//!         }
//!     }
//! }
//! # }
//! ```

mod error;
mod state;
mod stream;

use crate::race::{First, first};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub use error::SendJsonError;
pub use error::{SendError, TrySendError};
pub use stream::EmitterStream;

use crate::{Event, Frame};
use state::Shared;

/// Why an [`Emitter`] closed. The first reason is kept; see the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// [`Emitter::complete`] was called, or every clone of the emitter was dropped.
    Completed,
    /// The stream half was dropped: the response body, and so the client, went away.
    Disconnected,
    /// The [`max_lifetime`](EmitterBuilder::max_lifetime) passed.
    TimedOut,
    /// The [`until`](EmitterBuilder::until) future completed: the server is shutting down.
    Shutdown,
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CloseReason::Completed => "the event stream was completed",
            CloseReason::Disconnected => "the client disconnected",
            CloseReason::TimedOut => "the event stream reached its maximum lifetime",
            CloseReason::Shutdown => "the event stream was shut down",
        })
    }
}

/// Configures an emitter: buffer capacity, maximum lifetime, shutdown future.
///
/// ```
/// use std::time::Duration;
/// use sse_core::{Emitter, Hub};
///
/// let hub = Hub::new();
/// let (emitter, events) = Emitter::builder()
///     .capacity(64)
///     .max_lifetime(Duration::from_secs(30 * 60))
///     .until(hub.closed())
///     .build();
/// # drop((emitter, events));
/// ```
#[must_use]
pub struct EmitterBuilder {
    capacity: usize,
    max_lifetime: Option<Duration>,
    shutdown: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl EmitterBuilder {
    /// How many unread events the emitter holds before `send` waits (default
    /// [`Emitter::DEFAULT_CAPACITY`]; raised to 1, lowered to [`Emitter::MAX_CAPACITY`]).
    pub fn capacity(mut self, events: usize) -> Self {
        self.capacity = events.clamp(1, Emitter::MAX_CAPACITY);
        self
    }

    /// Closes the emitter with [`CloseReason::TimedOut`] this long after
    /// [`build`](Self::build). Off by default.
    pub fn max_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_lifetime = Some(lifetime);
        self
    }

    /// Closes the emitter with [`CloseReason::Shutdown`] when `shutdown` completes, such as
    /// [`Hub::closed()`](crate::Hub::closed) or a server's shutdown signal.
    pub fn until(mut self, shutdown: impl Future<Output = ()> + Send + 'static) -> Self {
        self.shutdown = Some(Box::pin(shutdown));
        self
    }

    /// The emitter, and the stream half to respond with.
    pub fn build(self) -> (Emitter, EmitterStream) {
        let (sender, frames) = mpsc::channel(self.capacity);
        let shared = Arc::new(Shared::new());
        let deadline = self
            .max_lifetime
            .and_then(|lifetime| Instant::now().checked_add(lifetime));
        let stream = EmitterStream::new(frames, Arc::clone(&shared), deadline, self.shutdown);
        let emitter = Emitter {
            inner: Arc::new(Inner { sender, shared }),
        };
        (emitter, stream)
    }
}

impl Default for EmitterBuilder {
    fn default() -> Self {
        EmitterBuilder {
            capacity: Emitter::DEFAULT_CAPACITY,
            max_lifetime: None,
            shutdown: None,
        }
    }
}

impl fmt::Debug for EmitterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmitterBuilder")
            .field("capacity", &self.capacity)
            .field("max_lifetime", &self.max_lifetime)
            .field("until", &self.shutdown.is_some())
            .finish()
    }
}

/// The sending half: send events, complete, and learn when and why the stream closed.
///
/// Cheap to clone (a reference count); every clone sends into the same stream. Dropping
/// the last clone completes the stream. See the [module docs](self).
#[derive(Clone)]
pub struct Emitter {
    inner: Arc<Inner>,
}

struct Inner {
    sender: mpsc::Sender<Frame>,
    shared: Arc<Shared>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last emitter is gone: nobody can send any more, which is completion.
        self.shared.close(CloseReason::Completed, None);
    }
}

impl Emitter {
    /// The default buffer capacity, in events.
    pub const DEFAULT_CAPACITY: usize = 16;
    /// The largest buffer capacity accepted, in events.
    pub const MAX_CAPACITY: usize = 1 << 20;

    /// An emitter with the default settings (16 events of buffer, no maximum lifetime, no
    /// shutdown future), and the stream half to respond with.
    ///
    /// ```
    /// use sse_core::{Emitter, SseStream};
    /// let (emitter, events) = Emitter::channel();
    /// let body = SseStream::new(events);
    /// # drop((emitter, body));
    /// ```
    pub fn channel() -> (Emitter, EmitterStream) {
        EmitterBuilder::default().build()
    }

    /// Configures an emitter; see [`EmitterBuilder`].
    pub fn builder() -> EmitterBuilder {
        EmitterBuilder::default()
    }

    /// Sends `event`, waiting while the buffer is full.
    ///
    /// The event is encoded once, into one frame, when there is room. Fails, giving the
    /// event back, if the emitter is closed, or closes while this waits for room.
    ///
    /// ```
    /// # use sse_core::{Emitter, Event};
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// let (emitter, events) = Emitter::channel();
    /// emitter.send(Event::new("hello").event("greeting")?).await?;
    /// # drop(events);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(&self, event: Event) -> Result<(), SendError> {
        let inner = &*self.inner;
        let permit = match inner.sender.try_reserve() {
            Ok(permit) => permit,
            Err(mpsc::error::TrySendError::Closed(())) => {
                return Err(SendError::new(self.reason_once_closed(), event));
            }
            Err(mpsc::error::TrySendError::Full(())) => {
                match first(inner.shared.closed(), inner.sender.reserve()).await {
                    First::A(reason) => return Err(SendError::new(reason, event)),
                    First::B(Ok(permit)) => permit,
                    First::B(Err(_)) => {
                        return Err(SendError::new(self.reason_once_closed(), event));
                    }
                }
            }
        };
        let frame = event.encode();
        inner
            .shared
            .if_open(|| permit.send(frame))
            .map_err(|reason| SendError::new(reason, event))
    }

    /// Sends `event` if there is room now; otherwise says why not and gives it back.
    ///
    /// ```
    /// use sse_core::{CloseReason, Emitter, Event, TrySendError};
    ///
    /// let (emitter, events) = Emitter::channel();
    /// emitter.try_send(Event::new("now"))?;
    /// emitter.complete(None);
    /// let error = emitter.try_send(Event::new("too late")).unwrap_err();
    /// assert_eq!(error.close_reason(), Some(CloseReason::Completed));
    /// # drop(events);
    /// # Ok::<(), TrySendError>(())
    /// ```
    pub fn try_send(&self, event: Event) -> Result<(), TrySendError> {
        let inner = &*self.inner;
        match inner.sender.try_reserve() {
            Ok(permit) => {
                let frame = event.encode();
                inner
                    .shared
                    .if_open(|| permit.send(frame))
                    .map_err(|reason| TrySendError::Closed(reason, Box::new(event)))
            }
            Err(mpsc::error::TrySendError::Full(())) => Err(match self.close_reason() {
                Some(reason) => TrySendError::Closed(reason, Box::new(event)),
                None => TrySendError::Full(Box::new(event)),
            }),
            Err(mpsc::error::TrySendError::Closed(())) => Err(TrySendError::Closed(
                self.reason_once_closed(),
                Box::new(event),
            )),
        }
    }

    /// Sends `value` serialized as JSON (one `data:` line, as [`Event::json`]), waiting
    /// while the buffer is full.
    ///
    /// The value is serialized when this is called, not when the future is first polled,
    /// so the future does not borrow it.
    ///
    /// ```
    /// # #[cfg(feature = "json")]
    /// # async fn example() -> Result<(), sse_core::emitter::SendJsonError> {
    /// let (emitter, events) = sse_core::Emitter::channel();
    /// emitter.send_json(&serde_json::json!({"progress": 42})).await?;
    /// # drop(events);
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn send_json<T>(
        &self,
        value: &T,
    ) -> impl Future<Output = Result<(), SendJsonError>> + Send + '_
    where
        T: serde::Serialize + ?Sized,
    {
        let event = Event::json(value);
        async move { Ok(self.send(event?).await?) }
    }

    /// Completes the stream: it sends what is buffered, then `final_event` if given, then
    /// ends. Sends after this fail with [`CloseReason::Completed`].
    ///
    /// Returns `true` if this call completed the emitter; `false` if it was already closed,
    /// for any reason (the final event is then dropped). Calling it twice is harmless.
    ///
    /// ```
    /// use sse_core::{Emitter, Event};
    /// let (emitter, events) = Emitter::channel();
    /// assert!(emitter.complete(Some(Event::new("done"))));
    /// assert!(!emitter.complete(None));
    /// # drop(events);
    /// ```
    pub fn complete(&self, final_event: Option<Event>) -> bool {
        if self.is_closed() {
            return false;
        }
        let final_frame = final_event.as_ref().map(Event::encode);
        self.inner.shared.close(CloseReason::Completed, final_frame)
    }

    /// Resolves with the reason once the emitter is closed; at once if it is already.
    ///
    /// The future holds no emitter (it does not keep the stream open) and any number of
    /// them may wait at once, from any clones.
    ///
    /// ```
    /// use sse_core::{CloseReason, Emitter};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (emitter, events) = Emitter::channel();
    /// let closed = emitter.closed();
    /// drop(events);
    /// assert_eq!(closed.await, CloseReason::Disconnected);
    /// # }
    /// ```
    pub fn closed(&self) -> impl Future<Output = CloseReason> + Send + 'static {
        let shared = Arc::clone(&self.inner.shared);
        async move { shared.closed().await }
    }

    /// Whether the emitter is closed (sends fail).
    pub fn is_closed(&self) -> bool {
        self.close_reason().is_some()
    }

    /// Why the emitter is closed; `None` while it is open.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.inner.shared.reason()
    }

    /// The reason, once the channel itself is closed: the stream half sets it before it
    /// closes or drops the channel.
    fn reason_once_closed(&self) -> CloseReason {
        self.close_reason().unwrap_or(CloseReason::Disconnected)
    }
}

impl fmt::Debug for Emitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sender = &self.inner.sender;
        f.debug_struct("Emitter")
            .field("close_reason", &self.close_reason())
            .field("capacity", &sender.max_capacity())
            .field(
                "buffered",
                &sender.max_capacity().saturating_sub(sender.capacity()),
            )
            .finish()
    }
}
