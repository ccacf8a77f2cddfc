#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case() -> usize {
    let m: HashMap<String, u32> = HashMap::new();
    m.len()
}

fn main() {}
