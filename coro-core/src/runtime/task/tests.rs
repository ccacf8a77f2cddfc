//! Task state machine and harness, driven by a scheduler that only records what it is given.

use super::list::OwnedList;
use super::*;
use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct Recorder {
    queue: Mutex<VecDeque<(Notified, bool)>>,
    list: OwnedListCell,
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
    fn schedule(&self, task: Notified, placement: Placement) {
        self.0.queue.lock().unwrap().push_back((task, placement == Placement::Back));
    }
    fn release(&self, task: &Task) -> Option<Task> {
        self.0.list.0.remove(task)
    }
}

impl TestSched {
    fn spawn<F: Future + Send + 'static>(&self, f: F) -> (Notified, JoinHandle<F::Output>)
    where
        F::Output: Send,
    {
        // SAFETY: `Send` future.
        let (task, notified, join) = unsafe { new_task(f, self.clone()) };
        self.0.list.0.bind(task, 0).unwrap();
        (notified, join)
    }
    fn queued(&self) -> usize {
        self.0.queue.lock().unwrap().len()
    }
    fn pop(&self) -> Option<(Notified, bool)> {
        self.0.queue.lock().unwrap().pop_front()
    }
}

fn poll_join<T>(join: &mut Join<T>, waker: &Waker) -> Poll<Result<T, JoinError>> {
    std::pin::Pin::new(join).poll(&mut Context::from_waker(waker))
}

struct CountWake(AtomicUsize);
impl std::task::Wake for CountWake {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn task_is_one_allocation_with_64_byte_header() {
    #[cfg(target_pointer_width = "64")]
    assert_eq!(std::mem::size_of::<raw::Header>(), 64);
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
    notified.run();
    assert_eq!(sched.queued(), 1, "rescheduled exactly once");
    let (notified, yielded) = sched.pop().unwrap();
    assert!(yielded, "a self-wake is a yield");
    notified.run();
    let (notified, _) = sched.pop().unwrap();
    notified.run();
    assert_eq!(sched.queued(), 0);
    assert!(join.is_finished());
    assert_eq!(crate::block_on(join.join()).unwrap(), 2);
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
    notified.run();
    assert_eq!(sched.queued(), 0);
    let mut join = join.join();
    let counter = Arc::new(CountWake(AtomicUsize::new(0)));
    let waker = Waker::from(counter.clone());
    assert!(poll_join(&mut join, &waker).is_pending());
    // Polling again with the same waker does not re-register.
    assert!(poll_join(&mut join, &waker).is_pending());
    let task_waker = slot.lock().unwrap().take().unwrap();
    task_waker.wake_by_ref();
    task_waker.wake_by_ref(); // already notified: nothing more
    assert_eq!(sched.queued(), 1);
    let (notified, yielded) = sched.pop().unwrap();
    assert!(!yielded);
    notified.run();
    assert_eq!(counter.0.load(SeqCst), 1, "joiner woken once");
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
    notified.run();
    assert_eq!(Arc::strong_count(&out), 1, "output dropped by the runner");
    assert_eq!(Arc::strong_count(&sched.0), 1);
}

#[test]
fn dropping_the_handle_late_drops_the_output() {
    let sched = TestSched::default();
    let out = Arc::new(());
    let o = out.clone();
    let (notified, join) = sched.spawn(async move { o });
    notified.run();
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
    notified.run();
    assert_eq!(Arc::strong_count(&fut_alive), 2);
    join.abort();
    assert_eq!(sched.queued(), 1, "abort schedules the idle task");
    let (notified, _) = sched.pop().unwrap();
    notified.run();
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
    notified.run();
    assert!(crate::block_on(join.join()).unwrap_err().is_cancelled());
}

#[test]
fn panic_while_polling_is_caught() {
    let sched = TestSched::default();
    let (notified, join) = sched.spawn(async { panic!("oops") });
    notified.run();
    let err = crate::block_on(join.join()).unwrap_err();
    assert!(err.is_panic());
    assert_eq!(format!("{err:?}"), "JoinError::Panic(\"oops\")");
    assert_eq!(Arc::strong_count(&sched.0), 1);
}

#[test]
fn shutdown_through_the_list() {
    let sched = TestSched::default();
    let (notified, join) = sched.spawn(std::future::pending::<()>());
    notified.run();
    let (notified2, join2) = sched.spawn(std::future::pending::<()>());
    sched.0.list.0.close_and_shutdown_all();
    // Queued `Notified` of a cancelled task: running it is a no-op.
    notified2.run();
    assert!(crate::block_on(join.join()).unwrap_err().is_cancelled());
    assert!(crate::block_on(join2.join()).unwrap_err().is_cancelled());
    // Binding after close fails.
    // SAFETY: `Send` future.
    let (task, notified, join) = unsafe { new_task(async {}, sched.clone()) };
    let task = sched.0.list.0.bind(task, 0).unwrap_err();
    drop(notified);
    task.shutdown();
    assert!(crate::block_on(join.join()).unwrap_err().is_cancelled());
    assert_eq!(Arc::strong_count(&sched.0), 1);
}
