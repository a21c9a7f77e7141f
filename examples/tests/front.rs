//! demo-rocket's front ([`sse_examples::limits::RocketFront`]): every request gets an
//! answer, and the front never disagrees with rocket about where a request ends.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{ACTIX, AXUM, ROCKET, Server, run};
use sse_examples::limits::{ConnectionLimits, RocketFront, serve_front};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long an exchange may take, whole: a bound, not a measurement (a server that waits
/// for more bytes is left waiting, through the front and without it alike).
const EXCHANGE: Duration = Duration::from_secs(3);

/// Writes `bytes` on a fresh connection and reads until the server closes it or
/// [`EXCHANGE`] has passed.
async fn exchange(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(bytes).await.expect("write");
    let mut read = Vec::new();
    let _ = tokio::time::timeout(EXCHANGE, async {
        let mut buffer = [0u8; 4096];
        while let Ok(n @ 1..) = stream.read(&mut buffer).await {
            read.extend_from_slice(&buffer[..n]);
        }
    })
    .await;
    String::from_utf8_lossy(&read).into_owned()
}

/// The status lines of every response in `answer`, in order.
fn status_lines(answer: &str) -> Vec<&str> {
    answer
        .split("\r\n")
        .filter(|line| line.starts_with("HTTP/1."))
        .collect()
}

/// A request that ends the exchange: the server answers it and closes.
const PROBE: &str = "GET /no-such-page HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";

/// A valid publish body.
const BODY: &str = r#"{"topic":"t","data":"x"}"#;

/// A `POST /publish` head with these framing headers (each ending in `\r\n`).
fn publish_head(framing: &str) -> String {
    format!("POST /publish HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n{framing}\r\n")
}

/// The requests of the smuggling cases, each followed by [`PROBE`].
fn smuggling_cases() -> Vec<(&'static str, String)> {
    let chunked = format!("{:x}\r\n{BODY}\r\n0\r\n\r\n", BODY.len());
    vec![
        (
            "CL.TE",
            publish_head("content-length: 6\r\ntransfer-encoding: chunked\r\n") + "0\r\n\r\nG",
        ),
        (
            "TE.CL",
            publish_head("content-length: 3\r\ntransfer-encoding: chunked\r\n")
                + "8\r\nSMUGGLED\r\n0\r\n\r\n",
        ),
        (
            "two content-lengths",
            publish_head(&format!(
                "content-length: 5\r\ncontent-length: {}\r\n",
                BODY.len()
            )) + BODY,
        ),
        (
            "transfer-encoding: chunked, identity",
            publish_head("transfer-encoding: chunked, identity\r\n") + &chunked,
        ),
        (
            "transfer-encoding: identity, chunked",
            publish_head("transfer-encoding: identity, chunked\r\n") + &chunked,
        ),
        (
            "transfer-encoding: xchunked",
            publish_head("transfer-encoding: xchunked\r\n") + &chunked,
        ),
        (
            "content-length with a space before the colon",
            publish_head(&format!("content-length : {}\r\n", BODY.len())) + BODY,
        ),
        (
            "obs-fold",
            "GET /stats HTTP/1.1\r\nhost: x\r\nx-folded: a\r\n b\r\n\r\n".to_owned(),
        ),
        (
            "obs-fold of transfer-encoding",
            publish_head(&format!(
                "content-length: {}\r\ntransfer-encoding:\r\n chunked\r\n",
                BODY.len()
            )) + &chunked,
        ),
        ("bare LF", "GET /stats HTTP/1.1\nhost: x\n\n".to_owned()),
        (
            "bare LF in a publish",
            format!(
                "POST /publish HTTP/1.1\nhost: x\ncontent-type: application/json\n\
                 content-length: {}\n\n{BODY}",
                BODY.len()
            ),
        ),
        (
            "empty lines before the request line",
            "\r\n\r\nGET /stats HTTP/1.1\r\nhost: x\r\n\r\n".to_owned(),
        ),
        (
            "pipelined",
            format!(
                "GET /stats HTTP/1.1\r\nhost: x\r\n\r\n{}{BODY}GET /nope HTTP/1.1\r\nhost: x\r\n\r\n",
                publish_head(&format!("content-length: {}\r\n", BODY.len()))
            ),
        ),
        (
            "expect: 100-continue, body sent at once",
            publish_head(&format!(
                "expect: 100-continue\r\ncontent-length: {}\r\n",
                BODY.len()
            )) + BODY,
        ),
        (
            "connection: upgrade",
            "GET /stats HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n"
                .to_owned(),
        ),
        (
            "an x-real-ip of the client's own",
            "GET /stats HTTP/1.1\r\nhost: x\r\nx-real-ip: 10.9.9.9\r\n\r\n".to_owned(),
        ),
        ("not HTTP", "HELLO\r\n\r\n".to_owned()),
    ]
}

/// Each smuggling case, through the front and to rocket alone (`--header-timeout-ms 0`):
/// the same responses, in the same order.
#[test]
fn the_front_answers_every_request_as_rocket_alone_does() {
    run(async {
        let fronted = Server::start_with(ROCKET, &["--no-periodic"]);
        let alone = Server::start_with(ROCKET, &["--no-periodic", "--header-timeout-ms", "0"]);
        let cases = smuggling_cases();
        let answers = cases.iter().map(|(name, request)| {
            let request = format!("{request}{PROBE}");
            async move {
                let (through, direct) = tokio::join!(
                    exchange(fronted.addr, request.as_bytes()),
                    exchange(alone.addr, request.as_bytes())
                );
                (*name, through, direct)
            }
        });
        for (name, through, direct) in futures_util::future::join_all(answers).await {
            assert!(!direct.is_empty(), "{name}: rocket alone answers something");
            assert_eq!(
                status_lines(&through),
                status_lines(&direct),
                "{name}:\nthrough the front: {through:?}\nrocket alone: {direct:?}"
            );
        }
    });
}

/// `Expect: 100-continue` with the body held back until the `100 Continue`: rocket's
/// interim answer comes through the front, then the publish's.
#[test]
fn expect_100_continue_comes_through_the_front() {
    run(async {
        let fronted = Server::start_with(ROCKET, &["--no-periodic"]);
        let alone = Server::start_with(ROCKET, &["--no-periodic", "--header-timeout-ms", "0"]);
        let mut answers = Vec::new();
        for addr in [fronted.addr, alone.addr] {
            let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
            let head = publish_head(&format!(
                "expect: 100-continue\r\nconnection: close\r\ncontent-length: {}\r\n",
                BODY.len()
            ));
            stream.write_all(head.as_bytes()).await.expect("write");
            let mut read = Vec::new();
            let mut buffer = [0u8; 1024];
            tokio::time::timeout(EXCHANGE, async {
                while !read.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(n @ 1..) => read.extend_from_slice(&buffer[..n]),
                        _ => break,
                    }
                }
            })
            .await
            .expect("100 Continue before the body");
            stream.write_all(BODY.as_bytes()).await.expect("body");
            let (rest, closed) = sse_conformance::client::read_until_closed(&mut stream).await;
            assert!(closed);
            answers.push(String::from_utf8_lossy(&read).into_owned() + &rest);
        }
        let (through, direct) = (&answers[0], &answers[1]);
        assert_eq!(
            status_lines(through),
            ["HTTP/1.1 100 Continue", "HTTP/1.1 200 OK"]
        );
        assert_eq!(status_lines(through), status_lines(direct), "{through:?}");
    });
}

/// A chunked publish body broken after its first bytes is a 400 `invalid_body` JSON on
/// every demo (demo-rocket's front used to drop it without a status line).
#[test]
fn a_broken_chunked_body_is_400_invalid_body_on_every_demo() {
    run(async {
        for binary in [AXUM, ACTIX, ROCKET] {
            let server = Server::start_with(binary, &["--no-periodic"]);
            let request = publish_head("transfer-encoding: chunked\r\n") + "5\r\n{\"top\r\nzz\r\n";
            let answer = exchange(server.addr, request.as_bytes()).await;
            assert!(answer.starts_with("HTTP/1.1 400"), "{binary}: {answer:?}");
            assert!(
                answer.contains(r#""error":"invalid_body""#),
                "{binary}: {answer:?}"
            );
        }
    });
}

/// A front over `backend`, on a port of its own; the returned task serves it.
async fn front(backend: SocketAddr, connect_timeout: Duration) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let limits = ConnectionLimits {
        header_timeout: Duration::from_secs(5),
        per_address: None,
        total: None,
    };
    let relay = RocketFront::new(backend, Duration::from_secs(5), Duration::from_secs(5))
        .connect_timeout(connect_timeout);
    tokio::spawn(serve_front(listener, limits, relay, std::future::pending()));
    addr
}

const GET_EVENTS: &str = "GET /events?topic=t HTTP/1.1\r\nhost: x\r\n\r\n";
const EVENT_SOURCE: &str =
    "GET /events?topic=t HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n\r\n";

/// Rocket not listening: 503 `backend_unavailable` JSON with `Retry-After` (a browser's
/// `EventSource` gets the retry stream instead), not a dropped connection.
#[test]
fn rocket_unreachable_is_503_backend_unavailable() {
    run(async {
        let gone = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("addr")
        };
        let addr = front(gone, Duration::from_secs(2)).await;
        let answer = exchange(addr, GET_EVENTS.as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
        assert!(
            answer.contains(r#""error":"backend_unavailable""#),
            "{answer:?}"
        );
        assert!(answer.contains("retry-after: 1\r\n"), "{answer:?}");
        let answer = exchange(addr, EVENT_SOURCE.as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
        assert!(
            answer.contains("content-type: text/event-stream\r\n"),
            "{answer:?}"
        );
        assert!(
            answer.contains("\r\n\r\nretry: 1000\nevent: refused\n"),
            "{answer:?}"
        );
    });
}

/// Connecting to rocket hangs (its accept queue is full): the connect times out, and the
/// client is answered 503.
#[test]
fn a_hung_connect_to_rocket_times_out_with_503() {
    run(async {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind("127.0.0.1:0".parse().expect("addr"))
            .expect("bind");
        let backend = socket.local_addr().expect("addr");
        let listener = socket.listen(1).expect("listen");
        // Fill the accept queue (never accepted): later SYNs are dropped, connects hang.
        let mut fillers = Vec::new();
        for _ in 0..4 {
            let connect = tokio::net::TcpStream::connect(backend);
            if let Ok(Ok(stream)) = tokio::time::timeout(Duration::from_millis(300), connect).await
            {
                fillers.push(stream);
            }
        }
        let addr = front(backend, Duration::from_millis(300)).await;
        let answer = exchange(addr, GET_EVENTS.as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
        assert!(
            answer.contains(r#""error":"backend_unavailable""#),
            "{answer:?}"
        );
        drop((listener, fillers));
    });
}

/// Rocket's connection closes before any answer: 502 `bad_gateway` JSON.
#[test]
fn rocket_failing_before_an_answer_is_502() {
    run(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let backend = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buffer = [0u8; 1024];
                let _ = stream.read(&mut buffer).await;
                // Closed without an answer.
                drop(stream);
            }
        });
        let addr = front(backend, Duration::from_secs(2)).await;
        let answer = exchange(addr, GET_EVENTS.as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 502"), "{answer:?}");
        assert!(answer.contains(r#""error":"bad_gateway""#), "{answer:?}");
    });
}
