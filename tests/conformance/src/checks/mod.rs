//! The checks. Each starts its own app over its own hub, drives it over HTTP, and stops it.
//!
//! Test code: every `expect` and `panic!` here is an assertion, a failed check. Nothing in
//! this crate runs inside a server, so no client, publisher or configuration reaches it.

mod auth;
mod clients;
mod errors;
mod idempotency;
mod limits;
mod resume;
mod shutdown;
mod streaming;

pub use auth::*;
pub use clients::*;
pub use errors::*;
pub use idempotency::*;
pub use limits::*;
pub use resume::*;
pub use shutdown::*;
pub use streaming::*;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sse_core::{Hub, MessageEvent};

use crate::{AppConfig, HubFactory, Integration, RunningApp};

struct App {
    addr: SocketAddr,
    running: Option<Box<dyn RunningApp>>,
}

async fn start<I: Integration>(integration: &'static I, hub: Hub, config: AppConfig) -> App {
    let running = tokio::task::spawn_blocking(move || integration.start(hub, config))
        .await
        .expect("app started");
    App {
        addr: running.addr(),
        running: Some(running),
    }
}

/// An app over a default hub from `hubs` (in memory, or on the check's Redis) with the
/// default config.
async fn start_default<I: Integration>(integration: &'static I, hubs: &HubFactory) -> App {
    start(
        integration,
        hubs.build(Hub::builder()).await,
        AppConfig::default(),
    )
    .await
}

impl App {
    async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            tokio::task::spawn_blocking(move || running.shutdown())
                .await
                .expect("app stopped");
        }
    }
}

async fn wait_for(what: &str, within: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn header<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .map(|value| value.to_str().unwrap_or("<not ASCII>"))
}

fn assert_event_stream_headers(status: http::StatusCode, headers: &http::HeaderMap) {
    assert_eq!(status, 200);
    assert_eq!(header(headers, "content-type"), Some("text/event-stream"));
    assert_eq!(header(headers, "cache-control"), Some("no-cache"));
    assert_eq!(header(headers, "x-accel-buffering"), Some("no"));
    assert_eq!(header(headers, "content-encoding"), Some("identity"));
    assert_eq!(
        header(headers, "content-length"),
        None,
        "a stream has no length"
    );
}

fn data_of(item: Option<MessageEvent>) -> String {
    item.expect("an event, not the end of the stream").data
}

/// Request headers, as the client takes them.
type Headers<'a> = Vec<(&'a str, &'a [u8])>;
