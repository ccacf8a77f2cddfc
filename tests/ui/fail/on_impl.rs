//! Misuse: the attribute on an impl block. Fix: put it on each method inside the block.
struct S;

#[coro::coroutine]
impl S {
    fn f(&self) {}
}

fn main() {}
