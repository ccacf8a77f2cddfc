#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(mut stream: TcpStream) -> io::Result<usize> {
    let mut b = [0u8; 8];
    let m = stream.read(&mut b)?.min(3);
    Ok(m)
}

fn main() {}
