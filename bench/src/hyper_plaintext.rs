//! The service both hyper servers of the `http` benchmark run (`http_hyper` on tokio, `http_hyper_coro` on
//! coro), so that they differ in the runtime only: `GET /plaintext` answers `Hello, World!` as `text/plain`,
//! any other path 404 (hyper adds `Date` and `Content-Length`; `Server` is set to match may_minihttp's
//! response). Connections are served with HTTP/1 keep-alive (hyper's default, set explicitly) and
//! `pipeline_flush(true)`, which answers the requests one read returned with one write, as may_minihttp
//! does.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue, SERVER};
use hyper::server::conn::http1;
use hyper::{Request, Response, StatusCode};
use std::convert::Infallible;

/// Answers one request.
pub async fn plaintext(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
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

/// hyper's HTTP/1 connection builder as both servers configure it.
pub fn http1() -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder.keep_alive(true).pipeline_flush(true);
    builder
}
