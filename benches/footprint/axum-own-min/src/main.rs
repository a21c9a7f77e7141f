use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures_util::stream::{self, Stream};

async fn clock() -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let ticks = stream::repeat_with(|| Ok(Event::default().data("tick")));
    Sse::new(ticks).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[tokio::main]
async fn main() {
    let app = Router::new().route("/clock", get(clock));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
