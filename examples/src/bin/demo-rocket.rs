//! The demo on rocket. `cargo run -p sse-examples --bin demo-rocket`, then open
//! <http://127.0.0.1:3002>.

/// jemalloc keeps the untouched part of each connection's buffers out of the resident set
/// (BENCHMARKS.md, "Idle memory"); it is the binary's choice, not the library's.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use futures_util::{Stream, stream};
use rocket::http::{ContentType, Status};
use rocket::response::content::{RawHtml, RawJson};
use rocket::response::{self, Responder};
use rocket::{Request, State, get, post, routes};
use sse_core::{Event, HttpError, Hub, Subscription};
use sse_examples::{Options, PAGE, RETRY, announce, endpoints, scenarios, start_hub};
use sse_rocket::{Error, LastEventId, Sse};

/// A bad demo request, answered with the demo's own JSON body, which names the field at
/// fault (the adapter's `Error` keeps only the code and the message).
struct Invalid(scenarios::DemoError);

impl From<scenarios::DemoError> for Invalid {
    fn from(error: scenarios::DemoError) -> Self {
        Invalid(error)
    }
}

impl<'r> Responder<'r, 'static> for Invalid {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        let status = Status::from_code(self.0.status()).unwrap_or(Status::BadRequest);
        (status, RawJson(self.0.json_body())).respond_to(request)
    }
}

/// An event stream, or 204 once the client has seen all of a finite stream.
enum Finite<S> {
    Stream(Sse<S>),
    Seen,
}

impl<'r, S> Responder<'r, 'r> for Finite<S>
where
    S: Stream<Item = Event> + Send + 'static,
{
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'r> {
        match self {
            Finite::Stream(sse) => sse.respond_to(request),
            Finite::Seen => Status::NoContent.respond_to(request),
        }
    }
}

fn finite<S: Stream<Item = Event>>(stream: Option<S>, hub: &Hub) -> Finite<S> {
    match stream {
        Some(stream) => Finite::Stream(Sse::new(stream).retry(RETRY).until(hub.closed())),
        None => Finite::Seen,
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
fn words(hub: &State<Hub>, last: LastEventId) -> Finite<impl Stream<Item = Event> + use<>> {
    finite(scenarios::words(last.0.as_ref()), hub)
}

#[get("/tokens")]
fn tokens(
    hub: &State<Hub>,
    last: LastEventId,
    query: RawQuery,
) -> Result<Finite<impl Stream<Item = Event> + use<>>, Invalid> {
    Ok(finite(scenarios::tokens(&query.0, last.0.as_ref())?, hub))
}

#[get("/echo")]
fn echo(query: RawQuery) -> Result<Sse<impl Stream<Item = Event>>, Invalid> {
    Ok(Sse::new(stream::iter([scenarios::echo(&query.0)?])))
}

#[post("/chat", data = "<body>")]
fn chat(hub: &State<Hub>, body: Vec<u8>) -> Result<(ContentType, RawJson<String>), Invalid> {
    Ok((
        ContentType::JSON,
        RawJson(scenarios::chat(hub, &body)?.json_body()),
    ))
}

#[post("/disconnect")]
fn disconnect(hub: &State<Hub>) -> Status {
    hub.disconnect_all();
    Status::NoContent
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

#[rocket::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Options { addr, coalesce } = Options::from_args(3002)?;
    let hub = start_hub(coalesce)?;
    let config = rocket::Config {
        address: addr.ip(),
        port: addr.port(),
        log_level: rocket::config::LogLevel::Critical,
        ..rocket::Config::release_default()
    };
    rocket::custom(config)
        .manage(hub.clone())
        .mount(
            "/",
            routes![page, clock, metrics, words, tokens, echo, chat, disconnect],
        )
        .mount("/", sse_rocket::routes(endpoints(&hub)))
        .attach(rocket::fairing::AdHoc::on_liftoff("announce", |rocket| {
            Box::pin(async move {
                announce(
                    "rocket",
                    std::net::SocketAddr::new(rocket.config().address, rocket.config().port),
                );
            })
        }))
        // Every `Sse` ends at rocket's shutdown (Ctrl-C), so graceful shutdown completes.
        .launch()
        .await?;
    Ok(())
}
