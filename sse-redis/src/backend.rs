//! [`RedisBackend`]: publishing through one Lua script, and reading a topic's history.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use redis::aio::ConnectionManager;
use redis::{Script, Value};
use sse_core::hub::TopicName;
use sse_core::hub::backend::{Backend, BoxFuture, History, IdempotencyKey, random_epoch};
use sse_core::{EventId, HubError};

use crate::Options;
use crate::keys::Keys;
use crate::metrics::{Op, RedisMetrics};

/// Assigns the next sequence number, under the current epoch (starting one if Redis has
/// none: it is new, or it lost its data; or if Redis went back in time), and appends the
/// event to the log and to its topic, trimmed, with the topic's expiry renewed. One round
/// trip, atomic.
///
/// **Back in time**: Redis restarted from an older snapshot, or a replica that lagged was
/// promoted, keeps the epoch but its sequence number goes back, so the ids after it would
/// be given a second time, to other events. The caller says the newest id it has seen; a
/// sequence number behind it under the same epoch starts a new epoch instead, so every id
/// from before is answered with `missed`.
///
/// A topic's stream whose newest entry is of another epoch is that epoch's history, not
/// this one's: it is replaced.
///
/// **The index** (`<prefix>:topics`, a sorted set) keeps each topic's last sequence
/// number, and in the member ` floor` (no topic name has a space) the number up to which
/// it may have forgotten some: topics last published before the log's oldest event are
/// dropped from it now and then, and an index found missing (evicted, deleted) starts
/// again knowing nothing before now. With it a history read can tell, when a topic's
/// stream is gone (evicted, deleted, expired), whether events were lost with it. A stream
/// made anew records, as its highest deleted id, the last event the index says the topic
/// had before (or the floor): what it lost before it was made again.
///
/// **The topic cap** (KEYS[6], `<prefix>:recent`, a sorted set): every topic that has a
/// history stream, by the sequence number of its last publish (so the oldest idle topics
/// come first). When it holds more than [`Options::max_topics`](crate::Options::max_topics)
/// topics, the oldest are popped and their streams deleted (at most 16 per publish, so a
/// cap lowered on a full Redis drains over the next publishes in bounded script time).
/// The index keeps their last sequence numbers, so a resume into one is told `missed`
/// (`expired`), as for a stream that expired. A topic whose stream expired on its own is
/// still a member until it is popped, which it is first, being older than every live one.
///
/// **An idempotency key** (KEYS[7], when given): a key already set answers the id it
/// holds and publishes nothing (3 in place of the id, for another event's hash); else the
/// key is set to the new id and the event's hash, expiring after the key's window. In the
/// same script as the publish, so that a publish that timed out on the caller's side but
/// ran later, and its retry, publish once between them, on any instance.
///
/// KEYS: epoch, seq, log, topic, index, recent, and the idempotency key if any. ARGV: a
/// new epoch in case one is needed, topic, body, log length, topic length, topic TTL in
/// seconds, the newest epoch and sequence number the caller has seen, a random nonce
/// (which tells two events given the same id apart), the topic cap, the prefix of topic
/// keys (the streams of topics trimmed by the cap are named from it: one Redis, not a
/// cluster), and with a key, the event's hash and the window in milliseconds. Returns the epoch, the sequence number, and 1 if a new epoch was started
/// because Redis went back in time, 2 if the key's first id is answered, 3 if the key was
/// used for another event.
const PUBLISH: &str = r"
if KEYS[7] then
  local first = redis.call('GET', KEYS[7])
  if first then
    local e, s, h = string.match(first, '^(%x+) (%d+) (.+)$')
    if h ~= ARGV[12] or not s then
      return {'', 0, 3}
    end
    return {e, tonumber(s), 2}
  end
end
local epoch = redis.call('GET', KEYS[1])
local back = 0
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[5])
elseif epoch == ARGV[7] and tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[8]) then
  epoch = ARGV[1]
  back = 1
  redis.call('SET', KEYS[1], epoch)
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[5])
end
local seq = redis.call('INCR', KEYS[2])
local id = seq .. '-0'
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], id, 'e', epoch, 't', ARGV[2], 'b', ARGV[3], 'n', ARGV[9])
local floor = redis.call('ZSCORE', KEYS[5], ' floor')
if not floor then
  floor = seq - 1
  redis.call('ZADD', KEYS[5], floor, ' floor')
end
local newest = redis.call('XREVRANGE', KEYS[4], '+', '-', 'COUNT', 1)[1]
if newest then
  -- a stream left from an earlier epoch: its newest entry says so, or has a higher id
  local stale = tonumber(string.match(newest[1], '^%d+')) >= seq
  local fields = newest[2]
  for i = 1, #fields - 1, 2 do
    if fields[i] == 'e' and fields[i + 1] ~= epoch then
      stale = true
    end
  end
  if stale then
    redis.call('DEL', KEYS[4])
    newest = nil
  end
end
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[5], id, 'b', ARGV[3], 'e', epoch)
if not newest then
  local lost = tonumber(redis.call('ZSCORE', KEYS[5], ARGV[2]) or floor)
  if lost > 0 then
    redis.call('XSETID', KEYS[4], id, 'MAXDELETEDID', lost .. '-0')
  end
end
redis.call('EXPIRE', KEYS[4], ARGV[6])
redis.call('ZADD', KEYS[5], seq, ARGV[2])
redis.call('ZADD', KEYS[6], seq, ARGV[2])
local over = redis.call('ZCARD', KEYS[6]) - tonumber(ARGV[10])
if over > 0 then
  local oldest = redis.call('ZPOPMIN', KEYS[6], math.min(over, 16))
  for i = 1, #oldest - 1, 2 do
    redis.call('DEL', ARGV[11] .. oldest[i])
  end
end
if seq % 1024 == 0 then
  local oldest = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 1)[1]
  local forget = oldest and (tonumber(string.match(oldest[1], '^%d+')) - 1) or 0
  if forget > tonumber(floor) then
    redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', forget)
    redis.call('ZADD', KEYS[5], forget, ' floor')
  end
end
if KEYS[7] then
  redis.call('SET', KEYS[7], epoch .. ' ' .. seq .. ' ' .. ARGV[12], 'PX', ARGV[13])
end
return {epoch, seq, back}
";

/// The newest id this instance has seen (published, or read from the log): the publish
/// script checks that Redis has not gone back behind it.
#[derive(Debug)]
pub(crate) struct Seen(Mutex<(u32, u64)>);

impl Seen {
    pub(crate) fn new(epoch: u32, seq: u64) -> Seen {
        Seen(Mutex::new((epoch, seq)))
    }

    /// `seq` of `epoch` was published or read: a newer epoch replaces the old one.
    pub(crate) fn saw(&self, epoch: u32, seq: u64) {
        let mut seen = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if seen.0 != epoch {
            *seen = (epoch, seq);
        } else {
            seen.1 = seen.1.max(seq);
        }
    }

    pub(crate) fn get(&self) -> (u32, u64) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A random 64-bit nonce.
pub(crate) fn nonce() -> u64 {
    (u64::from(random_epoch()) << 32) | u64::from(random_epoch())
}

/// The hub's [`Backend`] on Redis.
pub(crate) struct RedisBackend {
    connection: ConnectionManager,
    keys: Keys,
    options: Options,
    publish: Script,
    metrics: RedisMetrics,
    seen: Arc<Seen>,
}

impl RedisBackend {
    pub(crate) fn new(
        connection: ConnectionManager,
        keys: Keys,
        options: Options,
        metrics: RedisMetrics,
        seen: Arc<Seen>,
    ) -> Self {
        RedisBackend {
            connection,
            keys,
            options,
            publish: Script::new(PUBLISH),
            metrics,
            seen,
        }
    }

    async fn publish_now(
        &self,
        topic: &TopicName,
        key: Option<IdempotencyKey<'_>>,
        body: Bytes,
    ) -> Result<EventId, HubError> {
        let mut connection = self.connection.clone();
        let (seen_epoch, seen_seq) = self.seen.get();
        let mut invocation = self.publish.prepare_invoke();
        invocation
            .key(&self.keys.epoch)
            .key(&self.keys.seq)
            .key(&self.keys.log)
            .key(self.keys.topic(topic))
            .key(&self.keys.index)
            .key(&self.keys.recent)
            .arg(format!("{:08x}", random_epoch()))
            .arg(topic.as_str())
            .arg(body.as_ref())
            .arg(self.options.log_len)
            .arg(self.options.history)
            .arg(self.options.topic_ttl.as_secs().max(1))
            .arg(format!("{seen_epoch:08x}"))
            .arg(seen_seq)
            .arg(nonce())
            .arg(self.options.max_topics)
            .arg(self.keys.topic(""));
        if let Some(key) = key {
            let window = u64::try_from(key.window.as_millis()).unwrap_or(u64::MAX);
            invocation
                .key(self.keys.idempotency(topic, key.key))
                .arg(format!("{:016x}", key.event_hash))
                .arg(window.max(1));
        }
        let (epoch, seq, back): (String, u64, i64) = invocation
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)?;
        if back == 3 {
            return Err(HubError::IdempotencyKeyReused);
        }
        let epoch = parse_epoch(&epoch).ok_or_else(|| {
            HubError::backend(format!("the epoch in Redis is not 8 hex digits: {epoch:?}"))
        })?;
        if back == 1 {
            tracing::warn!(
                epoch = format_args!("{epoch:08x}"),
                seen = format_args!("{seen_epoch:08x}-{seen_seq}"),
                "Redis went back in time (restored from an older snapshot, or a replica \
                 that lagged took over): a new epoch, so that no id names two events"
            );
        }
        self.seen.saw(epoch, seq);
        Ok(EventId::new(epoch, seq))
    }

    async fn history_now(
        &self,
        topic: &TopicName,
        epoch: u32,
        after: u64,
        through: u64,
        limit: Option<usize>,
    ) -> Result<History, HubError> {
        let mut connection = self.connection.clone();
        let key = self.keys.topic(topic);
        let mut range = redis::cmd("XRANGE");
        range
            .arg(&key)
            .arg(format!("{}-0", after + 1))
            .arg(format!("{through}-0"));
        if let Some(limit) = limit {
            range.arg("COUNT").arg(limit.max(1));
        }
        let (current, entries, info, last, floor): (
            Option<String>,
            Value,
            Value,
            Option<f64>,
            Option<f64>,
        ) = redis::pipe()
            .cmd("GET")
            .arg(&self.keys.epoch)
            .add_command(range)
            .cmd("XINFO")
            .arg("STREAM")
            .arg(&key)
            .cmd("ZSCORE")
            .arg(&self.keys.index)
            .arg(topic.as_str())
            .cmd("ZSCORE")
            .arg(&self.keys.index)
            .arg(" floor")
            .ignore_errors()
            .query_async(&mut connection)
            .await
            .map_err(unavailable)?;
        if current.as_deref().and_then(parse_epoch) != Some(epoch) {
            // Another epoch's history is no history of these ids.
            return Ok(History::default());
        }
        let this_epoch = format!("{epoch:08x}");
        let entries = stream_entries(&entries);
        // A full page may stop short of the range's end: the next one starts after it.
        let more_after = match (limit, entries.last()) {
            (Some(limit), Some((last, _))) if entries.len() >= limit && *last < through => {
                Some(*last)
            }
            _ => None,
        };
        let events = entries
            .into_iter()
            // Entries of another epoch (a stream not yet replaced since a new one began)
            // are not these ids' events. Entries without one are from before epochs were
            // written there.
            .filter(|(_, fields)| {
                field(fields, b"e").is_none_or(|e| e.as_ref() == this_epoch.as_bytes())
            })
            .filter_map(|(seq, fields)| Some((seq, field(&fields, b"b")?)))
            .collect();
        // The index says the topic had no event after `after`: nothing to miss.
        // (Scores are doubles; sequence numbers stay far below 2^53.)
        let (last, floor) = (last.map(|s| s as u64), floor.map(|s| s as u64));
        let nothing_after = match (floor, last) {
            (None, _) => false, // the index is gone: it says nothing
            (Some(_), Some(last)) => last <= after,
            (Some(floor), None) => floor <= after,
        };
        // Redis remembers the highest id it trimmed or deleted from a stream (7.0 and
        // later), and a stream made again records the last event it lost (see the publish
        // script). A stream that is gone (expired, evicted, deleted) holds nothing: whether
        // it had events in the range, the index says.
        let exists = matches!(info, Value::Array(_) | Value::Map(_));
        let trimmed_through = info_field(&info, "max-deleted-entry-id")
            .and_then(|id| entry_seq(&id))
            .unwrap_or(0);
        Ok(History {
            events,
            complete: nothing_after || (exists && trimmed_through <= after),
            more_after,
        })
    }
}

impl RedisBackend {
    /// [`history_now`](Self::history_now) within the timeout, counting failures.
    fn history_read<'a>(
        &'a self,
        topic: &'a TopicName,
        epoch: u32,
        after: u64,
        through: u64,
        limit: Option<usize>,
    ) -> BoxFuture<'a, Result<History, HubError>> {
        Box::pin(async move {
            let history = self.history_now(topic, epoch, after, through, limit);
            let result = within(self.options.timeout, history).await;
            if result.is_err() {
                self.metrics.error(Op::History);
            }
            result
        })
    }
}

impl Backend for RedisBackend {
    fn publish<'a>(
        &'a self,
        topic: &'a TopicName,
        body: Bytes,
    ) -> BoxFuture<'a, Result<EventId, HubError>> {
        Box::pin(async move {
            let result = within(self.options.timeout, self.publish_now(topic, None, body)).await;
            if result.is_err() {
                self.metrics.error(Op::Publish);
            }
            result
        })
    }

    /// The key goes into the publish script: Redis remembers it with the id, for every
    /// instance, so a retry of a publish that timed out here but ran in Redis answers its
    /// id instead of publishing again.
    fn publish_with_key<'a>(
        &'a self,
        topic: &'a TopicName,
        key: IdempotencyKey<'a>,
        body: Bytes,
    ) -> BoxFuture<'a, Result<EventId, HubError>> {
        Box::pin(async move {
            let publish = self.publish_now(topic, Some(key), body);
            let result = within(self.options.timeout, publish).await;
            if matches!(result, Err(HubError::Backend { .. })) {
                self.metrics.error(Op::Publish);
            }
            result
        })
    }

    fn keeps_idempotency_keys(&self) -> bool {
        true
    }

    fn history<'a>(
        &'a self,
        topic: &'a TopicName,
        epoch: u32,
        after: u64,
        through: u64,
    ) -> BoxFuture<'a, Result<History, HubError>> {
        self.history_read(topic, epoch, after, through, None)
    }

    /// A page: `XRANGE ... COUNT limit`, so that a resume holds at most `limit` events of
    /// a topic at once, and Redis answers it in bounded time.
    fn history_page<'a>(
        &'a self,
        topic: &'a TopicName,
        epoch: u32,
        after: u64,
        through: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<History, HubError>> {
        self.history_read(topic, epoch, after, through, Some(limit))
    }

    /// Deletes the topic's stream. The index keeps the topic's last sequence number, so a
    /// resume from before it is told the history is gone (and a stream made again by a
    /// later publish records that loss).
    fn remove_topic<'a>(
        &'a self,
        topic: &'a TopicName,
    ) -> BoxFuture<'a, Result<Option<u64>, HubError>> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let delete = async {
                // The index keeps the topic's last sequence number (so that a later resume
                // from before the removal is told `missed`); this instance drops the
                // topic's events through it that it has not read yet.
                let (deleted, _, last): (u64, u64, Option<f64>) = redis::pipe()
                    .cmd("DEL")
                    .arg(self.keys.topic(topic))
                    .cmd("ZREM")
                    .arg(&self.keys.recent)
                    .arg(topic.as_str())
                    .cmd("ZSCORE")
                    .arg(&self.keys.index)
                    .arg(topic.as_str())
                    .query_async(&mut connection)
                    .await
                    .map_err(unavailable)?;
                // Sequence numbers are below 2^53, exact as scores.
                let last = last.filter(|score| *score >= 0.0).map(|score| score as u64);
                Ok(last.filter(|_| deleted > 0))
            };
            let result = within(self.options.timeout, delete).await;
            if result.is_err() {
                self.metrics.error(Op::Remove);
            }
            result
        })
    }
}

/// Fails with [`HubError::Backend`] if `work` takes longer than `timeout`.
async fn within<T>(
    timeout: Duration,
    work: impl Future<Output = Result<T, HubError>>,
) -> Result<T, HubError> {
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or_else(|_| {
            Err(HubError::backend(format!(
                "Redis did not answer within {timeout:?}"
            )))
        })
}

pub(crate) fn unavailable(error: redis::RedisError) -> HubError {
    HubError::backend(error)
}

pub(crate) fn parse_epoch(text: &str) -> Option<u32> {
    (text.len() == 8)
        .then(|| u32::from_str_radix(text, 16).ok())
        .flatten()
}

/// The sequence number of a stream entry id `<seq>-0`.
pub(crate) fn entry_seq(id: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(id).ok()?;
    text.split_once('-')?.0.parse().ok()
}

/// The entries of an `XRANGE` reply, or of one stream in an `XREAD` reply: sequence numbers
/// and field lists.
pub(crate) fn stream_entries(reply: &Value) -> Vec<(u64, Vec<Value>)> {
    let Value::Array(entries) = reply else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| {
            let Value::Array(parts) = entry else {
                return None;
            };
            let [Value::BulkString(id), Value::Array(fields)] = parts.as_slice() else {
                return None;
            };
            Some((entry_seq(id)?, fields.clone()))
        })
        .collect()
}

/// The value of `name` in an entry's field list.
pub(crate) fn field(fields: &[Value], name: &[u8]) -> Option<Bytes> {
    fields.chunks_exact(2).find_map(|pair| match pair {
        [Value::BulkString(key), Value::BulkString(value)] if key == name => {
            Some(Bytes::copy_from_slice(value))
        }
        _ => None,
    })
}

/// A field of an `XINFO STREAM` reply (RESP2: a flat list of names and values; RESP3: a map).
fn info_field(info: &Value, name: &str) -> Option<Vec<u8>> {
    let pairs: Vec<(&Value, &Value)> = match info {
        Value::Array(items) => items
            .chunks_exact(2)
            .map(|pair| (&pair[0], &pair[1]))
            .collect(),
        Value::Map(items) => items.iter().map(|(k, v)| (k, v)).collect(),
        _ => return None,
    };
    pairs
        .into_iter()
        .find_map(|(key, value)| (text(key)? == name.as_bytes()).then(|| text(value))?)
}

fn text(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::BulkString(bytes) => Some(bytes.clone()),
        Value::SimpleString(text) => Some(text.clone().into_bytes()),
        _ => None,
    }
}
