//! [`first`]: the first of two futures to finish, the first one polled first, in place of
//! `tokio::select!`, so that the crate needs none of tokio's macros.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;

/// Which of the two finished first.
pub(crate) enum First<A, B> {
    /// The first future (it wins a tie).
    A(A),
    /// The second.
    B(B),
}

/// Polls `a`, then `b`, until one is ready; the other is dropped.
pub(crate) async fn first<A: Future, B: Future>(a: A, b: B) -> First<A::Output, B::Output> {
    let (mut a, mut b) = (pin!(a), pin!(b));
    poll_fn(|cx| {
        if let Poll::Ready(value) = a.as_mut().poll(cx) {
            return Poll::Ready(First::A(value));
        }
        b.as_mut().poll(cx).map(First::B)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_ready_wins_and_a_tie_goes_to_the_first() {
        let pending = std::future::pending::<()>;
        assert!(matches!(first(pending(), async { 2 }).await, First::B(2)));
        assert!(matches!(first(async { 1 }, pending()).await, First::A(1)));
        assert!(matches!(first(async { 1 }, async { 2 }).await, First::A(1)));
    }
}
