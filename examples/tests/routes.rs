//! Every demo route, over HTTP, on each of the three demo servers (the real binaries).

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{ACTIX, AXUM, ROCKET, Server, Stream, on_every_demo, run};
use sse_conformance::client::{
    EventReader, PATIENCE, fetch, publish, read_until_closed, until_closed,
};
use sse_core::{Decoded, Decoder, MessageEvent};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

/// A demo server for the route checks. (`/disconnect` is off unless turned on.)
fn routes_server(binary: &str) -> Server {
    Server::start_with(binary, &["--allow-disconnect"])
}

/// The page.
async fn check_page(binary: &str) {
    let server = routes_server(binary);
    let addr = server.addr;
    let page = fetch(addr, "GET", "/", &[], None).await;
    assert_eq!(page.status, 200);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/html")
    );
    assert!(String::from_utf8_lossy(&page.body).contains("new EventSource("));
}

/// A periodic topic: the retry prelude, then events named `name` whose JSON data has `key`.
async fn check_periodic(binary: &str, path: &str, name: &str, key: &str) {
    let server = routes_server(binary);
    let addr = server.addr;
    let mut reader = EventReader::open(addr, path, &[]).await;
    // Comments may come first (sse-rocket's probes of a departed client, before the first
    // event); the retry prelude comes with the first event.
    let mut first = reader.next().await;
    while let Some(Decoded::Comment(_)) = first {
        first = reader.next().await;
    }
    assert_eq!(
        first,
        Some(Decoded::Retry(std::time::Duration::from_secs(1)))
    );
    for _ in 0..2 {
        let event = reader.next_event().await.expect("periodic event");
        assert_eq!(event.event_type, name);
        let json: serde_json::Value = serde_json::from_str(&event.data).expect("JSON data");
        assert!(json.get(key).is_some(), "{path}: {}", event.data);
    }
}

/// A finite stream, resumed near its end, then 204 once all is seen.
async fn check_words(binary: &str) {
    let server = routes_server(binary);
    let addr = server.addr;
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
}

/// Tokens: pieces with ids and a custom event name, then `done`; resumable.
async fn check_tokens(binary: &str) {
    let server = routes_server(binary);
    let addr = server.addr;
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
}

/// Echo: exactly that event; a bad field is a 400 naming it.
async fn check_echo(binary: &str) {
    let server = routes_server(binary);
    let addr = server.addr;
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
}

/// A subscriber of the topics `news` and `chat`, as the chat and disconnect checks use.
async fn open_news(addr: SocketAddr) -> EventReader {
    let news = EventReader::open(addr, "/events?topic=news&topic=chat", &[]).await;
    assert_eq!(news.status, 200);
    news
}

/// On-demand publishing from a handler reaches subscribers of the topic.
async fn check_events(binary: &str) {
    let server = routes_server(binary);
    let addr = server.addr;
    let mut news = open_news(addr).await;
    let id = publish(addr, "news", "extra, extra").await;
    let event = news.next_event().await.expect("published event");
    assert_eq!(
        (event.data.as_str(), event.last_event_id.as_str()),
        ("extra, extra", id.as_str())
    );
}

/// Chat: a POST publishes to the chat topic; bad input names the field.
async fn check_chat(binary: &str) {
    let server = routes_server(binary);
    let addr = server.addr;
    let mut news = open_news(addr).await;
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
}

/// A server-side disconnect ends the stream; resuming loses and repeats nothing.
async fn check_disconnect(binary: &str) {
    let server = routes_server(binary);
    let addr = server.addr;
    // A stream that has seen an event, so that it has an id to resume after.
    let mut news = open_news(addr).await;
    let seen = publish(addr, "news", "extra, extra").await;
    let event = news.next_event().await.expect("published event");
    assert_eq!(event.last_event_id, seen);

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

/// A request, and the error it gets: method, path, headers, body, status, `Allow` header.
type ErrorCase<'a> = (
    &'a str,
    &'a str,
    &'a [(&'a str, &'a [u8])],
    Option<Vec<u8>>,
    u16,
    Option<&'a str>,
);

/// The paths of [`check_errors_are_json`]'s cases (without the query): each has a test of
/// its own.
const ERROR_ROUTES: [&str; 5] = [
    "/no-such-page",
    "/events",
    "/publish",
    "/chat",
    "/disconnect",
];

/// Every error is JSON, `{"error": code, "message": text}`: a path no route serves, a
/// method the ready-made hub routes do not allow (with their `Allow` header), and the
/// chat route's wrong method, bad body and oversize body. Runs the cases on `route`, one of
/// [`ERROR_ROUTES`].
async fn check_errors_are_json(binary: &str, route: &str) {
    let server = Server::start(binary);
    let addr = server.addr;
    let json: &[(&str, &[u8])] = &[("content-type", b"application/json")];
    // Over the demo's 16 KiB body limit, but small enough to be written whole before the
    // server answers 413 and closes (a bigger one races the close: a broken pipe).
    let oversize = vec![b'x'; 17 * 1024];
    let text: &[(&str, &[u8])] = &[("content-type", b"text/plain")];
    let foreign: &[(&str, &[u8])] = &[("origin", b"https://evil.example"), text[0]];
    let chat = br#"{"user":"ada","text":"hello"}"#;
    let news = br#"{"topic":"news","data":"x"}"#;
    // Rocket has no 405: a method no route takes is a 404 (still JSON).
    let (chat_wrong_method, chat_allow) = match binary {
        ROCKET => (404, None),
        _ => (405, Some("POST")),
    };
    let cases: Vec<ErrorCase<'_>> = vec![
        ("GET", "/no-such-page", &[], None, 404, None),
        (
            "DELETE",
            "/events",
            &[],
            None,
            405,
            Some("GET, HEAD, OPTIONS"),
        ),
        (
            "PUT",
            "/events?topic=news",
            &[],
            None,
            405,
            Some("GET, HEAD, OPTIONS"),
        ),
        ("GET", "/publish", &[], None, 405, Some("POST, OPTIONS")),
        ("DELETE", "/publish", &[], None, 405, Some("POST, OPTIONS")),
        (
            "POST",
            "/publish",
            &[("content-type", b"text/plain")],
            Some(br#"{"topic":"news","data":"x"}"#.to_vec()),
            415,
            None,
        ),
        ("GET", "/chat", &[], None, chat_wrong_method, chat_allow),
        ("POST", "/chat", json, Some(b"not json".to_vec()), 400, None),
        ("POST", "/chat", json, Some(oversize), 413, None),
        // A simple (no-preflight) request: refused, from another site or not.
        ("POST", "/chat", text, Some(chat.to_vec()), 415, None),
        ("POST", "/chat", &[], Some(chat.to_vec()), 415, None),
        ("POST", "/chat", foreign, Some(chat.to_vec()), 403, None),
        ("POST", "/publish", foreign, Some(news.to_vec()), 403, None),
        ("POST", "/disconnect", foreign, None, 403, None),
        (
            "POST",
            "/disconnect",
            &[("origin", b"null")],
            None,
            403,
            None,
        ),
    ];
    let route_of = |path: &str| path.split('?').next().unwrap_or_default().to_owned();
    assert!(
        cases
            .iter()
            .all(|case| ERROR_ROUTES.contains(&route_of(case.1).as_str())),
        "every case's path is in ERROR_ROUTES, so a test runs it"
    );
    let cases: Vec<ErrorCase<'_>> = cases
        .into_iter()
        .filter(|case| route_of(case.1) == route)
        .collect();
    assert!(!cases.is_empty(), "no error case on {route}");
    for (method, path, headers, body, status, allow) in cases {
        let answer = fetch(addr, method, path, headers, body).await;
        let what = format!(
            "{method} {path}: {:?}",
            String::from_utf8_lossy(&answer.body)
        );
        assert_eq!(answer.status.as_u16(), status, "{what}");
        assert_eq!(
            answer.headers.get("content-type").map(|v| v.as_bytes()),
            Some(&b"application/json"[..]),
            "{what}"
        );
        assert!(answer.json()["error"].is_string(), "{what}");
        if let Some(allow) = allow {
            let allowed: Vec<_> = answer.headers.get_all("allow").iter().collect();
            assert_eq!(allowed, [allow], "{what}");
        }
    }
}

/// The page origin [`check_cross_origin`] allows with `--cors-origin`.
const ALLOWED: &str = "http://localhost:5555";

/// With `--cors-origin`: preflights on every route a cross-origin page uses are answered for
/// that origin only, with credentials and the headers a client needs; its `EventSource`
/// may read the stream; a state-changing request from any other site changes nothing
/// (403), while the allowed origin and the server's own may publish and chat.
async fn check_cross_origin(binary: &str) {
    let server = Server::start_with(
        binary,
        &[
            "--no-periodic",
            "--allow-disconnect",
            "--cors-origin",
            ALLOWED,
        ],
    );
    let addr = server.addr;
    let header = |answer: &axum::http::HeaderMap, name: &str| {
        answer
            .get(name)
            .map(|value| value.to_str().unwrap_or("?").to_ascii_lowercase())
    };
    for (path, method) in [
        ("/events?topic=news", "GET"),
        ("/publish", "POST"),
        ("/chat", "POST"),
        ("/disconnect", "POST"),
    ] {
        let preflight = |origin: &'static str| async move {
            let headers: [(&str, &[u8]); 3] = [
                ("origin", origin.as_bytes()),
                ("access-control-request-method", method.as_bytes()),
                (
                    "access-control-request-headers",
                    b"content-type,idempotency-key,last-event-id,authorization",
                ),
            ];
            fetch(addr, "OPTIONS", path, &headers, None).await
        };
        let answer = preflight(ALLOWED).await;
        let what = format!("OPTIONS {path}: {answer:?}");
        assert!(answer.status.is_success(), "{what}");
        assert_eq!(
            header(&answer.headers, "access-control-allow-origin").as_deref(),
            Some(ALLOWED),
            "{what}"
        );
        assert_eq!(
            header(&answer.headers, "access-control-allow-credentials").as_deref(),
            Some("true"),
            "{what}"
        );
        let methods = header(&answer.headers, "access-control-allow-methods").unwrap_or_default();
        let headers = header(&answer.headers, "access-control-allow-headers").unwrap_or_default();
        for name in ["get", "post"] {
            assert!(methods.contains(name), "{what}");
        }
        for name in [
            "content-type",
            "idempotency-key",
            "last-event-id",
            "authorization",
        ] {
            assert!(headers.contains(name), "{what}");
        }
        let answer = preflight("http://localhost:5556").await;
        assert_eq!(
            answer.headers.get("access-control-allow-origin"),
            None,
            "OPTIONS {path} from another origin: {answer:?}"
        );
    }

    // The allowed page's `EventSource` (with credentials) may read the stream.
    let mut news = EventReader::open(
        addr,
        "/events?topic=news&topic=chat",
        &[("origin", ALLOWED.as_bytes())],
    )
    .await;
    assert_eq!(news.status, 200);
    assert_eq!(
        header(&news.headers, "access-control-allow-origin").as_deref(),
        Some(ALLOWED)
    );
    assert_eq!(
        header(&news.headers, "access-control-allow-credentials").as_deref(),
        Some("true")
    );
    let other = EventReader::open(
        addr,
        "/events?topic=news",
        &[("origin", b"http://localhost:5556")],
    )
    .await;
    assert_eq!(other.headers.get("access-control-allow-origin"), None);
    drop(other);

    // Another site's simple requests change nothing: no event, no disconnect.
    let foreign: &[(&str, &[u8])] = &[
        ("origin", b"http://localhost:5556"),
        ("content-type", b"text/plain"),
    ];
    for (path, body) in [
        ("/publish", &br#"{"topic":"news","data":"forged"}"#[..]),
        ("/chat", br#"{"user":"mallory","text":"forged"}"#),
        ("/disconnect", b""),
    ] {
        let answer = fetch(addr, "POST", path, foreign, Some(body.to_vec())).await;
        assert_eq!(answer.status, 403, "POST {path}: {answer:?}");
        assert_eq!(answer.json()["error"], "forbidden_origin");
    }
    // Even with the JSON type (after a preflight the browser would refuse): still 403.
    let answer = fetch(
        addr,
        "POST",
        "/chat",
        &[
            ("origin", b"http://localhost:5556"),
            ("content-type", b"application/json"),
        ],
        Some(br#"{"user":"mallory","text":"forged"}"#.to_vec()),
    )
    .await;
    assert_eq!(answer.status, 403);

    // The allowed origin and the server's own may chat, with JSON only.
    let own = format!("http://{addr}");
    for origin in [ALLOWED, own.as_str()] {
        let answer = fetch(
            addr,
            "POST",
            "/chat",
            &[
                ("origin", origin.as_bytes()),
                ("content-type", b"text/plain"),
            ],
            Some(br#"{"user":"ada","text":"plain"}"#.to_vec()),
        )
        .await;
        assert_eq!(answer.status, 415, "{origin}: {answer:?}");
        assert_eq!(answer.json()["error"], "unsupported_media_type");
        let answer = fetch(
            addr,
            "POST",
            "/chat",
            &[
                ("origin", origin.as_bytes()),
                ("content-type", b"application/json; charset=utf-8"),
            ],
            Some(format!(r#"{{"user":"ada","text":"from {origin}"}}"#).into_bytes()),
        )
        .await;
        assert_eq!(answer.status, 200, "{origin}: {answer:?}");
    }
    // The first events on the stream are those two: nothing forged came before them, and
    // the refused disconnect left the stream open.
    for origin in [ALLOWED, own.as_str()] {
        let event = news.next_event().await.expect("the stream is still open");
        assert_eq!(event.event_type, "chat");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&event.data).expect("JSON")["text"],
            format!("from {origin}")
        );
    }
    // And the allowed origin may disconnect.
    let answer = fetch(
        addr,
        "POST",
        "/disconnect",
        &[("origin", ALLOWED.as_bytes())],
        None,
    )
    .await;
    assert_eq!(answer.status, 204);
    assert_eq!(news.next_event().await, None, "the stream ended");
}

/// `(event type, data, id)` of each event.
fn triples(events: &[MessageEvent]) -> Vec<(String, String, String)> {
    events
        .iter()
        .map(|e| {
            (
                e.event_type.clone(),
                e.data.clone(),
                e.last_event_id.clone(),
            )
        })
        .collect()
}

/// What `/job?steps=N` sends after the client saw `seen` events: `progress` for each step
/// left, then `done`, numbered `seen + 1..=N + 1`.
fn job_events(steps: usize, seen: usize) -> Vec<(String, String, String)> {
    (seen + 1..=steps + 1)
        .map(|n| {
            if n <= steps {
                let data = format!(r#"{{"step":{n},"of":{steps}}}"#);
                ("progress".to_owned(), data, n.to_string())
            } else {
                let data = format!(r#"{{"steps":{steps}}}"#);
                ("done".to_owned(), data, n.to_string())
            }
        })
        .collect()
}

async fn stats(addr: SocketAddr) -> serde_json::Value {
    let answer = fetch(addr, "GET", "/stats", &[], None).await;
    assert_eq!(answer.status, 200);
    assert!(
        answer.headers["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("application/json")
    );
    answer.json()
}

/// Polls `/stats` until `jobs_running` is `want`, for up to 20 s (a liveness guard, not a
/// measure of speed); returns the last value seen.
async fn wait_for_jobs(addr: SocketAddr, want: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let running = stats(addr).await["jobs_running"]
            .as_u64()
            .expect("jobs_running is a count");
        if running == want || Instant::now() >= deadline {
            return running;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn check_job_and_stats(binary: &str) {
    let server = Server::start(binary);
    let addr = server.addr;

    // The whole job: progress 1..N, then done N+1, then a clean end.
    let mut job = Stream::open(addr, "/job?steps=5&interval_ms=10", &[]).await;
    assert_eq!(job.status, 200);
    let events = job.rest().await;
    assert_eq!(triples(&events), job_events(5, 0));
    assert!(job.ended_cleanly(), "{:?}", job.end);
    assert!(
        job.raw.starts_with(b"retry: 1000\n"),
        "the demo's retry comes first"
    );

    // Resuming continues after the last id seen.
    for seen in [3, 5] {
        let id = seen.to_string();
        let mut job = Stream::open(
            addr,
            "/job?steps=5&interval_ms=10",
            &[("last-event-id", id.as_bytes())],
        )
        .await;
        assert_eq!(job.status, 200);
        assert_eq!(
            triples(&job.rest().await),
            job_events(5, seen),
            "after {seen}"
        );
        assert!(job.ended_cleanly(), "{:?}", job.end);
    }

    // A client that saw `done` is told to stop.
    for seen in ["6", "7", "99999999999999999999999"] {
        let answer = fetch(
            addr,
            "GET",
            "/job?steps=5&interval_ms=10",
            &[("last-event-id", seen.as_bytes())],
            None,
        )
        .await;
        assert_eq!(answer.status, 204, "after {seen}");
    }

    // The defaults: 20 steps.
    let mut job = Stream::open(addr, "/job", &[]).await;
    let first = job.next_event().await.expect("first step");
    assert_eq!(
        (first.event_type.as_str(), first.data.as_str()),
        ("progress", r#"{"step":1,"of":20}"#)
    );
    drop(job);

    // Bad parameters: 400 with a JSON error naming the parameter.
    for (query, field) in [
        ("steps=0", "steps"),
        ("steps=10001", "steps"),
        ("steps=ten", "steps"),
        ("steps=-1", "steps"),
        ("steps=", "steps"),
        ("interval_ms=9", "interval_ms"),
        ("interval_ms=soon", "interval_ms"),
        ("steps=3&interval_ms=1.5", "interval_ms"),
    ] {
        let answer = fetch(addr, "GET", &format!("/job?{query}"), &[], None).await;
        assert_eq!(answer.status, 400, "{query}");
        let json = answer.json();
        assert_eq!(json["field"], field, "{query}");
        assert_eq!(json["error"], format!("invalid_{field}"), "{query}");
        assert!(json["message"].is_string(), "{query}");
    }

    // /stats: the job count and the hub's counts.
    let json = stats(addr).await;
    assert!(json["jobs_running"].is_u64(), "{json}");
    for field in [
        "topics",
        "subscribers",
        "published",
        "delivered",
        "lagged",
        "dropped",
        "buffered_events",
        "buffered_bytes",
    ] {
        assert!(json["hub"][field].is_u64(), "hub.{field}: {json}");
    }
    assert!(
        json["hub"]["published"].as_u64() > Some(0),
        "the clock publishes: {json}"
    );
    assert_eq!(wait_for_jobs(addr, 0).await, 0, "every job above has ended");

    // A client that leaves mid-job stops it.
    let mut job = Stream::open(addr, "/job?steps=10000&interval_ms=50", &[]).await;
    for step in 1..=2 {
        let event = job.next_event().await.expect("progress");
        assert_eq!(event.last_event_id, step.to_string());
    }
    assert_eq!(stats(addr).await["jobs_running"], 1);
    drop(job);
    assert_eq!(
        wait_for_jobs(addr, 0).await,
        0,
        "the job stops once its client has left"
    );
}

/// SIGTERM while a hub subscriber and other streams are open: the subscriber receives
/// `event: shutdown`, every stream ends cleanly, and the process exits with 0.
async fn check_shutdown(binary: &str) {
    let mut server = Server::start(binary);
    let addr = server.addr;

    let mut chat = Stream::open(addr, "/events?topic=chat", &[]).await;
    let mut clock = Stream::open(addr, "/clock", &[]).await;
    let mut words = Stream::open(addr, "/words", &[]).await;
    let mut job = Stream::open(addr, "/job?steps=10000&interval_ms=100", &[]).await;
    for stream in [&chat, &clock, &words, &job] {
        assert_eq!(stream.status, 200);
    }
    // Every stream is live: a clock tick, a word, a step.
    for stream in [&mut clock, &mut words, &mut job] {
        assert!(stream.next_event().await.is_some());
    }

    server.terminate();

    for (name, stream) in [("/events?topic=chat", &mut chat), ("/clock", &mut clock)] {
        let events = stream.rest().await;
        let last = events.last().unwrap_or_else(|| panic!("{name}: no events"));
        assert_eq!(last.event_type, "shutdown", "{name}: {events:?}");
        let json: serde_json::Value = serde_json::from_str(&last.data).expect("JSON data");
        assert_eq!(json["reason"], "shutdown", "{name}");
        assert!(stream.ended_cleanly(), "{name}: {:?}", stream.end);
    }
    for (name, stream) in [("/words", &mut words), ("/job", &mut job)] {
        let events = stream.rest().await;
        assert!(
            events.iter().all(|event| event.event_type != "shutdown"),
            "{name}: {events:?}"
        );
        assert!(stream.ended_cleanly(), "{name}: {:?}", stream.end);
        assert!(stream.raw.ends_with(b"\n\n"), "{name}");
    }

    let status = tokio::task::block_in_place(|| server.wait_for_exit(Duration::from_secs(10)));
    let status = status.expect("the server exits within 10 s of SIGTERM");
    assert!(status.success(), "exit status: {status}");
}

/// A head and the first 24 bytes of a declared 1,000-byte JSON body.
fn stalled_body(addr: SocketAddr, path: &str) -> String {
    let start = match path {
        "/chat" => r#"{"user":"ada","text":"hi"#,
        _ => r#"{"topic":"t","data":"abc"#,
    };
    format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: 1000\r\n\r\n{}",
        &start[..24]
    )
}

/// With `--header-timeout-ms 1000`: a request head left unfinished, and one trickled a
/// header line at a time, are both closed (actix-web answers 408 first).
async fn check_header_timeout(binary: &str) {
    let server = Server::start_with(binary, &["--no-periodic", "--header-timeout-ms", "1000"]);
    let addr = server.addr;
    let (answer, closed) = until_closed(addr, b"GET /stats HTTP/1.1\r\nhost: x\r\n").await;
    assert!(closed, "an unfinished head is closed: {answer:?}");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );

    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /stats HTTP/1.1\r\nhost: x\r\n")
        .await
        .expect("write");
    let (mut reader, mut writer) = stream.into_split();
    // A header line every 50 ms, for up to a minute: the head never ends.
    let trickle = tokio::spawn(async move {
        for n in 0..1200 {
            let line = format!("x-trickle-{n}: y\r\n");
            if writer.write_all(line.as_bytes()).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let mut read = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 1024];
        while let Ok(n @ 1..) = reader.read(&mut buf).await {
            read.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .is_ok();
    trickle.abort();
    let answer = String::from_utf8_lossy(&read);
    assert!(closed, "a trickled head is closed: {answer:?}");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );

    // A prompt request is unaffected.
    let stats = fetch(addr, "GET", "/stats", &[], None).await;
    assert_eq!(stats.status, 200);
}

/// With `--body-timeout-ms 300`: a `/publish` or `/chat` body that stalls is answered 408
/// `body_timeout`, and the connection is closed.
async fn check_body_timeout(binary: &str) {
    let server = Server::start_with(binary, &["--no-periodic", "--body-timeout-ms", "300"]);
    let addr = server.addr;
    for path in ["/publish", "/chat"] {
        let (answer, closed) = until_closed(addr, stalled_body(addr, path).as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
        assert!(
            answer.contains(r#""error":"body_timeout""#),
            "{path}: {answer}"
        );
        assert!(closed, "{path}: closed after the 408");
    }
    let stats = stats(addr).await;
    assert_eq!(stats["hub"]["published"], 0, "{stats}");
}

/// With `--body-timeout-ms 300`: a body that stalls after 5 bytes, before rocket's
/// pre-routing read of 14, on a route that reads it and on one that does not, is closed.
async fn check_body_stalled_before_routing(binary: &str) {
    let server = Server::start_with(binary, &["--no-periodic", "--body-timeout-ms", "300"]);
    let addr = server.addr;
    for path in ["/publish", "/disconnect"] {
        let request = format!(
            "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
             content-length: 100\r\n\r\n{{\"to"
        );
        let (answer, closed) = until_closed(addr, request.as_bytes()).await;
        assert!(closed, "{path}: a stalled body is closed: {answer:?}");
    }
}

/// SIGTERM while a `/publish` and a `/chat` body stall (with a body timeout of ten
/// minutes): each is answered 503 `hub_closed` at once, and the process exits with 0.
async fn check_shutdown_with_stalled_bodies(binary: &str) {
    let mut server = Server::start_with(binary, &["--no-periodic", "--body-timeout-ms", "600000"]);
    let addr = server.addr;
    let mut stalled = Vec::new();
    for path in ["/publish", "/chat"] {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(stalled_body(addr, path).as_bytes())
            .await
            .expect("write");
        stalled.push((path, stream));
    }
    // Let the handlers start reading (not an assertion: a request that the server had not
    // read yet would be closed unanswered, and the check would say so).
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.terminate();
    for (path, stream) in &mut stalled {
        let (answer, closed) = read_until_closed(stream).await;
        assert!(answer.starts_with("HTTP/1.1 503"), "{path}: {answer:?}");
        assert!(
            answer.contains(r#""error":"hub_closed""#),
            "{path}: {answer}"
        );
        assert!(closed, "{path}: closed");
    }
    let status = tokio::task::block_in_place(|| server.wait_for_exit(Duration::from_secs(10)));
    let status = status.expect("the server exits within 10 s of SIGTERM");
    assert!(status.success(), "exit status: {status}");
}

/// With `--max-connections-per-address 2`: two open event streams are all one address
/// may hold; a third connection is answered 429 `too_many_connections` with `Retry-After`
/// and closed; once a stream closes, a connection is accepted again.
async fn check_connection_cap(binary: &str) {
    let server = Server::start_with(
        binary,
        &["--no-periodic", "--max-connections-per-address", "2"],
    );
    let addr = server.addr;
    let _first = Stream::open(addr, "/events?topic=a", &[]).await;
    let second = Stream::open(addr, "/job?steps=10000&interval_ms=50", &[]).await;
    assert_eq!((_first.status, second.status), (200, 200));
    let request = b"GET /stats HTTP/1.1\r\nhost: x\r\n\r\n";
    let (answer, closed) = until_closed(addr, request).await;
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert!(
        answer.contains(r#""error":"too_many_connections""#),
        "{answer}"
    );
    assert!(
        answer.to_ascii_lowercase().contains("retry-after: 1\r\n"),
        "{answer}"
    );
    assert!(closed, "closed after the 429");
    // The job reports every 50 ms, so the server soon learns that its client left.
    drop(second);
    let mut accepted = false;
    for _ in 0..500 {
        if fetch(addr, "GET", "/stats", &[], None).await.status == 200 {
            accepted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        accepted,
        "a connection is accepted once a stream has closed"
    );
}

/// With `--max-publish-rate 1`: of twenty quick publishes to `/publish` and `/chat`, some
/// are refused with 429 `too_many_requests` and `Retry-After`, and only the others publish.
async fn check_publish_rate(binary: &str) {
    let server = Server::start_with(binary, &["--no-periodic", "--max-publish-rate", "1"]);
    let addr = server.addr;
    let (mut accepted, mut refused) = (0, 0);
    for n in 0..20 {
        let (path, body) = match n % 2 {
            0 => ("/publish", r#"{"topic":"t","data":"x"}"#),
            _ => ("/chat", r#"{"user":"ada","text":"hi"}"#),
        };
        let answer = fetch(
            addr,
            "POST",
            path,
            &[("content-type", b"application/json")],
            Some(body.as_bytes().to_vec()),
        )
        .await;
        match answer.status.as_u16() {
            200 => accepted += 1,
            429 => {
                refused += 1;
                let text = String::from_utf8_lossy(&answer.body);
                assert!(
                    text.contains(r#""error":"too_many_requests""#),
                    "{path}: {text}"
                );
                assert_eq!(answer.headers["retry-after"], "1", "{path}");
            }
            other => panic!("{path}: {other}"),
        }
    }
    assert!(
        accepted > 0 && refused > 0,
        "{accepted} accepted, {refused} refused"
    );
    let stats = stats(addr).await;
    assert_eq!(stats["hub"]["published"], accepted, "{stats}");
}

on_every_demo! {
    routes_page => check_page,
    routes_clock => |binary| check_periodic(binary, "/clock", "clock", "utc"),
    routes_metrics => |binary| check_periodic(binary, "/metrics", "metrics", "cpu"),
    routes_words => check_words,
    routes_tokens => check_tokens,
    routes_echo => check_echo,
    routes_events => check_events,
    routes_chat => check_chat,
    routes_disconnect => check_disconnect,
    errors_are_json_no_such_page => |binary| check_errors_are_json(binary, "/no-such-page"),
    errors_are_json_events => |binary| check_errors_are_json(binary, "/events"),
    errors_are_json_publish => |binary| check_errors_are_json(binary, "/publish"),
    errors_are_json_chat => |binary| check_errors_are_json(binary, "/chat"),
    errors_are_json_disconnect => |binary| check_errors_are_json(binary, "/disconnect"),
    cross_origin => check_cross_origin,
    job_and_stats => check_job_and_stats,
    sigterm_ends_every_stream_and_exits_0 => check_shutdown,
    header_timeout_closes_unfinished_and_trickled_heads => check_header_timeout,
    stalled_body_is_408_and_closed => check_body_timeout,
    sigterm_with_stalled_bodies_answers_them_and_exits_0 => check_shutdown_with_stalled_bodies,
    connections_per_address_are_capped => check_connection_cap,
    publishes_past_the_rate_are_429 => check_publish_rate,
    body_stalled_before_routing_is_closed => check_body_stalled_before_routing,
}
