//! [`ActixRequest`]: how hooks written once in `sse-endpoints` (such as the JWT one)
//! read actix-web's request, and the ready [`Jwt`] alias.

use actix_web::HttpRequest;
use sse_endpoints::ReadRequest;

/// Reads actix-web's [`HttpRequest`] for hooks written once in `sse-endpoints`: the marker that
/// [`Jwt`] is made with.
#[derive(Debug, Clone, Copy)]
pub struct ActixRequest;

impl ReadRequest<HttpRequest> for ActixRequest {
    fn header_values<'r>(request: &'r HttpRequest, name: &str) -> impl Iterator<Item = &'r [u8]> {
        request
            .headers()
            .get_all(name)
            .map(|value| value.as_bytes())
    }

    fn query(request: &HttpRequest) -> Option<&str> {
        Some(request.query_string()).filter(|query| !query.is_empty())
    }
}

/// The JWT authorization hook for actix-web (feature `jwt`): Mercure-style claims, the
/// token from `Authorization: Bearer`, a cookie or `?authorization=`. See
/// [`sse_endpoints::jwt`] and the guide's
/// [JSON Web Tokens](sse_core::guide::auth#json-web-tokens-an-adapters-jwt-feature).
///
/// ```
/// use std::time::Duration;
/// use sse_actix::{Hub, HubEndpoints, Jwt};
/// use sse_actix::sse_endpoints::jwt::Claims;
///
/// let secret = "at least 32 random bytes, from your config";
/// let endpoints = HubEndpoints::new(Hub::new()).authorize(Jwt::hs256(secret).unwrap().cookie("token"));
/// let app = actix_web::App::new().service(sse_actix::routes(endpoints));
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
pub type Jwt = sse_endpoints::jwt::Jwt<ActixRequest>;
