//! The demo on rocket. `cargo run -p sse-examples --bin demo-rocket`, then open
//! <http://127.0.0.1:3002>.

/// jemalloc keeps the untouched part of each connection's buffers out of the resident set
/// (BENCHMARKS.md, "Idle memory"); it is the binary's choice, not the library's.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::time::Duration;

use futures_util::{Stream, stream};
use rocket::data::{Data, ToByteUnit};
use rocket::http::{ContentType, Status};
use rocket::response::content::{RawHtml, RawJson};
use rocket::response::{self, Responder};
use rocket::{Request, State, get, post, routes};
use sse_core::http::ErrorResponse;
use sse_core::http::endpoints::{HubEndpoints, RequestBody};
use sse_core::{EmitterStream, Event, Hub, IntoFrame, Subscription};
use sse_examples::job::Jobs;
use sse_examples::limits::{self, ConnectionLimits, RocketFront};
use sse_examples::shutdown::{self, Signals};
use sse_examples::{Options, PAGE, RETRY, announce, endpoints, scenarios, start_hub};
use sse_rocket::{Error, HubShutdown, LastEventId, Sse};

/// An event stream, or 204 once the client has seen all of a finite stream.
enum OrNoContent<S> {
    Stream(Sse<S>),
    Seen,
}

impl<'r, S> Responder<'r, 'r> for OrNoContent<S>
where
    S: Stream + Send + 'static,
    S::Item: IntoFrame,
{
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'r> {
        match self {
            OrNoContent::Stream(sse) => sse.respond_to(request),
            OrNoContent::Seen => Status::NoContent.respond_to(request),
        }
    }
}

fn finite<S: Stream<Item = Event>>(stream: Option<S>, hub: &Hub) -> OrNoContent<S> {
    match stream {
        Some(stream) => OrNoContent::Stream(Sse::new(stream).retry(RETRY).until(hub.closed())),
        None => OrNoContent::Seen,
    }
}

#[get("/")]
fn page() -> RawHtml<&'static str> {
    RawHtml(PAGE)
}

#[get("/clock")]
fn clock(hub: &State<Hub>, last: LastEventId) -> Result<Sse<Subscription>, Error> {
    Ok(Sse::new(hub.subscribe(["clock"], last.0.as_ref())?).retry(RETRY))
}

#[get("/metrics")]
fn metrics(hub: &State<Hub>, last: LastEventId) -> Result<Sse<Subscription>, Error> {
    Ok(Sse::new(hub.subscribe(["metrics"], last.0.as_ref())?).retry(RETRY))
}

#[get("/words")]
fn words(hub: &State<Hub>, last: LastEventId) -> OrNoContent<impl Stream<Item = Event> + use<>> {
    finite(scenarios::words(last.0.as_ref()), hub)
}

#[get("/tokens")]
fn tokens(
    hub: &State<Hub>,
    last: LastEventId,
    query: RawQuery,
) -> Result<OrNoContent<impl Stream<Item = Event> + use<>>, Error> {
    Ok(finite(scenarios::tokens(&query.0, last.0.as_ref())?, hub))
}

#[get("/echo")]
fn echo(query: RawQuery) -> Result<Sse<impl Stream<Item = Event>>, Error> {
    Ok(Sse::new(stream::iter([scenarios::echo(&query.0)?])))
}

/// The body is read as the hub's `/publish` reads its own, with the same limits (rate,
/// size, timeout); over the size is a 413 (rocket's own `Vec<u8>` guard would say 400).
#[post("/chat", data = "<data>")]
async fn chat(
    hub: &State<Hub>,
    endpoints: &State<HubEndpoints>,
    data: Data<'_>,
) -> Result<(ContentType, RawJson<String>), Error> {
    let _permit = endpoints.admit_publish()?;
    let limit = endpoints.max_body_bytes();
    let read = async move {
        match data.open(limit.bytes()).into_bytes().await {
            Ok(capped) if !capped.is_complete() => RequestBody::OverLimit,
            Ok(capped) => RequestBody::Complete(capped.into_inner().into()),
            Err(error) => RequestBody::Unreadable(error.to_string()),
        }
    };
    let body = endpoints.check_body(endpoints.read_body_within(read).await)?;
    Ok((
        ContentType::JSON,
        RawJson(scenarios::chat(hub, &body).await?.json_body()),
    ))
}

#[post("/disconnect")]
fn disconnect(hub: &State<Hub>) -> Status {
    hub.disconnect_all();
    Status::NoContent
}

#[get("/job")]
fn job(
    hub: &State<Hub>,
    jobs: &State<Jobs>,
    last: LastEventId,
    query: RawQuery,
) -> Result<OrNoContent<EmitterStream>, Error> {
    // (Rocket's route macro names a type after each route: the modules go by full path.)
    Ok(
        match sse_examples::job::start(jobs, hub, &query.0, last.0.as_ref())? {
            Some(events) => OrNoContent::Stream(
                Sse::new(events)
                    .retry(RETRY)
                    .keep_alive(sse_examples::job::keep_alive()),
            ),
            None => OrNoContent::Seen,
        },
    )
}

#[get("/stats")]
fn stats(hub: &State<Hub>, jobs: &State<Jobs>) -> (ContentType, RawJson<String>) {
    (
        ContentType::JSON,
        RawJson(sse_examples::stats::json(hub, jobs)),
    )
}

/// The raw query string (rocket's typed query parameters would decode it first).
struct RawQuery(String);

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for RawQuery {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> rocket::request::Outcome<Self, Self::Error> {
        let query = request
            .uri()
            .query()
            .map(|query| query.as_str().to_owned())
            .unwrap_or_default();
        rocket::request::Outcome::Success(RawQuery(query))
    }
}

/// What rocket answers by itself (no route for the path or method, a body over its limit)
/// as JSON through [`Error`], like every other error. (Rocket has no 405: a method no route
/// takes is a 404; the ready-made hub routes answer 405 themselves.)
#[rocket::catch(default)]
fn json_error(status: Status, _: &Request<'_>) -> Error {
    Error::from(ErrorResponse::for_status(status.code))
}

#[rocket::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = Options::from_args(3002)?;
    let addr = options.addr;
    let signals = Signals::listen()?;
    let hub = start_hub(&options).await?;
    let endpoints = endpoints(&hub, &options);
    // Rocket 0.5 has no header-read timeout and no hook for one (see `limits`): unless
    // turned off, it listens on a port of its own on 127.0.0.1, behind our accept loop.
    let front = match options.header_timeout.is_zero() {
        true => None,
        false => Some(tokio::net::TcpListener::bind(addr).await?),
    };
    let (address, port) = match front {
        Some(_) => (std::net::Ipv4Addr::LOCALHOST.into(), 0),
        None => (addr.ip(), addr.port()),
    };
    let (backend_tx, backend_rx) = tokio::sync::oneshot::channel();
    let backend_tx = std::sync::Mutex::new(front.is_some().then_some(backend_tx));
    let config = rocket::Config {
        address,
        port,
        // Rocket logs `Remote left` at warning level for every client that closes a stream
        // (and lines per request below that): only what is critical.
        log_level: rocket::config::LogLevel::Critical,
        // Our own signal handling (below), listening from the start; the `HubShutdown`
        // fairing then shuts the hub down with its final event, and streams end after it.
        shutdown: rocket::config::Shutdown {
            ctrlc: false,
            #[cfg(unix)]
            signals: Default::default(),
            ..Default::default()
        },
        ..rocket::Config::release_default()
    };
    let rocket = rocket::custom(config)
        .manage(hub.clone())
        .manage(Jobs::new())
        .manage(endpoints.clone())
        .mount(
            "/",
            routes![
                page, clock, metrics, words, tokens, echo, chat, disconnect, job, stats
            ],
        )
        .mount("/", sse_rocket::routes(endpoints))
        .register("/", rocket::catchers![json_error])
        .attach(match shutdown::shutdown_event() {
            Some(event) => HubShutdown::new(hub.clone()).final_event(event),
            None => HubShutdown::new(hub.clone()),
        })
        .attach(rocket::fairing::AdHoc::on_liftoff(
            "announce",
            move |rocket| {
                let bound =
                    std::net::SocketAddr::new(rocket.config().address, rocket.config().port);
                let sender = backend_tx.lock().ok().and_then(|mut tx| tx.take());
                Box::pin(async move {
                    match sender {
                        Some(sender) => {
                            let _ = sender.send(bound);
                        }
                        None => announce("rocket", bound),
                    }
                })
            },
        ))
        .ignite()
        .await?;
    let rocket_shutdown = rocket.shutdown();
    let signal = async move {
        let signal = signals.recv().await;
        shutdown::log(&format!("{signal}: shutting down"));
        rocket_shutdown.notify();
    };
    let Some(front) = front else {
        tokio::spawn(signal);
        rocket.launch().await?;
        return Ok(());
    };
    // Announced before rocket prints its own banner; connections wait in the backlog until
    // rocket is up.
    announce("rocket", front.local_addr()?);
    let rocket = tokio::spawn(rocket.launch());
    let backend = backend_rx.await?;
    let limits = ConnectionLimits::new(&options);
    let body_deadline = options.body_timeout + Duration::from_secs(1);
    let relay = move |peer| RocketFront::new(backend, peer, body_deadline);
    limits::serve(front, limits, relay, signal).await;
    rocket.await??;
    Ok(())
}
