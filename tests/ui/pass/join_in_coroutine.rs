//! `join!` and `try_join!` inside a coroutine: the operations run together, not awaited one by one; calls in
//! their arguments are rewritten as anywhere else.
#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;

#[coro::coroutine]
fn double(x: u32) -> u32 {
    coro::yield_now();
    x * 2
}

#[coro::coroutine]
fn case(a: TcpStream, b: TcpStream) -> io::Result<u32> {
    coro::try_join!(echo(a), echo(b))?;
    // `double(1)` is an argument of the operation `double(..)`: awaited first.
    let (x, y) = coro::join!(double(double(1)), double(3));
    Ok(x + y)
}

fn main() {
    let result = coro::block_on(case(TcpStream::new(b"a", 1), TcpStream::new(b"b", 1)));
    assert_eq!(result.unwrap(), 10);
}
