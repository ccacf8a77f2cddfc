#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case((a, b): (u32, u32), _: String, Foo { a: c }: Foo) -> u32 {
    a + b + c
}

fn main() {}
