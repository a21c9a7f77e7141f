//! [`Subscription`]: a subscriber's cursors into its topics' rings, as a `Stream`.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};

use futures_core::Stream;

use super::backend::{Backend, BoxFuture, HISTORY_PAGE, History};
use super::locks::{lock, read};
use super::metrics::{Deliveries, EndReason};
use super::notice::{MissedReason, log_missed, missed_frame};
use super::topic::TopicState;
use super::{EventId, HubError, LagPolicy, ResumePoint, Shared, TopicName};
use crate::Frame;

/// A live subscription to one or more topics of a [`Hub`](super::Hub): a `Stream` of
/// encoded events, in publish order, ready for [`SseStream`](crate::SseStream).
///
/// It first yields a `missed` event if resuming could not be exact, then every event after
/// the resume point (or, without one, every event published after it was created), then
/// live events as they are published. It ends when the hub shuts down (after the final
/// event, if one was given), or when it falls behind the history under
/// [`LagPolicy::Close`]. Dropping it unsubscribes at once.
#[must_use = "streams do nothing unless polled"]
pub struct Subscription {
    shared: Arc<Shared>,
    topics: Vec<Cursor>,
    /// A notice to send before anything else (a `missed` event).
    notice: Option<Frame>,
    done: bool,
    /// The hub's disconnect generation when this subscription began.
    generation: u64,
    /// Set by a [`DisconnectHandle`] to end this subscription alone.
    stop: Arc<StopFlag>,
    /// History older than the local rings, fetched from the hub's backend.
    backfill: Option<Backfill>,
    /// The hub's epoch generation when this subscription began or last started over.
    epoch_generation: u64,
    /// The newest sequence number when it began: events up to it are replays.
    replay_through: u64,
    /// Deliveries not yet added to the hub's metrics (a no-op without feature `metrics`).
    deliveries: Deliveries,
    /// Why it ended, once it has.
    ended: Option<EndReason>,
}

/// A subscription's history from the backend, older than its rings: read page by page
/// ([`Backend::history_page`]), a topic's next page only once the subscriber has taken the
/// last one, and delivered in sequence order among the rings' events. So a subscriber that
/// does not read holds at most one page per topic, not the whole history. It holds one of
/// the hub's [`max_history_reads`](super::HubBuilder::max_history_reads) slots while it
/// lasts, and its pages' bytes count in [`HubStats::backfill_bytes`](super::HubStats).
pub(super) struct Backfill {
    shared: Arc<Shared>,
    backend: Arc<dyn Backend>,
    epoch: u32,
    topics: Vec<Pages>,
    /// The page being read: the index of its topic, and the read.
    fetching: Option<(usize, BoxFuture<'static, Result<History, HubError>>)>,
    /// Bytes of frames in the topics' queues.
    held: usize,
    /// Topics found to have lost history, and topics the backend could not read, not yet
    /// announced.
    expired: Vec<TopicName>,
    unavailable: Vec<TopicName>,
    /// Events fetched so far, for the log.
    fetched: usize,
}

/// One topic's part of a [`Backfill`].
struct Pages {
    name: TopicName,
    /// The sequence number read through so far.
    after: u64,
    /// The last one to read (where the topic's ring begins).
    through: u64,
    /// Fetched and not yet taken, oldest first.
    queue: VecDeque<(u64, Frame)>,
    /// Read to its end (or the backend failed).
    done: bool,
    /// Already announced as `expired`.
    expired: bool,
}

impl Backfill {
    /// The history of each of `short`'s topics after `after` through where its ring begins,
    /// in `epoch`; taking one of the hub's history-read slots, or
    /// [`HubError::HistoryBusy`] if none is free.
    pub(super) fn new(
        shared: Arc<Shared>,
        backend: Arc<dyn Backend>,
        epoch: u32,
        after: u64,
        short: Vec<(TopicName, u64)>,
    ) -> Result<Backfill, HubError> {
        let max = shared.config.max_history_reads;
        let reads = &shared.stats.history_reads;
        reads
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now < max).then_some(now + 1)
            })
            .map_err(|_| HubError::HistoryBusy { max })?;
        let topics = short
            .into_iter()
            .map(|(name, through)| Pages {
                name,
                after,
                through,
                queue: VecDeque::new(),
                done: through <= after,
                expired: false,
            })
            .collect();
        Ok(Backfill {
            shared,
            backend,
            epoch,
            topics,
            fetching: None,
            held: 0,
            expired: Vec::new(),
            unavailable: Vec::new(),
            fetched: 0,
        })
    }

    /// Reads pages until every topic not read to its end has an event waiting, so that the
    /// oldest waiting event is the oldest of all that remain. Then the `missed` notices of
    /// what could not be read, if any.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Vec<(MissedReason, Frame)>> {
        loop {
            if let Some((index, fetch)) = &mut self.fetching {
                let index = *index;
                let result = std::task::ready!(fetch.as_mut().poll(cx));
                self.fetching = None;
                self.take_page(index, result);
            }
            let Some(index) = self
                .topics
                .iter()
                .position(|pages| !pages.done && pages.queue.is_empty())
            else {
                break;
            };
            self.fetching = Some((index, self.fetch(index)));
        }
        let mut notices = Vec::new();
        for (reason, topics) in [
            (MissedReason::Expired, std::mem::take(&mut self.expired)),
            (
                MissedReason::Unavailable,
                std::mem::take(&mut self.unavailable),
            ),
        ] {
            if !topics.is_empty() {
                let names = topics.iter().map(|name| name.as_str());
                log_missed(reason, names.clone());
                notices.push((reason, missed_frame(reason, names)));
            }
        }
        Poll::Ready(notices)
    }

    /// The read of topic `index`'s next page: [`HISTORY_PAGE`] events, or one while the
    /// hub holds more than its budget (rings and history pages together).
    fn fetch(&self, index: usize) -> BoxFuture<'static, Result<History, HubError>> {
        let pages = &self.topics[index];
        let held = self.shared.stats.backfill_bytes.load(Ordering::Acquire);
        let over = lock(&self.shared.state).buffered + held >= self.shared.config.history_budget;
        let limit = if over { 1 } else { HISTORY_PAGE };
        let (backend, name, epoch) = (self.backend.clone(), pages.name.clone(), self.epoch);
        let (after, through) = (pages.after, pages.through);
        Box::pin(async move {
            backend
                .history_page(&name, epoch, after, through, limit)
                .await
        })
    }

    /// Takes a page read for topic `index` into its queue.
    fn take_page(&mut self, index: usize, result: Result<History, HubError>) {
        let pages = &mut self.topics[index];
        let history = match result {
            Ok(history) => history,
            Err(error) => {
                crate::trace::warning!(%error, topic = pages.name.as_str(), "could not read history from the backend");
                pages.done = true;
                self.unavailable.push(pages.name.clone());
                return;
            }
        };
        if !history.complete && !pages.expired {
            pages.expired = true;
            self.expired.push(pages.name.clone());
        }
        let (after, through) = (pages.after, pages.through);
        let mut bytes = 0;
        for (seq, body) in history.events {
            // In range, and after what the queue holds: in order, once each.
            let last = pages.queue.back().map_or(after, |(last, _)| *last);
            if seq > last && seq <= through {
                let frame = super::with_id(&body, EventId::new(self.epoch, seq));
                bytes += frame.as_bytes().len();
                pages.queue.push_back((seq, frame));
                self.fetched += 1;
            }
        }
        match history.more_after {
            // A page that does not move on would be read again and again: stop there.
            Some(next) if next > after && next < through => pages.after = next,
            _ => {
                pages.after = through;
                pages.done = true;
            }
        }
        self.held += bytes;
        self.shared
            .stats
            .backfill_bytes
            .fetch_add(bytes, Ordering::AcqRel);
    }

    /// The sequence number of the oldest event waiting.
    fn front(&self) -> Option<u64> {
        self.topics
            .iter()
            .filter_map(|pages| pages.queue.front().map(|(seq, _)| *seq))
            .min()
    }

    /// Takes the oldest event waiting.
    fn pop(&mut self) -> Option<Frame> {
        let pages = self
            .topics
            .iter_mut()
            .filter(|pages| !pages.queue.is_empty())
            .min_by_key(|pages| pages.queue.front().map(|(seq, _)| *seq))?;
        let (_, frame) = pages.queue.pop_front()?;
        let bytes = frame.as_bytes().len();
        self.held -= bytes;
        self.shared
            .stats
            .backfill_bytes
            .fetch_sub(bytes, Ordering::AcqRel);
        Some(frame)
    }

    /// Every page read and every event taken.
    fn finished(&self) -> bool {
        self.fetching.is_none()
            && self
                .topics
                .iter()
                .all(|pages| pages.done && pages.queue.is_empty())
    }
}

impl Drop for Backfill {
    fn drop(&mut self) {
        let stats = &self.shared.stats;
        stats.backfill_bytes.fetch_sub(self.held, Ordering::AcqRel);
        stats.history_reads.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Whether one subscription was told to end, and the waker to tell it with.
#[derive(Default)]
struct StopFlag {
    stopped: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

/// Ends one [`Subscription`] at an event boundary, from anywhere: to log a user out, say.
/// The client reconnects (with `Last-Event-ID`, missing nothing still in the history) unless
/// the app refuses it then. Holding a handle keeps nothing alive: once the subscription has
/// ended, [`disconnect`](Self::disconnect) does nothing.
///
/// ```
/// use sse_core::Hub;
/// use futures_util::StreamExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), sse_core::HubError> {
/// let hub = Hub::new();
/// let mut subscription = hub.subscribe(["inbox:ada"], None)?;
/// let handle = subscription.disconnect_handle(); // keep it with the user's session
///
/// handle.disconnect(); // the user logged out
/// assert!(subscription.next().await.is_none());
/// assert_eq!(hub.stats().subscribers, 1, "ended, but not dropped yet");
/// drop(subscription);
/// assert!(!handle.is_connected());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct DisconnectHandle {
    stop: Weak<StopFlag>,
}

impl DisconnectHandle {
    /// Ends the subscription at its next event boundary.
    pub fn disconnect(&self) {
        if let Some(stop) = self.stop.upgrade() {
            stop.stopped.store(true, Ordering::Release);
            if let Some(waker) = lock(&stop.waker).take() {
                waker.wake();
            }
        }
    }

    /// Whether the subscription still exists (it may have ended and not been dropped yet).
    pub fn is_connected(&self) -> bool {
        self.stop.strong_count() > 0
    }
}

impl std::fmt::Debug for StopFlag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StopFlag")
            .field("stopped", &self.stopped.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Where one subscriber stands in one topic.
struct Cursor {
    topic: Arc<TopicState>,
    /// This subscriber's slot in the topic's waiter list.
    key: usize,
    /// The sequence number of the last event taken from this topic (or the resume point).
    seq: u64,
    /// Where the next event probably is in the ring (an absolute index; a hint only).
    next: u64,
}

impl Cursor {
    /// Takes a waiter slot in `topic` and starts after `start`, or at the oldest event kept
    /// if the ring begins later (the caller has checked that nothing needed was evicted, or
    /// announced it).
    fn new(topic: Arc<TopicState>, start: u64) -> Cursor {
        let key = lock(&topic.waiters).insert(None);
        let ring = read(&topic.ring);
        let seq = start.max(ring.evicted_through);
        let next = ring.absolute(ring.position_after(seq, 0));
        drop(ring);
        Cursor {
            topic,
            key,
            seq,
            next,
        }
    }
}

enum Step {
    Frame(Frame),
    Lagged,
    Idle,
}

impl Subscription {
    /// Subscribes to `topics` from after sequence number `start`, with an optional notice to
    /// send first; `head` is the newest sequence number now. Called by the hub with its
    /// state locked, so no publish slips in between choosing `start` and taking the
    /// cursors; the hub has counted the subscriber.
    pub(super) fn new(
        shared: Arc<Shared>,
        topics: Vec<Arc<TopicState>>,
        point: ResumePoint,
        head: u64,
    ) -> Subscription {
        let topics = topics
            .into_iter()
            .map(|topic| Cursor::new(topic, point.start))
            .collect();
        Subscription {
            generation: shared.generation.load(Ordering::Acquire),
            epoch_generation: shared.epoch_generation.load(Ordering::Acquire),
            shared,
            topics,
            notice: point.notice,
            done: false,
            stop: Arc::default(),
            backfill: point.backfill,
            replay_through: head,
            deliveries: Deliveries::new(),
            ended: None,
        }
    }

    /// The backend lost its data: start over at the new epoch's first event, and say so.
    fn start_over(&mut self) -> Frame {
        self.epoch_generation = self.shared.epoch_generation.load(Ordering::Acquire);
        self.backfill = None;
        self.replay_through = 0;
        for cursor in &mut self.topics {
            cursor.seq = 0;
            cursor.next = 0;
        }
        self.shared.stats.missed(MissedReason::Reset);
        log_missed(MissedReason::Reset, self.topics());
        missed_frame(MissedReason::Reset, self.topics())
    }

    /// Reads the backend's history as far as the next event needs, if there is any left;
    /// `Ready` once nothing is being read.
    fn poll_backfill(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(backfill) = &mut self.backfill else {
            return Poll::Ready(());
        };
        let notices = std::task::ready!(backfill.poll(cx));
        if backfill.finished() {
            crate::trace::debug!(
                topics = ?self.topics().collect::<Vec<_>>(),
                replayed = self.backfill.as_ref().map_or(0, |backfill| backfill.fetched),
                "read history older than the local one from the backend"
            );
            self.backfill = None;
        }
        // Several notices are rare (some topics trimmed, others unreadable): one frame.
        if !notices.is_empty() {
            let mut all = bytes::BytesMut::new();
            if let Some(earlier) = self.notice.take() {
                all.extend_from_slice(earlier.as_bytes());
            }
            for (reason, notice) in notices {
                self.shared.stats.missed(reason);
                all.extend_from_slice(notice.as_bytes());
            }
            self.notice = Some(Frame::from_bytes(all.freeze()));
        }
        Poll::Ready(())
    }

    /// The topics subscribed to.
    pub fn topics(&self) -> impl Iterator<Item = &str> {
        self.topics.iter().map(|cursor| cursor.topic.name.as_str())
    }

    /// The next event that is fully published, in hub-wide order, or why there is none.
    fn step(&mut self) -> Step {
        // Every event up to `committed` is in its ring, so taking the smallest sequence
        // number across topics, bounded by it, yields hub-wide publish order.
        let committed = self.shared.committed.load(Ordering::Acquire);
        let mut best: Option<(usize, u64, u64, Frame)> = None;
        for (index, cursor) in self.topics.iter().enumerate() {
            let ring = read(&cursor.topic.ring);
            if ring.evicted_through > cursor.seq {
                return Step::Lagged;
            }
            let position = ring.position_after(cursor.seq, cursor.next);
            if let Some(entry) = ring.entries.get(position) {
                let better = best.as_ref().is_none_or(|(_, seq, _, _)| entry.seq < *seq);
                if entry.seq <= committed && better {
                    let next = ring.absolute(position) + 1;
                    best = Some((index, entry.seq, next, entry.frame.clone()));
                }
            }
        }
        if let Some(backfill) = &mut self.backfill {
            if backfill.front().is_some_and(|seq| {
                best.as_ref()
                    .is_none_or(|(_, ring_seq, _, _)| seq < *ring_seq)
            }) {
                if let Some(frame) = backfill.pop() {
                    // Backend history is always older than the subscription.
                    self.delivered(true);
                    return Step::Frame(frame);
                }
            }
        }
        match best {
            Some((index, seq, next, frame)) => {
                self.topics[index].seq = seq;
                self.topics[index].next = next;
                self.delivered(seq <= self.replay_through);
                Step::Frame(frame)
            }
            None => Step::Idle,
        }
    }

    /// Counts one event handed over: in the hub's stats now, in its metrics per batch.
    #[inline]
    fn delivered(&mut self, replayed: bool) {
        self.shared.stats.delivered(replayed);
        self.deliveries.add(replayed);
    }

    fn on_lag(&mut self) -> Option<Frame> {
        self.shared.stats.lagged();
        let policy = self.shared.config.lag_policy;
        if crate::trace::enabled!(INFO) {
            let topics: Vec<&str> = self.topics().collect();
            crate::trace::info!(?topics, ?policy, "subscriber lagged behind the history");
        }
        match policy {
            LagPolicy::Close => {
                self.end(EndReason::Lagged);
                None
            }
            LagPolicy::Skip => {
                let mut lost = Vec::new();
                for cursor in &mut self.topics {
                    let evicted = read(&cursor.topic.ring).evicted_through;
                    if evicted > cursor.seq {
                        cursor.seq = evicted;
                        lost.push(cursor.topic.name.clone());
                    }
                }
                let lost = lost.iter().map(|name| name.as_str());
                self.shared.stats.missed(MissedReason::Lagged);
                log_missed(MissedReason::Lagged, lost.clone());
                Some(missed_frame(MissedReason::Lagged, lost))
            }
        }
    }

    /// A handle that ends this subscription alone; see [`DisconnectHandle`].
    pub fn disconnect_handle(&self) -> DisconnectHandle {
        DisconnectHandle {
            stop: Arc::downgrade(&self.stop),
        }
    }

    /// Ended by [`Hub::disconnect_all`](super::Hub::disconnect_all) or by its
    /// [`DisconnectHandle`].
    fn disconnected(&self) -> bool {
        self.shared.generation.load(Ordering::Acquire) != self.generation
            || self.stop.stopped.load(Ordering::Acquire)
    }

    fn closed(&mut self) -> Option<Frame> {
        self.end(EndReason::Shutdown);
        self.shared.final_frame.get().cloned().flatten()
    }

    /// Ends the stream, for `reason`.
    fn end(&mut self, reason: EndReason) {
        self.done = true;
        self.ended = Some(reason);
    }

    fn register(&self, waker: &Waker) {
        {
            let mut slot = lock(&self.stop.waker);
            if !slot.as_ref().is_some_and(|old| old.will_wake(waker)) {
                *slot = Some(waker.clone());
            }
        }
        for cursor in &self.topics {
            let mut waiters = lock(&cursor.topic.waiters);
            if let Some(slot) = waiters.get_mut(cursor.key) {
                if !slot.as_ref().is_some_and(|old| old.will_wake(waker)) {
                    *slot = Some(waker.clone());
                }
            }
        }
    }
}

impl Stream for Subscription {
    type Item = Frame;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Frame>> {
        let this = self.get_mut();
        let poll = this.poll_frame(cx);
        if !matches!(poll, Poll::Ready(Some(_))) {
            // Everything ready was taken (or it ended): the batch is done, count it.
            this.deliveries.flush(&this.shared.stats.metrics);
        }
        poll
    }
}

impl Subscription {
    /// The next frame: [`Stream::poll_next`] without the metrics' batching.
    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<Frame>> {
        let this = self;
        if this.done {
            return Poll::Ready(None);
        }
        if this.shared.closed.load(Ordering::Acquire) {
            return Poll::Ready(this.closed());
        }
        if this.disconnected() {
            this.end(EndReason::Disconnected);
            return Poll::Ready(None);
        }
        if this.shared.epoch_generation.load(Ordering::Acquire) != this.epoch_generation {
            return Poll::Ready(Some(this.start_over()));
        }
        if this.poll_backfill(cx).is_pending() {
            // Shutdown and disconnects wake the rings' waiters: be one meanwhile.
            this.register(cx.waker());
            return Poll::Pending;
        }
        if let Some(notice) = this.notice.take() {
            return Poll::Ready(Some(notice));
        }
        for attempt in 0..2 {
            match this.step() {
                Step::Frame(frame) => return Poll::Ready(Some(frame)),
                Step::Lagged => return Poll::Ready(this.on_lag()),
                Step::Idle if attempt == 0 => {
                    // Register, then look again: an event published in between is seen
                    // by the second look, one published after it wakes us.
                    this.register(cx.waker());
                    if this.shared.closed.load(Ordering::Acquire) {
                        return Poll::Ready(this.closed());
                    }
                    if this.disconnected() {
                        this.end(EndReason::Disconnected);
                        return Poll::Ready(None);
                    }
                }
                Step::Idle => {}
            }
        }
        Poll::Pending
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut left_alone = Vec::new();
        for cursor in &self.topics {
            let mut waiters = lock(&cursor.topic.waiters);
            waiters.try_remove(cursor.key);
            if waiters.is_empty() {
                left_alone.push(cursor.topic.clone());
            }
        }
        if !left_alone.is_empty() {
            self.shared.forget_unused(&left_alone);
        }
        self.deliveries.flush(&self.shared.stats.metrics);
        let reason = self.ended.unwrap_or(EndReason::Client);
        self.shared.stats.left(reason);
        if crate::trace::enabled!(DEBUG) {
            let topics: Vec<&str> = self.topics().collect();
            crate::trace::debug!(?topics, reason = reason.as_str(), "subscriber left");
        }
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("topics", &self.topics().collect::<Vec<_>>())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
