//! Outside a coroutine, calling a coroutine gives its future, not its value. Fix: call it inside a coroutine, or `coro::block_on(double(2))`.
#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn double(x: u32) -> u32 {
    x * 2
}

fn plain() -> u32 {
    takes_u32(double(2))
}

fn main() {}
