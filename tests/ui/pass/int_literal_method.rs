#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case() -> i32 {
    let a = 5.min(3);
    let b = (0..10).map(|x| x * a).max().unwrap();
    b
}

fn main() {}
