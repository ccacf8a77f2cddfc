//! Misuse of `spawn!`: no argument, a closure with arguments, an async closure.
//! Fix: `spawn!(call)`, `spawn!(move || { .. })` capturing what it needs, or `spawn!(async move { .. })`.
fn main() {
    let x = 1;
    coro::spawn!();
    coro::spawn!(move |y: u32| y + x);
    coro::spawn!(async move || x);
}
