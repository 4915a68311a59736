//! ClientHello / ServerHello decoding (through `tls-parser`) and the JA3, JA3S and JA4
//! fingerprints, with Suricata 7's conventions.
//!
//! The extension list is walked here (4-byte type/length headers) rather than with
//! `tls_parser::parse_tls_extensions`, because the fingerprints need every extension type in
//! wire order, unknown and GREASE ones included, and one undecodable extension must not hide the
//! others; each extension's content is still decoded by `tls_parser::parse_tls_extension`.

use std::fmt::Write as _;

use md5::{Digest as _, Md5};
use sha2::Sha256;
use tls_parser::TlsExtension;

/// Extension type numbers used here.
pub mod ext {
    /// server_name.
    pub const SERVER_NAME: u16 = 0;
    /// supported_groups (elliptic_curves).
    pub const SUPPORTED_GROUPS: u16 = 10;
    /// ec_point_formats.
    pub const EC_POINT_FORMATS: u16 = 11;
    /// signature_algorithms.
    pub const SIGNATURE_ALGORITHMS: u16 = 13;
    /// application_layer_protocol_negotiation.
    pub const ALPN: u16 = 16;
    /// session_ticket.
    pub const SESSION_TICKET: u16 = 35;
    /// early_data.
    pub const EARLY_DATA: u16 = 42;
    /// supported_versions.
    pub const SUPPORTED_VERSIONS: u16 = 43;
}

/// A GREASE value (RFC 8701): `0x?a?a` with both bytes equal.
pub fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// The versions Suricata accepts as valid (SSLv3 to TLS 1.3 and the TLS 1.3 drafts).
pub fn version_valid(v: u16) -> bool {
    matches!(
        v,
        0x0300..=0x0304 | 0x7f10..=0x7f1c | 0x7f01 | 0xfb14..=0xfb17 | 0xfb1a
    )
}

/// Suricata's name of a TLS version, as logged in EVE `tls.version`.
pub fn version_string(v: u16) -> String {
    let s = match v {
        0 => "UNDETERMINED",
        0x0200 => "SSLv2",
        0x0300 => "SSLv3",
        0x0301 => "TLSv1",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        0x7f01 => "TLS 1.3 draft-<16",
        0x7f10..=0x7f1c => return format!("TLS 1.3 draft-{}", v & 0xff),
        0xfb14..=0xfb17 | 0xfb1a => return format!("TLS 1.3 draft-{}-fb", v & 0xff),
        _ => return format!("0x{v:04x}"),
    };
    s.to_string()
}

/// What a ClientHello said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientHello {
    /// `legacy_version` (771 for TLS 1.2 and 1.3).
    pub legacy_version: u16,
    /// The 32-byte `random` (`tls.random`; its first 4 bytes are `tls.random_time`, the other
    /// 28 `tls.random_bytes`). Empty when the hello was too short to carry one.
    pub random: Vec<u8>,
    /// Session id (empty when none).
    pub session_id: Vec<u8>,
    /// Cipher suites, in order, GREASE included.
    pub ciphers: Vec<u16>,
    /// Extension types, in order, GREASE included.
    pub extensions: Vec<u16>,
    /// First SNI host name.
    pub sni: Option<Vec<u8>>,
    /// ALPN protocols offered.
    pub alpn: Vec<Vec<u8>>,
    /// supported_versions list (GREASE included).
    pub supported_versions: Vec<u16>,
    /// supported_groups (GREASE included).
    pub groups: Vec<u16>,
    /// ec_point_formats.
    pub ec_point_formats: Vec<u8>,
    /// signature_algorithms (GREASE included).
    pub signature_algorithms: Vec<u16>,
}

/// What a ServerHello said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerHello {
    /// `legacy_version`.
    pub legacy_version: u16,
    /// The 32-byte `random` (`tls.random` of the server side).
    pub random: Vec<u8>,
    /// Session id (empty when none).
    pub session_id: Vec<u8>,
    /// The chosen cipher suite.
    pub cipher: u16,
    /// Extension types, in order.
    pub extensions: Vec<u16>,
    /// supported_versions (the selected version, TLS 1.3).
    pub selected_version: Option<u16>,
    /// ALPN protocol selected.
    pub alpn: Vec<Vec<u8>>,
}

/// Anomalies found while decoding a hello (mapped to events by the caller).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HelloIssues {
    /// An extension ran past the end of the list.
    pub invalid_length: bool,
    /// More than one SNI extension.
    pub multiple_sni: bool,
    /// SNI name type other than host_name.
    pub invalid_sni_type: bool,
    /// SNI of length 0 or above 255, or undecodable.
    pub invalid_sni_length: bool,
}

/// Walks an extension block: calls `f(type, whole extension bytes, content)` for each; returns
/// false when an extension overran the block.
fn walk_extensions(block: &[u8], mut f: impl FnMut(u16, &[u8], &[u8])) -> bool {
    let mut pos = 0usize;
    while pos < block.len() {
        let (Some(h), Some(rest)) = (block.get(pos..pos + 4), block.get(pos..)) else {
            return false;
        };
        let t = u16::from_be_bytes([h[0], h[1]]);
        let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
        let (Some(whole), Some(content)) = (rest.get(..4 + len), rest.get(4..4 + len)) else {
            return false;
        };
        f(t, whole, content);
        pos += 4 + len;
    }
    true
}

fn versions(e: &TlsExtension<'_>) -> Vec<u16> {
    match e {
        TlsExtension::SupportedVersions(v) => v.iter().map(|x| x.0).collect(),
        _ => Vec::new(),
    }
}

fn alpn_list(e: &TlsExtension<'_>) -> Vec<Vec<u8>> {
    match e {
        TlsExtension::ALPN(v) => v.iter().map(|p| p.to_vec()).collect(),
        _ => Vec::new(),
    }
}

impl ClientHello {
    /// Decodes the body of a ClientHello from `tls-parser`'s view of it.
    pub fn from_parsed(ch: &tls_parser::TlsClientHelloContents<'_>) -> (ClientHello, HelloIssues) {
        let mut h = ClientHello {
            legacy_version: ch.version.0,
            random: ch.random.to_vec(),
            session_id: ch.session_id.map(<[u8]>::to_vec).unwrap_or_default(),
            ciphers: ch.ciphers.iter().map(|c| c.0).collect(),
            ..ClientHello::default()
        };
        let mut issues = HelloIssues::default();
        if let Some(block) = ch.ext {
            let ok = walk_extensions(block, |t, whole, content| {
                h.extensions.push(t);
                let parsed = tls_parser::parse_tls_extension(whole).ok().map(|(_, e)| e);
                match t {
                    ext::SERVER_NAME => h.sni_extension(content, &mut issues),
                    ext::SUPPORTED_GROUPS => {
                        if let Some(TlsExtension::EllipticCurves(g)) = &parsed {
                            h.groups = g.iter().map(|x| x.0).collect();
                        }
                    }
                    ext::EC_POINT_FORMATS => {
                        if let Some(TlsExtension::EcPointFormats(p)) = &parsed {
                            h.ec_point_formats = p.to_vec();
                        }
                    }
                    ext::SIGNATURE_ALGORITHMS => {
                        if let Some(TlsExtension::SignatureAlgorithms(s)) = &parsed {
                            h.signature_algorithms = s.clone();
                        }
                    }
                    ext::ALPN => {
                        if let Some(e) = &parsed {
                            h.alpn = alpn_list(e);
                        }
                    }
                    ext::SUPPORTED_VERSIONS => {
                        if let Some(e) = &parsed {
                            h.supported_versions = versions(e);
                        }
                    }
                    _ => {}
                }
            });
            issues.invalid_length |= !ok;
        }
        (h, issues)
    }

    /// Suricata's SNI checks: first name only, host_name type, length 1..=255, one extension.
    fn sni_extension(&mut self, content: &[u8], issues: &mut HelloIssues) {
        let parsed = tls_parser::parse_tls_extension_sni_content(content)
            .ok()
            .and_then(|(_, e)| match e {
                TlsExtension::SNI(v) => v.first().map(|(t, n)| (t.0, n.to_vec())),
                _ => None,
            });
        let Some((typ, name)) = parsed else {
            issues.invalid_sni_length = true;
            return;
        };
        if typ != 0 {
            issues.invalid_sni_type = true;
        } else if name.is_empty() || name.len() > 255 {
            issues.invalid_sni_length = true;
        } else if self.sni.is_some() {
            issues.multiple_sni = true;
        } else {
            self.sni = Some(name);
        }
    }

    /// Whether the hello carries extension `t`.
    pub fn has_extension(&self, t: u16) -> bool {
        self.extensions.contains(&t)
    }

    /// The JA3 string: `version,ciphers,extensions,groups,point formats` (decimal, `-`-joined,
    /// GREASE values left out).
    pub fn ja3_string(&self) -> String {
        let mut s = String::with_capacity(256);
        let _ = write!(s, "{},", self.legacy_version);
        join_u16(&mut s, &self.ciphers);
        s.push(',');
        join_u16(&mut s, &self.extensions);
        s.push(',');
        join_u16(&mut s, &self.groups);
        s.push(',');
        for (i, p) in self.ec_point_formats.iter().enumerate() {
            if i > 0 {
                s.push('-');
            }
            let _ = write!(s, "{p}");
        }
        s
    }

    /// The version JA4 uses: the highest of `legacy_version` and the first valid entry of
    /// supported_versions (as Suricata 7 computes it).
    pub fn ja4_version(&self) -> u16 {
        let mut v = if is_grease(self.legacy_version) {
            0
        } else {
            self.legacy_version
        };
        if let Some(&s) = self.supported_versions.iter().find(|&&x| version_valid(x)) {
            v = v.max(s);
        }
        v
    }

    /// The JA4 fingerprint (`t13d1516h2_8daaf6152771_e5627efa2ab1`), computed as Suricata 7
    /// does: TCP (`t`), version code, `d`/`i` for SNI, cipher and extension counts (GREASE left
    /// out, capped at 99), first/last character of the first ALPN value; then the truncated
    /// SHA-256 of the sorted cipher list and of the sorted extension list (without SNI and
    /// ALPN) joined by `_` to the signature algorithms in wire order.
    pub fn ja4(&self) -> String {
        let version = match self.ja4_version() {
            0x0304 => "13",
            0x0303 => "12",
            0x0302 => "11",
            0x0301 => "10",
            0x0300 => "s3",
            _ => "00",
        };
        let ciphers: Vec<u16> = self
            .ciphers
            .iter()
            .copied()
            .filter(|c| !is_grease(*c))
            .collect();
        let exts: Vec<u16> = self
            .extensions
            .iter()
            .copied()
            .filter(|e| !is_grease(*e))
            .collect();
        let sni = if exts.contains(&ext::SERVER_NAME) {
            'd'
        } else {
            'i'
        };
        let alpn = ja4_alpn(self.alpn.first().map(Vec::as_slice).unwrap_or(&[]));
        let mut a = String::with_capacity(40);
        let _ = write!(
            a,
            "t{version}{sni}{:02}{:02}{}{}",
            ciphers.len().min(99),
            exts.len().min(99),
            alpn[0],
            alpn[1]
        );
        let mut sorted = ciphers;
        sorted.sort_unstable();
        let b = sha256_12(&hex_list(&sorted));
        let mut sorted_ext: Vec<u16> = exts
            .into_iter()
            .filter(|e| *e != ext::SERVER_NAME && *e != ext::ALPN)
            .collect();
        sorted_ext.sort_unstable();
        let sigs: Vec<u16> = self
            .signature_algorithms
            .iter()
            .copied()
            .filter(|s| !is_grease(*s))
            .collect();
        let c_raw = format!("{}_{}", hex_list(&sorted_ext), hex_list(&sigs));
        let c = sha256_12(&c_raw);
        format!("{a}_{b}_{c}")
    }
}

impl ServerHello {
    /// Decodes a ServerHello from `tls-parser`'s view of it.
    pub fn from_parsed(sh: &tls_parser::TlsServerHelloContents<'_>) -> (ServerHello, HelloIssues) {
        let h = ServerHello {
            legacy_version: sh.version.0,
            random: sh.random.to_vec(),
            session_id: sh.session_id.map(<[u8]>::to_vec).unwrap_or_default(),
            cipher: sh.cipher.0,
            ..ServerHello::default()
        };
        h.with_extensions(sh.ext)
    }

    /// Decodes a TLS 1.3 draft-18 ServerHello (no session id, version 0x7f12).
    pub fn from_draft18(
        sh: &tls_parser::TlsServerHelloV13Draft18Contents<'_>,
    ) -> (ServerHello, HelloIssues) {
        let h = ServerHello {
            legacy_version: sh.version.0,
            random: sh.random.to_vec(),
            cipher: sh.cipher.0,
            ..ServerHello::default()
        };
        h.with_extensions(sh.ext)
    }

    fn with_extensions(mut self, ext: Option<&[u8]>) -> (ServerHello, HelloIssues) {
        let h = &mut self;
        let mut issues = HelloIssues::default();
        if let Some(block) = ext {
            let ok = walk_extensions(block, |t, _whole, content| {
                h.extensions.push(t);
                match t {
                    ext::SUPPORTED_VERSIONS => {
                        if let (Some(&a), Some(&b)) = (content.first(), content.get(1)) {
                            h.selected_version = Some(u16::from_be_bytes([a, b]));
                        }
                    }
                    ext::ALPN => {
                        if let Ok((_, e)) = tls_parser::parse_tls_extension_alpn_content(content) {
                            h.alpn = alpn_list(&e);
                        }
                    }
                    _ => {}
                }
            });
            issues.invalid_length |= !ok;
        }
        (self, issues)
    }

    /// The JA3S string: `version,cipher,extensions` (GREASE left out).
    pub fn ja3s_string(&self) -> String {
        let mut s = String::with_capacity(64);
        let _ = write!(s, "{},{},", self.legacy_version, self.cipher);
        join_u16(&mut s, &self.extensions);
        s
    }
}

fn join_u16(s: &mut String, v: &[u16]) {
    let mut first = true;
    for x in v.iter().filter(|x| !is_grease(**x)) {
        if !first {
            s.push('-');
        }
        first = false;
        let _ = write!(s, "{x}");
    }
}

fn hex_list(v: &[u16]) -> String {
    let mut s = String::with_capacity(v.len() * 5);
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{x:04x}");
    }
    s
}

fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn sha256_12(s: &str) -> String {
    let mut h = to_hex(&Sha256::digest(s.as_bytes()));
    h.truncate(12);
    h
}

/// Lower-case hex MD5 of `s` (the JA3/JA3S hash).
pub fn md5_hex(s: &str) -> String {
    to_hex(&Md5::digest(s.as_bytes()))
}

/// The two ALPN characters of JA4 for the first ALPN value (`00` when none; hex nibbles when
/// its first or last byte is not alphanumeric; a GREASE value counts as none).
fn ja4_alpn(a: &[u8]) -> [char; 2] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let (Some(&f), Some(&l)) = (a.first(), a.last()) else {
        return ['0', '0'];
    };
    if a.len() == 2 && is_grease(u16::from_be_bytes([f, l])) {
        return ['0', '0'];
    }
    if !f.is_ascii_alphanumeric() || !l.is_ascii_alphanumeric() {
        return [
            char::from(HEX[usize::from(f >> 4)]),
            char::from(HEX[usize::from(l & 0xf)]),
        ];
    }
    [char::from(f), char::from(l)]
}
