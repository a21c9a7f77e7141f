//! [`AxumRequest`]: how hooks written once in `sse-core` (such as the JWT one) read axum's
//! request, and the ready [`Jwt`] alias.

use axum::http::request::Parts;
use sse_endpoints::ReadRequest;

/// Reads axum's request [`Parts`] for hooks written once in `sse-core`: the marker that
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
/// `Authorization: Bearer`, a cookie or `?authorization=`. See [`sse_endpoints::jwt`].
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
pub type Jwt = sse_endpoints::jwt::Jwt<AxumRequest>;
