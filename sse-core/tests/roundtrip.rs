//! Property tests: the decoder reads back exactly what the encoder writes, however the bytes
//! are chunked, and never panics on arbitrary input.

use std::time::Duration;

use proptest::prelude::*;
use sse_core::{Decoded, Decoder, Event, MessageEvent};

fn decode_all(chunks: &[&[u8]]) -> Vec<Decoded> {
    let mut decoder = Decoder::new();
    let mut out = Vec::new();
    for chunk in chunks {
        decoder.push(chunk).expect("within limits");
        out.extend(decoder.drain());
    }
    out
}

/// Text with a high density of line breaks, spaces, colons and non-ASCII.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("\n".to_string()),
            Just("\r".to_string()),
            Just("\r\n".to_string()),
            Just(" ".to_string()),
            Just(":".to_string()),
            Just("\u{feff}".to_string()),
            Just("\0".to_string()),
            "[a-z]{1,4}",
            "\\PC{1,3}",
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

fn no_line_breaks(extra_forbidden: char) -> impl Strategy<Value = String> {
    text().prop_map(move |s| s.replace(['\r', '\n', extra_forbidden], ""))
}

prop_compose! {
    fn event()(
        data in text(),
        name in prop::option::of(no_line_breaks('\n')),
        id in prop::option::of(no_line_breaks('\0')),
        retry in prop::option::of(0u64..10_000_000),
        comments in prop::collection::vec(text(), 0..3),
    ) -> Event {
        let mut event = Event::new(data);
        if let Some(name) = name { event = event.event(name).unwrap(); }
        if let Some(id) = id { event = event.id(id).unwrap(); }
        if let Some(ms) = retry { event = event.retry(Duration::from_millis(ms)); }
        for comment in comments { event = event.comment(comment); }
        event
    }
}

/// What a client should see for `event` (`\r\n` and `\r` in data arrive as `\n`).
fn expected(event: &Event, previous_id: &str) -> Vec<Decoded> {
    let mut items = Vec::new();
    for comment in event.comments() {
        let normalized = comment.replace("\r\n", "\n").replace('\r', "\n");
        for line in normalized.split('\n') {
            items.push(Decoded::Comment(if line.is_empty() {
                String::new()
            } else {
                format!(" {line}")
            }));
        }
    }
    if let Some(retry) = event.retry_delay() {
        items.push(Decoded::Retry(retry));
    }
    items.push(Decoded::Event(MessageEvent {
        event_type: event.event_name().unwrap_or("message").to_string(),
        data: event.data().replace("\r\n", "\n").replace('\r', "\n"),
        last_event_id: event.id_str().unwrap_or(previous_id).to_string(),
    }));
    items
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decode_of_encode_is_identity(events in prop::collection::vec(event(), 1..6)) {
        let mut wire = Vec::new();
        let mut want = Vec::new();
        let mut last_id = String::new();
        for event in &events {
            wire.extend_from_slice(&event.encode());
            want.extend(expected(event, &last_id));
            if let Some(id) = event.id_str() { last_id = id.to_string(); }
        }
        prop_assert_eq!(decode_all(&[&wire]), want);
    }

    #[test]
    fn chunking_does_not_matter(
        input in prop::collection::vec(prop_oneof![
            Just(b"data:".to_vec()), Just(b"data: x".to_vec()), Just(b"id: 1".to_vec()),
            Just(b"event: e".to_vec()), Just(b"retry: 12".to_vec()), Just(b": c".to_vec()),
            Just(b"\r".to_vec()), Just(b"\n".to_vec()), Just(b"\r\n".to_vec()),
            Just(vec![0xEF, 0xBB, 0xBF]), Just("é✓".as_bytes().to_vec()), Just(vec![0xFF]),
            prop::collection::vec(any::<u8>(), 0..4),
        ], 0..40).prop_map(|parts| parts.concat()),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let whole = decode_all(&[&input]);
        let mut points: Vec<usize> = cuts.iter().map(|cut| cut.index(input.len() + 1)).collect();
        points.sort_unstable();
        let mut chunks: Vec<&[u8]> = Vec::new();
        let mut start = 0;
        for point in points {
            chunks.push(&input[start..point]);
            start = point;
        }
        chunks.push(&input[start..]);
        prop_assert_eq!(decode_all(&chunks), whole);

        // One byte at a time, too.
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        prop_assert_eq!(decode_all(&bytes), decode_all(&[&input]));
    }

    #[test]
    fn arbitrary_bytes_never_panic(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..8)) {
        let mut decoder = Decoder::with_limits(sse_core::decode::Limits { max_line: 40, max_event: 80 });
        for chunk in &chunks {
            if decoder.push(chunk).is_err() { break; }
            decoder.drain().for_each(drop);
        }
        decoder.finish();
    }
}
