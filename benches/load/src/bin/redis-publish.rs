//! Publish throughput through Redis from one instance: `--concurrency` tasks publish
//! `--payload`-byte events on one hub on Redis for `--seconds`, and the rate of accepted
//! publishes is printed, with Redis's CPU per event when `--redis-pid` is given.
//!
//! ```sh
//! redis-server --port 6390 --save '' --appendonly no &
//! cargo run --release -p sse-load --bin redis-publish -- --redis redis://127.0.0.1:6390 \
//!     --redis-pid $(pgrep -f 'redis-server.*6390')
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use sse_core::{Event, Hub};

/// The command line.
#[derive(Parser, Debug)]
struct Args {
    /// The Redis URL.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis: String,
    /// Publishing tasks (publishes in flight at once).
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// Bytes of data per event.
    #[arg(long, default_value_t = 100)]
    payload: usize,
    /// Seconds of publishing.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Topics to spread the events over.
    #[arg(long, default_value_t = 16)]
    topics: usize,
    /// redis-server's process id, for its CPU seconds.
    #[arg(long)]
    redis_pid: Option<u32>,
    /// More instances reading every event (each a hub on the same Redis, as another
    /// server would be), to measure what each reader costs Redis.
    #[arg(long, default_value_t = 0)]
    readers: usize,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let options = sse_redis::Options::new().prefix(format!("bench{}", std::process::id()));
    let hub = sse_redis::connect_with(&args.redis, Hub::builder(), options.clone()).await?;
    let mut readers = Vec::new();
    for _ in 0..args.readers {
        readers.push(sse_redis::connect_with(&args.redis, Hub::builder(), options.clone()).await?);
    }
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let data = "x".repeat(args.payload);
    let redis_before = args.redis_pid.and_then(sse_load::procfs::sample);
    let began = Instant::now();
    let until = began + Duration::from_secs_f64(args.seconds);
    let tasks: Vec<_> = (0..args.concurrency)
        .map(|task| {
            let (hub, ok, failed, data) = (hub.clone(), ok.clone(), failed.clone(), data.clone());
            let topic = format!("bench-{}", task % args.topics.max(1));
            tokio::spawn(async move {
                while Instant::now() < until {
                    match hub.publish(&topic, Event::new(data.clone())).await {
                        Ok(_) => ok.fetch_add(1, Ordering::Relaxed),
                        Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    for task in tasks {
        task.await?;
    }
    let elapsed = began.elapsed().as_secs_f64();
    let published = ok.load(Ordering::Relaxed);
    let redis_after = args.redis_pid.and_then(sse_load::procfs::sample);
    println!(
        "published {published} events of {} bytes in {elapsed:.1} s: {:.0} events/s ({} failed, {} in flight, {} readers)",
        args.payload,
        published as f64 / elapsed,
        failed.load(Ordering::Relaxed),
        args.concurrency,
        1 + readers.len()
    );
    if let (Some(before), Some(after)) = (redis_before, redis_after) {
        let cpu = after.cpu_seconds - before.cpu_seconds;
        println!(
            "redis-server: {cpu:.2} CPU s, {:.1} µs per event, RSS {} KiB",
            cpu * 1e6 / published.max(1) as f64,
            after.rss_kib
        );
    }
    Ok(())
}
