//! The hub's metrics, through the [`metrics`](https://docs.rs/metrics) facade (feature
//! `metrics`; without it nothing of this is compiled in).
//!
//! **Install a recorder before building the hub.** Each hub registers its handles once,
//! when it is built, with the recorder installed then (the global one, or a
//! `metrics::with_local_recorder` around `build`); a hub built before any recorder keeps
//! no-op handles. After that, counting is an atomic add on a handle, never a registry
//! lookup: nothing per event depends on how many metrics or labels there are.
//!
//! ```
//! # #[cfg(feature = "metrics")] {
//! // Once per process, before the hub is built; any `metrics` recorder will do, such as
//! // `metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()`.
//! let hub = sse_core::Hub::builder().metrics_name("chat").build();
//! # drop(hub);
//! # }
//! ```
//!
//! | name | kind | what it counts |
//! |---|---|---|
//! | `sse_subscribers` | gauge | live subscriptions (as [`HubStats::subscribers`](super::HubStats)) |
//! | `sse_topics` | gauge | topics the hub holds |
//! | `sse_buffered_bytes` | gauge | bytes of encoded events held in all topics' histories |
//! | `sse_published_total` | counter | events published (with a backend: by this instance) |
//! | `sse_publish_duration_seconds` | histogram | time to publish one event; with a backend (`sse-redis`), the round trip to it |
//! | `sse_publish_errors_total` | counter | publishes refused, by `reason`: `invalid`, `too_large`, `too_many_topics`, `closed`, `backend` |
//! | `sse_delivered_total` | counter | events handed to subscribers, one per subscriber per event |
//! | `sse_replayed_total` | counter | of those, events sent on resume (published before the subscription began) |
//! | `sse_lagged_total` | counter | times a subscriber fell behind the history |
//! | `sse_missed_total` | counter | `missed` notices sent, by `reason`: `expired`, `unknown`, `lagged`, `reset`, `unavailable` |
//! | `sse_subscribe_rejected_total` | counter | subscriptions refused, by `reason`: `invalid`, `too_many_topics`, `too_many_subscribers`, `topic_full`, `closed`, `history_busy` |
//! | `sse_disconnects_total` | counter | subscriptions ended and dropped, by `reason`: `client` (the client went away), `lagged`, `shutdown`, `disconnected` ([`Hub::disconnect_all`](super::Hub::disconnect_all) or a [`DisconnectHandle`](super::DisconnectHandle)) |
//!
//! **Labels.** None per topic: topic names are unbounded, and a label per topic would make
//! as many series. Only the fixed `reason`s above, and `hub` on every metric when
//! [`HubBuilder::metrics_name`](super::HubBuilder::metrics_name) sets one (set it when a
//! process has several hubs: without it their series add up).
//!
//! **How counts relate to [`Hub::stats`](super::Hub::stats).** Both are counted at the same
//! places. `sse_delivered_total` and `sse_replayed_total` are added per batch: when a
//! subscriber has written everything ready and waits for more, ends, or is dropped (the
//! batch an event stream already writes in one go), so they trail
//! [`HubStats::delivered`](super::HubStats::delivered), which counts each event, by at most
//! what a subscriber is writing at that moment.

use super::HubError;
use super::builder::HubConfig;
use super::notice::MissedReason;

/// Why a subscription ended, for `sse_disconnects_total` and the log line of its leaving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndReason {
    /// Dropped before it ended: the client went away.
    Client,
    /// Fell behind the history under [`LagPolicy::Close`](super::LagPolicy::Close).
    Lagged,
    /// The hub shut down.
    Shutdown,
    /// [`Hub::disconnect_all`](super::Hub::disconnect_all) or its `DisconnectHandle`.
    Disconnected,
}

impl EndReason {
    /// The reason's name, as logs and metrics labels write it.
    #[cfg_attr(not(any(feature = "tracing", feature = "metrics")), allow(dead_code))]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EndReason::Client => "client",
            EndReason::Lagged => "lagged",
            EndReason::Shutdown => "shutdown",
            EndReason::Disconnected => "disconnected",
        }
    }
}

/// Why a publish or a subscription was refused: the `reason` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    Invalid,
    TooLarge,
    TooManyTopics,
    TooManySubscribers,
    TopicFull,
    Closed,
    Backend,
    HistoryBusy,
}

impl Refusal {
    pub(crate) fn of(error: &HubError) -> Refusal {
        match error {
            HubError::EventTooLarge { .. } => Refusal::TooLarge,
            HubError::TooManyTopics { .. } => Refusal::TooManyTopics,
            HubError::TooManySubscribers { .. } => Refusal::TooManySubscribers,
            HubError::TopicFull { .. } => Refusal::TopicFull,
            HubError::Closed => Refusal::Closed,
            HubError::HistoryBusy { .. } => Refusal::HistoryBusy,
            HubError::Backend { .. } | HubError::NoRuntime => Refusal::Backend,
            HubError::InvalidTopic { .. }
            | HubError::NoTopics
            | HubError::TooManyTopicsInSubscription { .. }
            | HubError::TopicInUse { .. }
            | HubError::IdempotencyKeyReused => Refusal::Invalid,
        }
    }

    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn as_str(self) -> &'static str {
        match self {
            Refusal::Invalid => "invalid",
            Refusal::TooLarge => "too_large",
            Refusal::TooManyTopics => "too_many_topics",
            Refusal::TooManySubscribers => "too_many_subscribers",
            Refusal::TopicFull => "topic_full",
            Refusal::Closed => "closed",
            Refusal::Backend => "backend",
            Refusal::HistoryBusy => "history_busy",
        }
    }
}

pub(crate) use handles::{Deliveries, HubMetrics, PublishTimer, StateGauges};

#[cfg(feature = "metrics")]
mod handles {
    use std::time::Instant;

    use metrics::{Counter, Gauge, Histogram, Label, Unit};

    use super::{EndReason, HubConfig, MissedReason, Refusal};

    const MISSED: [MissedReason; 5] = [
        MissedReason::Expired,
        MissedReason::Unknown,
        MissedReason::Lagged,
        MissedReason::Reset,
        MissedReason::Unavailable,
    ];
    const ENDS: [EndReason; 4] = [
        EndReason::Client,
        EndReason::Lagged,
        EndReason::Shutdown,
        EndReason::Disconnected,
    ];
    const PUBLISH_REFUSALS: [Refusal; 5] = [
        Refusal::Invalid,
        Refusal::TooLarge,
        Refusal::TooManyTopics,
        Refusal::Closed,
        Refusal::Backend,
    ];
    const SUBSCRIBE_REFUSALS: [Refusal; 6] = [
        Refusal::Invalid,
        Refusal::TooManyTopics,
        Refusal::TooManySubscribers,
        Refusal::TopicFull,
        Refusal::Closed,
        Refusal::HistoryBusy,
    ];

    /// The hub's handles, registered once when it is built.
    pub(crate) struct HubMetrics {
        subscribers: Gauge,
        published: Counter,
        publish_seconds: Histogram,
        publish_errors: Vec<(Refusal, Counter)>,
        delivered: Counter,
        replayed: Counter,
        lagged: Counter,
        missed: Vec<(MissedReason, Counter)>,
        subscribe_rejected: Vec<(Refusal, Counter)>,
        disconnects: Vec<(EndReason, Counter)>,
    }

    /// The gauges of what the hub's state holds, kept with it.
    pub(crate) struct StateGauges {
        topics: Gauge,
        buffered_bytes: Gauge,
    }

    impl HubMetrics {
        /// Registers every handle with the recorder installed now, labelled with the hub's
        /// name if it has one.
        pub(crate) fn register(config: &HubConfig) -> (HubMetrics, StateGauges) {
            describe();
            let base: Vec<Label> = config
                .metrics_name
                .iter()
                .map(|name| Label::new("hub", name.clone()))
                .collect();
            let with_reason = |reason: &'static str| {
                let mut labels = base.clone();
                labels.push(Label::new("reason", reason));
                labels
            };
            let by_reason = |name: &'static str, reasons: &[Refusal]| {
                reasons
                    .iter()
                    .map(|&reason| {
                        (
                            reason,
                            metrics::counter!(name, with_reason(reason.as_str())),
                        )
                    })
                    .collect()
            };
            let metrics = HubMetrics {
                subscribers: metrics::gauge!("sse_subscribers", base.clone()),
                published: metrics::counter!("sse_published_total", base.clone()),
                publish_seconds: metrics::histogram!("sse_publish_duration_seconds", base.clone()),
                publish_errors: by_reason("sse_publish_errors_total", &PUBLISH_REFUSALS),
                delivered: metrics::counter!("sse_delivered_total", base.clone()),
                replayed: metrics::counter!("sse_replayed_total", base.clone()),
                lagged: metrics::counter!("sse_lagged_total", base.clone()),
                missed: MISSED
                    .iter()
                    .map(|&reason| {
                        let labels = with_reason(reason.as_str());
                        (reason, metrics::counter!("sse_missed_total", labels))
                    })
                    .collect(),
                subscribe_rejected: by_reason("sse_subscribe_rejected_total", &SUBSCRIBE_REFUSALS),
                disconnects: ENDS
                    .iter()
                    .map(|&reason| {
                        let labels = with_reason(reason.as_str());
                        (reason, metrics::counter!("sse_disconnects_total", labels))
                    })
                    .collect(),
            };
            let gauges = StateGauges {
                topics: metrics::gauge!("sse_topics", base.clone()),
                buffered_bytes: metrics::gauge!("sse_buffered_bytes", base),
            };
            (metrics, gauges)
        }

        pub(crate) fn subscribed(&self) {
            self.subscribers.increment(1.0);
        }

        pub(crate) fn left(&self, reason: EndReason) {
            self.subscribers.decrement(1.0);
            find(&self.disconnects, reason).increment(1);
        }

        pub(crate) fn published(&self, timer: PublishTimer) {
            self.published.increment(1);
            self.publish_seconds.record(timer.0.elapsed());
        }

        pub(crate) fn publish_failed(&self, reason: Refusal) {
            find(&self.publish_errors, reason).increment(1);
        }

        pub(crate) fn subscribe_rejected(&self, reason: Refusal) {
            find(&self.subscribe_rejected, reason).increment(1);
        }

        pub(crate) fn lagged(&self) {
            self.lagged.increment(1);
        }

        pub(crate) fn missed(&self, reason: MissedReason) {
            find(&self.missed, reason).increment(1);
        }
    }

    /// The handle for `key`; the first (`invalid`) for a reason the list does not name.
    fn find<K: PartialEq>(handles: &[(K, Counter)], key: K) -> &Counter {
        let (_, counter) = handles
            .iter()
            .find(|(k, _)| *k == key)
            .unwrap_or(&handles[0]);
        counter
    }

    impl StateGauges {
        pub(crate) fn topic_added(&self) {
            self.topics.increment(1.0);
        }

        pub(crate) fn topics_removed(&self, count: usize) {
            self.topics.decrement(count as f64);
        }

        pub(crate) fn buffered(&self, before: usize, after: usize) {
            if after >= before {
                self.buffered_bytes.increment((after - before) as f64);
            } else {
                self.buffered_bytes.decrement((before - after) as f64);
            }
        }
    }

    /// When a publish began.
    pub(crate) struct PublishTimer(Instant);

    impl PublishTimer {
        pub(crate) fn start() -> PublishTimer {
            PublishTimer(Instant::now())
        }
    }

    /// A subscription's deliveries not yet added to the hub's counters.
    #[derive(Debug, Default)]
    pub(crate) struct Deliveries {
        delivered: u64,
        replayed: u64,
    }

    impl Deliveries {
        pub(crate) fn new() -> Deliveries {
            Deliveries::default()
        }

        #[inline]
        pub(crate) fn add(&mut self, replayed: bool) {
            self.delivered += 1;
            self.replayed += u64::from(replayed);
        }

        pub(crate) fn flush(&mut self, metrics: &HubMetrics) {
            if self.delivered > 0 {
                metrics
                    .delivered
                    .increment(std::mem::take(&mut self.delivered));
            }
            if self.replayed > 0 {
                metrics
                    .replayed
                    .increment(std::mem::take(&mut self.replayed));
            }
        }
    }

    /// Units and help texts, for exporters that show them.
    fn describe() {
        use metrics::{describe_counter, describe_gauge, describe_histogram};
        describe_gauge!("sse_subscribers", Unit::Count, "Live SSE subscriptions.");
        describe_gauge!("sse_topics", Unit::Count, "Topics the hub holds.");
        describe_gauge!(
            "sse_buffered_bytes",
            Unit::Bytes,
            "Bytes of encoded events held in all topics' histories."
        );
        describe_counter!("sse_published_total", Unit::Count, "Events published.");
        describe_histogram!(
            "sse_publish_duration_seconds",
            Unit::Seconds,
            "Time to publish one event (with a backend, the round trip to it)."
        );
        describe_counter!(
            "sse_publish_errors_total",
            Unit::Count,
            "Publishes refused, by reason."
        );
        describe_counter!(
            "sse_delivered_total",
            Unit::Count,
            "Events handed to subscribers, one per subscriber per event."
        );
        describe_counter!(
            "sse_replayed_total",
            Unit::Count,
            "Events sent to subscribers on resume."
        );
        describe_counter!(
            "sse_lagged_total",
            Unit::Count,
            "Times a subscriber fell behind the history."
        );
        describe_counter!(
            "sse_missed_total",
            Unit::Count,
            "Missed notices sent to subscribers, by reason."
        );
        describe_counter!(
            "sse_subscribe_rejected_total",
            Unit::Count,
            "Subscriptions refused, by reason."
        );
        describe_counter!(
            "sse_disconnects_total",
            Unit::Count,
            "Subscriptions ended and dropped, by reason."
        );
    }
}

/// Without the `metrics` feature: the same calls, empty, so nothing is compiled in.
#[cfg(not(feature = "metrics"))]
mod handles {
    use super::{EndReason, HubConfig, MissedReason, Refusal};

    pub(crate) struct HubMetrics;
    pub(crate) struct StateGauges;
    pub(crate) struct PublishTimer;
    #[derive(Debug)]
    pub(crate) struct Deliveries;

    impl HubMetrics {
        #[inline(always)]
        pub(crate) fn register(_: &HubConfig) -> (HubMetrics, StateGauges) {
            (HubMetrics, StateGauges)
        }
        #[inline(always)]
        pub(crate) fn subscribed(&self) {}
        #[inline(always)]
        pub(crate) fn left(&self, _: EndReason) {}
        #[inline(always)]
        pub(crate) fn published(&self, _: PublishTimer) {}
        #[inline(always)]
        pub(crate) fn publish_failed(&self, _: Refusal) {}
        #[inline(always)]
        pub(crate) fn subscribe_rejected(&self, _: Refusal) {}
        #[inline(always)]
        pub(crate) fn lagged(&self) {}
        #[inline(always)]
        pub(crate) fn missed(&self, _: MissedReason) {}
    }

    impl StateGauges {
        #[inline(always)]
        pub(crate) fn topic_added(&self) {}
        #[inline(always)]
        pub(crate) fn topics_removed(&self, _: usize) {}
        #[inline(always)]
        pub(crate) fn buffered(&self, _: usize, _: usize) {}
    }

    impl PublishTimer {
        #[inline(always)]
        pub(crate) fn start() -> PublishTimer {
            PublishTimer
        }
    }

    impl Deliveries {
        #[inline(always)]
        pub(crate) fn new() -> Deliveries {
            Deliveries
        }
        #[inline(always)]
        pub(crate) fn add(&mut self, _: bool) {}
        #[inline(always)]
        pub(crate) fn flush(&mut self, _: &HubMetrics) {}
    }
}
