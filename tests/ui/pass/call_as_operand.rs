//! A classified call that starts a statement or a block's tail, and is an operand there, stays one operand
//! (the classification is a `match`, which would otherwise end the expression at its `}`).
#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(x: u32) -> u32 {
    takes_u32(x) as u64;
    let more = {
        let mut input = TcpStream::new(b"abc", 2);
        input.read(&mut [0u8; 4]).unwrap();
        takes_u32(x) + 10
    };
    std::convert::identity(more) + x
}

fn main() {
    assert_eq!(coro::block_on(case(1)), 12);
}
