#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case() -> u8 {
    let t: Bar = make();
    t.0
}

fn main() {}
