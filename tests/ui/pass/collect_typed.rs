#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(v: Vec<u8>) -> usize {
    let it = v.into_iter();
    let v: Vec<u8> = it.collect();
    v.len()
}

fn main() {}
