//! The emitter on tokio's paused clock: backpressure, every close reason, sends after
//! close, completion order, clones, and the bytes out of an `SseStream`.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{FutureExt, StreamExt};
use sse_core::{CloseReason, Emitter, EmitterStream, Event, Frame, Hub, SseStream, TrySendError};
use tokio::time::{Instant, timeout};

fn data(frames: &[Frame]) -> Vec<String> {
    frames
        .iter()
        .map(|frame| String::from_utf8_lossy(frame.as_bytes()).into_owned())
        .collect()
}

/// Everything the stream yields until it ends.
async fn drain(events: EmitterStream) -> Vec<String> {
    data(&events.collect::<Vec<Frame>>().await)
}

#[test]
fn both_halves_are_send_and_static_and_the_emitter_is_sync() {
    fn send_static<T: Send + 'static>() {}
    fn sync<T: Sync>() {}
    send_static::<Emitter>();
    send_static::<EmitterStream>();
    sync::<Emitter>();
}

#[tokio::test(start_paused = true)]
async fn a_full_buffer_makes_send_wait_until_the_stream_is_read() {
    let (emitter, mut events) = Emitter::builder().capacity(2).build();
    emitter.send(Event::new("1")).await.unwrap();
    emitter.send(Event::new("2")).await.unwrap();

    // Full: `send` waits (here for an hour of paused time), `try_send` says so at once.
    let waited = timeout(Duration::from_secs(3600), emitter.send(Event::new("3"))).await;
    assert!(waited.is_err(), "send must wait while the buffer is full");
    match emitter.try_send(Event::new("3")) {
        Err(TrySendError::Full(event)) => assert_eq!(event.data(), "3"),
        other => panic!("expected Full, got {other:?}"),
    }

    let sender = {
        let emitter = emitter.clone();
        tokio::spawn(async move { emitter.send(Event::new("3")).await })
    };
    tokio::task::yield_now().await;
    assert!(!sender.is_finished());
    assert_eq!(events.next().await.unwrap().as_bytes(), b"data: 1\n\n");
    sender.await.unwrap().unwrap();

    emitter.complete(None);
    assert_eq!(drain(events).await, ["data: 2\n\n", "data: 3\n\n"]);
}

#[tokio::test]
async fn complete_sends_the_buffer_then_the_final_event_then_ends() {
    let (emitter, events) = Emitter::channel();
    emitter.send(Event::new("a")).await.unwrap();
    emitter.try_send(Event::new("b")).unwrap();
    assert!(emitter.complete(Some(Event::new("bye").event("done").unwrap())));
    assert_eq!(emitter.close_reason(), Some(CloseReason::Completed));
    assert_eq!(
        drain(events).await,
        ["data: a\n\n", "data: b\n\n", "event: done\ndata: bye\n\n"]
    );
}

#[tokio::test]
async fn complete_is_idempotent_and_the_first_final_event_wins() {
    let (emitter, events) = Emitter::channel();
    assert!(emitter.complete(Some(Event::new("first"))));
    assert!(!emitter.complete(Some(Event::new("second"))));
    assert!(!emitter.complete(None));
    assert_eq!(drain(events).await, ["data: first\n\n"]);
    assert_eq!(emitter.close_reason(), Some(CloseReason::Completed));
}

#[tokio::test]
async fn sends_after_complete_fail_with_completed_and_give_the_event_back() {
    let (emitter, events) = Emitter::channel();
    emitter.complete(None);
    let error = emitter.send(Event::new("late")).await.unwrap_err();
    assert_eq!(error.reason(), CloseReason::Completed);
    assert_eq!(error.event().data(), "late");
    assert_eq!(
        error.to_string(),
        "event not sent: the event stream was completed"
    );
    match emitter.try_send(Event::new("later")) {
        Err(TrySendError::Closed(CloseReason::Completed, event)) => {
            assert_eq!(event.data(), "later");
        }
        other => panic!("expected Closed(Completed), got {other:?}"),
    }
    assert!(drain(events).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_send_waiting_for_room_fails_when_another_clone_completes() {
    let (emitter, events) = Emitter::builder().capacity(1).build();
    emitter.send(Event::new("in")).await.unwrap();
    let waiting = {
        let emitter = emitter.clone();
        tokio::spawn(async move { emitter.send(Event::new("out")).await })
    };
    tokio::task::yield_now().await;
    assert!(!waiting.is_finished());

    emitter.complete(Some(Event::new("end")));
    let error = waiting.await.unwrap().unwrap_err();
    assert_eq!(error.reason(), CloseReason::Completed);
    assert_eq!(error.into_event().data(), "out");
    // Completion is ordered after the sends that succeeded.
    assert_eq!(drain(events).await, ["data: in\n\n", "data: end\n\n"]);
}

#[tokio::test]
async fn dropping_every_clone_completes_the_stream() {
    let (emitter, events) = Emitter::channel();
    let closed = emitter.closed();
    let other = emitter.clone();
    emitter.send(Event::new("from one")).await.unwrap();
    other.send(Event::new("from the other")).await.unwrap();
    drop(emitter);
    assert!(!other.is_closed(), "one clone is still alive");
    drop(other);
    assert_eq!(closed.await, CloseReason::Completed);
    assert_eq!(
        drain(events).await,
        ["data: from one\n\n", "data: from the other\n\n"]
    );
}

#[tokio::test]
async fn dropping_the_stream_is_disconnected_for_every_kind_of_send() {
    let (emitter, events) = Emitter::builder().capacity(1).build();
    emitter.send(Event::new("buffered")).await.unwrap();
    let closed = emitter.closed();
    let waiting = {
        let emitter = emitter.clone();
        tokio::spawn(async move { emitter.send(Event::new("waits")).await })
    };
    tokio::task::yield_now().await;

    drop(events);
    assert_eq!(closed.await, CloseReason::Disconnected);
    assert_eq!(emitter.close_reason(), Some(CloseReason::Disconnected));
    let error = waiting.await.unwrap().unwrap_err();
    assert_eq!(error.reason(), CloseReason::Disconnected);
    let error = emitter.send(Event::new("after")).await.unwrap_err();
    assert_eq!(error.reason(), CloseReason::Disconnected);
    assert_eq!(
        emitter
            .try_send(Event::new("after"))
            .unwrap_err()
            .close_reason(),
        Some(CloseReason::Disconnected)
    );
    // Nothing to complete any more.
    assert!(!emitter.complete(Some(Event::new("final"))));
    assert_eq!(emitter.close_reason(), Some(CloseReason::Disconnected));
}

#[tokio::test(start_paused = true)]
async fn max_lifetime_ends_an_idle_stream_and_drops_the_buffer() {
    let start = Instant::now();
    let (emitter, mut events) = Emitter::builder()
        .capacity(1)
        .max_lifetime(Duration::from_secs(10))
        .build();
    emitter.send(Event::new("read")).await.unwrap();
    assert_eq!(events.next().await.unwrap().as_bytes(), b"data: read\n\n");

    // The stream is polled by its consumer only; nobody sends until the deadline passes.
    let consumer = tokio::spawn(async move { (events.next().await, start.elapsed()) });
    let closed = emitter.closed();
    assert_eq!(closed.await, CloseReason::TimedOut);
    assert_eq!(start.elapsed(), Duration::from_secs(10));
    let (item, at) = consumer.await.unwrap();
    assert!(item.is_none());
    assert_eq!(at, Duration::from_secs(10));

    let error = emitter.send(Event::new("late")).await.unwrap_err();
    assert_eq!(error.reason(), CloseReason::TimedOut);
    assert_eq!(
        error.to_string(),
        "event not sent: the event stream reached its maximum lifetime"
    );
}

#[tokio::test(start_paused = true)]
async fn max_lifetime_drops_buffered_events_and_wakes_waiting_senders() {
    let (emitter, events) = Emitter::builder()
        .capacity(1)
        .max_lifetime(Duration::from_secs(5))
        .build();
    emitter.send(Event::new("never read")).await.unwrap();
    let waiting = {
        let emitter = emitter.clone();
        tokio::spawn(async move { emitter.send(Event::new("waits")).await })
    };
    tokio::time::sleep(Duration::from_secs(6)).await;
    // The stream notices when it is next polled, and yields nothing of the buffer.
    assert!(drain(events).await.is_empty());
    let error = waiting.await.unwrap().unwrap_err();
    assert_eq!(error.reason(), CloseReason::TimedOut);
}

#[tokio::test(start_paused = true)]
async fn there_is_no_timeout_by_default() {
    let (emitter, mut events) = Emitter::channel();
    tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
    assert!(events.next().now_or_never().is_none());
    assert!(!emitter.is_closed());
    emitter.send(Event::new("still here")).await.unwrap();
    assert_eq!(
        events.next().await.unwrap().as_bytes(),
        b"data: still here\n\n"
    );
}

#[tokio::test(start_paused = true)]
async fn the_shutdown_future_ends_an_idle_stream_at_once() {
    let hub = Hub::new();
    let (emitter, mut events) = Emitter::builder().until(hub.closed()).build();
    emitter.send(Event::new("read")).await.unwrap();
    assert_eq!(events.next().await.unwrap().as_bytes(), b"data: read\n\n");

    // The consumer idles in `next` until the hub shuts down.
    let start = Instant::now();
    let consumer = tokio::spawn(async move { (events.next().await, start.elapsed()) });
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(!emitter.is_closed());
    hub.shutdown(None);

    assert_eq!(emitter.closed().await, CloseReason::Shutdown);
    let (item, at) = consumer.await.unwrap();
    assert!(item.is_none());
    assert_eq!(at, Duration::from_secs(5));
    let error = emitter.send(Event::new("after")).await.unwrap_err();
    assert_eq!(error.reason(), CloseReason::Shutdown);
    assert_eq!(
        error.to_string(),
        "event not sent: the event stream was shut down"
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_drops_the_buffer_and_ends_at_an_event_boundary() {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (emitter, events) = Emitter::builder()
        .until(async move {
            let _ = stopped.await;
        })
        .build();
    emitter.send(Event::new("one\ntwo")).await.unwrap();
    emitter.send(Event::new("three")).await.unwrap();
    stop.send(()).unwrap();
    assert!(drain(events).await.is_empty());
    assert_eq!(emitter.close_reason(), Some(CloseReason::Shutdown));
    assert_eq!(
        emitter
            .try_send(Event::new("x"))
            .unwrap_err()
            .close_reason(),
        Some(CloseReason::Shutdown)
    );
}

#[tokio::test]
async fn closed_resolves_for_many_waiters_and_at_once_when_already_closed() {
    let (emitter, events) = Emitter::channel();
    let waiters: Vec<_> = (0..8)
        .map(|_| tokio::spawn(emitter.clone().closed()))
        .collect();
    tokio::task::yield_now().await;
    assert!(emitter.closed().now_or_never().is_none());

    drop(events);
    for waiter in waiters {
        assert_eq!(waiter.await.unwrap(), CloseReason::Disconnected);
    }
    assert_eq!(
        emitter.closed().now_or_never(),
        Some(CloseReason::Disconnected)
    );
    assert!(emitter.is_closed());
}

#[tokio::test]
async fn the_first_reason_wins() {
    let (emitter, events) = Emitter::channel();
    emitter.complete(None);
    drop(events);
    assert_eq!(emitter.close_reason(), Some(CloseReason::Completed));
    assert_eq!(emitter.closed().await, CloseReason::Completed);
}

#[tokio::test(start_paused = true)]
async fn sse_stream_writes_the_encoded_events_and_keeps_alive_while_idle() {
    let (emitter, events) = Emitter::channel();
    let body = SseStream::new(events);
    let start = Instant::now();
    let consumer = tokio::spawn(async move {
        body.map(|bytes| (start.elapsed().as_secs(), bytes))
            .collect::<Vec<(u64, Bytes)>>()
            .await
    });

    let hello = Event::new("hello\nworld")
        .event("greeting")
        .unwrap()
        .id("1")
        .unwrap();
    emitter.send(hello.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(20)).await;
    emitter.complete(Some(Event::new("bye")));

    let got = consumer.await.unwrap();
    assert_eq!(
        got,
        [
            (0, hello.encode().into_bytes()),
            (15, Bytes::from_static(b":\n\n")),
            (20, Bytes::from_static(b"data: bye\n\n")),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_producers_never_interleave_lines() {
    let (emitter, events) = Emitter::builder().capacity(4).build();
    let producers: Vec<_> = (0..4)
        .map(|producer| {
            let emitter = emitter.clone();
            tokio::spawn(async move {
                for n in 0..50 {
                    let data = format!("producer {producer}\nevent {n}\nend");
                    emitter.send(Event::new(data)).await.unwrap();
                }
            })
        })
        .collect();
    drop(emitter);
    let consumer = tokio::spawn(drain(events));
    for producer in producers {
        producer.await.unwrap();
    }
    let frames = consumer.await.unwrap();
    assert_eq!(frames.len(), 200);
    for frame in &frames {
        let lines: Vec<&str> = frame.lines().collect();
        assert_eq!(lines.len(), 4, "{frame:?}");
        assert!(lines[0].starts_with("data: producer "), "{frame:?}");
        assert!(lines[1].starts_with("data: event "), "{frame:?}");
        assert_eq!(lines[2], "data: end");
        assert_eq!(lines[3], "");
    }
    // Each producer's events arrive in its own order.
    for producer in 0..4 {
        let mine: Vec<&String> = frames
            .iter()
            .filter(|frame| frame.starts_with(&format!("data: producer {producer}\n")))
            .collect();
        for (n, frame) in mine.iter().enumerate() {
            assert!(frame.contains(&format!("\ndata: event {n}\n")), "{frame:?}");
        }
    }
}

#[tokio::test]
async fn debug_shows_the_state() {
    let (emitter, events) = Emitter::builder().capacity(3).build();
    emitter.try_send(Event::new("x")).unwrap();
    assert_eq!(
        format!("{emitter:?}"),
        "Emitter { close_reason: None, capacity: 3, buffered: 1 }"
    );
    let debug = format!("{events:?}");
    assert!(
        debug.starts_with("EmitterStream { close_reason: None, buffered: 1"),
        "{debug}"
    );
    assert!(format!("{:?}", Emitter::builder()).contains("capacity: 16"));
}

#[cfg(feature = "json")]
#[tokio::test]
async fn send_json_sends_one_data_line_or_says_why_not() {
    use std::collections::HashMap;

    let (emitter, events) = Emitter::channel();
    emitter
        .send_json(&serde_json::json!({"progress": 42}))
        .await
        .unwrap();
    // Not JSON (non-string keys): an error, and the emitter stays open.
    let mut map = HashMap::new();
    map.insert(vec![1u8], 1);
    let error = emitter.send_json(&map).await.unwrap_err();
    assert_eq!(error.close_reason(), None);
    assert!(!emitter.is_closed());

    emitter.complete(None);
    let error = emitter.send_json(&1).await.unwrap_err();
    assert_eq!(error.close_reason(), Some(CloseReason::Completed));
    assert_eq!(drain(events).await, ["data: {\"progress\":42}\n\n"]);
}
