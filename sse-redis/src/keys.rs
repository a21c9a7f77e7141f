//! [`Keys`]: the Redis keys one hub uses, under a prefix.
//!
//! - `<prefix>:epoch`: the epoch, 8 hex digits; a new one when Redis has lost its data;
//! - `<prefix>:seq`: the last sequence number given (`INCR`);
//! - `<prefix>:log`: every event, in sequence order (a stream whose entry ids are
//!   `<seq>-0`, fields `e` epoch, `t` topic, `b` the event encoded without an id); each
//!   instance reads it once; trimmed to about [`Options::log_len`](crate::Options::log_len);
//! - `<prefix>:topics`: the index of topics (a sorted set): each topic's last sequence
//!   number, kept as long as the log reaches back (older ones are forgotten, and the member
//!   ` floor` says up to where); it tells, when a topic's stream is gone or new, whether
//!   events of the topic were lost with it (see the publish script);
//! - `<prefix>:recent`: the topics that have a history stream (a sorted set), by the
//!   sequence number of their last publish; at most [`Options::max_topics`](crate::Options::max_topics)
//!   of them: the publish script deletes the oldest topics' streams beyond it;
//! - `<prefix>:t:<topic>`: one topic's events (entry ids `<seq>-0`, fields `b` and `e`, its epoch), for resuming
//!   beyond an instance's memory; trimmed to about [`Options::history`](crate::Options::history)
//!   and expiring after [`Options::topic_ttl`](crate::Options::topic_ttl) without a publish;
//! - `<prefix>:idem:<topic length>:<topic>:<key>`: an idempotency key's first id and event
//!   hash (`<epoch> <seq> <hash>`), set by the publish script, expiring after the key's
//!   window.

/// The key names for one prefix.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    pub(crate) epoch: String,
    pub(crate) seq: String,
    pub(crate) log: String,
    pub(crate) index: String,
    pub(crate) recent: String,
    topic_prefix: String,
    idem_prefix: String,
}

impl Keys {
    pub(crate) fn new(prefix: &str) -> Keys {
        Keys {
            epoch: format!("{prefix}:epoch"),
            seq: format!("{prefix}:seq"),
            log: format!("{prefix}:log"),
            index: format!("{prefix}:topics"),
            recent: format!("{prefix}:recent"),
            topic_prefix: format!("{prefix}:t:"),
            idem_prefix: format!("{prefix}:idem:"),
        }
    }

    pub(crate) fn topic(&self, topic: &str) -> String {
        format!("{}{topic}", self.topic_prefix)
    }

    /// An idempotency key of `topic` (the topic's length first, so that no topic and key
    /// make another's name).
    pub(crate) fn idempotency(&self, topic: &str, key: &str) -> String {
        format!("{}{}:{topic}:{key}", self.idem_prefix, topic.len())
    }
}
