//! The backend seam: what a hub needs from an engine that orders and keeps events beyond
//! this process (Redis in `sse-redis`; NATS JetStream or PostgreSQL could follow).
//!
//! A hub built with a [`Backend`] keeps everything else local and identical to the
//! in-memory hub: rings, cursors, lag policy, coalescing, limits, shutdown. What changes:
//!
//! - **Publishing** goes through [`Backend::publish`], which assigns the id (epoch and a
//!   sequence number shared by every instance) and stores the event. It does not touch the
//!   local rings.
//! - **Every instance reads every event once**, in sequence order, and hands it to its hub
//!   through a [`Feed`]: the publishing instance too, so there is one delivery path. Events
//!   of topics the instance does not hold are skipped (they stay in the backend).
//! - **Resuming** reads the local ring when it reaches back far enough, and
//!   [`Backend::history`] for the part before it, merged in sequence order with no gap or
//!   duplicate at the hand-over.
//! - **The epoch is the backend's**: when the backend has lost its data, the engine calls
//!   [`Feed::reset`] with a new epoch; live subscribers get a `missed` event (reason
//!   `reset`) and go on with new events, and old ids are answered with reason `unknown`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Weak;

use bytes::Bytes;

use super::{EventId, HubError, Shared, TopicName};

/// A fresh random epoch, for a backend that starts one (when its store is new or lost).
pub fn random_epoch() -> u32 {
    super::id::random_epoch()
}

/// A boxed future, as [`Backend`] methods return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An engine that orders and keeps a hub's events for several instances. See the [module
/// docs](self).
pub trait Backend: Send + Sync + 'static {
    /// Stores `body` (the event encoded without an `id:` line) on `topic` and returns the
    /// id it was given. Fails fast, with [`HubError::Backend`], when the engine is away.
    fn publish<'a>(
        &'a self,
        topic: &'a TopicName,
        body: Bytes,
    ) -> BoxFuture<'a, Result<EventId, HubError>>;

    /// [`publish`](Self::publish), once per idempotency key: the engine remembers `key`
    /// (with the published id and the event's hash) for `key.window`, and a publish with
    /// the same key answers the first id and stores nothing, on any instance; one with the
    /// same key and another event's hash is [`HubError::IdempotencyKeyReused`]. So a
    /// publish that timed out (answered [`HubError::Backend`]) but that the engine carried
    /// out later is settled by its retry, not published twice. The default keeps no key
    /// (see [`keeps_idempotency_keys`](Self::keeps_idempotency_keys)) and publishes.
    fn publish_with_key<'a>(
        &'a self,
        topic: &'a TopicName,
        key: IdempotencyKey<'a>,
        body: Bytes,
    ) -> BoxFuture<'a, Result<EventId, HubError>> {
        let _ = key;
        self.publish(topic, body)
    }

    /// Whether [`publish_with_key`](Self::publish_with_key) keeps the key (default: no).
    fn keeps_idempotency_keys(&self) -> bool {
        false
    }

    /// The events of `topic` in `epoch` with sequence numbers from `after + 1` through
    /// `through`, oldest first.
    fn history<'a>(
        &'a self,
        topic: &'a TopicName,
        epoch: u32,
        after: u64,
        through: u64,
    ) -> BoxFuture<'a, Result<History, HubError>>;

    /// Like [`history`](Self::history), but at most `limit` events, oldest first: a page.
    /// When the page stops short of `through`, [`History::more_after`] says where the next
    /// one starts. A resume reads its history in such pages of at most [`HISTORY_PAGE`]
    /// events, each when the subscriber has taken the one before, so that a subscriber
    /// that does not read holds one page, not the whole history. The default reads the
    /// whole range with [`history`](Self::history).
    fn history_page<'a>(
        &'a self,
        topic: &'a TopicName,
        epoch: u32,
        after: u64,
        through: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<History, HubError>> {
        let _ = limit;
        self.history(topic, epoch, after, through)
    }

    /// Removes `topic`'s history, for [`Hub::remove_topic`](super::Hub::remove_topic): a
    /// later resume from before it is then answered with `missed`. Returns the sequence
    /// number of the topic's last event if the backend had the topic (`None` if not), so
    /// that this instance drops the topic's events it has not read yet. The default keeps
    /// everything and returns `Ok(None)`.
    fn remove_topic<'a>(
        &'a self,
        topic: &'a TopicName,
    ) -> BoxFuture<'a, Result<Option<u64>, HubError>> {
        let _ = topic;
        Box::pin(async { Ok(None) })
    }
}

/// An idempotency key for [`Backend::publish_with_key`] and
/// [`Hub::publish_with_key`](super::Hub::publish_with_key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdempotencyKey<'a> {
    /// The key, scoped by the caller as it needs (per publisher, say); the engine scopes
    /// it to the topic.
    pub key: &'a str,
    /// A hash of the event the key is for: a repeat with another hash is a reuse.
    pub event_hash: u64,
    /// How long the key is remembered from its first use.
    pub window: std::time::Duration,
}

/// What [`Backend::history`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Sequence numbers and bodies (encoded without an `id:` line), oldest first.
    pub events: Vec<(u64, Bytes)>,
    /// Whether these are all the topic's events in the range (`false` when the engine has
    /// trimmed the oldest of them).
    pub complete: bool,
    /// For a page ([`Backend::history_page`]) that stops before the range's end: the
    /// sequence number it read through, after which the next page starts. `None` when the
    /// range is read to its end.
    pub more_after: Option<u64>,
}

/// The most events of one topic a resume asks the backend for at once (see
/// [`Backend::history_page`]).
pub const HISTORY_PAGE: usize = 64;

/// How an engine hands the events it reads to its hub. It holds the hub weakly: once every
/// handle of the hub is gone, [`event`](Self::event) returns `false` and the engine stops.
#[derive(Debug, Clone)]
pub struct Feed {
    pub(super) shared: Weak<Shared>,
}

impl Feed {
    /// Hands over the event `seq` of `topic`, in `epoch`. Events must come in increasing
    /// sequence order. An event of another epoch than the hub's resets the hub to that
    /// epoch first (see [`reset`](Self::reset)). Returns `false` once the hub is gone or
    /// shut down.
    pub fn event(&self, epoch: u32, seq: u64, topic: &str, body: &[u8]) -> bool {
        match self.shared.upgrade() {
            Some(shared) if !shared.is_closed() => {
                shared.ingest(epoch, seq, topic, body);
                true
            }
            _ => false,
        }
    }

    /// The backend lost its data and starts again in `epoch`: every ring is emptied, live
    /// subscribers are told with a `missed` event (reason `reset`) and go on with the new
    /// epoch's events.
    pub fn reset(&self, epoch: u32) {
        if let Some(shared) = self.shared.upgrade() {
            shared.reset(epoch);
        }
    }

    /// Events through `seq` can no longer be read (the engine trimmed them before this
    /// instance read them): rings treat them as evicted, so subscribers that needed them
    /// are told instead of silently missing them.
    pub fn lost_through(&self, seq: u64) {
        if let Some(shared) = self.shared.upgrade() {
            shared.lost_through(seq);
        }
    }

    /// The hub's epoch, or `None` once the hub is gone.
    pub fn epoch(&self) -> Option<u32> {
        self.shared.upgrade().map(|shared| shared.epoch())
    }
}
