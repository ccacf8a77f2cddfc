//! tokio + hyper: the HTTP plaintext server of the `http` benchmark (bench/http.py), as hyper 1.x's
//! documentation writes a server: an accept loop, a task per connection serving it with
//! `hyper::server::conn::http1` and the service of `coro_bench::hyper_plaintext`. One worker: a
//! current-thread runtime (tokio's cheapest single-threaded setup).
//!
//! ```text
//! http_hyper [ADDR | PORT]
//! ```

use coro_bench::echo::{server_args, serving};
use coro_bench::hyper_plaintext::{http1, plaintext};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::io;
use tokio::net::TcpListener;

fn main() -> io::Result<()> {
    let args = server_args(&[]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async move {
        let listener = TcpListener::bind(args.addr).await?;
        serving("hyper", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::spawn(async move {
                // A client that goes away mid-request is no concern of the benchmark's.
                let _ = http1().serve_connection(TokioIo::new(stream), service_fn(plaintext)).await;
            });
        }
    })
}
