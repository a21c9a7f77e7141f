//! Mints a demo token: an HS256 JSON Web Token in Mercure's style, printed on stdout.
//!
//! ```text
//! cargo run -p sse-examples --bin mint-token -- --secret SECRET \
//!     --subscribe '*' --publish chat [--ttl-secs 3600]
//! ```
//!
//! The secret (32 bytes or more) comes from `--secret`, else `SSE_AUTH_SECRET`; `--subscribe`
//! and `--publish` repeat, each a topic, `*` or a `prefix/*`.

use std::time::Duration;

use sse_endpoints::jwt::{Claims, MIN_HS256_SECRET};

/// Mints a demo token: an HS256 JSON Web Token in Mercure's style, printed on stdout.
#[derive(Debug, clap::Parser)]
#[command(version)]
struct Args {
    /// The HS256 secret the demos check tokens with (their --auth-secret)
    #[arg(
        long,
        value_name = "SECRET",
        env = "SSE_AUTH_SECRET",
        hide_env_values = true,
        value_parser = hs256_secret
    )]
    secret: String,

    /// A topic the token may subscribe to: a topic, `*` or a `prefix/*` (repeatable)
    #[arg(long, value_name = "TOPIC")]
    subscribe: Vec<String>,

    /// A topic the token may publish to: a topic, `*` or a `prefix/*` (repeatable)
    #[arg(long, value_name = "TOPIC")]
    publish: Vec<String>,

    /// How long the token is valid, in seconds
    #[arg(long, value_name = "N", default_value_t = 3600)]
    ttl_secs: u64,
}

/// A secret `Claims::sign_hs256` takes: 32 bytes or more (RFC 7518 section 3.2).
fn hs256_secret(secret: &str) -> Result<String, String> {
    if secret.len() < MIN_HS256_SECRET {
        return Err(format!(
            "an HS256 secret needs at least {MIN_HS256_SECRET} bytes, this one has {}",
            secret.len()
        ));
    }
    Ok(secret.to_owned())
}

fn main() -> Result<(), String> {
    let args = <Args as clap::Parser>::parse();
    let token = Claims::new()
        .subscribe(args.subscribe)
        .publish(args.publish)
        .expires_in(Duration::from_secs(args.ttl_secs))
        .sign_hs256(args.secret.as_bytes())
        .map_err(|error| error.to_string())?;
    println!("{token}");
    Ok(())
}
