#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case() -> String {
    let b: Box<dyn std::fmt::Debug> = Box::new(5u8);
    format!("{:?}", b)
}

fn main() {}
