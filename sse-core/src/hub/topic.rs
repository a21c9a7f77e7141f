//! [`TopicState`]: one topic's ring and the subscribers waiting on it.

use std::sync::{Mutex, RwLock};
use std::task::Waker;

use slab::Slab;

use super::TopicName;
use super::locks::{lock, read, write};
use super::pacing::Pacing;
use super::ring::Ring;
use crate::Frame;

pub(crate) struct TopicState {
    pub(crate) name: TopicName,
    pub(crate) ring: RwLock<Ring>,
    /// One slot per subscriber: the waker to call when an event arrives.
    pub(crate) waiters: Mutex<Slab<Option<Waker>>>,
    /// When the subscribers were last woken (used by [`notify`](Self::notify)).
    pub(crate) pacing: Mutex<Pacing>,
    /// When an event was last published to it (or it was made): how idle it is. tokio's
    /// clock (the system's outside a runtime), so that a test can pause it.
    pub(crate) last_publish: Mutex<tokio::time::Instant>,
}

impl TopicState {
    /// A topic whose ring treats every id up to `evicted_through` as gone.
    pub(crate) fn new(name: TopicName, evicted_through: u64) -> Self {
        TopicState {
            name,
            ring: RwLock::new(Ring {
                evicted_through,
                ..Ring::default()
            }),
            waiters: Mutex::new(Slab::new()),
            pacing: Mutex::new(Pacing::default()),
            last_publish: Mutex::new(tokio::time::Instant::now()),
        }
    }

    /// Appends an event to the ring (see [`Ring::push`]); returns the bytes held before
    /// and after.
    pub(crate) fn push(
        &self,
        seq: u64,
        frame: Frame,
        max_events: usize,
        max_bytes: usize,
    ) -> (usize, usize) {
        *lock(&self.last_publish) = tokio::time::Instant::now();
        write(&self.ring).push(seq, frame, max_events, max_bytes)
    }

    /// How long since the last publish.
    pub(crate) fn idle_for(&self) -> std::time::Duration {
        lock(&self.last_publish).elapsed()
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

    /// Events and bytes held in the ring.
    pub(crate) fn buffered(&self) -> (usize, usize) {
        let ring = read(&self.ring);
        (ring.entries.len(), ring.bytes)
    }
}
