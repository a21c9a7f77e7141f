//! Decoding: a streaming parser for `text/event-stream`, exactly as the WHATWG HTML
//! standard's "event stream interpretation" describes it.
//!
//! Bytes may arrive split anywhere: inside a `\r\n`, inside a UTF-8 sequence, inside the
//! leading byte order mark. [`Decoder::push`] takes each chunk as it comes;
//! [`Decoder::drain`] hands out what has been completed so far.
//!
//! ```
//! use sse_core::decode::{Decoded, Decoder};
//!
//! let mut decoder = Decoder::new();
//! decoder.push(b"id: 1\ndata: hel").unwrap();
//! assert_eq!(decoder.drain().count(), 0); // the event is not complete yet
//! decoder.push(b"lo\n\n").unwrap();
//! let items: Vec<Decoded> = decoder.drain().collect();
//! match &items[..] {
//!     [Decoded::Event(event)] => {
//!         assert_eq!(event.event_type, "message");
//!         assert_eq!(event.data, "hello");
//!         assert_eq!(event.last_event_id, "1");
//!     }
//!     other => panic!("{other:?}"),
//! }
//! ```
//!
//! What the standard says, and this parser does:
//! - one leading byte order mark is stripped; lines end at `\r\n`, `\r` or `\n`;
//! - invalid UTF-8 becomes U+FFFD;
//! - `data` lines are joined with `\n`; a block with no `data` line dispatches nothing;
//! - `event` sets the type (default `message`); `id` sets the last event id, unless its value
//!   contains NUL, and the last event id carries forward to later events until changed;
//! - `retry` is applied only when its value is all ASCII digits;
//! - a line beginning with `:` is a comment; unknown fields are ignored;
//! - an incomplete event at the end of the input is discarded ([`Decoder::finish`]).
//!
//! Beyond the standard, a line longer than [`Limits::max_line`] or an event whose data
//! grows past [`Limits::max_event`] is an error, so a hostile stream cannot make the decoder
//! grow without bound. After an error the decoder refuses further input.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;

/// An event as a client's `EventSource` would dispatch it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageEvent {
    /// The event type: the `event` field, or `"message"`.
    pub event_type: String,
    /// The data lines joined with `\n`.
    pub data: String,
    /// The last event id in force when this event was dispatched (empty if none).
    pub last_event_id: String,
}

/// What the decoder hands out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A dispatched event.
    Event(MessageEvent),
    /// A comment line (without the leading `:`), such as a keep-alive.
    Comment(String),
    /// A valid `retry` field: the client's new reconnection delay.
    Retry(Duration),
}

/// Size limits that keep the decoder's memory bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest line accepted, in bytes, without its terminator.
    pub max_line: usize,
    /// The most data one event may accumulate, in bytes.
    pub max_event: usize,
}

impl Default for Limits {
    /// 1 MiB lines, 4 MiB events.
    fn default() -> Self {
        Limits {
            max_line: 1 << 20,
            max_event: 4 << 20,
        }
    }
}

/// The input broke a [`Limits`] bound; the decoder accepts nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// A line was longer than `max` bytes.
    LineTooLong {
        /// The limit.
        max: usize,
    },
    /// An event's data grew past `max` bytes.
    EventTooLarge {
        /// The limit.
        max: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::LineTooLong { max } => {
                write!(f, "event stream line longer than the {max}-byte limit")
            }
            DecodeError::EventTooLarge { max } => {
                write!(f, "event data larger than the {max}-byte limit")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Text as the standard decodes it: UTF-8, with invalid sequences replaced by U+FFFD.
/// (`String::from_utf8_lossy` alone walks valid text byte by byte; `from_utf8` checks it
/// a word at a time.)
fn utf8_lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// A streaming `text/event-stream` parser. See the [module docs](self).
#[derive(Debug, Default)]
pub struct Decoder {
    limits: Limits,
    /// How many bytes of a leading BOM have been matched; `None` once past the start.
    bom_matched: Option<usize>,
    started: bool,
    /// The current, incomplete line.
    line: Vec<u8>,
    /// The previous byte was `\r`: a `\n` right after it ends nothing.
    after_cr: bool,
    data: String,
    event_type: String,
    last_event_id: String,
    has_data: bool,
    out: VecDeque<Decoded>,
    failed: Option<DecodeError>,
}

impl Decoder {
    /// A decoder with the default [`Limits`].
    pub fn new() -> Self {
        Decoder::default()
    }

    /// A decoder with the given limits.
    pub fn with_limits(limits: Limits) -> Self {
        Decoder {
            limits,
            ..Decoder::default()
        }
    }

    /// The last event id in force (what a client would send as `Last-Event-ID`).
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Feeds the next chunk of the stream. Completed items become available to
    /// [`drain`](Self::drain).
    pub fn push(&mut self, mut chunk: &[u8]) -> Result<(), DecodeError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        if !self.started {
            chunk = self.strip_bom(chunk);
            if chunk.is_empty() {
                return Ok(());
            }
        }
        let result = self.push_lines(chunk);
        if let Err(error) = &result {
            self.failed = Some(error.clone());
        }
        result
    }

    /// Ends the input: an incomplete event is discarded, as the standard says.
    pub fn finish(&mut self) {
        self.line.clear();
        self.data.clear();
        self.event_type.clear();
        self.has_data = false;
        self.after_cr = false;
    }

    /// Takes the items completed so far, oldest first.
    pub fn drain(&mut self) -> std::collections::vec_deque::Drain<'_, Decoded> {
        self.out.drain(..)
    }

    /// Takes the oldest completed item, if any.
    pub fn next_item(&mut self) -> Option<Decoded> {
        self.out.pop_front()
    }

    /// Matches a leading byte order mark across chunks; returns the rest of `chunk`.
    fn strip_bom<'a>(&mut self, chunk: &'a [u8]) -> &'a [u8] {
        let mut matched = self.bom_matched.unwrap_or(0);
        let mut rest = chunk;
        while let Some((&byte, tail)) = rest.split_first() {
            if byte != BOM[matched] {
                // Not a BOM after all: what looked like its start is content.
                self.started = true;
                self.line.extend_from_slice(&BOM[..matched]);
                return rest;
            }
            matched += 1;
            rest = tail;
            if matched == BOM.len() {
                self.started = true;
                return rest;
            }
        }
        self.bom_matched = Some(matched);
        rest
    }

    fn push_lines(&mut self, mut chunk: &[u8]) -> Result<(), DecodeError> {
        if self.after_cr && !chunk.is_empty() {
            self.after_cr = false;
            if let Some(rest) = chunk.strip_prefix(b"\n") {
                chunk = rest;
            }
        }
        while let Some(at) = memchr::memchr2(b'\r', b'\n', chunk) {
            if self.line.is_empty() {
                // A whole line inside this chunk: no need to copy it first.
                self.check_line(at)?;
                self.process_line(&chunk[..at])?;
            } else {
                self.extend_line(&chunk[..at])?;
                self.end_line()?;
            }
            let mut next = at + 1;
            if chunk[at] == b'\r' {
                match chunk.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            chunk = &chunk[next..];
        }
        self.extend_line(chunk)
    }

    fn check_line(&self, len: usize) -> Result<(), DecodeError> {
        if len > self.limits.max_line {
            return Err(DecodeError::LineTooLong {
                max: self.limits.max_line,
            });
        }
        Ok(())
    }

    fn extend_line(&mut self, bytes: &[u8]) -> Result<(), DecodeError> {
        self.check_line(self.line.len() + bytes.len())?;
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), DecodeError> {
        let line = std::mem::take(&mut self.line);
        let result = self.process_line(&line);
        // Keep the allocation for the next line.
        self.line = line;
        self.line.clear();
        result
    }

    fn process_line(&mut self, line: &[u8]) -> Result<(), DecodeError> {
        if line.is_empty() {
            self.dispatch();
            return Ok(());
        }
        if let Some(comment) = line.strip_prefix(b":") {
            self.out
                .push_back(Decoded::Comment(utf8_lossy(comment).into_owned()));
            return Ok(());
        }
        let (name, value) = match memchr::memchr(b':', line) {
            Some(at) => {
                let value = &line[at + 1..];
                (&line[..at], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match name {
            b"event" => {
                self.event_type.clear();
                self.event_type.push_str(&utf8_lossy(value));
            }
            b"data" => {
                if self.data.len() + value.len() + 1 > self.limits.max_event {
                    return Err(DecodeError::EventTooLarge {
                        max: self.limits.max_event,
                    });
                }
                if !self.has_data {
                    self.data.reserve(value.len() + 1);
                }
                self.data.push_str(&utf8_lossy(value));
                self.data.push('\n');
                self.has_data = true;
            }
            b"id" if !value.contains(&0) => {
                self.last_event_id.clear();
                self.last_event_id.push_str(&utf8_lossy(value));
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // All digits; a value too large for u64 saturates.
                let ms = std::str::from_utf8(value)
                    .ok()
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(u64::MAX);
                self.out
                    .push_back(Decoded::Retry(Duration::from_millis(ms)));
            }
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self) {
        if !self.has_data {
            self.data.clear();
            self.event_type.clear();
            return;
        }
        self.has_data = false;
        let mut data = std::mem::take(&mut self.data);
        if data.ends_with('\n') {
            data.pop();
        }
        let event_type = match std::mem::take(&mut self.event_type) {
            name if name.is_empty() => String::from("message"),
            name => name,
        };
        self.out.push_back(Decoded::Event(MessageEvent {
            event_type,
            data,
            last_event_id: self.last_event_id.clone(),
        }));
    }
}

pin_project_lite::pin_project! {
    /// Decodes a stream of byte chunks (an HTTP response body, say) into [`Decoded`] items.
    ///
    /// A transport error ends the stream with [`DecodeStreamError::Transport`]; the end of
    /// the input discards an incomplete event.
    pub struct DecodeStream<S> {
        #[pin]
        inner: S,
        decoder: Decoder,
        done: bool,
    }
}

impl<S> DecodeStream<S> {
    /// Decodes `inner` with the default [`Limits`].
    pub fn new(inner: S) -> Self {
        DecodeStream::with_decoder(inner, Decoder::new())
    }

    /// Decodes `inner` with a configured decoder.
    pub fn with_decoder(inner: S, decoder: Decoder) -> Self {
        DecodeStream {
            inner,
            decoder,
            done: false,
        }
    }

    /// The last event id in force.
    pub fn last_event_id(&self) -> &str {
        self.decoder.last_event_id()
    }
}

/// Why a [`DecodeStream`] ended early.
#[derive(Debug)]
pub enum DecodeStreamError<E> {
    /// The byte stream failed.
    Transport(E),
    /// The bytes broke a decoder limit.
    Decode(DecodeError),
}

impl<E: fmt::Display> fmt::Display for DecodeStreamError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeStreamError::Transport(error) => write!(f, "transport error: {error}"),
            DecodeStreamError::Decode(error) => error.fmt(f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for DecodeStreamError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DecodeStreamError::Transport(error) => Some(error),
            DecodeStreamError::Decode(error) => Some(error),
        }
    }
}

impl<S, B, E> Stream for DecodeStream<S>
where
    S: Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
{
    type Item = Result<Decoded, DecodeStreamError<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        loop {
            if let Some(item) = this.decoder.next_item() {
                return Poll::Ready(Some(Ok(item)));
            }
            if *this.done {
                return Poll::Ready(None);
            }
            match this.inner.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    this.decoder.finish();
                    *this.done = true;
                }
                Poll::Ready(Some(Err(error))) => {
                    *this.done = true;
                    return Poll::Ready(Some(Err(DecodeStreamError::Transport(error))));
                }
                Poll::Ready(Some(Ok(chunk))) => {
                    if let Err(error) = this.decoder.push(chunk.as_ref()) {
                        *this.done = true;
                        return Poll::Ready(Some(Err(DecodeStreamError::Decode(error))));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &[u8]) -> Vec<Decoded> {
        let mut decoder = Decoder::new();
        decoder.push(input).unwrap();
        decoder.drain().collect()
    }

    fn event(event_type: &str, data: &str, id: &str) -> Decoded {
        Decoded::Event(MessageEvent {
            event_type: event_type.into(),
            data: data.into(),
            last_event_id: id.into(),
        })
    }

    #[test]
    fn spec_example_fields_and_default_type() {
        let items = decode(b"data: YHOO\ndata: +2\ndata: 10\n\n");
        assert_eq!(items, vec![event("message", "YHOO\n+2\n10", "")]);
    }

    #[test]
    fn line_endings_cr_lf_crlf() {
        let items = decode(b"data: a\rdata: b\r\ndata: c\n\r\n");
        assert_eq!(items, vec![event("message", "a\nb\nc", "")]);
    }

    #[test]
    fn leading_space_stripped_once_and_missing_colon() {
        let items = decode(b"data:  two\n\ndata\n\ndata:x\n\n");
        assert_eq!(
            items,
            vec![
                event("message", " two", ""),
                event("message", "", ""),
                event("message", "x", "")
            ]
        );
    }

    #[test]
    fn block_without_data_dispatches_nothing_but_id_carries_forward() {
        let items = decode(b"id: 5\nevent: x\n\ndata: a\n\nid\ndata: b\n\n");
        assert_eq!(
            items,
            vec![event("message", "a", "5"), event("message", "b", "")]
        );
    }

    #[test]
    fn id_with_nul_is_ignored() {
        let items = decode(b"id: 1\n\nid: 2\0\ndata: a\n\n");
        assert_eq!(items, vec![event("message", "a", "1")]);
    }

    #[test]
    fn retry_only_all_digits() {
        let items = decode(
            b"retry: 100\nretry: 1x\nretry: \nretry:  5\nretry: 99999999999999999999999\n\n",
        );
        assert_eq!(
            items,
            vec![
                Decoded::Retry(Duration::from_millis(100)),
                Decoded::Retry(Duration::from_millis(u64::MAX)),
            ]
        );
    }

    #[test]
    fn comments_and_unknown_fields() {
        let items = decode(b": hi\nfoo: bar\n:\ndata: x\n\n");
        assert_eq!(
            items,
            vec![
                Decoded::Comment(" hi".into()),
                Decoded::Comment("".into()),
                event("message", "x", "")
            ]
        );
    }

    #[test]
    fn bom_stripped_once_even_split() {
        let mut decoder = Decoder::new();
        for byte in b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\n" {
            decoder.push(&[*byte]).unwrap();
        }
        let items: Vec<_> = decoder.drain().collect();
        // The second BOM is part of the first line's field name, so the line is ignored.
        assert!(items.is_empty(), "{items:?}");

        let mut decoder = Decoder::new();
        decoder.push(b"\xEF\xBB").unwrap();
        decoder.push(b"\xBFdata: y\n\n").unwrap();
        assert_eq!(
            decoder.drain().collect::<Vec<_>>(),
            vec![event("message", "y", "")]
        );
    }

    #[test]
    fn partial_bom_is_content() {
        let items = decode(b"\xEFdata: x\n\n");
        // U+FFFD + "data" is an unknown field name.
        assert!(items.is_empty());
        let mut decoder = Decoder::new();
        decoder.push(b"\xEF\xBB").unwrap();
        decoder.push(b"\n").unwrap();
        decoder.push(b"data: z\n\n").unwrap();
        assert_eq!(
            decoder.drain().collect::<Vec<_>>(),
            vec![event("message", "z", "")]
        );
    }

    #[test]
    fn crlf_split_across_chunks_is_one_line_end() {
        let mut decoder = Decoder::new();
        decoder.push(b"data: a\r").unwrap();
        decoder.push(b"\ndata: b\r").unwrap();
        decoder.push(b"\n\r").unwrap();
        decoder.push(b"").unwrap();
        decoder.push(b"\n").unwrap();
        assert_eq!(
            decoder.drain().collect::<Vec<_>>(),
            vec![event("message", "a\nb", "")]
        );
    }

    #[test]
    fn utf8_split_across_chunks() {
        let text = "data: é✓\n\n".as_bytes();
        let mut decoder = Decoder::new();
        for byte in text {
            decoder.push(&[*byte]).unwrap();
        }
        assert_eq!(
            decoder.drain().collect::<Vec<_>>(),
            vec![event("message", "é✓", "")]
        );
    }

    #[test]
    fn invalid_utf8_becomes_replacement() {
        let items = decode(b"data: a\xFFb\n\n");
        assert_eq!(items, vec![event("message", "a\u{FFFD}b", "")]);
    }

    #[test]
    fn incomplete_event_at_end_is_discarded() {
        let mut decoder = Decoder::new();
        decoder.push(b"data: a\n\ndata: b\n").unwrap();
        decoder.finish();
        assert_eq!(
            decoder.drain().collect::<Vec<_>>(),
            vec![event("message", "a", "")]
        );
        decoder.push(b"\n").unwrap();
        assert_eq!(decoder.drain().count(), 0);
    }

    #[test]
    fn limits_are_errors_and_sticky() {
        let mut decoder = Decoder::with_limits(Limits {
            max_line: 8,
            max_event: 1000,
        });
        assert_eq!(
            decoder.push(b"data: 123456"),
            Err(DecodeError::LineTooLong { max: 8 })
        );
        assert!(decoder.push(b"\n\n").is_err());

        let mut decoder = Decoder::with_limits(Limits {
            max_line: 100,
            max_event: 6,
        });
        decoder.push(b"data: abc\n").unwrap();
        assert_eq!(
            decoder.push(b"data: abc\n"),
            Err(DecodeError::EventTooLarge { max: 6 })
        );
    }

    #[test]
    fn line_limit_counts_across_chunks() {
        let mut decoder = Decoder::with_limits(Limits {
            max_line: 10,
            max_event: 100,
        });
        for _ in 0..10 {
            decoder.push(b"a").unwrap();
        }
        assert!(decoder.push(b"a").is_err());
    }
}
