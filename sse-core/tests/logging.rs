//! What the hub logs: subscribe and resume (with how many events were replayed), a
//! subscriber leaving, lag, `missed` notices and shutdown, each at its level, and never
//! event data.

use std::sync::{Arc, Mutex};

use futures_util::{FutureExt, StreamExt};
use sse_core::{Event, Hub, LastEventId};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Level, Metadata, Subscriber};

/// One log line: its level and its fields, `message` first, as `name=value` text.
#[derive(Debug, Clone)]
struct Line {
    level: Level,
    text: String,
}

/// A subscriber that keeps every event at `DEBUG` or above: the lines not yet taken, and
/// all of them.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Line>>>, Arc<Mutex<Vec<Line>>>);

impl Capture {
    fn take(&self) -> Vec<Line> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    fn all(&self) -> Vec<Line> {
        self.1.lock().unwrap().clone()
    }
}

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= Level::DEBUG
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        let line = Line {
            level: *event.metadata().level(),
            text: fields.0,
        };
        self.1.lock().unwrap().push(line.clone());
        self.0.lock().unwrap().push(line);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

fn publish(hub: &Hub, topic: &str, data: &str) -> String {
    hub.publish(topic, Event::new(data))
        .now_or_never()
        .expect("in memory, at once")
        .expect("published")
        .to_string()
}

fn find<'a>(lines: &'a [Line], words: &str) -> Vec<&'a Line> {
    lines
        .iter()
        .filter(|line| line.text.contains(words))
        .collect()
}

#[test]
fn the_hub_logs_its_life_at_the_right_levels_and_never_event_data() {
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), || {
        let hub = Hub::builder().history(4).build();
        let secret = "SECRET-EVENT-DATA";

        // Subscribe, then leave: one debug line each.
        let subscription = hub.subscribe(["news"], None).unwrap();
        drop(subscription);
        let lines = capture.take();
        let subscribed = find(&lines, "subscribed");
        assert_eq!(subscribed.len(), 1, "{lines:?}");
        assert_eq!(subscribed[0].level, Level::DEBUG);
        assert!(subscribed[0].text.contains("news"), "{lines:?}");
        let left = find(&lines, "subscriber left");
        assert_eq!(left.len(), 1, "{lines:?}");
        assert_eq!(left[0].level, Level::DEBUG, "one debug line per disconnect");
        assert!(left[0].text.contains("reason=\"client\""), "{lines:?}");

        // Resume: how many events are replayed.
        let first = publish(&hub, "news", secret);
        publish(&hub, "news", secret);
        publish(&hub, "news", secret);
        let resume = LastEventId::parse(&first).unwrap().unwrap();
        let subscription = hub.subscribe(["news"], Some(&resume)).unwrap();
        let lines = capture.take();
        let resumed = find(&lines, "resumed");
        assert_eq!(resumed.len(), 1, "{lines:?}");
        assert_eq!(resumed[0].level, Level::DEBUG);
        assert!(resumed[0].text.contains("replayed=2"), "{lines:?}");
        drop(subscription);

        // An expired id: the missed notice is logged at info.
        let old = LastEventId::parse(&publish(&hub, "news", secret))
            .unwrap()
            .unwrap();
        for _ in 0..6 {
            publish(&hub, "news", secret);
        }
        let subscription = hub.subscribe(["news"], Some(&old)).unwrap();
        let lines = capture.take();
        let missed = find(&lines, "missed notice");
        assert_eq!(missed.len(), 1, "{lines:?}");
        assert_eq!(missed[0].level, Level::INFO);
        assert!(missed[0].text.contains("expired"), "{lines:?}");
        drop(subscription);

        // A subscriber that falls behind the history: lag at info.
        let mut slow = hub.subscribe(["news"], None).unwrap();
        for _ in 0..8 {
            publish(&hub, "news", secret);
        }
        while let Some(Some(_)) = slow.next().now_or_never() {}
        let lines = capture.take();
        let lagged = find(&lines, "lagged");
        assert_eq!(lagged.len(), 1, "{lines:?}");
        assert_eq!(lagged[0].level, Level::INFO);
        drop(slow);
        let lines = capture.take();
        let left = find(&lines, "subscriber left");
        assert!(left[0].text.contains("reason=\"lagged\""), "{left:?}");

        // Shutdown at info.
        let mut open = hub.subscribe(["news"], None).unwrap();
        capture.take();
        hub.shutdown(None);
        let lines = capture.take();
        let shutdown = find(&lines, "shut");
        assert_eq!(shutdown.len(), 1, "{lines:?}");
        assert_eq!(shutdown[0].level, Level::INFO);
        assert!(shutdown[0].text.contains("subscribers=1"), "{lines:?}");
        // Each subscriber that leaves says why.
        assert!(open.next().now_or_never().is_some_and(|end| end.is_none()));
        drop(open);
        let lines = capture.take();
        let left = find(&lines, "subscriber left");
        assert!(left[0].text.contains("reason=\"shutdown\""), "{left:?}");
    });
    // Nothing of an event's data, ever.
    let all = capture.all();
    assert!(all.len() >= 7, "{all:?}");
    assert!(
        all.iter().all(|line| !line.text.contains("SECRET")),
        "{all:?}"
    );
}
