use std::fmt;
use std::sync::Arc;

/// Why the hub refused a publish or a subscription. Its HTTP status and code are in
/// [`http::error`](crate::http::error).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HubError {
    /// A topic name is empty, too long, or has a character outside the allowed set
    /// (see [`TopicName`](crate::hub::TopicName)).
    InvalidTopic {
        /// The rejected name (lossy, truncated to 200 characters).
        topic: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A subscription named no topic.
    NoTopics,
    /// A subscription named more topics than allowed.
    TooManyTopicsInSubscription {
        /// Topics named.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// Creating the topic would exceed the hub's topic limit.
    TooManyTopics {
        /// The limit.
        max: usize,
    },
    /// The hub has as many subscribers as it allows.
    TooManySubscribers {
        /// The limit.
        max: usize,
    },
    /// The topic has as many subscribers as it allows.
    TopicFull {
        /// The topic.
        topic: String,
        /// The limit.
        max: usize,
    },
    /// The encoded event is larger than the hub allows.
    EventTooLarge {
        /// The encoded size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The topic cannot be removed while it has subscribers.
    TopicInUse {
        /// The topic.
        topic: String,
        /// Its subscribers.
        subscribers: usize,
    },
    /// The hub's backend (Redis, say) cannot be reached or did not answer in time.
    Backend {
        /// The backend's own error (a `redis::RedisError`, say), also the
        /// [`source`](std::error::Error::source) of this one.
        source: BackendError,
    },
    /// A resume needs history from the hub's backend, and as many resumes as the hub
    /// allows ([`HubBuilder::max_history_reads`](crate::hub::HubBuilder::max_history_reads))
    /// are reading theirs: retry shortly.
    HistoryBusy {
        /// The limit.
        max: usize,
    },
    /// An idempotency key already used for another event on the topic
    /// ([`Hub::publish_with_key`](crate::Hub::publish_with_key)): nothing was published.
    IdempotencyKeyReused,
    /// The hub has been shut down.
    Closed,
    /// A background task was requested outside a tokio runtime.
    NoRuntime,
}

impl fmt::Display for HubError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HubError::InvalidTopic { topic, reason } => {
                write!(f, "invalid topic {topic:?}: {reason}")
            }
            HubError::NoTopics => f.write_str("a subscription needs at least one topic"),
            HubError::TooManyTopicsInSubscription { count, max } => {
                write!(
                    f,
                    "a subscription may name at most {max} topics, not {count}"
                )
            }
            HubError::TooManyTopics { max } => {
                write!(f, "the hub already has its maximum of {max} topics")
            }
            HubError::TooManySubscribers { max } => {
                write!(f, "the hub already has its maximum of {max} subscribers")
            }
            HubError::TopicFull { topic, max } => {
                write!(
                    f,
                    "topic {topic:?} already has its maximum of {max} subscribers"
                )
            }
            HubError::EventTooLarge { size, max } => {
                write!(
                    f,
                    "the encoded event is {size} bytes; the hub accepts at most {max}"
                )
            }
            HubError::TopicInUse { topic, subscribers } => {
                write!(f, "topic {topic:?} still has {subscribers} subscribers")
            }
            HubError::Backend { source } => {
                write!(f, "the hub's backend is unavailable: {source}")
            }
            HubError::HistoryBusy { max } => write!(
                f,
                "{max} resumes are already reading history from the hub's backend; retry shortly"
            ),
            HubError::IdempotencyKeyReused => {
                f.write_str("the idempotency key was already used for another event on this topic")
            }
            HubError::Closed => f.write_str("the hub has shut down"),
            HubError::NoRuntime => f.write_str("this call must run inside a tokio runtime"),
        }
    }
}

impl std::error::Error for HubError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HubError::Backend { source } => Some(source.get_ref()),
            _ => None,
        }
    }
}

impl HubError {
    /// A [`HubError::Backend`] for a backend's error (anything that converts into a boxed
    /// error, a message included), kept as the error's source.
    ///
    /// ```
    /// use std::error::Error;
    /// use sse_core::HubError;
    ///
    /// let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    /// let error = HubError::backend(io);
    /// assert_eq!(error.to_string(), "the hub's backend is unavailable: refused");
    /// let source = error.source().unwrap();
    /// assert!(source.downcast_ref::<std::io::Error>().is_some());
    /// ```
    pub fn backend(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        HubError::Backend {
            source: BackendError(Arc::from(error.into())),
        }
    }
}

/// A backend's error inside [`HubError::Backend`]: shared, so that the hub's error stays
/// `Clone`; two are equal when their messages are.
#[derive(Clone)]
pub struct BackendError(Arc<dyn std::error::Error + Send + Sync>);

impl BackendError {
    /// The backend's error itself, to downcast to the backend's own type.
    pub fn get_ref(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.0
    }
}

impl fmt::Debug for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl PartialEq for BackendError {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.to_string() == other.0.to_string()
    }
}

impl Eq for BackendError {}
