//! The shared conformance suite, run against actix-web.

use std::net::SocketAddr;

use actix_web::dev::ServerHandle;
use actix_web::middleware::Compress;
use actix_web::{App, HttpRequest, HttpServer, web};
use futures_util::stream;
use sse_actix::{LastEventId, Sse};
use sse_conformance::{
    AppConfig, EmitterScript, Integration, RunningApp, ServerThread, clock, emitter_events,
    final_event, fixed_events, slow_events, test_authorize, test_jwt,
};
use sse_core::{Event, Hub, KeepAlive};
use sse_endpoints::{Access, Authorize, HubEndpoints};

struct Actix;

struct Running {
    addr: SocketAddr,
    hub: Hub,
    handle: ServerHandle,
    thread: ServerThread,
}

impl RunningApp for Running {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn shutdown(self: Box<Self>) {
        // As the crate docs say: end the streams, then stop gracefully.
        self.hub.shutdown(Some(final_event()));
        drop(self.handle.stop(true));
        self.thread.join();
    }
}

/// The hub routes' settings, built once and cloned into every worker, so that the workers
/// share one publish budget.
fn endpoints(
    hub: &Hub,
    app_config: &AppConfig,
) -> HubEndpoints<impl Authorize<HttpRequest> + Clone> {
    let keep_alive = KeepAlive::new().interval(app_config.keep_alive);
    let mut endpoints = HubEndpoints::new(hub.clone())
        .keep_alive(keep_alive.clone())
        .max_body(app_config.max_body)
        .body_timeout(app_config.body_timeout)
        .max_publishes_in_flight(app_config.max_publishes_in_flight)
        .authorize(|request: &HttpRequest, access: Access<'_>| {
            test_authorize(
                request.headers().get("x-auth").map(|v| v.as_bytes()),
                access,
            )
        });
    if let Some(rate) = app_config.publish_rate {
        endpoints = endpoints.publish_rate(rate);
    }
    if let Some(retry) = app_config.retry {
        endpoints = endpoints.retry(retry);
    }
    endpoints
}

fn configure(
    config: &mut web::ServiceConfig,
    hub: &Hub,
    app_config: &AppConfig,
    endpoints: HubEndpoints<impl Authorize<HttpRequest>>,
) {
    let keep_alive = KeepAlive::new().interval(app_config.keep_alive);
    let jwt_endpoints = HubEndpoints::new(hub.clone())
        .keep_alive(keep_alive.clone())
        .authorize(test_jwt::<sse_actix::ActixRequest>());
    let (retry, fixed_keep_alive, clock_keep_alive) =
        (app_config.retry, keep_alive.clone(), keep_alive);
    for (path, script) in [
        ("/emitter/watch", EmitterScript::Watch),
        ("/emitter/complete", EmitterScript::Complete),
        ("/emitter/idle", EmitterScript::Idle),
    ] {
        let (hub, keep_alive) = (hub.clone(), clock_keep_alive.clone());
        config.route(
            path,
            web::get().to(move || {
                let sse = Sse::new(emitter_events(&hub, script)).keep_alive(keep_alive.clone());
                async move { sse }
            }),
        );
    }
    config
        // The app's shutdown signal: every `Sse` ends when this hub shuts down.
        .app_data(web::Data::new(hub.clone()))
        .route(
            "/fixed",
            web::get().to(move || {
                let sse =
                    Sse::new(stream::iter(fixed_events())).keep_alive(fixed_keep_alive.clone());
                async move {
                    match retry {
                        Some(delay) => sse.retry(delay),
                        None => sse,
                    }
                }
            }),
        )
        .route(
            "/failing",
            web::get().to(|| async {
                Sse::new(stream::iter([
                    Ok(Event::new("ok")),
                    Err("the source failed"),
                ]))
            }),
        )
        .route(
            "/last-event-id",
            web::get().to(|LastEventId(id): LastEventId| async move {
                Sse::new(stream::iter([Event::new(
                    id.map(|id| id.to_string()).unwrap_or_default(),
                )]))
            }),
        )
        .route(
            "/clock",
            web::get().to(move || {
                let sse = Sse::new(clock()).keep_alive(clock_keep_alive.clone());
                async move { sse }
            }),
        )
        .route(
            "/until-ready",
            web::get().to(|| async { Sse::new(slow_events()).until(std::future::ready(())) }),
        )
        .service(sse_actix::routes(endpoints))
        .service(web::scope("/jwt").service(sse_actix::routes(jwt_endpoints)));
}

impl Integration for Actix {
    fn has_compression(&self) -> bool {
        true
    }

    fn start(&self, hub: Hub, config: AppConfig) -> Box<dyn RunningApp> {
        let app_hub = hub.clone();
        let endpoints = endpoints(&hub, &config);
        let ((addr, handle), thread) = ServerThread::spawn(move |ready| {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .wrap(Compress::default())
                        .configure(|c| configure(c, &app_hub, &config, endpoints.clone()))
                })
                .workers(2)
                .backlog(2048)
                // As the crate docs say: a client that closes is let go at once.
                .h1_allow_half_closed(false)
                .disable_signals()
                .shutdown_timeout(5)
                .bind(("127.0.0.1", 0))
                .expect("bind");
                let addr = server.addrs()[0];
                let server = server.run();
                let _ = ready.send((addr, server.handle()));
                server.await.expect("server");
            });
        });
        Box::new(Running {
            addr,
            hub,
            handle,
            thread,
        })
    }
}

sse_conformance::conformance_suite!(Actix);
