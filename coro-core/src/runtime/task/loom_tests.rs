//! loom models of the task state machine: concurrent wake, join, abort and drop against a running task.

use super::list::OwnedList;
use super::*;
use crate::loom::{Mutex, lock, thread};
use crate::test_util::{Drops, counting_waker, poll};
use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::task::{Poll, Waker};

struct Recorder {
    queue: Mutex<VecDeque<Runnable>>,
    list: OwnedList,
}

#[derive(Clone)]
struct TestSched(Arc<Recorder>);

impl Schedule for TestSched {
    fn schedule(&self, task: Runnable, _: Placement) {
        let mut queue = lock(&self.0.queue);
        // A task is never queued twice.
        assert!(queue.iter().all(|t| t.0.header_ptr() != task.0.header_ptr()), "task queued twice");
        queue.push_back(task);
    }
    fn yielded(&self, task: Runnable) -> Option<Runnable> {
        self.schedule(task, Placement::Back);
        None
    }
    fn bind(&self, task: Task) -> Result<(), Task> {
        self.0.list.bind(task)
    }
    fn release(&self, task: &Task) -> Option<Task> {
        self.0.list.remove(task)
    }
}

impl TestSched {
    fn new() -> TestSched {
        TestSched(Arc::new(Recorder { queue: Mutex::new(VecDeque::new()), list: OwnedList::new(1) }))
    }
    fn spawn<F: Future + Send + 'static>(&self, f: F) -> (Runnable, JoinHandle<F::Output>)
    where
        F::Output: Send,
    {
        // SAFETY: `Send` future.
        unsafe { new_task(f, self.clone()) }
    }
    /// Runs everything queued until the queue is empty.
    fn drain(&self) {
        loop {
            let task = lock(&self.0.queue).pop_front();
            match task {
                Some(task) => assert!(task.run().is_none(), "this scheduler queues yields itself"),
                None => return,
            }
        }
    }
}

impl std::ops::Deref for TestSched {
    type Target = Recorder;
    fn deref(&self) -> &Recorder {
        &self.0
    }
}

/// A task pending until `go` is set, storing its waker in `slot`; counts its polls.
fn waiting_task(
    go: Arc<AtomicBool>,
    slot: Arc<std::sync::Mutex<Option<Waker>>>,
) -> impl Future<Output = usize> + Send + 'static {
    let mut polls = 0;
    poll_fn(move |cx| {
        polls += 1;
        *slot.lock().unwrap() = Some(cx.waker().clone());
        if go.load(SeqCst) { Poll::Ready(polls) } else { Poll::Pending }
    })
}

/// A wake racing the poll is never lost and never queues the task twice.
#[test]
fn loom_task_wake_during_poll() {
    loom::model(|| {
        let sched = TestSched::new();
        let go = Arc::new(AtomicBool::new(false));
        let slot = Arc::new(std::sync::Mutex::new(None));
        let (notified, join) = sched.spawn(waiting_task(go.clone(), slot.clone()));
        assert!(notified.run().is_none()); // first poll: pending, waker stored
        let waker = slot.lock().unwrap().clone().unwrap();
        let t = thread::spawn(move || {
            go.store(true, SeqCst);
            waker.wake();
        });
        // Meanwhile a spurious wake and a poll on this thread.
        slot.lock().unwrap().clone().unwrap().wake_by_ref();
        sched.drain();
        t.join().unwrap();
        sched.drain();
        assert!(join.is_finished(), "wake lost");
        drop(join);
        drop(slot);
        assert_eq!(Arc::strong_count(&sched.0), 1, "task leaked");
    });
}

/// The joiner registering its waker races the completion: it sees the output or is woken.
#[test]
fn loom_task_join_vs_complete() {
    loom::model(|| {
        let sched = TestSched::new();
        let (notified, join) = sched.spawn(async { 7 });
        let t = thread::spawn(move || assert!(notified.run().is_none()));
        let (count, waker) = counting_waker();
        let mut join = join.join();
        let first = poll(&mut join, &waker);
        t.join().unwrap();
        match first {
            Poll::Ready(out) => assert_eq!(out.unwrap(), 7),
            Poll::Pending => {
                assert!(count.woken() > 0, "joiner not woken");
                let again = poll(&mut join, &waker);
                assert!(matches!(again, Poll::Ready(Ok(7))));
            }
        }
        drop(join);
        assert_eq!(Arc::strong_count(&sched.0), 1);
    });
}

/// `abort()` racing a poll: the future is dropped exactly once, the result is the output or cancelled.
#[test]
fn loom_task_abort_vs_poll() {
    loom::model(|| {
        let sched = TestSched::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let d = Drops(drops.clone());
        let mut first = true;
        let (notified, join) = sched.spawn(poll_fn(move |cx| {
            let _keep = &d;
            if std::mem::take(&mut first) {
                cx.waker().wake_by_ref();
                Poll::Pending
            } else {
                Poll::Ready(1)
            }
        }));
        let s2 = sched.clone();
        let t = thread::spawn(move || {
            assert!(notified.run().is_none());
            s2.drain();
        });
        join.abort();
        t.join().unwrap();
        sched.drain();
        assert_eq!(drops.load(SeqCst), 1);
        match crate::block_on(join.join()) {
            Ok(v) => assert_eq!(v, 1),
            Err(e) => assert!(e.is_cancelled()),
        }
        assert_eq!(Arc::strong_count(&sched.0), 1);
    });
}

/// The last reference (a waker) dropped on another thread while the task completes and the handle goes.
#[test]
fn loom_task_last_ref_dropped_elsewhere() {
    loom::model(|| {
        let sched = TestSched::new();
        let go = Arc::new(AtomicBool::new(false));
        let slot = Arc::new(std::sync::Mutex::new(None));
        let (notified, join) = sched.spawn(waiting_task(go, slot.clone()));
        assert!(notified.run().is_none());
        let waker = slot.lock().unwrap().take().unwrap();
        let t = thread::spawn(move || drop(waker));
        // Cancel the task here while the other thread drops the waker: whichever reference goes last frees it.
        join.abort();
        sched.drain();
        drop(join);
        t.join().unwrap();
        drop(slot);
        assert_eq!(Arc::strong_count(&sched.0), 1, "task not freed exactly once");
    });
}

/// Two threads push into the injector while a third pops a batch: every task comes out exactly once.
#[test]
fn loom_inject_push_pop() {
    use crate::runtime::inject::Inject;
    loom::model(|| {
        let sched = TestSched::new();
        let inject = Arc::new(Inject::new());
        let mut joins = Vec::new();
        let mut pushers = Vec::new();
        for _ in 0..2 {
            let (notified, join) = sched.spawn(async {});
            joins.push(join);
            let inject = inject.clone();
            pushers.push(thread::spawn(move || inject.push(notified)));
        }
        let mut popped = 0;
        inject.pop_batch(2, |task| {
            popped += 1;
            assert!(task.run().is_none());
        });
        for p in pushers {
            p.join().unwrap();
        }
        while let Some(task) = inject.pop() {
            popped += 1;
            assert!(task.run().is_none());
        }
        assert_eq!(popped, 2);
        assert!(joins.iter().all(JoinHandle::is_finished));
        drop(joins);
        assert_eq!(Arc::strong_count(&sched.0), 1);
    });
}

/// A push racing `close`: the task is queued (and popped by the drain) or its reference dropped, never lost
/// or leaked.
#[test]
fn loom_inject_push_vs_close() {
    use crate::runtime::inject::Inject;
    loom::model(|| {
        let sched = TestSched::new();
        let inject = Arc::new(Inject::new());
        let (notified, join) = sched.spawn(async {});
        let pusher = {
            let inject = inject.clone();
            thread::spawn(move || inject.push(notified))
        };
        inject.close();
        pusher.join().unwrap();
        let mut popped = 0;
        while let Some(task) = inject.pop() {
            popped += 1;
            assert!(task.run().is_none());
        }
        assert!(popped <= 1);
        // A task whose `Runnable` was dropped unrun, never polled, was cancelled by that drop.
        assert!(join.is_finished());
        drop(join);
        assert_eq!(Arc::strong_count(&sched.0), 1);
    });
}

/// A future that wakes itself and waits once, then returns `value`: its first poll binds it to the list.
fn yield_once(value: usize) -> impl Future<Output = usize> + Send + 'static {
    let mut first = true;
    poll_fn(move |cx| {
        if std::mem::take(&mut first) {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            Poll::Ready(value)
        }
    })
}

/// Tasks binding themselves to the owned list at their first wait, then completing (each unlinking itself)
/// on one thread while shutdown unlinks and cancels them on another: a task binds before the list closes (and
/// is then unlinked once, by shutdown or by its completion) or is cancelled by its poller; every task is
/// freed exactly once; "linked" is read from the links.
#[test]
fn loom_owned_list_bind_and_complete_vs_shutdown() {
    loom::model(|| {
        let sched = TestSched::new();
        let (first, join1) = sched.spawn(yield_once(1));
        let (second, join2) = sched.spawn(async { 2 });
        let s2 = sched.clone();
        let runner = thread::spawn(move || {
            assert!(first.run().is_none());
            assert!(second.run().is_none());
            s2.drain();
        });
        sched.list.close_and_shutdown_all();
        runner.join().unwrap();
        sched.drain();
        for (join, value) in [(join1, 1), (join2, 2)] {
            match crate::block_on(join.join()) {
                Ok(v) => assert_eq!(v, value),
                Err(e) => assert!(e.is_cancelled()),
            }
        }
        assert_eq!(Arc::strong_count(&sched.0), 1);
    });
}

/// A task's first wait (binding it) racing the list's shutdown: whether it binds first (and shutdown cancels
/// it) or finds the list closed (and its poller cancels it), its future is dropped once and it is freed.
#[test]
fn loom_first_wait_vs_shutdown() {
    loom::model(|| {
        let sched = TestSched::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let d = Drops(drops.clone());
        let (notified, join) = sched.spawn(async move {
            let _d = d;
            std::future::pending::<()>().await;
        });
        let runner = thread::spawn(move || assert!(notified.run().is_none()));
        sched.list.close_and_shutdown_all();
        runner.join().unwrap();
        assert_eq!(drops.load(SeqCst), 1);
        assert!(crate::block_on(join.join()).unwrap_err().is_cancelled());
        assert_eq!(Arc::strong_count(&sched.0), 1);
    });
}
