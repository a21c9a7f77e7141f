//! [`EventId`]: what an id the hub assigns encodes, and how it is written and read.

use std::fmt;
use std::hash::{BuildHasher, Hasher};

/// The id the hub gives an event: `<epoch>-<sequence>`, such as `5f3a9c2e-1042`.
///
/// The sequence number counts every event published to the hub, across all topics, so a
/// subscription to several topics resumes from one id. The epoch (8 hex digits) is drawn at
/// random when a hub starts, so an id from an earlier run of the process, or from another
/// hub, is recognised as foreign rather than applied to the wrong events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId {
    epoch: u32,
    seq: u64,
}

impl EventId {
    /// The id `seq` of `epoch` (for backends, which assign ids).
    pub fn new(epoch: u32, seq: u64) -> Self {
        EventId { epoch, seq }
    }

    /// The hub's epoch.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The sequence number within the epoch (the first event is 1).
    pub fn sequence(&self) -> u64 {
        self.seq
    }

    /// Parses an id in the hub's format; `None` if it is not one.
    pub fn parse(text: &str) -> Option<EventId> {
        let (epoch, seq) = text.trim().split_once('-')?;
        if epoch.len() != 8 || seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(EventId {
            epoch: u32::from_str_radix(epoch, 16).ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}-{}", self.epoch, self.seq)
    }
}

/// Writes `id` into `buf` without allocating, for the encoder.
pub(crate) fn format_id(buf: &mut [u8; crate::encode::MAX_ID_LINE], id: EventId) -> &[u8] {
    use std::io::Write;
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    // invariant: 8 hex digits, '-', and at most 20 decimal digits (29 bytes) fit.
    let _ = write!(cursor, "{id}");
    let len = cursor.position() as usize;
    &buf[..len]
}

/// A fresh epoch from the standard library's randomly seeded hasher (no extra dependency).
pub(crate) fn random_epoch() -> u32 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.finish() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let id = EventId::new(0x5f3a9c2e, 1042);
        assert_eq!(id.to_string(), "5f3a9c2e-1042");
        assert_eq!(EventId::parse("5f3a9c2e-1042"), Some(id));
        assert_eq!(
            EventId::parse(&EventId::new(1, 0).to_string()),
            Some(EventId::new(1, 0))
        );
    }

    #[test]
    fn format_id_writes_the_display_form() {
        let mut buf = [0u8; crate::encode::MAX_ID_LINE];
        let id = EventId::new(u32::MAX, u64::MAX);
        assert_eq!(format_id(&mut buf, id), id.to_string().as_bytes());
    }

    #[test]
    fn foreign_ids_do_not_parse() {
        for bad in [
            "",
            "42",
            "abc-1",
            "5f3a9c2e-",
            "5f3a9c2e-x",
            "zzzzzzzz-1",
            "5f3a9c2e-99999999999999999999999",
            "5f3a9c2e--1",
        ] {
            assert_eq!(EventId::parse(bad), None, "{bad}");
        }
    }
}
