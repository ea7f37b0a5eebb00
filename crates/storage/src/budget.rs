//! Write back-pressure: the memory all memtables may hold, and waiting for room.
//!
//! Every memtable (active or sealed and waiting for its flush, of every table) counts against one
//! budget, `memtable_space_bytes`. A write is never refused or blocked for lack of room: it is applied
//! (it is in the commitlog already), and the [`WriteAck`](crate::WriteAck) returned for it resolves only
//! once usage is back below the budget. A client waiting for its acknowledgements thus slows down to
//! the pace of the flushes, and the memory held beyond the budget is bounded by the writes in flight
//! (the protocol layer bounds the requests in flight per connection).
//!
//! So that waiting always ends, the engine seals the largest active memtable whenever the active ones
//! together hold more than half the budget (Cassandra's `memtable_cleanup_threshold` with one flush
//! writer): room is then made by flushes, which release a memtable's bytes when it leaves the table.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use parking_lot::Mutex;

use crate::StorageError;

/// Active memtables holding more than this fraction of the budget get the largest one sealed.
pub(crate) const CLEANUP_FRACTION: f64 = 0.5;

#[derive(Debug, Default)]
pub(crate) struct MemoryBudget {
    /// Bytes; 0 means unlimited.
    limit: u64,
    /// Bytes in every memtable still part of a table.
    used: AtomicU64,
    /// Bytes of those that are sealed (their flush queued or running).
    sealed: AtomicU64,
    waiters: Mutex<Vec<Waker>>,
    /// Set when the engine is poisoned or closed: waiting for room would never end.
    failure: Mutex<Option<String>>,
    failed: AtomicBool,
    /// One writer at a time looks for a memtable to seal.
    cleaning: AtomicBool,
}

impl MemoryBudget {
    pub fn new(limit: u64) -> MemoryBudget {
        MemoryBudget { limit, ..MemoryBudget::default() }
    }

    pub fn used(&self) -> u64 {
        self.used.load(Ordering::SeqCst)
    }

    pub fn add(&self, bytes: u64) {
        if bytes > 0 {
            self.used.fetch_add(bytes, Ordering::SeqCst);
        }
    }

    /// A memtable holding `bytes` was sealed.
    pub fn sealed(&self, bytes: u64) {
        self.sealed.fetch_add(bytes, Ordering::SeqCst);
    }

    /// A memtable holding `bytes` left its table (flushed, truncated or dropped).
    pub fn release(&self, bytes: u64, was_sealed: bool) {
        if bytes == 0 {
            return;
        }
        let _ = self.used.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |u| Some(u.saturating_sub(bytes)));
        if was_sealed {
            let _ = self.sealed.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |u| Some(u.saturating_sub(bytes)));
        }
        if self.has_room() {
            self.wake_all();
        }
    }

    pub fn has_room(&self) -> bool {
        self.limit == 0 || self.used() < self.limit
    }

    /// True when the active (unsealed) memtables hold more than the cleanup threshold and this caller
    /// won the right to seal one; it must call [`MemoryBudget::cleaned`] afterwards.
    pub fn should_clean(&self) -> bool {
        if self.limit == 0 {
            return false;
        }
        let active = self.used().saturating_sub(self.sealed.load(Ordering::SeqCst));
        active as f64 > self.limit as f64 * CLEANUP_FRACTION
            && self.cleaning.compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst).is_ok()
    }

    pub fn cleaned(&self) {
        self.cleaning.store(false, Ordering::SeqCst);
    }

    /// Waiting for room fails from now on (the engine is poisoned or closed).
    pub fn fail(&self, why: String) {
        {
            let mut failure = self.failure.lock();
            if failure.is_none() {
                *failure = Some(why);
            }
        }
        self.failed.store(true, Ordering::SeqCst);
        self.wake_all();
    }

    fn wake_all(&self) {
        let waiters = std::mem::take(&mut *self.waiters.lock());
        for w in waiters {
            w.wake();
        }
    }

    fn check_failed(&self) -> Result<(), StorageError> {
        if !self.failed.load(Ordering::SeqCst) {
            return Ok(());
        }
        match self.failure.lock().clone() {
            Some(why) if why == CLOSED => Err(StorageError::Closed),
            Some(why) => Err(StorageError::Poisoned(why)),
            None => Err(StorageError::Closed),
        }
    }
}

/// The reason [`MemoryBudget::fail`] is given when the engine is dropped.
pub(crate) const CLOSED: &str = "closed";

/// Resolves once the budget has room again.
pub(crate) struct RoomWait(pub Arc<MemoryBudget>);

impl Future for RoomWait {
    type Output = Result<(), StorageError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let budget = &self.0;
        if budget.has_room() {
            return Poll::Ready(Ok(()));
        }
        budget.check_failed()?;
        budget.waiters.lock().push(cx.waker().clone());
        // Room may have been made (or the engine failed) between the checks and the registration.
        if budget.has_room() {
            return Poll::Ready(Ok(()));
        }
        budget.check_failed()?;
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WriteAck;

    #[test]
    fn a_wait_ends_when_memory_is_released() {
        let budget = Arc::new(MemoryBudget::new(100));
        budget.add(150);
        assert!(!budget.has_room());
        let b = budget.clone();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            b.release(100, false);
        });
        let ack = WriteAck::from_future(RoomWait(budget.clone()));
        ack.wait().unwrap();
        releaser.join().unwrap();
        assert_eq!(budget.used(), 50);
    }

    #[test]
    fn a_wait_fails_when_the_engine_fails() {
        let budget = Arc::new(MemoryBudget::new(100));
        budget.add(150);
        let b = budget.clone();
        std::thread::spawn(move || b.fail("flush failed".into()));
        let r = WriteAck::from_future(RoomWait(budget)).wait();
        assert!(matches!(r, Err(StorageError::Poisoned(_))), "{r:?}");
    }

    #[test]
    fn cleanup_is_due_when_active_memtables_hold_half_the_budget() {
        let budget = MemoryBudget::new(100);
        budget.add(40);
        assert!(!budget.should_clean());
        budget.add(20);
        assert!(budget.should_clean());
        assert!(!budget.should_clean(), "one cleaner at a time");
        budget.cleaned();
        budget.sealed(60);
        assert!(!budget.should_clean(), "sealed memtables are already on their way out");
        assert!(!MemoryBudget::new(0).should_clean());
    }
}
