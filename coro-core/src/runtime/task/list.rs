//! The owned-tasks list: every live, incomplete task, so that shutdown can cancel them all.
//!
//! An intrusive doubly linked list through the task headers, split into shards each behind its own mutex
//! (as tokio's `OwnedTasks`): a task is bound to a shard chosen by the spawner (its worker index plus a
//! counter), so spawns and completions on different workers rarely share a lock. The list holds one
//! reference to each linked task. Closing a shard makes every later `bind` fail, so a task spawned during
//! shutdown is cancelled at once instead of escaping it.

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

    /// Links a new task (taking its list reference) into shard `hint`. Fails, returning the task, if the list
    /// is closed: the caller must then shut the task down.
    pub(crate) fn bind(&self, task: Task, hint: usize) -> Result<(), Task> {
        let index = hint & self.mask;
        let header = task.header();
        // SAFETY: the task is new and not linked anywhere: nobody else reads its owned fields yet.
        header.owned_shard.with_mut(|shard| unsafe { *shard = index as u32 });
        let mut shard = lock(&self.shards[index]);
        if shard.closed {
            return Err(task);
        }
        let ptr = task.into_raw();
        // SAFETY: under the shard's lock, which guards the links of every task in it; `ptr` is live.
        unsafe {
            let header = ptr.as_ref();
            header.owned_prev.with_mut(|p| *p = None);
            header.owned_next.with_mut(|p| *p = shard.head);
            header.owned_linked.with_mut(|p| *p = true);
            if let Some(head) = shard.head {
                head.as_ref().owned_prev.with_mut(|p| *p = Some(ptr));
            }
        }
        shard.head = Some(ptr);
        shard.len += 1;
        Ok(())
    }

    /// Unlinks `task` if it is linked, returning the list's reference.
    pub(crate) fn remove(&self, task: &Task) -> Option<Task> {
        let header = task.header();
        // SAFETY: written once before the task was linked; read-only since.
        let index = header.owned_shard.with(|shard| unsafe { *shard }) as usize;
        let mut shard = lock(&self.shards[index & self.mask]);
        // SAFETY: under the shard's lock.
        let linked = header.owned_linked.with(|p| unsafe { *p });
        if !linked {
            return None;
        }
        // SAFETY: under the lock, the task is linked in this shard.
        Some(unsafe { shard.unlink(task.header_ptr()) })
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
            header.owned_linked.with_mut(|p| *p = false);
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
