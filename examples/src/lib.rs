//! The demo apps' shared parts: the hub with its periodic publishers, the scenarios, the
//! page, and the command line. Each `demo-*` binary is only its framework's routing.
//!
//! Routes (identical on all three):
//!
//! | route | what |
//! |---|---|
//! | `GET /` | the live page |
//! | `GET /events?topic=A&topic=B` | hub subscription, resumes after `Last-Event-ID` |
//! | `POST /publish` | `{"topic","data","event"?,"retry"?,"idempotency_key"?}` -> `{"id"}` (the hub's own event names `missed` and `shutdown`, and `retry` over an hour, are a 400; a repeated key, also from an `Idempotency-Key` header, answers the first id; a body not sent as `application/json` is a 415) |
//! | `GET /clock` | the time every second (topic `clock`) |
//! | `GET /words` | [`scenarios::WORDS`], a word a second, then the end (204 once seen) |
//! | `GET /metrics` | CPU and memory every second (topic `metrics`) |
//! | `GET /tokens?text=` | the text in pieces (`token`), then `done` |
//! | `GET /echo?data=&event=&id=&retry=&comment=` | exactly that event; a bad field is a 400 naming it |
//! | `POST /chat` | `{"user","text"}` to the `chat` topic (`Content-Type: application/json` only, else 415) |
//! | `POST /disconnect` | ends every open hub stream (clients resume): a demo of reconnection; off unless `--allow-disconnect`, or a token granting publish on `*` with `--auth-secret` |
//! | `GET /job?steps=&interval_ms=` | a background task's `progress` through an emitter, then `done` ([`job`]) |
//! | `GET /stats` | `jobs_running` and the hub's counts, as JSON ([`stats`]) |
//! | `GET /metrics.prom` | the hub's metrics in Prometheus's text format ([`prometheus`]) |
//!
//! A `POST` from a page on another origin, neither the server's own nor one allowed with
//! `--cors-origin` (CORS, off by default), is a 403 ([`cross_origin`]).
//!
//! With `--auth-secret SECRET` (or `SSE_AUTH_SECRET`), `/events`, `/publish` and `/chat`
//! need an HS256 JSON Web Token in Mercure's style ([`auth`]); `mint-token` makes one.
//!
//! On SIGINT (Ctrl-C) or SIGTERM every hub subscriber receives `event: shutdown`, every
//! stream ends at an event boundary, and the process exits ([`shutdown`]).
//!
//! Limits (flags in [`Options`]; the README's "Limits" table has them all): a request head
//! must arrive within 10 s, a `/publish` or `/chat` body within 10 s (else 408
//! `body_timeout`, closed), at most 5,000 publishes a second (429 `too_many_requests`), and,
//! with `--max-connections-per-address N`, at most N connections per client IP (429
//! `too_many_connections`).

pub mod auth;
pub mod cli;
pub mod cross_origin;
pub mod job;
pub mod limits;
pub mod logging;
pub mod prometheus;
pub mod scenarios;
pub mod shutdown;
pub mod stats;
pub mod system;

use std::net::SocketAddr;
use std::time::Duration;

use cross_origin::AllowedOrigins;
use sse_core::{Hub, KeepAlive};
use sse_endpoints::HubEndpoints;

/// The page served at `/`: no build step, no external assets.
pub const PAGE: &str = include_str!("page.html");

/// How long a browser waits before reconnecting (sent with each stream's first event).
pub const RETRY: Duration = Duration::from_secs(1);

/// The demo's hub, coalescing wakes (see [`COALESCE`]), in memory or on Redis, with the clock
/// and metrics publishers running unless turned off. Call inside a tokio runtime.
///
/// `max_subscribers` overrides the hub's default subscriber limit (which leaves room in the
/// open-files limit for one descriptor per subscriber): demo-rocket behind its front holds
/// three per client ([`limits::rocket_front_limits`]).
pub async fn start_hub(
    options: &Options,
    max_subscribers: Option<usize>,
) -> Result<Hub, Box<dyn std::error::Error>> {
    // Before the hub is built: it registers its metrics with the recorder there is then,
    // and logs (on Redis) through the subscriber there is then.
    prometheus::install();
    logging::install();
    let mut builder = Hub::builder().coalesce(options.coalesce);
    if let Some(max) = options.max_subscribers.or(max_subscribers) {
        builder = builder.max_subscribers(max);
    }
    let hub = match &options.redis {
        Some(url) => sse_redis::connect(url, builder).await?,
        None => builder.build(),
    };
    if options.periodic {
        system::start_clock(&hub)?;
        system::start_metrics(&hub)?;
    }
    Ok(hub)
}

/// The hub routes' settings for the demo: 1 s retry, 15 s keep-alive, 16 KiB bodies, and
/// the body timeout and publish rate of `options`. `/chat` shares them (its publishes count
/// in the same rate): build once, and clone.
pub fn endpoints(hub: &Hub, options: &Options) -> HubEndpoints {
    let endpoints = HubEndpoints::new(hub.clone())
        .retry(RETRY)
        .keep_alive(KeepAlive::new())
        .max_body(16 * 1024)
        .body_timeout(options.body_timeout);
    match options.max_publish_rate {
        0 => endpoints,
        rate => endpoints.publish_rate(rate),
    }
}

/// How long the demo's hub gathers events before waking subscribers, once they come faster
/// than one per window ([`HubBuilder::coalesce`](sse_core::hub::HubBuilder::coalesce);
/// BENCHMARKS.md has what it saves). The price: events that come faster than one per window
/// wait for it, up to 20 ms (the first after a quiet window goes at once).
pub const COALESCE: Duration = Duration::from_millis(20);

/// The settings from the command line ([`cli::Cli`], read by [`Options::from_args`]; `--help`
/// lists the flags).
#[derive(Debug, Clone)]
pub struct Options {
    /// `--addr`, else `--port` (or `PORT`) on 127.0.0.1, else `127.0.0.1:<default port>`.
    pub addr: SocketAddr,
    /// `--coalesce-ms`, else [`COALESCE`].
    pub coalesce: Duration,
    /// `--redis URL`, else `REDIS_URL`: the hub on Redis, shared with every demo on it.
    pub redis: Option<String>,
    /// Whether this instance publishes the clock and metrics topics (`--no-periodic`
    /// turns it off: in a cluster, one instance is enough).
    pub periodic: bool,
    /// `--cors-origin ORIGIN` (repeatable, or comma separated), else `CORS_ORIGINS`: the
    /// exact origins whose pages may read the answers with their cookies and change state
    /// ([`cross_origin`]). Empty (the default): CORS off.
    pub cors_origins: AllowedOrigins,
    /// `--auth-secret`, else `SSE_AUTH_SECRET`: the HS256 secret that turns JWT checking on
    /// ([`auth`]).
    pub auth_secret: Option<String>,
    /// `--allow-disconnect`: `POST /disconnect` works without a secret.
    pub allow_disconnect: bool,
    /// `--header-timeout-ms`, else [`limits::HEADER_TIMEOUT`]: how long a request head may
    /// take to arrive; past it the connection is closed (actix-web answers 408 first).
    pub header_timeout: Duration,
    /// `--body-timeout-ms`, else [`limits::BODY_TIMEOUT`]: how long a `/publish` or `/chat`
    /// body may take to arrive, whole; past it 408 `body_timeout`, and the connection closes.
    pub body_timeout: Duration,
    /// `--max-connections-per-address`, else 0, no cap: the most connections one client IP
    /// may hold open at once (each open event stream holds one); past it 429
    /// `too_many_connections` with `Retry-After: 1`, and the connection closes.
    pub max_connections_per_address: usize,
    /// `--max-publish-rate`, else [`limits::PUBLISH_RATE`]; 0 for none: publishes a second,
    /// `/publish` and `/chat` together; past it 429 `too_many_requests` with `Retry-After: 1`.
    pub max_publish_rate: u32,
    /// `--max-subscribers`, else the hub's default (or demo-rocket's, behind its front): the
    /// most subscribers at once.
    pub max_subscribers: Option<usize>,
}

/// Announces the bound address on stdout (tests read this line).
pub fn announce(framework: &str, addr: SocketAddr) {
    println!("demo-{framework} listening on http://{addr}");
}
