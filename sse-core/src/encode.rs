//! Encoding: [`Event`] to wire bytes, once, into one buffer sized up front.
//!
//! The canonical field order of an encoded block is
//!
//! ```text
//! : comment        (one line per comment line)
//! id: <id>
//! event: <name>
//! retry: <milliseconds>
//! data: <line>     (one line per line of data, at least one)
//! <blank line>
//! ```
//!
//! Every field is written with one space after the colon, so a value that begins with a
//! space keeps it. Data is split on `\r\n`, `\r` and `\n`, empty pieces included, so
//! `"a\n"` becomes `data: a` and `data: `, and empty data is still one `data: ` line (without
//! it a client dispatches nothing). The only line terminator written is `\n`, and no byte
//! order mark is ever written.
//!
//! The result is a [`Frame`]: [`Bytes`] underneath, so cloning it for a thousand
//! subscribers costs a thousand reference-count increments, not a thousand copies.

use std::ops::Deref;

use bytes::Bytes;

use crate::event::{Event, Text};

/// One complete, encoded block of the event stream (an event or a comment), ready to write.
///
/// A frame always ends with the blank line that terminates the block, so writing whole
/// frames never cuts an event in half. Cloning is cheap (reference counted).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Frame(Bytes);

impl Frame {
    /// A comment-only block, such as a keep-alive: `: text\n\n` (`:\n\n` when `text` is
    /// empty). Browsers dispatch nothing for it.
    pub fn comment(text: impl Into<Text>) -> Frame {
        let text = text.into();
        let mut buf = Vec::with_capacity(comment_len(&text) + 1);
        write_comment(&mut buf, &text);
        buf.push(b'\n');
        Frame(Bytes::from(buf))
    }

    /// The wire bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The wire bytes, as shared [`Bytes`].
    #[inline]
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// Bytes that are whole encoded events already.
    pub(crate) fn from_bytes(bytes: Bytes) -> Frame {
        Frame(bytes)
    }

    /// `retry: <ms>\n` followed by this frame, in one buffer: the first event of a stream
    /// with a reconnection-delay prelude, so the `retry` field travels with an event rather
    /// than in a block of its own (which some clients report as an empty message).
    pub(crate) fn with_retry_prefix(&self, retry_ms: u64) -> Frame {
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(retry_ms);
        let mut buf = Vec::with_capacity(RETRY.len() + digits.len() + 1 + self.0.len());
        buf.extend_from_slice(RETRY);
        buf.extend_from_slice(digits.as_bytes());
        buf.push(b'\n');
        buf.extend_from_slice(&self.0);
        Frame(Bytes::from(buf))
    }
}

impl Deref for Frame {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Frame {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Frame> for Bytes {
    #[inline]
    fn from(frame: Frame) -> Bytes {
        frame.0
    }
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Frame({:?})", String::from_utf8_lossy(&self.0))
    }
}

const DATA: &[u8] = b"data: ";
const ID: &[u8] = b"id: ";
const EVENT: &[u8] = b"event: ";
const RETRY: &[u8] = b"retry: ";

/// The longest `id:` line the hub writes into a frame, in bytes: `id: `, an 8-digit hex
/// epoch, `-`, a sequence number of up to 20 digits, and the line feed (34). A backend's
/// publish counts it against the hub's event size limit before the id is known.
pub const MAX_ID_LINE: usize = 4 + 8 + 1 + 20 + 1;

/// The frame of an event encoded without an id ([`encode_with_id`] with `None`), with the
/// id line put where [`encode_with_id`] puts it: after the comment lines. A backend stores
/// events without ids and each instance adds the id once, as it reads the event.
pub(crate) fn insert_id(body: &[u8], id: &[u8]) -> Frame {
    let mut at = 0;
    while body.get(at) == Some(&b':') {
        match memchr::memchr(b'\n', &body[at..]) {
            Some(end) => at += end + 1,
            None => break,
        }
    }
    let mut buf = Vec::with_capacity(body.len() + ID.len() + id.len() + 1);
    buf.extend_from_slice(&body[..at]);
    write_field(&mut buf, ID, id);
    buf.extend_from_slice(&body[at..]);
    Frame(Bytes::from(buf))
}

/// Encodes `event`; `Event::encode` is the public entry point.
pub(crate) fn encode(event: &Event) -> Frame {
    encode_with_id(event, event.id.as_ref().map(Text::as_bytes))
}

/// Encodes `event` with `id` in place of the event's own id (the hub assigns ids).
pub(crate) fn encode_with_id(event: &Event, id: Option<&[u8]>) -> Frame {
    let mut retry_digits = itoa::Buffer::new();
    let retry = event.retry.map(|ms| retry_digits.format(ms).as_bytes());

    let mut len = 1; // the blank line
    for comment in &event.comments {
        len += comment_len(comment);
    }
    if let Some(id) = id {
        len += ID.len() + id.len() + 1;
    }
    if let Some(name) = &event.event {
        len += EVENT.len() + name.len() + 1;
    }
    if let Some(retry) = retry {
        len += RETRY.len() + retry.len() + 1;
    }
    let data = event.data.as_bytes();
    let breaks = Breaks::scan(data);
    len += (breaks.count + 1) * (DATA.len() + 1) + data.len() - breaks.removed;

    let mut buf = Vec::with_capacity(len);
    for comment in &event.comments {
        write_comment(&mut buf, comment);
    }
    if let Some(id) = id {
        write_field(&mut buf, ID, id);
    }
    if let Some(name) = &event.event {
        write_field(&mut buf, EVENT, name.as_bytes());
    }
    if let Some(retry) = retry {
        write_field(&mut buf, RETRY, retry);
    }
    breaks.write_data(&mut buf, data);
    buf.push(b'\n');
    debug_assert_eq!(buf.len(), len, "encoded length computed up front");
    Frame(Bytes::from(buf))
}

/// The line breaks of event data, found in one pass; the first [`Breaks::INLINE`] are
/// remembered so that writing needs no second scan.
/// Below this length, data is scanned with a plain loop.
const SHORT: usize = 64;

struct Breaks {
    count: usize,
    /// Bytes the breaks occupy (1 per `\r` or `\n`, 2 per `\r\n`).
    removed: usize,
    at: [usize; Breaks::INLINE],
    crlf: u32,
}

impl Breaks {
    const INLINE: usize = 24;

    fn scan(data: &[u8]) -> Breaks {
        let mut breaks = Breaks {
            count: 0,
            removed: 0,
            at: [0; Breaks::INLINE],
            crlf: 0,
        };
        if data.len() < SHORT {
            // Short data: a plain loop beats a vectorized search's set-up cost.
            let mut at = 0;
            while at < data.len() {
                let byte = data[at];
                if byte == b'\n' || byte == b'\r' {
                    let crlf = byte == b'\r' && data.get(at + 1) == Some(&b'\n');
                    breaks.push(at, crlf);
                    at += 1 + usize::from(crlf);
                } else {
                    at += 1;
                }
            }
            return breaks;
        }
        if memchr::memchr(b'\r', data).is_none() {
            // The usual case: `\n` breaks only. One needle is about twice as fast as two.
            for at in memchr::memchr_iter(b'\n', data) {
                if let Some(slot) = breaks.at.get_mut(breaks.count) {
                    *slot = at;
                }
                breaks.count += 1;
            }
            breaks.removed = breaks.count;
            return breaks;
        }
        let mut lf_of_crlf = usize::MAX;
        for at in memchr::memchr2_iter(b'\r', b'\n', data) {
            if at == lf_of_crlf {
                continue;
            }
            let crlf = data[at] == b'\r' && data.get(at + 1) == Some(&b'\n');
            if crlf {
                lf_of_crlf = at + 1;
            }
            breaks.push(at, crlf);
        }
        breaks
    }

    fn push(&mut self, at: usize, crlf: bool) {
        if let Some(slot) = self.at.get_mut(self.count) {
            *slot = at;
            self.crlf |= u32::from(crlf) << self.count;
        }
        self.count += 1;
        self.removed += 1 + usize::from(crlf);
    }

    fn write_data(&self, buf: &mut Vec<u8>, data: &[u8]) {
        if self.count > Self::INLINE {
            for line in Lines::new(data) {
                write_field(buf, DATA, line);
            }
            return;
        }
        // Two copies a line: the line, then the break and the next line's field name.
        buf.extend_from_slice(DATA);
        let mut start = 0;
        for (index, &at) in self.at[..self.count].iter().enumerate() {
            buf.extend_from_slice(&data[start..at]);
            buf.extend_from_slice(b"\ndata: ");
            start = at + 1 + ((self.crlf >> index) & 1) as usize;
        }
        buf.extend_from_slice(&data[start..]);
        buf.push(b'\n');
    }
}

fn write_field(buf: &mut Vec<u8>, field: &[u8], value: &[u8]) {
    buf.extend_from_slice(field);
    buf.extend_from_slice(value);
    buf.push(b'\n');
}

fn comment_len(comment: &Text) -> usize {
    Lines::new(comment.as_bytes())
        .map(|line| if line.is_empty() { 2 } else { 3 + line.len() })
        .sum()
}

fn write_comment(buf: &mut Vec<u8>, comment: &Text) {
    for line in Lines::new(comment.as_bytes()) {
        if line.is_empty() {
            buf.extend_from_slice(b":\n");
        } else {
            write_field(buf, b": ", line);
        }
    }
}

/// The pieces of `text` between `\r\n`, `\r` and `\n` line breaks, empty pieces included;
/// always at least one piece.
pub(crate) struct Lines<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a [u8]) -> Self {
        Lines { rest: Some(text) }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        match memchr::memchr2(b'\r', b'\n', rest) {
            None => {
                self.rest = None;
                Some(rest)
            }
            Some(at) => {
                let skip = if rest[at] == b'\r' && rest.get(at + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                self.rest = Some(&rest[at + skip..]);
                Some(&rest[..at])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! One test per wire-format rule (UTF-8 without BOM, `\n` line ends, data split on every
    //! line break, one space after the colon, field validation, comments), comparing exact
    //! bytes.
    use std::time::Duration;

    use super::*;

    fn bytes(event: &Event) -> String {
        String::from_utf8(event.encode().as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn rule_07_utf8_and_no_bom() {
        let frame = Event::new("héllo ✓").encode();
        assert_eq!(frame.as_bytes(), "data: héllo ✓\n\n".as_bytes());
        assert!(!frame.starts_with(&[0xEF, 0xBB, 0xBF]));
        assert!(std::str::from_utf8(&frame).is_ok());
    }

    #[test]
    fn rule_08_lf_only_and_blank_line_terminator() {
        let frame = Event::new("a\r\nb")
            .event("e")
            .unwrap()
            .id("1")
            .unwrap()
            .encode();
        assert!(!frame.contains(&b'\r'), "no CR is ever written");
        assert!(frame.ends_with(b"\n\n"));
        assert_eq!(frame.as_bytes(), b"id: 1\nevent: e\ndata: a\ndata: b\n\n");
    }

    #[test]
    fn rule_09_data_split_on_every_line_break_empty_pieces_included() {
        assert_eq!(bytes(&Event::new("a\n")), "data: a\ndata: \n\n");
        assert_eq!(
            bytes(&Event::new("a\r\nb\rc\nd")),
            "data: a\ndata: b\ndata: c\ndata: d\n\n"
        );
        assert_eq!(bytes(&Event::new("\n\n")), "data: \ndata: \ndata: \n\n");
        assert_eq!(bytes(&Event::new("a\r")), "data: a\ndata: \n\n");
        assert_eq!(bytes(&Event::new("\r\r\n")), "data: \ndata: \ndata: \n\n");
    }

    #[test]
    fn rule_10_empty_data_still_has_a_data_line() {
        assert_eq!(bytes(&Event::new("")), "data: \n\n");
        assert_eq!(bytes(&Event::default()), "data: \n\n");
    }

    #[test]
    fn rule_11_one_space_after_the_colon() {
        assert_eq!(bytes(&Event::new(" x")), "data:  x\n\n");
        let event = Event::new("d").event(" e").unwrap().id(" i").unwrap();
        assert_eq!(bytes(&event), "id:  i\nevent:  e\ndata: d\n\n");
    }

    #[test]
    fn rule_12_event_name_rejected_not_rewritten_spaces_legal() {
        assert!(Event::new("x").event("a\nevent: b").is_err());
        assert!(Event::new("x").event("a\r").is_err());
        assert_eq!(
            bytes(&Event::new("x").event("a b").unwrap()),
            "event: a b\ndata: x\n\n"
        );
        assert_eq!(bytes(&Event::new("x").event("").unwrap()), "data: x\n\n");
    }

    #[test]
    fn rule_13_id_rejected_on_nul_cr_lf_empty_resets_same_block_as_data() {
        assert!(Event::new("x").id("a\0").is_err());
        assert!(Event::new("x").id("a\nb").is_err());
        assert!(Event::new("x").id("a\rb").is_err());
        assert_eq!(bytes(&Event::new("x").id("").unwrap()), "id: \ndata: x\n\n");
        assert_eq!(
            bytes(&Event::new("x").id("7").unwrap()),
            "id: 7\ndata: x\n\n"
        );
    }

    #[test]
    fn rule_14_retry_is_digits_in_milliseconds_with_the_event() {
        let event = Event::new("x").retry(Duration::from_millis(1500));
        assert_eq!(bytes(&event), "retry: 1500\ndata: x\n\n");
        let event = Event::new("x").retry(Duration::from_micros(2500));
        assert_eq!(bytes(&event), "retry: 2\ndata: x\n\n");
        let event = Event::new("x").retry(Duration::ZERO);
        assert_eq!(bytes(&event), "retry: 0\ndata: x\n\n");
    }

    #[test]
    fn rule_14_retry_prefix_joins_the_first_event() {
        let frame = Event::new("x")
            .id("1")
            .unwrap()
            .encode()
            .with_retry_prefix(3000);
        assert_eq!(frame.as_bytes(), b"retry: 3000\nid: 1\ndata: x\n\n");
    }

    #[test]
    fn rule_15_comments_each_line_starts_with_colon() {
        assert_eq!(Frame::comment("").as_bytes(), b":\n\n");
        assert_eq!(Frame::comment("ping").as_bytes(), b": ping\n\n");
        assert_eq!(Frame::comment("a\nb\r\n").as_bytes(), b": a\n: b\n:\n\n");
        let event = Event::new("x").comment("c1").comment("two\nlines");
        assert_eq!(bytes(&event), ": c1\n: two\n: lines\ndata: x\n\n");
    }

    #[test]
    fn rule_16_nul_in_data_is_passed_through() {
        assert_eq!(bytes(&Event::new("a\0b")), "data: a\0b\n\n");
    }

    #[test]
    fn rule_17_canonical_field_order() {
        let event = Event::new("d")
            .retry(Duration::from_secs(1))
            .comment("c")
            .event("e")
            .unwrap()
            .id("i")
            .unwrap();
        assert_eq!(
            bytes(&event),
            ": c\nid: i\nevent: e\nretry: 1000\ndata: d\n\n"
        );
    }

    #[cfg(feature = "json")]
    #[test]
    fn json_is_one_data_line() {
        let event = Event::json(&serde_json::json!({"text": "a\nb"})).unwrap();
        assert_eq!(bytes(&event), "data: {\"text\":\"a\\nb\"}\n\n");
    }
}
