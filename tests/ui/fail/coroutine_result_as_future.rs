//! Inside a coroutine, `double(2)` is awaited, so `run` gets a `u32`, not a future. Fix: `run(coro::nowait!(double(2)))`.
#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn double(x: u32) -> u32 {
    x * 2
}

fn run<F: coro::Suspend>(f: F) -> F {
    f
}

#[coro::coroutine]
fn case() -> u32 {
    run(double(2))
}

fn main() {}
