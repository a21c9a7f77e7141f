//! The emitter: events per second through one `Emitter` to its stream, against what people
//! hand-write (a bounded `tokio::sync::mpsc` channel and a `ReceiverStream`, each event
//! encoded as the stream yields it, as axum's `Sse` does), and the memory each holds at
//! rest, counted by a counting allocator.
//!
//! Run: `cargo bench -p sse-bench --bench emitter`
//!
//! Both sides: a producer task sends 1,000 events into a 16-event buffer while the consumer
//! reads them, on one current-thread runtime (so the comparison is of the channel, the
//! encoding and the task switches, not of thread wake-ups).

use std::alloc::System;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use futures_util::StreamExt;
use sse_core::{Emitter, Event, Text};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

/// Counts heap bytes, to measure what an idle emitter holds.
#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const EVENTS: usize = 1_000;
const CAPACITY: usize = 16;
const DATA: &str = r#"{"step":42,"of":1000,"message":"working"}"#;

fn event() -> Event {
    Event::new(Text::from_static(DATA))
        .event(Text::from_static("progress"))
        .expect("name")
}

/// Heap bytes held by what `make` returns, while it is alive.
fn held<T>(make: impl FnOnce() -> T) -> isize {
    let region = Region::new(ALLOCATOR);
    let value = make();
    let change = region.change();
    drop(black_box(value));
    change.bytes_allocated as isize - change.bytes_deallocated as isize
}

fn memory_report() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let _guard = runtime.enter();
    let emitter = held(Emitter::channel);
    let handwritten = held(|| {
        let (tx, rx) = tokio::sync::mpsc::channel::<Event>(CAPACITY);
        (tx, tokio_stream::wrappers::ReceiverStream::new(rx))
    });
    println!("memory at rest: emitter + stream {emitter} B; mpsc + ReceiverStream {handwritten} B");
}

fn bench_emitter(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("emitter");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(EVENTS as u64));
    group.bench_function("sse-core Emitter -> EmitterStream", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let (emitter, mut events) = Emitter::builder().capacity(CAPACITY).build();
                let producer = tokio::spawn(async move {
                    for _ in 0..EVENTS {
                        if emitter.send(event()).await.is_err() {
                            break;
                        }
                    }
                });
                let mut received = 0;
                while let Some(frame) = events.next().await {
                    black_box(frame);
                    received += 1;
                }
                assert_eq!(received, EVENTS);
                producer.await.expect("producer");
            })
        })
    });
    group.bench_function("mpsc + ReceiverStream + encode", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let (tx, rx) = tokio::sync::mpsc::channel(CAPACITY);
                let producer = tokio::spawn(async move {
                    for _ in 0..EVENTS {
                        if tx.send(event()).await.is_err() {
                            break;
                        }
                    }
                });
                let mut events =
                    tokio_stream::wrappers::ReceiverStream::new(rx).map(|event| event.encode());
                let mut received = 0;
                while let Some(frame) = events.next().await {
                    black_box(frame);
                    received += 1;
                }
                assert_eq!(received, EVENTS);
                producer.await.expect("producer");
            })
        })
    });
    group.finish();
}

fn main() {
    memory_report();
    let mut criterion = Criterion::default().configure_from_args();
    bench_emitter(&mut criterion);
    criterion.final_summary();
}
