//! What the HTTP side of every adapter shares: every error a client or publisher can cause
//! as a status with a JSON body.
//!
//! - [`error`]: [`HttpError`] (a status and a stable code for every error a client or a
//!   publisher can cause) and [`ErrorResponse`], the one error response every adapter's
//!   `Error` wraps.
//!
//! The HTTP policy itself (the ready endpoints and the order in which a request is checked,
//! authorization and JWT, limits, idempotency) is the `sse-endpoints` crate's, so that an app
//! that only streams compiles none of it.

pub mod error;

pub use error::{ErrorResponse, HttpError};
