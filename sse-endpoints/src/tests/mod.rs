use futures_util::FutureExt;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use sse_core::http::HttpError;
use sse_core::hub::RESERVED_EVENTS;
use sse_core::{Event, EventId, Hub};

use crate::*;

/// `body` published as an adapter's publish route does it, with `key` as the request's
/// `Idempotency-Key` header.
fn publish<'e, A: Authorize<RawRequest>>(
    endpoints: &'e HubEndpoints<A>,
    key: Option<&[u8]>,
    body: RequestBody,
) -> futures_util::future::BoxFuture<'e, Result<Published, EndpointError>> {
    let mut request = RawRequest::new().header("content-type", "application/json");
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    match endpoints.admit_publish::<RawRequest, _>(&request) {
        Ok(admitted) => Box::pin(admitted.with_body(body).publish(&request)),
        Err(error) => Box::pin(std::future::ready(Err(error))),
    }
}

/// A subscribe request with this query and `Last-Event-ID` header.
fn raw(query: Option<&str>, last_event_id: Option<&[u8]>) -> RawRequest {
    let mut request = RawRequest::new();
    if let Some(query) = query {
        request = request.query(query);
    }
    if let Some(header) = last_event_id {
        request = request.header("last-event-id", header);
    }
    request
}

fn complete(body: &str) -> RequestBody {
    RequestBody::Complete(Bytes::copy_from_slice(body.as_bytes()))
}

#[test]
fn publish_statuses() {
    let endpoints = HubEndpoints::new(Hub::new()).max_body(100);
    let status = |body: RequestBody| {
        publish(&endpoints, None, body)
            .now_or_never()
            .expect("in memory, ready at once")
            .map(|_| 200)
            .unwrap_or_else(|e| e.status())
    };
    assert_eq!(status(complete(r#"{"topic":"t","data":"x"}"#)), 200);
    assert_eq!(
        status(complete(
            r#"{"topic":"t","data":{"n":1},"event":"e","retry":10}"#
        )),
        200
    );
    assert_eq!(status(complete(r#"{"topic":"t""#)), 400);
    assert_eq!(
        status(complete(r#"{"topic":"t","data":"x","extra":1}"#)),
        400
    );
    assert_eq!(status(complete(r#"{"topic":"a b","data":"x"}"#)), 400);
    assert_eq!(
        status(complete(r#"{"topic":"t","data":"x","event":"a\nb"}"#)),
        422
    );
    assert_eq!(
        status(complete(&format!(
            r#"{{"topic":"t","data":"{}"}}"#,
            "x".repeat(100)
        ))),
        413
    );
    assert_eq!(status(RequestBody::OverLimit), 413);
    let unreadable = publish(
        &endpoints,
        None,
        RequestBody::Unreadable("connection closed".into()),
    )
    .now_or_never()
    .unwrap()
    .unwrap_err();
    assert_eq!(
        (unreadable.status(), unreadable.code()),
        (400, "invalid_body")
    );
    let timed_out = publish(&endpoints, None, RequestBody::TimedOut)
        .now_or_never()
        .unwrap()
        .unwrap_err();
    assert_eq!(
        (timed_out.status(), timed_out.code()),
        (408, "body_timeout")
    );
    let forbidding =
        HubEndpoints::new(Hub::new()).authorize(|_: &RawRequest, _: Access<'_>| Denied::Forbidden);
    let denied = publish(&forbidding, None, complete(r#"{"topic":"t","data":"x"}"#))
        .now_or_never()
        .unwrap();
    assert_eq!(denied.unwrap_err().status(), 403);
}

#[tokio::test(start_paused = true)]
async fn a_subscription_ends_when_its_grant_expires_and_an_expired_grant_is_a_401() {
    use futures_util::StreamExt;
    let hub = Hub::new();
    let expiring = HubEndpoints::new(hub.clone()).authorize(|_: &RawRequest, _: Access<'_>| {
        Ok(Grant::new().until(std::time::SystemTime::now() + Duration::from_secs(60)))
    });
    let mut stream = expiring
        .subscribe::<RawRequest, _>(&raw(Some("topic=t"), None))
        .await
        .unwrap();
    hub.publish("t", Event::new("before")).await.unwrap();
    let first = stream.next().await.unwrap();
    assert!(first.ends_with(b"data: before\n\n"));
    tokio::time::advance(Duration::from_secs(61)).await;
    assert!(stream.next().await.is_none(), "ended at the grant's expiry");

    let expired = HubEndpoints::new(hub.clone()).authorize(|_: &RawRequest, _: Access<'_>| {
        Ok(Grant::new().until(std::time::SystemTime::UNIX_EPOCH))
    });
    let error = expired
        .subscribe::<RawRequest, _>(&raw(Some("topic=t"), None))
        .await
        .unwrap_err();
    assert_eq!((error.status(), error.code()), (401, "invalid_token"));
    assert_eq!(
        error.www_authenticate(),
        Some("Bearer realm=\"sse\", error=\"invalid_token\"")
    );
    let later = HubEndpoints::new(hub.clone()).authorize(|_: &RawRequest, _: Access<'_>| {
        Authorization::later(async {
            tokio::task::yield_now().await;
            Err::<(), _>(Denied::Unauthorized)
        })
    });
    let error = publish(&later, None, complete(r#"{"topic":"t","data":"x"}"#))
        .await
        .unwrap_err();
    assert_eq!(
        (error.status(), error.www_authenticate()),
        (401, Some("Bearer realm=\"sse\""))
    );
    assert_eq!(hub.stats().published, 1, "nothing published when refused");
}

#[test]
fn a_json_array_of_the_fields_is_not_a_publish_body() {
    // Found by the `publish_json` fuzz target: serde's derived struct also reads a JSON
    // array of its fields in order.
    let hub = Hub::new();
    let endpoints = HubEndpoints::new(hub.clone());
    for body in [
        r#"["t","x"]"#,
        " \r\n\t[\"t\", {\"n\":1}, \"e\", 10, \"k\"]",
    ] {
        let error = publish(&endpoints, None, complete(body))
            .now_or_never()
            .expect("in memory, ready at once")
            .expect_err(body);
        assert_eq!(
            (error.status(), error.code()),
            (400, "invalid_json"),
            "{body}"
        );
    }
    assert_eq!(hub.stats().published, 0);
    let object = publish(
        &endpoints,
        None,
        complete(" \n{\"topic\":\"t\",\"data\":[\"x\"]}"),
    )
    .now_or_never();
    assert!(matches!(object, Some(Ok(_))));
}

#[tokio::test(start_paused = true)]
async fn a_body_read_past_the_timeout_is_timed_out() {
    let endpoints = HubEndpoints::new(Hub::new()).body_timeout(Duration::from_secs(10));
    let read = |body| async { endpoints.admit_body().unwrap().read(body).await.body };
    assert_eq!(read(std::future::pending()).await, RequestBody::TimedOut);
    let prompt = endpoints.admit_body().unwrap();
    let prompt = prompt.read(async { complete("{}") }).await;
    assert_eq!(prompt.bytes().unwrap(), Bytes::from_static(b"{}"));
    endpoints.hub().shutdown(None);
    let cut = endpoints.admit_body().unwrap();
    let error = cut.read(std::future::pending()).await.bytes().unwrap_err();
    assert_eq!((error.status(), error.code()), (503, "hub_closed"));
}

#[test]
fn admission_is_shared_by_clones_and_bounded_by_the_rate() {
    let endpoints = HubEndpoints::new(Hub::new())
        .max_publishes_in_flight(2)
        .publish_rate(1000);
    let clone = endpoints.clone();
    let first = endpoints.admit_body().unwrap();
    let _second = clone.admit_body().unwrap();
    let error = endpoints.admit_body().unwrap_err();
    assert_eq!((error.status(), error.code()), (429, "too_many_requests"));
    assert!(error.json_body().contains("too_many_requests"));
    drop(first);
    assert!(clone.admit_body().is_ok());
    let rated = HubEndpoints::new(Hub::new()).publish_rate(3);
    let admitted = (0..10).filter(|_| rated.admit_body().is_ok()).count();
    assert!((3..10).contains(&admitted), "{admitted}");
}

#[test]
fn reserved_event_names_and_long_retries_are_refused() {
    let hub = Hub::new();
    let endpoints = HubEndpoints::new(hub.clone());
    let error = |body: &str| {
        let error = publish(&endpoints, None, complete(body))
            .now_or_never()
            .expect("in memory, ready at once")
            .expect_err(body);
        (error.status(), error.code().to_owned())
    };
    for name in RESERVED_EVENTS {
        let body = format!(r#"{{"topic":"t","data":"x","event":"{name}"}}"#);
        assert_eq!(error(&body), (400, "reserved_event".to_owned()), "{name}");
    }
    let too_long = format!(r#"{{"topic":"t","data":"x","retry":{}}}"#, MAX_RETRY_MS + 1);
    assert_eq!(error(&too_long), (400, "invalid_retry".to_owned()));
    let max = u64::MAX;
    assert_eq!(
        error(&format!(r#"{{"topic":"t","data":"x","retry":{max}}}"#)),
        (400, "invalid_retry".to_owned())
    );
    assert_eq!(hub.stats().published, 0, "nothing refused is published");
    // Names that only look alike are other names to a client, and the maximum is fine.
    for body in [
        r#"{"topic":"t","data":"x","event":"Missed"}"#.to_owned(),
        r#"{"topic":"t","data":"x","event":"missed-too"}"#.to_owned(),
        format!(r#"{{"topic":"t","data":"x","retry":{MAX_RETRY_MS}}}"#),
    ] {
        let published = publish(&endpoints, None, complete(&body)).now_or_never();
        assert!(matches!(published, Some(Ok(_))), "{body}");
    }
}

#[test]
fn a_repeated_idempotency_key_answers_the_first_id_and_publishes_once() {
    let hub = Hub::new();
    let endpoints = HubEndpoints::new(hub.clone());
    let mut subscription = hub.subscribe(["t", "u"], None).unwrap();
    let publish = |header: Option<&[u8]>, body: &str| {
        publish(&endpoints, header, complete(body))
            .now_or_never()
            .expect("in memory, ready at once")
            .map(|published| published.id)
            .map_err(|error| error.code().to_owned())
    };
    let keyed = r#"{"topic":"t","data":"once","idempotency_key":"k1"}"#;
    let first = publish(None, keyed).unwrap();
    assert_eq!(publish(None, keyed), Ok(first));
    // The header carries a key too; the body's wins over it.
    assert_eq!(publish(Some(b"other"), keyed), Ok(first));
    // Other endpoints over the same hub (one per actix-web worker) share the keys.
    let other_endpoints = HubEndpoints::new(hub.clone());
    let again = super::tests::publish(&other_endpoints, None, complete(keyed))
        .now_or_never()
        .and_then(Result::ok)
        .map(|published| published.id);
    assert_eq!(again, Some(first));
    // A key is a key wherever it comes from, and names one event: reused for another,
    // it is refused.
    let plain = r#"{"topic":"t","data":"not again"}"#;
    assert_eq!(
        publish(Some(b"k1"), plain),
        Err("idempotency_key_reused".to_owned())
    );
    let respelled = r#"{ "data" : "once", "topic":"t", "idempotency_key":"k1" }"#;
    assert_eq!(publish(None, respelled), Ok(first));
    let by_header = publish(Some(b"k2"), plain).unwrap();
    assert_ne!(by_header, first);
    assert_eq!(publish(Some(b"k2"), plain), Ok(by_header));
    // Another topic, another key.
    let other = publish(None, r#"{"topic":"u","data":"u","idempotency_key":"k1"}"#);
    assert!(other.is_ok_and(|id| id != first));
    assert_eq!(hub.stats().published, 3);
    let mut frames = Vec::new();
    while let Some(Some(frame)) = futures_util::StreamExt::next(&mut subscription).now_or_never() {
        frames.push(String::from_utf8_lossy(frame.as_bytes()).into_owned());
    }
    assert_eq!(frames.len(), 3, "{frames:?}");
    for invalid in [
        r#"{"topic":"t","data":"x","idempotency_key":""}"#.to_owned(),
        format!(
            r#"{{"topic":"t","data":"x","idempotency_key":"{}"}}"#,
            "k".repeat(129)
        ),
    ] {
        assert_eq!(
            publish(None, &invalid),
            Err("invalid_idempotency_key".to_owned())
        );
    }
    assert_eq!(
        publish(Some(b"\xff"), plain),
        Err("invalid_idempotency_key".to_owned())
    );
    assert_eq!(
        publish(Some(b""), plain),
        Err("invalid_idempotency_key".to_owned())
    );
    assert_eq!(hub.stats().published, 3);
}

#[tokio::test]
async fn concurrent_repeats_publish_once() {
    let hub = Hub::new();
    let endpoints = HubEndpoints::new(hub.clone()).idempotency_max_keys(4);
    let body = r#"{"topic":"t","data":"x","idempotency_key":"same"}"#;
    let ids =
        futures_util::future::join_all((0..8).map(|_| publish(&endpoints, None, complete(body))))
            .await;
    let ids: Vec<EventId> = ids.into_iter().map(|id| id.unwrap().id).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(hub.stats().published, 1);
}

#[test]
fn json_data_that_is_not_a_string_is_sent_as_json_text() {
    let hub = Hub::new();
    let endpoints = HubEndpoints::new(hub.clone());
    let mut subscription = hub.subscribe(["t"], None).unwrap();
    publish(
        &endpoints,
        None,
        complete(r#"{"topic":"t","data":{"n":[1,2]}}"#),
    )
    .now_or_never()
    .unwrap()
    .unwrap();
    use futures_util::StreamExt;
    let frame = futures_util::FutureExt::now_or_never(subscription.next())
        .flatten()
        .unwrap();
    assert!(frame.ends_with(b"data: {\"n\":[1,2]}\n\n"));
}

#[test]
fn check_subscribe_answers_what_subscribe_would_without_subscribing() {
    let hub = Hub::new();
    let endpoints =
        HubEndpoints::new(hub.clone()).authorize(|_: &RawRequest, access: Access<'_>| match access
            .topics()
            .any(|t| t == "private")
        {
            true => Err(Denied::Forbidden),
            false => Ok(()),
        });
    let check = |query: Option<&str>, header: Option<&[u8]>| {
        let head = endpoints
            .check_subscribe::<RawRequest, _>(&raw(query, header))
            .now_or_never()
            .unwrap()
            .err();
        let get = endpoints
            .subscribe::<RawRequest, _>(&raw(query, header))
            .now_or_never()
            .unwrap()
            .err();
        let statuses = (head.map(|e| e.status()), get.map(|e| e.status()));
        assert_eq!(statuses.0, statuses.1, "{query:?}");
        statuses.0
    };
    assert_eq!(check(Some("topic=a&topic=b"), Some(b"x-1")), None);
    assert_eq!(check(None, None), Some(400));
    assert_eq!(check(Some("topic=a%20b"), None), Some(400));
    assert_eq!(check(Some("topic=private"), None), Some(403));
    assert_eq!(check(Some("topic=a"), Some(b"\xff")), Some(400));
    assert_eq!(hub.stats().subscribers, 0);
    assert!(
        endpoints
            .check_subscribe::<RawRequest, _>(&raw(Some("topic=a"), None))
            .now_or_never()
            .unwrap()
            .is_ok()
    );
    assert_eq!(
        hub.stats().subscribers,
        0,
        "no subscription, even for a moment"
    );
    hub.shutdown(None);
    assert_eq!(check(Some("topic=a"), None), Some(503));
}

#[test]
fn the_hook_sees_only_valid_topic_lists() {
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = calls.clone();
    let endpoints =
        HubEndpoints::new(Hub::new()).authorize(move |_: &RawRequest, _: Access<'_>| {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        });
    let many: Vec<String> = (0..1000).map(|n| format!("topic=t{n}")).collect();
    for query in [many.join("&"), "topic=a%20b".to_owned()] {
        let error = endpoints
            .check_subscribe::<RawRequest, _>(&raw(Some(&query), None))
            .now_or_never()
            .expect("ready at once")
            .unwrap_err();
        assert_eq!(error.status(), 400);
    }
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[test]
fn subscribe_reads_topics_and_last_event_id_from_the_query() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let hook_seen = seen.clone();
    let endpoints =
        HubEndpoints::new(Hub::new()).authorize(move |_: &RawRequest, access: Access<'_>| {
            *hook_seen.lock().unwrap() = access.topics().map(str::to_owned).collect();
            Ok(())
        });
    let stream = endpoints
        .subscribe::<RawRequest, _>(&raw(Some("topic=a&topic=b%2Fc&lastEventId=x"), None))
        .now_or_never()
        .unwrap()
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), ["a", "b/c"]);
    assert_eq!(stream.get_ref().topics().collect::<Vec<_>>(), ["a", "b/c"]);
    let error = endpoints
        .subscribe::<RawRequest, _>(&raw(Some("x=1"), None))
        .now_or_never()
        .unwrap()
        .unwrap_err();
    assert_eq!((error.status(), error.code()), (400, "no_topics"));
    let error = endpoints
        .subscribe::<RawRequest, _>(&raw(Some("topic=a"), Some(b"\xff")))
        .now_or_never()
        .unwrap()
        .unwrap_err();
    assert_eq!(error.status(), 400);
    assert!(error.json_body().contains("invalid_last_event_id"));
}

/// A hook whose every bearer token authenticates, and whose full answer lets only the token
/// `allowed` publish: `mallory` has a valid token that may not publish.
struct TokenHook;

impl Authorize<RawRequest> for TokenHook {
    fn authorize(&self, request: &RawRequest, _: Access<'_>) -> Authorization {
        match crate::auth::request_token::<RawRequest, _>(request, None, None).as_deref() {
            Some("allowed") => Authorization::allow(),
            _ => Authorization::deny(Denied::Forbidden),
        }
    }

    fn authenticate(&self, request: &RawRequest) -> Result<(), Denied> {
        crate::auth::request_token::<RawRequest, _>(request, None, None)
            .map(drop)
            .ok_or(Denied::Unauthorized)
    }
}

fn publish_request(token: &str) -> RawRequest {
    RawRequest::new()
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
}

#[test]
fn a_refused_publisher_gives_its_place_back_before_the_answer_is_written() {
    let endpoints = HubEndpoints::new(Hub::new())
        .max_publishes_in_flight(1)
        .authorize(TokenHook);
    let mallory = publish_request("mallory");
    for _ in 0..3 {
        let admitted = endpoints.admit_publish::<RawRequest, _>(&mallory).unwrap();
        // While its body is read, the place is held (the hook cannot answer without the
        // topic): the only place is taken.
        assert_eq!(endpoints.limits.in_flight.available_permits(), 0);
        let body = admitted.with_body(complete(r#"{"topic":"t","data":"x"}"#));
        let refused = body.publish(&mallory).now_or_never().unwrap().unwrap_err();
        assert_eq!(refused.status(), 403);
        // Given back as the refusal is answered, before the adapter writes it.
        assert_eq!(endpoints.limits.in_flight.available_permits(), 1);
        assert_eq!(endpoints.limits.unauthorized.count_all(), 0);
    }
    let allowed = publish_request("allowed");
    let admitted = endpoints.admit_publish::<RawRequest, _>(&allowed).unwrap();
    let body = admitted.with_body(complete(r#"{"topic":"t","data":"x"}"#));
    assert!(body.publish(&allowed).now_or_never().unwrap().is_ok());
    assert_eq!(endpoints.limits.in_flight.available_permits(), 1);
}

#[tokio::test]
async fn clients_stalling_their_bodies_cannot_take_every_place_from_an_allowed_publisher() {
    const STALLERS: usize = 50;
    let endpoints = Arc::new(
        HubEndpoints::new(Hub::new())
            .max_publishes_in_flight(16)
            .max_unauthorized_publishes_per_credential(4)
            .body_timeout(Duration::from_secs(60))
            .authorize(TokenHook),
    );
    // N clients with a valid token that may not publish open bodies that never end, as an
    // adapter reads them (each on a task of its own, as a server would).
    let stalled: Vec<_> = (0..STALLERS)
        .map(|_| {
            let endpoints = endpoints.clone();
            tokio::spawn(async move {
                let request = publish_request("mallory");
                let admitted = endpoints.admit_publish::<RawRequest, _>(&request)?;
                let body = admitted.read(std::future::pending()).await;
                body.publish(&request).await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut refused = 0;
    for task in &stalled {
        if task.is_finished() {
            refused += 1;
        }
    }
    let mut still_reading = Vec::new();
    for task in stalled {
        if task.is_finished() {
            let error = task.await.unwrap().unwrap_err();
            assert_eq!((error.status(), error.code()), (429, "too_many_requests"));
        } else {
            still_reading.push(task);
        }
    }
    assert_eq!(STALLERS - refused, 4, "one token holds at most its share");
    assert_eq!(endpoints.limits.in_flight.available_permits(), 12);
    // The allowed publisher still gets places: its own share of those not yet authorized
    // (and, once authorized, its publishes no longer count against it).
    let allowed = publish_request("allowed");
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(endpoints.admit_publish::<RawRequest, _>(&allowed).unwrap());
    }
    assert_eq!(endpoints.limits.in_flight.available_permits(), 8);
    drop(held);
    let admitted = endpoints.admit_publish::<RawRequest, _>(&allowed).unwrap();
    let body = admitted.read(async { complete(r#"{"topic":"t","data":"x"}"#) });
    assert!(body.await.publish(&allowed).await.is_ok());
    for task in still_reading {
        task.abort();
    }
}
