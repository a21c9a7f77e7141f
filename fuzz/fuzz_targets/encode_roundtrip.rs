//! Any text encoded as an event decodes back to the same data (line breaks as `\n`), and a
//! name or id the encoder accepts never injects a field.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sse_core::{Decoded, Decoder, Event};

fuzz_target!(|input: (String, String, String)| {
    let (data, name, id) = input;
    let mut event = Event::new(data.clone());
    if let Ok(named) = event.clone().event(name.clone()) {
        event = named;
    }
    if let Ok(with_id) = event.clone().id(id.clone()) {
        event = with_id;
    }
    let mut decoder = Decoder::new();
    decoder
        .push(&event.encode())
        .expect("within default limits");
    let items: Vec<Decoded> = decoder.drain().collect();
    let [Decoded::Event(decoded)] = &items[..] else {
        panic!("exactly one event: {items:?}")
    };
    assert_eq!(decoded.data, data.replace("\r\n", "\n").replace('\r', "\n"));
    assert_eq!(decoded.event_type, event.event_name().unwrap_or("message"));
    assert_eq!(decoded.last_event_id, event.id_str().unwrap_or(""));
});
