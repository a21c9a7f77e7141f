//! What the Redis test files share: reading a subscription, and an instance on a server.
#![allow(dead_code)] // each test file uses part of it

use std::time::Duration;

use futures_util::StreamExt;
use sse_conformance::redis_server::RedisServer;
use sse_core::{Decoded, Decoder, Hub, Subscription};

/// Reads decoded events (id, name, data) from a subscription until `count` arrived or
/// `within` passed.
pub(crate) async fn take(
    subscription: &mut Subscription,
    count: usize,
    within: Duration,
) -> Vec<(String, String, String)> {
    let mut decoder = Decoder::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    while events.len() < count {
        let Ok(Some(frame)) = tokio::time::timeout_at(deadline, subscription.next()).await else {
            break;
        };
        decoder.push(frame.as_bytes()).expect("decodable");
        for item in decoder.drain() {
            if let Decoded::Event(event) = item {
                events.push((event.last_event_id, event.event_type, event.data));
            }
        }
    }
    events
}

pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

pub(crate) async fn instance(redis: &RedisServer) -> Hub {
    sse_redis::connect(&redis.url(), Hub::builder())
        .await
        .expect("connect")
}
