#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(s: String) -> u32 {
    let n: u32 = s.parse().unwrap();
    n
}

fn main() {}
