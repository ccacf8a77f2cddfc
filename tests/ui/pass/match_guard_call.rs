#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(mut s: TcpStream, x: usize) -> io::Result<usize> {
    let mut b = [0u8; 8];
    match x {
        n if s.read(&mut b)? > n => Ok(1),
        _ => Ok(0),
    }
}

fn main() {}
