//! X.509 certificate facts (through `x509-parser`), rendered as Suricata 7 renders them.

use std::fmt::Write as _;

use sha1::{Digest as _, Sha1};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The facts Suricata logs about a certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject DN, `C=US, O=Example, CN=www.example.com` (RDNs in certificate order).
    pub subject: String,
    /// Issuer DN, same format.
    pub issuer: String,
    /// Serial number as upper-case hex bytes joined by `:` (`00:96:DF:47`).
    pub serial: String,
    /// SHA-1 of the DER certificate as lower-case hex bytes joined by `:`.
    pub fingerprint: String,
    /// notBefore, seconds since the Unix epoch (UTC).
    pub not_before: i64,
    /// notAfter, seconds since the Unix epoch (UTC).
    pub not_after: i64,
    /// DNS names of the subjectAltName extension.
    pub san: Vec<String>,
    /// Size of the DER certificate.
    pub der_len: usize,
}

/// Why a certificate could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// The DER structure is not a valid X.509 certificate.
    #[error("invalid DER certificate")]
    InvalidDer,
}

/// Colon-separated hex of `bytes`, upper or lower case.
pub fn colon_hex(bytes: &[u8], upper: bool) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        let _ = if upper {
            write!(s, "{b:02X}")
        } else {
            write!(s, "{b:02x}")
        };
    }
    s
}

impl CertInfo {
    /// Decodes a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<CertInfo, CertError> {
        let (_, c) = X509Certificate::from_der(der).map_err(|_| CertError::InvalidDer)?;
        let mut san = Vec::new();
        if let Ok(Some(ext)) = c.subject_alternative_name() {
            for n in &ext.value.general_names {
                if let GeneralName::DNSName(d) = n {
                    san.push((*d).to_string());
                }
            }
        }
        Ok(CertInfo {
            subject: c.subject().to_string(),
            issuer: c.issuer().to_string(),
            serial: colon_hex(c.raw_serial(), true),
            fingerprint: colon_hex(&Sha1::digest(der), false),
            not_before: c.validity().not_before.timestamp(),
            not_after: c.validity().not_after.timestamp(),
            san,
            der_len: der.len(),
        })
    }
}
