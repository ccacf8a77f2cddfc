#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(x: u32) -> u32 {
    if x > 100 {
        std::process::exit(1);
    }
    if x > 50 {
        panic!("big");
    }
    x
}

fn main() {}
