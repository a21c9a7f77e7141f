//! The reader: one task per instance that reads every event from the log once, in order,
//! and hands it to the hub; it reconnects with backoff and resumes where it was.

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, Value};
use sse_core::hub::backend::{Feed, random_epoch};

use crate::backend::{Seen, field, parse_epoch, stream_entries};
use crate::keys::Keys;
use crate::metrics::{Op, RedisMetrics};

/// How long one `XREAD` waits for new events; also how soon a flushed Redis is noticed
/// while idle.
const BLOCK: Duration = Duration::from_secs(1);
/// Events read per round trip.
const BATCH: usize = 512;
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The reader's state: where it is in the log, across reconnects.
pub(crate) struct Reader {
    keys: Keys,
    feed: Feed,
    epoch: u32,
    /// The sequence number of the last log entry read (or the head when it started).
    position: u64,
    /// A hash of the last log entry read, to tell after a reconnect whether the log still
    /// holds that event under that id (`None` until one is read).
    fingerprint: Option<u64>,
    metrics: RedisMetrics,
    seen: Arc<Seen>,
}

impl Reader {
    pub(crate) fn new(
        keys: Keys,
        feed: Feed,
        epoch: u32,
        position: u64,
        metrics: RedisMetrics,
        seen: Arc<Seen>,
    ) -> Reader {
        Reader {
            keys,
            feed,
            epoch,
            position,
            fingerprint: None,
            metrics,
            seen,
        }
    }

    /// Reads from after `position` in `epoch` until the hub is gone or shut down.
    pub(crate) async fn run(mut self, client: Client) {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(BLOCK + Duration::from_secs(2)));
        let mut backoff = MIN_BACKOFF;
        let mut failing = false;
        while self.feed.epoch().is_some() {
            let result = async {
                let mut connection = client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await?;
                if failing {
                    tracing::info!(
                        "Redis is back; reading the event log from where this instance was"
                    );
                    self.metrics.reconnected();
                    failing = false;
                }
                backoff = MIN_BACKOFF;
                self.check_continuity(&mut connection).await?;
                self.read(&mut connection).await
            }
            .await;
            match result {
                Ok(()) => return, // the hub is gone
                Err(error) => {
                    self.metrics.error(Op::Read);
                    if !failing {
                        tracing::warn!(%error, "lost Redis; live streams go on, publishing fails until it is back");
                        failing = true;
                    } else {
                        tracing::debug!(%error, ?backoff, "Redis still unavailable");
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// On a new connection: whether Redis went back in time while this instance was away
    /// from it (restarted from an older snapshot, a replica that lagged took over), under
    /// the same epoch: its sequence number is behind what this instance read, or the log's
    /// entry at the id read last is another event, or is gone while older ones are there.
    /// The ids after its sequence number then name other events than the ones this
    /// instance delivered, so it starts a new epoch (unless another instance did first),
    /// which the read loop then resets the hub to.
    async fn check_continuity(
        &mut self,
        connection: &mut MultiplexedConnection,
    ) -> redis::RedisResult<()> {
        if self.position == 0 {
            return Ok(());
        }
        let at = format!("{}-0", self.position);
        let (epoch, seq, entry, oldest): (Option<String>, Option<u64>, Value, Value) =
            redis::pipe()
                .cmd("GET")
                .arg(&self.keys.epoch)
                .cmd("GET")
                .arg(&self.keys.seq)
                .cmd("XRANGE")
                .arg(&self.keys.log)
                .arg(&at)
                .arg(&at)
                .cmd("XRANGE")
                .arg(&self.keys.log)
                .arg("-")
                .arg("+")
                .arg("COUNT")
                .arg(1)
                .query_async(connection)
                .await?;
        if epoch.as_deref().and_then(parse_epoch) != Some(self.epoch) {
            return Ok(()); // a new epoch (or none): the read loop resets to it
        }
        let seq = seq.unwrap_or(0);
        let entry = stream_entries(&entry).into_iter().next();
        let oldest = stream_entries(&oldest)
            .into_iter()
            .next()
            .map(|(seq, _)| seq);
        let back = if seq < self.position {
            Some("its sequence number is behind the last event read")
        } else {
            match (entry, self.fingerprint) {
                (Some((_, fields)), Some(known)) if fingerprint(&fields) != known => {
                    Some("the log holds another event under the id read last")
                }
                (None, Some(_)) if oldest.is_some_and(|oldest| oldest < self.position) => {
                    Some("the log lost the event read last but holds older ones")
                }
                _ => None,
            }
        };
        let Some(why) = back else {
            return Ok(());
        };
        tracing::warn!(
            epoch = format_args!("{:08x}", self.epoch),
            read_through = self.position,
            redis_seq = seq,
            why,
            "Redis went back in time (restored from an older snapshot, or a replica that \
             lagged took over): a new epoch, so that no id names two events"
        );
        let _: String = redis::Script::new(NEW_EPOCH_IF)
            .key(&self.keys.epoch)
            .key(&self.keys.seq)
            .key(&self.keys.log)
            .key(&self.keys.index)
            .arg(format!("{:08x}", self.epoch))
            .arg(format!("{:08x}", random_epoch()))
            .invoke_async(connection)
            .await?;
        Ok(())
    }

    /// The read loop on one connection: returns `Ok` when the hub is gone, `Err` when Redis
    /// is.
    async fn read(&mut self, connection: &mut MultiplexedConnection) -> redis::RedisResult<()> {
        let (keys, feed, metrics) = (&self.keys, &self.feed, &self.metrics);
        loop {
            let current = current_epoch(connection, keys).await?;
            if current != self.epoch {
                // Redis lost its data (a restart without persistence, a flush, a failover
                // to an empty replica), or went back in time: everything starts again
                // under the new epoch.
                self.epoch = current;
                self.position = 0;
                self.fingerprint = None;
                metrics.epoch_reset();
                feed.reset(current);
                self.seen.saw(current, 0);
            }
            let reply: Value = redis::cmd("XREAD")
                .arg("COUNT")
                .arg(BATCH)
                .arg("BLOCK")
                .arg(BLOCK.as_millis() as u64)
                .arg("STREAMS")
                .arg(&keys.log)
                .arg(format!("{}-0", self.position))
                .query_async(connection)
                .await?;
            let entries = match &reply {
                Value::Array(streams) => streams
                    .first()
                    .and_then(|stream| match stream {
                        Value::Array(parts) => parts.get(1).map(stream_entries),
                        _ => None,
                    })
                    .unwrap_or_default(),
                Value::Map(streams) => streams
                    .first()
                    .map(|(_, entries)| stream_entries(entries))
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            for (seq, fields) in entries {
                let print = fingerprint(&fields);
                let entry_epoch = field(&fields, b"e")
                    .and_then(|bytes| std::str::from_utf8(&bytes).ok().and_then(parse_epoch));
                let (Some(entry_epoch), Some(topic), Some(body)) =
                    (entry_epoch, field(&fields, b"t"), field(&fields, b"b"))
                else {
                    tracing::warn!(seq, "skipping a malformed entry in the event log");
                    self.position = seq;
                    self.fingerprint = Some(print);
                    continue;
                };
                if entry_epoch != self.epoch {
                    self.epoch = entry_epoch;
                    metrics.epoch_reset();
                    feed.reset(entry_epoch);
                } else if seq > self.position + 1 && self.position > 0 {
                    // The log was trimmed past what this instance had read (it was away
                    // long).
                    tracing::warn!(
                        from = self.position + 1,
                        to = seq - 1,
                        "events trimmed from the log before this instance read them"
                    );
                    feed.lost_through(seq - 1);
                }
                self.position = seq;
                self.fingerprint = Some(print);
                let Ok(topic) = std::str::from_utf8(&topic) else {
                    continue;
                };
                if !feed.event(entry_epoch, seq, topic, &body) {
                    return Ok(());
                }
            }
            self.seen.saw(self.epoch, self.position);
            if feed.epoch().is_none() {
                return Ok(());
            }
        }
    }
}

/// A hash of a log entry's fields (epoch, topic, body, and the publish's nonce): two
/// events given the same id differ in it.
fn fingerprint(fields: &[Value]) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    for value in fields {
        if let Value::BulkString(bytes) = value {
            bytes.hash(&mut hasher);
        }
    }
    hasher.finish()
}

/// Starts a new epoch if Redis still has the one given: Redis went back in time under it.
/// Atomic, so that of several instances noticing it, one starts the new epoch.
///
/// KEYS: epoch, seq, log, index. ARGV: the epoch that went back, the new one.
const NEW_EPOCH_IF: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
end
return redis.call('GET', KEYS[1])
";

/// Starts an epoch if Redis has none (it is new, or lost its data), and returns the one it
/// has, so that readers and publishers agree on it. Atomic: only the caller whose epoch
/// is set clears what an earlier epoch may have left.
const START_EPOCH: &str = r"
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
end
return redis.call('GET', KEYS[1])
";

/// The epoch in Redis (see [`START_EPOCH`]).
pub(crate) async fn current_epoch(
    connection: &mut impl redis::aio::ConnectionLike,
    keys: &Keys,
) -> redis::RedisResult<u32> {
    let epoch: String = redis::Script::new(START_EPOCH)
        .key(&keys.epoch)
        .key(&keys.seq)
        .key(&keys.log)
        .key(&keys.index)
        .arg(format!("{:08x}", random_epoch()))
        .invoke_async(connection)
        .await?;
    parse_epoch(&epoch).ok_or_else(|| {
        redis::RedisError::from((
            redis::ErrorKind::Client,
            "the epoch key does not hold 8 hex digits",
            keys.epoch.clone(),
        ))
    })
}
