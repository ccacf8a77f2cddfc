#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case() -> usize {
    let mut v = Vec::new();
    v.push(1u8);
    v.push(v.len() as u8);
    let w = vec![0u8; 16];
    v.len() + w.len()
}

fn main() {}
