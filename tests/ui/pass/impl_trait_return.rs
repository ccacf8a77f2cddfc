#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(mut s: TcpStream) -> impl Iterator<Item = u8> {
    let mut b = [0u8; 8];
    let n = s.read(&mut b).unwrap();
    IntoIterator::into_iter(b).take(n)
}

fn main() {}
