//! [`RedisServer`]: a real `redis-server` on a free loopback port, in a directory of its
//! own, that a test can kill (SIGKILL) and start again, with its data or without. The test
//! command installs Debian's `redis-server` when it is missing; `REDIS_SERVER` names
//! another binary.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` child process, killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    dir: PathBuf,
    /// Keep data across a kill: append-only file, fsync on every write.
    durable: bool,
    password: Option<String>,
    /// Serve TLS only (a self-signed certificate made with the `openssl` command).
    tls: bool,
}

impl RedisServer {
    /// A server without persistence.
    pub fn start() -> RedisServer {
        RedisServer::start_with(false, None)
    }

    /// A server whose data survives `kill -9`.
    pub fn start_durable() -> RedisServer {
        RedisServer::start_with(true, None)
    }

    /// A server that requires `password`.
    pub fn start_with_password(password: &str) -> RedisServer {
        RedisServer::start_with(false, Some(password.to_owned()))
    }

    /// A server that speaks only TLS, with a self-signed certificate: its [`url`](Self::url)
    /// is `rediss://...#insecure` (no certificate verification).
    pub fn start_tls() -> RedisServer {
        RedisServer::start_configured(false, None, true)
    }

    fn start_with(durable: bool, password: Option<String>) -> RedisServer {
        RedisServer::start_configured(durable, password, false)
    }

    fn start_configured(durable: bool, password: Option<String>, tls: bool) -> RedisServer {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("sse-redis-test-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("test directory");
        if tls {
            let made = Command::new("openssl")
                .args([
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                ])
                .args([
                    "-subj",
                    "/CN=localhost",
                    "-keyout",
                    "key.pem",
                    "-out",
                    "cert.pem",
                ])
                .current_dir(&dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("the openssl command runs");
            assert!(made.success(), "openssl made a certificate");
        }
        let mut server = RedisServer {
            child: None,
            port,
            dir,
            durable,
            password,
            tls,
        };
        server.launch();
        server
    }

    /// Its `redis://` URL, with the password if it has one.
    pub fn url(&self) -> String {
        match (&self.password, self.tls) {
            (_, true) => format!("rediss://127.0.0.1:{}/#insecure", self.port),
            (Some(password), false) => format!("redis://:{password}@127.0.0.1:{}", self.port),
            (None, false) => format!("redis://127.0.0.1:{}", self.port),
        }
    }

    fn launch(&mut self) {
        let mut command = Command::new(redis_server());
        if self.tls {
            command
                .args(["--port", "0", "--tls-port"])
                .arg(self.port.to_string())
                .args(["--tls-cert-file", "cert.pem", "--tls-key-file", "key.pem"])
                .args(["--tls-ca-cert-file", "cert.pem", "--tls-auth-clients", "no"])
                .current_dir(&self.dir);
        } else {
            command.arg("--port").arg(self.port.to_string());
        }
        command
            .args([
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--protected-mode",
                "no",
            ])
            .arg("--dir")
            .arg(&self.dir)
            .args(["--daemonize", "no", "--loglevel", "warning"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if self.durable {
            command.args(["--appendonly", "yes", "--appendfsync", "always"]);
        } else {
            command.args(["--appendonly", "no"]);
        }
        if let Some(password) = &self.password {
            command.args(["--requirepass", password]);
        }
        self.child = Some(
            command
                .spawn()
                .expect("redis-server starts (is it installed?)"),
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start listening"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `kill -9`: no chance to save anything.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `kill -STOP`: it stops answering, with connections open (a stall: swapping, a
    /// paused VM, a long fork). [`resume`](Self::resume) goes on.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// `kill -CONT`, after [`pause`](Self::pause): it carries out what it was sent.
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        if let Some(child) = &self.child {
            let sent = Command::new("kill")
                .arg(signal)
                .arg(child.id().to_string())
                .status()
                .expect("the kill command runs");
            assert!(sent.success(), "kill {signal} reached redis-server");
        }
    }

    /// Starts it again on the same port, with whatever its files kept.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    /// Its directory (where `SAVE` writes `dump.rdb`); removed on drop.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Starts it again on the same port from the snapshot `rdb` (a `dump.rdb` copied
    /// earlier, from this server or another): Redis restored from an older backup, or a
    /// failover to a replica that lags.
    pub fn restart_from(&mut self, rdb: &Path) {
        self.kill();
        // Redis loads its append-only file, when it has one, instead of the snapshot.
        let _ = std::fs::remove_dir_all(self.dir.join("appendonlydir"));
        std::fs::copy(rdb, self.dir.join("dump.rdb")).expect("the snapshot is copied");
        self.launch();
    }

    /// Starts it again on the same port with no data at all.
    pub fn restart_empty(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
        std::fs::create_dir_all(&self.dir).expect("test directory");
        self.launch();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

fn redis_server() -> String {
    std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into())
}
