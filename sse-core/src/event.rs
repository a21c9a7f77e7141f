//! The [`Event`] value: data, event name, id, retry and comments, validated when set.
//!
//! ```
//! use std::time::Duration;
//! use sse_core::Event;
//!
//! # fn main() -> Result<(), sse_core::EventError> {
//! let event = Event::new("hello\nworld")
//!     .event("greeting")?
//!     .id("42")?
//!     .retry(Duration::from_secs(3));
//! assert_eq!(
//!     &event.encode()[..],
//!     b"id: 42\nevent: greeting\nretry: 3000\ndata: hello\ndata: world\n\n"
//! );
//! # Ok(())
//! # }
//! ```
//!
//! Data is any UTF-8 text. It is split into `data:` lines on `\r\n`, `\r` and `\n`, so a
//! client receives every line break as `\n` (a `\r` in data arrives as `\n`). NUL is legal
//! in data but Firefox drops it: encode binary payloads as base64 or JSON.
//!
//! The event name must not contain `\r` or `\n`, the id must not contain NUL, `\r` or `\n`;
//! such values are rejected with an [`EventError`] naming the field, the character and its
//! byte offset, never rewritten. For ids that survive a round trip through the
//! `Last-Event-ID` header, prefer short visible ASCII without surrounding whitespace.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;

use crate::Frame;

/// UTF-8 text held in [`Bytes`], so that it can be built from a `String` or a `&'static str`
/// without copying, and cloned cheaply.
///
/// ```
/// use sse_core::Text;
/// let a = Text::from_static("no copy");
/// let b = Text::from(String::from("no copy either"));
/// let c = Text::from("a borrowed &str is copied once");
/// assert_eq!(a.as_str(), "no copy");
/// # let _ = (b, c);
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Text(Bytes);

impl Text {
    /// Wraps a `&'static str` without copying.
    #[inline]
    pub const fn from_static(text: &'static str) -> Self {
        Text(Bytes::from_static(text.as_bytes()))
    }

    /// Checks that `bytes` are UTF-8 and wraps them without copying.
    pub fn from_utf8(bytes: Bytes) -> Result<Self, EventError> {
        match std::str::from_utf8(&bytes) {
            Ok(_) => Ok(Text(bytes)),
            Err(error) => Err(EventError::InvalidUtf8 {
                field: Field::Data,
                valid_up_to: error.valid_up_to(),
            }),
        }
    }

    /// The text.
    #[inline]
    pub fn as_str(&self) -> &str {
        // invariant: every constructor checked UTF-8, so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The UTF-8 bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<String> for Text {
    #[inline]
    fn from(text: String) -> Self {
        Text(Bytes::from(text))
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Text(Bytes::copy_from_slice(text.as_bytes()))
    }
}

impl From<&String> for Text {
    fn from(text: &String) -> Self {
        Text::from(text.as_str())
    }
}

impl From<Box<str>> for Text {
    fn from(text: Box<str>) -> Self {
        Text::from(String::from(text))
    }
}

impl From<Cow<'static, str>> for Text {
    fn from(text: Cow<'static, str>) -> Self {
        match text {
            Cow::Borrowed(text) => Text::from_static(text),
            Cow::Owned(text) => Text::from(text),
        }
    }
}

impl TryFrom<Bytes> for Text {
    type Error = EventError;
    fn try_from(bytes: Bytes) -> Result<Self, EventError> {
        Text::from_utf8(bytes)
    }
}

/// Which field of an event a value was meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// `data:`
    Data,
    /// `event:`
    Event,
    /// `id:`
    Id,
    /// `retry:`
    Retry,
    /// A `:` comment line.
    Comment,
}

impl Field {
    /// The field's name as it appears on the wire (`"comment"` for comments).
    pub fn name(self) -> &'static str {
        match self {
            Field::Data => "data",
            Field::Event => "event",
            Field::Id => "id",
            Field::Retry => "retry",
            Field::Comment => "comment",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A value that cannot go into an event field.
#[derive(Debug)]
#[non_exhaustive]
pub enum EventError {
    /// The value contains a character the field forbids (`\r`, `\n`, or NUL in an id).
    InvalidChar {
        /// The field the value was meant for.
        field: Field,
        /// The forbidden character.
        ch: char,
        /// Its byte offset in the value.
        index: usize,
    },
    /// The bytes are not UTF-8.
    InvalidUtf8 {
        /// The field the value was meant for.
        field: Field,
        /// Length of the longest valid UTF-8 prefix.
        valid_up_to: usize,
    },
    /// The value could not be serialized to JSON.
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    Json(serde_json::Error),
}

impl EventError {
    /// The field the bad value was meant for.
    pub fn field(&self) -> Field {
        match self {
            EventError::InvalidChar { field, .. } | EventError::InvalidUtf8 { field, .. } => *field,
            #[cfg(feature = "json")]
            EventError::Json(_) => Field::Data,
        }
    }
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventError::InvalidChar { field, ch, index } => write!(
                f,
                "invalid character {ch:?} (U+{:04X}) at byte {index} of the `{field}` field: \
                 it must not contain {}",
                u32::from(*ch),
                if *field == Field::Id {
                    "NUL, CR or LF"
                } else {
                    "CR or LF"
                },
            ),
            EventError::InvalidUtf8 { field, valid_up_to } => write!(
                f,
                "the {field} field is not UTF-8 (invalid byte at offset {valid_up_to})"
            ),
            #[cfg(feature = "json")]
            EventError::Json(error) => {
                write!(f, "event data could not be serialized to JSON: {error}")
            }
        }
    }
}

impl std::error::Error for EventError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            #[cfg(feature = "json")]
            EventError::Json(error) => Some(error),
            _ => None,
        }
    }
}

/// An event name checked once: at compile time when made with [`from_static`] in a `const`,
/// so handler code names events without a `Result` to unwrap.
///
/// ```
/// use sse_core::{Event, EventName};
///
/// const PROGRESS: EventName = EventName::from_static("progress");
///
/// let event = Event::new(r#"{"step":1}"#).named(PROGRESS);
/// assert_eq!(event.event_name(), Some("progress"));
/// ```
///
/// A name with a line break does not compile in a `const`:
///
/// ```compile_fail
/// const BAD: sse_core::EventName = sse_core::EventName::from_static("a\nb");
/// ```
///
/// [`from_static`]: EventName::from_static
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EventName(Text);

impl EventName {
    /// A name known when the program is written. Use it in a `const` so that a name with a
    /// `\r` or `\n` fails to compile; outside a `const`, such a name panics, like
    /// `HeaderName::from_static`. For names that come from input, use [`EventName::new`].
    pub const fn from_static(name: &'static str) -> EventName {
        let bytes = name.as_bytes();
        let mut index = 0;
        while index < bytes.len() {
            if bytes[index] == b'\r' || bytes[index] == b'\n' {
                panic!("an event name cannot contain CR or LF"); // invariant: a programmer's constant, checked in const evaluation
            }
            index += 1;
        }
        EventName(Text::from_static(name))
    }

    /// Checks a name; fails if it contains `\r` or `\n`.
    pub fn new(name: impl Into<Text>) -> Result<EventName, EventError> {
        let name = name.into();
        check(Field::Event, &name, false)?;
        Ok(EventName(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for EventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// One server-sent event: data plus an optional name, id, retry time and comments.
///
/// Build it with [`Event::new`] and the fluent setters; turn it into wire bytes with
/// [`Event::encode`]. Setters that can reject a value return `Result`, so a bad event name
/// or id is an error at the place it was set, never a panic and never a silent rewrite.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Event {
    pub(crate) data: Text,
    pub(crate) event: Option<Text>,
    pub(crate) id: Option<Text>,
    pub(crate) retry: Option<u64>,
    pub(crate) comments: Vec<Text>,
}

impl Event {
    /// An event carrying `data` (any UTF-8 text; line breaks become separate `data:` lines).
    ///
    /// `String` and [`Text::from_static`] are taken without copying.
    #[inline]
    pub fn new(data: impl Into<Text>) -> Self {
        Event {
            data: data.into(),
            ..Event::default()
        }
    }

    /// An event whose data is `value` serialized as JSON (always a single `data:` line).
    ///
    /// ```
    /// # #[cfg(feature = "json")] {
    /// let event = sse_core::Event::json(&serde_json::json!({"n": 1})).unwrap();
    /// assert_eq!(&event.encode()[..], b"data: {\"n\":1}\n\n");
    /// # }
    /// ```
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<Self, EventError> {
        let json = serde_json::to_string(value).map_err(EventError::Json)?;
        Ok(Event::new(json))
    }

    /// Sets the event name (the `event:` field; `addEventListener(name, ...)` in a browser).
    ///
    /// Fails if `name` contains `\r` or `\n`. An empty name means the default, `message`.
    #[inline]
    pub fn event(mut self, name: impl Into<Text>) -> Result<Self, EventError> {
        let name = name.into();
        check(Field::Event, &name, false)?;
        self.event = (!name.is_empty()).then_some(name);
        Ok(self)
    }

    /// Sets an event name checked already (see [`EventName`]); cannot fail. An empty name
    /// means the default, `message`.
    #[must_use]
    pub fn named(mut self, name: EventName) -> Self {
        self.event = (!name.0.is_empty()).then_some(name.0);
        self
    }

    /// Sets the event id (the `id:` field), which a reconnecting client sends back in
    /// `Last-Event-ID`.
    ///
    /// Fails if `id` contains NUL, `\r` or `\n`. An empty id is legal: it resets the client's
    /// last event id.
    #[inline]
    pub fn id(mut self, id: impl Into<Text>) -> Result<Self, EventError> {
        let id = id.into();
        check(Field::Id, &id, true)?;
        self.id = Some(id);
        Ok(self)
    }

    /// Sets the client's reconnection delay (the `retry:` field, in whole milliseconds).
    #[must_use]
    pub fn retry(mut self, delay: Duration) -> Self {
        self.retry = Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Adds a comment. Clients ignore comments; a comment with line breaks becomes several
    /// comment lines.
    #[must_use]
    pub fn comment(mut self, comment: impl Into<Text>) -> Self {
        self.comments.push(comment.into());
        self
    }

    /// The data.
    pub fn data(&self) -> &str {
        self.data.as_str()
    }

    /// The event name, if set.
    pub fn event_name(&self) -> Option<&str> {
        self.event.as_ref().map(Text::as_str)
    }

    /// The id, if set.
    pub fn id_str(&self) -> Option<&str> {
        self.id.as_ref().map(Text::as_str)
    }

    /// The reconnection delay, if set.
    pub fn retry_delay(&self) -> Option<Duration> {
        self.retry.map(Duration::from_millis)
    }

    /// The comments.
    pub fn comments(&self) -> impl Iterator<Item = &str> {
        self.comments.iter().map(Text::as_str)
    }

    /// Encodes the event into its wire form; see [`crate::encode`] for the exact format.
    #[inline]
    pub fn encode(&self) -> Frame {
        crate::encode::encode(self)
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Event");
        s.field("data", &self.data);
        if let Some(event) = &self.event {
            s.field("event", event);
        }
        if let Some(id) = &self.id {
            s.field("id", id);
        }
        if let Some(retry) = &self.retry {
            s.field("retry", retry);
        }
        if !self.comments.is_empty() {
            s.field("comments", &self.comments);
        }
        s.finish()
    }
}

impl From<String> for Event {
    fn from(data: String) -> Self {
        Event::new(data)
    }
}

impl From<&str> for Event {
    fn from(data: &str) -> Self {
        Event::new(data)
    }
}

#[inline]
fn check(field: Field, value: &Text, forbid_nul: bool) -> Result<(), EventError> {
    // Names and ids are short: a plain loop beats a vectorized search's set-up cost.
    let bytes = value.as_bytes();
    let found = bytes
        .iter()
        .position(|&b| b == b'\r' || b == b'\n' || (forbid_nul && b == 0));
    match found {
        None => Ok(()),
        Some(index) => Err(EventError::InvalidChar {
            field,
            ch: char::from(bytes[index]),
            index,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_name_with_line_break_is_rejected_with_position() {
        let error = Event::new("x").event("a\nb").unwrap_err();
        match error {
            EventError::InvalidChar { field, ch, index } => {
                assert_eq!((field, ch, index), (Field::Event, '\n', 1));
            }
            other => panic!("unexpected {other:?}"),
        }
        let error = Event::new("x").event("ab\r").unwrap_err();
        assert!(error.to_string().contains("'\\r'"), "{error}");
        assert!(
            error.to_string().contains("byte 2 of the `event` field"),
            "{error}"
        );
    }

    #[test]
    fn id_rejects_nul_cr_lf() {
        for (bad, ch) in [("a\0", '\0'), ("a\r", '\r'), ("a\n", '\n')] {
            match Event::new("x").id(bad).unwrap_err() {
                EventError::InvalidChar {
                    field: Field::Id,
                    ch: got,
                    index: 1,
                } => assert_eq!(got, ch),
                other => panic!("unexpected {other:?}"),
            }
        }
        // NUL is legal in an event name and in data.
        assert!(Event::new("a\0b").event("n\0").is_ok());
    }

    #[test]
    fn spaces_are_legal_in_names_and_ids() {
        let event = Event::new("x").event("a b").unwrap().id(" 1 ").unwrap();
        assert_eq!(event.event_name(), Some("a b"));
        assert_eq!(event.id_str(), Some(" 1 "));
    }

    #[test]
    fn empty_event_name_means_message() {
        assert_eq!(Event::new("x").event("").unwrap().event_name(), None);
    }

    #[test]
    fn text_from_bytes_checks_utf8() {
        assert!(Text::from_utf8(Bytes::from_static(b"ok")).is_ok());
        match Text::from_utf8(Bytes::from_static(b"ab\xff")).unwrap_err() {
            EventError::InvalidUtf8 { valid_up_to, .. } => assert_eq!(valid_up_to, 2),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn retry_saturates_instead_of_overflowing() {
        let event = Event::new("x").retry(Duration::MAX);
        assert_eq!(event.retry, Some(u64::MAX));
    }

    #[cfg(feature = "json")]
    #[test]
    fn json_error_is_an_error_not_empty_data() {
        use std::collections::HashMap;
        // A map with non-string keys cannot be JSON.
        let mut map = HashMap::new();
        map.insert(vec![1u8], 1);
        assert!(matches!(Event::json(&map), Err(EventError::Json(_))));
    }
}
