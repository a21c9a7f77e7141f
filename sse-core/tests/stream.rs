//! The body stream: keep-alive timing on tokio's paused clock, the retry prelude, shutdown
//! at an event boundary, and fallible streams.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{FutureExt, StreamExt, stream};
use sse_core::{Event, KeepAlive, SseStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

fn channel_stream(rx: mpsc::UnboundedReceiver<Event>) -> impl futures_util::Stream<Item = Event> {
    stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|event| (event, rx))
    })
}

#[tokio::test(start_paused = true)]
async fn keep_alive_fires_after_idle_interval_and_restarts_after_each_event() {
    let (tx, rx) = mpsc::unbounded_channel();
    let body = SseStream::new(channel_stream(rx)).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_secs(10))
            .text("ping"),
    );
    let start = Instant::now();
    let consumer = tokio::spawn(async move {
        body.map(|bytes| (start.elapsed().as_secs(), bytes))
            .collect::<Vec<(u64, Bytes)>>()
            .await
    });

    tokio::time::sleep(Duration::from_secs(35)).await;
    tx.send(Event::new("one")).unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    tx.send(Event::new("two")).unwrap();
    tokio::time::sleep(Duration::from_secs(21)).await;
    drop(tx);

    let got = consumer.await.unwrap();
    let ping = Bytes::from_static(b": ping\n\n");
    let want = vec![
        (10, ping.clone()),
        (20, ping.clone()),
        (30, ping.clone()),
        (35, Bytes::from_static(b"data: one\n\n")),
        (40, Bytes::from_static(b"data: two\n\n")),
        (50, ping.clone()),
        (60, ping),
    ];
    assert_eq!(got, want);
}

/// The departure probe: an empty comment a quarter of its interval after the start, then
/// after each silence of its interval, restarted by events and keep-alives alike; the
/// keep-alive keeps its own rhythm.
#[tokio::test(start_paused = true)]
async fn a_probe_fills_every_silence_and_the_keep_alive_keeps_its_rhythm() {
    let (tx, rx) = mpsc::unbounded_channel();
    let body = SseStream::new(channel_stream(rx))
        .keep_alive(
            KeepAlive::new()
                .interval(Duration::from_secs(10))
                .text("ping"),
        )
        .probe(Duration::from_secs(4));
    let start = Instant::now();
    let consumer = tokio::spawn(async move {
        body.map(|bytes| (start.elapsed().as_secs(), bytes))
            .collect::<Vec<(u64, Bytes)>>()
            .await
    });
    tokio::time::sleep(Duration::from_secs(13)).await;
    tx.send(Event::new("one")).unwrap();
    tokio::time::sleep(Duration::from_secs(10)).await;
    drop(tx);

    let got = consumer.await.unwrap();
    let (probe, ping) = (
        Bytes::from_static(b":\n\n"),
        Bytes::from_static(b": ping\n\n"),
    );
    // The first probe after a quarter of the interval.
    let want = vec![
        (1, probe.clone()),
        (5, probe.clone()),
        (9, probe.clone()),
        (10, ping),
        (13, Bytes::from_static(b"data: one\n\n")),
        (17, probe.clone()),
        (21, probe),
    ];
    assert_eq!(got, want);
}

#[tokio::test(start_paused = true)]
async fn default_keep_alive_is_fifteen_seconds_of_empty_comment() {
    let mut body = SseStream::new(stream::pending::<Event>());
    let start = Instant::now();
    let first = body.next().await.unwrap();
    assert_eq!(&first[..], b":\n\n");
    assert_eq!(start.elapsed(), Duration::from_secs(15));
}

#[tokio::test(start_paused = true)]
async fn no_keep_alive_sends_nothing_while_idle() {
    let mut body = SseStream::new(stream::pending::<Event>()).no_keep_alive();
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert!(body.next().now_or_never().is_none());
}

#[tokio::test]
async fn retry_prelude_travels_with_the_first_event_only() {
    let events = stream::iter([Event::new("a"), Event::new("b")]);
    let frames: Vec<Bytes> = SseStream::new(events)
        .retry(Duration::from_millis(2500))
        .collect()
        .await;
    assert_eq!(frames.concat(), b"retry: 2500\ndata: a\n\ndata: b\n\n");
}

#[tokio::test(start_paused = true)]
async fn retry_prelude_waits_for_an_event_not_a_keep_alive() {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut body = Box::pin(
        SseStream::new(channel_stream(rx))
            .keep_alive(KeepAlive::new().interval(Duration::from_secs(1)))
            .retry(Duration::from_secs(3)),
    );
    assert_eq!(&body.next().await.unwrap()[..], b":\n\n");
    tx.send(Event::new("x")).unwrap();
    assert_eq!(&body.next().await.unwrap()[..], b"retry: 3000\ndata: x\n\n");
}

#[tokio::test]
async fn shutdown_ends_the_stream_at_an_event_boundary() {
    let (tx, rx) = mpsc::unbounded_channel();
    let (stop, stopped) = oneshot::channel::<()>();
    let mut body = Box::pin(SseStream::new(channel_stream(rx)).until(async move {
        let _ = stopped.await;
    }));
    tx.send(Event::new("first")).unwrap();
    assert_eq!(&body.next().await.unwrap()[..], b"data: first\n\n");
    // What is ready when the signal wakes an idle stream goes out (so a hub subscription
    // still delivers its final event), but only one event: then the stream ends.
    tx.send(Event::new("ready when woken")).unwrap();
    tx.send(Event::new("never sent")).unwrap();
    stop.send(()).unwrap();
    assert_eq!(
        &body.next().await.unwrap()[..],
        b"data: ready when woken\n\n"
    );
    assert_eq!(body.next().await, None);
    assert_eq!(body.next().await, None, "stays ended");
}

#[tokio::test]
async fn every_until_counts_and_a_slow_stream_ends_empty() {
    let slow = stream::iter(1..=5).then(|n| async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Event::new(n.to_string())
    });
    let body = SseStream::new(slow)
        .until(std::future::pending())
        .until(std::future::ready(()))
        .until(std::future::pending());
    assert!(body.collect::<Vec<_>>().await.is_empty());
}

#[tokio::test]
async fn shutdown_wakes_an_idle_stream() {
    let (stop, stopped) = oneshot::channel::<()>();
    let body = SseStream::new(stream::pending::<Event>()).until(async move {
        let _ = stopped.await;
    });
    let collector = tokio::spawn(body.collect::<Vec<_>>());
    tokio::task::yield_now().await;
    stop.send(()).unwrap();
    assert!(collector.await.unwrap().is_empty());
}

#[tokio::test]
async fn an_error_ends_the_stream_cleanly() {
    let events = stream::iter([
        Ok(Event::new("a")),
        Err("database went away"),
        Ok(Event::new("b")),
    ]);
    let frames: Vec<Bytes> = SseStream::new(events).collect().await;
    assert_eq!(frames, vec![Bytes::from_static(b"data: a\n\n")]);
}

#[tokio::test]
async fn items_are_whole_events_and_ready_events_share_one() {
    let events = stream::iter((0..1000).map(|n| {
        Event::new(format!("line {n}\nsecond line"))
            .id(n.to_string())
            .unwrap()
    }));
    let frames: Vec<Bytes> = SseStream::new(events).collect().await;
    let mut decoder = sse_core::Decoder::new();
    let mut ids = Vec::new();
    for frame in &frames {
        assert!(frame.ends_with(b"\n\n"));
        assert!(
            frame.len() <= sse_core::stream::BATCH_BYTES + 64,
            "batches stay near BATCH_BYTES"
        );
        decoder.push(frame).unwrap();
        let before = ids.len();
        ids.extend(decoder.drain().filter_map(|item| match item {
            sse_core::Decoded::Event(event) => Some(event.last_event_id),
            _ => None,
        }));
        assert!(ids.len() > before, "every item holds at least one event");
    }
    let expected: Vec<String> = (0..1000).map(|n| n.to_string()).collect();
    assert_eq!(ids, expected);
    let total: usize = frames.iter().map(Bytes::len).sum();
    assert!(
        frames.len() > 1 && frames.len() <= total / sse_core::stream::BATCH_BYTES + 1,
        "{total} bytes of ready events leave in a few full batches, not {}",
        frames.len()
    );
}
