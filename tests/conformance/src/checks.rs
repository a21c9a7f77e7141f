//! The checks. Each starts its own app over its own hub, drives it over HTTP, and stops it.
//!
//! Test code: every `expect` and `panic!` here is an assertion, a failed check. Nothing in
//! this crate runs inside a server, so no client, publisher or configuration reaches it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use sse_core::http::jwt::Claims;
use sse_core::{Decoded, Event, Hub, MessageEvent};

use crate::client::{EventReader, PATIENCE, fetch, publish, raw_exchange, until_closed};
use crate::{AppConfig, EMITTER_CLOSED, Integration, RunningApp, final_event, fixed_events};

struct App {
    addr: SocketAddr,
    running: Option<Box<dyn RunningApp>>,
}

async fn start<I: Integration>(integration: &'static I, hub: Hub, config: AppConfig) -> App {
    let running = tokio::task::spawn_blocking(move || integration.start(hub, config))
        .await
        .expect("app started");
    App {
        addr: running.addr(),
        running: Some(running),
    }
}

/// An app over a default hub (in memory, or on the check's Redis) with the default config.
async fn start_default<I: Integration>(integration: &'static I) -> App {
    start(
        integration,
        crate::hub(Hub::builder()).await,
        AppConfig::default(),
    )
    .await
}

impl App {
    async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            tokio::task::spawn_blocking(move || running.shutdown())
                .await
                .expect("app stopped");
        }
    }
}

async fn wait_for(what: &str, within: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn header<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .map(|value| value.to_str().unwrap_or("<not ASCII>"))
}

fn assert_event_stream_headers(status: http::StatusCode, headers: &http::HeaderMap) {
    assert_eq!(status, 200);
    assert_eq!(header(headers, "content-type"), Some("text/event-stream"));
    assert_eq!(header(headers, "cache-control"), Some("no-cache"));
    assert_eq!(header(headers, "x-accel-buffering"), Some("no"));
    assert_eq!(header(headers, "content-encoding"), Some("identity"));
    assert_eq!(
        header(headers, "content-length"),
        None,
        "a stream has no length"
    );
}

fn data_of(item: Option<MessageEvent>) -> String {
    item.expect("an event, not the end of the stream").data
}

/// Status, the four headers, and the head arriving while no event exists yet.
pub async fn status_and_headers_and_head_before_first_event<I: Integration>(
    integration: &'static I,
) {
    let hub = crate::hub(Hub::builder()).await;
    let app = start(integration, hub.clone(), AppConfig::default()).await;
    // `open` returns when the head has arrived; nothing has been published.
    let mut reader = EventReader::open(app.addr, "/events?topic=news", &[]).await;
    assert_event_stream_headers(reader.status, &reader.headers);
    wait_for("the subscription", PATIENCE, || {
        hub.stats().subscribers == 1
    })
    .await;
    publish(app.addr, "news", "hello").await;
    assert_eq!(
        reader.next().await,
        Some(Decoded::Retry(Duration::from_millis(1500)))
    );
    assert_eq!(data_of(reader.next_event().await), "hello");
    app.stop().await;
}

/// The exact bytes of a set of events, retry prelude included.
pub async fn exact_bytes_of_fixed_events<I: Integration>(integration: &'static I) {
    let app = start_default(integration).await;
    let answer = fetch(app.addr, "GET", "/fixed", &[], None).await;
    assert_event_stream_headers(answer.status, &answer.headers);
    let mut expected = b"retry: 1500\n".to_vec();
    for event in fixed_events() {
        expected.extend_from_slice(&event.encode());
    }
    assert_eq!(
        String::from_utf8_lossy(&answer.body),
        String::from_utf8_lossy(&expected)
    );
    app.stop().await;
}

/// Keep-alive comments at the configured interval while nothing is published.
pub async fn keep_alive_comments_while_idle<I: Integration>(integration: &'static I) {
    let config = AppConfig::default();
    let interval = config.keep_alive;
    let app = start(integration, crate::hub(Hub::builder()).await, config).await;
    let mut reader = EventReader::open(app.addr, "/events?topic=quiet", &[]).await;
    let began = Instant::now();
    for _ in 0..3 {
        assert_eq!(reader.next().await, Some(Decoded::Comment(String::new())));
    }
    // Three comments cannot come sooner than about three intervals (not spammed).
    assert!(
        began.elapsed() >= interval * 2,
        "keep-alives came too fast: {:?}",
        began.elapsed()
    );
    assert_eq!(reader.raw, b":\n\n:\n\n:\n\n");
    app.stop().await;
}

/// Resume after `Last-Event-ID`: every later event exactly once, in order, then live.
pub async fn resume_after_last_event_id_exactly_once_then_live<I: Integration>(
    integration: &'static I,
) {
    let hub = crate::hub(Hub::builder()).await;
    let app = start(integration, hub.clone(), AppConfig::default()).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(publish(app.addr, "r", &format!("event {n}")).await);
    }
    let mut reader = EventReader::open(
        app.addr,
        "/events?topic=r",
        &[("last-event-id", ids[1].as_bytes())],
    )
    .await;
    for (n, id) in ids.iter().enumerate().skip(2) {
        let event = reader.next_event().await.expect("replayed event");
        assert_eq!(
            (event.data.as_str(), event.last_event_id.as_str()),
            (format!("event {n}").as_str(), id.as_str())
        );
    }
    let live = publish(app.addr, "r", "live").await;
    let event = reader.next_event().await.expect("live event");
    assert_eq!(
        (event.data.as_str(), event.last_event_id.as_str()),
        ("live", live.as_str()),
        "no duplicate, no gap"
    );

    // The query fallback for clients that cannot set headers.
    let path = format!("/events?topic=r&lastEventId={}", ids[3]);
    let mut reader = EventReader::open(app.addr, &path, &[]).await;
    assert_eq!(data_of(reader.next_event().await), "event 4");
    app.stop().await;
}

/// The extractor reads raw UTF-8 header bytes (not `to_str()`), falls back to the query,
/// and rejects bytes that are not UTF-8 with a JSON 400.
pub async fn last_event_id_extractor_reads_raw_utf8_and_query<I: Integration>(
    integration: &'static I,
) {
    let app = start_default(integration).await;
    let extracted = |answer: crate::client::Answer| {
        let mut decoder = sse_core::Decoder::new();
        decoder.push(&answer.body).expect("decodable");
        decoder
            .drain()
            .find_map(|item| match item {
                Decoded::Event(event) => Some(event.data),
                _ => None,
            })
            .expect("one event")
    };
    let raw = "événement-7 ✓";
    let answer = fetch(
        app.addr,
        "GET",
        "/last-event-id",
        &[("last-event-id", raw.as_bytes())],
        None,
    )
    .await;
    assert_eq!(extracted(answer), raw);
    let answer = fetch(
        app.addr,
        "GET",
        "/last-event-id?lastEventId=%C3%A9-1",
        &[],
        None,
    )
    .await;
    assert_eq!(extracted(answer), "é-1");
    let answer = fetch(app.addr, "GET", "/last-event-id", &[], None).await;
    assert_eq!(extracted(answer), "");
    let answer = fetch(
        app.addr,
        "GET",
        "/last-event-id",
        &[("last-event-id", b"\xff\xfe")],
        None,
    )
    .await;
    if integration.keeps_non_utf8_headers() {
        assert_eq!(answer.status, 400);
        assert_eq!(answer.json()["error"], "invalid_last_event_id");
    } else {
        assert_eq!(extracted(answer), "", "the framework dropped the header");
    }
    let too_long = "x".repeat(sse_core::LastEventId::MAX_LEN + 1);
    let header: &[(&str, &[u8])] = &[("last-event-id", too_long.as_bytes())];
    let answer = fetch(app.addr, "GET", "/last-event-id", header, None).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["error"], "invalid_last_event_id");

    // A non-ASCII id is not one of the hub's: the subscriber is told, not refused.
    let mut reader = EventReader::open(
        app.addr,
        "/events?topic=u",
        &[("last-event-id", raw.as_bytes())],
    )
    .await;
    assert_eq!(reader.status, 200);
    let notice = reader.next_event().await.expect("missed notice");
    assert_eq!(notice.event_type, "missed");
    assert_eq!(notice.data, r#"{"reason":"unknown","topics":["u"]}"#);
    app.stop().await;
}

/// An id older than the history gets a `missed` event, then everything still kept.
pub async fn missed_event_for_expired_id<I: Integration>(integration: &'static I) {
    let hub = crate::hub(Hub::builder().history(8)).await;
    let app = start(integration, hub.clone(), AppConfig::default()).await;
    let mut ids = Vec::new();
    for n in 0..20 {
        ids.push(
            hub.publish("m", Event::new(n.to_string()))
                .await
                .expect("publish")
                .to_string(),
        );
    }
    let mut reader = EventReader::open(
        app.addr,
        "/events?topic=m",
        &[("last-event-id", ids[0].as_bytes())],
    )
    .await;
    let notice = reader.next_event().await.expect("missed notice");
    assert_eq!(notice.event_type, "missed");
    assert_eq!(notice.data, r#"{"reason":"expired","topics":["m"]}"#);
    assert_eq!(notice.last_event_id, "", "the notice carries no id");
    for n in 12..20 {
        assert_eq!(data_of(reader.next_event().await), n.to_string());
    }
    app.stop().await;
}

/// A client that goes away is gone from the hub's stats promptly (the next keep-alive write
/// at the latest).
pub async fn disconnected_client_leaves_the_hub<I: Integration>(integration: &'static I) {
    let hub = crate::hub(Hub::builder()).await;
    let config = AppConfig::default();
    let interval = config.keep_alive;
    let app = start(integration, hub.clone(), config).await;
    let mut readers = Vec::new();
    for _ in 0..3 {
        readers.push(EventReader::open(app.addr, "/events?topic=d", &[]).await);
    }
    wait_for("three subscribers", PATIENCE, || {
        hub.stats().subscribers == 3
    })
    .await;
    drop(readers.pop());
    // One keep-alive interval to notice, plus slack for a loaded machine.
    let within = (interval * 3).max(Duration::from_secs(2));
    wait_for("the dropped subscriber to leave", within, || {
        hub.stats().subscribers == 2
    })
    .await;
    assert_eq!(hub.stats().subscribers, 2);
    drop(readers);
    wait_for("all subscribers to leave", within, || {
        hub.stats().subscribers == 0
    })
    .await;
    app.stop().await;
}

/// Clients that each subscribe to a topic of their own and then close their connection
/// let go of everything at once, whatever the keep-alive interval (60 s here): the
/// subscriptions, the topics they made, and the server's side of their connections. The
/// wait is bounded (10 s, far below the keep-alive); how long it took is printed, not
/// asserted.
pub async fn departed_clients_let_go_of_their_topics_and_connections<I: Integration>(
    integration: &'static I,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const CLIENTS: usize = 20;
    let hub = crate::hub(Hub::builder()).await;
    let config = AppConfig {
        keep_alive: Duration::from_secs(60),
        ..AppConfig::default()
    };
    let app = start(integration, hub.clone(), config).await;
    let mut sockets = Vec::new();
    for n in 0..CLIENTS {
        let mut socket = tokio::net::TcpStream::connect(app.addr)
            .await
            .expect("connect");
        let request = format!(
            "GET /events?topic=departed-{n} HTTP/1.1\r\nhost: {}\r\naccept: text/event-stream\r\n\r\n",
            app.addr
        );
        socket.write_all(request.as_bytes()).await.expect("write");
        // Read the answer's head: a socket closed with unread bytes sends a reset, which
        // every server notices at once; a client that read everything sends a FIN.
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let read = tokio::time::timeout(PATIENCE, socket.read(&mut buf))
                .await
                .expect("the answer's head in time")
                .expect("read");
            assert!(read > 0, "closed before the answer's head");
            head.extend_from_slice(&buf[..read]);
        }
        assert!(
            head.starts_with(b"HTTP/1.1 200"),
            "{:?}",
            String::from_utf8_lossy(&head)
        );
        sockets.push(socket);
    }
    wait_for("every client to subscribe", PATIENCE, || {
        let stats = hub.stats();
        stats.subscribers == CLIENTS && stats.topics == CLIENTS
    })
    .await;
    let port = app.addr.port();
    let open_before = open_server_connections(port);
    for socket in &sockets {
        // Anything that came since (a probe) is read too, so that each close is a FIN.
        while socket.try_read(&mut [0u8; 1024]).is_ok_and(|read| read > 0) {}
    }
    let left = Instant::now();
    drop(sockets);
    let mut released = None;
    wait_for(
        "the departed clients' subscriptions, topics and connections to go",
        Duration::from_secs(10),
        || {
            let stats = hub.stats();
            if released.is_none() && stats.subscribers == 0 && stats.topics == 0 {
                released = Some(left.elapsed());
            }
            released.is_some() && open_server_connections(port).is_none_or(|open| open == 0)
        },
    )
    .await;
    eprintln!(
        "{}: {CLIENTS} departed clients let go of the hub after {:?}, of their connections after {:?} \
         (server connections open before: {open_before:?}; keep-alive 60 s)",
        std::any::type_name::<I>(),
        released.unwrap_or_default(),
        left.elapsed(),
    );
    app.stop().await;
}

/// How many connections the server listening on 127.0.0.1:`port` still holds open
/// (established, or closed by the client and not yet by the server), from
/// `/proc/net/tcp`; `None` where that cannot be read.
fn open_server_connections(port: u16) -> Option<usize> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    let open = table
        .lines()
        .skip(1)
        .filter(|line| {
            let mut fields = line.split_whitespace();
            let local = fields.nth(1).unwrap_or_default();
            let state = fields.nth(1).unwrap_or_default();
            let local_port = local
                .rsplit(':')
                .next()
                .and_then(|hex| u16::from_str_radix(hex, 16).ok());
            // 01 established, 08 close-wait: the server has not closed its side.
            local_port == Some(port) && (state == "01" || state == "08")
        })
        .count();
    Some(open)
}

/// A client that stops reading: the others get everything at full speed; hub memory stays
/// within its bound; when the stalled client reads again it gets a gap-free prefix and the
/// end of its stream (lag policy `Close`), and on reconnecting the rest or a `missed` event.
pub async fn stalled_client_does_not_slow_others_and_is_closed_without_silent_loss<
    I: Integration,
>(
    integration: &'static I,
) {
    const EVENTS: usize = 3000;
    let hub = crate::hub(Hub::builder().history(64).history_bytes(1 << 20)).await;
    let app = start(integration, hub.clone(), AppConfig::default()).await;
    let mut stalled = EventReader::open(app.addr, "/events?topic=s", &[]).await;
    // The fast readers report progress; the publisher stays within 32 events of the slower
    // of them (half the history), so only the stalled client can fall behind.
    let progress: Arc<[AtomicUsize; 2]> = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let mut fast = Vec::new();
    for index in 0..2 {
        let mut reader = EventReader::open(app.addr, "/events?topic=s", &[]).await;
        let progress = progress.clone();
        fast.push(tokio::spawn(async move {
            let mut got = Vec::with_capacity(EVENTS);
            while got.len() < EVENTS {
                let event = reader.next_event().await.expect("fast reader keeps up");
                got.push(
                    event.data[..event.data.find(' ').unwrap_or(0)]
                        .parse::<usize>()
                        .expect("index"),
                );
                progress[index].store(got.len(), Ordering::Relaxed);
            }
            got
        }));
    }
    wait_for("three subscribers", PATIENCE, || {
        hub.stats().subscribers == 3
    })
    .await;
    let padding = "x".repeat(4096);
    let mut max_buffered = 0;
    for n in 0..EVENTS {
        let slowest = || {
            progress
                .iter()
                .map(|p| p.load(Ordering::Relaxed))
                .min()
                .unwrap_or(0)
        };
        wait_for("the fast readers", PATIENCE, || n < slowest() + 32).await;
        hub.publish("s", Event::new(format!("{n} {padding}")))
            .await
            .expect("publish");
        max_buffered = max_buffered.max(hub.stats().buffered_bytes);
    }
    for reader in fast {
        let got = tokio::time::timeout(PATIENCE, reader)
            .await
            .expect("fast readers finish")
            .expect("reader");
        assert_eq!(
            got,
            (0..EVENTS).collect::<Vec<_>>(),
            "fast readers get every event in order"
        );
    }
    assert!(max_buffered <= 1 << 20, "hub buffered {max_buffered} bytes");

    // The stalled client reads again.
    let mut received = Vec::new();
    while let Some(event) = stalled.next_event().await {
        received.push(
            event.data[..event.data.find(' ').unwrap_or(0)]
                .parse::<usize>()
                .expect("index"),
        );
    }
    assert_eq!(
        received,
        (0..received.len()).collect::<Vec<_>>(),
        "a gap-free prefix"
    );
    assert!(
        received.len() < EVENTS,
        "12 MB cannot all fit in socket buffers; it must have lagged"
    );
    assert!(hub.stats().lagged >= 1);

    // Reconnecting: the next event, or a `missed` notice; never a silent gap.
    let last = stalled.last_event_id().to_owned();
    let mut again = EventReader::open(
        app.addr,
        "/events?topic=s",
        &[("last-event-id", last.as_bytes())],
    )
    .await;
    let first = again
        .next_event()
        .await
        .expect("an event after reconnecting");
    let next_index = received.len();
    assert!(
        first.event_type == "missed" || first.data.starts_with(&format!("{next_index} ")),
        "after reconnecting: {:?}",
        &first.data[..first.data.len().min(60)]
    );
    app.stop().await;
}

/// Graceful shutdown with 1,000 open streams (hub subscriptions and a plain stream) ends
/// every one at an event boundary, and the server stops. Shutting the app down the framework's way (with the hub's final event, as the adapter's
/// docs say) delivers the final event to every hub subscriber and ends every stream, hub
/// subscription or not (`/clock` has no `until` of its own), at an event boundary.
pub async fn graceful_shutdown_ends_open_streams_at_event_boundaries<I: Integration>(
    integration: &'static I,
) {
    const HUB_STREAMS: usize = 980;
    const CLOCK_STREAMS: usize = 20;
    let hub = crate::hub(Hub::builder()).await;
    let app = start(integration, hub.clone(), AppConfig::default()).await;
    let mut readers = Vec::new();
    for batch in 0..(HUB_STREAMS / 49) {
        let opened =
            join_all((0..49).map(|_| EventReader::open(app.addr, "/events?topic=bye", &[]))).await;
        readers.extend(opened);
        assert_eq!(readers.len(), (batch + 1) * 49);
    }
    let mut clocks =
        join_all((0..CLOCK_STREAMS).map(|_| EventReader::open(app.addr, "/clock", &[]))).await;
    wait_for("all subscriptions", PATIENCE, || {
        hub.stats().subscribers == HUB_STREAMS
    })
    .await;
    hub.publish("bye", Event::new("before shutdown"))
        .await
        .expect("publish");
    // Every stream is mid-flight, with an event delivered, when shutdown begins. (Shutdown
    // does not drain events still queued for a client: a stalled one would hold it up.)
    for reader in &mut readers {
        assert_eq!(data_of(reader.next_event().await), "before shutdown");
    }
    for clock in &mut clocks {
        assert_eq!(clock.next_event().await.expect("a tick").event_type, "tick");
    }
    let began = Instant::now();
    let stopping = tokio::spawn(app.stop());
    let results = join_all(
        readers
            .into_iter()
            .chain(clocks)
            .map(|mut reader| async move {
                let mut events = Vec::new();
                while let Some(event) = reader.next_event().await {
                    events.push(event);
                }
                (events, reader.raw)
            }),
    )
    .await;
    for (index, (events, raw)) in results.iter().enumerate() {
        assert!(
            raw.ends_with(b"\n\n"),
            "stream {index} ended inside an event: {:?}",
            String::from_utf8_lossy(&raw[raw.len().saturating_sub(40)..])
        );
        if index < HUB_STREAMS {
            let expected = final_event();
            assert_eq!(
                events
                    .iter()
                    .map(|e| (e.event_type.as_str(), e.data.as_str()))
                    .collect::<Vec<_>>(),
                [(expected.event_name().unwrap_or("message"), expected.data())],
                "hub stream {index} gets the hub's final event, then its end"
            );
        }
    }
    tokio::time::timeout(PATIENCE, stopping)
        .await
        .expect("server stopped in time")
        .expect("stop");
    assert!(began.elapsed() < PATIENCE);
    assert_eq!(hub.stats().subscribers, 0);
}

/// Bodies that cannot be read answer the same on every framework: over the limit 413
/// `body_too_large` (declared or chunked), cut short or badly framed 400 `invalid_body`, and
/// nothing is published.
pub async fn unreadable_and_oversize_bodies_have_the_same_status_everywhere<I: Integration>(
    integration: &'static I,
) {
    let hub = crate::hub(Hub::builder()).await;
    let config = AppConfig::default();
    let over_limit = config.max_body + 1;
    let app = start(integration, hub.clone(), config).await;
    let head = |framing: &str| {
        format!(
            "POST /publish HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\n{framing}\r\n",
            app.addr
        )
    };
    let chunked_over_limit = {
        let mut request = head("transfer-encoding: chunked\r\n");
        for _ in 0..(over_limit / 100 + 1) {
            request.push_str(&format!("64\r\n{}\r\n", "x".repeat(100)));
        }
        request + "0\r\n\r\n"
    };
    let cases: Vec<(&str, String, bool, u16, &str)> = vec![
        (
            "declared length over the limit",
            head(&format!("content-length: {over_limit}\r\n")) + &"x".repeat(over_limit),
            false,
            413,
            "body_too_large",
        ),
        (
            "chunked body over the limit",
            chunked_over_limit,
            false,
            413,
            "body_too_large",
        ),
        (
            "declared length never delivered",
            head("content-length: 100\r\n") + r#"{"topic":"t","#,
            true,
            400,
            "invalid_body",
        ),
        (
            "broken chunked framing",
            // A valid first chunk, then a chunk size that is not hex. (Rocket reads the
            // first 14 bytes of every body before routing and drops an error there, so the
            // break comes after them.)
            head("transfer-encoding: chunked\r\n")
                + "16\r\n{\"topic\":\"t\",\"data\":\"x\r\nzz\r\nxx\"}\r\n0\r\n\r\n",
            false,
            400,
            "invalid_body",
        ),
    ];
    for (what, request, half_close, status, code) in cases {
        let answer = raw_exchange(app.addr, request.as_bytes(), half_close).await;
        assert_eq!(answer.status, Some(status), "{what}: {}", answer.text);
        assert!(
            answer.text.contains(&format!("\"error\":\"{code}\"")),
            "{what}: {}",
            answer.text
        );
    }
    assert_eq!(hub.stats().published, 0, "nothing unreadable is published");
    app.stop().await;
}

/// A publish that declares a body and stalls after a few bytes is answered 408
/// `body_timeout` once the body timeout passes, and its connection is closed; nothing is
/// published. (Rocket reads the first 14 bytes of every body before routing, so a body
/// that stalls before them never reaches a handler: the stalled bodies here send 20.)
pub async fn a_stalled_publish_body_is_answered_408_and_closed<I: Integration>(
    integration: &'static I,
) {
    let hub = crate::hub(Hub::builder()).await;
    let app = start(integration, hub.clone(), AppConfig::default()).await;
    let request = format!(
        "POST /publish HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\n\
         content-length: 1000\r\n\r\n{{\"topic\":\"t\",\"data\":",
        app.addr
    );
    let (answer, closed) = until_closed(app.addr, request.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"error\":\"body_timeout\""), "{answer}");
    assert!(closed, "the connection is closed after the 408: {answer}");
    assert_eq!(hub.stats().published, 0);
    app.stop().await;
}

/// A publish is admitted before its body is read: with one publish in flight allowed, a
/// second while the first's body stalls is a 429 `too_many_requests` with `Retry-After`,
/// and one is admitted again once the first is answered. Past the publish rate, the same
/// 429.
pub async fn publishes_past_the_limits_are_429_with_retry_after<I: Integration>(
    integration: &'static I,
) {
    use tokio::io::AsyncWriteExt;
    let hub = crate::hub(Hub::builder()).await;
    let config = AppConfig {
        max_publishes_in_flight: 1,
        body_timeout: Duration::from_secs(60),
        ..AppConfig::default()
    };
    let app = start(integration, hub.clone(), config).await;
    let body = r#"{"topic":"t","data":"x"}"#;
    let head_for = |addr: SocketAddr| {
        format!(
            "POST /publish HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\n\r\n",
            body.len()
        )
    };
    let head = head_for(app.addr);
    // The first publish sends half its body and waits; once the server holds it (its
    // place in flight taken), every other publish is refused.
    let open_stalled = || async {
        let mut stalled = tokio::net::TcpStream::connect(app.addr)
            .await
            .expect("connect");
        stalled
            .write_all(format!("{head}{}", &body[..20]).as_bytes())
            .await
            .expect("write");
        stalled
    };
    let mut stalled = open_stalled().await;
    let complete = format!("{head}{body}");
    let deadline = Instant::now() + PATIENCE;
    let refused = loop {
        let answer = raw_exchange(app.addr, complete.as_bytes(), false).await;
        if answer.status == Some(429) {
            break answer;
        }
        // The stalled publish may have come while this one held the only place, and been
        // refused (it has an answer, or is closed): then it is sent again.
        if !matches!(stalled.try_read(&mut [0u8; 1]), Err(error) if error.kind() == std::io::ErrorKind::WouldBlock)
        {
            stalled = open_stalled().await;
        }
        assert!(Instant::now() < deadline, "never refused: {}", answer.text);
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        refused.text.contains("\"error\":\"too_many_requests\""),
        "{}",
        refused.text
    );
    assert!(
        refused
            .text
            .to_ascii_lowercase()
            .contains("retry-after: 1\r\n"),
        "{}",
        refused.text
    );
    // The stalled publish completes; its place is free again. (A publish of the loop above
    // may have been admitted before a first stalled one, and published.)
    let before = hub.stats().published;
    stalled
        .write_all(&body.as_bytes()[20..])
        .await
        .expect("write");
    wait_for("the stalled publish", PATIENCE, || {
        hub.stats().published == before + 1
    })
    .await;
    drop(stalled);
    let mut admitted = false;
    for _ in 0..100 {
        let answer = raw_exchange(app.addr, complete.as_bytes(), false).await;
        if answer.status == Some(200) {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(admitted, "a publish is admitted again after the first");
    app.stop().await;

    // The rate: one a second, so of twenty quick publishes some are refused.
    let hub = crate::hub(Hub::builder()).await;
    let config = AppConfig {
        publish_rate: Some(1),
        ..AppConfig::default()
    };
    let app = start(integration, hub.clone(), config).await;
    let complete = format!("{}{body}", head_for(app.addr));
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let answer = raw_exchange(app.addr, complete.as_bytes(), false).await;
        if answer.status == Some(429) {
            assert!(answer.text.contains("too_many_requests"), "{}", answer.text);
        }
        statuses.push(answer.status);
    }
    assert!(statuses.contains(&Some(200)), "{statuses:?}");
    assert!(statuses.contains(&Some(429)), "{statuses:?}");
    let accepted = statuses.iter().filter(|s| **s == Some(200)).count() as u64;
    assert_eq!(hub.stats().published, accepted);
    app.stop().await;
}

/// With the framework's compression middleware in front, events still arrive at once and
/// uncompressed.
pub async fn compression_middleware_leaves_events_alone<I: Integration>(integration: &'static I) {
    if !integration.has_compression() {
        return;
    }
    let hub = crate::hub(Hub::builder()).await;
    let app = start(integration, hub.clone(), AppConfig::default()).await;
    let accept: &[(&str, &[u8])] = &[("accept-encoding", b"gzip, deflate, br, zstd")];
    let mut reader = EventReader::open(app.addr, "/events?topic=z", accept).await;
    assert_event_stream_headers(reader.status, &reader.headers);
    wait_for("the subscription", PATIENCE, || {
        hub.stats().subscribers == 1
    })
    .await;
    for n in 0..3 {
        publish(app.addr, "z", &format!("uncompressed {n}")).await;
        assert_eq!(
            data_of(reader.next_event().await),
            format!("uncompressed {n}")
        );
    }
    let answer = fetch(app.addr, "GET", "/fixed", accept, None).await;
    assert_eq!(
        header(&answer.headers, "content-encoding"),
        Some("identity")
    );
    assert!(answer.body.starts_with(b"retry: 1500\n"));
    app.stop().await;
}

/// Bad requests get the documented status and a JSON body, and leave the hub working. The
/// hub's own event names (`missed`, `shutdown`) and a `retry` over an hour are refused.
pub async fn publish_and_subscribe_errors_have_documented_statuses<I: Integration>(
    integration: &'static I,
) {
    let hub = crate::hub(Hub::builder().max_subscribers(3)).await;
    let app = start(integration, hub.clone(), AppConfig::default()).await;
    let post = |body: String, auth: Option<&'static [u8]>| async move {
        let mut headers: Vec<(&str, &[u8])> = vec![("content-type", b"application/json")];
        if let Some(auth) = auth {
            headers.push(("x-auth", auth));
        }
        fetch(
            app.addr,
            "POST",
            "/publish",
            &headers,
            Some(body.into_bytes()),
        )
        .await
    };
    let valid = || r#"{"topic":"t","data":"x"}"#.to_owned();
    let cases: Vec<(String, Option<&'static [u8]>, u16, &str)> = vec![
        (valid(), Some(b"none"), 401, "unauthorized"),
        (valid(), Some(b"forbidden"), 403, "forbidden"),
        (
            r#"{"topic":"private","data":"x"}"#.to_owned(),
            None,
            403,
            "forbidden",
        ),
        (
            format!(r#"{{"topic":"t","data":"{}"}}"#, "x".repeat(2000)),
            None,
            413,
            "body_too_large",
        ),
        (
            r#"{"topic":"t","data":"#.to_owned(),
            None,
            400,
            "invalid_json",
        ),
        (r#"{"data":"x"}"#.to_owned(), None, 400, "invalid_json"),
        (
            r#"{"topic":"t","data":"x","event":"a\nb"}"#.to_owned(),
            None,
            422,
            "invalid_event",
        ),
        (
            r#"{"topic":"no spaces","data":"x"}"#.to_owned(),
            None,
            400,
            "invalid_topic",
        ),
        // The hub's own notices cannot be forged by a publisher.
        (
            r#"{"topic":"t","data":"x","event":"missed"}"#.to_owned(),
            None,
            400,
            "reserved_event",
        ),
        (
            r#"{"topic":"t","data":"x","event":"shutdown"}"#.to_owned(),
            None,
            400,
            "reserved_event",
        ),
        // Nor can it make every subscriber wait for ages before reconnecting.
        (
            r#"{"topic":"t","data":"x","retry":18446744073709551615}"#.to_owned(),
            None,
            400,
            "invalid_retry",
        ),
        (
            r#"{"topic":"t","data":"x","retry":3600001}"#.to_owned(),
            None,
            400,
            "invalid_retry",
        ),
    ];
    for (body, auth, status, code) in cases {
        let answer = post(body.clone(), auth).await;
        assert_eq!(
            answer.status.as_u16(),
            status,
            "{body:.60}: {:?}",
            String::from_utf8_lossy(&answer.body)
        );
        assert_eq!(
            header(&answer.headers, "content-type"),
            Some("application/json")
        );
        assert_eq!(answer.json()["error"], code, "{body:.60}");
    }

    let get = |path: &'static str, auth: Option<&'static [u8]>| async move {
        let headers: Vec<(&str, &[u8])> = auth.map(|a| ("x-auth", a)).into_iter().collect();
        fetch(app.addr, "GET", path, &headers, None).await
    };
    for (path, auth, status, code) in [
        ("/events", None, 400, "no_topics"),
        ("/events?topic=a%20b", None, 400, "invalid_topic"),
        ("/events?topic=t", Some(&b"none"[..]), 401, "unauthorized"),
        ("/events?topic=private", None, 403, "forbidden"),
    ] {
        let answer = get(path, auth).await;
        assert_eq!(
            (answer.status.as_u16(), answer.json()["error"].as_str()),
            (status, Some(code)),
            "{path}"
        );
    }

    let mut readers = Vec::new();
    for _ in 0..3 {
        readers.push(EventReader::open(app.addr, "/events?topic=t", &[]).await);
    }
    let answer = get("/events?topic=t", None).await;
    assert_eq!(
        (answer.status.as_u16(), answer.json()["error"].as_str()),
        (503, Some("too_many_subscribers"))
    );
    assert_eq!(
        header(&answer.headers, "retry-after"),
        Some("1"),
        "a full hub says when to try again"
    );

    // The hub is unharmed: a good publish reaches every subscriber.
    let answer = post(valid(), None).await;
    assert_eq!(answer.status, 200);
    let id = answer.json()["id"].as_str().expect("id").to_owned();
    for reader in &mut readers {
        let event = reader.next_event().await.expect("event");
        assert_eq!(
            (event.data.as_str(), event.last_event_id.as_str()),
            ("x", id.as_str())
        );
    }
    assert_eq!(hub.stats().published, 1);
    app.stop().await;
}

/// A stream that fails after one event ends cleanly at an event boundary.
pub async fn failing_stream_ends_cleanly<I: Integration>(integration: &'static I) {
    let app = start_default(integration).await;
    let answer = fetch(app.addr, "GET", "/failing", &[], None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(&answer.body[..], b"data: ok\n\n");
    app.stop().await;
}

/// A handler's own `until` ends its stream even though the adapter also applies the app's
/// shutdown signal: every signal counts.
pub async fn a_handlers_own_until_counts_beside_the_apps_signal<I: Integration>(
    integration: &'static I,
) {
    let app = start_default(integration).await;
    let mut reader = EventReader::open(app.addr, "/until-ready", &[]).await;
    assert_event_stream_headers(reader.status, &reader.headers);
    assert_eq!(
        reader.next_event().await,
        None,
        "the stream ends with no event"
    );
    assert!(
        reader.raw.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&reader.raw)
    );
    app.stop().await;
}

/// A client that leaves makes its emitter's `closed()` resolve with `Disconnected` (the
/// stream's keep-alive writes make the server notice) and later sends fail. Prints how long
/// noticing took, with the keep-alive interval used.
pub async fn an_emitters_producer_learns_that_its_client_left<I: Integration>(
    integration: &'static I,
) {
    let hub = crate::hub(Hub::builder()).await;
    let config = AppConfig::default();
    let keep_alive = config.keep_alive;
    let mut reports = hub.subscribe([EMITTER_CLOSED], None).expect("subscribe");
    let app = start(integration, hub.clone(), config).await;
    let mut reader = EventReader::open(app.addr, "/emitter/watch", &[]).await;
    assert_eq!(data_of(reader.next_event().await), "first");
    let left = Instant::now();
    drop(reader);
    let report = tokio::time::timeout(PATIENCE, futures_util::StreamExt::next(&mut reports))
        .await
        .expect("the producer learned that its client left")
        .expect("a report");
    let elapsed = left.elapsed();
    assert!(
        report.ends_with(b"data: Disconnected true\n\n"),
        "{:?}",
        String::from_utf8_lossy(report.as_bytes())
    );
    eprintln!(
        "{}: a departed client noticed after {elapsed:?} (keep-alive {keep_alive:?})",
        std::any::type_name::<I>()
    );
    app.stop().await;
}

/// An emitter completed with a final event delivers what it sent, then the final event,
/// then ends the response cleanly.
pub async fn an_emitters_final_event_arrives_before_the_end<I: Integration>(
    integration: &'static I,
) {
    let app = start_default(integration).await;
    let mut reader = EventReader::open(app.addr, "/emitter/complete", &[]).await;
    assert_event_stream_headers(reader.status, &reader.headers);
    let mut events = Vec::new();
    while let Some(event) = reader.next_event().await {
        events.push((event.event_type, event.data));
    }
    assert_eq!(
        events,
        [
            ("message".to_owned(), "a".to_owned()),
            ("message".to_owned(), "b".to_owned()),
            ("done".to_owned(), "done".to_owned()),
        ]
    );
    assert!(reader.raw.ends_with(b"\n\n"));
    app.stop().await;
}

/// Graceful shutdown with 1,000 idle emitters open completes: each stream ends at the app's
/// shutdown signal, with nothing in its handler about shutdown.
pub async fn graceful_shutdown_with_a_thousand_open_emitters_completes<I: Integration>(
    integration: &'static I,
) {
    const EMITTERS: usize = 1000;
    let hub = crate::hub(Hub::builder()).await;
    let app = start(integration, hub.clone(), AppConfig::default()).await;
    let mut readers = Vec::new();
    for _ in 0..(EMITTERS / 50) {
        readers.extend(
            join_all((0..50).map(|_| EventReader::open(app.addr, "/emitter/idle", &[]))).await,
        );
    }
    let stopping = tokio::spawn(app.stop());
    let ended = join_all(readers.into_iter().map(|mut reader| async move {
        while reader.next_event().await.is_some() {}
        reader.raw
    }))
    .await;
    assert_eq!(ended.len(), EMITTERS);
    for raw in ended {
        assert!(raw.is_empty() || raw.ends_with(b"\n\n"));
    }
    tokio::time::timeout(PATIENCE, stopping)
        .await
        .expect("server stopped in time")
        .expect("stop");
}

/// A publish repeated with the same idempotency key (in the body, or in an
/// `Idempotency-Key` header) answers the first publish's id and publishes nothing, also
/// when the repeats arrive together; a key that cannot be used is a 400
/// `invalid_idempotency_key`.
pub async fn a_repeated_idempotency_key_publishes_once<I: Integration>(integration: &'static I) {
    let hub = crate::hub(Hub::builder()).await;
    let app = start(integration, hub.clone(), AppConfig::default()).await;
    let mut reader = EventReader::open(app.addr, "/events?topic=once", &[]).await;
    wait_for("the subscription", PATIENCE, || {
        hub.stats().subscribers == 1
    })
    .await;
    let addr = app.addr;
    let post = |body: serde_json::Value, key: Option<&'static [u8]>| async move {
        let mut headers: Vec<(&str, &[u8])> = vec![("content-type", b"application/json")];
        if let Some(key) = key {
            headers.push(("idempotency-key", key));
        }
        let body = Some(body.to_string().into_bytes());
        let answer = fetch(addr, "POST", "/publish", &headers, body).await;
        let json = answer.json();
        match json["id"].as_str() {
            Some(id) => Ok(id.to_owned()),
            None => Err((answer.status.as_u16(), json["error"].to_string())),
        }
    };
    let in_body = serde_json::json!({"topic": "once", "data": "a", "idempotency_key": "k-a"});
    let first = post(in_body.clone(), None).await.expect("published");
    assert_eq!(post(in_body, None).await, Ok(first.clone()));
    let plain = |data: &str| serde_json::json!({"topic": "once", "data": data});
    let by_header = post(plain("b"), Some(b"k-b")).await.expect("published");
    assert_ne!(by_header, first);
    assert_eq!(post(plain("b"), Some(b"k-b")).await, Ok(by_header.clone()));
    assert_eq!(
        post(plain("b again"), Some(b"k-b")).await,
        Err((422, "\"idempotency_key_reused\"".to_owned())),
        "a key reused for another event"
    );
    let together = join_all((0..5).map(|_| post(plain("c"), Some(b"k-c")))).await;
    assert!(
        together.iter().all(|id| id.is_ok() && *id == together[0]),
        "{together:?}"
    );
    let empty = serde_json::json!({"topic": "once", "data": "x", "idempotency_key": ""});
    assert_eq!(
        post(empty, None).await,
        Err((400, "\"invalid_idempotency_key\"".to_owned()))
    );
    let last = publish(app.addr, "once", "last").await;
    let mut received = Vec::new();
    while received.len() < 4 {
        let event = reader.next_event().await.expect("an event");
        received.push((event.data, event.last_event_id));
    }
    let together = together[0].clone().unwrap_or_default();
    assert_eq!(
        received,
        [
            ("a".to_owned(), first),
            ("b".to_owned(), by_header),
            ("c".to_owned(), together),
            ("last".to_owned(), last),
        ],
        "each key's event once, then the next"
    );
    app.stop().await;
}

/// `HEAD /events?topic=...` answers what `GET` would, without a body and without
/// subscribing (its errors have the same statuses); `OPTIONS /events` and
/// `OPTIONS /publish` answer 204 with the methods each path allows.
pub async fn head_and_options_on_the_hub_routes_answer_alike<I: Integration>(
    integration: &'static I,
) {
    let hub = crate::hub(Hub::builder()).await;
    let app = start(integration, hub.clone(), AppConfig::default()).await;
    let answer = fetch(app.addr, "HEAD", "/events?topic=news", &[], None).await;
    assert_event_stream_headers(answer.status, &answer.headers);
    assert!(answer.body.is_empty());
    assert_eq!(hub.stats().subscribers, 0, "HEAD does not subscribe");
    for (path, headers, status) in [
        ("/events", &[][..], 400),
        ("/events?topic=a%20b", &[][..], 400),
        ("/events?topic=private", &[][..], 403),
        ("/events?topic=t", &[("x-auth", &b"none"[..])][..], 401),
        (
            "/events?topic=t",
            &[("last-event-id", &[b'x'; 1025][..])][..],
            400,
        ),
    ] {
        let answer = fetch(app.addr, "HEAD", path, headers, None).await;
        assert_eq!(answer.status.as_u16(), status, "HEAD {path}");
        assert!(answer.body.is_empty(), "HEAD {path}");
    }
    for (path, allow) in [
        ("/events", "GET, HEAD, OPTIONS"),
        ("/events?topic=t", "GET, HEAD, OPTIONS"),
        ("/publish", "POST, OPTIONS"),
    ] {
        let answer = fetch(app.addr, "OPTIONS", path, &[], None).await;
        assert_eq!(answer.status, 204, "OPTIONS {path}");
        assert_eq!(
            header(&answer.headers, "allow"),
            Some(allow),
            "OPTIONS {path}"
        );
        assert!(answer.body.is_empty(), "OPTIONS {path}");
    }
    assert_eq!(hub.stats().subscribers, 0);
    assert_eq!(hub.stats().published, 0);
    app.stop().await;
}

/// A method the hub routes do not take is a JSON 405 `method_not_allowed` with the path's
/// `Allow` header, on every framework (rocket has no 405 of its own).
pub async fn other_methods_on_the_hub_routes_are_json_405s<I: Integration>(
    integration: &'static I,
) {
    let hub = crate::hub(Hub::builder()).await;
    let app = start(integration, hub.clone(), AppConfig::default()).await;
    for (method, path, allow) in [
        ("DELETE", "/events?topic=t", "GET, HEAD, OPTIONS"),
        ("PUT", "/events", "GET, HEAD, OPTIONS"),
        ("POST", "/events?topic=t", "GET, HEAD, OPTIONS"),
        ("GET", "/publish", "POST, OPTIONS"),
        ("PATCH", "/publish", "POST, OPTIONS"),
    ] {
        let answer = fetch(app.addr, method, path, &[], None).await;
        assert_eq!(answer.status, 405, "{method} {path}");
        assert_eq!(
            header(&answer.headers, "content-type"),
            Some("application/json"),
            "{method} {path}"
        );
        assert_eq!(
            answer.json()["error"],
            "method_not_allowed",
            "{method} {path}"
        );
        let allowed: Vec<_> = answer.headers.get_all("allow").iter().collect();
        assert_eq!(allowed, [allow], "{method} {path}");
    }
    assert_eq!(hub.stats().published, 0);
    app.stop().await;
}

/// An HTTP/1.0 client cannot read chunked encoding: its event stream is the events' bytes
/// as they are, with no `Transfer-Encoding`, ended by the server closing the connection,
/// even when the client asked to keep it alive.
pub async fn http_1_0_clients_get_a_close_delimited_body<I: Integration>(integration: &'static I) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = start_default(integration).await;
    let mut expected = b"retry: 1500\n".to_vec();
    for event in fixed_events() {
        expected.extend_from_slice(&event.encode());
    }
    for connection in ["", "connection: keep-alive\r\n"] {
        let mut stream = tokio::net::TcpStream::connect(app.addr)
            .await
            .expect("connect");
        let request = format!("GET /fixed HTTP/1.0\r\nhost: test\r\n{connection}\r\n");
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut read = Vec::new();
        let closed = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut read)).await;
        let text = String::from_utf8_lossy(&read);
        assert!(
            matches!(closed, Ok(Ok(_))),
            "the server must close to end the body ({connection:?}): {text:?}"
        );
        let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
        let head = head.to_ascii_lowercase();
        assert!(head.starts_with("http/1."), "{head}");
        assert!(head[..12].ends_with(" 200"), "{head}");
        assert!(!head.contains("transfer-encoding"), "{head}");
        assert!(!head.contains("content-length"), "{head}");
        assert_eq!(body, String::from_utf8_lossy(&expected), "{connection:?}");
    }
    app.stop().await;
}

/// Request headers, as the client takes them.
type Headers<'a> = Vec<(&'a str, &'a [u8])>;

/// A token granting `claims`, valid for an hour.
fn token_for(claims: Claims) -> String {
    crate::test_token(&claims.expires_in(Duration::from_secs(3600)))
}

/// Asserts a JSON 401 with `code` and the `WWW-Authenticate` challenge that goes with it.
fn assert_json_401(answer: &crate::client::Answer, code: &str, what: &str) {
    assert_eq!(answer.status, 401, "{what}");
    let challenge = match code {
        "invalid_token" => r#"Bearer realm="sse", error="invalid_token""#,
        _ => r#"Bearer realm="sse""#,
    };
    assert_eq!(
        header(&answer.headers, "www-authenticate"),
        Some(challenge),
        "{what}"
    );
    if !answer.body.is_empty() {
        assert_eq!(
            header(&answer.headers, "content-type"),
            Some("application/json"),
            "{what}"
        );
        assert_eq!(answer.json()["error"], code, "{what}");
        assert!(answer.json()["message"].is_string(), "{what}");
    }
}

/// With the JWT hook (`/jwt/...`): no token is a JSON 401 `unauthorized` with
/// `WWW-Authenticate: Bearer realm="sse"`; a bad, wrongly signed or expired token a 401
/// `invalid_token` whose challenge says so. On `GET` and `HEAD` subscribe and on publish.
pub async fn without_credentials_a_json_401_with_a_challenge<I: Integration>(
    integration: &'static I,
) {
    let hub = crate::hub(Hub::builder()).await;
    let app = start(integration, hub.clone(), AppConfig::default()).await;
    let mut expired = Claims::new().subscribe(["*"]).publish(["*"]);
    expired.exp = Some(1_000_000_000);
    let expired = crate::test_token(&expired);
    let wrong_key = Claims::new()
        .subscribe(["*"])
        .publish(["*"])
        .expires_in(Duration::from_secs(3600))
        .sign_hs256(b"not the suite's secret, another key")
        .expect("signed");
    let bearer = |token: &str| format!("Bearer {token}").into_bytes();
    let cases: [(Option<Vec<u8>>, &str); 5] = [
        (None, "unauthorized"),
        (Some(b"Basic dXNlcjpwYXNz".to_vec()), "unauthorized"),
        (Some(bearer("not-a-token")), "invalid_token"),
        (Some(bearer(&wrong_key)), "invalid_token"),
        (Some(bearer(&expired)), "invalid_token"),
    ];
    let body = br#"{"topic":"news","data":"x"}"#.to_vec();
    for (authorization, code) in &cases {
        let mut headers: Vec<(&str, &[u8])> = vec![("content-type", b"application/json")];
        if let Some(value) = authorization {
            headers.push(("authorization", value));
        }
        let what = format!(
            "{code} {:?}",
            authorization.as_deref().map(String::from_utf8_lossy)
        );
        let get = fetch(app.addr, "GET", "/jwt/events?topic=news", &headers, None).await;
        assert_json_401(&get, code, &format!("GET {what}"));
        let head = fetch(app.addr, "HEAD", "/jwt/events?topic=news", &headers, None).await;
        assert_json_401(&head, code, &format!("HEAD {what}"));
        let post = fetch(
            app.addr,
            "POST",
            "/jwt/publish",
            &headers,
            Some(body.clone()),
        )
        .await;
        assert_json_401(&post, code, &format!("POST {what}"));
    }
    // An expired token in the query is refused too.
    let path = format!("/jwt/events?topic=news&authorization={expired}");
    let answer = fetch(app.addr, "GET", &path, &[], None).await;
    assert_json_401(&answer, "invalid_token", "expired token in the query");
    assert_eq!(hub.stats().subscribers, 0);
    assert_eq!(hub.stats().published, 0);
    app.stop().await;
}

/// With the JWT hook: a topic the token does not grant is a JSON 403 `forbidden`, and the
/// answer is the same for a topic in use and one never used, and names neither.
pub async fn a_topic_not_granted_is_the_same_403_whether_it_exists_or_not<I: Integration>(
    integration: &'static I,
) {
    let hub = crate::hub(Hub::builder()).await;
    let app = start(integration, hub.clone(), AppConfig::default()).await;
    publish(app.addr, "in-use-topic", "exists").await;
    let in_use = EventReader::open(app.addr, "/events?topic=in-use-topic", &[]).await;
    assert_eq!(in_use.status, 200);
    let token = token_for(
        Claims::new()
            .subscribe(["granted", "rooms/*"])
            .publish(["granted"]),
    );
    let bearer = format!("Bearer {token}");
    let headers: [(&str, &[u8]); 2] = [
        ("authorization", bearer.as_bytes()),
        ("content-type", b"application/json"),
    ];
    let mut answers = Vec::new();
    for topic in ["in-use-topic", "never-used-topic"] {
        for path in [
            format!("/jwt/events?topic={topic}"),
            format!("/jwt/events?topic=granted&topic={topic}"),
        ] {
            let answer = fetch(app.addr, "GET", &path, &headers, None).await;
            assert_eq!(answer.status, 403, "GET {path}");
            assert_eq!(answer.json()["error"], "forbidden", "GET {path}");
            assert!(
                !String::from_utf8_lossy(&answer.body).contains(topic),
                "the answer names no topic: {path}"
            );
            answers.push((answer.headers.get("content-type").cloned(), answer.body));
        }
        let body = format!(r#"{{"topic":"{topic}","data":"x"}}"#).into_bytes();
        let answer = fetch(app.addr, "POST", "/jwt/publish", &headers, Some(body)).await;
        assert_eq!(answer.status, 403, "publish to {topic}");
        assert!(!String::from_utf8_lossy(&answer.body).contains(topic));
        answers.push((answer.headers.get("content-type").cloned(), answer.body));
    }
    assert_eq!(answers[0], answers[3], "a used and an unused topic alike");
    assert_eq!(answers[1], answers[4]);
    assert_eq!(answers[2], answers[5]);
    // What is granted is allowed: an exact name and a prefix pattern.
    let granted = fetch(
        app.addr,
        "HEAD",
        "/jwt/events?topic=granted&topic=rooms/1",
        &headers,
        None,
    )
    .await;
    assert_eq!(granted.status, 200);
    assert_eq!(hub.stats().published, 1, "nothing refused was published");
    drop(in_use);
    app.stop().await;
}

/// With the JWT hook: the token is read from `Authorization: Bearer`, from the cookie
/// `sse_authorization` and from `?authorization=`; each subscribes and publishes.
pub async fn a_token_is_accepted_from_the_header_a_cookie_and_the_query<I: Integration>(
    integration: &'static I,
) {
    let hub = crate::hub(Hub::builder()).await;
    let app = start(integration, hub.clone(), AppConfig::default()).await;
    let token = token_for(Claims::new().subscribe(["news"]).publish(["news"]));
    let bearer = format!("Bearer {token}");
    let cookie = format!("theme=dark; sse_authorization={token}; other=1");
    let ways: [(&str, String, Headers<'_>); 3] = [
        (
            "header",
            "/jwt/events?topic=news".into(),
            vec![("authorization", bearer.as_bytes())],
        ),
        (
            "cookie",
            "/jwt/events?topic=news".into(),
            vec![("cookie", cookie.as_bytes())],
        ),
        (
            "query",
            format!("/jwt/events?topic=news&authorization={token}"),
            vec![],
        ),
    ];
    let mut readers = Vec::new();
    for (way, path, headers) in &ways {
        let reader = EventReader::open(app.addr, path, headers).await;
        assert_eq!(reader.status, 200, "subscribe with the token in the {way}");
        readers.push(reader);
    }
    for (way, _, headers) in &ways {
        let mut headers = headers.clone();
        headers.push(("content-type", b"application/json"));
        let body = format!(r#"{{"topic":"news","data":"{way}"}}"#).into_bytes();
        let path = match *way {
            "query" => format!("/jwt/publish?authorization={token}"),
            _ => "/jwt/publish".to_owned(),
        };
        let answer = fetch(app.addr, "POST", &path, &headers, Some(body)).await;
        assert_eq!(answer.status, 200, "publish with the token in the {way}");
    }
    for reader in &mut readers {
        let data: Vec<String> = [
            reader.next_event().await,
            reader.next_event().await,
            reader.next_event().await,
        ]
        .into_iter()
        .map(|event| event.expect("an event").data)
        .collect();
        assert_eq!(data, ["header", "cookie", "query"]);
    }
    app.stop().await;
}

/// With the JWT hook: a subscription whose token expires ends then, after whole events only
/// (the client reconnects and is authorized again), and the same token is then a 401.
pub async fn a_stream_ends_at_an_event_boundary_when_its_token_expires<I: Integration>(
    integration: &'static I,
) {
    let hub = crate::hub(Hub::builder()).await;
    let app = start(integration, hub.clone(), AppConfig::default()).await;
    // A short life, so the check does not wait long; the wait below has a generous bound.
    let token = crate::test_token(
        &Claims::new()
            .subscribe(["news"])
            .expires_in(Duration::from_secs(3)),
    );
    let path = format!("/jwt/events?topic=news&authorization={token}");
    let mut reader = EventReader::open(app.addr, &path, &[]).await;
    assert_eq!(reader.status, 200, "a fresh token subscribes");
    publish(app.addr, "news", "before expiry").await;
    let first = reader.next_event().await.expect("the event");
    assert_eq!(first.data, "before expiry");
    let ended = tokio::time::timeout(Duration::from_secs(120), async {
        // Keep-alive comments until the end; every item is whole.
        while reader.next().await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the stream ended when its token expired");
    assert!(
        reader.raw.ends_with(b"\n\n"),
        "ended at an event boundary: {:?}",
        String::from_utf8_lossy(&reader.raw)
    );
    let again = fetch(app.addr, "GET", &path, &[], None).await;
    assert_json_401(&again, "invalid_token", "the expired token again");
    wait_for("the subscription to leave the hub", PATIENCE, || {
        hub.stats().subscribers == 0
    })
    .await;
    app.stop().await;
}

/// A publish whose body is not declared `application/json` (none, a form, `text/plain`:
/// what a cross-site page can send without a preflight) is a JSON 415
/// `unsupported_media_type` and publishes nothing; parameters and case do not matter.
pub async fn publish_needs_a_json_content_type<I: Integration>(integration: &'static I) {
    let hub = crate::hub(Hub::builder()).await;
    let app = start(integration, hub.clone(), AppConfig::default()).await;
    let body = br#"{"topic":"t","data":"x"}"#.to_vec();
    for content_type in [
        None,
        Some(&b"text/plain"[..]),
        Some(b"application/x-www-form-urlencoded"),
        Some(b"multipart/form-data; boundary=x"),
        Some(b"application/jsonx"),
    ] {
        let headers: Headers<'_> = content_type
            .map(|v| ("content-type", v))
            .into_iter()
            .collect();
        let answer = fetch(app.addr, "POST", "/publish", &headers, Some(body.clone())).await;
        let what = format!("{:?}", content_type.map(String::from_utf8_lossy));
        assert_eq!(answer.status, 415, "{what}");
        assert_eq!(answer.json()["error"], "unsupported_media_type", "{what}");
    }
    assert_eq!(hub.stats().published, 0, "nothing published");
    for content_type in [&b"application/json; charset=utf-8"[..], b"Application/JSON"] {
        let headers = [("content-type", content_type)];
        let answer = fetch(app.addr, "POST", "/publish", &headers, Some(body.clone())).await;
        assert_eq!(
            answer.status,
            200,
            "{:?}",
            String::from_utf8_lossy(content_type)
        );
    }
    app.stop().await;
}
