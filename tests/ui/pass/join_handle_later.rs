#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(s: TcpStream) -> io::Result<()> {
    let h = coro::spawn!(echo(s)); // macro: untouched, echo(s) not awaited
    coro::yield_now();
    h.join().unwrap() // join() is Suspend: awaited
}

#[coro::main(workers = 1)]
fn main() {
    case(TcpStream::new(b"ping", 8)).unwrap();
}
