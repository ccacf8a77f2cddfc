#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case() -> u32 {
    let x = Default::default();
    let y: Foo = x;
    y.a
}

fn main() {}
