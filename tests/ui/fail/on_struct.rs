//! Misuse: the attribute on a struct. Fix: put it on a `fn`.
#[coro::coroutine]
struct S {
    a: u32,
}

fn main() {}
