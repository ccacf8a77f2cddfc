#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case() -> u32 {
    let x: Foo = Default::default();
    x.a
}

fn main() {}
