//! [`ShutdownLayer`]: ends every event-stream response at the app's shutdown signal.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{Request, Response};
use sse_core::ShutdownSignal;
use sse_core::stream::Until;
use tower_layer::Layer;
use tower_service::Service;

/// Ends every event-stream response (`content-type: text/event-stream`) at an event
/// boundary when `signal` fires, so graceful shutdown never waits for a stream. Register it
/// once, with the hub's signal, and no handler needs a per-stream `until`; hub subscriptions
/// still deliver the hub's final event.
///
/// ```
/// use axum::Router;
/// use sse_core::Hub;
///
/// let hub = Hub::new();
/// let app: Router = Router::new()
///     // .route(...) your routes, SSE or not
///     .layer(sse_axum::ShutdownLayer::new(hub.shutdown_signal()));
/// ```
#[derive(Debug, Clone)]
pub struct ShutdownLayer {
    signal: ShutdownSignal,
}

impl ShutdownLayer {
    /// Ends event streams when `signal` fires, e.g. [`Hub::shutdown_signal`](sse_core::Hub::shutdown_signal).
    pub fn new(signal: ShutdownSignal) -> Self {
        ShutdownLayer { signal }
    }
}

impl<S> Layer<S> for ShutdownLayer {
    type Service = Shutdown<S>;

    fn layer(&self, inner: S) -> Shutdown<S> {
        Shutdown {
            inner,
            signal: self.signal.clone(),
        }
    }
}

/// The service [`ShutdownLayer`] wraps around an app's routes.
#[derive(Debug, Clone)]
pub struct Shutdown<S> {
    inner: S,
    signal: ShutdownSignal,
}

impl<S, B> Service<Request<B>> for Shutdown<S>
where
    S: Service<Request<B>, Response = Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let response = self.inner.call(request);
        let signal = self.signal.clone();
        Box::pin(async move {
            let response = response.await?;
            let is_event_stream = response
                .headers()
                .get(CONTENT_TYPE)
                .is_some_and(|value| value.as_bytes().starts_with(b"text/event-stream"));
            if !is_event_stream {
                return Ok(response);
            }
            Ok(response.map(|body| {
                Body::from_stream(Until::new(body.into_data_stream()).until(signal.triggered()))
            }))
        })
    }
}
