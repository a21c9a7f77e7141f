//! Publish request bodies: how reading one went ([`RequestBody`]), the media type a publish
//! must declare, and the JSON a publish body holds.

use bytes::Bytes;
use serde::Deserialize;

use crate::EndpointError;

/// Checks a publish request's `Content-Type` header (raw bytes) before its body is read:
/// `application/json`, with any parameters (`; charset=utf-8`), else a 415
/// `unsupported_media_type`. A page on another site can send a "simple" cross-site `POST`
/// (form or `text/plain` bodies) without a preflight; requiring JSON's media type keeps such
/// requests from publishing.
///
/// ```
/// use sse_endpoints::check_publish_content_type;
/// assert!(check_publish_content_type(Some(b"application/json; charset=utf-8")).is_ok());
/// assert!(check_publish_content_type(Some(b"text/plain")).is_err());
/// assert!(check_publish_content_type(None).is_err());
/// ```
pub fn check_publish_content_type(content_type: Option<&[u8]>) -> Result<(), EndpointError> {
    let essence = content_type
        .and_then(|value| value.split(|&byte| byte == b';').next())
        .map(<[u8]>::trim_ascii);
    match essence {
        Some(essence) if essence.eq_ignore_ascii_case(b"application/json") => Ok(()),
        _ => Err(EndpointError::UnsupportedMediaType),
    }
}

/// How reading a publish request's body went, as the adapter tells it to
/// the [publish sequence](crate::publish).
///
/// ```
/// use sse_endpoints::RequestBody;
/// // What an adapter does with its framework's body reader, in outline:
/// fn outcome(read: Result<Vec<u8>, std::io::Error>, over_limit: bool) -> RequestBody {
///     match read {
///         _ if over_limit => RequestBody::OverLimit,
///         Ok(bytes) => RequestBody::Complete(bytes.into()),
///         Err(error) => RequestBody::Unreadable(error.to_string()),
///     }
/// }
/// # let _ = outcome(Ok(vec![]), false);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestBody {
    /// The whole body, within the limit.
    Complete(Bytes),
    /// The body is longer than [`HubEndpoints::max_body`](crate::HubEndpoints::max_body): 413
    /// `body_too_large`.
    OverLimit,
    /// The body could not be read to its end (the client went away, the declared length was
    /// never delivered, the chunked framing is broken): 400 `invalid_body`.
    Unreadable(String),
    /// The body was not read within
    /// [`HubEndpoints::body_timeout`](crate::HubEndpoints::body_timeout): 408 `body_timeout`.
    /// [`Admitted::read`](crate::publish::Admitted::read) says this when its read takes too
    /// long.
    TimedOut,
    /// The hub shut down while the body was being read: 503 `hub_closed`.
    HubClosed,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublishBody {
    pub(crate) topic: String,
    pub(crate) data: serde_json::Value,
    #[serde(default)]
    pub(crate) event: Option<String>,
    #[serde(default)]
    pub(crate) retry: Option<u64>,
    #[serde(default)]
    pub(crate) idempotency_key: Option<String>,
}

/// The publish body, which must be a JSON object: serde's derived `Deserialize` also takes
/// a JSON array of the fields in order (`["topic", "data"]`), a second syntax the endpoint
/// does not offer (found by the `publish_json` fuzz target).
pub(crate) fn parse_publish_body(body: &[u8]) -> Result<PublishBody, EndpointError> {
    let first = body
        .iter()
        .find(|byte| !matches!(byte, b' ' | b'\t' | b'\n' | b'\r'));
    if first == Some(&b'[') {
        return Err(EndpointError::InvalidJson(serde::de::Error::custom(
            "expected a JSON object, found an array",
        )));
    }
    serde_json::from_slice(body).map_err(EndpointError::InvalidJson)
}
