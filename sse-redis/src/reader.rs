//! The reader: one task per instance that reads every event from the log once, in order,
//! and hands it to the hub; it reconnects with backoff and resumes where it was.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, Value};
use sse_core::hub::backend::{Feed, random_epoch};

use crate::backend::{field, parse_epoch, stream_entries};
use crate::keys::Keys;
use crate::metrics::{Op, RedisMetrics};

/// How long one `XREAD` waits for new events; also how soon a flushed Redis is noticed
/// while idle.
const BLOCK: Duration = Duration::from_secs(1);
/// Events read per round trip.
const BATCH: usize = 512;
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Reads from after `position` in `epoch` until the hub is gone or shut down.
pub(crate) async fn run(
    client: Client,
    keys: Keys,
    feed: Feed,
    mut epoch: u32,
    mut position: u64,
    metrics: RedisMetrics,
) {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(BLOCK + Duration::from_secs(2)));
    let mut backoff = MIN_BACKOFF;
    let mut failing = false;
    while feed.epoch().is_some() {
        let result = async {
            let mut connection = client
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            if failing {
                tracing::info!("Redis is back; reading the event log from where this instance was");
                metrics.reconnected();
                failing = false;
            }
            backoff = MIN_BACKOFF;
            read(
                &mut connection,
                &keys,
                &feed,
                &mut epoch,
                &mut position,
                &metrics,
            )
            .await
        }
        .await;
        match result {
            Ok(()) => return, // the hub is gone
            Err(error) => {
                metrics.error(Op::Read);
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

/// The read loop on one connection: returns `Ok` when the hub is gone, `Err` when Redis is.
async fn read(
    connection: &mut MultiplexedConnection,
    keys: &Keys,
    feed: &Feed,
    epoch: &mut u32,
    position: &mut u64,
    metrics: &RedisMetrics,
) -> redis::RedisResult<()> {
    loop {
        let current = current_epoch(connection, keys).await?;
        if current != *epoch {
            // Redis lost its data (a restart without persistence, a flush, a failover to
            // an empty replica): everything starts again under the new epoch.
            *epoch = current;
            *position = 0;
            metrics.epoch_reset();
            feed.reset(current);
        }
        let reply: Value = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(BATCH)
            .arg("BLOCK")
            .arg(BLOCK.as_millis() as u64)
            .arg("STREAMS")
            .arg(&keys.log)
            .arg(format!("{}-0", *position))
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
            let entry_epoch = field(&fields, b"e")
                .and_then(|bytes| std::str::from_utf8(&bytes).ok().and_then(parse_epoch));
            let (Some(entry_epoch), Some(topic), Some(body)) =
                (entry_epoch, field(&fields, b"t"), field(&fields, b"b"))
            else {
                tracing::warn!(seq, "skipping a malformed entry in the event log");
                *position = seq;
                continue;
            };
            if entry_epoch != *epoch {
                *epoch = entry_epoch;
                metrics.epoch_reset();
                feed.reset(entry_epoch);
            } else if seq > *position + 1 && *position > 0 {
                // The log was trimmed past what this instance had read (it was away long).
                tracing::warn!(
                    from = *position + 1,
                    to = seq - 1,
                    "events trimmed from the log before this instance read them"
                );
                feed.lost_through(seq - 1);
            }
            let Ok(topic) = std::str::from_utf8(&topic) else {
                *position = seq;
                continue;
            };
            if !feed.event(entry_epoch, seq, topic, &body) {
                return Ok(());
            }
            *position = seq;
        }
        if feed.epoch().is_none() {
            return Ok(());
        }
    }
}

/// Starts an epoch if Redis has none (it is new, or lost its data), and returns the one it
/// has, so that readers and publishers agree on it. Atomic: only the caller whose epoch
/// is set clears what an earlier epoch may have left.
const START_EPOCH: &str = r"
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('DEL', KEYS[2], KEYS[3])
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
