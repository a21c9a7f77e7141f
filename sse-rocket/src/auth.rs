//! [`RocketRequest`]: how hooks written once in `sse-core` (such as the JWT one) read
//! rocket's request, and the ready [`Jwt`] alias.

use rocket::Request;
use sse_endpoints::ReadRequest;

/// Reads rocket's [`Request`] for hooks written once in `sse-core`: the marker that [`Jwt`]
/// is made with.
#[derive(Debug, Clone, Copy)]
pub struct RocketRequest;

impl<'a> ReadRequest<Request<'a>> for RocketRequest {
    fn header_values<'r>(request: &'r Request<'a>, name: &str) -> impl Iterator<Item = &'r [u8]> {
        request.headers().get(name).map(str::as_bytes)
    }

    fn query<'r>(request: &'r Request<'a>) -> Option<&'r str> {
        request.uri().query().map(|query| query.as_str())
    }
}

/// The JWT authorization hook for rocket (feature `jwt`): Mercure-style claims, the token
/// from `Authorization: Bearer`, a cookie or `?authorization=`. See [`sse_endpoints::jwt`].
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
pub type Jwt = sse_endpoints::jwt::Jwt<RocketRequest>;
