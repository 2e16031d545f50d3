//! TLS for the sockets smsgw opens and serves itself: SMPP, UCP and CIMD2
//! links to SMSCs (client), the SMSC simulators and the HTTP callback
//! listener (server). It turns PEM files into rustls configurations, with
//! errors that name the file and what is wrong with it, so configuration
//! validation and the sockets use the very same code.
//!
//! Not here: Kafka's TLS (librdkafka has its own, configured by its
//! properties) and the HTTP client's (reqwest).
//!
//! # The crypto provider
//! Every configuration is built with [`provider`], aws-lc-rs, named
//! explicitly rather than left to whichever rustls feature happens to be on:
//! reqwest already builds rustls with aws-lc-rs (HTTPS SMS APIs, the schema
//! registry), so the binary carries one crypto library, not two; it is the
//! provider rustls itself defaults to, it has a FIPS 140-3 validated mode for
//! operators who must use one (rustls' `fips` feature), and its TLS 1.3
//! handshakes and AES-GCM are faster than ring's. ring would only build
//! faster, and it would be a second implementation of the same primitives.
//!
//! Protocol versions are rustls' safe defaults: TLS 1.3 and 1.2 (many SMSCs
//! still end TLS 1.2 at a terminator such as stunnel); nothing older.
//!
//! Start with [`client_config`] and [`server_config`].
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use tokio_rustls::rustls;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{ClientConfig, RootCertStore, ServerConfig};
pub use tokio_rustls::{client, server, TlsAcceptor, TlsConnector};

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file was read but does not hold what it should (PEM certificates, a PEM private key).
    #[error("{}: {reason}", path.display())]
    Content { path: PathBuf, reason: String },
    /// No CA file was given and the system trust store has no usable certificate.
    #[error("no trusted certificate in the system trust store ({0}); name a CA file")]
    SystemStore(String),
    /// A certificate and key that do not go together, or a configuration rustls refuses.
    #[error("{0}")]
    Rustls(#[source] rustls::Error),
    /// Not a DNS name or an IP address.
    #[error("`{0}` is not a valid server name (a DNS name or an IP address)")]
    ServerName(String),
}

/// The crypto provider of every configuration built here (see the crate docs).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Read { path: path.to_owned(), source })
}

/// The certificates of a PEM file, in order (a chain starts with the leaf);
/// an error when there are none or one cannot be read.
pub fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let pem = read(path)?;
    let content = |reason: String| Error::Content { path: path.to_owned(), reason };
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| content(format!("not PEM: {e}")))?;
    if certs.is_empty() {
        return Err(content("no PEM certificate (-----BEGIN CERTIFICATE-----) in it".into()));
    }
    Ok(certs)
}

/// The private key of a PEM file (PKCS#8, PKCS#1 RSA or SEC1 EC).
pub fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, Error> {
    let pem = read(path)?;
    PrivateKeyDer::from_pem_slice(&pem)
        .map_err(|e| Error::Content { path: path.to_owned(), reason: format!("no PEM private key in it ({e})") })
}

/// The trust anchors: every certificate of `ca`, or the system trust store when `None`.
pub fn roots(ca: Option<&Path>) -> Result<RootCertStore, Error> {
    let mut store = RootCertStore::empty();
    match ca {
        Some(path) => {
            for cert in certificates(path)? {
                store.add(cert).map_err(|e| Error::Content {
                    path: path.to_owned(),
                    reason: format!("not a usable CA certificate: {e}"),
                })?;
            }
        }
        None => {
            let loaded = rustls_native_certs::load_native_certs();
            let (added, _unusable) = store.add_parsable_certificates(loaded.certs);
            if added == 0 {
                let why: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
                let why = if why.is_empty() { "it is empty".to_owned() } else { why.join("; ") };
                return Err(Error::SystemStore(why));
            }
        }
    }
    Ok(store)
}

/// A client's certificate and key files (`tls_cert`, `tls_key`).
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    pub cert: &'a Path,
    pub key: &'a Path,
}

/// A client configuration trusting `ca` (or the system store), presenting
/// `identity` when the server asks for a certificate.
pub fn client_config(ca: Option<&Path>, identity: Option<Identity<'_>>) -> Result<Arc<ClientConfig>, Error> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(Error::Rustls)?
        .with_root_certificates(roots(ca)?);
    let config = match identity {
        None => builder.with_no_client_auth(),
        Some(id) => {
            let (certs, key) = (certificates(id.cert)?, private_key(id.key)?);
            builder.with_client_auth_cert(certs, key).map_err(|e| Error::Content {
                path: id.key.to_owned(),
                reason: format!("does not go with the certificate {}: {e}", id.cert.display()),
            })?
        }
    };
    Ok(Arc::new(config))
}

/// A server configuration presenting `cert` (a PEM chain, leaf first) with
/// `key`; with `client_ca`, clients must present a certificate it signed.
pub fn server_config(cert: &Path, key: &Path, client_ca: Option<&Path>) -> Result<Arc<ServerConfig>, Error> {
    let builder =
        ServerConfig::builder_with_provider(provider()).with_safe_default_protocol_versions().map_err(Error::Rustls)?;
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots(Some(ca))?), provider())
                .build()
                .map_err(|e| Error::Content { path: ca.to_owned(), reason: e.to_string() })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let (certs, private) = (certificates(cert)?, private_key(key)?);
    let config = builder.with_single_cert(certs, private).map_err(|e| Error::Content {
        path: key.to_owned(),
        reason: format!("does not go with the certificate {}: {e}", cert.display()),
    })?;
    Ok(Arc::new(config))
}

/// The name a server's certificate must carry: a DNS name or an IP address.
pub fn server_name(name: &str) -> Result<ServerName<'static>, Error> {
    ServerName::try_from(name.to_owned()).map_err(|_| Error::ServerName(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_wrong_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let e = client_config(Some(&missing), None).unwrap_err().to_string();
        assert!(e.starts_with("cannot read ") && e.contains("missing.pem"), "{e}");
        let text = dir.path().join("text.pem");
        std::fs::write(&text, "not a certificate\n").unwrap();
        let e = client_config(Some(&text), None).unwrap_err().to_string();
        assert!(e.contains("text.pem") && e.contains("no PEM certificate"), "{e}");
        let e = private_key(&text).unwrap_err().to_string();
        assert!(e.contains("text.pem") && e.contains("no PEM private key"), "{e}");
        let broken = dir.path().join("broken.pem");
        std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n").unwrap();
        let e = certificates(&broken).unwrap_err().to_string();
        assert!(e.contains("broken.pem") && e.contains("not PEM"), "{e}");
    }

    #[test]
    fn server_names() {
        assert!(server_name("smsc.example.net").is_ok());
        assert!(server_name("127.0.0.1").is_ok());
        assert!(server_name("::1").is_ok());
        assert!(server_name("not a name").unwrap_err().to_string().contains("`not a name`"));
    }
}
