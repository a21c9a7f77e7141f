//! `sse-load`: opens many SSE connections to a server on loopback, publishes at a fixed rate
//! through the server's publish route, reads every stream with the workspace's decoder and
//! reports delivered vs expected, gaps, duplicates, reorders, publish-to-receive latency
//! (HDR histogram), connect errors, and the server's CPU seconds and RSS from `/proc`.
//!
//! ```text
//! sse-load --server 127.0.0.1:3000 --kind hub --connections 2000 --rate 200 --payload 100 \
//!          --duration 10 --pid $(pgrep demo-axum) --json result.json
//! ```
//!
//! Scenarios: `--rate 0` only connects and measures idle memory; `--slow K` makes K
//! connections stop reading (and read again after publishing ends); `--reconnect F` drops a
//! fraction F of the connections halfway and resumes them with `Last-Event-ID`.
//! Connections come from `--sources` addresses 127.0.0.1, 127.0.0.2, ... so that more than
//! ~28,000 ports are available.

pub mod attack;
mod conn;
pub mod procfs;
mod reader;
pub mod soak;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Parser, ValueEnum};
use http_body_util::Full;
use serde::Serialize;
use tokio::sync::{Mutex, watch};

use conn::{Outcome, Shared};

/// The most concurrent publishers.
pub const MAX_PUBLISHERS: usize = 16;

/// The kind of server under test: where to subscribe and how to publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// sse-toolkit's hub routes: `GET /events?topic=`, `POST /publish` with JSON.
    Hub,
    /// nchan: `GET /sub?id=`, `POST /pub?id=` with the raw body.
    Nchan,
    /// The hand-written axum + broadcast server: `GET /events`, `POST /publish` with JSON.
    Broadcast,
}

impl Kind {
    fn subscribe_path(self, topic: &str) -> String {
        match self {
            Kind::Hub => format!("/events?topic={topic}"),
            Kind::Nchan => format!("/sub?id={topic}"),
            Kind::Broadcast => "/events".to_owned(),
        }
    }

    fn publish_request(
        self,
        server: SocketAddr,
        topic: &str,
        data: String,
    ) -> http::Result<http::Request<Full<Bytes>>> {
        let (path, body, content_type) = match self {
            Kind::Hub | Kind::Broadcast => (
                "/publish".to_owned(),
                serde_json::json!({"topic": topic, "data": data}).to_string(),
                "application/json",
            ),
            Kind::Nchan => (format!("/pub?id={topic}"), data, "text/plain"),
        };
        http::Request::post(path)
            .header("host", server.to_string())
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(body)))
    }
}

/// The command line (and the library's configuration: build it with `Args::parse_from`).
#[derive(Parser, Debug, Clone)]
#[command(about = "End-to-end load test of an SSE server on loopback")]
pub struct Args {
    /// The server's address (publishers publish here).
    #[arg(long, default_value = "127.0.0.1:3000")]
    server: SocketAddr,
    /// More instances of the same hub (on Redis, say): subscribers are spread over the
    /// server and these, and a subscriber that reconnects moves to the next one.
    #[arg(long)]
    also: Vec<SocketAddr>,
    /// The kind of server.
    #[arg(long, value_enum, default_value = "hub")]
    kind: Kind,
    /// The topic (channel id) to use.
    #[arg(long, default_value = "load")]
    topic: String,
    /// SSE connections to open.
    #[arg(long, default_value_t = 1000)]
    connections: usize,
    /// Connections opened per second while ramping up (in batches of 100).
    #[arg(long, default_value_t = 2000)]
    connect_rate: usize,
    /// Source addresses to spread connections over: 127.0.0.1 ..= 127.0.0.N.
    #[arg(long, default_value_t = 4)]
    sources: u8,
    /// Events published per second (0: connect only, for idle memory).
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// Concurrent publishing connections (the rate is shared among them; each numbers its
    /// own events, so order and gaps are checked per publisher).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=16))]
    publishers: u8,
    /// Event payload size in bytes (a sequence number and a timestamp, padded).
    #[arg(long, default_value_t = 100)]
    payload: usize,
    /// Seconds of publishing (or of idling, with `--rate 0`).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Connections that stop reading (they read again after publishing ends).
    #[arg(long, default_value_t = 0)]
    slow: usize,
    /// Fraction of connections dropped halfway and resumed with Last-Event-ID.
    #[arg(long, default_value_t = 0.0)]
    reconnect: f64,
    /// The server's process id, for CPU seconds and RSS.
    #[arg(long)]
    pub pid: Option<u32>,
    /// Write the report as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// A label for the report (e.g. the server's name).
    #[arg(long, default_value = "")]
    label: String,
    /// No progress line.
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, Serialize, Default)]
struct Latency {
    p50_ms: f64,
    p99_ms: f64,
    p999_ms: f64,
    max_ms: f64,
}

#[derive(Debug, Serialize, Default)]
struct ServerUsage {
    cpu_seconds: f64,
    cpu_seconds_per_million_deliveries: f64,
    rss_before_kib: u64,
    rss_connected_kib: u64,
    rss_peak_kib: u64,
    rss_per_connection_kib: f64,
    rss_growth_while_publishing_kib: i64,
}

#[derive(Debug, Serialize, Default)]
struct SlowClients {
    count: usize,
    received: u64,
    missed_notices: u64,
    /// Events skipped inside a stream with no `missed` notice: silent loss.
    silent_gaps: u64,
    /// Events not yet received when the run ended (still queued, not skipped).
    behind_at_end: u64,
    ended_by_server: usize,
    complete: usize,
}

/// The result of one run (also written as JSON).
#[derive(Debug, Serialize)]
pub struct Report {
    label: String,
    kind: Kind,
    connections: usize,
    connected: usize,
    connect_errors: usize,
    rate: f64,
    payload: usize,
    duration_s: f64,
    published: u64,
    publish_errors: u64,
    achieved_rate: f64,
    expected: u64,
    delivered: u64,
    delivered_ratio: f64,
    gaps: u64,
    /// `missed` notices received: gaps the server announced (reconnects after a lag).
    missed_notices: u64,
    duplicates: u64,
    reorders: u64,
    deliveries_per_second: f64,
    bytes_per_event: f64,
    latency: Latency,
    server: ServerUsage,
    slow: SlowClients,
    reconnected: usize,
}

/// Runs one load test and returns its report.
pub async fn run(args: Args) -> Result<Report, Box<dyn std::error::Error>> {
    // The topic goes into request paths and JSON: hold it to the hub's topic rules.
    sse_core::hub::TopicName::new(&args.topic)?;
    let shared = Arc::new(Shared {
        origin: Instant::now(),
        histogram: Mutex::new(hdrhistogram::Histogram::new_with_bounds(1, 120_000_000, 3)?),
        connected: Default::default(),
        connect_errors: Default::default(),
        delivered: Default::default(),
        bytes: Default::default(),
        last_published: Default::default(),
    });
    let usage_before = args.pid.and_then(procfs::sample);
    let (resume_tx, resume) = watch::channel(false);
    let (reconnect_tx, reconnect) = watch::channel(false);
    let (stop_tx, stop) = watch::channel(false);

    // Ramp up in batches of 100 at the connect rate.
    let mut tasks = Vec::with_capacity(args.connections);
    let servers: Arc<[SocketAddr]> = std::iter::once(args.server)
        .chain(args.also.iter().copied())
        .collect();
    let batch_pause = Duration::from_secs_f64(100.0 / args.connect_rate.max(1) as f64);
    for index in 0..args.connections {
        let source = IpAddr::V4(Ipv4Addr::new(
            127,
            0,
            0,
            1 + (index % args.sources.max(1) as usize) as u8,
        ));
        let stalled = index < args.slow;
        let reconnect = if (index as f64)
            < args.slow as f64 + args.reconnect * (args.connections - args.slow) as f64
        {
            reconnect.clone()
        } else {
            watch::channel(false).1
        };
        tasks.push((
            stalled,
            tokio::spawn(conn::subscriber(
                shared.clone(),
                args.kind,
                servers.clone(),
                index,
                source,
                args.topic.clone(),
                stalled,
                resume.clone(),
                reconnect,
                stop.clone(),
            )),
        ));
        if index % 100 == 99 {
            tokio::time::sleep(batch_pause).await;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while shared.connected.load(Ordering::Relaxed) < args.connections && Instant::now() < deadline {
        progress(&args, &shared, "connecting");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await; // let the server settle
    let usage_connected = args.pid.and_then(procfs::sample);

    // Publish (or idle), sampling the server's RSS.
    let duration = Duration::from_secs_f64(args.duration);
    let publishers: Vec<_> = if args.rate > 0.0 {
        (0..args.publishers as usize)
            .map(|id| {
                let rate = args.rate / f64::from(args.publishers);
                tokio::spawn(conn::publisher(
                    shared.clone(),
                    id,
                    args.kind,
                    args.server,
                    args.topic.clone(),
                    rate,
                    args.payload,
                    duration,
                    Duration::from_secs_f64(id as f64 / args.rate),
                ))
            })
            .collect()
    } else {
        Vec::new()
    };
    let began = Instant::now();
    let mut peak_rss = usage_connected.map_or(0, |u| u.rss_kib);
    let mut reconnected = false;
    while began.elapsed() < duration {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if let Some(usage) = args.pid.and_then(procfs::sample) {
            peak_rss = peak_rss.max(usage.rss_kib);
        }
        if args.reconnect > 0.0 && !reconnected && began.elapsed() >= duration / 2 {
            reconnect_tx.send_replace(true);
            reconnected = true;
        }
        progress(&args, &shared, "publishing");
    }
    let (mut published, mut publish_errors) = (0, 0);
    for task in publishers {
        let (count, errors) = task.await?;
        published += count;
        publish_errors += errors;
    }
    let publish_seconds = began.elapsed().as_secs_f64();
    let usage_published = args.pid.and_then(procfs::sample);

    // Drain: the stalled clients read again; everyone gets up to 5 s to catch up.
    resume_tx.send_replace(true);
    let drain_until = Instant::now() + Duration::from_secs(5);
    let expected_active = published * (args.connections - args.slow) as u64;
    while Instant::now() < drain_until && shared.delivered.load(Ordering::Relaxed) < expected_active
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if args.slow > 0 {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    stop_tx.send_replace(true);
    let mut outcomes: Vec<(bool, Outcome)> = Vec::new();
    for (stalled, task) in tasks {
        outcomes.push((stalled, task.await?));
    }
    if !args.quiet {
        eprintln!();
    }

    let active: Vec<&Outcome> = outcomes
        .iter()
        .filter(|(s, _)| !s)
        .map(|(_, o)| o)
        .collect();
    let delivered: u64 = active.iter().map(|o| o.received).sum();
    let histogram = shared.histogram.lock().await;
    let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    let cpu_seconds = match (usage_connected, usage_published) {
        (Some(a), Some(b)) => b.cpu_seconds - a.cpu_seconds,
        _ => 0.0,
    };
    let mut slow = SlowClients {
        count: args.slow,
        ..Default::default()
    };
    for (_, outcome) in outcomes.iter().filter(|(s, _)| *s) {
        slow.received += outcome.received;
        slow.missed_notices += outcome.missed_notices;
        if outcome.missed_notices == 0 {
            slow.silent_gaps += outcome.gaps;
        }
        slow.behind_at_end += published.saturating_sub(outcome.received + outcome.gaps);
        slow.ended_by_server += usize::from(outcome.ended_by_server);
        slow.complete += usize::from(outcome.received == published);
    }
    let before = usage_before.map_or(0, |u| u.rss_kib);
    let connected_rss = usage_connected.map_or(0, |u| u.rss_kib);
    let connected = shared.connected.load(Ordering::Relaxed);
    Ok(Report {
        label: args.label.clone(),
        kind: args.kind,
        connections: args.connections,
        connected,
        connect_errors: shared.connect_errors.load(Ordering::Relaxed),
        rate: args.rate,
        payload: args.payload,
        duration_s: args.duration,
        published,
        publish_errors,
        achieved_rate: published as f64 / publish_seconds,
        expected: expected_active,
        delivered,
        delivered_ratio: if expected_active == 0 {
            1.0
        } else {
            delivered as f64 / expected_active as f64
        },
        gaps: active.iter().map(|o| o.gaps).sum(),
        missed_notices: active.iter().map(|o| o.missed_notices).sum(),
        duplicates: active.iter().map(|o| o.duplicates).sum(),
        reorders: active.iter().map(|o| o.reorders).sum(),
        deliveries_per_second: delivered as f64 / publish_seconds,
        bytes_per_event: if delivered + slow.received == 0 {
            0.0
        } else {
            shared.bytes.load(Ordering::Relaxed) as f64 / (delivered + slow.received) as f64
        },
        latency: if histogram.is_empty() {
            Latency::default()
        } else {
            Latency {
                p50_ms: ms(0.5),
                p99_ms: ms(0.99),
                p999_ms: ms(0.999),
                max_ms: histogram.max() as f64 / 1000.0,
            }
        },
        server: ServerUsage {
            cpu_seconds,
            cpu_seconds_per_million_deliveries: if delivered == 0 {
                0.0
            } else {
                cpu_seconds * 1e6 / delivered as f64
            },
            rss_before_kib: before,
            rss_connected_kib: connected_rss,
            rss_peak_kib: peak_rss,
            rss_per_connection_kib: if connected == 0 {
                0.0
            } else {
                connected_rss.saturating_sub(before) as f64 / connected as f64
            },
            rss_growth_while_publishing_kib: peak_rss as i64 - connected_rss as i64,
        },
        slow,
        reconnected: if args.reconnect > 0.0 {
            (args.reconnect * (args.connections - args.slow) as f64) as usize
        } else {
            0
        },
    })
}

fn progress(args: &Args, shared: &Shared, phase: &str) {
    if args.quiet {
        return;
    }
    let connected = shared.connected.load(Ordering::Relaxed);
    let filled = connected * 30 / args.connections.max(1);
    eprint!(
        "\r{phase:<10} [{}{}] {connected}/{} connected, {} published, {} delivered   ",
        "#".repeat(filled),
        " ".repeat(30 - filled),
        args.connections,
        shared.last_published.load(Ordering::Relaxed),
        shared.delivered.load(Ordering::Relaxed),
    );
}

/// Prints the human summary.
pub fn print_summary(report: &Report) {
    println!(
        "{} ({:?}): {} connections ({} connect errors), {:.0} ev/s x {} B for {} s",
        if report.label.is_empty() {
            "server"
        } else {
            &report.label
        },
        report.kind,
        report.connected,
        report.connect_errors,
        report.achieved_rate,
        report.payload,
        report.duration_s
    );
    println!(
        "  delivered {}/{} ({:.4}), gaps {} (announced by {} missed notices), duplicates {}, reorders {}, {:.0} deliveries/s, {:.0} bytes/event",
        report.delivered,
        report.expected,
        report.delivered_ratio,
        report.gaps,
        report.missed_notices,
        report.duplicates,
        report.reorders,
        report.deliveries_per_second,
        report.bytes_per_event
    );
    println!(
        "  latency p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
        report.latency.p50_ms, report.latency.p99_ms, report.latency.p999_ms, report.latency.max_ms
    );
    println!(
        "  server: {:.2} CPU s ({:.2} per million deliveries), RSS {} -> {} KiB connected ({:.1} KiB/conn), peak {} KiB",
        report.server.cpu_seconds,
        report.server.cpu_seconds_per_million_deliveries,
        report.server.rss_before_kib,
        report.server.rss_connected_kib,
        report.server.rss_per_connection_kib,
        report.server.rss_peak_kib
    );
    if report.slow.count > 0 {
        println!(
            "  slow clients: {}, received {}, missed notices {}, silent gaps {}, behind at end {}, ended by server {}, complete {}",
            report.slow.count,
            report.slow.received,
            report.slow.missed_notices,
            report.slow.silent_gaps,
            report.slow.behind_at_end,
            report.slow.ended_by_server,
            report.slow.complete
        );
    }
}
