//! The owned-tasks list: every live, incomplete task that has waited, so that shutdown can cancel them all.
//! A task is bound by its poller at the end of its first `Pending` poll (one never polled is cancelled by
//! its `Runnable` instead, see `task/mod.rs`), or at spawn for `spawn_local` tasks.
//!
//! An intrusive doubly linked list through the task headers, split into shards each behind its own mutex
//! (as tokio's `OwnedTasks`), so spawns and completions on different workers rarely share a lock. The list
//! holds one reference to each linked task. Closing a shard makes every later `bind` fail, so a task spawned
//! during shutdown is cancelled at once instead of escaping it.
//!
//! The header spends nothing but the two links on the list (see `raw.rs`):
//! - a task's shard is a hash of its address (which is fixed for its life), so `remove` finds it without a
//!   stored index, and a worker's spawns spread over all shards;
//! - whether a task is linked is read from the links under the shard's lock: a linked task has a `prev`, or
//!   is the shard's head. Unlinking clears both links, and a task that was never linked has none, so a task
//!   that failed to bind, or was already unlinked by shutdown, is seen as not linked. (Another task at the
//!   same address cannot be the head meanwhile: this task is alive, so its address is taken.)

use super::Task;
use super::raw::Header;
use crate::loom::{AtomicBool, Mutex, Ordering::*, lock};
use std::fmt;
use std::ptr::NonNull;

pub(crate) struct OwnedList {
    shards: Box<[Mutex<Shard>]>,
    mask: usize,
    closed: AtomicBool,
}

struct Shard {
    head: Option<NonNull<Header>>,
    len: usize,
    closed: bool,
}

// SAFETY: the raw pointers are task headers whose links are only touched under the shard's lock, and tasks
// are `Send`.
unsafe impl Send for Shard {}

impl OwnedList {
    /// A list with at least `shards` shards (rounded up to a power of two).
    pub(crate) fn new(shards: usize) -> OwnedList {
        let n = shards.max(1).next_power_of_two();
        let shards = (0..n).map(|_| Mutex::new(Shard { head: None, len: 0, closed: false })).collect();
        OwnedList { shards, mask: n - 1, closed: AtomicBool::new(false) }
    }

    /// The shard a task belongs to, from its address: Fibonacci hashing of the address without its
    /// alignment bits, so tasks allocated one after the other land in unrelated shards.
    fn shard_of(&self, ptr: NonNull<Header>) -> &Mutex<Shard> {
        let addr = (ptr.as_ptr().addr() >> 4) as u64;
        let hash = addr.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        &self.shards[hash as usize & self.mask]
    }

    /// Links a new task (taking its list reference) into its shard. Fails, returning the task, if the list is
    /// closed: the caller must then shut the task down.
    pub(crate) fn bind(&self, task: Task) -> Result<(), Task> {
        let mut shard = lock(self.shard_of(task.header_ptr()));
        if shard.closed {
            return Err(task);
        }
        let ptr = task.into_raw();
        // SAFETY: under the shard's lock, which guards the links of every task in it; `ptr` is live.
        unsafe {
            let header = ptr.as_ref();
            header.owned_prev.with_mut(|p| *p = None);
            header.owned_next.with_mut(|p| *p = shard.head);
            if let Some(head) = shard.head {
                head.as_ref().owned_prev.with_mut(|p| *p = Some(ptr));
            }
        }
        shard.head = Some(ptr);
        shard.len += 1;
        Ok(())
    }

    /// Unlinks `task` if it is linked, returning the list's reference.
    ///
    /// `task` is one that was bound to this list, or to none (each scheduler releases its tasks to the list
    /// it bound them to): its links are read under this list's shard lock, which guards them only then.
    pub(crate) fn remove(&self, task: &Task) -> Option<Task> {
        let ptr = task.header_ptr();
        let mut shard = lock(self.shard_of(ptr));
        // SAFETY: the links of a task of this shard are guarded by its lock, which we hold.
        let has_prev = task.header().owned_prev.with(|p| unsafe { (*p).is_some() });
        if !has_prev && shard.head != Some(ptr) {
            return None;
        }
        // SAFETY: under the lock, the task is linked in this shard (see the module docs).
        Some(unsafe { shard.unlink(ptr) })
    }

    /// Closes the list and shuts down every task in it. Tasks running elsewhere are marked cancelled and
    /// cancelled by their poller. Returns after every shard is empty and closed.
    pub(crate) fn close_and_shutdown_all(&self) {
        self.closed.store(true, Release);
        for shard in self.shards.iter() {
            loop {
                let task = {
                    let mut shard = lock(shard);
                    shard.closed = true;
                    match shard.head {
                        // SAFETY: under the lock; `head` is linked in this shard.
                        Some(head) => unsafe { shard.unlink(head) },
                        None => break,
                    }
                };
                // Outside the lock: cancelling drops the future, which runs user code.
                task.shutdown();
            }
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Acquire)
    }

    /// How many tasks are linked (takes every lock).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len).sum()
    }

    /// How many tasks are linked in shard `index`.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn shard_len(&self, index: usize) -> usize {
        lock(&self.shards[index]).len
    }
}

impl Shard {
    /// # Safety
    /// Called under this shard's lock with a task linked in it.
    unsafe fn unlink(&mut self, ptr: NonNull<Header>) -> Task {
        // SAFETY: the caller holds the lock that guards the links; linked tasks are alive (the list holds a
        // reference).
        unsafe {
            let header = ptr.as_ref();
            let prev = header.owned_prev.with_mut(|p| (*p).take());
            let next = header.owned_next.with_mut(|p| (*p).take());
            match prev {
                Some(prev) => prev.as_ref().owned_next.with_mut(|p| *p = next),
                None => self.head = next,
            }
            if let Some(next) = next {
                next.as_ref().owned_prev.with_mut(|p| *p = prev);
            }
            self.len -= 1;
            Task::from_raw(ptr)
        }
    }
}

impl fmt::Debug for OwnedList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedList")
            .field("shards", &self.shards.len())
            .field("closed", &self.is_closed())
            .finish()
    }
}
