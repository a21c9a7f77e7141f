//! Idempotency keys for the ready-made publish endpoint: a publisher that retries a publish
//! (its client gave up, the connection broke) with the same key gets the first publish's
//! id back, and nothing is published twice.
//!
//! **What to know first.**
//!
//! - **A key is remembered for a window** (default [`DEFAULT_WINDOW`], 5 minutes) from its
//!   first use, and at most [`DEFAULT_MAX_KEYS`] keys (10,000) are kept: past that, the
//!   oldest is forgotten first. A repeat after its key was forgotten publishes again.
//! - **A key is scoped to its topic and its publisher**: the same key on two topics, or
//!   from two publishers, is two keys.
//! - **Each publisher has its own share**: at most [`DEFAULT_MAX_KEYS_PER_PUBLISHER`]
//!   (1,000) keys of one publisher are kept, within the total; past that, *its own* oldest
//!   is forgotten first, so a publisher that sends many keys cannot make the hub forget
//!   another's (and a retry then publish again). A publisher is what the hook's
//!   [`Grant::publisher`](crate::Grant::publisher) names, else what the adapter named
//!   with [`ReceivedBody::publisher`](crate::ReceivedBody::publisher) (a client address,
//!   say), else the request's bearer token (a hash of it); requests with none of them
//!   share one publisher.
//! - **The keys are the hub's**: every `HubEndpoints` over one [`Hub`](sse_core::Hub) shares
//!   them (actix-web builds one per worker), and the window and size of the first to
//!   receive a key apply.
//! - **A key names one request**: a repeat whose topic is the same but whose event differs
//!   (its data, name or `retry`) is a mistake in the publisher (a key reused for another
//!   event), answered 422 `idempotency_key_reused` and published nothing, rather than the
//!   first id for an event that was never sent.
//! - **Concurrent repeats wait** for the first publish with that key and answer its id; if
//!   the first fails, the key is released and one of them publishes in its place.
//! - **Per process, and with `sse-redis` cluster-wide.** This store is in memory, in
//!   each instance. A hub whose backend keeps keys
//!   ([`Hub::keeps_idempotency_keys`](sse_core::Hub::keeps_idempotency_keys), as
//!   `sse-redis` does) is also given the key with the publish
//!   ([`Hub::publish_with_key`](sse_core::Hub::publish_with_key)): Redis remembers it with
//!   the id for the window, so a repeat on any instance answers the first id, and a publish
//!   answered 503 `backend_unavailable` that Redis carried out anyway is settled by its
//!   retry instead of published twice. The in-memory hub keeps only this store.
//!
//! The endpoint takes the key from the publish body's `"idempotency_key"` field, or from an
//! [`Idempotency-Key`](IDEMPOTENCY_KEY) header the adapter passes in (the body's field wins); it is
//! 1 to [`MAX_KEY_LEN`] bytes of UTF-8, or a 400 `invalid_idempotency_key`.
//!
//! ```
//! use std::time::Duration;
//! use sse_core::Hub;
//! use sse_endpoints::HubEndpoints;
//!
//! let endpoints = HubEndpoints::new(Hub::new())
//!     .idempotency_window(Duration::from_secs(60))
//!     .idempotency_max_keys(1000);
//! # drop(endpoints);
//! ```

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use sse_core::EventId;
use sse_core::hub::TopicName;

/// The request header that carries an idempotency key: `Idempotency-Key`.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The longest key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 128;

/// How long a key is remembered by default: 5 minutes.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(5 * 60);

/// How many keys are remembered by default: 10,000.
pub const DEFAULT_MAX_KEYS: usize = 10_000;

/// How many keys of one publisher are remembered by default: 1,000.
pub const DEFAULT_MAX_KEYS_PER_PUBLISHER: usize = 1_000;

/// Who published: the share of keys a key counts against (`None`: unidentified).
pub(crate) type Publisher = Option<std::sync::Arc<str>>;

/// A key's full name: its publisher, topic and text.
type Name = (Publisher, TopicName, String);

/// A key that cannot be used: empty, longer than [`MAX_KEY_LEN`] bytes, or not UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidKey {
    len: usize,
    utf8: bool,
}

impl fmt::Display for InvalidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.utf8 {
            f.write_str("the idempotency key is not UTF-8")
        } else {
            write!(
                f,
                "the idempotency key is {} bytes long; it must be 1 to {MAX_KEY_LEN}",
                self.len
            )
        }
    }
}

impl std::error::Error for InvalidKey {}

/// Checks a key's length, and that header bytes are UTF-8.
///
/// ```
/// use sse_endpoints::idempotency::{MAX_KEY_LEN, validate};
/// assert_eq!(validate(b"order-17").as_deref(), Ok("order-17"));
/// assert!(validate(b"").is_err());
/// assert!(validate(&[b'k'; MAX_KEY_LEN + 1]).is_err());
/// assert!(validate(b"\xff").is_err());
/// ```
pub fn validate(key: &[u8]) -> Result<String, InvalidKey> {
    let invalid = |utf8| InvalidKey {
        len: key.len(),
        utf8,
    };
    let text = std::str::from_utf8(key).map_err(|_| invalid(false))?;
    if text.is_empty() || text.len() > MAX_KEY_LEN {
        return Err(invalid(true));
    }
    Ok(text.to_owned())
}

/// What a claim on a key found.
pub(crate) enum Claim {
    /// The key is new: publish, then [`Pending::complete`] it.
    First(Pending),
    /// A publish with this key already has this id.
    Done(EventId),
    /// A publish with this key is under way: wait for it, then claim again.
    Wait(watch::Receiver<Option<EventId>>),
    /// The key was used for another event.
    Reused,
}

/// The memory of recent keys, shared by an endpoint's clones.
pub(crate) struct IdempotencyKeys {
    window: Duration,
    max_keys: usize,
    max_per_publisher: usize,
    store: Mutex<Store>,
}

#[derive(Default)]
struct Store {
    entries: HashMap<Name, Entry>,
    /// Every entry's key, oldest first, with when it was made and its serial number (an
    /// entry removed and made again has a new one, so its old place here is skipped).
    order: VecDeque<(Instant, u64, Name)>,
    /// Each publisher's live entries, and their keys oldest first (with places of entries
    /// since removed, skipped the same way, and pruned when they pile up).
    publishers: HashMap<Publisher, Share>,
    next_serial: u64,
}

#[derive(Default)]
struct Share {
    live: usize,
    order: VecDeque<(u64, Name)>,
}

struct Entry {
    serial: u64,
    /// A hash of the event published with the key, to tell a repeat from a reuse.
    event: u64,
    result: watch::Receiver<Option<EventId>>,
}

impl fmt::Debug for IdempotencyKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdempotencyKeys")
            .field("window", &self.window)
            .field("max_keys", &self.max_keys)
            .field("max_per_publisher", &self.max_per_publisher)
            .finish_non_exhaustive()
    }
}

impl IdempotencyKeys {
    /// A store remembering at most `max_keys` keys for `window` each, and at most
    /// `max_per_publisher` of one publisher; with any zero, nothing is remembered.
    pub(crate) fn new(window: Duration, max_keys: usize, max_per_publisher: usize) -> Self {
        IdempotencyKeys {
            window,
            max_keys,
            max_per_publisher,
            store: Mutex::new(Store::default()),
        }
    }

    /// Claims `key` of `publisher` on `topic` now, for the event whose hash is `event`.
    pub(crate) fn claim(
        self: &std::sync::Arc<Self>,
        publisher: &Publisher,
        topic: &TopicName,
        key: &str,
        event: u64,
    ) -> Claim {
        self.claim_at(publisher, topic, key, event, Instant::now())
    }

    fn claim_at(
        self: &std::sync::Arc<Self>,
        publisher: &Publisher,
        topic: &TopicName,
        key: &str,
        event: u64,
        now: Instant,
    ) -> Claim {
        let name = (publisher.clone(), topic.clone(), key.to_owned());
        let (sender, receiver) = watch::channel(None);
        if self.window.is_zero() || self.max_keys == 0 || self.max_per_publisher == 0 {
            return Claim::First(Pending {
                keys: None,
                sender,
                serial: 0,
                name,
            });
        }
        let mut store = self
            .store
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        store.forget_expired(now, self.window);
        if let Some(entry) = store.entries.get(&name) {
            if entry.event != event {
                return Claim::Reused;
            }
            return match *entry.result.borrow() {
                Some(id) => Claim::Done(id),
                None => Claim::Wait(entry.result.clone()),
            };
        }
        // The publisher's own oldest go first, then the oldest of all.
        store.make_room(publisher, self.max_per_publisher);
        // All full: the largest share gives up its oldest, so that a publisher with many
        // keys cannot push out those of one with few.
        while store.entries.len() >= self.max_keys {
            let largest = store
                .publishers
                .iter()
                .max_by_key(|(_, share)| share.live)
                .map(|(publisher, share)| (publisher.clone(), share.live));
            let Some((largest, live)) = largest else {
                break;
            };
            store.make_room(&largest, live);
        }
        if store.order.len() > 2 * self.max_keys {
            // Places of entries removed otherwise: drop them.
            let Store { order, entries, .. } = &mut *store;
            order.retain(|(_, serial, name)| {
                entries
                    .get(name)
                    .is_some_and(|entry| entry.serial == *serial)
            });
        }
        let serial = store.next_serial;
        store.next_serial += 1;
        store.order.push_back((now, serial, name.clone()));
        let store = &mut *store;
        let share = store.publishers.entry(publisher.clone()).or_default();
        share.live += 1;
        share.order.push_back((serial, name.clone()));
        if share.order.len() > 2 * self.max_per_publisher {
            // Places of entries removed otherwise (expired, failed, forgotten): drop them.
            let entries = &store.entries;
            share.order.retain(|(serial, name)| {
                entries
                    .get(name)
                    .is_some_and(|entry| entry.serial == *serial)
            });
        }
        store.entries.insert(
            name.clone(),
            Entry {
                serial,
                event,
                result: receiver,
            },
        );
        Claim::First(Pending {
            keys: Some(self.clone()),
            sender,
            serial,
            name,
        })
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.store
            .lock()
            .map(|store| store.entries.len())
            .unwrap_or(0)
    }
}

impl Store {
    fn forget_expired(&mut self, now: Instant, window: Duration) {
        while let Some((made, _, _)) = self.order.front() {
            if now.saturating_duration_since(*made) < window {
                break;
            }
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) {
        if let Some((_, serial, name)) = self.order.pop_front() {
            self.remove(&name, serial);
        }
    }

    /// Forgets `publisher`'s oldest keys until it has fewer than `max`.
    fn make_room(&mut self, publisher: &Publisher, max: usize) {
        loop {
            let Some(share) = self.publishers.get_mut(publisher) else {
                return;
            };
            if share.live < max {
                return;
            }
            let Some((serial, name)) = share.order.pop_front() else {
                return;
            };
            self.remove(&name, serial);
        }
    }

    /// Removes the entry `name` if it is still the one numbered `serial`.
    fn remove(&mut self, name: &Name, serial: u64) {
        if self
            .entries
            .get(name)
            .is_none_or(|entry| entry.serial != serial)
        {
            return;
        }
        self.entries.remove(name);
        if let Some(share) = self.publishers.get_mut(&name.0) {
            share.live = share.live.saturating_sub(1);
            if share.live == 0 {
                self.publishers.remove(&name.0);
            }
        }
    }
}

/// The first claim on a key: [`complete`](Self::complete) it with the id; dropped without
/// that (the publish failed), the key is released and waiting repeats claim it again.
pub(crate) struct Pending {
    keys: Option<std::sync::Arc<IdempotencyKeys>>,
    sender: watch::Sender<Option<EventId>>,
    serial: u64,
    name: Name,
}

impl Pending {
    /// The publish succeeded with `id`: repeats answer it.
    pub(crate) fn complete(self, id: EventId) {
        self.sender.send_replace(Some(id));
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.sender.borrow().is_some() {
            return;
        }
        if let Some(keys) = &self.keys {
            let mut store = keys
                .store
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            store.remove(&self.name, self.serial);
        }
        // Dropping the sender then wakes the waiters, who claim again.
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn topic() -> TopicName {
        TopicName::new("t").unwrap()
    }

    fn id(seq: u64) -> EventId {
        EventId::new(1, seq)
    }

    #[test]
    fn a_repeat_answers_the_first_id_until_the_window_ends() {
        let keys = Arc::new(IdempotencyKeys::new(Duration::from_secs(60), 10, 10));
        let start = Instant::now();
        let Claim::First(pending) = keys.claim_at(&None, &topic(), "k", 0, start) else {
            panic!("a new key")
        };
        pending.complete(id(7));
        let later = start + Duration::from_secs(59);
        assert!(
            matches!(keys.claim_at(&None, &topic(), "k", 0, later), Claim::Done(found) if found == id(7))
        );
        let other = TopicName::new("other").unwrap();
        assert!(
            matches!(keys.claim_at(&None, &other, "k", 0, later), Claim::First(_)),
            "per topic"
        );
        let expired = start + Duration::from_secs(60);
        assert!(matches!(
            keys.claim_at(&None, &topic(), "k", 0, expired),
            Claim::First(_)
        ));
    }

    #[test]
    fn the_oldest_key_is_forgotten_first_and_memory_stays_bounded() {
        let keys = Arc::new(IdempotencyKeys::new(Duration::from_secs(60), 3, 3));
        let now = Instant::now();
        for n in 0..5u64 {
            match keys.claim_at(&None, &topic(), &n.to_string(), 0, now) {
                Claim::First(pending) => pending.complete(id(n)),
                _ => panic!("a new key"),
            }
        }
        assert_eq!(keys.len(), 3);
        assert!(
            matches!(keys.claim_at(&None, &topic(), "4", 0, now), Claim::Done(found) if found == id(4))
        );
        assert!(matches!(
            keys.claim_at(&None, &topic(), "0", 0, now),
            Claim::First(_)
        ));
    }

    #[tokio::test]
    async fn a_concurrent_repeat_waits_for_the_first() {
        let keys = Arc::new(IdempotencyKeys::new(Duration::from_secs(60), 10, 10));
        let Claim::First(pending) = keys.claim(&None, &topic(), "k", 0) else {
            panic!("a new key")
        };
        let Claim::Wait(mut waiting) = keys.claim(&None, &topic(), "k", 0) else {
            panic!("under way")
        };
        pending.complete(id(3));
        let done = waiting.wait_for(Option::is_some).await.map(|id| *id);
        assert_eq!(done.ok().flatten(), Some(id(3)));
    }

    #[tokio::test]
    async fn a_failed_first_publish_releases_the_key() {
        let keys = Arc::new(IdempotencyKeys::new(Duration::from_secs(60), 10, 10));
        let Claim::First(pending) = keys.claim(&None, &topic(), "k", 0) else {
            panic!("a new key")
        };
        let Claim::Wait(mut waiting) = keys.claim(&None, &topic(), "k", 0) else {
            panic!("under way")
        };
        drop(pending);
        assert!(waiting.wait_for(Option::is_some).await.is_err());
        assert!(matches!(
            keys.claim(&None, &topic(), "k", 0),
            Claim::First(_)
        ));
    }

    /// One publisher sending many keys forgets its own oldest, never another's: a retry
    /// of the other's publish still answers its first id.
    #[test]
    fn a_publisher_cannot_flush_another_publishers_keys() {
        let keys = Arc::new(IdempotencyKeys::new(Duration::from_secs(60), 100, 10));
        let now = Instant::now();
        let (alice, mallory): (Publisher, Publisher) =
            (Some("alice".into()), Some("mallory".into()));
        let claim = |publisher: &Publisher, key: &str, seq| match keys.claim_at(
            publisher,
            &topic(),
            key,
            0,
            now,
        ) {
            Claim::First(pending) => pending.complete(id(seq)),
            _ => panic!("a new key"),
        };
        claim(&alice, "order-1", 1);
        for n in 0..1_000 {
            claim(&mallory, &format!("flood-{n}"), 100 + n);
        }
        assert!(
            matches!(keys.claim_at(&alice, &topic(), "order-1", 0, now), Claim::Done(found) if found == id(1)),
            "alice's key survives mallory's flood"
        );
        assert_eq!(keys.len(), 11, "mallory keeps 10, its newest");
        assert!(
            matches!(
                keys.claim_at(&mallory, &topic(), "flood-989", 0, now),
                Claim::First(_)
            ),
            "mallory's own oldest went first"
        );
        assert!(matches!(
            keys.claim_at(&mallory, &topic(), "flood-999", 0, now),
            Claim::Done(found) if found == id(1099)
        ));
        // Keys are the publisher's: the same key from another publisher is another key.
        assert!(matches!(
            keys.claim_at(&mallory, &topic(), "order-1", 0, now),
            Claim::First(_)
        ));
        // The total still bounds everything: publishers' shares within it.
        for n in 0..200u64 {
            let publisher: Publisher = Some(format!("p{n}").into());
            claim(&publisher, "k", n);
        }
        assert!(keys.len() <= 100);
    }

    #[test]
    fn a_zero_window_remembers_nothing() {
        let keys = Arc::new(IdempotencyKeys::new(Duration::ZERO, 10, 10));
        let Claim::First(pending) = keys.claim(&None, &topic(), "k", 0) else {
            panic!("a new key")
        };
        pending.complete(id(1));
        assert!(matches!(
            keys.claim(&None, &topic(), "k", 0),
            Claim::First(_)
        ));
        assert_eq!(keys.len(), 0);
    }

    #[test]
    fn a_key_reused_for_another_event_is_refused() {
        let keys = Arc::new(IdempotencyKeys::new(Duration::from_secs(60), 10, 10));
        let Claim::First(pending) = keys.claim(&None, &topic(), "k", 1) else {
            panic!("a new key")
        };
        assert!(
            matches!(keys.claim(&None, &topic(), "k", 2), Claim::Reused),
            "under way"
        );
        pending.complete(id(1));
        assert!(
            matches!(keys.claim(&None, &topic(), "k", 2), Claim::Reused),
            "done"
        );
        assert!(
            matches!(keys.claim(&None, &topic(), "k", 1), Claim::Done(found) if found == id(1))
        );
    }
}
