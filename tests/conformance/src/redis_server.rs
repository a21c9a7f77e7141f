//! [`RedisServer`]: a real `redis-server` on a free loopback port, in a directory of its
//! own, that a test can kill (SIGKILL) and start again, with its data or without. The test
//! command installs Debian's `redis-server` when it is missing; `REDIS_SERVER` names
//! another binary.

use std::net::TcpListener;
use std::path::PathBuf;
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

    fn start_with(durable: bool, password: Option<String>) -> RedisServer {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("sse-redis-test-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("test directory");
        let mut server = RedisServer {
            child: None,
            port,
            dir,
            durable,
            password,
        };
        server.launch();
        server
    }

    /// Its `redis://` URL, with the password if it has one.
    pub fn url(&self) -> String {
        match &self.password {
            Some(password) => format!("redis://:{password}@127.0.0.1:{}", self.port),
            None => format!("redis://127.0.0.1:{}", self.port),
        }
    }

    fn launch(&mut self) {
        let mut command = Command::new(redis_server());
        command
            .arg("--port")
            .arg(self.port.to_string())
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

    /// Starts it again on the same port, with whatever its files kept.
    pub fn restart(&mut self) {
        self.kill();
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
