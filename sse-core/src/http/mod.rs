//! What the HTTP side of every adapter shares: errors as statuses with JSON bodies, and the
//! ready-made hub endpoints.
//!
//! - [`error`]: [`HttpError`] (a status and a stable code for every error a client or a
//!   publisher can cause) and [`ErrorResponse`], the one error response every adapter's
//!   `Error` wraps;
//! - `endpoints` (feature `endpoints`): what `GET` subscribe and `POST` publish do, without a
//!   framework; each adapter mounts them in its own idiom;
//! - `idempotency` (feature `endpoints`): the publish endpoint's memory of idempotency keys;
//! - `auth` (feature `endpoints`): the endpoints' authorization hook, its answers (now or
//!   later, with an expiry), and how a hook reads any framework's request;
//! - `jwt` (feature `jwt`): a ready hook that checks Mercure-style JSON Web Tokens.
//! - [`limits`]: what protects the process from its clients (body timeout, publish rate and
//!   concurrency, connections per address), with their defaults.
//!
//! The contract an adapter meets, and the conformance checks that prove it, are written
//! down in `tests/conformance/README.md` in the repository.

#[cfg(feature = "endpoints")]
pub mod auth;
#[cfg(feature = "endpoints")]
pub mod endpoints;
pub mod error;
#[cfg(feature = "endpoints")]
pub mod idempotency;
#[cfg(feature = "jwt")]
pub mod jwt;
pub mod limits;

pub use error::{ErrorResponse, HttpError};
