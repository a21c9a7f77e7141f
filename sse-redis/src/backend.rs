//! [`RedisBackend`]: publishing through one Lua script, and reading a topic's history.

use std::time::Duration;

use bytes::Bytes;
use redis::aio::ConnectionManager;
use redis::{Script, Value};
use sse_core::hub::TopicName;
use sse_core::hub::backend::{Backend, BoxFuture, History, random_epoch};
use sse_core::{EventId, HubError};

use crate::Options;
use crate::keys::Keys;
use crate::metrics::{Op, RedisMetrics};

/// Assigns the next sequence number, under the current epoch (starting one if Redis has
/// none: it is new, or it lost its data), and appends the event to the log and to its
/// topic, trimmed, with the topic's expiry renewed. One round trip, atomic.
///
/// KEYS: epoch, seq, log, topic. ARGV: a new epoch in case there is none, topic, body, log
/// length, topic length, topic TTL in seconds.
const PUBLISH: &str = r"
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
  redis.call('DEL', KEYS[2], KEYS[3])
end
local seq = redis.call('INCR', KEYS[2])
local id = seq .. '-0'
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], id, 'e', epoch, 't', ARGV[2], 'b', ARGV[3])
local added = redis.pcall('XADD', KEYS[4], 'MAXLEN', '~', ARGV[5], id, 'b', ARGV[3])
if type(added) == 'table' and added.err then
  -- a stream left from an earlier epoch, with higher ids
  redis.call('DEL', KEYS[4])
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[5], id, 'b', ARGV[3])
end
redis.call('EXPIRE', KEYS[4], ARGV[6])
return {epoch, seq}
";

/// The hub's [`Backend`] on Redis.
pub(crate) struct RedisBackend {
    connection: ConnectionManager,
    keys: Keys,
    options: Options,
    publish: Script,
    metrics: RedisMetrics,
}

impl RedisBackend {
    pub(crate) fn new(
        connection: ConnectionManager,
        keys: Keys,
        options: Options,
        metrics: RedisMetrics,
    ) -> Self {
        RedisBackend {
            connection,
            keys,
            options,
            publish: Script::new(PUBLISH),
            metrics,
        }
    }

    async fn publish_now(&self, topic: &TopicName, body: Bytes) -> Result<EventId, HubError> {
        let mut connection = self.connection.clone();
        let (epoch, seq): (String, u64) = self
            .publish
            .key(&self.keys.epoch)
            .key(&self.keys.seq)
            .key(&self.keys.log)
            .key(self.keys.topic(topic))
            .arg(format!("{:08x}", random_epoch()))
            .arg(topic.as_str())
            .arg(body.as_ref())
            .arg(self.options.log_len)
            .arg(self.options.history)
            .arg(self.options.topic_ttl.as_secs().max(1))
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)?;
        let epoch = parse_epoch(&epoch).ok_or_else(|| HubError::Backend {
            message: format!("the epoch in Redis is not 8 hex digits: {epoch:?}"),
        })?;
        Ok(EventId::new(epoch, seq))
    }

    async fn history_now(
        &self,
        topic: &TopicName,
        epoch: u32,
        after: u64,
        through: u64,
    ) -> Result<History, HubError> {
        let mut connection = self.connection.clone();
        let key = self.keys.topic(topic);
        let (current, entries, info): (Option<String>, Value, Value) = redis::pipe()
            .cmd("GET")
            .arg(&self.keys.epoch)
            .cmd("XRANGE")
            .arg(&key)
            .arg(format!("{}-0", after + 1))
            .arg(format!("{through}-0"))
            .cmd("XINFO")
            .arg("STREAM")
            .arg(&key)
            .ignore_errors()
            .query_async(&mut connection)
            .await
            .map_err(unavailable)?;
        if current.as_deref().and_then(parse_epoch) != Some(epoch) {
            // Another epoch's history is no history of these ids.
            return Ok(History::default());
        }
        let events = stream_entries(&entries)
            .into_iter()
            .filter_map(|(seq, fields)| Some((seq, field(&fields, b"b")?)))
            .collect();
        // Redis remembers the highest id it trimmed from a stream (7.0 and later). A stream
        // that expired, or never existed, had no events that anyone can still resume.
        let trimmed_through = info_field(&info, "max-deleted-entry-id")
            .and_then(|id| entry_seq(&id))
            .unwrap_or(0);
        Ok(History {
            events,
            complete: trimmed_through <= after,
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
            let result = within(self.options.timeout, self.publish_now(topic, body)).await;
            if result.is_err() {
                self.metrics.error(Op::Publish);
            }
            result
        })
    }

    fn history<'a>(
        &'a self,
        topic: &'a TopicName,
        epoch: u32,
        after: u64,
        through: u64,
    ) -> BoxFuture<'a, Result<History, HubError>> {
        Box::pin(async move {
            let history = self.history_now(topic, epoch, after, through);
            let result = within(self.options.timeout, history).await;
            if result.is_err() {
                self.metrics.error(Op::History);
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
            Err(HubError::Backend {
                message: format!("Redis did not answer within {timeout:?}"),
            })
        })
}

pub(crate) fn unavailable(error: redis::RedisError) -> HubError {
    HubError::Backend {
        message: error.to_string(),
    }
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
