//! Wake pacing: with [`HubBuilder::coalesce`](super::HubBuilder::coalesce), a topic wakes
//! its subscribers at most once per window.
//!
//! The first event after a quiet window wakes them at once; later ones wait for a wake
//! scheduled at the window's end, which sees them all. The scheduled wake happens when its
//! task ends *or is dropped* (its runtime shutting down), so a topic is never left with a
//! wake that does not come.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::locks::lock;
use super::topic::TopicState;

/// When a topic's subscribers were last woken, and whether a deferred wake is on its way.
#[derive(Default)]
pub(crate) struct Pacing {
    last_wake: Option<Instant>,
    scheduled: bool,
}

impl TopicState {
    /// Wakes the subscribers after a publish: at once, or, with a coalescing `window`, at
    /// most once per window (a wake already scheduled will see this event too).
    pub(crate) fn notify(self: &Arc<Self>, window: Duration) {
        if window.is_zero() {
            return self.wake_all();
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return self.wake_all();
        };
        let now = Instant::now();
        let mut pacing = lock(&self.pacing);
        if pacing.scheduled {
            return;
        }
        match pacing.last_wake.and_then(|last| last.checked_add(window)) {
            Some(due) if due > now => {
                pacing.scheduled = true;
                drop(pacing);
                let wake = DeferredWake(Arc::clone(self));
                runtime.spawn(async move {
                    tokio::time::sleep_until(due).await;
                    drop(wake);
                });
            }
            _ => {
                pacing.last_wake = Some(now);
                drop(pacing);
                self.wake_all();
            }
        }
    }
}

/// Wakes its topic when dropped, at the window's end or when its runtime shuts down.
struct DeferredWake(Arc<TopicState>);

impl Drop for DeferredWake {
    fn drop(&mut self) {
        let mut pacing = lock(&self.0.pacing);
        pacing.scheduled = false;
        pacing.last_wake = Some(Instant::now());
        drop(pacing);
        self.0.wake_all();
    }
}
