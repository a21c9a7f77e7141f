//! `GET /metrics.prom` on each of the three demo servers (the real binaries): Prometheus
//! text whose hub metrics follow a subscription and a publish.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{ACTIX, AXUM, ROCKET, Server, run};
use sse_conformance::client::{EventReader, fetch, publish};

/// The body of `/metrics.prom`, checked for its status and content type.
async fn scrape(addr: SocketAddr) -> String {
    let answer = fetch(addr, "GET", "/metrics.prom", &[], None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.headers["content-type"].to_str().unwrap_or(""),
        "text/plain; version=0.0.4"
    );
    String::from_utf8(answer.body.to_vec()).expect("UTF-8 text")
}

/// The value of the series named exactly `series` (name and labels, as rendered).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Scrapes until `series` is `want`, for up to 20 s (a liveness guard, not a measure of
/// speed), publishing to `nudge` between scrapes: a server may notice a client that left
/// only when it writes to it (actix-web does). Returns the last value seen.
async fn wait_for(addr: SocketAddr, series: &str, want: f64, nudge: &str) -> Option<f64> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let seen = value(&scrape(addr).await, series);
        if seen == Some(want) || Instant::now() >= deadline {
            return seen;
        }
        publish(addr, nudge, "anyone there?").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn check_metrics(binary: &str) {
    // Without the clock and metrics publishers, every publish is the test's.
    let server = Server::start_with(binary, &["--no-periodic"]);
    let addr = server.addr;

    let idle = scrape(addr).await;
    assert_eq!(value(&idle, "sse_subscribers"), Some(0.0), "{idle}");
    assert_eq!(value(&idle, "sse_published_total"), Some(0.0), "{idle}");
    assert!(idle.contains("# TYPE sse_publish_duration_seconds histogram"));

    let mut reader = EventReader::open(addr, "/events?topic=news", &[]).await;
    assert_eq!(reader.status, 200);
    assert_eq!(value(&scrape(addr).await, "sse_subscribers"), Some(1.0));

    let id = publish(addr, "news", "hello").await;
    let event = reader.next_event().await.expect("the event");
    assert_eq!(event.last_event_id, id);
    let text = scrape(addr).await;
    assert_eq!(value(&text, "sse_published_total"), Some(1.0), "{text}");
    assert_eq!(value(&text, "sse_delivered_total"), Some(1.0), "{text}");
    assert_eq!(
        value(&text, "sse_publish_duration_seconds_count"),
        Some(1.0),
        "{text}"
    );
    assert!(value(&text, "sse_buffered_bytes").is_some_and(|bytes| bytes > 0.0));
    assert_eq!(value(&text, "sse_topics"), Some(1.0), "{text}");

    drop(reader);
    assert_eq!(
        wait_for(addr, "sse_subscribers", 0.0, "news").await,
        Some(0.0)
    );
    assert_eq!(
        value(
            &scrape(addr).await,
            "sse_disconnects_total{reason=\"client\"}"
        ),
        Some(1.0)
    );
}

#[test]
fn demo_axum_serves_prometheus_metrics() {
    run(check_metrics(AXUM));
}

#[test]
fn demo_actix_serves_prometheus_metrics() {
    run(check_metrics(ACTIX));
}

#[test]
fn demo_rocket_serves_prometheus_metrics() {
    run(check_metrics(ROCKET));
}
