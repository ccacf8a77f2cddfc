#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(v: Vec<u32>) -> Option<u32> {
    let f = v.first()?;
    let g = v.get(1)?;
    Some(f + g)
}

fn main() {}
