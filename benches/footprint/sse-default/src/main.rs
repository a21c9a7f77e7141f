use axum::Router;
use axum::routing::get;
use sse_axum::{Event, Sse, stream};

async fn clock() -> Sse<impl sse_axum::Stream<Item = Event>> {
    Sse::new(stream::repeat_with(|| Event::new("tick")))
}

#[tokio::main]
async fn main() {
    let app = Router::new().route("/clock", get(clock));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
