//! The state both halves share: the close reason, set once, and who to wake when it is.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::Waker;

use tokio::sync::Notify;

use super::CloseReason;
use crate::Frame;

/// Held by every [`Emitter`](super::Emitter) clone and by the stream half.
///
/// The lock orders closing against enqueueing: an emitter puts a frame into the channel
/// while holding it, and only if no reason is set, so once the stream reads `Completed`
/// every successful send is already in the channel, ahead of the final event.
pub(super) struct Shared {
    state: Mutex<State>,
    /// Wakes [`Shared::closed`] waiters, all at once.
    closed: Notify,
}

#[derive(Default)]
struct State {
    reason: Option<CloseReason>,
    /// The final event given to `complete`, until the stream takes it.
    final_frame: Option<Frame>,
    /// The stream half, when it waits for a frame while the emitter is open.
    stream_waker: Option<Waker>,
}

/// What the stream half sees when it checks the state.
pub(super) enum Seen {
    Open,
    /// Completed: drain the channel, then send this final frame, if any.
    Completed(Option<Frame>),
    /// Closed for another reason: drop what is buffered and end now.
    Ended,
}

impl Shared {
    pub(super) fn new() -> Shared {
        Shared {
            state: Mutex::new(State::default()),
            closed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the reason unless one is set already; `true` if this call set it.
    pub(super) fn close(&self, reason: CloseReason, final_frame: Option<Frame>) -> bool {
        let waker = {
            let mut state = self.lock();
            if state.reason.is_some() {
                return false;
            }
            state.reason = Some(reason);
            state.final_frame = final_frame;
            state.stream_waker.take()
        };
        self.closed.notify_waiters();
        if let Some(waker) = waker {
            waker.wake();
        }
        true
    }

    pub(super) fn reason(&self) -> Option<CloseReason> {
        self.lock().reason
    }

    /// Runs `enqueue` under the lock if the emitter is still open; else gives back the reason.
    pub(super) fn if_open(&self, enqueue: impl FnOnce()) -> Result<(), CloseReason> {
        let state = self.lock();
        match state.reason {
            Some(reason) => Err(reason),
            None => {
                enqueue();
                Ok(())
            }
        }
    }

    /// The stream half's view; takes the final frame on the first `Completed`.
    pub(super) fn seen_by_stream(&self) -> Seen {
        let mut state = self.lock();
        match state.reason {
            None => Seen::Open,
            Some(CloseReason::Completed) => Seen::Completed(state.final_frame.take()),
            Some(_) => Seen::Ended,
        }
    }

    /// Registers the stream half's waker, unless the emitter closed meanwhile (`false`: poll
    /// again).
    pub(super) fn wait_for_close(&self, waker: &Waker) -> bool {
        let mut state = self.lock();
        if state.reason.is_some() {
            return false;
        }
        match &mut state.stream_waker {
            Some(known) if known.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
        true
    }

    /// Resolves with the reason once there is one; at once if there is one already.
    pub(super) async fn closed(&self) -> CloseReason {
        loop {
            let mut notified = std::pin::pin!(self.closed.notified());
            // Registered before the check, so a close between the two still wakes us.
            notified.as_mut().enable();
            if let Some(reason) = self.reason() {
                return reason;
            }
            notified.await;
        }
    }
}
