//! The Redis backend's own metrics (feature `metrics`), listed in the crate docs; registered
//! once, in [`connect_with`](crate::connect_with), with the recorder installed then.

/// Which Redis call failed: the `op` label.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Op {
    Publish,
    History,
    Read,
    Remove,
}

pub(crate) use handles::RedisMetrics;

#[cfg(feature = "metrics")]
mod handles {
    use metrics::{Counter, Unit};

    use super::Op;

    /// The backend's handles, registered once per connection.
    #[derive(Clone)]
    pub(crate) struct RedisMetrics {
        publish_errors: Counter,
        history_errors: Counter,
        read_errors: Counter,
        remove_errors: Counter,
        reconnects: Counter,
        epoch_resets: Counter,
    }

    impl RedisMetrics {
        pub(crate) fn register() -> RedisMetrics {
            metrics::describe_counter!(
                "sse_redis_errors_total",
                Unit::Count,
                "Failed or timed-out Redis calls, by operation."
            );
            metrics::describe_counter!(
                "sse_redis_reconnects_total",
                Unit::Count,
                "Times the event log reader got Redis back after losing it."
            );
            metrics::describe_counter!(
                "sse_redis_epoch_resets_total",
                Unit::Count,
                "Times Redis was found to have lost its data."
            );
            RedisMetrics {
                publish_errors: metrics::counter!("sse_redis_errors_total", "op" => "publish"),
                history_errors: metrics::counter!("sse_redis_errors_total", "op" => "history"),
                read_errors: metrics::counter!("sse_redis_errors_total", "op" => "read"),
                remove_errors: metrics::counter!("sse_redis_errors_total", "op" => "remove"),
                reconnects: metrics::counter!("sse_redis_reconnects_total"),
                epoch_resets: metrics::counter!("sse_redis_epoch_resets_total"),
            }
        }

        pub(crate) fn error(&self, op: Op) {
            match op {
                Op::Publish => &self.publish_errors,
                Op::History => &self.history_errors,
                Op::Read => &self.read_errors,
                Op::Remove => &self.remove_errors,
            }
            .increment(1);
        }

        pub(crate) fn reconnected(&self) {
            self.reconnects.increment(1);
        }

        pub(crate) fn epoch_reset(&self) {
            self.epoch_resets.increment(1);
        }
    }
}

/// Without the `metrics` feature: the same calls, empty.
#[cfg(not(feature = "metrics"))]
mod handles {
    use super::Op;

    #[derive(Clone)]
    pub(crate) struct RedisMetrics;

    impl RedisMetrics {
        pub(crate) fn register() -> RedisMetrics {
            RedisMetrics
        }
        pub(crate) fn error(&self, _: Op) {}
        pub(crate) fn reconnected(&self) {}
        pub(crate) fn epoch_reset(&self) {}
    }
}
