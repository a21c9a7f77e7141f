//! [`HubBuilder`]: a hub's limits, history and delivery settings, and [`LagPolicy`].

use std::time::Duration;

use super::Hub;

/// What happens to a subscriber whose next event has already left the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LagPolicy {
    /// End its stream. The client reconnects with `Last-Event-ID` and is told, with a
    /// `missed` event, what it lost. The default.
    #[default]
    Close,
    /// Send it a `missed` event (reason `lagged`) and go on from the oldest event kept.
    Skip,
}

/// Limits and history settings; see [`Hub::builder`].
#[derive(Debug, Clone)]
pub(crate) struct HubConfig {
    pub(crate) history: usize,
    pub(crate) history_bytes: usize,
    pub(crate) max_event_size: usize,
    pub(crate) max_topics: usize,
    pub(crate) max_subscribers: usize,
    pub(crate) max_subscribers_per_topic: usize,
    pub(crate) max_topics_per_subscription: usize,
    pub(crate) lag_policy: LagPolicy,
    pub(crate) coalesce: Duration,
    pub(crate) history_budget: usize,
    pub(crate) topic_idle: Duration,
    pub(crate) max_history_reads: usize,
    /// The `hub` label on the hub's metrics.
    #[cfg(feature = "metrics")]
    pub(crate) metrics_name: Option<String>,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            history: 1024,
            history_bytes: 1 << 20,
            history_budget: 256 << 20,
            topic_idle: Duration::from_secs(3600),
            max_history_reads: 64,
            max_event_size: 64 << 10,
            max_topics: 10_000,
            // Set by `HubBuilder::finish`: the room in the open-files limit is read there,
            // once per hub built, not whenever a default configuration is made.
            max_subscribers: 0,
            max_subscribers_per_topic: 100_000,
            max_topics_per_subscription: 16,
            lag_policy: LagPolicy::Close,
            coalesce: Duration::ZERO,
            #[cfg(feature = "metrics")]
            metrics_name: None,
        }
    }
}

/// Configures a [`Hub`]. Values of zero are raised to one.
///
/// ```
/// use sse_core::{Hub, LagPolicy};
/// let hub = Hub::builder()
///     .history(256)
///     .max_subscribers(10_000)
///     .lag_policy(LagPolicy::Skip)
///     .build();
/// # drop(hub);
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct HubBuilder {
    config: HubConfig,
    /// What limits the subscribers: a number, or the descriptors each holds (the room in the
    /// open-files limit, computed when the hub is built).
    subscribers: SubscriberLimit,
}

/// The subscriber limit, as set on a [`HubBuilder`].
#[derive(Debug, Clone, Copy)]
enum SubscriberLimit {
    /// At most this many.
    Fixed(usize),
    /// What fits in the open-files limit when each holds this many descriptors.
    Room(usize),
}

impl Default for SubscriberLimit {
    fn default() -> Self {
        SubscriberLimit::Room(1)
    }
}

impl HubBuilder {
    /// Events kept per topic for replay (default 1024).
    pub fn history(mut self, events: usize) -> Self {
        self.config.history = events.max(1);
        self
    }

    /// Bytes kept per topic for replay (default 1 MiB); the newest event is always kept.
    pub fn history_bytes(mut self, bytes: usize) -> Self {
        self.config.history_bytes = bytes.max(1);
        self
    }

    /// The largest encoded event accepted (default 64 KiB).
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.config.max_event_size = bytes.max(1);
        self
    }

    /// The most topics the hub holds (default 10,000), so the hub's memory for histories is
    /// at most this many times [`history_bytes`](Self::history_bytes) (and within
    /// [`history_budget`](Self::history_budget)). Topics that nobody subscribes to leave
    /// after [`topic_idle`](Self::topic_idle) without an event, or by
    /// [`Hub::remove_topic`](super::Hub::remove_topic).
    pub fn max_topics(mut self, topics: usize) -> Self {
        self.config.max_topics = topics.max(1);
        self
    }

    /// The most live subscriptions. The default leaves room in the process's limit on open
    /// files (each subscriber is a connection, a descriptor): the soft limit minus 10% and
    /// at least 64 for everything else, read from `/proc/self/limits` on Linux; 100,000
    /// where that cannot be read. Past it, subscribing fails at once with
    /// [`HubError::TooManySubscribers`](super::HubError::TooManySubscribers) (503 with
    /// `Retry-After`), instead of connections hanging once the process cannot accept more.
    pub fn max_subscribers(mut self, subscribers: usize) -> Self {
        self.subscribers = SubscriberLimit::Fixed(subscribers.max(1));
        self
    }

    /// Sets the subscriber limit to what fits in the open-files limit when each subscriber
    /// holds `descriptors` of them ([`subscriber_room`]; the default counts 1, its
    /// connection). A server that relays each client to an upstream in the same process (a
    /// front for rocket 0.5, say) holds two or three; without this, it runs out of
    /// descriptors before the hub's limit, and new clients hang instead of getting 503. The
    /// later of this and `max_subscribers` applies.
    ///
    /// ```
    /// # use sse_core::Hub;
    /// let hub = Hub::builder().descriptors_per_subscriber(3).build();
    /// # drop(hub);
    /// ```
    pub fn descriptors_per_subscriber(mut self, descriptors: usize) -> Self {
        self.subscribers = SubscriberLimit::Room(descriptors);
        self
    }

    /// The most live subscriptions to any one topic (default 100,000).
    pub fn max_subscribers_per_topic(mut self, subscribers: usize) -> Self {
        self.config.max_subscribers_per_topic = subscribers.max(1);
        self
    }

    /// The most topics one subscription may name (default 16).
    pub fn max_topics_per_subscription(mut self, topics: usize) -> Self {
        self.config.max_topics_per_subscription = topics.max(1);
        self
    }

    /// Bytes of history the whole hub keeps, over all topics (default 256 MiB). Past it, the
    /// hub first drops topics that nobody subscribes to (their history with them, least
    /// recently published first), then shortens the longest histories; subscribers that
    /// needed what was dropped are told with a `missed` event, never silently. Memory for
    /// histories is then bounded by this, not by topics x [`history_bytes`](Self::history_bytes).
    pub fn history_budget(mut self, bytes: usize) -> Self {
        self.config.history_budget = bytes.max(1);
        self
    }

    /// With a backend (`sse-redis`), the most resumes reading history from it at once
    /// (default 64): those whose `Last-Event-ID` is older than this instance's rings. Each
    /// reads its history in pages of at most [`HISTORY_PAGE`](super::backend::HISTORY_PAGE)
    /// events per topic, the next page once the subscriber has taken the last, so the hub
    /// holds at most about this many pages per topic; a page's bytes count against the
    /// [`history_budget`](Self::history_budget) (a hub over it reads one event at a time,
    /// see [`HubStats::backfill_bytes`](super::HubStats::backfill_bytes)). A resume beyond
    /// the limit is refused with
    /// [`HubError::HistoryBusy`](super::HubError::HistoryBusy) (503 with `Retry-After`).
    pub fn max_history_reads(mut self, resumes: usize) -> Self {
        self.config.max_history_reads = resumes.max(1);
        self
    }

    /// How long a topic nobody subscribes to and nobody publishes to is kept, with its
    /// history, for clients that come back to resume (default an hour). A client resuming
    /// later is told with a `missed` event (reason `expired`).
    ///
    /// Enforced on a timer, every half of `idle` (at least every 250 ms, at most every
    /// minute), by a task spawned on the tokio runtime of the hub's first publish or
    /// subscription; the task ends when the hub shuts down or is dropped. (A hub never used
    /// inside a tokio runtime looks for idle topics only when it creates a topic.)
    pub fn topic_idle(mut self, idle: Duration) -> Self {
        self.config.topic_idle = idle;
        self
    }

    /// Wakes a topic's subscribers at most once per `window` (default: zero, a wake per
    /// publish).
    ///
    /// The first event after a quiet `window` still wakes subscribers at once; events that
    /// follow it more closely wait for the window to end, and then travel together, in one
    /// write per subscriber. Under a high publish rate this trades at most `window` of
    /// latency for fewer system calls and a lower tail (BENCHMARKS.md has the figures).
    /// Outside a tokio runtime, or with a zero window, every publish wakes subscribers at
    /// once.
    ///
    /// ```
    /// use std::time::Duration;
    /// let hub = sse_core::Hub::builder().coalesce(Duration::from_millis(10)).build();
    /// ```
    pub fn coalesce(mut self, window: Duration) -> Self {
        self.config.coalesce = window;
        self
    }

    /// What to do with a subscriber that falls behind the history (default
    /// [`LagPolicy::Close`]).
    pub fn lag_policy(mut self, policy: LagPolicy) -> Self {
        self.config.lag_policy = policy;
        self
    }

    /// Labels every metric of this hub with `hub="<name>"` (feature `metrics`; see
    /// [`hub::metrics`](super::metrics)). Without it the hub's metrics carry no label, and
    /// those of several hubs in one process add up.
    ///
    /// ```
    /// let hub = sse_core::Hub::builder().metrics_name("notifications").build();
    /// # drop(hub);
    /// ```
    #[cfg(feature = "metrics")]
    #[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
    pub fn metrics_name(mut self, name: impl Into<String>) -> Self {
        self.config.metrics_name = Some(name.into());
        self
    }

    /// Builds the hub, with a fresh epoch.
    pub fn build(self) -> Hub {
        Hub::with_config(self.finish())
    }

    /// Builds a hub on a [`Backend`](super::backend::Backend), for backend crates such as
    /// `sse-redis`: `epoch` and `head` (the newest sequence number) are the backend's when
    /// this instance starts reading, and `backend` is made with the
    /// [`Feed`](super::backend::Feed) that it hands every event it reads to.
    pub fn build_with_backend(
        self,
        epoch: u32,
        head: u64,
        backend: impl FnOnce(super::backend::Feed) -> std::sync::Arc<dyn super::backend::Backend>,
    ) -> Hub {
        Hub::with_backend(self.finish(), epoch, head, backend)
    }

    /// The configuration, with the subscriber limit worked out.
    fn finish(mut self) -> HubConfig {
        self.config.max_subscribers = match self.subscribers {
            SubscriberLimit::Fixed(max) => max,
            SubscriberLimit::Room(descriptors) => subscriber_room(descriptors),
        };
        self.config
    }
}

/// How many clients holding `descriptors` open files each fit in this process's open-files
/// limit, leaving 10% of it (and at least 64) for everything else: the soft limit read from
/// `/proc/self/limits` on Linux; 100,000 clients where that cannot be read. The hub's
/// default subscriber limit is `subscriber_room(1)`.
///
/// ```
/// let room = sse_core::hub::subscriber_room(1);
/// assert!(room >= 1);
/// assert!(sse_core::hub::subscriber_room(3) <= room);
/// ```
pub fn subscriber_room(descriptors: usize) -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| open_files_soft_limit(&limits))
        .map_or(100_000, |open_files| {
            (subscribers_within(open_files) / descriptors.max(1)).max(1)
        })
}

/// The soft "Max open files" limit in `/proc/self/limits` (`None` for "unlimited").
fn open_files_soft_limit(limits: &str) -> Option<usize> {
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Subscribers that fit in `open_files` descriptors, leaving 10% and at least 64.
fn subscribers_within(open_files: usize) -> usize {
    let reserve = (open_files / 10).max(64);
    open_files.saturating_sub(reserve).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subscriber_limit_leaves_room_in_the_open_files_limit() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max cpu time              unlimited            unlimited            seconds   \n\
                      Max open files            20000                20000                files     \n";
        assert_eq!(open_files_soft_limit(limits), Some(20_000));
        assert_eq!(subscribers_within(20_000), 18_000);
        assert_eq!(subscribers_within(1024), 922);
        assert_eq!(subscribers_within(256), 192);
        assert_eq!(subscribers_within(10), 1);
        assert_eq!(
            open_files_soft_limit("Max open files unlimited unlimited files"),
            None
        );
        // On this machine, whatever its limit, the default is below it.
        if let Some(open_files) = std::fs::read_to_string("/proc/self/limits")
            .ok()
            .and_then(|limits| open_files_soft_limit(&limits))
        {
            assert!(subscriber_room(1) < open_files);
        }
    }
}
