//! The idle-topic sweep: a task that removes, on a timer, the topics nobody subscribes to
//! that have had no event for [`HubBuilder::topic_idle`](super::HubBuilder::topic_idle).
//!
//! Without it, idle topics were looked for only when a new topic was made, so on a quiet
//! server they stayed (and counted against the topic limit) for good. The task is spawned
//! on the tokio runtime of the first [`Hub::publish`](super::Hub::publish) or
//! [`Hub::subscribe`](super::Hub::subscribe) that runs inside one; it holds the hub only
//! weakly, and stops when the hub shuts down or is dropped. A hub never used inside a
//! runtime keeps the old behaviour: idle topics go when a topic is created.

use crate::race::{First, first};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::Shared;
use super::locks::lock;

/// The shortest time between two sweeps.
const MIN_PERIOD: Duration = Duration::from_millis(250);
/// The longest time between two sweeps.
const MAX_PERIOD: Duration = Duration::from_secs(60);

/// How often to sweep for a given idle limit: half of it, within
/// [`MIN_PERIOD`]..=[`MAX_PERIOD`], so a topic goes at most half its limit late.
fn period(idle: Duration) -> Duration {
    (idle / 2).clamp(MIN_PERIOD, MAX_PERIOD)
}

/// The hub's sweep task, once started.
#[derive(Default)]
pub(super) struct Sweep {
    started: AtomicBool,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Sweep {
    /// Starts the sweep of `shared` on the current tokio runtime, if it has not started
    /// and there is one. Cheap once started: one atomic load.
    pub(super) fn ensure(shared: &Arc<Shared>) {
        let sweep = &shared.sweep;
        if sweep.started.load(Ordering::Acquire) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if sweep.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let task = runtime.spawn(run(
            Arc::downgrade(shared),
            period(shared.config.topic_idle),
            shared.shutdown.subscribe(),
        ));
        *lock(&sweep.task) = Some(task);
    }

    /// Whether the task has started and since ended (for tests).
    #[cfg(test)]
    fn finished(&self) -> bool {
        lock(&self.task)
            .as_ref()
            .is_some_and(JoinHandle::is_finished)
    }
}

/// Sweeps every `period` until the hub shuts down or is gone.
async fn run(
    hub: Weak<Shared>,
    period: Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        // Shut down, or (an error) the hub is gone with its sender.
        if let First::A(_) = first(shutdown.wait_for(|closed| *closed), ticker.tick()).await {
            return;
        }
        let Some(shared) = hub.upgrade() else { return };
        if shared.is_closed() {
            return;
        }
        let idle = shared.config.topic_idle;
        let mut state = lock(&shared.state);
        let before = state.topics.len();
        state.sweep_idle(idle, true);
        let removed = before - state.topics.len();
        drop(state);
        if removed > 0 {
            crate::trace::debug!(removed, "idle topics expired");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::{Event, Hub};

    #[test]
    fn the_period_is_half_the_limit_within_bounds() {
        assert_eq!(super::period(Duration::ZERO), super::MIN_PERIOD);
        assert_eq!(
            super::period(Duration::from_secs(1)),
            Duration::from_millis(500)
        );
        assert_eq!(super::period(Duration::from_secs(3600)), super::MAX_PERIOD);
    }

    /// A quiet hub: a thousand topics idle past their limit are gone without anything else
    /// happening, topics with a subscriber or a recent event stay, and the sweep stops at
    /// shutdown.
    #[tokio::test(start_paused = true)]
    async fn idle_topics_expire_on_a_timer_and_the_sweep_stops_at_shutdown() {
        let hub = Hub::builder().topic_idle(Duration::from_secs(1)).build();
        for n in 0..1000 {
            hub.publish(&format!("idle-{n}"), Event::new("x"))
                .await
                .expect("publish");
        }
        let _watched = hub.subscribe(["watched"], None).expect("subscribe");
        hub.publish("watched", Event::new("x"))
            .await
            .expect("publish");
        assert_eq!(hub.stats().topics, 1001);

        // Nothing happens meanwhile: no publish, no subscription (a topic made then would
        // sweep too).
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert_eq!(hub.stats().topics, 1, "only `watched` is left");
        assert!(
            hub.topic_stats("watched").is_some(),
            "a subscriber keeps it"
        );

        hub.publish("fresh", Event::new("x"))
            .await
            .expect("publish");

        // `fresh` is one sweep period old: still there.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(hub.topic_stats("fresh").is_some());

        hub.shutdown(None);
        for _ in 0..100 {
            if hub.shared.sweep.finished() {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(hub.shared.sweep.finished(), "the sweep ends with the hub");
    }

    /// The task holds the hub weakly: a dropped hub ends it.
    #[tokio::test(start_paused = true)]
    async fn a_dropped_hub_ends_the_sweep() {
        let hub = Hub::builder().topic_idle(Duration::from_secs(1)).build();
        hub.publish("a", Event::new("x")).await.expect("publish");
        let shared = std::sync::Arc::downgrade(&hub.shared);
        let task = super::lock(&hub.shared.sweep.task).take().expect("started");
        drop(hub);
        assert!(shared.upgrade().is_none(), "nothing else holds the hub");
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the sweep ended")
            .expect("without panicking");
    }
}
