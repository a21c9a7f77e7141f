//! What the hub keeps in Redis is bounded by its configuration, not by how many topics the
//! app publishes to: with `Options::max_topics`, the least recently published topics lose
//! their history first, and a resume into one of them is told `missed` (`expired`). On a
//! real `redis-server`, counting the keys with `SCAN` and their size with `MEMORY USAGE`.

use sse_conformance::redis_server::RedisServer;
use sse_core::{Event, EventId, Hub};

mod common;
use common::resume;

/// The keys matching `pattern`, by `SCAN`.
async fn scan(connection: &mut redis::aio::MultiplexedConnection, pattern: &str) -> Vec<String> {
    let mut cursor = 0u64;
    let mut keys = Vec::new();
    loop {
        let (next, page): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(connection)
            .await
            .unwrap();
        keys.extend(page);
        if next == 0 {
            return keys;
        }
        cursor = next;
    }
}

/// 200 topics of 3 events of 10 KB, with a cap of 50 topics: Redis keeps at most 50
/// topics' histories (the 50 published last), and a resume into a topic whose history was
/// trimmed gets `missed` instead of a silent gap; a kept topic still replays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_topic_cap_bounds_the_histories_redis_keeps() {
    const CAP: usize = 50;
    const TOPICS: usize = 200;
    let redis = RedisServer::start();
    let options = sse_redis::Options::new().max_topics(CAP);
    let hub = sse_redis::connect_with(&redis.url(), Hub::builder(), options.clone())
        .await
        .expect("connect");
    let body = "x".repeat(10 * 1024);
    let mut first = Vec::new();
    for topic in 0..TOPICS {
        for n in 0..3 {
            let id = hub
                .publish(&format!("topic-{topic}"), Event::new(format!("{n} {body}")))
                .await
                .unwrap();
            if n == 0 {
                first.push(id);
            }
        }
    }

    let mut connection = redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let histories = scan(&mut connection, "sse:t:*").await;
    let mut history_bytes = 0u64;
    for key in &histories {
        let bytes: Option<u64> = redis::cmd("MEMORY")
            .arg("USAGE")
            .arg(key)
            .query_async(&mut connection)
            .await
            .unwrap();
        history_bytes += bytes.unwrap_or(0);
    }
    let log_bytes: Option<u64> = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg("sse:log")
        .query_async(&mut connection)
        .await
        .unwrap();
    let keys: u64 = redis::cmd("DBSIZE")
        .query_async(&mut connection)
        .await
        .unwrap();
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut connection)
        .await
        .unwrap();
    let used = info
        .lines()
        .find_map(|line| line.strip_prefix("used_memory:"))
        .unwrap_or("?")
        .trim()
        .to_owned();
    println!(
        "{TOPICS} topics x 3 x 10 KB, cap {CAP}: {} history keys of {history_bytes} bytes, \
         the log {} bytes, {keys} keys, used_memory {used}",
        histories.len(),
        log_bytes.unwrap_or(0),
    );
    assert!(
        histories.len() <= CAP,
        "{} topic histories kept in Redis, over the cap of {CAP}",
        histories.len()
    );
    // The 50 published last are the ones kept.
    for topic in TOPICS - CAP..TOPICS {
        assert!(
            histories.contains(&format!("sse:t:topic-{topic}")),
            "topic-{topic}, among the last published, keeps its history: {histories:?}"
        );
    }
    // Three events of 10 KB each per kept topic, in allocations of up to 16 KB.
    let per_topic = 3 * 16 * 1024;
    assert!(
        history_bytes <= (CAP * per_topic) as u64,
        "{history_bytes} bytes of histories for {CAP} topics"
    );
    let recent: u64 = redis::cmd("ZCARD")
        .arg("sse:recent")
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(recent as usize <= CAP, "the set of topics is capped too");

    // On another instance (whose memory has none of it), a resume into a trimmed topic
    // is told; a kept one is replayed.
    let other = sse_redis::connect_with(&redis.url(), Hub::builder(), options)
        .await
        .expect("connect");
    let kept = format!("topic-{}", TOPICS - 1);
    let events = resume(&other, &["topic-0", &kept], first[0]).await;
    let missed: Vec<&str> = events
        .iter()
        .filter(|(_, name, _)| name == "missed")
        .map(|(_, _, data)| data.as_str())
        .collect();
    assert_eq!(
        missed,
        [r#"{"reason":"expired","topics":["topic-0"]}"#],
        "{:?}",
        events.iter().map(|e| (&e.0, &e.1)).collect::<Vec<_>>()
    );
    let replayed: Vec<&str> = events
        .iter()
        .filter(|(_, name, _)| name == "message")
        .map(|(id, _, _)| id.as_str())
        .collect();
    let last = first[TOPICS - 1];
    let expected: Vec<String> = (0..3)
        .map(|n| EventId::new(last.epoch(), last.sequence() + n).to_string())
        .collect();
    assert_eq!(replayed, expected, "the kept topic's history is replayed");
}
