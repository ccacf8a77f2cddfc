//! `join!` and `try_join!` need at least one operation, and each must be a suspending call or a future.
//! Fix: `join!(a(), b())`.
async fn cases() {
    coro::join!();
    coro::try_join!();
    let (a, b) = coro::join!(async { 1 }, 2);
}

fn main() {}
