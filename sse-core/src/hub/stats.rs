//! [`HubStats`]: what a hub holds and has done, and the counters behind it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::HubError;
use super::builder::HubConfig;
use super::metrics::{EndReason, HubMetrics, PublishTimer, Refusal};
use super::notice::MissedReason;

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
    /// `missed` notices sent (a resume that could not be exact, a lag under
    /// [`LagPolicy::Skip`](super::LagPolicy::Skip), a backend's reset).
    pub missed: u64,
    /// Events sent on resume: published before the subscription that received them began.
    pub replayed: u64,
    /// Subscriptions dropped (the client went away or the stream ended).
    pub dropped: u64,
    /// Events held in all topics' histories.
    pub buffered_events: usize,
    /// Bytes of encoded events held in all topics' histories.
    pub buffered_bytes: usize,
    /// With a backend: resumes reading history from it now (at most
    /// [`HubBuilder::max_history_reads`](super::HubBuilder::max_history_reads)).
    pub history_reads: usize,
    /// With a backend: bytes of the history pages those resumes hold, fetched and not yet
    /// taken by their subscribers (counted against
    /// [`HubBuilder::history_budget`](super::HubBuilder::history_budget)).
    pub backfill_bytes: usize,
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

/// The hub's running counts; the rest of [`HubStats`] is read from the topics. Each change
/// goes through a method here, which also moves the matching metric (feature `metrics`),
/// so that the two count the same things.
pub(crate) struct Counters {
    pub(crate) subscribers: AtomicUsize,
    published: AtomicU64,
    delivered: AtomicU64,
    lagged: AtomicU64,
    dropped: AtomicU64,
    missed: AtomicU64,
    replayed: AtomicU64,
    /// Resumes reading history from the backend (see `subscription::Backfill`).
    pub(crate) history_reads: AtomicUsize,
    /// Bytes of history pages those resumes hold.
    pub(crate) backfill_bytes: AtomicUsize,
    pub(crate) metrics: HubMetrics,
}

impl Counters {
    /// Zero counts, and the metric handles for `metrics`.
    pub(crate) fn new(metrics: HubMetrics) -> Counters {
        Counters {
            subscribers: AtomicUsize::new(0),
            published: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            lagged: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            missed: AtomicU64::new(0),
            replayed: AtomicU64::new(0),
            history_reads: AtomicUsize::new(0),
            backfill_bytes: AtomicUsize::new(0),
            metrics,
        }
    }

    /// Registers the metric handles for a hub configured by `config`; the state's gauges
    /// come back separately, to live with the state.
    pub(crate) fn register(config: &HubConfig) -> (Counters, super::metrics::StateGauges) {
        let (metrics, gauges) = HubMetrics::register(config);
        (Counters::new(metrics), gauges)
    }

    pub(crate) fn subscribed(&self) {
        self.subscribers.fetch_add(1, Ordering::Relaxed);
        self.metrics.subscribed();
    }

    pub(crate) fn subscribe_rejected(&self, error: &HubError) {
        self.metrics.subscribe_rejected(Refusal::of(error));
    }

    pub(crate) fn left(&self, reason: EndReason) {
        self.subscribers.fetch_sub(1, Ordering::Relaxed);
        self.dropped.fetch_add(1, Ordering::Relaxed);
        self.metrics.left(reason);
    }

    pub(crate) fn published(&self, timer: PublishTimer) {
        self.published.fetch_add(1, Ordering::Relaxed);
        self.metrics.published(timer);
    }

    pub(crate) fn publish_failed(&self, error: &HubError) {
        self.metrics.publish_failed(Refusal::of(error));
    }

    /// One event handed to a subscriber; its metrics are added per batch (see
    /// [`Deliveries`](super::metrics::Deliveries)).
    #[inline]
    pub(crate) fn delivered(&self, replayed: bool) {
        self.delivered.fetch_add(1, Ordering::Relaxed);
        if replayed {
            self.replayed.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn lagged(&self) {
        self.lagged.fetch_add(1, Ordering::Relaxed);
        self.metrics.lagged();
    }

    pub(crate) fn missed(&self, reason: MissedReason) {
        self.missed.fetch_add(1, Ordering::Relaxed);
        self.metrics.missed(reason);
    }

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
            missed: self.missed.load(Ordering::Relaxed),
            replayed: self.replayed.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            buffered_events,
            buffered_bytes,
            history_reads: self.history_reads.load(Ordering::Relaxed),
            backfill_bytes: self.backfill_bytes.load(Ordering::Relaxed),
        }
    }
}
