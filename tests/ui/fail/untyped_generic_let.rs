//! Limit: `let t = make();` leaves the type to a later use. Fix: `let t: Bar = make();` or `make::<Bar>()`.
#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case() {
    let t = make();
    takes_bar(t);
}

fn main() {}
