//! The shared conformance suite, run against rocket.

use std::net::SocketAddr;

use futures_util::{Stream, stream};
use rocket::fairing::AdHoc;
use rocket::{Request, State, get, routes};
use sse_conformance::{
    AppConfig, EmitterScript, Integration, RunningApp, ServerThread, clock, emitter_events,
    final_event, fixed_events, slow_events, test_authorize, test_jwt, test_runtime,
};
use sse_core::{Event, Hub, KeepAlive};
use sse_endpoints::{Access, HubEndpoints};
use sse_rocket::{Error, HubShutdown, LastEventId, Sse};

struct Rocket;

struct AppState {
    hub: Hub,
    keep_alive: KeepAlive,
    config: AppConfig,
}

#[get("/fixed")]
fn fixed(state: &State<AppState>) -> Sse<impl Stream<Item = Event> + use<>> {
    let sse = Sse::new(stream::iter(fixed_events())).keep_alive(state.keep_alive.clone());
    match state.config.retry {
        Some(delay) => sse.retry(delay),
        None => sse,
    }
}

#[get("/failing")]
fn failing() -> Sse<impl Stream<Item = Result<Event, &'static str>>> {
    Sse::new(stream::iter([
        Ok(Event::new("ok")),
        Err("the source failed"),
    ]))
}

#[get("/last-event-id")]
fn last_event_id(id: Result<LastEventId, Error>) -> Result<Sse<impl Stream<Item = Event>>, Error> {
    let LastEventId(id) = id?;
    Ok(Sse::new(stream::iter([Event::new(
        id.map(|id| id.to_string()).unwrap_or_default(),
    )])))
}

#[get("/clock")]
fn ticks(state: &State<AppState>) -> Sse<impl Stream<Item = Event> + use<>> {
    Sse::new(clock()).keep_alive(state.keep_alive.clone())
}

#[get("/emitter/<script>")]
fn emitter(state: &State<AppState>, script: &str) -> Option<Sse<sse_core::EmitterStream>> {
    let script = match script {
        "watch" => EmitterScript::Watch,
        "complete" => EmitterScript::Complete,
        "idle" => EmitterScript::Idle,
        _ => return None,
    };
    Some(Sse::new(emitter_events(&state.hub, script)).keep_alive(state.keep_alive.clone()))
}

#[get("/until-ready")]
fn until_ready() -> Sse<impl Stream<Item = Event>> {
    Sse::new(slow_events()).until(std::future::ready(()))
}

struct Running {
    addr: SocketAddr,
    shutdown: rocket::Shutdown,
    thread: ServerThread,
}

impl RunningApp for Running {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn shutdown(self: Box<Self>) {
        // Rocket's own shutdown: every `Sse` ends with it.
        self.shutdown.notify();
        self.thread.join();
    }
}

impl Integration for Rocket {
    fn has_compression(&self) -> bool {
        false // rocket has no compression middleware of its own
    }

    fn keeps_non_utf8_headers(&self) -> bool {
        false
    }

    fn start(&self, hub: Hub, config: AppConfig) -> Box<dyn RunningApp> {
        let ((addr, shutdown), thread) = ServerThread::spawn(move |ready| {
            let keep_alive = KeepAlive::new().interval(config.keep_alive);
            let mut endpoints = HubEndpoints::new(hub.clone())
                .keep_alive(keep_alive.clone())
                .max_body(config.max_body)
                .body_timeout(config.body_timeout)
                .max_publishes_in_flight(config.max_publishes_in_flight)
                .authorize(|request: &Request<'_>, access: Access<'_>| {
                    test_authorize(
                        request.headers().get_one("x-auth").map(str::as_bytes),
                        access,
                    )
                });
            if let Some(rate) = config.publish_rate {
                endpoints = endpoints.publish_rate(rate);
            }
            if let Some(retry) = config.retry {
                endpoints = endpoints.retry(retry);
            }
            let jwt_endpoints = HubEndpoints::new(hub.clone())
                .keep_alive(keep_alive.clone())
                .authorize(test_jwt::<sse_rocket::RocketRequest>());
            let rocket_config = rocket::Config {
                address: [127, 0, 0, 1].into(),
                port: 0,
                workers: 2,
                log_level: rocket::config::LogLevel::Off,
                shutdown: rocket::config::Shutdown {
                    ctrlc: false,
                    grace: 2,
                    mercy: 2,
                    ..Default::default()
                },
                ..rocket::Config::debug_default()
            };
            let rocket = rocket::custom(rocket_config)
                .attach(HubShutdown::new(hub.clone()).final_event(final_event()))
                .manage(AppState {
                    hub: hub.clone(),
                    keep_alive,
                    config,
                })
                .mount(
                    "/",
                    routes![fixed, failing, last_event_id, ticks, until_ready, emitter],
                )
                .mount("/", sse_rocket::routes(endpoints))
                .mount("/jwt", sse_rocket::routes(jwt_endpoints))
                .attach(AdHoc::on_liftoff("report address", move |rocket| {
                    Box::pin(async move {
                        let addr = SocketAddr::from(([127, 0, 0, 1], rocket.config().port));
                        let _ = ready.send((addr, rocket.shutdown()));
                    })
                }));
            let _ = test_runtime().block_on(rocket.launch());
        });
        Box::new(Running {
            addr,
            shutdown,
            thread,
        })
    }
}

sse_conformance::conformance_suite!(Rocket);
