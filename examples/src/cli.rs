//! The demos' command line: [`Cli`], one parser for demo-axum, demo-actix and demo-rocket,
//! each with its own default port, read into [`Options`] by [`Options::from_args`].
//!
//! `--help` lists every flag with its default and its environment variable; `--version`
//! prints the version. A bad value is refused with clap's message, exit status 2.

use std::ffi::OsString;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use sse_endpoints::jwt::MIN_HS256_SECRET;

use crate::cross_origin::AllowedOrigins;
use crate::{COALESCE, Options, limits};

/// A Server-Sent Events demo: the live page, the classic scenarios and a hub to publish to,
/// with the same routes on axum, actix-web and rocket.
#[derive(Debug, Clone, clap::Parser)]
#[command(version)]
pub struct Cli {
    /// The address to listen on, instead of 127.0.0.1 on --port
    #[arg(long, value_name = "HOST:PORT")]
    pub addr: Option<SocketAddr>,

    /// The port to listen on, on 127.0.0.1, when --addr is not given
    #[arg(long, value_name = "PORT", env = "PORT", default_value_t = 3000)]
    pub port: u16,

    /// Puts the hub on Redis, shared with every demo on it
    #[arg(long, value_name = "URL", env = "REDIS_URL")]
    pub redis: Option<String>,

    /// Leaves the clock and metrics topics to another instance (in a cluster, one is enough)
    #[arg(long)]
    pub no_periodic: bool,

    /// How long the hub gathers events before waking subscribers, once they come faster
    /// than one per window, in milliseconds
    #[arg(long, value_name = "N", default_value_t = COALESCE.as_millis() as u64)]
    pub coalesce_ms: u64,

    /// An origin whose pages may read the answers with their cookies and change state
    /// (CORS; repeatable, or comma separated; none: CORS off)
    #[arg(long, value_name = "ORIGIN", env = "CORS_ORIGINS", value_parser = AllowedOrigins::parse)]
    pub cors_origin: Vec<AllowedOrigins>,

    /// The HS256 secret that makes /events, /publish and /chat need a JSON Web Token
    /// (mint-token makes one); at least 32 bytes
    #[arg(
        long,
        value_name = "SECRET",
        env = "SSE_AUTH_SECRET",
        hide_env_values = true
    )]
    pub auth_secret: Option<String>,

    /// Lets POST /disconnect end every open hub stream without a token
    #[arg(long)]
    pub allow_disconnect: bool,

    /// How long a request head may take to arrive, in milliseconds; past it the connection
    /// is closed (0: none; demo-rocket then serves without its front)
    #[arg(long, value_name = "N", default_value_t = limits::HEADER_TIMEOUT.as_millis() as u64)]
    pub header_timeout_ms: u64,

    /// How long a /publish or /chat body may take to arrive, whole, in milliseconds; past it
    /// 408 body_timeout, and the connection closes
    #[arg(long, value_name = "N", default_value_t = limits::BODY_TIMEOUT.as_millis() as u64)]
    pub body_timeout_ms: u64,

    /// The most publishes a second, /publish and /chat together (0: no limit); past it 429
    /// too_many_requests
    #[arg(long, value_name = "N", default_value_t = limits::PUBLISH_RATE)]
    pub max_publish_rate: u32,

    /// The most connections one client IP may hold open at once (0: no limit); past it 429
    /// too_many_connections, and the connection closes
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub max_connections_per_address: usize,

    /// The most subscribers the hub holds at once (default: what the open-files limit
    /// leaves room for); past it 503 too_many_subscribers, or for a browser's EventSource a
    /// stream that tells it to retry
    #[arg(long, value_name = "N")]
    pub max_subscribers: Option<usize>,
}

impl Options {
    /// Reads the command line and the environment, with `default_port` as `--port`'s
    /// default. Prints the help or the version and exits 0 when asked, and prints what is
    /// wrong and exits 2 on a bad argument.
    pub fn from_args(default_port: u16) -> Options {
        Options::try_from_args(default_port, std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// [`from_args`](Self::from_args) on `args` (the first is the program's name), the help,
    /// the version and any mistake returned as a [`clap::Error`] instead of exiting.
    pub fn try_from_args<I, T>(default_port: u16, args: I) -> Result<Options, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let mut command =
            Cli::command().mut_arg("port", |port| port.default_value(default_port.to_string()));
        // `--version` names the binary run (demo-axum, ...), not the package.
        if let Some(name) = args
            .first()
            .and_then(|program| Path::new(program).file_name())
            .and_then(|name| name.to_str())
        {
            command = command.name(name.to_owned());
        }
        let matches = command.try_get_matches_from_mut(args)?;
        let cli = Cli::from_arg_matches(&matches).map_err(|error| error.format(&mut command))?;
        // An empty `SSE_AUTH_SECRET` or `REDIS_URL` counts as unset; an empty
        // `--auth-secret` is a mistake (a hub whose tokens nobody can sign), and so is a
        // secret too short for HS256, wherever it comes from (tokens anyone could forge).
        let from_command_line =
            matches.value_source("auth_secret") == Some(ValueSource::CommandLine);
        let auth_secret = match cli.auth_secret {
            Some(secret) if secret.len() >= MIN_HS256_SECRET => Some(secret),
            Some(secret) if !secret.is_empty() || from_command_line => {
                let source = if from_command_line {
                    "--auth-secret"
                } else {
                    "SSE_AUTH_SECRET"
                };
                return Err(command.error(
                    ErrorKind::InvalidValue,
                    format!(
                        "{source} needs a secret of at least {MIN_HS256_SECRET} bytes \
                         (RFC 7518 section 3.2's minimum for HS256), this one has {}; \
                         for example: openssl rand -hex 32",
                        secret.len()
                    ),
                ));
            }
            _ => None,
        };
        let mut cors_origins = AllowedOrigins::default();
        for origin in cli.cors_origin.iter().flat_map(AllowedOrigins::iter) {
            cors_origins
                .add(origin)
                .map_err(|error| command.error(ErrorKind::InvalidValue, error))?;
        }
        Ok(Options {
            addr: cli
                .addr
                .unwrap_or(SocketAddr::from((Ipv4Addr::LOCALHOST, cli.port))),
            coalesce: Duration::from_millis(cli.coalesce_ms),
            redis: cli.redis.filter(|url| !url.is_empty()),
            periodic: !cli.no_periodic,
            cors_origins,
            auth_secret,
            allow_disconnect: cli.allow_disconnect,
            header_timeout: Duration::from_millis(cli.header_timeout_ms),
            body_timeout: Duration::from_millis(cli.body_timeout_ms),
            max_connections_per_address: cli.max_connections_per_address,
            max_publish_rate: cli.max_publish_rate,
            max_subscribers: cli.max_subscribers,
        })
    }
}
