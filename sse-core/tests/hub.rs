//! The hub: exact replay and live delivery under random disconnects and resumes, bounded
//! memory with a subscriber that never reads, cleanup, shutdown, limits, periodic publishing.

use std::collections::HashMap;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use sse_core::HttpError;
use sse_core::hub::MISSED_EVENT;
use sse_core::{
    Decoded, Decoder, Event, Hub, HubError, LagPolicy, LastEventId, MessageEvent, Subscription,
};

/// Polls once without blocking: `Some(Some(frame))`, `Some(None)` for the end, `None` if idle.
fn poll_once(subscription: &mut Subscription) -> Option<Option<sse_core::Frame>> {
    let waker = futures_util::task::noop_waker();
    match subscription.poll_next_unpin(&mut Context::from_waker(&waker)) {
        Poll::Ready(item) => Some(item),
        Poll::Pending => None,
    }
}

fn decode(decoder: &mut Decoder, frame: &sse_core::Frame) -> MessageEvent {
    decoder.push(frame).unwrap();
    let items: Vec<Decoded> = decoder.drain().collect();
    match &items[..] {
        [Decoded::Event(event)] => event.clone(),
        other => panic!("expected one event per frame, got {other:?}"),
    }
}

/// A tiny deterministic generator (xorshift), so failures reproduce from the seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Debug)]
struct Published {
    seq: u64,
    topic: &'static str,
    data: String,
}

/// One client: its topics, the decoder it reads with (which tracks `Last-Event-ID` as a
/// browser would), and what it received in its current session.
struct Client {
    topics: Vec<&'static str>,
    decoder: Decoder,
    subscription: Subscription,
    /// Resume point of this session (0 = live start) and the log length when it began.
    session_start: u64,
    log_len_at_start: usize,
    missed_at_start: bool,
    received: Vec<u64>,
}

const TOPICS: [&str; 3] = ["a", "b", "c"];
const HISTORY: usize = 16;

fn seq_of(id: &str) -> u64 {
    sse_core::EventId::parse(id).expect("hub id").sequence()
}

/// Checks one finished session against the published log.
fn check_session(client: &Client, log: &[Published]) {
    let mut last = client.session_start;
    for &seq in &client.received {
        assert!(seq > last, "strictly increasing: {:?}", client.received);
        last = seq;
    }
    let Some(&last_received) = client.received.last() else {
        return;
    };
    let mine = |p: &&Published| client.topics.contains(&p.topic);
    for p in log
        .iter()
        .filter(mine)
        .filter(|p| p.seq > client.session_start && p.seq <= last_received)
    {
        if client.received.contains(&p.seq) {
            continue;
        }
        // Lost: only allowed if the session began with a `missed` notice and the event
        // had already left its topic's history when the session began.
        assert!(
            client.missed_at_start,
            "silent loss of seq {} in {:?}",
            p.seq, client.received
        );
        let published_then = &log[..client.log_len_at_start];
        let topic_events: Vec<u64> = published_then
            .iter()
            .filter(|q| q.topic == p.topic)
            .map(|q| q.seq)
            .collect();
        let retained_from = topic_events.len().saturating_sub(HISTORY);
        assert!(
            topic_events[..retained_from].contains(&p.seq),
            "seq {} was still in history but not replayed",
            p.seq
        );
    }
}

/// Ends client `index`'s session (checking it) and starts a new one that resumes with the
/// client's Last-Event-ID.
fn reconnect(hub: &Hub, clients: &mut Vec<Client>, index: usize, log: &[Published]) {
    let old = clients.swap_remove(index);
    check_session(&old, log);
    let Client {
        topics, decoder, ..
    } = old;
    clients.push(new_session(hub, topics, decoder, log.len()));
}

fn new_session(hub: &Hub, topics: Vec<&'static str>, decoder: Decoder, log_len: usize) -> Client {
    let last = LastEventId::parse(decoder.last_event_id()).unwrap();
    let session_start = last.as_ref().map_or(0, |id| seq_of(id.as_str()));
    let mut subscription = hub.subscribe(topics.iter(), last.as_ref()).unwrap();
    let mut decoder = decoder;
    let mut missed_at_start = false;
    let mut received = Vec::new();
    // A live start begins after everything published so far.
    let session_start = if last.is_none() {
        log_len as u64
    } else {
        session_start
    };
    match poll_once(&mut subscription) {
        Some(Some(frame)) => {
            let event = decode(&mut decoder, &frame);
            if event.event_type == MISSED_EVENT {
                assert!(
                    event.data.contains("\"reason\":\"expired\""),
                    "{}",
                    event.data
                );
                missed_at_start = true;
            } else {
                received.push(seq_of(&event.last_event_id));
            }
        }
        Some(None) => panic!("a new subscription cannot have ended"),
        None => {}
    }
    Client {
        topics,
        decoder,
        subscription,
        session_start,
        log_len_at_start: log_len,
        missed_at_start,
        received,
    }
}

fn run_random_scenario(seed: u64) {
    let mut rng = Rng(seed);
    let hub = Hub::builder().history(HISTORY).build();
    let mut log: Vec<Published> = Vec::new();
    let mut clients: Vec<Client> = Vec::new();
    for _ in 0..12 {
        let topics: Vec<&'static str> = TOPICS
            .iter()
            .copied()
            .filter(|_| rng.below(2) == 0)
            .collect();
        let topics = if topics.is_empty() { vec!["a"] } else { topics };
        clients.push(new_session(&hub, topics, Decoder::new(), 0));
    }
    for step in 0..3000 {
        match rng.below(10) {
            0..=3 => {
                let topic = TOPICS[rng.below(3) as usize];
                let data = format!("{topic}-{step}");
                let id = hub
                    .publish(topic, Event::new(data.clone()))
                    .now_or_never()
                    .expect("in memory")
                    .unwrap();
                log.push(Published {
                    seq: id.sequence(),
                    topic,
                    data,
                });
            }
            4..=7 => {
                // A client reads a few events.
                let index = rng.below(clients.len() as u64) as usize;
                for _ in 0..rng.below(6) {
                    let client = &mut clients[index];
                    match poll_once(&mut client.subscription) {
                        None => break,
                        Some(Some(frame)) => {
                            let event = decode(&mut client.decoder, &frame);
                            assert_ne!(
                                event.event_type, MISSED_EVENT,
                                "a notice only opens a session"
                            );
                            let seq = seq_of(&event.last_event_id);
                            let published = log.iter().find(|p| p.seq == seq).expect("published");
                            assert_eq!(event.data, published.data);
                            client.received.push(seq);
                        }
                        Some(None) => {
                            // Lagged out (LagPolicy::Close): reconnect with Last-Event-ID.
                            reconnect(&hub, &mut clients, index, &log);
                            break;
                        }
                    }
                }
            }
            _ => {
                // A client disconnects and resumes with its Last-Event-ID.
                let index = rng.below(clients.len() as u64) as usize;
                reconnect(&hub, &mut clients, index, &log);
            }
        }
    }
    for client in &clients {
        check_session(client, &log);
    }
    let stats = hub.stats();
    assert_eq!(stats.subscribers, clients.len());
    assert_eq!(stats.published, log.len() as u64);
}

#[test]
fn random_publishers_subscribers_disconnects_and_resumes() {
    for seed in 1..=40u64 {
        run_random_scenario(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    }
}

#[test]
fn resume_replays_exactly_once_in_order_then_live() {
    let hub = Hub::new();
    let ids: Vec<_> = (0..10)
        .map(|n| {
            hub.publish(
                if n % 2 == 0 { "x" } else { "y" },
                Event::new(n.to_string()),
            )
            .now_or_never()
            .expect("in memory")
            .unwrap()
        })
        .collect();
    let last = LastEventId::parse(&ids[3].to_string()).unwrap();
    let mut subscription = hub.subscribe(["x", "y"], last.as_ref()).unwrap();
    let mut decoder = Decoder::new();
    let mut got = Vec::new();
    while let Some(Some(frame)) = poll_once(&mut subscription) {
        got.push(decode(&mut decoder, &frame).data);
    }
    assert_eq!(got, ["4", "5", "6", "7", "8", "9"]);
    hub.publish("y", Event::new("live"))
        .now_or_never()
        .expect("in memory")
        .unwrap();
    let frame = poll_once(&mut subscription).unwrap().unwrap();
    assert_eq!(decode(&mut decoder, &frame).data, "live");
    assert!(poll_once(&mut subscription).is_none());
}

#[test]
fn expired_and_foreign_ids_get_a_missed_event_first() {
    let hub = Hub::builder().history(4).build();
    let first = hub
        .publish("t", Event::new("0"))
        .now_or_never()
        .expect("in memory")
        .unwrap();
    for n in 1..10 {
        hub.publish("t", Event::new(n.to_string()))
            .now_or_never()
            .expect("in memory")
            .unwrap();
    }
    let mut decoder = Decoder::new();
    let expired = LastEventId::parse(&first.to_string()).unwrap();
    let mut subscription = hub.subscribe(["t"], expired.as_ref()).unwrap();
    let notice = decode(
        &mut decoder,
        &poll_once(&mut subscription).unwrap().unwrap(),
    );
    assert_eq!(notice.event_type, "missed");
    assert_eq!(notice.data, r#"{"reason":"expired","topics":["t"]}"#);
    assert_eq!(notice.last_event_id, "", "the notice carries no id");
    let rest: Vec<String> = std::iter::from_fn(|| poll_once(&mut subscription).flatten())
        .map(|frame| decode(&mut decoder, &frame).data)
        .collect();
    assert_eq!(
        rest,
        ["6", "7", "8", "9"],
        "then everything still in history"
    );

    for foreign in ["00000000-3", "42", "not an id"] {
        let foreign = LastEventId::parse(foreign).unwrap();
        let mut subscription = hub.subscribe(["t"], foreign.as_ref()).unwrap();
        let notice = decode(
            &mut Decoder::new(),
            &poll_once(&mut subscription).unwrap().unwrap(),
        );
        assert_eq!(notice.data, r#"{"reason":"unknown","topics":["t"]}"#);
    }
}

#[test]
fn lagged_subscriber_is_closed_by_default_and_notified_under_skip() {
    for policy in [LagPolicy::Close, LagPolicy::Skip] {
        let hub = Hub::builder().history(8).lag_policy(policy).build();
        let mut slow = hub.subscribe(["t"], None).unwrap();
        for n in 0..20 {
            hub.publish("t", Event::new(n.to_string()))
                .now_or_never()
                .expect("in memory")
                .unwrap();
        }
        let first = poll_once(&mut slow).unwrap();
        match policy {
            LagPolicy::Close => assert_eq!(first, None),
            LagPolicy::Skip => {
                let mut decoder = Decoder::new();
                let notice = decode(&mut decoder, &first.unwrap());
                assert_eq!(notice.data, r#"{"reason":"lagged","topics":["t"]}"#);
                let next = decode(&mut decoder, &poll_once(&mut slow).unwrap().unwrap());
                assert_eq!(next.data, "12", "resumes at the oldest event kept");
            }
        }
        assert_eq!(hub.stats().lagged, 1);
    }
}

#[test]
fn a_subscriber_that_never_reads_costs_bounded_memory_and_delays_no_one() {
    let hub = Hub::builder()
        .history(1024)
        .history_bytes(256 << 10)
        .build();
    let _stalled = hub.subscribe(["t"], None).unwrap();
    let mut reader = hub.subscribe(["t"], None).unwrap();
    let payload = "x".repeat(1000);
    let mut max_buffered = 0;
    for n in 0..50_000u64 {
        hub.publish("t", Event::new(format!("{n} {payload}")))
            .now_or_never()
            .expect("in memory")
            .unwrap();
        let frame = poll_once(&mut reader).unwrap().unwrap();
        assert!(
            frame
                .windows(n.to_string().len() + 1)
                .any(|w| w == format!("{n} ").as_bytes())
        );
        if n % 1000 == 0 {
            max_buffered = max_buffered.max(hub.stats().buffered_bytes);
        }
    }
    let stats = hub.stats();
    // 50 MB were published; the hub holds at most its history bound.
    assert!(max_buffered <= 256 << 10, "buffered {max_buffered}");
    assert!(stats.buffered_bytes <= 256 << 10);
    assert_eq!(stats.delivered, 50_000, "the reader got every event");
}

#[test]
fn dropping_a_subscription_removes_it_at_once() {
    let hub = Hub::new();
    let a = hub.subscribe(["t", "u"], None).unwrap();
    let b = hub.subscribe(["t"], None).unwrap();
    assert_eq!(hub.stats().subscribers, 2);
    drop(a);
    assert_eq!(hub.stats().subscribers, 1);
    assert_eq!(hub.stats().dropped, 1);
    drop(b);
    assert_eq!(hub.stats().subscribers, 0);
    // Publishing to topics whose subscribers are gone still works.
    hub.publish("t", Event::new("x"))
        .now_or_never()
        .expect("in memory")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_ten_thousand_subscriptions_after_a_final_event() {
    let hub = Hub::new();
    let mut tasks = Vec::new();
    for n in 0..10_000 {
        let subscription = hub.subscribe([format!("topic-{}", n % 7)], None).unwrap();
        tasks.push(tokio::spawn(subscription.collect::<Vec<_>>()));
    }
    hub.publish("topic-0", Event::new("before"))
        .now_or_never()
        .expect("in memory")
        .unwrap();
    tokio::task::yield_now().await;
    hub.shutdown(Some(Event::new("bye").event("shutdown").unwrap()));
    for (n, task) in tasks.into_iter().enumerate() {
        let frames = task.await.unwrap();
        let last = frames.last().expect("at least the final event");
        assert_eq!(last.as_bytes(), b"event: shutdown\ndata: bye\n\n");
        assert!(frames.len() <= if n % 7 == 0 { 2 } else { 1 });
    }
    assert_eq!(hub.stats().subscribers, 0);
    assert_eq!(
        hub.publish("topic-0", Event::new("late"))
            .now_or_never()
            .expect("in memory"),
        Err(HubError::Closed)
    );
    assert!(matches!(
        hub.subscribe(["topic-0"], None),
        Err(HubError::Closed)
    ));
    // Awaited rather than polled once: after 10,000 awaits tokio's cooperative budget may
    // make even a ready future yield once.
    assert!(hub.is_closed());
    hub.closed().await;
}

#[test]
fn limits_are_typed_errors_and_leave_the_hub_working() {
    let hub = Hub::builder()
        .max_topics(2)
        .max_subscribers(3)
        .max_subscribers_per_topic(2)
        .max_event_size(64)
        .max_topics_per_subscription(2)
        .build();
    assert!(matches!(
        hub.publish("bad topic", Event::new("x"))
            .now_or_never()
            .expect("in memory"),
        Err(HubError::InvalidTopic { .. })
    ));
    assert!(matches!(
        hub.publish("t", Event::new("x".repeat(100)))
            .now_or_never()
            .expect("in memory"),
        Err(HubError::EventTooLarge { max: 64, .. })
    ));
    hub.publish("t", Event::new("small"))
        .now_or_never()
        .expect("in memory")
        .unwrap();
    hub.publish("u", Event::new("small"))
        .now_or_never()
        .expect("in memory")
        .unwrap();
    assert_eq!(
        hub.publish("v", Event::new("x"))
            .now_or_never()
            .expect("in memory"),
        Err(HubError::TooManyTopics { max: 2 })
    );
    assert!(matches!(
        hub.subscribe(Vec::<String>::new(), None),
        Err(HubError::NoTopics)
    ));
    assert!(matches!(
        hub.subscribe(["t", "u", "t", "v"], None),
        Err(HubError::TooManyTopicsInSubscription { max: 2, .. })
    ));
    let _one = hub.subscribe(["t"], None).unwrap();
    let _two = hub.subscribe(["t"], None).unwrap();
    assert!(matches!(
        hub.subscribe(["t"], None),
        Err(HubError::TopicFull { max: 2, .. })
    ));
    let _three = hub.subscribe(["u"], None).unwrap();
    assert!(matches!(
        hub.subscribe(["u"], None),
        Err(HubError::TooManySubscribers { max: 3 })
    ));
    let stats = hub.stats();
    assert_eq!(
        (stats.topics, stats.subscribers, stats.published),
        (2, 3, 2)
    );
    // Error statuses the adapters use.
    assert_eq!(HubError::TooManySubscribers { max: 3 }.status(), 503);
    assert_eq!(HubError::NoTopics.status(), 400);
    assert_eq!(HubError::Closed.status(), 503);
}

#[tokio::test(start_paused = true)]
async fn publish_every_runs_on_the_interval_and_stops_at_shutdown() {
    let hub = Hub::new();
    let mut subscription = hub.subscribe(["tick"], None).unwrap();
    let mut n = 0;
    let task = hub
        .publish_every("tick", Duration::from_secs(1), move || {
            n += 1;
            (n % 3 != 0).then(|| Event::new(n.to_string()))
        })
        .unwrap();
    let mut decoder = Decoder::new();
    let mut got = Vec::new();
    for _ in 0..4 {
        let frame = subscription.next().await.unwrap();
        got.push(decode(&mut decoder, &frame).data);
    }
    assert_eq!(got, ["1", "2", "4", "5"], "None skips a tick");
    hub.shutdown(None);
    task.await.unwrap();
    assert_eq!(subscription.next().await, None);
    assert!(matches!(
        hub.publish_every("tick", Duration::from_secs(1), || Event::new("x")),
        Err(HubError::Closed)
    ));
}

#[test]
fn publish_every_outside_a_runtime_is_an_error_not_a_panic() {
    let hub = Hub::new();
    assert!(matches!(
        hub.publish_every("t", Duration::ZERO, || Event::new("x")),
        Err(HubError::NoRuntime)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_publishers_and_multi_topic_subscribers_see_one_order() {
    let hub = Hub::new();
    let mut readers = Vec::new();
    for _ in 0..8 {
        let subscription = hub.subscribe(["p0", "p1", "p2", "p3"], None).unwrap();
        readers.push(tokio::spawn(subscription.take(4 * 500).collect::<Vec<_>>()));
    }
    let mut publishers = Vec::new();
    for p in 0..4 {
        let hub = hub.clone();
        publishers.push(tokio::spawn(async move {
            for n in 0..500 {
                hub.publish(&format!("p{p}"), Event::new(format!("{p}:{n}")))
                    .now_or_never()
                    .expect("in memory")
                    .unwrap();
                if n % 50 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        }));
    }
    for publisher in publishers {
        publisher.await.unwrap();
    }
    let mut orders: Vec<Vec<u64>> = Vec::new();
    for reader in readers {
        let frames = reader.await.unwrap();
        let mut decoder = Decoder::new();
        let seqs: Vec<u64> = frames
            .iter()
            .map(|f| seq_of(&decode(&mut decoder, f).last_event_id))
            .collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "hub-wide order");
        orders.push(seqs);
    }
    assert!(
        orders.iter().all(|o| o == &orders[0] && o.len() == 2000),
        "every reader saw all, in one order"
    );
    let per_topic: HashMap<u64, ()> = orders[0].iter().map(|s| (*s, ())).collect();
    assert_eq!(per_topic.len(), 2000);
}

#[test]
fn disconnect_all_ends_current_subscriptions_and_they_resume_without_loss() {
    let hub = Hub::new();
    let mut old = hub.subscribe(["t"], None).unwrap();
    let first = hub
        .publish("t", Event::new("1"))
        .now_or_never()
        .expect("in memory")
        .unwrap();
    assert!(poll_once(&mut old).unwrap().is_some());
    hub.disconnect_all();
    hub.publish("t", Event::new("2"))
        .now_or_never()
        .expect("in memory")
        .unwrap();
    assert_eq!(
        poll_once(&mut old),
        Some(None),
        "ended at an event boundary"
    );
    assert!(!hub.is_closed());
    let last = LastEventId::parse(&first.to_string()).unwrap();
    let mut resumed = hub.subscribe(["t"], last.as_ref()).unwrap();
    let frame = poll_once(&mut resumed).unwrap().unwrap();
    assert_eq!(decode(&mut Decoder::new(), &frame).data, "2");
}

/// A waker that counts its wakes.
struct CountingWaker(std::sync::atomic::AtomicUsize);

impl futures_util::task::ArcWake for CountingWaker {
    fn wake_by_ref(this: &std::sync::Arc<Self>) {
        this.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

fn counting_waker() -> (std::sync::Arc<CountingWaker>, std::task::Waker) {
    let counter = std::sync::Arc::new(CountingWaker(0.into()));
    (counter.clone(), futures_util::task::waker(counter))
}

fn data(frame: &sse_core::Frame) -> String {
    decode(&mut Decoder::new(), frame).data
}

#[tokio::test(start_paused = true)]
async fn coalesced_wakes_come_at_most_once_per_window() {
    let window = Duration::from_millis(10);
    let hub = Hub::builder().coalesce(window).build();
    let mut subscription = hub.subscribe(["t"], None).unwrap();
    let (wakes, waker) = counting_waker();
    let wakes = move || wakes.0.load(std::sync::atomic::Ordering::SeqCst);
    let mut cx = Context::from_waker(&waker);
    let mut poll = |subscription: &mut Subscription| match subscription.poll_next_unpin(&mut cx) {
        Poll::Ready(Some(frame)) => Some(data(&frame)),
        Poll::Ready(None) => panic!("ended"),
        Poll::Pending => None,
    };

    assert_eq!(poll(&mut subscription), None);
    hub.publish("t", Event::new("1"))
        .now_or_never()
        .expect("in memory")
        .unwrap();
    assert_eq!(
        wakes(),
        1,
        "the first event after a quiet window wakes at once"
    );
    assert_eq!(poll(&mut subscription).as_deref(), Some("1"));
    assert_eq!(poll(&mut subscription), None);

    hub.publish("t", Event::new("2"))
        .now_or_never()
        .expect("in memory")
        .unwrap();
    hub.publish("t", Event::new("3"))
        .now_or_never()
        .expect("in memory")
        .unwrap();
    assert_eq!(wakes(), 1, "events inside the window wait for it to end");
    tokio::time::sleep(window).await;
    tokio::task::yield_now().await;
    assert_eq!(wakes(), 2, "then one wake carries both");
    assert_eq!(poll(&mut subscription).as_deref(), Some("2"));
    assert_eq!(poll(&mut subscription).as_deref(), Some("3"));
    assert_eq!(poll(&mut subscription), None);

    tokio::time::sleep(window * 2).await;
    hub.publish("t", Event::new("4"))
        .now_or_never()
        .expect("in memory")
        .unwrap();
    assert_eq!(wakes(), 3, "after a quiet window, at once again");
    assert_eq!(poll(&mut subscription).as_deref(), Some("4"));
}

#[test]
fn a_coalesced_wake_is_not_lost_when_its_runtime_stops() {
    let hub = Hub::builder().coalesce(Duration::from_secs(3600)).build();
    let mut subscription = hub.subscribe(["t"], None).unwrap();
    let (wakes, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(subscription.poll_next_unpin(&mut cx).is_pending());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        hub.publish("t", Event::new("1"))
            .now_or_never()
            .expect("in memory")
            .unwrap(); // wakes at once
        assert!(subscription.poll_next_unpin(&mut cx).is_ready());
        assert!(subscription.poll_next_unpin(&mut cx).is_pending());
        hub.publish("t", Event::new("2"))
            .now_or_never()
            .expect("in memory")
            .unwrap(); // deferred for an hour
    });
    assert_eq!(wakes.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    drop(runtime);
    assert_eq!(
        wakes.0.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "the deferred wake happens when its task is dropped"
    );
    // and the topic is not stuck: outside any runtime, publishing wakes at once
    assert!(subscription.poll_next_unpin(&mut cx).is_ready());
    assert!(subscription.poll_next_unpin(&mut cx).is_pending());
    hub.publish("t", Event::new("3"))
        .now_or_never()
        .expect("in memory")
        .unwrap();
    assert_eq!(wakes.0.load(std::sync::atomic::Ordering::SeqCst), 3);
}

#[test]
fn topic_stats_count_one_topic() {
    let hub = Hub::new();
    let a = hub.subscribe(["news"], None).unwrap();
    let _b = hub.subscribe(["news", "sport"], None).unwrap();
    hub.publish("news", Event::new("x"))
        .now_or_never()
        .expect("in memory")
        .unwrap();
    let news = hub.topic_stats("news").unwrap();
    assert_eq!((news.subscribers, news.buffered_events), (2, 1));
    assert!(news.buffered_bytes > 0);
    drop(a);
    assert_eq!(hub.topic_stats("news").unwrap().subscribers, 1);
    assert_eq!(hub.topic_stats("sport").unwrap().subscribers, 1);
    assert!(hub.topic_stats("weather").is_none());
}

#[test]
fn a_topic_in_use_is_kept_and_an_unused_one_goes_with_its_history() {
    let hub = Hub::new();
    let first = hub
        .publish("old", Event::new("1"))
        .now_or_never()
        .expect("in memory")
        .unwrap();
    hub.publish("old", Event::new("2"))
        .now_or_never()
        .expect("in memory")
        .unwrap();
    let subscription = hub.subscribe(["old"], None).unwrap();
    let error = hub
        .remove_topic("old")
        .now_or_never()
        .expect("in memory")
        .unwrap_err();
    assert!(matches!(error, HubError::TopicInUse { subscribers: 1, .. }));
    assert_eq!(error.status(), 409);
    drop(subscription);
    let remove = |topic| hub.remove_topic(topic).now_or_never().expect("in memory");
    assert!(remove("old").unwrap());
    assert!(!remove("old").unwrap(), "already gone");
    assert_eq!(hub.stats().topics, 0);
    assert_eq!(hub.stats().buffered_events, 0);

    // Resuming on a topic of that name with an id from before: told, never silent.
    let last = sse_core::LastEventId::parse(&first.to_string()).unwrap();
    let mut resumed = hub.subscribe(["old"], last.as_ref()).unwrap();
    let notice = resumed.next().now_or_never().flatten().expect("a notice");
    assert_eq!(
        notice.as_bytes(),
        b"event: missed\ndata: {\"reason\":\"expired\",\"topics\":[\"old\"]}\n\n"
    );
}

#[tokio::test]
async fn a_disconnect_handle_ends_one_waiting_subscription_only() {
    let hub = Hub::new();
    let leaving = hub.subscribe(["inbox"], None).unwrap();
    let mut staying = hub.subscribe(["inbox"], None).unwrap();
    let handle = leaving.disconnect_handle();
    assert!(handle.is_connected());
    let waiting = tokio::spawn(leaving.collect::<Vec<_>>());
    tokio::task::yield_now().await;
    handle.disconnect();
    assert!(
        waiting.await.unwrap().is_empty(),
        "ended at once, nothing sent"
    );
    assert!(!handle.is_connected());
    handle.disconnect(); // harmless afterwards
    hub.publish("inbox", Event::new("still here"))
        .now_or_never()
        .expect("in memory")
        .unwrap();
    assert!(
        staying
            .next()
            .await
            .unwrap()
            .ends_with(b"data: still here\n\n")
    );
    assert_eq!(hub.stats().subscribers, 1);
}

#[test]
fn topics_only_subscribed_to_go_when_their_last_subscriber_leaves() {
    let hub = Hub::builder().max_topics(20).build();
    // A stranger subscribing to made-up names, again and again, cannot fill the topic cap.
    for round in 0..10 {
        let names: Vec<String> = (0..16).map(|n| format!("made-up-{round}-{n}")).collect();
        let subscription = hub.subscribe(&names, None).unwrap();
        assert_eq!(hub.stats().topics, 16);
        drop(subscription);
        assert_eq!(hub.stats().topics, 0, "round {round}");
    }
    // A topic with a history stays for resuming; one still subscribed to stays too.
    let first = hub.subscribe(["kept"], None).unwrap();
    let second = hub.subscribe(["kept", "shared"], None).unwrap();
    hub.publish("kept", Event::new("x"))
        .now_or_never()
        .expect("in memory")
        .unwrap();
    drop(first);
    drop(second);
    assert_eq!(
        hub.stats().topics,
        1,
        "only the topic with a history is left"
    );
    assert!(hub.topic_stats("kept").is_some());
    let _third = hub.subscribe(["shared"], None).unwrap();
    let _fourth = hub.subscribe(["shared"], None).unwrap();
    drop(_third);
    assert!(
        hub.topic_stats("shared").is_some(),
        "still has a subscriber"
    );
}

fn publish_now(hub: &Hub, topic: &str, data: String) -> sse_core::EventId {
    hub.publish(topic, Event::new(data))
        .now_or_never()
        .expect("in memory")
        .unwrap()
}

#[test]
fn the_history_budget_bounds_the_whole_hub() {
    let hub = Hub::builder()
        .history_budget(20_000)
        .history_bytes(1 << 20)
        .build();
    // Fifty topics nobody subscribes to, 1 KiB events: the unwatched ones go first.
    for n in 0..50 {
        for _ in 0..4 {
            publish_now(&hub, &format!("t{n}"), "x".repeat(1000));
        }
        assert!(
            hub.stats().buffered_bytes <= 20_000 + 1100,
            "{:?}",
            hub.stats()
        );
    }
    assert!(hub.stats().topics < 50);
    // A watched topic's history is shortened when it alone is over, and a subscriber that
    // needed what went is told, not skipped.
    let mut watcher = hub.subscribe(["watched"], None).unwrap();
    let first = publish_now(&hub, "watched", "y".repeat(1000));
    for _ in 0..40 {
        publish_now(&hub, "watched", "y".repeat(1000));
    }
    assert!(hub.stats().buffered_bytes <= 20_000 + 1100);
    assert!(
        poll_once(&mut watcher).is_some_and(|frame| frame.is_none()),
        "lagged out"
    );
    let last = LastEventId::parse(&first.to_string()).unwrap();
    let mut resumed = hub.subscribe(["watched"], last.as_ref()).unwrap();
    let notice = poll_once(&mut resumed).flatten().expect("a notice");
    assert!(
        notice
            .as_bytes()
            .starts_with(b"event: missed\ndata: {\"reason\":\"expired\"")
    );
}

#[test]
fn idle_topics_without_subscribers_expire_with_their_history() {
    let hub = Hub::builder().topic_idle(Duration::ZERO).build();
    let old = publish_now(&hub, "old", "x".into());
    let _watched = hub.subscribe(["watched"], None).unwrap();
    publish_now(&hub, "watched", "y".into());
    // Idle topics are looked for when a topic is made, at most once a second.
    std::thread::sleep(Duration::from_millis(1100));
    publish_now(&hub, "new", "z".into());
    assert!(hub.topic_stats("old").is_none(), "expired");
    assert!(
        hub.topic_stats("watched").is_some(),
        "a subscriber keeps it"
    );
    let last = LastEventId::parse(&old.to_string()).unwrap();
    let mut resumed = hub.subscribe(["old"], last.as_ref()).unwrap();
    let notice = poll_once(&mut resumed).flatten().expect("a notice");
    assert!(
        notice
            .as_bytes()
            .starts_with(b"event: missed\ndata: {\"reason\":\"expired\"")
    );
}
