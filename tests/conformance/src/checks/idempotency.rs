//! A publish repeated with an idempotency key publishes once.

use futures_util::future::join_all;
use sse_core::Hub;

use crate::client::{EventReader, PATIENCE, fetch, publish};
use crate::{AppConfig, HubFactory, Integration};

use super::{start, wait_for};

/// A publish repeated with the same idempotency key (in the body, or in an
/// `Idempotency-Key` header) answers the first publish's id and publishes nothing, also
/// when the repeats arrive together; a key that cannot be used is a 400
/// `invalid_idempotency_key`.
pub async fn a_repeated_idempotency_key_publishes_once<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    let hub = hubs.build(Hub::builder()).await;
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
