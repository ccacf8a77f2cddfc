//! The user's own lints still fire, on the user's code: `takes_u32(x)` after `return` is unreachable. Fix: remove it.
#![deny(unreachable_code)]
#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(x: u32) -> u32 {
    return x;
    takes_u32(x)
}

fn main() {}
