//! TLS to PostgreSQL with libpq's `sslmode` and `sslrootcert`
//! ([libpq: SSL support](https://www.postgresql.org/docs/15/libpq-ssl.html)), through
//! tokio-postgres-rustls and rustls (the `ring` provider, as for SMTP).
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | — |
//! | `prefer` (the default) | when the server offers it | not checked; with `sslrootcert`, its chain is |
//! | `require` | always | not checked; with `sslrootcert`, its chain is (libpq's `verify-ca`) |
//! | `verify-ca` | always | signed by a root: the system's and `sslrootcert`'s |
//! | `verify-full` | always | as `verify-ca`, and issued for the host connected to |
//!
//! tokio-postgres knows `disable`, `prefer` and `require`; `verify-ca`, `verify-full` and
//! `sslrootcert` are read here and taken out of the URL before it parses the rest. libpq's
//! `allow` (plain first) is refused.

use std::path::PathBuf;
use std::sync::Arc;

use percent_encoding::percent_decode_str;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::super::StoreError;

/// How much of the server's certificate is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Check {
    /// Nothing (`prefer`, `require` without `sslrootcert`): encrypted, but anyone on the
    /// path could pose as the server.
    Nothing,
    /// Its chain up to a root (`verify-ca`, or `sslrootcert` given).
    Chain,
    /// Its chain and that it names the host (`verify-full`).
    ChainAndHost,
}

/// The TLS settings of a URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Settings {
    pub check: Check,
    /// `sslrootcert`: a PEM file of root certificates, trusted besides the system's.
    pub root: Option<PathBuf>,
}

/// Takes `sslrootcert` and libpq's `sslmode`s that tokio-postgres does not know
/// (`verify-ca`, `verify-full`: `require` for it) out of `url`'s query; returns the URL
/// for tokio-postgres and the settings. Errors: `sslmode=allow`.
pub(super) fn split(url: &str) -> Result<(String, Settings), StoreError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((
            url.to_owned(),
            Settings {
                check: Check::Nothing,
                root: None,
            },
        ));
    };
    let (mut check, mut root) = (None, None);
    let mut kept = Vec::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode_str(value).decode_utf8_lossy();
        match (key, &*value) {
            ("sslmode", "verify-ca") => {
                check = Some(Check::Chain);
                kept.push("sslmode=require");
            }
            ("sslmode", "verify-full") => {
                check = Some(Check::ChainAndHost);
                kept.push("sslmode=require");
            }
            ("sslmode", "allow") => {
                return Err(StoreError(
                    "PostgreSQL URL: sslmode=allow is not supported (use prefer, require, \
                     verify-ca or verify-full)"
                        .into(),
                ))
            }
            ("sslrootcert", path) => root = Some(PathBuf::from(path)),
            _ => kept.push(pair),
        }
    }
    let check = check.unwrap_or(match root {
        Some(_) => Check::Chain,
        None => Check::Nothing,
    });
    let url = match kept.is_empty() {
        true => base.to_owned(),
        false => format!("{base}?{}", kept.join("&")),
    };
    Ok((url, Settings { check, root }))
}

/// The connector for `settings`. Errors: `sslrootcert` can't be read or holds no
/// certificate; a check is asked for and there is no root at all.
pub(super) fn connector(settings: &Settings) -> Result<MakeRustlsConnect, StoreError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let webpki = match settings.check {
        Check::Nothing => None,
        Check::Chain | Check::ChainAndHost => {
            let roots = roots(settings.root.as_deref())?;
            let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| StoreError(format!("PostgreSQL TLS: {e}")))?;
            Some(verifier)
        }
    };
    let verifier = Verifier {
        check: settings.check,
        webpki,
        provider: provider.clone(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError(format!("PostgreSQL TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// The system's root certificates (rustls-native-certs: the platform's store, or the file
/// `SSL_CERT_FILE` names) and those of `extra`.
fn roots(extra: Option<&std::path::Path>) -> Result<Arc<RootCertStore>, StoreError> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for e in &native.errors {
        tracing::warn!("PostgreSQL TLS: system root certificates: {e}");
    }
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = extra {
        let bad = |e: &dyn std::fmt::Display| {
            StoreError(format!("PostgreSQL: sslrootcert {}: {e}", path.display()))
        };
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| bad(&e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(&e))?;
        if certs.is_empty() {
            return Err(bad(&"no PEM certificate in it"));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| bad(&e))?;
        }
    }
    if roots.is_empty() {
        return Err(StoreError(
            "PostgreSQL: sslmode asks to check the server's certificate, and there is no \
             root certificate (none in the system's store; give sslrootcert=PATH)"
                .into(),
        ));
    }
    Ok(Arc::new(roots))
}

/// rustls' WebPKI verifier, doing as much as [`Check`] says; handshake signatures are
/// always checked.
#[derive(Debug)]
struct Verifier {
    check: Check,
    webpki: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = &self.webpki else {
            return Ok(ServerCertVerified::assertion());
        };
        let verified =
            webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        match (self.check, verified) {
            // WebPKI checks the name after the chain: this error means the chain is good.
            (
                Check::Chain,
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )),
            ) => Ok(ServerCertVerified::assertion()),
            (_, verified) => verified,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::{split, Check};

    #[test]
    fn libpq_modes_tokio_postgres_lacks_are_taken_out_of_the_url() {
        let (url, s) = split("postgres://db/forms?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x").unwrap();
        assert_eq!(
            url,
            "postgres://db/forms?sslmode=require&application_name=x"
        );
        assert_eq!(s.check, Check::ChainAndHost);
        assert_eq!(s.root.as_deref(), Some(std::path::Path::new("/etc/ca.pem")));
        let (url, s) = split("postgres://db/forms?sslmode=require&sslrootcert=ca.pem").unwrap();
        assert_eq!(
            (url.as_str(), s.check),
            ("postgres://db/forms?sslmode=require", Check::Chain)
        );
        let (url, s) = split("postgres://db/forms?sslmode=verify-ca").unwrap();
        assert_eq!(
            (url.as_str(), s.check),
            ("postgres://db/forms?sslmode=require", Check::Chain)
        );
        let (url, s) = split("postgres://db/forms").unwrap();
        assert_eq!(
            (url.as_str(), s.check),
            ("postgres://db/forms", Check::Nothing)
        );
        assert!(split("postgres://db/forms?sslmode=allow").is_err());
    }
}
