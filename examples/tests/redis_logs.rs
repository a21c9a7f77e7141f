//! The demos on Redis say on stderr when Redis is lost (once, at warn) and when it is back
//! (at info): an operator is not left with silent 503s.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use sse_conformance::redis_server::RedisServer;

/// A demo process on Redis, its stderr lines sent to `lines`; killed on drop.
struct Demo {
    child: Child,
    lines: Receiver<String>,
    /// Every line read so far.
    seen: Vec<String>,
}

impl Demo {
    fn start(binary: &str, redis: &RedisServer) -> Demo {
        let mut child = Command::new(binary)
            .args(["--addr", "127.0.0.1:0", "--no-periodic", "--redis"])
            .arg(redis.url())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("demo binary starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut announcement = String::new();
        stdout.read_line(&mut announcement).expect("announcement");
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Demo {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads stderr until a line containing every one of `words`, for at most 20 s.
    fn wait_for(&mut self, words: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if words.iter().all(|word| line.contains(word)) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    panic!(
                        "no line with {words:?} on stderr; it printed {:?}",
                        self.seen
                    )
                }
            }
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn demos_on_redis_log_a_lost_redis_once_and_its_return() {
    let mut redis = RedisServer::start();
    let mut demos = [
        Demo::start(env!("CARGO_BIN_EXE_demo-axum"), &redis),
        Demo::start(env!("CARGO_BIN_EXE_demo-actix"), &redis),
    ];
    redis.kill();
    for demo in &mut demos {
        demo.wait_for(&["WARN", "lost Redis"]);
    }
    // Away for a while: the reader retries several times, and says nothing more at warn.
    std::thread::sleep(Duration::from_millis(1500));
    redis.restart();
    for demo in &mut demos {
        demo.wait_for(&["INFO", "Redis is back"]);
        let lost = demo
            .seen
            .iter()
            .filter(|l| l.contains("lost Redis"))
            .count();
        assert_eq!(lost, 1, "once: {:?}", demo.seen);
    }
}
