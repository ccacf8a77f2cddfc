//! Misuse: an unknown argument. Fix: remove it; the only argument is `crate = path::to::coro`.
#[coro::coroutine(foo)]
fn f() {}

fn main() {}
