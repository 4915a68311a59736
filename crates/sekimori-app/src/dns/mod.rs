//! DNS over UDP (one message per datagram) and TCP (2-byte length prefix), as Suricata 7 parses
//! it: every message is its own transaction (queries and responses alike, so a response's
//! `tx_id` is not its query's), questions only for requests, answers and authorities for
//! responses, app-layer events `malformed_data`, `not_request`… with Suricata's names.
//! In addition, responses are paired with outstanding queries by id within the flow
//! ([`DnsTx::request_tx_id`], [`DnsTx::rtt_ns`]).

pub mod message;

use std::collections::VecDeque;

pub use message::{
    Bytes, DnsError, DnsHeader, DnsMessage, DnsQuery, DnsRecord, Name, NameFlags, RData, Soa,
    rcode_name, rrtype, rrtype_name,
};
use sekimori_capture::Timestamp;

use crate::config::AppConfig;
use crate::parser::{AppParser, ParseCx, ParseResult, Probe, ProtocolInfo};
use crate::sink::AppTx;
use crate::types::{AppProto, Direction, Transport, TxStage};

/// A DNS app-layer event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DnsEvent {
    /// The message could not be parsed.
    MalformedData = 0,
    /// A response (QR set) sent to the server.
    NotRequest = 1,
    /// A query (QR clear) sent to the client.
    NotResponse = 2,
    /// The reserved Z bit is set.
    ZFlagSet = 3,
    /// Opcode 7 or above.
    InvalidOpcode = 4,
    /// A name was cut at 1025 bytes or at the label limit.
    NameTooLong = 5,
    /// A compression pointer pointed at itself.
    InfiniteLoop = 6,
    /// A name had more than 255 labels/pointers.
    TooManyLabels = 7,
}

impl DnsEvent {
    /// Every event.
    pub const ALL: [DnsEvent; 8] = [
        DnsEvent::MalformedData,
        DnsEvent::NotRequest,
        DnsEvent::NotResponse,
        DnsEvent::ZFlagSet,
        DnsEvent::InvalidOpcode,
        DnsEvent::NameTooLong,
        DnsEvent::InfiniteLoop,
        DnsEvent::TooManyLabels,
    ];

    /// Suricata's name (`app-layer-event:dns.<name>`).
    pub const fn name(self) -> &'static str {
        match self {
            DnsEvent::MalformedData => "malformed_data",
            DnsEvent::NotRequest => "not_request",
            DnsEvent::NotResponse => "not_response",
            DnsEvent::ZFlagSet => "z_flag_set",
            DnsEvent::InvalidOpcode => "invalid_opcode",
            DnsEvent::NameTooLong => "name_too_long",
            DnsEvent::InfiniteLoop => "infinite_loop",
            DnsEvent::TooManyLabels => "too_many_labels",
        }
    }
}

/// One DNS message as a transaction.
#[derive(Clone, Debug, Default)]
pub struct DnsTx {
    /// Transaction id within the flow (EVE `tx_id`), counting every message from 0.
    pub tx_id: u64,
    /// `ToServer` for queries, `ToClient` for responses.
    pub dir: Option<Direction>,
    /// The parsed message.
    pub message: DnsMessage,
    /// For a response: the transaction of the query it answers (same id, same flow).
    pub request_tx_id: Option<u64>,
    /// For a paired response: nanoseconds since its query.
    pub rtt_ns: Option<u64>,
    /// Capture time of the message.
    pub ts: Timestamp,
    /// Over UDP: the whole datagram that carried the message — the packet payload
    /// (`pkt_data`) Suricata inspects together with the transaction's buffers, since the
    /// transaction is created by that very packet. Empty over TCP. Reused between messages.
    pub raw: Vec<u8>,
    events: u8,
}

impl DnsTx {
    /// A query (parsed from the client's direction).
    pub fn is_request(&self) -> bool {
        self.dir == Some(Direction::ToServer)
    }
    /// A response.
    pub fn is_response(&self) -> bool {
        self.dir == Some(Direction::ToClient)
    }
    /// Events raised on this message.
    pub fn events(&self) -> impl Iterator<Item = DnsEvent> + '_ {
        DnsEvent::ALL
            .iter()
            .copied()
            .filter(move |e| self.events & (1 << (*e as u8)) != 0)
    }
    /// Whether `e` was raised.
    pub fn has_event(&self, e: DnsEvent) -> bool {
        self.events & (1 << (e as u8)) != 0
    }
}

/// Suricata's DNS probe over one message of `dlen` bytes whose first bytes are `input`:
/// (looks like DNS, needs more bytes).
fn probe_message(input: &[u8], dlen: usize) -> (bool, bool) {
    let input = input.get(..dlen.min(input.len())).unwrap_or(input);
    let Some(h) = message::parse_header(input) else {
        return (false, true);
    };
    if input.len() < dlen {
        return (h.plausible(dlen), false);
    }
    let mut m = DnsMessage::default();
    match m.parse(input, false) {
        Ok(()) | Err(DnsError::Truncated) => (h.plausible(dlen), false),
        Err(_) => (false, false),
    }
}

fn probe_tcp(input: &[u8]) -> (bool, bool) {
    match (input.first(), input.get(1)) {
        (Some(&a), Some(&b)) => probe_message(
            input.get(2..).unwrap_or(&[]),
            usize::from(u16::from_be_bytes([a, b])),
        ),
        _ => (false, true),
    }
}

/// The DNS parser of one flow.
pub struct DnsParser {
    transport: Transport,
    next_tx: u64,
    last_tx: Option<u64>,
    outstanding: VecDeque<(u16, u64, Timestamp)>,
    max_outstanding: usize,
    gap: [bool; 2],
    tx: DnsTx,
}

impl DnsParser {
    /// Outstanding (unanswered) queries.
    pub fn outstanding(&self) -> usize {
        self.outstanding.len()
    }

    fn event(&mut self, cx: &mut ParseCx<'_>, dir: Direction, tx_id: Option<u64>, e: DnsEvent) {
        cx.event(AppProto::Dns, dir, tx_id, e.name());
    }

    /// Parses one whole message. Returns false when it was rejected (TCP then stops, as in
    /// Suricata).
    fn message(&mut self, dir: Direction, m: &[u8], cx: &mut ParseCx<'_>) -> bool {
        let tcp = self.transport == Transport::Tcp;
        let Some(h) = message::parse_header(m).filter(|h| h.plausible(m.len())) else {
            cx.stats.dns.malformed += 1;
            return !tcp;
        };
        let full = dir == Direction::ToClient;
        if let Err(e) = self.tx.message.parse(m, full) {
            cx.stats.dns.malformed += 1;
            if self.tx.message.name_flags.infinite_loop || e == DnsError::Loop {
                cx.stats.dns.pointer_loops += 1;
            }
            let last = self.last_tx;
            self.event(cx, dir, last, DnsEvent::MalformedData);
            return false;
        }
        if dir == Direction::ToServer && h.qr() {
            cx.stats.dns.malformed += 1;
            let last = self.last_tx;
            self.event(cx, dir, last, DnsEvent::NotRequest);
            return false;
        }
        let id = self.next_tx;
        self.next_tx += 1;
        self.last_tx = Some(id);
        let mut evs: u8 = 0;
        if dir == Direction::ToClient && !h.qr() {
            evs |= 1 << DnsEvent::NotResponse as u8;
        }
        if h.z() {
            evs |= 1 << DnsEvent::ZFlagSet as u8;
        }
        if h.opcode() >= 7 {
            evs |= 1 << DnsEvent::InvalidOpcode as u8;
        }
        let nf = self.tx.message.name_flags;
        if nf.truncated {
            cx.stats.dns.names_truncated += 1;
            evs |= 1 << DnsEvent::NameTooLong as u8;
        }
        if nf.infinite_loop {
            cx.stats.dns.pointer_loops += 1;
            evs |= 1 << DnsEvent::InfiniteLoop as u8;
        }
        if nf.label_limit {
            cx.stats.dns.label_limits += 1;
            evs |= 1 << DnsEvent::TooManyLabels as u8;
        }
        let ts = cx.flow.ts;
        self.tx.raw.clear();
        if !tcp {
            self.tx.raw.extend_from_slice(m);
        }
        self.tx.tx_id = id;
        self.tx.dir = Some(dir);
        self.tx.ts = ts;
        self.tx.request_tx_id = None;
        self.tx.rtt_ns = None;
        self.tx.events = evs;
        match dir {
            Direction::ToServer => {
                cx.stats.dns.requests += 1;
                if self.outstanding.len() >= self.max_outstanding {
                    self.outstanding.pop_front();
                    cx.stats.dns.unanswered += 1;
                }
                self.outstanding.push_back((h.id, id, ts));
            }
            Direction::ToClient => {
                cx.stats.dns.responses += 1;
                match self.outstanding.iter().position(|(qid, _, _)| *qid == h.id) {
                    Some(i) => {
                        if let Some((_, qtx, qts)) = self.outstanding.remove(i) {
                            self.tx.request_tx_id = Some(qtx);
                            self.tx.rtt_ns = Some(ts.nanos_since(qts));
                        }
                        cx.stats.dns.paired += 1;
                    }
                    None => cx.stats.dns.unsolicited += 1,
                }
            }
        }
        for e in DnsEvent::ALL {
            if evs & (1 << e as u8) != 0 {
                self.event(cx, dir, Some(id), e);
            }
        }
        cx.tx(AppTx::Dns(&self.tx), TxStage::Complete);
        true
    }

    fn parse_tcp(&mut self, dir: Direction, data: &[u8], cx: &mut ParseCx<'_>) -> ParseResult {
        let i = dir.index();
        if self.gap[i] {
            let (is_dns, more) = probe_tcp(data);
            if is_dns || more {
                self.gap[i] = false;
            } else {
                // Still not at a message boundary: drop this chunk.
                cx.stats.dropped_bytes += data.len() as u64;
                return ParseResult::Ok;
            }
        }
        let mut pos = 0;
        while pos < data.len() {
            let rest = data.get(pos..).unwrap_or(&[]);
            let (Some(&a), Some(&b)) = (rest.first(), rest.get(1)) else {
                return ParseResult::Incomplete {
                    consumed: pos,
                    needed: 1,
                };
            };
            let size = usize::from(u16::from_be_bytes([a, b]));
            if size == 0 {
                cx.stats.dns.empty_frames += 1;
                pos += 2;
                continue;
            }
            if rest.len() < size + 2 {
                return ParseResult::Incomplete {
                    consumed: pos,
                    needed: size + 2 - rest.len(),
                };
            }
            let msg = rest.get(2..size + 2).unwrap_or(&[]);
            if !self.message(dir, msg, cx) {
                return ParseResult::Error;
            }
            pos += size + 2;
        }
        ParseResult::Ok
    }
}

impl AppParser for DnsParser {
    fn info() -> ProtocolInfo {
        ProtocolInfo {
            proto: AppProto::Dns,
            tcp: true,
            udp: true,
        }
    }

    fn ports(cfg: &AppConfig, t: Transport) -> Vec<u16> {
        match t {
            Transport::Tcp => cfg.dns.tcp_ports.clone(),
            Transport::Udp => cfg.dns.udp_ports.clone(),
        }
    }

    fn any_port(cfg: &AppConfig, _t: Transport) -> bool {
        cfg.dns.any_port
    }

    fn probe(t: Transport, dir: Direction, data: &[u8]) -> Probe {
        let (yes, more) = match t {
            Transport::Udp => probe_message(data, data.len()),
            Transport::Tcp => probe_tcp(data),
        };
        if yes {
            // A response seen first from the client side (or a query from the server side):
            // Suricata reverses the flow.
            let hdr = match t {
                Transport::Udp => data,
                Transport::Tcp => data.get(2..).unwrap_or(&[]),
            };
            let is_response = hdr.get(2).is_some_and(|f| f & 0x80 != 0);
            if is_response == (dir == Direction::ToServer) {
                Probe::Reverse
            } else {
                Probe::Yes
            }
        } else if more && t == Transport::Tcp {
            Probe::NeedMore
        } else {
            Probe::No
        }
    }

    fn create(cfg: &AppConfig, t: Transport) -> Self {
        DnsParser {
            transport: t,
            next_tx: 0,
            last_tx: None,
            outstanding: VecDeque::new(),
            max_outstanding: cfg.dns.max_pending_queries,
            gap: [false; 2],
            tx: DnsTx::default(),
        }
    }

    fn proto(&self) -> AppProto {
        AppProto::Dns
    }

    fn parse(&mut self, dir: Direction, data: &[u8], cx: &mut ParseCx<'_>) -> ParseResult {
        match self.transport {
            Transport::Udp => {
                let _ = self.message(dir, data, cx);
                ParseResult::Ok
            }
            Transport::Tcp => self.parse_tcp(dir, data, cx),
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _cx: &mut ParseCx<'_>) {
        if len > 0 {
            self.gap[dir.index()] = true;
        }
    }

    fn close(&mut self, _dir: Direction, tail: &[u8], cx: &mut ParseCx<'_>) {
        // A message cut by the end of the stream.
        if !tail.is_empty() {
            cx.stats.dns.malformed += 1;
        }
    }

    fn finish(&mut self, cx: &mut ParseCx<'_>) {
        cx.stats.dns.unanswered += self.outstanding.len() as u64;
        self.outstanding.clear();
    }

    fn memory(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.tx.message.memory()
            + self.tx.raw.capacity()
            + self.outstanding.capacity() * 24
    }
}

#[cfg(test)]
pub(crate) mod tests;
