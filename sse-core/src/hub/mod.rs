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
//! let id = hub.publish("chat", Event::new("hello").event("message")?)?;
//!
//! let frame = subscription.next().await.unwrap();
//! assert_eq!(frame.as_bytes(), format!("id: {id}\nevent: message\ndata: hello\n\n").as_bytes());
//! # Ok(())
//! # }
//! ```
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
//! `periodic` ([`Hub::publish_every`]), `error`.

mod builder;
mod error;
mod id;
mod locks;
mod notice;
mod pacing;
mod periodic;
mod ring;
mod stats;
mod subscription;
mod topic;
mod topic_name;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

pub use builder::{HubBuilder, LagPolicy};
pub use error::HubError;
pub use id::EventId;
pub use notice::MISSED_EVENT;
pub use stats::{HubStats, TopicStats};
pub use subscription::{DisconnectHandle, Subscription};
pub use topic_name::TopicName;

use crate::{Event, Frame, LastEventId};
use builder::HubConfig;
use locks::{lock, read};
use notice::{MissedReason, missed_frame};
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
}

impl State {
    /// The topic `name`, created if it does not exist yet and the hub has room.
    fn topic(&mut self, name: &TopicName, max_topics: usize) -> Result<Arc<TopicState>, HubError> {
        if let Some(topic) = self.topics.get(name) {
            return Ok(topic.clone());
        }
        if self.topics.len() >= max_topics {
            return Err(HubError::TooManyTopics { max: max_topics });
        }
        let topic = Arc::new(TopicState::new(name.clone(), self.removed_through));
        self.topics.insert(name.clone(), topic.clone());
        Ok(topic)
    }

    fn all_topics(&self) -> Vec<Arc<TopicState>> {
        self.topics.values().cloned().collect()
    }
}

struct Shared {
    config: HubConfig,
    epoch: u32,
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
}

impl Shared {
    /// Where a new subscription starts, given its resume id and the newest sequence number
    /// `head`, and the `missed` notice it gets first, if any. Called with the state locked.
    fn resume_point(
        &self,
        resume: Option<Option<EventId>>,
        targets: &[Arc<TopicState>],
        head: u64,
    ) -> (u64, Option<Frame>) {
        match resume {
            None => (head, None),
            Some(Some(id)) if id.epoch() == self.epoch && id.sequence() <= head => {
                let lost: Vec<&str> = targets
                    .iter()
                    .filter(|topic| read(&topic.ring).evicted_through > id.sequence())
                    .map(|topic| topic.name.as_str())
                    .collect();
                let notice = (!lost.is_empty()).then(|| missed_frame(MissedReason::Expired, lost));
                (id.sequence(), notice)
            }
            Some(_) => (
                0,
                Some(missed_frame(
                    MissedReason::Unknown,
                    targets.iter().map(|topic| topic.name.as_str()),
                )),
            ),
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
            .field("epoch", &format_args!("{:08x}", self.shared.epoch))
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
        let (shutdown, _) = tokio::sync::watch::channel(false);
        Hub {
            shared: Arc::new(Shared {
                config,
                epoch: id::random_epoch(),
                state: Mutex::new(State {
                    topics: HashMap::new(),
                    next_seq: 1,
                    removed_through: 0,
                }),
                committed: AtomicU64::new(0),
                closed: AtomicBool::new(false),
                generation: AtomicU64::new(0),
                final_frame: OnceLock::new(),
                shutdown,
                stats: Counters::default(),
            }),
        }
    }

    /// Publishes `event` to `topic` (created on first use), and returns the id it was given.
    ///
    /// The event is encoded once, with the hub's id in place of any id it had, and the same
    /// bytes go to every subscriber.
    pub fn publish(&self, topic: &str, event: Event) -> Result<EventId, HubError> {
        let shared = &*self.shared;
        let config = &shared.config;
        let name = TopicName::new(topic)?;
        let mut state = lock(&shared.state);
        if shared.closed.load(Ordering::Acquire) {
            return Err(HubError::Closed);
        }
        let target = state.topic(&name, config.max_topics)?;
        let id = EventId::new(shared.epoch, state.next_seq);
        let mut id_text = [0u8; 32];
        let frame = crate::encode::encode_with_id(&event, Some(id::format_id(&mut id_text, id)));
        if frame.len() > config.max_event_size {
            return Err(HubError::EventTooLarge {
                size: frame.len(),
                max: config.max_event_size,
            });
        }
        state.next_seq += 1;
        target.push(id.sequence(), frame, config.history, config.history_bytes);
        shared.committed.store(id.sequence(), Ordering::Release);
        drop(state);
        shared.stats.published.fetch_add(1, Ordering::Relaxed);
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
            let topic = state.topic(name, config.max_topics)?;
            if topic.subscriber_count() >= config.max_subscribers_per_topic {
                return Err(HubError::TopicFull {
                    topic: name.to_string(),
                    max: config.max_subscribers_per_topic,
                });
            }
            targets.push(topic);
        }
        // Decide where to start, and take the cursors, while no publish can run.
        let (start, notice) = shared.resume_point(resume, &targets, state.next_seq - 1);
        shared.stats.subscribers.fetch_add(1, Ordering::Relaxed);
        let subscription = Subscription::new(shared.clone(), targets, start, notice);
        drop(state);
        Ok(subscription)
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
    /// ```
    /// let hub = sse_core::Hub::new();
    /// hub.publish("old", sse_core::Event::new("x"))?;
    /// assert!(hub.remove_topic("old")?);
    /// assert_eq!(hub.stats().topics, 0);
    /// # Ok::<(), sse_core::HubError>(())
    /// ```
    pub fn remove_topic(&self, topic: &str) -> Result<bool, HubError> {
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
        state.topics.remove(topic);
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

    /// The hub's epoch (the first part of every id it assigns).
    pub fn epoch(&self) -> u32 {
        self.shared.epoch
    }
}
