//! Misuse: the attribute on a trait. Fix: put it on each trait method inside the block.
#[coro::coroutine]
trait T {
    fn f(&self);
}

fn main() {}
