//! The demo on actix-web. `cargo run -p sse-examples --bin demo-actix`, then open
//! <http://127.0.0.1:3001>.

/// jemalloc keeps the untouched part of each connection's buffers out of the resident set
/// (BENCHMARKS.md, "Idle memory"); it is the binary's choice, not the library's.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{ALLOW, CONTENT_TYPE, HOST, HeaderValue, ORIGIN, VARY};
use actix_web::middleware::{Condition, ErrorHandlerResponse, ErrorHandlers, Next};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, ResponseError, web};
use futures_util::stream;
use sse_actix::{ActixRequest, Error, LastEventId, Sse};
use sse_core::http::{ErrorResponse, HttpError};
use sse_core::{Hub, Subscription};
use sse_endpoints::HubEndpoints;
use sse_endpoints::limits::{AddressGuard, LimitError};
use sse_examples::auth::DemoAuth;
use sse_examples::cross_origin::{self, AllowedOrigins};
use sse_examples::job::{self, Jobs};
use sse_examples::limits::ConnectionLimits;
use sse_examples::shutdown::{self, Signals};
use sse_examples::{Options, PAGE, RETRY, announce, endpoints, scenarios, start_hub, stats};

fn topic(hub: &Hub, name: &str, last: LastEventId) -> Result<Sse<Subscription>, Error> {
    Ok(Sse::new(hub.subscribe([name], last.0.as_ref())?).retry(RETRY))
}

async fn clock(hub: web::Data<Hub>, last: LastEventId) -> Result<Sse<Subscription>, Error> {
    topic(&hub, "clock", last)
}

async fn metrics(hub: web::Data<Hub>, last: LastEventId) -> Result<Sse<Subscription>, Error> {
    topic(&hub, "metrics", last)
}

async fn words(
    request: HttpRequest,
    hub: web::Data<Hub>,
    LastEventId(last): LastEventId,
) -> HttpResponse {
    match scenarios::words(last.as_ref()) {
        Some(words) => Sse::new(words)
            .retry(RETRY)
            .until(hub.closed())
            .respond_to(&request),
        None => HttpResponse::NoContent().finish(),
    }
}

async fn tokens(
    request: HttpRequest,
    hub: web::Data<Hub>,
    LastEventId(last): LastEventId,
) -> Result<HttpResponse, Error> {
    Ok(
        match scenarios::tokens(request.query_string(), last.as_ref())? {
            Some(tokens) => Sse::new(tokens)
                .retry(RETRY)
                .until(hub.closed())
                .respond_to(&request),
            None => HttpResponse::NoContent().finish(),
        },
    )
}

async fn echo(request: HttpRequest) -> Result<HttpResponse, Error> {
    let event = scenarios::echo(request.query_string())?;
    Ok(Sse::new(stream::iter([event])).respond_to(&request))
}

/// The body is read as the hub's `/publish` reads its own, with the same limits (rate,
/// size, timeout).
async fn chat(
    hub: web::Data<Hub>,
    auth: web::Data<DemoAuth<ActixRequest>>,
    endpoints: web::Data<HubEndpoints>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Error> {
    cross_origin::require_json(
        request
            .headers()
            .get(CONTENT_TYPE)
            .map(HeaderValue::as_bytes),
    )?;
    auth.chat(&request).await?;
    let admitted = endpoints.admit_body()?;
    let limit = admitted.max_body();
    let body = admitted
        .read(sse_actix::read_body(payload, limit))
        .await
        .bytes()?;
    let published = scenarios::chat(&hub, &body).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(published.json_body()))
}

async fn disconnect(
    hub: web::Data<Hub>,
    auth: web::Data<DemoAuth<ActixRequest>>,
    request: HttpRequest,
) -> Result<HttpResponse, Error> {
    auth.disconnect(&request).await?;
    hub.disconnect_all();
    Ok(HttpResponse::NoContent().finish())
}

async fn job(
    request: HttpRequest,
    hub: web::Data<Hub>,
    jobs: web::Data<Jobs>,
    LastEventId(last): LastEventId,
) -> Result<HttpResponse, Error> {
    Ok(
        match job::start(&jobs, &hub, request.query_string(), last.as_ref())? {
            Some(events) => Sse::new(events)
                .retry(RETRY)
                .keep_alive(job::keep_alive())
                .respond_to(&request),
            None => HttpResponse::NoContent().finish(),
        },
    )
}

async fn stats(hub: web::Data<Hub>, jobs: web::Data<Jobs>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(stats::json(&hub, &jobs))
}

use actix_web::Responder as _;

/// A state-changing request from another site's page is a 403 ([`cross_origin`]).
async fn refuse_cross_site(
    allowed: web::Data<AllowedOrigins>,
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> actix_web::Result<ServiceResponse<impl MessageBody>> {
    let header = |name| request.headers().get(name).map(HeaderValue::as_bytes);
    let refused = cross_origin::refuse_cross_site(
        request.method().as_str(),
        header(ORIGIN),
        header(HOST),
        &allowed,
    );
    match refused {
        Ok(()) => Ok(next.call(request).await?.map_into_left_body()),
        Err(refused) => Ok(request
            .into_response(Error::from(refused).error_response())
            .map_into_right_body()),
    }
}

/// actix-cors for the `--cors-origin` origins, with their cookies.
fn cors(allowed: &AllowedOrigins) -> actix_cors::Cors {
    allowed
        .iter()
        .fold(actix_cors::Cors::default(), |cors, origin| {
            cors.allowed_origin(origin)
        })
        .supports_credentials()
        .allowed_methods(cross_origin::ALLOW_METHODS)
        .allowed_headers(cross_origin::ALLOW_HEADERS)
        .max_age(cross_origin::MAX_AGE.as_secs() as usize)
}

/// What actix-web answers by itself (no route for the path, a method the route does not
/// allow, a body its extractor refuses) as JSON through [`Error`], like every other
/// error; an `Allow` header is kept.
fn json_errors<B>(response: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let (request, original) = response.into_parts();
    let mut json =
        Error::from(ErrorResponse::for_status(original.status().as_u16())).error_response();
    if let Some(allow) = original.headers().get(ALLOW) {
        json.headers_mut().insert(ALLOW, allow.clone());
    }
    // CORS's headers, so that an allowed page can read the error.
    for (name, value) in original.headers().iter() {
        if name.as_str().starts_with("access-control-") || name == VARY {
            json.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, json).map_into_right_body(),
    ))
}

/// Whether a connection has its place under `--max-connections-per-address`, taken when it
/// is accepted ([`HttpServer::on_connect`]) and given back when it closes.
struct ConnectionPlace(Result<AddressGuard, LimitError>);

/// A connection over its address's cap: 429 `too_many_connections`, and closed.
async fn refuse_over_cap<B: actix_web::body::MessageBody + 'static>(
    request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<B>,
) -> actix_web::Result<ServiceResponse<actix_web::body::EitherBody<B>>> {
    if let Some(ConnectionPlace(Err(error))) = request.conn_data::<ConnectionPlace>() {
        let response = HttpResponse::TooManyRequests()
            .force_close()
            .content_type("application/json")
            .insert_header(("retry-after", error.retry_after().unwrap_or(1)))
            .body(error.json_body());
        return Ok(request.into_response(response).map_into_right_body());
    }
    next.call(request)
        .await
        .map(ServiceResponse::map_into_left_body)
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = Options::from_args(3001);
    let addr = options.addr;
    let signals = Signals::listen()?;
    let hub = start_hub(&options, None).await?;
    let app_hub = hub.clone();
    let jobs = web::Data::new(Jobs::new());
    let cors_origins = web::Data::new(options.cors_origins.clone());
    let auth = web::Data::new(DemoAuth::<ActixRequest>::new(&options));
    // Built once, so that every worker shares the publish limits.
    let endpoints = endpoints(&hub, &options);
    let per_address = ConnectionLimits::new(&options).per_address;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(cors_origins.clone())
            .wrap(actix_web::middleware::from_fn(refuse_cross_site))
            // CORS (answering preflights too) only with `--cors-origin`.
            .wrap(Condition::new(
                !cors_origins.is_empty(),
                cors(&cors_origins),
            ))
            .wrap(ErrorHandlers::new().default_handler(json_errors))
            .wrap(actix_web::middleware::from_fn(refuse_over_cap))
            .app_data(web::Data::new(endpoints.clone()))
            .app_data(web::Data::new(app_hub.clone()))
            .app_data(jobs.clone())
            .app_data(auth.clone())
            .route(
                "/",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .content_type("text/html; charset=utf-8")
                        .body(PAGE)
                }),
            )
            .route("/clock", web::get().to(clock))
            .route("/metrics", web::get().to(metrics))
            .route("/words", web::get().to(words))
            .route("/tokens", web::get().to(tokens))
            .route("/echo", web::get().to(echo))
            // A resource, so that another method is a 405 (`App::route` would say 404).
            .service(web::resource("/chat").route(web::post().to(chat)))
            .route("/disconnect", web::post().to(disconnect))
            .route("/job", web::get().to(job))
            .route("/stats", web::get().to(stats))
            .route(
                "/metrics.prom",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .content_type(sse_examples::prometheus::CONTENT_TYPE)
                        .body(sse_examples::prometheus::render())
                }),
            )
            .service(sse_actix::routes(endpoints.clone().authorize(auth.hook())))
    })
    .client_request_timeout(options.header_timeout)
    // A client that closes its connection is let go at once (its subscription, the topic
    // it made, the connection), not at the second write after it left.
    .h1_allow_half_closed(false)
    .on_connect(move |connection, data| {
        let peer = connection
            .downcast_ref::<actix_web::rt::net::TcpStream>()
            .and_then(|stream| stream.peer_addr().ok());
        if let (Some(limit), Some(peer)) = (&per_address, peer) {
            data.insert(ConnectionPlace(limit.acquire(peer.ip())));
        }
    })
    // Our own signal handling: the hub's final event first, then the graceful stop.
    .disable_signals()
    .shutdown_timeout(shutdown::GRACE.as_secs())
    .bind(addr)?;
    announce("actix", server.addrs()[0]);
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(async move {
        // The hub's shutdown ends every event stream, so the graceful stop can finish.
        shutdown::on_signal(signals, hub).await;
        handle.stop(true).await;
    });
    server.await?;
    Ok(())
}
