//! [`ShutdownSignal`]: one signal, registered once for an app, that ends every event stream
//! at an event boundary when the app shuts down.
//!
//! A server's graceful shutdown waits for open responses, and an event stream may never end
//! by itself. Each adapter ends every `Sse` response at the app's signal, registered once:
//! the hub's ([`Hub::shutdown_signal`](crate::Hub::shutdown_signal), fired by
//! [`Hub::shutdown`](crate::Hub::shutdown) after the final event is in place), or one of
//! your own from [`channel`]. A stream that is a hub subscription still
//! delivers the hub's final event: streams end at the signal when they have nothing ready.
//!
//! ```
//! use sse_core::ShutdownSignal;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let (trigger, signal) = sse_core::shutdown::channel();
//! let waiting = tokio::spawn(signal.triggered());
//! trigger.trigger();
//! waiting.await.unwrap();
//! assert!(signal.is_triggered());
//! # }
//! ```

use std::future::Future;
use std::sync::Arc;

use tokio::sync::watch;

/// The receiving side: cheap to clone, one per place that waits. See the [module
/// docs](self).
#[derive(Debug, Clone)]
pub struct ShutdownSignal {
    receiver: watch::Receiver<bool>,
}

/// Fires its [`ShutdownSignal`]s. Dropping every clone of it fires them too, so a signal
/// never waits for a trigger that can no longer come.
#[derive(Debug, Clone)]
pub struct ShutdownTrigger {
    sender: Arc<watch::Sender<bool>>,
}

/// A new signal and the trigger that fires it (as `tokio::sync::watch::channel` makes a
/// sender and a receiver).
pub fn channel() -> (ShutdownTrigger, ShutdownSignal) {
    let (sender, receiver) = watch::channel(false);
    (
        ShutdownTrigger {
            sender: Arc::new(sender),
        },
        ShutdownSignal { receiver },
    )
}

impl ShutdownSignal {
    pub(crate) fn from_receiver(receiver: watch::Receiver<bool>) -> Self {
        ShutdownSignal { receiver }
    }

    /// Whether it has fired.
    pub fn is_triggered(&self) -> bool {
        *self.receiver.borrow() || self.receiver.has_changed().is_err()
    }

    /// A future that completes when it fires (at once if it has).
    pub fn triggered(&self) -> impl Future<Output = ()> + Send + use<> {
        let mut receiver = self.receiver.clone();
        async move {
            let _ = receiver.wait_for(|fired| *fired).await;
        }
    }
}

impl ShutdownTrigger {
    /// Fires the signal; calling it again does nothing.
    pub fn trigger(&self) {
        self.sender.send_replace(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dropping_the_trigger_fires_the_signal() {
        let (trigger, signal) = channel();
        assert!(!signal.is_triggered());
        drop(trigger);
        signal.triggered().await;
        assert!(signal.is_triggered());
    }
}
