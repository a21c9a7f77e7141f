//! The demos' command line (the real binaries): `--help` and `--version` answer and exit 0,
//! a bad value is refused with a message and exit status 2, and the environment's `PORT`,
//! `REDIS_URL` and `SSE_AUTH_SECRET` count as the code says.

mod common;

use std::process::{Command, Output};

use common::{ACTIX, AXUM, ROCKET, Server, Stream, run};

/// A secret the demos and mint-token take: 32 bytes or more.
const SECRET: &str = "the demo tests' secret, at least 32 bytes";

/// The flags every demo takes.
const FLAGS: [&str; 14] = [
    "--addr",
    "--port",
    "--redis",
    "--no-periodic",
    "--coalesce-ms",
    "--cors-origin",
    "--auth-secret",
    "--allow-disconnect",
    "--header-timeout-ms",
    "--body-timeout-ms",
    "--max-publish-rate",
    "--max-connections-per-address",
    "--help",
    "--version",
];

/// `binary` with the environment variables the demos read removed (so the test's own
/// environment does not count), ready for arguments.
fn command(binary: &str) -> Command {
    let mut command = Command::new(binary);
    for name in ["PORT", "REDIS_URL", "SSE_AUTH_SECRET", "CORS_ORIGINS"] {
        command.env_remove(name);
    }
    command
}

fn output(command: &mut Command) -> Output {
    command.output().expect("the binary runs")
}

#[test]
fn help_prints_usage_with_every_flag_and_each_demo_s_default_port() {
    for (binary, name, port) in [
        (AXUM, "demo-axum", 3000),
        (ACTIX, "demo-actix", 3001),
        (ROCKET, "demo-rocket", 3002),
    ] {
        let out = output(command(binary).arg("--help"));
        let help = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{name} --help: {out:?}");
        assert!(help.contains(&format!("Usage: {name} [OPTIONS]")), "{help}");
        for flag in FLAGS {
            assert!(help.contains(flag), "{name} --help lacks {flag}: {help}");
        }
        for env in ["PORT", "REDIS_URL", "SSE_AUTH_SECRET", "CORS_ORIGINS"] {
            assert!(
                help.contains(&format!("[env: {env}")),
                "{name}: {env}: {help}"
            );
        }
        assert!(
            help.contains(&format!("[default: {port}]")),
            "{name}'s port: {help}"
        );
    }
}

#[test]
fn version_prints_the_binary_and_the_version() {
    let out = output(command(AXUM).arg("--version"));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("demo-axum {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_bad_value_exits_2_naming_the_flag() {
    for (args, env, expected) in [
        (
            &["--coalesce-ms", "abc"][..],
            None,
            "'abc' for '--coalesce-ms",
        ),
        (&["--addr", "localhost"], None, "'localhost' for '--addr"),
        (
            &["--max-publish-rate=-1"],
            None,
            "'-1' for '--max-publish-rate",
        ),
        (&["--cors-origin", "*"], None, "'*' for '--cors-origin"),
        (
            &["--auth-secret", ""],
            None,
            "--auth-secret needs a secret of at least 32 bytes",
        ),
        (
            &["--auth-secret", "short"],
            None,
            "--auth-secret needs a secret of at least 32 bytes (RFC 7518 section 3.2's minimum for HS256), this one has 5",
        ),
        (
            &[],
            Some(("SSE_AUTH_SECRET", "thirty-one bytes, one too short")),
            "SSE_AUTH_SECRET needs a secret of at least 32 bytes",
        ),
        (&["--no-periodic=yes"], None, "--no-periodic"),
        (&["--bogus"], None, "'--bogus'"),
        (&[], Some(("PORT", "abc")), "'abc' for '--port"),
        (&[], Some(("CORS_ORIGINS", "*")), "'*' for '--cors-origin"),
    ] {
        let mut command = command(AXUM);
        command.args(args).envs(env);
        let out = output(&mut command);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}: {out:?}");
        assert!(stderr.contains(expected), "{args:?} {env:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} {env:?}: {out:?}");
    }
}

#[test]
fn port_listens_on_127_0_0_1_unless_addr_is_given() {
    let mut from_port = command(AXUM);
    from_port.env("PORT", "0");
    let server = Server::spawn(from_port);
    assert!(server.addr.ip().is_loopback(), "{}", server.addr);
    assert_ne!(server.addr.port(), 3000, "PORT=0, not the default port");

    let mut addr_wins = command(AXUM);
    addr_wins.args(["--addr", "127.0.0.1:0"]).env("PORT", "1");
    let server = Server::spawn(addr_wins);
    assert_ne!(server.addr.port(), 1, "--addr, not PORT");

    let mut port_flag = command(AXUM);
    port_flag.args(["--port", "0"]).env("PORT", "1");
    let server = Server::spawn(port_flag);
    assert_ne!(server.addr.port(), 1, "--port, not PORT");
}

#[test]
fn an_empty_redis_url_or_auth_secret_counts_as_unset() {
    let mut with_empty = command(AXUM);
    with_empty
        .args(["--addr", "127.0.0.1:0"])
        .env("REDIS_URL", "")
        .env("SSE_AUTH_SECRET", "");
    let open = Server::spawn(with_empty);
    let mut with_secret = command(AXUM);
    with_secret
        .args(["--addr", "127.0.0.1:0"])
        .env("SSE_AUTH_SECRET", SECRET);
    let guarded = Server::spawn(with_secret);
    run(async {
        let stream = Stream::open(open.addr, "/events?topic=chat", &[]).await;
        assert_eq!(stream.status, 200, "in memory, no token needed");
        let stream = Stream::open(guarded.addr, "/events?topic=chat", &[]).await;
        assert_eq!(stream.status, 401, "SSE_AUTH_SECRET turns tokens on");
    });
}

#[test]
fn mint_token_answers_help_and_needs_a_secret() {
    let mint = env!("CARGO_BIN_EXE_mint-token");
    let out = output(command(mint).arg("--help"));
    let help = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    for flag in [
        "--secret",
        "--subscribe",
        "--publish",
        "--ttl-secs",
        "[env: SSE_AUTH_SECRET]",
    ] {
        assert!(
            help.contains(flag),
            "mint-token --help lacks {flag}: {help}"
        );
    }

    let out = output(command(mint).args(["--publish", "chat"]));
    assert_eq!(out.status.code(), Some(2), "no secret: {out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--secret"),
        "{out:?}"
    );
    let out = output(command(mint).args(["--secret", SECRET, "--ttl-secs", "soon"]));
    assert_eq!(out.status.code(), Some(2), "a bad --ttl-secs: {out:?}");
    let out = output(command(mint).args(["--secret", "short"]));
    assert_eq!(out.status.code(), Some(2), "a short secret: {out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("'short' for '--secret <SECRET>': an HS256 secret needs at least 32 bytes"),
        "{out:?}"
    );

    let out = output(
        command(mint)
            .env("SSE_AUTH_SECRET", SECRET)
            .args(["--subscribe", "*"]),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "the secret from the environment: {out:?}"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).matches('.').count(),
        2,
        "{out:?}"
    );
}
