//! Redis faults on a real `redis-server` (started per test on a free loopback port): Redis
//! restored from an older snapshot (or a failover to a replica that lags), a topic's
//! history evicted or deleted, a topic removed, every connection killed (`CLIENT KILL`),
//! Redis restarted empty while publishing, and `maxmemory` reached. Whatever happens, a
//! subscriber gets every event exactly once and in order, or a `missed` notice: never a
//! reused id, never silent loss.

use std::path::PathBuf;
use std::time::Duration;

use sse_conformance::redis_server::RedisServer;
use sse_core::{Event, EventId, Hub, HubError, LastEventId};

mod common;
use common::{PATIENCE, caught_up, instance, resume, take};

/// A plain connection, to do to Redis what the hub would not.
async fn raw(redis: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis.url())
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("connected")
}

/// `SAVE`s a snapshot and keeps a copy of it as `name` in the server's directory.
async fn snapshot(redis: &RedisServer, name: &str) -> PathBuf {
    let _: () = redis::cmd("SAVE")
        .query_async(&mut raw(redis).await)
        .await
        .expect("SAVE");
    let copy = redis.dir().join(name);
    std::fs::copy(redis.dir().join("dump.rdb"), &copy).expect("copied");
    copy
}

/// Publishes, retrying while the hub's connection to Redis comes back.
async fn publish_when_back(hub: &Hub, topic: &str, data: &str) -> EventId {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match hub.publish(topic, Event::new(data)).await {
            Ok(id) => return id,
            Err(HubError::Backend { .. }) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("{error}"),
        }
    }
}

async fn publish_n(hub: &Hub, topic: &str, range: std::ops::Range<usize>) -> Vec<EventId> {
    let mut ids = Vec::new();
    for n in range {
        ids.push(hub.publish(topic, Event::new(n.to_string())).await.unwrap());
    }
    ids
}

fn ids(events: &[(String, String, String)]) -> Vec<String> {
    events.iter().map(|(id, _, _)| id.clone()).collect()
}

fn texts(ids: &[EventId]) -> Vec<String> {
    ids.iter().map(|id| id.to_string()).collect()
}

/// Redis restarts from a snapshot older than the events it acknowledged: its sequence
/// number goes back under the same epoch. The publisher must not hand out an id it already
/// gave another event; a new epoch starts, live subscribers are told (`reset`) and get the
/// new events, and an id from before is answered with `missed`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restored_from_an_older_snapshot_starts_a_new_epoch() {
    let mut redis = RedisServer::start();
    let hub = instance(&redis).await;
    let mut live = hub.subscribe(["t"], None).unwrap();
    let early = publish_n(&hub, "t", 0..5).await;
    let older = snapshot(&redis, "older.rdb").await;
    let late = publish_n(&hub, "t", 5..10).await;
    let all: Vec<EventId> = early.iter().chain(&late).copied().collect();
    assert_eq!(ids(&take(&mut live, 10, PATIENCE).await), texts(&all));

    redis.restart_from(&older);
    let after = publish_when_back(&hub, "t", "after").await;
    assert!(
        !all.contains(&after),
        "{after} was already the id of another event"
    );
    assert_ne!(after.epoch(), late[0].epoch(), "a new epoch");
    let events = take(&mut live, 2, PATIENCE).await;
    assert_eq!(events[0].1, "missed", "{events:?}");
    assert_eq!(events[0].2, r#"{"reason":"reset","topics":["t"]}"#);
    assert_eq!(
        (events[1].0.as_str(), events[1].2.as_str()),
        (after.to_string().as_str(), "after")
    );
    // An id from before, of the part Redis lost or of the part it kept, is not resumed
    // as if it meant the same events.
    for before in [early[2], late[2]] {
        let last = LastEventId::parse(&before.to_string()).unwrap();
        let mut resumed = hub.subscribe(["t"], last.as_ref()).unwrap();
        let first = take(&mut resumed, 1, PATIENCE).await;
        assert_eq!(first[0].2, r#"{"reason":"unknown","topics":["t"]}"#);
    }
}

/// The reading side: another instance, which never saw the lost events, has already
/// published past them under the old epoch (here: on a copy of the older snapshot, a
/// replica that lagged and was promoted). An instance that had read the lost events must
/// notice that the ids it read now name other events, and start a new epoch instead of
/// skipping those events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_notices_ids_reused_by_a_publisher_that_never_saw_them() {
    let mut redis = RedisServer::start();
    let hub = instance(&redis).await;
    let mut live = hub.subscribe(["t"], None).unwrap();
    let early = publish_n(&hub, "t", 0..5).await;
    let older = snapshot(&redis, "older.rdb").await;
    let late = publish_n(&hub, "t", 5..10).await;
    assert_eq!(take(&mut live, 10, PATIENCE).await.len(), 10);

    // The lagging replica: the older data, then more events under the same epoch, from an
    // instance that knows only them.
    let mut replica = RedisServer::start();
    replica.restart_from(&older);
    let unaware = instance(&replica).await;
    assert_eq!(unaware.epoch(), hub.epoch());
    let diverged = publish_n(&unaware, "t", 100..112).await;
    assert_eq!(
        diverged[0].sequence(),
        early[4].sequence() + 1,
        "reused ids"
    );
    let promoted = redis.dir().join("promoted.rdb");
    std::fs::copy(snapshot(&replica, "promoted.rdb").await, &promoted).expect("copied");
    drop(unaware);
    drop(replica);

    redis.restart_from(&promoted);
    let events = take(&mut live, 1, PATIENCE).await;
    assert_eq!(events.len(), 1, "told, not silent");
    assert_eq!(events[0].1, "missed", "{events:?}");
    assert_eq!(events[0].2, r#"{"reason":"reset","topics":["t"]}"#);
    let after = publish_when_back(&hub, "t", "after").await;
    assert_ne!(after.epoch(), late[0].epoch(), "a new epoch");
    let events = take(&mut live, 1, PATIENCE).await;
    assert_eq!(ids(&events), [after.to_string()]);
}

fn missed(events: &[(String, String, String)]) -> Vec<String> {
    events
        .iter()
        .filter(|(_, name, _)| name == "missed")
        .map(|(_, _, data)| data.clone())
        .collect()
}

/// A topic's history deleted from Redis (evicted under `maxmemory`, deleted by an operator,
/// expired): a resume from before it is told with `missed`, whatever removed it, also once
/// later events made the topic again; a topic that never had an event in the range is no
/// loss and is not reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_into_history_that_redis_no_longer_holds_gets_missed() {
    let redis = RedisServer::start();
    let hub = instance(&redis).await;
    let mut connection = raw(&redis).await;
    let gone = publish_n(&hub, "gone", 0..5).await;
    let kept = publish_n(&hub, "kept", 0..3).await;
    caught_up(&hub).await;
    let _: i64 = redis::cmd("DEL")
        .arg("sse:t:gone")
        .query_async(&mut connection)
        .await
        .unwrap();

    // Deleted: nothing of it is left.
    let events = resume(&hub, &["gone", "kept", "quiet"], gone[1]).await;
    assert_eq!(
        missed(&events),
        [r#"{"reason":"expired","topics":["gone"]}"#],
        "{events:?}"
    );
    let delivered: Vec<String> = events
        .iter()
        .filter(|(_, name, _)| name == "message")
        .map(|(id, _, _)| id.clone())
        .collect();
    assert_eq!(
        delivered,
        texts(&kept),
        "what Redis holds is still replayed"
    );

    // Made again by a later publish: its history starts after the loss.
    let again = hub.publish("gone", Event::new("again")).await.unwrap();
    let events = resume(&hub, &["gone"], gone[1]).await;
    assert_eq!(
        missed(&events),
        [r#"{"reason":"expired","topics":["gone"]}"#],
        "{events:?}"
    );
    assert_eq!(events.last().map(|e| e.0.clone()), Some(again.to_string()));

    // After the loss, nothing is missing.
    let events = resume(&hub, &["gone", "kept", "quiet"], gone[4]).await;
    assert_eq!(missed(&events), Vec::<String>::new(), "{events:?}");

    // Expired (or evicted, which Redis does to keys with an expiry first): the same.
    let more = publish_n(&hub, "brief", 0..3).await;
    let _: i64 = redis::cmd("PEXPIRE")
        .arg("sse:t:brief")
        .arg(1)
        .query_async(&mut connection)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let events = resume(&hub, &["brief"], more[0]).await;
    assert_eq!(
        missed(&events),
        [r#"{"reason":"expired","topics":["brief"]}"#],
        "{events:?}"
    );
}

/// A topic removed with `Hub::remove_topic` on a Redis hub: its history goes from Redis
/// too, the answer says so, and a later resume from before the removal gets `missed`
/// instead of the removed events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_topic_removes_the_history_from_redis() {
    let redis = RedisServer::start();
    let hub = instance(&redis).await;
    let old = publish_n(&hub, "old", 0..3).await;
    caught_up(&hub).await;
    assert_eq!(hub.remove_topic("old").await, Ok(true));
    let exists: i64 = redis::cmd("EXISTS")
        .arg("sse:t:old")
        .query_async(&mut raw(&redis).await)
        .await
        .unwrap();
    assert_eq!(exists, 0, "the history is gone from Redis");
    assert_eq!(hub.remove_topic("old").await, Ok(false), "already gone");
    let events = resume(&hub, &["old"], old[0]).await;
    assert_eq!(
        missed(&events),
        [r#"{"reason":"expired","topics":["old"]}"#],
        "{events:?}"
    );
    assert!(
        events.iter().all(|(_, name, _)| name != "message"),
        "{events:?}"
    );

    // In use on this instance: refused, and kept.
    let _live = hub.subscribe(["busy"], None).unwrap();
    hub.publish("busy", Event::new("x")).await.unwrap();
    assert!(matches!(
        hub.remove_topic("busy").await,
        Err(HubError::TopicInUse { .. })
    ));
}

/// Many clients resume from an old id, deep in Redis's history, and do not read (a slow
/// network, a client that stalls). Each must hold at most a page of that history per
/// topic, not all of it; resumes past the hub's limit on history reads are refused with
/// `history_busy` (503) instead of piling up; and every resumer that does read gets every
/// event exactly once, in order, across pages and topics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumers_that_do_not_read_hold_a_page_of_history_not_all_of_it() {
    const RESUMERS: usize = 20;
    const EVENTS: usize = 1200;
    let redis = RedisServer::start();
    let builder = Hub::builder().history(8).max_history_reads(RESUMERS);
    let options = sse_redis::Options::new().history(10_000);
    let hub = sse_redis::connect_with(&redis.url(), builder, options)
        .await
        .expect("connect");
    // Two topics, interleaved, so that pages of one fall between pages of the other.
    let body = "x".repeat(100);
    let mut published = Vec::new();
    for n in 0..EVENTS {
        let topic = if n % 3 == 0 { "u" } else { "t" };
        let id = hub.publish(topic, Event::new(format!("{n} {body}"))).await;
        published.push(id.unwrap());
    }
    let last = LastEventId::parse(&published[0].to_string()).unwrap();
    let expected = texts(&published[1..]);

    let mut resumers = Vec::new();
    for _ in 0..RESUMERS {
        let mut resumed = hub.subscribe(["t", "u"], last.as_ref()).unwrap();
        // It starts, then stalls.
        let first = take(&mut resumed, 1, PATIENCE).await;
        assert_eq!(ids(&first), expected[..1]);
        resumers.push(resumed);
    }
    let stats = hub.stats();
    assert_eq!(stats.history_reads, RESUMERS);
    let largest_frame = 200;
    let one_page_each = RESUMERS * 2 * sse_core::hub::backend::HISTORY_PAGE * largest_frame;
    // What holding the whole history per resumer would take: about a hundred bytes per
    // event, each resumer short of about EVENTS of them.
    let whole_history = RESUMERS * (EVENTS - 16) * 100;
    assert!(
        stats.backfill_bytes > 0
            && stats.backfill_bytes <= one_page_each
            && stats.backfill_bytes < whole_history / 4,
        "{} bytes of history held for {RESUMERS} stalled resumes: more than a page each \
         ({one_page_each}), or near the whole history each ({whole_history})",
        stats.backfill_bytes
    );
    // Beyond the limit: a clear refusal, not a wait or a `missed`.
    let refused = hub.subscribe(["t", "u"], last.as_ref());
    assert!(
        matches!(refused, Err(HubError::HistoryBusy { max: RESUMERS })),
        "{refused:?}"
    );
    // Those that read get everything, once each and in order.
    for resumed in &mut resumers {
        let rest = take(resumed, EVENTS - 2, PATIENCE).await;
        assert_eq!(ids(&rest), expected[1..]);
        assert!(rest.iter().all(|(_, name, _)| name == "message"));
    }
    drop(resumers);
    let stats = hub.stats();
    assert_eq!((stats.history_reads, stats.backfill_bytes), (0, 0));
    // With the slots free, a resume is accepted again.
    let mut again = hub.subscribe(["t", "u"], last.as_ref()).unwrap();
    assert_eq!(ids(&take(&mut again, EVENTS - 1, PATIENCE).await), expected);
}

/// Redis stalls (`kill -STOP`) longer than the publish timeout: the publish is answered
/// `backend_unavailable`, but Redis still carries it out once it goes on (`kill -CONT`).
/// A retry with the same idempotency key must answer that first id, on this instance or
/// another, and subscribers get the event exactly once; a reuse of the key for another
/// event is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_that_timed_out_is_settled_by_its_retry_not_published_twice() {
    use sse_core::hub::backend::IdempotencyKey;
    let redis = RedisServer::start();
    let options = sse_redis::Options::new().timeout(Duration::from_millis(500));
    let hub = sse_redis::connect_with(&redis.url(), Hub::builder(), options.clone())
        .await
        .expect("connect");
    let other = sse_redis::connect_with(&redis.url(), Hub::builder(), options)
        .await
        .expect("connect");
    assert!(hub.keeps_idempotency_keys());
    let mut live = hub.subscribe(["t"], None).unwrap();
    let mut elsewhere = other.subscribe(["t"], None).unwrap();
    let key = |event_hash| IdempotencyKey {
        key: "order-17",
        event_hash,
        window: Duration::from_secs(60),
    };

    // Redis has the script (a first publish loaded it), as it has after startup.
    let warm = IdempotencyKey {
        key: "warm",
        ..key(0)
    };
    let warm = hub
        .publish_with_key("w", warm, Event::new("w"))
        .await
        .unwrap();
    other.publish("w", Event::new("w")).await.unwrap();

    redis.pause();
    let first = hub.publish_with_key("t", key(1), Event::new("once")).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    redis.resume();
    assert!(matches!(first, Err(HubError::Backend { .. })), "{first:?}");

    // The retry, once Redis answers again (the first publish has run by then).
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let id = loop {
        match hub.publish_with_key("t", key(1), Event::new("once")).await {
            Ok(id) => break id,
            Err(HubError::Backend { .. }) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("{error}"),
        }
    };
    let again = other
        .publish_with_key("t", key(1), Event::new("once"))
        .await;
    assert_eq!(again, Ok(id), "another instance answers the same id");
    let reused = other
        .publish_with_key("t", key(2), Event::new("another"))
        .await;
    assert_eq!(reused, Err(HubError::IdempotencyKeyReused));

    assert!(id.sequence() > warm.sequence() + 1);
    let marker = hub.publish("t", Event::new("marker")).await.unwrap();
    for subscription in [&mut live, &mut elsewhere] {
        let events = take(subscription, 2, PATIENCE).await;
        let got: Vec<(String, String)> =
            events.into_iter().map(|(id, _, data)| (id, data)).collect();
        assert_eq!(
            got,
            [
                (id.to_string(), "once".to_owned()),
                (marker.to_string(), "marker".to_owned())
            ],
            "the event once, with the id its retry answered, then the marker"
        );
    }
}

/// What a publisher did: each number it published, the result, how long it took.
type Published = Vec<(usize, Result<EventId, HubError>, Duration)>;

/// Publishes `data` events `<name> <n>` on `topic` every 3 ms until `stop`, recording each
/// result with how long it took.
async fn publish_until(
    hub: Hub,
    name: &'static str,
    topic: &'static str,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Published {
    let mut results = Vec::new();
    let mut n = 0;
    while !*stop.borrow() {
        let started = tokio::time::Instant::now();
        let result = hub.publish(topic, Event::new(format!("{name} {n}"))).await;
        results.push((n, result, started.elapsed()));
        n += 1;
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    results
}

/// Polls a publish on `hub` until it succeeds (within `PATIENCE`) and prints how long
/// Redis being usable again took to reach it.
async fn recovered(hub: &Hub, topic: &str, what: &str) -> EventId {
    let started = tokio::time::Instant::now();
    let id = publish_when_back(hub, topic, "recovered").await;
    println!("{what}: publishing recovered after {:?}", started.elapsed());
    id
}

/// Checks what a subscriber received against what the publishers were told: message ids
/// strictly increasing (so none twice), each publisher's numbers in order and none twice,
/// every accepted event delivered with its payload unless a `missed` announced a gap,
/// and returns the `missed` notices.
fn check_received(
    events: &[(String, String, String)],
    accepted: &std::collections::HashMap<String, String>,
) -> Vec<String> {
    let mut last: Option<EventId> = None;
    let mut numbers = std::collections::HashMap::<String, usize>::new();
    let mut delivered = std::collections::HashMap::new();
    for (id, name, data) in events {
        if name != "message" {
            continue;
        }
        let parsed = EventId::parse(id).expect("a hub id");
        if let Some(last) = last.filter(|last| last.epoch() == parsed.epoch()) {
            assert!(parsed.sequence() > last.sequence(), "{id} after {last}");
        }
        last = Some(parsed);
        assert!(
            delivered.insert(id.clone(), data.clone()).is_none(),
            "{id} twice"
        );
        if let Some((publisher, n)) = data.split_once(' ')
            && let Ok(n) = n.parse::<usize>()
            && let Some(before) = numbers.insert(publisher.to_owned(), n)
        {
            assert!(n > before, "{publisher} {n} after {publisher} {before}");
        }
    }
    let missed = missed(events);
    for (id, data) in accepted {
        match delivered.get(id) {
            Some(got) => assert_eq!(got, data, "{id} is the event it was given to"),
            None => assert!(
                !missed.is_empty(),
                "accepted {id} ({data}) was lost silently"
            ),
        }
    }
    missed
}

/// Every accepted publish of `results`, by id (no id given to two publishes), with its
/// payload; and checks that each failure was `backend_unavailable` within about the timeout.
fn accepted_of(
    results: &[Published],
    names: &[&str],
    timeout: Duration,
) -> (std::collections::HashMap<String, String>, usize) {
    let mut accepted = std::collections::HashMap::new();
    let mut failed = 0;
    for (publisher, name) in results.iter().zip(names) {
        for (n, result, took) in publisher {
            assert!(
                *took < timeout * 2,
                "a publish took {took:?}, the timeout is {timeout:?}"
            );
            match result {
                Ok(id) => {
                    let before = accepted.insert(id.to_string(), format!("{name} {n}"));
                    assert!(before.is_none(), "{id} given to two publishes");
                }
                Err(HubError::Backend { .. }) => failed += 1,
                Err(error) => panic!("not backend_unavailable: {error}"),
            }
        }
    }
    (accepted, failed)
}

/// `CLIENT KILL` of every connection of two instances (`TYPE normal`, `TYPE pubsub`, and
/// all of them) while both publish: each publish succeeds or answers
/// `backend_unavailable` within about the timeout, both instances' subscribers get every
/// accepted event once, in order, with its payload, and nothing announces a gap (Redis kept
/// its data); publishing recovers by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_killed_while_publishing_lose_and_repeat_nothing() {
    let redis = RedisServer::start();
    let timeout = Duration::from_millis(800);
    let options = sse_redis::Options::new().timeout(timeout);
    let url = redis.url();
    let connect = || sse_redis::connect_with(&url, Hub::builder(), options.clone());
    let (a, b) = (connect().await.unwrap(), connect().await.unwrap());
    let mut on_a = a.subscribe(["t"], None).unwrap();
    let mut on_b = b.subscribe(["t"], None).unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let publishers = [
        tokio::spawn(publish_until(a.clone(), "a", "t", stopped.clone())),
        tokio::spawn(publish_until(b.clone(), "b", "t", stopped)),
    ];
    let mut connection = raw(&redis).await;
    for filter in [["TYPE", "normal"], ["TYPE", "pubsub"], ["SKIPME", "yes"]] {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let killed: i64 = redis::cmd("CLIENT")
            .arg("KILL")
            .arg(&filter)
            .query_async(&mut connection)
            .await
            .unwrap();
        println!("CLIENT KILL {filter:?}: {killed} connections");
    }
    // Right after the last kill: how long until each instance publishes again.
    let (on_a_id, on_b_id) = (
        recovered(&a, "t", "instance a").await,
        recovered(&b, "t", "instance b").await,
    );
    tokio::time::sleep(Duration::from_millis(250)).await;
    stop.send(true).unwrap();
    let mut results = Vec::new();
    for publisher in publishers {
        results.push(publisher.await.unwrap());
    }
    let (mut accepted, failed) = accepted_of(&results, &["a", "b"], timeout);
    println!("{} accepted, {failed} failed", accepted.len());
    assert!(accepted.len() > 50, "most publishes go through");

    accepted.insert(on_a_id.to_string(), "recovered".into());
    accepted.insert(on_b_id.to_string(), "recovered".into());
    // After every publisher's last event.
    let end = publish_when_back(&a, "t", "end").await;
    accepted.insert(end.to_string(), "end".into());
    for subscription in [&mut on_a, &mut on_b] {
        let mut events = Vec::new();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !events
            .iter()
            .any(|e: &(String, String, String)| e.0 == end.to_string())
            && tokio::time::Instant::now() < deadline
        {
            events.extend(take(subscription, 1, Duration::from_millis(500)).await);
        }
        assert_eq!(check_received(&events, &accepted), Vec::<String>::new());
    }
}

/// Redis restarted empty (no snapshot, no append-only file) while two instances publish:
/// subscribers are told (`missed`, `reset`), events flow again under a new epoch, and no
/// id names two events, on either instance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_empty_mid_stream_resets_and_flows_again() {
    let mut redis = RedisServer::start();
    let timeout = Duration::from_millis(800);
    let options = sse_redis::Options::new().timeout(timeout);
    let url = redis.url();
    let connect = || sse_redis::connect_with(&url, Hub::builder(), options.clone());
    let (a, b) = (connect().await.unwrap(), connect().await.unwrap());
    let before = a.epoch();
    let mut on_a = a.subscribe(["t"], None).unwrap();
    let mut on_b = b.subscribe(["t"], None).unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let publishers = [
        tokio::spawn(publish_until(a.clone(), "a", "t", stopped.clone())),
        tokio::spawn(publish_until(b.clone(), "b", "t", stopped)),
    ];
    tokio::time::sleep(Duration::from_millis(300)).await;
    redis.restart_empty();
    let restarted = tokio::time::Instant::now();
    // Both publish again under the new epoch.
    let deadline = restarted + PATIENCE;
    while a.epoch() == before || b.epoch() == before {
        assert!(tokio::time::Instant::now() < deadline, "a new epoch");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("a new epoch after {:?}", restarted.elapsed());
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.send(true).unwrap();
    let mut results = Vec::new();
    for publisher in publishers {
        results.push(publisher.await.unwrap());
    }
    let (accepted, failed) = accepted_of(&results, &["a", "b"], timeout);
    let after: Vec<&String> = accepted
        .keys()
        .filter(|id| !id.starts_with(&format!("{before:08x}")))
        .collect();
    println!(
        "{} accepted ({} after), {failed} failed",
        accepted.len(),
        after.len()
    );
    assert!(!after.is_empty(), "events flow again");

    let marker = recovered(&a, "t", "instance a").await;
    for subscription in [&mut on_a, &mut on_b] {
        let mut events = Vec::new();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !events
            .iter()
            .any(|e: &(String, String, String)| e.0 == marker.to_string())
            && tokio::time::Instant::now() < deadline
        {
            events.extend(take(subscription, 1, Duration::from_millis(500)).await);
        }
        let missed = check_received(&events, &accepted);
        assert_eq!(
            missed,
            [r#"{"reason":"reset","topics":["t"]}"#],
            "told once"
        );
        // After the notice, only new events, every one accepted after the restart.
        let notice = events.iter().position(|e| e.1 == "missed").unwrap();
        let later: Vec<&String> = events[notice..]
            .iter()
            .filter(|e| e.1 == "message")
            .map(|e| &e.0)
            .collect();
        for id in &after {
            assert!(
                later.contains(id),
                "{id}, accepted after the restart, arrives"
            );
        }
    }
}

/// `maxmemory` reached under `noeviction`: publishes answer `backend_unavailable` at once
/// (Redis refuses the script's first write, its `INCR`, so nothing is half-published),
/// not a hang or a panic, and streams stay open;
/// after `CONFIG SET maxmemory 0` publishing recovers without restarting the instance, and
/// nothing accepted was lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maxmemory_with_noeviction_fails_publishes_until_memory_is_freed() {
    let redis = RedisServer::start();
    let timeout = Duration::from_millis(800);
    let options = sse_redis::Options::new().timeout(timeout);
    let hub = sse_redis::connect_with(&redis.url(), Hub::builder(), options)
        .await
        .unwrap();
    let mut live = hub.subscribe(["t"], None).unwrap();
    let mut connection = raw(&redis).await;
    let config = |name: &str, value: &str| {
        let mut command = redis::cmd("CONFIG");
        command.arg("SET").arg(name).arg(value);
        command
    };
    let _: () = config("maxmemory-policy", "noeviction")
        .query_async(&mut connection)
        .await
        .unwrap();
    let early = publish_n(&hub, "t", 0..5).await;
    // Below what Redis already uses: every write is refused.
    let _: () = config("maxmemory", "1mb")
        .query_async(&mut connection)
        .await
        .unwrap();
    for n in 0..5 {
        let started = tokio::time::Instant::now();
        let result = hub.publish("t", Event::new(format!("full {n}"))).await;
        let took = started.elapsed();
        assert!(
            matches!(result, Err(HubError::Backend { .. })),
            "{result:?} with Redis full"
        );
        assert!(took < timeout, "refused at once, not a wait: {took:?}");
        if n == 0 {
            println!("full: {result:?} after {took:?}");
        }
    }
    let _: () = config("maxmemory", "0")
        .query_async(&mut connection)
        .await
        .unwrap();
    let after = recovered(&hub, "t", "maxmemory 0").await;
    let events = take(&mut live, 6, PATIENCE).await;
    let mut expected = texts(&early);
    expected.push(after.to_string());
    assert_eq!(ids(&events), expected, "{events:?}");
    assert!(events.iter().all(|(_, name, _)| name == "message"));
}
