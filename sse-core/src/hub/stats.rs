//! [`HubStats`]: what a hub holds and has done, and the counters behind it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Counts of what a hub holds and has done, from [`Hub::stats`](super::Hub::stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct HubStats {
    /// Topics that exist.
    pub topics: usize,
    /// Live subscriptions.
    pub subscribers: usize,
    /// Events published through this hub (with a backend: by this instance).
    pub published: u64,
    /// Events handed to subscribers (one per subscriber per event).
    pub delivered: u64,
    /// Times a subscriber fell behind the history.
    pub lagged: u64,
    /// Subscriptions dropped (the client went away or the stream ended).
    pub dropped: u64,
    /// Events held in all topics' histories.
    pub buffered_events: usize,
    /// Bytes of encoded events held in all topics' histories.
    pub buffered_bytes: usize,
}

/// What one topic holds, from [`Hub::topic_stats`](super::Hub::topic_stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TopicStats {
    /// Live subscriptions to it.
    pub subscribers: usize,
    /// Events held in its history.
    pub buffered_events: usize,
    /// Bytes of encoded events held in its history.
    pub buffered_bytes: usize,
}

/// The hub's running counts; the rest of [`HubStats`] is read from the topics.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) subscribers: AtomicUsize,
    pub(crate) published: AtomicU64,
    pub(crate) delivered: AtomicU64,
    pub(crate) lagged: AtomicU64,
    pub(crate) dropped: AtomicU64,
}

impl Counters {
    /// The counts, with what the caller read from the topics.
    pub(crate) fn snapshot(
        &self,
        topics: usize,
        buffered_events: usize,
        buffered_bytes: usize,
    ) -> HubStats {
        HubStats {
            topics,
            subscribers: self.subscribers.load(Ordering::Relaxed),
            published: self.published.load(Ordering::Relaxed),
            delivered: self.delivered.load(Ordering::Relaxed),
            lagged: self.lagged.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            buffered_events,
            buffered_bytes,
        }
    }
}
