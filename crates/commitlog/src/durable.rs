//! [`Durable`]: a runtime-free future that resolves once the sync thread has fsynced a position.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::{CommitLogError, Inner, Position};

/// Resolves once everything up to a [`Position`] is fsynced (see [`crate::CommitLog::durable`]).
///
/// It needs no async runtime: the sync thread wakes the registered [`std::task::Waker`]s, so it can be
/// awaited from a tokio task, any other executor, or polled by hand. Dropping it withdraws its request.
#[must_use = "a Durable does nothing unless awaited"]
pub struct Durable {
    inner: Arc<Inner>,
    pos: Position,
    /// Resolve at once (periodic mode) instead of waiting for a sync.
    immediate: bool,
    /// The waiter id once registered with the sync state.
    id: Option<u64>,
}

impl Durable {
    pub(crate) fn new(inner: Arc<Inner>, pos: Position, immediate: bool) -> Durable {
        Durable { inner, pos, immediate, id: None }
    }

    /// The position this future waits for.
    pub fn position(&self) -> Position {
        self.pos
    }
}

impl Future for Durable {
    type Output = Result<(), CommitLogError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut st = this.inner.state.lock();
        let outcome = if let Some(message) = &st.failed {
            Some(Err(CommitLogError::SyncFailed(message.clone())))
        } else if this.immediate || st.synced >= this.pos {
            Some(Ok(()))
        } else if st.closed {
            Some(Err(CommitLogError::Closed))
        } else {
            None
        };
        if let Some(result) = outcome {
            if let Some(id) = this.id.take() {
                st.waiters.remove(&(this.pos, id));
            }
            return Poll::Ready(result);
        }
        match this.id {
            Some(id) => {
                let slot = st.waiters.entry((this.pos, id)).or_insert_with(|| cx.waker().clone());
                if !slot.will_wake(cx.waker()) {
                    slot.clone_from(cx.waker());
                }
            }
            None => {
                let id = st.next_waiter_id;
                st.next_waiter_id += 1;
                st.waiters.insert((this.pos, id), cx.waker().clone());
                this.id = Some(id);
                st.requested = true;
                st.requested_since.get_or_insert_with(Instant::now);
                drop(st);
                this.inner.cond.notify_one();
            }
        }
        Poll::Pending
    }
}

impl Drop for Durable {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            self.inner.state.lock().waiters.remove(&(self.pos, id));
        }
    }
}
