//! `select!` seen from coroutines and plain async code: which branch wins, `default`, fairness, timeouts,
//! control flow in the bodies, and what happens to the operations that lose.
//!
//! Every scenario runs on a runtime with one worker and on one with two (`on_1_and_2_workers!`). Durations
//! are only asserted from below (a timer never fires early).

#![deny(warnings)]

use coro::sync::oneshot::{self, RecvError};
use std::future::{Future, pending, ready};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Long enough that only a bug makes a test wait this much.
const HANG: Duration = Duration::from_secs(30);

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
    the_ready_branch_wins,
    a_branch_woken_from_another_task_wins,
    default_is_taken_only_when_nothing_is_ready,
    ready_branches_win_in_fair_shares,
    the_timeout_branch_fires,
    a_join_handle_is_an_operation,
    bodies_use_question_mark,
    bodies_return_break_and_continue,
    bodies_suspend,
    operations_are_evaluated_once_in_order,
    losing_operations_are_dropped_before_the_body_runs,
    select_in_plain_async_code,
    a_losing_recv_leaves_its_message_in_the_channel,
    a_losing_send_delivers_nothing,
    select_sends_and_receives_between_tasks,
);

#[coro::coroutine]
fn double(x: u32) -> u32 {
    coro::yield_now();
    x * 2
}

#[coro::coroutine]
fn the_ready_branch_wins() {
    let (_tx_a, rx_a) = oneshot::channel::<u32>();
    let (tx_b, rx_b) = oneshot::channel::<u32>();
    tx_b.send(2).unwrap();
    let won = coro::select! {
        a = rx_a.recv() => ("a", a),
        b = rx_b.recv() => ("b", b),
    };
    assert_eq!(won, ("b", Ok(2)));
}

#[coro::coroutine]
fn a_branch_woken_from_another_task_wins() {
    let (tx_a, rx_a) = oneshot::channel::<u32>();
    let (_tx_b, rx_b) = oneshot::channel::<u32>();
    let sender = coro::spawn!(move || {
        coro::yield_now();
        tx_a.send(1).unwrap();
    });
    let won = coro::select! {
        a = rx_a.recv() => a.unwrap(),
        _ = rx_b.recv() => panic!("nothing is sent on b"),
        _ = coro::sleep(HANG) => panic!("the sent value never woke the select"),
    };
    assert_eq!(won, 1);
    sender.join().unwrap();
}

#[coro::coroutine]
fn default_is_taken_only_when_nothing_is_ready() {
    let (tx, rx) = oneshot::channel::<u32>();
    let taken = coro::select! {
        _ = rx.recv() => "recv",
        default => "default",
    };
    assert_eq!(taken, "default");
    drop(tx);

    let (tx, rx) = oneshot::channel::<u32>();
    tx.send(3).unwrap();
    let taken = coro::select! {
        value = rx.recv() => value.unwrap(),
        default => 0,
    };
    assert_eq!(taken, 3);

    // An operation that completes on its second poll is not ready: `default` does not wait for it.
    let taken = coro::select! {
        _ = coro::yield_now() => "yield",
        default => "default",
    };
    assert_eq!(taken, "default");
}

#[coro::coroutine]
fn ready_branches_win_in_fair_shares() {
    const ROUNDS: usize = 10_000;
    let mut wins = [0usize; 2];
    for _ in 0..ROUNDS {
        let (tx_a, rx_a) = oneshot::channel();
        let (tx_b, rx_b) = oneshot::channel();
        tx_a.send(0).unwrap();
        tx_b.send(1).unwrap();
        let (_tx_c, rx_c) = oneshot::channel::<usize>();
        // Both sent: both ready (every 128 rounds the coop budget runs out and the select yields once).
        let winner = coro::select! {
            a = rx_a.recv() => a.unwrap(),
            b = rx_b.recv() => b.unwrap(),
            _ = rx_c.recv() => panic!("nothing is sent on c"),
        };
        wins[winner] += 1;
    }
    // Each branch is expected to win 5000 times. A fair coin gives at most 3500 of 10_000 with probability
    // below e^-450 (Chernoff), so a failure here means a bias, not bad luck.
    assert!(wins.iter().all(|&n| n > 3500), "wins: {wins:?}");
}

#[coro::coroutine]
fn the_timeout_branch_fires() {
    let (_tx, rx) = oneshot::channel::<u32>();
    let start = Instant::now();
    let value = coro::select! {
        value = rx.recv() => Some(value),
        _ = coro::sleep(Duration::from_millis(10)) => None,
    };
    assert_eq!(value, None);
    assert!(start.elapsed() >= Duration::from_millis(10));
}

#[coro::coroutine]
fn a_join_handle_is_an_operation() {
    let task = coro::spawn!(move || double(21));
    let value = coro::select! {
        result = task.join() => result.unwrap(),
        _ = coro::sleep(HANG) => panic!("the task never finished"),
    };
    assert_eq!(value, 42);
}

#[coro::coroutine]
fn first_of(rx: oneshot::Receiver<u32>) -> Result<u32, RecvError> {
    let value = coro::select! {
        value = rx.recv() => value? + 1,
        _ = coro::sleep(HANG) => panic!("the receive never completed"),
    };
    Ok(value * 10)
}

#[coro::coroutine]
fn bodies_use_question_mark() {
    let (tx, rx) = oneshot::channel();
    tx.send(1).unwrap();
    assert_eq!(first_of(rx), Ok(20));
    let (tx, rx) = oneshot::channel();
    drop(tx);
    assert_eq!(first_of(rx), Err(RecvError));
}

/// Counts up to `limit` with `continue` and `break` in select bodies, then leaves with `return`.
#[coro::coroutine]
fn count_to(limit: u32) -> u32 {
    let mut count = 0;
    loop {
        count += 1;
        coro::select! {
            _ = coro::yield_now() => {
                if count < limit {
                    continue;
                }
                break;
            }
        }
    }
    let mut tries = 0;
    loop {
        tries += 1;
        coro::select! {
            _ = ready(()) => if tries == 2 {
                return count * 100 + tries;
            },
        }
    }
}

#[coro::coroutine]
fn bodies_return_break_and_continue() {
    assert_eq!(count_to(3), 302);
}

#[coro::coroutine]
fn bodies_suspend() {
    let (tx, rx) = oneshot::channel();
    tx.send(5).unwrap();
    // `double(..)` in a body is a coroutine call: awaited, so the value is a `u32`.
    let value: u32 = coro::select! {
        value = rx.recv() => {
            coro::yield_now();
            double(value.unwrap()) + 1
        }
        _ = coro::sleep(HANG) => panic!("the receive never completed"),
    };
    assert_eq!(value, 11);
}

/// A future that logs when it is made and when it is polled, and completes on its second poll.
struct Logged {
    name: &'static str,
    log: Arc<Mutex<Vec<String>>>,
    polled: bool,
}

fn logged(name: &'static str, log: &Arc<Mutex<Vec<String>>>) -> Logged {
    log.lock().unwrap().push(format!("make {name}"));
    Logged { name, log: log.clone(), polled: false }
}

impl Future for Logged {
    type Output = &'static str;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        self.log.lock().unwrap().push(format!("poll {}", self.name));
        if self.polled {
            return Poll::Ready(self.name);
        }
        self.polled = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[coro::coroutine]
fn operations_are_evaluated_once_in_order() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let winner = coro::select! {
        a = logged("a", &log) => a,
        b = logged("b", &log) => b,
        c = logged("c", &log) => c,
    };
    let log = log.lock().unwrap();
    assert_eq!(log[..3], ["make a", "make b", "make c"]);
    assert!(log[3..].iter().all(|entry| entry.starts_with("poll")), "made once: {log:?}");
    // The first poll polls all three (none is ready), the second stops at the first it polls: the winner.
    assert_eq!(log.len(), 3 + 3 + 1);
    assert_eq!(log.last().unwrap(), &format!("poll {winner}"));
}

/// A future that is never ready and sets its flag when dropped.
struct DropFlag(Arc<AtomicBool>);

impl Future for DropFlag {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[coro::coroutine]
fn losing_operations_are_dropped_before_the_body_runs() {
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = dropped.clone();
    let value = coro::select! {
        _ = DropFlag(flag) => unreachable!("never ready"),
        value = double(4) => {
            assert!(dropped.load(Ordering::SeqCst), "the losing operation is dropped before the body");
            value
        }
    };
    assert_eq!(value, 8);
}

async fn plain_async(rx: oneshot::Receiver<u32>) -> u32 {
    coro::select! {
        value = rx.recv() => value.unwrap() + async { 1 }.await,
        _ = pending::<()>() => unreachable!("never ready"),
    }
}

#[coro::coroutine]
fn select_in_plain_async_code() {
    let (tx, rx) = oneshot::channel();
    tx.send(1).unwrap();
    // A plain `async fn` called from a coroutine is awaited explicitly.
    assert_eq!(plain_async(rx).await, 2);
}

#[test]
fn select_in_an_async_block_outside_the_runtime() {
    let value = coro::block_on(async {
        coro::select! {
            value = async { 7 } => value,
            default => 0,
        }
    });
    assert_eq!(value, 7);
}

#[coro::coroutine]
fn a_losing_recv_leaves_its_message_in_the_channel() {
    let (tx_a, rx_a) = coro::chan::bounded::<u32>(ROUNDS as usize);
    let (tx_b, rx_b) = coro::chan::bounded::<u32>(ROUNDS as usize);
    for i in 0..ROUNDS {
        tx_a.try_send(i).unwrap();
        tx_b.try_send(i).unwrap();
    }
    // Both channels are always ready: every round takes exactly one message from one of them.
    let (mut from_a, mut from_b) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        coro::select! {
            a = rx_a.recv() => from_a.push(a.unwrap()),
            b = rx_b.recv() => from_b.push(b.unwrap()),
        }
    }
    assert_eq!(from_a.len() + from_b.len(), ROUNDS as usize);
    // What the losers left is still there, in order, after what the winners took.
    from_a.extend(std::iter::from_fn(|| rx_a.try_recv().ok()));
    from_b.extend(std::iter::from_fn(|| rx_b.try_recv().ok()));
    assert_eq!(from_a, (0..ROUNDS).collect::<Vec<_>>());
    assert_eq!(from_b, (0..ROUNDS).collect::<Vec<_>>());
}

/// Select rounds over two ready channels.
const ROUNDS: u32 = 1_000;

#[coro::coroutine]
fn a_losing_send_delivers_nothing() {
    let (tx_full, rx_full) = coro::chan::bounded::<&str>(1);
    tx_full.try_send("first").unwrap();
    let (tx, rx) = coro::chan::bounded::<u32>(1);
    tx.try_send(7).unwrap();
    for _ in 0..10 {
        let got = coro::select! {
            _ = tx_full.send("lost") => panic!("the channel is full"),
            v = rx.recv() => v.unwrap(),
        };
        assert_eq!(got, 7);
        tx.try_send(7).unwrap();
    }
    // The parked sends were dropped with their values: freeing the slot lets none of them in.
    assert_eq!(rx_full.try_recv(), Ok("first"));
    assert_eq!(rx_full.try_recv(), Err(coro::chan::TryRecvError::Empty));
    // A rendezvous send loses the same way when no receiver comes.
    let (tx_zero, rx_zero) = coro::chan::bounded::<u32>(0);
    coro::select! {
        _ = tx_zero.send(1) => panic!("nobody receives"),
        default => {}
    }
    assert_eq!(rx_zero.try_recv(), Err(coro::chan::TryRecvError::Empty));
}

/// A Go-style select loop: one task selects over a send and a receive until both are done, the other
/// feeds it and drains it.
#[coro::coroutine]
fn select_sends_and_receives_between_tasks() {
    const N: u32 = 500;
    let (to_loop, from_feeder) = coro::chan::bounded::<u32>(0);
    let (to_drain, from_loop) = coro::chan::bounded::<u32>(0);
    let feeder = coro::spawn!(move || {
        for i in 0..N {
            to_loop.send(i).unwrap();
        }
    });
    let drainer = coro::spawn!(move || {
        let mut got = Vec::new();
        while let Ok(v) = from_loop.recv() {
            got.push(v);
        }
        got
    });
    let mut pending = std::collections::VecDeque::new();
    let mut received = 0;
    while received < N || !pending.is_empty() {
        let next = pending.front().copied();
        coro::select! {
            v = from_feeder.recv(), if received < N => {
                pending.push_back(v.unwrap());
                received += 1;
            }
            r = to_drain.send(next.unwrap_or(u32::MAX)), if next.is_some() => {
                r.unwrap();
                pending.pop_front();
            }
        }
    }
    drop(to_drain);
    feeder.join().unwrap();
    assert_eq!(drainer.join().unwrap(), (0..N).collect::<Vec<_>>());
}

#[test]
fn a_disabled_branch_is_not_evaluated() {
    let evaluated = std::cell::Cell::new(0);
    let operation = || {
        evaluated.set(evaluated.get() + 1);
        ready(1)
    };
    let won = coro::block_on(async {
        coro::select! {
            a = operation(), if false => a,
            b = ready(2), if true => b,
        }
    });
    assert_eq!((won, evaluated.get()), (2, 0));
}

#[test]
#[should_panic(expected = "every branch is disabled by its `if` condition and there is no `default`")]
fn a_select_with_every_branch_disabled_and_no_default_panics() {
    let (_tx, rx) = coro::chan::bounded::<u32>(1);
    coro::block_on(async {
        coro::select! {
            _ = rx.recv(), if false => {}
        }
    });
}
