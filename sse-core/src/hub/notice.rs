//! The `missed` notice: what a subscriber is told when events could not be delivered.
//!
//! It has no id (so the client keeps its `Last-Event-ID`), the event name
//! [`MISSED_EVENT`], and JSON data naming why and which topics:
//!
//! ```text
//! event: missed
//! data: {"reason":"expired","topics":["chat"]}
//! ```
//!
//! `reason` is `expired` (the id is older than the history), `unknown` (not an id of this
//! hub run), `lagged` (the subscriber fell behind, under
//! [`LagPolicy::Skip`](super::LagPolicy::Skip)), and with a backend `reset` (the backend
//! lost its data and started a new epoch) or `unavailable` (the backend could not be read
//! for history older than the local one).

use crate::json::push_json_string;
use crate::{Event, Frame, Text};

/// The event name of the notice sent when events could not be replayed.
pub const MISSED_EVENT: &str = "missed";

/// The event name of the final event a server sends every subscriber when it shuts down
/// ([`Hub::shutdown`](super::Hub::shutdown) sends whatever event it is given; the demos and
/// the conformance suite name it `shutdown`, and so should an app, so that clients can tell
/// a server going away from a network failure).
pub const SHUTDOWN_EVENT: &str = "shutdown";

/// The event names the hub's own notices use: [`MISSED_EVENT`] and [`SHUTDOWN_EVENT`].
///
/// Subscribers cannot tell a published event from a notice of the same name, so the
/// ready-made publish endpoint (`sse-endpoints`) refuses them with
/// 400 `reserved_event`. [`Hub::publish`](super::Hub::publish) itself accepts them: the
/// application's own code may send them deliberately.
///
/// ```
/// use sse_core::hub::RESERVED_EVENTS;
/// assert!(RESERVED_EVENTS.contains(&"missed"));
/// assert!(!RESERVED_EVENTS.contains(&"message"));
/// ```
pub const RESERVED_EVENTS: &[&str] = &[MISSED_EVENT, SHUTDOWN_EVENT];

/// Why a subscriber missed events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MissedReason {
    /// The resume id is older than the history.
    Expired,
    /// The resume id is not one of this hub run's.
    Unknown,
    /// The subscriber fell behind the history.
    Lagged,
    /// The backend lost its data and started a new epoch.
    Reset,
    /// The backend could not be read for the history before the local one.
    Unavailable,
}

impl MissedReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MissedReason::Expired => "expired",
            MissedReason::Unknown => "unknown",
            MissedReason::Lagged => "lagged",
            MissedReason::Reset => "reset",
            MissedReason::Unavailable => "unavailable",
        }
    }
}

/// The info line for a `missed` notice: why, and which topics.
pub(crate) fn log_missed<'a>(reason: MissedReason, topics: impl IntoIterator<Item = &'a str>) {
    if crate::trace::enabled!(INFO) {
        let topics: Vec<&str> = topics.into_iter().collect();
        crate::trace::info!(
            reason = reason.as_str(),
            ?topics,
            "sending a subscriber a missed notice"
        );
    }
}

/// The encoded notice for `topics`.
pub(crate) fn missed_frame<'a>(
    reason: MissedReason,
    topics: impl IntoIterator<Item = &'a str>,
) -> Frame {
    let mut data = String::from("{\"reason\":");
    push_json_string(&mut data, reason.as_str());
    data.push_str(",\"topics\":[");
    for (index, topic) in topics.into_iter().enumerate() {
        if index > 0 {
            data.push(',');
        }
        push_json_string(&mut data, topic);
    }
    data.push_str("]}");
    let event = Event {
        event: Some(Text::from_static(MISSED_EVENT)),
        ..Event::new(data)
    };
    event.encode()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_bytes() {
        let frame = missed_frame(MissedReason::Expired, ["a", "b/c"]);
        assert_eq!(
            frame.as_bytes(),
            b"event: missed\ndata: {\"reason\":\"expired\",\"topics\":[\"a\",\"b/c\"]}\n\n"
        );
    }
}
