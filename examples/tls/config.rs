//! The TLS configurations of the `https` and `tls_echo` examples (and of tests/tls.rs): rustls with its
//! `ring` provider, and a self-signed certificate for `localhost` and `127.0.0.1` generated with rcgen at
//! start-up unless the command line names a certificate chain and a key (PEM files).

use coro::tls::rustls::crypto::{CryptoProvider, ring};
use coro::tls::rustls::pki_types::pem::PemObject;
use coro::tls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use coro::tls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

/// rustls's `ring` provider, named explicitly: a process where another crate enables rustls's other
/// provider too would otherwise have to pick one at run time.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

/// A certificate and its key.
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// The certificate as PEM, for clients to trust.
    pub cert_pem: String,
}

/// A new self-signed certificate valid for `localhost` and `127.0.0.1`.
pub fn self_signed() -> Identity {
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let certified = rcgen::generate_simple_self_signed(names).expect("generating a certificate");
    Identity {
        chain: vec![certified.cert.der().clone()],
        key: PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()).into(),
        cert_pem: certified.cert.pem(),
    }
}

/// A server configuration presenting `identity`, offering `alpn` protocols (none: no ALPN).
pub fn server(identity: Identity, alpn: &[&[u8]]) -> io::Result<Arc<ServerConfig>> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(identity.chain, identity.key)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
    Ok(Arc::new(config))
}

/// A client configuration trusting only `root`.
#[allow(dead_code, reason = "for the tests that include this file; the examples are servers")]
pub fn client(root: CertificateDer<'static>) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(root).expect("a well-formed certificate");
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// The identity of a server whose command line is `[ADDR [CERT KEY]]`: the PEM files CERT (a chain) and
/// KEY, or a new self-signed certificate, whose PEM is written to a file in the temporary directory. Returns
/// it with the certificate's path, for clients (`curl --cacert PATH`).
pub fn identity_from_args(example: &str) -> io::Result<(Identity, PathBuf)> {
    let args: Vec<String> = std::env::args().skip(2).collect();
    match &args[..] {
        [] => {
            let identity = self_signed();
            let path = std::env::temp_dir().join(format!("coro-{example}-{}.pem", std::process::id()));
            std::fs::write(&path, &identity.cert_pem)?;
            Ok((identity, path))
        }
        [cert, key] => {
            let invalid = |e: rustls::pki_types::pem::Error| io::Error::new(io::ErrorKind::InvalidData, e);
            let chain = CertificateDer::pem_file_iter(cert).map_err(invalid)?.collect::<Result<_, _>>();
            let key = PrivateKeyDer::from_pem_file(key).map_err(invalid)?;
            let cert_pem = std::fs::read_to_string(cert)?;
            Ok((Identity { chain: chain.map_err(invalid)?, key, cert_pem }, PathBuf::from(cert)))
        }
        _ => Err(io::Error::new(io::ErrorKind::InvalidInput, format!("usage: {example} [ADDR [CERT KEY]]"))),
    }
}
