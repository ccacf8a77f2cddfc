//! Misuse: `crate = ` given a string, not a path. Fix: `crate = my::coro` without quotes.
#[coro::coroutine(crate = "coro")]
fn f() {}

fn main() {}
