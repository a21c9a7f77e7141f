//! The subscribe sequence: one call, [`HubEndpoints::subscribe`] (and
//! [`HubEndpoints::check_subscribe`] for `HEAD`): the topics and the resume point read from
//! the request, their names checked (400) before the hook sees them, the hook's answer (401,
//! 403), then the hub's subscription (503 when full), as a keep-alive event stream that ends
//! when the hook's grant expires. A subscribe route marks its errors with
//! [`accepts_event_stream`], so that a browser refused for a passing reason is told to come
//! back (see [`sse_core::http::error`]).

use std::future::Future;

use sse_core::{LastEventId, SseStream, Subscription};

use crate::auth::{Access, Authorization, Authorize, ReadRequest};
use crate::{EndpointError, HubEndpoints};

/// Whether `request` accepts an event stream (an `Accept` of `text/event-stream`, which
/// every browser's `EventSource` sends), read through the adapter's `P`: what a subscribe
/// route tells its `Error` with
/// [`ErrorResponse::for_event_source`](sse_core::http::ErrorResponse::for_event_source),
/// so that a refusal for a passing reason (a full hub, `Retry-After`) is answered as a
/// short event stream the browser retries instead of a status that stops it for good.
///
/// ```
/// use sse_endpoints::{RawRequest, accepts_event_stream};
/// let browser = RawRequest::new().header("accept", "text/event-stream");
/// assert!(accepts_event_stream::<RawRequest, _>(&browser));
/// assert!(!accepts_event_stream::<RawRequest, _>(&RawRequest::new()));
/// ```
pub fn accepts_event_stream<P: ReadRequest<R>, R: ?Sized>(request: &R) -> bool {
    sse_core::http::error::accepts_event_stream(P::header_values(request, "accept"))
}

/// The `Allow` header of the subscribe path (`OPTIONS /events` answers 204 with it).
pub const SUBSCRIBE_ALLOW: &str = "GET, HEAD, OPTIONS";

impl<A> HubEndpoints<A> {
    /// Subscribes for a `GET`: topics from the query string's `topic` parameters, the resume
    /// point from the `Last-Event-ID` header's raw bytes or the `lastEventId` parameter (both
    /// read through the adapter's `P`), authorized by the hook with `request`. A grant that expires ends the stream then, at
    /// an event boundary.
    ///
    /// The request is read and the hook called before the returned future is first polled;
    /// the future waits for the hook's answer and does not use `request`.
    pub fn subscribe<P, R>(
        &self,
        request: &R,
    ) -> impl Future<Output = Result<SseStream<Subscription>, EndpointError>> + Send + '_
    where
        P: ReadRequest<R>,
        R: ?Sized,
        A: Authorize<R>,
    {
        let checked = self.subscribe_request::<P, R>(request);
        async move {
            let (topics, last_event_id, authorization) = checked?;
            let deadline = authorization.await?.deadline()?;
            let subscription = self.hub.subscribe(&topics, last_event_id.as_ref())?;
            let mut stream = SseStream::new(subscription);
            stream = match &self.keep_alive {
                Some(keep_alive) => stream.keep_alive(keep_alive.clone()),
                None => stream.no_keep_alive(),
            };
            if let Some(retry) = self.retry {
                stream = stream.retry(retry);
            }
            if let Some(deadline) = deadline {
                stream = stream.until(tokio::time::sleep_until(deadline));
            }
            Ok(stream)
        }
    }

    /// What `HEAD` on the subscribe path answers: every check [`subscribe`](Self::subscribe)
    /// makes (the topics, the `Last-Event-ID`, the hook, that the hub is open), without
    /// subscribing. `Ok` is a 200 with the event-stream headers
    /// ([`RESPONSE_HEADERS`](sse_core::RESPONSE_HEADERS)) and no body; an error has the status
    /// a `GET` would have (but for the hub's subscriber limits, which only a subscription
    /// meets).
    ///
    /// ```
    /// use sse_core::Hub;
    /// use sse_core::http::HttpError;
    /// use sse_endpoints::{HubEndpoints, RawRequest};
    ///
    /// # futures_util::FutureExt::now_or_never(async {
    /// let endpoints = HubEndpoints::new(Hub::new());
    /// let news = RawRequest::new().query("topic=news");
    /// assert!(endpoints.check_subscribe::<RawRequest, _>(&news).await.is_ok());
    /// let error = endpoints.check_subscribe::<RawRequest, _>(&RawRequest::new()).await.unwrap_err();
    /// assert_eq!(error.status(), 400);
    /// assert_eq!(endpoints.hub().stats().subscribers, 0);
    /// # }).unwrap();
    /// ```
    pub fn check_subscribe<P, R>(
        &self,
        request: &R,
    ) -> impl Future<Output = Result<(), EndpointError>> + Send + '_
    where
        P: ReadRequest<R>,
        R: ?Sized,
        A: Authorize<R>,
    {
        let checked = self.subscribe_request::<P, R>(request);
        async move {
            let (topics, _, authorization) = checked?;
            authorization.await?.deadline()?;
            Ok(self.hub.check_subscribe(&topics)?)
        }
    }

    /// The topics and resume point of a subscribe request, and the hook's answer.
    #[allow(clippy::type_complexity)]
    fn subscribe_request<P, R>(
        &self,
        request: &R,
    ) -> Result<(Vec<String>, Option<LastEventId>, Authorization), EndpointError>
    where
        P: ReadRequest<R>,
        R: ?Sized,
        A: Authorize<R>,
    {
        let query = P::query(request);
        let last_event_id_header =
            P::header_values(request, sse_core::last_event_id::LAST_EVENT_ID).next();
        let topics: Vec<String> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .filter(|(name, _)| name == "topic")
            .map(|(_, value)| value.into_owned())
            .collect();
        let last_event_id = LastEventId::from_header_or_query(last_event_id_header, query)?;
        // The names and their count are checked before the hook sees them (a 400 tells
        // nothing of which topics exist), so a hook never loops over thousands of them.
        self.hub.check_subscribe(&topics)?;
        let authorization = self
            .authorize
            .authorize(request, Access::Subscribe(&topics));
        Ok((topics, last_event_id, authorization))
    }
}
