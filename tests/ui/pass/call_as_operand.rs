#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn double(x: u32) -> u32 {
    coro::yield_now();
    x * 2
}

/// A classified call that starts a statement or a block's tail and is an operand there stays one operand.
#[coro::coroutine]
fn case(x: u32) -> u32 {
    double(x) as u64;
    let y = {
        coro::yield_now();
        double(x) + 1
    };
    double(y) + double(1)
}

fn main() {
    assert_eq!(coro::block_on(case(1)), 8);
}
