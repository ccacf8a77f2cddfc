//! `select!` inside a coroutine: the operations are raced, not awaited; calls in their arguments and in the
//! bodies are rewritten as anywhere else; the operations (and their borrows) are gone when a body runs.
#![allow(dead_code, unused_variables, unused_mut, unused_imports)]
use coro_test_support::prelude::*;
use std::time::Duration;

#[coro::coroutine]
fn millis(ms: u64) -> Duration {
    coro::yield_now();
    Duration::from_millis(ms)
}

#[coro::coroutine]
fn case(mut s: TcpStream) -> io::Result<usize> {
    let mut buf = [0u8; 8];
    let mut total = 0;
    loop {
        // `millis(..)` is an argument of the operation: awaited first, so `sleep` gets a `Duration`.
        let n = coro::select! {
            // `s.read(..)` borrows `s` and `buf`; the body uses both again.
            n = s.read(&mut buf) => {
                let n = n?;
                s.write_all(&buf[..n])?; // a suspending call in a body: awaited
                n
            }
            _ = coro::sleep(millis(5_000)) => return Ok(total),
        };
        if n == 0 {
            return Ok(total);
        }
        total += n;
        // Nested, and as a statement.
        coro::select! {
            _ = coro::yield_now() => coro::select! {
                _ = coro::yield_now() => echo(TcpStream::new(b"", 1))?,
                default => {}
            },
        }
    }
}

#[coro::main(workers = 1)]
fn main() {
    assert_eq!(case(TcpStream::new(b"hello", 2)).unwrap(), 5);
}
