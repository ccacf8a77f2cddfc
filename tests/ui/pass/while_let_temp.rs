#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(mut s: TcpStream) -> io::Result<usize> {
    let mut buf = [0u8; 8];
    let mut total = 0;
    while let n @ 1.. = s.read(&mut buf)? {
        s.write_all(&buf[..n])?;
        total += n;
    }
    Ok(total)
}

fn main() {}
