//! Clients that leave or stop reading: the hub and an emitter's producer notice, and a stalled
//! client slows no one and loses nothing silently.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sse_core::{Event, Hub};

use crate::client::{EventReader, PATIENCE};
use crate::{AppConfig, EMITTER_CLOSED, HubFactory, Integration};

use super::{data_of, start, wait_for};

/// A client that goes away is gone from the hub's stats promptly (the next keep-alive write
/// at the latest).
pub async fn disconnected_client_leaves_the_hub<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    let hub = hubs.build(Hub::builder()).await;
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
    hubs: HubFactory,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const CLIENTS: usize = 20;
    let hub = hubs.build(Hub::builder()).await;
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
    hubs: HubFactory,
) {
    const EVENTS: usize = 3000;
    let hub = hubs
        .build(Hub::builder().history(64).history_bytes(1 << 20))
        .await;
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

/// A client that leaves makes its emitter's `closed()` resolve with `Disconnected` (the
/// stream's keep-alive writes make the server notice) and later sends fail. Prints how long
/// noticing took, with the keep-alive interval used.
pub async fn an_emitters_producer_learns_that_its_client_left<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    let hub = hubs.build(Hub::builder()).await;
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
