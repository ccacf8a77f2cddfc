//! Hello, coro: spawn coroutines, let them sleep, join them. Run it with `cargo run --example hello`.

use std::time::Duration;

#[coro::coroutine]
fn greet(name: &'static str, delay: Duration) -> String {
    coro::sleep(delay); // suspends this coroutine, never its thread
    format!("hello, {name}!")
}

#[coro::main]
fn main() {
    let world = coro::spawn!(greet("world", Duration::from_millis(20)));
    let reader = coro::spawn!(greet("reader", Duration::from_millis(10)));
    println!("{}", world.join().unwrap()); // suspends until the task ends
    println!("{}", reader.join().unwrap());
}
