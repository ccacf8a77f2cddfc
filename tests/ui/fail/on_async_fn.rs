//! Misuse: the attribute on an `async fn`. Fix: remove `async` (or the attribute).
#[coro::coroutine]
async fn f() {}

fn main() {}
