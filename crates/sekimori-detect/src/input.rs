//! What the caller gives the matcher: packet/flow facts ([`PacketInfo`]), the buffers to inspect
//! ([`Buffers`]) and the per-flow state it keeps between calls ([`FlowState`]).

use crate::engine::{Alert, RuleId};
use sekimori_capture::Timestamp;
use sekimori_decode::{Addr, Anomalies, Decoded, Ip, L4};
use sekimori_flow::Direction;
use sekimori_rules::options::FlowintOp;
use sekimori_rules::{AppProto, Buffer};

/// TCP header facts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpFacts {
    /// Flags byte.
    pub flags: u8,
    /// Window (raw).
    pub window: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
}

/// ICMP header facts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IcmpFacts {
    /// Type.
    pub itype: u8,
    /// Code.
    pub icode: u8,
    /// Identifier (echo).
    pub id: u16,
    /// Sequence (echo).
    pub seq: u16,
}

/// Flow facts of the packet (None for flowless packets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowFacts {
    /// Direction of this packet in its flow.
    pub direction: Direction,
    /// Established (TCP: three-way handshake completed; UDP: replies seen both ways).
    pub established: bool,
}

/// Packet and flow facts the non-buffer keywords test.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PacketInfo {
    /// Packet time (drives thresholds).
    pub ts: Timestamp,
    /// IP version: 4, 6, or 0 when there is no IP header.
    pub ip_version: u8,
    /// Source address.
    pub src: Addr,
    /// Destination address.
    pub dst: Addr,
    /// Source port (TCP/UDP/SCTP), else 0.
    pub sport: u16,
    /// Destination port, else 0.
    pub dport: u16,
    /// IP protocol number of the transport.
    pub ip_proto: u8,
    /// TTL / hop limit.
    pub ttl: u8,
    /// TOS / traffic class.
    pub tos: u8,
    /// IPv4 identification.
    pub ip_id: u16,
    /// IP fragment (not reassembled).
    pub fragment: bool,
    /// TCP header, when TCP.
    pub tcp: Option<TcpFacts>,
    /// ICMP header, when ICMPv4/v6.
    pub icmp: Option<IcmpFacts>,
    /// Flow facts, when the packet belongs to a flow.
    pub flow: Option<FlowFacts>,
    /// Detected application protocol of the flow.
    pub app_proto: Option<AppProto>,
    /// Decoder anomalies of the packet (`decode-event`).
    pub anomalies: Anomalies,
    /// TCP session bytes per side after this packet, as `stream_size` measures them
    /// (next sequence number minus initial one): (client, server). None without a session.
    pub stream_size: Option<(u32, u32)>,
}

impl PacketInfo {
    /// Facts of a decoded packet (flow facts and app protocol left empty: set them after).
    pub fn from_decoded(d: &Decoded<'_>, ts: Timestamp) -> Self {
        let mut p = PacketInfo {
            ts,
            src: d.src,
            dst: d.dst,
            ..PacketInfo::default()
        };
        match d.ip {
            Some(Ip::V4(h)) => {
                p.ip_version = 4;
                p.ip_proto = h.proto;
                p.ttl = h.ttl;
                p.tos = h.tos;
                p.ip_id = h.id;
            }
            Some(Ip::V6(h)) => {
                p.ip_version = 6;
                p.ip_proto = h.proto;
                p.ttl = h.hop_limit;
                p.tos = h.traffic_class;
            }
            None => {}
        }
        p.fragment = d.is_fragment();
        p.anomalies = d.anomalies;
        (p.sport, p.dport) = d.ports();
        match d.l4 {
            L4::Tcp(t) => {
                p.tcp = Some(TcpFacts {
                    flags: t.flags,
                    window: t.window,
                    seq: t.seq,
                    ack: t.ack,
                })
            }
            L4::Icmpv4(i) | L4::Icmpv6(i) => {
                p.icmp = Some(IcmpFacts {
                    itype: i.icmp_type,
                    icode: i.code,
                    id: i.id,
                    seq: i.seq,
                })
            }
            _ => {}
        }
        p
    }
}

/// Which kind of inspection a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Per packet: packet-payload rules, header-only rules and IP-only rules.
    #[default]
    Packet,
    /// Per app-layer transaction update: rules using app-layer buffers or an app protocol.
    Transaction,
}

/// The buffers of one inspection. Borrowed; fill a fresh one (or [`Buffers::clear`]) per call.
#[derive(Debug, Clone, Default)]
pub struct Buffers<'a> {
    /// Scope of this call.
    pub scope: Scope,
    /// The packet payload (`pkt_data`; also what `dsize` measures).
    pub packet: Option<&'a [u8]>,
    /// A reassembled stream chunk for the same direction (inspected by payload lists too).
    pub stream: Option<&'a [u8]>,
    /// Stream offset of [`Buffers::stream`]'s first byte: absolute `offset`/`depth` count from
    /// the start of the stream.
    pub stream_offset: u64,
    /// TLS: the protocol version of this side of the handshake (`tls.version`), if known.
    pub tls_version: Option<u16>,
    /// DNS: the message's opcode (`dns.opcode`).
    pub dns_opcode: Option<u8>,
    /// A finished file, for the file keywords (`filename`, `fileext`, `filemagic`,
    /// `filesize`, `filemd5`/`filesha1`/`filesha256`); they never match without one.
    pub file: Option<FileFacts<'a>>,
    /// App-layer events raised on the transaction, by Suricata's full name
    /// (`dns.z_flag_set`), for `app-layer-event`.
    pub app_events: Vec<&'a str>,
    /// Stream engine events raised on this packet, by EVE name
    /// (`stream.reassembly_depth_reached`), for `stream-event`.
    pub stream_events: Vec<&'a str>,
    /// A raw-stream inspection of reassembled data ([`Buffers::stream`]): only the rules that
    /// inspect the stream run (TCP payload rules other than `tcp-pkt`, `flow:no_stream` and
    /// `dsize` ones); packet rules have no place.
    pub stream_only: bool,
    /// The packet's payload went into the TCP stream (Suricata's `PKT_STREAM_ADD`): rules that
    /// inspect the stream leave this packet's payload to the stream inspection.
    pub in_stream: bool,
    sticky: Vec<(Buffer, &'a [u8])>,
}

/// What the file keywords inspect of one file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileFacts<'a> {
    /// File name as the protocol gave it (`filename`, `fileext`; also the `file.name` buffer).
    pub name: &'a [u8],
    /// Content type description (`filemagic`), if known.
    pub magic: Option<&'a str>,
    /// Bytes seen (`filesize`).
    pub size: u64,
    /// MD5 digest (`filemd5`), when computed.
    pub md5: Option<&'a [u8]>,
    /// SHA-1 digest (`filesha1`), when computed.
    pub sha1: Option<&'a [u8]>,
    /// SHA-256 digest (`filesha256`), when computed.
    pub sha256: Option<&'a [u8]>,
}

impl<'a> Buffers<'a> {
    /// Empty buffers of a scope.
    pub fn new(scope: Scope) -> Self {
        Buffers {
            scope,
            ..Buffers::default()
        }
    }

    /// Packet scope with a payload.
    pub fn packet(payload: &'a [u8]) -> Self {
        Buffers {
            scope: Scope::Packet,
            packet: Some(payload),
            ..Buffers::default()
        }
    }

    /// Add a sticky buffer (add several for multi-buffers such as one per DNS query; a list
    /// matches when any instance matches). `Buffer::Payload` sets `packet`.
    pub fn add(&mut self, buffer: Buffer, data: &'a [u8]) -> &mut Self {
        if buffer == Buffer::Payload {
            self.packet = Some(data);
        } else {
            self.sticky.push((buffer, data));
        }
        self
    }

    /// Remove everything (keeps the allocation).
    pub fn clear(&mut self) {
        self.packet = None;
        self.stream = None;
        self.stream_offset = 0;
        self.tls_version = None;
        self.dns_opcode = None;
        self.file = None;
        self.app_events.clear();
        self.stream_events.clear();
        self.stream_only = false;
        self.in_stream = false;
        self.sticky.clear();
    }

    /// Instances of a sticky buffer.
    pub fn get(&self, buffer: Buffer) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.sticky
            .iter()
            .filter(move |(b, _)| *b == buffer)
            .map(|(_, d)| *d)
    }

    /// All sticky buffers.
    pub fn sticky(&self) -> &[(Buffer, &'a [u8])] {
        &self.sticky
    }
}

/// An alert of an app-layer inspection reported on a later packet, as Suricata does in IDS
/// mode: a transaction side is parsed when the other side acknowledges its data, and inspected
/// on the next packet travelling in that side's direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeferredAlert {
    /// The alert.
    pub alert: Alert,
    /// The side (and so the direction of the packet that reports it).
    pub dir: Direction,
    /// A packet of the other direction has been seen since (the data was acknowledged).
    pub acked: bool,
    /// The transaction.
    pub tx_id: u64,
    /// App protocol name (`app_proto` of the record).
    pub app_proto: &'static str,
    /// The JSON object of the transaction for the record (key `app_proto`), if any.
    pub app_object: Option<Vec<u8>>,
    /// More app-layer objects written after it, as (key, JSON object): SMTP's `email`.
    pub extra_objects: Vec<(&'static str, Vec<u8>)>,
    /// The record's `files` array (JSON), when the alert is about files.
    pub files: Option<Vec<u8>>,
}

/// Per-flow detection state (flowbits, IP-only bookkeeping). The caller stores one per flow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowState {
    bits: Vec<u64>,
    /// `flowint` variables by id (None: not set).
    ints: Vec<Option<u32>>,
    /// Alerts of app-layer inspection waiting for the packet they are reported on.
    pub deferred: Vec<DeferredAlert>,
    /// Rules that alerted on a transaction not finished yet: (transaction id, rule), so that a
    /// rule alerts once per transaction over its inspections.
    pub tx_fired: Vec<(u64, RuleId)>,
    /// Transactions whose request side was inspected already.
    pub tx_request_done: Vec<u64>,
    /// Time of the first packet inspected in the flow (Suricata reports alerts raised at flow
    /// end with the flow's start time).
    pub first_ts: Option<Timestamp>,
    /// IP-only rules were evaluated for (to_server, to_client).
    pub(crate) iponly_done: [bool; 2],
    /// A pass rule acting on the flow matched: the flow is not inspected any more.
    pub passed: bool,
    /// Transactions whose records are not logged (`config: logging disable, scope tx`).
    pub tx_log_disabled: Vec<u64>,
    /// No transaction record of the flow is logged any more (`config: logging disable, scope
    /// flow`).
    pub log_disabled: bool,
}

impl FlowState {
    /// Whether the records of transaction `tx_id` are switched off by a `config:` rule.
    pub fn tx_logging_disabled(&self, tx_id: u64) -> bool {
        self.log_disabled || self.tx_log_disabled.contains(&tx_id)
    }
}

impl FlowState {
    /// New empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Is flowbit number `id` set?
    pub fn is_set(&self, id: u32) -> bool {
        let (w, b) = ((id / 64) as usize, id % 64);
        self.bits.get(w).is_some_and(|x| x & (1 << b) != 0)
    }

    /// Set flowbit `id`.
    pub fn set(&mut self, id: u32) {
        let (w, b) = ((id / 64) as usize, id % 64);
        if self.bits.len() <= w {
            self.bits.resize(w + 1, 0);
        }
        if let Some(x) = self.bits.get_mut(w) {
            *x |= 1 << b;
        }
    }

    /// Clear flowbit `id`.
    pub fn unset(&mut self, id: u32) {
        let (w, b) = ((id / 64) as usize, id % 64);
        if let Some(x) = self.bits.get_mut(w) {
            *x &= !(1 << b);
        }
    }

    /// Flip flowbit `id`.
    pub fn toggle(&mut self, id: u32) {
        if self.is_set(id) {
            self.unset(id)
        } else {
            self.set(id)
        }
    }

    /// Call `f` with each set flowbit id.
    pub fn for_each_set(&self, mut f: impl FnMut(u32)) {
        for (w, &word) in self.bits.iter().enumerate() {
            let mut x = word;
            while x != 0 {
                let b = x.trailing_zeros();
                f(w as u32 * 64 + b);
                x &= x - 1;
            }
        }
    }

    /// Value of flow integer `id`, if set.
    pub fn int(&self, id: u32) -> Option<u32> {
        self.ints.get(id as usize).copied().flatten()
    }

    /// Applies a `flowint` modification: `=` sets, `+`/`-` add or subtract (wrapping, as
    /// Suricata's 32-bit counters); an unset variable takes the operand's value.
    pub(crate) fn int_apply(&mut self, op: FlowintOp, id: u32, val: u32) {
        let new = match (op, self.int(id)) {
            (FlowintOp::Add, Some(c)) => c.wrapping_add(val),
            (FlowintOp::Sub, Some(c)) => c.wrapping_sub(val),
            (FlowintOp::Set | FlowintOp::Add | FlowintOp::Sub, _) => val,
            _ => return,
        };
        let i = id as usize;
        if self.ints.len() <= i {
            self.ints.resize(i + 1, None);
        }
        if let Some(slot) = self.ints.get_mut(i) {
            *slot = Some(new);
        }
    }

    /// Number of flowbits set.
    pub fn count(&self) -> u32 {
        self.bits.iter().map(|w| w.count_ones()).sum()
    }
}
