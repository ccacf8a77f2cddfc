#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(mut s: TcpStream) -> io::Result<usize> {
    let mut b = [0u8; 8];
    let f: ReadFut<'_> = s.read(&mut b); // annotated with the future type: not awaited
    coro::wait(f)
}

fn main() {}
