//! tokio + hyper: the HTTP plaintext server of the `http` benchmark (bench/http.py), as hyper 1.x's
//! documentation writes a server: an accept loop, a task per connection serving it with
//! `hyper::server::conn::http1` and a `service_fn` that answers `GET /plaintext` with `Hello, World!` as
//! `text/plain` and any other path with 404 (hyper adds `Date` and `Content-Length`; `Server` is set to match may_minihttp's response).
//! One worker: a current-thread runtime (tokio's cheapest single-threaded setup). HTTP/1 keep-alive (hyper's
//! default, set explicitly) and `pipeline_flush(true)`, which answers the requests one read returned with one
//! write, as may_minihttp does.
//!
//! ```text
//! http_hyper [ADDR | PORT]
//! ```

use bytes::Bytes;
use coro_bench::echo::{server_args, serving};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue, SERVER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::io;
use tokio::net::TcpListener;

async fn plaintext(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut rsp = Response::new(Full::new(Bytes::new()));
    if req.uri().path() == "/plaintext" {
        *rsp.body_mut() = Full::new(Bytes::from_static(b"Hello, World!"));
        rsp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    } else {
        *rsp.status_mut() = StatusCode::NOT_FOUND;
    }
    rsp.headers_mut().insert(SERVER, HeaderValue::from_static("H"));
    Ok(rsp)
}

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
                let _ = http1::Builder::new()
                    .keep_alive(true)
                    .pipeline_flush(true)
                    .serve_connection(TokioIo::new(stream), service_fn(plaintext))
                    .await;
            });
        }
    })
}
