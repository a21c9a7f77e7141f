//! [`HubShutdown`]: a fairing that shuts the hub down at rocket's shutdown, so clients get
//! the hub's final event.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Build, Orbit, Rocket};
use sse_core::{Event, Hub, ShutdownSignal};

/// At rocket's shutdown (Ctrl-C, SIGTERM, or `Shutdown::notify`), shuts `hub` down with an
/// optional final event; every [`Sse`](crate::Sse) then ends once the hub has, so hub
/// subscribers receive the final event before their stream ends, and streams that are not
/// subscriptions end too.
///
/// Without it, every `Sse` ends at rocket's `Shutdown` itself, which fires before anything
/// can call [`Hub::shutdown`]: the final event would be cut off.
///
/// ```
/// use sse_core::{Event, Hub};
///
/// let hub = Hub::new();
/// let final_event = Event::new(r#"{"reason":"server going away"}"#).event("shutdown")?;
/// let rocket = rocket::build()
///     .manage(hub.clone())
///     .attach(sse_rocket::HubShutdown::new(hub).final_event(final_event));
/// # let _ = rocket;
/// # Ok::<(), sse_core::EventError>(())
/// ```
///
/// A [`Hub::publish_every`] task stops when the hub shuts down, so with the fairing it stops
/// at rocket's shutdown. It needs the tokio runtime: start it in an `async` `#[launch]`, or
/// once rocket is up, in a liftoff fairing:
///
/// ```
/// use std::time::Duration;
/// use rocket::fairing::AdHoc;
/// use sse_rocket::{Event, Hub};
///
/// let hub = Hub::new();
/// let clock_hub = hub.clone();
/// let rocket = rocket::build()
///     .manage(hub)
///     .attach(AdHoc::on_liftoff("clock", move |_| {
///         Box::pin(async move {
///             let tick = || Event::new("tick");
///             if let Err(error) = clock_hub.publish_every("clock", Duration::from_secs(1), tick) {
///                 eprintln!("no clock: {error}");
///             }
///         })
///     }));
/// # drop(rocket);
/// ```
#[derive(Debug)]
pub struct HubShutdown {
    hub: Hub,
    final_event: std::sync::Mutex<Option<Event>>,
}

impl HubShutdown {
    /// Shuts `hub` down at rocket's shutdown, without a final event.
    pub fn new(hub: Hub) -> Self {
        HubShutdown {
            hub,
            final_event: std::sync::Mutex::new(None),
        }
    }

    /// Sends `event` (without an id) to every hub subscriber before their streams end.
    #[must_use]
    pub fn final_event(self, event: Event) -> Self {
        HubShutdown {
            final_event: std::sync::Mutex::new(Some(event)),
            ..self
        }
    }
}

/// What every [`Sse`](crate::Sse) ends at when the fairing is attached.
pub(crate) struct StreamsEnd(pub(crate) ShutdownSignal);

#[rocket::async_trait]
impl Fairing for HubShutdown {
    fn info(&self) -> Info {
        Info {
            name: "sse-rocket hub shutdown",
            kind: Kind::Ignite | Kind::Liftoff,
        }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> rocket::fairing::Result {
        Ok(rocket.manage(StreamsEnd(self.hub.shutdown_signal())))
    }

    async fn on_liftoff(&self, rocket: &Rocket<Orbit>) {
        let shutdown = rocket.shutdown();
        let hub = self.hub.clone();
        let final_event = self
            .final_event
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        rocket::tokio::spawn(async move {
            shutdown.await;
            hub.shutdown(final_event);
        });
    }
}
