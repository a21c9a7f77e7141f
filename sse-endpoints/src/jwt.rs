//! A ready authorization hook: JSON Web Tokens in [Mercure]'s style (feature `jwt`).
//!
//! A token's claims list the topics its bearer may subscribe and publish to:
//!
//! ```json
//! {"mercure": {"subscribe": ["news", "rooms/*"], "publish": ["*"]}, "exp": 1767225600}
//! ```
//!
//! - a pattern is a topic name (exact), `"*"` (every topic), or ends with `/*` (every topic
//!   under that prefix: `rooms/*` grants `rooms/a` and `rooms/a/b`, not `rooms`);
//! - a subscription to several topics needs all of them granted;
//! - `exp` (seconds since the Unix epoch) is required and checked with no leeway by
//!   default, and it becomes the [`Grant`]'s expiry: a subscription ends when its token
//!   expires, at an event boundary, and the client reconnects with a fresh token;
//! - the key is an HS256 secret of at least [`MIN_HS256_SECRET`] bytes ([`Jwt::hs256`]) or an
//!   RS256 public key ([`Jwt::rs256_pem`]); a token signed otherwise is refused.
//!
//! **Where the token comes from**, in this order: the `Authorization: Bearer <token>`
//! header; the cookie [`DEFAULT_COOKIE`] (renamed with [`Jwt::cookie`]); the query
//! parameter [`DEFAULT_QUERY`] (`?authorization=<token>`). A browser's `EventSource` cannot
//! send headers, hence the cookie (set it `HttpOnly; Secure; SameSite=Strict` on the same
//! site) and the query parameter. The query parameter is the weaker option: URLs end up in
//! server logs, proxies and browser history; turn it off with [`Jwt::no_query`] when the
//! cookie will do.
//!
//! No token is a 401 `unauthorized`; a bad, expired or wrongly signed one a 401
//! `invalid_token`; a valid one that does not grant the topics a 403 `forbidden`.
//!
//! `Jwt<P>` reads requests through `P`, a [`ReadRequest`] marker of the adapter, which also
//! names the ready alias: `sse_axum::Jwt`, `sse_actix::Jwt`, `sse_rocket::Jwt`.
//!
//! ```
//! use std::time::Duration;
//! use sse_endpoints::jwt::Claims;
//!
//! // What a login handler (or the demos' `mint-token`) hands a client:
//! let token = Claims::new()
//!     .subscribe(["news", "rooms/*"])
//!     .publish(["rooms/*"])
//!     .expires_in(Duration::from_secs(3600))
//!     .sign_hs256(b"a secret of at least 32 bytes, please")
//!     .unwrap();
//! assert_eq!(token.split('.').count(), 3);
//! ```
//!
//! Signatures are made and checked by `jsonwebtoken` on its pure-Rust `rust_crypto` backend
//! (RustCrypto's `hmac`, `sha2`, `rsa`): no C library to build.
//!
//! [Mercure]: https://mercure.rocks/spec#authorization

use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::auth::{Access, Authorization, Authorize, Denied, Grant, ReadRequest, request_token};

/// The cookie a token is read from by default.
pub const DEFAULT_COOKIE: &str = "sse_authorization";

/// The query parameter a token is read from by default.
pub const DEFAULT_QUERY: &str = "authorization";

/// The shortest HS256 secret accepted, in bytes: a key as long as the hash's output, the
/// minimum of [RFC 7518 §3.2](https://www.rfc-editor.org/rfc/rfc7518#section-3.2). A shorter
/// secret (or an unset variable read as an empty one) makes tokens that can be guessed.
pub const MIN_HS256_SECRET: usize = 32;

/// A token's claims: the topics granted, and when it expires.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
pub struct Claims {
    /// The topics granted.
    #[serde(default)]
    pub mercure: Topics,
    /// Expiry, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<u64>,
}

/// The `mercure` claim: topic patterns (a name, `"*"`, or a `prefix/*`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topics {
    /// What may be subscribed to.
    #[serde(default)]
    pub subscribe: Vec<String>,
    /// What may be published to.
    #[serde(default)]
    pub publish: Vec<String>,
}

impl Claims {
    /// No topic granted, no expiry.
    pub fn new() -> Self {
        Claims::default()
    }

    /// Also grants subscribing to these patterns.
    pub fn subscribe<T: Into<String>>(mut self, patterns: impl IntoIterator<Item = T>) -> Self {
        self.mercure
            .subscribe
            .extend(patterns.into_iter().map(Into::into));
        self
    }

    /// Also grants publishing to these patterns.
    pub fn publish<T: Into<String>>(mut self, patterns: impl IntoIterator<Item = T>) -> Self {
        self.mercure
            .publish
            .extend(patterns.into_iter().map(Into::into));
        self
    }

    /// Expires `ttl` from now (rounded up to a whole second).
    pub fn expires_in(mut self, ttl: Duration) -> Self {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let at = since_epoch.saturating_add(ttl);
        self.exp = Some(
            at.as_secs()
                .saturating_add(u64::from(at.subsec_nanos() > 0)),
        );
        self
    }

    /// Whether `access` is granted (whatever the expiry).
    pub fn allows(&self, access: Access<'_>) -> bool {
        let granted = |patterns: &[String], topic: &str| {
            patterns.iter().any(|pattern| matches(pattern, topic))
        };
        match access {
            Access::Subscribe(topics) => topics
                .iter()
                .all(|topic| granted(&self.mercure.subscribe, topic)),
            Access::Publish(topic) => granted(&self.mercure.publish, topic),
        }
    }

    /// The token for these claims, signed with an HS256 `secret` of at least
    /// [`MIN_HS256_SECRET`] bytes (a shorter one is [`JwtError::is_short_secret`]).
    pub fn sign_hs256(&self, secret: &[u8]) -> Result<String, JwtError> {
        check_hs256_secret(secret)?;
        let key = EncodingKey::from_secret(secret).map_err(JwtError::key)?;
        sign(&Header::new(Algorithm::HS256), self, &key)
    }

    /// The token for these claims, signed with an RS256 private key in PEM.
    pub fn sign_rs256_pem(&self, private_key_pem: &[u8]) -> Result<String, JwtError> {
        let key = EncodingKey::from_rsa_pem(private_key_pem).map_err(JwtError::key)?;
        sign(&Header::new(Algorithm::RS256), self, &key)
    }
}

/// Whether `pattern` grants `topic`.
fn matches(pattern: &str, topic: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some("") => true,
        Some(prefix) if prefix.ends_with('/') => topic.starts_with(prefix),
        _ => pattern == topic,
    }
}

fn sign(header: &Header, claims: &Claims, key: &EncodingKey) -> Result<String, JwtError> {
    use_crypto_provider();
    jsonwebtoken::encode(header, claims, key).map_err(JwtError::key)
}

fn check_hs256_secret(secret: &[u8]) -> Result<(), JwtError> {
    if secret.len() < MIN_HS256_SECRET {
        return Err(JwtError(Kind::ShortSecret(secret.len())));
    }
    Ok(())
}

/// Makes sure `jsonwebtoken` has its process-wide crypto provider: the `rust_crypto` one this
/// crate enables, unless the app installed another. Were `aws_lc_rs` enabled as well by some
/// other crate, `jsonwebtoken` could not choose on its own and would panic at the first token.
fn use_crypto_provider() {
    if CryptoProvider::try_get_default().is_none() {
        // Err: another thread installed one first, which is as good.
        let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
    }
}

/// A key that cannot be used, or claims that cannot be signed.
#[derive(Debug)]
pub struct JwtError(Kind);

#[derive(Debug)]
enum Kind {
    ShortSecret(usize),
    Key(jsonwebtoken::errors::Error),
}

impl JwtError {
    fn key(error: jsonwebtoken::errors::Error) -> Self {
        JwtError(Kind::Key(error))
    }

    /// Whether the HS256 secret was refused for being shorter than [`MIN_HS256_SECRET`].
    pub fn is_short_secret(&self) -> bool {
        matches!(self.0, Kind::ShortSecret(_))
    }
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::ShortSecret(len) => write!(
                f,
                "an HS256 secret needs at least {MIN_HS256_SECRET} bytes (RFC 7518 section 3.2), \
                 this one has {len}"
            ),
            Kind::Key(error) => write!(f, "JSON Web Token key or claims: {error}"),
        }
    }
}

impl std::error::Error for JwtError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0 {
            Kind::ShortSecret(_) => None,
            Kind::Key(error) => Some(error),
        }
    }
}

/// The JWT authorization hook for a framework's requests, read through the marker `P`; use
/// the adapter's alias (`sse_axum::Jwt`, ...). See the [module](self) docs.
///
/// ```
/// use std::time::Duration;
/// use sse_endpoints::jwt::Jwt;
/// # struct Marker;
/// # impl sse_endpoints::ReadRequest<()> for Marker {
/// #     fn header_values<'r>(_: &'r (), _: &str) -> impl Iterator<Item = &'r [u8]> { std::iter::empty() }
/// #     fn query(_: &()) -> Option<&str> { None }
/// # }
///
/// let hook: Jwt<Marker> = Jwt::hs256(b"a secret of at least 32 bytes, please")?
///     .cookie("session_token")
///     .no_query()
///     .leeway(Duration::from_secs(5));
/// # drop(hook);
/// # Ok::<(), sse_endpoints::jwt::JwtError>(())
/// ```
#[must_use]
pub struct Jwt<P> {
    key: DecodingKey,
    validation: Validation,
    cookie: Option<String>,
    query: Option<String>,
    reader: PhantomData<fn() -> P>,
}

impl<P> Jwt<P> {
    fn with_key(key: DecodingKey, algorithm: Algorithm) -> Self {
        use_crypto_provider();
        let mut validation = Validation::new(algorithm);
        validation.leeway = 0;
        Jwt {
            key,
            validation,
            cookie: Some(DEFAULT_COOKIE.to_owned()),
            query: Some(DEFAULT_QUERY.to_owned()),
            reader: PhantomData,
        }
    }

    /// Checks HS256 tokens signed with `secret`: random bytes, at least [`MIN_HS256_SECRET`]
    /// of them. A shorter secret (an unset variable read as empty, a password) is refused
    /// with an error for which [`JwtError::is_short_secret`] holds, so that a server does not
    /// start with tokens anyone could forge.
    pub fn hs256(secret: impl AsRef<[u8]>) -> Result<Self, JwtError> {
        let secret = secret.as_ref();
        check_hs256_secret(secret)?;
        let key = DecodingKey::from_secret(secret).map_err(JwtError::key)?;
        Ok(Jwt::with_key(key, Algorithm::HS256))
    }

    /// Checks RS256 tokens against an RSA public key in PEM.
    pub fn rs256_pem(public_key_pem: &[u8]) -> Result<Self, JwtError> {
        let key = DecodingKey::from_rsa_pem(public_key_pem).map_err(JwtError::key)?;
        Ok(Jwt::with_key(key, Algorithm::RS256))
    }

    /// Reads the token from the cookie `name` (default [`DEFAULT_COOKIE`]).
    pub fn cookie(mut self, name: impl Into<String>) -> Self {
        self.cookie = Some(name.into());
        self
    }

    /// Never reads the token from a cookie.
    pub fn no_cookie(mut self) -> Self {
        self.cookie = None;
        self
    }

    /// Reads the token from the query parameter `name` (default [`DEFAULT_QUERY`]).
    pub fn query(mut self, name: impl Into<String>) -> Self {
        self.query = Some(name.into());
        self
    }

    /// Never reads the token from the query (it would end up in logs and history).
    pub fn no_query(mut self) -> Self {
        self.query = None;
        self
    }

    /// Accepts tokens this long past their `exp` (default none), for clocks that differ; at
    /// most a day.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.validation.leeway = leeway.as_secs().min(24 * 60 * 60);
        self
    }

    /// The claims of a valid token, or why it is not.
    pub fn claims(&self, token: &str) -> Result<Claims, Denied> {
        jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| Denied::InvalidToken)
    }
}

impl<P> Clone for Jwt<P> {
    fn clone(&self) -> Self {
        Jwt {
            key: self.key.clone(),
            validation: self.validation.clone(),
            cookie: self.cookie.clone(),
            query: self.query.clone(),
            reader: PhantomData,
        }
    }
}

impl<P> fmt::Debug for Jwt<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwt")
            .field("algorithms", &self.validation.algorithms)
            .field("cookie", &self.cookie)
            .field("query", &self.query)
            .field("leeway", &self.validation.leeway)
            .finish_non_exhaustive()
    }
}

impl<P: ReadRequest<R>, R: ?Sized> Authorize<R> for Jwt<P> {
    fn authorize(&self, request: &R, access: Access<'_>) -> Authorization {
        let token = request_token::<P, R>(request, self.cookie.as_deref(), self.query.as_deref());
        let Some(token) = token else {
            return Authorization::deny(Denied::Unauthorized);
        };
        let claims = match self.claims(&token) {
            Ok(claims) => claims,
            Err(denied) => return Authorization::deny(denied),
        };
        if !claims.allows(access) {
            return Authorization::deny(Denied::Forbidden);
        }
        // An `exp` past what the clock can hold (a signed token may say anything) is a
        // grant without end, not a panic.
        let expires_at = claims
            .exp
            .and_then(|exp| UNIX_EPOCH.checked_add(Duration::from_secs(exp)));
        let grant = match expires_at {
            Some(at) => Grant::new().until(at),
            None => Grant::new(),
        };
        grant.into()
    }

    /// A token is there, signed with the key, and not expired (what it grants is for
    /// `authorize`).
    fn authenticate(&self, request: &R) -> Result<(), Denied> {
        let token = request_token::<P, R>(request, self.cookie.as_deref(), self.query.as_deref());
        self.claims(&token.ok_or(Denied::Unauthorized)?).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    struct Query;

    impl ReadRequest<str> for Query {
        fn header_values<'r>(_: &'r str, _: &str) -> impl Iterator<Item = &'r [u8]> {
            std::iter::empty()
        }

        fn query(request: &str) -> Option<&str> {
            Some(request)
        }
    }

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn answer(hook: &Jwt<Query>, token: &str, access: Access<'_>) -> Result<Grant, Denied> {
        let query = format!("authorization={token}");
        hook.authorize(query.as_str(), access)
            .now_or_never()
            .expect("ready at once")
    }

    #[test]
    fn rs256_tokens_are_checked_against_the_public_key() {
        let private = include_bytes!("../tests/fixtures/rs256-test-private.pem");
        let public = include_bytes!("../tests/fixtures/rs256-test-public.pem");
        let hook = Jwt::<Query>::rs256_pem(public).unwrap();
        let token = Claims::new()
            .publish(["news"])
            .expires_in(Duration::from_secs(60))
            .sign_rs256_pem(private)
            .unwrap();
        assert!(answer(&hook, &token, Access::Publish("news")).is_ok());
        // An HS256 token made with the public key as its secret is refused (no confusion).
        let confused = Claims::new()
            .publish(["news"])
            .expires_in(Duration::from_secs(60))
            .sign_hs256(public)
            .unwrap();
        assert_eq!(
            answer(&hook, &confused, Access::Publish("news")),
            Err(Denied::InvalidToken)
        );
        assert!(Jwt::<Query>::rs256_pem(b"not a key").is_err());
    }

    #[test]
    fn an_expiry_past_what_the_clock_holds_is_no_panic() {
        // Found in review: `UNIX_EPOCH + exp` panicked for a signed `exp` over i64::MAX.
        let hook = Jwt::<Query>::hs256(SECRET).unwrap();
        let far = Claims::new()
            .subscribe(["news"])
            .expires_in(Duration::MAX)
            .sign_hs256(SECRET)
            .unwrap();
        let grant = answer(&hook, &far, Access::Subscribe(&["news".to_owned()]));
        assert!(grant.is_ok_and(|grant| grant.expires_at().is_none()));
        let hook = hook.leeway(Duration::MAX);
        assert!(answer(&hook, &far, Access::Subscribe(&["news".to_owned()])).is_ok());
    }

    #[test]
    fn authenticate_checks_the_token_alone() {
        let hook = Jwt::<Query>::hs256(SECRET).unwrap();
        let endpoints = crate::endpoints::HubEndpoints::new(sse_core::Hub::new())
            .max_publishes_in_flight(1)
            .authorize(hook.clone());
        // No token, a forged one: refused before admission, so the budget stays whole.
        assert_eq!(hook.authenticate(""), Err(Denied::Unauthorized));
        assert_eq!(
            hook.authenticate("authorization=e30.e30.e30"),
            Err(Denied::InvalidToken)
        );
        for query in ["", "authorization=e30.e30.e30"] {
            let error = endpoints.admit_publish::<Query, str>(query).unwrap_err();
            assert_eq!(sse_core::http::HttpError::status(&error), 401);
        }
        assert!(endpoints.admit_body().is_ok());
        // A valid token, whatever it grants (that is for `authorize`).
        let token = Claims::new()
            .subscribe(["news"])
            .expires_in(Duration::from_secs(60))
            .sign_hs256(SECRET)
            .unwrap();
        assert_eq!(hook.authenticate(&format!("authorization={token}")), Ok(()));
    }

    #[test]
    fn a_secret_shorter_than_32_bytes_is_refused() {
        let short = &SECRET[..MIN_HS256_SECRET - 1];
        for secret in [&b""[..], b"secret", short] {
            let error = Jwt::<Query>::hs256(secret).unwrap_err();
            assert!(error.is_short_secret(), "{error}");
            assert_eq!(
                error.to_string(),
                format!(
                    "an HS256 secret needs at least 32 bytes (RFC 7518 section 3.2), this one has {}",
                    secret.len()
                )
            );
            let claims = Claims::new().publish(["*"]);
            assert!(claims.sign_hs256(secret).unwrap_err().is_short_secret());
        }
        assert!(Jwt::<Query>::hs256(&SECRET[..MIN_HS256_SECRET]).is_ok());
        let not_short = Jwt::<Query>::rs256_pem(b"not a key").unwrap_err();
        assert!(!not_short.is_short_secret());
        assert!(std::error::Error::source(&not_short).is_some());
    }

    #[test]
    fn patterns() {
        assert!(matches("*", "anything/at/all"));
        assert!(matches("news", "news"));
        assert!(!matches("news", "news2"));
        assert!(matches("rooms/*", "rooms/a/b"));
        assert!(!matches("rooms/*", "rooms"));
        assert!(
            !matches("rooms*", "rooms1"),
            "only a whole segment is a prefix"
        );
    }

    #[test]
    fn tokens_grant_their_topics_until_they_expire() {
        let hook = Jwt::<Query>::hs256(SECRET).unwrap();
        let token = Claims::new()
            .subscribe(["news", "rooms/*"])
            .publish(["rooms/*"])
            .expires_in(Duration::from_secs(60))
            .sign_hs256(SECRET)
            .unwrap();
        let topics = ["news".to_owned(), "rooms/1".to_owned()];
        let grant = answer(&hook, &token, Access::Subscribe(&topics)).unwrap();
        assert!(grant.expires_at().is_some_and(|at| at > SystemTime::now()));
        let private = ["news".to_owned(), "private".to_owned()];
        assert_eq!(
            answer(&hook, &token, Access::Subscribe(&private)),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            answer(&hook, &token, Access::Publish("news")),
            Err(Denied::Forbidden)
        );
        assert!(answer(&hook, &token, Access::Publish("rooms/9")).is_ok());
        let other_key = Claims::new()
            .subscribe(["*"])
            .expires_in(Duration::from_secs(60))
            .sign_hs256(b"another secret, another signature")
            .unwrap();
        assert_eq!(
            answer(&hook, &other_key, Access::Publish("x")),
            Err(Denied::InvalidToken)
        );
        let mut expired = Claims::new().subscribe(["*"]);
        expired.exp = Some(1_000_000);
        let expired = expired.sign_hs256(SECRET).unwrap();
        assert_eq!(
            answer(&hook, &expired, Access::Publish("x")),
            Err(Denied::InvalidToken)
        );
        let no_exp = Claims::new().subscribe(["*"]).sign_hs256(SECRET).unwrap();
        assert_eq!(
            answer(&hook, &no_exp, Access::Publish("x")),
            Err(Denied::InvalidToken)
        );
        assert_eq!(
            answer(&hook, "not.a.token", Access::Publish("x")),
            Err(Denied::InvalidToken)
        );
        let none = hook
            .authorize("topic=a", Access::Publish("x"))
            .now_or_never();
        assert_eq!(none, Some(Err(Denied::Unauthorized)));
    }
}
