//! hyper's HTTP/1.1 client on coro, shared by the `hyper_client` example and tests/hyper.rs: a connection is
//! a coro `TcpStream` in `coro::hyper::Io`, its driver a coro task, and every request a plain hyper call.

use bytes::Bytes;
use coro::net::TcpStream;
use http_body_util::BodyExt;
use hyper::body::Body;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, StatusCode};
use std::error::Error;
use std::net::SocketAddr;

/// What the client's calls fail with: an I/O error or hyper's.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// Opens a connection to `addr` and spawns its driver; returns the handle that sends requests on it (one
/// at a time: HTTP/1.1 keeps the connection alive between them).
pub async fn connect<B>(addr: SocketAddr) -> Result<SendRequest<B>, BoxError>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = http1::handshake(coro::hyper::Io::new(stream)).await?;
    // The driver ends when the sender is dropped or the server closes the connection.
    drop(coro::spawn(async move { connection.await.ok() }));
    Ok(sender)
}

/// Sends `request` and reads the whole response body.
pub async fn fetch<B>(
    sender: &mut SendRequest<B>,
    request: Request<B>,
) -> Result<(StatusCode, Bytes), BoxError>
where
    B: Body + 'static,
{
    sender.ready().await?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}
