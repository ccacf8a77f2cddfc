#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(mut s: TcpStream) -> Result<u32, Box<dyn std::error::Error>> {
    let mut b = [0u8; 8];
    let n = s.read(&mut b)?;
    let v: u32 = std::str::from_utf8(&b[..n])?.trim().parse()?;
    Ok(v)
}

fn main() {}
