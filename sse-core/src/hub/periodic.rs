use std::time::Duration;

use crate::race::{First, first};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::{Hub, HubError, IntoTopicName};
use crate::Event;

impl Hub {
    /// Publishes what `make` returns to `topic` every `period`, starting now, until the hub
    /// shuts down. `make` may return an [`Event`], or an `Option<Event>` to skip a tick.
    ///
    /// The task is spawned on the current tokio runtime; a period under a millisecond is
    /// raised to one. If the machine falls behind, ticks are delayed, not bunched.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sse_core::{Event, Hub};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), sse_core::HubError> {
    /// let hub = Hub::new();
    /// let mut n = 0;
    /// hub.publish_every("ticks", Duration::from_secs(1), move || {
    ///     n += 1;
    ///     Event::new(n.to_string())
    /// })?;
    /// # hub.shutdown(None);
    /// # Ok(())
    /// # }
    /// ```
    pub fn publish_every<F, R>(
        &self,
        topic: impl IntoTopicName,
        period: Duration,
        mut make: F,
    ) -> Result<JoinHandle<()>, HubError>
    where
        F: FnMut() -> R + Send + 'static,
        R: Into<Option<Event>>,
    {
        let topic = topic.into_topic_name()?;
        if self.is_closed() {
            return Err(HubError::Closed);
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| HubError::NoRuntime)?;
        let hub = self.clone();
        let closed = self.closed();
        Ok(runtime.spawn(async move {
            let mut ticker = tokio::time::interval(period.max(Duration::from_millis(1)));
            ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
            tokio::pin!(closed);
            loop {
                if let First::A(()) = first(&mut closed, ticker.tick()).await {
                    break;
                }
                let Some(event) = make().into() else { continue };
                match hub.publish(&topic, event).await {
                    Ok(_) => {}
                    Err(HubError::Closed) => break,
                    Err(error) => {
                        crate::trace::warning!(%error, topic = topic.as_str(), "periodic publish failed")
                    }
                }
            }
        }))
    }
}
