//! The demos' log lines on stderr: what the libraries say through `tracing` at *warn* and
//! above, and at *info* from `sse_redis` (Redis lost, and back; a new epoch), so that an
//! operator sees a lost Redis. One line per event: level, target, message, fields. Never
//! event data: the libraries do not log it.

use std::fmt::Write as _;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Level, Metadata, Subscriber};

/// Installs the demos' log output as the process's `tracing` subscriber (once; later calls,
/// or an app that installed its own, keep the one there is).
pub fn install() {
    let _ = tracing::subscriber::set_global_default(Stderr);
}

/// Writes each enabled event as a line to stderr (see the [module docs](self)).
struct Stderr;

/// Whether events of `metadata` are written.
fn wanted(metadata: &Metadata<'_>) -> bool {
    let level = *metadata.level();
    level <= Level::WARN || (level <= Level::INFO && metadata.target().starts_with("sse_redis"))
}

/// The message first, then the other fields as `name=value`.
#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

impl Subscriber for Stderr {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        wanted(metadata)
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::INFO)
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = Line::default();
        event.record(&mut line);
        let metadata = event.metadata();
        crate::shutdown::log(&format!(
            "{} {}: {}{}",
            metadata.level(),
            metadata.target(),
            line.message,
            line.fields
        ));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}
