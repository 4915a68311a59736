//! The stream engine: TCP state machine (Suricata's `stream-tcp` semantics) driving the
//! per-direction reassembly buffers.

use std::sync::Arc;

use sekimori_capture::Timestamp;
use sekimori_decode::{TcpInfo, tcp_flags};
use sekimori_flow::Direction;

use crate::buffer::{Delivered, Env, InsertResult};
use crate::config::{OverlapPolicy, StreamConfig};
use crate::event::{EventSet, StreamEvent};
use crate::seq::{seq_geq, seq_gt, seq_leq, seq_lt, seq_max};
use crate::session::{
    F_3WHS_CONFIRMED, F_4WHS, F_ASYNC, F_CLOSED_BY_RST, F_EVASION_ATTEMPT, F_FLUSHED, F_MIDSTREAM,
    F_MIDSTREAM_SYNACK, F_SACK_OK, TcpSession, TcpState, role_dir,
};
use crate::stats::{StreamMemory, StreamStats};

/// Largest window-scale shift TCP allows (RFC 7323).
const WSCALE_MAX: u8 = 14;
/// Window assumed for an endpoint whose window is unknown (midstream / async pickups).
const UNKNOWN_WINDOW: u32 = 1 << 30;

/// Receives reassembled stream data. Directions are TCP roles (`ToServer` = client data).
pub trait StreamSink {
    /// In-order bytes of one direction.
    fn on_data(&mut self, dir: Direction, data: &[u8]);
    /// `len` bytes of this direction are known to be missing and were skipped.
    fn on_gap(&mut self, dir: Direction, len: u64);
    /// The direction ended (its FIN was reached, or the session was flushed).
    fn on_close(&mut self, dir: Direction);
}

/// A sink that discards everything (for callers that only want tracking).
#[derive(Clone, Copy, Debug, Default)]
pub struct NullSink;

impl StreamSink for NullSink {
    fn on_data(&mut self, _dir: Direction, _data: &[u8]) {}
    fn on_gap(&mut self, _dir: Direction, _len: u64) {}
    fn on_close(&mut self, _dir: Direction) {}
}

/// What processing one packet produced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SegmentOutcome {
    /// Stream events raised by this packet.
    pub events: EventSet,
    /// The state machine rejected the packet; its data was not reassembled (an IPS with
    /// Suricata's `drop-invalid` would drop it).
    pub invalid: bool,
    /// The packet starts a new connection on a finished session's tuple: the caller should end
    /// this flow, start a new one (with a fresh session) and process the packet there. Nothing
    /// else was done with the packet.
    pub reuse: bool,
    /// The flow has no session after this packet (e.g. midstream pickup disabled); the packet
    /// was not tracked.
    pub no_session: bool,
    /// This packet created the session.
    pub new_session: bool,
    /// The packet's payload repeated data already seen.
    pub retransmission: bool,
    /// Session state after the packet.
    pub state: TcpState,
    /// The packet's direction as a TCP role (`ToServer` = sent by the client), when a session
    /// exists.
    pub role: Option<Direction>,
}

/// The decoded header fields one packet contributes.
#[derive(Clone, Copy)]
struct Pkt<'a> {
    /// Sender's role index (0 client, 1 server).
    s: usize,
    seq: u32,
    ack: u32,
    flags: u8,
    win: u16,
    tcp: &'a TcpInfo,
    payload: &'a [u8],
}

impl Pkt<'_> {
    fn p(&self) -> usize {
        1 - self.s
    }
    fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }
    fn len(&self) -> u32 {
        self.payload.len().min(u32::MAX as usize) as u32
    }
    fn end(&self) -> u32 {
        self.seq.wrapping_add(self.len())
    }
}

/// TCP session tracking and stream reassembly for one worker.
#[derive(Debug)]
pub struct StreamEngine {
    config: StreamConfig,
    mem: Arc<StreamMemory>,
    stats: StreamStats,
    pool: Vec<Vec<u8>>,
    scratch: Vec<u8>,
}

impl StreamEngine {
    /// An engine with its own reassembly memory budget of `config.memcap_bytes`.
    pub fn new(config: StreamConfig) -> Self {
        let mem = Arc::new(StreamMemory::new(config.memcap_bytes));
        Self::with_memory(config, mem)
    }

    /// An engine sharing `mem` with other engines (one budget for all workers);
    /// `config.memcap_bytes` is ignored in favour of `mem`'s cap.
    pub fn with_memory(config: StreamConfig, mem: Arc<StreamMemory>) -> Self {
        StreamEngine {
            config,
            mem,
            stats: StreamStats::default(),
            pool: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &StreamConfig {
        &self.config
    }
    /// Counters.
    pub fn stats(&self) -> &StreamStats {
        &self.stats
    }
    /// The reassembly memory budget.
    pub fn memory(&self) -> &Arc<StreamMemory> {
        &self.mem
    }

    /// True when `tcp` (travelling in flow direction `dir`) opens a new connection on a tuple
    /// whose session is finished enough to be replaced (Suricata's TCP session reuse rules).
    /// `process` performs the same check first and reports it as [`SegmentOutcome::reuse`].
    pub fn is_session_reuse(&self, sess: &TcpSession, dir: Direction, tcp: &TcpInfo) -> bool {
        let f = tcp.flags;
        if f & (tcp_flags::RST | tcp_flags::FIN) != 0 || sess.pkts == 0 {
            return false;
        }
        let syn_only = f & (tcp_flags::SYN | tcp_flags::ACK) == tcp_flags::SYN;
        let syn_ack = f & (tcp_flags::SYN | tcp_flags::ACK) == (tcp_flags::SYN | tcp_flags::ACK)
            && (self.config.midstream || self.config.async_oneside);
        if !syn_only && !syn_ack {
            return false;
        }
        let done = sess.state == TcpState::None || sess.state >= TcpState::LastAck;
        let role = sess.role_of(dir);
        if syn_only {
            if sess.state == TcpState::None {
                return true;
            }
            if role == Direction::ToServer && sess.half[0].isn == tcp.seq {
                return false;
            }
            return done;
        }
        // SYN/ACK with midstream or async-oneside enabled.
        if role == Direction::ToClient {
            if sess.state == TcpState::None {
                return false;
            }
            if sess.half[1].isn == tcp.seq {
                return false;
            }
        }
        done
    }

    /// Processes one TCP packet of a flow. `dir` is the packet's direction relative to the flow;
    /// data released by it goes to `sink` (in TCP-role directions, see [`TcpSession`]).
    pub fn process<S: StreamSink>(
        &mut self,
        sess: &mut TcpSession,
        dir: Direction,
        ts: Timestamp,
        tcp: &TcpInfo,
        payload: &[u8],
        sink: &mut S,
    ) -> SegmentOutcome {
        let mut out = SegmentOutcome::default();
        self.stats.packets += 1;
        if self.is_session_reuse(sess, dir, tcp) {
            out.reuse = true;
            out.state = sess.state;
            self.stats.reuse += 1;
            return out;
        }
        if sess.pkts == 0 {
            sess.first_ts = ts;
        }
        sess.pkts += 1;
        sess.last_ts = ts;
        if tcp.flags & tcp_flags::ACK == 0 && tcp.ack != 0 {
            self.event(&mut out, StreamEvent::PktBrokenAck);
        }
        if sess.has(F_FLUSHED) {
            // The session was flushed (flow end); nothing more is reassembled.
            out.state = sess.state;
            out.role = Some(sess.role_of(dir));
            return out;
        }

        if self.config.urgent_oob
            && tcp.flags & tcp_flags::URG != 0
            && tcp.urgent > 0
            && usize::from(tcp.urgent) <= payload.len()
            && sess.state != TcpState::None
        {
            // The urgent byte is out-of-band data: the stream goes on without it.
            let half = &mut sess.half[sess.role_of(dir).index()];
            let at = half.offset_of(tcp.seq.wrapping_add(u32::from(tcp.urgent) - 1));
            if let Ok(at) = u64::try_from(at)
                && half.reasm.mark_oob(at)
            {
                self.stats.urgent_oob += 1;
            }
        }
        if sess.state == TcpState::None {
            self.state_none(sess, dir, tcp, payload, sink, &mut out);
        } else {
            let pkt = self.pkt(sess, dir, tcp, payload);
            self.dispatch(sess, &pkt, sink, &mut out);
        }

        if sess.has_session() {
            let s = sess.role_of(dir).index();
            sess.half[s].tcp_flags |= tcp.flags;
            if sess.has(F_ASYNC) && sess.half[0].tcp_flags != 0 && sess.half[1].tcp_flags != 0 {
                sess.flags &= !F_ASYNC;
            }
            out.role = Some(role_dir(s));
        } else {
            out.no_session = true;
            self.stats.no_session += 1;
        }
        if out.invalid {
            self.stats.invalid += 1;
        }
        out.state = sess.state;
        out
    }

    /// Flow end: delivers everything still buffered in order (gaps for holes), then `on_close`
    /// for each direction not closed yet. Later packets on the session are ignored.
    pub fn flush<S: StreamSink>(&mut self, sess: &mut TcpSession, sink: &mut S) {
        if sess.has(F_FLUSHED) {
            return;
        }
        sess.flags |= F_FLUSHED;
        if !sess.has_session() {
            return;
        }
        let mut dummy = SegmentOutcome::default();
        for i in 0..2 {
            self.release_half(sess, i, true, sink, &mut dummy);
            let h = &mut sess.half[i];
            if !h.close_notified {
                h.close_notified = true;
                sink.on_close(role_dir(i));
            }
        }
        self.release(sess);
    }

    /// Records a packet's TCP flags on the session without processing it (for flows an IPS
    /// already dropped: Suricata still accounts their flags but tracks nothing else).
    pub fn note_flags(&mut self, sess: &mut TcpSession, dir: Direction, tcp: &TcpInfo) {
        self.stats.packets += 1;
        if sess.has_session() {
            let s = sess.role_of(dir).index();
            sess.half[s].tcp_flags |= tcp.flags;
        }
    }

    /// Forgets direction `i`'s buffered data entirely (as if never received).
    fn discard_half(&mut self, sess: &mut TcpSession, i: usize) {
        let TcpSession {
            half, held, mem, ..
        } = sess;
        let Some(h) = half.get_mut(i) else { return };
        let mut env = Env {
            policy: self.config.policy,
            inline: self.config.inline,
            max_segs: self.config.max_queued_segments_per_direction,
            mem: sess_mem(&self.mem, mem),
            held,
            pool: &mut self.pool,
            scratch: &mut self.scratch,
        };
        h.reasm.reset(&mut env);
    }

    /// Drops whatever the session buffers without delivering it and returns the memory.
    pub fn release(&mut self, sess: &mut TcpSession) {
        let TcpSession {
            half, held, mem, ..
        } = sess;
        for h in half.iter_mut() {
            let mut env = Env {
                policy: self.config.policy,
                inline: self.config.inline,
                max_segs: self.config.max_queued_segments_per_direction,
                mem: sess_mem(&self.mem, mem),
                held,
                pool: &mut self.pool,
                scratch: &mut self.scratch,
            };
            h.reasm.clear(&mut env);
        }
    }

    // ---------------------------------------------------------------- helpers

    fn event(&mut self, out: &mut SegmentOutcome, e: StreamEvent) {
        out.events.insert(e);
        if let Some(c) = self.stats.events.get_mut(e as usize) {
            *c += 1;
        }
    }

    fn invalid(&mut self, out: &mut SegmentOutcome, e: Option<StreamEvent>) {
        out.invalid = true;
        if let Some(e) = e {
            self.event(out, e);
        }
    }

    fn pkt<'a>(
        &self,
        sess: &TcpSession,
        dir: Direction,
        tcp: &'a TcpInfo,
        payload: &'a [u8],
    ) -> Pkt<'a> {
        Pkt {
            s: sess.role_of(dir).index(),
            seq: tcp.seq,
            ack: tcp.ack,
            flags: tcp.flags,
            win: tcp.window,
            tcp,
            payload,
        }
    }

    fn new_session(&mut self, sess: &mut TcpSession, out: &mut SegmentOutcome, midstream: bool) {
        self.stats.sessions += 1;
        if midstream {
            self.stats.midstream_pickups += 1;
        }
        out.new_session = true;
        if self.config.async_oneside {
            sess.flags |= F_ASYNC;
        }
        if sess.mem.is_none() {
            sess.mem = Some(Arc::clone(&self.mem));
        }
    }

    fn set_state(sess: &mut TcpSession, st: TcpState) {
        if sess.state != st {
            sess.prev_state = sess.state;
            sess.state = st;
        }
    }

    fn window_checks_off(&self, sess: &TcpSession) -> bool {
        sess.has(F_MIDSTREAM) || sess.has(F_ASYNC)
    }

    // ---------------------------------------------------------------- state: none

    fn state_none<S: StreamSink>(
        &mut self,
        sess: &mut TcpSession,
        dir: Direction,
        tcp: &TcpInfo,
        payload: &[u8],
        sink: &mut S,
        out: &mut SegmentOutcome,
    ) {
        let f = tcp.flags;
        let (seq, ack) = (tcp.seq, tcp.ack);
        if f & tcp_flags::RST != 0 {
            self.invalid(out, Some(StreamEvent::RstButNoSession));
        } else if f & tcp_flags::FIN != 0 && f & tcp_flags::SYN == 0 {
            if self.config.midstream && !payload.is_empty() && f & tcp_flags::ACK != 0 {
                self.pickup_ack(sess, dir, tcp, out);
                let pkt = self.pkt(sess, dir, tcp, payload);
                self.state_open(sess, &pkt, sink, out);
            } else {
                self.invalid(out, Some(StreamEvent::FinButNoSession));
            }
        } else if f & (tcp_flags::SYN | tcp_flags::ACK) == (tcp_flags::SYN | tcp_flags::ACK) {
            if self.config.midstream || self.config.async_oneside {
                // The SYN/ACK's sender is the server.
                sess.reversed = dir == Direction::ToServer;
                self.new_session(sess, out, true);
                Self::set_state(sess, TcpState::SynRecv);
                sess.flags |= F_MIDSTREAM | F_MIDSTREAM_SYNACK;
                let [c, sv] = &mut sess.half;
                sv.init_isn(seq);
                sv.window = u32::from(tcp.window);
                sv.syn_wscale = tcp.options.wscale;
                c.init_isn(ack.wrapping_sub(1));
                c.last_ack = ack;
                if let Some(w) = tcp.options.wscale {
                    sv.wscale = w.min(WSCALE_MAX);
                    c.wscale = WSCALE_MAX;
                }
                c.next_win = c.last_ack.wrapping_add(sv.window);
                sv.next_win = sv.last_ack.wrapping_add(UNKNOWN_WINDOW);
                if tcp.options.sack_permitted {
                    sess.flags |= F_SACK_OK;
                }
            }
        } else if f & tcp_flags::SYN != 0 {
            sess.reversed = dir == Direction::ToClient;
            self.new_session(sess, out, false);
            Self::set_state(sess, TcpState::SynSent);
            let c = &mut sess.half[0];
            c.init_isn(seq);
            c.window = u32::from(tcp.window);
            c.syn_wscale = tcp.options.wscale;
            if tcp.options.sack_permitted {
                sess.flags |= F_SACK_OK;
            }
            self.syn_data(sess, seq, payload, sink, out);
        } else if f & tcp_flags::ACK != 0 && self.config.midstream {
            self.pickup_ack(sess, dir, tcp, out);
            let pkt = self.pkt(sess, dir, tcp, payload);
            self.state_open(sess, &pkt, sink, out);
        }
    }

    /// Data on a SYN (TCP Fast Open): held until the SYN/ACK shows whether the server took it.
    fn syn_data<S: StreamSink>(
        &mut self,
        sess: &mut TcpSession,
        seq: u32,
        payload: &[u8],
        sink: &mut S,
        out: &mut SegmentOutcome,
    ) {
        if payload.is_empty() {
            return;
        }
        let end = seq.wrapping_add(1).wrapping_add(payload.len() as u32);
        let c = &mut sess.half[0];
        if seq_gt(end, c.next_seq) {
            c.next_seq = end;
        }
        self.handle_data(sess, 0, seq.wrapping_add(1), payload, true, sink, out);
    }

    /// Midstream pickup from a packet with ACK set. Roles follow the flow's orientation (the
    /// flow's first packet is taken as client to server, as Suricata does; app-layer detection
    /// may later call [`TcpSession::reverse_roles`]).
    fn pickup_ack(
        &mut self,
        sess: &mut TcpSession,
        dir: Direction,
        tcp: &TcpInfo,
        out: &mut SegmentOutcome,
    ) {
        sess.reversed = false;
        self.new_session(sess, out, true);
        Self::set_state(sess, TcpState::Established);
        sess.flags |= F_MIDSTREAM | F_SACK_OK;
        let s = dir.index();
        let [a, b] = &mut sess.half;
        let (me, peer) = if s == 0 { (a, b) } else { (b, a) };
        me.wscale = WSCALE_MAX;
        peer.wscale = WSCALE_MAX;
        me.init_isn(tcp.seq.wrapping_sub(1));
        me.window = u32::from(tcp.window) << WSCALE_MAX;
        me.next_win = me.last_ack.wrapping_add(UNKNOWN_WINDOW);
        peer.init_isn(tcp.ack.wrapping_sub(1));
        peer.next_win = peer.last_ack.wrapping_add(me.window.max(1));
    }

    fn dispatch<S: StreamSink>(
        &mut self,
        sess: &mut TcpSession,
        pkt: &Pkt<'_>,
        sink: &mut S,
        out: &mut SegmentOutcome,
    ) {
        match sess.state {
            TcpState::None => {}
            TcpState::SynSent => self.state_syn_sent(sess, pkt, sink, out),
            TcpState::SynRecv => self.state_syn_recv(sess, pkt, sink, out),
            TcpState::Closed => self.state_closed(sess, pkt, sink, out),
            _ => self.state_open(sess, pkt, sink, out),
        }
    }

    // ---------------------------------------------------------------- state: syn_sent

    fn state_syn_sent<S: StreamSink>(
        &mut self,
        sess: &mut TcpSession,
        pkt: &Pkt<'_>,
        sink: &mut S,
        out: &mut SegmentOutcome,
    ) {
        let (seq, ack) = (pkt.seq, pkt.ack);
        if pkt.has(tcp_flags::SYN) && pkt.has(tcp_flags::ACK) {
            if pkt.s == 1 {
                let syn_end = sess.half[0].next_seq;
                let has_syn_data = syn_end != sess.half[0].isn.wrapping_add(1);
                let tfo_ok = has_syn_data && ack == syn_end;
                let mut ok = tfo_ok || ack == sess.half[0].isn.wrapping_add(1);
                if ok && has_syn_data && !tfo_ok {
                    // The server did not take the SYN's data: forget it (it will be resent).
                    self.event(out, StreamEvent::ThreeWhsSynackTfoDataIgnored);
                    self.discard_half(sess, 0);
                    let isn = sess.half[0].isn;
                    sess.half[0].next_seq = isn.wrapping_add(1);
                }
                if !ok
                    && let Some(pos) = sess.syn_queue.iter().position(|q| q.wrapping_add(1) == ack)
                {
                    // The SYN/ACK answers an earlier SYN of the client: that one is the real one.
                    let isn = sess.syn_queue.swap_remove(pos);
                    sess.half[0].init_isn(isn);
                    ok = true;
                }
                if !ok {
                    self.invalid(out, Some(StreamEvent::ThreeWhsSynackWithWrongAck));
                    return;
                }
                Self::set_state(sess, TcpState::SynRecv);
                sess.flags &= !F_4WHS;
                sess.syn_queue.clear();
                let [c, sv] = &mut sess.half;
                sv.init_isn(seq);
                sv.window = u32::from(pkt.win);
                sv.syn_wscale = pkt.tcp.options.wscale;
                c.last_ack = ack;
                match (c.syn_wscale, sv.syn_wscale) {
                    (Some(a), Some(b)) => {
                        c.wscale = a.min(WSCALE_MAX);
                        sv.wscale = b.min(WSCALE_MAX);
                    }
                    _ => {
                        c.wscale = 0;
                        sv.wscale = 0;
                    }
                }
                if !pkt.tcp.options.sack_permitted {
                    sess.flags &= !F_SACK_OK;
                }
                c.next_win = c.last_ack.wrapping_add(sv.window);
                sv.next_win = sv.last_ack.wrapping_add(c.window);
                if tfo_ok {
                    self.release_half(sess, 0, false, sink, out);
                }
            } else if sess.has(F_4WHS) {
                // Split handshake: the client answers the server's SYN with a SYN/ACK.
                if ack != sess.half[1].isn.wrapping_add(1) {
                    self.invalid(out, Some(StreamEvent::FourWhsSynackWithWrongAck));
                    return;
                }
                if seq != sess.half[0].isn {
                    self.invalid(out, Some(StreamEvent::FourWhsSynackWithWrongSyn));
                    return;
                }
                Self::set_state(sess, TcpState::SynRecv);
                let [c, sv] = &mut sess.half;
                c.window = u32::from(pkt.win);
                sv.last_ack = ack;
                match (sv.syn_wscale, pkt.tcp.options.wscale) {
                    (Some(a), Some(b)) => {
                        sv.wscale = a.min(WSCALE_MAX);
                        c.wscale = b.min(WSCALE_MAX);
                    }
                    _ => {
                        c.wscale = 0;
                        sv.wscale = 0;
                    }
                }
                c.next_win = c.last_ack.wrapping_add(sv.window);
                sv.next_win = sv.last_ack.wrapping_add(c.window);
            } else {
                self.invalid(out, Some(StreamEvent::ThreeWhsSynackInWrongDirection));
            }
        } else if pkt.has(tcp_flags::RST) {
            let valid = if pkt.s == 1 {
                pkt.has(tcp_flags::ACK) && ack == sess.half[0].isn.wrapping_add(1)
            } else {
                seq == sess.half[0].isn || seq == sess.half[0].isn.wrapping_add(1)
            };
            if valid {
                self.close_by_rst(sess, pkt.s);
            } else {
                self.invalid(out, Some(StreamEvent::RstInvalidAck));
            }
        } else if pkt.has(tcp_flags::FIN) {
            // Nothing to do before the handshake (as Suricata).
        } else if pkt.has(tcp_flags::SYN) {
            if pkt.s == 1 {
                // A SYN from the server: split handshake ("TCP portals").
                sess.flags |= F_4WHS;
                let sv = &mut sess.half[1];
                sv.init_isn(seq);
                sv.window = u32::from(pkt.win);
                sv.syn_wscale = pkt.tcp.options.wscale;
            } else if seq == sess.half[0].isn {
                out.retransmission = true;
                self.stats.retransmissions += 1;
                self.syn_data(sess, seq, pkt.payload, sink, out);
            } else if sess.syn_queue.len() >= self.config.max_syn_queued {
                self.invalid(out, Some(StreamEvent::ThreeWhsSynFlood));
            } else {
                // A different SYN: remember the old one, follow the newest (as Suricata).
                let old = sess.half[0].isn;
                sess.syn_queue.push(old);
                self.discard_half(sess, 0);
                let c = &mut sess.half[0];
                c.init_isn(seq);
                c.window = u32::from(pkt.win);
                c.syn_wscale = pkt.tcp.options.wscale;
                self.syn_data(sess, seq, pkt.payload, sink, out);
            }
        } else if pkt.has(tcp_flags::ACK) {
            if !self.config.async_oneside || pkt.s != 0 {
                return;
            }
            if seq != sess.half[0].next_seq {
                self.invalid(out, Some(StreamEvent::ThreeWhsAsyncWrongSeq));
                return;
            }
            // One-sided: the SYN/ACK is not visible.
            sess.flags |= F_ASYNC;
            Self::set_state(sess, TcpState::Established);
            let [c, sv] = &mut sess.half;
            sv.init_isn(ack.wrapping_sub(1));
            sv.next_win = sv.last_ack.wrapping_add(UNKNOWN_WINDOW);
            c.next_win = c.last_ack.wrapping_add(UNKNOWN_WINDOW);
            if c.syn_wscale.is_some() {
                c.wscale = WSCALE_MAX;
                sv.wscale = WSCALE_MAX;
            }
            self.state_open(sess, pkt, sink, out);
        }
    }

    // ---------------------------------------------------------------- state: syn_recv

    fn state_syn_recv<S: StreamSink>(
        &mut self,
        sess: &mut TcpSession,
        pkt: &Pkt<'_>,
        sink: &mut S,
        out: &mut SegmentOutcome,
    ) {
        let (seq, ack, s) = (pkt.seq, pkt.ack, pkt.s);
        if pkt.has(tcp_flags::RST) {
            if self.validate_rst(sess, pkt, out) {
                self.close_by_rst(sess, s);
            } else {
                out.invalid = true;
            }
        } else if pkt.has(tcp_flags::FIN) {
            self.state_open(sess, pkt, sink, out);
        } else if pkt.has(tcp_flags::SYN) && pkt.has(tcp_flags::ACK) {
            if s == 0 {
                if !sess.has(F_4WHS) {
                    self.invalid(out, Some(StreamEvent::ThreeWhsSynackToserverOnSynRecv));
                }
            } else if ack != sess.half[0].isn.wrapping_add(1) {
                self.invalid(out, Some(StreamEvent::ThreeWhsSynackResendWithDifferentAck));
            } else if seq != sess.half[1].isn {
                self.invalid(out, Some(StreamEvent::ThreeWhsSynackResendWithDiffSeq));
            } else {
                out.retransmission = true;
                self.stats.retransmissions += 1;
            }
        } else if pkt.has(tcp_flags::SYN) {
            if s == 1 {
                self.invalid(out, Some(StreamEvent::ThreeWhsSynToclientOnSynRecv));
            } else if seq != sess.half[0].isn {
                self.invalid(out, Some(StreamEvent::ThreeWhsSynResendDiffSeqOnSynRecv));
            } else {
                out.retransmission = true;
                self.stats.retransmissions += 1;
            }
        } else if pkt.has(tcp_flags::ACK) {
            if sess.has(F_4WHS) && s == 1 {
                if seq != sess.half[1].next_seq {
                    self.invalid(out, Some(StreamEvent::FourWhsWrongSeq));
                    return;
                }
                if !self.ack_valid(sess, pkt) {
                    self.invalid(out, Some(StreamEvent::FourWhsInvalidAck));
                    return;
                }
                Self::set_state(sess, TcpState::Established);
                self.state_open(sess, pkt, sink, out);
                return;
            }
            let c_next = sess.half[0].next_seq;
            let sv_next = sess.half[1].next_seq;
            let mut missed_ack = false;
            if s == 1 && !sess.has(F_MIDSTREAM_SYNACK) && !sess.has(F_4WHS) {
                if self.config.inline {
                    if !pkt.payload.is_empty() && ack == sess.half[0].last_ack && seq == sv_next {
                        self.invalid(out, Some(StreamEvent::ThreeWhsAckDataInject));
                    } else {
                        self.invalid(out, Some(StreamEvent::ThreeWhsAckInWrongDir));
                    }
                    return;
                }
                missed_ack = true;
            }
            let establish = if s == 0 && seq == c_next && ack == sv_next {
                true
            } else if s == 0 && seq == c_next {
                sess.flags |= F_EVASION_ATTEMPT;
                self.invalid(out, Some(StreamEvent::ThreeWhsRightSeqWrongAckEvasion));
                return;
            } else if s == 0
                && seq_gt(seq, c_next)
                && seq_leq(seq, sess.half[0].next_win)
                && ack == sv_next
            {
                true
            } else if s == 1 && (missed_ack || sess.has(F_MIDSTREAM_SYNACK)) {
                ack == sess.half[0].last_ack && seq == sv_next
            } else {
                false
            };
            let async_server = s == 1 && self.config.async_oneside && seq == sv_next;
            if establish || async_server {
                if !establish {
                    sess.flags |= F_ASYNC;
                }
                Self::set_state(sess, TcpState::Established);
                self.state_open(sess, pkt, sink, out);
            } else {
                self.invalid(out, Some(StreamEvent::ThreeWhsWrongSeqWrongAck));
            }
        }
    }

    // ---------------------------------------------------------------- state: closed

    fn state_closed<S: StreamSink>(
        &mut self,
        sess: &mut TcpSession,
        pkt: &Pkt<'_>,
        sink: &mut S,
        out: &mut SegmentOutcome,
    ) {
        if pkt.has(tcp_flags::RST) || pkt.has(tcp_flags::SYN) {
            return;
        }
        if sess.has(F_CLOSED_BY_RST) && usize::from(sess.rst_sender) == pkt.s {
            // The supposed sender of the RST keeps talking: the RST was not its own.
            self.event(out, StreamEvent::SuspectedRstInject);
            sess.flags &= !F_CLOSED_BY_RST;
            sess.state = sess.prev_state;
            for h in sess.half.iter_mut() {
                if h.fin_seq.is_none() {
                    h.release_all = false;
                }
            }
            if sess.state != TcpState::Closed {
                self.dispatch(sess, pkt, sink, out);
            }
        }
    }

    // ---------------------------------------------------------------- established & closing

    fn state_open<S: StreamSink>(
        &mut self,
        sess: &mut TcpSession,
        pkt: &Pkt<'_>,
        sink: &mut S,
        out: &mut SegmentOutcome,
    ) {
        let st = sess.state;
        let (s, p) = (pkt.s, pkt.p());
        let (seq, ack) = (pkt.seq, pkt.ack);
        let len = pkt.len();
        let end = pkt.end();

        if pkt.has(tcp_flags::RST) {
            if !self.validate_rst(sess, pkt, out) {
                out.invalid = true;
                return;
            }
            if !pkt.payload.is_empty() {
                self.event(out, StreamEvent::RstWithData);
            }
            self.update_from_packet(sess, pkt);
            self.close_by_rst(sess, s);
            self.release_half(sess, p, false, sink, out);
            self.handle_data(sess, s, seq, pkt.payload, false, sink, out);
            self.release_half(sess, s, false, sink, out);
            return;
        }
        if pkt.has(tcp_flags::FIN) && pkt.has(tcp_flags::SYN) {
            self.invalid(out, Some(StreamEvent::FinSyn));
            return;
        }
        if pkt.has(tcp_flags::SYN) {
            let ev = if st == TcpState::Established || st == TcpState::SynRecv {
                if pkt.has(tcp_flags::ACK) {
                    if s == 0 {
                        Some(StreamEvent::EstSynackToserver)
                    } else if ack != sess.half[0].isn.wrapping_add(1) {
                        Some(StreamEvent::EstSynackResendWithDifferentAck)
                    } else if seq != sess.half[1].isn {
                        Some(StreamEvent::EstSynackResendWithDiffSeq)
                    } else if sess.has(F_3WHS_CONFIRMED) {
                        Some(StreamEvent::EstSynackResend)
                    } else {
                        None
                    }
                } else if s == 1 {
                    Some(StreamEvent::EstSynToclient)
                } else if seq != sess.half[0].isn {
                    Some(StreamEvent::EstSynResendDiffSeq)
                } else {
                    Some(StreamEvent::EstSynResend)
                }
            } else {
                Some(StreamEvent::ShutdownSynResend)
            };
            match ev {
                Some(e) => self.invalid(out, Some(e)),
                None => {
                    out.retransmission = true;
                    self.stats.retransmissions += 1;
                }
            }
            return;
        }
        let is_fin = pkt.has(tcp_flags::FIN);
        if !pkt.has(tcp_flags::ACK) && !is_fin {
            // Segments without ACK are dropped by receivers in synchronized states.
            return;
        }
        // Keep-alive: zero or one garbage byte one before the next sequence number.
        if !is_fin
            && len <= 1
            && seq == sess.half[s].next_seq.wrapping_sub(1)
            && ack == sess.half[p].last_ack
        {
            self.stats.keepalives += 1;
            return;
        }
        if pkt.has(tcp_flags::ACK) && !self.ack_valid(sess, pkt) {
            self.event(out, StreamEvent::PktInvalidAck);
            let e = if is_fin {
                fin_invalid_ack_event(st)
            } else {
                invalid_ack_event(st)
            };
            self.invalid(out, Some(e));
            return;
        }
        let checks_off = self.window_checks_off(sess);
        if is_fin {
            match sess.half[s].fin_seq {
                Some(f) if end != f => {
                    self.invalid(out, Some(fin_wrong_seq_event(st)));
                    return;
                }
                Some(_) => {}
                None => {
                    let h = &sess.half[s];
                    let in_window =
                        seq_geq(end, h.last_ack) && (checks_off || seq_leq(end, h.next_win));
                    if !in_window {
                        let e = if st == TcpState::CloseWait {
                            StreamEvent::ClosewaitFinOutOfWindow
                        } else {
                            StreamEvent::FinOutOfWindow
                        };
                        self.invalid(out, Some(e));
                        return;
                    }
                }
            }
        } else if len > 0 {
            let h = &sess.half[s];
            if seq_lt(end, h.last_ack)
                && !sess.has(F_ASYNC)
                && !(seq_gt(h.last_ack, h.next_seq) && seq_gt(end, h.next_seq))
            {
                // Retransmission of data the receiver already acknowledged.
                out.retransmission = true;
                self.stats.retransmissions += 1;
                self.event(out, StreamEvent::PktRetransmission);
                let e = if st == TcpState::CloseWait {
                    StreamEvent::ClosewaitPktBeforeLastAck
                } else {
                    StreamEvent::EstPktBeforeLastAck
                };
                self.invalid(out, Some(e));
                return;
            }
            if let Some(f) = h.fin_seq
                && seq_gt(end, f)
            {
                // Data beyond the sender's own FIN.
                self.invalid(out, Some(wrong_seq_event(st)));
                return;
            }
            let zero_window_probe = len == 1 && seq == h.next_seq && sess.half[p].window == 0;
            if !checks_off && !zero_window_probe && seq_gt(end, h.next_win) {
                let e = if st == TcpState::CloseWait {
                    StreamEvent::ClosewaitAckOutOfWindow
                } else {
                    StreamEvent::EstPacketOutOfWindow
                };
                self.invalid(out, Some(e));
                return;
            }
        }

        // Accepted.
        self.update_from_packet(sess, pkt);
        if is_fin && sess.half[s].fin_seq.is_none() {
            let h = &mut sess.half[s];
            h.fin_seq = Some(end);
            h.release_all = true;
        }
        if s == 1 && st == TcpState::Established {
            sess.flags |= F_3WHS_CONFIRMED;
        }
        // As Suricata: first the data this packet acknowledges, then the packet's own data.
        self.release_half(sess, p, false, sink, out);
        self.handle_data(sess, s, seq, pkt.payload, false, sink, out);
        self.release_half(sess, s, false, sink, out);
        Self::advance_close_state(sess);
    }

    /// Applies the FIN/ACK bookkeeping to the connection state (server's point of view).
    fn advance_close_state(sess: &mut TcpSession) {
        for _ in 0..4 {
            let cf = sess.half[0].fin_seq.is_some();
            let sf = sess.half[1].fin_seq.is_some();
            let ca = sess.half[0].fin_acked;
            let sa = sess.half[1].fin_acked;
            let next = match sess.state {
                TcpState::SynRecv | TcpState::Established => {
                    if cf {
                        TcpState::CloseWait
                    } else if sf {
                        TcpState::FinWait1
                    } else {
                        sess.state
                    }
                }
                TcpState::FinWait1 => {
                    if cf {
                        if sa {
                            TcpState::TimeWait
                        } else {
                            TcpState::Closing
                        }
                    } else if sa {
                        TcpState::FinWait2
                    } else {
                        TcpState::FinWait1
                    }
                }
                TcpState::FinWait2 => {
                    if cf {
                        TcpState::TimeWait
                    } else {
                        TcpState::FinWait2
                    }
                }
                TcpState::Closing => {
                    if sa || ca {
                        TcpState::TimeWait
                    } else {
                        TcpState::Closing
                    }
                }
                TcpState::TimeWait => {
                    if sa && ca {
                        TcpState::Closed
                    } else {
                        TcpState::TimeWait
                    }
                }
                TcpState::CloseWait => {
                    if sf {
                        TcpState::LastAck
                    } else {
                        TcpState::CloseWait
                    }
                }
                TcpState::LastAck => {
                    if sa {
                        TcpState::Closed
                    } else {
                        TcpState::LastAck
                    }
                }
                other => other,
            };
            if next == sess.state {
                break;
            }
            Self::set_state(sess, next);
        }
    }

    fn close_by_rst(&mut self, sess: &mut TcpSession, s: usize) {
        Self::set_state(sess, TcpState::Closed);
        sess.flags |= F_CLOSED_BY_RST;
        sess.rst_sender = s as u8;
        for h in sess.half.iter_mut() {
            h.release_all = true;
        }
        self.stats.rst_closed += 1;
    }

    /// Suricata's ACK validation: the acknowledgement must lie within what the acknowledged
    /// side may have sent.
    fn ack_valid(&self, sess: &TcpSession, pkt: &Pkt<'_>) -> bool {
        if !pkt.has(tcp_flags::ACK) || sess.has(F_ASYNC) {
            return true;
        }
        let h = &sess.half[pkt.p()];
        let ack = pkt.ack;
        if seq_gt(ack, h.last_ack) && seq_leq(ack, h.next_win) {
            return true;
        }
        if ack == h.last_ack {
            return true;
        }
        if seq_lt(ack, h.last_ack) {
            let w = sess.half[pkt.s].window;
            return w == 0 || !seq_lt(ack, h.last_ack.wrapping_sub(w));
        }
        false
    }

    /// RST acceptance, by the receiving host's policy (as Suricata's `StreamTcpValidateRst`).
    fn validate_rst(&mut self, sess: &TcpSession, pkt: &Pkt<'_>, out: &mut SegmentOutcome) -> bool {
        if pkt.has(tcp_flags::ACK) && pkt.ack != 0 && !self.ack_valid(sess, pkt) {
            self.event(out, StreamEvent::RstInvalidAck);
            return false;
        }
        let h = &sess.half[pkt.s];
        let seq = pkt.seq;
        if sess.has(F_ASYNC) {
            return seq_geq(seq, h.next_seq);
        }
        match self.config.policy {
            OverlapPolicy::Hpux11 => seq_geq(seq, h.next_seq),
            OverlapPolicy::OldLinux
            | OverlapPolicy::Linux
            | OverlapPolicy::Solaris
            | OverlapPolicy::OldSolaris => {
                let win = sess.half[pkt.p()].window;
                seq_geq(pkt.end(), h.last_ack) && seq_lt(seq, h.next_seq.wrapping_add(win))
            }
            _ => {
                // Suricata parity: it does not count the client's FIN in the client's next
                // sequence number until the server acknowledges it, so until then a client RST
                // must carry the FIN's own sequence number (the server's FIN always counts).
                let expect = match h.fin_seq {
                    Some(f) if pkt.s == 0 && !h.fin_acked => f,
                    _ => h.next_seq,
                };
                seq == expect
            }
        }
    }

    /// Records what an accepted packet tells: its sender's window and highest sequence number,
    /// the acknowledgement of the peer's data.
    fn update_from_packet(&mut self, sess: &mut TcpSession, pkt: &Pkt<'_>) {
        let (s, p) = (pkt.s, pkt.p());
        let is_async = sess.has(F_ASYNC);
        let [a, b] = &mut sess.half;
        let (me, peer) = if s == 0 { (a, b) } else { (b, a) };
        me.window = u32::from(pkt.win) << me.wscale.min(WSCALE_MAX);
        if pkt.has(tcp_flags::ACK) {
            if seq_gt(pkt.ack, peer.last_ack) {
                peer.last_ack = pkt.ack;
            }
            peer.next_win = seq_max(peer.next_win, peer.last_ack.wrapping_add(me.window));
            if let Some(f) = peer.fin_seq
                && seq_gt(pkt.ack, f)
            {
                peer.fin_acked = true;
            }
        }
        let mut end = pkt.end();
        if pkt.has(tcp_flags::FIN) {
            end = end.wrapping_add(1);
        }
        if seq_gt(end, me.next_seq) {
            me.next_seq = end;
        }
        if is_async && seq_gt(me.next_seq, me.last_ack) {
            // The peer's ACKs are not visible: treat what was sent as acknowledged.
            me.last_ack = me.next_seq;
        }
        let _ = p;
    }

    /// Gives a segment's payload to the sender's reassembly buffer.
    #[allow(clippy::too_many_arguments)]
    fn handle_data<S: StreamSink>(
        &mut self,
        sess: &mut TcpSession,
        s: usize,
        seq: u32,
        payload: &[u8],
        hold: bool,
        sink: &mut S,
        out: &mut SegmentOutcome,
    ) {
        if payload.is_empty() {
            return;
        }
        let mut data = payload;
        let start = sess.half[s].offset_of(seq);
        let depth = self.config.depth;
        if depth > 0 {
            let d = i64::try_from(depth).unwrap_or(i64::MAX);
            let end = start.saturating_add(data.len() as i64);
            if end > d {
                let keep = (d - start).clamp(0, data.len() as i64) as usize;
                self.stats.depth_bytes_dropped += (data.len() - keep) as u64;
                data = data.get(..keep).unwrap_or(&[]);
                if !sess.half[s].depth_reached {
                    sess.half[s].depth_reached = true;
                    self.stats.depth_reached += 1;
                    self.event(out, StreamEvent::ReassemblyDepthReached);
                }
                if data.is_empty() {
                    return;
                }
            }
        }
        self.stats.segments += 1;
        self.stats.segment_bytes += data.len() as u64;
        let data_limit = if hold { 0 } else { self.data_limit(sess, s) };
        let mut d = Delivered::default();
        let res = {
            let TcpSession {
                half, held, mem, ..
            } = sess;
            let Some(h) = half.get_mut(s) else { return };
            let mut env = Env {
                policy: self.config.policy,
                inline: self.config.inline,
                max_segs: self.config.max_queued_segments_per_direction,
                mem: sess_mem(&self.mem, mem),
                held,
                pool: &mut self.pool,
                scratch: &mut self.scratch,
            };
            let res = h
                .reasm
                .ingest(&mut env, role_dir(s), start, data, data_limit, sink, &mut d);
            h.max_regions = h.max_regions.max(h.reasm.streaming_regions());
            res
        };
        self.account(out, res);
        self.stats.bytes_delivered += d.bytes;
    }

    fn account(&mut self, out: &mut SegmentOutcome, res: InsertResult) {
        if res.overlap {
            self.stats.overlaps += 1;
        }
        if res.different {
            self.stats.overlaps_different_data += 1;
            self.event(out, StreamEvent::ReassemblyOverlapDifferentData);
        }
        if res.before_base {
            self.event(out, StreamEvent::ReassemblySegmentBeforeBaseSeq);
        }
        if res.retransmission && !res.different {
            out.retransmission = true;
            self.stats.retransmissions += 1;
            self.event(out, StreamEvent::PktRetransmission);
        }
        if res.memcap {
            self.stats.memcap_drops += 1;
            self.event(out, StreamEvent::ReassemblyInsertMemcap);
        }
        if res.limit {
            self.stats.segment_limit_drops += 1;
            self.event(out, StreamEvent::ReassemblyInsertLimit);
        }
        self.stats.evicted_bytes += res.evicted;
    }

    fn data_limit(&self, sess: &TcpSession, i: usize) -> u64 {
        let h = &sess.half[i];
        if self.config.inline || h.release_all {
            u64::MAX
        } else {
            h.acked_offset()
        }
    }

    /// Releases what may be released in direction `i` (everything, with gaps, when `flush`).
    fn release_half<S: StreamSink>(
        &mut self,
        sess: &mut TcpSession,
        i: usize,
        flush: bool,
        sink: &mut S,
        out: &mut SegmentOutcome,
    ) {
        let data_limit = if flush {
            u64::MAX
        } else {
            self.data_limit(sess, i)
        };
        let acked = sess.half[i].acked_offset();
        // Gaps up to the acknowledged point are real losses (Suricata's `*_gap`); at flush the
        // remaining holes are skipped too, counted but not flagged.
        let mut d = Delivered::default();
        let mut tail = Delivered::default();
        {
            let TcpSession {
                half, held, mem, ..
            } = sess;
            let Some(h) = half.get_mut(i) else { return };
            let mut env = Env {
                policy: self.config.policy,
                inline: self.config.inline,
                max_segs: self.config.max_queued_segments_per_direction,
                mem: sess_mem(&self.mem, mem),
                held,
                pool: &mut self.pool,
                scratch: &mut self.scratch,
            };
            h.reasm
                .release(&mut env, role_dir(i), data_limit, acked, sink, &mut d);
            if flush {
                h.reasm
                    .release(&mut env, role_dir(i), u64::MAX, u64::MAX, sink, &mut tail);
            }
        }
        self.stats.bytes_delivered += d.bytes + tail.bytes;
        self.stats.gaps += d.gaps + tail.gaps;
        self.stats.gap_bytes += d.gap_bytes + tail.gap_bytes;
        if d.gaps > 0 {
            sess.half[i].had_gap = true;
        }
        if d.gaps + tail.gaps > 0 {
            self.event(out, StreamEvent::ReassemblySeqGap);
        }
        let h = &mut sess.half[i];
        if let Some(f) = h.fin_seq
            && !h.close_notified
        {
            let fin_off = h.offset_of(f);
            if fin_off >= 0 && h.reasm.delivered() >= fin_off as u64 {
                h.close_notified = true;
                sink.on_close(role_dir(i));
            }
        }
    }
}

/// The memory budget a session charges: the one it is attached to, else the engine's.
fn sess_mem<'a>(
    engine: &'a Arc<StreamMemory>,
    sess: &'a Option<Arc<StreamMemory>>,
) -> &'a StreamMemory {
    match sess {
        Some(m) => m,
        None => engine,
    }
}

fn invalid_ack_event(st: TcpState) -> StreamEvent {
    match st {
        TcpState::FinWait1 => StreamEvent::Fin1InvalidAck,
        TcpState::FinWait2 => StreamEvent::Fin2InvalidAck,
        TcpState::Closing => StreamEvent::ClosingInvalidAck,
        TcpState::CloseWait => StreamEvent::ClosewaitInvalidAck,
        TcpState::LastAck => StreamEvent::LastackInvalidAck,
        TcpState::TimeWait => StreamEvent::TimewaitInvalidAck,
        _ => StreamEvent::EstInvalidAck,
    }
}

fn fin_invalid_ack_event(st: TcpState) -> StreamEvent {
    match st {
        TcpState::FinWait1 => StreamEvent::Fin1InvalidAck,
        TcpState::FinWait2 => StreamEvent::Fin2InvalidAck,
        TcpState::CloseWait => StreamEvent::ClosewaitInvalidAck,
        _ => StreamEvent::FinInvalidAck,
    }
}

fn fin_wrong_seq_event(st: TcpState) -> StreamEvent {
    match st {
        TcpState::FinWait2 => StreamEvent::Fin2FinWrongSeq,
        TcpState::CloseWait => StreamEvent::ClosewaitFinOutOfWindow,
        _ => StreamEvent::Fin1FinWrongSeq,
    }
}

fn wrong_seq_event(st: TcpState) -> StreamEvent {
    match st {
        TcpState::FinWait1 => StreamEvent::Fin1AckWrongSeq,
        TcpState::FinWait2 => StreamEvent::Fin2AckWrongSeq,
        TcpState::Closing => StreamEvent::ClosingAckWrongSeq,
        TcpState::CloseWait => StreamEvent::ClosewaitAckOutOfWindow,
        TcpState::LastAck => StreamEvent::LastackAckWrongSeq,
        TcpState::TimeWait => StreamEvent::TimewaitAckWrongSeq,
        _ => StreamEvent::EstPacketOutOfWindow,
    }
}
