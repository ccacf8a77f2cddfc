//! coro + hyper: `http_hyper`'s server with coro as the runtime (`coro::hyper::Io` over coro's
//! `TcpStream`, a coro task per connection), the same service and hyper configuration
//! (`coro_bench::hyper_plaintext`), so the two differ in the runtime only. One worker (`CORO_WORKERS=1`, as
//! bench/http.py sets for every server).
//!
//! ```text
//! http_hyper_coro [ADDR | PORT]
//! ```

use coro::net::TcpListener;
use coro_bench::echo::{server_args, serving};
use coro_bench::hyper_plaintext::{http1, plaintext};
use hyper::service::service_fn;
use std::io;

#[coro::main]
fn main() -> io::Result<()> {
    let args = server_args(&[]);
    let listener = TcpListener::bind(args.addr)?;
    serving("hyper_coro", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept()?;
        stream.set_nodelay(true)?;
        drop(coro::spawn(async move {
            // A client that goes away mid-request is no concern of the benchmark's.
            let _ = http1().serve_connection(coro::hyper::Io::new(stream), service_fn(plaintext)).await;
        }));
    }
}
