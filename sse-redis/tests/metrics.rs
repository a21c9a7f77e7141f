//! The Redis backend's metrics, and the hub's publish round trip, on a real `redis-server`
//! that goes away and comes back empty.
#![cfg(feature = "metrics")]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use metrics::{
    Counter, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit,
};
use sse_conformance::redis_server::RedisServer;
use sse_core::{Event, Hub, HubError};

const PATIENCE: Duration = Duration::from_secs(10);

/// Counters and histogram sample counts by series (`name{k=v}`); gauges are ignored.
#[derive(Clone, Default)]
struct Recorded {
    counters: Arc<Mutex<HashMap<String, Arc<AtomicU64>>>>,
    samples: Arc<Mutex<HashMap<String, Arc<Samples>>>>,
}

#[derive(Default)]
struct Samples(AtomicU64);

impl HistogramFn for Samples {
    fn record(&self, _: f64) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

fn series(key: &Key) -> String {
    let labels: Vec<String> = key
        .labels()
        .map(|label| format!("{}={}", label.key(), label.value()))
        .collect();
    if labels.is_empty() {
        key.name().to_owned()
    } else {
        format!("{}{{{}}}", key.name(), labels.join(","))
    }
}

impl Recorder for Recorded {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let mut counters = self.counters.lock().unwrap();
        Counter::from_arc(counters.entry(series(key)).or_default().clone())
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        let mut samples = self.samples.lock().unwrap();
        Histogram::from_arc(samples.entry(series(key)).or_default().clone())
    }
}

impl Recorded {
    fn counter(&self, series: &str) -> u64 {
        let counters = self.counters.lock().unwrap();
        counters
            .get(series)
            .unwrap_or_else(|| panic!("no {series}"))
            .load(Ordering::Relaxed)
    }

    fn samples(&self, series: &str) -> u64 {
        self.samples.lock().unwrap()[series]
            .0
            .load(Ordering::Relaxed)
    }

    /// Waits, up to [`PATIENCE`], for `series` to reach `at_least`.
    async fn reaches(&self, series: &str, at_least: u64) -> bool {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while self.counter(series) < at_least {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        true
    }
}

#[tokio::test]
async fn redis_errors_reconnects_and_resets_are_counted() {
    let recorded = Recorded::default();
    let mut redis = RedisServer::start();
    // The handles are registered in `connect`, on this thread.
    let hub = {
        let _local = metrics::set_default_local_recorder(&recorded);
        sse_redis::connect(&redis.url(), Hub::builder())
            .await
            .expect("connect")
    };
    hub.publish("t", Event::new("x")).await.unwrap();
    assert_eq!(recorded.counter("sse_published_total"), 1);
    assert_eq!(
        recorded.samples("sse_publish_duration_seconds"),
        1,
        "the round trip"
    );
    assert_eq!(recorded.counter("sse_redis_errors_total{op=publish}"), 0);

    redis.kill();
    let error = hub.publish("t", Event::new("x")).await.unwrap_err();
    assert!(matches!(error, HubError::Backend { .. }), "{error}");
    assert_eq!(recorded.counter("sse_redis_errors_total{op=publish}"), 1);
    assert_eq!(
        recorded.counter("sse_publish_errors_total{reason=backend}"),
        1
    );
    assert!(recorded.reaches("sse_redis_errors_total{op=read}", 1).await);

    redis.restart_empty();
    assert!(recorded.reaches("sse_redis_reconnects_total", 1).await);
    assert!(recorded.reaches("sse_redis_epoch_resets_total", 1).await);
}
