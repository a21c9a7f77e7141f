//! [`ActixRequest`]: how hooks written once in `sse-core` (such as the JWT one) read
//! actix-web's request, and the ready [`Jwt`] alias.

use actix_web::HttpRequest;
use sse_endpoints::ReadRequest;

/// Reads actix-web's [`HttpRequest`] for hooks written once in `sse-core`: the marker that
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
/// [`sse_endpoints::jwt`].
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
pub type Jwt = sse_endpoints::jwt::Jwt<ActixRequest>;
