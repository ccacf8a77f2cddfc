//! TLS on rustls (feature `tls`): handshakes both ways over coro's `TcpStream`, a 10 MiB echo through split
//! halves (coro's `io::copy` on the server, the futures-io traits on the client), certificates that must be
//! rejected, peers that do not speak TLS, and a handshake over a Unix socket pair.

#[allow(dead_code, reason = "the examples' command line is not the tests'")]
#[path = "../examples/tls/config.rs"]
mod config;

use coro::net::{TcpListener, TcpStream};
use coro::tls::rustls::pki_types::CertificateDer;
use coro::tls::{TlsAcceptor, TlsConnector, TlsStream};
use coro_test_support::HANG;
use futures_lite::io::{AsyncReadExt, AsyncWriteExt};
use std::io::{self, ErrorKind};
use std::net::SocketAddr;

/// A TLS echo server on a free port presenting `identity`, serving `connections` connections one after the
/// other; its task returns each connection's result (bytes echoed, or the error).
#[coro::coroutine]
fn echo_server(
    identity: config::Identity,
    connections: usize,
) -> (SocketAddr, coro::JoinHandle<Vec<io::Result<u64>>>) {
    let acceptor = TlsAcceptor::from(config::server(identity, &[]).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = coro::spawn!(move || {
        let mut results = Vec::new();
        for _ in 0..connections {
            let (tcp, _) = listener.accept().unwrap();
            results.push(echo(&acceptor, tcp));
        }
        results
    });
    (addr, server)
}

#[coro::coroutine]
fn echo(acceptor: &TlsAcceptor, tcp: TcpStream) -> io::Result<u64> {
    let (mut reader, mut writer) = acceptor.accept(tcp)?.into_split();
    let copied = coro::io::copy(&mut reader, &mut writer)?;
    writer.shutdown()?;
    Ok(copied)
}

#[coro::coroutine]
fn connect(
    addr: SocketAddr,
    trusted: &CertificateDer<'static>,
    name: &str,
) -> io::Result<TlsStream<TcpStream>> {
    let connector = TlsConnector::from(config::client(trusted.clone()));
    connector.connect(name, TcpStream::connect(addr)?)
}

/// FNV-1a, 64 bits.
fn checksum(data: &[u8]) -> u64 {
    data.iter()
        .fold(0xcbf2_9ce4_8422_2325, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3))
}

#[coro::test(workers = 2)]
fn a_10_mib_echo_round_trips_with_its_checksum() {
    use coro::tls::rustls::pki_types::pem::PemObject;
    let identity = config::self_signed();
    // The PEM the examples write for clients is the certificate the server presents.
    let trusted = CertificateDer::from_pem_slice(identity.cert_pem.as_bytes()).unwrap();
    assert_eq!(trusted, identity.chain[0]);
    let (addr, server) = echo_server(identity, 1);
    let stream = connect(addr, &trusted, "localhost").unwrap();
    assert!(stream.connection().protocol_version().is_some());

    let sent: Vec<u8> = (0..10 << 20).map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let sent_sum = checksum(&sent);
    let (mut reader, mut writer) = stream.into_split();
    let writing = coro::spawn(async move {
        for chunk in sent.chunks(100_000) {
            writer.write_all(chunk).await?; // futures-io's AsyncWriteExt
        }
        writer.close().await // close_notify, then the TCP write side
    });
    let mut received = Vec::new();
    let n = coro::timeout!(HANG, reader.read_to_end(&mut received)).expect("the echo hung").unwrap();
    assert_eq!(n, 10 << 20);
    assert_eq!(checksum(&received), sent_sum);
    writing.join().unwrap().unwrap();
    let results = server.join().unwrap();
    assert_eq!(results[0].as_ref().unwrap(), &(10 << 20));
}

/// The rustls error under an `io::Error` from a handshake.
fn rustls_error(error: &io::Error) -> &coro::tls::rustls::Error {
    assert_eq!(error.kind(), ErrorKind::InvalidData, "{error}");
    error.get_ref().and_then(|e| e.downcast_ref()).unwrap_or_else(|| panic!("not a rustls error: {error:?}"))
}

#[coro::test(workers = 2)]
fn certificates_that_must_not_be_trusted_are_rejected() {
    use coro::tls::rustls::{CertificateError, Error as TlsError};
    let identity = config::self_signed();
    let own = identity.chain[0].clone();
    let (addr, server) = echo_server(identity, 3);

    // Signed by no one the client trusts.
    // (rcgen gives every self-signed certificate the same issuer name: webpki finds the trusted one, whose
    // key did not sign this one.)
    let stranger = config::self_signed().chain[0].clone();
    let error = connect(addr, &stranger, "localhost").unwrap_err();
    let untrusted = |e: &TlsError| {
        matches!(
            e,
            TlsError::InvalidCertificate(CertificateError::UnknownIssuer | CertificateError::BadSignature)
        )
    };
    assert!(untrusted(rustls_error(&error)), "{error}");

    // Trusted, but not for this name.
    let error = connect(addr, &own, "example.com").unwrap_err();
    let not_for_name = |e: &TlsError| {
        matches!(
            e,
            TlsError::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
            )
        )
    };
    assert!(not_for_name(rustls_error(&error)), "{error}");

    // The server saw both handshakes fail, and serves the next client.
    let mut stream = connect(addr, &own, "127.0.0.1").unwrap();
    stream.write_all(b"still up").unwrap();
    stream.shutdown().unwrap();
    let mut echoed = Vec::new();
    coro::io::Read::read_to_end(&mut stream, &mut echoed).unwrap();
    assert_eq!(echoed, b"still up");
    let results = server.join().unwrap();
    assert!(results[0].is_err() && results[1].is_err(), "{results:?}");
    assert_eq!(results[2].as_ref().unwrap(), &8);
}

#[coro::test(workers = 2)]
fn a_peer_sending_garbage_gets_an_error_and_the_server_stays_up() {
    let identity = config::self_signed();
    let own = identity.chain[0].clone();
    let (addr, server) = echo_server(identity, 3);

    // Plain HTTP instead of a ClientHello: the server fails the handshake, tells the peer, closes.
    let mut garbage = TcpStream::connect(addr).unwrap();
    garbage.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let mut reply = Vec::new();
    coro::timeout!(HANG, garbage.read_to_end(&mut reply)).expect("the server kept a garbage connection").ok();
    assert!(!reply.starts_with(b"GET"), "nothing is echoed: {reply:?}");

    // A peer that closes in the middle of the handshake.
    drop(TcpStream::connect(addr).unwrap());

    let mut stream = connect(addr, &own, "localhost").unwrap();
    stream.write_all(b"hello").unwrap();
    stream.shutdown().unwrap();
    let mut echoed = Vec::new();
    coro::io::Read::read_to_end(&mut stream, &mut echoed).unwrap();
    assert_eq!(echoed, b"hello");

    let results = server.join().unwrap();
    rustls_error(results[0].as_ref().unwrap_err()); // rustls says why
    assert_eq!(results[1].as_ref().unwrap_err().kind(), ErrorKind::UnexpectedEof);
    assert_eq!(results[2].as_ref().unwrap(), &5);
}

/// A peer that closes the transport without a `close_notify` may have had its data cut short: the reader
/// gets `UnexpectedEof`, not a clean end.
#[coro::test(workers = 2)]
fn a_truncated_stream_is_an_error() {
    let identity = config::self_signed();
    let own = identity.chain[0].clone();
    let (addr, server) = echo_server(identity, 1);
    let mut stream = connect(addr, &own, "localhost").unwrap();
    stream.write_all(b"cut").unwrap();
    stream.flush().unwrap();
    stream.get_ref().shutdown(std::net::Shutdown::Write).unwrap(); // TCP's end, no close_notify
    let results = server.join().unwrap();
    assert_eq!(results[0].as_ref().unwrap_err().kind(), ErrorKind::UnexpectedEof);
}

/// Any futures-io transport carries TLS (here both ends of a Unix socket pair, in one task); a server name
/// that is neither a DNS name nor an IP address is refused before anything is sent.
#[coro::test(workers = 1)]
fn tls_runs_over_any_transport_and_names_are_checked() {
    let identity = config::self_signed();
    let root = identity.chain[0].clone();
    let acceptor = TlsAcceptor::from(config::server(identity, &[]).unwrap());
    let connector = TlsConnector::from(config::client(root));
    let (a, b) = coro::net::UnixStream::pair().unwrap();
    let (server, client) = coro::join!(acceptor.accept(a), connector.connect("localhost", b));
    let (mut server, mut client) = (server.unwrap(), client.unwrap());
    client.write_all(b"over a socket pair").unwrap();
    client.flush().unwrap();
    let mut got = [0u8; 18];
    coro::io::Read::read_exact(&mut server, &mut got).unwrap();
    assert_eq!(&got, b"over a socket pair");

    let (a, _b) = coro::net::UnixStream::pair().unwrap();
    let error = connector.connect("not a name!", a).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
}
