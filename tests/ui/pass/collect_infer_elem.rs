#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(v: Vec<u8>) -> usize {
    let w: Vec<_> = v.iter().map(|x| x * 2).collect();
    w.len()
}

fn main() {}
