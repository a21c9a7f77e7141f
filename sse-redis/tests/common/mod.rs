//! What the Redis test files share: reading a subscription, and an instance on a server.
#![allow(dead_code)] // each test file uses part of it

use std::time::Duration;

use futures_util::StreamExt;
use sse_conformance::redis_server::RedisServer;
use sse_core::{Decoded, Decoder, Event, EventId, Hub, LastEventId, Subscription};

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

/// Resumes on `hub` after `after`, on `topics`, and returns what it replays (with any
/// `missed` notice): everything before a marker event, published on a topic of its own
/// (which the resume also names) once the resume has started.
pub(crate) async fn resume(
    hub: &Hub,
    topics: &[&str],
    after: EventId,
) -> Vec<(String, String, String)> {
    let last = LastEventId::parse(&after.to_string()).unwrap();
    let mut names = topics.to_vec();
    names.push("marker");
    let mut resumed = hub.subscribe(&names, last.as_ref()).unwrap();
    let marker = hub.publish("marker", Event::new("end")).await.unwrap();
    let mut events = Vec::new();
    loop {
        let next = take(&mut resumed, 1, PATIENCE).await;
        assert!(!next.is_empty(), "the marker arrives; so far {events:?}");
        if next[0].0 == marker.to_string() {
            return events;
        }
        events.extend(next);
    }
}

/// Waits until `hub`'s instance has read from Redis everything published before now: a
/// marker published on a topic of its own arrives. Tests that change Redis behind the
/// hub's back (deleting a history) call it first, so that what they check does not depend
/// on how far the instance's reader has got.
pub(crate) async fn caught_up(hub: &Hub) {
    let mut sync = hub.subscribe(["sync"], None).expect("subscribe");
    let marker = hub
        .publish("sync", Event::new("sync"))
        .await
        .expect("publish");
    let events = take(&mut sync, 1, PATIENCE).await;
    assert_eq!(
        events.first().map(|(id, _, _)| id.clone()),
        Some(marker.to_string()),
        "the instance reads its own marker"
    );
}
