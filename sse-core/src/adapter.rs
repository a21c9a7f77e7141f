//! What every framework adapter defines the same way, written once.
//!
//! Rust's orphan rule forbids an adapter to implement its framework's response trait for a
//! type of this crate, so each adapter needs its own `Sse` and `Error` types. The
//! [`adapter_types!`](crate::adapter_types) macro defines them identically in each adapter
//! (the builder methods of `Sse`, the conversion of every [`HttpError`](crate::HttpError)
//! into `Error`); the adapter then only implements its framework's traits for them.

#[doc(hidden)]
pub use futures_core::Stream as __Stream;

/// Defines an adapter's `Sse<S>` (a response over [`SseStream`](crate::SseStream)) and
/// `Error` (any [`HttpError`](crate::HttpError) as a status and a JSON body) in the calling
/// module. For adapter crates; applications use the adapters' types.
#[macro_export]
macro_rules! adapter_types {
    () => {
        /// An event-stream response with the headers from
        /// [`RESPONSE_HEADERS`]($crate::RESPONSE_HEADERS), keep-alive comments every 15 s
        /// of idleness by default, and an optional retry prelude.
        #[must_use]
        pub struct Sse<S>($crate::SseStream<S>);

        impl<S> Sse<S>
        where
            S: $crate::adapter::__Stream,
            S::Item: $crate::IntoFrame,
        {
            /// Streams `events`: [`Event`]($crate::Event)s, a hub
            /// [`Subscription`]($crate::Subscription), or `Result`s of either (an error ends
            /// the stream cleanly, at an event boundary).
            pub fn new(events: S) -> Self {
                Sse($crate::SseStream::new(events))
            }

            /// Sets the keep-alive interval and text.
            pub fn keep_alive(self, keep_alive: $crate::KeepAlive) -> Self {
                Sse(self.0.keep_alive(keep_alive))
            }

            /// Sends the client's reconnection delay with the first event.
            pub fn retry(self, delay: ::std::time::Duration) -> Self {
                Sse(self.0.retry(delay))
            }

            /// Ends the stream at an event boundary when `shutdown` completes, e.g.
            /// `hub.closed()` for a stream that is not a hub subscription.
            pub fn until(
                self,
                shutdown: impl ::std::future::Future<Output = ()> + Send + 'static,
            ) -> Self {
                Sse(self.0.until(shutdown))
            }
        }

        impl<S> ::std::convert::From<$crate::SseStream<S>> for Sse<S> {
            fn from(stream: $crate::SseStream<S>) -> Self {
                Sse(stream)
            }
        }

        /// Any error a client or publisher can cause, as a response with its status and a
        /// JSON body (`{"error": code, "message": text}`). Every `sse-core` error converts
        /// into it with `?`.
        #[derive(Debug)]
        pub struct Error {
            status: u16,
            body: ::std::string::String,
        }

        impl Error {
            /// An error with this status, code and message.
            pub fn new(status: u16, code: &str, message: &str) -> Self {
                Error {
                    status,
                    body: $crate::http_error::json_error(code, message),
                }
            }

            /// The HTTP status code.
            pub fn status(&self) -> u16 {
                self.status
            }

            /// The JSON body.
            pub fn body(&self) -> &str {
                &self.body
            }
        }

        impl<E: $crate::HttpError> ::std::convert::From<E> for Error {
            fn from(error: E) -> Self {
                Error {
                    status: error.status(),
                    body: error.json_body(),
                }
            }
        }

        impl ::std::fmt::Display for Error {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.body)
            }
        }
    };
}
