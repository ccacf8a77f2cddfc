//! Misuse: the attribute on a `const fn`. Fix: remove `const`.
#[coro::coroutine]
const fn f() {}

fn main() {}
