//! Fan-out: one event to N subscribers, each polled until it has received it, against what
//! Rust SSE apps hand-write today: `tokio::sync::broadcast` with every receiver encoding its
//! own copy through axum's `Event` builder (which is where axum encodes).
//!
//! Run: `cargo bench -p sse-bench --bench fanout`
//!
//! Both sides receive synchronously on one thread (sse-core: `Subscription::poll_next` with a
//! no-op waker; broadcast: `Receiver::try_recv`), so neither pays for task scheduling and the
//! comparison is of the data path alone. Deliveries per second = N / time per iteration.

use std::task::{Context, Poll};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use futures_util::FutureExt;
use futures_util::StreamExt;
use sse_core::{Event, Hub, Subscription, Text};
use std::hint::black_box;

const DATA: &str = r#"{"symbol":"ACME","price":1042.17,"change":-0.42,"ts":1763712000123}"#;

#[derive(Clone, Debug)]
struct Message {
    id: u64,
    data: &'static str,
}

/// Publishes one event and polls every subscription once to receive it; with `reregister`,
/// polls again so each subscription registers its waker, as a server's body stream does.
fn publish_and_receive(
    hub: &Hub,
    subscriptions: &mut [Subscription],
    cx: &mut Context<'_>,
    reregister: bool,
) {
    let event = Event::new(Text::from_static(DATA))
        .event(Text::from_static("price"))
        .expect("name");
    hub.publish("prices", event)
        .now_or_never()
        .expect("in memory, ready at once")
        .expect("publish");
    for subscription in subscriptions {
        match subscription.poll_next_unpin(cx) {
            Poll::Ready(Some(frame)) => {
                black_box(frame);
            }
            _ => panic!("every subscriber receives the event"),
        }
        if reregister {
            assert!(subscription.poll_next_unpin(cx).is_pending());
        }
    }
}

fn bench_fanout(c: &mut Criterion) {
    let mut group = c.benchmark_group("fanout");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    let waker = std::task::Waker::noop();
    let mut cx = Context::from_waker(waker);

    for n in [1_000usize, 10_000, 100_000] {
        group.throughput(Throughput::Elements(n as u64));

        let hub = Hub::builder()
            .max_subscribers(n)
            .max_subscribers_per_topic(n)
            .build();
        let mut subscriptions: Vec<_> = (0..n)
            .map(|_| hub.subscribe(["prices"], None).expect("subscribe"))
            .collect();
        group.bench_function(BenchmarkId::new("sse-core hub", n), |b| {
            b.iter(|| publish_and_receive(&hub, &mut subscriptions, &mut cx, false))
        });
        // The full cycle a server runs: after receiving, each subscriber polls again, finds
        // nothing, and registers its waker; the next publish wakes every one of them.
        group.bench_function(
            BenchmarkId::new("sse-core hub, with waker re-registration", n),
            |b| b.iter(|| publish_and_receive(&hub, &mut subscriptions, &mut cx, true)),
        );
        drop(subscriptions);

        let (sender, _) = tokio::sync::broadcast::channel::<Message>(1024);
        let mut receivers: Vec<_> = (0..n).map(|_| sender.subscribe()).collect();
        let mut next_id = 0u64;
        group.bench_function(
            BenchmarkId::new("broadcast + axum Event per receiver", n),
            |b| {
                b.iter(|| {
                    next_id += 1;
                    sender
                        .send(Message {
                            id: next_id,
                            data: DATA,
                        })
                        .expect("send");
                    for receiver in &mut receivers {
                        let message = receiver
                            .try_recv()
                            .expect("every receiver receives the message");
                        let event = axum::response::sse::Event::default()
                            .event("price")
                            .id(message.id.to_string())
                            .data(message.data);
                        let _ = black_box(event);
                    }
                })
            },
        );
    }

    // Publish throughput with one subscriber: publish and receive 1,000 events.
    group.throughput(Throughput::Elements(1_000));
    let hub = Hub::new();
    let mut subscription = hub.subscribe(["prices"], None).expect("subscribe");
    group.bench_function("sse-core publish+receive, 1 subscriber", |b| {
        b.iter(|| {
            for _ in 0..1_000 {
                let event = Event::new(Text::from_static(DATA))
                    .event(Text::from_static("price"))
                    .expect("name");
                hub.publish("prices", event)
                    .now_or_never()
                    .expect("in memory, ready at once")
                    .expect("publish");
                match subscription.poll_next_unpin(&mut cx) {
                    Poll::Ready(Some(frame)) => {
                        black_box(frame);
                    }
                    _ => panic!("the subscriber receives the event"),
                }
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_fanout);
criterion_main!(benches);
