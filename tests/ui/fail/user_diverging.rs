//! Limit: a call to the user's own fn returning `!` is classified too. Fix: `coro::nowait!(fatal("too big"))`.
#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

fn fatal(msg: &str) -> ! {
    panic!("{msg}")
}

#[coro::coroutine]
fn case(x: u32) -> u32 {
    if x > 100 {
        fatal("too big");
    }
    x
}

fn main() {}
