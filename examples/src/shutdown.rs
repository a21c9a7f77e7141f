//! Shutting down on SIGINT (Ctrl-C) or SIGTERM: every hub subscriber receives a final
//! `event: shutdown`, every other stream ends with the hub (`until(hub.closed())`), and the
//! server's graceful shutdown then completes.

use std::io;
use std::time::Duration;

use sse_core::{Event, Hub};

/// How long a demo waits for open connections after [`shut_down`] before it exits anyway.
pub const GRACE: Duration = Duration::from_secs(5);

/// The data of the final `shutdown` event.
pub const SHUTDOWN_DATA: &str = r#"{"reason":"shutdown","message":"the server is going away"}"#;

/// SIGINT and SIGTERM, listened for from the moment this is created: create it before the
/// server announces itself, so that a signal sent as soon as it is up is not fatal.
#[derive(Debug)]
pub struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// Starts listening (inside a tokio runtime).
    ///
    /// On Unix, SIGINT is registered here as [`tokio::signal::ctrl_c`] would register it on
    /// its first poll: at once, rather than when the future is first polled.
    pub fn listen() -> io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Signals {})
        }
    }

    /// Waits for the first of them; returns its name.
    pub async fn recv(mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => "SIGINT",
                _ = self.terminate.recv() => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = &mut self;
            match tokio::signal::ctrl_c().await {
                Ok(()) => "Ctrl-C",
                // Cannot listen: never shut down by signal.
                Err(_) => std::future::pending().await,
            }
        }
    }
}

/// `event: shutdown` with [`SHUTDOWN_DATA`]: what every hub subscriber receives last.
pub fn shutdown_event() -> Option<Event> {
    Event::new(SHUTDOWN_DATA)
        .event(sse_core::hub::SHUTDOWN_EVENT)
        .ok()
}

/// Shuts the hub down with [`shutdown_event`] as every subscriber's final event; streams
/// that end with `hub.closed()` end too.
pub fn shut_down(hub: &Hub, signal: &str) {
    log(&format!("{signal}: shutting down"));
    hub.shutdown(shutdown_event());
}

/// Writes a line to stderr, ignoring failure: unlike `eprintln!`, it does not panic when
/// stderr is closed (a detached server), which here would stop the shutdown half-way.
pub fn log(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Waits for SIGINT or SIGTERM, then [`shut_down`]s the hub.
pub async fn on_signal(signals: Signals, hub: Hub) {
    let signal = signals.recv().await;
    shut_down(&hub, signal);
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_final_event_is_named_and_carries_json() {
        let event = super::shutdown_event().unwrap();
        let bytes = event.encode();
        assert!(bytes.as_bytes().starts_with(b"event: shutdown\ndata: {"));
        let json: serde_json::Value = serde_json::from_str(event.data()).unwrap();
        assert_eq!(json["reason"], "shutdown");
    }
}
