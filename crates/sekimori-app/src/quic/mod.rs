//! QUIC (IETF version 1 and drafts 29..32) over UDP, as far as Suricata 7 looks into it: the
//! Initial packets of both sides are decrypted (their protection keys derive from the client's
//! first Destination Connection ID, RFC 9001 §5.2), the CRYPTO frames they carry are gathered,
//! and the TLS ClientHello / ServerHello inside are decoded — SNI, extensions, JA3 and JA3S.
//! One transaction per hello (`tx_id` counting from 0 over the flow).
//!
//! Hand-rolled packet and frame parsing (RFC 9000 §17, §19): only the long-header Initial
//! layout and three frame types are needed; the cryptography uses the RustCrypto `aes-gcm`,
//! `aes` and `hkdf` crates.

pub mod crypto;

use tls_parser::{TlsMessage, TlsMessageHandshake};

use crate::config::AppConfig;
use crate::parser::{AppParser, ParseCx, ParseResult, Probe, ProtocolInfo};
use crate::sink::AppTx;
use crate::tls::{ClientHello, ServerHello, md5_hex};
use crate::types::{AppProto, Direction, Transport, TxStage};

/// CRYPTO bytes of one direction kept while a hello is incomplete.
pub const MAX_CRYPTO: usize = 64 * 1024;

/// Suricata's default QUIC detection port.
pub const PORTS: [u16; 1] = [443];

/// One decoded hello of a QUIC connection.
#[derive(Clone, Debug, Default)]
pub struct QuicTx {
    /// Transaction id within the flow.
    pub tx_id: u64,
    /// `ToServer` for the ClientHello, `ToClient` for the ServerHello.
    pub dir: Option<Direction>,
    /// The QUIC version of the packet (1 for RFC 9000).
    pub version: u32,
    /// The ClientHello, for the client's transaction.
    pub client_hello: Option<ClientHello>,
    /// The ServerHello, for the server's transaction.
    pub server_hello: Option<ServerHello>,
    /// JA3 string (client).
    pub ja3: Option<String>,
    /// MD5 of [`QuicTx::ja3`].
    pub ja3_hash: Option<String>,
    /// JA3S string (server).
    pub ja3s: Option<String>,
    /// MD5 of [`QuicTx::ja3s`].
    pub ja3s_hash: Option<String>,
}

impl QuicTx {
    /// The SNI of the ClientHello.
    pub fn sni(&self) -> Option<&[u8]> {
        self.client_hello.as_ref()?.sni.as_deref()
    }
    /// Suricata's version string (`1`, or the hex of other versions).
    pub fn version_string(&self) -> String {
        match self.version {
            1 => "1".to_string(),
            v if v >> 8 == 0xff0000 => format!("draft-{}", v & 0xff),
            v => format!("{v:08x}"),
        }
    }
}

/// The name Suricata's QUIC logger gives a TLS extension type.
pub fn extension_name(t: u16) -> Option<&'static str> {
    Some(match t {
        0 => "server_name",
        1 => "max_fragment_length",
        5 => "status_request",
        10 => "supported_groups",
        11 => "ec_point_formats",
        13 => "signature_algorithms",
        14 => "use_srtp",
        15 => "heartbeat",
        16 => "alpn",
        18 => "signed_certificate_timestamp",
        21 => "padding",
        22 => "encrypt_then_mac",
        23 => "extended_master_secret",
        35 => "session_ticket",
        41 => "pre_shared_key",
        42 => "early_data",
        43 => "supported_versions",
        44 => "cookie",
        45 => "psk_key_exchange_modes",
        47 => "certificate_authorities",
        49 => "post_handshake_auth",
        50 => "signature_algorithms_cert",
        51 => "key_share",
        57 => "quic_transport_parameters",
        _ => return None,
    })
}

/// Rust-debug rendering of a TLS version, as Suricata's QUIC logger writes it (`Tls13`,
/// `TlsVersion(32540 / 0x7f1c)`).
fn version_debug(v: u16) -> String {
    format!("{:?}", tls_parser::TlsVersion(v))
}

impl QuicTx {
    /// The extension types of the hello, in order.
    pub fn extensions(&self) -> &[u16] {
        match (&self.client_hello, &self.server_hello) {
            (Some(c), _) => &c.extensions,
            (None, Some(s)) => &s.extensions,
            (None, None) => &[],
        }
    }

    /// The values Suricata lists for extension `t` of the hello (SNI, ALPN protocols,
    /// supported versions, signature algorithms); empty for the others.
    pub fn extension_values(&self, t: u16) -> Vec<String> {
        let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match (&self.client_hello, &self.server_hello, t) {
            (Some(c), _, 0) => c.sni.iter().map(|n| lossy(n)).collect(),
            (Some(c), _, 16) => c.alpn.iter().map(|p| lossy(p)).collect(),
            (Some(c), _, 43) => c
                .supported_versions
                .iter()
                .map(|&v| version_debug(v))
                .collect(),
            (Some(c), _, 13) => c.signature_algorithms.iter().map(u16::to_string).collect(),
            (None, Some(s), 16) => s.alpn.iter().map(|p| lossy(p)).collect(),
            (None, Some(s), 43) => s
                .selected_version
                .iter()
                .map(|&v| version_debug(v))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A variable-length integer (RFC 9000 §16) at the start of `b`: (value, length).
pub fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let first = *b.first()?;
    let len = 1usize << (first >> 6);
    let bytes = b.get(..len)?;
    let mut v = u64::from(first & 0x3f);
    for &x in bytes.get(1..)? {
        v = (v << 8) | u64::from(x);
    }
    Some((v, len))
}

/// The parts of a long-header Initial packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitialHeader<'a> {
    /// Version.
    pub version: u32,
    /// Destination connection id.
    pub dcid: &'a [u8],
    /// Source connection id.
    pub scid: &'a [u8],
    /// Offset of the (protected) packet number.
    pub pn_offset: usize,
    /// Bytes from the packet number to the end of this packet (the Length field).
    pub length: usize,
}

/// Versions whose Initial protection sekimori knows.
pub fn known_version(v: u32) -> bool {
    v == 1 || (0xff00_001d..=0xff00_0020).contains(&v)
}

/// Parses the long header of an Initial packet at the start of `p`; None for other packets.
pub fn initial_header(p: &[u8]) -> Option<InitialHeader<'_>> {
    let first = *p.first()?;
    if first & 0x80 == 0 {
        return None;
    }
    let version = u32::from_be_bytes(p.get(1..5)?.try_into().ok()?);
    // Long packet type 0 is Initial (v1 and the drafts).
    if (first >> 4) & 0x03 != 0 || !known_version(version) {
        return None;
    }
    let mut pos = 5;
    let dlen = usize::from(*p.get(pos)?);
    let dcid = p.get(pos + 1..pos + 1 + dlen)?;
    pos += 1 + dlen;
    let slen = usize::from(*p.get(pos)?);
    let scid = p.get(pos + 1..pos + 1 + slen)?;
    pos += 1 + slen;
    if dlen > 20 || slen > 20 {
        return None;
    }
    let (tlen, n) = varint(p.get(pos..)?)?;
    pos = pos
        .checked_add(n)?
        .checked_add(usize::try_from(tlen).ok()?)?;
    let (length, n) = varint(p.get(pos..)?)?;
    pos += n;
    let length = usize::try_from(length).ok()?;
    if p.len() < pos.checked_add(length)? {
        return None;
    }
    Some(InitialHeader {
        version,
        dcid,
        scid,
        pn_offset: pos,
        length,
    })
}

/// The QUIC parser of one flow.
pub struct QuicParser {
    /// The client's first Destination Connection ID (the Initial keys' input).
    odcid: Option<Vec<u8>>,
    /// Gathered CRYPTO bytes per direction (contiguous from offset 0).
    crypto: [Vec<u8>; 2],
    /// The hello of the direction was decoded.
    hello_done: [bool; 2],
    next_tx: u64,
    /// Scratch for decrypted payloads (reused).
    plain: Vec<u8>,
}

impl QuicParser {
    /// One datagram: its Initial packets (coalesced ones too).
    fn datagram(&mut self, dir: Direction, data: &[u8], cx: &mut ParseCx<'_>) {
        let mut rest = data;
        while let Some(h) = initial_header(rest) {
            let end = h.pn_offset + h.length;
            let Some(packet) = rest.get(..end) else { break };
            if dir == Direction::ToServer && self.odcid.is_none() {
                self.odcid = Some(h.dcid.to_vec());
            }
            if let Some(odcid) = self.odcid.clone() {
                let mut pkt = packet.to_vec();
                let mut plain = std::mem::take(&mut self.plain);
                let server = dir == Direction::ToClient;
                if crypto::unprotect_initial(&mut pkt, &h, &odcid, server, &mut plain).is_some() {
                    self.frames(dir, h.version, &plain, cx);
                }
                self.plain = plain;
            }
            rest = rest.get(end..).unwrap_or(&[]);
        }
    }

    /// The frames of a decrypted Initial payload: CRYPTO data is gathered, PADDING, PING and
    /// ACK skipped; anything else ends the walk (Initial packets carry nothing else of use).
    fn frames(&mut self, dir: Direction, version: u32, p: &[u8], cx: &mut ParseCx<'_>) {
        let i = dir.index();
        let mut pos = 0;
        while let Some(&t) = p.get(pos) {
            match t {
                0x00 | 0x01 => pos += 1,
                0x02 | 0x03 => {
                    // ACK: largest, delay, range count, first range, ranges, (ECN counts).
                    let Some(mut q) = pos.checked_add(1) else {
                        return;
                    };
                    let mut vals = [0u64; 4];
                    for v in &mut vals {
                        let Some((x, n)) = p.get(q..).and_then(varint) else {
                            return;
                        };
                        *v = x;
                        q += n;
                    }
                    let extra = vals[2].saturating_mul(2) + if t == 0x03 { 3 } else { 0 };
                    for _ in 0..extra.min(1024) {
                        let Some((_, n)) = p.get(q..).and_then(varint) else {
                            return;
                        };
                        q += n;
                    }
                    pos = q;
                }
                0x06 => {
                    let Some((off, n1)) = p.get(pos + 1..).and_then(varint) else {
                        return;
                    };
                    let Some((len, n2)) = p.get(pos + 1 + n1..).and_then(varint) else {
                        return;
                    };
                    let start = pos + 1 + n1 + n2;
                    let (Ok(off), Ok(len)) = (usize::try_from(off), usize::try_from(len)) else {
                        return;
                    };
                    let Some(data) = p.get(start..start.saturating_add(len)) else {
                        return;
                    };
                    self.crypto_data(i, off, data);
                    pos = start + len;
                }
                _ => break,
            }
        }
        self.try_hello(dir, version, cx);
    }

    /// Places CRYPTO bytes at `off` when they extend the contiguous prefix.
    fn crypto_data(&mut self, i: usize, off: usize, data: &[u8]) {
        let Some(buf) = self.crypto.get_mut(i) else {
            return;
        };
        let have = buf.len();
        let end = off.saturating_add(data.len());
        if off > have || end <= have || end > MAX_CRYPTO {
            return;
        }
        buf.extend_from_slice(data.get(have - off..).unwrap_or(&[]));
    }

    /// Decodes the hello of `dir` once its handshake message is whole.
    fn try_hello(&mut self, dir: Direction, version: u32, cx: &mut ParseCx<'_>) {
        let i = dir.index();
        if self.hello_done[i] {
            return;
        }
        let buf = &self.crypto[i];
        let (Some(&a), Some(&b), Some(&c)) = (buf.get(1), buf.get(2), buf.get(3)) else {
            return;
        };
        let mlen = (usize::from(a) << 16) | (usize::from(b) << 8) | usize::from(c);
        let Some(msg) = buf.get(..4 + mlen) else {
            return;
        };
        let mut tx = QuicTx {
            version,
            dir: Some(dir),
            ..QuicTx::default()
        };
        match (tls_parser::parse_tls_message_handshake(msg), dir) {
            (
                Ok((_, TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch)))),
                Direction::ToServer,
            ) => {
                let (h, _) = ClientHello::from_parsed(&ch);
                let ja3 = h.ja3_string();
                tx.ja3_hash = Some(md5_hex(&ja3));
                tx.ja3 = Some(ja3);
                tx.client_hello = Some(h);
            }
            (
                Ok((_, TlsMessage::Handshake(TlsMessageHandshake::ServerHello(sh)))),
                Direction::ToClient,
            ) => {
                let (h, _) = ServerHello::from_parsed(&sh);
                let s = h.ja3s_string();
                tx.ja3s_hash = Some(md5_hex(&s));
                tx.ja3s = Some(s);
                tx.server_hello = Some(h);
            }
            _ => {
                // Not a hello we can use: stop gathering for this side.
                self.hello_done[i] = true;
                self.crypto[i] = Vec::new();
                return;
            }
        }
        self.hello_done[i] = true;
        self.crypto[i] = Vec::new();
        tx.tx_id = self.next_tx;
        self.next_tx += 1;
        cx.tx(AppTx::Quic(&tx), TxStage::Complete);
    }
}

impl AppParser for QuicParser {
    fn info() -> ProtocolInfo {
        ProtocolInfo {
            proto: AppProto::Quic,
            tcp: false,
            udp: true,
        }
    }

    fn ports(_cfg: &AppConfig, t: Transport) -> Vec<u16> {
        match t {
            Transport::Udp => PORTS.to_vec(),
            Transport::Tcp => Vec::new(),
        }
    }

    fn any_port(_cfg: &AppConfig, _t: Transport) -> bool {
        false
    }

    /// A long-header Initial packet of a known version whose header parses.
    fn probe(t: Transport, dir: Direction, data: &[u8]) -> Probe {
        if t != Transport::Udp {
            return Probe::No;
        }
        // Both sides send Initial packets of the same layout: whichever comes first decides.
        let _ = dir;
        match initial_header(data) {
            Some(_) => Probe::Yes,
            None => Probe::No,
        }
    }

    fn create(_cfg: &AppConfig, _t: Transport) -> Self {
        QuicParser {
            odcid: None,
            crypto: [Vec::new(), Vec::new()],
            hello_done: [false; 2],
            next_tx: 0,
            plain: Vec::new(),
        }
    }

    fn proto(&self) -> AppProto {
        AppProto::Quic
    }

    fn parse(&mut self, dir: Direction, data: &[u8], cx: &mut ParseCx<'_>) -> ParseResult {
        self.datagram(dir, data, cx);
        ParseResult::Ok
    }

    fn gap(&mut self, _dir: Direction, _len: u64, _cx: &mut ParseCx<'_>) {}

    fn close(&mut self, _dir: Direction, _tail: &[u8], _cx: &mut ParseCx<'_>) {}

    fn finish(&mut self, _cx: &mut ParseCx<'_>) {}

    fn memory(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.crypto.iter().map(Vec::capacity).sum::<usize>()
            + self.plain.capacity()
    }
}

#[cfg(test)]
mod tests;
