//! [`ShutdownLayer`]: ends every event-stream response at the app's shutdown signal.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::http::header::CONTENT_TYPE;
use axum::http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyStream, StreamBody};
use pin_project_lite::pin_project;
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

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Shutdown<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Body,
{
    type Response = Response<ShutdownBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        ResponseFuture {
            inner: self.inner.call(request),
            signal: Some(self.signal.clone()),
        }
    }
}

pin_project! {
    /// The response future of [`Shutdown`]: the inner service's response, its body wrapped in
    /// a [`ShutdownBody`].
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        signal: Option<ShutdownSignal>,
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Body,
{
    type Output = Result<Response<ShutdownBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.inner.poll(cx))?;
        let is_event_stream = response
            .headers()
            .get(CONTENT_TYPE)
            .is_some_and(|value| value.as_bytes().starts_with(b"text/event-stream"));
        let signal = this.signal.take().filter(|_| is_event_stream);
        Poll::Ready(Ok(response.map(|body| {
            let kind = match signal {
                Some(signal) => Kind::EventStream {
                    body: StreamBody::new(
                        Until::new(BodyStream::new(body)).until(signal.triggered()),
                    ),
                },
                None => Kind::Other { body },
            };
            ShutdownBody { kind }
        })))
    }
}

pin_project! {
    /// A response body under [`ShutdownLayer`]: an event stream ends between two of its
    /// frames (whole events) when the signal fires, after what is ready then (a hub
    /// subscription's final event); any other body is passed through as it is.
    pub struct ShutdownBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProjection]
    enum Kind<B> {
        EventStream { #[pin] body: StreamBody<Until<BodyStream<B>>> },
        Other { #[pin] body: B },
    }
}

impl<B> std::fmt::Debug for ShutdownBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            Kind::EventStream { .. } => "event stream",
            Kind::Other { .. } => "other",
        };
        f.debug_struct("ShutdownBody").field("kind", &kind).finish()
    }
}

impl<B: Body> Body for ShutdownBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        match self.project().kind.project() {
            KindProjection::EventStream { body } => body.poll_frame(cx),
            KindProjection::Other { body } => body.poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::EventStream { body } => body.is_end_stream(),
            Kind::Other { body } => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::EventStream { body } => body.size_hint(),
            Kind::Other { body } => body.size_hint(),
        }
    }
}
