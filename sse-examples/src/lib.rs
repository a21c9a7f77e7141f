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

/// The demo's hub, with the clock and metrics publishers running. Call inside a tokio runtime.
pub fn start_hub() -> Result<Hub, HubError> {
    let hub = Hub::new();
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

/// The address to listen on: `--addr HOST:PORT`, else `PORT` on 127.0.0.1, else
/// `127.0.0.1:<default_port>`.
pub fn listen_addr(default_port: u16) -> Result<SocketAddr, String> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = match arg.strip_prefix("--addr=") {
            Some(value) => Some(value.to_owned()),
            None if arg == "--addr" => args.next(),
            None => {
                return Err(format!(
                    "unknown argument {arg:?}; usage: [--addr HOST:PORT]"
                ));
            }
        };
        if let Some(value) = value {
            return value
                .parse()
                .map_err(|error| format!("--addr {value:?}: {error}"));
        }
    }
    match std::env::var("PORT") {
        Ok(port) => port
            .parse::<u16>()
            .map(|port| SocketAddr::from(([127, 0, 0, 1], port)))
            .map_err(|error| format!("PORT {port:?}: {error}")),
        Err(_) => Ok(SocketAddr::from(([127, 0, 0, 1], default_port))),
    }
}

/// Announces the bound address on stdout (tests read this line).
pub fn announce(framework: &str, addr: SocketAddr) {
    println!("demo-{framework} listening on http://{addr}");
}
