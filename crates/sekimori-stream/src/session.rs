//! Per-flow TCP session: connection state, per-direction sequence tracking and buffers.

use std::sync::Arc;

use sekimori_capture::Timestamp;
use sekimori_flow::Direction;

use crate::buffer::Reassembly;
use crate::seq::seq_diff;
use crate::stats::StreamMemory;

/// TCP connection state, as Suricata tracks it: one state per session, seen from the server's
/// side (a FIN from the client moves it to `close_wait`, a FIN from the server to `fin_wait1`).
/// The discriminants follow Suricata's order, so `>=` comparisons mean the same.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum TcpState {
    /// No session (nothing tracked yet).
    #[default]
    None = 0,
    /// SYN seen.
    SynSent = 2,
    /// SYN/ACK seen.
    SynRecv = 3,
    /// Handshake complete (or picked up midstream).
    Established = 4,
    /// The server sent a FIN.
    FinWait1 = 5,
    /// The server's FIN was acknowledged.
    FinWait2 = 6,
    /// Both FINs seen, waiting for the last acknowledgement.
    TimeWait = 7,
    /// The client closed first and the server sent its FIN.
    LastAck = 8,
    /// The client sent a FIN.
    CloseWait = 9,
    /// Simultaneous close: both FINs seen, neither acknowledged.
    Closing = 10,
    /// Closed by FIN exchange or a valid RST.
    Closed = 11,
}

impl TcpState {
    /// Suricata's name (`none`, `syn_sent`, ..., `closed`), as EVE's `tcp.state` prints it.
    pub const fn name(self) -> &'static str {
        match self {
            TcpState::None => "none",
            TcpState::SynSent => "syn_sent",
            TcpState::SynRecv => "syn_recv",
            TcpState::Established => "established",
            TcpState::FinWait1 => "fin_wait1",
            TcpState::FinWait2 => "fin_wait2",
            TcpState::TimeWait => "time_wait",
            TcpState::LastAck => "last_ack",
            TcpState::CloseWait => "close_wait",
            TcpState::Closing => "closing",
            TcpState::Closed => "closed",
        }
    }
}

pub(crate) const F_MIDSTREAM: u16 = 1 << 0;
pub(crate) const F_MIDSTREAM_SYNACK: u16 = 1 << 1;
pub(crate) const F_ASYNC: u16 = 1 << 2;
pub(crate) const F_4WHS: u16 = 1 << 3;
pub(crate) const F_CLOSED_BY_RST: u16 = 1 << 4;
pub(crate) const F_3WHS_CONFIRMED: u16 = 1 << 5;
pub(crate) const F_EVASION_ATTEMPT: u16 = 1 << 6;
pub(crate) const F_SACK_OK: u16 = 1 << 7;
pub(crate) const F_FLUSHED: u16 = 1 << 8;

/// One direction of a session (the data one endpoint sends).
#[derive(Debug, Default)]
pub(crate) struct Half {
    /// Initial sequence number.
    pub isn: u32,
    /// Sequence number of stream offset 0 (the first data byte).
    pub base_seq: u32,
    /// One past the highest sequence number seen from this endpoint (FIN counts one).
    pub next_seq: u32,
    /// Highest valid acknowledgement of this endpoint's data sent by the peer.
    pub last_ack: u32,
    /// Right edge of what this endpoint may send (peer's ack + peer's window).
    pub next_win: u32,
    /// Window this endpoint last advertised, scaled.
    pub window: u32,
    /// Window scale shift applied to this endpoint's advertised windows.
    pub wscale: u8,
    /// Window-scale option from this endpoint's SYN or SYN/ACK.
    pub syn_wscale: Option<u8>,
    /// TCP flags seen from this endpoint.
    pub tcp_flags: u8,
    /// Sequence number of this endpoint's FIN.
    pub fin_seq: Option<u32>,
    /// The peer acknowledged the FIN.
    pub fin_acked: bool,
    /// Release data without waiting for the peer's ACK (after FIN / RST).
    pub release_all: bool,
    /// `on_close` was delivered for this direction.
    pub close_notified: bool,
    /// Reassembly depth reached.
    pub depth_reached: bool,
    /// A gap was declared in this direction.
    pub had_gap: bool,
    /// Most streaming-buffer regions this direction used (Suricata's `max_regions`).
    pub max_regions: usize,
    /// Data buffer.
    pub reasm: Reassembly,
}

impl Half {
    /// Stream offset of `seq` (may be negative or beyond anything seen).
    pub fn offset_of(&self, seq: u32) -> i64 {
        let d = self.reasm.delivered();
        let ref_seq = self.base_seq.wrapping_add(d as u32);
        (d as i64).saturating_add(seq_diff(seq, ref_seq))
    }
    /// Stream offset acknowledged by the peer.
    pub fn acked_offset(&self) -> u64 {
        self.offset_of(self.last_ack).max(0) as u64
    }
    /// Sets the ISN (and everything derived from it).
    pub fn init_isn(&mut self, isn: u32) {
        self.isn = isn;
        self.base_seq = isn.wrapping_add(1);
        self.next_seq = isn.wrapping_add(1);
        self.last_ack = isn.wrapping_add(1);
        self.next_win = isn.wrapping_add(1);
    }
}

/// Per-flow TCP tracking state, stored in the flow's user data by the engine.
///
/// Directions in this type's accessors are TCP roles: `ToServer` is data from the endpoint that
/// opened the connection. They equal the flow's directions unless [`TcpSession::is_reversed`]
/// (e.g. a midstream pickup that started with the server's SYN/ACK).
///
/// Dropping a session returns its reassembly memory to the shared [`StreamMemory`].
#[derive(Debug, Default)]
pub struct TcpSession {
    pub(crate) state: TcpState,
    pub(crate) prev_state: TcpState,
    pub(crate) half: [Half; 2],
    pub(crate) reversed: bool,
    pub(crate) flags: u16,
    pub(crate) rst_sender: u8,
    pub(crate) syn_queue: Vec<u32>,
    pub(crate) pkts: u64,
    pub(crate) first_ts: Timestamp,
    pub(crate) last_ts: Timestamp,
    pub(crate) mem: Option<Arc<StreamMemory>>,
    pub(crate) held: usize,
}

impl Drop for TcpSession {
    fn drop(&mut self) {
        if self.held > 0
            && let Some(m) = &self.mem
        {
            m.release(self.held);
        }
    }
}

pub(crate) const fn role_dir(i: usize) -> Direction {
    if i == 0 {
        Direction::ToServer
    } else {
        Direction::ToClient
    }
}

impl TcpSession {
    /// A fresh session (same as `Default`).
    pub fn new() -> Self {
        Self::default()
    }
    /// Connection state.
    pub fn state(&self) -> TcpState {
        self.state
    }
    /// Connection state name as EVE prints it.
    pub fn state_name(&self) -> &'static str {
        self.state.name()
    }
    /// True once a session exists (a handshake packet or a pickup was accepted).
    pub fn has_session(&self) -> bool {
        self.state != TcpState::None
    }
    /// TCP flags seen in one direction (EVE `tcp_flags_ts` / `tcp_flags_tc`).
    pub fn tcp_flags(&self, dir: Direction) -> u8 {
        self.half[dir.index()].tcp_flags
    }
    /// TCP flags seen in both directions (EVE `tcp_flags`).
    pub fn tcp_flags_all(&self) -> u8 {
        self.half[0].tcp_flags | self.half[1].tcp_flags
    }
    /// Picked up without seeing the handshake.
    pub fn is_midstream(&self) -> bool {
        self.flags & F_MIDSTREAM != 0
    }
    /// Tracked as asynchronous (only one direction visible).
    pub fn is_async(&self) -> bool {
        self.flags & F_ASYNC != 0
    }
    /// Closed by a valid RST.
    pub fn closed_by_rst(&self) -> bool {
        self.flags & F_CLOSED_BY_RST != 0
    }
    /// True when the TCP client is the flow's destination (roles reversed relative to the flow):
    /// then a flow's `to_server` packets carry the TCP server's data.
    pub fn is_reversed(&self) -> bool {
        self.reversed
    }
    /// Swaps the client and server roles (Suricata's `FlowSwap`, done when app-layer protocol
    /// detection finds that a midstream flow was picked up backwards). Everything tracked per
    /// direction moves with its endpoint; from now on `role_of` answers the other way round.
    pub fn reverse_roles(&mut self) {
        self.half.swap(0, 1);
        self.reversed = !self.reversed;
        self.rst_sender = 1 - self.rst_sender.min(1);
    }
    /// The flow itself was turned round (Suricata's `FlowSwap`: its source is now the other
    /// endpoint and later packets come with the other direction): each endpoint keeps its data,
    /// which moves to the other index, so that roles keep following the (new) flow directions.
    /// Unlike [`TcpSession::reverse_roles`], which is for callers whose flow keeps its
    /// orientation.
    pub fn swap_directions(&mut self) {
        self.half.swap(0, 1);
        self.rst_sender = 1 - self.rst_sender.min(1);
    }
    /// The TCP-role direction of a packet travelling in flow direction `flow_dir`.
    pub fn role_of(&self, flow_dir: Direction) -> Direction {
        if self.reversed {
            flow_dir.reverse()
        } else {
            flow_dir
        }
    }
    /// Data the receiver acknowledged was missing in this direction and skipped (EVE `ts_gap` /
    /// `tc_gap`). Holes skipped only at `flush` (never acknowledged) do not set it.
    pub fn had_gap(&self, dir: Direction) -> bool {
        self.half[dir.index()].had_gap
    }
    /// Most regions this direction's reassembly buffer used, as Suricata's flow record reports
    /// it (`ts_max_regions`/`tc_max_regions`): at least 1.
    pub fn max_regions(&self, dir: Direction) -> usize {
        self.half[dir.index()].max_regions.max(1)
    }
    /// Reassembly depth reached in this direction.
    pub fn depth_reached(&self, dir: Direction) -> bool {
        self.half[dir.index()].depth_reached
    }
    /// Initial sequence number of this direction.
    pub fn isn(&self, dir: Direction) -> u32 {
        self.half[dir.index()].isn
    }
    /// One past the highest sequence number seen in this direction.
    pub fn next_seq(&self, dir: Direction) -> u32 {
        self.half[dir.index()].next_seq
    }
    /// Highest valid acknowledgement of this direction's data.
    pub fn last_ack(&self, dir: Direction) -> u32 {
        self.half[dir.index()].last_ack
    }
    /// Scaled window last advertised by the sender of this direction.
    pub fn window(&self, dir: Direction) -> u32 {
        self.half[dir.index()].window
    }
    /// Window scale shift of the sender of this direction.
    pub fn wscale(&self, dir: Direction) -> u8 {
        self.half[dir.index()].wscale
    }
    /// Stream bytes handed to the sink so far (data plus gaps).
    pub fn delivered(&self, dir: Direction) -> u64 {
        self.half[dir.index()].reasm.delivered()
    }
    /// Payload bytes buffered (waiting for an ACK or for missing data).
    pub fn buffered(&self, dir: Direction) -> usize {
        self.half[dir.index()].reasm.stored()
    }
    /// Segments held in this direction (out of order or waiting for an ACK).
    pub fn queued_segments(&self, dir: Direction) -> usize {
        self.half[dir.index()].reasm.segment_count()
    }
    /// Stream offset one past the highest data byte seen in this direction.
    pub fn data_seen(&self, dir: Direction) -> u64 {
        self.half[dir.index()].reasm.data_end()
    }
    /// Separate buffered regions in this direction.
    pub fn buffered_regions(&self, dir: Direction) -> usize {
        self.half[dir.index()].reasm.region_count()
    }
    /// Reassembly memory this session holds.
    pub fn memory(&self) -> usize {
        self.held
    }
    /// Packets this session processed.
    pub fn packets(&self) -> u64 {
        self.pkts
    }
    /// Time of the first and the last packet.
    pub fn seen(&self) -> (Timestamp, Timestamp) {
        (self.first_ts, self.last_ts)
    }
    pub(crate) fn has(&self, f: u16) -> bool {
        self.flags & f != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names() {
        let all = [
            (TcpState::None, "none"),
            (TcpState::SynSent, "syn_sent"),
            (TcpState::SynRecv, "syn_recv"),
            (TcpState::Established, "established"),
            (TcpState::FinWait1, "fin_wait1"),
            (TcpState::FinWait2, "fin_wait2"),
            (TcpState::TimeWait, "time_wait"),
            (TcpState::LastAck, "last_ack"),
            (TcpState::CloseWait, "close_wait"),
            (TcpState::Closing, "closing"),
            (TcpState::Closed, "closed"),
        ];
        for (s, n) in all {
            assert_eq!(s.name(), n);
        }
        assert!(TcpState::CloseWait >= TcpState::LastAck);
        assert!(TcpState::TimeWait < TcpState::LastAck);
    }

    #[test]
    fn offsets_wrap() {
        let mut h = Half::default();
        h.init_isn(u32::MAX - 2);
        assert_eq!(h.base_seq, u32::MAX - 1);
        assert_eq!(h.offset_of(u32::MAX - 1), 0);
        assert_eq!(h.offset_of(u32::MAX), 1);
        assert_eq!(h.offset_of(0), 2);
        assert_eq!(h.offset_of(10), 12);
        assert_eq!(h.offset_of(u32::MAX - 5), -4);
        h.last_ack = 5;
        assert_eq!(h.acked_offset(), 7);
        h.last_ack = u32::MAX - 10;
        assert_eq!(h.acked_offset(), 0);
    }

    #[test]
    fn default_session() {
        let s = TcpSession::default();
        assert!(!s.has_session());
        assert_eq!(s.state_name(), "none");
        assert_eq!(s.tcp_flags_all(), 0);
        assert_eq!(s.role_of(Direction::ToClient), Direction::ToClient);
        assert_eq!(s.memory(), 0);
    }
}
