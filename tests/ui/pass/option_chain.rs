#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(m: HashMap<String, u32>) -> u32 {
    let v = m.get("a").copied().unwrap_or(0);
    let k = m.keys().next().map(|k| k.len()).unwrap_or_default();
    v + k as u32
}

fn main() {}
