//! The hub on a real `redis-server` (started per test on a free loopback port): several
//! instances in one process, resume across them, Redis killed and restarted with and
//! without its data, and the errors a bad URL, a wrong password or an absent Redis give.

use std::collections::HashMap;
use std::time::Duration;

use sse_conformance::redis_server::RedisServer;
use sse_core::{Event, EventId, Hub, HubError, LastEventId};

mod common;
use common::{PATIENCE, instance, take};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_deliver_every_event_in_order_with_the_same_ids() {
    let redis = RedisServer::start();
    let (a, b) = (instance(&redis).await, instance(&redis).await);
    assert_eq!(a.epoch(), b.epoch(), "one epoch, Redis's");
    let mut on_a = a.subscribe(["news"], None).unwrap();
    let mut on_b = b.subscribe(["news", "chat"], None).unwrap();
    let mut ids = Vec::new();
    for n in 0..50 {
        let (hub, topic) = if n % 3 == 0 {
            (&b, "chat")
        } else {
            (&a, "news")
        };
        ids.push((
            topic,
            hub.publish(topic, Event::new(n.to_string())).await.unwrap(),
        ));
    }
    let news: Vec<String> = ids
        .iter()
        .filter(|(t, _)| *t == "news")
        .map(|(_, id)| id.to_string())
        .collect();
    let all: Vec<String> = ids.iter().map(|(_, id)| id.to_string()).collect();
    let got_a: Vec<String> = take(&mut on_a, news.len(), PATIENCE)
        .await
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    let got_b: Vec<String> = take(&mut on_b, all.len(), PATIENCE)
        .await
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    assert_eq!(got_a, news);
    assert_eq!(got_b, all);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_resumes_on_another_instance_single_and_multi_topic() {
    let redis = RedisServer::start();
    let a = instance(&redis).await;
    let mut ids = Vec::new();
    for n in 0..30 {
        let topic = ["x", "y", "z"][n % 3];
        ids.push((
            topic,
            a.publish(topic, Event::new(n.to_string())).await.unwrap(),
        ));
    }
    // B starts after all of it: whatever it gives on resume comes from Redis.
    let b = instance(&redis).await;
    for topics in [vec!["x"], vec!["x", "y"]] {
        let (_, seen) = ids[10];
        let last = LastEventId::parse(&seen.to_string()).unwrap();
        let mut resumed = b.subscribe(&topics, last.as_ref()).unwrap();
        let expected: Vec<String> = ids[11..]
            .iter()
            .filter(|(t, _)| topics.contains(t))
            .map(|(_, id)| id.to_string())
            .collect();
        let got: Vec<String> = take(&mut resumed, expected.len(), PATIENCE)
            .await
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
        assert_eq!(got, expected, "{topics:?}");
        // Then live, with nothing repeated at the hand-over.
        let live = b.publish("x", Event::new("live")).await.unwrap();
        let next = take(&mut resumed, 1, PATIENCE).await;
        assert_eq!(next[0].0, live.to_string());
        ids.push(("x", live));
    }
}

/// Publishes `count` events, one every 5 ms, recording which were accepted.
async fn publish_steadily(hub: Hub, count: usize) -> Vec<Result<EventId, HubError>> {
    let mut results = Vec::new();
    for n in 0..count {
        results.push(hub.publish("t", Event::new(n.to_string())).await);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    results
}

/// A subscriber's sequence has no duplicates, and no gaps except events whose publish
/// failed or gaps announced by a `missed` event.
fn check_sequence(received: &[(String, String, String)], accepted: &[EventId]) {
    let mut seen = HashMap::new();
    for (id, name, _) in received {
        if name == "message" {
            *seen.entry(id.clone()).or_insert(0) += 1;
        }
    }
    assert!(seen.values().all(|&n| n == 1), "no duplicates: {seen:?}");
    let announced = received.iter().any(|(_, name, _)| name == "missed");
    if !announced {
        for id in accepted {
            assert!(
                seen.contains_key(&id.to_string()),
                "accepted {id} was delivered"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_and_restarted_with_its_data_loses_nothing_accepted() {
    let mut redis = RedisServer::start_durable();
    let (a, b) = (instance(&redis).await, instance(&redis).await);
    let mut on_a = a.subscribe(["t"], None).unwrap();
    let mut on_b = b.subscribe(["t"], None).unwrap();
    let publishing = tokio::spawn(publish_steadily(a.clone(), 300));
    tokio::time::sleep(Duration::from_millis(400)).await;
    redis.kill();
    tokio::time::sleep(Duration::from_millis(500)).await;
    redis.restart();
    let results = publishing.await.unwrap();
    let accepted: Vec<EventId> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    let failed = results.iter().filter(|r| r.is_err()).count();
    assert!(failed > 0, "some publishes fail while Redis is away");
    assert!(
        accepted.len() > 100,
        "and the rest go through: {}",
        accepted.len()
    );
    assert!(
        accepted.iter().all(|id| id.epoch() == a.epoch()),
        "same epoch: the data was kept"
    );
    for subscription in [&mut on_a, &mut on_b] {
        let received = take(subscription, accepted.len(), PATIENCE).await;
        assert_eq!(received.len(), accepted.len());
        check_sequence(&received, &accepted);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_empty_starts_a_new_epoch_and_says_so() {
    let mut redis = RedisServer::start();
    let a = instance(&redis).await;
    let mut live = a.subscribe(["t"], None).unwrap();
    let before = a.publish("t", Event::new("before")).await.unwrap();
    assert_eq!(take(&mut live, 1, PATIENCE).await[0].0, before.to_string());
    redis.restart_empty();
    // Publishing works again once the connection is back; the epoch is a new one.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let after = loop {
        match a.publish("t", Event::new("after")).await {
            Ok(id) => break id,
            Err(HubError::Backend { .. }) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("{error}"),
        }
    };
    assert_ne!(after.epoch(), before.epoch());
    let events = take(&mut live, 2, PATIENCE).await;
    assert_eq!(events[0].1, "missed");
    assert_eq!(events[0].2, r#"{"reason":"reset","topics":["t"]}"#);
    assert_eq!(
        (events[1].0.as_str(), events[1].2.as_str()),
        (after.to_string().as_str(), "after")
    );
    // An id from the old epoch is foreign now.
    let last = LastEventId::parse(&before.to_string()).unwrap();
    let mut resumed = a.subscribe(["t"], last.as_ref()).unwrap();
    let first = take(&mut resumed, 1, PATIENCE).await;
    assert_eq!(first[0].2, r#"{"reason":"unknown","topics":["t"]}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clear_errors_for_a_bad_url_a_wrong_password_and_no_redis() {
    let error = sse_redis::connect("http://example", Hub::builder())
        .await
        .unwrap_err();
    assert!(matches!(error, sse_redis::Error::InvalidUrl(_)), "{error}");

    let redis = RedisServer::start_with_password("s3cret");
    let wrong = format!("redis://:wrong@127.0.0.1:{}", redis.port);
    let error = sse_redis::connect(&wrong, Hub::builder())
        .await
        .unwrap_err();
    assert!(matches!(error, sse_redis::Error::Auth(_)), "{error}");
    let hub = sse_redis::connect(&redis.url(), Hub::builder())
        .await
        .expect("the right password works");
    hub.publish("t", Event::new("x")).await.unwrap();

    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let started = std::time::Instant::now();
    let error = sse_redis::connect(&format!("redis://127.0.0.1:{port}"), Hub::builder())
        .await
        .unwrap_err();
    assert!(matches!(error, sse_redis::Error::Unavailable(_)), "{error}");
    assert!(started.elapsed() < PATIENCE, "fails, does not hang");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_while_redis_is_away_fails_and_streams_stay_open() {
    let mut redis = RedisServer::start();
    let hub = instance(&redis).await;
    let mut live = hub.subscribe(["t"], None).unwrap();
    redis.kill();
    let error = hub.publish("t", Event::new("x")).await.unwrap_err();
    assert!(matches!(error, HubError::Backend { .. }), "{error}");
    assert_eq!(sse_core::HttpError::code(&error), "backend_unavailable");
    assert_eq!(hub.stats().subscribers, 1, "the stream stays open");
    redis.restart();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let id = loop {
        match hub.publish("t", Event::new("back")).await {
            Ok(id) => break id,
            Err(_) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(error) => panic!("{error}"),
        }
    };
    let events = take(&mut live, 2, PATIENCE).await;
    // Redis came back empty (no persistence): a reset notice, then the new event.
    assert_eq!(events.last().map(|e| e.0.clone()), Some(id.to_string()));
}

/// The test server's certificate is self-signed, hence its `#insecure` URL (`tls-insecure`).
#[cfg(feature = "tls-insecure")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rediss_url_speaks_tls() {
    let redis = RedisServer::start_tls();
    assert!(redis.url().starts_with("rediss://"));
    let hub = instance(&redis).await;
    let mut live = hub.subscribe(["t"], None).unwrap();
    let id = hub.publish("t", Event::new("over TLS")).await.unwrap();
    assert_eq!(take(&mut live, 1, PATIENCE).await[0].0, id.to_string());
}
