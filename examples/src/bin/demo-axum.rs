//! The demo on axum. `cargo run -p sse-examples --bin demo-axum`, then open
//! <http://127.0.0.1:3000>.

/// jemalloc keeps the untouched part of each connection's buffers out of the resident set
/// (BENCHMARKS.md, "Idle memory"); it is the binary's choice, not the library's.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::http::header::{ALLOW, CONTENT_TYPE, HOST, ORIGIN};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::stream;
use hyper_util::service::TowerToHyperService;
use sse_axum::{AxumRequest, Error, LastEventId, Sse};
use sse_core::http::ErrorResponse;
use sse_core::{Hub, Subscription};
use sse_endpoints::HubEndpoints;
use sse_examples::auth::DemoAuth;
use sse_examples::cross_origin::{self, AllowedOrigins};
use sse_examples::job::{self, Jobs};
use sse_examples::limits::{self, ConnectionLimits};
use sse_examples::shutdown::{self, Signals};
use sse_examples::{Options, PAGE, RETRY, announce, endpoints, scenarios, start_hub, stats};

/// The router's state: the hub, the count of running jobs, and the authorization.
#[derive(Clone)]
struct App {
    hub: Hub,
    jobs: Jobs,
    auth: Arc<DemoAuth<AxumRequest>>,
    /// The hub routes' settings: `/chat` has their limits.
    endpoints: HubEndpoints,
}

impl FromRef<App> for Arc<DemoAuth<AxumRequest>> {
    fn from_ref(app: &App) -> Self {
        app.auth.clone()
    }
}

impl FromRef<App> for Hub {
    fn from_ref(app: &App) -> Hub {
        app.hub.clone()
    }
}

impl FromRef<App> for Jobs {
    fn from_ref(app: &App) -> Jobs {
        app.jobs.clone()
    }
}

/// `/clock` and `/metrics`: a hub topic fed by a periodic publisher.
async fn topic(hub: &Hub, name: &str, last: LastEventId) -> Result<Sse<Subscription>, Error> {
    Ok(Sse::new(hub.subscribe([name], last.0.as_ref())?).retry(RETRY))
}

async fn words(LastEventId(last): LastEventId) -> Response {
    match scenarios::words(last.as_ref()) {
        Some(words) => Sse::new(words).retry(RETRY).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

async fn tokens(
    LastEventId(last): LastEventId,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    Ok(
        match scenarios::tokens(query.as_deref().unwrap_or(""), last.as_ref())? {
            Some(tokens) => Sse::new(tokens).retry(RETRY).into_response(),
            None => StatusCode::NO_CONTENT.into_response(),
        },
    )
}

async fn echo(RawQuery(query): RawQuery) -> Result<Response, Error> {
    let event = scenarios::echo(query.as_deref().unwrap_or(""))?;
    Ok(Sse::new(stream::iter([event])).into_response())
}

/// The body is read as the hub's `/publish` reads its own, with the same limits (rate,
/// size, timeout).
async fn chat(State(app): State<App>, request: Request) -> Result<Response, Error> {
    let (parts, body) = request.into_parts();
    cross_origin::require_json(parts.headers.get(CONTENT_TYPE).map(HeaderValue::as_bytes))?;
    app.auth.chat(&parts).await?;
    let endpoints = &app.endpoints;
    let admitted = endpoints.admit_body()?;
    let limit = admitted.max_body();
    let body = admitted
        .read(sse_axum::read_body(body, limit))
        .await
        .bytes()?;
    let published = scenarios::chat(&app.hub, &body).await?;
    Ok(([(CONTENT_TYPE, "application/json")], published.json_body()).into_response())
}

async fn disconnect(
    State(hub): State<Hub>,
    State(auth): State<Arc<DemoAuth<AxumRequest>>>,
    parts: Parts,
) -> Result<StatusCode, Error> {
    auth.disconnect(&parts).await?;
    hub.disconnect_all();
    Ok(StatusCode::NO_CONTENT)
}

async fn job(
    State(App { hub, jobs, .. }): State<App>,
    LastEventId(last): LastEventId,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    Ok(
        match job::start(&jobs, &hub, query.as_deref().unwrap_or(""), last.as_ref())? {
            Some(events) => Sse::new(events)
                .retry(RETRY)
                .keep_alive(job::keep_alive())
                .into_response(),
            None => StatusCode::NO_CONTENT.into_response(),
        },
    )
}

async fn stats(State(App { hub, jobs, .. }): State<App>) -> Response {
    (
        [(CONTENT_TYPE, "application/json")],
        stats::json(&hub, &jobs),
    )
        .into_response()
}

/// A state-changing request from another site's page is a 403 ([`cross_origin`]).
async fn refuse_cross_site(
    State(allowed): State<AllowedOrigins>,
    request: Request,
    next: Next,
) -> Response {
    let refused = {
        let header = |name| request.headers().get(name).map(HeaderValue::as_bytes);
        cross_origin::refuse_cross_site(
            request.method().as_str(),
            header(ORIGIN),
            header(HOST),
            &allowed,
        )
    };
    match refused {
        Ok(()) => next.run(request).await,
        Err(refused) => Error::from(refused).into_response(),
    }
}

/// tower-http's CORS layer for the `--cors-origin` origins, with their cookies.
fn cors(allowed: &AllowedOrigins) -> tower_http::cors::CorsLayer {
    let origins: Vec<HeaderValue> = allowed
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    tower_http::cors::CorsLayer::new()
        .allow_origin(origins)
        .allow_credentials(true)
        .allow_methods(
            cross_origin::ALLOW_METHODS
                .iter()
                .filter_map(|method| Method::from_bytes(method.as_bytes()).ok())
                .collect::<Vec<_>>(),
        )
        .allow_headers(cross_origin::ALLOW_HEADERS.map(HeaderName::from_static))
        .max_age(cross_origin::MAX_AGE)
}

/// What axum answers by itself (no route for the path, a method the route does not allow,
/// a body its extractor refuses) as JSON through [`Error`], like every other error; an
/// `Allow` header is kept.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let mut json = Error::from(ErrorResponse::for_status(status.as_u16())).into_response();
    if let Some(allow) = response.headers().get(ALLOW) {
        json.headers_mut().insert(ALLOW, allow.clone());
    }
    json
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = Options::from_args(3000);
    let addr = options.addr;
    let signals = Signals::listen()?;
    let hub = start_hub(&options, None).await?;
    let auth = Arc::new(DemoAuth::new(&options));
    let endpoints = endpoints(&hub, &options);
    let app = Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route(
            "/clock",
            get(|State(hub): State<Hub>, last| async move { topic(&hub, "clock", last).await }),
        )
        .route(
            "/metrics",
            get(|State(hub): State<Hub>, last| async move { topic(&hub, "metrics", last).await }),
        )
        .route("/words", get(words))
        .route("/tokens", get(tokens))
        .route("/echo", get(echo))
        .route("/chat", post(chat))
        .route("/disconnect", post(disconnect))
        .route("/job", get(job))
        .route("/stats", get(stats))
        .route(
            "/metrics.prom",
            get(|| async {
                (
                    [(CONTENT_TYPE, sse_examples::prometheus::CONTENT_TYPE)],
                    sse_examples::prometheus::render(),
                )
            }),
        )
        .merge(sse_axum::routes(endpoints.clone().authorize(auth.hook())))
        // Every event stream ends at the hub's shutdown, at an event boundary: no handler
        // needs an `until` of its own.
        .layer(sse_axum::ShutdownLayer::new(hub.shutdown_signal()))
        .layer(axum::middleware::map_response(json_errors))
        .layer(axum::middleware::from_fn_with_state(
            options.cors_origins.clone(),
            refuse_cross_site,
        ))
        .with_state(App {
            hub: hub.clone(),
            jobs: Jobs::new(),
            auth,
            endpoints,
        });
    // CORS (answering preflights too) only with `--cors-origin`.
    let app = match options.cors_origins.is_empty() {
        true => app,
        false => app.layer(cors(&options.cors_origins)),
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    announce("axum", listener.local_addr()?);
    // The hub's shutdown ends every event stream, so the server can finish.
    let service = move |_| TowerToHyperService::new(app.clone());
    let limits = ConnectionLimits::new(&options);
    limits::serve(listener, limits, service, shutdown::on_signal(signals, hub)).await;
    Ok(())
}
