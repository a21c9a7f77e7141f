//! The shared conformance suite, run against axum.

use std::net::SocketAddr;

use axum::Router;
use axum::http::request::Parts;
use axum::routing::get;
use futures_util::stream;
use sse_axum::{LastEventId, ShutdownLayer, Sse};
use sse_conformance::{
    AppConfig, EmitterScript, Integration, RunningApp, ServerThread, clock, emitter_events,
    final_event, fixed_events, slow_events, test_authorize, test_jwt, test_runtime,
};
use sse_core::{Event, Hub, KeepAlive};
use sse_endpoints::{Access, HubEndpoints};
use tower_http::compression::CompressionLayer;

struct Axum;

struct Running {
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    thread: ServerThread,
}

impl RunningApp for Running {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn shutdown(self: Box<Self>) {
        let _ = self.stop.send(());
        self.thread.join();
    }
}

fn app(hub: Hub, config: &AppConfig) -> Router {
    let keep_alive = KeepAlive::new().interval(config.keep_alive);
    let mut endpoints = HubEndpoints::new(hub.clone())
        .keep_alive(keep_alive.clone())
        .max_body(config.max_body)
        .body_timeout(config.body_timeout)
        .max_publishes_in_flight(config.max_publishes_in_flight)
        .authorize(|parts: &Parts, access: Access<'_>| {
            test_authorize(parts.headers.get("x-auth").map(|v| v.as_bytes()), access)
        });
    if let Some(rate) = config.publish_rate {
        endpoints = endpoints.publish_rate(rate);
    }
    if let Some(retry) = config.retry {
        endpoints = endpoints.retry(retry);
    }
    let jwt_endpoints = HubEndpoints::new(hub.clone())
        .keep_alive(keep_alive.clone())
        .authorize(test_jwt::<sse_axum::AxumRequest>());
    let retry = config.retry;
    let fixed_keep_alive = keep_alive.clone();
    let signal = hub.shutdown_signal();
    let emitter_route = |script: EmitterScript| {
        let (hub, keep_alive) = (hub.clone(), keep_alive.clone());
        get(move || async move { Sse::new(emitter_events(&hub, script)).keep_alive(keep_alive) })
    };
    Router::new()
        .route("/emitter/watch", emitter_route(EmitterScript::Watch))
        .route("/emitter/complete", emitter_route(EmitterScript::Complete))
        .route("/emitter/idle", emitter_route(EmitterScript::Idle))
        .route(
            "/fixed",
            get(move || async move {
                let sse = Sse::new(stream::iter(fixed_events())).keep_alive(fixed_keep_alive);
                match retry {
                    Some(delay) => sse.retry(delay),
                    None => sse,
                }
            }),
        )
        .route(
            "/failing",
            get(|| async {
                Sse::new(stream::iter([
                    Ok(Event::new("ok")),
                    Err("the source failed"),
                ]))
            }),
        )
        .route(
            "/last-event-id",
            get(|LastEventId(id): LastEventId| async move {
                Sse::new(stream::iter([Event::new(
                    id.map(|id| id.to_string()).unwrap_or_default(),
                )]))
            }),
        )
        .route(
            "/clock",
            get(move || async move { Sse::new(clock()).keep_alive(keep_alive) }),
        )
        .route(
            "/until-ready",
            get(|| async { Sse::new(slow_events()).until(std::future::ready(())) }),
        )
        .merge(sse_axum::routes(endpoints))
        .nest("/jwt", sse_axum::routes(jwt_endpoints))
        .layer(ShutdownLayer::new(signal))
        .layer(CompressionLayer::new())
}

impl Integration for Axum {
    fn has_compression(&self) -> bool {
        true
    }

    fn start(&self, hub: Hub, config: AppConfig) -> Box<dyn RunningApp> {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (addr, thread) = ServerThread::spawn(move |ready| {
            test_runtime().block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                let _ = ready.send(listener.local_addr().expect("addr"));
                let shutdown_hub = hub.clone();
                axum::serve(listener, app(hub, &config))
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                        shutdown_hub.shutdown(Some(final_event()));
                    })
                    .await
                    .expect("serve");
            });
        });
        Box::new(Running { addr, stop, thread })
    }
}

sse_conformance::conformance_suite!(Axum);
