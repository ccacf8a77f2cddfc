#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn case(mut s: TcpStream) -> io::Result<()> {
    let _ = s.write_all(b"x");
    let _: io::Result<()> = s.write_all(b"y");
    Ok(())
}

fn main() {}
