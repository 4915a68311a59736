//! One flow: tuple oriented client → server, counters, times, state and the user's per-flow state.

use sekimori_capture::Timestamp;
use sekimori_decode::Addr;

use crate::direction::Direction;
use crate::key::{FlowIcmp, FlowKey};

/// Flow state as Suricata logs it (`flow.state`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FlowState {
    /// Not (yet) established.
    #[default]
    New,
    /// TCP: session established (also FIN_WAIT/CLOSING/CLOSE_WAIT); others: both directions seen.
    Established,
    /// TCP: session in LAST_ACK, TIME_WAIT or CLOSED.
    Closed,
}

impl FlowState {
    /// Suricata's spelling: `new` / `established` / `closed`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FlowState::New => "new",
            FlowState::Established => "established",
            FlowState::Closed => "closed",
        }
    }
    pub(crate) const fn index(self) -> usize {
        match self {
            FlowState::New => 0,
            FlowState::Established => 1,
            FlowState::Closed => 2,
        }
    }
}

/// Verdict attached to the whole flow (IPS), logged as `flow.action`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FlowAction {
    /// No flow-level verdict (EVE omits `action`).
    #[default]
    None,
    /// Pass the rest of the flow.
    Pass,
    /// Drop the rest of the flow.
    Drop,
}

impl FlowAction {
    /// Suricata's spelling (`pass` / `drop`), `None` when nothing is logged.
    pub const fn as_str(self) -> Option<&'static str> {
        match self {
            FlowAction::None => None,
            FlowAction::Pass => Some("pass"),
            FlowAction::Drop => Some("drop"),
        }
    }
}

/// Why a flow ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// Idle longer than its timeout (checked against packet time).
    Timeout,
    /// End of input ([`crate::FlowTable::drain`]).
    Shutdown,
    /// Evicted to stay under the memory cap.
    Forced,
    /// A new TCP session reused the tuple of this finished one. Suricata logs these with reason
    /// `timeout` (the old flow is timed out on the spot); [`EndReason::as_str`] does the same.
    TcpReuse,
}

impl EndReason {
    /// The EVE `flow.reason` string Suricata writes for this reason.
    pub const fn as_str(self) -> &'static str {
        match self {
            EndReason::Timeout | EndReason::TcpReuse => "timeout",
            EndReason::Shutdown => "shutdown",
            EndReason::Forced => "forced",
        }
    }
}

/// A bidirectional flow. `src` is the client (normally the first packet's sender).
///
/// The tuple, counters and times are read through methods; the fields later layers set are
/// public: `state`, `alerted`, `app_proto`, `action`, `user`.
#[derive(Clone, Debug)]
pub struct Flow<T> {
    pub(crate) id: u64,
    pub(crate) key: FlowKey,
    pub(crate) src: Addr,
    pub(crate) dst: Addr,
    pub(crate) sport: u16,
    pub(crate) dport: u16,
    pub(crate) vlan: [u16; 3],
    pub(crate) vlan_count: u8,
    pub(crate) icmp: Option<FlowIcmp>,
    pub(crate) start: Timestamp,
    pub(crate) last: Timestamp,
    pub(crate) pkts: [u64; 2],
    pub(crate) bytes: [u64; 2],
    pub(crate) tcp_flags: [u8; 2],
    pub(crate) seen: [bool; 2],
    pub(crate) swapped: bool,
    /// Flow state. TCP: set by the stream layer. Other protocols: the table sets `Established` once
    /// both directions were seen. A change moves the flow to the matching timeout.
    pub state: FlowState,
    /// An alert fired on this flow (EVE `flow.alerted`).
    pub alerted: bool,
    /// Application protocol, once detected (EVE `app_proto`).
    pub app_proto: Option<&'static str>,
    /// Flow-level verdict for IPS use.
    pub action: FlowAction,
    /// Per-flow state of later layers (TCP session, app-layer state, ...).
    pub user: T,
}

impl<T> Flow<T> {
    /// Flow id: non-zero, below 2^51, unique within a run (EVE `flow_id`).
    pub fn id(&self) -> u64 {
        self.id
    }
    /// The normalised key this flow is stored under.
    pub fn key(&self) -> &FlowKey {
        &self.key
    }
    /// IP protocol number.
    pub fn proto(&self) -> u8 {
        self.key.proto
    }
    /// Client address (EVE `src_ip`).
    pub fn src(&self) -> Addr {
        self.src
    }
    /// Server address (EVE `dest_ip`).
    pub fn dst(&self) -> Addr {
        self.dst
    }
    /// Client port (0 for protocols without ports, ICMP included).
    pub fn sport(&self) -> u16 {
        self.sport
    }
    /// Server port.
    pub fn dport(&self) -> u16 {
        self.dport
    }
    /// VLAN ids of the first packet, outermost first.
    pub fn vlans(&self) -> &[u16] {
        self.vlan.get(..usize::from(self.vlan_count)).unwrap_or(&[])
    }
    /// ICMP type/code of the first packet and the expected reply type (ICMP flows only).
    pub fn icmp(&self) -> Option<FlowIcmp> {
        self.icmp
    }
    /// Time of the first packet (EVE `flow.start`).
    pub fn start(&self) -> Timestamp {
        self.start
    }
    /// Latest packet time (EVE `flow.end`); never moves backwards.
    pub fn last(&self) -> Timestamp {
        self.last
    }
    /// EVE `flow.age`: whole seconds of `last` minus whole seconds of `start`.
    pub fn age_secs(&self) -> i64 {
        self.last.secs().saturating_sub(self.start.secs())
    }
    /// Packets in one direction.
    pub fn pkts(&self, dir: Direction) -> u64 {
        self.pkts.get(dir.index()).copied().unwrap_or(0)
    }
    /// Bytes (captured frame lengths) in one direction.
    pub fn bytes(&self, dir: Direction) -> u64 {
        self.bytes.get(dir.index()).copied().unwrap_or(0)
    }
    /// OR of the TCP flags seen in one direction (0 for other protocols).
    pub fn tcp_flags(&self, dir: Direction) -> u8 {
        self.tcp_flags.get(dir.index()).copied().unwrap_or(0)
    }
    /// OR of the TCP flags seen in both directions.
    pub fn tcp_flags_all(&self) -> u8 {
        self.tcp_flags[0] | self.tcp_flags[1]
    }
    /// True once a packet that counts for "seen" went this way (ICMPv4 errors do not count).
    pub fn seen(&self, dir: Direction) -> bool {
        self.seen.get(dir.index()).copied().unwrap_or(false)
    }
    /// True when the flow was reversed after creation (see [`Flow::swap`]).
    pub fn swapped(&self) -> bool {
        self.swapped
    }
    /// Reverses the flow's orientation: src ↔ dst, and the per-direction counters, flags and seen
    /// marks. Later packets get directions relative to the new orientation. This is
    /// Suricata's `FlowSwap`, which the stream and app layers use when they learn that the first
    /// packet came from the server (for example, a midstream HTTP response). ICMP type fields stay.
    pub fn swap(&mut self) {
        std::mem::swap(&mut self.src, &mut self.dst);
        std::mem::swap(&mut self.sport, &mut self.dport);
        self.pkts.swap(0, 1);
        self.bytes.swap(0, 1);
        self.tcp_flags.swap(0, 1);
        self.seen.swap(0, 1);
        self.swapped = !self.swapped;
    }
    /// Direction of a packet with this source endpoint, as Suricata's `FlowGetPacketDirection`
    /// decides it. TCP/UDP/SCTP compare the endpoint `(address, port)`, ICMP the address only,
    /// and any other protocol counts as to_server.
    pub fn direction_of(&self, src: Addr, sport: u16) -> Direction {
        use crate::key::proto;
        match self.key.proto {
            proto::TCP | proto::UDP | proto::SCTP => {
                if (src, sport) == (self.src, self.sport) {
                    Direction::ToServer
                } else {
                    Direction::ToClient
                }
            }
            proto::ICMP | proto::ICMPV6 => {
                if src == self.src {
                    Direction::ToServer
                } else {
                    Direction::ToClient
                }
            }
            _ => Direction::ToServer,
        }
    }
}

/// A flow that left the table, with the reason. The engine logs it and frees its `user` state.
#[derive(Debug)]
pub struct EndedFlow<T> {
    /// The flow, moved out of the table.
    pub flow: Flow<T>,
    /// Why it ended.
    pub reason: EndReason,
    /// It ended while the table was in emergency mode (EVE `flow.emergency: true`).
    pub emergency: bool,
    /// Packet time at which it was ended (the latest packet time the table had seen).
    pub ended_at: Timestamp,
}
