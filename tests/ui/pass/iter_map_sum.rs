#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(vec: Vec<u32>) -> u32 {
    vec.iter().map(|x| x + 1).sum::<u32>()
}

fn main() {}
