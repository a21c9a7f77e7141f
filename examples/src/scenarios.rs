//! The scenarios, without a framework: what each demo route streams or publishes.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use sse_core::http::HttpError;
use sse_core::{Event, EventError, Finite, Hub, LastEventId};
use sse_endpoints::{EndpointError, Published};

/// The sentence `/words` streams, one word a second.
pub const WORDS: &str = "Server-sent events push text from server to browser";

/// What `/tokens` streams when no `text` is given.
pub const DEFAULT_TEXT: &str =
    "Tokens arrive one by one, the way a chat assistant streams its answer.";

/// The longest `text` `/tokens` accepts, in bytes.
pub const MAX_TEXT: usize = 4096;

/// How long `/words` waits between words.
pub const WORD_PERIOD: Duration = Duration::from_secs(1);

/// How long `/tokens` waits between pieces.
pub const TOKEN_PERIOD: Duration = Duration::from_millis(60);

/// `/words`: the words of [`WORDS`], one a second, ids `1`..; `None` (answer 204) when the
/// client has seen them all.
pub fn words(last_event_id: Option<&LastEventId>) -> Option<Finite> {
    let words = WORDS.split(' ').map(Event::new);
    Some(Finite::resume(last_event_id, words)?.paced(WORD_PERIOD))
}

/// `/tokens?text=` (given the raw query): the text in small pieces (`event: token`, ids
/// `1`..), every 60 ms, then `event: done` with the count; `None` (answer 204) after the end.
pub fn tokens(
    query: &str,
    last_event_id: Option<&LastEventId>,
) -> Result<Option<Finite>, DemoError> {
    let text = form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == "text")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    let text = text.as_str();
    if text.len() > MAX_TEXT {
        return Err(DemoError::new(
            "text",
            format!("text is longer than {MAX_TEXT} bytes"),
        ));
    }
    let pieces = split_tokens(if text.is_empty() { DEFAULT_TEXT } else { text });
    let count = pieces.len();
    let events: Vec<Event> = pieces
        .into_iter()
        .map(|piece| Event::new(piece).event("token"))
        .chain([Event::new(format!("{{\"tokens\":{count}}}")).event("done")])
        .collect::<Result<_, EventError>>()
        .map_err(|error| DemoError::new("text", error.to_string()))?;
    // Numbered together: the tokens are `1..=count`, `done` is `count + 1`.
    Ok(Finite::resume(last_event_id, events).map(|events| events.paced(TOKEN_PERIOD)))
}

/// Splits text the way a tokenizer roughly would: words with their trailing space, and long
/// words in pieces of at most four characters.
pub fn split_tokens(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    for ch in text.chars() {
        if (ch.is_whitespace() && !current.ends_with(char::is_whitespace) && !current.is_empty())
            || current.chars().count() >= 4 && !ch.is_whitespace()
        {
            if ch.is_whitespace() {
                current.push(ch);
                pieces.push(std::mem::take(&mut current));
                continue;
            }
            pieces.push(std::mem::take(&mut current));
        }
        current.push(ch);
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// `/echo?data=&event=&id=&retry=&comment=`: exactly the event the query describes.
pub fn echo(query: &str) -> Result<Event, DemoError> {
    let mut data = String::new();
    let (mut name, mut id, mut retry, mut comment) = (None, None, None, None);
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let value = value.into_owned();
        match &*key {
            "data" => data = value,
            "event" => name = Some(value),
            "id" => id = Some(value),
            "retry" => retry = Some(value),
            "comment" => comment = Some(value),
            _ => {}
        }
    }
    let mut event = Event::new(data);
    if let Some(name) = name {
        event = event.event(name).map_err(DemoError::from)?;
    }
    if let Some(id) = id {
        event = event.id(id).map_err(DemoError::from)?;
    }
    if let Some(retry) = retry {
        let ms = (!retry.is_empty() && retry.bytes().all(|b| b.is_ascii_digit()))
            .then(|| retry.parse::<u64>().ok())
            .flatten()
            .ok_or_else(|| {
                DemoError::new(
                    "retry",
                    format!("retry must be milliseconds in ASCII digits, not {retry:?}"),
                )
            })?;
        event = event.retry(Duration::from_millis(ms));
    }
    if let Some(comment) = comment {
        event = event.comment(comment);
    }
    Ok(event)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatMessage {
    user: String,
    text: String,
}

/// `POST /chat` with `{"user": "...", "text": "..."}`: published to the `chat` topic as
/// `event: chat` with JSON data.
pub async fn chat(hub: &Hub, body: &[u8]) -> Result<Published, DemoError> {
    let message: ChatMessage = serde_json::from_slice(body)
        .map_err(|error| DemoError::new("body", format!("invalid chat message: {error}")))?;
    let user = message.user.trim();
    if user.is_empty() || user.chars().count() > 32 {
        return Err(DemoError::new(
            "user",
            "user must be 1 to 32 characters".into(),
        ));
    }
    if message.text.trim().is_empty() || message.text.chars().count() > 500 {
        return Err(DemoError::new(
            "text",
            "text must be 1 to 500 characters".into(),
        ));
    }
    let event = Event::json(&serde_json::json!({"user": user, "text": message.text}))
        .and_then(|event| event.event("chat"))
        .map_err(DemoError::from)?;
    let id = hub
        .publish("chat", event)
        .await
        .map_err(|error| DemoError::from(EndpointError::Hub(error)))?;
    Ok(Published { id })
}

/// A bad demo request: 400 with `{"error": "invalid_<field>", "field": ..., "message": ...}`,
/// or whatever status the underlying hub error has.
#[derive(Debug)]
pub struct DemoError {
    status: u16,
    code: String,
    field: &'static str,
    message: String,
}

impl DemoError {
    /// A 400 for a bad `field`, with the code `invalid_<field>` (`invalid_body` for any
    /// field without one of its own).
    pub(crate) fn new(field: &'static str, message: String) -> Self {
        let code = match field {
            "retry" => "invalid_retry",
            "text" => "invalid_text",
            "user" => "invalid_user",
            "steps" => "invalid_steps",
            "interval_ms" => "invalid_interval_ms",
            _ => "invalid_body",
        };
        DemoError {
            status: 400,
            code: code.to_owned(),
            field,
            message,
        }
    }

    /// The request field at fault (`""` when it is not one field).
    pub fn field(&self) -> &'static str {
        self.field
    }
}

impl From<EventError> for DemoError {
    fn from(error: EventError) -> Self {
        DemoError {
            status: 400,
            code: error.code().to_owned(),
            field: error.field().name(),
            message: error.to_string(),
        }
    }
}

impl From<EndpointError> for DemoError {
    fn from(error: EndpointError) -> Self {
        DemoError {
            status: error.status(),
            code: error.code().to_owned(),
            field: "",
            message: error.to_string(),
        }
    }
}

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl HttpError for DemoError {
    fn status(&self) -> u16 {
        self.status
    }

    fn code(&self) -> &str {
        &self.code
    }

    fn json_body(&self) -> String {
        serde_json::json!({"error": self.code, "field": self.field, "message": self.message})
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_rejoin_to_the_text() {
        for text in [
            "Hello brave new world",
            "  spaced  out ",
            "supercalifragilistic",
            "é✓ 日本語のテキスト",
        ] {
            let pieces = split_tokens(text);
            assert_eq!(pieces.concat(), text);
            assert!(pieces.iter().all(|piece| !piece.is_empty()));
        }
    }

    #[test]
    fn echo_builds_exactly_the_event_or_names_the_field() {
        let event = echo("data=a%0Ab&event=e&id=7&retry=1500&comment=c").unwrap();
        assert_eq!(
            &event.encode()[..],
            b": c\nid: 7\nevent: e\nretry: 1500\ndata: a\ndata: b\n\n"
        );
        assert_eq!(echo("event=a%0Ab").unwrap_err().field, "event");
        assert_eq!(echo("id=a%00").unwrap_err().field, "id");
        assert_eq!(echo("retry=12s").unwrap_err().field, "retry");
        assert_eq!(echo("data=x+y").unwrap().data(), "x y");
    }
}
