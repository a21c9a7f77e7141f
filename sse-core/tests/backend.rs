//! The backend seam, with an in-process fake engine shared by several hubs ("instances"):
//! ids assigned once and the same everywhere, resume on any instance through the engine's
//! history, merged with the local rings in order, and a reset when the engine loses data.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::{FutureExt, StreamExt};
use sse_core::hub::TopicName;
use sse_core::hub::backend::{Backend, BoxFuture, Feed, History};
use sse_core::{Decoded, Decoder, Event, EventId, Hub, HubError, LastEventId, Subscription};

/// An engine in memory: one log, handed to every instance's feed as it is written.
#[derive(Default)]
struct Engine {
    state: Mutex<EngineState>,
}

#[derive(Default)]
struct EngineState {
    epoch: u32,
    log: Vec<(u64, String, Bytes)>,
    /// Events through this sequence number were trimmed from every topic's history.
    trimmed_through: u64,
    feeds: Vec<Feed>,
    down: bool,
}

impl Engine {
    fn new(epoch: u32) -> Arc<Engine> {
        let engine = Arc::new(Engine::default());
        engine.state.lock().unwrap().epoch = epoch;
        engine
    }

    fn instance(self: &Arc<Self>) -> Hub {
        let (epoch, head) = {
            let state = self.state.lock().unwrap();
            (state.epoch, state.log.last().map_or(0, |(seq, _, _)| *seq))
        };
        let engine = self.clone();
        Hub::builder().build_with_backend(epoch, head, move |feed| {
            engine.state.lock().unwrap().feeds.push(feed);
            engine as Arc<dyn Backend>
        })
    }

    /// The engine restarted empty: a new epoch, and every instance told.
    fn lose_everything(&self, epoch: u32) {
        let mut state = self.state.lock().unwrap();
        state.epoch = epoch;
        state.log.clear();
        state.trimmed_through = 0;
        for feed in &state.feeds {
            feed.reset(epoch);
        }
    }
}

impl Backend for Engine {
    fn publish<'a>(
        &'a self,
        topic: &'a TopicName,
        body: Bytes,
    ) -> BoxFuture<'a, Result<EventId, HubError>> {
        Box::pin(async move {
            let mut state = self.state.lock().unwrap();
            if state.down {
                return Err(HubError::backend("connection refused"));
            }
            let seq = state.log.last().map_or(0, |(seq, _, _)| *seq) + 1;
            state.log.push((seq, topic.to_string(), body.clone()));
            for feed in &state.feeds {
                feed.event(state.epoch, seq, topic, &body);
            }
            Ok(EventId::new(state.epoch, seq))
        })
    }

    fn history<'a>(
        &'a self,
        topic: &'a TopicName,
        epoch: u32,
        after: u64,
        through: u64,
    ) -> BoxFuture<'a, Result<History, HubError>> {
        Box::pin(async move {
            let state = self.state.lock().unwrap();
            if epoch != state.epoch {
                return Ok(History::default());
            }
            let events = state
                .log
                .iter()
                .filter(|(seq, name, _)| {
                    name == topic.as_str()
                        && *seq > after
                        && *seq <= through
                        && *seq > state.trimmed_through
                })
                .map(|(seq, _, body)| (*seq, body.clone()))
                .collect();
            Ok(History {
                events,
                complete: state.trimmed_through <= after,
                more_after: None,
            })
        })
    }
}

fn next_now(subscription: &mut Subscription) -> Option<(String, String, String)> {
    let frame = subscription.next().now_or_never().flatten()?;
    let mut decoder = Decoder::new();
    decoder.push(frame.as_bytes()).unwrap();
    decoder.drain().find_map(|item| match item {
        Decoded::Event(event) => Some((event.last_event_id, event.event_type, event.data)),
        _ => None,
    })
}

fn drain(subscription: &mut Subscription) -> Vec<(String, String, String)> {
    std::iter::from_fn(|| next_now(subscription)).collect()
}

async fn publish(hub: &Hub, topic: &str, data: &str) -> EventId {
    hub.publish(topic, Event::new(data.to_owned()))
        .await
        .unwrap()
}

#[tokio::test]
async fn every_instance_delivers_every_event_with_the_same_id() {
    let engine = Engine::new(0xaaaa_0001);
    let (a, b) = (engine.instance(), engine.instance());
    let mut on_a = a.subscribe(["news"], None).unwrap();
    let mut on_b = b.subscribe(["news", "chat"], None).unwrap();
    let first = publish(&a, "news", "one").await;
    let second = publish(&b, "chat", "two").await;
    let third = publish(&a, "news", "three").await;
    assert_eq!(first.epoch(), 0xaaaa_0001);
    assert_eq!(
        drain(&mut on_a),
        [
            (first.to_string(), "message".into(), "one".into()),
            (third.to_string(), "message".into(), "three".into()),
        ]
    );
    assert_eq!(
        drain(&mut on_b)
            .iter()
            .map(|(id, _, data)| (id.as_str(), data.as_str()))
            .collect::<Vec<_>>(),
        [
            (first.to_string().as_str(), "one"),
            (second.to_string().as_str(), "two"),
            (third.to_string().as_str(), "three"),
        ]
    );
}

#[tokio::test]
async fn resuming_on_another_instance_reads_the_engine_then_the_ring_in_order() {
    let engine = Engine::new(7);
    let a = engine.instance();
    let mut on_a = a.subscribe(["x", "y"], None).unwrap();
    for n in 1..=6 {
        publish(&a, if n % 2 == 0 { "x" } else { "y" }, &format!("e{n}")).await;
    }
    let seen = drain(&mut on_a);
    let (resume_id, _, _) = seen[1].clone(); // the client saw e1 and e2 on A, then A went away
    // B has never held these topics: everything before now is the engine's to give.
    let b = engine.instance();
    let last = LastEventId::parse(&resume_id).unwrap();
    let mut on_b = b.subscribe(["x", "y"], last.as_ref()).unwrap();
    publish(&b, "x", "e7").await;
    publish(&a, "y", "e8").await;
    // Give the fetch its turn, then everything after e2, exactly once, in publish order.
    tokio::task::yield_now().await;
    let resumed: Vec<String> = drain(&mut on_b)
        .into_iter()
        .map(|(_, _, data)| data)
        .collect();
    assert_eq!(resumed, ["e3", "e4", "e5", "e6", "e7", "e8"]);
}

#[tokio::test]
async fn history_the_engine_trimmed_is_announced_not_skipped() {
    let engine = Engine::new(9);
    let a = engine.instance();
    let first = publish(&a, "t", "1").await;
    for n in 2..=5 {
        publish(&a, "t", &n.to_string()).await;
    }
    engine.state.lock().unwrap().trimmed_through = 3;
    let b = engine.instance();
    let last = LastEventId::parse(&first.to_string()).unwrap();
    let mut on_b = b.subscribe(["t"], last.as_ref()).unwrap();
    tokio::task::yield_now().await;
    let events = drain(&mut on_b);
    assert_eq!(events[0].1, "missed");
    assert_eq!(events[0].2, r#"{"reason":"expired","topics":["t"]}"#);
    assert_eq!(
        events[1..]
            .iter()
            .map(|(_, _, d)| d.as_str())
            .collect::<Vec<_>>(),
        ["4", "5"]
    );
}

#[tokio::test]
async fn an_engine_that_lost_its_data_starts_a_new_epoch_loudly() {
    let engine = Engine::new(1);
    let a = engine.instance();
    let mut live = a.subscribe(["t"], None).unwrap();
    let old = publish(&a, "t", "before").await;
    assert_eq!(drain(&mut live).len(), 1);
    engine.lose_everything(2);
    let new = publish(&a, "t", "after").await;
    assert_eq!((new.epoch(), new.sequence()), (2, 1));
    let events = drain(&mut live);
    assert_eq!(
        events
            .iter()
            .map(|(_, e, d)| (e.as_str(), d.as_str()))
            .collect::<Vec<_>>(),
        [
            ("missed", r#"{"reason":"reset","topics":["t"]}"#),
            ("message", "after")
        ]
    );
    // An id from before the loss is foreign now.
    let last = LastEventId::parse(&old.to_string()).unwrap();
    let mut resumed = a.subscribe(["t"], last.as_ref()).unwrap();
    assert_eq!(
        next_now(&mut resumed).unwrap().2,
        r#"{"reason":"unknown","topics":["t"]}"#
    );
    assert_eq!(a.epoch(), 2);
}

#[tokio::test]
async fn an_engine_that_is_away_fails_the_publish_and_nothing_else() {
    let engine = Engine::new(3);
    let a = engine.instance();
    let mut live = a.subscribe(["t"], None).unwrap();
    engine.state.lock().unwrap().down = true;
    let error = a.publish("t", Event::new("lost")).await.unwrap_err();
    assert!(matches!(error, HubError::Backend { .. }));
    assert_eq!(sse_core::HttpError::status(&error), 503);
    engine.state.lock().unwrap().down = false;
    publish(&a, "t", "back").await;
    assert_eq!(
        drain(&mut live)
            .into_iter()
            .map(|(_, _, d)| d)
            .collect::<Vec<_>>(),
        ["back"]
    );
}
