//! A bare `#[coroutine]` collides with rustc's built-in attribute (E0659/E0658). Fix: write `#[coro::coroutine]`.
#![allow(dead_code, unused_imports)]
use coro::coroutine;

#[coroutine]
fn f() {}

fn main() {}
