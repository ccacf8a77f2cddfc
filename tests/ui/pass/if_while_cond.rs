#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(mut stream: TcpStream) -> io::Result<usize> {
    let mut buf = [0u8; 8];
    let mut total = 0;
    while stream.read(&mut buf)? > 0 {
        if stream.peer_addr().len() > 3 && stream.write_all(b"x").is_ok() {
            total += 1;
        }
    }
    Ok(total)
}

fn main() {}
