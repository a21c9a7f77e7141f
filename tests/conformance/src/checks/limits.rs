//! The publish limits: body size and framing, body timeout, publishes in flight and the rate.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sse_core::Hub;

use crate::client::{PATIENCE, raw_exchange, until_closed};
use crate::{AppConfig, HubFactory, Integration};

use super::{start, wait_for};

/// Bodies that cannot be read answer the same on every framework: over the limit 413
/// `body_too_large` (declared or chunked), cut short or badly framed 400 `invalid_body`, and
/// nothing is published.
pub async fn unreadable_and_oversize_bodies_have_the_same_status_everywhere<I: Integration>(
    integration: &'static I,
    hubs: HubFactory,
) {
    let hub = hubs.build(Hub::builder()).await;
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
    hubs: HubFactory,
) {
    let hub = hubs.build(Hub::builder()).await;
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
    hubs: HubFactory,
) {
    use tokio::io::AsyncWriteExt;
    let hub = hubs.build(Hub::builder()).await;
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
    let hub = hubs.build(Hub::builder()).await;
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
