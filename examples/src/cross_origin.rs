//! Requests from pages on other origins: the CORS settings the three demos share, and the
//! refusal of state-changing requests from other sites.
//!
//! CORS decides only whether a page may *read* an answer. A browser sends a "simple"
//! request (a `POST` with a `text/plain` or form body, as a `<form>` or a plain `fetch`
//! sends) to any origin without asking first, and the server acts on it. So every demo
//! route that changes state refuses a request whose `Origin` is neither the server's own
//! nor an allowed one ([`refuse_cross_site`], 403), and `POST /chat` takes only
//! `Content-Type: application/json` ([`require_json`], 415), a type a cross-origin page
//! can only send after a preflight that CORS answers.
//!
//! CORS itself is off unless origins are listed (`--cors-origin`, [`Options`](crate::Options)):
//! then each listed origin may read the answers, with its cookies (`EventSource(url, {
//! withCredentials: true })`), using [`ALLOW_METHODS`] and [`ALLOW_HEADERS`].
//!
//! ```
//! use sse_examples::cross_origin::{AllowedOrigins, refuse_cross_site};
//! let allowed = AllowedOrigins::parse("https://app.example.com").unwrap();
//! let host = Some(&b"127.0.0.1:3000"[..]);
//! // No Origin (curl), the server's own, or an allowed one: go on.
//! assert!(refuse_cross_site("POST", None, host, &allowed).is_ok());
//! assert!(refuse_cross_site("POST", Some(b"http://127.0.0.1:3000"), host, &allowed).is_ok());
//! assert!(refuse_cross_site("POST", Some(b"https://app.example.com"), host, &allowed).is_ok());
//! // Any other site: 403.
//! assert!(refuse_cross_site("POST", Some(b"https://evil.example"), host, &allowed).is_err());
//! // Reading is never refused here (CORS keeps the answer from the page).
//! assert!(refuse_cross_site("GET", Some(b"https://evil.example"), host, &allowed).is_ok());
//! ```

use std::time::Duration;

use sse_core::http::ErrorResponse;

/// The request headers a cross-origin page may send: `Content-Type` (JSON bodies),
/// `Last-Event-ID` (a `fetch`-based client resuming), `Idempotency-Key` (safe retries of
/// `/publish`) and `Authorization`.
pub const ALLOW_HEADERS: [&str; 4] = [
    "content-type",
    "last-event-id",
    "idempotency-key",
    "authorization",
];

/// The methods a cross-origin page may use.
pub const ALLOW_METHODS: [&str; 4] = ["GET", "HEAD", "POST", "OPTIONS"];

/// How long a browser may keep a preflight's answer.
pub const MAX_AGE: Duration = Duration::from_secs(600);

/// The exact origins (`scheme://host[:port]`) allowed to read the demo's answers with
/// their cookies, and to change state. Empty: CORS off, and only the server's own origin
/// (or none) may change state.
///
/// ```
/// use sse_examples::cross_origin::AllowedOrigins;
/// let origins = AllowedOrigins::parse("https://a.example, HTTP://B.example:8080").unwrap();
/// assert_eq!(origins.iter().collect::<Vec<_>>(), ["https://a.example", "http://b.example:8080"]);
/// assert!(origins.contains(b"http://b.example:8080"));
/// assert!(AllowedOrigins::parse("*").is_err());
/// assert!(AllowedOrigins::parse("https://a.example/path").is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    /// Origins separated by commas (blanks around them are ignored).
    pub fn parse(list: &str) -> Result<AllowedOrigins, String> {
        let mut origins = AllowedOrigins::default();
        origins.add(list)?;
        Ok(origins)
    }

    /// Adds the comma-separated origins of `list`.
    pub fn add(&mut self, list: &str) -> Result<(), String> {
        for origin in list.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            let origin = normalize(origin)?;
            if !self.0.contains(&origin) {
                self.0.push(origin);
            }
        }
        Ok(())
    }

    /// Whether none is allowed (CORS off).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The origins, as a browser writes them in `Origin`.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Whether an `Origin` header's value is one of them (exactly, as browsers send it).
    pub fn contains(&self, origin: &[u8]) -> bool {
        self.0.iter().any(|allowed| allowed.as_bytes() == origin)
    }
}

/// An origin as a browser serializes it: lower case, no default port; or why it is not one.
fn normalize(origin: &str) -> Result<String, String> {
    let bad = |why: &str| Err(format!("CORS origin {origin:?}: {why}"));
    let lower = origin.to_ascii_lowercase();
    let (scheme, authority) = match lower.split_once("://") {
        Some((scheme @ ("http" | "https"), authority)) => (scheme, authority),
        _ => return bad("must start with http:// or https://"),
    };
    if authority.is_empty()
        || authority
            .bytes()
            .any(|b| matches!(b, b'/' | b'?' | b'#' | b'@' | b'*' | b',') || !b.is_ascii_graphic())
    {
        return bad("must be scheme://host[:port] exactly, no path and no wildcard");
    }
    let (host, port) = match authority.rsplit_once(':') {
        // An IPv6 address without a port has colons inside its brackets only.
        Some((host, port)) if !port.ends_with(']') => (host, Some(port)),
        _ => (authority, None),
    };
    if host.is_empty() {
        return bad("has no host");
    }
    match port {
        None => Ok(format!("{scheme}://{host}")),
        Some(port) => match port.parse::<u16>() {
            Ok(80) if scheme == "http" => Ok(format!("{scheme}://{host}")),
            Ok(443) if scheme == "https" => Ok(format!("{scheme}://{host}")),
            Ok(port) => Ok(format!("{scheme}://{host}:{port}")),
            Err(_) => bad("has a bad port"),
        },
    }
}

/// Whether a method only reads (CORS decides whether the page sees the answer).
pub fn is_safe_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// Refuses (403 `forbidden_origin`) a request that may change state (any method but
/// `GET`, `HEAD` and `OPTIONS`) and carries an `Origin` that is neither the server's own
/// (`http://` or `https://` and the request's `Host`, when that is an address or
/// `localhost`: see DNS rebinding below) nor an allowed one. A request
/// without `Origin` (not from a browser's cross-origin page) goes on.
pub fn refuse_cross_site(
    method: &str,
    origin: Option<&[u8]>,
    host: Option<&[u8]>,
    allowed: &AllowedOrigins,
) -> Result<(), ErrorResponse> {
    let Some(origin) = origin else { return Ok(()) };
    if is_safe_method(method) || allowed.contains(origin) || is_own(origin, host) {
        return Ok(());
    }
    Err(ErrorResponse::new(
        403,
        "forbidden_origin",
        format!(
            "a page on {:?} may not change state here: only this server's own origin and the \
             --cors-origin ones may",
            String::from_utf8_lossy(origin)
        ),
    ))
}

/// Whether `origin` is the server's own: `http://` or `https://` (behind a proxy that ends
/// TLS) and the `Host` the request was sent to, when that names the machine by address or
/// as `localhost`. A name could be an attacker's, rebound to this machine's address (DNS
/// rebinding: the page's `Origin` and `Host` then agree): a server reached by a name lists
/// its own origin with `--cors-origin`.
fn is_own(origin: &[u8], host: Option<&[u8]>) -> bool {
    let Some(host) = host.filter(|host| !host.is_empty() && is_address(host)) else {
        return false;
    };
    [&b"http://"[..], b"https://"].iter().any(|scheme| {
        origin.len() == scheme.len() + host.len()
            && origin[..scheme.len()].eq_ignore_ascii_case(scheme)
            && origin[scheme.len()..].eq_ignore_ascii_case(host)
    })
}

/// Whether a `Host` value (port and all) is an IP address or `localhost`.
fn is_address(host: &[u8]) -> bool {
    let Ok(host) = std::str::from_utf8(host) else {
        return false;
    };
    if let Some(rest) = host.strip_prefix('[') {
        let ip = rest.split(']').next().unwrap_or_default();
        return ip.parse::<std::net::Ipv6Addr>().is_ok();
    }
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::Ipv4Addr>().is_ok()
}

/// Refuses (415 `unsupported_media_type`) a body whose `Content-Type` is not
/// `application/json` (parameters such as `charset` aside).
///
/// ```
/// use sse_examples::cross_origin::require_json;
/// assert!(require_json(Some(b"application/json; charset=utf-8")).is_ok());
/// assert_eq!(require_json(Some(b"text/plain")).unwrap_err().status(), 415);
/// assert!(require_json(None).is_err());
/// # use sse_core::http::HttpError;
/// ```
pub fn require_json(content_type: Option<&[u8]>) -> Result<(), ErrorResponse> {
    let essence = content_type
        .map(|value| {
            value
                .split(|&b| b == b';')
                .next()
                .unwrap_or(value)
                .trim_ascii()
        })
        .unwrap_or_default();
    if essence.eq_ignore_ascii_case(b"application/json") {
        return Ok(());
    }
    Err(ErrorResponse::new(
        415,
        "unsupported_media_type",
        "the body must be JSON, sent with Content-Type: application/json",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sse_core::http::HttpError;

    #[test]
    fn origins_are_exact_and_normalized() {
        let origins =
            AllowedOrigins::parse(" http://localhost:80 ,https://A.example:443,").unwrap();
        assert_eq!(
            origins.iter().collect::<Vec<_>>(),
            ["http://localhost", "https://a.example"]
        );
        for bad in [
            "*",
            "null",
            "localhost:3000",
            "ftp://a.example",
            "http://",
            "http://a.example/",
            "http://*.example",
            "http://a.example:99999",
            "http://a.example:",
            "http://user@a.example",
        ] {
            assert!(AllowedOrigins::parse(bad).is_err(), "{bad}");
        }
        assert!(
            AllowedOrigins::parse("http://[::1]:3000")
                .unwrap()
                .contains(b"http://[::1]:3000")
        );
    }

    #[test]
    fn only_foreign_origins_are_refused_and_only_for_changes() {
        let allowed = AllowedOrigins::parse("http://localhost:5000").unwrap();
        let host = Some(&b"127.0.0.1:3000"[..]);
        let refused = |method, origin: &[u8]| {
            refuse_cross_site(method, Some(origin), host, &allowed).map_err(|e| e.status())
        };
        assert_eq!(refused("POST", b"http://localhost:5000"), Ok(()));
        assert_eq!(refused("POST", b"http://127.0.0.1:3000"), Ok(()));
        assert_eq!(refused("POST", b"HTTPS://127.0.0.1:3000"), Ok(()));
        assert_eq!(refused("POST", b"http://localhost:5001"), Err(403));
        assert_eq!(refused("POST", b"null"), Err(403));
        assert_eq!(refused("DELETE", b"http://127.0.0.1:30001"), Err(403));
        assert_eq!(refused("GET", b"http://evil.example"), Ok(()));
        assert_eq!(
            refuse_cross_site("POST", None, host, &allowed).map_err(|e| e.status()),
            Ok(())
        );
        assert!(refuse_cross_site("POST", Some(b"http://"), Some(b""), &allowed).is_err());
        // DNS rebinding: a page on a name rebound to this machine sends a matching `Host`.
        let rebound = Some(&b"evil.example:3000"[..]);
        let status =
            refuse_cross_site("POST", Some(b"http://evil.example:3000"), rebound, &allowed);
        assert_eq!(status.map_err(|e| e.status()), Err(403));
        for host in [&b"localhost:3000"[..], b"[::1]:3000", b"10.0.0.7"] {
            let origin = format!("http://{}", String::from_utf8_lossy(host));
            let own = refuse_cross_site("POST", Some(origin.as_bytes()), Some(host), &allowed);
            assert!(own.is_ok(), "{origin}");
        }
    }

    #[test]
    fn json_only() {
        assert!(require_json(Some(b"Application/JSON")).is_ok());
        for other in [
            &b"text/plain"[..],
            b"application/jsonx",
            b"multipart/form-data",
            b"",
        ] {
            let error = require_json(Some(other)).unwrap_err();
            assert_eq!(
                (error.status(), error.code()),
                (415, "unsupported_media_type")
            );
        }
    }
}
