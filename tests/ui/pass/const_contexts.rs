#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case() -> usize {
    let a = [0u8; std::mem::size_of::<u64>()];
    let b: [u8; std::mem::size_of::<u32>()] = [1; 4];
    a.len() + b.len()
}

fn main() {}
