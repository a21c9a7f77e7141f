//! Authorization of the hub endpoints: the [`Authorize`] hook, what it answers
//! ([`Authorization`]: a [`Grant`] or a [`Denied`], now or later), and [`ReadRequest`], how
//! hooks written once (such as the [`Jwt`](crate::jwt::Jwt) one) read a framework's
//! request.
//!
//! **The hook is called synchronously** with the framework's request and the [`Access`]
//! asked for. It reads what it needs from the request (a header, a cookie) and answers at
//! once (`Ok(())`, `Err(Denied::Forbidden)`), or with a future that owns what it read
//! ([`Authorization::later`]: a session or database lookup). The endpoints await the
//! answer; no borrow of the request is held across it.
//!
//! **A grant may expire** ([`Grant::until`]): a subscription then ends at that time, at an
//! event boundary, so the client reconnects and is authorized again.
//!
//! **Refusals** are JSON errors: [`Denied::Unauthorized`] and [`Denied::InvalidToken`] are
//! 401 with a `WWW-Authenticate: Bearer realm="sse"` challenge (with
//! `error="invalid_token"` for the second), [`Denied::Forbidden`] is 403. No message names
//! a topic, and since the hook runs before the hub is asked anything, a 403 does not tell
//! whether a topic exists.
//!
//! ```
//! use sse_endpoints::{Access, Authorization, Authorize, Denied, Grant};
//! use std::time::{Duration, SystemTime};
//!
//! struct Request { token: Option<String> }
//!
//! // At once:
//! let sync = |request: &Request, access: Access<'_>| match &request.token {
//!     None => Err(Denied::Unauthorized),
//!     Some(_) if access.topics().any(|topic| topic.starts_with("admin")) => Err(Denied::Forbidden),
//!     Some(_) => Ok(()),
//! };
//! // Later, after a lookup that owns what it read from the request:
//! let lookup = |request: &Request, _: Access<'_>| {
//!     let token = request.token.clone();
//!     Authorization::later(async move {
//!         let token = token.ok_or(Denied::Unauthorized)?;
//!         // let session = sessions.find(&token).await ...
//!         match token.as_str() {
//!             "valid" => Ok(Grant::new().until(SystemTime::now() + Duration::from_secs(600))),
//!             _ => Err(Denied::InvalidToken),
//!         }
//!     })
//! };
//! # futures_util::FutureExt::now_or_never(async {
//! let request = Request { token: Some("valid".into()) };
//! assert!(sync.authorize(&request, Access::Publish("news")).await.is_ok());
//! let grant = lookup.authorize(&request, Access::Publish("news")).await.unwrap();
//! assert!(grant.expires_at().is_some());
//! # }).unwrap();
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::SystemTime;

/// What a request asks to do, given to the authorization hook.
#[derive(Debug, Clone, Copy)]
pub enum Access<'a> {
    /// Subscribe to these topics.
    Subscribe(&'a [String]),
    /// Publish to this topic.
    Publish(&'a str),
}

impl Access<'_> {
    /// The topics concerned.
    pub fn topics(&self) -> impl Iterator<Item = &str> {
        let (many, one) = match self {
            Access::Subscribe(topics) => (*topics, None),
            Access::Publish(topic) => (&[][..], Some(*topic)),
        };
        many.iter().map(String::as_str).chain(one)
    }
}

/// The authorization hook, called with the framework's request `R` (axum's `Parts`,
/// actix-web's `HttpRequest`, rocket's `Request`) and the [`Access`] asked for.
///
/// `()` and `None` allow everything. Any `Fn(&R, Access) -> T` is a hook when `T` converts into an
/// [`Authorization`]: `Result<(), Denied>`, `Result<Grant, Denied>`, or an
/// [`Authorization::later`] for an answer that needs to wait. See the [module](self) docs.
///
/// A closure that always gives the same answer cannot leave the other half of its `Result`
/// to inference: return `Denied::Forbidden` or `Authorization::allow()` instead, or annotate
/// it `-> Result<(), Denied>`.
pub trait Authorize<R: ?Sized>: Send + Sync + 'static {
    /// Allows or denies `access` for `request`: reads the request now, answers now or later.
    fn authorize(&self, request: &R, access: Access<'_>) -> Authorization;

    /// A quick check of `request`'s credentials alone, made before a publish takes a place
    /// in flight and its body is read (the topic, and so [`authorize`](Self::authorize),
    /// comes with the body): a request that could never be allowed is refused before it
    /// costs anything. The default lets every request on to `authorize`; a hook whose
    /// credentials can be checked without a lookup (a token's signature and expiry) should
    /// check them here.
    fn authenticate(&self, request: &R) -> Result<(), Denied> {
        let _ = request;
        Ok(())
    }
}

impl<R: ?Sized> Authorize<R> for () {
    fn authorize(&self, _: &R, _: Access<'_>) -> Authorization {
        Authorization::allow()
    }
}

/// An optional hook: `None` allows everything (an app whose authorization is configured,
/// say by a secret that may be absent), `Some(hook)` is the hook.
impl<R: ?Sized, A: Authorize<R>> Authorize<R> for Option<A> {
    fn authorize(&self, request: &R, access: Access<'_>) -> Authorization {
        match self {
            Some(hook) => hook.authorize(request, access),
            None => Authorization::allow(),
        }
    }

    fn authenticate(&self, request: &R) -> Result<(), Denied> {
        match self {
            Some(hook) => hook.authenticate(request),
            None => Ok(()),
        }
    }
}

impl<R: ?Sized, F, T> Authorize<R> for F
where
    F: Fn(&R, Access<'_>) -> T + Send + Sync + 'static,
    T: Into<Authorization>,
{
    fn authorize(&self, request: &R, access: Access<'_>) -> Authorization {
        self(request, access).into()
    }
}

/// The authorization hook's refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denied {
    /// 401 `unauthorized`: no credentials (with a `WWW-Authenticate` challenge).
    Unauthorized,
    /// 401 `invalid_token`: credentials were sent but are bad or expired (the challenge
    /// says `error="invalid_token"`).
    InvalidToken,
    /// 403 `forbidden`: authenticated, but not allowed.
    Forbidden,
}

impl Denied {
    /// The `WWW-Authenticate` challenge a 401 carries; none for a 403.
    pub fn challenge(self) -> Option<&'static str> {
        match self {
            Denied::Unauthorized => Some("Bearer realm=\"sse\""),
            Denied::InvalidToken => Some("Bearer realm=\"sse\", error=\"invalid_token\""),
            Denied::Forbidden => None,
        }
    }
}

/// What the hook allowed: for now, and until [`expires_at`](Self::expires_at) if set.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use sse_endpoints::Grant;
///
/// let at = SystemTime::now() + Duration::from_secs(60);
/// assert_eq!(Grant::new().until(at).expires_at(), Some(at));
/// assert_eq!(Grant::from(()).expires_at(), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grant {
    expires_at: Option<SystemTime>,
    publisher: Option<std::sync::Arc<str>>,
}

impl Grant {
    /// A grant that does not expire.
    pub fn new() -> Self {
        Grant::default()
    }

    /// Expires at `at`: a subscription ends then, at an event boundary (the client
    /// reconnects and is authorized again); a grant already expired is a 401
    /// `invalid_token`. The earlier of two expiries wins.
    #[must_use]
    pub fn until(self, at: SystemTime) -> Self {
        let expires_at = match self.expires_at {
            Some(earlier) if earlier < at => earlier,
            _ => at,
        };
        Grant {
            expires_at: Some(expires_at),
            ..self
        }
    }

    /// Names the publisher (a user id, an API key's name): its idempotency keys are its
    /// own, counted against [`HubEndpoints::idempotency_max_keys_per_publisher`](crate::HubEndpoints::idempotency_max_keys_per_publisher)
    /// (crate::HubEndpoints::idempotency_max_keys_per_publisher), so that no other
    /// publisher can make the hub forget them. Without it, the request's bearer token (or
    /// what the adapter named with [`ReceivedBody::publisher`](crate::ReceivedBody::publisher))
    /// tells publishers apart.
    ///
    /// ```
    /// use sse_endpoints::Grant;
    /// assert_eq!(Grant::new().publisher("user-17").publisher_id(), Some("user-17"));
    /// ```
    #[must_use]
    pub fn publisher(self, id: impl Into<String>) -> Self {
        Grant {
            publisher: Some(id.into().into()),
            ..self
        }
    }

    /// The publisher named with [`publisher`](Self::publisher), if any.
    pub fn publisher_id(&self) -> Option<&str> {
        self.publisher.as_deref()
    }

    pub(crate) fn into_publisher(self) -> Option<std::sync::Arc<str>> {
        self.publisher
    }

    /// When the grant expires, if it does.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// When a granted subscription ends, if it does; a grant already expired is a 401
    /// `invalid_token`.
    pub(crate) fn deadline(&self) -> Result<Option<tokio::time::Instant>, Denied> {
        let Some(expires_at) = self.expires_at else {
            return Ok(None);
        };
        match expires_at.duration_since(SystemTime::now()) {
            Ok(left) if !left.is_zero() => Ok(tokio::time::Instant::now().checked_add(left)),
            _ => Err(Denied::InvalidToken),
        }
    }
}

impl From<()> for Grant {
    fn from((): ()) -> Self {
        Grant::new()
    }
}

/// The future of a later answer.
type Later = Pin<Box<dyn Future<Output = Result<Grant, Denied>> + Send>>;

/// The hook's answer: a [`Grant`] or a [`Denied`], ready now or later. It is a future; the
/// endpoints await it. Made from a `Result<(), Denied>` or a `Result<Grant, Denied>` (with
/// `into()`, or by returning one from a closure hook), or with [`later`](Self::later).
#[must_use = "an authorization does nothing unless awaited"]
pub struct Authorization(State);

enum State {
    Ready(Option<Result<Grant, Denied>>),
    Later(Later),
}

impl Authorization {
    /// Allowed, with no expiry.
    pub fn allow() -> Self {
        Authorization(State::Ready(Some(Ok(Grant::new()))))
    }

    /// Refused.
    pub fn deny(denied: Denied) -> Self {
        Authorization(State::Ready(Some(Err(denied))))
    }

    /// The answer of `future`, which owns what the hook read from the request (a token, a
    /// session id): a session or database lookup. `Ok(())` or `Ok(grant)`.
    pub fn later<G: Into<Grant>>(
        future: impl Future<Output = Result<G, Denied>> + Send + 'static,
    ) -> Self {
        Authorization(State::Later(Box::pin(async move {
            future.await.map(Into::into)
        })))
    }
}

impl Future for Authorization {
    type Output = Result<Grant, Denied>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.0 {
            State::Ready(answer) => Poll::Ready(answer.take().unwrap_or(Err(Denied::Forbidden))),
            State::Later(future) => future.as_mut().poll(cx),
        }
    }
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            State::Ready(answer) => f.debug_tuple("Authorization").field(answer).finish(),
            State::Later(_) => f.write_str("Authorization(later)"),
        }
    }
}

impl<G: Into<Grant>> From<Result<G, Denied>> for Authorization {
    fn from(result: Result<G, Denied>) -> Self {
        Authorization(State::Ready(Some(result.map(Into::into))))
    }
}

impl From<Denied> for Authorization {
    fn from(denied: Denied) -> Self {
        Authorization::deny(denied)
    }
}

impl From<Grant> for Authorization {
    fn from(grant: Grant) -> Self {
        Authorization(State::Ready(Some(Ok(grant))))
    }
}

/// How a hook written once for every framework reads a framework's request `R`: its
/// headers and its raw query. Each adapter implements it on a marker type of its own
/// (`sse_axum::AxumRequest`, `sse_actix::ActixRequest`, `sse_rocket::RocketRequest`),
/// which is what [`Jwt`](crate::jwt::Jwt) is parameterized with.
///
/// ```
/// use sse_endpoints::ReadRequest;
///
/// struct Request { headers: Vec<(&'static str, Vec<u8>)>, query: Option<String> }
/// struct MyFramework;
///
/// impl ReadRequest<Request> for MyFramework {
///     fn header_values<'r>(request: &'r Request, name: &str) -> impl Iterator<Item = &'r [u8]> {
///         let name = name.to_owned();
///         request.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(&name)).map(|(_, v)| &v[..])
///     }
///     fn query(request: &Request) -> Option<&str> {
///         request.query.as_deref()
///     }
/// }
/// ```
pub trait ReadRequest<R: ?Sized>: 'static {
    /// Every value of the header `name` (given in lower case), in order.
    fn header_values<'r>(request: &'r R, name: &str) -> impl Iterator<Item = &'r [u8]>;

    /// The raw (still percent-encoded) query string, if any.
    fn query(request: &R) -> Option<&str>;
}

/// A request as plain data, its query and headers, that reads itself: for tests, and for an
/// adapter whose framework's request is easier copied than read in place.
///
/// ```
/// use sse_core::Hub;
/// use sse_endpoints::{HubEndpoints, RawRequest};
///
/// # futures_util::FutureExt::now_or_never(async {
/// let endpoints = HubEndpoints::new(Hub::new());
/// let request = RawRequest::new().query("topic=news").header("last-event-id", "x-1");
/// assert!(endpoints.check_subscribe::<RawRequest, _>(&request).await.is_ok());
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawRequest {
    query: Option<String>,
    headers: Vec<(String, Vec<u8>)>,
}

impl RawRequest {
    /// A request with no query and no headers.
    pub fn new() -> Self {
        RawRequest::default()
    }

    /// With this raw (percent-encoded) query string.
    #[must_use]
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.query = Some(query.into());
        self
    }

    /// With one more value of the header `name`.
    #[must_use]
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.as_ref().to_vec()));
        self
    }
}

impl ReadRequest<RawRequest> for RawRequest {
    fn header_values<'r>(request: &'r RawRequest, name: &str) -> impl Iterator<Item = &'r [u8]> {
        let name = name.to_ascii_lowercase();
        request
            .headers
            .iter()
            .filter(move |(header, _)| *header == name)
            .map(|(_, value)| &value[..])
    }

    fn query(request: &RawRequest) -> Option<&str> {
        request.query.as_deref()
    }
}

/// The token of a request: the `Authorization: Bearer` header, else the cookie `cookie`,
/// else the query parameter `query` (percent-decoded). A request with an `Authorization`
/// header that is not a bearer token has none.
pub fn request_token<'r, P: ReadRequest<R>, R: ?Sized>(
    request: &'r R,
    cookie: Option<&str>,
    query: Option<&str>,
) -> Option<std::borrow::Cow<'r, str>> {
    if let Some(header) = P::header_values(request, "authorization").next() {
        let header = std::str::from_utf8(header).ok()?.trim();
        let (scheme, token) = header.split_once(' ')?;
        let token = token.trim();
        return (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty())
            .then_some(token.into());
    }
    if let Some(name) = cookie {
        let found = P::header_values(request, "cookie")
            .filter_map(|header| std::str::from_utf8(header).ok())
            .flat_map(|header| header.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, value)| *key == name && !value.is_empty());
        if let Some((_, value)) = found {
            return Some(value.trim_matches('"').into());
        }
    }
    let name = query?;
    form_urlencoded::parse(P::query(request)?.as_bytes())
        .find(|(key, value)| key == name && !value.is_empty())
        .map(|(_, value)| value.into_owned().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake(Vec<(&'static str, &'static str)>, Option<&'static str>);
    struct FakeFramework;

    impl ReadRequest<Fake> for FakeFramework {
        fn header_values<'r>(request: &'r Fake, name: &str) -> impl Iterator<Item = &'r [u8]> {
            let name = name.to_owned();
            request
                .0
                .iter()
                .filter(move |(n, _)| *n == name)
                .map(|(_, v)| v.as_bytes())
        }

        fn query(request: &Fake) -> Option<&str> {
            request.1
        }
    }

    fn token(request: &Fake) -> Option<String> {
        request_token::<FakeFramework, _>(request, Some("sse_token"), Some("authorization"))
            .map(|token| token.into_owned())
    }

    #[test]
    fn tokens_come_from_the_header_then_the_cookie_then_the_query() {
        let header = Fake(
            vec![("authorization", "Bearer abc")],
            Some("authorization=q"),
        );
        assert_eq!(token(&header).as_deref(), Some("abc"));
        let basic = Fake(
            vec![("authorization", "Basic abc")],
            Some("authorization=q"),
        );
        assert_eq!(
            token(&basic),
            None,
            "a header that is not bearer is no token"
        );
        let cookie = Fake(
            vec![("cookie", "a=1; sse_token=xyz"), ("cookie", "b=2")],
            Some("authorization=q"),
        );
        assert_eq!(token(&cookie).as_deref(), Some("xyz"));
        let split = Fake(vec![("cookie", "a=1"), ("cookie", "sse_token=two")], None);
        assert_eq!(token(&split).as_deref(), Some("two"));
        let query = Fake(vec![], Some("topic=a&authorization=a%2Eb"));
        assert_eq!(token(&query).as_deref(), Some("a.b"));
        assert_eq!(token(&Fake(vec![], Some("topic=a"))), None);
        assert_eq!(token(&Fake(vec![("authorization", "\u{e9}")], None)), None);
    }

    #[test]
    fn grants_keep_the_earlier_expiry() {
        let now = SystemTime::now();
        let later = now + std::time::Duration::from_secs(5);
        assert_eq!(Grant::new().until(later).until(now).expires_at(), Some(now));
        assert_eq!(Grant::new().until(now).until(later).expires_at(), Some(now));
    }
}
