#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(mut stream: TcpStream) -> io::Result<usize> {
    let mut buf = [0u8; 8];
    match stream.read(&mut buf) {
        Ok(0) => Ok(0),
        Ok(n) => {
            stream.write_all(&buf[..n])?;
            Ok(n)
        }
        Err(e) => Err(e),
    }
}

fn main() {}
