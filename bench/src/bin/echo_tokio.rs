//! tokio: `TcpListener::accept` in a loop and a task per connection (`tokio::spawn`), reading into a buffer
//! and writing each read back with `write_all`, the way tokio's own echo example does.
//!
//! One worker. By default a multi-thread runtime with `worker_threads(1)` and `enable_all()`, as
//! `#[tokio::main(worker_threads = 1)]` builds it: the work-stealing scheduler, like coro's (and like the
//! scheduler benchmark's tokio). The accept loop runs in `block_on` on the main thread, as in
//! `#[tokio::main]`; the connections' tasks run on the worker, which also drives the I/O. `--current-thread`
//! builds a current-thread runtime instead (everything on the main thread: tokio's cheapest single-threaded
//! setup, with no work-stealing machinery); the driver runs both.
//!
//! ```text
//! echo_tokio [ADDR | PORT] [--current-thread]
//! ```

use coro_bench::echo::{BUF_SIZE, server_args, serving};
use std::io;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn echo(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; BUF_SIZE];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}

fn main() -> io::Result<()> {
    let args = server_args(&["--current-thread"]);
    let (name, rt) = if args.has("--current-thread") {
        ("tokio-ct", tokio::runtime::Builder::new_current_thread().enable_all().build()?)
    } else {
        ("tokio", tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?)
    };
    rt.block_on(async move {
        let listener = TcpListener::bind(args.addr).await?;
        serving(name, listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::spawn(echo(stream));
        }
    })
}
