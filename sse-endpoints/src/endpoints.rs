//! The ready-made hub endpoints, without a framework: what `GET` subscribe and `POST`
//! publish do, written once. Each adapter (`sse-axum`, `sse-actix`, `sse-rocket`) only
//! turns its request into these calls and the result into its response.
//!
//! - **Subscribe**: `GET ...?topic=a&topic=b`, resuming after `Last-Event-ID` (header, or
//!   `lastEventId` in the query). Answers a keep-alive event stream of the subscription.
//! - **Publish**: `POST` with a JSON body `{"topic": "...", "data": ..., "event"?: "...",
//!   "retry"?: ms, "idempotency_key"?: "..."}`; `data` is sent as is when it is a JSON
//!   string, and as JSON text otherwise. Answers `{"id": "<event id>"}`. The hub's own event names
//!   ([`RESERVED_EVENTS`]: `missed`, `shutdown`) cannot be published here, so subscribers
//!   can trust a notice of that name; and `retry` is at most [`MAX_RETRY_MS`] (one hour).
//! - **Idempotent publishing**: a publish may carry a key, `"idempotency_key"` in the body
//!   or an `Idempotency-Key` header (the body's wins). A repeat with the same key and topic
//!   within the [window](HubEndpoints::idempotency_window) answers the first publish's id
//!   and publishes nothing; the same key with another event is a 422
//!   `idempotency_key_reused`. See [`idempotency`] for the limits (keys are remembered per
//!   process).
//! - **`HEAD` and `OPTIONS`**: `HEAD` on the subscribe path answers what `GET` would, with
//!   no body and without subscribing ([`check_subscribe`](HubEndpoints::check_subscribe));
//!   `OPTIONS` answers 204 with an `Allow` header: [`SUBSCRIBE_ALLOW`] on the subscribe
//!   path, [`PUBLISH_ALLOW`] on the publish path.
//! - **Authorization**: the application's [`Authorize`] hook is called with the framework's
//!   request and the [`Access`] asked for, and answers now or later (see
//!   [`auth`](crate::auth)); [`Denied`] becomes 401 (with `WWW-Authenticate`) or 403,
//!   and a subscription whose [`Grant`] expires ends then, at an event boundary.
//! - **Request bodies**: the adapter reads the publish body up to
//!   [`max_body_bytes`](HubEndpoints::max_body_bytes) and says how that went with a
//!   [`RequestBody`]: complete, over the limit (413), or unreadable (400: the client went
//!   away mid-body, or broke the chunked framing). All adapters answer the same.
//! - **Limits** ([`limits`](crate::limits), with their defaults): the body is read
//!   within [`body_timeout`](HubEndpoints::body_timeout) (10 s; past it 408 and the
//!   connection is closed), and a publish is first admitted
//!   ([`admit_publish`](HubEndpoints::admit_publish)): at most
//!   [`max_publishes_in_flight`](HubEndpoints::max_publishes_in_flight) at once (1,024) and,
//!   if set, [`publish_rate`](HubEndpoints::publish_rate) a second; past either, 429 with
//!   `Retry-After`.
//!
//! Every error is an [`EndpointError`] with a status and a JSON body
//! (`{"error": code, "message": text}`):
//!
//! | what | status | code |
//! |---|---|---|
//! | malformed JSON, missing or unknown field | 400 | `invalid_json` |
//! | body cut short or badly framed | 400 | `invalid_body` |
//! | bad topic name, no topic, too many topics | 400 | `invalid_topic`, `no_topics`, ... |
//! | bad `Last-Event-ID` (not UTF-8, too long) | 400 | `invalid_last_event_id` |
//! | event name the hub reserves (`missed`, `shutdown`) | 400 | `reserved_event` |
//! | `retry` over [`MAX_RETRY_MS`] | 400 | `invalid_retry` |
//! | idempotency key empty, over 128 bytes, or not UTF-8 | 400 | `invalid_idempotency_key` |
//! | idempotency key already used for another event on the topic | 422 | `idempotency_key_reused` |
//! | denied by the hook: no credentials, bad or expired ones (with `WWW-Authenticate`) | 401 | `unauthorized`, `invalid_token` |
//! | denied by the hook: not granted | 403 | `forbidden` |
//! | body not read within the body timeout | 408 | `body_timeout` |
//! | body over the limit, event over the hub's size limit | 413 | `body_too_large`, `event_too_large` |
//! | publish without `content-type: application/json` | 415 | `unsupported_media_type` |
//! | publishes over the rate, or too many in flight | 429 | `too_many_requests` |
//! | bad event name (CR or LF) | 422 | `invalid_event` |
//! | hub over its topic or subscriber limits, or shut down | 503 | `too_many_subscribers`, `hub_closed`, ... |
//!
//! Topics are created on first use, so there is no "unknown topic": any valid name can be
//! subscribed to before anything is published on it.

use std::fmt;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::Deserialize;

pub use crate::auth::{
    Access, Authorization, Authorize, Denied, Grant, ReadRequest, request_token,
};
use crate::idempotency::{self, Claim, IdempotencyKeys, InvalidKey, Pending};
use crate::limits::{LimitError, PublishLimits, PublishPermit, PublishRate};
use sse_core::http::HttpError;
use sse_core::hub::{RESERVED_EVENTS, TopicName};
use sse_core::{
    Event, EventError, EventId, Hub, HubError, KeepAlive, LastEventId, LastEventIdError, SseStream,
    Subscription,
};

/// The largest `retry` a publish may ask for, in milliseconds: one hour. Larger is a 400
/// `invalid_retry`: a publisher must not be able to make every subscriber wait for days
/// before reconnecting.
pub const MAX_RETRY_MS: u64 = 3_600_000;

/// The `Allow` header of the subscribe path (`OPTIONS /events` answers 204 with it).
pub const SUBSCRIBE_ALLOW: &str = "GET, HEAD, OPTIONS";

/// The `Allow` header of the publish path (`OPTIONS /publish` answers 204 with it).
pub const PUBLISH_ALLOW: &str = "POST, OPTIONS";

/// Why an endpoint refused a request.
#[derive(Debug)]
#[non_exhaustive]
pub enum EndpointError {
    /// The authorization hook said no.
    Denied(Denied),
    /// The request body is larger than the limit.
    BodyTooLarge {
        /// The limit, in bytes.
        max: usize,
    },
    /// The request body could not be read to its end.
    InvalidBody(String),
    /// The request body was not read within the [body timeout](HubEndpoints::body_timeout).
    BodyTimeout {
        /// The timeout.
        after: Duration,
    },
    /// A limit refused the request (429).
    Limit(LimitError),
    /// The publish body is not the expected JSON.
    InvalidJson(String),
    /// The event name is not valid.
    InvalidEvent(EventError),
    /// The event name is one of the hub's own ([`RESERVED_EVENTS`]).
    ReservedEvent(String),
    /// The `retry` is longer than [`MAX_RETRY_MS`].
    InvalidRetry {
        /// The `retry` asked for, in milliseconds.
        ms: u64,
    },
    /// The idempotency key is empty, too long, or not UTF-8.
    InvalidIdempotencyKey(InvalidKey),
    /// The idempotency key was used, within its window, for another event on the topic.
    IdempotencyKeyReused,
    /// The publish body is not declared `application/json`.
    UnsupportedMediaType,
    /// The `Last-Event-ID` cannot be used.
    LastEventId(LastEventIdError),
    /// The hub refused.
    Hub(HubError),
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndpointError::Denied(Denied::Unauthorized) => f.write_str("authentication required"),
            EndpointError::Denied(Denied::InvalidToken) => {
                f.write_str("the credentials are invalid or expired")
            }
            EndpointError::Denied(Denied::Forbidden) => f.write_str("not allowed for these topics"),
            EndpointError::BodyTooLarge { max } => {
                write!(f, "the request body is larger than {max} bytes")
            }
            EndpointError::InvalidBody(error) => {
                write!(f, "the request body is unreadable: {error}")
            }
            EndpointError::BodyTimeout { after } => {
                write!(f, "the request body was not received within {after:?}")
            }
            EndpointError::Limit(error) => error.fmt(f),
            EndpointError::InvalidJson(error) => write!(f, "invalid publish request: {error}"),
            EndpointError::InvalidEvent(error) => error.fmt(f),
            EndpointError::ReservedEvent(name) => write!(
                f,
                "the event name {name:?} is reserved for the hub's own notices"
            ),
            EndpointError::InvalidRetry { ms } => {
                write!(
                    f,
                    "retry {ms} ms is longer than the maximum, {MAX_RETRY_MS} ms"
                )
            }
            EndpointError::InvalidIdempotencyKey(error) => error.fmt(f),
            EndpointError::IdempotencyKeyReused => {
                f.write_str("the idempotency key was already used for another event on this topic")
            }
            EndpointError::UnsupportedMediaType => {
                f.write_str("a publish body must be sent with content-type: application/json")
            }
            EndpointError::LastEventId(error) => error.fmt(f),
            EndpointError::Hub(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for EndpointError {}

impl HttpError for EndpointError {
    fn status(&self) -> u16 {
        match self {
            EndpointError::Denied(Denied::Unauthorized | Denied::InvalidToken) => 401,
            EndpointError::Denied(Denied::Forbidden) => 403,
            EndpointError::BodyTooLarge { .. } => 413,
            EndpointError::InvalidBody(_)
            | EndpointError::InvalidJson(_)
            | EndpointError::ReservedEvent(_)
            | EndpointError::InvalidRetry { .. }
            | EndpointError::InvalidIdempotencyKey(_) => 400,
            EndpointError::InvalidEvent(_) | EndpointError::IdempotencyKeyReused => 422,
            EndpointError::UnsupportedMediaType => 415,
            EndpointError::BodyTimeout { .. } => 408,
            EndpointError::Limit(error) => error.status(),
            EndpointError::LastEventId(error) => error.status(),
            EndpointError::Hub(error) => HttpError::status(error),
        }
    }

    fn retry_after(&self) -> Option<u32> {
        match self {
            EndpointError::Hub(error) => error.retry_after(),
            EndpointError::Limit(error) => error.retry_after(),
            _ => None,
        }
    }

    fn www_authenticate(&self) -> Option<&str> {
        match self {
            EndpointError::Denied(denied) => denied.challenge(),
            _ => None,
        }
    }

    fn code(&self) -> &str {
        match self {
            EndpointError::Denied(Denied::Unauthorized) => "unauthorized",
            EndpointError::Denied(Denied::InvalidToken) => "invalid_token",
            EndpointError::Denied(Denied::Forbidden) => "forbidden",
            EndpointError::BodyTooLarge { .. } => "body_too_large",
            EndpointError::InvalidBody(_) => "invalid_body",
            EndpointError::BodyTimeout { .. } => "body_timeout",
            EndpointError::Limit(error) => error.code(),
            EndpointError::InvalidJson(_) => "invalid_json",
            EndpointError::InvalidEvent(error) => error.code(),
            EndpointError::ReservedEvent(_) => "reserved_event",
            EndpointError::InvalidRetry { .. } => "invalid_retry",
            EndpointError::InvalidIdempotencyKey(_) => "invalid_idempotency_key",
            EndpointError::IdempotencyKeyReused => "idempotency_key_reused",
            EndpointError::UnsupportedMediaType => "unsupported_media_type",
            EndpointError::LastEventId(error) => error.code(),
            EndpointError::Hub(error) => HttpError::code(error),
        }
    }
}

impl From<HubError> for EndpointError {
    fn from(error: HubError) -> Self {
        EndpointError::Hub(error)
    }
}

impl From<LastEventIdError> for EndpointError {
    fn from(error: LastEventIdError) -> Self {
        EndpointError::LastEventId(error)
    }
}

impl From<LimitError> for EndpointError {
    fn from(error: LimitError) -> Self {
        EndpointError::Limit(error)
    }
}

impl From<Denied> for EndpointError {
    fn from(denied: Denied) -> Self {
        EndpointError::Denied(denied)
    }
}

/// Checks a publish request's `Content-Type` header (raw bytes) before its body is read:
/// `application/json`, with any parameters (`; charset=utf-8`), else a 415
/// `unsupported_media_type`. A page on another site can send a "simple" cross-site `POST`
/// (form or `text/plain` bodies) without a preflight; requiring JSON's media type keeps such
/// requests from publishing.
///
/// ```
/// use sse_endpoints::check_publish_content_type;
/// assert!(check_publish_content_type(Some(b"application/json; charset=utf-8")).is_ok());
/// assert!(check_publish_content_type(Some(b"text/plain")).is_err());
/// assert!(check_publish_content_type(None).is_err());
/// ```
pub fn check_publish_content_type(content_type: Option<&[u8]>) -> Result<(), EndpointError> {
    let essence = content_type
        .and_then(|value| value.split(|&byte| byte == b';').next())
        .map(<[u8]>::trim_ascii);
    match essence {
        Some(essence) if essence.eq_ignore_ascii_case(b"application/json") => Ok(()),
        _ => Err(EndpointError::UnsupportedMediaType),
    }
}

/// How reading a publish request's body went, as the adapter tells it to
/// [`HubEndpoints::publish`].
///
/// ```
/// use sse_endpoints::RequestBody;
/// // What an adapter does with its framework's body reader, in outline:
/// fn outcome(read: Result<Vec<u8>, std::io::Error>, over_limit: bool) -> RequestBody {
///     match read {
///         _ if over_limit => RequestBody::OverLimit,
///         Ok(bytes) => RequestBody::Complete(bytes.into()),
///         Err(error) => RequestBody::Unreadable(error.to_string()),
///     }
/// }
/// # let _ = outcome(Ok(vec![]), false);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestBody {
    /// The whole body, within the limit.
    Complete(Bytes),
    /// The body is longer than [`HubEndpoints::max_body_bytes`]: 413 `body_too_large`.
    OverLimit,
    /// The body could not be read to its end (the client went away, the declared length was
    /// never delivered, the chunked framing is broken): 400 `invalid_body`.
    Unreadable(String),
    /// The body was not read within [`HubEndpoints::body_timeout`]: 408 `body_timeout`.
    /// [`HubEndpoints::read_body_within`] says this when its read takes too long.
    TimedOut,
    /// The hub shut down while the body was being read: 503 `hub_closed`.
    HubClosed,
}

/// A successful publish: the id the hub gave the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// The event's id.
    pub id: EventId,
}

impl Published {
    /// The response body: `{"id":"<id>"}`.
    pub fn json_body(&self) -> String {
        format!("{{\"id\":\"{}\"}}", self.id)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishBody {
    topic: String,
    data: serde_json::Value,
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    retry: Option<u64>,
    #[serde(default)]
    idempotency_key: Option<String>,
}

/// The publish body, which must be a JSON object: serde's derived `Deserialize` also takes
/// a JSON array of the fields in order (`["topic", "data"]`), a second syntax the endpoint
/// does not offer (found by the `publish_json` fuzz target).
fn parse_publish_body(body: &[u8]) -> Result<PublishBody, EndpointError> {
    let first = body
        .iter()
        .find(|byte| !matches!(byte, b' ' | b'\t' | b'\n' | b'\r'));
    if first == Some(&b'[') {
        return Err(EndpointError::InvalidJson(
            "expected a JSON object, found an array".to_owned(),
        ));
    }
    serde_json::from_slice(body).map_err(|error| EndpointError::InvalidJson(error.to_string()))
}

/// A checked publish, ready for the hub.
struct Prepared {
    topic: TopicName,
    event: Event,
    /// The idempotency key, and a hash of the event it is for.
    key: Option<(String, u64)>,
}

/// The hub endpoints' settings, and their logic. `A` is the [`Authorize`] hook, called with
/// the framework's request; `()` allows all.
///
/// ```
/// use std::time::Duration;
/// use sse_core::{Hub, KeepAlive};
/// use sse_endpoints::HubEndpoints;
///
/// let endpoints = HubEndpoints::new(Hub::new())
///     .max_body(16 * 1024)
///     .keep_alive(KeepAlive::new().interval(Duration::from_secs(20)))
///     .retry(Duration::from_secs(3))
///     .idempotency_window(Duration::from_secs(60));
/// # drop(endpoints);
/// ```
#[derive(Clone)]
#[must_use]
pub struct HubEndpoints<A = ()> {
    hub: Hub,
    max_body: usize,
    keep_alive: Option<KeepAlive>,
    retry: Option<Duration>,
    /// How long, and how many, idempotency keys are remembered (the keys are the hub's).
    idempotency_window: Duration,
    idempotency_max_keys: usize,
    /// Body timeout, publish rate and publishes in flight (shared by clones).
    limits: PublishLimits,
    authorize: A,
}

impl<A> fmt::Debug for HubEndpoints<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubEndpoints")
            .field("hub", &self.hub)
            .field("max_body", &self.max_body)
            .field("keep_alive", &self.keep_alive)
            .field("retry", &self.retry)
            .field("idempotency_window", &self.idempotency_window)
            .field("idempotency_max_keys", &self.idempotency_max_keys)
            .field("limits", &self.limits)
            .field("authorize", &std::any::type_name::<A>())
            .finish()
    }
}

impl HubEndpoints<()> {
    /// Endpoints over `hub`: a 64 KiB body limit, the default keep-alive, no retry prelude,
    /// idempotency keys remembered for 5 minutes (at most 10,000 of them), and every request
    /// allowed.
    pub fn new(hub: Hub) -> Self {
        HubEndpoints {
            hub,
            max_body: 64 * 1024,
            keep_alive: Some(KeepAlive::new()),
            retry: None,
            idempotency_window: idempotency::DEFAULT_WINDOW,
            idempotency_max_keys: idempotency::DEFAULT_MAX_KEYS,
            limits: PublishLimits::default(),
            authorize: (),
        }
    }
}

impl<A> HubEndpoints<A> {
    /// Sets the authorization hook, called with the framework's request (axum's `Parts`,
    /// actix-web's `HttpRequest`, rocket's `Request`): a closure that answers now or later,
    /// `Option` of a hook, or a ready one such as [`Jwt`](crate::jwt::Jwt) (feature
    /// `jwt`). See [`auth`](crate::auth).
    pub fn authorize<B>(self, hook: B) -> HubEndpoints<B> {
        HubEndpoints {
            hub: self.hub,
            max_body: self.max_body,
            keep_alive: self.keep_alive,
            retry: self.retry,
            idempotency_window: self.idempotency_window,
            idempotency_max_keys: self.idempotency_max_keys,
            limits: self.limits,
            authorize: hook,
        }
    }

    /// The largest publish body accepted, in bytes (default 64 KiB).
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Keep-alive for subscriptions.
    pub fn keep_alive(mut self, keep_alive: KeepAlive) -> Self {
        self.keep_alive = Some(keep_alive);
        self
    }

    /// The reconnection delay sent with each subscription's first event.
    pub fn retry(mut self, delay: Duration) -> Self {
        self.retry = Some(delay);
        self
    }

    /// How long a publish's idempotency key is remembered (default 5 minutes): a repeat
    /// within it answers the first publish's id and publishes nothing. Zero remembers
    /// nothing. See [`idempotency`].
    ///
    /// The keys are kept with the hub, so that every `HubEndpoints` over one hub (one per
    /// actix-web worker, say) shares them; the settings of the first to receive a key apply.
    pub fn idempotency_window(mut self, window: Duration) -> Self {
        self.idempotency_window = window;
        self
    }

    /// How many idempotency keys are remembered at most (default 10,000); past that the
    /// oldest is forgotten first. Zero remembers nothing. As for
    /// [`idempotency_window`](Self::idempotency_window), the first settings to be used apply.
    pub fn idempotency_max_keys(mut self, keys: usize) -> Self {
        self.idempotency_max_keys = keys;
        self
    }

    /// How long reading a publish body may take, whole (default
    /// [10 s](crate::limits::DEFAULT_BODY_TIMEOUT)): past it the publish is a 408
    /// `body_timeout` and the adapter closes the connection, so a client that declares a
    /// body and stalls cannot hold its connection, or a server's graceful shutdown.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.limits.body_timeout = timeout;
        self
    }

    /// At most this many publishes at once (default
    /// [1,024](crate::limits::DEFAULT_MAX_PUBLISHES_IN_FLIGHT)), counted from
    /// [`admit_publish`](Self::admit_publish), before the body is read, to the hub's answer;
    /// past it, 429 `too_many_requests` with `Retry-After: 1`. With a backend, this bounds
    /// the publishes queued for it. Clones share the count (build one `HubEndpoints` and
    /// clone it into every actix-web worker).
    pub fn max_publishes_in_flight(mut self, max: usize) -> Self {
        self.limits.in_flight = crate::limits::InFlight::new(max);
        self
    }

    /// At most `per_second` publishes a second, in bursts of up to one second's worth (a
    /// token bucket; default: no rate limit); past it, 429 `too_many_requests` with
    /// `Retry-After: 1`. Clones share the bucket, as for
    /// [`max_publishes_in_flight`](Self::max_publishes_in_flight).
    pub fn publish_rate(mut self, per_second: u32) -> Self {
        self.limits.rate = Some(PublishRate::new(per_second));
        self
    }

    /// The [`body_timeout`](Self::body_timeout), for the adapter that reads the body.
    pub fn body_read_timeout(&self) -> Duration {
        self.limits.body_timeout
    }

    /// `read`, an adapter's reading of the body, within the
    /// [`body_timeout`](Self::body_timeout): [`RequestBody::TimedOut`] if it takes longer, and
    /// [`RequestBody::HubClosed`] as soon as the hub shuts down, so that a server's graceful
    /// shutdown never waits for a client that stalls mid-body. Call inside a tokio runtime.
    pub async fn read_body_within(&self, read: impl Future<Output = RequestBody>) -> RequestBody {
        let closed = self.hub.closed();
        tokio::select! {
            biased;
            read = tokio::time::timeout(self.limits.body_timeout, read) => {
                read.unwrap_or(RequestBody::TimedOut)
            }
            () = closed => RequestBody::HubClosed,
        }
    }

    /// The bytes of a body read as [`publish`](Self::publish) reads it, or the error it would
    /// answer (413, 400 `invalid_body`, 408 `body_timeout`, 503): for an application's own
    /// body routes, with [`admit_publish`](Self::admit_publish) and
    /// [`read_body_within`](Self::read_body_within), so that they have the same limits.
    pub fn check_body(&self, body: RequestBody) -> Result<Bytes, EndpointError> {
        match body {
            RequestBody::Complete(body) if body.len() <= self.max_body => Ok(body),
            RequestBody::Complete(_) | RequestBody::OverLimit => {
                Err(EndpointError::BodyTooLarge { max: self.max_body })
            }
            RequestBody::Unreadable(error) => Err(EndpointError::InvalidBody(error)),
            RequestBody::HubClosed => Err(EndpointError::Hub(HubError::Closed)),
            RequestBody::TimedOut => Err(EndpointError::BodyTimeout {
                after: self.limits.body_timeout,
            }),
        }
    }

    /// The hook's check of a publish request's credentials alone
    /// ([`Authorize::authenticate`]), for the adapter to make before
    /// [`admit_publish`](Self::admit_publish): a client without valid credentials is a 401
    /// before it takes a place in flight or a token of the rate, so strangers cannot use up
    /// the publish budget.
    ///
    /// ```
    /// use sse_core::Hub;
    /// use sse_core::http::HttpError;
    /// use sse_endpoints::{Access, Authorization, Authorize, Denied, HubEndpoints};
    ///
    /// struct Signed;
    /// impl Authorize<Option<&'static str>> for Signed {
    ///     fn authorize(&self, token: &Option<&'static str>, _: Access<'_>) -> Authorization {
    ///         Authorization::allow()
    ///     }
    ///     fn authenticate(&self, token: &Option<&'static str>) -> Result<(), Denied> {
    ///         token.map(drop).ok_or(Denied::Unauthorized)
    ///     }
    /// }
    /// let endpoints = HubEndpoints::new(Hub::new()).authorize(Signed);
    /// assert_eq!(endpoints.authenticate(&None).unwrap_err().status(), 401);
    /// assert!(endpoints.authenticate(&Some("token")).is_ok());
    /// ```
    pub fn authenticate<R: ?Sized>(&self, request: &R) -> Result<(), EndpointError>
    where
        A: Authorize<R>,
    {
        Ok(self.authorize.authenticate(request)?)
    }

    /// Admits a publish, before its body is read: a place among the
    /// [publishes in flight](Self::max_publishes_in_flight), and a token of the
    /// [rate](Self::publish_rate) if one is set. Hold the permit until
    /// [`publish`](Self::publish) has answered; an error is a 429 `too_many_requests` with
    /// `Retry-After`. The adapters' ready routes call it for every `POST`.
    ///
    /// ```
    /// use sse_core::Hub;
    /// use sse_core::http::HttpError;
    /// use sse_endpoints::HubEndpoints;
    ///
    /// let endpoints = HubEndpoints::new(Hub::new()).max_publishes_in_flight(1);
    /// let permit = endpoints.admit_publish().unwrap();
    /// let refused = endpoints.admit_publish().unwrap_err();
    /// assert_eq!((refused.status(), refused.code()), (429, "too_many_requests"));
    /// assert_eq!(refused.retry_after(), Some(1));
    /// drop(permit);
    /// assert!(endpoints.admit_publish().is_ok());
    /// ```
    pub fn admit_publish(&self) -> Result<PublishPermit, EndpointError> {
        Ok(self.limits.admit()?)
    }

    /// The hub's idempotency keys, made with these settings if this is the first use.
    fn idempotency_keys(&self) -> Arc<IdempotencyKeys> {
        self.hub
            .extension(|| IdempotencyKeys::new(self.idempotency_window, self.idempotency_max_keys))
    }

    /// The hub.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The [`max_body`](Self::max_body) limit, for the adapter that reads the body.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body
    }

    /// Subscribes for a `GET`: topics from the raw query string's `topic` parameters, the
    /// resume point from the raw `Last-Event-ID` header bytes or the `lastEventId` parameter,
    /// authorized by the hook with `request`. A grant that expires ends the stream then, at
    /// an event boundary.
    ///
    /// The request is read and the hook called before the returned future is first polled;
    /// the future waits for the hook's answer and does not use `request`.
    pub fn subscribe<R: ?Sized>(
        &self,
        request: &R,
        query: Option<&str>,
        last_event_id_header: Option<&[u8]>,
    ) -> impl Future<Output = Result<SseStream<Subscription>, EndpointError>> + Send + '_
    where
        A: Authorize<R>,
    {
        let checked = self.subscribe_request(request, query, last_event_id_header);
        async move {
            let (topics, last_event_id, authorization) = checked?;
            let deadline = deadline(authorization.await?)?;
            let subscription = self.hub.subscribe(&topics, last_event_id.as_ref())?;
            let mut stream = SseStream::new(subscription);
            stream = match &self.keep_alive {
                Some(keep_alive) => stream.keep_alive(keep_alive.clone()),
                None => stream.no_keep_alive(),
            };
            if let Some(retry) = self.retry {
                stream = stream.retry(retry);
            }
            if let Some(deadline) = deadline {
                stream = stream.until(tokio::time::sleep_until(deadline));
            }
            Ok(stream)
        }
    }

    /// What `HEAD` on the subscribe path answers: every check [`subscribe`](Self::subscribe)
    /// makes (the topics, the `Last-Event-ID`, the hook, that the hub is open), without
    /// subscribing. `Ok` is a 200 with the event-stream headers
    /// ([`RESPONSE_HEADERS`](sse_core::RESPONSE_HEADERS)) and no body; an error has the status
    /// a `GET` would have (but for the hub's subscriber limits, which only a subscription
    /// meets).
    ///
    /// ```
    /// use sse_core::Hub;
    /// use sse_core::http::HttpError;
    /// use sse_endpoints::HubEndpoints;
    ///
    /// # futures_util::FutureExt::now_or_never(async {
    /// let endpoints = HubEndpoints::new(Hub::new());
    /// assert!(endpoints.check_subscribe(&(), Some("topic=news"), None).await.is_ok());
    /// let error = endpoints.check_subscribe(&(), None, None).await.unwrap_err();
    /// assert_eq!(error.status(), 400);
    /// assert_eq!(endpoints.hub().stats().subscribers, 0);
    /// # }).unwrap();
    /// ```
    pub fn check_subscribe<R: ?Sized>(
        &self,
        request: &R,
        query: Option<&str>,
        last_event_id_header: Option<&[u8]>,
    ) -> impl Future<Output = Result<(), EndpointError>> + Send + '_
    where
        A: Authorize<R>,
    {
        let checked = self.subscribe_request(request, query, last_event_id_header);
        async move {
            let (topics, _, authorization) = checked?;
            deadline(authorization.await?)?;
            Ok(self.hub.check_subscribe(&topics)?)
        }
    }

    /// The topics and resume point of a subscribe request, and the hook's answer.
    fn subscribe_request<R: ?Sized>(
        &self,
        request: &R,
        query: Option<&str>,
        last_event_id_header: Option<&[u8]>,
    ) -> Result<(Vec<String>, Option<LastEventId>, Authorization), EndpointError>
    where
        A: Authorize<R>,
    {
        let topics: Vec<String> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .filter(|(name, _)| name == "topic")
            .map(|(_, value)| value.into_owned())
            .collect();
        let last_event_id = LastEventId::from_header_or_query(last_event_id_header, query)?;
        // The names and their count are checked before the hook sees them (a 400 tells
        // nothing of which topics exist), so a hook never loops over thousands of them.
        self.hub.check_subscribe(&topics)?;
        let authorization = self
            .authorize
            .authorize(request, Access::Subscribe(&topics));
        Ok((topics, last_event_id, authorization))
    }

    /// Publishes for a `POST` with a JSON body, authorized by the hook with `request`;
    /// `idempotency_key_header` is the raw value of the request's
    /// [`Idempotency-Key`](idempotency::HEADER) header, if any.
    ///
    /// The body is read and checked, and the hook called, before the returned future is
    /// first polled; the future only waits for the hook's answer and the hub (at once in
    /// memory, a round trip with a backend), and does not use `request`. With an idempotency key, the hub's publish
    /// runs on a task of its own (inside a tokio runtime), so that a publish whose client
    /// gave up still records its id for the retry.
    pub fn publish<R: ?Sized>(
        &self,
        request: &R,
        idempotency_key_header: Option<&[u8]>,
        body: RequestBody,
    ) -> impl Future<Output = Result<Published, EndpointError>> + Send + '_
    where
        A: Authorize<R>,
    {
        let prepared = self.prepare_publish(request, idempotency_key_header, body);
        async move {
            let (authorization, prepared) = prepared?;
            deadline(authorization.await?)?;
            let Prepared { topic, event, key } = prepared?;
            let Some(key) = key else {
                let id = self.hub.publish(&topic, event).await?;
                return Ok(Published { id });
            };
            loop {
                match self.idempotency_keys().claim(&topic, &key.0, key.1) {
                    Claim::Done(id) => return Ok(Published { id }),
                    Claim::Reused => return Err(EndpointError::IdempotencyKeyReused),
                    Claim::Wait(mut first) => {
                        if let Ok(id) = first.wait_for(Option::is_some).await {
                            if let Some(id) = *id {
                                return Ok(Published { id });
                            }
                        }
                        // The first publish failed and released the key: claim it again.
                    }
                    Claim::First(pending) => {
                        let id = publish_detached(self.hub.clone(), topic, event, pending).await?;
                        return Ok(Published { id });
                    }
                }
            }
        }
    }

    /// Everything a publish does before the hub: the body, its JSON, the idempotency key,
    /// the topic name, the hook, the event. The event's errors come after the hook's answer.
    fn prepare_publish<R: ?Sized>(
        &self,
        request: &R,
        idempotency_key_header: Option<&[u8]>,
        body: RequestBody,
    ) -> Result<(Authorization, Result<Prepared, EndpointError>), EndpointError>
    where
        A: Authorize<R>,
    {
        let body = self.check_body(body)?;
        let request_body = parse_publish_body(&body)?;
        let key = match (&request_body.idempotency_key, idempotency_key_header) {
            (Some(key), _) => Some(key.as_bytes()),
            (None, header) => header,
        };
        let key = key
            .map(idempotency::validate)
            .transpose()
            .map_err(EndpointError::InvalidIdempotencyKey)?;
        let topic = TopicName::new(&request_body.topic)?;
        let authorization = self
            .authorize
            .authorize(request, Access::Publish(topic.as_str()));
        Ok((authorization, prepare_event(request_body, topic, key)))
    }
}

/// The event of a publish request, checked, with its idempotency key and the hash of the
/// event the key is for.
fn prepare_event(
    request_body: PublishBody,
    topic: TopicName,
    key: Option<String>,
) -> Result<Prepared, EndpointError> {
    let data = match request_body.data {
        serde_json::Value::String(text) => text,
        other => other.to_string(),
    };
    // What makes a repeat the same request: the event, not how its JSON was spelled.
    let key = key.map(|key| {
        let mut hash = std::hash::DefaultHasher::new();
        (&data, &request_body.event, request_body.retry).hash(&mut hash);
        (key, hash.finish())
    });
    let mut event = Event::new(data);
    if let Some(name) = request_body.event {
        if RESERVED_EVENTS.contains(&name.as_str()) {
            return Err(EndpointError::ReservedEvent(name));
        }
        event = event.event(name).map_err(EndpointError::InvalidEvent)?;
    }
    if let Some(ms) = request_body.retry {
        if ms > MAX_RETRY_MS {
            return Err(EndpointError::InvalidRetry { ms });
        }
        event = event.retry(Duration::from_millis(ms));
    }
    Ok(Prepared { topic, event, key })
}

/// When a granted subscription ends, if it does; a grant already expired is a 401
/// `invalid_token`.
fn deadline(grant: Grant) -> Result<Option<tokio::time::Instant>, EndpointError> {
    let Some(expires_at) = grant.expires_at() else {
        return Ok(None);
    };
    match expires_at.duration_since(std::time::SystemTime::now()) {
        Ok(left) if !left.is_zero() => Ok(tokio::time::Instant::now().checked_add(left)),
        _ => Err(EndpointError::Denied(Denied::InvalidToken)),
    }
}

/// The hub's publish for the first claim on a key, on a task of its own when there is a
/// runtime, so that it completes (and records its id for repeats) even if the request's
/// future is dropped because its client went away.
async fn publish_detached(
    hub: Hub,
    topic: TopicName,
    event: Event,
    pending: Pending,
) -> Result<EventId, EndpointError> {
    let publish = async move {
        let id = hub.publish(&topic, event).await?;
        pending.complete(id);
        Ok(id)
    };
    match tokio::runtime::Handle::try_current() {
        // A task that did not finish was cancelled by its runtime shutting down.
        Ok(runtime) => runtime
            .spawn(publish)
            .await
            .unwrap_or(Err(EndpointError::Hub(HubError::Closed))),
        Err(_) => publish.await,
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    fn complete(body: &str) -> RequestBody {
        RequestBody::Complete(Bytes::copy_from_slice(body.as_bytes()))
    }

    #[test]
    fn publish_statuses() {
        let endpoints = HubEndpoints::new(Hub::new()).max_body(100);
        let status = |body: RequestBody| {
            endpoints
                .publish(&(), None, body)
                .now_or_never()
                .expect("in memory, ready at once")
                .map(|_| 200)
                .unwrap_or_else(|e| e.status())
        };
        assert_eq!(status(complete(r#"{"topic":"t","data":"x"}"#)), 200);
        assert_eq!(
            status(complete(
                r#"{"topic":"t","data":{"n":1},"event":"e","retry":10}"#
            )),
            200
        );
        assert_eq!(status(complete(r#"{"topic":"t""#)), 400);
        assert_eq!(
            status(complete(r#"{"topic":"t","data":"x","extra":1}"#)),
            400
        );
        assert_eq!(status(complete(r#"{"topic":"a b","data":"x"}"#)), 400);
        assert_eq!(
            status(complete(r#"{"topic":"t","data":"x","event":"a\nb"}"#)),
            422
        );
        assert_eq!(
            status(complete(&format!(
                r#"{{"topic":"t","data":"{}"}}"#,
                "x".repeat(100)
            ))),
            413
        );
        assert_eq!(status(RequestBody::OverLimit), 413);
        let unreadable = endpoints
            .publish(
                &(),
                None,
                RequestBody::Unreadable("connection closed".into()),
            )
            .now_or_never()
            .unwrap()
            .unwrap_err();
        assert_eq!(
            (unreadable.status(), unreadable.code()),
            (400, "invalid_body")
        );
        let timed_out = endpoints
            .publish(&(), None, RequestBody::TimedOut)
            .now_or_never()
            .unwrap()
            .unwrap_err();
        assert_eq!(
            (timed_out.status(), timed_out.code()),
            (408, "body_timeout")
        );
        let denied = HubEndpoints::new(Hub::new())
            .authorize(|_: &(), _: Access<'_>| Denied::Forbidden)
            .publish(&(), None, complete(r#"{"topic":"t","data":"x"}"#))
            .now_or_never()
            .unwrap();
        assert_eq!(denied.unwrap_err().status(), 403);
    }

    #[tokio::test(start_paused = true)]
    async fn a_subscription_ends_when_its_grant_expires_and_an_expired_grant_is_a_401() {
        use futures_util::StreamExt;
        let hub = Hub::new();
        let expiring = HubEndpoints::new(hub.clone()).authorize(|_: &(), _: Access<'_>| {
            Ok(Grant::new().until(std::time::SystemTime::now() + Duration::from_secs(60)))
        });
        let mut stream = expiring
            .subscribe(&(), Some("topic=t"), None)
            .await
            .unwrap();
        hub.publish("t", Event::new("before")).await.unwrap();
        let first = stream.next().await.unwrap();
        assert!(first.ends_with(b"data: before\n\n"));
        tokio::time::advance(Duration::from_secs(61)).await;
        assert!(stream.next().await.is_none(), "ended at the grant's expiry");

        let expired = HubEndpoints::new(hub.clone()).authorize(|_: &(), _: Access<'_>| {
            Ok(Grant::new().until(std::time::SystemTime::UNIX_EPOCH))
        });
        let error = expired
            .subscribe(&(), Some("topic=t"), None)
            .await
            .unwrap_err();
        assert_eq!((error.status(), error.code()), (401, "invalid_token"));
        assert_eq!(
            error.www_authenticate(),
            Some("Bearer realm=\"sse\", error=\"invalid_token\"")
        );
        let later = HubEndpoints::new(hub.clone()).authorize(|_: &(), _: Access<'_>| {
            Authorization::later(async {
                tokio::task::yield_now().await;
                Err::<(), _>(Denied::Unauthorized)
            })
        });
        let error = later
            .publish(&(), None, complete(r#"{"topic":"t","data":"x"}"#))
            .await
            .unwrap_err();
        assert_eq!(
            (error.status(), error.www_authenticate()),
            (401, Some("Bearer realm=\"sse\""))
        );
        assert_eq!(hub.stats().published, 1, "nothing published when refused");
    }

    #[test]
    fn a_json_array_of_the_fields_is_not_a_publish_body() {
        // Found by the `publish_json` fuzz target: serde's derived struct also reads a JSON
        // array of its fields in order.
        let hub = Hub::new();
        let endpoints = HubEndpoints::new(hub.clone());
        for body in [
            r#"["t","x"]"#,
            " \r\n\t[\"t\", {\"n\":1}, \"e\", 10, \"k\"]",
        ] {
            let error = endpoints
                .publish(&(), None, complete(body))
                .now_or_never()
                .expect("in memory, ready at once")
                .expect_err(body);
            assert_eq!(
                (error.status(), error.code()),
                (400, "invalid_json"),
                "{body}"
            );
        }
        assert_eq!(hub.stats().published, 0);
        let object = endpoints
            .publish(&(), None, complete(" \n{\"topic\":\"t\",\"data\":[\"x\"]}"))
            .now_or_never();
        assert!(matches!(object, Some(Ok(_))));
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_read_past_the_timeout_is_timed_out() {
        let endpoints = HubEndpoints::new(Hub::new()).body_timeout(Duration::from_secs(10));
        let stalled = endpoints.read_body_within(std::future::pending()).await;
        assert_eq!(stalled, RequestBody::TimedOut);
        let prompt = endpoints.read_body_within(async { complete("{}") }).await;
        assert_eq!(prompt, complete("{}"));
        endpoints.hub().shutdown(None);
        let cut = endpoints.read_body_within(std::future::pending()).await;
        assert_eq!(cut, RequestBody::HubClosed);
        let error = endpoints.publish(&(), None, cut).await.unwrap_err();
        assert_eq!((error.status(), error.code()), (503, "hub_closed"));
    }

    #[test]
    fn admission_is_shared_by_clones_and_bounded_by_the_rate() {
        let endpoints = HubEndpoints::new(Hub::new())
            .max_publishes_in_flight(2)
            .publish_rate(1000);
        let clone = endpoints.clone();
        let first = endpoints.admit_publish().unwrap();
        let _second = clone.admit_publish().unwrap();
        let error = endpoints.admit_publish().unwrap_err();
        assert_eq!((error.status(), error.code()), (429, "too_many_requests"));
        assert!(error.json_body().contains("too_many_requests"));
        drop(first);
        assert!(clone.admit_publish().is_ok());
        let rated = HubEndpoints::new(Hub::new()).publish_rate(3);
        let admitted = (0..10).filter(|_| rated.admit_publish().is_ok()).count();
        assert!((3..10).contains(&admitted), "{admitted}");
    }

    #[test]
    fn reserved_event_names_and_long_retries_are_refused() {
        let hub = Hub::new();
        let endpoints = HubEndpoints::new(hub.clone());
        let error = |body: &str| {
            let error = endpoints
                .publish(&(), None, complete(body))
                .now_or_never()
                .expect("in memory, ready at once")
                .expect_err(body);
            (error.status(), error.code().to_owned())
        };
        for name in RESERVED_EVENTS {
            let body = format!(r#"{{"topic":"t","data":"x","event":"{name}"}}"#);
            assert_eq!(error(&body), (400, "reserved_event".to_owned()), "{name}");
        }
        let too_long = format!(r#"{{"topic":"t","data":"x","retry":{}}}"#, MAX_RETRY_MS + 1);
        assert_eq!(error(&too_long), (400, "invalid_retry".to_owned()));
        let max = u64::MAX;
        assert_eq!(
            error(&format!(r#"{{"topic":"t","data":"x","retry":{max}}}"#)),
            (400, "invalid_retry".to_owned())
        );
        assert_eq!(hub.stats().published, 0, "nothing refused is published");
        // Names that only look alike are other names to a client, and the maximum is fine.
        for body in [
            r#"{"topic":"t","data":"x","event":"Missed"}"#.to_owned(),
            r#"{"topic":"t","data":"x","event":"missed-too"}"#.to_owned(),
            format!(r#"{{"topic":"t","data":"x","retry":{MAX_RETRY_MS}}}"#),
        ] {
            let published = endpoints.publish(&(), None, complete(&body)).now_or_never();
            assert!(matches!(published, Some(Ok(_))), "{body}");
        }
    }

    #[test]
    fn a_repeated_idempotency_key_answers_the_first_id_and_publishes_once() {
        let hub = Hub::new();
        let endpoints = HubEndpoints::new(hub.clone());
        let mut subscription = hub.subscribe(["t", "u"], None).unwrap();
        let publish = |header: Option<&[u8]>, body: &str| {
            endpoints
                .publish(&(), header, complete(body))
                .now_or_never()
                .expect("in memory, ready at once")
                .map(|published| published.id)
                .map_err(|error| error.code().to_owned())
        };
        let keyed = r#"{"topic":"t","data":"once","idempotency_key":"k1"}"#;
        let first = publish(None, keyed).unwrap();
        assert_eq!(publish(None, keyed), Ok(first));
        // The header carries a key too; the body's wins over it.
        assert_eq!(publish(Some(b"other"), keyed), Ok(first));
        // Other endpoints over the same hub (one per actix-web worker) share the keys.
        let again = HubEndpoints::new(hub.clone())
            .publish(&(), None, complete(keyed))
            .now_or_never()
            .and_then(Result::ok)
            .map(|published| published.id);
        assert_eq!(again, Some(first));
        // A key is a key wherever it comes from, and names one event: reused for another,
        // it is refused.
        let plain = r#"{"topic":"t","data":"not again"}"#;
        assert_eq!(
            publish(Some(b"k1"), plain),
            Err("idempotency_key_reused".to_owned())
        );
        let respelled = r#"{ "data" : "once", "topic":"t", "idempotency_key":"k1" }"#;
        assert_eq!(publish(None, respelled), Ok(first));
        let by_header = publish(Some(b"k2"), plain).unwrap();
        assert_ne!(by_header, first);
        assert_eq!(publish(Some(b"k2"), plain), Ok(by_header));
        // Another topic, another key.
        let other = publish(None, r#"{"topic":"u","data":"u","idempotency_key":"k1"}"#);
        assert!(other.is_ok_and(|id| id != first));
        assert_eq!(hub.stats().published, 3);
        let mut frames = Vec::new();
        while let Some(Some(frame)) =
            futures_util::StreamExt::next(&mut subscription).now_or_never()
        {
            frames.push(String::from_utf8_lossy(frame.as_bytes()).into_owned());
        }
        assert_eq!(frames.len(), 3, "{frames:?}");
        for invalid in [
            r#"{"topic":"t","data":"x","idempotency_key":""}"#.to_owned(),
            format!(
                r#"{{"topic":"t","data":"x","idempotency_key":"{}"}}"#,
                "k".repeat(129)
            ),
        ] {
            assert_eq!(
                publish(None, &invalid),
                Err("invalid_idempotency_key".to_owned())
            );
        }
        assert_eq!(
            publish(Some(b"\xff"), plain),
            Err("invalid_idempotency_key".to_owned())
        );
        assert_eq!(
            publish(Some(b""), plain),
            Err("invalid_idempotency_key".to_owned())
        );
        assert_eq!(hub.stats().published, 3);
    }

    #[tokio::test]
    async fn concurrent_repeats_publish_once() {
        let hub = Hub::new();
        let endpoints = HubEndpoints::new(hub.clone()).idempotency_max_keys(4);
        let body = r#"{"topic":"t","data":"x","idempotency_key":"same"}"#;
        let ids = futures_util::future::join_all(
            (0..8).map(|_| endpoints.publish(&(), None, complete(body))),
        )
        .await;
        let ids: Vec<EventId> = ids.into_iter().map(|id| id.unwrap().id).collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
        assert_eq!(hub.stats().published, 1);
    }

    #[test]
    fn json_data_that_is_not_a_string_is_sent_as_json_text() {
        let hub = Hub::new();
        let endpoints = HubEndpoints::new(hub.clone());
        let mut subscription = hub.subscribe(["t"], None).unwrap();
        endpoints
            .publish(&(), None, complete(r#"{"topic":"t","data":{"n":[1,2]}}"#))
            .now_or_never()
            .unwrap()
            .unwrap();
        use futures_util::StreamExt;
        let frame = futures_util::FutureExt::now_or_never(subscription.next())
            .flatten()
            .unwrap();
        assert!(frame.ends_with(b"data: {\"n\":[1,2]}\n\n"));
    }

    #[test]
    fn check_subscribe_answers_what_subscribe_would_without_subscribing() {
        let hub = Hub::new();
        let endpoints = HubEndpoints::new(hub.clone()).authorize(|_: &(), access: Access<'_>| {
            match access.topics().any(|t| t == "private") {
                true => Err(Denied::Forbidden),
                false => Ok(()),
            }
        });
        let check = |query: Option<&str>, header: Option<&[u8]>| {
            let head = endpoints
                .check_subscribe(&(), query, header)
                .now_or_never()
                .unwrap()
                .err();
            let get = endpoints
                .subscribe(&(), query, header)
                .now_or_never()
                .unwrap()
                .err();
            let statuses = (head.map(|e| e.status()), get.map(|e| e.status()));
            assert_eq!(statuses.0, statuses.1, "{query:?}");
            statuses.0
        };
        assert_eq!(check(Some("topic=a&topic=b"), Some(b"x-1")), None);
        assert_eq!(check(None, None), Some(400));
        assert_eq!(check(Some("topic=a%20b"), None), Some(400));
        assert_eq!(check(Some("topic=private"), None), Some(403));
        assert_eq!(check(Some("topic=a"), Some(b"\xff")), Some(400));
        assert_eq!(hub.stats().subscribers, 0);
        assert!(
            endpoints
                .check_subscribe(&(), Some("topic=a"), None)
                .now_or_never()
                .unwrap()
                .is_ok()
        );
        assert_eq!(
            hub.stats().subscribers,
            0,
            "no subscription, even for a moment"
        );
        hub.shutdown(None);
        assert_eq!(check(Some("topic=a"), None), Some(503));
    }

    #[test]
    fn the_hook_sees_only_valid_topic_lists() {
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = calls.clone();
        let endpoints = HubEndpoints::new(Hub::new()).authorize(move |_: &(), _: Access<'_>| {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        });
        let many: Vec<String> = (0..1000).map(|n| format!("topic=t{n}")).collect();
        for query in [many.join("&"), "topic=a%20b".to_owned()] {
            let error = endpoints
                .check_subscribe(&(), Some(&query), None)
                .now_or_never()
                .expect("ready at once")
                .unwrap_err();
            assert_eq!(error.status(), 400);
        }
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    #[test]
    fn subscribe_reads_topics_and_last_event_id_from_the_query() {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let hook_seen = seen.clone();
        let endpoints =
            HubEndpoints::new(Hub::new()).authorize(move |_: &(), access: Access<'_>| {
                *hook_seen.lock().unwrap() = access.topics().map(str::to_owned).collect();
                Ok(())
            });
        let stream = endpoints
            .subscribe(&(), Some("topic=a&topic=b%2Fc&lastEventId=x"), None)
            .now_or_never()
            .unwrap()
            .unwrap();
        assert_eq!(*seen.lock().unwrap(), ["a", "b/c"]);
        assert_eq!(stream.get_ref().topics().collect::<Vec<_>>(), ["a", "b/c"]);
        let error = endpoints
            .subscribe(&(), Some("x=1"), None)
            .now_or_never()
            .unwrap()
            .unwrap_err();
        assert_eq!((error.status(), error.code()), (400, "no_topics"));
        let error = endpoints
            .subscribe(&(), Some("topic=a"), Some(b"\xff"))
            .now_or_never()
            .unwrap()
            .unwrap_err();
        assert_eq!(error.status(), 400);
        assert!(error.json_body().contains("invalid_last_event_id"));
    }
}
