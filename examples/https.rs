//! HTTPS: the `hyper` example's routes (`/plaintext`, `/json`, `/stream`, `POST /echo`) over TLS
//! (features `hyper` and `tls`): hyper's connection runs on a `coro::tls::TlsStream` through
//! `coro::hyper::Io`, exactly as on a `TcpStream`.
//!
//! ```sh
//! cargo run --release --features hyper,tls --example https                      # 127.0.0.1:8443
//! cargo run --release --features hyper,tls --example https 127.0.0.1:0          # any free port
//! cargo run --release --features hyper,tls --example https ADDR cert.pem key.pem
//! curl --cacert /tmp/coro-https-PID.pem https://localhost:8443/plaintext
//! ```
//!
//! It prints `https server listening on ADDR, certificate: PATH`: without certificate and key files it
//! generates a self-signed certificate for `localhost` and `127.0.0.1` and writes it (PEM) to PATH, for
//! clients to trust. Runs on `CORO_WORKERS` workers (default: one per CPU). A connection whose handshake
//! fails (a client that does not trust the certificate, or does not speak TLS) ends with a line on stderr.

#[path = "tls/config.rs"]
mod config;
#[path = "hyper/service.rs"]
mod service;

use coro::net::{TcpListener, TcpStream};
use coro::tls::TlsAcceptor;
use std::io;

/// The TLS handshake, then HTTP/1.1 until the client closes the connection.
#[coro::coroutine]
fn serve(acceptor: TlsAcceptor, stream: TcpStream) {
    let stream = match acceptor.accept(stream) {
        Ok(stream) => stream,
        Err(err) => return eprintln!("TLS handshake failed: {err}"),
    };
    service::serve(stream).await;
}

#[coro::main]
fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8443".to_string());
    let (identity, cert_path) = config::identity_from_args("https")?;
    let acceptor = TlsAcceptor::from(config::server(identity, &[b"http/1.1"])?);
    let listener = TcpListener::bind(addr.as_str())?;
    println!("https server listening on {}, certificate: {}", listener.local_addr()?, cert_path.display());
    loop {
        match listener.accept() {
            Ok((stream, _peer)) => {
                stream.set_nodelay(true)?;
                drop(coro::spawn!(serve(acceptor.clone(), stream)));
            }
            Err(err) => eprintln!("accept failed: {err}"),
        }
    }
}
