//! The routes of the `hyper` example, shared with tests/hyper.rs, which drives them with hyper's client.
//!
//! - `GET /plaintext`: `Hello, World!` as `text/plain`;
//! - `GET /json`: `{"message":"Hello, World!"}` as `application/json`;
//! - `GET /stream`: [`STREAM_CHUNKS`] lines `chunk N\n`, made by a coroutine and sent as they come (a
//!   chunked body) through a bounded channel, whose receiver is the body's `Stream`: the coroutine waits
//!   while the client is slow, and stops when the client goes away (the body, the last receiver, is dropped,
//!   which closes the channel);
//! - `POST /echo`: the request body, streamed back as it arrives;
//! - other paths 404, other methods 405.

use bytes::Bytes;
use coro::chan;
use futures_lite::StreamExt;
use futures_lite::io::{AsyncRead, AsyncWrite};
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use std::convert::Infallible;

/// Every route's body: a full one, a stream, or the request's own.
pub type Body = BoxBody<Bytes, hyper::Error>;

/// How many lines `GET /stream` sends.
pub const STREAM_CHUNKS: usize = 100;

#[derive(serde::Serialize)]
struct Message {
    message: &'static str,
}

/// Serves one connection (a `TcpStream`, a `TlsStream`) with HTTP/1.1 (keep-alive, pipelined requests
/// answered in one write) until the client closes it.
pub async fn serve(stream: impl AsyncRead + AsyncWrite + Unpin + Send + 'static) {
    let connection = http1::Builder::new()
        .timer(coro::hyper::Timer)
        .pipeline_flush(true)
        .serve_connection(coro::hyper::Io::new(stream), service_fn(route));
    // A client that goes away mid-request, or sends garbage, ends its connection and nothing else.
    let _ = connection.await;
}

/// Answers one request.
pub async fn route(request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let response = match (request.method(), request.uri().path()) {
        (&Method::GET, "/plaintext") => full("text/plain", Bytes::from_static(b"Hello, World!")),
        (&Method::GET, "/json") => {
            let json = serde_json::to_vec(&Message { message: "Hello, World!" }).expect("serializable");
            full("application/json", Bytes::from(json))
        }
        (&Method::GET, "/stream") => {
            let mut response = Response::new(lines());
            response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
            response
        }
        (&Method::POST, "/echo") => Response::new(request.into_body().boxed()),
        (_, "/plaintext" | "/json" | "/stream" | "/echo") => status(StatusCode::METHOD_NOT_ALLOWED),
        _ => status(StatusCode::NOT_FOUND),
    };
    Ok(response)
}

/// The body of `/stream`: the lines a coroutine sends through a channel.
fn lines() -> Body {
    let (tx, rx) = chan::bounded(4);
    drop(coro::spawn(produce(tx)));
    BodyExt::boxed(StreamBody::new(rx.map(|line| Ok(Frame::data(line)))))
}

/// Sends the lines of `/stream`, waiting while the channel is full; stops early if the body is dropped.
#[coro::coroutine]
fn produce(tx: chan::Sender<Bytes>) {
    for i in 0..STREAM_CHUNKS {
        if tx.send(Bytes::from(format!("chunk {i}\n"))).is_err() {
            return; // the client went away
        }
    }
}

fn full(content_type: &'static str, body: Bytes) -> Response<Body> {
    let mut response = Response::new(Full::new(body).map_err(|never| match never {}).boxed());
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn status(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::new()).map_err(|never| match never {}).boxed());
    *response.status_mut() = status;
    response
}
