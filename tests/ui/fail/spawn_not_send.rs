//! A coroutine that keeps an `Rc` across a suspension is not `Send`, so `spawn!` refuses it and rustc says
//! which value is at fault. Fix: `coro::spawn_local!`, or an `Arc`.
use std::rc::Rc;

#[coro::coroutine]
fn holds_rc() -> usize {
    let shared = Rc::new(5);
    coro::yield_now();
    *shared
}

#[coro::main]
fn main() {
    coro::spawn!(holds_rc()).join().unwrap();
}
