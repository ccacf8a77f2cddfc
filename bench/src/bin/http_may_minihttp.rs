//! may_minihttp: the HTTP plaintext server of the `http` benchmark (bench/http.py), as may_minihttp's own
//! TechEmpower entry (`examples/techempower_no_db.rs`) writes it: an `HttpServiceFactory` whose service
//! answers `GET /plaintext` with `Hello, World!` as `text/plain` (may_minihttp adds `Server`, `Date` and
//! `Content-Length`) and any other path with 404, and that entry's settings (a pool of 500 coroutines, 4 KiB stacks), on one worker
//! (`may::config().set_workers(1)`, which also gives one I/O event loop). may_minihttp parses every request a
//! read returned and answers them all with one write, so pipelined requests cost one read and one write.
//!
//! ```text
//! http_may_minihttp [ADDR | PORT]
//! ```

use coro_bench::echo::{server_args, serving};
use may_minihttp::{HttpService, HttpServiceFactory, Request, Response};
use std::io;

struct Plaintext;

impl HttpService for Plaintext {
    fn call(&mut self, req: Request, rsp: &mut Response) -> io::Result<()> {
        if req.path() == "/plaintext" {
            rsp.header("Content-Type: text/plain").body("Hello, World!");
        } else {
            rsp.status_code(404, "Not Found");
        }
        Ok(())
    }
}

struct Factory;

impl HttpServiceFactory for Factory {
    type Service = Plaintext;

    fn new_service(&self, _id: usize) -> Plaintext {
        Plaintext
    }
}

fn main() -> io::Result<()> {
    let mut addr = server_args(&[]).addr;
    if addr.port() == 0 {
        // `start` binds and keeps the listener to itself: find a free port first (the driver passes one).
        addr = std::net::TcpListener::bind(addr)?.local_addr()?;
    }
    may::config().set_workers(1).set_pool_capacity(500).set_stack_size(0x1000);
    let server = Factory.start(addr)?;
    serving("may_minihttp", addr);
    server.join().map_err(|_| io::Error::other("the accept loop panicked"))
}
