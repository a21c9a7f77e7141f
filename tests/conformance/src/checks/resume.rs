//! Resuming after `Last-Event-ID`: replay exactly once, the extractor, and the `missed` notice.

use sse_core::{Decoded, Event, Hub};

use crate::client::{EventReader, fetch, publish};
use crate::{AppConfig, HubFactory, Integration};

use super::{data_of, start, start_default};

/// Resume after `Last-Event-ID`: every later event exactly once, in order, then live.
pub async fn resume_after_last_event_id_exactly_once_then_live<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    let hub = hubs.build(Hub::builder()).await;
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
    hubs: HubFactory,
) {
    let app = start_default(integration, &hubs).await;
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
pub async fn missed_event_for_expired_id<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    let hub = hubs.build(Hub::builder().history(8)).await;
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
