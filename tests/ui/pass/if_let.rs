#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(mut s: TcpStream) -> usize {
    let mut b = [0u8; 8];
    if let Ok(n) = s.read(&mut b) { n } else { 0 }
}

fn main() {}
