//! Misuse: the attribute on a C-variadic fn (the `extern` error wins). Fix: a plain Rust fn taking a slice or a `Vec`.
#[coro::coroutine]
unsafe extern "C" fn f(x: i32, _: ...) {}

fn main() {}
