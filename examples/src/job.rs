//! `GET /job?steps=N&interval_ms=M`: a background task that reports its progress through an
//! [`Emitter`] (Spring MVC's `SseEmitter` pattern), without a framework.
//!
//! The handler parses the query ([`JobParams`]), works out where a reconnecting client
//! resumes ([`Resume`]), and [`start`]s the task, which sends `event: progress` with
//! `{"step":i,"of":N}` and id `i` every `M` ms, then `event: done` with `{"steps":N}` and id
//! `N + 1`, then completes. The task stops as soon as the client leaves (or the hub shuts
//! down): it waits on [`Emitter::closed`] while it works and stops on a failed send.
//! [`Jobs`] counts the tasks running, for `/stats`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sse_core::{
    Emitter, EmitterStream, Event, EventError, Finite, Hub, HubError, KeepAlive, LastEventId,
    Resume,
};
use sse_endpoints::EndpointError;

use crate::scenarios::DemoError;

/// A job's steps and the time each takes, read from the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobParams {
    /// How many `progress` events the job sends (`steps`, 1 to [`MAX_STEPS`](Self::MAX_STEPS)).
    pub steps: usize,
    /// The time between two of them (`interval_ms`, at least
    /// [`MIN_INTERVAL`](Self::MIN_INTERVAL)).
    pub interval: Duration,
}

impl JobParams {
    /// `steps` when the query has none.
    pub const DEFAULT_STEPS: usize = 20;
    /// The most `steps` accepted.
    pub const MAX_STEPS: usize = 10_000;
    /// `interval_ms` when the query has none.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(250);
    /// The shortest `interval_ms` accepted.
    pub const MIN_INTERVAL: Duration = Duration::from_millis(10);

    /// Reads `steps` and `interval_ms` from a raw query string (other parameters are
    /// ignored). A value that is not decimal digits, or is out of range, is a 400 naming
    /// the parameter.
    pub fn from_query(query: &str) -> Result<JobParams, DemoError> {
        let mut params = JobParams {
            steps: Self::DEFAULT_STEPS,
            interval: Self::DEFAULT_INTERVAL,
        };
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match &*key {
                "steps" => {
                    params.steps = number(&value)
                        .and_then(|steps| usize::try_from(steps).ok())
                        .filter(|steps| (1..=Self::MAX_STEPS).contains(steps))
                        .ok_or_else(|| {
                            DemoError::new(
                                "steps",
                                format!(
                                    "steps must be a whole number from 1 to {}, not {value:?}",
                                    Self::MAX_STEPS
                                ),
                            )
                        })?;
                }
                "interval_ms" => {
                    params.interval = number(&value)
                        .map(Duration::from_millis)
                        .filter(|interval| *interval >= Self::MIN_INTERVAL)
                        .ok_or_else(|| {
                            DemoError::new(
                                "interval_ms",
                                format!(
                                    "interval_ms must be a whole number of milliseconds, at \
                                     least {}, not {value:?}",
                                    Self::MIN_INTERVAL.as_millis()
                                ),
                            )
                        })?;
                }
                _ => {}
            }
        }
        Ok(params)
    }
}

/// ASCII digits as a number; `None` for anything else (a sign, a space, an overflow).
fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The keep-alive of a job's stream: a comment after 2 s without an event, so a client that
/// left is noticed (and its job stopped) within about 2 s even when steps are slow.
pub fn keep_alive() -> KeepAlive {
    KeepAlive::new().interval(KEEP_ALIVE)
}

/// The idle time after which a job's stream sends a keep-alive comment.
pub const KEEP_ALIVE: Duration = Duration::from_secs(2);

/// How many events a job's emitter holds that its client has not read yet.
const CAPACITY: usize = 8;

/// The count of job tasks running; cheap to clone (every clone shares the count).
#[derive(Debug, Clone, Default)]
pub struct Jobs {
    running: Arc<AtomicUsize>,
}

impl Jobs {
    /// No jobs yet.
    pub fn new() -> Jobs {
        Jobs::default()
    }

    /// How many job tasks are running now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }

    /// Counts one more running job until the guard is dropped.
    fn enter(&self) -> Running {
        self.running.fetch_add(1, Ordering::Relaxed);
        Running(Arc::clone(&self.running))
    }
}

/// One running job in [`Jobs`]; dropping it (however the task ends) counts it out.
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// `GET /job?steps=&interval_ms=` (given the raw query): starts the job's task on the
/// current tokio runtime and returns the stream to respond with, or `None` (answer 204) when
/// the client has seen `done` already. A resumed job starts after the client's
/// `Last-Event-ID`. The stream ends when the hub shuts down.
pub fn start(
    jobs: &Jobs,
    hub: &Hub,
    query: &str,
    last_event_id: Option<&LastEventId>,
) -> Result<Option<EmitterStream>, DemoError> {
    let params = JobParams::from_query(query)?;
    // The steps, then `done`.
    let Some(resume) = Resume::after(last_event_id, params.steps + 1) else {
        return Ok(None);
    };
    // Outside a runtime there is nowhere to run the task: a 500, not a panic.
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|_| DemoError::from(EndpointError::Hub(HubError::NoRuntime)))?;
    let (emitter, events) = Emitter::builder()
        .capacity(CAPACITY)
        .until(hub.closed())
        .build();
    runtime.spawn(run(emitter, params, resume, jobs.enter()));
    Ok(Some(events))
}

/// The job: a step of work every interval, each reported; stops as soon as the emitter
/// closes (the client left, or the hub shut down).
async fn run(emitter: Emitter, params: JobParams, resume: Resume, _running: Running) {
    let closed = emitter.closed();
    tokio::pin!(closed);
    for number in resume.remaining() {
        let event = if number <= params.steps {
            // The work of one step.
            tokio::select! {
                _ = &mut closed => return,
                () = tokio::time::sleep(params.interval) => {}
            }
            progress(number, params.steps)
        } else {
            done(params.steps)
        };
        let Ok(event) = event else { return };
        tokio::select! {
            _ = &mut closed => return,
            sent = emitter.send(Finite::numbered(number, event)) => {
                if sent.is_err() {
                    return;
                }
            }
        }
    }
    emitter.complete(None);
}

/// `event: progress` with `{"step":step,"of":steps}`.
fn progress(step: usize, steps: usize) -> Result<Event, EventError> {
    Event::new(format!(r#"{{"step":{step},"of":{steps}}}"#)).event("progress")
}

/// `event: done` with `{"steps":steps}`.
fn done(steps: usize) -> Result<Event, EventError> {
    Event::new(format!(r#"{{"steps":{steps}}}"#)).event("done")
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    fn field(query: &str) -> &'static str {
        JobParams::from_query(query).unwrap_err().field()
    }

    #[test]
    fn outside_a_runtime_is_a_500_not_a_panic() {
        use sse_core::HttpError;
        let jobs = Jobs::new();
        let error = start(&jobs, &Hub::new(), "", None).unwrap_err();
        assert_eq!(error.status(), 500);
        assert_eq!(jobs.running(), 0);
    }

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(
            JobParams::from_query("").unwrap(),
            JobParams {
                steps: 20,
                interval: Duration::from_millis(250)
            }
        );
        assert_eq!(
            JobParams::from_query("steps=10000&interval_ms=10&other=x").unwrap(),
            JobParams {
                steps: 10_000,
                interval: Duration::from_millis(10)
            }
        );
        for bad in [
            "steps=0",
            "steps=10001",
            "steps=",
            "steps=-1",
            "steps=+3",
            "steps=2.5",
        ] {
            assert_eq!(field(bad), "steps", "{bad}");
        }
        for bad in [
            "interval_ms=9",
            "interval_ms=x",
            "interval_ms=99999999999999999999999",
        ] {
            assert_eq!(field(bad), "interval_ms", "{bad}");
        }
    }

    async fn collect(query: &str, last: Option<&str>) -> Option<Vec<String>> {
        let hub = Hub::new();
        let jobs = Jobs::new();
        let last = last.and_then(|id| LastEventId::parse(id).ok().flatten());
        let events = start(&jobs, &hub, query, last.as_ref()).ok()??;
        assert_eq!(jobs.running(), 1);
        let frames: Vec<_> = events.collect().await;
        Some(
            frames
                .iter()
                .map(|frame| String::from_utf8_lossy(frame.as_bytes()).into_owned())
                .collect(),
        )
    }

    #[tokio::test]
    async fn progress_then_done_then_the_end() {
        let frames = collect("steps=2&interval_ms=10", None).await.unwrap();
        assert_eq!(
            frames,
            [
                "id: 1\nevent: progress\ndata: {\"step\":1,\"of\":2}\n\n",
                "id: 2\nevent: progress\ndata: {\"step\":2,\"of\":2}\n\n",
                "id: 3\nevent: done\ndata: {\"steps\":2}\n\n",
            ]
        );
    }

    #[tokio::test]
    async fn resumes_after_the_last_id_and_ends_after_done() {
        let frames = collect("steps=3&interval_ms=10", Some("2")).await.unwrap();
        assert_eq!(frames.len(), 2);
        assert!(frames[0].starts_with("id: 3\nevent: progress\n"));
        assert!(frames[1].starts_with("id: 4\nevent: done\n"));
        assert_eq!(collect("steps=3&interval_ms=10", Some("4")).await, None);
    }

    /// Waits (up to 5 s) for every job to stop.
    async fn stops(jobs: &Jobs) {
        for _ in 0..500 {
            if jobs.running() == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the job is still running");
    }

    #[tokio::test]
    async fn a_client_that_leaves_stops_the_job() {
        let hub = Hub::new();
        let jobs = Jobs::new();
        let mut events = start(&jobs, &hub, "steps=1000&interval_ms=10", None)
            .unwrap()
            .unwrap();
        assert!(events.next().await.is_some());
        drop(events);
        stops(&jobs).await;
    }

    #[tokio::test]
    async fn hub_shutdown_ends_the_stream_and_the_job() {
        let hub = Hub::new();
        let jobs = Jobs::new();
        let mut events = start(&jobs, &hub, "steps=1000&interval_ms=10", None)
            .unwrap()
            .unwrap();
        assert!(events.next().await.is_some());
        hub.shutdown(None);
        assert!(events.next().await.is_none());
        stops(&jobs).await;
    }
}
