//! The demos' authorization, over HTTP, on each of the three demo servers (the real
//! binaries): `/disconnect` is off by default; with `--auth-secret`, `/events`, `/publish`
//! and `/chat` need a JSON Web Token, and `/disconnect` one granting publish on `*`.

mod common;

use std::time::Duration;

use common::{ACTIX, AXUM, ROCKET, Server, run};
use sse_conformance::client::{Answer, EventReader, fetch};
use sse_endpoints::jwt::Claims;

const SECRET: &str = "the demo tests' secret, at least 32 bytes";

fn token(claims: Claims) -> String {
    claims
        .expires_in(Duration::from_secs(600))
        .sign_hs256(SECRET.as_bytes())
        .expect("signed")
}

fn assert_json(answer: &Answer, status: u16, code: &str, what: &str) {
    let body = String::from_utf8_lossy(&answer.body);
    assert_eq!(answer.status.as_u16(), status, "{what}: {body}");
    assert_eq!(
        answer.headers.get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/json"[..]),
        "{what}"
    );
    assert_eq!(answer.json()["error"], code, "{what}");
}

/// Without a secret, everything is open but `/disconnect`, which is a JSON 403.
async fn check_disconnect_is_off_by_default(binary: &str) {
    let server = Server::start(binary);
    let answer = fetch(server.addr, "POST", "/disconnect", &[], None).await;
    assert_json(
        &answer,
        403,
        "forbidden",
        "POST /disconnect without the flag",
    );
    let reader = EventReader::open(server.addr, "/events?topic=news", &[]).await;
    assert_eq!(
        reader.status, 200,
        "the hub routes are open without a secret"
    );
}

async fn check_jwt(binary: &str) {
    let server = Server::start_with(binary, &["--auth-secret", SECRET]);
    let addr = server.addr;
    let json = ("content-type", &b"application/json"[..]);
    let chat_body = br#"{"user":"ada","text":"hello"}"#.to_vec();
    let news_body = br#"{"topic":"news","data":"x"}"#.to_vec();

    // No token: 401 with a challenge, everywhere.
    for (method, path, body) in [
        ("GET", "/events?topic=news", None),
        ("POST", "/publish", Some(news_body.clone())),
        ("POST", "/chat", Some(chat_body.clone())),
        ("POST", "/disconnect", None),
    ] {
        let answer = fetch(addr, method, path, &[json], body).await;
        let what = format!("{method} {path} without a token");
        assert_json(&answer, 401, "unauthorized", &what);
        assert_eq!(
            answer.headers.get("www-authenticate").map(|v| v.as_bytes()),
            Some(&br#"Bearer realm="sse""#[..]),
            "{what}"
        );
    }

    // A reader: subscribe to `chat` and `news`, publish to `chat` only.
    let reader = token(Claims::new().subscribe(["chat", "news"]).publish(["chat"]));
    let bearer = format!("Bearer {reader}");
    let cookie = format!("sse_authorization={reader}");
    let by_bearer = ("authorization", bearer.as_bytes());
    let path = format!("/events?topic=chat&topic=news&authorization={reader}");
    let mut from_query = EventReader::open(addr, &path, &[]).await;
    assert_eq!(from_query.status, 200, "token in the query");
    let from_cookie =
        EventReader::open(addr, "/events?topic=chat", &[("cookie", cookie.as_bytes())]).await;
    assert_eq!(from_cookie.status, 200, "token in a cookie");
    let answer = fetch(addr, "GET", "/events?topic=clock", &[by_bearer], None).await;
    assert_json(
        &answer,
        403,
        "forbidden",
        "a topic the token does not grant",
    );
    let answer = fetch(
        addr,
        "POST",
        "/publish",
        &[json, by_bearer],
        Some(news_body),
    )
    .await;
    assert_json(&answer, 403, "forbidden", "publish to news");
    let answer = fetch(addr, "POST", "/chat", &[json, by_bearer], Some(chat_body)).await;
    assert_eq!(
        answer.status, 200,
        "chat with a token granting publish on chat"
    );
    let chat = from_query.next_event().await.expect("the chat message");
    assert_eq!(chat.event_type, "chat");
    let answer = fetch(addr, "POST", "/disconnect", &[by_bearer], None).await;
    assert_json(&answer, 403, "forbidden", "disconnect without publish on *");
    let answer = fetch(
        addr,
        "POST",
        "/disconnect",
        &[("authorization", b"Bearer x.y.z")],
        None,
    )
    .await;
    assert_json(&answer, 401, "invalid_token", "disconnect with a bad token");

    // An admin token, minted by the `mint-token` binary.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mint-token"))
        .args(["--secret", SECRET, "--subscribe", "*", "--publish", "*"])
        .output()
        .expect("mint-token runs");
    assert!(output.status.success(), "mint-token: {output:?}");
    let admin = String::from_utf8(output.stdout).expect("UTF-8 token");
    let admin = format!("Bearer {}", admin.trim());
    let answer = fetch(
        addr,
        "POST",
        "/disconnect",
        &[("authorization", admin.as_bytes())],
        None,
    )
    .await;
    assert_eq!(answer.status, 204, "disconnect with publish on *");
    assert_eq!(from_query.next_event().await, None, "the stream ended");
}

#[test]
fn demo_axum_disconnect_is_off_by_default() {
    run(check_disconnect_is_off_by_default(AXUM));
}

#[test]
fn demo_actix_disconnect_is_off_by_default() {
    run(check_disconnect_is_off_by_default(ACTIX));
}

#[test]
fn demo_rocket_disconnect_is_off_by_default() {
    run(check_disconnect_is_off_by_default(ROCKET));
}

#[test]
fn demo_axum_auth_secret_turns_jwt_on() {
    run(check_jwt(AXUM));
}

#[test]
fn demo_actix_auth_secret_turns_jwt_on() {
    run(check_jwt(ACTIX));
}

#[test]
fn demo_rocket_auth_secret_turns_jwt_on() {
    run(check_jwt(ROCKET));
}
