//! [`AxumRequest`]: how hooks written once in `sse-endpoints` (such as the JWT one) read
//! axum's request, and the ready [`Jwt`] alias.

use axum::http::request::Parts;
use sse_endpoints::ReadRequest;

/// Reads axum's request [`Parts`] for hooks written once in `sse-endpoints`: the marker that
/// [`Jwt`] is made with.
#[derive(Debug, Clone, Copy)]
pub struct AxumRequest;

impl ReadRequest<Parts> for AxumRequest {
    fn header_values<'r>(request: &'r Parts, name: &str) -> impl Iterator<Item = &'r [u8]> {
        request
            .headers
            .get_all(name)
            .into_iter()
            .map(|value| value.as_bytes())
    }

    fn query(request: &Parts) -> Option<&str> {
        request.uri.query()
    }
}

/// The JWT authorization hook for axum (feature `jwt`): Mercure-style claims, the token from
/// `Authorization: Bearer`, a cookie or `?authorization=`. See [`sse_endpoints::jwt`] and
/// the guide's [JSON Web Tokens](sse_core::guide::auth#json-web-tokens-an-adapters-jwt-feature).
///
/// ```
/// use std::time::Duration;
/// use sse_axum::{Hub, HubEndpoints, Jwt};
/// use sse_axum::sse_endpoints::jwt::Claims;
///
/// let secret = "at least 32 random bytes, from your config";
/// let endpoints = HubEndpoints::new(Hub::new()).authorize(Jwt::hs256(secret).unwrap().cookie("token"));
/// let app: axum::Router = sse_axum::routes(endpoints);
///
/// // A token for a client (a login handler's job): read `news`, publish nothing, for an hour.
/// let token = Claims::new().subscribe(["news"]).expires_in(Duration::from_secs(3600))
///     .sign_hs256(secret.as_bytes()).unwrap();
/// // In the page: new EventSource(`/events?topic=news&authorization=${token}`),
/// // or set the cookie `token` and use new EventSource("/events?topic=news").
/// # drop((app, token));
/// ```
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
pub type Jwt = sse_endpoints::jwt::Jwt<AxumRequest>;
