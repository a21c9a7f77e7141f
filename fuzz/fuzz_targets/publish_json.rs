//! Any publish body, with or without an `Idempotency-Key` header, gives `Ok` or a typed
//! error with a 4xx status, never a panic; a publish that succeeds reaches a subscriber of
//! its topic as exactly one frame, which the workspace's decoder parses back to the data,
//! the event name and the id the endpoint answered.
//!
//! Input layout, so that seeds stay readable JSON: the first byte `c` says whether an
//! `Idempotency-Key` header is sent (bit 0) and how long it is (`c >> 1` bytes, taken from
//! what follows); the rest is the request body.
#![no_main]

use bytes::Bytes;
use futures_util::{FutureExt, StreamExt};
use libfuzzer_sys::fuzz_target;
use sse_core::http::HttpError;
use sse_core::{Decoded, Decoder, Hub};
use sse_endpoints::{HubEndpoints, RawRequest, RequestBody};

fuzz_target!(|input: &[u8]| {
    let Some((&control, rest)) = input.split_first() else {
        return;
    };
    let key_len = usize::from(control >> 1).min(rest.len());
    let (key, body) = rest.split_at(key_len);
    let key = (control & 1 != 0).then_some(key);

    // What the body says, read independently of the endpoint, to know what to expect.
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| json.as_ref().and_then(|json| json.get(name));
    let topic = field("topic").and_then(serde_json::Value::as_str);

    let hub = Hub::new();
    // Subscribe first when the topic looks valid, so the event is delivered live.
    let mut subscription = topic.and_then(|topic| hub.subscribe([topic], None).ok());

    let endpoints = HubEndpoints::new(hub.clone());
    // The request as an adapter's publish route sees it, through the publish sequence.
    let mut request = RawRequest::new().header("content-type", "application/json");
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let outcome = match endpoints.admit_publish::<RawRequest, _>(&request) {
        Err(error) => Err(error),
        Ok(admitted) => admitted
            .with_body(RequestBody::Complete(Bytes::copy_from_slice(body)))
            .publish(&request)
            .now_or_never()
            .expect("the in-memory hub answers at once"),
    };

    let published = match outcome {
        Err(error) => {
            let status = error.status();
            assert!((400..500).contains(&status), "{error}: status {status}");
            assert!(!error.code().is_empty());
            assert!(error.json_body().starts_with("{\"error\":"));
            assert_eq!(
                hub.stats().published,
                0,
                "a refused publish publishes nothing"
            );
            return;
        }
        Ok(published) => published,
    };
    assert_eq!(hub.stats().published, 1);
    assert_eq!(
        published.json_body(),
        format!("{{\"id\":\"{}\"}}", published.id)
    );

    // Success means the body was a JSON object with a valid topic and some data.
    let topic = topic.expect("a published body has a string topic");
    let mut subscription = subscription.take().unwrap_or_else(|| {
        panic!("the topic {topic:?} was published to, so it is a valid topic to subscribe to")
    });
    let frame = subscription
        .next()
        .now_or_never()
        .flatten()
        .expect("the subscriber has the event at once");
    assert!(
        subscription.next().now_or_never().is_none(),
        "exactly one frame"
    );

    let mut decoder = Decoder::new();
    decoder
        .push(frame.as_bytes())
        .expect("a hub frame is within the decoder's limits");
    decoder.finish();
    let items: Vec<Decoded> = decoder.drain().collect();
    let mut events = items.iter().filter_map(|item| match item {
        Decoded::Event(event) => Some(event),
        _ => None,
    });
    let (Some(event), None) = (events.next(), events.next()) else {
        panic!(
            "one event in {:?}: {items:?}",
            String::from_utf8_lossy(frame.as_bytes())
        )
    };

    let data = match field("data").expect("a published body has data") {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    assert_eq!(event.data, data.replace("\r\n", "\n").replace('\r', "\n"));
    // An empty name is the default, `message`.
    let name = field("event")
        .and_then(serde_json::Value::as_str)
        .filter(|name| !name.is_empty())
        .unwrap_or("message");
    assert_eq!(event.event_type, name);
    assert_eq!(event.last_event_id, published.id.to_string());
    let retry = items.iter().find_map(|item| match item {
        Decoded::Retry(delay) => Some(delay.as_millis()),
        _ => None,
    });
    let asked = field("retry")
        .and_then(serde_json::Value::as_u64)
        .map(u128::from);
    assert_eq!(retry, asked);
});
