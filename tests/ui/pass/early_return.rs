#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(mut s: TcpStream, skip: bool) -> io::Result<usize> {
    let mut b = [0u8; 8];
    if skip {
        return Ok(0);
    }
    if s.peer_addr().is_empty() {
        return s.read(&mut b);
    } // returning a Suspend call: awaited
    let n = s.read(&mut b)?;
    Ok(n)
}

fn main() {}
