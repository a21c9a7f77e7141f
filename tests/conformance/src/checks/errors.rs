//! Errors and methods on the hub routes: documented statuses with JSON bodies, `HEAD` and
//! `OPTIONS`, 405s, and the JSON content type a publish needs.

use sse_core::Hub;

use crate::client::{EventReader, fetch};
use crate::{AppConfig, HubFactory, Integration};

use super::{Headers, assert_event_stream_headers, header, start};

/// Bad requests get the documented status and a JSON body, and leave the hub working. The
/// hub's own event names (`missed`, `shutdown`) and a `retry` over an hour are refused.
pub async fn publish_and_subscribe_errors_have_documented_statuses<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    let hub = hubs.build(Hub::builder().max_subscribers(3)).await;
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

/// `HEAD /events?topic=...` answers what `GET` would, without a body and without
/// subscribing (its errors have the same statuses); `OPTIONS /events` and
/// `OPTIONS /publish` answer 204 with the methods each path allows.
pub async fn head_and_options_on_the_hub_routes_answer_alike<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    let hub = hubs.build(Hub::builder()).await;
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
    hubs: HubFactory,
) {
    let hub = hubs.build(Hub::builder()).await;
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

/// A publish whose body is not declared `application/json` (none, a form, `text/plain`:
/// what a cross-site page can send without a preflight) is a JSON 415
/// `unsupported_media_type` and publishes nothing; parameters and case do not matter.
pub async fn publish_needs_a_json_content_type<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    let hub = hubs.build(Hub::builder()).await;
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

/// A browser's `EventSource` gives up for good on any status but 200, so a subscriber
/// refused for a passing reason (here a hub at `max_subscribers`) that accepts an event
/// stream gets 200, the event-stream headers, a `retry:` of the `Retry-After` in
/// milliseconds, a `refused` event with the JSON error as its data, and the end of the
/// stream; any other client gets the 503 JSON with `Retry-After`, and an error that is not
/// passing stays a JSON status for an event source too. Once there is room, the same
/// request subscribes.
pub async fn a_subscriber_refused_for_a_passing_reason_is_told_to_come_back<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    let hub = hubs.build(Hub::builder().max_subscribers(1)).await;
    let app = start(integration, hub.clone(), AppConfig::default()).await;
    let event_source: Headers<'_> = vec![("accept", b"text/event-stream")];
    let first = EventReader::open(app.addr, "/events?topic=t", &[]).await;
    assert_eq!(first.status, 200);

    let answer = fetch(app.addr, "GET", "/events?topic=t", &event_source, None).await;
    assert_eq!(
        answer.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(
        header(&answer.headers, "content-type"),
        Some("text/event-stream")
    );
    assert_eq!(header(&answer.headers, "cache-control"), Some("no-cache"));
    // `fetch` read the body to its end: the stream ended.
    let mut decoder = sse_core::Decoder::new();
    decoder.push(&answer.body).expect("an event stream");
    decoder.finish();
    let items: Vec<sse_core::Decoded> = decoder.drain().collect();
    assert_eq!(
        items.first(),
        Some(&sse_core::Decoded::Retry(std::time::Duration::from_secs(1))),
        "{:?}",
        String::from_utf8_lossy(&answer.body)
    );
    let refused = items.iter().find_map(|item| match item {
        sse_core::Decoded::Event(event) => Some(event),
        _ => None,
    });
    let refused = refused.expect("an event saying why");
    assert_eq!(refused.event_type, "refused");
    let json: serde_json::Value = serde_json::from_str(&refused.data).expect("JSON data");
    assert_eq!(json["error"], "too_many_subscribers");
    assert_eq!(
        hub.stats().subscribers,
        1,
        "the refused request holds nothing"
    );

    for headers in [vec![], vec![("accept", &b"application/json"[..])]] {
        let answer = fetch(app.addr, "GET", "/events?topic=t", &headers, None).await;
        assert_eq!(
            (answer.status.as_u16(), answer.json()["error"].as_str()),
            (503, Some("too_many_subscribers")),
            "{headers:?}"
        );
        assert_eq!(header(&answer.headers, "retry-after"), Some("1"));
    }
    // Not a passing reason: the JSON status, which stops a browser, is the right answer.
    let answer = fetch(app.addr, "GET", "/events", &event_source, None).await;
    assert_eq!(
        (answer.status.as_u16(), answer.json()["error"].as_str()),
        (400, Some("no_topics"))
    );

    // Room again: the browser's retry subscribes.
    drop(first);
    super::wait_for(
        "the first subscriber to leave",
        crate::client::PATIENCE,
        || hub.stats().subscribers == 0,
    )
    .await;
    let mut again = EventReader::open(app.addr, "/events?topic=t", &event_source).await;
    assert_event_stream_headers(again.status, &again.headers);
    crate::client::publish(app.addr, "t", "back").await;
    assert_eq!(super::data_of(again.next_event().await), "back");
    app.stop().await;
}
