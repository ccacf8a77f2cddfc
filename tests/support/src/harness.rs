//! Scaffolding the integration tests share: a bound on waits that only a bug reaches, joining tasks under
//! it, and running a scenario on one worker and on two.

use coro::JoinHandle;
use std::time::Duration;

/// Long enough that only a bug makes a test wait this much: where a broken runtime would hang (a lost
/// wake-up), a test waits at most this long and fails with a message instead.
pub const HANG: Duration = Duration::from_secs(30);

/// Joins every task, in order, failing if one hangs (for [`HANG`]) or panicked.
#[coro::coroutine]
pub fn join_all<T: Send + 'static>(handles: Vec<JoinHandle<T>>) -> Vec<T> {
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(coro::timeout!(HANG, handle.join()).expect("a task hung").unwrap());
    }
    outputs
}

/// Runs each scenario (a coroutine fn of the calling file, taking no argument) as a test on a runtime with
/// one worker (in module `one_worker`) and as a test on a runtime with two (in module `two_workers`). The
/// calling crate depends on `coro`.
#[macro_export]
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
