//! TLS (SSLv3 to TLS 1.3) over TCP, as Suricata 7 parses it: the record layer over the
//! reassembled stream (records split across segments or packed several to a segment, handshake
//! messages split across records), ClientHello / ServerHello / Certificate decoding, JA3, JA3S
//! and JA4 fingerprints, and app-layer events with Suricata's names.
//!
//! One transaction per session ([`TlsTx`], `tx_id` 0), handed to the sink at
//! [`TxStage::Complete`] when the handshake is done as Suricata defines it (the server
//! certificate was decoded — the client's when the server asked for one — or application data
//! was seen), or when the flow ends. Records after encryption started are counted, not parsed.
//!
//! The record layer is streaming: a partial record header is kept here (5 bytes at most), record
//! payloads are consumed as they arrive, and only clear-text handshake bytes are buffered until a
//! whole handshake message is present (capped by `tls.max_handshake_len`). So the parser never
//! asks the layer to hold bytes (`ParseResult::Incomplete`).

pub mod cert;
pub mod hello;

pub use cert::{CertError, CertInfo, colon_hex};
pub use hello::{ClientHello, ServerHello, is_grease, md5_hex, version_string, version_valid};

use tls_parser::{TlsMessage, TlsMessageHandshake};

use crate::config::AppConfig;
use crate::parser::{AppParser, ParseCx, ParseResult, Probe, ProtocolInfo};
use crate::sink::AppTx;
use crate::types::{AppProto, Direction, Transport, TxStage};

/// Record content types.
mod ct {
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    pub const ALERT: u8 = 21;
    pub const HANDSHAKE: u8 = 22;
    pub const APPLICATION_DATA: u8 = 23;
    pub const HEARTBEAT: u8 = 24;
}

/// Largest record payload Suricata accepts (2^14 + 1024).
pub const MAX_RECORD_LEN: usize = (1 << 14) + 1024;

/// A TLS app-layer event (Suricata's `tls.<name>` in lower case for rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TlsEvent {
    /// A record header that could not be parsed.
    InvalidTlsHeader = 0,
    /// A record version that is not SSLv3..TLS 1.3 (or a TLS 1.3 draft).
    InvalidRecordVersion = 1,
    /// An unknown record content type.
    InvalidRecordType = 2,
    /// A record of length 0 or longer than 2^14 + 1024.
    InvalidRecordLength = 3,
    /// A clear-text handshake message that could not be decoded or was out of place.
    InvalidHandshakeMessage = 4,
    /// A heartbeat record.
    HeartbeatMessage = 5,
    /// A handshake message whose lengths overrun it, or longer than the configured maximum.
    HandshakeInvalidLength = 6,
    /// More than one SNI extension.
    MultipleSniExtensions = 7,
    /// An SNI name type other than host_name.
    InvalidSniType = 8,
    /// An SNI of length 0 or above 255.
    InvalidSniLength = 9,
    /// A Certificate message that could not be decoded.
    InvalidCertificate = 10,
    /// A certificate that is not valid DER X.509.
    CertificateInvalidDer = 11,
}

impl TlsEvent {
    /// Every event.
    pub const ALL: [TlsEvent; 12] = [
        TlsEvent::InvalidTlsHeader,
        TlsEvent::InvalidRecordVersion,
        TlsEvent::InvalidRecordType,
        TlsEvent::InvalidRecordLength,
        TlsEvent::InvalidHandshakeMessage,
        TlsEvent::HeartbeatMessage,
        TlsEvent::HandshakeInvalidLength,
        TlsEvent::MultipleSniExtensions,
        TlsEvent::InvalidSniType,
        TlsEvent::InvalidSniLength,
        TlsEvent::InvalidCertificate,
        TlsEvent::CertificateInvalidDer,
    ];

    /// Suricata's name (`app-layer-event:tls.<name lower-cased>`).
    pub const fn name(self) -> &'static str {
        match self {
            TlsEvent::InvalidTlsHeader => "INVALID_TLS_HEADER",
            TlsEvent::InvalidRecordVersion => "INVALID_RECORD_VERSION",
            TlsEvent::InvalidRecordType => "INVALID_RECORD_TYPE",
            TlsEvent::InvalidRecordLength => "INVALID_RECORD_LENGTH",
            TlsEvent::InvalidHandshakeMessage => "INVALID_HANDSHAKE_MESSAGE",
            TlsEvent::HeartbeatMessage => "HEARTBEAT_MESSAGE",
            TlsEvent::HandshakeInvalidLength => "HANDSHAKE_INVALID_LENGTH",
            TlsEvent::MultipleSniExtensions => "MULTIPLE_SNI_EXTENSIONS",
            TlsEvent::InvalidSniType => "INVALID_SNI_TYPE",
            TlsEvent::InvalidSniLength => "INVALID_SNI_LENGTH",
            TlsEvent::InvalidCertificate => "INVALID_CERTIFICATE",
            TlsEvent::CertificateInvalidDer => "CERTIFICATE_INVALID_DER",
        }
    }
}

/// One TLS session.
#[derive(Clone, Debug, Default)]
pub struct TlsTx {
    /// Transaction id (always 0: one transaction per session).
    pub tx_id: u64,
    /// The ClientHello, once seen (the first one).
    pub client_hello: Option<ClientHello>,
    /// The ServerHello, once seen (the first one).
    pub server_hello: Option<ServerHello>,
    /// The version Suricata logs (`tls.version`): the server's record version until the
    /// ServerHello, then its legacy version (0x0304 and early drafts as `TLS 1.3 draft-<16`),
    /// replaced by its supported_versions value. 0 when nothing came from the server.
    pub version: u16,
    /// The client's version in the same sense (record version, then hello, then the first valid
    /// supported_versions entry).
    pub client_version: u16,
    /// The server's first certificate.
    pub server_cert: Option<CertInfo>,
    /// Number of certificates in the server's chain.
    pub server_chain_len: usize,
    /// The DER certificates of the server's chain, in message order (`tls.certs` to_client).
    pub server_chain: Vec<Vec<u8>>,
    /// The DER certificates of the client's chain (`tls.certs` to_server).
    pub client_chain: Vec<Vec<u8>>,
    /// The client's first certificate (when the server asked for one).
    pub client_cert: Option<CertInfo>,
    /// JA3 string of the ClientHello.
    pub ja3: Option<String>,
    /// MD5 of [`TlsTx::ja3`].
    pub ja3_hash: Option<String>,
    /// JA3S string of the ServerHello.
    pub ja3s: Option<String>,
    /// MD5 of [`TlsTx::ja3s`].
    pub ja3s_hash: Option<String>,
    /// JA4 of the ClientHello.
    pub ja4: Option<String>,
    /// Suricata's session-resumed flag: the client offered a session ticket, or the server
    /// echoed the client's session id.
    pub session_resumed: bool,
    /// Suricata's "log without certificate" flag: TLS 1.3 (or a draft) was negotiated, so no
    /// clear-text certificate will come.
    pub log_without_cert: bool,
    /// The server sent a CertificateRequest.
    pub client_cert_requested: bool,
    /// The handshake is done (Suricata's `HANDSHAKE_DONE`); false when the flow ended first.
    pub handshake_done: bool,
    /// ChangeCipherSpec seen [to_server, to_client].
    pub change_cipher_spec: [bool; 2],
    /// Records seen [to_server, to_client] (up to completion).
    pub records: [u64; 2],
    /// Application-data records seen [to_server, to_client] (up to completion).
    pub app_data_records: [u64; 2],
    /// Capture time of the ClientHello.
    pub ts: sekimori_capture::Timestamp,
    events: u32,
}

impl TlsTx {
    /// The SNI host name of the ClientHello.
    pub fn sni(&self) -> Option<&[u8]> {
        self.client_hello.as_ref()?.sni.as_deref()
    }
    /// Suricata's version string (`TLS 1.2`, `TLS 1.3`, `UNDETERMINED`...).
    pub fn version_string(&self) -> String {
        version_string(self.version)
    }
    /// Events raised on this session.
    pub fn events(&self) -> impl Iterator<Item = TlsEvent> + '_ {
        TlsEvent::ALL
            .iter()
            .copied()
            .filter(move |e| self.events & (1 << (*e as u8)) != 0)
    }
    /// Whether `e` was raised.
    pub fn has_event(&self, e: TlsEvent) -> bool {
        self.events & (1 << (e as u8)) != 0
    }
}

#[derive(Default)]
struct DirState {
    hdr: [u8; 5],
    hdr_len: usize,
    rtype: u8,
    remaining: usize,
    /// Clear-text handshake bytes not yet forming a whole message.
    hs: Vec<u8>,
    /// Bytes of an oversized handshake message still to discard.
    hs_discard: usize,
    /// ChangeCipherSpec seen: later handshake records are encrypted.
    ccs: bool,
    /// A gap: wait for a plausible record header.
    resync: bool,
}

/// Most cipher suites gathered for the JA4 of repeated ClientHellos.
const MAX_JA4_ITEMS: usize = 4096;

/// The TLS parser of one flow.
pub struct TlsParser {
    tx: TlsTx,
    dirs: [DirState; 2],
    max_hs: usize,
    early_data: bool,
    /// Complete was handed over.
    done: bool,
    seen: bool,
    /// What Suricata's JA4 state holds after more than one ClientHello: it appends every
    /// hello's cipher suites, extensions and signature algorithms (it is never reset), so the
    /// JA4 of a repeated hello counts both. `None` until a second hello arrives.
    ja4_acc: Option<Box<ClientHello>>,
}

/// A plausible record header at the start of `d` (used to resynchronise after a gap).
fn plausible_header(d: &[u8]) -> bool {
    match (d.first(), d.get(1), d.get(2), d.get(3), d.get(4)) {
        (Some(&t), Some(&3), Some(&minor), Some(&a), Some(&b)) => {
            (ct::CHANGE_CIPHER_SPEC..=ct::HEARTBEAT).contains(&t)
                && minor <= 4
                && (1..=MAX_RECORD_LEN).contains(&usize::from(u16::from_be_bytes([a, b])))
        }
        _ => false,
    }
}

impl TlsParser {
    /// The session so far.
    pub fn tx(&self) -> &TlsTx {
        &self.tx
    }

    fn event(&mut self, cx: &mut ParseCx<'_>, dir: Direction, e: TlsEvent) {
        self.tx.events |= 1 << (e as u8);
        cx.event(AppProto::Tls, dir, Some(self.tx.tx_id), e.name());
    }

    fn complete(&mut self, cx: &mut ParseCx<'_>) {
        if !self.done {
            self.done = true;
            if self.tx.handshake_done {
                cx.stats.tls.handshakes_done += 1;
            }
            cx.tx(AppTx::Tls(&self.tx), TxStage::Complete);
        }
    }

    /// Suricata's end-of-parse check: the certificate that ends the handshake is known.
    fn check_done(&mut self) {
        let cert_done = if self.tx.client_cert_requested {
            self.tx.client_cert.is_some()
        } else {
            self.tx.server_cert.is_some()
        };
        if cert_done {
            self.tx.handshake_done = true;
        }
    }

    /// A record header; false when the stream cannot be parsed further.
    fn record_header(&mut self, dir: Direction, h: [u8; 5], cx: &mut ParseCx<'_>) -> bool {
        let i = dir.index();
        let (rtype, version) = (h[0], u16::from_be_bytes([h[1], h[2]]));
        let len = usize::from(u16::from_be_bytes([h[3], h[4]]));
        cx.stats.tls.records += 1;
        if !(ct::CHANGE_CIPHER_SPEC..=ct::HEARTBEAT).contains(&rtype) {
            self.event(cx, dir, TlsEvent::InvalidRecordType);
            return false;
        }
        if len == 0 || len > MAX_RECORD_LEN {
            self.event(cx, dir, TlsEvent::InvalidRecordLength);
            return false;
        }
        if !version_valid(version) {
            self.event(cx, dir, TlsEvent::InvalidRecordVersion);
            return false;
        }
        self.seen = true;
        if !self.done {
            self.tx.records[i] += 1;
        }
        // Until the hello of this side, the record version is the side's version.
        match dir {
            Direction::ToServer if self.tx.client_hello.is_none() => {
                self.tx.client_version = version
            }
            Direction::ToClient if self.tx.server_hello.is_none() => self.tx.version = version,
            _ => {}
        }
        let st = &mut self.dirs[i];
        st.rtype = rtype;
        st.remaining = len;
        match rtype {
            ct::CHANGE_CIPHER_SPEC => {
                st.ccs = true;
                st.hs.clear();
                st.hs_discard = 0;
                if !self.done {
                    self.tx.change_cipher_spec[i] = true;
                }
            }
            ct::APPLICATION_DATA => {
                cx.stats.tls.encrypted_records += 1;
                if !self.done {
                    self.tx.app_data_records[i] += 1;
                }
                // 0-RTT data before the ServerHello does not end the handshake.
                if !(self.early_data && self.tx.server_hello.is_none()) {
                    self.tx.handshake_done = true;
                }
            }
            ct::HANDSHAKE if st.ccs => cx.stats.tls.encrypted_records += 1,
            ct::HEARTBEAT => self.event(cx, dir, TlsEvent::HeartbeatMessage),
            _ => {}
        }
        true
    }

    /// Payload bytes of the current record.
    fn record_payload(&mut self, dir: Direction, chunk: &[u8], cx: &mut ParseCx<'_>) {
        let i = dir.index();
        let st = &mut self.dirs[i];
        if st.rtype == ct::APPLICATION_DATA || (st.rtype == ct::HANDSHAKE && st.ccs) {
            cx.stats.tls.encrypted_bytes += chunk.len() as u64;
            return;
        }
        if st.rtype != ct::HANDSHAKE {
            return;
        }
        let mut chunk = chunk;
        if st.hs_discard > 0 {
            let n = st.hs_discard.min(chunk.len());
            st.hs_discard -= n;
            chunk = chunk.get(n..).unwrap_or(&[]);
        }
        if chunk.is_empty() {
            return;
        }
        st.hs.extend_from_slice(chunk);
        let buf = std::mem::take(&mut self.dirs[i].hs);
        let mut pos = 0usize;
        while let Some(h) = buf.get(pos..pos + 4) {
            let mlen = (usize::from(h[1]) << 16) | (usize::from(h[2]) << 8) | usize::from(h[3]);
            if mlen + 4 > self.max_hs {
                cx.stats.tls.handshake_overflows += 1;
                self.event(cx, dir, TlsEvent::HandshakeInvalidLength);
                let have = buf.len() - pos;
                self.dirs[i].hs_discard = (mlen + 4).saturating_sub(have);
                pos = buf.len();
                break;
            }
            let Some(msg) = buf.get(pos..pos + 4 + mlen) else {
                break;
            };
            self.handshake_message(dir, msg, cx);
            pos += 4 + mlen;
        }
        let mut buf = buf;
        buf.drain(..pos.min(buf.len()));
        self.dirs[i].hs = buf;
    }

    /// One whole clear-text handshake message (header included).
    fn handshake_message(&mut self, dir: Direction, msg: &[u8], cx: &mut ParseCx<'_>) {
        cx.stats.tls.handshake_messages += 1;
        let parsed = match tls_parser::parse_tls_message_handshake(msg) {
            Ok((_, TlsMessage::Handshake(m))) => m,
            _ => {
                // Types tls-parser does not know, or bodies it rejects.
                let known = matches!(msg.first(), Some(0..=4 | 8 | 11..=16 | 20..=24));
                if known {
                    cx.stats.tls.malformed += 1;
                    let e = if msg.first() == Some(&11) {
                        TlsEvent::InvalidCertificate
                    } else {
                        TlsEvent::InvalidHandshakeMessage
                    };
                    self.event(cx, dir, e);
                }
                return;
            }
        };
        match (&parsed, dir) {
            (TlsMessageHandshake::ClientHello(ch), Direction::ToServer) => {
                if self.done {
                    return;
                }
                if let Some(first) = &self.tx.client_hello {
                    // A second ClientHello (HelloRetryRequest, or a duplicate): the first one
                    // stays; a second SNI is Suricata's MULTIPLE_SNI_EXTENSIONS.
                    let (again, _) = ClientHello::from_parsed(ch);
                    let two_sni = first.sni.is_some() && again.sni.is_some();
                    if self.ja4_acc.is_none() {
                        self.ja4_acc = Some(Box::new(first.clone()));
                    }
                    if two_sni {
                        self.event(cx, dir, TlsEvent::MultipleSniExtensions);
                    }
                    let Some(acc) = self.ja4_acc.as_mut() else {
                        return;
                    };
                    // Bounded: a flood of hellos cannot grow the lists without end.
                    if acc.ciphers.len() < MAX_JA4_ITEMS {
                        acc.ciphers.extend_from_slice(&again.ciphers);
                        acc.extensions.extend_from_slice(&again.extensions);
                        acc.signature_algorithms
                            .extend_from_slice(&again.signature_algorithms);
                        acc.supported_versions
                            .extend_from_slice(&again.supported_versions);
                        if acc.alpn.is_empty() {
                            acc.alpn = again.alpn;
                        }
                        self.tx.ja4 = Some(acc.ja4());
                    }
                    return;
                }
                cx.stats.tls.client_hellos += 1;
                let (h, issues) = ClientHello::from_parsed(ch);
                self.hello_issues(dir, issues, cx);
                self.tx.ts = cx.flow.ts;
                self.tx.client_version = h.legacy_version;
                if let Some(&v) = h.supported_versions.iter().find(|&&v| version_valid(v)) {
                    self.tx.client_version = v;
                }
                if h.has_extension(hello::ext::SESSION_TICKET) {
                    self.tx.session_resumed = true;
                }
                self.early_data = h.has_extension(hello::ext::EARLY_DATA);
                let ja3 = h.ja3_string();
                self.tx.ja3_hash = Some(md5_hex(&ja3));
                self.tx.ja3 = Some(ja3);
                self.tx.ja4 = Some(h.ja4());
                self.tx.client_hello = Some(h);
            }
            (TlsMessageHandshake::ServerHello(sh), Direction::ToClient) => {
                let (h, issues) = ServerHello::from_parsed(sh);
                self.server_hello(dir, h, issues, cx);
            }
            (TlsMessageHandshake::ServerHelloV13Draft18(sh), Direction::ToClient) => {
                let (h, issues) = ServerHello::from_draft18(sh);
                self.server_hello(dir, h, issues, cx);
            }
            (TlsMessageHandshake::Certificate(c), _) => {
                let server = dir == Direction::ToClient;
                let have = if server {
                    self.tx.server_cert.is_some()
                } else {
                    self.tx.client_cert.is_some()
                };
                if have || self.done {
                    return;
                }
                let chain: Vec<Vec<u8>> = c.cert_chain.iter().map(|x| x.data.to_vec()).collect();
                if server {
                    self.tx.server_chain_len = c.cert_chain.len();
                    self.tx.server_chain = chain;
                } else {
                    self.tx.client_chain = chain;
                }
                let Some(first) = c.cert_chain.first() else {
                    return;
                };
                match CertInfo::from_der(first.data) {
                    Ok(info) => {
                        cx.stats.tls.certificates += 1;
                        if server {
                            self.tx.server_cert = Some(info);
                        } else {
                            self.tx.client_cert = Some(info);
                        }
                    }
                    Err(_) => {
                        cx.stats.tls.cert_errors += 1;
                        self.event(cx, dir, TlsEvent::CertificateInvalidDer);
                    }
                }
            }
            (TlsMessageHandshake::CertificateRequest(_), Direction::ToClient) => {
                self.tx.client_cert_requested = true;
            }
            (TlsMessageHandshake::ClientHello(_), Direction::ToClient)
            | (TlsMessageHandshake::ServerHello(_), Direction::ToServer) => {
                cx.stats.tls.malformed += 1;
                self.event(cx, dir, TlsEvent::InvalidHandshakeMessage);
            }
            _ => {}
        }
    }

    /// The first ServerHello: version rules, resumption, JA3S.
    fn server_hello(
        &mut self,
        dir: Direction,
        h: ServerHello,
        issues: hello::HelloIssues,
        cx: &mut ParseCx<'_>,
    ) {
        if self.tx.server_hello.is_some() || self.done {
            return;
        }
        cx.stats.tls.server_hellos += 1;
        self.hello_issues(dir, issues, cx);
        let v = h.legacy_version;
        if v == 0x0304 || v >> 8 == 0x7f {
            self.tx.log_without_cert = true;
        }
        self.tx.version = if (0x7f01..0x7f10).contains(&v) || v == 0x0304 {
            0x7f01
        } else {
            v
        };
        if let Some(sv) = h.selected_version {
            let client_offered = self
                .tx
                .client_hello
                .as_ref()
                .is_some_and(|c| c.has_extension(hello::ext::SUPPORTED_VERSIONS));
            if client_offered && sv > 0x0303 {
                self.tx.log_without_cert = true;
            }
            self.tx.version = sv;
        }
        if let Some(c) = &self.tx.client_hello
            && !c.session_id.is_empty()
            && c.session_id == h.session_id
        {
            self.tx.session_resumed = true;
        }
        let s = h.ja3s_string();
        self.tx.ja3s_hash = Some(md5_hex(&s));
        self.tx.ja3s = Some(s);
        self.tx.server_hello = Some(h);
    }

    fn hello_issues(&mut self, dir: Direction, i: hello::HelloIssues, cx: &mut ParseCx<'_>) {
        let list = [
            (i.invalid_length, TlsEvent::HandshakeInvalidLength),
            (i.multiple_sni, TlsEvent::MultipleSniExtensions),
            (i.invalid_sni_type, TlsEvent::InvalidSniType),
            (i.invalid_sni_length, TlsEvent::InvalidSniLength),
        ];
        for (set, e) in list {
            if set {
                cx.stats.tls.malformed += 1;
                self.event(cx, dir, e);
            }
        }
    }

    fn parse_stream(&mut self, dir: Direction, data: &[u8], cx: &mut ParseCx<'_>) -> ParseResult {
        let i = dir.index();
        let mut pos = 0usize;
        if self.dirs[i].resync {
            // After a gap: skip bytes up to the start of a chunk that looks like a record.
            if plausible_header(data) {
                self.dirs[i].resync = false;
            } else {
                cx.stats.tls.resync_skipped += data.len() as u64;
                return ParseResult::Ok;
            }
        }
        while pos < data.len() {
            let rest = data.get(pos..).unwrap_or(&[]);
            if self.dirs[i].remaining == 0 {
                let st = &mut self.dirs[i];
                let take = (5 - st.hdr_len).min(rest.len());
                st.hdr[st.hdr_len..st.hdr_len + take].copy_from_slice(&rest[..take]);
                st.hdr_len += take;
                pos += take;
                if st.hdr_len < 5 {
                    break;
                }
                st.hdr_len = 0;
                let h = st.hdr;
                if !self.record_header(dir, h, cx) {
                    return ParseResult::Error;
                }
                continue;
            }
            let take = self.dirs[i].remaining.min(rest.len());
            let chunk = rest.get(..take).unwrap_or(&[]);
            self.record_payload(dir, chunk, cx);
            self.dirs[i].remaining -= take;
            pos += take;
        }
        if !self.done {
            self.check_done();
            if self.tx.handshake_done {
                self.complete(cx);
            }
        }
        ParseResult::Ok
    }
}

impl AppParser for TlsParser {
    fn info() -> ProtocolInfo {
        ProtocolInfo {
            proto: AppProto::Tls,
            tcp: true,
            udp: false,
        }
    }

    fn ports(cfg: &AppConfig, t: Transport) -> Vec<u16> {
        match t {
            Transport::Tcp => cfg.tls.ports.clone(),
            Transport::Udp => Vec::new(),
        }
    }

    fn any_port(_cfg: &AppConfig, t: Transport) -> bool {
        t == Transport::Tcp
    }

    /// Suricata's patterns: a handshake record (`16 03 0x`, x ≤ 3) from the client; a
    /// handshake, alert or application-data record (`15|16|17 03 0x`) from the server. An
    /// alert or application-data record from the client side reverses the flow.
    fn probe(t: Transport, dir: Direction, data: &[u8]) -> Probe {
        if t != Transport::Tcp {
            return Probe::No;
        }
        let typ = data.first().copied();
        let prefix_ok = |typ: u8| {
            matches!(typ, ct::ALERT | ct::HANDSHAKE | ct::APPLICATION_DATA)
                && data.get(1).is_none_or(|&b| b == 3)
                && data.get(2).is_none_or(|&b| b <= 3)
        };
        let Some(typ) = typ else {
            return Probe::NeedMore;
        };
        if !prefix_ok(typ) {
            return Probe::No;
        }
        if data.len() < 3 {
            return Probe::NeedMore;
        }
        match (dir, typ) {
            (Direction::ToServer, ct::HANDSHAKE) | (Direction::ToClient, _) => Probe::Yes,
            (Direction::ToServer, _) => Probe::Reverse,
        }
    }

    fn create(cfg: &AppConfig, _t: Transport) -> Self {
        TlsParser {
            tx: TlsTx::default(),
            dirs: [DirState::default(), DirState::default()],
            max_hs: cfg.tls.max_handshake_len,
            early_data: false,
            done: false,
            seen: false,
            ja4_acc: None,
        }
    }

    fn proto(&self) -> AppProto {
        AppProto::Tls
    }

    fn parse(&mut self, dir: Direction, data: &[u8], cx: &mut ParseCx<'_>) -> ParseResult {
        self.parse_stream(dir, data, cx)
    }

    fn gap(&mut self, dir: Direction, len: u64, cx: &mut ParseCx<'_>) {
        if len == 0 {
            return;
        }
        cx.stats.tls.gaps += 1;
        let st = &mut self.dirs[dir.index()];
        // Where the next record starts is unknown unless the gap ends inside the current
        // record's payload (then the rest of it is skipped and parsing goes on).
        if st.remaining as u64 > len && st.rtype != ct::HANDSHAKE {
            st.remaining -= len as usize;
            return;
        }
        st.remaining = 0;
        st.hdr_len = 0;
        st.hs.clear();
        st.hs_discard = 0;
        st.resync = true;
    }

    fn close(&mut self, _dir: Direction, _tail: &[u8], _cx: &mut ParseCx<'_>) {}

    fn finish(&mut self, cx: &mut ParseCx<'_>) {
        if self.seen {
            self.check_done();
            self.complete(cx);
        }
    }

    fn memory(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.dirs.iter().map(|d| d.hs.capacity()).sum::<usize>()
            + self
                .tx
                .server_chain
                .iter()
                .chain(self.tx.client_chain.iter())
                .map(Vec::capacity)
                .sum::<usize>()
            + self.ja4_acc.as_ref().map_or(0, |a| {
                2 * (a.ciphers.capacity()
                    + a.extensions.capacity()
                    + a.signature_algorithms.capacity()
                    + a.supported_versions.capacity())
            })
    }
}

#[cfg(test)]
mod replay_tests;
#[cfg(test)]
mod tests;
