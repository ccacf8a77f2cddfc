//! Misuse: the attribute on an enum. Fix: put it on a `fn`.
#[coro::coroutine]
enum E {
    A,
    B,
}

fn main() {}
