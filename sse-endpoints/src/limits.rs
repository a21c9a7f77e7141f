//! Limits that protect the process from its clients, written once for every adapter.
//!
//! | limit | default | past it |
//! |---|---|---|
//! | [`DEFAULT_BODY_TIMEOUT`]: reading a publish body, whole | 10 s | 408 `body_timeout`, connection closed |
//! | [`DEFAULT_MAX_PUBLISHES_IN_FLIGHT`]: publishes being read or waiting for the hub | 1,024 | 429 `too_many_requests`, `Retry-After: 1` |
//! | [`DEFAULT_MAX_UNAUTHORIZED_PER_CREDENTIAL`]: of those, publishes of one bearer token not yet authorized for their topic (body being read, hook not answered) | a sixteenth of the places (64) | 429 `too_many_requests`, `Retry-After: 1` |
//! | [`PublishRate`]: publishes a second, a token bucket holding one second's worth | off | 429 `too_many_requests`, `Retry-After: 1` |
//! | [`AddressLimit`]: what a server counts per client (an IPv4 address or an IPv6 /64; the demos: connections) | off | 429 `too_many_connections`, `Retry-After: 1`, closed |
//!
//! The first four are `HubEndpoints` settings
//! (feature `endpoints`); clones of one `HubEndpoints` share one budget. [`AddressLimit`] is
//! for the server's accept loop or middleware: an event stream is a request that lasts, so
//! counting a client's connections (or its requests in flight) caps its open streams.
//!
//! ```
//! use std::net::{IpAddr, Ipv4Addr};
//! use sse_core::http::HttpError;
//! use sse_endpoints::limits::AddressLimit;
//!
//! let limit = AddressLimit::new(2);
//! let client = IpAddr::V4(Ipv4Addr::LOCALHOST);
//! let first = limit.acquire(client).unwrap();
//! let _second = limit.acquire(client).unwrap();
//! let refused = limit.acquire(client).unwrap_err();
//! assert_eq!((refused.status(), refused.code()), (429, "too_many_connections"));
//! drop(first); // the connection closed: its place is free again
//! assert!(limit.acquire(client).is_ok());
//! ```

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use sse_core::http::HttpError;

/// How long reading a publish body may take, from the handler's first read to its end
/// (10 s): a client that declares a body and stalls is answered 408 `body_timeout` and its
/// connection closed, instead of holding it for good.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// How many publishes may be in flight at once (1,024), from admission (before the body is
/// read) to the hub's answer; past it a publish is a 429 `too_many_requests`.
pub const DEFAULT_MAX_PUBLISHES_IN_FLIGHT: usize = 1024;

/// How many publishes of one credential (one bearer token) may hold a place in flight
/// before the hook has authorized them for their topic, at most: while their body is read,
/// and until the hook's full answer. The default share is a sixteenth of the places in
/// flight (at least one), 64 of the default 1,024, and never more than this.
///
/// Why a share per credential, and not a budget of its own for bodies being read: the full
/// answer of the hook needs the topic, which is in the body, so every publish (an allowed
/// one too) spends time admitted but not yet authorized; nothing tells a publisher that
/// will be allowed from one that will be refused, or one that stalls its body, except its
/// credentials. A separate budget for bodies being read would be filled by the stalling
/// clients as the whole budget is today, and every new publisher would find it full. Publishes
/// already authorized (waiting for the hub) hold their place already, and nothing can take
/// it from them. So the place in flight is given back the moment the hook refuses (before
/// the 403 is written), and a token that passed [`Authorize::authenticate`] but stalls its
/// bodies, or sends bodies for topics it may not publish to, holds at most this many
/// places: the other credentials keep theirs. Requests without a bearer token are not
/// counted here (they would all share one credential): a hook that refuses tokenless
/// publishes should do it in `authenticate`, before any place is taken.
///
/// [`Authorize::authenticate`]: crate::Authorize::authenticate
pub const DEFAULT_MAX_UNAUTHORIZED_PER_CREDENTIAL: usize = 64;

/// The `Retry-After` of every 429 here, in seconds.
const RETRY_AFTER_SECS: u32 = 1;

/// A limit said no.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitError {
    /// Too many publishes at once, or faster than the configured rate: 429
    /// `too_many_requests`.
    TooManyRequests,
    /// This client address already has the maximum of connections (or streams): 429
    /// `too_many_connections`.
    TooManyConnections {
        /// The cap per address.
        max: usize,
    },
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitError::TooManyRequests => f.write_str("too many publish requests; retry later"),
            LimitError::TooManyConnections { max } => {
                write!(
                    f,
                    "this address already has {max} open connections; close one first"
                )
            }
        }
    }
}

impl std::error::Error for LimitError {}

impl HttpError for LimitError {
    fn status(&self) -> u16 {
        429
    }

    fn code(&self) -> &str {
        match self {
            LimitError::TooManyRequests => "too_many_requests",
            LimitError::TooManyConnections { .. } => "too_many_connections",
        }
    }

    fn retry_after(&self) -> Option<u32> {
        Some(RETRY_AFTER_SECS)
    }
}

/// A cap on what one client IP address holds at once (connections, streams: whatever the
/// server acquires a guard for). Cheap to clone; clones share the counts. An address's
/// entry is removed when its last guard is dropped, so memory follows the addresses
/// connected now.
///
/// A client is an IPv4 address, or an IPv6 /64 prefix: one host, or one home or mobile
/// network, is usually given a whole /64 and can pick any of its 2^64 addresses, so
/// counting per IPv6 address would cap nothing. An IPv4-mapped IPv6 address
/// (`::ffff:192.0.2.7`, how a dual-stack socket sees an IPv4 client) counts as its IPv4
/// address.
///
/// ```
/// use std::net::IpAddr;
/// use sse_endpoints::limits::AddressLimit;
///
/// let limit = AddressLimit::new(1);
/// let _guard = limit.acquire("2001:db8:1:2::1".parse().unwrap()).unwrap();
/// let neighbour: IpAddr = "2001:db8:1:2::99".parse().unwrap();
/// assert!(limit.acquire(neighbour).is_err(), "the same /64");
/// ```
#[derive(Clone)]
pub struct AddressLimit {
    inner: Arc<AddressCounts>,
}

struct AddressCounts {
    max: usize,
    counts: Mutex<HashMap<IpAddr, usize>>,
}

impl fmt::Debug for AddressLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddressLimit")
            .field("max", &self.inner.max)
            .field("addresses", &self.inner.lock().len())
            .finish()
    }
}

impl AddressCounts {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        // The map is consistent after every operation, so a panic elsewhere cannot leave
        // it half-updated.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl AddressLimit {
    /// At most `max` at once per address (zero refuses everything).
    pub fn new(max: usize) -> Self {
        AddressLimit {
            inner: Arc::new(AddressCounts {
                max,
                counts: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The cap per address.
    pub fn max(&self) -> usize {
        self.inner.max
    }

    /// Counts one more for `address`, until the guard is dropped; past the cap, a 429
    /// [`LimitError::TooManyConnections`].
    pub fn acquire(&self, address: IpAddr) -> Result<AddressGuard, LimitError> {
        let address = client_key(address);
        let mut counts = self.inner.lock();
        let count = counts.entry(address).or_insert(0);
        if *count >= self.inner.max {
            if *count == 0 {
                counts.remove(&address);
            }
            return Err(LimitError::TooManyConnections {
                max: self.inner.max,
            });
        }
        *count += 1;
        Ok(AddressGuard {
            limit: self.inner.clone(),
            address,
        })
    }

    /// How many `address` holds now (with the others of its IPv6 /64).
    pub fn count(&self, address: IpAddr) -> usize {
        self.inner
            .lock()
            .get(&client_key(address))
            .copied()
            .unwrap_or(0)
    }
}

/// What [`AddressLimit`] counts `address` as: an IPv4 address as itself, an IPv4-mapped
/// IPv6 address as its IPv4 address, any other IPv6 address as its /64 prefix.
fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from_bits(
                v6.to_bits() & !u128::from(u64::MAX),
            )),
        },
    }
}

/// One place of an address under an [`AddressLimit`], given back when dropped.
#[must_use = "the place is given back when the guard is dropped"]
pub struct AddressGuard {
    limit: Arc<AddressCounts>,
    address: IpAddr,
}

impl fmt::Debug for AddressGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddressGuard")
            .field("address", &self.address)
            .finish()
    }
}

impl Drop for AddressGuard {
    fn drop(&mut self) {
        let mut counts = self.limit.lock();
        if let Some(count) = counts.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.address);
            }
        }
    }
}

/// A token bucket: `per_second` tokens a second, holding at most one second's worth, so a
/// burst of `per_second` is allowed after a quiet second. Cheap to clone; clones share it.
///
/// ```
/// use sse_endpoints::limits::PublishRate;
///
/// let rate = PublishRate::new(2);
/// assert!(rate.try_take().is_ok());
/// assert!(rate.try_take().is_ok());
/// assert!(rate.try_take().is_err(), "a third within the same second");
/// ```
#[derive(Clone)]
pub struct PublishRate {
    per_second: u32,
    bucket: Arc<Mutex<Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl fmt::Debug for PublishRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublishRate")
            .field("per_second", &self.per_second)
            .finish()
    }
}

impl PublishRate {
    /// `per_second` a second, starting full (zero refuses everything).
    pub fn new(per_second: u32) -> Self {
        PublishRate {
            per_second,
            bucket: Arc::new(Mutex::new(Bucket {
                tokens: f64::from(per_second),
                at: Instant::now(),
            })),
        }
    }

    /// The rate, a second.
    pub fn per_second(&self) -> u32 {
        self.per_second
    }

    /// Takes a token, or says 429 [`LimitError::TooManyRequests`] (retry after a second).
    pub fn try_take(&self) -> Result<(), LimitError> {
        let mut bucket = self.bucket.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let capacity = f64::from(self.per_second);
        let refill = now.duration_since(bucket.at).as_secs_f64() * capacity;
        bucket.tokens = (bucket.tokens + refill).min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(LimitError::TooManyRequests)
        }
    }
}

/// The publish limits of one `HubEndpoints` (and its clones).
#[derive(Clone, Debug)]
pub(crate) struct PublishLimits {
    pub(crate) body_timeout: Duration,
    pub(crate) rate: Option<PublishRate>,
    /// One permit for each publish that may be in flight; shared by clones.
    pub(crate) in_flight: Arc<Semaphore>,
    /// The places each credential holds before its publishes are authorized; shared by
    /// clones.
    pub(crate) unauthorized: Arc<CredentialShares>,
}

/// A credential's default share of `in_flight` places before authorization.
pub(crate) fn default_share(in_flight: usize) -> usize {
    (in_flight / 16).clamp(1, DEFAULT_MAX_UNAUTHORIZED_PER_CREDENTIAL)
}

/// How many places each credential (a hash of its bearer token) holds before the hook's
/// full answer, at most `max` each. An entry is removed at zero, so memory follows the
/// publishes being read now.
#[derive(Debug)]
pub(crate) struct CredentialShares {
    pub(crate) max: usize,
    /// Set by `max_unauthorized_publishes_per_credential`, not derived from the places in
    /// flight.
    pub(crate) explicit: bool,
    counts: Mutex<HashMap<u64, usize>>,
}

impl CredentialShares {
    pub(crate) fn new(max: usize) -> Self {
        CredentialShares {
            max,
            explicit: false,
            counts: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, usize>> {
        // Consistent after every operation, as `AddressCounts`.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One more place for `credential`, or `None` past its share.
    fn acquire(self: &Arc<Self>, credential: u64) -> Option<UnauthorizedShare> {
        let mut counts = self.lock();
        let count = counts.entry(credential).or_insert(0);
        if *count >= self.max {
            if *count == 0 {
                counts.remove(&credential);
            }
            return None;
        }
        *count += 1;
        Some(UnauthorizedShare {
            shares: self.clone(),
            credential,
        })
    }

    /// How many places every credential holds now, before authorization.
    #[cfg(test)]
    pub(crate) fn count_all(&self) -> usize {
        self.lock().values().sum()
    }

    /// How many places `credential` holds now, before authorization.
    #[cfg(test)]
    pub(crate) fn count(&self, credential: u64) -> usize {
        self.lock().get(&credential).copied().unwrap_or(0)
    }
}

/// One place of a credential's share, given back when the hook has authorized the
/// publish, or when the publish is answered otherwise.
pub(crate) struct UnauthorizedShare {
    shares: Arc<CredentialShares>,
    credential: u64,
}

impl Drop for UnauthorizedShare {
    fn drop(&mut self) {
        let mut counts = self.shares.lock();
        if let Some(count) = counts.get_mut(&self.credential) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.credential);
            }
        }
    }
}

impl Default for PublishLimits {
    fn default() -> Self {
        PublishLimits {
            body_timeout: DEFAULT_BODY_TIMEOUT,
            rate: None,
            in_flight: Arc::new(Semaphore::new(DEFAULT_MAX_PUBLISHES_IN_FLIGHT)),
            unauthorized: Arc::new(CredentialShares::new(default_share(
                DEFAULT_MAX_PUBLISHES_IN_FLIGHT,
            ))),
        }
    }
}

impl PublishLimits {
    /// A place in flight, if the rate allows a publish now and `credential` (a hash of the
    /// request's bearer token, if it has one) has not used up its share of places before
    /// authorization.
    pub(crate) fn admit(&self, credential: Option<u64>) -> Result<PublishPermit, LimitError> {
        let share = match credential {
            Some(credential) => Some(
                self.unauthorized
                    .acquire(credential)
                    .ok_or(LimitError::TooManyRequests)?,
            ),
            None => None,
        };
        let permit = self
            .in_flight
            .clone()
            .try_acquire_owned()
            .map_err(|_| LimitError::TooManyRequests)?;
        if let Some(rate) = &self.rate {
            rate.try_take()?;
        }
        Ok(PublishPermit {
            _permit: permit,
            unauthorized: share,
        })
    }
}

/// A publish's place among those in flight; hold it until the publish has its answer.
#[must_use = "the place is given back when the permit is dropped"]
pub struct PublishPermit {
    _permit: OwnedSemaphorePermit,
    /// The credential's share, until the hook authorizes the publish.
    unauthorized: Option<UnauthorizedShare>,
}

impl PublishPermit {
    /// The hook has authorized the publish for its topic: it no longer counts against its
    /// credential's share (it keeps its place in flight).
    pub(crate) fn authorized(&mut self) {
        self.unauthorized = None;
    }
}

impl fmt::Debug for PublishPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PublishPermit")
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    #[test]
    fn address_counts_are_per_address_and_forgotten_at_zero() {
        let limit = AddressLimit::new(1);
        let (a, b) = (
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
        );
        let guard = limit.acquire(a).unwrap();
        assert!(limit.acquire(a).is_err());
        let other = limit.acquire(b).unwrap();
        drop(guard);
        assert_eq!(limit.count(a), 0);
        assert_eq!(limit.inner.lock().len(), 1, "only b is remembered");
        drop(other);
        assert!(limit.inner.lock().is_empty());
        assert!(AddressLimit::new(0).acquire(a).is_err());
        assert!(AddressLimit::new(0).inner.lock().is_empty());
    }

    #[test]
    fn ipv6_addresses_count_per_64_and_mapped_ipv4_as_ipv4() {
        let limit = AddressLimit::new(1);
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let next_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        let guard = limit.acquire(one).unwrap();
        assert!(limit.acquire(same_64).is_err(), "one /64 is one client");
        assert_eq!(limit.count(same_64), 1);
        let other = limit.acquire(next_64).unwrap();
        drop((guard, other));
        assert!(limit.inner.lock().is_empty());

        let v4 = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        let neighbour = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 8));
        let _guard = limit.acquire(v4).unwrap();
        assert!(
            limit.acquire(mapped).is_err(),
            "mapped IPv4 is the IPv4 address"
        );
        assert!(limit.acquire(neighbour).is_ok(), "IPv4 counts per address");
    }

    #[test]
    fn in_flight_permits_are_given_back() {
        let limits = PublishLimits {
            in_flight: Arc::new(Semaphore::new(2)),
            ..PublishLimits::default()
        };
        let first = limits.admit(None).unwrap();
        let _second = limits.clone().admit(None).unwrap();
        assert_eq!(limits.admit(None).unwrap_err().status(), 429);
        drop(first);
        assert!(limits.admit(None).is_ok());
    }

    #[test]
    fn a_credential_holds_its_share_until_authorized() {
        let limits = PublishLimits {
            unauthorized: Arc::new(CredentialShares::new(2)),
            ..PublishLimits::default()
        };
        let mut first = limits.admit(Some(1)).unwrap();
        let _second = limits.admit(Some(1)).unwrap();
        assert_eq!(limits.admit(Some(1)).unwrap_err().status(), 429);
        assert!(limits.admit(Some(2)).is_ok(), "another credential");
        assert!(limits.admit(None).is_ok(), "no credential, no share");
        first.authorized();
        assert_eq!(limits.unauthorized.count(1), 1);
        let third = limits.admit(Some(1)).unwrap();
        drop((first, third));
        assert_eq!(limits.unauthorized.count(1), 1);
        assert_eq!(limits.unauthorized.lock().len(), 1, "only 1 is remembered");
    }

    #[test]
    fn an_empty_bucket_refills_with_time() {
        let rate = PublishRate::new(1000);
        for _ in 0..1000 {
            let _ = rate.try_take();
        }
        // Drain whatever refilled meanwhile.
        while rate.try_take().is_ok() {}
        let error = rate.try_take().unwrap_err();
        assert_eq!(
            (error.status(), error.code(), error.retry_after()),
            (429, "too_many_requests", Some(1))
        );
        std::thread::sleep(Duration::from_millis(20));
        assert!(rate.try_take().is_ok());
        assert!(PublishRate::new(0).try_take().is_err());
    }
}
