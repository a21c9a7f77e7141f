//! One HTTP-level conformance suite, run by every framework adapter.
//!
//! An adapter's test file implements [`Integration`] (start an app serving the routes
//! below, shut it down the framework's way) and invokes [`conformance_suite!`], which
//! expands to one `#[test]` per check. Every check drives the app over real HTTP/1.1 on
//! 127.0.0.1 and reads streams with the workspace's decoder, so three frameworks are held
//! to one definition of correct.
//!
//! # The routes an integration's app serves
//!
//! | route | what |
//! |---|---|
//! | `GET`/`HEAD`/`OPTIONS /events`, `POST`/`OPTIONS /publish` | the adapter's ready-made hub routes over the given hub, configured from [`AppConfig`], authorized with [`test_authorize`] |
//! | `GET /fixed` | [`fixed_events`] through the adapter's responder, then the end (retry prelude from [`AppConfig::retry`]) |
//! | `GET /failing` | one event `ok`, then an error: the stream must end cleanly |
//! | `GET /last-event-id` | one event whose data is what the adapter's `Last-Event-ID` extractor produced (`""` for none) |
//! | `GET /clock` | [`clock`], with no `until` of its own: a stream that is not a hub subscription, ended by the app's shutdown signal as the adapter registers it once for the app |
//! | `GET /emitter/watch`, `/emitter/complete`, `/emitter/idle` | [`emitter_events`] for that [`EmitterScript`], through the adapter's responder with the configured keep-alive |
//! | `GET`/`HEAD /jwt/events`, `POST /jwt/publish` | the ready-made hub routes again, mounted under `/jwt` over the same hub, authorized with the adapter's JWT hook: [`test_jwt`] |
//! | `GET /until-ready` | [`slow_events`]`.until(std::future::ready(()))`: a signal of the handler's own, which must count beside the app's |
//!
//! and, where the framework has one, its usual compression middleware in front of all.
//!
//! [`RunningApp::shutdown`] shuts the app down the way the adapter's docs tell users to: the
//! hub shuts down with [`final_event`], and every open stream ends.

mod checks;
pub mod client;
pub mod redis_server;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::Stream;
use sse_core::hub::HubBuilder;
use sse_core::{Emitter, EmitterStream, Event, Hub};
use sse_endpoints::jwt::{Claims, Jwt};
use sse_endpoints::{Access, Denied};

pub use checks::*;

/// How the app's routes are configured.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Keep-alive interval for every stream.
    pub keep_alive: Duration,
    /// Retry prelude for `/fixed` and the hub routes.
    pub retry: Option<Duration>,
    /// The publish body limit.
    pub max_body: usize,
    /// [`HubEndpoints::body_timeout`](sse_endpoints::HubEndpoints::body_timeout).
    pub body_timeout: Duration,
    /// [`HubEndpoints::max_publishes_in_flight`](sse_endpoints::HubEndpoints::max_publishes_in_flight).
    pub max_publishes_in_flight: usize,
    /// [`HubEndpoints::publish_rate`](sse_endpoints::HubEndpoints::publish_rate), if any.
    pub publish_rate: Option<u32>,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            keep_alive: Duration::from_millis(200),
            retry: Some(Duration::from_millis(1500)),
            max_body: 1024,
            body_timeout: Duration::from_millis(300),
            max_publishes_in_flight: 64,
            publish_rate: None,
        }
    }
}

/// A framework adapter under test.
pub trait Integration: Sync + 'static {
    /// Whether the app has the framework's usual compression middleware in front.
    fn has_compression(&self) -> bool;

    /// Whether the framework hands header values that are not UTF-8 to the adapter.
    /// Rocket drops them before any guard runs, so for it such a `Last-Event-ID` reads as
    /// absent instead of being answered with 400.
    fn keeps_non_utf8_headers(&self) -> bool {
        true
    }

    /// Starts the app on `127.0.0.1` (any free port), serving the routes in the crate docs
    /// over `hub`, and returns once it accepts connections.
    fn start(&self, hub: Hub, config: AppConfig) -> Box<dyn RunningApp>;
}

/// A running app.
pub trait RunningApp: Send {
    /// Where it listens.
    fn addr(&self) -> SocketAddr;

    /// Shuts the server down gracefully, wired to the hub as the adapter's docs tell users
    /// to (the hub shuts down with [`final_event`]), and returns when the server has stopped.
    fn shutdown(self: Box<Self>);
}

/// The authorization decision every integration's hook applies: header `x-auth: none` is
/// 401, `x-auth: forbidden` is 403, and the topic `private` is 403 for everyone.
pub fn test_authorize(x_auth: Option<&[u8]>, access: Access<'_>) -> Result<(), Denied> {
    match x_auth {
        Some(b"none") => return Err(Denied::Unauthorized),
        Some(b"forbidden") => return Err(Denied::Forbidden),
        _ => {}
    }
    if access.topics().any(|topic| topic == "private") {
        return Err(Denied::Forbidden);
    }
    Ok(())
}

/// The HS256 secret of the `/jwt` routes' hook.
pub const TEST_JWT_SECRET: &str = "the conformance suite's secret, 32+ bytes";

/// The hook of the `/jwt` routes: `Jwt::hs256(TEST_JWT_SECRET)` with its defaults (the
/// token from `Authorization: Bearer`, the cookie `sse_authorization`, or
/// `?authorization=`), made with the adapter's [`ReadRequest`] marker `P`.
///
/// [`ReadRequest`]: sse_endpoints::ReadRequest
pub fn test_jwt<P>() -> Jwt<P> {
    Jwt::hs256(TEST_JWT_SECRET).expect("TEST_JWT_SECRET has 32 bytes or more")
}

/// A token for the `/jwt` routes: these claims, signed with [`TEST_JWT_SECRET`].
pub fn test_token(claims: &Claims) -> String {
    claims
        .sign_hs256(TEST_JWT_SECRET.as_bytes())
        .expect("HS256 signing cannot fail")
}

/// The events `/fixed` streams: multi-line, empty, JSON, named, with ids, comments and
/// non-ASCII text.
pub fn fixed_events() -> Vec<Event> {
    let build = || -> Result<Vec<Event>, sse_core::EventError> {
        Ok(vec![
            Event::new("first line\nsecond line\r\nthird\rfourth").id("1")?,
            Event::new(""),
            Event::new(r#"{"user":"ada","n":[1,2,3]}"#).event("json")?,
            Event::new("  leading spaces kept")
                .event("with space")?
                .comment("a comment"),
            Event::new("naïve café ✓ 日本").id("ünïcode-2")?,
            Event::new("trailing newline\n"),
        ])
    };
    build().unwrap_or_default()
}

/// The event every hub subscriber receives when the app shuts down.
pub fn final_event() -> Event {
    Event::new("bye")
        .event(sse_core::hub::SHUTDOWN_EVENT)
        .unwrap_or_else(|_| Event::new("bye"))
}

/// What an emitter route's producer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmitterScript {
    /// Sends `first`, waits for the emitter to close, tries one more send, and publishes
    /// `"<close reason> <whether that send failed>"` to the hub topic [`EMITTER_CLOSED`].
    Watch,
    /// Sends `a` and `b`, then completes with the final event `done`.
    Complete,
    /// Sends nothing and never completes: only shutdown or the client ends it.
    Idle,
}

/// The hub topic [`EmitterScript::Watch`] reports on.
pub const EMITTER_CLOSED: &str = "emitter-closed";

/// The stream half of an emitter whose producer, a spawned task, follows `script`. Call it
/// inside the framework's tokio runtime.
pub fn emitter_events(hub: &Hub, script: EmitterScript) -> EmitterStream {
    let (emitter, events) = Emitter::builder().capacity(4).build();
    let hub = hub.clone();
    tokio::spawn(async move {
        match script {
            EmitterScript::Watch => {
                let _ = emitter.send(Event::new("first")).await;
                let reason = emitter.closed().await;
                let failed = emitter.send(Event::new("after")).await.is_err();
                let _ = hub
                    .publish(EMITTER_CLOSED, Event::new(format!("{reason:?} {failed}")))
                    .await;
            }
            EmitterScript::Complete => {
                for data in ["a", "b"] {
                    let _ = emitter.send(Event::new(data)).await;
                }
                emitter.complete(Some(Event::new("done").event("done").unwrap_or_default()));
            }
            EmitterScript::Idle => {
                emitter.closed().await;
            }
        }
    });
    events
}

/// Five events, 200 ms apart: a stream that is never ready at once.
pub fn slow_events() -> impl Stream<Item = Event> + Send + 'static {
    futures_util::stream::unfold(0u64, |n| async move {
        if n == 5 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        Some((Event::new(n.to_string()), n + 1))
    })
}

/// An event every 20 ms with the tick count: a stream that is not a hub subscription.
pub fn clock() -> impl Stream<Item = Event> + Send + 'static {
    futures_util::stream::unfold(0u64, |n| async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Some((Event::new(n.to_string()).event("tick").ok()?, n + 1))
    })
}

/// Expands to one `#[test]` per conformance check, for `$integration` (an expression of a
/// type implementing [`Integration`]), on the in-memory hub; and, in a module `on_redis`,
/// one per check again on a hub on Redis (a `redis-server` of its own per check), but for
/// the few checks about the in-memory history window.
#[macro_export]
macro_rules! conformance_suite {
    ($integration:expr) => {
        $crate::conformance_suite!(@tests $integration;
            status_and_headers_and_head_before_first_event,
            exact_bytes_of_fixed_events,
            keep_alive_comments_while_idle,
            resume_after_last_event_id_exactly_once_then_live,
            last_event_id_extractor_reads_raw_utf8_and_query,
            disconnected_client_leaves_the_hub,
            graceful_shutdown_ends_open_streams_at_event_boundaries,
            compression_middleware_leaves_events_alone,
            publish_and_subscribe_errors_have_documented_statuses,
            a_subscriber_refused_for_a_passing_reason_is_told_to_come_back,
            unreadable_and_oversize_bodies_have_the_same_status_everywhere,
            failing_stream_ends_cleanly,
            a_handlers_own_until_counts_beside_the_apps_signal,
            an_emitters_producer_learns_that_its_client_left,
            an_emitters_final_event_arrives_before_the_end,
            graceful_shutdown_with_a_thousand_open_emitters_completes,
            a_repeated_idempotency_key_publishes_once,
            head_and_options_on_the_hub_routes_answer_alike,
            http_1_0_clients_get_a_close_delimited_body,
            other_methods_on_the_hub_routes_are_json_405s,
            without_credentials_a_json_401_with_a_challenge,
            a_topic_not_granted_is_the_same_403_whether_it_exists_or_not,
            a_token_is_accepted_from_the_header_a_cookie_and_the_query,
            a_stream_ends_at_an_event_boundary_when_its_token_expires,
            publish_needs_a_json_content_type,
            a_stalled_publish_body_is_answered_408_and_closed,
            publishes_past_the_limits_are_429_with_retry_after;
            in_memory_only:
            missed_event_for_expired_id,
            departed_clients_let_go_of_their_topics_and_connections,
            stalled_client_does_not_slow_others_and_is_closed_without_silent_loss,
        );
    };
    (@tests $integration:expr; $($check:ident),* ; in_memory_only: $($memory:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::run(&$integration, $crate::HubFactory::InMemory, $crate::$check);
            }
        )*
        $(
            #[test]
            fn $memory() {
                $crate::run(&$integration, $crate::HubFactory::InMemory, $crate::$memory);
            }
        )*
        /// The same checks on a hub on Redis.
        mod on_redis {
            use super::*;
            $(
                #[test]
                fn $check() {
                    $crate::run_on_redis(&$integration, $crate::$check);
                }
            )*
        }
    };
}

/// What builds the hubs a check starts its apps over: every check is given one, so the
/// check alone decides which hub each of its apps gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubFactory {
    /// Hubs in memory.
    InMemory,
    /// Hubs on the Redis at this URL (see [`run_on_redis`]).
    Redis(String),
}

impl HubFactory {
    /// `builder`'s hub, in memory or on this factory's Redis.
    pub async fn build(&self, builder: HubBuilder) -> Hub {
        match self {
            HubFactory::InMemory => builder.build(),
            HubFactory::Redis(url) => sse_redis::connect(url, builder)
                .await
                .expect("a hub on the check's Redis"),
        }
    }
}

/// Runs one check with its hubs on a `redis-server` of its own, stopped when the check
/// returns.
pub fn run_on_redis<I: Integration, F, Fut>(integration: &'static I, check: F)
where
    F: FnOnce(&'static I, HubFactory) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let redis = redis_server::RedisServer::start();
    run(integration, HubFactory::Redis(redis.url()), check);
}

/// Runs one check against `integration`, with its hubs from `hubs`, on a fresh client
/// runtime. Called from `#[test]` functions only: a runtime that cannot start fails the
/// test.
pub fn run<I: Integration, F, Fut>(integration: &'static I, hubs: HubFactory, check: F)
where
    F: FnOnce(&'static I, HubFactory) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    test_runtime().block_on(check(integration, hubs));
}

/// The runtime tests run clients and servers on: two worker threads, I/O and time.
pub fn test_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("test runtime")
}

/// A server running on a thread of its own, for [`Integration::start`] implementations.
#[derive(Debug)]
pub struct ServerThread(std::thread::JoinHandle<()>);

impl ServerThread {
    /// Runs `serve` on a new thread and waits until it reports, through the sender it is
    /// given, what the caller needs (its address, a shutdown handle). `serve` returns when
    /// the server has stopped.
    pub fn spawn<T, F>(serve: F) -> (T, ServerThread)
    where
        T: Send + 'static,
        F: FnOnce(std::sync::mpsc::Sender<T>) + Send + 'static,
    {
        let (ready, started) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || serve(ready));
        let value = started.recv().expect("the server reports that it started");
        (value, ServerThread(thread))
    }

    /// Waits for the server thread to end.
    pub fn join(self) {
        self.0.join().expect("server thread");
    }
}

#[cfg(test)]
mod tests {
    /// Every public check in `checks/` is in [`conformance_suite!`]'s list, so none can be
    /// added and silently never run.
    #[test]
    fn the_suite_runs_every_check() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/checks");
        let mut sources = Vec::new();
        for entry in std::fs::read_dir(dir).expect("the checks' folder") {
            let path = entry.expect("a file in the checks' folder").path();
            if path.extension().is_some_and(|ext| ext == "rs") {
                sources.push(std::fs::read_to_string(&path).expect("a check file"));
            }
        }
        let checks: Vec<&str> = sources
            .iter()
            .flat_map(|source| source.lines())
            .filter_map(|line| line.strip_prefix("pub async fn "))
            .filter_map(|rest| rest.split('<').next())
            .collect();
        let source = include_str!("lib.rs");
        let list_start = source.find("@tests $integration;").expect("the list");
        let list = &source[list_start..];
        let list = &list[..list.find(");").expect("the list's end")];
        let listed: Vec<&str> = list
            .lines()
            .skip(1)
            .map(|line| line.trim().trim_end_matches([',', ';']))
            .filter(|name| !name.is_empty() && *name != "in_memory_only:")
            .collect();
        assert!(checks.len() >= 13, "found the checks: {checks:?}");
        let mut missing: Vec<&str> = checks
            .iter()
            .filter(|c| !listed.contains(c))
            .copied()
            .collect();
        missing.extend(listed.iter().filter(|l| !checks.contains(l)));
        assert!(
            missing.is_empty(),
            "in checks.rs or the list but not both: {missing:?}"
        );
    }
}
