//! `Last-Event-ID` from the header's raw bytes, from the query string, or from both as a
//! subscribe request gives them: never a panic; an accepted id is exactly the bytes sent
//! (header) and round-trips through the query form; every error is a 400.
//!
//! Input layout: the first byte chooses what is present (bit 0: a header, bit 1: a query);
//! the rest is split at the first `\n` into the header bytes and the query string (the
//! query part is used as text, lossily, since a URL's query reaches the app as text).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sse_core::Hub;
use sse_core::http::HttpError;
use sse_core::{LastEventId, LastEventIdError};
use sse_endpoints::{HubEndpoints, RawRequest};

fn check_error(error: &LastEventIdError) {
    assert_eq!(error.status(), 400, "{error}");
    assert_eq!(error.code(), "invalid_last_event_id");
    assert!(!error.to_string().is_empty());
    assert!(
        error
            .json_body()
            .starts_with("{\"error\":\"invalid_last_event_id\"")
    );
}

/// What any accepted id must be: non-empty, bounded, no NUL, CR or LF.
fn check_id(id: &LastEventId) {
    let text = id.as_str();
    assert!(!text.is_empty());
    assert!(text.len() <= LastEventId::MAX_LEN);
    assert!(!text.contains(['\0', '\r', '\n']), "{id:?}");
    // The header form and `parse` accept it unchanged.
    assert_eq!(
        LastEventId::from_header_bytes(text.as_bytes()),
        Ok(Some(id.clone()))
    );
    assert_eq!(LastEventId::parse(text), Ok(Some(id.clone())));
    // The query form round-trips it through percent-encoding.
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("topic", "t")
        .append_pair(sse_core::last_event_id::QUERY_PARAM, text)
        .finish();
    assert_eq!(
        LastEventId::from_query(&query),
        Ok(Some(id.clone())),
        "{query}"
    );
}

fn header(bytes: &[u8]) -> Result<Option<LastEventId>, LastEventIdError> {
    let result = LastEventId::from_header_bytes(bytes);
    match &result {
        Ok(Some(id)) => {
            assert_eq!(id.as_str().as_bytes(), bytes);
            check_id(id);
        }
        Ok(None) => assert!(bytes.is_empty()),
        Err(error) => {
            check_error(error);
            // The error says what is wrong, in this order of checks.
            let expected = if bytes.len() > LastEventId::MAX_LEN {
                LastEventIdError::TooLong { len: bytes.len() }
            } else if std::str::from_utf8(bytes).is_err() {
                LastEventIdError::InvalidUtf8
            } else {
                assert!(bytes.iter().any(|b| matches!(b, 0 | b'\r' | b'\n')));
                LastEventIdError::InvalidChar
            };
            assert_eq!(*error, expected);
        }
    }
    result
}

fn query(query: &str) -> Result<Option<LastEventId>, LastEventIdError> {
    let result = LastEventId::from_query(query);
    match &result {
        Ok(Some(id)) => check_id(id),
        Ok(None) => {}
        Err(error) => check_error(error),
    }
    result
}

fuzz_target!(|input: &[u8]| {
    let Some((&which, rest)) = input.split_first() else {
        return;
    };
    let (header_bytes, query_bytes) = match rest.iter().position(|&b| b == b'\n') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let query_text = String::from_utf8_lossy(query_bytes);
    let header_part = (which & 1 != 0).then_some(header_bytes);
    let query_part = (which & 2 != 0).then_some(&*query_text);

    let from_header = header(header_bytes);
    let from_query = query(&query_text);
    if let Ok(text) = std::str::from_utf8(header_bytes) {
        // `parse` on text agrees with the header form on the same bytes.
        assert_eq!(LastEventId::parse(text), from_header);
    }

    // Both forms together: the non-empty header wins, else the query.
    let both = LastEventId::from_header_or_query(header_part, query_part);
    let expected = match header_part {
        Some(bytes) if !bytes.is_empty() => from_header,
        _ if query_part.is_some() => from_query,
        _ => Ok(None),
    };
    assert_eq!(both, expected);

    // As a subscribe request (`HEAD` checks what `GET` would): a 4xx or fine, never a panic;
    // and a bad id is refused as such whatever the topics.
    let endpoints = HubEndpoints::new(Hub::new());
    // In memory and with no hook, the check is ready at once.
    let mut request = RawRequest::new();
    if let Some(query) = query_part {
        request = request.query(query);
    }
    if let Some(header) = header_part {
        request = request.header("last-event-id", header);
    }
    let checked =
        futures_util::FutureExt::now_or_never(endpoints.check_subscribe::<RawRequest, _>(&request))
            .expect("ready at once");
    match checked {
        Ok(()) => assert!(expected.is_ok()),
        Err(error) => {
            assert!(
                (400..500).contains(&error.status()),
                "{error}: {}",
                error.status()
            );
            if expected.is_err() {
                assert_eq!(error.code(), "invalid_last_event_id");
            }
        }
    }
});
