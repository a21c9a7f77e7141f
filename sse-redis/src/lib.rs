//! The [`sse_core::Hub`] across many server instances, on Redis.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use sse_core::Hub;
//!
//! // Every instance connects to the same Redis; the hub is then used exactly as the
//! // in-memory one, by the same adapters and routes.
//! let hub = sse_redis::connect("redis://127.0.0.1:6379", Hub::builder()).await?;
//! # drop(hub);
//! # Ok(())
//! # }
//! ```
//!
//! # What to know first
//!
//! - **An event published on any instance reaches subscribers on every instance**, in the
//!   same order everywhere, with the same id. Each instance reads each event from Redis
//!   once (not once per subscriber) and fans it out from its own memory, with the same
//!   rings, lag policy, coalescing, limits and shutdown as the in-memory hub.
//! - **Ids are `<epoch>-<sequence>`**, like the in-memory hub's, but both parts are
//!   Redis's: the sequence number is one counter for every topic, kept in Redis, so an id
//!   means the same event on every instance and a `Last-Event-ID` from one instance resumes
//!   on any other, for single- and multi-topic subscriptions alike. The epoch is drawn when
//!   Redis has none: the first time, and again whenever Redis has lost its data (a restart
//!   without persistence, a flush, a failover to an empty replica). Live subscribers are
//!   then told with a `missed` event (reason `reset`) and go on with the new epoch's
//!   events; an id from before is answered with `missed` (reason `unknown`), never applied
//!   to the wrong events. The same when Redis **goes back in time** (restarted from an
//!   older snapshot, or a replica that lagged took over): its sequence number goes back
//!   under the same epoch, so its next ids were already given to other events; the
//!   publishing instance (its sequence number is behind the newest id it has seen) or the
//!   reading one (the log's entry at the id it read last is another event, or is gone)
//!   starts a new epoch.
//! - **Resuming** reads the instance's memory when it reaches back far enough and Redis's
//!   per-topic history when it does not, exactly once and in order, then live events. What
//!   Redis has trimmed, or lost otherwise (a topic's stream evicted under `maxmemory`,
//!   deleted, expired), is announced with `missed` (reason `expired`), never skipped: an
//!   index of each topic's last event tells a topic that had none in the range from one
//!   whose history is gone.
//! - **Publishing is one round trip** (a Lua script: next id, append to the log and the
//!   topic), pipelined with every other publish in flight on the instance's connection. It
//!   fails fast when Redis is away ([`HubError::Backend`](sse_core::HubError::Backend),
//!   which the adapters answer with 503 `backend_unavailable`), after at most
//!   [`Options::timeout`]; at most [`MAX_IN_FLIGHT`] requests are in flight, so nothing
//!   queues without bound while Redis is slow.
//! - **Redis away**: live streams stay open; publishing fails; when Redis is back, each
//!   instance reads on from the last event it had, so nothing Redis still holds is lost or
//!   delivered twice.
//! - **Redis memory is bounded** by the configuration: the log is trimmed to about
//!   [`Options::log_len`] events, each topic to about [`Options::history`] (`MAXLEN ~`:
//!   Redis trims whole nodes, so a little more is kept), at most [`Options::max_topics`]
//!   topics keep a history (the least recently published lose theirs first), and a topic
//!   nobody publishes to expires after [`Options::topic_ttl`], with its history. See
//!   [Redis memory](#redis-memory) for what `maxmemory` to give it.
//!
//! The keys are listed in [`Options::prefix`]'s docs.
//!
//! # Redis memory
//!
//! With `B` the typical encoded event (its data, name and fields, in bytes) and `T` the
//! typical topic name, what the hub keeps in Redis is at most about
//!
//! ```text
//!   log_len × (B + T + 100)                          the log every instance reads
//! + max_topics × (min(history + 100, E) × (B + 50)   the topics' histories (E: events a
//!                 + 2 × T + 400)                     topic gets within topic_ttl), their
//!                                                    keys, and the `recent` set
//! + min(log_len, topics) × (T + 60)                  the index of topics
//! + idempotency keys: publishes with a key per second × window in seconds × (T + key + 150)
//! ```
//!
//! (`+ 100` events per stream: `MAXLEN ~` trims whole nodes of up to
//! `stream-node-max-entries`, 100 by default.) Set `maxmemory` to that plus a quarter
//! (the allocator rounds up: measured on Redis 7, an event of 10 KB takes about 13 KB in
//! the log and 13 KB in its topic's history), plus Redis's own few MB. For example 100,000
//! topics of 3 events of 10 KB, with the defaults (`max_topics` 10,000, `log_len`
//! 100,000): about 1.3 GB for the log and 0.4 GB for the histories, where without a cap
//! the histories alone took 3.9 GB. The test `tests/memory.rs` measures it on a real
//! Redis (200 topics, a cap of 50: 50 histories of 1.9 MB in all, not 200 of 7.8 MB).
//!
//! **`maxmemory-policy`**: the topics' histories and the idempotency keys carry an expiry;
//! the epoch, the sequence number, the log, the index and `recent` do not. So
//!
//! - `volatile-lru` (or `volatile-ttl`) is the safety net: if the formula was wrong, Redis
//!   evicts the least recently used histories, which resumes report as `missed`
//!   (`expired`), and never the keys ids depend on. Publishing goes on. An evicted
//!   idempotency key can let a retry publish again, as after its window.
//! - `noeviction` fails every write once `maxmemory` is reached: every publish on every
//!   instance answers 503 `backend_unavailable` until memory is freed (a `CONFIG SET
//!   maxmemory` higher, keys expiring); nothing is lost silently, and it recovers by
//!   itself, without restarting any instance. Choose it when losing history is worse
//!   than refusing publishes, with `maxmemory` above the formula.
//! - not `allkeys-*`: evicting the epoch or the log is a reset for every subscriber.
//!
//! # Features
//!
//! - `tls` (off by default): `rediss://` URLs, through [rustls] (no OpenSSL, nothing to link).
//!   The server's certificate is checked against the system's trust store (read with
//!   `rustls-native-certs`) and the host name in the URL:
//!   `rediss://[[user]:password@]host[:port][/db]`. Without the feature a `rediss://` URL is
//!   refused as [`Error::InvalidUrl`]. rustls' crypto is ring's: if the app has not
//!   installed a process-wide `rustls::crypto::CryptoProvider` before [`connect`], sse-redis
//!   installs ring's (an app that installed its own keeps it).
//! - `tls-webpki-roots`: `tls` trusting Mozilla's root certificates built into the binary
//!   (`webpki-roots`) instead of the system's store, for images that have none.
//! - `tls-insecure`: `tls`, and a URL ending in `#insecure`
//!   (`rediss://host:6380/#insecure`) skips the certificate check altogether: only for test
//!   servers with a self-signed certificate. Without this feature such a URL is refused,
//!   with an error saying so, instead of connecting unchecked.
//! - `metrics`: the hub's metrics (`sse-core`'s feature `metrics`, where
//!   `sse_publish_duration_seconds` is the round trip of a publish to Redis) and the
//!   backend's own, below. Install the recorder before [`connect`].
//!
//! | name | kind | what it counts |
//! |---|---|---|
//! | `sse_redis_errors_total` | counter | failed or timed-out Redis calls, by `op`: `publish`, `history` (a resume's read), `read` (the event log reader lost Redis), `remove` (`Hub::remove_topic`) |
//! | `sse_redis_reconnects_total` | counter | times the event log reader got Redis back after losing it |
//! | `sse_redis_epoch_resets_total` | counter | times Redis was found to have lost its data (a new epoch) |
//!
//! [rustls]: https://docs.rs/rustls

#![cfg_attr(docsrs, feature(doc_cfg))]

mod backend;
mod error;
mod keys;
mod metrics;
mod reader;

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sse_core::Hub;
use sse_core::hub::HubBuilder;

pub use error::Error;

use backend::{RedisBackend, Seen};
use keys::Keys;
use metrics::RedisMetrics;

/// The most requests in flight on an instance's Redis connection; more wait for a slot,
/// within [`Options::timeout`], so nothing queues without bound while Redis is slow.
pub const MAX_IN_FLIGHT: usize = 1024;

/// Settings of the Redis side: key prefix, trimming, expiry, timeouts.
///
/// ```
/// use std::time::Duration;
/// let options = sse_redis::Options::new()
///     .prefix("myapp:sse")
///     .history(4096)
///     .topic_ttl(Duration::from_secs(3600));
/// # drop(options);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Options {
    prefix: String,
    history: usize,
    log_len: usize,
    topic_ttl: Duration,
    max_topics: usize,
    timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            prefix: "sse".into(),
            history: 1024,
            log_len: 100_000,
            topic_ttl: Duration::from_secs(24 * 3600),
            max_topics: 10_000,
            timeout: Duration::from_secs(2),
        }
    }
}

impl Options {
    /// The defaults: prefix `sse`, 1024 events of history per topic, a log of 100,000
    /// events, topics expiring after a day without a publish, the histories of at most
    /// 10,000 topics, a 2 s timeout.
    pub fn new() -> Self {
        Options::default()
    }

    /// The key prefix (default `sse`); hubs with different prefixes on one Redis are
    /// separate. The keys are `<prefix>:epoch` (the epoch), `<prefix>:seq` (the last
    /// sequence number), `<prefix>:log` (every event, a stream), `<prefix>:topics` (each
    /// topic's last sequence number, a sorted set about as long as the topics published to
    /// within the log), `<prefix>:recent` (the topics that have a history, by last publish,
    /// a sorted set of at most [`max_topics`](Self::max_topics)), `<prefix>:t:<topic>`
    /// (each topic's history, a stream) and `<prefix>:idem:...` (idempotency keys, each
    /// expiring after its window).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Events kept in Redis per topic for resuming (default 1024, approximately).
    pub fn history(mut self, events: usize) -> Self {
        self.history = events.max(1);
        self
    }

    /// Events kept in the log every instance reads (default 100,000, approximately): how
    /// far behind an instance may fall, while Redis or the instance is away, and still read
    /// every event.
    pub fn log_len(mut self, events: usize) -> Self {
        self.log_len = events.max(1);
        self
    }

    /// How long a topic nobody publishes to is kept (default a day), with its history.
    pub fn topic_ttl(mut self, ttl: Duration) -> Self {
        self.topic_ttl = ttl.max(Duration::from_secs(1));
        self
    }

    /// The most topics whose history Redis keeps (default 10,000): beyond it, each publish
    /// deletes the history of the topics published to least recently, so that what Redis
    /// holds is bounded by the configuration, not by how many topics the app uses (see
    /// [Redis memory](crate#redis-memory)). A resume into a topic trimmed this way is told
    /// `missed` (reason `expired`), as for one that expired after
    /// [`topic_ttl`](Self::topic_ttl). Live subscribers are not affected: they get every
    /// event from the log. `usize::MAX` for no cap.
    pub fn max_topics(mut self, topics: usize) -> Self {
        self.max_topics = topics.max(1);
        self
    }

    /// How long a publish or a history read may take before it fails (default 2 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// Connects to Redis at `url` and builds the hub on it with the default [`Options`]. Call
/// it inside a tokio runtime; it starts the instance's reader task.
///
/// `url` is `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS (feature
/// `tls`; see [Features](crate#features)).
pub async fn connect(url: &str, hub: HubBuilder) -> Result<Hub, Error> {
    connect_with(url, hub, Options::default()).await
}

/// Gives rustls its process-wide crypto provider, ring's, unless the app installed one: with
/// more than one provider compiled in (ring here, aws-lc-rs from another crate), rustls
/// could not pick one by itself and would panic at the first TLS connection.
#[cfg(feature = "tls")]
fn use_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Err: another thread installed one first, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// [`connect`], with [`Options`].
pub async fn connect_with(url: &str, hub: HubBuilder, options: Options) -> Result<Hub, Error> {
    #[cfg(feature = "tls")]
    if url.starts_with("rediss:") {
        use_crypto_provider();
    }
    let client = redis::Client::open(url).map_err(Error::InvalidUrl)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(options.timeout))
        .set_response_timeout(Some(options.timeout))
        // Publishes beyond this wait for a slot (within the timeout) instead of queueing
        // without bound while Redis is slow.
        .set_concurrency_limit(MAX_IN_FLIGHT)
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_secs(1));
    let mut connection = ConnectionManager::new_with_config(client.clone(), config)
        .await
        .map_err(Error::from_connect)?;
    let keys = Keys::new(&options.prefix);
    let epoch = reader::current_epoch(&mut connection, &keys)
        .await
        .map_err(Error::from_connect)?;
    let head: Option<u64> = redis::cmd("GET")
        .arg(&keys.seq)
        .query_async(&mut connection)
        .await
        .map_err(Error::from_connect)?;
    let head = head.unwrap_or(0);
    let metrics = RedisMetrics::register();
    let seen = Arc::new(Seen::new(epoch, head));
    let backend = Arc::new(RedisBackend::new(
        connection,
        keys.clone(),
        options,
        metrics.clone(),
        seen.clone(),
    ));
    let mut feed = None;
    let hub = hub.build_with_backend(epoch, head, |handle| {
        feed = Some(handle);
        backend
    });
    if let Some(feed) = feed {
        let reader = reader::Reader::new(keys, feed, epoch, head, metrics, seen);
        tokio::spawn(reader.run(client));
    }
    tracing::info!(epoch = format_args!("{epoch:08x}"), head, "hub on Redis");
    Ok(hub)
}
