//! may: stackful coroutines on one worker (`may::config().set_workers(1)`, which also gives one I/O event
//! loop; may pins its worker to the first CPU it may use, the server's CPU here), default 32 KiB stacks.
//! The accept loop runs in a coroutine (`listener.incoming()`) and `go!`s a coroutine per connection, which
//! reads into a buffer and writes each read back with `write_all`: may's own echo example.
//!
//! ```text
//! echo_may [ADDR | PORT]
//! ```

use coro_bench::echo::{BUF_SIZE, server_args, serving};
use may::go;
use may::net::{TcpListener, TcpStream};
use std::io::{self, Read, Write};

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

fn main() -> io::Result<()> {
    let args = server_args(&[]);
    may::config().set_workers(1);
    let accept_loop = go!(move || -> io::Result<()> {
        let listener = TcpListener::bind(args.addr)?;
        serving("may", listener.local_addr()?);
        for stream in listener.incoming() {
            let stream = stream?;
            stream.set_nodelay(true)?;
            go!(move || echo(stream));
        }
        Ok(())
    });
    accept_loop.join().expect("the accept loop panicked")
}
