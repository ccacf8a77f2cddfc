#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn rec(n: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    coro::yield_now();
    let r = Box::pin(coro::nowait!(rec(n - 1))); // Box::pin(..) is a call -> awaited
    1 + r
}

fn main() {}
