//! Misuse of `spawn!`: no argument, a closure with arguments, an async closure, a set and no task.
//! Fix: `spawn!(call)`, `spawn!(move || { .. })` capturing what it needs, `spawn!(async move { .. })`, or
//! `spawn!(in set, call)`.
fn main() {
    let x = 1;
    coro::spawn!();
    coro::spawn!(move |y: u32| y + x);
    coro::spawn!(async move || x);
    coro::spawn!(in x);
}
