//! TLS on [rustls](https://docs.rs/rustls) (feature `tls`, with rustls's `ring` provider): a
//! [`TlsAcceptor`] for servers, a [`TlsConnector`] for clients, and the [`TlsStream`] they make of a coro
//! stream.
//!
//! Both are built from a rustls configuration (re-exported as [`coro::tls::rustls`](rustls), so that the
//! versions match) and are cheap to clone: one is shared by every connection. Their `accept` and
//! `connect` are operations that suspend the coroutine for the handshake:
//!
//! ```no_run
//! use coro::net::{TcpListener, TcpStream};
//! use coro::tls::{TlsAcceptor, TlsStream, rustls};
//! use std::io;
//! use std::sync::Arc;
//!
//! #[coro::coroutine]
//! fn echo(mut stream: TlsStream<TcpStream>) -> io::Result<()> {
//!     let mut buf = [0; 4096];
//!     loop {
//!         let n = stream.read(&mut buf)?; // plaintext, decrypted
//!         if n == 0 {
//!             return stream.shutdown(); // the peer ended the stream: end ours too
//!         }
//!         stream.write_all(&buf[..n])?;
//!         stream.flush()?;
//!     }
//! }
//!
//! #[coro::coroutine]
//! fn serve(config: Arc<rustls::ServerConfig>) -> io::Result<()> {
//!     let acceptor = TlsAcceptor::from(config);
//!     let listener = TcpListener::bind("127.0.0.1:8443")?;
//!     loop {
//!         let (tcp, _) = listener.accept()?;
//!         let acceptor = acceptor.clone();
//!         coro::spawn!(move || -> io::Result<()> {
//!             let stream = acceptor.accept(tcp)?; // the handshake: a bad one is this connection's error
//!             echo(stream)
//!         });
//!     }
//! }
//! ```
//!
//! A client: `TlsConnector::from(client_config).connect("example.com", TcpStream::connect(addr)?)?`. The
//! configurations are rustls's: the certificates to present or trust, ALPN protocols, versions; see
//! `examples/https.rs` and `examples/tls_echo.rs` for complete ones, with a self-signed certificate.

mod split;
mod stream;

pub use rustls;
pub use split::{ReadHalf, ReuniteError, WriteHalf};
pub use stream::TlsStream;

use crate::Suspend;
use futures_lite::io::{AsyncRead, AsyncWrite};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, Connection, ServerConfig, ServerConnection};
use std::fmt;
use std::future::Future;
use std::io::{self, ErrorKind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

/// Accepts TLS connections: the server side of the handshake, with one [`ServerConfig`].
#[derive(Clone)]
pub struct TlsAcceptor {
    config: Arc<ServerConfig>,
}

impl From<Arc<ServerConfig>> for TlsAcceptor {
    fn from(config: Arc<ServerConfig>) -> Self {
        TlsAcceptor { config }
    }
}

impl TlsAcceptor {
    /// Runs the server side of the handshake on `stream` (a freshly accepted `TcpStream`, usually),
    /// suspending until it completes; returns the TLS stream.
    ///
    /// Fails with `InvalidData` when the peer does not speak TLS or the handshake fails (rustls's error is
    /// the source; an alert saying why is sent to the peer when the transport takes it), with
    /// `UnexpectedEof` when the peer closes the connection before it completes, or with the transport's
    /// error. The handshake has no time limit of its own: wrap it in `coro::timeout!` to bound it.
    pub fn accept<S>(&self, stream: S) -> Handshake<S>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let conn = ServerConnection::new(self.config.clone()).map(Connection::from).map_err(io::Error::other);
        Handshake::new(stream, conn)
    }

    /// The configuration.
    pub fn config(&self) -> &Arc<ServerConfig> {
        &self.config
    }
}

/// Makes TLS connections: the client side of the handshake, with one [`ClientConfig`].
#[derive(Clone)]
pub struct TlsConnector {
    config: Arc<ClientConfig>,
}

impl From<Arc<ClientConfig>> for TlsConnector {
    fn from(config: Arc<ClientConfig>) -> Self {
        TlsConnector { config }
    }
}

impl TlsConnector {
    /// Runs the client side of the handshake on `stream` (a connected `TcpStream`, usually) with the server
    /// named `server_name` (a DNS name or an IP address, which its certificate must be valid for),
    /// suspending until it completes; returns the TLS stream.
    ///
    /// Fails with `InvalidInput` when `server_name` is neither, with `InvalidData` when the handshake fails
    /// (a certificate that is not trusted or not valid for the name, among others: rustls's error is the
    /// source), with `UnexpectedEof` when the server closes the connection first, or with the transport's
    /// error.
    pub fn connect<S>(&self, server_name: &str, stream: S) -> Handshake<S>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let conn = match ServerName::try_from(server_name) {
            Ok(name) => ClientConnection::new(self.config.clone(), name.to_owned())
                .map(Connection::from)
                .map_err(io::Error::other),
            Err(error) => {
                Err(io::Error::new(ErrorKind::InvalidInput, format!("server name {server_name:?}: {error}")))
            }
        };
        Handshake::new(stream, conn)
    }

    /// The configuration.
    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.config
    }
}

/// The operation returned by [`TlsAcceptor::accept`] and [`TlsConnector::connect`]: the handshake, which
/// completes with the [`TlsStream`].
#[must_use = "a handshake does nothing unless awaited (call it from a coroutine)"]
pub struct Handshake<S> {
    /// The stream while the handshake runs, or why it could not start; `None` once it completed.
    state: Option<io::Result<TlsStream<S>>>,
}

impl<S> Handshake<S> {
    fn new(stream: S, conn: io::Result<Connection>) -> Self {
        Handshake { state: Some(conn.map(|conn| TlsStream::new(stream, conn))) }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Future for Handshake<S> {
    type Output = io::Result<TlsStream<S>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let result = match &mut this.state {
            Some(Ok(stream)) => ready!(stream.poll_handshake(cx)),
            Some(Err(_)) | None => Ok(()),
        };
        let state = this.state.take().expect("a handshake polled after it completed");
        Poll::Ready(result.and(state))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Suspend for Handshake<S> {}

// The stream is moved out, never pinned.
impl<S> Unpin for Handshake<S> {}

/// An operation over a poll function of the TLS stream: a future that a coroutine awaits in place.
struct PollOp<F>(F);

impl<T, F: FnMut(&mut Context<'_>) -> Poll<T> + Unpin> Future for PollOp<F> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        (self.get_mut().0)(cx)
    }
}

impl<T, F: FnMut(&mut Context<'_>) -> Poll<T> + Unpin> Suspend for PollOp<F> {}

impl fmt::Debug for TlsAcceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsAcceptor").finish_non_exhaustive()
    }
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnector").finish_non_exhaustive()
    }
}

impl<S> fmt::Debug for Handshake<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handshake").finish_non_exhaustive()
    }
}
