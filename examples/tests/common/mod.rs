//! Test support: a demo binary running on a free port.
// Each test binary includes this module and uses part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The demo binaries.
pub(crate) const AXUM: &str = env!("CARGO_BIN_EXE_demo-axum");
/// See [`AXUM`].
pub(crate) const ACTIX: &str = env!("CARGO_BIN_EXE_demo-actix");
/// See [`AXUM`].
pub(crate) const ROCKET: &str = env!("CARGO_BIN_EXE_demo-rocket");

/// Runs a check on a runtime of two threads, as each test of the demos does.
pub(crate) fn run(check: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(check);
}

/// A demo binary started with `--addr 127.0.0.1:0`, killed on drop.
pub(crate) struct Server {
    child: Child,
    /// The address it announced.
    pub addr: std::net::SocketAddr,
}

impl Server {
    pub(crate) fn start(binary: &str) -> Server {
        Server::start_with(binary, &[])
    }

    /// Started with `args` after `--addr 127.0.0.1:0`.
    pub(crate) fn start_with(binary: &str, args: &[&str]) -> Server {
        let mut command = Command::new(binary);
        command.args(["--addr", "127.0.0.1:0"]).args(args);
        Server::spawn(command)
    }

    /// Started as `command` says (arguments, environment), which must make it listen.
    pub(crate) fn spawn(mut command: Command) -> Server {
        let mut child = command
            .stdout(Stdio::piped())
            .spawn()
            .expect("demo binary starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("announcement");
        // Keep reading whatever else it prints, so it never writes into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let addr = line
            .trim()
            .rsplit("http://")
            .next()
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Server { child, addr }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (with `kill`, no FFI); see [`wait_for_exit`](Self::wait_for_exit).
    pub(crate) fn terminate(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -TERM {}: {sent}", self.pid());
    }

    /// Waits up to `within` for the process to exit on its own (blocking the thread): its
    /// exit status, or `None` if it is still running then (it is killed on drop).
    pub(crate) fn wait_for_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An event stream read as a client would, telling a clean end of the body (the chunked
/// terminator arrived) from a broken one (the connection dropped mid-body).
pub(crate) struct Stream {
    /// The response status.
    pub status: u16,
    body: hyper::body::Incoming,
    decoder: sse_core::Decoder,
    /// Every byte received.
    pub raw: Vec<u8>,
    /// `Some(Ok(()))` once the body ended cleanly, `Some(Err(why))` if it broke.
    pub end: Option<Result<(), String>>,
}

impl Stream {
    /// `GET path`, once the response head has arrived.
    pub(crate) async fn open(
        addr: std::net::SocketAddr,
        path: &str,
        headers: &[(&str, &[u8])],
    ) -> Stream {
        let response = sse_conformance::client::request(addr, "GET", path, headers, None).await;
        Stream {
            status: response.status().as_u16(),
            body: response.into_body(),
            decoder: sse_core::Decoder::new(),
            raw: Vec::new(),
            end: None,
        }
    }

    /// The next dispatched event; `None` at the end. Panics if neither comes in
    /// [`PATIENCE`](sse_conformance::client::PATIENCE).
    pub(crate) async fn next_event(&mut self) -> Option<sse_core::MessageEvent> {
        let patience = sse_conformance::client::PATIENCE;
        tokio::time::timeout(patience, async {
            loop {
                match self.decoder.next_item() {
                    Some(sse_core::Decoded::Event(event)) => return Some(event),
                    Some(_) => continue,
                    None if self.end.is_some() => return None,
                    None => self.read().await,
                }
            }
        })
        .await
        .expect("an event or the end of the stream in time")
    }

    /// Every event left, up to the end of the stream.
    pub(crate) async fn rest(&mut self) -> Vec<sse_core::MessageEvent> {
        let mut events = Vec::new();
        while let Some(event) = self.next_event().await {
            events.push(event);
        }
        events
    }

    /// Whether the body has ended cleanly, after the end of an event (or of nothing).
    pub(crate) fn ended_cleanly(&self) -> bool {
        matches!(self.end, Some(Ok(()))) && (self.raw.is_empty() || self.raw.ends_with(b"\n\n"))
    }

    async fn read(&mut self) {
        use hyper::body::Body;
        let body = &mut self.body;
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut *body).poll_frame(cx)).await;
        match frame {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    self.raw.extend_from_slice(&data);
                    self.decoder.push(&data).expect("decodable stream");
                }
            }
            Some(Err(error)) => {
                self.decoder.finish();
                self.end = Some(Err(error.to_string()));
            }
            None => {
                self.decoder.finish();
                self.end = Some(Ok(()));
            }
        }
    }
}

/// Expands to a module per demo binary, `demo_axum`, `demo_actix` and `demo_rocket`, each
/// with one `#[test]` per `name => check` pair that runs `check(binary)` for its binary
/// (`check` is an async fn of the binary, or a closure returning a future).
#[allow(unused_macros)] // not every test file runs checks on every demo
macro_rules! on_every_demo {
    ($($name:ident => $check:expr),* $(,)?) => {
        on_every_demo!(@demo demo_axum, AXUM; $($name => $check),*);
        on_every_demo!(@demo demo_actix, ACTIX; $($name => $check),*);
        on_every_demo!(@demo demo_rocket, ROCKET; $($name => $check),*);
    };
    (@demo $demo:ident, $binary:ident; $($name:ident => $check:expr),*) => {
        mod $demo {
            use super::*;
            $(
                #[test]
                fn $name() {
                    run(($check)($binary));
                }
            )*
        }
    };
}
#[allow(unused_imports)] // for the test files that run a check on every demo
pub(crate) use on_every_demo;
