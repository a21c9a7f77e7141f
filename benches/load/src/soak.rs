//! `sse-soak`: a bounded soak of a running hub server (a release demo), for minutes, not
//! hours. Everything a hostile or unlucky world does to a server runs at once:
//!
//! - **publishing**: `--rate` events a second on topic `soak`, numbered 1, 2, 3, ...;
//! - **reconnect storms**: `--resumers` clients read `soak`, drop their connection every
//!   0.2 to 2 s (all at once, every 10 s), and resume with `Last-Event-ID`;
//! - **connection churn**: `--churn-rate` rounds a second (200; 0 for as fast as they go) of
//!   subscribe (to a topic of their own, so topics come and go), read the head, close, over
//!   `--churners` loops;
//! - **stalled clients**: `--stalled` subscribers that never read, with small socket buffers;
//! - **slowloris**: `--slowloris` connections that send a request head a byte a second;
//! - **stalled bodies**: `--stalled-bodies` publishes that declare 100 kB and send 24 bytes;
//! - **auth failures** (with `--token`): subscribes and publishes with a forged token or
//!   none, which must be 401s; every other request carries the token.
//!
//! Then it stops the load, lets the server settle, and checks what must hold:
//! every resumer received every event from its first to the last published, exactly once
//! and in order (no `missed`); the server cut off every slowloris connection and stalled
//! body before the load ended (so `--duration` must be longer than its header and body
//! timeouts); the hub has no subscribers; the server holds no more file
//! descriptors than at the start (plus `--fd-margin`); its resident memory is back within
//! `--rss-margin-mib` of the start. Exit status 1 if any fails; `--json` writes the figures.
//!
//! ```text
//! sse-soak --server 127.0.0.1:3000 --pid $(pgrep demo-axum) --duration 60
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use serde::Serialize;
use sse_core::{Decoded, Decoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::procfs;
use crate::reader;

/// The soak's command line.
#[derive(Parser, Debug, Clone)]
#[command(about = "A bounded soak of a running SSE hub server on loopback")]
pub struct SoakArgs {
    /// The server's address.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub server: SocketAddr,
    /// The server's process id, for its memory and descriptors.
    #[arg(long)]
    pub pid: u32,
    /// Seconds of load.
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
    /// Events a second published on topic `soak`.
    #[arg(long, default_value_t = 100)]
    pub rate: u32,
    /// Clients that read `soak`, drop and resume.
    #[arg(long, default_value_t = 50)]
    pub resumers: usize,
    /// Concurrent subscribe-and-close loops.
    #[arg(long, default_value_t = 8)]
    pub churners: usize,
    /// Subscribe-and-close rounds a second, over all churners (0: as fast as they can).
    #[arg(long, default_value_t = 200)]
    pub churn_rate: u32,
    /// Subscribers that never read.
    #[arg(long, default_value_t = 20)]
    pub stalled: usize,
    /// Connections that trickle a request head.
    #[arg(long, default_value_t = 50)]
    pub slowloris: usize,
    /// Publishes that stall in their body.
    #[arg(long, default_value_t = 10)]
    pub stalled_bodies: usize,
    /// A bearer token for every request; also turns on the auth-failure clients.
    #[arg(long)]
    pub token: Option<String>,
    /// Seconds the server gets, after the load, to come back to its starting state.
    #[arg(long, default_value_t = 30)]
    pub settle: u64,
    /// How much more resident memory than at the start is tolerated at the end, MiB.
    #[arg(long, default_value_t = 16)]
    pub rss_margin_mib: u64,
    /// How many more file descriptors than at the start are tolerated at the end.
    #[arg(long, default_value_t = 4)]
    pub fd_margin: u64,
    /// Writes the report here as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// What the soak saw, and whether the server passed.
#[derive(Debug, Clone, Serialize, Default)]
pub struct SoakReport {
    /// Seconds of load.
    pub duration_s: u64,
    /// Events published on `soak` (accepted by the server).
    pub published: u64,
    /// Publishes refused or failed (a 429 under a flood limit is counted here, not lost).
    pub publish_errors: u64,
    /// Resumes with `Last-Event-ID`, over all resumers.
    pub resumes: u64,
    /// Events the resumers received, over all of them.
    pub received: u64,
    /// Events a resumer should have received and did not (or got a `missed` for).
    pub lost: u64,
    /// Events a resumer received twice or out of order.
    pub duplicated_or_reordered: u64,
    /// Subscribe-and-close loops completed.
    pub churned: u64,
    /// Subscribes answered other than 200 (503 past a limit, say), or failed to connect.
    pub churn_refused: u64,
    /// Slowloris connections the server closed before the load ended.
    pub slowloris_closed: u64,
    /// Slowloris connections opened.
    pub slowloris_opened: u64,
    /// Stalled-body publishes the server answered or closed before the load ended.
    pub stalled_bodies_closed: u64,
    /// Stalled-body publishes sent.
    pub stalled_bodies_opened: u64,
    /// Auth failures answered 401, of those sent.
    pub auth_401: u64,
    /// Auth failures sent.
    pub auth_attempts: u64,
    /// Subscribers the hub counted after the settle.
    pub subscribers_after: u64,
    /// Resident memory before the load, KiB.
    pub rss_start_kib: u64,
    /// Resident memory at the height of the load, KiB.
    pub rss_peak_kib: u64,
    /// Resident memory after the settle, KiB.
    pub rss_end_kib: u64,
    /// Open file descriptors before the load.
    pub fds_start: u64,
    /// Open file descriptors at the height of the load.
    pub fds_peak: u64,
    /// Open file descriptors after the settle.
    pub fds_end: u64,
    /// What failed; empty when the server passed.
    pub failures: Vec<String>,
}

/// Counters the clients share.
#[derive(Default)]
struct Counters {
    published: AtomicU64,
    publish_errors: AtomicU64,
    resumes: AtomicU64,
    received: AtomicU64,
    lost: AtomicU64,
    duplicated: AtomicU64,
    churned: AtomicU64,
    churn_refused: AtomicU64,
    slowloris_closed: AtomicU64,
    stalled_bodies_closed: AtomicU64,
    auth_401: AtomicU64,
    auth_attempts: AtomicU64,
}

struct Soak {
    args: SoakArgs,
    counters: Counters,
    /// Set when the load ends.
    stop: AtomicBool,
    /// The highest event number published so far.
    last_published: AtomicU64,
    /// The epoch of reconnect storms: every resumer drops at each change.
    storm: tokio::sync::watch::Sender<u64>,
    /// Resumers subscribed for the first time (publishing waits for all of them).
    subscribed: AtomicU64,
}

/// Runs the soak; the report says whether the server passed.
pub async fn run(args: SoakArgs) -> Result<SoakReport, String> {
    let pid = args.pid;
    let start = procfs::sample(pid).ok_or("the server's /proc entry is not readable")?;
    let fds_start = fd_count(pid)?;
    let soak = Arc::new(Soak {
        args: args.clone(),
        counters: Counters::default(),
        stop: AtomicBool::new(false),
        last_published: AtomicU64::new(0),
        storm: tokio::sync::watch::channel(0).0,
        subscribed: AtomicU64::new(0),
    });
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..args.resumers {
        tasks.spawn(resumer(soak.clone(), n as u64));
    }
    // The resumers subscribe before the first event, so each expects every event.
    let subscribed = Instant::now() + Duration::from_secs(30);
    while soak.subscribed.load(Ordering::SeqCst) < args.resumers as u64 {
        if Instant::now() > subscribed {
            return Err("the resumers could not all subscribe in 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tasks.spawn(publisher(soak.clone()));
    for n in 0..args.churners {
        tasks.spawn(churner(soak.clone(), n));
    }
    for _ in 0..args.stalled {
        tasks.spawn(stalled(soak.clone()));
    }
    for _ in 0..args.slowloris {
        tasks.spawn(slowloris(soak.clone()));
    }
    for _ in 0..args.stalled_bodies {
        tasks.spawn(stalled_body(soak.clone()));
    }
    if args.token.is_some() {
        tasks.spawn(auth_failures(soak.clone()));
    }
    let (mut rss_peak, mut fds_peak) = (start.rss_kib, fds_start);
    let load_end = Instant::now() + Duration::from_secs(args.duration);
    let mut storm = 0u64;
    while Instant::now() < load_end {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if let Some(usage) = procfs::sample(pid) {
            rss_peak = rss_peak.max(usage.rss_kib);
        }
        fds_peak = fds_peak.max(fd_count(pid).unwrap_or(0));
        storm += 1;
        if storm.is_multiple_of(10) {
            soak.storm.send_replace(storm);
        }
    }
    soak.stop.store(true, Ordering::SeqCst);
    // The resumers read to the last event published; the others close at once.
    let drained = tokio::time::timeout(Duration::from_secs(args.settle.max(10)), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tasks.abort_all();
    }

    let settle_end = Instant::now() + Duration::from_secs(args.settle);
    let margin_kib = args.rss_margin_mib * 1024;
    let (mut subscribers, mut rss_end, mut fds_end);
    loop {
        subscribers = hub_subscribers(&args).await.unwrap_or(u64::MAX);
        rss_end = procfs::sample(pid).map_or(u64::MAX, |usage| usage.rss_kib);
        fds_end = fd_count(pid).unwrap_or(u64::MAX);
        let settled = subscribers == 0
            && rss_end <= start.rss_kib + margin_kib
            && fds_end <= fds_start + args.fd_margin;
        if settled || Instant::now() >= settle_end {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let c = &soak.counters;
    let load = |counter: &AtomicU64| counter.load(Ordering::SeqCst);
    let mut report = SoakReport {
        duration_s: args.duration,
        published: load(&c.published),
        publish_errors: load(&c.publish_errors),
        resumes: load(&c.resumes),
        received: load(&c.received),
        lost: load(&c.lost),
        duplicated_or_reordered: load(&c.duplicated),
        churned: load(&c.churned),
        churn_refused: load(&c.churn_refused),
        slowloris_closed: load(&c.slowloris_closed),
        slowloris_opened: args.slowloris as u64,
        stalled_bodies_closed: load(&c.stalled_bodies_closed),
        stalled_bodies_opened: args.stalled_bodies as u64,
        auth_401: load(&c.auth_401),
        auth_attempts: load(&c.auth_attempts),
        subscribers_after: subscribers,
        rss_start_kib: start.rss_kib,
        rss_peak_kib: rss_peak,
        rss_end_kib: rss_end,
        fds_start,
        fds_peak,
        fds_end,
        failures: Vec::new(),
    };
    report.failures = failures(&report, &args);
    Ok(report)
}

/// What must hold at the end, as sentences for what did not.
fn failures(report: &SoakReport, args: &SoakArgs) -> Vec<String> {
    let mut failures = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            failures.push(what);
        }
    };
    check(report.published > 0, "nothing was published".into());
    check(
        report.lost == 0,
        format!("{} events lost by resuming clients", report.lost),
    );
    check(
        report.duplicated_or_reordered == 0,
        format!(
            "{} events duplicated or reordered",
            report.duplicated_or_reordered
        ),
    );
    check(
        report.subscribers_after == 0,
        format!(
            "{} subscribers left after the settle",
            report.subscribers_after
        ),
    );
    check(
        report.fds_end <= report.fds_start + args.fd_margin,
        format!(
            "{} descriptors open at the end, {} at the start",
            report.fds_end, report.fds_start
        ),
    );
    check(
        report.rss_end_kib <= report.rss_start_kib + args.rss_margin_mib * 1024,
        format!(
            "resident memory {} KiB at the end, {} KiB at the start",
            report.rss_end_kib, report.rss_start_kib
        ),
    );
    check(
        report.slowloris_closed == report.slowloris_opened,
        format!(
            "{} of {} slowloris connections still open when the load ended",
            report.slowloris_opened - report.slowloris_closed,
            report.slowloris_opened
        ),
    );
    check(
        report.stalled_bodies_closed == report.stalled_bodies_opened,
        format!(
            "{} of {} stalled bodies still open when the load ended",
            report.stalled_bodies_opened - report.stalled_bodies_closed,
            report.stalled_bodies_opened
        ),
    );
    check(
        report.auth_401 == report.auth_attempts,
        format!(
            "{} of {} forged or missing tokens were not 401s",
            report.auth_attempts - report.auth_401,
            report.auth_attempts
        ),
    );
    failures
}

/// Prints the report in a few lines.
pub fn print_report(report: &SoakReport) {
    println!(
        "published {} (errors {}), resumers received {} over {} resumes: lost {}, duplicated or reordered {}",
        report.published,
        report.publish_errors,
        report.received,
        report.resumes,
        report.lost,
        report.duplicated_or_reordered
    );
    println!(
        "churned {} subscribes ({} refused); slowloris closed by the server {}/{}; stalled bodies closed {}/{}; auth failures answered 401 {}/{}",
        report.churned,
        report.churn_refused,
        report.slowloris_closed,
        report.slowloris_opened,
        report.stalled_bodies_closed,
        report.stalled_bodies_opened,
        report.auth_401,
        report.auth_attempts
    );
    println!(
        "subscribers after {}; RSS start {} KiB, peak {} KiB, end {} KiB; descriptors start {}, peak {}, end {}",
        report.subscribers_after,
        report.rss_start_kib,
        report.rss_peak_kib,
        report.rss_end_kib,
        report.fds_start,
        report.fds_peak,
        report.fds_end
    );
    if report.failures.is_empty() {
        println!("PASS");
    } else {
        for failure in &report.failures {
            println!("FAIL: {failure}");
        }
    }
}

fn fd_count(pid: u32) -> Result<u64, String> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|entries| entries.count() as u64)
        .map_err(|error| format!("/proc/{pid}/fd: {error}"))
}

/// A tiny deterministic generator, so runs are alike without a dependency.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn auth_header(args: &SoakArgs) -> Option<(&'static str, Vec<u8>)> {
    args.token
        .as_ref()
        .map(|token| ("authorization", format!("Bearer {token}").into_bytes()))
}

/// One request on its own connection (`connection: close`): the status and the body.
async fn request(
    server: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &[u8])],
    body: &[u8],
) -> Result<(u16, Vec<u8>), String> {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {server}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    )
    .into_bytes();
    for (name, value) in headers {
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head.extend_from_slice(body);
    let exchange = async {
        let mut stream = TcpStream::connect(server)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        stream
            .write_all(&head)
            .await
            .map_err(|e| format!("write: {e}"))?;
        let mut answer = Vec::new();
        stream
            .read_to_end(&mut answer)
            .await
            .map_err(|e| format!("read: {e}"))?;
        Ok::<_, String>(answer)
    };
    let answer = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .map_err(|_| "no answer in 10 s".to_owned())??;
    let status = answer
        .get(9..12)
        .and_then(|code| std::str::from_utf8(code).ok())
        .and_then(|code| code.parse().ok())
        .ok_or("no status line")?;
    let body = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|end| answer[end + 4..].to_vec())
        .unwrap_or_default();
    Ok((status, body))
}

async fn hub_subscribers(args: &SoakArgs) -> Option<u64> {
    let (status, body) = request(args.server, "GET", "/stats", &[], b"").await.ok()?;
    if status != 200 {
        return None;
    }
    // The body may be chunked: the JSON is between the first `{` and the last `}`.
    let start = body.iter().position(|&b| b == b'{')?;
    let end = body.iter().rposition(|&b| b == b'}')?;
    let json: serde_json::Value = serde_json::from_slice(&body[start..=end]).ok()?;
    json["hub"]["subscribers"].as_u64()
}

async fn publisher(soak: Arc<Soak>) {
    let args = &soak.args;
    let auth = auth_header(args);
    let mut headers: Vec<(&str, &[u8])> = vec![("content-type", b"application/json")];
    if let Some((name, value)) = &auth {
        headers.push((name, value));
    }
    let mut tick = tokio::time::interval(Duration::from_secs(1) / args.rate.max(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut next = 1u64;
    while !soak.stop.load(Ordering::SeqCst) {
        tick.tick().await;
        let body = serde_json::json!({"topic": "soak", "data": next.to_string()}).to_string();
        match request(args.server, "POST", "/publish", &headers, body.as_bytes()).await {
            Ok((200, _)) => {
                soak.last_published.store(next, Ordering::SeqCst);
                soak.counters.published.fetch_add(1, Ordering::Relaxed);
                next += 1;
            }
            // Refused (429, 503) or failed: the same number is published again next time,
            // so the resumers' sequence has no hole the publisher made.
            _ => {
                soak.counters.publish_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Reads `soak`, drops its connection now and then and at every storm, resumes with
/// `Last-Event-ID`, and checks that events 1, 2, 3, ... arrive each once, in order. After
/// the load, reads on until the last event published.
async fn resumer(soak: Arc<Soak>, n: u64) {
    let args = &soak.args;
    let auth = auth_header(args);
    let mut random = 0x9E37_79B9_7F4A_7C15 ^ (n + 1);
    let mut storms = soak.storm.subscribe();
    let mut expected = 1u64;
    let mut last_event_id = String::new();
    let mut first = true;
    loop {
        let stopping = soak.stop.load(Ordering::SeqCst);
        if stopping && expected > soak.last_published.load(Ordering::SeqCst) {
            return;
        }
        let mut headers: Vec<(&str, &[u8])> = Vec::new();
        if !last_event_id.is_empty() {
            headers.push(("last-event-id", last_event_id.as_bytes()));
        }
        if let Some((name, value)) = &auth {
            headers.push((name, value));
        }
        let opened = reader::open(
            std::net::IpAddr::from([127, 0, 0, 1]),
            args.server,
            "/events?topic=soak",
            &headers,
        )
        .await;
        let mut stream = match opened {
            Ok((200, stream)) => stream,
            _ => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if first {
            soak.subscribed.fetch_add(1, Ordering::SeqCst);
        } else {
            soak.counters.resumes.fetch_add(1, Ordering::Relaxed);
        }
        first = false;
        let hold = Duration::from_millis(200 + next_random(&mut random) % 1800);
        let until = tokio::time::sleep(hold);
        tokio::pin!(until);
        let resumed_from = last_event_id.clone();
        let mut decoder = Decoder::new();
        loop {
            let mut body = Vec::new();
            let read = tokio::select! {
                read = stream.read(|bytes| body.extend_from_slice(bytes)) => read,
                () = &mut until, if !soak.stop.load(Ordering::SeqCst) => break,
                _ = storms.changed(), if !soak.stop.load(Ordering::SeqCst) => break,
                () = tokio::time::sleep(Duration::from_secs(args.settle.max(10))) => break,
            };
            if decoder.push(&body).is_err() {
                break;
            }
            for item in decoder.drain() {
                let Decoded::Event(event) = item else {
                    continue;
                };
                if event.event_type == "missed" {
                    // The server says events are gone: count the hole from here to the
                    // next event that arrives.
                    eprintln!(
                        "resumer {n}: missed ({:?}) after {}",
                        event.data, last_event_id
                    );
                    soak.counters.lost.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                if event.event_type != "message" {
                    continue;
                }
                last_event_id = event.last_event_id.clone();
                let Ok(number) = event.data.parse::<u64>() else {
                    continue;
                };
                soak.counters.received.fetch_add(1, Ordering::Relaxed);
                if number == expected {
                    expected += 1;
                } else if number > expected {
                    eprintln!(
                        "resumer {n}: expected {expected}, got {number} ({} after resuming from {resumed_from:?})",
                        event.last_event_id
                    );
                    soak.counters
                        .lost
                        .fetch_add(number - expected, Ordering::Relaxed);
                    expected = number + 1;
                } else {
                    soak.counters.duplicated.fetch_add(1, Ordering::Relaxed);
                }
            }
            let done = soak.stop.load(Ordering::SeqCst)
                && expected > soak.last_published.load(Ordering::SeqCst);
            if done || !matches!(read, Ok(true)) {
                break;
            }
        }
        // A tenth of the time, stay away for a second, so events wait in the history.
        if next_random(&mut random).is_multiple_of(10) && !soak.stop.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// Subscribes to a topic of its own, reads the response head, closes; again and again.
async fn churner(soak: Arc<Soak>, n: usize) {
    let auth = auth_header(&soak.args);
    let mut headers: Vec<(&str, &[u8])> = Vec::new();
    if let Some((name, value)) = &auth {
        headers.push((name, value));
    }
    let args = &soak.args;
    let period = match args.churn_rate {
        0 => Duration::ZERO,
        rate => Duration::from_secs(1) * args.churners.max(1) as u32 / rate,
    };
    let mut tick = tokio::time::interval(period.max(Duration::from_micros(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut round = 0u64;
    while !soak.stop.load(Ordering::SeqCst) {
        if !period.is_zero() {
            tick.tick().await;
        }
        round += 1;
        let path = format!("/events?topic=churn-{n}-{}", round % 4);
        match reader::open(
            std::net::IpAddr::from([127, 0, 0, 1]),
            soak.args.server,
            &path,
            &headers,
        )
        .await
        {
            Ok((200, _)) => soak.counters.churned.fetch_add(1, Ordering::Relaxed),
            _ => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                soak.counters.churn_refused.fetch_add(1, Ordering::Relaxed)
            }
        };
    }
}

/// Subscribes to `soak` with a small receive buffer and never reads.
async fn stalled(soak: Arc<Soak>) {
    let Ok(socket) = tokio::net::TcpSocket::new_v4() else {
        return;
    };
    let _ = socket.set_recv_buffer_size(4096);
    let Ok(mut stream) = socket.connect(soak.args.server).await else {
        return;
    };
    let mut head = format!(
        "GET /events?topic=soak HTTP/1.1\r\nhost: {}\r\n",
        soak.args.server
    );
    if let Some(token) = &soak.args.token {
        head.push_str(&format!("authorization: Bearer {token}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    while !soak.stop.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Sends a request head a byte a second; counts it if the server closes first.
async fn slowloris(soak: Arc<Soak>) {
    let Ok(mut stream) = TcpStream::connect(soak.args.server).await else {
        return;
    };
    let head = b"GET /events?topic=soak HTTP/1.1\r\nhost: slow\r\nx-slow: ";
    if stream.write_all(head).await.is_err() {
        soak.counters
            .slowloris_closed
            .fetch_add(1, Ordering::Relaxed);
        return;
    }
    let mut buffer = [0u8; 256];
    while !soak.stop.load(Ordering::SeqCst) {
        tokio::select! {
            _ = stream.read(&mut buffer) => {
                // An answer (408) or the close: either way the server let go.
                soak.counters.slowloris_closed.fetch_add(1, Ordering::Relaxed);
                return;
            }
            () = tokio::time::sleep(Duration::from_secs(1)) => {
                if stream.write_all(b"x").await.is_err() {
                    soak.counters.slowloris_closed.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        }
    }
}

/// Declares a 100 kB publish body, sends 24 bytes of it, and waits; counts it if the server
/// answers or closes first.
async fn stalled_body(soak: Arc<Soak>) {
    let Ok(mut stream) = TcpStream::connect(soak.args.server).await else {
        return;
    };
    let mut head = format!(
        "POST /publish HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n",
        soak.args.server
    );
    if let Some(token) = &soak.args.token {
        head.push_str(&format!("authorization: Bearer {token}\r\n"));
    }
    head.push_str("\r\n{\"topic\":\"soak\",\"data\":\"");
    if stream.write_all(head.as_bytes()).await.is_err() {
        soak.counters
            .stalled_bodies_closed
            .fetch_add(1, Ordering::Relaxed);
        return;
    }
    let mut buffer = [0u8; 256];
    tokio::select! {
        _ = stream.read(&mut buffer) => {
            soak.counters.stalled_bodies_closed.fetch_add(1, Ordering::Relaxed);
        }
        () = async {
            while !soak.stop.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        } => {}
    }
}

/// Subscribes and publishes with a forged token and with none, a few times a second.
async fn auth_failures(soak: Arc<Soak>) {
    let server = soak.args.server;
    let forged = b"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.Zm9yZ2Vk".as_slice();
    let publish = br#"{"topic":"soak","data":"forged"}"#;
    while !soak.stop.load(Ordering::SeqCst) {
        let attempts = [
            request(
                server,
                "GET",
                "/events?topic=soak",
                &[("authorization", forged)],
                b"",
            )
            .await,
            request(server, "GET", "/events?topic=soak", &[], b"").await,
            request(
                server,
                "POST",
                "/publish",
                &[
                    ("content-type", b"application/json"),
                    ("authorization", forged),
                ],
                publish,
            )
            .await,
        ];
        for attempt in attempts {
            soak.counters.auth_attempts.fetch_add(1, Ordering::Relaxed);
            if matches!(attempt, Ok((401, _))) {
                soak.counters.auth_401.fetch_add(1, Ordering::Relaxed);
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
