#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case() -> i32 {
    let x = std::future::ready(5).await;
    x
}

fn main() {}
