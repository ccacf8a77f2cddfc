//! A future that is not `coro::Suspend` (here std's `Ready`) is not awaited for you. Fix: `.await` it.
#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case() -> u32 {
    let x = std::future::ready(5).await;
    let y = std::future::ready(6);
    x + takes_u32(y)
}

fn main() {}
