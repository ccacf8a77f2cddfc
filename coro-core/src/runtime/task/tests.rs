//! Task state machine and harness, driven by a scheduler that only records what it is given.

use super::list::OwnedList;
use super::*;
use crate::test_util::{Drops, counting_waker};
use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct Recorder {
    queue: Mutex<VecDeque<(Runnable, bool)>>,
    list: OwnedListCell,
    /// Whether `yielded` hands the task back to its runner (as the workers' scheduler does).
    hand_back: AtomicBool,
}

struct OwnedListCell(OwnedList);

impl Default for OwnedListCell {
    fn default() -> Self {
        OwnedListCell(OwnedList::new(1))
    }
}

#[derive(Clone, Default)]
struct TestSched(Arc<Recorder>);

impl Schedule for TestSched {
    fn schedule(&self, task: Runnable, _: Placement) {
        self.0.queue.lock().unwrap().push_back((task, false));
    }
    fn yielded(&self, task: Runnable) -> Option<Runnable> {
        if self.0.hand_back.load(SeqCst) {
            return Some(task);
        }
        self.0.queue.lock().unwrap().push_back((task, true));
        None
    }
    fn bind(&self, task: Task) -> Result<(), Task> {
        self.0.list.0.bind(task)
    }
    fn release(&self, task: &Task) -> Option<Task> {
        self.0.list.0.remove(task)
    }
}

impl TestSched {
    fn with_shards(shards: usize) -> TestSched {
        TestSched(Arc::new(Recorder {
            queue: Mutex::default(),
            list: OwnedListCell(OwnedList::new(shards)),
            hand_back: AtomicBool::new(false),
        }))
    }
    fn spawn<F: Future + Send + 'static>(&self, f: F) -> (Runnable, JoinHandle<F::Output>)
    where
        F::Output: Send,
    {
        // SAFETY: `Send` future.
        unsafe { new_task(f, self.clone()) }
    }
    /// Spawns a task bound to the list at once (as `spawn_local` does).
    fn spawn_bound<F: Future + Send + 'static>(&self, f: F) -> (Runnable, JoinHandle<F::Output>)
    where
        F::Output: Send,
    {
        // SAFETY: `Send` future.
        let (task, notified, join) = unsafe { new_bound_task(f, self.clone()) };
        self.0.list.0.bind(task).unwrap();
        (notified, join)
    }
    fn listed(&self) -> usize {
        self.0.list.0.len()
    }
    fn queued(&self) -> usize {
        self.0.queue.lock().unwrap().len()
    }
    fn pop(&self) -> Option<(Runnable, bool)> {
        self.0.queue.lock().unwrap().pop_front()
    }
}

fn poll_join<T>(join: &mut Join<T>, waker: &Waker) -> Poll<Result<T, JoinError>> {
    std::pin::Pin::new(join).poll(&mut Context::from_waker(waker))
}

/// The sizes the idle-memory target ("≤ 128 B per parked task including its oneshot") depends on: a task
/// parked on `rx.recv().await` must fit glibc's 96-byte chunk (the oneshot takes the 32-byte one, see
/// `sync/oneshot.rs`). glibc hands out `max(32, round_up(n + 8, 16))` bytes for an `n`-byte request.
#[test]
fn task_sizes_for_the_idle_target() {
    use crate::runtime::worker::Shared;
    use crate::sync::oneshot;
    use std::mem::size_of;

    fn cell_size<F: Future, S>(_: &F) -> usize {
        size_of::<raw::TaskCell<F, S>>()
    }
    fn glibc_chunk(n: usize) -> usize {
        ((n + 8).div_ceil(16) * 16).max(32)
    }

    // One pointer, so that `Result<T, JoinError>` is no larger than a small future.
    assert_eq!(size_of::<JoinError>(), size_of::<usize>());
    assert!(size_of::<Result<(), JoinError>>() <= 2 * size_of::<usize>());

    #[cfg(target_pointer_width = "64")]
    {
        assert_eq!(size_of::<raw::Header>(), 48);
        // The benchmark's task: a future holding a receiver and awaiting it.
        let (tx, rx) = oneshot::channel::<()>();
        let future = async move {
            let _ = rx.recv().await;
        };
        assert_eq!(size_of_val(&future), 24);
        let task = cell_size::<_, Arc<Shared>>(&future);
        assert!(task <= 88, "task cell is {task} bytes");
        assert!(glibc_chunk(task) + glibc_chunk(oneshot::allocation_size::<()>()) <= 128);
        drop((tx, future));
    }
}

/// A large cell (a future holding a buffer) starts on a cache-line pair, a small one keeps its own layout.
#[test]
fn large_cells_are_allocated_on_a_cache_line_pair() {
    use crate::runtime::worker::Shared;

    fn layouts<F: Future>(_: &F) -> (std::alloc::Layout, std::alloc::Layout) {
        (raw::TaskCell::<F, Arc<Shared>>::LAYOUT, std::alloc::Layout::new::<raw::TaskCell<F, Arc<Shared>>>())
    }
    let (layout, plain) = layouts(&async {});
    assert_eq!(layout, plain);
    let large = async {
        let buf = [0u8; 4096];
        poll_fn(|_| Poll::Ready(())).await;
        buf.len()
    };
    let (layout, plain) = layouts(&large);
    assert_eq!((layout.size(), layout.align()), (plain.size(), raw::LARGE_CELL_ALIGN));

    // Such a task runs, completes and is freed as any other, with the layout it was allocated with.
    let sched = TestSched::default();
    let (notified, join) = sched.spawn(large);
    assert_eq!(notified.id() as usize % raw::LARGE_CELL_ALIGN, 0);
    assert!(notified.run().is_none());
    assert_eq!(crate::block_on(join.join()).unwrap(), 4096);
}

#[test]
fn wake_during_poll_schedules_once_after_the_poll() {
    let sched = TestSched::default();
    let polls = Arc::new(AtomicUsize::new(0));
    let p = polls.clone();
    let (notified, join) = sched.spawn(poll_fn(move |cx| {
        let n = p.fetch_add(1, SeqCst);
        if n < 2 {
            // Three wakes during one poll, by ref and by value.
            cx.waker().wake_by_ref();
            cx.waker().wake_by_ref();
            #[allow(clippy::waker_clone_wake, reason = "exercises the by-value wake")]
            cx.waker().clone().wake();
            Poll::Pending
        } else {
            Poll::Ready(n)
        }
    }));
    assert!(notified.run().is_none());
    assert_eq!(sched.queued(), 1, "rescheduled exactly once");
    let (notified, yielded) = sched.pop().unwrap();
    assert!(yielded, "a self-wake is a yield");
    assert!(notified.run().is_none());
    let (notified, _) = sched.pop().unwrap();
    assert!(notified.run().is_none());
    assert_eq!(sched.queued(), 0);
    assert!(join.is_finished());
    assert_eq!(crate::block_on(join.join()).unwrap(), 2);
    assert_eq!(Arc::strong_count(&sched.0), 1, "task freed");
}

#[test]
fn yield_is_handed_back_to_the_runner_when_the_scheduler_says_so() {
    let sched = TestSched::default();
    sched.0.hand_back.store(true, SeqCst);
    let (notified, join) = sched.spawn(crate::yield_now());
    let back = notified.run().expect("a self-wake is handed back");
    assert_eq!(sched.queued(), 0, "not scheduled as well");
    assert!(!join.is_finished());
    assert!(back.run().is_none(), "completes, nothing to hand back");
    assert!(join.is_finished());
    drop(join);
    assert_eq!(Arc::strong_count(&sched.0), 1, "task freed");
}

#[test]
fn wake_of_idle_task_submits_and_join_waker_fires() {
    let sched = TestSched::default();
    let slot: Arc<Mutex<Option<Waker>>> = Default::default();
    let s = slot.clone();
    let mut first = true;
    let (notified, join) = sched.spawn(poll_fn(move |cx| {
        if std::mem::take(&mut first) {
            *s.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        } else {
            Poll::Ready("done")
        }
    }));
    assert!(notified.run().is_none());
    assert_eq!(sched.queued(), 0);
    let mut join = join.join();
    let (counter, waker) = counting_waker();
    assert!(poll_join(&mut join, &waker).is_pending());
    // Polling again with the same waker does not re-register.
    assert!(poll_join(&mut join, &waker).is_pending());
    let task_waker = slot.lock().unwrap().take().unwrap();
    task_waker.wake_by_ref();
    task_waker.wake_by_ref(); // already notified: nothing more
    assert_eq!(sched.queued(), 1);
    let (notified, yielded) = sched.pop().unwrap();
    assert!(!yielded);
    assert!(notified.run().is_none());
    assert_eq!(counter.woken(), 1, "joiner woken once");
    assert!(matches!(poll_join(&mut join, &waker), Poll::Ready(Ok("done"))));
    drop(join);
    // A waker outliving the task: waking a complete task does nothing, dropping it frees the task.
    task_waker.wake();
    assert_eq!(sched.queued(), 0);
    assert_eq!(Arc::strong_count(&sched.0), 1);
}

#[test]
fn dropping_the_handle_early_drops_the_output_at_completion() {
    let sched = TestSched::default();
    let out = Arc::new(());
    let o = out.clone();
    let (notified, join) = sched.spawn(async move { o });
    drop(join);
    assert!(notified.run().is_none());
    assert_eq!(Arc::strong_count(&out), 1, "output dropped by the runner");
    assert_eq!(Arc::strong_count(&sched.0), 1);
}

#[test]
fn dropping_the_handle_late_drops_the_output() {
    let sched = TestSched::default();
    let out = Arc::new(());
    let o = out.clone();
    let (notified, join) = sched.spawn(async move { o });
    assert!(notified.run().is_none());
    assert_eq!(Arc::strong_count(&out), 2, "output kept for the handle");
    drop(join);
    assert_eq!(Arc::strong_count(&out), 1);
    assert_eq!(Arc::strong_count(&sched.0), 1);
}

#[test]
fn abort_idle_task() {
    let sched = TestSched::default();
    let fut_alive = Arc::new(());
    let f = fut_alive.clone();
    let (notified, join) = sched.spawn(async move {
        let _f = f;
        std::future::pending::<()>().await
    });
    assert!(notified.run().is_none());
    assert_eq!(Arc::strong_count(&fut_alive), 2);
    join.abort();
    assert_eq!(sched.queued(), 1, "abort schedules the idle task");
    let (notified, _) = sched.pop().unwrap();
    assert!(notified.run().is_none());
    assert_eq!(Arc::strong_count(&fut_alive), 1, "future dropped by the runner");
    assert!(crate::block_on(join.join()).unwrap_err().is_cancelled());
    assert_eq!(Arc::strong_count(&sched.0), 1);
}

#[test]
fn abort_while_queued_cancels_instead_of_polling() {
    let sched = TestSched::default();
    let (notified, join) = sched.spawn(async { panic!("must not be polled") });
    join.abort();
    assert_eq!(sched.queued(), 0, "already queued: no second entry");
    assert!(notified.run().is_none());
    assert!(crate::block_on(join.join()).unwrap_err().is_cancelled());
}

#[test]
fn panic_while_polling_is_caught() {
    let sched = TestSched::default();
    let (notified, join) = sched.spawn(async { panic!("oops") });
    assert!(notified.run().is_none());
    let err = crate::block_on(join.join()).unwrap_err();
    assert!(err.is_panic());
    assert_eq!(format!("{err:?}"), "JoinError::Panic(\"oops\")");
    assert_eq!(Arc::strong_count(&sched.0), 1);
}

#[test]
fn shutdown_through_the_list() {
    let sched = TestSched::default();
    let (notified, join) = sched.spawn(std::future::pending::<()>());
    assert!(notified.run().is_none());
    let (notified2, join2) = sched.spawn(std::future::pending::<()>());
    sched.0.list.0.close_and_shutdown_all();
    // Queued `Runnable` of a cancelled task: running it is a no-op.
    assert!(notified2.run().is_none());
    assert!(crate::block_on(join.join()).unwrap_err().is_cancelled());
    assert!(crate::block_on(join2.join()).unwrap_err().is_cancelled());
    // Binding after close fails.
    // SAFETY: `Send` future.
    let (task, notified, join) = unsafe { new_bound_task(async {}, sched.clone()) };
    let task = sched.0.list.0.bind(task).unwrap_err();
    drop(notified);
    task.shutdown();
    assert!(crate::block_on(join.join()).unwrap_err().is_cancelled());
    assert_eq!(Arc::strong_count(&sched.0), 1);
}

/// A task joins the owned list at the end of its first `Pending` poll, not before; one that completes in
/// its first poll never joins it. Either way it is freed once done.
#[test]
fn tasks_join_the_list_when_they_first_wait() {
    let sched = TestSched::default();
    let (notified, join) = sched.spawn(async { 1 });
    assert_eq!(sched.listed(), 0);
    assert!(notified.run().is_none());
    assert_eq!(sched.listed(), 0);
    assert_eq!(crate::block_on(join.join()).unwrap(), 1);

    let mut first = true;
    let (notified, join) = sched.spawn(poll_fn(move |cx| {
        if std::mem::take(&mut first) {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            Poll::Ready(2)
        }
    }));
    assert_eq!(sched.listed(), 0);
    assert!(notified.run().is_none());
    assert_eq!(sched.listed(), 1);
    let (notified, _) = sched.pop().unwrap();
    assert!(notified.run().is_none());
    assert_eq!(sched.listed(), 0);
    assert_eq!(crate::block_on(join.join()).unwrap(), 2);
    assert_eq!(Arc::strong_count(&sched.0), 1);
}

/// A task never polled is reachable only through its `Runnable`: dropping that cancels the task (its future
/// is dropped, the join reports cancellation) and frees it. A task whose first wait finds the list closed is
/// cancelled by its poller.
#[test]
fn unbound_tasks_are_cancelled_by_their_notified_or_their_poller() {
    let sched = TestSched::default();
    let drops = Arc::new(AtomicUsize::new(0));
    let d = Drops(drops.clone());
    let (notified, join) = sched.spawn(async move {
        let _d = d;
    });
    drop(notified);
    assert_eq!(drops.load(SeqCst), 1);
    assert!(crate::block_on(join.join()).unwrap_err().is_cancelled());

    sched.0.list.0.close_and_shutdown_all();
    let d = Drops(drops.clone());
    let (notified, join) = sched.spawn(async move {
        let _d = d;
        std::future::pending::<()>().await;
    });
    assert!(notified.run().is_none());
    assert_eq!(drops.load(SeqCst), 2);
    assert_eq!(sched.queued(), 0);
    assert!(crate::block_on(join.join()).unwrap_err().is_cancelled());
    assert_eq!(Arc::strong_count(&sched.0), 1);
}

/// A completed task leaves the owned list wherever it sits in its shard (head, middle, tail): "linked" is
/// read from the links, not stored.
#[test]
fn owned_list_unlinks_head_middle_and_tail() {
    let sched = TestSched::default();
    let len = || sched.listed();
    // Each bind links at the head: the shard reads third, second, first.
    let (first, j1) = sched.spawn_bound(async { 1 });
    let (second, j2) = sched.spawn_bound(async { 2 });
    let (third, j3) = sched.spawn_bound(async { 3 });
    assert_eq!(len(), 3);
    assert!(second.run().is_none());
    assert_eq!(len(), 2);
    assert!(first.run().is_none());
    assert_eq!(len(), 1);
    assert!(third.run().is_none());
    assert_eq!(len(), 0);
    for (join, value) in [(j1, 1), (j2, 2), (j3, 3)] {
        assert_eq!(crate::block_on(join.join()).unwrap(), value);
    }
    assert_eq!(Arc::strong_count(&sched.0), 1);
}

/// With several shards (each task's chosen from its address), tasks spread over them, each completion finds
/// its own shard, and shutdown reaches the rest.
#[test]
fn owned_list_shards_by_address() {
    let sched = TestSched::with_shards(8);
    let mut tasks: Vec<_> = (0..256).map(|i| sched.spawn_bound(async move { i })).collect();
    assert_eq!(sched.0.list.0.len(), 256);
    let used = (0..8).filter(|&i| sched.0.list.0.shard_len(i) > 0).count();
    assert!(used >= 6, "256 tasks in {used} of 8 shards");
    // Complete every other task; shut the rest down.
    let mut joins = Vec::new();
    for (i, (notified, join)) in tasks.drain(..).enumerate() {
        if i % 2 == 0 {
            assert!(notified.run().is_none());
        } else {
            drop(notified);
        }
        joins.push(join);
    }
    assert_eq!(sched.0.list.0.len(), 128);
    sched.0.list.0.close_and_shutdown_all();
    assert_eq!(sched.0.list.0.len(), 0);
    for (i, join) in joins.into_iter().enumerate() {
        match crate::block_on(join.join()) {
            Ok(v) => assert_eq!((i % 2, v), (0, i)),
            Err(e) => assert!(i % 2 == 1 && e.is_cancelled()),
        }
    }
    assert_eq!(Arc::strong_count(&sched.0), 1);
}

/// The injector hands out tasks in order, in batches larger than one lock's worth, gives back a burst's
/// memory once drained, and drops what is pushed after `close`.
#[test]
fn injector_batches_burst_and_close() {
    use crate::runtime::inject::Inject;
    use crate::runtime::queue::Overflow;
    let sched = TestSched::default();
    let inject = Inject::new();
    let mut joins = Vec::new();
    let mut batch = Vec::new();
    let order = Arc::new(AtomicUsize::new(0));
    for i in 0..20_000usize {
        let order = order.clone();
        // Run in FIFO order, or the task panics and its join fails below.
        let (notified, join) = sched.spawn(async move {
            assert_eq!(order.fetch_add(1, SeqCst), i);
            i
        });
        batch.push(notified);
        joins.push(join);
        if batch.len() == 129 {
            inject.push_batch(batch.drain(..));
        }
    }
    inject.push_batch(batch.drain(..));
    assert_eq!(inject.len(), 20_000);
    assert!(inject.capacity() >= 20_000);
    // A batch larger than one lock's worth (128), in order.
    let mut next = 0;
    let mut run = |task: Runnable| {
        assert!(task.run().is_none());
        next += 1;
    };
    inject.pop_batch(300, &mut run);
    assert_eq!(inject.len(), 19_700);
    while !inject.is_empty() {
        inject.pop_batch(64, &mut run);
    }
    assert_eq!(next, 20_000);
    for (i, join) in joins.drain(..).enumerate() {
        assert_eq!(crate::block_on(join.join()).unwrap(), i);
    }
    // The burst's ring was freed as it drained.
    assert_eq!(inject.capacity(), 0);

    // Closed: a push drops its reference instead of queueing it. That cancels a task never polled (nothing
    // else could); a bound task is left to the list.
    assert!(inject.close());
    assert!(!inject.close());
    let (notified, join) = sched.spawn(async {});
    inject.push(notified);
    assert!(inject.is_empty() && inject.pop().is_none());
    assert!(crate::block_on(join.join()).unwrap_err().is_cancelled());
    let (notified, join) = sched.spawn_bound(async {});
    inject.push(notified);
    assert!(!join.is_finished());
    sched.0.list.0.close_and_shutdown_all();
    assert!(crate::block_on(join.join()).unwrap_err().is_cancelled());
    assert_eq!(Arc::strong_count(&sched.0), 1);
}

/// Panics in drops: a future whose drop panics, an output whose drop panics. Each value is dropped exactly
/// once (the stage is overwritten even when the old one's drop unwinds), the panic is reported where there
/// is a joiner, and the task is freed.
#[test]
fn panicking_drops_leave_a_consistent_stage() {
    struct PanicOnDrop(Arc<AtomicUsize>);
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
            // Not while unwinding already: that aborts, whoever drops.
            if !std::thread::panicking() {
                panic!("drop");
            }
        }
    }
    let sched = TestSched::default();
    let drops = Arc::new(AtomicUsize::new(0));

    // Cancelled while idle: the future's drop panics; the join reports that panic.
    let probe = PanicOnDrop(drops.clone());
    let (notified, join) = sched.spawn(async move {
        let _probe = probe;
        std::future::pending::<()>().await;
    });
    assert!(notified.run().is_none());
    join.abort();
    assert!(sched.pop().unwrap().0.run().is_none());
    assert_eq!(drops.load(SeqCst), 1);
    let err = crate::block_on(join.join()).unwrap_err();
    assert_eq!(format!("{err}"), "task panicked with message \"drop\"");

    // Panics while polling (unwinding drops its locals): that panic is reported.
    let probe = PanicOnDrop(drops.clone());
    let (notified, join) = sched.spawn(async move {
        let _probe = probe;
        panic!("poll");
    });
    assert!(notified.run().is_none());
    assert_eq!(drops.load(SeqCst), 2);
    let err = crate::block_on(join.join()).unwrap_err();
    assert_eq!(format!("{err:?}"), "JoinError::Panic(\"poll\")");

    // Detached: its output's drop panics on the completing thread, and is swallowed.
    let probe = PanicOnDrop(drops.clone());
    let (notified, join) = sched.spawn(async move { probe });
    drop(join);
    assert!(notified.run().is_none());
    assert_eq!(drops.load(SeqCst), 3);

    // Joined late: the output is dropped with the handle, whose drop swallows the panic.
    let probe = PanicOnDrop(drops.clone());
    let (notified, join) = sched.spawn(async move { probe });
    assert!(notified.run().is_none());
    drop(join);
    assert_eq!(drops.load(SeqCst), 4);

    assert_eq!(sched.queued(), 0);
    assert_eq!(Arc::strong_count(&sched.0), 1);
}
