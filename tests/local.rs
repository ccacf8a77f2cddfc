//! `coro::coro_local!`: a value that follows its coroutine, never its thread.
//!
//! Coroutines are interleaved on one worker on purpose: a thread-local would be shared between them and
//! fail these tests. The two-worker tests make tasks resume on either worker.

#![deny(warnings)]

use coro::JoinHandle;
use coro::local::AccessError;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

/// Long enough that only a bug makes a test wait this much.
const HANG: Duration = Duration::from_secs(30);

coro::coro_local! {
    /// The request a coroutine serves.
    static REQUEST_ID: u64;
    static TRACE: String;
}

#[coro::coroutine]
fn join_all<T: Send + 'static>(handles: Vec<JoinHandle<T>>) -> Vec<T> {
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(coro::timeout!(HANG, handle.join()).expect("a task hung").unwrap());
    }
    outputs
}

/// Reads the request id before and after each of `yields` suspensions.
#[coro::coroutine]
fn read_ids_across_yields(yields: usize) -> Vec<u64> {
    let mut seen = Vec::new();
    for _ in 0..yields {
        seen.push(REQUEST_ID.get());
        coro::yield_now();
        seen.push(REQUEST_ID.with(|id| *id));
    }
    seen
}

/// Spawns `tasks` coroutines, each in a scope of its own id, and checks each only ever saw its own.
#[coro::coroutine]
fn each_sees_its_own(tasks: u64) {
    let handles =
        (0..tasks).map(|id| coro::spawn!(REQUEST_ID.scope(id, read_ids_across_yields(50)))).collect();
    for (id, seen) in (0..tasks).zip(join_all(handles)) {
        assert_eq!(seen, vec![id; 100], "task {id} saw another task's value");
    }
}

#[coro::test(workers = 1)]
fn interleaved_coroutines_on_one_worker_see_their_own_value() {
    each_sees_its_own(8);
}

#[coro::test(workers = 2)]
fn the_value_follows_coroutines_across_two_workers() {
    each_sees_its_own(32);
}

#[coro::coroutine]
fn nested() -> (u64, u64, u64) {
    let outer = REQUEST_ID.get();
    let inner = REQUEST_ID.scope(2, coro::nowait!(read_ids_across_yields(3)));
    assert_eq!(inner, vec![2; 6]);
    let traced = TRACE.scope(String::from("t"), async { (REQUEST_ID.get(), TRACE.with(|t| t.len() as u64)) });
    let after = REQUEST_ID.get();
    (outer, traced.0 * 10 + traced.1, after)
}

#[coro::test(workers = 2)]
fn nested_scopes_restore_the_outer_value() {
    assert_eq!(REQUEST_ID.scope(1, coro::nowait!(nested())), (1, 11, 1));
    assert!(REQUEST_ID.try_with(|_| ()).is_err());
    let nested_sync =
        REQUEST_ID.sync_scope(5, || (REQUEST_ID.sync_scope(6, || REQUEST_ID.get()), REQUEST_ID.get()));
    assert_eq!(nested_sync, (6, 5));
}

#[test]
fn outside_a_scope_try_with_errs_and_with_panics_with_the_key_name() {
    let error: AccessError = REQUEST_ID.try_with(|id| *id).unwrap_err();
    assert!(error.to_string().contains("`REQUEST_ID`"), "{error}");
    let panic = std::panic::catch_unwind(|| REQUEST_ID.with(|id| *id)).unwrap_err();
    let message = panic.downcast_ref::<String>().expect("a formatted message");
    assert_eq!(message, &error.to_string());
    assert!(message.contains("REQUEST_ID.scope(..)"), "{message}");
    // After a scope ends, the thread holds no leftover value.
    coro::block_on(REQUEST_ID.scope(3, async {}));
    assert!(REQUEST_ID.try_with(|_| ()).is_err());
}

#[coro::test(workers = 2)]
fn a_spawned_task_does_not_inherit_but_can_be_given_the_value() {
    let inherited = Arc::new(AtomicUsize::new(0));
    let observed = inherited.clone();
    let outcome = REQUEST_ID.scope(9, async move {
        let child = coro::spawn!(move || {
            if REQUEST_ID.try_with(|_| ()).is_ok() {
                observed.fetch_add(1, SeqCst);
            }
        });
        // Passed on explicitly: the child runs in a scope of its own.
        let id = REQUEST_ID.get();
        let given = coro::spawn!(REQUEST_ID.scope(id, async { REQUEST_ID.get() }));
        (child.join().await.is_ok(), given.join().await.unwrap())
    });
    assert_eq!(outcome, (true, 9));
    assert_eq!(inherited.load(SeqCst), 0, "a spawned task inherited the value");
}

#[test]
fn the_value_is_dropped_with_the_scope_and_the_inner_future_inside_it() {
    struct SeesTrace(Arc<AtomicUsize>);
    impl Drop for SeesTrace {
        fn drop(&mut self) {
            if TRACE.try_with(|t| t == "cancelled").unwrap_or(false) {
                self.0.fetch_add(1, SeqCst);
            }
        }
    }
    let seen = Arc::new(AtomicUsize::new(0));
    let guard = SeesTrace(seen.clone());
    let mut scope = Box::pin(TRACE.scope(String::from("cancelled"), async move {
        let _guard = guard;
        std::future::pending::<()>().await
    }));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(scope.as_mut().poll(&mut cx).is_pending());
    drop(scope); // cancelled: the inner future's destructor still sees the value
    assert_eq!(seen.load(SeqCst), 1);
}
