//! Mints a demo token: an HS256 JSON Web Token in Mercure's style, printed on stdout.
//!
//! ```text
//! cargo run -p sse-examples --bin mint-token -- --secret SECRET \
//!     --subscribe '*' --publish chat [--ttl-secs 3600]
//! ```
//!
//! The secret comes from `--secret`, else `SSE_AUTH_SECRET`; `--subscribe` and `--publish`
//! repeat, each a topic, `*` or a `prefix/*`.

use std::time::Duration;

use sse_endpoints::jwt::Claims;

const USAGE: &str = "usage: mint-token [--secret SECRET] [--subscribe TOPIC]... \
                     [--publish TOPIC]... [--ttl-secs N]";

fn main() -> Result<(), String> {
    let mut secret = std::env::var("SSE_AUTH_SECRET").ok();
    let mut claims = Claims::new();
    let mut ttl = Duration::from_secs(3600);
    let mut args = std::env::args().skip(1);
    while let Some(name) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("{name} needs a value; {USAGE}"))?;
        match name.as_str() {
            "--secret" => secret = Some(value),
            "--subscribe" => claims = claims.subscribe([value]),
            "--publish" => claims = claims.publish([value]),
            "--ttl-secs" => {
                ttl = Duration::from_secs(
                    value
                        .parse()
                        .map_err(|error| format!("--ttl-secs {value:?}: {error}"))?,
                )
            }
            _ => return Err(format!("unknown argument {name:?}; {USAGE}")),
        }
    }
    let secret = secret
        .filter(|secret| !secret.is_empty())
        .ok_or_else(|| format!("no secret: --secret or SSE_AUTH_SECRET; {USAGE}"))?;
    let token = claims
        .expires_in(ttl)
        .sign_hs256(secret.as_bytes())
        .map_err(|error| error.to_string())?;
    println!("{token}");
    Ok(())
}
