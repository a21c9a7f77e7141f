//! Graceful shutdown with many streams open.

use std::time::Instant;

use futures_util::future::join_all;
use sse_core::{Event, Hub};

use crate::client::{EventReader, PATIENCE};
use crate::{AppConfig, HubFactory, Integration, final_event};

use super::{data_of, start, wait_for};

/// Graceful shutdown with 1,000 open streams (hub subscriptions and a plain stream) ends
/// every one at an event boundary, and the server stops. Shutting the app down the framework's way (with the hub's final event, as the adapter's
/// docs say) delivers the final event to every hub subscriber and ends every stream, hub
/// subscription or not (`/clock` has no `until` of its own), at an event boundary.
pub async fn graceful_shutdown_ends_open_streams_at_event_boundaries<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    const HUB_STREAMS: usize = 980;
    const CLOCK_STREAMS: usize = 20;
    let hub = hubs.build(Hub::builder()).await;
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

/// Graceful shutdown with 1,000 idle emitters open completes: each stream ends at the app's
/// shutdown signal, with nothing in its handler about shutdown.
pub async fn graceful_shutdown_with_a_thousand_open_emitters_completes<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    const EMITTERS: usize = 1000;
    let hub = hubs.build(Hub::builder()).await;
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
