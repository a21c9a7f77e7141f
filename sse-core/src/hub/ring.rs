//! A topic's [`Ring`]: its history, which is also its fan-out buffer.
//!
//! Subscribers are cursors into it (a sequence number, plus a hint of where the next event
//! probably is). Pushing evicts the oldest events while over either bound, so memory per
//! topic is bounded by configuration, never by how slow a subscriber is.

use std::collections::VecDeque;

use crate::Frame;

/// One entry: the hub-wide sequence number and the encoded event.
pub(crate) struct Entry {
    pub(crate) seq: u64,
    pub(crate) frame: Frame,
}

/// A topic's history. See the [module docs](self).
#[derive(Default)]
pub(crate) struct Ring {
    pub(crate) entries: VecDeque<Entry>,
    pub(crate) bytes: usize,
    /// The highest sequence number pushed out of the ring (0 when none).
    pub(crate) evicted_through: u64,
    /// How many entries were ever pushed: `pushed - entries.len()` is the absolute index
    /// of `entries[0]`.
    pub(crate) pushed: u64,
}

impl Ring {
    /// Appends an event, evicting the oldest while over either bound (one event always
    /// stays). Returns the bytes held before and after.
    pub(crate) fn push(
        &mut self,
        seq: u64,
        frame: Frame,
        max_events: usize,
        max_bytes: usize,
    ) -> (usize, usize) {
        let before = self.bytes;
        self.bytes += frame.len();
        self.entries.push_back(Entry { seq, frame });
        self.pushed += 1;
        while self.entries.len() > 1 && (self.entries.len() > max_events || self.bytes > max_bytes)
        {
            if let Some(old) = self.entries.pop_front() {
                self.bytes -= old.frame.len();
                self.evicted_through = old.seq;
            }
        }
        (before, self.bytes)
    }

    /// Evicts the oldest events until at most `max_bytes` are held (one event always
    /// stays); returns the bytes freed.
    pub(crate) fn shrink_to(&mut self, max_bytes: usize) -> usize {
        let before = self.bytes;
        while self.entries.len() > 1 && self.bytes > max_bytes {
            if let Some(old) = self.entries.pop_front() {
                self.bytes -= old.frame.len();
                self.evicted_through = old.seq;
            }
        }
        before - self.bytes
    }

    /// Index of the first entry after `cursor`. `hint` is where the subscriber expects it,
    /// as an absolute index ([`absolute`](Self::absolute)); a right guess, the usual case,
    /// skips the binary search.
    pub(crate) fn position_after(&self, cursor: u64, hint: u64) -> usize {
        let front = self.pushed - self.entries.len() as u64;
        if let Some(index) = hint
            .checked_sub(front)
            .and_then(|index| usize::try_from(index).ok())
        {
            let after_cursor = |i: usize| self.entries.get(i).is_none_or(|e| e.seq > cursor);
            let before = index
                .checked_sub(1)
                .is_none_or(|prev| self.entries.get(prev).is_some_and(|e| e.seq <= cursor));
            if index <= self.entries.len() && before && after_cursor(index) {
                return index;
            }
        }
        self.entries.partition_point(|entry| entry.seq <= cursor)
    }

    /// The absolute index of `entries[index]`.
    pub(crate) fn absolute(&self, index: usize) -> u64 {
        self.pushed - self.entries.len() as u64 + index as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(seqs: impl IntoIterator<Item = u64>, max_events: usize) -> Ring {
        let mut ring = Ring::default();
        for seq in seqs {
            ring.push(seq, crate::Event::new("x").encode(), max_events, usize::MAX);
        }
        ring
    }

    #[test]
    fn push_evicts_the_oldest_and_remembers_how_far() {
        let ring = ring([2, 5, 7, 9], 3);
        assert_eq!(
            ring.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [5, 7, 9]
        );
        assert_eq!((ring.evicted_through, ring.pushed), (2, 4));
    }

    #[test]
    fn position_after_with_right_and_wrong_hints() {
        let ring = ring([2, 5, 7, 9], 3);
        // entries[0] (seq 5) has absolute index 1.
        assert_eq!(ring.position_after(5, ring.absolute(1)), 1);
        for wrong_hint in [0, 2, 3, 99] {
            assert_eq!(ring.position_after(5, wrong_hint), 1);
        }
        assert_eq!(ring.position_after(9, 0), 3);
        assert_eq!(ring.position_after(0, 0), 0);
    }
}
