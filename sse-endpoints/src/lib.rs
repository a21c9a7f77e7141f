//! The HTTP policy of the Server-Sent Events hub endpoints, written once for every framework:
//! who may subscribe and publish ([`auth`], and [`jwt`] with the `jwt` feature), how much and
//! how often ([`limits`]), what a repeated publish answers ([`idempotency`]), and the order in
//! which a request is checked ([`HubEndpoints`]).
//!
//! The framework adapters (`sse-axum`, `sse-actix`, `sse-rocket`) mount these endpoints in
//! their own idiom behind their default `routes` feature: an adapter only reads its
//! framework's request (headers, query, body stream) and writes its response. An app that
//! only streams turns that feature off and compiles none of this crate.
//!
//! ```
//! use sse_core::Hub;
//! use sse_endpoints::{Access, Denied, HubEndpoints};
//!
//! struct Request { user: Option<String> }
//!
//! let endpoints = HubEndpoints::new(Hub::new())
//!     .max_body(16 * 1024)
//!     .authorize(|request: &Request, access: Access<'_>| match &request.user {
//!         None => Err(Denied::Unauthorized),
//!         Some(user) if access.topics().all(|topic| topic == format!("user/{user}")) => Ok(()),
//!         Some(_) => Err(Denied::Forbidden),
//!     });
//! # drop(endpoints);
//! ```
//!
//! # Features
//!
//! - `jwt`: the [`jwt`] module, a ready [`Authorize`] hook for Mercure-style JSON Web Tokens
//!   (adds the `jsonwebtoken` dependency).
//!
//! The contract an adapter meets, and the conformance checks that prove it, are written down
//! in `tests/conformance/README.md` in the repository.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod body;
pub mod endpoints;
pub mod error;
pub mod idempotency;
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
pub mod jwt;
pub mod limits;
pub mod publish;
pub mod subscribe;
#[cfg(test)]
mod tests;

pub use auth::{
    Access, Authorization, Authorize, Denied, Grant, RawRequest, ReadRequest, request_token,
};
pub use body::{RequestBody, check_publish_content_type};
pub use endpoints::HubEndpoints;
pub use error::EndpointError;
pub use limits::LimitError;
pub use publish::{Admitted, MAX_RETRY_MS, PUBLISH_ALLOW, Published, ReceivedBody};
pub use subscribe::{SUBSCRIBE_ALLOW, accepts_event_stream};
