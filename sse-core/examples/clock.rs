//! A hub publishing the time every second; a subscriber's response body printed as it
//! would go over the wire. Run: `cargo run -p sse-core --example clock`
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use sse_core::{Event, Hub, KeepAlive, SseStream};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let hub = Hub::new();
    hub.publish_every("clock", Duration::from_secs(1), || {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Event::new(format!("{}", now.as_secs())).event("tick").ok()
    })?;

    let subscription = hub.subscribe(["clock"], None)?;
    let mut body = SseStream::new(subscription)
        .keep_alive(KeepAlive::new().interval(Duration::from_millis(700)))
        .retry(Duration::from_secs(2));

    let stopper = hub.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(5)).await;
        stopper.shutdown(Some(Event::new("bye").event("shutdown")?));
        Ok::<_, sse_core::EventError>(())
    });
    while let Some(bytes) = body.next().await {
        print!("{}", String::from_utf8_lossy(&bytes));
    }
    println!("(stream ended at an event boundary)");
    Ok(())
}
