//! The seeded random hub scenario over two instances on one Redis: clients on random topics
//! read, disconnect and resume on a random instance, while publishers publish on a random
//! instance. At the end every client has received exactly the published events of its
//! topics since it first connected: none lost, none twice, in order.

use std::time::Duration;

use futures_util::StreamExt;
use sse_conformance::redis_server::RedisServer;
use sse_core::{Decoded, Decoder, Event, EventId, Hub, LastEventId, Subscription};

/// A tiny deterministic generator (xorshift), so failures reproduce from the seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const TOPICS: [&str; 3] = ["a", "b", "c"];

struct Client {
    topics: Vec<&'static str>,
    decoder: Decoder,
    subscription: Subscription,
    /// Sequence numbers received, over all sessions since it last connected without a
    /// `Last-Event-ID` (a live start, like a new browser).
    received: Vec<u64>,
}

impl Client {
    /// Reads what arrives within `wait`, at most `max` events.
    async fn read(&mut self, max: usize, wait: Duration) {
        for _ in 0..max {
            let Ok(Some(frame)) = tokio::time::timeout(wait, self.subscription.next()).await else {
                return;
            };
            self.decoder.push(frame.as_bytes()).expect("decodable");
            for item in self.decoder.drain() {
                if let Decoded::Event(event) = item {
                    assert_ne!(
                        event.event_type, "missed",
                        "nothing expired: {}",
                        event.data
                    );
                    let id = EventId::parse(&event.last_event_id).expect("a hub id");
                    self.received.push(id.sequence());
                }
            }
        }
    }

    /// Disconnects and resumes on `hub` with the Last-Event-ID it has (without one, as a
    /// new client: a live start).
    fn resume_on(&mut self, hub: &Hub) {
        let last = LastEventId::parse(self.decoder.last_event_id()).expect("valid id");
        if last.is_none() {
            self.received.clear();
        }
        self.subscription = hub
            .subscribe(&self.topics, last.as_ref())
            .expect("subscribe");
    }
}

async fn run(seed: u64, redis: &RedisServer) {
    let mut rng = Rng(seed);
    let prefix = format!("scenario{seed}");
    let mut hubs = Vec::new();
    for _ in 0..2 {
        let options = sse_redis::Options::new().prefix(prefix.clone());
        hubs.push(
            sse_redis::connect_with(&redis.url(), Hub::builder(), options)
                .await
                .unwrap(),
        );
    }
    let mut log: Vec<(u64, &'static str)> = Vec::new();
    let mut clients = Vec::new();
    for _ in 0..10 {
        let mut topics: Vec<&'static str> =
            TOPICS.into_iter().filter(|_| rng.below(2) == 0).collect();
        if topics.is_empty() {
            topics.push("a");
        }
        let hub = &hubs[rng.below(2) as usize];
        clients.push(Client {
            subscription: hub.subscribe(&topics, None).unwrap(),
            topics,
            decoder: Decoder::new(),
            received: Vec::new(),
        });
    }
    for _ in 0..400 {
        match rng.below(10) {
            0..=4 => {
                let topic = TOPICS[rng.below(3) as usize];
                let hub = &hubs[rng.below(2) as usize];
                let id = hub
                    .publish(topic, Event::new(topic))
                    .await
                    .expect("publish");
                log.push((id.sequence(), topic));
            }
            5..=7 => {
                let index = rng.below(clients.len() as u64) as usize;
                let max = rng.below(6) as usize;
                clients[index].read(max, Duration::from_millis(2)).await;
            }
            _ => {
                let index = rng.below(clients.len() as u64) as usize;
                let hub = &hubs[rng.below(2) as usize];
                clients[index].resume_on(hub);
            }
        }
    }
    for (index, client) in clients.iter_mut().enumerate() {
        let mine: Vec<u64> = log
            .iter()
            .filter(|(_, topic)| client.topics.contains(topic))
            .map(|(seq, _)| *seq)
            .collect();
        // A live start begins wherever its instance had read to; from the first event the
        // client received, it must get every one of its topics' events, once, in order.
        loop {
            let from = client.received.first().copied().unwrap_or(0);
            let expected = mine.iter().filter(|seq| **seq >= from).count();
            let before = client.received.len();
            if before >= expected {
                break;
            }
            client.read(expected - before, Duration::from_secs(2)).await;
            if client.received.len() == before {
                break;
            }
        }
        let from = client.received.first().copied().unwrap_or(u64::MAX);
        let expected: Vec<u64> = mine.into_iter().filter(|seq| *seq >= from).collect();
        assert_eq!(
            client.received, expected,
            "seed {seed}, client {index} on {:?}",
            client.topics
        );
    }
    let delivered: usize = clients.iter().map(|client| client.received.len()).sum();
    assert!(
        delivered > log.len(),
        "the scenario delivered {delivered} events"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_clients_publishers_and_resumes_across_two_instances() {
    let redis = RedisServer::start();
    for seed in 1..=4u64 {
        run(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1, &redis).await;
    }
}
