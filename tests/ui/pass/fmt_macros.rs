#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(mut s: TcpStream) -> io::Result<String> {
    let mut b = [0u8; 8];
    println!("read {} bytes from {}", s.read(&mut b)?, s.peer_addr());
    assert!(s.read(&mut b)? <= 8, "too many");
    Ok(format!("{}", s.peer_addr()))
}

fn main() {}
