//! The hub: topics, publishing, subscribing, replay after `Last-Event-ID`, shutdown.
//!
//! **What to know first.**
//!
//! - **Each topic keeps a history**: the last [`history`](HubBuilder::history) events
//!   (default 1024), and at most [`history_bytes`](HubBuilder::history_bytes) of them
//!   (default 1 MiB). That history *is* the delivery buffer: a subscriber is only a cursor
//!   into it. An event is encoded once, at publish, and every subscriber is sent the same
//!   bytes.
//! - **Ids are assigned by the hub** ([`EventId`], like `5f3a9c2e-1042`): an epoch drawn when
//!   the hub starts, and a sequence number over all topics. Whatever id an event was built
//!   with is replaced.
//! - **Resuming**: a subscription given a `Last-Event-ID` first receives every event after
//!   it, for every topic it names, exactly once and in publish order, then live events, with
//!   no gap or duplicate between the two. If the id is older than a topic's history, or is
//!   not one of this hub's ids (another process run, another hub), the subscriber first
//!   receives a [`missed`](MISSED_EVENT) event, then everything still in the history, then
//!   live events. Loss is never silent.
//! - **Slow subscribers** cost nothing but their cursor: they never delay anyone else and
//!   never make the hub buffer more. One that falls so far behind that its next event has
//!   left the history is *lagged*; [`LagPolicy::Close`] (the default) ends its stream, so the
//!   client reconnects with `Last-Event-ID`; [`LagPolicy::Skip`] sends it a `missed` event
//!   and moves it to the oldest event still kept.
//! - **Busy topics** can [`coalesce`](HubBuilder::coalesce) wakes: a subscriber is woken at
//!   most once per window and writes everything that arrived in one go (fewer system calls,
//!   a lower tail under load, at the price of up to one window of delay).
//! - **Topics** are created by publishing or subscribing. A topic that nobody subscribes to
//!   any more and that never had an event is removed when its last subscriber leaves, so
//!   subscribing to made-up names cannot fill the hub's topic limit; a topic with a history
//!   stays, for resuming, until [`Hub::remove_topic`]. (With a backend, a topic without
//!   subscribers is always removed: the backend keeps its history.)
//! - **Shutdown** ([`Hub::shutdown`]) ends every subscription at an event boundary, after an
//!   optional final event; publishing or subscribing afterwards is [`HubError::Closed`].
//!
//! ```
//! use sse_core::{Event, Hub};
//! use futures_util::StreamExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let hub = Hub::new();
//! let mut subscription = hub.subscribe(["chat"], None)?;
//!
//! let id = hub.publish("chat", Event::new("hello").event("message")?).await?;
//!
//! let frame = subscription.next().await.unwrap();
//! assert_eq!(frame.as_bytes(), format!("id: {id}\nevent: message\ndata: hello\n\n").as_bytes());
//! # Ok(())
//! # }
//! ```
//!
//! # Logs
//!
//! Through `tracing`, never with event data: at *debug*, each subscription (its topics, and
//! when it resumes, its `Last-Event-ID` and how many events the local history replays; with
//! a backend, how many it fetched from there) and each subscriber that leaves, with why
//! (`client`, `lagged`, `shutdown`, `disconnected`); at *info*, every `missed` notice (reason, topics), every
//! lagged subscriber, [`disconnect_all`](Hub::disconnect_all) and shutdown; at *warn*, a
//! backend that lost its data or cannot be read.
//!
//! # The `missed` notice
//!
//! It has no id (so the client keeps its `Last-Event-ID`), the event name `missed`, and JSON
//! data naming why and which topics:
//!
//! ```text
//! event: missed
//! data: {"reason":"expired","topics":["chat"]}
//! ```
//!
//! `reason` is `expired` (the id is older than the history), `unknown` (not an id of this
//! hub run), or `lagged` (the subscriber fell behind, under [`LagPolicy::Skip`]).
//!
//! # Files
//!
//! `builder` (settings and limits), `topic_name`, `id`, `ring` (a topic's history),
//! `topic` and `pacing` (waking a topic's subscribers), `subscription`, `notice`, `stats`,
//! `metrics` (the same counts through the `metrics` facade, feature `metrics`: names and
//! meanings in its module docs), `periodic` ([`Hub::publish_every`]), `idle` (the timer
//! that expires idle topics), `error`.

pub mod backend;
mod builder;
mod error;
mod extensions;
mod id;
mod idle;
mod locks;
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub mod metrics;
#[cfg(not(feature = "metrics"))]
mod metrics;
mod notice;
mod pacing;
mod periodic;
mod ring;
mod stats;
mod subscription;
mod topic;
mod topic_name;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

pub use builder::{HubBuilder, LagPolicy, subscriber_room};
pub use error::{BackendError, HubError};
pub use id::EventId;
pub use notice::{MISSED_EVENT, RESERVED_EVENTS, SHUTDOWN_EVENT};
pub use stats::{HubStats, TopicStats};
pub use subscription::{DisconnectHandle, Subscription};
pub use topic_name::{IntoTopicName, TopicName};

use crate::encode::MAX_ID_LINE;
use crate::{Event, Frame, LastEventId};
use backend::{Backend, Feed};
use builder::HubConfig;
use extensions::Extensions;
use locks::{lock, read, write};
use notice::{MissedReason, log_missed, missed_frame};
use stats::Counters;
use topic::TopicState;

/// The topics, and the next sequence number: what publishing and subscribing change
/// together.
struct State {
    topics: HashMap<TopicName, Arc<TopicState>>,
    next_seq: u64,
    /// The newest sequence number when a topic was last removed: a topic created later
    /// cannot tell which of the ids before it were its own, so it treats them as evicted.
    removed_through: u64,
    /// With a backend, topics removed while this instance had not read all their events:
    /// the sequence number of each one's last event, through which the backend's events of
    /// that topic are dropped when they arrive (they belong to the removed topic).
    removed_backed: HashMap<TopicName, u64>,
    /// With a backend, a topic created now has none of the events before it locally: they
    /// are the backend's to give.
    backed: bool,
    /// Bytes in all topics' rings, against [`HubBuilder::history_budget`].
    buffered: usize,
    /// When idle topics were last looked for (at most once a second).
    last_sweep: std::time::Instant,
    /// The `sse_topics` and `sse_buffered_bytes` gauges, moved with `topics` and `buffered`.
    gauges: metrics::StateGauges,
}

impl Drop for State {
    fn drop(&mut self) {
        // A hub that goes away takes its share of the gauges with it.
        self.gauges.topics_removed(self.topics.len());
        self.gauges.buffered(self.buffered, 0);
    }
}

impl State {
    /// The topic `name`, created if it does not exist yet and the hub has room.
    fn topic(
        &mut self,
        name: &TopicName,
        max_topics: usize,
        idle: Duration,
    ) -> Result<Arc<TopicState>, HubError> {
        if let Some(topic) = self.topics.get(name) {
            return Ok(topic.clone());
        }
        if self.topics.len() >= max_topics {
            return Err(HubError::TooManyTopics { max: max_topics });
        }
        self.sweep_idle(idle, false);
        let known_from = if self.backed {
            self.next_seq - 1
        } else {
            self.removed_through
        };
        let topic = Arc::new(TopicState::new(name.clone(), known_from));
        self.topics.insert(name.clone(), topic.clone());
        self.gauges.topic_added();
        Ok(topic)
    }

    fn all_topics(&self) -> Vec<Arc<TopicState>> {
        self.topics.values().cloned().collect()
    }

    /// Removes `name` with its history; an id from before it is then answered with
    /// `missed` should the topic come back.
    fn drop_topic(&mut self, name: &TopicName) {
        if let Some(topic) = self.topics.remove(name) {
            self.gauges.topics_removed(1);
            let bytes = read(&topic.ring).bytes;
            self.set_buffered(self.buffered.saturating_sub(bytes));
            if bytes > 0 {
                self.removed_through = self.next_seq - 1;
            }
        }
    }

    /// Drops topics nobody subscribes to that have had no event for `idle`, at most once a
    /// second unless `now` is set.
    fn sweep_idle(&mut self, idle: Duration, now: bool) {
        if !now && self.last_sweep.elapsed() < Duration::from_secs(1) {
            return;
        }
        self.last_sweep = std::time::Instant::now();
        let expired: Vec<TopicName> = self
            .topics
            .values()
            .filter(|topic| topic.subscriber_count() == 0 && topic.idle_for() >= idle)
            .map(|topic| topic.name.clone())
            .collect();
        for name in &expired {
            self.drop_topic(name);
        }
    }

    /// Brings the rings' bytes back under `budget`: idle topics go first, then topics
    /// nobody subscribes to (least recently published first), then the longest rings are
    /// shortened (their lagging subscribers are told, as any lag is).
    fn keep_within(&mut self, budget: usize, idle: Duration) {
        self.sweep_idle(idle, true);
        while self.buffered > budget {
            let unwatched = self
                .topics
                .values()
                .filter(|topic| topic.subscriber_count() == 0 && read(&topic.ring).bytes > 0)
                .max_by_key(|topic| topic.idle_for())
                .map(|topic| topic.name.clone());
            match unwatched {
                Some(name) => self.drop_topic(&name),
                None => break,
            }
        }
        while self.buffered > budget {
            let Some(longest) = self
                .topics
                .values()
                .max_by_key(|topic| read(&topic.ring).bytes)
                .cloned()
            else {
                break;
            };
            let mut ring = write(&longest.ring);
            let target = ring.bytes.saturating_sub(self.buffered - budget);
            let freed = ring.shrink_to(target);
            drop(ring);
            if freed == 0 {
                break; // every ring is down to its newest event
            }
            self.set_buffered(self.buffered - freed);
        }
    }

    /// Accounts for a push into a ring, and keeps the hub within its budget.
    fn pushed(&mut self, (before, after): (usize, usize), config: &HubConfig) {
        self.set_buffered(self.buffered + after - before);
        if self.buffered > config.history_budget {
            self.keep_within(config.history_budget, config.topic_idle);
        }
    }

    /// Sets the bytes held, and the gauge with it.
    fn set_buffered(&mut self, bytes: usize) {
        self.gauges.buffered(self.buffered, bytes);
        self.buffered = bytes;
    }
}

struct Shared {
    config: HubConfig,
    /// The first part of every id; a backend changes it when it has lost its data.
    epoch: AtomicU32,
    /// Bumped with every epoch change; subscriptions of an older one start over.
    epoch_generation: AtomicU64,
    backend: Option<Arc<dyn Backend>>,
    /// Held while publishing, subscribing and shutting down, so that sequence numbers are
    /// assigned and rings filled in one order.
    state: Mutex<State>,
    /// The highest sequence number whose event is in its ring.
    committed: AtomicU64,
    closed: AtomicBool,
    /// Bumped by [`Hub::disconnect_all`]; subscriptions of an older generation end.
    generation: AtomicU64,
    final_frame: OnceLock<Option<Frame>>,
    shutdown: tokio::sync::watch::Sender<bool>,
    stats: Counters,
    /// State that code built on the hub keeps with it ([`Hub::extension`]).
    extensions: Extensions,
    /// The timer that expires idle topics (`idle.rs`).
    sweep: idle::Sweep,
}

impl Shared {
    fn new(config: HubConfig, epoch: u32, head: u64, backend: Option<Arc<dyn Backend>>) -> Shared {
        let (shutdown, _) = tokio::sync::watch::channel(false);
        let (stats, gauges) = Counters::register(&config);
        Shared {
            config,
            epoch: AtomicU32::new(epoch),
            epoch_generation: AtomicU64::new(0),
            state: Mutex::new(State {
                topics: HashMap::new(),
                next_seq: head + 1,
                removed_through: 0,
                removed_backed: HashMap::new(),
                backed: backend.is_some(),
                buffered: 0,
                last_sweep: std::time::Instant::now(),
                gauges,
            }),
            backend,
            committed: AtomicU64::new(head),
            closed: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            final_frame: OnceLock::new(),
            shutdown,
            stats,
            extensions: Extensions::default(),
            sweep: idle::Sweep::default(),
        }
    }

    fn epoch(&self) -> u32 {
        self.epoch.load(Ordering::Acquire)
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Removes those of `topics` that nobody subscribes to any more and that hold nothing
    /// worth keeping: no event ever (a topic a subscriber named and nobody published to),
    /// or, with a backend, anything at all (the backend keeps the history). So subscribing
    /// alone cannot make topics pile up.
    fn forget_unused(&self, topics: &[Arc<TopicState>]) {
        let mut state = lock(&self.state);
        for topic in topics {
            let unused = topic.subscriber_count() == 0
                && (state.backed || read(&topic.ring).pushed == 0)
                && state
                    .topics
                    .get(&topic.name)
                    .is_some_and(|held| Arc::ptr_eq(held, topic));
            if unused {
                state.drop_topic(&topic.name);
            }
        }
    }

    /// A backend's event, in sequence order (see [`Feed::event`]).
    fn ingest(&self, epoch: u32, seq: u64, topic: &str, body: &[u8]) {
        if epoch != self.epoch() {
            self.reset(epoch);
        }
        let mut state = lock(&self.state);
        if seq < state.next_seq {
            return; // read again after a reconnect
        }
        state.next_seq = seq + 1;
        if !state.removed_backed.is_empty() {
            let removed = state
                .removed_backed
                .get(topic)
                .is_some_and(|&last| seq <= last);
            state.removed_backed.retain(|_, last| *last > seq);
            if removed {
                self.committed.store(seq, Ordering::Release);
                return;
            }
        }
        let Some(target) = state.topics.get(topic).cloned() else {
            self.committed.store(seq, Ordering::Release);
            return;
        };
        let frame = with_id(body, EventId::new(epoch, seq));
        self.commit(&mut state, &target, seq, frame);
        drop(state);
        target.notify(self.config.coalesce);
    }

    /// The one tail of both publish paths (the in-memory hub's and a backend's events),
    /// under the state lock: `frame`, event `seq`, goes into `target`'s ring, and is
    /// counted and committed. The caller drops the lock, then wakes the topic.
    fn commit(&self, state: &mut State, target: &TopicState, seq: u64, frame: Frame) {
        let bytes = target.push(seq, frame, self.config.history, self.config.history_bytes);
        state.pushed(bytes, &self.config);
        self.committed.store(seq, Ordering::Release);
    }

    /// A new epoch: empty rings, and every subscription starts over (see [`Feed::reset`]).
    fn reset(&self, epoch: u32) {
        let mut state = lock(&self.state);
        if epoch == self.epoch() {
            return;
        }
        self.epoch.store(epoch, Ordering::Release);
        state.next_seq = 1;
        state.removed_through = 0;
        state.set_buffered(0);
        self.committed.store(0, Ordering::Release);
        for topic in state.topics.values() {
            let mut ring = write(&topic.ring);
            ring.entries.clear();
            ring.bytes = 0;
            ring.evicted_through = 0;
        }
        self.epoch_generation.fetch_add(1, Ordering::AcqRel);
        let topics = state.all_topics();
        drop(state);
        crate::trace::warning!(
            epoch = format_args!("{epoch:08x}"),
            "hub backend lost its data; new epoch"
        );
        for topic in topics {
            topic.wake_all();
        }
    }

    /// Events through `seq` cannot be read any more (see [`Feed::lost_through`]).
    fn lost_through(&self, seq: u64) {
        let mut state = lock(&self.state);
        state.next_seq = state.next_seq.max(seq + 1);
        for topic in state.topics.values() {
            let mut ring = write(&topic.ring);
            ring.evicted_through = ring.evicted_through.max(seq);
        }
        self.committed.fetch_max(seq, Ordering::AcqRel);
        let topics = state.all_topics();
        drop(state);
        for topic in topics {
            topic.wake_all();
        }
    }

    /// Where a new subscription starts, given its resume id and the newest sequence number
    /// `head`; the `missed` notice it gets first, if any; and, with a backend, the history
    /// to fetch from it for topics whose ring does not reach back. Called with the state
    /// locked.
    fn resume_point(
        self: &Arc<Self>,
        resume: Option<Option<EventId>>,
        targets: &[Arc<TopicState>],
        head: u64,
    ) -> Result<ResumePoint, HubError> {
        let epoch = self.epoch();
        Ok(match resume {
            None => ResumePoint::at(head),
            // With a backend, an id this instance has not read yet is one it will read.
            Some(Some(id))
                if id.epoch() == epoch && id.sequence() > head && self.backend.is_some() =>
            {
                ResumePoint::at(id.sequence())
            }
            Some(Some(id)) if id.epoch() == epoch && id.sequence() <= head => {
                let after = id.sequence();
                let short: Vec<(TopicName, u64)> = targets
                    .iter()
                    .filter_map(|topic| {
                        let evicted = read(&topic.ring).evicted_through;
                        (evicted > after).then(|| (topic.name.clone(), evicted))
                    })
                    .collect();
                let mut point = ResumePoint::at(after);
                match &self.backend {
                    _ if short.is_empty() => {}
                    Some(backend) => {
                        let backend = backend.clone();
                        let backfill = subscription::Backfill::new(
                            self.clone(),
                            backend,
                            epoch,
                            after,
                            short,
                        )?;
                        point.backfill = Some(backfill);
                    }
                    None => {
                        let topics = short.iter().map(|(name, _)| name.as_str());
                        self.stats.missed(MissedReason::Expired);
                        log_missed(MissedReason::Expired, topics.clone());
                        point.notice = Some(missed_frame(MissedReason::Expired, topics));
                    }
                }
                point
            }
            Some(_) => {
                let topics = targets.iter().map(|topic| topic.name.as_str());
                self.stats.missed(MissedReason::Unknown);
                log_missed(MissedReason::Unknown, topics.clone());
                ResumePoint {
                    start: 0,
                    notice: Some(missed_frame(MissedReason::Unknown, topics)),
                    backfill: None,
                }
            }
        })
    }
}

/// The debug line of a new subscription: its topics and, when it resumes, how many events
/// the local history replays (a binary search per topic; with a backend, the events it
/// fetches are not counted). Called with the state locked.
fn log_subscribe(
    targets: &[Arc<TopicState>],
    last_event_id: Option<&LastEventId>,
    point: &ResumePoint,
) {
    let topics: Vec<&str> = targets.iter().map(|topic| topic.name.as_str()).collect();
    match last_event_id {
        None => crate::trace::debug!(?topics, "subscribed"),
        Some(id) => {
            let replayed: usize = targets
                .iter()
                .map(|topic| {
                    let ring = read(&topic.ring);
                    ring.entries.len() - ring.position_after(point.start, 0)
                })
                .sum();
            crate::trace::debug!(
                ?topics,
                last_event_id = id.as_str(),
                replayed,
                missed = point.notice.is_some(),
                "resumed"
            );
        }
    }
}

/// Where a subscription starts, what it is told first, and what it fetches first.
struct ResumePoint {
    start: u64,
    notice: Option<Frame>,
    backfill: Option<subscription::Backfill>,
}

impl ResumePoint {
    fn at(start: u64) -> Self {
        ResumePoint {
            start,
            notice: None,
            backfill: None,
        }
    }
}

/// An in-memory publish/subscribe hub for server-sent events. Cheap to clone; share one
/// across handlers. See the [module docs](self) for its semantics.
#[derive(Clone)]
pub struct Hub {
    shared: Arc<Shared>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new()
    }
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("epoch", &format_args!("{:08x}", self.shared.epoch()))
            .field("backend", &self.shared.backend.is_some())
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// A hub with default settings.
    pub fn new() -> Hub {
        Hub::builder().build()
    }

    /// Configures a hub.
    pub fn builder() -> HubBuilder {
        HubBuilder::default()
    }

    fn with_config(config: HubConfig) -> Hub {
        Hub {
            shared: Arc::new(Shared::new(config, id::random_epoch(), 0, None)),
        }
    }

    /// A hub on a backend: `epoch` and `head` (the newest sequence number) are the
    /// backend's when this instance starts reading, and `backend` is made with the
    /// [`Feed`] it hands the events it reads to. For backend crates such as `sse-redis`.
    pub(crate) fn with_backend(
        config: HubConfig,
        epoch: u32,
        head: u64,
        backend: impl FnOnce(Feed) -> Arc<dyn Backend>,
    ) -> Hub {
        Hub {
            shared: Arc::new_cyclic(|weak| {
                let backend = backend(Feed {
                    shared: weak.clone(),
                });
                Shared::new(config, epoch, head, Some(backend))
            }),
        }
    }

    /// Publishes `event` to `topic` and returns the id it was given.
    ///
    /// The event is encoded once, with the hub's id in place of any id it had, and the same
    /// bytes go to every subscriber. On the in-memory hub the topic is created on first use
    /// and the future is ready at once; with a backend (`sse-redis`) the id comes from the
    /// backend, and a backend that cannot be reached is a [`HubError::Backend`].
    ///
    /// **Reserved names.** Any event name is accepted here, including the
    /// [`RESERVED_EVENTS`] the hub's own notices use (`missed`, `shutdown`): subscribers
    /// cannot tell such an event from a real notice, so send one only deliberately. The
    /// ready-made publish endpoint (`sse-endpoints`) refuses them,
    /// so that a publisher over HTTP cannot forge them.
    pub async fn publish(
        &self,
        topic: impl IntoTopicName,
        event: Event,
    ) -> Result<EventId, HubError> {
        self.publish_keyed(topic, None, event).await
    }

    /// [`publish`](Self::publish) with an idempotency key. With a backend that keeps keys
    /// ([`keeps_idempotency_keys`](Self::keeps_idempotency_keys), `sse-redis`), the
    /// backend remembers the key with the id for `key.window`: a repeat answers the first
    /// id and publishes nothing, on any instance, also after a first publish that timed
    /// out ([`HubError::Backend`]) but reached the backend; a repeat for another event is
    /// [`HubError::IdempotencyKeyReused`]. The in-memory hub, and a backend that keeps no
    /// keys, publish as [`publish`](Self::publish) does: the caller keeps its keys (as
    /// `sse-endpoints` does).
    pub async fn publish_with_key(
        &self,
        topic: impl IntoTopicName,
        key: backend::IdempotencyKey<'_>,
        event: Event,
    ) -> Result<EventId, HubError> {
        self.publish_keyed(topic, Some(key), event).await
    }

    /// Whether the hub's backend keeps idempotency keys (see
    /// [`publish_with_key`](Self::publish_with_key)); `false` in memory.
    pub fn keeps_idempotency_keys(&self) -> bool {
        self.shared
            .backend
            .as_ref()
            .is_some_and(|backend| backend.keeps_idempotency_keys())
    }

    /// [`publish`](Self::publish), with the key if there is one, counted.
    async fn publish_keyed(
        &self,
        topic: impl IntoTopicName,
        key: Option<backend::IdempotencyKey<'_>>,
        event: Event,
    ) -> Result<EventId, HubError> {
        idle::Sweep::ensure(&self.shared);
        let timer = metrics::PublishTimer::start();
        let result = match topic.into_topic_name() {
            Ok(topic) => self.publish_anywhere(topic, key, event).await,
            Err(error) => Err(error),
        };
        match &result {
            Ok(_) => self.shared.stats.published(timer),
            Err(error) => self.shared.stats.publish_failed(error),
        }
        result
    }

    /// [`publish`](Self::publish), on the in-memory hub or through the backend. The event
    /// is encoded here, before any lock is taken: without its id, which the hub or the
    /// backend assigns, and which is then put in front of the encoded fields.
    async fn publish_anywhere(
        &self,
        topic: TopicName,
        key: Option<backend::IdempotencyKey<'_>>,
        event: Event,
    ) -> Result<EventId, HubError> {
        if self.is_closed() {
            return Err(HubError::Closed);
        }
        let body = Event { id: None, ..event }.encode();
        match &self.shared.backend {
            None => self.publish_here(&topic, &body),
            Some(backend) => {
                let max = self.shared.config.max_event_size;
                // The backend assigns the id later; count the longest it can be.
                if body.len() + MAX_ID_LINE > max {
                    return Err(HubError::EventTooLarge {
                        size: body.len() + MAX_ID_LINE,
                        max,
                    });
                }
                let body = body.into_bytes();
                match key {
                    Some(key) => backend.publish_with_key(&topic, key, body).await,
                    None => backend.publish(&topic, body).await,
                }
            }
        }
    }

    /// The in-memory hub's publish of an encoded `body`: under the state lock only the id,
    /// the ring and the counters.
    fn publish_here(&self, topic: &TopicName, body: &Frame) -> Result<EventId, HubError> {
        let shared = &*self.shared;
        let config = &shared.config;
        let mut state = lock(&shared.state);
        if shared.closed.load(Ordering::Acquire) {
            return Err(HubError::Closed);
        }
        let target = state.topic(topic, config.max_topics, config.topic_idle)?;
        let id = EventId::new(shared.epoch(), state.next_seq);
        let frame = with_id(body, id);
        if frame.len() > config.max_event_size {
            return Err(HubError::EventTooLarge {
                size: frame.len(),
                max: config.max_event_size,
            });
        }
        state.next_seq += 1;
        shared.commit(&mut state, &target, id.sequence(), frame);
        drop(state);
        target.notify(config.coalesce);
        Ok(id)
    }

    /// Subscribes to `topics`, resuming after `last_event_id` if given.
    ///
    /// Without an id, the subscription receives the events published after this call. With
    /// one, see the [module docs](self) on resuming.
    pub fn subscribe<I>(
        &self,
        topics: I,
        last_event_id: Option<&LastEventId>,
    ) -> Result<Subscription, HubError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        idle::Sweep::ensure(&self.shared);
        let result = self.subscribe_here(topics, last_event_id);
        if let Err(error) = &result {
            self.shared.stats.subscribe_rejected(error);
        }
        result
    }

    /// [`subscribe`](Self::subscribe), but for counting its refusals.
    fn subscribe_here<I>(
        &self,
        topics: I,
        last_event_id: Option<&LastEventId>,
    ) -> Result<Subscription, HubError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let shared = &self.shared;
        let config = &shared.config;
        let names = TopicName::list(topics, config.max_topics_per_subscription)?;
        let resume = last_event_id.map(|id| EventId::parse(id.as_str()));

        let mut state = lock(&shared.state);
        if shared.closed.load(Ordering::Acquire) {
            return Err(HubError::Closed);
        }
        if shared.stats.subscribers.load(Ordering::Relaxed) >= config.max_subscribers {
            return Err(HubError::TooManySubscribers {
                max: config.max_subscribers,
            });
        }
        let mut targets = Vec::with_capacity(names.len());
        for name in &names {
            let topic = state.topic(name, config.max_topics, config.topic_idle)?;
            if topic.subscriber_count() >= config.max_subscribers_per_topic {
                return Err(HubError::TopicFull {
                    topic: name.to_string(),
                    max: config.max_subscribers_per_topic,
                });
            }
            targets.push(topic);
        }
        // Decide where to start, and take the cursors, while no publish can run.
        let head = state.next_seq - 1;
        let point = shared.resume_point(resume, &targets, head)?;
        if crate::trace::enabled!(DEBUG) {
            log_subscribe(&targets, last_event_id, &point);
        }
        shared.stats.subscribed();
        let subscription = Subscription::new(shared.clone(), targets, point, head);
        drop(state);
        Ok(subscription)
    }

    /// Whether [`subscribe`](Self::subscribe) to `topics` would pass its checks of the names
    /// and of the hub being open, without subscribing (for `HEAD` requests, and to check a
    /// request before it is authorized). The hub's topic and subscriber limits are not
    /// checked: they depend on the moment.
    ///
    /// ```
    /// use sse_core::{Hub, HubError};
    /// let hub = Hub::new();
    /// assert!(hub.check_subscribe(["news"]).is_ok());
    /// assert!(matches!(hub.check_subscribe(["a b"]), Err(HubError::InvalidTopic { .. })));
    /// assert_eq!(hub.stats().subscribers, 0);
    /// ```
    pub fn check_subscribe<I>(&self, topics: I) -> Result<(), HubError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        TopicName::list(topics, self.shared.config.max_topics_per_subscription)?;
        if self.is_closed() {
            return Err(HubError::Closed);
        }
        Ok(())
    }

    /// Ends every subscription at an event boundary, after sending `final_event` (without an
    /// id) to each, if given. Publishing and subscribing fail afterwards. Calling it again
    /// does nothing.
    pub fn shutdown(&self, final_event: Option<Event>) {
        let shared = &*self.shared;
        let state = lock(&shared.state);
        if shared.closed.load(Ordering::Acquire) {
            return;
        }
        let final_frame = final_event.map(|mut event| {
            event.id = None;
            event.encode()
        });
        let _ = shared.final_frame.set(final_frame);
        shared.closed.store(true, Ordering::Release);
        let topics = state.all_topics();
        drop(state);
        crate::trace::info!(
            subscribers = shared.stats.subscribers.load(Ordering::Relaxed),
            "hub shutting down: ending every subscription"
        );
        for topic in topics {
            topic.wake_all();
        }
        shared.shutdown.send_replace(true);
    }

    /// Ends every current subscription at an event boundary, but stays open: clients
    /// reconnect and resume with `Last-Event-ID`, missing nothing still in the history.
    /// Use it to make clients re-authenticate, or to move them to another instance.
    pub fn disconnect_all(&self) {
        let shared = &*self.shared;
        let state = lock(&shared.state);
        shared.generation.fetch_add(1, Ordering::AcqRel);
        let topics = state.all_topics();
        drop(state);
        crate::trace::info!(
            subscribers = shared.stats.subscribers.load(Ordering::Relaxed),
            "disconnecting every subscriber; they resume with Last-Event-ID"
        );
        for topic in topics {
            topic.wake_all();
        }
    }

    /// What one topic holds: `None` if it does not exist.
    ///
    /// ```
    /// let hub = sse_core::Hub::new();
    /// let _subscription = hub.subscribe(["news"], None)?;
    /// assert_eq!(hub.topic_stats("news").map(|t| t.subscribers), Some(1));
    /// assert_eq!(hub.topic_stats("sport"), None);
    /// # Ok::<(), sse_core::HubError>(())
    /// ```
    pub fn topic_stats(&self, topic: &str) -> Option<TopicStats> {
        let topic = lock(&self.shared.state).topics.get(topic).cloned()?;
        let (buffered_events, buffered_bytes) = topic.buffered();
        Some(TopicStats {
            subscribers: topic.subscriber_count(),
            buffered_events,
            buffered_bytes,
        })
    }

    /// Removes a topic nobody is subscribed to, with its history. `Ok(false)` if there was no
    /// such topic; [`HubError::TopicInUse`] if it has subscribers.
    ///
    /// A client that later resumes on a topic of that name, with an id from before the
    /// removal, is told with a `missed` event (reason `expired`) that the history is gone.
    ///
    /// On the in-memory hub the future is ready at once. With a backend (`sse-redis`) the
    /// history is removed there too ([`Backend::remove_topic`]), and `Ok(true)` says that
    /// this instance or the backend had it; only this instance's subscribers are checked.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), sse_core::HubError> {
    /// let hub = sse_core::Hub::new();
    /// hub.publish("old", sse_core::Event::new("x")).await?;
    /// assert!(hub.remove_topic("old").await?);
    /// assert_eq!(hub.stats().topics, 0);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn remove_topic(&self, topic: &str) -> Result<bool, HubError> {
        let here = self.remove_topic_here(topic)?;
        match &self.shared.backend {
            None => Ok(here),
            Some(backend) => {
                let name = TopicName::new(topic)?;
                let Some(last) = backend.remove_topic(&name).await? else {
                    return Ok(here);
                };
                let mut state = lock(&self.shared.state);
                // The topic's events this instance has not read yet are the removed
                // topic's: drop them as they arrive, even if the topic is made again.
                if last >= state.next_seq {
                    state.removed_backed.insert(name, last);
                }
                Ok(true)
            }
        }
    }

    /// [`remove_topic`](Self::remove_topic) on this instance.
    fn remove_topic_here(&self, topic: &str) -> Result<bool, HubError> {
        let shared = &*self.shared;
        let mut state = lock(&shared.state);
        let Some(existing) = state.topics.get(topic) else {
            return Ok(false);
        };
        let subscribers = existing.subscriber_count();
        if subscribers > 0 {
            return Err(HubError::TopicInUse {
                topic: topic.to_owned(),
                subscribers,
            });
        }
        if let Ok(name) = TopicName::new(topic) {
            state.drop_topic(&name);
        }
        state.removed_through = state.next_seq - 1;
        Ok(true)
    }

    /// Whether [`shutdown`](Self::shutdown) has been called.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// A future that completes when the hub shuts down, after the final event is in place.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + use<> {
        self.shutdown_signal().triggered()
    }

    /// The hub's shutdown as a [`ShutdownSignal`](crate::ShutdownSignal): register it once
    /// with your framework's adapter and every event stream, hub subscription or not, ends
    /// at an event boundary when the hub shuts down (subscriptions after the final event).
    pub fn shutdown_signal(&self) -> crate::ShutdownSignal {
        crate::ShutdownSignal::from_receiver(self.shared.shutdown.subscribe())
    }

    /// Counts of topics, subscribers, events and buffered bytes.
    pub fn stats(&self) -> HubStats {
        let shared = &*self.shared;
        let topics = lock(&shared.state).all_topics();
        let (buffered_events, buffered_bytes) = topics
            .iter()
            .map(|topic| topic.buffered())
            .fold((0, 0), |(events, bytes), (e, b)| (events + e, bytes + b));
        shared
            .stats
            .snapshot(topics.len(), buffered_events, buffered_bytes)
    }

    /// The hub's one value of type `T`, made by `make` the first time it is asked for: state
    /// that code built on the hub shares between every handle to it, such as the publish
    /// endpoint's idempotency keys (`sse-endpoints`), which every endpoint over one hub (one
    /// per actix-web worker, say) must see alike. Values live as long as the hub.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use sse_core::Hub;
    ///
    /// #[derive(Default)]
    /// struct Visits(AtomicU64);
    ///
    /// let hub = Hub::new();
    /// hub.extension(Visits::default).0.fetch_add(1, Ordering::Relaxed);
    /// let clone = hub.clone();
    /// assert_eq!(clone.extension(Visits::default).0.load(Ordering::Relaxed), 1);
    /// ```
    pub fn extension<T: Send + Sync + 'static>(&self, make: impl FnOnce() -> T) -> Arc<T> {
        self.shared.extensions.get_or_insert_with(make)
    }

    /// The hub's epoch (the first part of every id it assigns).
    pub fn epoch(&self) -> u32 {
        self.shared.epoch()
    }
}

/// `body`, encoded without an id, as the frame of event `id`.
pub(super) fn with_id(body: &[u8], id: EventId) -> Frame {
    let mut id_text = [0u8; MAX_ID_LINE];
    crate::encode::insert_id(body, id::format_id(&mut id_text, id))
}
