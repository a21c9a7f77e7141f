//! Finite streams that a reconnecting browser does not replay: events numbered `1..=N`,
//! resumed after the client's `Last-Event-ID`, and `204 No Content` once it has them all.
//!
//! # What to know first
//!
//! - **A browser's `EventSource` reconnects whenever a stream ends**, a finite one too, and
//!   would receive it again from the start, forever. The way out: number the events, resume
//!   after the one the client last saw, and once it has seen the last one answer
//!   `204 No Content`. Any answer but a 200 event stream makes `EventSource` stop
//!   reconnecting for good (the WHATWG spec fails the connection on every other status;
//!   Chromium alike on 204, 404, 429, 500, 502, 503), and 204 is the one that says "nothing
//!   more" rather than an error; a new stream would make it start over. (So an error that
//!   should let the browser come back is answered as a stream instead: see
//!   [`http::error`](crate::http::error).)
//! - **Events are numbered `1..=N` here; any id they had is replaced.** The event numbered
//!   `k` has the id `k`.
//! - **How a `Last-Event-ID` is read:** decimal ASCII digits `k` mean "the client has events
//!   `1..=k`": the stream resumes with event `k + 1`, and when `k >= N` (too large for a
//!   `usize` included) there is nothing left to send: [`Finite::resume`] and
//!   [`Resume::after`] return `None`, answer 204. Anything else starts from the beginning,
//!   as does no id at all: `0`, a sign, a space, a hub id such as `5f3a9c2e-1042`. An empty
//!   stream (`N = 0`) is always `None`.
//! - **Resuming assumes the same request yields the same events in the same order** (a
//!   fixed text, a deterministic job). For live data that changes between connections use a
//!   [`Hub`](crate::Hub), whose ids are its own.
//! - **[`paced`](Finite::paced)** sends the first event at once, then one every period; a
//!   consumer that falls behind delays the rest rather than receiving a burst. The stream
//!   ends right after the last event.
//!
//! # A fixed list (`/words`), or tokens then `done` (`/tokens`)
//!
//! ```
//! use std::time::Duration;
//! use sse_core::{Event, Finite, LastEventId, SseStream};
//!
//! // In an axum handler:
//! //
//! //     match Finite::resume(last_event_id.as_ref(), words) {
//! //         Some(events) => Sse::new(events.paced(Duration::from_secs(1))).into_response(),
//! //         None => StatusCode::NO_CONTENT.into_response(),
//! //     }
//!
//! /// `GET /words`, one word a second. `None`: answer `204 No Content`.
//! fn words(last_event_id: Option<&LastEventId>) -> Option<SseStream<Finite>> {
//!     let words = "Server-sent events resume".split(' ').map(Event::new);
//!     let events = Finite::resume(last_event_id, words)?;
//!     Some(SseStream::new(events.paced(Duration::from_secs(1))))
//! }
//!
//! /// `GET /tokens`: the tokens, then a `done` event, numbered together.
//! fn tokens(
//!     tokens: &[&str],
//!     last_event_id: Option<&LastEventId>,
//! ) -> Result<Option<Finite>, sse_core::EventError> {
//!     let mut events = tokens
//!         .iter()
//!         .map(|token| Event::new(*token).event("token"))
//!         .collect::<Result<Vec<_>, _>>()?;
//!     events.push(Event::new(format!("{{\"tokens\":{}}}", tokens.len())).event("done")?);
//!     Ok(Finite::resume(last_event_id, events))
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let seen = |id: &str| LastEventId::parse(id).unwrap();
//! assert!(words(None).is_some()); // from the start
//! assert!(words(seen("2").as_ref()).is_some()); // resumes with "resume", id 3
//! assert!(words(seen("3").as_ref()).is_none()); // saw them all: 204
//! assert!(tokens(&["Hi", " there"], seen("3").as_ref())?.is_none()); // saw `done`: 204
//! # Ok(())
//! # }
//! ```
//!
//! # A job that an emitter streams (`/job`)
//!
//! [`Resume::after`] says where to start without a list, so the job can start its loop
//! there, and [`Finite::numbered`] gives each event its number:
//!
//! ```
//! use sse_core::{Emitter, EmitterStream, Event, EventError, Finite, LastEventId, Resume};
//!
//! const STEPS: usize = 5;
//!
//! /// Steps `1..=STEPS`, then `done` as event `STEPS + 1`. `None`: answer 204.
//! fn job(last_event_id: Option<&LastEventId>) -> Result<Option<EmitterStream>, EventError> {
//!     let Some(resume) = Resume::after(last_event_id, STEPS + 1) else {
//!         return Ok(None);
//!     };
//!     let done = Event::new("finished").event("done")?;
//!     let (emitter, events) = Emitter::channel();
//!     tokio::spawn(async move {
//!         for number in resume.remaining() {
//!             let event = if number <= STEPS {
//!                 Event::new(format!("step {number} of {STEPS}"))
//!             } else {
//!                 done.clone()
//!             };
//!             if emitter.send(Finite::numbered(number, event)).await.is_err() {
//!                 return; // the client left: stop working
//!             }
//!         }
//!         emitter.complete(None);
//!     });
//!     Ok(Some(events))
//! }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! # use futures_util::StreamExt;
//! # let seen = LastEventId::parse("4").unwrap();
//! # let frames: Vec<_> = job(seen.as_ref()).unwrap().unwrap().collect().await;
//! # assert_eq!(frames.len(), 2);
//! # assert_eq!(frames[1].as_bytes(), b"id: 6\nevent: done\ndata: finished\n\n");
//! # }
//! ```

use std::fmt;
use std::ops::RangeInclusive;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures_core::Stream;
use tokio::time::{Interval, MissedTickBehavior};

use crate::{Event, LastEventId, Text};

/// Where a finite stream of `total` numbered events resumes for one client.
///
/// ```
/// use sse_core::{LastEventId, Resume};
///
/// let seen = LastEventId::parse("2").unwrap();
/// let resume = Resume::after(seen.as_ref(), 5).unwrap();
/// assert_eq!(resume.start(), 2); // the client has events 1 and 2
/// assert_eq!(resume.remaining(), 3..=5); // the numbers (ids) left to send
///
/// assert_eq!(Resume::after(None, 5).unwrap().start(), 0);
/// let seen_all = LastEventId::parse("5").unwrap();
/// assert_eq!(Resume::after(seen_all.as_ref(), 5), None); // answer 204
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Resume {
    start: usize,
    total: usize,
}

impl Resume {
    /// Where to resume a stream of `total` events for a client that sent `last_event_id`;
    /// `None` when it has them all (answer `204 No Content`). See the
    /// [module docs](self) for how the id is read.
    pub fn after(last_event_id: Option<&LastEventId>, total: usize) -> Option<Resume> {
        let seen = seen(last_event_id);
        (seen < total).then_some(Resume { start: seen, total })
    }

    /// How many events the client already has: the index (from 0) of the first event to
    /// send, and the number of the last one it saw (0 for none).
    pub fn start(self) -> usize {
        self.start
    }

    /// How many events the whole stream has.
    pub fn total(self) -> usize {
        self.total
    }

    /// The numbers (the ids, from 1) of the events still to send, in order.
    pub fn remaining(self) -> RangeInclusive<usize> {
        self.start + 1..=self.total
    }
}

/// How many events a client that sent `last_event_id` has: its decimal value, saturated;
/// 0 for anything that is not ASCII digits.
fn seen(last_event_id: Option<&LastEventId>) -> usize {
    let Some(id) = last_event_id else { return 0 };
    let digits = id.as_str();
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return 0;
    }
    // Only ASCII digits: parsing fails only on overflow, which is past any end.
    digits.parse().unwrap_or(usize::MAX)
}

/// The rest of a finite stream of numbered events, optionally paced. See the
/// [module docs](self).
///
/// Yields [`Event`]s, so it goes into [`SseStream::new`](crate::SseStream::new) or an
/// adapter's `Sse::new` as it is.
#[must_use = "streams do nothing unless polled"]
pub struct Finite {
    events: std::vec::IntoIter<Event>,
    next_number: usize,
    resume: Resume,
    pace: Pace,
}

enum Pace {
    Off,
    /// Not polled yet: the interval starts at the first poll.
    Every(Duration),
    Ticking(Interval),
}

impl Finite {
    /// Numbers `events` `1..=N` and resumes after the client's `last_event_id`; `None` when
    /// it has them all (answer `204 No Content`), or when there are none.
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// use sse_core::{Event, Finite, LastEventId};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let seen = LastEventId::parse("1").unwrap();
    /// let rest = Finite::resume(seen.as_ref(), ["a", "b", "c"].map(Event::new)).unwrap();
    /// let ids: Vec<String> = rest.map(|event| event.id_str().unwrap().to_owned()).collect().await;
    /// assert_eq!(ids, ["2", "3"]);
    /// # }
    /// ```
    pub fn resume<I>(last_event_id: Option<&LastEventId>, events: I) -> Option<Finite>
    where
        I: IntoIterator<Item = Event>,
    {
        let mut events: Vec<Event> = events.into_iter().collect();
        let resume = Resume::after(last_event_id, events.len())?;
        events.drain(..resume.start);
        Some(Finite {
            events: events.into_iter(),
            next_number: resume.start + 1,
            resume,
            pace: Pace::Off,
        })
    }

    /// Sends the first event at once, then one every `period` (a zero period: no pacing).
    ///
    /// The clock starts at the first poll. A consumer that falls behind delays the events
    /// that follow, rather than receiving them in a burst. Pacing uses tokio's timer: poll the
    /// stream inside a tokio runtime (outside one, it is not paced, and says so in a
    /// `tracing` warning).
    pub fn paced(mut self, period: Duration) -> Finite {
        self.pace = if period.is_zero() {
            Pace::Off
        } else {
            Pace::Every(period)
        };
        self
    }

    /// Where this stream resumed.
    pub fn resumed_at(&self) -> Resume {
        self.resume
    }

    /// `event` with the id `number`, replacing any id it had: an event of a numbered stream
    /// that is sent some other way, such as through an [`Emitter`](crate::Emitter).
    ///
    /// ```
    /// use sse_core::{Event, Finite};
    /// let event = Finite::numbered(7, Event::new("x").id("old").unwrap());
    /// assert_eq!(event.id_str(), Some("7"));
    /// ```
    pub fn numbered(number: usize, mut event: Event) -> Event {
        let mut digits = itoa::Buffer::new();
        event.id = Some(Text::from(digits.format(number)));
        event
    }

    fn poll_pace(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Pace::Every(period) = self.pace {
            self.pace = if tokio::runtime::Handle::try_current().is_ok() {
                let mut interval = tokio::time::interval(period);
                interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
                Pace::Ticking(interval)
            } else {
                crate::trace::warning!(
                    "finite SSE stream not paced: it is not polled inside a tokio runtime"
                );
                Pace::Off
            };
        }
        match &mut self.pace {
            Pace::Ticking(interval) => interval.poll_tick(cx).map(drop),
            Pace::Off | Pace::Every(_) => Poll::Ready(()),
        }
    }
}

impl Stream for Finite {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let this = &mut *self;
        if this.events.len() == 0 {
            return Poll::Ready(None);
        }
        ready!(this.poll_pace(cx));
        let Some(event) = this.events.next() else {
            return Poll::Ready(None);
        };
        let number = this.next_number;
        this.next_number += 1;
        Poll::Ready(Some(Finite::numbered(number, event)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.events.size_hint()
    }
}

impl fmt::Debug for Finite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pace = match &self.pace {
            Pace::Off => None,
            Pace::Every(period) => Some(*period),
            Pace::Ticking(interval) => Some(interval.period()),
        };
        f.debug_struct("Finite")
            .field("resumed_at", &self.resume)
            .field("next_number", &self.next_number)
            .field("left", &self.events.len())
            .field("pace", &pace)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use futures_util::{FutureExt, StreamExt};
    use tokio::time::Instant;

    use super::*;

    fn id(text: &str) -> Option<LastEventId> {
        LastEventId::parse(text).unwrap()
    }

    fn words(list: &[&'static str]) -> Vec<Event> {
        list.iter()
            .map(|word| Event::new(Text::from_static(word)))
            .collect()
    }

    /// `(id, data)` of every event.
    async fn collect(stream: Finite) -> Vec<(String, String)> {
        stream
            .map(|event| {
                (
                    event.id_str().unwrap_or_default().to_owned(),
                    event.data().to_owned(),
                )
            })
            .collect()
            .await
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(id, data)| (id.to_string(), data.to_string()))
            .collect()
    }

    #[tokio::test]
    async fn without_an_id_every_event_is_sent_numbered_from_one() {
        let stream = Finite::resume(None, words(&["a", "b", "c"])).unwrap();
        assert_eq!(stream.resumed_at(), Resume { start: 0, total: 3 });
        assert_eq!(
            collect(stream).await,
            pairs(&[("1", "a"), ("2", "b"), ("3", "c")])
        );
    }

    #[tokio::test]
    async fn a_number_resumes_after_that_event() {
        let stream = Finite::resume(id("1").as_ref(), words(&["a", "b", "c"])).unwrap();
        assert_eq!(collect(stream).await, pairs(&[("2", "b"), ("3", "c")]));
        let stream = Finite::resume(id("2").as_ref(), words(&["a", "b", "c"])).unwrap();
        assert_eq!(collect(stream).await, pairs(&[("3", "c")]));
        // Leading zeros are still the number.
        let stream = Finite::resume(id("002").as_ref(), words(&["a", "b", "c"])).unwrap();
        assert_eq!(collect(stream).await, pairs(&[("3", "c")]));
    }

    #[test]
    fn the_end_or_beyond_means_no_content() {
        for seen in ["3", "4", "1000", "99999999999999999999999999999"] {
            assert!(
                Finite::resume(id(seen).as_ref(), words(&["a", "b", "c"])).is_none(),
                "{seen}"
            );
            assert_eq!(Resume::after(id(seen).as_ref(), 3), None, "{seen}");
        }
    }

    #[test]
    fn anything_but_digits_starts_from_the_beginning() {
        for other in [
            "0",
            "abc",
            "+1",
            "-1",
            " 2",
            "2 ",
            "1.5",
            "1e2",
            "٣",
            "5f3a9c2e-1042",
        ] {
            assert_eq!(
                Resume::after(id(other).as_ref(), 3),
                Some(Resume { start: 0, total: 3 }),
                "{other:?}"
            );
        }
    }

    #[test]
    fn an_empty_stream_is_always_no_content() {
        assert!(Finite::resume(None, Vec::new()).is_none());
        assert_eq!(Resume::after(None, 0), None);
        assert_eq!(Resume::after(id("0").as_ref(), 0), None);
    }

    #[tokio::test]
    async fn ids_given_by_the_caller_are_replaced() {
        let events = vec![
            Event::new("a").id("x").unwrap(),
            Event::new("b"),
            Event::new("c").id("").unwrap(),
        ];
        let stream = Finite::resume(None, events).unwrap();
        assert_eq!(
            collect(stream).await,
            pairs(&[("1", "a"), ("2", "b"), ("3", "c")])
        );
    }

    #[tokio::test]
    async fn tokens_then_done_resume_together() {
        let mut events = words(&["Hel", "lo"]);
        events.push(Event::new("{\"tokens\":2}").event("done").unwrap());
        // After the last token: only `done`, named and numbered.
        let stream = Finite::resume(id("2").as_ref(), events.clone()).unwrap();
        let rest: Vec<Event> = stream.collect().await;
        assert_eq!(rest.len(), 1);
        assert_eq!(
            &rest[0].encode()[..],
            b"id: 3\nevent: done\ndata: {\"tokens\":2}\n\n"
        );
        // After `done`: 204.
        assert!(Finite::resume(id("3").as_ref(), events).is_none());
    }

    #[test]
    fn resume_tells_a_job_where_to_start() {
        let resume = Resume::after(id("4").as_ref(), 6).unwrap();
        assert_eq!(resume.start(), 4);
        assert_eq!(resume.total(), 6);
        assert_eq!(resume.remaining().collect::<Vec<_>>(), [5, 6]);
        let fresh = Resume::after(None, 6).unwrap();
        assert_eq!(fresh.remaining(), 1..=6);
    }

    #[tokio::test(start_paused = true)]
    async fn paced_sends_the_first_event_at_once_then_one_per_period_and_ends_at_once() {
        let stream = Finite::resume(None, words(&["a", "b", "c"]))
            .unwrap()
            .paced(Duration::from_secs(1));
        let start = Instant::now();
        let mut times: Vec<(u128, String)> = stream
            .map(|event| (start.elapsed().as_millis(), event.data().to_owned()))
            .collect()
            .await;
        times.push((start.elapsed().as_millis(), "end".to_owned()));
        let want: Vec<(u128, String)> = [(0, "a"), (1000, "b"), (2000, "c"), (2000, "end")]
            .into_iter()
            .map(|(at, data)| (at, data.to_owned()))
            .collect();
        assert_eq!(times, want);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_consumer_delays_the_rest_instead_of_a_burst() {
        let mut stream = Finite::resume(None, words(&["a", "b", "c"]))
            .unwrap()
            .paced(Duration::from_secs(1));
        let start = Instant::now();
        assert_eq!(stream.next().await.unwrap().data(), "a");
        tokio::time::sleep(Duration::from_millis(3500)).await;
        // "b" was due long ago: at once; "c" a whole period later, not at once too.
        assert_eq!(stream.next().await.unwrap().data(), "b");
        assert_eq!(start.elapsed(), Duration::from_millis(3500));
        assert!(stream.next().now_or_never().is_none());
        assert_eq!(stream.next().await.unwrap().data(), "c");
        assert_eq!(start.elapsed(), Duration::from_millis(4500));
    }

    #[tokio::test(start_paused = true)]
    async fn the_clock_starts_at_the_first_poll_and_zero_means_unpaced() {
        let mut stream = Finite::resume(None, words(&["a", "b"]))
            .unwrap()
            .paced(Duration::from_secs(1));
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(stream.next().now_or_never().is_some());
        assert!(stream.next().now_or_never().is_none());

        let unpaced = Finite::resume(None, words(&["a", "b"]))
            .unwrap()
            .paced(Duration::ZERO);
        assert_eq!(unpaced.collect::<Vec<_>>().now_or_never().unwrap().len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn an_emitter_job_resumes_where_the_client_left_off() {
        use crate::Emitter;
        const STEPS: usize = 3;
        let resume = Resume::after(id("2").as_ref(), STEPS + 1).unwrap();
        let (emitter, events) = Emitter::channel();
        tokio::spawn(async move {
            for number in resume.remaining() {
                let event = if number <= STEPS {
                    Event::new(format!("step {number}"))
                } else {
                    Event::new("done")
                };
                if emitter.send(Finite::numbered(number, event)).await.is_err() {
                    return;
                }
            }
            emitter.complete(None);
        });
        let frames: Vec<_> = events.collect().await;
        let bytes: Vec<&[u8]> = frames.iter().map(|frame| frame.as_bytes()).collect();
        assert_eq!(
            bytes,
            [
                &b"id: 3\ndata: step 3\n\n"[..],
                &b"id: 4\ndata: done\n\n"[..]
            ]
        );
    }

    #[tokio::test]
    async fn sse_stream_writes_the_numbered_events() {
        let stream = Finite::resume(id("1").as_ref(), words(&["a", "b"])).unwrap();
        let bytes: Vec<bytes::Bytes> = crate::SseStream::new(stream).collect().await;
        assert_eq!(bytes.concat(), b"id: 2\ndata: b\n\n");
    }

    #[test]
    fn debug_shows_where_it_resumed() {
        let stream = Finite::resume(id("1").as_ref(), words(&["a", "b"]))
            .unwrap()
            .paced(Duration::from_secs(1));
        assert_eq!(
            format!("{stream:?}"),
            "Finite { resumed_at: Resume { start: 1, total: 2 }, next_number: 2, left: 1, \
             pace: Some(1s) }"
        );
    }
}
