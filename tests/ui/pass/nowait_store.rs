#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(s: TcpStream) -> io::Result<()> {
    let f = coro::nowait!(echo(s)); // stored, not awaited
    coro::yield_now();
    coro::wait(f) // awaited here
}

fn main() {}
