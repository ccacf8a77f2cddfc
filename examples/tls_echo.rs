//! A TLS echo server (feature `tls`): every connection's plaintext comes back until the client ends its
//! stream; the read and write halves of the TLS stream run in two coroutines.
//!
//! ```sh
//! cargo run --release --features tls --example tls_echo                 # 127.0.0.1:7443
//! cargo run --release --features tls --example tls_echo ADDR cert.pem key.pem
//! openssl s_client -CAfile /tmp/coro-tls_echo-PID.pem -connect 127.0.0.1:7443
//! ```
//!
//! It prints `tls_echo listening on ADDR, certificate: PATH`, as `https` does (a self-signed certificate
//! for `localhost` and `127.0.0.1` unless certificate and key files are given), and runs on `CORO_WORKERS`
//! workers.

#[path = "tls/config.rs"]
mod config;

use coro::net::{TcpListener, TcpStream};
use coro::tls::TlsAcceptor;
use std::io;

/// Echoes one connection: its read half copied into its write half, then `close_notify` once the client
/// has ended its stream.
#[coro::coroutine]
fn echo(acceptor: TlsAcceptor, stream: TcpStream) -> io::Result<u64> {
    let (mut reader, mut writer) = acceptor.accept(stream)?.into_split();
    let copied = coro::io::copy(&mut reader, &mut writer)?;
    writer.shutdown()?;
    Ok(copied)
}

#[coro::main]
fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7443".to_string());
    let (identity, cert_path) = config::identity_from_args("tls_echo")?;
    let acceptor = TlsAcceptor::from(config::server(identity, &[])?);
    let listener = TcpListener::bind(addr.as_str())?;
    println!("tls_echo listening on {}, certificate: {}", listener.local_addr()?, cert_path.display());
    loop {
        match listener.accept() {
            Ok((stream, _peer)) => {
                let acceptor = acceptor.clone();
                coro::spawn!(move || {
                    if let Err(err) = echo(acceptor, stream) {
                        eprintln!("connection failed: {err}");
                    }
                });
            }
            Err(err) => eprintln!("accept failed: {err}"),
        }
    }
}
