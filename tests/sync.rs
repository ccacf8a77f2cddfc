//! `coro::sync` on a runtime with two workers: exclusion, fairness, bounds and wake-ups as coroutines see
//! them, with guards held across suspension points and tasks moving between workers.
//!
//! No test sleeps or measures time. Where a broken primitive would hang instead of fail (a lost wake-up),
//! the wait is bounded by a timeout that only a bug can reach, and fails with a message.

#![deny(warnings)]

use coro::JoinHandle;
use coro::sync::{Barrier, Mutex, Notify, OnceCell, RwLock, Semaphore, WaitGroup};
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

/// Long enough that only a bug makes a test wait this much.
const HANG: Duration = Duration::from_secs(30);

/// Joins every task, failing if one hangs or panicked.
#[coro::coroutine]
fn join_all<T: Send + 'static>(handles: Vec<JoinHandle<T>>) -> Vec<T> {
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(coro::timeout!(HANG, handle.join()).expect("a task hung").unwrap());
    }
    outputs
}

/// Waits (yielding) until `counter` reaches `n`, failing if it never does.
#[coro::coroutine]
fn wait_for(counter: &AtomicUsize, n: usize) {
    let mut yields = 0u32;
    while counter.load(SeqCst) < n {
        coro::yield_now();
        yields += 1;
        assert!(yields < 10_000_000, "counter stuck at {} < {n}", counter.load(SeqCst));
    }
}

/// Polls `fut` once, then counts it in `queued` (its first poll queued it, if it did not complete), then
/// waits for it: arrival order becomes observable.
async fn counted_after_first_poll<F: Future>(fut: F, queued: &AtomicUsize) -> F::Output {
    let mut fut = pin!(fut);
    let mut first = true;
    poll_fn(|cx| {
        let res = fut.as_mut().poll(cx);
        if std::mem::take(&mut first) {
            queued.fetch_add(1, SeqCst);
        }
        res
    })
    .await
}

#[coro::coroutine]
fn add_slowly(counter: Arc<Mutex<u64>>, times: u32) {
    for _ in 0..times {
        let mut guard = counter.lock();
        let seen = *guard;
        coro::yield_now(); // others run, maybe this task moves to the other worker; the guard stays held
        *guard = seen + 1;
    }
}

#[coro::test(workers = 2)]
fn mutex_guard_held_across_yields_counts_exactly() {
    let counter = Arc::new(Mutex::new(0u64));
    let handles = (0..50).map(|_| coro::spawn!(add_slowly(counter.clone(), 20))).collect();
    join_all(handles);
    assert_eq!(*counter.lock(), 50 * 20);
}

#[coro::test(workers = 2)]
fn mutex_waiters_acquire_in_arrival_order() {
    const TASKS: usize = 20;
    let order = Arc::new(Mutex::new(Vec::new()));
    let queued = Arc::new(AtomicUsize::new(0));
    let held = order.lock();
    let mut handles = Vec::new();
    for i in 0..TASKS {
        let (order, counted) = (order.clone(), queued.clone());
        handles.push(coro::spawn!(async move {
            let mut order = counted_after_first_poll(order.lock(), &counted).await;
            order.push(i);
        }));
        // Task `i` is queued before task `i + 1` is spawned.
        wait_for(&queued, i + 1);
    }
    drop(held);
    join_all(handles);
    assert_eq!(*order.lock(), (0..TASKS).collect::<Vec<_>>());
}

#[coro::test(workers = 2)]
fn rwlock_readers_share_and_writers_exclude() {
    const READERS: usize = 4;
    let lock = Arc::new(RwLock::new(0u64));
    let together = Arc::new(Barrier::new(READERS));
    // Readers all hold the lock at the barrier: only possible if they share it.
    let readers = (0..READERS)
        .map(|_| {
            let (lock, together) = (lock.clone(), together.clone());
            coro::spawn!(move || {
                let value = lock.read();
                together.wait();
                *value
            })
        })
        .collect();
    assert_eq!(join_all(readers), [0; READERS]);

    // Writers and readers mixed, each holding the lock across a yield: a writer is always alone.
    let writing = Arc::new(AtomicBool::new(false));
    let reading = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for i in 0..40 {
        let (lock, writing, reading) = (lock.clone(), writing.clone(), reading.clone());
        handles.push(coro::spawn!(move || {
            if i % 4 == 0 {
                let mut value = lock.write();
                assert!(!writing.swap(true, SeqCst), "two writers at once");
                assert_eq!(reading.load(SeqCst), 0, "a writer alongside readers");
                coro::yield_now();
                *value += 1;
                writing.store(false, SeqCst);
            } else {
                let _value = lock.read();
                reading.fetch_add(1, SeqCst);
                assert!(!writing.load(SeqCst), "a reader alongside a writer");
                coro::yield_now();
                reading.fetch_sub(1, SeqCst);
            }
        }));
    }
    join_all(handles);
    assert_eq!(*lock.read(), 10);
}

#[coro::test(workers = 2)]
fn semaphore_bounds_concurrency() {
    const PERMITS: usize = 3;
    const TASKS: usize = 30;
    let semaphore = Arc::new(Semaphore::new(PERMITS));
    // The holders of all permits meet at a barrier, so the bound is reached in every round.
    let round = Arc::new(Barrier::new(PERMITS));
    let (current, max) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let handles = (0..TASKS)
        .map(|_| {
            let (semaphore, round, current, max) =
                (semaphore.clone(), round.clone(), current.clone(), max.clone());
            coro::spawn!(move || {
                let _permit = semaphore.acquire().unwrap();
                let now = current.fetch_add(1, SeqCst) + 1;
                max.fetch_max(now, SeqCst);
                round.wait();
                coro::yield_now();
                current.fetch_sub(1, SeqCst);
            })
        })
        .collect();
    join_all(handles);
    assert_eq!(max.load(SeqCst), PERMITS);
    assert_eq!(semaphore.available_permits(), PERMITS);
}

#[coro::test(workers = 2)]
fn wait_group_waits_for_all() {
    const TASKS: usize = 16;
    let wg = Arc::new(WaitGroup::new());
    let finished = Arc::new(AtomicUsize::new(0));
    wg.add(TASKS);
    for _ in 0..TASKS {
        let (wg, finished) = (wg.clone(), finished.clone());
        drop(coro::spawn!(move || {
            for _ in 0..3 {
                coro::yield_now();
            }
            finished.fetch_add(1, SeqCst);
            wg.done();
        }));
    }
    coro::timeout!(HANG, wg.wait()).expect("the wait group never reached zero");
    assert_eq!(finished.load(SeqCst), TASKS);
}

#[coro::test(workers = 2)]
fn barrier_has_one_leader_per_generation() {
    const PARTIES: usize = 4;
    const GENERATIONS: usize = 5;
    let barrier = Arc::new(Barrier::new(PARTIES));
    let arrived: Arc<Vec<AtomicUsize>> = Arc::new((0..GENERATIONS).map(|_| AtomicUsize::new(0)).collect());
    let leaders: Arc<Vec<AtomicUsize>> = Arc::new((0..GENERATIONS).map(|_| AtomicUsize::new(0)).collect());
    let handles = (0..PARTIES)
        .map(|_| {
            let (barrier, arrived, leaders) = (barrier.clone(), arrived.clone(), leaders.clone());
            coro::spawn!(move || {
                for generation in 0..GENERATIONS {
                    arrived[generation].fetch_add(1, SeqCst);
                    let result = barrier.wait();
                    assert_eq!(arrived[generation].load(SeqCst), PARTIES, "released before all arrived");
                    if result.is_leader() {
                        leaders[generation].fetch_add(1, SeqCst);
                    }
                }
            })
        })
        .collect();
    join_all(handles);
    let per_generation: Vec<usize> = leaders.iter().map(|n| n.load(SeqCst)).collect();
    assert_eq!(per_generation, [1; GENERATIONS]);
}

#[coro::test(workers = 2)]
fn notify_one_and_notify_waiters() {
    let notify = Arc::new(Notify::new());

    // One waiter, woken by `notify_one` (or finding the permit it stored).
    let waiter = notify.clone();
    let one = coro::spawn!(move || {
        waiter.notified();
    });
    notify.notify_one();
    join_all(vec![one]);

    // Every `Notified` created before `notify_waiters` completes, polled yet or not.
    const WAITERS: usize = 8;
    let created = Arc::new(AtomicUsize::new(0));
    let handles = (0..WAITERS)
        .map(|_| {
            let (notify, created) = (notify.clone(), created.clone());
            coro::spawn!(move || {
                let notified = coro::nowait!(notify.notified());
                created.fetch_add(1, SeqCst);
                coro::wait(notified);
            })
        })
        .collect();
    wait_for(&created, WAITERS);
    notify.notify_waiters();
    join_all(handles);
}

#[coro::coroutine]
fn expensive(calls: Arc<AtomicUsize>) -> String {
    calls.fetch_add(1, SeqCst);
    coro::yield_now();
    String::from("ready")
}

#[coro::test(workers = 2)]
fn once_cell_initializes_once_for_concurrent_callers() {
    let cell = Arc::new(OnceCell::new());
    let calls = Arc::new(AtomicUsize::new(0));
    let handles = (0..16)
        .map(|_| {
            let (cell, calls) = (cell.clone(), calls.clone());
            coro::spawn!(move || cell.get_or_init(|| expensive(calls)).clone())
        })
        .collect();
    assert!(join_all(handles).iter().all(|value| value == "ready"));
    assert_eq!(calls.load(SeqCst), 1);
}

#[coro::test(workers = 2)]
fn once_cell_recovers_from_a_cancelled_and_a_panicking_initializer() {
    let cell = Arc::new(OnceCell::new());
    let started = Arc::new(AtomicUsize::new(0));

    // The first caller's initializer never finishes; it is cancelled while a second caller waits for it.
    let (stuck_cell, stuck_started) = (cell.clone(), started.clone());
    let stuck = coro::spawn!(async move {
        stuck_cell
            .get_or_init(|| async move {
                stuck_started.fetch_add(1, SeqCst);
                std::future::pending::<u32>().await
            })
            .await;
    });
    wait_for(&started, 1);
    let queued = Arc::new(AtomicUsize::new(0));
    let (waiting_cell, counted) = (cell.clone(), queued.clone());
    let waiting = coro::spawn!(async move {
        *counted_after_first_poll(waiting_cell.get_or_init(|| async { 2 }), &counted).await
    });
    wait_for(&queued, 1);
    assert_eq!(cell.get(), None);
    stuck.abort();
    assert_eq!(join_all(vec![waiting]), [2]);
    assert!(coro::timeout!(HANG, stuck.join()).expect("abort hung").unwrap_err().is_cancelled());

    // A panicking initializer leaves the cell empty for the next caller.
    let cell = Arc::new(OnceCell::new());
    let panicking_cell = cell.clone();
    let panicked =
        coro::spawn!(
            async move { *panicking_cell.get_or_init(|| async { panic!("initializer failed") }).await }
        );
    assert!(coro::timeout!(HANG, panicked.join()).expect("hung").unwrap_err().is_panic());
    assert_eq!(*cell.get_or_init(|| async { 3u32 }), 3);
}
