//! Arbitrary bytes, split at arbitrary points, never panic the decoder, and decode the same
//! however they are split.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sse_core::decode::{Decoder, Limits};

fuzz_target!(|input: &[u8]| {
    let Some((&split, bytes)) = input.split_first() else {
        return;
    };
    let limits = Limits {
        max_line: 256,
        max_event: 1024,
    };

    let mut whole = Decoder::with_limits(limits);
    let whole_result = whole.push(bytes);
    let whole_items: Vec<_> = whole.drain().collect();

    let mut parts = Decoder::with_limits(limits);
    let mut parts_items = Vec::new();
    let mut parts_result = Ok(());
    for chunk in bytes.chunks(usize::from(split).max(1)) {
        parts_result = parts.push(chunk);
        parts_items.extend(parts.drain());
        if parts_result.is_err() {
            break;
        }
    }
    if whole_result.is_ok() {
        assert!(parts_result.is_ok());
        assert_eq!(whole_items, parts_items);
    }
    parts.finish();
});
