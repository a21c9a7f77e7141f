//! The hub's metrics move as the hub does: each one checked through a small recorder, and
//! against [`Hub::stats`] where both count the same thing.
#![cfg(feature = "metrics")]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{FutureExt, StreamExt};
use metrics::{
    Counter, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit,
};
use sse_core::hub::{HubBuilder, LagPolicy, Subscription};
use sse_core::{Event, Hub, LastEventId};

/// A recorder that keeps every series by its name and labels (`name{k=v,...}`). Unlike
/// `metrics-util`'s debugging recorder, reading does not reset anything.
#[derive(Clone, Default)]
struct Recorded {
    counters: Arc<Mutex<HashMap<String, Arc<AtomicU64>>>>,
    gauges: Arc<Mutex<HashMap<String, Arc<AtomicU64>>>>,
    histograms: Arc<Mutex<HashMap<String, Arc<Samples>>>>,
}

#[derive(Default)]
struct Samples(Mutex<Vec<f64>>);

impl HistogramFn for Samples {
    fn record(&self, value: f64) {
        self.0.lock().unwrap().push(value);
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

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        let mut gauges = self.gauges.lock().unwrap();
        Gauge::from_arc(gauges.entry(series(key)).or_default().clone())
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        let mut histograms = self.histograms.lock().unwrap();
        Histogram::from_arc(histograms.entry(series(key)).or_default().clone())
    }
}

impl Recorded {
    /// A hub built with this recorder in place (it registers its handles then).
    fn build(&self, builder: HubBuilder) -> Hub {
        metrics::with_local_recorder(self, || builder.build())
    }

    /// A counter's value; a series never registered is a test error.
    fn counter(&self, series: &str) -> u64 {
        let counters = self.counters.lock().unwrap();
        let counter = counters.get(series);
        let known = || counters.keys().cloned().collect::<Vec<_>>();
        counter
            .unwrap_or_else(|| panic!("no {series} in {:?}", known()))
            .load(Ordering::Relaxed)
    }

    fn gauge(&self, series: &str) -> f64 {
        let gauges = self.gauges.lock().unwrap();
        let gauge = gauges.get(series).unwrap_or_else(|| panic!("no {series}"));
        f64::from_bits(gauge.load(Ordering::Relaxed))
    }

    fn samples(&self, series: &str) -> Vec<f64> {
        let histograms = self.histograms.lock().unwrap();
        histograms[series].0.lock().unwrap().clone()
    }
}

fn publish(hub: &Hub, topic: &str, data: &str) -> String {
    hub.publish(topic, Event::new(data))
        .now_or_never()
        .expect("in memory, at once")
        .expect("published")
        .to_string()
}

/// Every frame ready now; stops when the subscription would wait (or has ended), which is
/// where an event stream's batch ends and the metrics are added.
fn drain(subscription: &mut Subscription) -> usize {
    let mut frames = 0;
    while let Some(Some(_)) = subscription.next().now_or_never() {
        frames += 1;
    }
    frames
}

#[test]
fn subscribers_and_topics_gauges_follow_subscriptions() {
    let recorded = Recorded::default();
    let hub = recorded.build(Hub::builder());
    assert_eq!(recorded.gauge("sse_subscribers"), 0.0);

    let a = hub.subscribe(["t", "u"], None).unwrap();
    let b = hub.subscribe(["t"], None).unwrap();
    assert_eq!(recorded.gauge("sse_subscribers"), 2.0);
    assert_eq!(recorded.gauge("sse_topics"), 2.0);

    drop(a);
    assert_eq!(recorded.gauge("sse_subscribers"), 1.0);
    // `u` never had an event and nobody is left on it: it is gone.
    assert_eq!(recorded.gauge("sse_topics"), 1.0);
    assert_eq!(recorded.counter("sse_disconnects_total{reason=client}"), 1);
    drop(b);
    assert_eq!(recorded.gauge("sse_subscribers"), 0.0);
    assert_eq!(recorded.gauge("sse_topics"), 0.0);
    assert_eq!(hub.stats().dropped, 2);
}

#[test]
fn publish_and_deliver_count_and_time() {
    let recorded = Recorded::default();
    let hub = recorded.build(Hub::builder());
    let mut one = hub.subscribe(["t"], None).unwrap();
    let mut two = hub.subscribe(["t"], None).unwrap();
    for n in 0..3 {
        publish(&hub, "t", &format!("event {n}"));
    }
    assert_eq!(recorded.counter("sse_published_total"), 3);
    let samples = recorded.samples("sse_publish_duration_seconds");
    assert_eq!(samples.len(), 3);
    assert!(samples.iter().all(|&seconds| seconds >= 0.0));

    // Counted per batch: once each subscriber has taken everything ready.
    assert_eq!(drain(&mut one), 3);
    assert_eq!(recorded.counter("sse_delivered_total"), 3);
    assert_eq!(drain(&mut two), 3);
    assert_eq!(recorded.counter("sse_delivered_total"), 6);
    assert_eq!(recorded.counter("sse_replayed_total"), 0);

    let stats = hub.stats();
    assert_eq!(stats.published, 3);
    assert_eq!(stats.delivered, 6);
    assert_eq!(
        recorded.gauge("sse_buffered_bytes"),
        stats.buffered_bytes as f64
    );
    assert!(stats.buffered_bytes > 0);

    // A subscription dropped in the middle of a batch still adds what it took.
    publish(&hub, "t", "one more");
    assert!(one.next().now_or_never().flatten().is_some());
    drop(one);
    assert_eq!(recorded.counter("sse_delivered_total"), 7);
}

#[test]
fn history_bytes_follow_the_rings_and_removal() {
    let recorded = Recorded::default();
    let hub = recorded.build(Hub::builder().history(2));
    for n in 0..5 {
        publish(&hub, "a", &format!("event {n}"));
        publish(&hub, "b", "x");
        let stats = hub.stats();
        assert_eq!(
            recorded.gauge("sse_buffered_bytes"),
            stats.buffered_bytes as f64
        );
        assert_eq!(stats.buffered_events, (2 * (n + 1)).min(4));
    }
    assert_eq!(recorded.gauge("sse_topics"), 2.0);
    assert!(
        hub.remove_topic("a")
            .now_or_never()
            .expect("in memory")
            .unwrap()
    );
    assert_eq!(recorded.gauge("sse_topics"), 1.0);
    assert_eq!(
        recorded.gauge("sse_buffered_bytes"),
        hub.stats().buffered_bytes as f64
    );
    // A hub that goes away takes its share of the gauges with it.
    drop(hub);
    assert_eq!(recorded.gauge("sse_buffered_bytes"), 0.0);
    assert_eq!(recorded.gauge("sse_topics"), 0.0);
}

#[test]
fn lag_counts_lagged_and_a_missed_notice_under_skip() {
    let recorded = Recorded::default();
    let hub = recorded.build(Hub::builder().history(2).lag_policy(LagPolicy::Skip));
    let mut slow = hub.subscribe(["t"], None).unwrap();
    for n in 0..5 {
        publish(&hub, "t", &n.to_string());
    }
    // The notice, then the two events still kept.
    assert_eq!(drain(&mut slow), 3);
    assert_eq!(recorded.counter("sse_lagged_total"), 1);
    assert_eq!(recorded.counter("sse_missed_total{reason=lagged}"), 1);
    assert_eq!(recorded.counter("sse_delivered_total"), 2);
    let stats = hub.stats();
    assert_eq!((stats.lagged, stats.missed, stats.delivered), (1, 1, 2));
}

#[test]
fn lag_under_close_ends_the_stream_and_counts_the_disconnect() {
    let recorded = Recorded::default();
    let hub = recorded.build(Hub::builder().history(2));
    let mut slow = hub.subscribe(["t"], None).unwrap();
    for n in 0..5 {
        publish(&hub, "t", &n.to_string());
    }
    assert_eq!(drain(&mut slow), 0);
    assert_eq!(recorded.counter("sse_lagged_total"), 1);
    assert_eq!(recorded.counter("sse_missed_total{reason=lagged}"), 0);
    drop(slow);
    assert_eq!(recorded.counter("sse_disconnects_total{reason=lagged}"), 1);
    assert_eq!(recorded.counter("sse_disconnects_total{reason=client}"), 0);
}

#[test]
fn resuming_counts_replayed_events_and_missed_notices() {
    let recorded = Recorded::default();
    let hub = recorded.build(Hub::builder().history(3));
    let first = publish(&hub, "t", "1");
    publish(&hub, "t", "2");
    publish(&hub, "t", "3");
    let resume = LastEventId::parse(&first).unwrap().unwrap();
    let mut resumed = hub.subscribe(["t"], Some(&resume)).unwrap();
    assert_eq!(drain(&mut resumed), 2);
    assert_eq!(recorded.counter("sse_replayed_total"), 2);
    // A live event is delivered, not replayed.
    publish(&hub, "t", "4");
    assert_eq!(drain(&mut resumed), 1);
    assert_eq!(recorded.counter("sse_replayed_total"), 2);
    assert_eq!(recorded.counter("sse_delivered_total"), 3);

    // Once the event after `first` has left the history of three too: a missed notice,
    // then the three kept.
    publish(&hub, "t", "5");
    let mut late = hub.subscribe(["t"], Some(&resume)).unwrap();
    assert_eq!(drain(&mut late), 4);
    assert_eq!(recorded.counter("sse_missed_total{reason=expired}"), 1);
    assert_eq!(recorded.counter("sse_replayed_total"), 5);

    // An id of another hub run.
    let stranger = LastEventId::parse("00000000-1").unwrap().unwrap();
    let mut lost = hub.subscribe(["t"], Some(&stranger)).unwrap();
    assert_eq!(drain(&mut lost), 4);
    assert_eq!(recorded.counter("sse_missed_total{reason=unknown}"), 1);

    let stats = hub.stats();
    assert_eq!((stats.replayed, stats.missed), (8, 2));
    assert_eq!(recorded.counter("sse_replayed_total"), stats.replayed);
}

#[test]
fn refusals_are_counted_by_reason() {
    let recorded = Recorded::default();
    let hub = recorded.build(
        Hub::builder()
            .max_subscribers(1)
            .max_event_size(64)
            .max_topics(1),
    );
    let _only = hub.subscribe(["t"], None).unwrap();
    assert!(hub.subscribe(["t"], None).is_err());
    assert!(hub.subscribe(["bad topic\n"], None).is_err());
    assert_eq!(
        recorded.counter("sse_subscribe_rejected_total{reason=too_many_subscribers}"),
        1
    );
    assert_eq!(
        recorded.counter("sse_subscribe_rejected_total{reason=invalid}"),
        1
    );

    let big = "x".repeat(100);
    assert!(
        hub.publish("t", Event::new(big))
            .now_or_never()
            .unwrap()
            .is_err()
    );
    assert!(
        hub.publish("u", Event::new("x"))
            .now_or_never()
            .unwrap()
            .is_err()
    );
    assert_eq!(
        recorded.counter("sse_publish_errors_total{reason=too_large}"),
        1
    );
    assert_eq!(
        recorded.counter("sse_publish_errors_total{reason=too_many_topics}"),
        1
    );
    assert_eq!(recorded.counter("sse_published_total"), 0);

    hub.shutdown(None);
    assert!(
        hub.publish("t", Event::new("x"))
            .now_or_never()
            .unwrap()
            .is_err()
    );
    assert_eq!(
        recorded.counter("sse_publish_errors_total{reason=closed}"),
        1
    );
}

#[test]
fn disconnects_are_counted_by_reason() {
    let recorded = Recorded::default();
    let hub = recorded.build(Hub::builder());
    let mut kicked = hub.subscribe(["t"], None).unwrap();
    hub.disconnect_all();
    assert_eq!(drain(&mut kicked), 0);
    drop(kicked);
    assert_eq!(
        recorded.counter("sse_disconnects_total{reason=disconnected}"),
        1
    );

    let mut last = hub.subscribe(["t"], None).unwrap();
    hub.shutdown(Some(Event::new("bye")));
    assert_eq!(drain(&mut last), 1, "the final event");
    drop(last);
    assert_eq!(
        recorded.counter("sse_disconnects_total{reason=shutdown}"),
        1
    );
    assert_eq!(recorded.gauge("sse_subscribers"), 0.0);
}

#[test]
fn a_named_hub_labels_every_metric() {
    let recorded = Recorded::default();
    let hub = recorded.build(Hub::builder().metrics_name("chat"));
    let _subscription = hub.subscribe(["t"], None).unwrap();
    publish(&hub, "t", "x");
    assert_eq!(recorded.gauge("sse_subscribers{hub=chat}"), 1.0);
    assert_eq!(recorded.counter("sse_published_total{hub=chat}"), 1);
    assert_eq!(
        recorded.counter("sse_missed_total{hub=chat,reason=expired}"),
        0
    );
    let counters = recorded.counters.lock().unwrap();
    assert!(counters.keys().all(|series| series.contains("hub=chat")));
    // Never a label per topic.
    assert!(counters.keys().all(|series| !series.contains("topic=")));
}
