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
//!   [`max_body`](crate::Admitted::max_body) and says how that went with a
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
//!
//! [`RESERVED_EVENTS`]: sse_core::hub::RESERVED_EVENTS
//! [`MAX_RETRY_MS`]: crate::MAX_RETRY_MS
//! [`SUBSCRIBE_ALLOW`]: crate::SUBSCRIBE_ALLOW
//! [`PUBLISH_ALLOW`]: crate::PUBLISH_ALLOW
//! [`Access`]: crate::Access
//! [`Denied`]: crate::Denied
//! [`Grant`]: crate::Grant
//! [`RequestBody`]: crate::RequestBody
//! [`EndpointError`]: crate::EndpointError

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use sse_core::{Hub, KeepAlive};
use tokio::sync::Semaphore;

use crate::idempotency;
use crate::limits::{CredentialShares, PublishLimits, PublishRate, default_share};
#[cfg(doc)]
use crate::{Authorize, idempotency::IDEMPOTENCY_KEY};

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
    pub(crate) hub: Hub,
    pub(crate) max_body: usize,
    pub(crate) keep_alive: Option<KeepAlive>,
    pub(crate) retry: Option<Duration>,
    /// How long, and how many, idempotency keys are remembered (the keys are the hub's).
    pub(crate) idempotency_window: Duration,
    pub(crate) idempotency_max_keys: usize,
    pub(crate) idempotency_max_keys_per_publisher: usize,
    /// Body timeout, publish rate and publishes in flight (shared by clones).
    pub(crate) limits: PublishLimits,
    pub(crate) authorize: A,
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
            .field(
                "idempotency_max_keys_per_publisher",
                &self.idempotency_max_keys_per_publisher,
            )
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
            idempotency_max_keys_per_publisher: idempotency::DEFAULT_MAX_KEYS_PER_PUBLISHER,
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
            idempotency_max_keys_per_publisher: self.idempotency_max_keys_per_publisher,
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

    /// How many idempotency keys of one publisher are remembered at most (default 1,000),
    /// within [`idempotency_max_keys`](Self::idempotency_max_keys); past that the
    /// publisher's own oldest is forgotten first, so that no publisher can make the hub
    /// forget another's. See [`idempotency`] for who a publisher is. As for
    /// [`idempotency_window`](Self::idempotency_window), the first settings to be used apply.
    pub fn idempotency_max_keys_per_publisher(mut self, keys: usize) -> Self {
        self.idempotency_max_keys_per_publisher = keys;
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
        self.limits.in_flight = Arc::new(Semaphore::new(max.min(Semaphore::MAX_PERMITS)));
        if !self.limits.unauthorized.explicit {
            self.limits.unauthorized = Arc::new(CredentialShares::new(default_share(max)));
        }
        self
    }

    /// At most this many publishes of one bearer token may hold a place in flight before
    /// the hook has authorized them for their topic (default
    /// a sixteenth of [`max_publishes_in_flight`](Self::max_publishes_in_flight), at least
    /// one and at most [64](crate::limits::DEFAULT_MAX_UNAUTHORIZED_PER_CREDENTIAL)): while their body is
    /// read, and until the hook's full answer; past it, 429 `too_many_requests` with
    /// `Retry-After: 1`. So a client whose token passes
    /// [`authenticate`](crate::Authorize::authenticate) but that stalls its bodies, or
    /// sends them for topics it may not publish to, cannot take every place from the
    /// publishers with other credentials. A refused publish gives its place back as soon as
    /// the hook refuses. Requests without a bearer token are not counted. Clones share the
    /// counts.
    pub fn max_unauthorized_publishes_per_credential(mut self, max: usize) -> Self {
        let mut shares = CredentialShares::new(max);
        shares.explicit = true;
        self.limits.unauthorized = Arc::new(shares);
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

    /// The hub.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }
}
