//! Why a send failed: the emitter is closed (and why), or its buffer is full.

use std::fmt;

use super::CloseReason;
use crate::Event;

/// [`Emitter::send`](super::Emitter::send) failed because the emitter is closed; the event
/// comes back.
///
/// Expected in normal operation (the client left, the job was completed elsewhere, the
/// server shuts down): stop producing, there is nobody to send to.
///
/// ```
/// use sse_core::{CloseReason, Emitter, Event};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (emitter, events) = Emitter::channel();
/// drop(events); // the client went away
/// let error = emitter.send(Event::new("late")).await.unwrap_err();
/// assert_eq!(error.reason(), CloseReason::Disconnected);
/// assert_eq!(error.into_event().data(), "late");
/// # }
/// ```
#[derive(Debug)]
pub struct SendError {
    reason: CloseReason,
    event: Box<Event>,
}

impl SendError {
    pub(super) fn new(reason: CloseReason, event: Event) -> Self {
        SendError {
            reason,
            event: Box::new(event),
        }
    }

    /// Why the emitter is closed.
    pub fn reason(&self) -> CloseReason {
        self.reason
    }

    /// The event that was not sent.
    pub fn event(&self) -> &Event {
        &self.event
    }

    /// The event that was not sent, given back.
    pub fn into_event(self) -> Event {
        *self.event
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "event not sent: {}", self.reason)
    }
}

impl std::error::Error for SendError {}

/// [`Emitter::try_send`](super::Emitter::try_send) did not send; the event comes back.
///
/// ```
/// use sse_core::{Emitter, Event, TrySendError};
///
/// let (emitter, _events) = Emitter::builder().capacity(1).build();
/// emitter.try_send(Event::new("one")).unwrap();
/// match emitter.try_send(Event::new("two")) {
///     Err(TrySendError::Full(event)) => assert_eq!(event.data(), "two"),
///     other => panic!("expected Full, got {other:?}"),
/// }
/// ```
#[derive(Debug)]
pub enum TrySendError {
    /// The buffer holds as many events as its capacity: the client reads slower than the
    /// events come. Try again later, wait with [`send`](super::Emitter::send), or drop it.
    Full(Box<Event>),
    /// The emitter is closed, for the reason given; nothing will be sent any more.
    Closed(CloseReason, Box<Event>),
}

impl TrySendError {
    /// Whether the buffer was full (the emitter is still open).
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// Why the emitter is closed; `None` if it was only full.
    pub fn close_reason(&self) -> Option<CloseReason> {
        match self {
            TrySendError::Full(_) => None,
            TrySendError::Closed(reason, _) => Some(*reason),
        }
    }

    /// The event that was not sent, given back.
    pub fn into_event(self) -> Event {
        match self {
            TrySendError::Full(event) | TrySendError::Closed(_, event) => *event,
        }
    }
}

impl fmt::Display for TrySendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str(
                "event not sent: the emitter's buffer is full (the client reads slower than \
                 events are produced)",
            ),
            TrySendError::Closed(reason, _) => {
                write!(f, "event not sent: {reason}")
            }
        }
    }
}

impl std::error::Error for TrySendError {}

/// [`Emitter::send_json`](super::Emitter::send_json) failed: the value is not JSON, or the
/// emitter is closed.
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
#[derive(Debug)]
#[non_exhaustive]
pub enum SendJsonError {
    /// The value could not be serialized ([`EventError::Json`](crate::EventError::Json));
    /// nothing was sent and the emitter is still open.
    Json(crate::EventError),
    /// The emitter is closed.
    Closed(SendError),
}

#[cfg(feature = "json")]
impl SendJsonError {
    /// Why the emitter is closed; `None` if the value could not be serialized.
    pub fn close_reason(&self) -> Option<CloseReason> {
        match self {
            SendJsonError::Json(_) => None,
            SendJsonError::Closed(error) => Some(error.reason()),
        }
    }
}

#[cfg(feature = "json")]
impl fmt::Display for SendJsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendJsonError::Json(error) => write!(f, "event not sent: {error}"),
            SendJsonError::Closed(error) => fmt::Display::fmt(error, f),
        }
    }
}

#[cfg(feature = "json")]
impl std::error::Error for SendJsonError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SendJsonError::Json(error) => Some(error),
            SendJsonError::Closed(error) => Some(error),
        }
    }
}

#[cfg(feature = "json")]
impl From<SendError> for SendJsonError {
    fn from(error: SendError) -> Self {
        SendJsonError::Closed(error)
    }
}

#[cfg(feature = "json")]
impl From<crate::EventError> for SendJsonError {
    fn from(error: crate::EventError) -> Self {
        SendJsonError::Json(error)
    }
}
