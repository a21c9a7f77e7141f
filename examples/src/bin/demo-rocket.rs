//! The demo on rocket. `cargo run -p sse-examples --bin demo-rocket`, then open
//! <http://127.0.0.1:3002>.

/// jemalloc keeps the untouched part of each connection's buffers out of the resident set
/// (BENCHMARKS.md, "Idle memory"); it is the binary's choice, not the library's.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::time::Duration;

use futures_util::{Stream, stream};
use rocket::data::ToByteUnit;
use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{ContentType, Header, Method, Status};
use rocket::request::{self, FromRequest};
use rocket::response::content::{RawHtml, RawJson};
use rocket::response::{self, Responder};
use rocket::{Data, Request, State, get, options, post, routes};
use sse_core::http::ErrorResponse;
use sse_core::{EmitterStream, Event, Hub, IntoFrame, Subscription};
use sse_endpoints::{HubEndpoints, RequestBody};
use sse_examples::auth::DemoAuth;
use sse_examples::cross_origin::{self, AllowedOrigins};
use sse_examples::job::Jobs;
use sse_examples::limits::{self, ConnectionLimits, RocketFront};
use sse_examples::shutdown::{self, Signals};
use sse_examples::{Options, PAGE, RETRY, announce, endpoints, scenarios, start_hub};
use sse_rocket::{Error, HubShutdown, LastEventId, RocketRequest, Sse};

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

/// What the demo's authorization said about a request (`POST /chat`, `POST /disconnect`),
/// as a guard that always succeeds, so that a refusal is answered by the handler as JSON
/// with its `WWW-Authenticate` header instead of by a catcher.
struct Authorized<const DISCONNECT: bool>(Result<(), Error>);

#[rocket::async_trait]
impl<'r, const DISCONNECT: bool> FromRequest<'r> for Authorized<DISCONNECT> {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let Some(auth) = request.rocket().state::<DemoAuth<RocketRequest>>() else {
            return request::Outcome::Success(Authorized(Err(Error::from(
                ErrorResponse::for_status(500),
            ))));
        };
        let answer = match DISCONNECT {
            true => auth.disconnect(request).await.map_err(Error::from),
            false => auth.chat(request).await.map_err(Error::from),
        };
        request::Outcome::Success(Authorized(answer))
    }
}

/// The body is read as the hub's `/publish` reads its own, with the same limits (rate,
/// size, timeout); over the size is a 413 (rocket's own `Vec<u8>` guard would say 400).
#[post("/chat", data = "<data>")]
async fn chat(
    hub: &State<Hub>,
    endpoints: &State<HubEndpoints>,
    content_type: Option<&ContentType>,
    authorized: Authorized<false>,
    data: Data<'_>,
) -> Result<(ContentType, RawJson<String>), Error> {
    let content_type = content_type.map(ToString::to_string);
    cross_origin::require_json(content_type.as_deref().map(str::as_bytes))?;
    authorized.0?;
    let admitted = endpoints.admit_body()?;
    let limit = admitted.max_body();
    let read = async move {
        match data.open(limit.bytes()).into_bytes().await {
            Ok(capped) if !capped.is_complete() => RequestBody::OverLimit,
            Ok(capped) => RequestBody::Complete(capped.into_inner().into()),
            Err(error) => RequestBody::Unreadable(error.to_string()),
        }
    };
    let body = admitted.read(read).await.bytes()?;
    Ok((
        ContentType::JSON,
        RawJson(scenarios::chat(hub, &body).await?.json_body()),
    ))
}

#[post("/disconnect")]
fn disconnect(hub: &State<Hub>, authorized: Authorized<true>) -> Result<Status, Error> {
    authorized.0?;
    hub.disconnect_all();
    Ok(Status::NoContent)
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

/// The hub's metrics in Prometheus's text format.
#[get("/metrics.prom")]
fn metrics_prom() -> (ContentType, String) {
    let content_type = ContentType::parse_flexible(sse_examples::prometheus::CONTENT_TYPE)
        .unwrap_or(ContentType::Plain);
    (content_type, sse_examples::prometheus::render())
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

/// CORS for the `--cors-origin` origins, with their cookies (rocket has no CORS middleware
/// of its own), and the refusal of a state-changing request from another site's page
/// ([`cross_origin`]): rocket's fairings cannot answer a request, so a refused one is sent
/// to the [`refused`] route instead of its own.
struct CrossOrigin {
    allowed: AllowedOrigins,
}

/// Where [`CrossOrigin`] sends a refused request.
const REFUSED: &str = "/__cross-origin-refused";

/// Why [`CrossOrigin`] refused the request (in the request's local cache).
#[derive(Clone, Default)]
struct Refusal(Option<ErrorResponse>);

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for Refusal {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> rocket::request::Outcome<Self, Self::Error> {
        rocket::request::Outcome::Success(request.local_cache(Refusal::default).clone())
    }
}

#[rocket::async_trait]
impl Fairing for CrossOrigin {
    fn info(&self) -> Info {
        Info {
            name: "CORS and cross-site refusal",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, _: &mut Data<'_>) {
        let headers = request.headers();
        let refused = cross_origin::refuse_cross_site(
            request.method().as_str(),
            headers.get_one("origin").map(str::as_bytes),
            headers.get_one("host").map(str::as_bytes),
            &self.allowed,
        );
        if let Err(refused) = refused {
            request.local_cache(|| Refusal(Some(refused)));
            request.set_method(Method::Post);
            request.set_uri(rocket::http::uri::Origin::const_new(REFUSED, None));
        }
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut rocket::Response<'r>) {
        if self.allowed.is_empty() {
            return;
        }
        response.adjoin_header(Header::new("Vary", "Origin"));
        let Some(origin) = request.headers().get_one("origin") else {
            return;
        };
        if !self.allowed.contains(origin.as_bytes()) {
            return;
        }
        // With credentials, the browser accepts the exact origin only, never `*`.
        response.set_raw_header("Access-Control-Allow-Origin", origin.to_owned());
        response.set_raw_header("Access-Control-Allow-Credentials", "true");
        let preflight = request.method() == Method::Options
            && request.headers().contains("access-control-request-method");
        if preflight {
            response.set_raw_header(
                "Access-Control-Allow-Methods",
                cross_origin::ALLOW_METHODS.join(", "),
            );
            response.set_raw_header(
                "Access-Control-Allow-Headers",
                cross_origin::ALLOW_HEADERS.join(", "),
            );
            response.set_raw_header(
                "Access-Control-Max-Age",
                cross_origin::MAX_AGE.as_secs().to_string(),
            );
        }
    }
}

/// A request [`CrossOrigin`] refused: 403.
#[post("/__cross-origin-refused")]
fn refused(refusal: Refusal) -> Error {
    Error::from(refusal.0.unwrap_or_else(|| ErrorResponse::for_status(403)))
}

/// Preflight for `/chat` and `/disconnect` (the hub routes answer `OPTIONS` themselves);
/// [`CrossOrigin`] adds the CORS headers.
#[options("/chat")]
fn chat_preflight() -> Status {
    Status::NoContent
}

/// See [`chat_preflight`].
#[options("/disconnect")]
fn disconnect_preflight() -> Status {
    Status::NoContent
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
    let options = Options::from_args(3002);
    let addr = options.addr;
    let signals = Signals::listen()?;
    let fronted = !options.header_timeout.is_zero();
    let (max_connections, max_subscribers) = match fronted {
        true => limits::rocket_front_limits(),
        false => (None, None),
    };
    let hub = start_hub(&options, max_subscribers).await?;
    let auth = DemoAuth::<RocketRequest>::new(&options);
    let hook = auth.hook();
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
        // Behind the front every connection comes from 127.0.0.1, and the front adds no
        // header (it passes bytes unparsed): an `X-Real-IP` would be the client's own claim.
        ip_header: match fronted {
            true => None,
            false => rocket::Config::default().ip_header,
        },
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
        .manage(auth)
        .manage(endpoints.clone())
        .mount(
            "/",
            routes![
                page, clock, metrics, words, tokens, echo, chat, disconnect, job, stats
            ],
        )
        .mount("/", routes![metrics_prom])
        .mount("/", sse_rocket::routes(endpoints.authorize(hook)))
        .mount("/", routes![refused])
        .mount(
            "/",
            match options.cors_origins.is_empty() {
                true => routes![],
                false => routes![chat_preflight, disconnect_preflight],
            },
        )
        .attach(CrossOrigin {
            allowed: options.cors_origins.clone(),
        })
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
    let limits = ConnectionLimits::new(&options).max_connections(max_connections);
    let answer_within = options.body_timeout + Duration::from_secs(1);
    let relay = RocketFront::new(backend, options.header_timeout, answer_within);
    limits::serve_front(front, limits, relay, signal).await;
    rocket.await??;
    Ok(())
}
