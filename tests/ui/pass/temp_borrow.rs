#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(mut s: TcpStream) -> io::Result<()> {
    s.write_all(format!("x{}", 1).as_bytes())?; // temporary String borrowed across the suspension
    let n = s.read(&mut vec![0u8; 8])?;
    s.write_all(&vec![1u8, 2])
}

fn main() {}
