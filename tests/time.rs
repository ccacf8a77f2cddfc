//! Timers seen from coroutines: `coro::sleep`, `sleep_until`, `coro::timeout!`, `coro::time::timeout`,
//! `coro::time::interval`.
//!
//! Durations are only ever asserted from below (a timer never fires early); nothing asserts an upper bound.

#![deny(warnings)]

use coro::time::{Elapsed, interval, timeout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[coro::coroutine]
fn nap(ms: u64) -> u64 {
    coro::sleep(Duration::from_millis(ms)); // suspends
    ms
}

#[coro::test(workers = 2)]
fn sleep_suspends_for_at_least_its_duration() {
    let start = Instant::now();
    coro::sleep(Duration::from_millis(10));
    assert!(start.elapsed() >= Duration::from_millis(10));
    let deadline = Instant::now() + Duration::from_millis(3);
    coro::sleep_until(deadline);
    assert!(Instant::now() >= deadline);
    assert_eq!(nap(2), 2);
}

#[coro::test(workers = 2)]
fn many_concurrent_sleeping_coroutines() {
    let done = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..2000u64)
        .map(|i| {
            let done = done.clone();
            coro::spawn!(move || {
                let start = Instant::now();
                let ms = nap(i % 25);
                assert!(start.elapsed() >= Duration::from_millis(ms));
                done.fetch_add(1, Ordering::Relaxed);
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(done.load(Ordering::Relaxed), 2000);
}

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[coro::coroutine]
fn nap_with_guard(guard: SetOnDrop, ms: u64) -> u64 {
    let _guard = guard;
    nap(ms)
}

#[coro::test(workers = 1)]
fn timeout_macro_fires_and_cancels_the_call() {
    let dropped = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let result =
        coro::timeout!(Duration::from_millis(5), nap_with_guard(SetOnDrop(dropped.clone()), 3_600_000));
    let elapsed: Elapsed = result.unwrap_err();
    assert_eq!(elapsed.to_string(), "deadline has elapsed");
    assert!(start.elapsed() >= Duration::from_millis(5));
    assert!(dropped.load(Ordering::SeqCst), "the timed-out coroutine was dropped");
}

#[coro::test(workers = 1)]
fn timeout_does_not_fire_when_the_call_completes() {
    assert_eq!(coro::timeout!(Duration::from_secs(3600), nap(1)), Ok(1));
    // The function form takes any future; a coroutine call is kept unawaited with `nowait!`.
    assert_eq!(timeout(Duration::from_secs(3600), coro::nowait!(nap(2))), Ok(2));
}

#[coro::test(workers = 1)]
fn interval_ticks() {
    let period = Duration::from_millis(2);
    let mut ticker = interval(period); // a plain handle
    let start = Instant::now();
    for _ in 0..6 {
        ticker.tick(); // suspends until the next tick
    }
    assert!(start.elapsed() >= period * 5, "the first tick is immediate");
}
