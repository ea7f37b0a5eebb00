//! Client encryption: TLS (rustls) on the native protocol port, required or optional.
//!
//! With `optional`, one port serves both: a connection whose first byte is `0x16` (a TLS
//! handshake record) is a TLS connection, anything else is plain CQL (a frame starts with its
//! version byte, which is never `0x16`). Cassandra's `client_encryption_options.optional` does the
//! same detection.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// The first byte of a TLS record carrying a handshake message (a ClientHello starts with it).
pub const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// TLS settings of the server.
#[derive(Clone)]
pub struct TlsConfig {
    pub(crate) acceptor: TlsAcceptor,
    /// Also accept plain connections on the same port.
    pub optional: bool,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig").field("optional", &self.optional).finish_non_exhaustive()
    }
}

/// Why the certificate or key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {}: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("{} holds no PEM certificate (BEGIN CERTIFICATE)", .0.display())]
    NoCertificate(PathBuf),
    #[error("{} holds no PEM private key (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)", .0.display())]
    NoPrivateKey(PathBuf),
    #[error("the certificate and private key cannot be used: {0}")]
    Rejected(String),
}

impl TlsConfig {
    /// Loads a PEM certificate chain (the server's certificate first) and a PEM private key
    /// (PKCS#8, PKCS#1 or SEC1, not encrypted). `private_key` may be the certificate file itself
    /// when it holds both, as Cassandra's PEM keystores do.
    pub fn from_pem_files(certificate: &Path, private_key: &Path, optional: bool) -> Result<TlsConfig, TlsError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|e| TlsError::Read { path: path.to_path_buf(), message: e.to_string() })
        };
        let cert_pem = read(certificate)?;
        let key_pem = if private_key == certificate { cert_pem.clone() } else { read(private_key)? };
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(&cert_pem)
                .collect::<Result<_, _>>()
                .map_err(|e| TlsError::Read { path: certificate.to_path_buf(), message: e.to_string() })?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate(certificate.to_path_buf()));
        }
        let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| match e {
            rustls::pki_types::pem::Error::NoItemsFound => TlsError::NoPrivateKey(private_key.to_path_buf()),
            e => TlsError::Read { path: private_key.to_path_buf(), message: e.to_string() },
        })?;
        TlsConfig::new(chain, key, optional)
    }

    /// Builds the server side from a certificate chain and its private key.
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        optional: bool,
    ) -> Result<TlsConfig, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Rejected(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| TlsError::Rejected(e.to_string()))?;
        Ok(TlsConfig { acceptor: TlsAcceptor::from(Arc::new(config)), optional })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_signed() -> (String, String) {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        (cert.cert.pem(), cert.signing_key.serialize_pem())
    }

    #[test]
    fn loads_a_certificate_and_key_from_separate_files_or_one() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed();
        let (c, k, both) = (dir.path().join("c.pem"), dir.path().join("k.pem"), dir.path().join("both.pem"));
        std::fs::write(&c, &cert).unwrap();
        std::fs::write(&k, &key).unwrap();
        std::fs::write(&both, format!("{key}{cert}")).unwrap();
        assert!(TlsConfig::from_pem_files(&c, &k, false).is_ok());
        assert!(TlsConfig::from_pem_files(&both, &both, true).unwrap().optional);
    }

    #[test]
    fn missing_or_wrong_files_are_errors_that_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed();
        let (c, k) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::write(&c, &cert).unwrap();
        std::fs::write(&k, &key).unwrap();
        let missing = dir.path().join("missing.pem");
        let e = TlsConfig::from_pem_files(&missing, &k, false).unwrap_err();
        assert!(matches!(e, TlsError::Read { .. }) && e.to_string().contains("missing.pem"), "{e}");
        assert!(matches!(TlsConfig::from_pem_files(&k, &k, false), Err(TlsError::NoCertificate(_))));
        assert!(matches!(TlsConfig::from_pem_files(&c, &c, false), Err(TlsError::NoPrivateKey(_))));
        // A key that does not match the certificate.
        let (_, other_key) = self_signed();
        std::fs::write(&k, other_key).unwrap();
        assert!(matches!(TlsConfig::from_pem_files(&c, &k, false), Err(TlsError::Rejected(_))));
    }
}
