//! Event streams as a client reads them: status, headers and bytes, keep-alives, compression,
//! HTTP/1.0, and how a stream ends (a failing source, a handler's own `until`, an emitter's
//! final event).

use std::time::{Duration, Instant};

use sse_core::{Decoded, Hub};

use crate::client::{EventReader, PATIENCE, fetch, publish};
use crate::{AppConfig, HubFactory, Integration, fixed_events};

use super::{assert_event_stream_headers, data_of, header, start, start_default, wait_for};

/// Status, the four headers, and the head arriving while no event exists yet.
pub async fn status_and_headers_and_head_before_first_event<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    let hub = hubs.build(Hub::builder()).await;
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
pub async fn exact_bytes_of_fixed_events<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    let app = start_default(integration, &hubs).await;
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
pub async fn keep_alive_comments_while_idle<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    let config = AppConfig::default();
    let interval = config.keep_alive;
    let app = start(integration, hubs.build(Hub::builder()).await, config).await;
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

/// With the framework's compression middleware in front, events still arrive at once and
/// uncompressed.
pub async fn compression_middleware_leaves_events_alone<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    if !integration.has_compression() {
        return;
    }
    let hub = hubs.build(Hub::builder()).await;
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

/// A stream that fails after one event ends cleanly at an event boundary.
pub async fn failing_stream_ends_cleanly<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    let app = start_default(integration, &hubs).await;
    let answer = fetch(app.addr, "GET", "/failing", &[], None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(&answer.body[..], b"data: ok\n\n");
    app.stop().await;
}

/// A handler's own `until` ends its stream even though the adapter also applies the app's
/// shutdown signal: every signal counts.
pub async fn a_handlers_own_until_counts_beside_the_apps_signal<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    let app = start_default(integration, &hubs).await;
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

/// An emitter completed with a final event delivers what it sent, then the final event,
/// then ends the response cleanly.
pub async fn an_emitters_final_event_arrives_before_the_end<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    let app = start_default(integration, &hubs).await;
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

/// An HTTP/1.0 client cannot read chunked encoding: its event stream is the events' bytes
/// as they are, with no `Transfer-Encoding`, ended by the server closing the connection,
/// even when the client asked to keep it alive.
pub async fn http_1_0_clients_get_a_close_delimited_body<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = start_default(integration, &hubs).await;
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
