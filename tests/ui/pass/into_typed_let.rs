#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(x: u32) -> u64 {
    let y: u64 = x.into();
    y
}

fn main() {}
