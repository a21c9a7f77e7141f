//! The `/jwt` routes: the JWT hook's 401s and 403s, where it reads the token, and expiry.

use std::time::Duration;

use sse_core::Hub;
use sse_endpoints::jwt::Claims;

use crate::client::{EventReader, PATIENCE, fetch, publish};
use crate::{AppConfig, HubFactory, Integration};

use super::{Headers, header, start, wait_for};

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
    hubs: HubFactory,
) {
    let hub = hubs.build(Hub::builder()).await;
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
    hubs: HubFactory,
) {
    let hub = hubs.build(Hub::builder()).await;
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
    hubs: HubFactory,
) {
    let hub = hubs.build(Hub::builder()).await;
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
    hubs: HubFactory,
) {
    let hub = hubs.build(Hub::builder()).await;
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
