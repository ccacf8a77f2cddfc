//! `select!` awaits its operations, so it is used in coroutines and `async` code only.
//! Fix: make the fn a `#[coro::coroutine]` (or `async`).
fn case() -> u32 {
    coro::select! {
        x = async { 1 } => x,
    }
}

fn main() {}
