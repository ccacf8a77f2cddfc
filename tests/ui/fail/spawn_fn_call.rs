//! Inside a coroutine, `coro::spawn(echo(s))` awaits `echo(s)` first and hands its result to `spawn`.
//! Fix: the macro form, `coro::spawn!(echo(s))`, whose argument is not rewritten.
#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(s: TcpStream) -> io::Result<()> {
    let h = coro::spawn(echo(s));
    h.join().unwrap()
}

fn main() {}
