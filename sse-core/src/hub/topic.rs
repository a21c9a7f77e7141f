use std::collections::VecDeque;
use std::sync::{Arc, Mutex, RwLock};
use std::task::Waker;
use std::time::Duration;

use slab::Slab;
use tokio::time::Instant;

use super::{HubError, lock, read, write};
use crate::Frame;

/// Topic names: 1 to 128 bytes of ASCII letters, digits and `_ - . : / @`.
///
/// The set is small on purpose: a topic name travels in query strings, JSON and Redis keys
/// without escaping, and appears in the hub's `missed` event unquoted.
pub struct Topic;

impl Topic {
    /// The longest topic name, in bytes.
    pub const MAX_LEN: usize = 128;

    /// Checks a topic name.
    pub fn validate(name: &str) -> Result<(), HubError> {
        let reason = if name.is_empty() {
            "a topic name cannot be empty"
        } else if name.len() > Self::MAX_LEN {
            "a topic name is at most 128 bytes"
        } else if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.:/@".contains(&b))
        {
            "a topic name may contain only ASCII letters, digits and _ - . : / @"
        } else {
            return Ok(());
        };
        Err(HubError::InvalidTopic {
            topic: name.chars().take(200).collect(),
            reason,
        })
    }
}

/// One entry of a topic's ring: the hub-wide sequence number and the encoded event.
pub(crate) struct Entry {
    pub(crate) seq: u64,
    pub(crate) frame: Frame,
}

/// A topic's history, which is also its fan-out buffer: subscribers are cursors into it.
pub(crate) struct Ring {
    pub(crate) entries: VecDeque<Entry>,
    pub(crate) bytes: usize,
    /// The highest sequence number pushed out of the ring (0 when none).
    pub(crate) evicted_through: u64,
    /// How many entries were ever pushed: `pushed - entries.len()` is the absolute index
    /// of `entries[0]`.
    pub(crate) pushed: u64,
}

impl Ring {
    /// Index of the first entry after `cursor`. `hint` is where the subscriber expects it,
    /// as an absolute index ([`absolute`](Self::absolute)); a right guess, the usual case,
    /// skips the binary search.
    pub(crate) fn position_after(&self, cursor: u64, hint: u64) -> usize {
        let front = self.pushed - self.entries.len() as u64;
        if let Some(index) = hint
            .checked_sub(front)
            .and_then(|index| usize::try_from(index).ok())
        {
            let after_cursor = |i: usize| self.entries.get(i).is_none_or(|e| e.seq > cursor);
            let before = index
                .checked_sub(1)
                .is_none_or(|prev| self.entries.get(prev).is_some_and(|e| e.seq <= cursor));
            if index <= self.entries.len() && before && after_cursor(index) {
                return index;
            }
        }
        self.entries.partition_point(|entry| entry.seq <= cursor)
    }

    /// The absolute index of `entries[index]`.
    pub(crate) fn absolute(&self, index: usize) -> u64 {
        self.pushed - self.entries.len() as u64 + index as u64
    }
}

pub(crate) struct TopicState {
    pub(crate) name: Arc<str>,
    pub(crate) ring: RwLock<Ring>,
    /// One slot per subscriber: the waker to call when an event arrives.
    pub(crate) waiters: Mutex<Slab<Option<Waker>>>,
    /// When the subscribers were last woken, and whether a deferred wake is on its way
    /// (only used with [`HubBuilder::coalesce`](super::HubBuilder::coalesce)).
    pacing: Mutex<Pacing>,
}

struct Pacing {
    last_wake: Option<Instant>,
    scheduled: bool,
}

impl TopicState {
    pub(crate) fn new(name: Arc<str>) -> Self {
        TopicState {
            name,
            ring: RwLock::new(Ring {
                entries: VecDeque::new(),
                bytes: 0,
                evicted_through: 0,
                pushed: 0,
            }),
            waiters: Mutex::new(Slab::new()),
            pacing: Mutex::new(Pacing {
                last_wake: None,
                scheduled: false,
            }),
        }
    }

    /// Appends an event, evicting the oldest while over either bound (one event always stays).
    pub(crate) fn push(&self, seq: u64, frame: Frame, max_events: usize, max_bytes: usize) {
        let mut ring = write(&self.ring);
        ring.bytes += frame.len();
        ring.entries.push_back(Entry { seq, frame });
        ring.pushed += 1;
        while ring.entries.len() > 1 && (ring.entries.len() > max_events || ring.bytes > max_bytes)
        {
            if let Some(old) = ring.entries.pop_front() {
                ring.bytes -= old.frame.len();
                ring.evicted_through = old.seq;
            }
        }
    }

    /// Wakes the subscribers after a publish: at once, or, with a coalescing `window`, at
    /// most once per window (a wake already scheduled will see this event too).
    pub(crate) fn notify(self: &Arc<Self>, window: Duration) {
        if window.is_zero() {
            return self.wake_all();
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return self.wake_all();
        };
        let now = Instant::now();
        let mut pacing = lock(&self.pacing);
        if pacing.scheduled {
            return;
        }
        match pacing.last_wake.and_then(|last| last.checked_add(window)) {
            Some(due) if due > now => {
                pacing.scheduled = true;
                drop(pacing);
                // The wake happens when the task ends or is dropped (its runtime shutting
                // down), so a topic is never left with a wake that does not come.
                let wake = DeferredWake(Arc::clone(self));
                runtime.spawn(async move {
                    tokio::time::sleep_until(due).await;
                    drop(wake);
                });
            }
            _ => {
                pacing.last_wake = Some(now);
                drop(pacing);
                self.wake_all();
            }
        }
    }

    /// Wakes every waiting subscriber; each re-registers when it next finds nothing to read.
    pub(crate) fn wake_all(&self) {
        let wakers: Vec<Waker> = {
            let mut waiters = lock(&self.waiters);
            waiters
                .iter_mut()
                .filter_map(|(_, slot)| slot.take())
                .collect()
        };
        for waker in wakers {
            waker.wake();
        }
    }

    pub(crate) fn subscriber_count(&self) -> usize {
        lock(&self.waiters).len()
    }

    pub(crate) fn buffered(&self) -> (usize, usize) {
        let ring = read(&self.ring);
        (ring.entries.len(), ring.bytes)
    }
}

struct DeferredWake(Arc<TopicState>);

impl Drop for DeferredWake {
    fn drop(&mut self) {
        let mut pacing = lock(&self.0.pacing);
        pacing.scheduled = false;
        pacing.last_wake = Some(Instant::now());
        drop(pacing);
        self.0.wake_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names() {
        for good in ["a", "chat", "user:42/inbox", "a.b-c_d@e", &"x".repeat(128)] {
            assert!(Topic::validate(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "a b",
            "é",
            "a\n",
            "a?b",
            "a&b",
            "a\"b",
            &"x".repeat(129),
        ] {
            assert!(
                matches!(Topic::validate(bad), Err(HubError::InvalidTopic { .. })),
                "{bad:?}"
            );
        }
    }
}
