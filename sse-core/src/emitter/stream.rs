//! The stream half: frames in send order, ending as the emitter's close reason says.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::sync::mpsc;
use tokio::time::{Instant, Sleep};

use super::CloseReason;
use super::state::{Seen, Shared};
use crate::Frame;

/// The stream half of an [`Emitter`](super::Emitter): the events sent, as [`Frame`]s, for
/// [`SseStream::new`](crate::SseStream::new) or an adapter's response type.
///
/// It watches the emitter's maximum lifetime and shutdown future itself (no task is
/// spawned), so it must be polled to notice them; a response body is polled whenever one of
/// them fires. Dropping it closes the emitter with [`CloseReason::Disconnected`]. See the
/// [module docs](super).
#[must_use = "streams do nothing unless polled"]
pub struct EmitterStream {
    /// `None` once the stream has ended or dropped what was buffered.
    frames: Option<mpsc::Receiver<Frame>>,
    shared: Arc<Shared>,
    /// Set once `Completed` is seen: the channel is closed and drains to its end.
    draining: bool,
    final_frame: Option<Frame>,
    deadline: Option<Deadline>,
    shutdown: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

/// The maximum lifetime: an instant, and its timer once the stream is polled in a runtime.
struct Deadline {
    at: Instant,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Deadline {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let sleep = match &mut self.sleep {
            Some(sleep) => sleep,
            None => {
                if tokio::runtime::Handle::try_current().is_err() {
                    // No timer without a runtime: check the clock at every poll instead.
                    return if Instant::now() >= self.at {
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    };
                }
                self.sleep
                    .insert(Box::pin(tokio::time::sleep_until(self.at)))
            }
        };
        sleep.as_mut().poll(cx)
    }
}

impl EmitterStream {
    pub(super) fn new(
        frames: mpsc::Receiver<Frame>,
        shared: Arc<Shared>,
        deadline: Option<Instant>,
        shutdown: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    ) -> Self {
        EmitterStream {
            frames: Some(frames),
            shared,
            draining: false,
            final_frame: None,
            deadline: deadline.map(|at| Deadline { at, sleep: None }),
            shutdown,
        }
    }

    /// Why the emitter closed, once it has.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.shared.reason()
    }

    /// Drops the channel (and what it buffers) and the timers.
    fn end(&mut self) {
        self.frames = None;
        self.shutdown = None;
        self.deadline = None;
    }

    /// Closes the emitter if its maximum lifetime is over or the shutdown future is done.
    fn poll_limits(&mut self, cx: &mut Context<'_>) {
        if let Some(shutdown) = &mut self.shutdown {
            if shutdown.as_mut().poll(cx).is_ready() {
                self.shutdown = None;
                self.shared.close(CloseReason::Shutdown, None);
            }
        }
        if let Some(deadline) = &mut self.deadline {
            if deadline.poll(cx).is_ready() {
                self.deadline = None;
                self.shared.close(CloseReason::TimedOut, None);
            }
        }
    }
}

impl Stream for EmitterStream {
    type Item = Frame;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Frame>> {
        let this = &mut *self;
        loop {
            if this.frames.is_none() {
                return Poll::Ready(this.final_frame.take());
            }
            if !this.draining {
                this.poll_limits(cx);
                match this.shared.seen_by_stream() {
                    Seen::Open => {}
                    Seen::Completed(final_frame) => {
                        // No send succeeds from now on; what is buffered still goes out.
                        this.draining = true;
                        this.final_frame = final_frame;
                        if let Some(frames) = &mut this.frames {
                            frames.close();
                        }
                    }
                    Seen::Ended => {
                        // Dropping the receiver drops what is buffered and wakes blocked
                        // senders, who then fail with the reason.
                        this.end();
                        return Poll::Ready(None);
                    }
                }
            }
            let Some(frames) = &mut this.frames else {
                continue;
            };
            match frames.poll_recv(cx) {
                Poll::Ready(Some(frame)) => return Poll::Ready(Some(frame)),
                Poll::Ready(None) if this.draining => this.end(),
                Poll::Ready(None) => {
                    // Every emitter is gone (the last one's drop completed it already).
                    this.shared.close(CloseReason::Completed, None);
                }
                Poll::Pending if this.draining => return Poll::Pending,
                Poll::Pending => {
                    if this.shared.wait_for_close(cx.waker()) {
                        return Poll::Pending;
                    }
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.frames {
            None => (
                usize::from(self.final_frame.is_some()),
                self.final_frame.as_ref().map(|_| 1),
            ),
            Some(frames) => (frames.len(), None),
        }
    }
}

impl Drop for EmitterStream {
    fn drop(&mut self) {
        // Before the receiver is dropped, so a sender it wakes already sees the reason.
        self.shared.close(CloseReason::Disconnected, None);
    }
}

impl fmt::Debug for EmitterStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmitterStream")
            .field("close_reason", &self.shared.reason())
            .field(
                "buffered",
                &self.frames.as_ref().map_or(0, mpsc::Receiver::len),
            )
            .field(
                "deadline",
                &self.deadline.as_ref().map(|deadline| deadline.at),
            )
            .field("shutdown", &self.shutdown.is_some())
            .finish()
    }
}
