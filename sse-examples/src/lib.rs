//! The demo apps' shared parts: the hub with its periodic publishers, the scenarios, the
//! page, and the command line. Each `demo-*` binary is only its framework's routing.
//!
//! Routes (identical on all three):
//!
//! | route | what |
//! |---|---|
//! | `GET /` | the live page |
//! | `GET /events?topic=A&topic=B` | hub subscription, resumes after `Last-Event-ID` |
//! | `POST /publish` | `{"topic","data","event"?,"retry"?}` -> `{"id"}` |
//! | `GET /clock` | the time every second (topic `clock`) |
//! | `GET /words` | [`scenarios::WORDS`], a word a second, then the end (204 once seen) |
//! | `GET /metrics` | CPU and memory every second (topic `metrics`) |
//! | `GET /tokens?text=` | the text in pieces (`token`), then `done` |
//! | `GET /echo?data=&event=&id=&retry=&comment=` | exactly that event; a bad field is a 400 naming it |
//! | `POST /chat` | `{"user","text"}` to the `chat` topic |
//! | `POST /disconnect` | ends every open hub stream (clients resume): a demo of reconnection |

/// jemalloc keeps the untouched part of each connection's buffers out of the resident set
/// (hyper allocates 8 KiB to read and 8 KiB to write per connection, and an idle event
/// stream touches one page of each); glibc's allocator writes chunk headers next to them.
/// Measured with `sse-load --rate 0` at 5,000 idle streams on demo-axum: 10.8 KiB per
/// connection with jemalloc, 12.8 KiB with glibc.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

pub mod scenarios;
pub mod system;

use std::net::SocketAddr;
use std::time::Duration;

use sse_core::endpoints::HubEndpoints;
use sse_core::{Hub, HubError, KeepAlive};

/// The page served at `/`: no build step, no external assets.
pub const PAGE: &str = include_str!("page.html");

/// How long a browser waits before reconnecting (sent with each stream's first event).
pub const RETRY: Duration = Duration::from_secs(1);

/// The demo's hub, coalescing wakes over `coalesce` (see [`COALESCE`]), with the clock and
/// metrics publishers running. Call inside a tokio runtime.
pub fn start_hub(coalesce: Duration) -> Result<Hub, HubError> {
    let hub = Hub::builder().coalesce(coalesce).build();
    system::start_clock(&hub)?;
    system::start_metrics(&hub)?;
    Ok(hub)
}

/// The hub routes' settings for the demo: 1 s retry, 15 s keep-alive, 16 KiB bodies.
pub fn endpoints(hub: &Hub) -> HubEndpoints {
    HubEndpoints::new(hub.clone())
        .retry(RETRY)
        .keep_alive(KeepAlive::new())
        .max_body(16 * 1024)
}

/// How long the demo's hub gathers events before waking subscribers, once they come faster
/// than one per window ([`HubBuilder::coalesce`](sse_core::hub::HubBuilder::coalesce)).
///
/// Measured with `sse-load` against demo-axum on one core (`--coalesce-ms` sets it):
///
/// | 2,000 subscribers | 0 ms | 20 ms |
/// |---|---|---|
/// | 400 events/s: p99, server CPU per delivery | 37 ms, 1.24 µs | 24 ms, 0.96 µs |
/// | 800 events/s: p99, server CPU per delivery | 77 ms, 0.62 µs | 29 ms, 0.50 µs |
///
/// The price: events that come faster than one per window wait for it, up to 20 ms (the
/// first after a quiet window goes at once).
pub const COALESCE: Duration = Duration::from_millis(20);

/// The command line: `[--addr HOST:PORT] [--coalesce-ms N]`.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// `--addr`, else `PORT` on 127.0.0.1, else `127.0.0.1:<default port>`.
    pub addr: SocketAddr,
    /// `--coalesce-ms`, else [`COALESCE`].
    pub coalesce: Duration,
}

impl Options {
    /// Reads the command line and `PORT`.
    pub fn from_args(default_port: u16) -> Result<Options, String> {
        let mut addr = None;
        let mut coalesce = COALESCE;
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let (name, value) = match arg.split_once('=') {
                Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
                None => (arg.clone(), args.next()),
            };
            let value = value.ok_or_else(|| format!("{name} needs a value"))?;
            match &*name {
                "--addr" => {
                    addr = Some(
                        value
                            .parse()
                            .map_err(|error| format!("--addr {value:?}: {error}"))?,
                    )
                }
                "--coalesce-ms" => {
                    coalesce = Duration::from_millis(
                        value
                            .parse()
                            .map_err(|error| format!("--coalesce-ms {value:?}: {error}"))?,
                    )
                }
                _ => {
                    return Err(format!(
                        "unknown argument {arg:?}; usage: [--addr HOST:PORT] [--coalesce-ms N]"
                    ));
                }
            }
        }
        let addr = match (addr, std::env::var("PORT")) {
            (Some(addr), _) => addr,
            (None, Ok(port)) => port
                .parse::<u16>()
                .map(|port| SocketAddr::from(([127, 0, 0, 1], port)))
                .map_err(|error| format!("PORT {port:?}: {error}"))?,
            (None, Err(_)) => SocketAddr::from(([127, 0, 0, 1], default_port)),
        };
        Ok(Options { addr, coalesce })
    }
}

/// Announces the bound address on stdout (tests read this line).
pub fn announce(framework: &str, addr: SocketAddr) {
    println!("demo-{framework} listening on http://{addr}");
}
