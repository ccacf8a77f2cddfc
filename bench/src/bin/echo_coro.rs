//! coro: the README's echo server, written the way a coro user writes it: a `#[coro::coroutine]` per
//! connection with plain `stream.read(&mut buf)?` / `stream.write_all(&buf[..n])?` calls (each suspends the
//! coroutine, never the thread), and `listener.accept()?` in a loop under `#[coro::main(workers = 1)]`,
//! spawning a task per connection with `coro::spawn!`. With one worker the main thread is that worker: no
//! other thread runs.
//!
//! Needs `coro::net::TcpListener` / `TcpStream` (the networking issue); until they exist this binary does not
//! build and `bench/echo.py` reports coro as skipped.
//!
//! ```text
//! echo_coro [ADDR | PORT]
//! ```

use coro::net::{TcpListener, TcpStream};
use coro_bench::echo::{BUF_SIZE, server_args, serving};
use std::io;

#[coro::coroutine]
fn echo(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; BUF_SIZE];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n])?;
    }
}

#[coro::main(workers = 1)]
fn main() -> io::Result<()> {
    let args = server_args(&[]);
    let listener = TcpListener::bind(args.addr)?;
    serving("coro", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept()?;
        stream.set_nodelay(true)?;
        coro::spawn!(echo(stream));
    }
}
