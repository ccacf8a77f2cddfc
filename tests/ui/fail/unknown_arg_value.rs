//! Misuse: an unknown `name = value` argument. Fix: remove it; the only argument is `crate = path::to::coro`.
#[coro::coroutine(foo = 1)]
fn f() {}

fn main() {}
