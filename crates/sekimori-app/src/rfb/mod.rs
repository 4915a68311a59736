//! RFB (the VNC remote framebuffer protocol, RFC 6143) over TCP, as Suricata 7 parses it: the
//! handshake only — protocol versions, security type, VNC authentication challenge/response,
//! security result, ClientInit and ServerInit — as one transaction per connection, completed
//! when the ServerInit was read (or when the flow ends). Later framebuffer traffic is counted,
//! not parsed.
//!
//! Hand-rolled: the handshake is a handful of fixed-layout messages and no maintained crate
//! parses RFB. Both directions are buffered here (bounded by [`MAX_HANDSHAKE`]) because the
//! layout of the server's messages depends on what the client chose, and the reassembled
//! directions need not arrive in causal order.

use crate::config::AppConfig;
use crate::parser::{AppParser, ParseCx, ParseResult, Probe, ProtocolInfo};
use crate::sink::AppTx;
use crate::types::{AppProto, Direction, Transport, TxStage};

/// Bytes of one direction kept while the handshake is incomplete; beyond it parsing stops.
pub const MAX_HANDSHAKE: usize = 64 * 1024;

/// Suricata's default RFB detection ports.
pub const PORTS: [u16; 10] = [5900, 5901, 5902, 5903, 5904, 5905, 5906, 5907, 5908, 5909];

/// A protocol version from a `RFB xxx.yyy\n` banner (the digits as sent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RfbVersion {
    /// Major version digits (`003`).
    pub major: [u8; 3],
    /// Minor version digits (`008`).
    pub minor: [u8; 3],
}

impl RfbVersion {
    /// Parses a 12-byte banner `RFB xxx.yyy\n`.
    pub fn parse(b: &[u8]) -> Option<RfbVersion> {
        let b = b.get(..12)?;
        if b.get(..4)? != b"RFB " || b[7] != b'.' || b[11] != b'\n' {
            return None;
        }
        let major: [u8; 3] = b.get(4..7)?.try_into().ok()?;
        let minor: [u8; 3] = b.get(8..11)?.try_into().ok()?;
        if !major.iter().chain(minor.iter()).all(u8::is_ascii_digit) {
            return None;
        }
        Some(RfbVersion { major, minor })
    }

    /// The minor version as a number (3, 7, 8; 889 for Apple's variant).
    pub fn minor_num(&self) -> u32 {
        self.minor
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d.wrapping_sub(b'0')))
    }
}

/// The ServerInit pixel format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PixelFormat {
    /// Bits per pixel.
    pub bits_per_pixel: u8,
    /// Colour depth.
    pub depth: u8,
    /// Big-endian flag.
    pub big_endian: bool,
    /// True-colour flag.
    pub true_color: bool,
    /// Red maximum.
    pub red_max: u16,
    /// Green maximum.
    pub green_max: u16,
    /// Blue maximum.
    pub blue_max: u16,
    /// Red shift.
    pub red_shift: u8,
    /// Green shift.
    pub green_shift: u8,
    /// Blue shift.
    pub blue_shift: u8,
}

/// The ServerInit message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerInit {
    /// Framebuffer width.
    pub width: u16,
    /// Framebuffer height.
    pub height: u16,
    /// Pixel format.
    pub pixel_format: PixelFormat,
    /// Desktop name (raw bytes).
    pub name: Vec<u8>,
}

/// The RFB handshake of one connection.
#[derive(Clone, Debug, Default)]
pub struct RfbTx {
    /// Transaction id (always 0).
    pub tx_id: u64,
    /// The server's version banner.
    pub server_version: Option<RfbVersion>,
    /// The client's version banner.
    pub client_version: Option<RfbVersion>,
    /// Security types offered by the server (3.7+), or the one it imposed (3.3).
    pub offered_types: Vec<u32>,
    /// The security type in use (chosen by the client, or imposed by a 3.3 server).
    pub security_type: Option<u32>,
    /// VNC authentication challenge (16 bytes).
    pub vnc_challenge: Option<[u8; 16]>,
    /// VNC authentication response (16 bytes).
    pub vnc_response: Option<[u8; 16]>,
    /// SecurityResult word (0 OK, 1 failed, 2 too many attempts in some servers).
    pub security_result: Option<u32>,
    /// ClientInit shared-flag.
    pub shared: Option<bool>,
    /// ServerInit.
    pub server_init: Option<ServerInit>,
}

impl RfbTx {
    /// Suricata's rendering of the security result (`OK`, `FAIL`, `TOOMANY`, else `UNKNOWN`).
    pub fn security_result_str(&self) -> Option<String> {
        self.security_result.map(|r| match r {
            0 => "OK".to_string(),
            1 => "FAIL".to_string(),
            2 => "TOOMANY".to_string(),
            _ => "UNKNOWN".to_string(),
        })
    }
}

/// Where the server side of the handshake stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ServerStep {
    Version,
    SecurityTypes,
    Challenge,
    Result,
    FailReason,
    Init,
    Done,
}

/// Where the client side stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientStep {
    Version,
    SecurityChoice,
    Response,
    Init,
    Done,
}

/// The RFB parser of one flow.
pub struct RfbParser {
    tx: RfbTx,
    buf: [Vec<u8>; 2],
    server: ServerStep,
    client: ClientStep,
    done: bool,
    seen: bool,
    failed: bool,
}

fn be16(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]))
}

fn be32(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

impl RfbParser {
    /// The handshake so far.
    pub fn tx(&self) -> &RfbTx {
        &self.tx
    }

    fn minor(&self) -> u32 {
        let s = self.tx.server_version.map(|v| v.minor_num()).unwrap_or(8);
        let c = self.tx.client_version.map(|v| v.minor_num()).unwrap_or(s);
        // 889 (Apple) behaves as 3.8.
        let m = s.min(c);
        if m > 8 { 8 } else { m }
    }

    /// Runs both state machines as far as the buffered bytes allow.
    fn advance(&mut self) {
        while !self.failed {
            let a = self.step_server();
            let b = self.step_client();
            if !a && !b {
                break;
            }
        }
    }

    /// Consumes `n` bytes of direction `i`.
    fn eat(&mut self, i: usize, n: usize) {
        let b = &mut self.buf[i];
        b.drain(..n.min(b.len()));
    }

    /// One server-side step; false when nothing could be done.
    fn step_server(&mut self) -> bool {
        let i = Direction::ToClient.index();
        let b = &self.buf[i];
        match self.server {
            ServerStep::Version => {
                if b.len() < 12 {
                    return false;
                }
                match RfbVersion::parse(b) {
                    Some(v) => {
                        self.tx.server_version = Some(v);
                        self.server = ServerStep::SecurityTypes;
                        self.eat(i, 12);
                    }
                    None => self.failed = true,
                }
                true
            }
            ServerStep::SecurityTypes => {
                // The 3.3 form waits for the client's version to know the minor in use.
                if self.tx.client_version.is_none() && self.client == ClientStep::Version {
                    return false;
                }
                if self.minor() < 7 {
                    let Some(t) = be32(b, 0) else { return false };
                    self.tx.offered_types = vec![t];
                    self.tx.security_type = Some(t);
                    self.eat(i, 4);
                    self.server = self.after_type(t);
                } else {
                    let Some(&n) = b.first() else { return false };
                    let n = usize::from(n);
                    let Some(list) = b.get(1..1 + n) else {
                        return false;
                    };
                    self.tx.offered_types = list.iter().map(|&t| u32::from(t)).collect();
                    self.eat(i, 1 + n);
                    if n == 0 {
                        // Connection failed: a reason string follows.
                        self.server = ServerStep::FailReason;
                    } else {
                        self.server = ServerStep::Challenge;
                    }
                }
                true
            }
            ServerStep::Challenge => {
                // 3.7+: what follows depends on the client's choice (or the only type offered).
                let t = match self.tx.security_type {
                    Some(t) => t,
                    None => match self.tx.offered_types.as_slice() {
                        [only] => *only,
                        _ => return false,
                    },
                };
                if t != 2 {
                    self.server = self.after_type(t);
                    return true;
                }
                let Some(c) = b.get(..16) else { return false };
                let mut ch = [0u8; 16];
                ch.copy_from_slice(c);
                self.tx.vnc_challenge = Some(ch);
                self.eat(i, 16);
                self.server = ServerStep::Result;
                true
            }
            ServerStep::Result => {
                let Some(r) = be32(b, 0) else { return false };
                self.tx.security_result = Some(r);
                self.eat(i, 4);
                self.server = if r == 0 {
                    ServerStep::Init
                } else if self.minor() >= 8 {
                    ServerStep::FailReason
                } else {
                    ServerStep::Done
                };
                true
            }
            ServerStep::FailReason => {
                let Some(len) = be32(b, 0) else { return false };
                let len = len as usize;
                if len > MAX_HANDSHAKE {
                    self.failed = true;
                    return true;
                }
                if b.len() < 4 + len {
                    return false;
                }
                self.eat(i, 4 + len);
                self.server = ServerStep::Done;
                true
            }
            ServerStep::Init => {
                let (Some(w), Some(h), Some(nlen)) = (be16(b, 0), be16(b, 2), be32(b, 20)) else {
                    return false;
                };
                let nlen = nlen as usize;
                if nlen > MAX_HANDSHAKE {
                    self.failed = true;
                    return true;
                }
                let Some(name) = b.get(24..24 + nlen) else {
                    return false;
                };
                let pf = |k: usize| b.get(4 + k).copied().unwrap_or(0);
                let pixel_format = PixelFormat {
                    bits_per_pixel: pf(0),
                    depth: pf(1),
                    big_endian: pf(2) != 0,
                    true_color: pf(3) != 0,
                    red_max: be16(b, 8).unwrap_or(0),
                    green_max: be16(b, 10).unwrap_or(0),
                    blue_max: be16(b, 12).unwrap_or(0),
                    red_shift: pf(10),
                    green_shift: pf(11),
                    blue_shift: pf(12),
                };
                self.tx.server_init = Some(ServerInit {
                    width: w,
                    height: h,
                    pixel_format,
                    name: name.to_vec(),
                });
                self.eat(i, 24 + nlen);
                self.server = ServerStep::Done;
                true
            }
            ServerStep::Done => false,
        }
    }

    /// The server step after security type `t` is settled.
    fn after_type(&self, t: u32) -> ServerStep {
        match t {
            0 => ServerStep::FailReason,
            2 => ServerStep::Challenge,
            // Type None: 3.8 still sends a SecurityResult; older versions go straight to init.
            1 if self.minor() >= 8 => ServerStep::Result,
            1 => ServerStep::Init,
            // Other types (TLS, VeNCrypt, ...) continue encrypted or in unknown form.
            _ => ServerStep::Done,
        }
    }

    /// One client-side step.
    fn step_client(&mut self) -> bool {
        let i = Direction::ToServer.index();
        let b = &self.buf[i];
        match self.client {
            ClientStep::Version => {
                if b.len() < 12 {
                    return false;
                }
                match RfbVersion::parse(b) {
                    Some(v) => {
                        self.tx.client_version = Some(v);
                        self.eat(i, 12);
                        self.client = ClientStep::SecurityChoice;
                    }
                    None => self.failed = true,
                }
                true
            }
            ClientStep::SecurityChoice => {
                if self.minor() < 7 {
                    // 3.3: the server imposes the type; wait for it.
                    match self.tx.security_type {
                        Some(2) => self.client = ClientStep::Response,
                        Some(1) => self.client = ClientStep::Init,
                        Some(_) => self.client = ClientStep::Done,
                        None if self.server == ServerStep::Done => self.client = ClientStep::Done,
                        None => return false,
                    }
                    return true;
                }
                let Some(&t) = b.first() else { return false };
                self.tx.security_type = Some(u32::from(t));
                self.eat(i, 1);
                self.client = match t {
                    2 => ClientStep::Response,
                    1 => ClientStep::Init,
                    _ => ClientStep::Done,
                };
                true
            }
            ClientStep::Response => {
                let Some(r) = b.get(..16) else { return false };
                let mut resp = [0u8; 16];
                resp.copy_from_slice(r);
                self.tx.vnc_response = Some(resp);
                self.eat(i, 16);
                self.client = ClientStep::Init;
                true
            }
            ClientStep::Init => {
                let Some(&s) = b.first() else { return false };
                self.tx.shared = Some(s != 0);
                self.eat(i, 1);
                self.client = ClientStep::Done;
                true
            }
            ClientStep::Done => false,
        }
    }

    fn complete(&mut self, cx: &mut ParseCx<'_>) {
        if !self.done {
            self.done = true;
            self.buf = [Vec::new(), Vec::new()];
            cx.tx(AppTx::Rfb(&self.tx), TxStage::Complete);
        }
    }
}

impl AppParser for RfbParser {
    fn info() -> ProtocolInfo {
        ProtocolInfo {
            proto: AppProto::Rfb,
            tcp: true,
            udp: false,
        }
    }

    fn ports(_cfg: &AppConfig, t: Transport) -> Vec<u16> {
        match t {
            Transport::Tcp => PORTS.to_vec(),
            Transport::Udp => Vec::new(),
        }
    }

    fn any_port(_cfg: &AppConfig, _t: Transport) -> bool {
        false
    }

    /// A version banner `RFB xxx.yyy\n`: the server speaks first; a banner arriving first from
    /// the client side is the client's answer (the server's was missed), still RFB.
    fn probe(t: Transport, _dir: Direction, data: &[u8]) -> Probe {
        if t != Transport::Tcp {
            return Probe::No;
        }
        let n = data.len().min(4);
        if data.get(..n) != b"RFB ".get(..n) {
            return Probe::No;
        }
        if data.len() < 12 {
            return Probe::NeedMore;
        }
        if RfbVersion::parse(data).is_some() {
            Probe::Yes
        } else {
            Probe::No
        }
    }

    fn create(_cfg: &AppConfig, _t: Transport) -> Self {
        RfbParser {
            tx: RfbTx::default(),
            buf: [Vec::new(), Vec::new()],
            server: ServerStep::Version,
            client: ClientStep::Version,
            done: false,
            seen: false,
            failed: false,
        }
    }

    fn proto(&self) -> AppProto {
        AppProto::Rfb
    }

    fn parse(&mut self, dir: Direction, data: &[u8], cx: &mut ParseCx<'_>) -> ParseResult {
        self.seen = true;
        if self.done || self.failed {
            return ParseResult::Ok;
        }
        let i = dir.index();
        let room = MAX_HANDSHAKE.saturating_sub(self.buf[i].len());
        if data.len() > room {
            // A handshake this long is not RFB as expected: stop parsing, log what we have.
            self.failed = true;
            self.complete(cx);
            return ParseResult::Ok;
        }
        self.buf[i].extend_from_slice(data);
        self.advance();
        // Complete once both sides finished their part (the ServerInit follows the ClientInit
        // on the wire, but the two directions may be handed over in either order).
        let both = self.server == ServerStep::Done && self.client == ClientStep::Done;
        if both || self.failed {
            self.complete(cx);
        }
        ParseResult::Ok
    }

    fn gap(&mut self, _dir: Direction, len: u64, cx: &mut ParseCx<'_>) {
        if len > 0 && !self.done {
            // The handshake cannot be followed across missing bytes.
            self.failed = true;
            self.complete(cx);
        }
    }

    fn close(&mut self, _dir: Direction, _tail: &[u8], _cx: &mut ParseCx<'_>) {}

    fn finish(&mut self, cx: &mut ParseCx<'_>) {
        if self.seen {
            self.complete(cx);
        }
    }

    fn memory(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.buf.iter().map(Vec::capacity).sum::<usize>()
            + self
                .tx
                .server_init
                .as_ref()
                .map_or(0, |s| s.name.capacity())
    }
}

#[cfg(test)]
mod tests;
