//! Every demo route, over HTTP, on each of the three demo servers (the real binaries).

mod common;

use common::Server;
use sse_conformance::client::{EventReader, fetch, publish};
use sse_core::{Decoded, Decoder, MessageEvent};

fn events(body: &[u8]) -> Vec<MessageEvent> {
    let mut decoder = Decoder::new();
    decoder.push(body).expect("decodable");
    decoder
        .drain()
        .filter_map(|item| match item {
            Decoded::Event(event) => Some(event),
            _ => None,
        })
        .collect()
}

async fn check_routes(binary: &str) {
    let server = Server::start(binary);
    let addr = server.addr;

    // The page.
    let page = fetch(addr, "GET", "/", &[], None).await;
    assert_eq!(page.status, 200);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/html")
    );
    assert!(String::from_utf8_lossy(&page.body).contains("new EventSource("));

    // Periodic topics.
    for (path, name, key) in [("/clock", "clock", "utc"), ("/metrics", "metrics", "cpu")] {
        let mut reader = EventReader::open(addr, path, &[]).await;
        assert_eq!(
            reader.next().await,
            Some(Decoded::Retry(std::time::Duration::from_secs(1)))
        );
        for _ in 0..2 {
            let event = reader.next_event().await.expect("periodic event");
            assert_eq!(event.event_type, name);
            let json: serde_json::Value = serde_json::from_str(&event.data).expect("JSON data");
            assert!(json.get(key).is_some(), "{path}: {}", event.data);
        }
    }

    // A finite stream, resumed near its end, then 204 once all is seen.
    let words: Vec<&str> = sse_examples::scenarios::WORDS.split(' ').collect();
    let seen = (words.len() - 2).to_string();
    let answer = fetch(
        addr,
        "GET",
        "/words",
        &[("last-event-id", seen.as_bytes())],
        None,
    )
    .await;
    let rest: Vec<(String, String)> = events(&answer.body)
        .into_iter()
        .map(|e| (e.last_event_id, e.data))
        .collect();
    let expected: Vec<(String, String)> = (words.len() - 1..=words.len())
        .map(|n| (n.to_string(), words[n - 1].to_owned()))
        .collect();
    assert_eq!(rest, expected);
    let all = words.len().to_string();
    let answer = fetch(
        addr,
        "GET",
        "/words",
        &[("last-event-id", all.as_bytes())],
        None,
    )
    .await;
    assert_eq!(
        answer.status, 204,
        "a client that saw the end is told to stop"
    );

    // Tokens: pieces with ids and a custom event name, then `done`; resumable.
    let text = "Hello brave new world, token by token";
    let path = format!(
        "/tokens?text={}",
        text.replace(' ', "%20").replace(',', "%2C")
    );
    let answer = fetch(addr, "GET", &path, &[], None).await;
    let streamed = events(&answer.body);
    let (done, tokens) = streamed.split_last().expect("events");
    assert!(tokens.iter().all(|event| event.event_type == "token"));
    assert_eq!(
        tokens
            .iter()
            .map(|event| event.data.as_str())
            .collect::<String>(),
        text
    );
    assert_eq!(done.event_type, "done");
    assert_eq!(done.data, format!(r#"{{"tokens":{}}}"#, tokens.len()));
    let ids: Vec<String> = streamed
        .iter()
        .map(|event| event.last_event_id.clone())
        .collect();
    assert_eq!(
        ids,
        (1..=streamed.len())
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
    );
    let answer = fetch(addr, "GET", &path, &[("last-event-id", b"3")], None).await;
    assert_eq!(events(&answer.body).len(), streamed.len() - 3);
    let too_long = format!(
        "/tokens?text={}",
        "x".repeat(sse_examples::scenarios::MAX_TEXT + 1)
    );
    assert_eq!(fetch(addr, "GET", &too_long, &[], None).await.status, 400);

    // Echo: exactly that event; a bad field is a 400 naming it.
    let answer = fetch(
        addr,
        "GET",
        "/echo?data=a%0Ab&event=e&id=7&retry=1500&comment=c",
        &[],
        None,
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        &answer.body[..],
        b": c\nid: 7\nevent: e\nretry: 1500\ndata: a\ndata: b\n\n"
    );
    for (query, field) in [
        ("event=a%0Db", "event"),
        ("id=a%00b", "id"),
        ("retry=soon", "retry"),
    ] {
        let answer = fetch(addr, "GET", &format!("/echo?{query}"), &[], None).await;
        assert_eq!(answer.status, 400, "{query}");
        assert_eq!(answer.json()["field"], field, "{query}");
    }

    // On-demand publishing from a handler reaches subscribers of the topic.
    let mut news = EventReader::open(addr, "/events?topic=news&topic=chat", &[]).await;
    assert_eq!(news.status, 200);
    let id = publish(addr, "news", "extra, extra").await;
    let event = news.next_event().await.expect("published event");
    assert_eq!(
        (event.data.as_str(), event.last_event_id.as_str()),
        ("extra, extra", id.as_str())
    );

    // Chat: a POST publishes to the chat topic; bad input names the field.
    let body = br#"{"user":"ada","text":"hello, room"}"#.to_vec();
    let answer = fetch(
        addr,
        "POST",
        "/chat",
        &[("content-type", b"application/json")],
        Some(body),
    )
    .await;
    assert_eq!(answer.status, 200);
    let event = news.next_event().await.expect("chat event");
    assert_eq!(event.event_type, "chat");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&event.data).expect("JSON")["text"],
        "hello, room"
    );
    let bad = br#"{"user":"","text":"x"}"#.to_vec();
    let answer = fetch(
        addr,
        "POST",
        "/chat",
        &[("content-type", b"application/json")],
        Some(bad),
    )
    .await;
    assert_eq!(
        (answer.status.as_u16(), answer.json()["field"].as_str()),
        (400, Some("user"))
    );

    // A server-side disconnect ends the stream; resuming loses and repeats nothing.
    assert_eq!(
        fetch(addr, "POST", "/disconnect", &[], None).await.status,
        204
    );
    assert_eq!(news.next_event().await, None, "the stream ended");
    let missed_while_away = publish(addr, "news", "while you were away").await;
    let last = news.last_event_id().to_owned();
    let mut resumed = EventReader::open(
        addr,
        "/events?topic=news&topic=chat",
        &[("last-event-id", last.as_bytes())],
    )
    .await;
    let event = resumed.next_event().await.expect("replayed");
    assert_eq!(
        (event.data.as_str(), event.last_event_id.as_str()),
        ("while you were away", missed_while_away.as_str())
    );
}

fn run(binary: &str) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(check_routes(binary));
}

#[test]
fn demo_axum_routes() {
    run(env!("CARGO_BIN_EXE_demo-axum"));
}

#[test]
fn demo_actix_routes() {
    run(env!("CARGO_BIN_EXE_demo-actix"));
}

#[test]
fn demo_rocket_routes() {
    run(env!("CARGO_BIN_EXE_demo-rocket"));
}
