//! `join!` and `try_join!` seen from coroutines and plain async code: outputs in order, real concurrency on
//! one task, and `try_join!` stopping at the first error.
//!
//! Every scenario runs on a runtime with one worker and on one with two (`on_1_and_2_workers!`).

#![deny(warnings)]

use coro::sync::oneshot;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

/// Runs each scenario (a coroutine fn of this file) as a test on 1 worker and as a test on 2 workers.
macro_rules! on_1_and_2_workers {
    ($($scenario:ident),* $(,)?) => {
        mod one_worker {
            $(#[coro::test(workers = 1)] fn $scenario() { super::$scenario() })*
        }
        mod two_workers {
            $(#[coro::test(workers = 2)] fn $scenario() { super::$scenario() })*
        }
    };
}

on_1_and_2_workers!(
    outputs_come_in_order,
    operations_run_concurrently,
    join_handles_are_operations,
    try_join_returns_all_values,
    try_join_stops_at_the_first_error,
);

/// Completes after `yields` suspensions.
#[coro::coroutine]
fn after<T>(yields: u32, value: T) -> T {
    for _ in 0..yields {
        coro::yield_now();
    }
    value
}

#[coro::coroutine]
fn outputs_come_in_order() {
    let outputs = coro::join!(after(3, 1u8), after(0, "two"), async { '3' }, after(1, 4.0));
    assert_eq!(outputs, (1, "two", '3', 4.0));
    let single: (u32,) = coro::join!(after(2, 5));
    assert_eq!(single, (5,));
}

/// Sends first, then waits for the answer.
#[coro::coroutine]
fn ask(question: oneshot::Sender<u32>, answer: oneshot::Receiver<u32>) -> u32 {
    question.send(20).unwrap();
    answer.recv().unwrap()
}

/// Waits for the question, then answers it.
#[coro::coroutine]
fn reply(question: oneshot::Receiver<u32>, answer: oneshot::Sender<u32>) -> u32 {
    let asked = question.recv().unwrap();
    answer.send(asked + 1).unwrap();
    asked
}

#[coro::coroutine]
fn operations_run_concurrently() {
    // Each side waits for the other's message: awaited one after the other, either order would hang.
    let (question_tx, question_rx) = oneshot::channel();
    let (answer_tx, answer_rx) = oneshot::channel();
    let (answer, asked) = coro::join!(ask(question_tx, answer_rx), reply(question_rx, answer_tx));
    assert_eq!((answer, asked), (21, 20));
}

#[coro::coroutine]
fn join_handles_are_operations() {
    let a = coro::spawn!(after(2, 1));
    let b = coro::spawn!(after(1, 2));
    let (a, b) = coro::join!(a.join(), b.join());
    assert_eq!((a.unwrap(), b.unwrap()), (1, 2));
}

#[coro::coroutine]
fn sum(a: Result<u32, String>, b: Result<u32, String>) -> Result<u32, String> {
    let (a, b) = coro::try_join!(after(1, a), after(2, b))?;
    Ok(a + b)
}

#[coro::coroutine]
fn try_join_returns_all_values() {
    assert_eq!(sum(Ok(1), Ok(2)), Ok(3));
    assert_eq!(sum(Ok(1), Err("b".to_string())), Err("b".to_string()));
}

/// Never ready; sets its flag when dropped.
struct DropFlag(Arc<AtomicBool>);

impl Future for DropFlag {
    type Output = Result<(), &'static str>;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Pending
    }
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Sets `finished` after `yields` suspensions.
#[coro::coroutine]
fn finish_after(yields: u32, finished: Arc<AtomicBool>) -> Result<u32, &'static str> {
    after(yields, ());
    finished.store(true, Ordering::SeqCst);
    Ok(yields)
}

#[coro::coroutine]
fn try_join_stops_at_the_first_error() {
    let dropped = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicBool::new(false));
    let result = coro::try_join!(
        DropFlag(dropped.clone()),
        finish_after(100, finished.clone()),
        after(2, Err::<u32, _>("failed")),
    );
    assert_eq!(result, Err("failed"));
    assert!(dropped.load(Ordering::SeqCst), "the pending operations are dropped");
    assert!(!finished.load(Ordering::SeqCst), "the slower operation did not run to completion");
}

#[test]
fn join_in_an_async_block_outside_the_runtime() {
    let outputs = coro::block_on(async {
        let (a, b) = coro::join!(async { 1 }, coro::yield_now());
        let c = coro::try_join!(async { Ok::<_, ()>(a) }, async { Ok(b) });
        (a, c)
    });
    assert_eq!(outputs, (1, Ok((1, ()))));
}
