//! [`Error`]: why connecting to Redis failed.

use std::fmt;

/// Why [`connect`](crate::connect) failed. Each says what to fix.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The URL is not a Redis URL (`redis://[user:password@]host[:port][/db]`, or
    /// `rediss://` for TLS, which needs the feature `tls`).
    InvalidUrl(redis::RedisError),
    /// Redis refused the credentials in the URL.
    Auth(redis::RedisError),
    /// Redis could not be reached, or failed while the hub started.
    Unavailable(redis::RedisError),
}

impl Error {
    pub(crate) fn from_connect(error: redis::RedisError) -> Error {
        match error.kind() {
            redis::ErrorKind::AuthenticationFailed => Error::Auth(error),
            _ if error.code() == Some("NOAUTH") || error.code() == Some("WRONGPASS") => {
                Error::Auth(error)
            }
            _ => Error::Unavailable(error),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidUrl(error) => write!(f, "not a Redis URL: {error}"),
            Error::Auth(error) => write!(f, "Redis refused the credentials: {error}"),
            Error::Unavailable(error) => write!(f, "Redis is unavailable: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::InvalidUrl(error) | Error::Auth(error) | Error::Unavailable(error) => {
                Some(error)
            }
        }
    }
}
