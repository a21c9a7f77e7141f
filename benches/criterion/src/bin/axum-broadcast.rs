//! The peer for the end-to-end comparison: SSE the way most Rust apps hand-write it today,
//! axum's own `Sse` over `tokio::sync::broadcast`, each receiver encoding its own copy.
//! Same routes as the hub for the load tool: `GET /events`, `POST /publish` with
//! `{"topic","data"}` (the topic is ignored: one channel).
//!
//! `cargo run --release -p sse-bench --bin axum-broadcast -- 127.0.0.1:3100`

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use futures_util::Stream;
use tokio::sync::broadcast;

async fn events(
    State(sender): State<broadcast::Sender<String>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = sender.subscribe();
    // The usual pattern: a lagged receiver's error is skipped, so its lost events vanish.
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(data) => return Some((Ok(Event::default().data(data)), receiver)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

async fn publish(State(sender): State<broadcast::Sender<String>>, body: Bytes) -> &'static str {
    let data = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|json| json.get("data").and_then(|d| d.as_str()).map(str::to_owned))
        .unwrap_or_default();
    let _ = sender.send(data);
    "{}"
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3100".to_owned());
    let (sender, _) = broadcast::channel::<String>(1024);
    let app = Router::new()
        .route("/events", get(events))
        .route("/publish", post(publish))
        .with_state(sender);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "axum-broadcast listening on http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, app).await
}
