//! `sse-attack`: the hostile-client scenarios of RELIABILITY.md that need many requests, each
//! reporting what the server's process and hub did.
//!
//! - `topics-memory`: fills `--topics` topics with full histories (`--events` events of
//!   `--payload` bytes each; the defaults, 1,000 x 130 x 10 KB, ask for 1.3 GB) and reports
//!   the server's resident memory and the hub's buffered bytes, which the hub's history
//!   budget bounds.
//! - `topic-cap`: `--requests` subscribe requests of 16 new topics each, every one closed at
//!   once (the defaults, 563 x 16, once made every later new topic a 503 until restart);
//!   then checks that a new topic can be subscribed to, and how soon, and reports the hub's
//!   topics. `--concurrency` sends that many at once (default 1).
//!
//! ```text
//! sse-attack --server 127.0.0.1:3000 --pid $(pgrep demo-axum) topics-memory
//! ```

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Parser, Subcommand};
use http_body_util::{BodyExt, Full};
use serde::Serialize;

use crate::conn::connect_publisher;
use crate::procfs;
use crate::reader;

/// The command line.
#[derive(Parser, Debug, Clone)]
#[command(about = "Hostile-client scenarios against an SSE hub server on loopback")]
pub struct AttackArgs {
    /// The server's address.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub server: SocketAddr,
    /// The server's process id, for its resident memory.
    #[arg(long)]
    pub pid: u32,
    /// The scenario.
    #[command(subcommand)]
    pub scenario: Scenario,
}

/// The scenarios.
#[derive(Subcommand, Debug, Clone)]
pub enum Scenario {
    /// Full histories on many topics.
    TopicsMemory {
        /// Topics to fill.
        #[arg(long, default_value_t = 1000)]
        topics: usize,
        /// Events per topic.
        #[arg(long, default_value_t = 130)]
        events: usize,
        /// Bytes of data per event.
        #[arg(long, default_value_t = 10_000)]
        payload: usize,
        /// Concurrent keep-alive publishers.
        #[arg(long, default_value_t = 8)]
        publishers: usize,
    },
    /// Subscribe requests that each name 16 new topics, closed at once.
    TopicCap {
        /// Requests to send.
        #[arg(long, default_value_t = 563)]
        requests: usize,
        /// Requests at once (the hostile-client tests of the demos churn with many).
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
    },
}

/// What a scenario measured.
#[derive(Debug, Clone, Serialize, Default)]
pub struct AttackReport {
    /// The scenario's name.
    pub scenario: String,
    /// Requests the server accepted (publishes answered 200, subscribes answered 200).
    pub accepted: u64,
    /// Requests refused (any other status) or failed.
    pub refused: u64,
    /// Bytes of event data the scenario asked the server to keep.
    pub asked_bytes: u64,
    /// The server's resident memory before, KiB.
    pub rss_start_kib: u64,
    /// The server's highest resident memory seen, KiB.
    pub rss_peak_kib: u64,
    /// The server's resident memory at the end, KiB.
    pub rss_end_kib: u64,
    /// The hub's topics at the end (`GET /stats`).
    pub topics_after: u64,
    /// The hub's buffered bytes at the end (`GET /stats`).
    pub buffered_bytes_after: u64,
    /// The status of a subscribe to a topic never used before, right after the scenario.
    pub new_topic_status: u16,
    /// Seconds after the scenario until a new topic could be subscribed to (0: at once;
    /// `None`: not within 60 s).
    pub new_topic_ok_after_s: Option<f64>,
    /// The hub's topics once a new topic could be subscribed to again.
    pub topics_then: u64,
    /// Seconds the scenario took.
    pub seconds: f64,
}

/// Runs the scenario.
pub async fn run(args: AttackArgs) -> Result<AttackReport, String> {
    let start = procfs::sample(args.pid).ok_or("the server's /proc entry is not readable")?;
    let peak = Arc::new(AtomicU64::new(start.rss_kib));
    let watcher = {
        let peak = peak.clone();
        let pid = args.pid;
        tokio::spawn(async move {
            loop {
                if let Some(usage) = procfs::sample(pid) {
                    peak.fetch_max(usage.rss_kib, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let began = Instant::now();
    let mut report = match args.scenario {
        Scenario::TopicsMemory {
            topics,
            events,
            payload,
            publishers,
        } => topics_memory(args.server, topics, events, payload, publishers).await,
        Scenario::TopicCap {
            requests,
            concurrency,
        } => topic_cap(args.server, requests, concurrency).await,
    };
    report.seconds = began.elapsed().as_secs_f64();
    watcher.abort();
    report.rss_start_kib = start.rss_kib;
    report.rss_end_kib = procfs::sample(args.pid).map_or(0, |usage| usage.rss_kib);
    report.rss_peak_kib = peak.load(Ordering::Relaxed).max(report.rss_end_kib);
    let stats = hub_stats(args.server).await.unwrap_or_default();
    report.topics_after = stats["hub"]["topics"].as_u64().unwrap_or(0);
    report.buffered_bytes_after = stats["hub"]["buffered_bytes"].as_u64().unwrap_or(0);
    report.new_topic_status = subscribe_status(args.server, "/events?topic=brand-new-topic").await;
    // A server that notices a departed client only at its next write keeps its topics until
    // then: how long until a new topic is possible again.
    let after = Instant::now();
    while after.elapsed() < Duration::from_secs(60) {
        let path = format!("/events?topic=new-{}", after.elapsed().as_millis());
        if subscribe_status(args.server, &path).await == 200 {
            report.new_topic_ok_after_s = Some(after.elapsed().as_secs_f64());
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    if report.new_topic_ok_after_s.is_some() && report.new_topic_status != 200 {
        let stats = hub_stats(args.server).await.unwrap_or_default();
        report.topics_then = stats["hub"]["topics"].as_u64().unwrap_or(0);
    } else {
        report.topics_then = report.topics_after;
    }
    Ok(report)
}

async fn topics_memory(
    server: SocketAddr,
    topics: usize,
    events: usize,
    payload: usize,
    publishers: usize,
) -> AttackReport {
    let next = Arc::new(AtomicU64::new(0));
    let total = (topics * events) as u64;
    let data: Arc<str> = "x".repeat(payload).into();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..publishers.max(1) {
        let (next, data) = (next.clone(), data.clone());
        tasks.spawn(async move {
            let (mut accepted, mut refused) = (0u64, 0u64);
            let mut sender = None;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    return (accepted, refused);
                }
                // Topic by topic: each fills its history before the next begins.
                let topic = format!("memory-{}", n / events as u64);
                let body = serde_json::json!({"topic": topic, "data": &*data}).to_string();
                let request = http::Request::post("/publish")
                    .header("host", server.to_string())
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from(body)));
                let Ok(request) = request else {
                    refused += 1;
                    continue;
                };
                if sender
                    .as_ref()
                    .is_none_or(hyper::client::conn::http1::SendRequest::is_closed)
                {
                    sender = connect_publisher(server).await.ok();
                }
                let Some(connection) = sender.as_mut() else {
                    refused += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                match connection.send_request(request).await {
                    Ok(response) => {
                        let ok = response.status().is_success();
                        let _ = response.into_body().collect().await;
                        if ok {
                            accepted += 1;
                        } else {
                            refused += 1;
                        }
                    }
                    Err(_) => {
                        refused += 1;
                        sender = None;
                    }
                }
            }
        });
    }
    let (mut accepted, mut refused) = (0, 0);
    while let Some(Ok((a, r))) = tasks.join_next().await {
        accepted += a;
        refused += r;
    }
    AttackReport {
        scenario: "topics-memory".into(),
        accepted,
        refused,
        asked_bytes: total * payload as u64,
        ..AttackReport::default()
    }
}

async fn topic_cap(server: SocketAddr, requests: usize, concurrency: usize) -> AttackReport {
    let next = Arc::new(AtomicU64::new(0));
    let accepted = Arc::new(AtomicU64::new(0));
    let loops: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (next, accepted) = (next.clone(), accepted.clone());
            tokio::spawn(async move {
                loop {
                    let request = next.fetch_add(1, Ordering::Relaxed);
                    if request >= requests as u64 {
                        return;
                    }
                    let query: Vec<String> = (0..16)
                        .map(|n| format!("topic=cap-{request}-{n}"))
                        .collect();
                    let path = format!("/events?{}", query.join("&"));
                    if subscribe_status(server, &path).await == 200 {
                        accepted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for task in loops {
        let _ = task.await;
    }
    let accepted = accepted.load(Ordering::Relaxed);
    AttackReport {
        scenario: "topic-cap".into(),
        accepted,
        refused: requests as u64 - accepted,
        ..AttackReport::default()
    }
}

/// Opens a subscription, reads the status, and closes it.
async fn subscribe_status(server: SocketAddr, path: &str) -> u16 {
    match reader::open(IpAddr::V4(Ipv4Addr::LOCALHOST), server, path, &[]).await {
        Ok((status, _)) => status,
        Err(_) => 0,
    }
}

async fn hub_stats(server: SocketAddr) -> Option<serde_json::Value> {
    let mut sender = connect_publisher(server).await.ok()?;
    let request = http::Request::get("/stats")
        .header("host", server.to_string())
        .body(Full::new(Bytes::new()))
        .ok()?;
    let response = sender.send_request(request).await.ok()?;
    let body = response.into_body().collect().await.ok()?.to_bytes();
    serde_json::from_slice(&body).ok()
}
