//! smol: one executor thread, the usual single-threaded smol server: `smol::block_on(executor.run(..))` on
//! the main thread, `smol::net::TcpListener::accept` in a loop and a task per connection
//! (`executor.spawn(..).detach()`), reading into a buffer and writing each read back with `write_all`.
//!
//! The reactor is async-io's: the executor thread polls it whenever it has nothing to run, and async-io's own
//! background thread ("async-io") polls it when no `block_on` is doing so; both run on the server's CPU.
//!
//! ```text
//! echo_smol [ADDR | PORT]
//! ```

use coro_bench::echo::{BUF_SIZE, server_args, serving};
use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::net::{TcpListener, TcpStream};
use smol::{Executor, block_on};
use std::io;

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
    let args = server_args(&[]);
    let ex = Executor::new();
    block_on(ex.run(async {
        let listener = TcpListener::bind(args.addr).await?;
        serving("smol", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            ex.spawn(echo(stream)).detach();
        }
    }))
}
