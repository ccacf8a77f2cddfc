//! Limit: an unbounded `fn mk<T>() -> T` typed only by its use. Fix: name the type, `mk::<Bar>()`.
#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

fn mk<T>() -> T {
    unimplemented!()
}

#[coro::coroutine]
fn case() {
    takes_bar(mk());
}

fn main() {}
