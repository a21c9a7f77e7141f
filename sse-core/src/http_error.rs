//! How an error becomes an HTTP response: a status code and a small JSON body.
//!
//! Every error a client or publisher can cause implements [`HttpError`], so each framework
//! adapter maps all of them with the same few lines and answers the same status and body:
//!
//! ```json
//! {"error":"invalid_topic","message":"invalid topic \"a b\": ..."}
//! ```

use std::fmt::Write;

use crate::{EventError, HubError, LastEventIdError};

/// An error with an HTTP status and a stable, machine-readable code.
pub trait HttpError: std::fmt::Display {
    /// The HTTP status code to answer with.
    fn status(&self) -> u16;

    /// A stable code for clients to match on, such as `"invalid_topic"`.
    fn code(&self) -> &'static str;

    /// The JSON body: `{"error": code, "message": Display text}`.
    fn json_body(&self) -> String {
        json_error(self.code(), &self.to_string())
    }
}

/// `{"error": code, "message": message}`, with `message` escaped as a JSON string.
pub fn json_error(code: &str, message: &str) -> String {
    let mut body = String::with_capacity(32 + code.len() + message.len());
    body.push_str("{\"error\":");
    push_json_string(&mut body, code);
    body.push_str(",\"message\":");
    push_json_string(&mut body, message);
    body.push('}');
    body
}

/// Appends `text` as a quoted JSON string.
pub(crate) fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ch if u32::from(ch) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(ch));
            }
            ch => out.push(ch),
        }
    }
    out.push('"');
}

impl HttpError for EventError {
    fn status(&self) -> u16 {
        400
    }

    fn code(&self) -> &'static str {
        match self.field() {
            crate::Field::Data => "invalid_data",
            crate::Field::Event => "invalid_event",
            crate::Field::Id => "invalid_id",
            crate::Field::Retry => "invalid_retry",
            crate::Field::Comment => "invalid_comment",
        }
    }
}

impl HttpError for LastEventIdError {
    fn status(&self) -> u16 {
        400
    }

    fn code(&self) -> &'static str {
        "invalid_last_event_id"
    }
}

impl HttpError for HubError {
    fn status(&self) -> u16 {
        HubError::status(self)
    }

    fn code(&self) -> &'static str {
        HubError::code(self)
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
}
