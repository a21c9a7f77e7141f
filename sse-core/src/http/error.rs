//! How an error becomes an HTTP response: a status code and a small JSON body.
//!
//! Every error a client or publisher can cause implements [`HttpError`], so each framework
//! adapter maps all of them the same way, through [`ErrorResponse`], and answers the same
//! status and body:
//!
//! ```json
//! {"error":"invalid_topic","message":"invalid topic \"a b\": ..."}
//! ```
//!
//! | error | status | code |
//! |---|---|---|
//! | [`EventError`] (a field that cannot be sent) | 400 | `invalid_data`, `invalid_event`, `invalid_id`, ... |
//! | [`LastEventIdError`] | 400 | `invalid_last_event_id` |
//! | [`HubError`]: bad topic, no topic, too many topics in one subscription | 400 | `invalid_topic`, `no_topics`, `too_many_topics_in_subscription` |
//! | [`HubError`]: event over the size limit | 413 | `event_too_large` |
//! | [`HubError`]: removing a topic that has subscribers | 409 | `topic_in_use` |
//! | [`HubError`]: an idempotency key reused for another event | 422 | `idempotency_key_reused` |
//! | [`HubError`]: hub full or shut down, backend away, too many resumes reading the backend's history | 503 | `too_many_topics`, `too_many_subscribers`, `topic_full`, `hub_closed`, `backend_unavailable`, `history_busy` |
//! | [`HubError`]: no tokio runtime (a server bug) | 500 | `no_runtime` |

//! The `sse-endpoints` crate adds its own errors (authorization, limits, publish bodies), which
//! implement [`HttpError`] too.
//!
//! # A refused `EventSource` comes back
//!
//! A browser's `EventSource` gives up for good on any answer but a 200 event stream (the
//! WHATWG spec "fails the connection" on every other status: Chromium closes it alike on
//! 204, 404, 429, 500, 502 or 503), so a 503 `too_many_subscribers` with `Retry-After`
//! would turn it away forever. An error that carries [`retry_after`](HttpError::retry_after)
//! (a full hub or topic, too many topics or connections, a backend away: a passing
//! reason), met by a request that [accepts an event stream](accepts_event_stream) (every
//! `EventSource` sends `Accept: text/event-stream`), is therefore answered as a short
//! event stream the browser retries: 200 with the event-stream headers and
//! [`retry_stream`](ErrorResponse::retry_stream)'s body,
//!
//! ```text
//! retry: 1000
//! event: refused
//! data: {"error":"too_many_subscribers","message":"..."}
//!
//! ```
//!
//! then the end of the stream: the browser waits `retry` (the `Retry-After`, in
//! milliseconds) and reconnects with the same `Last-Event-ID`. The event is named
//! `refused`, not `error`, which would collide with the `error` event `EventSource` fires
//! itself on every reconnect; a page may listen for it (`source.addEventListener("refused",
//! ...)`) to show why it waits. The `retry` also stays the browser's reconnection delay
//! afterwards, until a stream sends its own. Every other client, and every error without a
//! `Retry-After`, keeps the JSON status. The subscribe route marks the error with
//! [`ErrorResponse::for_event_source`]; each adapter's `Error` renders what that decides.

use std::borrow::Cow;
use std::fmt;

use crate::json::push_json_string;

use crate::{EventError, Field, HubError, LastEventIdError};

/// An error with an HTTP status and a stable, machine-readable code.
pub trait HttpError: fmt::Display {
    /// The HTTP status code to answer with.
    fn status(&self) -> u16;

    /// A stable code for clients to match on, such as `"invalid_topic"`.
    fn code(&self) -> &str;

    /// The JSON body: `{"error": code, "message": Display text}`.
    fn json_body(&self) -> String {
        json_error(self.code(), &self.to_string())
    }

    /// Seconds after which retrying may succeed, sent as `Retry-After` (default: none).
    fn retry_after(&self) -> Option<u32> {
        None
    }

    /// The challenge of a 401, sent as `WWW-Authenticate` (default: none), such as
    /// `Bearer realm="sse", error="invalid_token"`.
    fn www_authenticate(&self) -> Option<&str> {
        None
    }
}

/// An error response: a status, a code and a message, answered as
/// `{"error": code, "message": message}`. Every adapter's `Error` is a newtype over it, and
/// any [`HttpError`] converts into it with [`from_error`](Self::from_error).
///
/// ```
/// use sse_core::HubError;
/// use sse_core::http::{ErrorResponse, HttpError};
///
/// let response = ErrorResponse::from_error(&HubError::NoTopics);
/// assert_eq!(response.status(), 400);
/// assert_eq!(response.code(), "no_topics");
/// assert_eq!(response.json_body(), r#"{"error":"no_topics","message":"a subscription needs at least one topic"}"#);
///
/// let custom = ErrorResponse::new(409, "taken", "that name is taken");
/// assert_eq!(custom.to_string(), "that name is taken");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    status: u16,
    code: Cow<'static, str>,
    message: String,
    /// The error's own JSON body (an `HttpError` may add fields to the standard two).
    body: String,
    retry_after: Option<u32>,
    www_authenticate: Option<Cow<'static, str>>,
    /// The request accepts an event stream (see [`for_event_source`](Self::for_event_source)).
    event_source: bool,
}

impl ErrorResponse {
    /// An error with this status, code and message.
    pub fn new(
        status: u16,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        let (code, message) = (code.into(), message.into());
        ErrorResponse {
            status,
            body: json_error(&code, &message),
            code,
            message,
            retry_after: None,
            www_authenticate: None,
            event_source: false,
        }
    }

    /// The response for any [`HttpError`], with its own [`json_body`](HttpError::json_body).
    pub fn from_error<E: HttpError + ?Sized>(error: &E) -> Self {
        ErrorResponse {
            status: error.status(),
            code: error.code().to_owned().into(),
            message: error.to_string(),
            body: error.json_body(),
            retry_after: error.retry_after(),
            www_authenticate: error
                .www_authenticate()
                .map(|value| value.to_owned().into()),
            event_source: false,
        }
    }

    /// Marks the error as met by a request that accepts an event stream (`accepts`, from
    /// [`accepts_event_stream`]): if it is a passing one (it has a
    /// [`retry_after`](HttpError::retry_after)), it is answered with
    /// [`retry_stream`](Self::retry_stream), a 200 event stream that a browser's
    /// `EventSource` retries, instead of its JSON status, which would stop the browser for
    /// good (see the [module docs](self)). For a subscribe route; set it last, on the
    /// adapter's `Error` (`Error::for_event_source`): converting the response into another
    /// [`HttpError`] keeps only what the trait tells.
    ///
    /// ```
    /// use sse_core::HubError;
    /// use sse_core::http::{ErrorResponse, HttpError};
    ///
    /// let full = ErrorResponse::from_error(&HubError::TooManySubscribers { max: 1 });
    /// assert_eq!(full.clone().for_event_source(false).retry_stream(), None);
    /// let stream = full.for_event_source(true).retry_stream().unwrap();
    /// assert!(stream.starts_with("retry: 1000\nevent: refused\ndata: {\"error\":\"too_many_subscribers\""));
    ///
    /// // No Retry-After, no passing reason: the JSON 401 stays.
    /// let denied = ErrorResponse::for_status(401).for_event_source(true);
    /// assert_eq!(denied.retry_stream(), None);
    /// ```
    #[must_use]
    pub fn for_event_source(mut self, accepts: bool) -> Self {
        self.event_source = accepts;
        self
    }

    /// The body to answer, with status 200 and the event-stream headers
    /// ([`RESPONSE_HEADERS`](crate::RESPONSE_HEADERS)), in place of the JSON status: `Some`
    /// for a passing error (one with a [`retry_after`](HttpError::retry_after)) met by a
    /// request that accepts an event stream ([`for_event_source`](Self::for_event_source)).
    /// A `retry:` of the `Retry-After` in milliseconds, then an event named `refused` whose
    /// data is the JSON body; the stream ends after it.
    pub fn retry_stream(&self) -> Option<String> {
        let seconds = self.retry_after.filter(|_| self.event_source)?;
        // The JSON body is one line (its strings escape every line break).
        let data = self.body.replace(['\r', '\n'], " ");
        Some(format!(
            "retry: {}\nevent: refused\ndata: {data}\n\n",
            u64::from(seconds) * 1000
        ))
    }

    /// With a `Retry-After` of `seconds`, for a passing refusal of your own (a 503 or 429).
    ///
    /// ```
    /// use sse_core::http::{ErrorResponse, HttpError};
    /// let busy = ErrorResponse::new(503, "busy", "retry later").with_retry_after(2);
    /// assert_eq!(busy.retry_after(), Some(2));
    /// ```
    #[must_use]
    pub fn with_retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// With a `WWW-Authenticate` challenge, for a 401 of your own.
    ///
    /// ```
    /// use sse_core::http::{ErrorResponse, HttpError};
    /// let response = ErrorResponse::for_status(401).with_www_authenticate("Bearer realm=\"app\"");
    /// assert_eq!(response.www_authenticate(), Some("Bearer realm=\"app\""));
    /// ```
    #[must_use]
    pub fn with_www_authenticate(mut self, challenge: impl Into<Cow<'static, str>>) -> Self {
        self.www_authenticate = Some(challenge.into());
        self
    }

    /// The response for an error the framework answers by itself, with only a status: no
    /// route for the path (404), a method the path does not allow (405), a body over the
    /// framework's limit (413), and so on, so that those are JSON too.
    ///
    /// ```
    /// use sse_core::http::{ErrorResponse, HttpError};
    /// let response = ErrorResponse::for_status(404);
    /// assert_eq!((response.code(), response.message()), ("not_found", "no route for this path"));
    /// assert_eq!(ErrorResponse::for_status(418).code(), "http_418");
    /// ```
    pub fn for_status(status: u16) -> Self {
        let (code, message): (Cow<'static, str>, &str) = match status {
            400 => ("bad_request".into(), "the request is malformed"),
            401 => ("unauthorized".into(), "authentication required"),
            403 => ("forbidden".into(), "not allowed"),
            404 => ("not_found".into(), "no route for this path"),
            405 => (
                "method_not_allowed".into(),
                "this path does not allow this method",
            ),
            408 => (
                "request_timeout".into(),
                "the request took too long to arrive",
            ),
            413 => ("body_too_large".into(), "the request body is too large"),
            415 => ("unsupported_media_type".into(), "unsupported content type"),
            422 => ("unprocessable".into(), "the request cannot be processed"),
            500 => ("internal".into(), "internal server error"),
            503 => ("unavailable".into(), "the service is unavailable"),
            other => (format!("http_{other}").into(), "the request failed"),
        };
        ErrorResponse::new(status, code, message)
    }

    /// A 405 `method_not_allowed` for a path that allows only `allow` (an `Allow` header
    /// value, which the response should also carry).
    ///
    /// ```
    /// use sse_core::http::{ErrorResponse, HttpError};
    /// let response = ErrorResponse::method_not_allowed("POST, OPTIONS");
    /// assert_eq!(response.status(), 405);
    /// assert_eq!(response.message(), "this path allows POST, OPTIONS");
    /// ```
    pub fn method_not_allowed(allow: &str) -> Self {
        ErrorResponse::new(
            405,
            "method_not_allowed",
            format!("this path allows {allow}"),
        )
    }

    /// What went wrong, for a person.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ErrorResponse {}

impl HttpError for ErrorResponse {
    fn status(&self) -> u16 {
        self.status
    }

    fn code(&self) -> &str {
        &self.code
    }

    fn json_body(&self) -> String {
        self.body.clone()
    }

    fn retry_after(&self) -> Option<u32> {
        self.retry_after
    }

    fn www_authenticate(&self) -> Option<&str> {
        self.www_authenticate.as_deref()
    }
}

/// Whether a request's `Accept` header values ask for an event stream: one of their media
/// ranges is `text/event-stream` (parameters and case aside), as every `EventSource` sends.
/// `*/*` alone does not count: `curl` sends it, and keeps the JSON status.
///
/// ```
/// use sse_core::http::error::accepts_event_stream;
/// assert!(accepts_event_stream([&b"text/event-stream"[..]]));
/// assert!(accepts_event_stream([&b"application/json, Text/Event-Stream;q=0.5"[..]]));
/// assert!(!accepts_event_stream([&b"*/*"[..]]));
/// assert!(!accepts_event_stream(std::iter::empty::<&[u8]>()));
/// ```
pub fn accepts_event_stream<'a>(accept: impl IntoIterator<Item = &'a [u8]>) -> bool {
    accept.into_iter().any(|value| {
        value.split(|&byte| byte == b',').any(|range| {
            let media = range.split(|&byte| byte == b';').next().unwrap_or(range);
            media
                .trim_ascii()
                .eq_ignore_ascii_case(b"text/event-stream")
        })
    })
}

/// `{"error": code, "message": message}`, with both escaped as JSON strings.
pub fn json_error(code: &str, message: &str) -> String {
    let mut body = String::with_capacity(32 + code.len() + message.len());
    body.push_str("{\"error\":");
    push_json_string(&mut body, code);
    body.push_str(",\"message\":");
    push_json_string(&mut body, message);
    body.push('}');
    body
}

impl HttpError for EventError {
    fn status(&self) -> u16 {
        400
    }

    fn code(&self) -> &str {
        match self.field() {
            Field::Data => "invalid_data",
            Field::Event => "invalid_event",
            Field::Id => "invalid_id",
            Field::Retry => "invalid_retry",
            Field::Comment => "invalid_comment",
        }
    }
}

impl HttpError for LastEventIdError {
    fn status(&self) -> u16 {
        400
    }

    fn code(&self) -> &str {
        "invalid_last_event_id"
    }
}

/// 400 for bad input, 413 for an oversize event, 503 for a full hub or one that has shut
/// down, 500 for a missing runtime (a server bug).
impl HttpError for HubError {
    fn status(&self) -> u16 {
        match self {
            HubError::InvalidTopic { .. }
            | HubError::NoTopics
            | HubError::TooManyTopicsInSubscription { .. } => 400,
            HubError::EventTooLarge { .. } => 413,
            HubError::IdempotencyKeyReused => 422,
            HubError::TopicInUse { .. } => 409,
            HubError::TooManyTopics { .. }
            | HubError::TooManySubscribers { .. }
            | HubError::TopicFull { .. }
            | HubError::Backend { .. }
            | HubError::HistoryBusy { .. }
            | HubError::Closed => 503,
            HubError::NoRuntime => 500,
        }
    }

    /// A full hub or an absent backend may have room again soon: 1 second.
    fn retry_after(&self) -> Option<u32> {
        match self {
            HubError::TooManyTopics { .. }
            | HubError::TooManySubscribers { .. }
            | HubError::TopicFull { .. }
            | HubError::Backend { .. }
            | HubError::HistoryBusy { .. } => Some(1),
            _ => None,
        }
    }

    fn code(&self) -> &str {
        match self {
            HubError::InvalidTopic { .. } => "invalid_topic",
            HubError::NoTopics => "no_topics",
            HubError::TooManyTopicsInSubscription { .. } => "too_many_topics_in_subscription",
            HubError::TooManyTopics { .. } => "too_many_topics",
            HubError::TooManySubscribers { .. } => "too_many_subscribers",
            HubError::TopicFull { .. } => "topic_full",
            HubError::EventTooLarge { .. } => "event_too_large",
            HubError::TopicInUse { .. } => "topic_in_use",
            HubError::Backend { .. } => "backend_unavailable",
            HubError::HistoryBusy { .. } => "history_busy",
            HubError::IdempotencyKeyReused => "idempotency_key_reused",
            HubError::Closed => "hub_closed",
            HubError::NoRuntime => "no_runtime",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_body_escapes() {
        assert_eq!(
            json_error("x", "a \"b\"\n\\ \u{1}"),
            r#"{"error":"x","message":"a \"b\"\n\\ \u0001"}"#
        );
    }

    #[test]
    fn only_passing_errors_met_by_an_event_source_answer_a_retry_stream() {
        let passing = [
            HubError::TooManySubscribers { max: 1 },
            HubError::TooManyTopics { max: 1 },
            HubError::TopicFull {
                topic: "t".into(),
                max: 1,
            },
        ];
        for error in passing {
            let response = ErrorResponse::from_error(&error).for_event_source(true);
            let stream = response.retry_stream().expect("a retry stream");
            let expected = format!(
                "retry: 1000\nevent: refused\ndata: {}\n\n",
                error.json_body()
            );
            assert_eq!(stream, expected);
            let plain = ErrorResponse::from_error(&error);
            assert_eq!(plain.retry_stream(), None, "not an event source");
        }
        let closed = ErrorResponse::from_error(&HubError::Closed).for_event_source(true);
        assert_eq!(closed.retry_stream(), None, "no Retry-After");
    }

    #[test]
    fn every_hub_error_has_a_status_and_code() {
        let error = HubError::TooManySubscribers { max: 1 };
        let response = ErrorResponse::from_error(&error);
        assert_eq!(
            (response.status(), response.code()),
            (503, "too_many_subscribers")
        );
        assert_eq!(response.json_body(), error.json_body());
    }
}
