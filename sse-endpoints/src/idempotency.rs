//! Idempotency keys for the ready-made publish endpoint: a publisher that retries a publish
//! (its client gave up, the connection broke) with the same key gets the first publish's
//! id back, and nothing is published twice.
//!
//! **What to know first.**
//!
//! - **A key is remembered for a window** (default [`DEFAULT_WINDOW`], 5 minutes) from its
//!   first use, and at most [`DEFAULT_MAX_KEYS`] keys (10,000) are kept: past that, the
//!   oldest is forgotten first. A repeat after its key was forgotten publishes again.
//! - **A key is scoped to its topic**: the same key on two topics is two keys.
//! - **The keys are the hub's**: every `HubEndpoints` over one [`Hub`](sse_core::Hub) shares
//!   them (actix-web builds one per worker), and the window and size of the first to
//!   receive a key apply.
//! - **A key names one request**: a repeat whose topic is the same but whose event differs
//!   (its data, name or `retry`) is a mistake in the publisher (a key reused for another
//!   event), answered 422 `idempotency_key_reused` and published nothing, rather than the
//!   first id for an event that was never sent.
//! - **Concurrent repeats wait** for the first publish with that key and answer its id; if
//!   the first fails, the key is released and one of them publishes in its place.
//! - **Per process.** The store is in memory, in each instance. With several instances on
//!   one backend (`sse-redis`), a repeat that reaches another instance publishes again: a
//!   publisher should retry against the same instance, or an application that needs the
//!   guarantee across instances should keep its own key store in front of the hub.
//!
//! The endpoint takes the key from the publish body's `"idempotency_key"` field, or from an
//! [`Idempotency-Key`](HEADER) header the adapter passes in (the body's field wins); it is
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
pub const HEADER: &str = "idempotency-key";

/// The longest key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 128;

/// How long a key is remembered by default: 5 minutes.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(5 * 60);

/// How many keys are remembered by default: 10,000.
pub const DEFAULT_MAX_KEYS: usize = 10_000;

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
    store: Mutex<Store>,
}

#[derive(Default)]
struct Store {
    entries: HashMap<(TopicName, String), Entry>,
    /// Every entry's key, oldest first, with when it was made and its serial number (an
    /// entry removed and made again has a new one, so its old place here is skipped).
    order: VecDeque<(Instant, u64, (TopicName, String))>,
    next_serial: u64,
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
            .finish_non_exhaustive()
    }
}

impl IdempotencyKeys {
    /// A store remembering at most `max_keys` keys for `window` each; with either zero,
    /// nothing is remembered.
    pub(crate) fn new(window: Duration, max_keys: usize) -> Self {
        IdempotencyKeys {
            window,
            max_keys,
            store: Mutex::new(Store::default()),
        }
    }

    /// Claims `key` on `topic` now, for the event whose hash is `event`.
    pub(crate) fn claim(
        self: &std::sync::Arc<Self>,
        topic: &TopicName,
        key: &str,
        event: u64,
    ) -> Claim {
        self.claim_at(topic, key, event, Instant::now())
    }

    fn claim_at(
        self: &std::sync::Arc<Self>,
        topic: &TopicName,
        key: &str,
        event: u64,
        now: Instant,
    ) -> Claim {
        let (sender, receiver) = watch::channel(None);
        if self.window.is_zero() || self.max_keys == 0 {
            return Claim::First(Pending {
                keys: None,
                sender,
                serial: 0,
                name: (topic.clone(), key.to_owned()),
            });
        }
        let mut store = self
            .store
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        store.forget_expired(now, self.window);
        let name = (topic.clone(), key.to_owned());
        if let Some(entry) = store.entries.get(&name) {
            if entry.event != event {
                return Claim::Reused;
            }
            return match *entry.result.borrow() {
                Some(id) => Claim::Done(id),
                None => Claim::Wait(entry.result.clone()),
            };
        }
        while store.order.len() >= self.max_keys {
            store.forget_oldest();
        }
        let serial = store.next_serial;
        store.next_serial += 1;
        store.order.push_back((now, serial, name.clone()));
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
        if let Some((_, serial, name)) = self.order.pop_front()
            && self
                .entries
                .get(&name)
                .is_some_and(|entry| entry.serial == serial)
        {
            self.entries.remove(&name);
        }
    }
}

/// The first claim on a key: [`complete`](Self::complete) it with the id; dropped without
/// that (the publish failed), the key is released and waiting repeats claim it again.
pub(crate) struct Pending {
    keys: Option<std::sync::Arc<IdempotencyKeys>>,
    sender: watch::Sender<Option<EventId>>,
    serial: u64,
    name: (TopicName, String),
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
            if store
                .entries
                .get(&self.name)
                .is_some_and(|entry| entry.serial == self.serial)
            {
                store.entries.remove(&self.name);
            }
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
        let keys = Arc::new(IdempotencyKeys::new(Duration::from_secs(60), 10));
        let start = Instant::now();
        let Claim::First(pending) = keys.claim_at(&topic(), "k", 0, start) else {
            panic!("a new key")
        };
        pending.complete(id(7));
        let later = start + Duration::from_secs(59);
        assert!(
            matches!(keys.claim_at(&topic(), "k", 0, later), Claim::Done(found) if found == id(7))
        );
        let other = TopicName::new("other").unwrap();
        assert!(
            matches!(keys.claim_at(&other, "k", 0, later), Claim::First(_)),
            "per topic"
        );
        let expired = start + Duration::from_secs(60);
        assert!(matches!(
            keys.claim_at(&topic(), "k", 0, expired),
            Claim::First(_)
        ));
    }

    #[test]
    fn the_oldest_key_is_forgotten_first_and_memory_stays_bounded() {
        let keys = Arc::new(IdempotencyKeys::new(Duration::from_secs(60), 3));
        let now = Instant::now();
        for n in 0..5u64 {
            match keys.claim_at(&topic(), &n.to_string(), 0, now) {
                Claim::First(pending) => pending.complete(id(n)),
                _ => panic!("a new key"),
            }
        }
        assert_eq!(keys.len(), 3);
        assert!(
            matches!(keys.claim_at(&topic(), "4", 0, now), Claim::Done(found) if found == id(4))
        );
        assert!(matches!(
            keys.claim_at(&topic(), "0", 0, now),
            Claim::First(_)
        ));
    }

    #[tokio::test]
    async fn a_concurrent_repeat_waits_for_the_first() {
        let keys = Arc::new(IdempotencyKeys::new(Duration::from_secs(60), 10));
        let Claim::First(pending) = keys.claim(&topic(), "k", 0) else {
            panic!("a new key")
        };
        let Claim::Wait(mut waiting) = keys.claim(&topic(), "k", 0) else {
            panic!("under way")
        };
        pending.complete(id(3));
        let done = waiting.wait_for(Option::is_some).await.map(|id| *id);
        assert_eq!(done.ok().flatten(), Some(id(3)));
    }

    #[tokio::test]
    async fn a_failed_first_publish_releases_the_key() {
        let keys = Arc::new(IdempotencyKeys::new(Duration::from_secs(60), 10));
        let Claim::First(pending) = keys.claim(&topic(), "k", 0) else {
            panic!("a new key")
        };
        let Claim::Wait(mut waiting) = keys.claim(&topic(), "k", 0) else {
            panic!("under way")
        };
        drop(pending);
        assert!(waiting.wait_for(Option::is_some).await.is_err());
        assert!(matches!(keys.claim(&topic(), "k", 0), Claim::First(_)));
    }

    #[test]
    fn a_zero_window_remembers_nothing() {
        let keys = Arc::new(IdempotencyKeys::new(Duration::ZERO, 10));
        let Claim::First(pending) = keys.claim(&topic(), "k", 0) else {
            panic!("a new key")
        };
        pending.complete(id(1));
        assert!(matches!(keys.claim(&topic(), "k", 0), Claim::First(_)));
        assert_eq!(keys.len(), 0);
    }

    #[test]
    fn a_key_reused_for_another_event_is_refused() {
        let keys = Arc::new(IdempotencyKeys::new(Duration::from_secs(60), 10));
        let Claim::First(pending) = keys.claim(&topic(), "k", 1) else {
            panic!("a new key")
        };
        assert!(
            matches!(keys.claim(&topic(), "k", 2), Claim::Reused),
            "under way"
        );
        pending.complete(id(1));
        assert!(
            matches!(keys.claim(&topic(), "k", 2), Claim::Reused),
            "done"
        );
        assert!(matches!(keys.claim(&topic(), "k", 1), Claim::Done(found) if found == id(1)));
    }
}
