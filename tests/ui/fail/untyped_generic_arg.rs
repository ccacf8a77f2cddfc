//! Limit: `make()`'s type is decided only by `takes_bar`, after the call was classified. Fix: `make::<Bar>()`.
#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case() {
    takes_bar(make());
}

fn main() {}
