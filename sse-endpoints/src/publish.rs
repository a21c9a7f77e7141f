//! The publish sequence, in the one order every adapter follows, enforced by its types:
//!
//! 1. [`HubEndpoints::admit_publish`]: the hook's check of the credentials alone
//!    ([`Authorize::authenticate`]: 401 before anything is spent), a place among the
//!    publishes in flight within its bearer token's share of places not yet authorized
//!    ([`HubEndpoints::max_unauthorized_publishes_per_credential`]) and a token of the rate
//!    (429), the `Content-Type` (415), and the `Idempotency-Key` header; it answers an
//!    [`Admitted`] publish.
//! 2. [`Admitted::read`]: the adapter's reading of the body stream, within the body timeout
//!    and the body limit ([`Admitted::max_body`]); it answers a [`ReceivedBody`].
//! 3. [`ReceivedBody::publish`]: the body's checks (413, 400), its JSON, the idempotency
//!    key, the topic, the hook's full answer for that topic (401, 403), the event (400, 422),
//!    and the hub. A refusal gives the place back at once; a grant ends the token's share.
//!
//! The hook's full answer needs the topic, which is in the body, so a publish is admitted
//! before it: a token that passed `authenticate` but may not publish (or stalls its bodies)
//! holds at most its share of places while its bodies are read (a sixteenth), and
//! publishers with other credentials keep the rest. See
//! [`DEFAULT_MAX_UNAUTHORIZED_PER_CREDENTIAL`](crate::limits::DEFAULT_MAX_UNAUTHORIZED_PER_CREDENTIAL)
//! for why this, and not a separate budget for bodies being read.
//!
//! Only what `admit_publish` returned can be read, and only a read body can be published, so
//! an adapter cannot skip or reorder a step. An adapter's publish route is these three calls:
//!
//! ```
//! use sse_core::Hub;
//! use sse_endpoints::{HubEndpoints, ReadRequest, RequestBody};
//!
//! // A framework's request, and how the endpoints read it (each adapter has its marker).
//! struct Request { headers: Vec<(&'static str, &'static [u8])>, body: &'static [u8] }
//! struct Reader;
//! impl ReadRequest<Request> for Reader {
//!     fn header_values<'r>(request: &'r Request, name: &str) -> impl Iterator<Item = &'r [u8]> {
//!         let name = name.to_owned();
//!         request.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(&name)).map(|(_, v)| *v)
//!     }
//!     fn query(_: &Request) -> Option<&str> { None }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), sse_endpoints::EndpointError> {
//! let endpoints = HubEndpoints::new(Hub::new());
//! let request = Request {
//!     headers: vec![("content-type", b"application/json")],
//!     body: br#"{"topic":"news","data":"hello"}"#,
//! };
//! let admitted = endpoints.admit_publish::<Reader, _>(&request)?;
//! let body = admitted
//!     .read(async { RequestBody::Complete(request.body.into()) }) // the framework's body reader
//!     .await;
//! let published = body.publish(&request).await?;
//! assert!(published.json_body().starts_with(r#"{"id":""#));
//! # Ok(())
//! # }
//! ```
//!
//! An application's own body routes (a chat message, say) take the same limits with
//! [`HubEndpoints::admit_body`] and [`ReceivedBody::bytes`].

use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use sse_core::hub::backend::IdempotencyKey;
use sse_core::hub::{RESERVED_EVENTS, TopicName};
use sse_core::{Event, EventId, Hub, HubError};

use crate::auth::{Access, Authorize, ReadRequest};
use crate::body::{PublishBody, RequestBody, check_publish_content_type, parse_publish_body};
use crate::idempotency::{self, Claim, IdempotencyKeys, Pending, Publisher};
use crate::limits::PublishPermit;
use crate::{EndpointError, HubEndpoints};

/// The largest `retry` a publish may ask for, in milliseconds: one hour. Larger is a 400
/// `invalid_retry`: a publisher must not be able to make every subscriber wait for days
/// before reconnecting.
pub const MAX_RETRY_MS: u64 = 3_600_000;

/// The `Allow` header of the publish path (`OPTIONS /publish` answers 204 with it).
pub const PUBLISH_ALLOW: &str = "POST, OPTIONS";

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

/// A publish (or an application's body route) admitted before its body is read: it holds a
/// place among the publishes in flight until it is answered. Made by
/// [`HubEndpoints::admit_publish`] or [`HubEndpoints::admit_body`]; its body is read with
/// [`read`](Self::read).
#[derive(Debug)]
#[must_use = "a publish is admitted to read its body"]
pub struct Admitted<'e, A> {
    endpoints: &'e HubEndpoints<A>,
    permit: PublishPermit,
    /// The raw `Idempotency-Key` header, if the request had one.
    key_header: Option<Box<[u8]>>,
    /// Who publishes, as far as the request tells (a hash of its bearer token).
    credential: Publisher,
}

/// An admitted request's body, as reading it went: [`publish`](Self::publish) it, or take
/// its [`bytes`](Self::bytes) in a body route of the application's own. It still holds the
/// request's place in flight.
#[derive(Debug)]
#[must_use = "a read body is published, or its bytes taken"]
pub struct ReceivedBody<'e, A> {
    admitted: Admitted<'e, A>,
    pub(crate) body: RequestBody,
    /// Who publishes, as the adapter or application named it.
    publisher: Publisher,
}

impl<A> HubEndpoints<A> {
    /// Step 1 of a publish: the hook's check of `request`'s credentials alone (401), a place
    /// in flight and a token of the rate (429 with `Retry-After`), and the `Content-Type`
    /// (415 unless `application/json`), read through the adapter's `P`. The request must be
    /// answered before the place is given back: hold the [`Admitted`] until then (the next
    /// steps do).
    pub fn admit_publish<P, R>(&self, request: &R) -> Result<Admitted<'_, A>, EndpointError>
    where
        P: ReadRequest<R>,
        R: ?Sized,
        A: Authorize<R>,
    {
        self.authorize.authenticate(request)?;
        // Who publishes, as far as the request tells: a hash of its bearer token (the
        // token itself is not kept).
        let token_hash = crate::auth::request_token::<P, R>(request, None, None).map(|token| {
            let mut hash = std::hash::DefaultHasher::new();
            token.hash(&mut hash);
            hash.finish()
        });
        // A place in flight, within the token's share of places not yet authorized for a
        // topic (see `limits::DEFAULT_MAX_UNAUTHORIZED_PER_CREDENTIAL` for why).
        let permit = self.limits.admit(token_hash)?;
        check_publish_content_type(P::header_values(request, "content-type").next())?;
        let key_header = P::header_values(request, idempotency::IDEMPOTENCY_KEY)
            .next()
            .map(Box::from);
        // Without a name from the hook, publishers with different credentials are
        // different publishers.
        let credential = token_hash.map(|hash| Arc::from(format!("token:{hash:016x}")));
        Ok(Admitted {
            endpoints: self,
            permit,
            key_header,
            credential,
        })
    }

    /// Admits a body route of the application's own (the demos' `POST /chat`) under the
    /// publish limits: a place in flight and a token of the rate, no hook and no media type.
    ///
    /// ```
    /// use sse_core::Hub;
    /// use sse_endpoints::{HubEndpoints, RequestBody};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), sse_endpoints::EndpointError> {
    /// let endpoints = HubEndpoints::new(Hub::new()).max_body(8);
    /// let admitted = endpoints.admit_body()?;
    /// let body = admitted.read(async { RequestBody::Complete("too long a body".into()) }).await;
    /// assert_eq!(body.bytes().unwrap_err().to_string(), "the request body is larger than 8 bytes");
    /// # Ok(())
    /// # }
    /// ```
    pub fn admit_body(&self) -> Result<Admitted<'_, A>, EndpointError> {
        Ok(Admitted {
            endpoints: self,
            permit: self.limits.admit(None)?,
            key_header: None,
            credential: None,
        })
    }

    /// The hub's idempotency keys, made with these settings if this is the first use.
    fn idempotency_keys(&self) -> Arc<IdempotencyKeys> {
        self.hub.extension(|| {
            IdempotencyKeys::new(
                self.idempotency_window,
                self.idempotency_max_keys,
                self.idempotency_max_keys_per_publisher,
            )
        })
    }
}

impl<'e, A> Admitted<'e, A> {
    /// The largest body to read, in bytes ([`HubEndpoints::max_body`]): the adapter's body
    /// reader stops past it and says [`RequestBody::OverLimit`].
    pub fn max_body(&self) -> usize {
        self.endpoints.max_body
    }

    /// Step 2: `read`, the adapter's reading of the body, within the
    /// [body timeout](HubEndpoints::body_timeout) ([`RequestBody::TimedOut`] if it takes
    /// longer) and cut short as soon as the hub shuts down ([`RequestBody::HubClosed`]), so
    /// that a server's graceful shutdown never waits for a client that stalls mid-body.
    /// Call inside a tokio runtime.
    pub async fn read(self, read: impl Future<Output = RequestBody>) -> ReceivedBody<'e, A> {
        let closed = self.endpoints.hub.closed();
        let timeout = self.endpoints.limits.body_timeout;
        let body = tokio::select! {
            biased;
            read = tokio::time::timeout(timeout, read) => read.unwrap_or(RequestBody::TimedOut),
            () = closed => RequestBody::HubClosed,
        };
        self.with_body(body)
    }

    /// Step 2 for a body the adapter has already read within its own limits.
    pub fn with_body(self, body: RequestBody) -> ReceivedBody<'e, A> {
        ReceivedBody {
            admitted: self,
            body,
            publisher: None,
        }
    }
}

impl<'e, A> ReceivedBody<'e, A> {
    /// Names who publishes (the client's address, say), for its share of idempotency keys
    /// ([`HubEndpoints::idempotency_max_keys_per_publisher`]) when the hook's
    /// [`Grant`](crate::Grant) names none; it takes the place of the request's bearer
    /// token, which tells publishers apart otherwise.
    pub fn publisher(mut self, id: impl Into<String>) -> Self {
        self.publisher = Some(id.into().into());
        self
    }

    /// The body's bytes, or the error a publish would answer for it (413 `body_too_large`,
    /// 400 `invalid_body`, 408 `body_timeout`, 503 `hub_closed`): for an application's own
    /// body routes, admitted with [`HubEndpoints::admit_body`].
    pub fn bytes(&self) -> Result<Bytes, EndpointError> {
        let endpoints = self.admitted.endpoints;
        match &self.body {
            RequestBody::Complete(body) if body.len() <= endpoints.max_body => Ok(body.clone()),
            RequestBody::Complete(_) | RequestBody::OverLimit => Err(EndpointError::BodyTooLarge {
                max: endpoints.max_body,
            }),
            RequestBody::Unreadable(error) => Err(EndpointError::InvalidBody(error.clone())),
            RequestBody::HubClosed => Err(EndpointError::Hub(HubError::Closed)),
            RequestBody::TimedOut => Err(EndpointError::BodyTimeout {
                after: endpoints.limits.body_timeout,
            }),
        }
    }

    /// Step 3: publishes the body's event, authorized by the hook with `request` for the
    /// body's topic. A repeat of an idempotency key (the body's `"idempotency_key"`, else the
    /// `Idempotency-Key` header) within its window answers the first publish's id and
    /// publishes nothing.
    ///
    /// The body is checked and the hook called before the returned future is first polled;
    /// the future only waits for the hook's answer and the hub (at once in memory, a round
    /// trip with a backend), and does not use `request`. With an idempotency key, the hub's
    /// publish runs on a task of its own (inside a tokio runtime) that keeps the place in
    /// flight, so that a publish whose client gave up still records its id for the retry.
    pub fn publish<R>(
        self,
        request: &R,
    ) -> impl Future<Output = Result<Published, EndpointError>> + Send + 'e
    where
        R: ?Sized,
        A: Authorize<R>,
    {
        let endpoints = self.admitted.endpoints;
        let prepared = self.prepare(request);
        let mut permit = self.admitted.permit;
        let publisher = self.publisher.or(self.admitted.credential);
        async move {
            // On every refusal below, `permit` is dropped as the future returns, before the
            // adapter writes the answer: the place in flight is free again at once.
            let (authorization, prepared) = prepared?;
            let grant = authorization.await?;
            grant.deadline()?;
            // Authorized for its topic: the publish no longer counts against its token's
            // share of places before authorization.
            permit.authorized();
            let publisher = grant.into_publisher().or(publisher);
            let Prepared { topic, event, key } = prepared?;
            let Some(key) = key else {
                let id = endpoints.hub.publish(&topic, event).await?;
                return Ok(Published { id });
            };
            let keys = endpoints.idempotency_keys();
            loop {
                match keys.claim(&publisher, &topic, &key.0, key.1) {
                    Claim::Done(id) => return Ok(Published { id }),
                    Claim::Reused => return Err(EndpointError::IdempotencyKeyReused),
                    Claim::Wait(mut first) => {
                        if let Ok(id) = first.wait_for(Option::is_some).await
                            && let Some(id) = *id
                        {
                            return Ok(Published { id });
                        }
                        // The first publish failed and released the key: claim it again.
                    }
                    Claim::First(pending) => {
                        let hub = endpoints.hub.clone();
                        // The backend's copy of the key (sse-redis keeps one) is scoped to
                        // the publisher as this one is.
                        let scoped = match &publisher {
                            Some(name) => format!("{}:{name}:{}", name.len(), key.0),
                            None => format!("-:{}", key.0),
                        };
                        let once = Once {
                            key: scoped,
                            event_hash: key.1,
                            window: endpoints.idempotency_window,
                        };
                        let id = publish_detached(hub, topic, event, once, pending, permit).await?;
                        return Ok(Published { id });
                    }
                }
            }
        }
    }

    /// Everything a publish does before the hub: the body, its JSON, the idempotency key,
    /// the topic name, the hook, the event. The event's errors come after the hook's answer.
    #[allow(clippy::type_complexity)]
    fn prepare<R>(
        &self,
        request: &R,
    ) -> Result<(crate::Authorization, Result<Prepared, EndpointError>), EndpointError>
    where
        R: ?Sized,
        A: Authorize<R>,
    {
        let body = self.bytes()?;
        let request_body = parse_publish_body(&body)?;
        let key = match (&request_body.idempotency_key, &self.admitted.key_header) {
            (Some(key), _) => Some(key.as_bytes()),
            (None, header) => header.as_deref(),
        };
        let key = key
            .map(idempotency::validate)
            .transpose()
            .map_err(EndpointError::InvalidIdempotencyKey)?;
        let topic = TopicName::new(&request_body.topic)?;
        let authorization = self
            .admitted
            .endpoints
            .authorize
            .authorize(request, Access::Publish(topic.as_str()));
        Ok((authorization, prepare_event(request_body, topic, key)))
    }
}

/// A checked publish, ready for the hub.
struct Prepared {
    topic: TopicName,
    event: Event,
    /// The idempotency key, and a hash of the event it is for.
    key: Option<(String, u64)>,
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

/// An idempotency key as the hub's backend keeps it (see [`Hub::publish_with_key`]).
struct Once {
    key: String,
    event_hash: u64,
    window: Duration,
}

/// The hub's publish for the first claim on a key, on a task of its own when there is a
/// runtime, so that it completes (and records its id for repeats) even if the request's
/// future is dropped because its client went away. The task holds the publish's place in
/// flight until the hub has answered.
async fn publish_detached(
    hub: Hub,
    topic: TopicName,
    event: Event,
    once: Once,
    pending: Pending,
    permit: PublishPermit,
) -> Result<EventId, EndpointError> {
    let publish = async move {
        let key = IdempotencyKey {
            key: &once.key,
            event_hash: once.event_hash,
            window: once.window,
        };
        let id = match hub.publish_with_key(&topic, key, event).await {
            Err(HubError::IdempotencyKeyReused) => Err(EndpointError::IdempotencyKeyReused),
            other => other.map_err(EndpointError::from),
        }?;
        pending.complete(id);
        drop(permit);
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
