//! Encoding throughput: the same event mix through sse-core and through the SSE encoders of
//! axum 0.8, actix-web-lab and rocket 0.5, with a `memcpy` of the payload as the floor.
//!
//! Run: `cargo bench -p sse-bench --bench encode`
//!
//! The mix, repeated [`REPEAT`] times per iteration: a small single-line event (name + id),
//! a 1 KiB event of 16 lines, and a JSON event (a ~230-byte serialized object, one line).
//! Every encoder starts from the same `&'static str` fields and ends with wire bytes.
//!
//! How each peer is driven (their encoders are private, so through their public bodies):
//! - **axum**: `Event::default().data(..).event(..).id(..)` (which writes into the event's
//!   buffer as it is built), all events in one `Sse` response; the body's frames are polled
//!   with a no-op waker. Per-response overhead is amortized over the whole batch.
//! - **actix-web-lab**: `sse::Data::new(..).event(..).id(..)`, one `Sse::from_infallible_stream`
//!   body polled through `MessageBody::poll_next`.
//! - **rocket**: `Event::data(..).event(..).id(..)`, one `EventStream` (heartbeat off)
//!   answered through rocket's local async client and read with `into_bytes()`: rocket
//!   exposes no cheaper public path, and one request serves the whole batch.
//! - **sse-core**: `Event::new(Text::from_static(..)).event(..)?.id(..)?` then
//!   `Event::encode()`; and the same events through `SseStream`, the body the adapters use.

use std::convert::Infallible;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use futures_util::{Stream, stream};
use std::hint::black_box;

const REPEAT: usize = 100;

struct Sample {
    event: &'static str,
    id: &'static str,
    data: &'static str,
}

fn mix() -> Vec<Sample> {
    let line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+-";
    let kib: String = (0..16).map(|_| format!("{line}\n")).collect::<String>();
    let kib: &'static str = Box::leak(kib.trim_end().to_string().into_boxed_str());
    let json = serde_json::json!({
        "user": {"id": 4211, "name": "Ada Lovelace", "roles": ["admin", "author"]},
        "message": "The Analytical Engine weaves algebraic patterns \"just as\" the loom weaves flowers.",
        "ts": 1_763_712_000_123u64,
        "tags": ["history", "computing"],
    })
    .to_string();
    let json: &'static str = Box::leak(json.into_boxed_str());
    let one = [
        Sample {
            event: "tick",
            id: "1042",
            data: "hello world",
        },
        Sample {
            event: "doc",
            id: "1043",
            data: kib,
        },
        Sample {
            event: "json",
            id: "1044",
            data: json,
        },
    ];
    (0..REPEAT)
        .flat_map(|_| {
            one.iter().map(|s| Sample {
                event: s.event,
                id: s.id,
                data: s.data,
            })
        })
        .collect()
}

fn ours(samples: &[Sample]) -> impl Iterator<Item = sse_core::Event> + '_ {
    samples.iter().map(|s| {
        sse_core::Event::new(sse_core::Text::from_static(s.data))
            .event(sse_core::Text::from_static(s.event))
            .and_then(|e| e.id(sse_core::Text::from_static(s.id)))
            .expect("valid fields")
    })
}

fn noop_cx() -> Context<'static> {
    Context::from_waker(std::task::Waker::noop())
}

fn drain<S: Stream<Item = Bytes>>(stream: S) -> usize {
    let mut stream = pin!(stream);
    let mut cx = noop_cx();
    let mut total = 0;
    while let Poll::Ready(Some(bytes)) = stream.as_mut().poll_next(&mut cx) {
        total += black_box(bytes).len();
    }
    total
}

fn axum_encode(samples: &'static [Sample]) -> usize {
    use axum::response::IntoResponse;
    use axum::response::sse::{Event, Sse};
    use http_body::Body as _;
    let events = samples
        .iter()
        .map(|s| Ok::<_, Infallible>(Event::default().data(s.data).event(s.event).id(s.id)));
    let mut body = Sse::new(stream::iter(events)).into_response().into_body();
    let mut cx = noop_cx();
    let mut total = 0;
    loop {
        match Pin::new(&mut body).poll_frame(&mut cx) {
            Poll::Ready(Some(Ok(frame))) => {
                total += black_box(frame.into_data().map(|d| d.len()).unwrap_or(0))
            }
            Poll::Ready(None) => return total,
            other => panic!("unexpected {:?}", other.map(|f| f.map(|r| r.is_ok()))),
        }
    }
}

fn actix_encode(samples: &'static [Sample]) -> usize {
    use actix_web::body::MessageBody;
    use actix_web_lab::sse::{Data, Event, Sse};
    let events = samples
        .iter()
        .map(|s| Event::from(Data::new(s.data).event(s.event).id(s.id)));
    let mut body = pin!(Sse::from_infallible_stream(stream::iter(events)));
    let mut cx = noop_cx();
    let mut total = 0;
    while let Poll::Ready(Some(Ok(bytes))) = body.as_mut().poll_next(&mut cx) {
        total += black_box(bytes).len();
    }
    total
}

mod rocket_app {
    use rocket::response::stream::{Event, EventStream};
    use rocket::{State, get};

    pub(crate) struct Mix(pub Vec<super::Sample>);

    #[get("/mix")]
    pub(crate) fn mix(
        samples: &State<Mix>,
    ) -> EventStream<impl rocket::futures::Stream<Item = Event> + '_> {
        let events = samples
            .0
            .iter()
            .map(|s| Event::data(s.data).event(s.event).id(s.id));
        EventStream::from(rocket::futures::stream::iter(events)).heartbeat(None)
    }
}

fn bench_encode(c: &mut Criterion) {
    let samples: &'static [Sample] = Vec::leak(mix());
    let payload: usize = samples.iter().map(|s| s.data.len()).sum();
    let wire = drain(sse_core::SseStream::new(stream::iter(ours(samples))).no_keep_alive());

    let mut group = c.benchmark_group("encode/mix");
    group.throughput(Throughput::Elements(samples.len() as u64));

    group.bench_function(BenchmarkId::from_parameter("memcpy"), |b| {
        let mut buf = Vec::with_capacity(payload);
        b.iter(|| {
            buf.clear();
            for sample in samples {
                buf.extend_from_slice(black_box(sample.data.as_bytes()));
            }
            black_box(buf.len())
        })
    });
    group.bench_function(BenchmarkId::from_parameter("sse-core"), |b| {
        b.iter(|| {
            ours(samples)
                .map(|event| black_box(event.encode()).len())
                .sum::<usize>()
        })
    });
    let prebuilt: Vec<sse_core::Event> = ours(samples).collect();
    group.bench_function(BenchmarkId::from_parameter("sse-core encode only"), |b| {
        b.iter(|| {
            prebuilt
                .iter()
                .map(|event| black_box(event.encode()).len())
                .sum::<usize>()
        })
    });
    group.bench_function(BenchmarkId::from_parameter("sse-core build only"), |b| {
        b.iter(|| {
            ours(samples)
                .map(|event| black_box(event).data().len())
                .sum::<usize>()
        })
    });
    group.bench_function(BenchmarkId::from_parameter("sse-core SseStream"), |b| {
        b.iter(|| drain(sse_core::SseStream::new(stream::iter(ours(samples))).no_keep_alive()))
    });
    group.bench_function(BenchmarkId::from_parameter("axum"), |b| {
        b.iter(|| axum_encode(samples))
    });
    group.bench_function(BenchmarkId::from_parameter("actix-web-lab"), |b| {
        b.iter(|| actix_encode(samples))
    });

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = runtime.block_on(async {
        let rocket = rocket::custom(rocket::Config {
            log_level: rocket::config::LogLevel::Off,
            ..rocket::Config::debug_default()
        })
        .manage(rocket_app::Mix(mix()))
        .mount("/", rocket::routes![rocket_app::mix]);
        rocket::local::asynchronous::Client::untracked(rocket)
            .await
            .expect("rocket client")
    });
    group.bench_function(BenchmarkId::from_parameter("rocket"), |b| {
        b.iter(|| {
            runtime.block_on(async {
                let body = client
                    .get("/mix")
                    .dispatch()
                    .await
                    .into_bytes()
                    .await
                    .expect("body");
                black_box(body.len())
            })
        })
    });
    group.finish();

    eprintln!(
        "mix: {} events, {payload} payload bytes, {wire} wire bytes per iteration",
        samples.len()
    );
}

criterion_group!(benches, bench_encode);
criterion_main!(benches);
