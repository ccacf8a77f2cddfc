#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(mut s: TcpStream) -> io::Result<usize> {
    let mut b = [0u8; 8];
    let n = Stream::read(&mut s, &mut b)?;
    let m = TcpStream::read(&mut s, &mut b)?;
    Ok(n + m)
}

fn main() {}
