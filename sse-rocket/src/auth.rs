//! [`RocketRequest`]: how hooks written once in `sse-endpoints` (such as the JWT one)
//! read rocket's request, and the ready [`Jwt`] alias.

use rocket::Request;
use sse_endpoints::ReadRequest;

/// Reads rocket's [`Request`] for hooks written once in `sse-endpoints`: the marker that
/// [`Jwt`] is made with.
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
/// from `Authorization: Bearer`, a cookie or `?authorization=`. See [`sse_endpoints::jwt`]
/// and the guide's
/// [JSON Web Tokens](sse_core::guide::auth#json-web-tokens-an-adapters-jwt-feature).
///
/// ```
/// use std::time::Duration;
/// use sse_rocket::{Hub, HubEndpoints, Jwt};
/// use sse_rocket::sse_endpoints::jwt::Claims;
///
/// let secret = "at least 32 random bytes, from your config";
/// let endpoints = HubEndpoints::new(Hub::new()).authorize(Jwt::hs256(secret).unwrap().cookie("token"));
/// let rocket = rocket::build().mount("/", sse_rocket::routes(endpoints));
///
/// // A token for a client (a login handler's job): read `news`, publish nothing, for an hour.
/// let token = Claims::new().subscribe(["news"]).expires_in(Duration::from_secs(3600))
///     .sign_hs256(secret.as_bytes()).unwrap();
/// // In the page: new EventSource(`/events?topic=news&authorization=${token}`),
/// // or set the cookie `token` and use new EventSource("/events?topic=news").
/// # drop((rocket, token));
/// ```
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
pub type Jwt = sse_endpoints::jwt::Jwt<RocketRequest>;
