#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(mut s: TcpStream) -> io::Result<usize> {
    let mut b = [0u8; 8];
    let n = s.read(&mut b)?;
    Ok(n)
}

fn main() {}
