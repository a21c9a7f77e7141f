//! The `Last-Event-ID` a reconnecting client sends, read from raw header bytes.
//!
//! Browsers send the id as UTF-8 bytes, which `http::HeaderValue::to_str()` rejects (it
//! accepts visible ASCII only), so this module reads the raw bytes. Absent or empty means
//! "no resume". Clients that cannot set headers may pass `?lastEventId=` in the query
//! instead; the header wins when both are present.
//!
//! ```
//! use sse_core::LastEventId;
//!
//! let id = LastEventId::from_header_bytes("café-7".as_bytes()).unwrap().unwrap();
//! assert_eq!(id.as_str(), "café-7");
//! assert_eq!(LastEventId::from_header_bytes(b"").unwrap(), None);
//!
//! let from_query = LastEventId::from_query("topic=a&lastEventId=x%2D1").unwrap().unwrap();
//! assert_eq!(from_query.as_str(), "x-1");
//! ```

use std::fmt;

/// The name of the request header, `last-event-id` (named as `http::header` names headers,
/// so that it reads apart from other header constants where both are imported).
pub const LAST_EVENT_ID: &str = "last-event-id";

/// The query parameter read when the header is absent.
pub const QUERY_PARAM: &str = "lastEventId";

/// A validated, non-empty `Last-Event-ID`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LastEventId(Box<str>);

/// A `Last-Event-ID` that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LastEventIdError {
    /// Longer than [`LastEventId::MAX_LEN`] bytes.
    TooLong {
        /// The length received.
        len: usize,
    },
    /// Not UTF-8.
    InvalidUtf8,
    /// Contains NUL, CR or LF, which no event id can contain.
    InvalidChar,
}

impl fmt::Display for LastEventIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LastEventIdError::TooLong { len } => write!(
                f,
                "Last-Event-ID is {len} bytes long; the limit is {}",
                LastEventId::MAX_LEN
            ),
            LastEventIdError::InvalidUtf8 => f.write_str("Last-Event-ID is not UTF-8"),
            LastEventIdError::InvalidChar => {
                f.write_str("Last-Event-ID contains NUL, CR or LF, which no event id can contain")
            }
        }
    }
}

impl std::error::Error for LastEventIdError {}

impl LastEventId {
    /// The longest id accepted, in bytes.
    pub const MAX_LEN: usize = 1024;

    /// Reads a header value's raw bytes. `Ok(None)` for an empty value.
    pub fn from_header_bytes(bytes: &[u8]) -> Result<Option<Self>, LastEventIdError> {
        if bytes.len() > Self::MAX_LEN {
            return Err(LastEventIdError::TooLong { len: bytes.len() });
        }
        let text = std::str::from_utf8(bytes).map_err(|_| LastEventIdError::InvalidUtf8)?;
        Self::parse(text)
    }

    /// Reads the `lastEventId` parameter of a raw (percent-encoded) query string.
    /// `Ok(None)` when it is absent or empty.
    pub fn from_query(query: &str) -> Result<Option<Self>, LastEventIdError> {
        let Some((_, value)) =
            form_urlencoded::parse(query.as_bytes()).find(|(name, _)| name == QUERY_PARAM)
        else {
            return Ok(None);
        };
        if value.len() > Self::MAX_LEN {
            return Err(LastEventIdError::TooLong { len: value.len() });
        }
        Self::parse(&value)
    }

    /// The header's raw bytes if present, else the query parameter.
    pub fn from_header_or_query(
        header: Option<&[u8]>,
        query: Option<&str>,
    ) -> Result<Option<Self>, LastEventIdError> {
        match header {
            Some(bytes) if !bytes.is_empty() => Self::from_header_bytes(bytes),
            _ => query.map_or(Ok(None), Self::from_query),
        }
    }

    /// Validates an id given as text. `Ok(None)` when empty.
    pub fn parse(text: &str) -> Result<Option<Self>, LastEventIdError> {
        if text.len() > Self::MAX_LEN {
            return Err(LastEventIdError::TooLong { len: text.len() });
        }
        if memchr::memchr3(0, b'\r', b'\n', text.as_bytes()).is_some() {
            return Err(LastEventIdError::InvalidChar);
        }
        Ok((!text.is_empty()).then(|| LastEventId(text.into())))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LastEventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LastEventId").field(&self.as_str()).finish()
    }
}

impl fmt::Display for LastEventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for LastEventId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_utf8_header_bytes_are_accepted() {
        let id = LastEventId::from_header_bytes("ид-1".as_bytes())
            .unwrap()
            .unwrap();
        assert_eq!(id.as_str(), "ид-1");
    }

    #[test]
    fn empty_and_absent_mean_no_resume() {
        assert_eq!(LastEventId::from_header_bytes(b"").unwrap(), None);
        assert_eq!(LastEventId::from_header_or_query(None, None).unwrap(), None);
        assert_eq!(LastEventId::from_query("a=1").unwrap(), None);
        assert_eq!(LastEventId::from_query("lastEventId=").unwrap(), None);
    }

    #[test]
    fn length_is_capped() {
        let long = vec![b'a'; LastEventId::MAX_LEN + 1];
        assert_eq!(
            LastEventId::from_header_bytes(&long),
            Err(LastEventIdError::TooLong {
                len: LastEventId::MAX_LEN + 1
            })
        );
        assert!(
            LastEventId::from_header_bytes(&long[1..])
                .unwrap()
                .is_some()
        );
        let query = format!("lastEventId={}", "b".repeat(LastEventId::MAX_LEN + 1));
        assert!(matches!(
            LastEventId::from_query(&query),
            Err(LastEventIdError::TooLong { .. })
        ));
    }

    #[test]
    fn invalid_bytes_are_errors() {
        assert_eq!(
            LastEventId::from_header_bytes(b"\xff"),
            Err(LastEventIdError::InvalidUtf8)
        );
        assert_eq!(
            LastEventId::from_query("lastEventId=a%0Ab"),
            Err(LastEventIdError::InvalidChar)
        );
        assert_eq!(
            LastEventId::parse("a\0"),
            Err(LastEventIdError::InvalidChar)
        );
    }

    #[test]
    fn header_wins_over_query() {
        let id = LastEventId::from_header_or_query(Some(b"h"), Some("lastEventId=q")).unwrap();
        assert_eq!(id.unwrap().as_str(), "h");
        let id = LastEventId::from_header_or_query(Some(b""), Some("lastEventId=q")).unwrap();
        assert_eq!(id.unwrap().as_str(), "q");
        let id = LastEventId::from_query("lastEventId=%E2%9C%93+x").unwrap();
        assert_eq!(id.unwrap().as_str(), "✓ x");
    }
}
