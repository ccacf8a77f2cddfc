//! The injector: the runtime-wide queue for tasks scheduled from outside a worker and for run-queue overflow.
//!
//! A `VecDeque<Runnable>` behind one mutex. The queue lives outside the tasks, so a task header carries no
//! link for it (8 bytes saved on every task, queued or not; see `task/raw.rs`): a queued task costs one
//! pointer in the ring instead, and queueing or popping never touches the task's memory.
//!
//! - Pushing: a batch (the 129 tasks of a run-queue overflow) is moved in with one lock acquisition and one
//!   reservation; the items come straight from the run queue's ring, so no user code runs under the lock.
//! - Popping: `pop_batch` moves up to [`BATCH`] tasks into a buffer on its stack under the lock and hands
//!   them out after releasing it, so the callback (which may run the task) never runs under the lock.
//! - Memory: the ring grows by powers of two, and one of up to [`KEEP`] slots keeps its capacity as it
//!   drains, so in the steady state (waves of spawns, overflow batches) nothing is allocated. A ring that
//!   outgrows it (a burst of spawns from one task, a long overflow) is halved as it drains and freed once
//!   empty (see `List::shrink`), so a one-off burst does not pin its memory (8 bytes per queued task) for the
//!   life of the runtime. The idle-memory benchmark is such a burst: 100k tasks spawned by one task overflow
//!   into the injector before any of them runs, and are all parked when it measures.
//!
//! `len` is mirrored in an atomic so idle workers can check for work without locking. Once closed (at
//! shutdown), pushes drop their task references (outside the lock: the last reference drops the future)
//! instead of queueing them.

use super::queue::Overflow;
use super::task::Runnable;
use crate::loom::{AtomicUsize, Mutex, Ordering::*, lock};
use std::collections::VecDeque;
use std::fmt;
use std::mem::MaybeUninit;

/// The largest ring kept however empty it gets: 128 KiB of pointers. A workload that spawns waves of up to
/// ~16k tasks from one task (the spawn benchmarks) then reuses one ring. Freeing and regrowing it every wave
/// costs more than the allocations themselves: with glibc, every large allocation also consolidates the
/// small-chunk free lists the tasks come from (BENCHMARKS.md, "Measurements behind design choices").
const KEEP: usize = 1 << 14;
/// Tasks `pop_batch` moves out per lock acquisition (on the stack: half a run queue).
const BATCH: usize = 128;

/// On cache lines of its own (128 bytes: a pair of lines, which x86 prefetches together): the lock and `len`
/// are written by every push and pop, and the runtime's `Shared` keeps hot atomics of its own (the idle
/// workers' state) that must not share their lines: otherwise the speed of two workers spawning waves of
/// tasks depends on how `Shared` happens to be laid out (BENCHMARKS.md, "Measurements behind design
/// choices").
#[repr(align(128))]
pub(crate) struct Inject {
    list: Mutex<List>,
    len: AtomicUsize,
}

struct List {
    queue: VecDeque<Runnable>,
    /// The ring outgrew [`KEEP`] since it was last freed: it is a burst's, to give back once drained.
    burst: bool,
    closed: bool,
}

impl Inject {
    pub(crate) fn new() -> Inject {
        Inject {
            list: Mutex::new(List { queue: VecDeque::new(), burst: false, closed: false }),
            len: AtomicUsize::new(0),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(Acquire)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn push(&self, task: Runnable) {
        self.push_batch(std::iter::once(task));
    }

    /// Pops up to `max` tasks, handing each to `f` after the lock is released. A batch of up to [`BATCH`]
    /// tasks (more than a worker ever takes at once) costs one lock acquisition.
    pub(crate) fn pop_batch(&self, mut max: usize, mut f: impl FnMut(Runnable)) {
        while max > 0 && !self.is_empty() {
            let mut buf: [MaybeUninit<Runnable>; BATCH] = [const { MaybeUninit::uninit() }; BATCH];
            let n = {
                let mut list = lock(&self.list);
                let n = max.min(BATCH).min(list.queue.len());
                for (slot, task) in buf.iter_mut().zip(list.queue.drain(..n)) {
                    slot.write(task);
                }
                self.len.fetch_sub(n, Release);
                list.shrink();
                n
            };
            if n == 0 {
                return;
            }
            for slot in &buf[..n] {
                // SAFETY: the first `n` slots were written above, and each is read exactly once.
                f(unsafe { slot.assume_init_read() });
            }
            if n < BATCH {
                // Took all there was (or all that was asked for): what was pushed since is not ours.
                return;
            }
            max -= n;
        }
    }

    pub(crate) fn pop(&self) -> Option<Runnable> {
        let mut out = None;
        self.pop_batch(1, |t| out = Some(t));
        out
    }

    /// The ring's capacity (for the tests).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn capacity(&self) -> usize {
        lock(&self.list).queue.capacity()
    }

    /// Closes the injector: later pushes drop their task. Returns `false` if it was already closed.
    pub(crate) fn close(&self) -> bool {
        let mut list = lock(&self.list);
        !std::mem::replace(&mut list.closed, true)
    }
}

impl List {
    /// Gives back the memory of a burst (a ring that outgrew [`KEEP`]): the ring is halved each time it is
    /// down to a quarter full (amortized O(1) per task, and a ring hovering near one size does not thrash),
    /// and freed once empty. A ring that never outgrew `KEEP` is left as it is.
    ///
    /// Both steps matter for what stays resident: `realloc` shrinks a large (`mmap`ed) block in place,
    /// returning pages to the OS, but never below a page, hence the final free; and freeing a block larger
    /// than glibc's `mmap` threshold (128 KiB) raises the threshold, so that the next burst's ring would grow
    /// in the heap and stay resident there after it is freed, hence the halving first.
    fn shrink(&mut self) {
        if !self.burst {
            return;
        }
        let (len, cap) = (self.queue.len(), self.queue.capacity());
        if len == 0 {
            self.queue = VecDeque::new();
            self.burst = false;
        } else if len <= cap / 4 {
            self.queue.shrink_to(cap / 2);
        }
    }
}

impl Overflow<Runnable> for Inject {
    fn push_batch(&self, iter: impl Iterator<Item = Runnable>) {
        let mut list = lock(&self.list);
        if list.closed {
            drop(list);
            // Shutting down: a task that has waited is (being) cancelled through the owned list, and one that
            // was never polled is in no list, so dropping its `Runnable` cancels it. Either way, drop the
            // references outside the lock (the last one drops the future).
            iter.for_each(drop);
            return;
        }
        let before = list.queue.len();
        let need = before + iter.size_hint().0;
        if need > list.queue.capacity() {
            // Powers of two, so that a ring that grew to at most `KEEP` slots stays exactly as it is; and
            // from a quarter of `KEEP` straight to `KEEP`, skipping the mid-sized blocks (64 KiB) that would
            // be freed into the heap, and stay resident there, as a burst grows.
            let mut target = need.next_power_of_two();
            if target > KEEP / 4 {
                target = target.max(KEEP);
            }
            list.queue.reserve(target - before);
        }
        // The iterators given here have an exact size hint, so `extend` reserves once.
        list.queue.extend(iter);
        if list.queue.capacity() > KEEP {
            list.burst = true;
        }
        let n = list.queue.len() - before;
        if n > 0 {
            self.len.fetch_add(n, Release);
        }
    }
}

impl Drop for Inject {
    fn drop(&mut self) {
        self.close();
        while let Some(task) = self.pop() {
            drop(task);
        }
    }
}

impl fmt::Debug for Inject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inject").field("len", &self.len()).finish()
    }
}
