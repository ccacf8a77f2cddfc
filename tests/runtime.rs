//! The scheduler seen from user code: spawning, stealing, fairness, panics, abort, `spawn_local`, shutdown.
//!
//! No test sleeps or measures time. Where a broken scheduler would hang instead of fail (a task that is
//! never stolen, a yield loop that starves its neighbour), the waiting side is bounded by a count or a
//! channel timeout that only a bug can reach, and fails with a message.

#![deny(warnings)]

use coro::sync::oneshot;
use coro::{JoinHandle, Runtime, spawn, spawn_local};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::{self, ThreadId};
use std::time::Duration;

/// Long enough that only a scheduler bug makes a test wait this much.
const HANG: Duration = Duration::from_secs(30);

#[coro::test(workers = 2)]
fn a_million_spawned_tasks_all_complete() {
    let done = Arc::new(AtomicUsize::new(0));
    let handles: Vec<JoinHandle<usize>> = (0..1_000_000)
        .map(|i| {
            let done = done.clone();
            coro::spawn!(move || {
                done.fetch_add(1, Ordering::Relaxed);
                i
            })
        })
        .collect();
    let mut sum = 0usize;
    for handle in handles {
        sum += handle.join().unwrap();
    }
    assert_eq!(done.load(Ordering::Relaxed), 1_000_000);
    assert_eq!(sum, (0..1_000_000).sum::<usize>());
}

#[coro::test(workers = 2)]
fn a_task_spawned_on_a_blocked_worker_is_stolen() {
    let (ran_tx, ran_rx) = mpsc::channel::<ThreadId>();
    let blocker = coro::spawn!(move || {
        let here = thread::current().id();
        // Queued on this worker's run queue...
        drop(coro::spawn!(move || ran_tx.send(thread::current().id()).unwrap()));
        // ...which this task then blocks: only another worker can run the spawned task.
        let stolen_by = ran_rx.recv_timeout(HANG).expect("the spawned task was never stolen");
        (here, stolen_by)
    });
    let (blocked, stolen_by) = blocker.join().unwrap();
    assert_ne!(blocked, stolen_by);
}

#[coro::test(workers = 1)]
fn a_yield_loop_does_not_starve_its_neighbour() {
    let spinner = coro::spawn!(move || {
        let flag = Arc::new(AtomicBool::new(false));
        let setter = flag.clone();
        // One worker: the neighbour can only run when the spinner yields.
        drop(coro::spawn!(move || setter.store(true, Ordering::Release)));
        let mut yields = 0u32;
        while !flag.load(Ordering::Acquire) {
            coro::yield_now();
            yields += 1;
            assert!(yields < 1_000_000, "the neighbour never ran");
        }
        yields
    });
    assert!(spinner.join().unwrap() >= 1);
}

#[coro::test(workers = 2)]
fn a_panicking_task_is_reported_and_the_runtime_keeps_serving() {
    let failing = coro::spawn!(move || -> u32 { panic!("boom") });
    let error = failing.join().unwrap_err();
    assert!(error.is_panic());
    assert!(!error.is_cancelled());
    assert_eq!(error.to_string(), "task panicked with message \"boom\"");
    assert_eq!(*error.into_panic().downcast::<&str>().unwrap(), "boom");
    let after = coro::spawn!(move || 42);
    assert_eq!(after.join().unwrap(), 42);
}

#[coro::test(workers = 2)]
fn abort_cancels_and_drops_the_future() {
    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
        }
    }
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = SetOnDrop(dropped.clone());
    let (_tx, rx) = oneshot::channel::<()>();
    let parked = coro::spawn!(move || {
        let _guard = &guard;
        let _ = rx.recv(); // never sent
    });
    assert!(!parked.is_finished());
    parked.abort();
    parked.abort(); // idempotent
    let error = parked.join().unwrap_err();
    assert!(error.is_cancelled());
    assert!(!error.is_panic());
    assert_eq!(error.to_string(), "task was cancelled");
    assert!(dropped.load(Ordering::Acquire));
}

#[coro::test(workers = 2)]
fn join_handles_report_completion() {
    let (tx, rx) = oneshot::channel::<u32>();
    let waiting = coro::spawn!(move || rx.recv().unwrap());
    assert!(!waiting.is_finished());
    tx.send(7).unwrap();
    assert_eq!(waiting.join().unwrap(), 7);
}

#[coro::test(workers = 2)]
fn spawn_local_stays_on_its_worker() {
    let owner = coro::spawn!(move || {
        let here = thread::current().id();
        let local = coro::spawn_local!(move || {
            let polls_elsewhere = Rc::new(Cell::new(0u32)); // !Send across suspensions: only spawn_local takes it
            for _ in 0..1000 {
                if thread::current().id() != here {
                    polls_elsewhere.set(polls_elsewhere.get() + 1);
                }
                coro::yield_now();
            }
            polls_elsewhere.get()
        });
        local.join().unwrap()
    });
    assert_eq!(owner.join().unwrap(), 0);
}

#[test]
fn the_function_forms_take_any_future() {
    let runtime = Runtime::builder().workers(1).build().unwrap();
    let answer = runtime.block_on(async {
        let remote = spawn(async { 40 });
        let local = spawn_local(async { 2 });
        remote.join().await.unwrap() + local.join().await.unwrap()
    });
    assert_eq!(answer, 42);
}

#[test]
fn run_starts_and_stops_a_runtime() {
    assert_eq!(coro::run(async { 6 * 7 }), 42);
}
