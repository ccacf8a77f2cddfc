#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(s: String) -> u32 {
    takes_u32(s.parse().unwrap())
}

fn main() {}
