#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case() -> usize {
    let mut v: Vec<usize> = Vec::new();
    v.push(v.len());
    v.extend(v.clone().iter().map(|x| x + 1));
    v.len()
}

fn main() {}
