//! Connections: the subscribers (each reads its stream with the workspace's decoder) and
//! the publisher (one keep-alive connection posting at a fixed rate).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::FutureExt;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use sse_core::{Decoded, Decoder};
use tokio::sync::{Mutex, watch};

use crate::{Kind, reader};

/// Counters every subscriber adds to, and the latency histogram (microseconds).
pub(crate) struct Shared {
    pub origin: Instant,
    pub histogram: Mutex<hdrhistogram::Histogram<u64>>,
    pub connected: AtomicUsize,
    pub connect_errors: AtomicUsize,
    pub delivered: AtomicU64,
    pub bytes: AtomicU64,
    /// Events published so far, by all publishers.
    pub last_published: AtomicU64,
}

/// What one subscriber saw, over all its sessions.
#[derive(Debug, Default, Clone)]
pub(crate) struct Outcome {
    pub received: u64,
    pub gaps: u64,
    pub duplicates: u64,
    pub reorders: u64,
    pub missed_notices: u64,
    pub sessions: u64,
    /// The last sequence number seen from each publisher.
    pub last_seq: Vec<u64>,
    pub ended_by_server: bool,
}

/// Parses `"<publisher>:<seq> <sent_ns> <padding>"`.
fn parse(data: &str) -> Option<(usize, u64, u64)> {
    let mut parts = data.splitn(3, ' ');
    let (publisher, seq) = parts.next()?.split_once(':')?;
    Some((
        publisher.parse().ok()?,
        seq.parse().ok()?,
        parts.next()?.parse().ok()?,
    ))
}

/// One subscriber, on `servers[index % len]` and, after each reconnect, the next one.
/// `stalled` subscribers read the head, then nothing until `resume` turns true. A `true` on
/// `reconnect` drops the connection once and resumes with `Last-Event-ID`. Ends when `stop`
/// turns true.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn subscriber(
    shared: Arc<Shared>,
    kind: Kind,
    servers: Arc<[SocketAddr]>,
    index: usize,
    source: IpAddr,
    topic: String,
    stalled: bool,
    mut resume: watch::Receiver<bool>,
    mut reconnect: watch::Receiver<bool>,
    mut stop: watch::Receiver<bool>,
) -> Outcome {
    let mut outcome = Outcome {
        last_seq: vec![0; crate::MAX_PUBLISHERS],
        ..Outcome::default()
    };
    let mut decoder = Decoder::new();
    let mut latencies: Vec<u64> = Vec::with_capacity(256);
    let mut first_connect = true;
    let mut reconnected = false;
    // One future each for the whole run: making them anew for every read registers and
    // unregisters thousands of waiters on the same channels, a cost the server never pays.
    let stopped = stop.clone();
    let mut stop = std::pin::pin!(
        async move {
            let _ = stop.wait_for(|stop| *stop).await;
        }
        .fuse()
    );
    // `false` for a subscriber not in the storm: its receiver's sender is gone.
    let mut reconnect =
        std::pin::pin!(async move { reconnect.wait_for(|now| *now).await.is_ok() }.fuse());
    let mut session = index;
    'sessions: while !*stopped.borrow() {
        let server = servers[session % servers.len()];
        session += 1;
        // A server may use ids that cannot travel back in a header (control characters):
        // resume without one, as a browser would have to.
        let last_event_id = decoder.last_event_id().as_bytes();
        let resume_with =
            if last_event_id.is_empty() || last_event_id.iter().any(u8::is_ascii_control) {
                None
            } else {
                Some(("last-event-id", last_event_id))
            };
        let mut headers = vec![("accept", &b"text/event-stream"[..])];
        headers.extend(resume_with);
        let mut reader =
            match reader::open(source, server, &kind.subscribe_path(&topic), &headers).await {
                Ok((200, reader)) => reader,
                _ => {
                    shared.connect_errors.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
        outcome.sessions += 1;
        if first_connect {
            shared.connected.fetch_add(1, Ordering::Relaxed);
            first_connect = false;
        }
        if stalled && !*resume.borrow() {
            let _ = resume.wait_for(|resumed| *resumed).await;
        }
        loop {
            let mut received = 0;
            let mut malformed = false;
            let open = tokio::select! {
                open = reader.read(|data| {
                    received += data.len();
                    malformed |= decoder.push(data).is_err();
                }) => open,
                () = &mut stop => break 'sessions,
                true = &mut reconnect, if !reconnected && !stalled => {
                    reconnected = true;
                    continue 'sessions; // drop this connection, resume with Last-Event-ID
                }
            };
            shared.bytes.fetch_add(received as u64, Ordering::Relaxed);
            if malformed {
                break 'sessions;
            }
            let now_ns = shared.origin.elapsed().as_nanos() as u64;
            while let Some(item) = decoder.next_item() {
                let Decoded::Event(event) = item else {
                    continue;
                };
                if event.event_type == "missed" {
                    outcome.missed_notices += 1;
                    continue;
                }
                let Some((publisher, seq, sent_ns)) = parse(&event.data) else {
                    continue;
                };
                let Some(last) = outcome.last_seq.get_mut(publisher) else {
                    continue;
                };
                if seq <= *last {
                    if seq == *last {
                        outcome.duplicates += 1
                    } else {
                        outcome.reorders += 1
                    }
                    continue;
                }
                // A first event after the start is a gap too (every client connects first).
                outcome.gaps += seq - *last - 1;
                *last = seq;
                outcome.received += 1;
                shared.delivered.fetch_add(1, Ordering::Relaxed);
                if !stalled {
                    latencies.push(now_ns.saturating_sub(sent_ns) / 1000);
                }
            }
            if !matches!(open, Ok(true)) {
                outcome.ended_by_server = true;
                if kind == Kind::Hub || kind == Kind::Nchan {
                    continue 'sessions; // the client reconnects, as a browser would
                }
                break 'sessions;
            }
            if latencies.len() >= 128 {
                flush(&shared, &mut latencies).await;
            }
        }
    }
    flush(&shared, &mut latencies).await;
    outcome
}

async fn flush(shared: &Shared, latencies: &mut Vec<u64>) {
    if latencies.is_empty() {
        return;
    }
    let mut histogram = shared.histogram.lock().await;
    for &micros in latencies.iter() {
        let _ = histogram.record(micros.max(1));
    }
    latencies.clear();
}

/// The publisher: `rate` events a second of `payload` bytes for `duration`, on one
/// keep-alive connection, starting after `phase` (publishers are spread over the period, so
/// that together they publish evenly instead of in bursts). Returns (published, errors).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn publisher(
    shared: Arc<Shared>,
    id: usize,
    kind: Kind,
    server: SocketAddr,
    topic: String,
    rate: f64,
    payload: usize,
    duration: Duration,
    phase: Duration,
) -> (u64, u64) {
    let mut sender: Option<SendRequest<Full<Bytes>>> = None;
    let period = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + phase, period);
    // A late publish is made up for at once, so the rate holds whenever the server keeps up
    // on average (each publisher waits for one response before the next request).
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let began = Instant::now();
    let (mut published, mut errors) = (0u64, 0u64);
    while began.elapsed() < duration {
        ticker.tick().await;
        if sender.as_ref().is_none_or(|s| s.is_closed()) {
            sender = connect_publisher(server).await.ok();
        }
        let Some(connection) = sender.as_mut() else {
            errors += 1;
            continue;
        };
        let seq = published + 1;
        let sent_ns = shared.origin.elapsed().as_nanos() as u64;
        let mut data = format!("{id}:{seq} {sent_ns} ");
        while data.len() < payload {
            data.push('x');
        }
        let Ok(request) = kind.publish_request(server, &topic, data) else {
            errors += 1;
            continue;
        };
        match connection.send_request(request).await {
            Ok(response) if response.status().is_success() => {
                let _ = response.into_body().collect().await;
                published = seq;
                shared.last_published.fetch_add(1, Ordering::Relaxed);
            }
            _ => {
                errors += 1;
                sender = None;
            }
        }
    }
    (published, errors)
}

pub(crate) async fn connect_publisher(
    server: SocketAddr,
) -> Result<SendRequest<Full<Bytes>>, String> {
    let socket = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket
        .bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
        .map_err(|e| e.to_string())?;
    let stream = socket.connect(server).await.map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    Ok(sender)
}
