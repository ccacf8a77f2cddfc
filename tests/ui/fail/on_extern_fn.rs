//! Misuse: the attribute on an `extern "C" fn`. Fix: remove the ABI; expose the coroutine through a separate `extern "C" fn` that runs `coro::block_on`.
#[coro::coroutine]
extern "C" fn f() {}

fn main() {}
