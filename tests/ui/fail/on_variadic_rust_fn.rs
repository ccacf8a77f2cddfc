//! Misuse: a variadic `...` argument on a plain fn. Fix: take a slice (`args: &[T]`) or a `Vec<T>`.
#[coro::coroutine]
fn f(x: i32, _: ...) {}

fn main() {}
