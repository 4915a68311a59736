//! The flow table: lookup/creation per packet, expiry driven by packet time, memory cap with
//! emergency mode and least-recently-active eviction.
//!
//! Storage is a slab of slots indexed by `u32`, with a `hashbrown::HashTable<u32>` as the index
//! (keys live only in the slab). The hash is `ahash` with a random per-run seed, as a defence
//! against hash flooding. Every live flow is also on one of twelve intrusive lists, one per (protocol
//! class × state). All flows on a list share one timeout, so each list kept in order of last
//! activity is also in timeout order. Expiry then only looks at list heads: cost O(expired + 12),
//! at most once per second of packet time. The globally least recently active flow is the
//! oldest of the twelve heads. Packets move their flow to the tail of its list in O(1).
//! Nothing is allocated per packet: slots, the index and the queue of ended flows keep their
//! capacity, which is bounded by the configured limit.

use std::collections::VecDeque;
use std::hash::BuildHasher;

use hashbrown::HashTable;
use sekimori_capture::Timestamp;
use sekimori_decode::{Decoded, tcp_flags};

use crate::config::{FlowConfig, FlowTimeouts, ProtoClass};
use crate::direction::Direction;
use crate::error::FlowError;
use crate::flow::{EndReason, EndedFlow, Flow, FlowAction, FlowState};
use crate::key::{Classified, FlowKey, PacketTuple, proto};

const NIL: u32 = u32::MAX;
const NLISTS: usize = 12;
/// How far back from a list's tail an insertion may walk to keep the list sorted when packet times
/// go backwards. The bound keeps hostile timestamp orders from making insertion O(n); a flow
/// placed slightly out of order only expires a little late.
const MAX_SORT_STEPS: u32 = 8;

/// Counters of the flow table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowStats {
    /// Packets passed to `lookup`.
    pub packets: u64,
    /// Packets that get no flow (no IP, fragment, undecoded or unsupported transport, ICMPv4
    /// error without a matching flow).
    pub no_flow: u64,
    /// Flows created.
    pub created: u64,
    /// Flows created per protocol class: default (everything else, ICMPv6 included).
    pub created_other: u64,
    /// Flows created for TCP.
    pub created_tcp: u64,
    /// Flows created for UDP.
    pub created_udp: u64,
    /// Flows created for ICMPv4.
    pub created_icmp: u64,
    /// Flows ended by timeout (excluding TCP reuse).
    pub ended_timeout: u64,
    /// Flows ended at shutdown (`drain`).
    pub ended_shutdown: u64,
    /// Flows ended by forced eviction under the memory cap.
    pub ended_forced: u64,
    /// Flows ended because a new TCP session reused their tuple (Suricata's `flow.tcp_reuse`).
    pub tcp_reuse: u64,
    /// Flows in the table now.
    pub active: u64,
    /// Highest number of flows held at once.
    pub active_max: u64,
    /// Flows evicted to make room (equals `ended_forced`).
    pub emergency_evictions: u64,
    /// Times emergency mode was entered.
    pub emergency_entered: u64,
    /// Packets that got no flow because of the cap (in emergency mode with midstream on, a TCP
    /// packet other than a plain SYN may not create a flow).
    pub memcap_drops: u64,
    /// ICMPv4 unreachable packets counted in the flow of their embedded packet.
    pub icmp_error_mapped: u64,
    /// ICMPv4 unreachable packets whose embedded packet matched no flow.
    pub icmp_error_unmatched: u64,
    /// TCP flows oriented from a SYN/ACK first packet (midstream).
    pub synack_swaps: u64,
}

/// A stable reference to a flow in the table. It goes stale once the flow has ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FlowHandle {
    idx: u32,
    generation: u32,
}

/// The result of a lookup: the flow, the packet's direction in it, and how it was found.
#[derive(Debug)]
pub struct FlowHit<'a, T> {
    /// The flow (counters already include this packet).
    pub flow: &'a mut Flow<T>,
    /// Direction of this packet relative to the flow's client.
    pub dir: Direction,
    /// The flow was created by this packet.
    pub created: bool,
    /// This is the first packet counted as "seen" in `dir` (Suricata's TOSERVER/TOCLIENT_FIRST).
    pub first_in_dir: bool,
    /// The packet is an ICMPv4 unreachable counted in the flow of its embedded packet; it must not
    /// go to that flow's TCP/UDP layers.
    pub icmp_error: bool,
    /// Handle for finding the flow again later.
    pub handle: FlowHandle,
}

struct Slot<T> {
    flow: Option<Flow<T>>,
    hash: u64,
    prev: u32,
    next: u32,
    list: u8,
    generation: u32,
}

/// The bidirectional flow table. `T` is the per-flow state of later layers.
pub struct FlowTable<T> {
    cfg: FlowConfig,
    timeouts: FlowTimeouts,
    hasher: ahash::RandomState,
    index: HashTable<u32>,
    slots: Vec<Slot<T>>,
    free_head: u32,
    heads: [u32; NLISTS],
    tails: [u32; NLISTS],
    capacity: usize,
    active: usize,
    emergency: bool,
    last_expire_secs: Option<i64>,
    now: Timestamp,
    touched: u32,
    pending: VecDeque<EndedFlow<T>>,
    id_seed: u64,
    id_counter: u64,
    stats: FlowStats,
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A bijection on 51-bit integers (odd multiplications and xor-shifts modulo 2^51), so distinct
/// counters give distinct, random-looking ids below 2^51.
fn permute51(x: u64) -> u64 {
    const M: u64 = (1 << 51) - 1;
    let mut v = x & M;
    v = v.wrapping_mul(0x5851_f42d_4c95_7f2d) & M;
    v ^= v >> 26;
    v = v.wrapping_mul(0x2545_f491_4f6c_dd1d) & M;
    v ^= v >> 23;
    v = v.wrapping_mul(0x9e37_79b9_7f4a_7c15 | 1) & M;
    v
}

fn list_index(key_proto: u8, state: FlowState) -> usize {
    (ProtoClass::of(key_proto) as usize) * 3 + state.index()
}

fn list_class_state(list: usize) -> (ProtoClass, FlowState) {
    let class = match list / 3 {
        0 => ProtoClass::Default,
        1 => ProtoClass::Tcp,
        2 => ProtoClass::Udp,
        _ => ProtoClass::Icmp,
    };
    let state = match list % 3 {
        0 => FlowState::New,
        1 => FlowState::Established,
        _ => FlowState::Closed,
    };
    (class, state)
}

/// True for a TCP packet that may start a session: SYN without ACK/RST/FIN, or (midstream) SYN/ACK
/// without RST/FIN. Suricata's `TcpSessionPacketIsStreamStarter`.
fn is_stream_starter(flags: u8, midstream: bool) -> bool {
    use tcp_flags::{ACK, FIN, RST, SYN};
    if flags & (RST | FIN) != 0 {
        return false;
    }
    let sa = flags & (SYN | ACK);
    sa == SYN || (midstream && sa == SYN | ACK)
}

impl<T: Default> FlowTable<T> {
    /// Creates a table. Emergency timeouts above their normal value are clamped to normal / 10,
    /// as Suricata does.
    pub fn new(cfg: FlowConfig) -> Result<Self, FlowError> {
        cfg.validate()?;
        let per = Self::bytes_per_flow();
        let by_mem = if cfg.memcap_bytes == 0 {
            usize::MAX
        } else {
            usize::try_from(cfg.memcap_bytes / per).unwrap_or(usize::MAX)
        };
        let by_count = if cfg.max_flows == 0 {
            usize::MAX
        } else {
            cfg.max_flows
        };
        let capacity = by_mem.min(by_count).min((NIL - 1) as usize);
        if capacity == 0 {
            return Err(FlowError::MemcapTooSmall {
                memcap: cfg.memcap_bytes,
                per_flow: per,
            });
        }
        let mut timeouts = cfg.timeouts;
        timeouts.clamp_emergency();
        let seeds: [u64; 5] = match cfg.seed {
            Some(s) => {
                let a = splitmix(s);
                let b = splitmix(a);
                let c = splitmix(b);
                let d = splitmix(c);
                [a, b, c, d, splitmix(d)]
            }
            None => {
                let rs = std::collections::hash_map::RandomState::new();
                [0u64, 1, 2, 3, 4].map(|i| rs.hash_one(i))
            }
        };
        let [s0, s1, s2, s3, s4] = seeds;
        let prealloc = cfg.prealloc.min(capacity);
        Ok(FlowTable {
            hasher: ahash::RandomState::with_seeds(s0, s1, s2, s3),
            index: HashTable::with_capacity(prealloc),
            slots: Vec::with_capacity(prealloc),
            free_head: NIL,
            heads: [NIL; NLISTS],
            tails: [NIL; NLISTS],
            capacity,
            active: 0,
            emergency: false,
            last_expire_secs: None,
            now: Timestamp::default(),
            touched: NIL,
            pending: VecDeque::with_capacity(64),
            id_seed: s4,
            id_counter: 0,
            stats: FlowStats::default(),
            timeouts,
            cfg,
        })
    }

    /// Estimated bytes the table spends per flow (slot plus index entry), used for `memcap_bytes`.
    /// Heap memory owned by `T` is not included.
    pub fn bytes_per_flow() -> u64 {
        // index: a u32 plus one control byte per bucket, at a load factor of at most 7/8.
        (std::mem::size_of::<Slot<T>>() + 6) as u64
    }

    /// Finds or creates the flow of a decoded packet, counts the packet, and returns the flow and the
    /// packet's direction. `None` when the packet gets no flow (see [`FlowStats::no_flow`]).
    ///
    /// `pkt_len` is what `bytes_*` counts: the captured frame length, link header included. For a
    /// reassembled datagram use the first fragment's link-header length plus the reassembled IP
    /// length, as Suricata does. `ts` is the packet time; it drives the timeouts.
    ///
    /// With `midstream` on, a TCP flow created by a SYN/ACK is oriented with the SYN/ACK's receiver
    /// as client (the hit's `dir` is `ToClient` and [`Flow::swapped`] is true), as Suricata's stream
    /// engine does on a midstream pickup; the stream layer must not swap it again.
    ///
    /// A TCP stream starter (SYN, or SYN/ACK with midstream) that hits a flow in state `Closed`
    /// ends that flow (reason [`EndReason::TcpReuse`]) and starts a new one. Use
    /// [`FlowTable::lookup_with`] to decide with the TCP session's own view.
    pub fn lookup(
        &mut self,
        d: &Decoded<'_>,
        ts: Timestamp,
        pkt_len: u32,
    ) -> Option<FlowHit<'_, T>> {
        self.lookup_with(d, ts, pkt_len, |f, _, _| f.state == FlowState::Closed)
    }

    /// [`FlowTable::lookup`] with a caller-supplied TCP reuse test. `reuse` is called only for a
    /// TCP stream starter that matches a live flow. It gets the flow, the packet's direction in it,
    /// and the packet. It returns true when the old session is done and this packet starts a new
    /// one. Suricata's rule: no session, session state NONE, or state ≥ LAST_ACK, and the SEQ is
    /// not the ISN of that side (a retransmission).
    pub fn lookup_with(
        &mut self,
        d: &Decoded<'_>,
        ts: Timestamp,
        pkt_len: u32,
        reuse: impl FnOnce(&Flow<T>, Direction, &Decoded<'_>) -> bool,
    ) -> Option<FlowHit<'_, T>> {
        self.reconcile();
        self.stats.packets += 1;
        if ts > self.now {
            self.now = ts;
        }
        match crate::key::classify(d, self.cfg.vlan_tracking) {
            Classified::NoFlow => {
                self.stats.no_flow += 1;
                None
            }
            Classified::IcmpError { key, src } => self.icmp_error(&key, src, ts, pkt_len),
            Classified::Flow(t) => self.packet(&t, d, ts, pkt_len, reuse),
        }
    }

    fn icmp_error(
        &mut self,
        key: &FlowKey,
        src: sekimori_decode::Addr,
        ts: Timestamp,
        pkt_len: u32,
    ) -> Option<FlowHit<'_, T>> {
        let hash = self.hasher.hash_one(key);
        let Some(idx) = self.find(hash, key) else {
            self.stats.icmp_error_unmatched += 1;
            self.stats.no_flow += 1;
            return None;
        };
        if self.timed_out(idx, ts) {
            // Suricata times the old flow out; the error packet may not create a new one.
            self.end(idx, EndReason::Timeout);
            self.stats.icmp_error_unmatched += 1;
            self.stats.no_flow += 1;
            return None;
        }
        self.stats.icmp_error_mapped += 1;
        let slot = self.slots.get_mut(idx as usize)?;
        let generation = slot.generation;
        let flow = slot.flow.as_mut()?;
        let dir = if src == flow.src {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let i = dir.index();
        if let Some(p) = flow.pkts.get_mut(i) {
            *p += 1;
        }
        if let Some(b) = flow.bytes.get_mut(i) {
            *b += u64::from(pkt_len);
        }
        if ts > flow.last {
            flow.last = ts;
        }
        self.refile(idx);
        self.touched = idx;
        let flow = self.slots.get_mut(idx as usize)?.flow.as_mut()?;
        Some(FlowHit {
            flow,
            dir,
            created: false,
            first_in_dir: false,
            icmp_error: true,
            handle: FlowHandle { idx, generation },
        })
    }

    fn packet(
        &mut self,
        t: &PacketTuple,
        d: &Decoded<'_>,
        ts: Timestamp,
        pkt_len: u32,
        reuse: impl FnOnce(&Flow<T>, Direction, &Decoded<'_>) -> bool,
    ) -> Option<FlowHit<'_, T>> {
        let hash = self.hasher.hash_one(t.key);
        let mut found = self.find(hash, &t.key);
        if let Some(idx) = found {
            if self.timed_out(idx, ts) {
                self.end(idx, EndReason::Timeout);
                found = None;
            } else if t.key.proto == proto::TCP
                && is_stream_starter(t.tcp_flags, self.cfg.midstream)
            {
                let reused = match self.slots.get(idx as usize).and_then(|s| s.flow.as_ref()) {
                    Some(f) => reuse(f, f.direction_of(t.src, t.sport), d),
                    None => false,
                };
                if reused {
                    self.end(idx, EndReason::TcpReuse);
                    found = None;
                }
            }
        }
        let (idx, created) = match found {
            Some(idx) => (idx, false),
            None => (self.create(t, hash, ts)?, true),
        };
        let midstream = self.cfg.midstream;
        let slot = self.slots.get_mut(idx as usize)?;
        let generation = slot.generation;
        let flow = slot.flow.as_mut()?;
        if created
            && midstream
            && t.key.proto == proto::TCP
            && t.tcp_flags & (tcp_flags::RST | tcp_flags::FIN) == 0
            && t.tcp_flags & (tcp_flags::SYN | tcp_flags::ACK) == tcp_flags::SYN | tcp_flags::ACK
        {
            // The SYN was missed: the SYN/ACK's receiver is the client (Suricata's stream engine
            // swaps the flow on a midstream SYN/ACK pickup).
            flow.swap();
            self.stats.synack_swaps += 1;
        }
        let dir = flow.direction_of(t.src, t.sport);
        let i = dir.index();
        if let Some(p) = flow.pkts.get_mut(i) {
            *p += 1;
        }
        if let Some(b) = flow.bytes.get_mut(i) {
            *b += u64::from(pkt_len);
        }
        if let Some(f) = flow.tcp_flags.get_mut(i) {
            *f |= t.tcp_flags;
        }
        let first_in_dir = match flow.seen.get_mut(i) {
            Some(s) if !*s => {
                *s = true;
                true
            }
            _ => false,
        };
        if ts > flow.last {
            flow.last = ts;
        }
        if t.key.proto != proto::TCP && flow.state == FlowState::New && flow.seen[0] && flow.seen[1]
        {
            flow.state = FlowState::Established;
        }
        self.refile(idx);
        self.touched = idx;
        let flow = self.slots.get_mut(idx as usize)?.flow.as_mut()?;
        Some(FlowHit {
            flow,
            dir,
            created,
            first_in_dir,
            icmp_error: false,
            handle: FlowHandle { idx, generation },
        })
    }

    fn create(&mut self, t: &PacketTuple, hash: u64, ts: Timestamp) -> Option<u32> {
        if self.emergency
            && self.cfg.midstream
            && t.key.proto == proto::TCP
            && t.tcp_flags & (tcp_flags::SYN | tcp_flags::ACK | tcp_flags::RST | tcp_flags::FIN)
                != tcp_flags::SYN
        {
            self.stats.memcap_drops += 1;
            self.stats.no_flow += 1;
            return None;
        }
        if self.active >= self.capacity {
            if !self.emergency {
                self.emergency = true;
                self.stats.emergency_entered += 1;
            }
            match self.least_recent() {
                Some(victim) => {
                    self.end(victim, EndReason::Forced);
                    self.stats.emergency_evictions += 1;
                }
                None => {
                    self.stats.memcap_drops += 1;
                    self.stats.no_flow += 1;
                    return None;
                }
            }
        }
        let id = self.next_id();
        let flow = Flow {
            id,
            key: t.key,
            src: t.src,
            dst: t.dst,
            sport: t.sport,
            dport: t.dport,
            vlan: t.vlan,
            vlan_count: t.vlan_count,
            icmp: t.icmp,
            start: ts,
            last: ts,
            pkts: [0; 2],
            bytes: [0; 2],
            tcp_flags: [0; 2],
            seen: [false; 2],
            swapped: false,
            state: FlowState::New,
            alerted: false,
            app_proto: None,
            action: FlowAction::None,
            user: T::default(),
        };
        let idx = if self.free_head != NIL {
            let idx = self.free_head;
            let slot = self.slots.get_mut(idx as usize)?;
            self.free_head = slot.next;
            slot.flow = Some(flow);
            slot.hash = hash;
            slot.prev = NIL;
            slot.next = NIL;
            idx
        } else {
            let idx = u32::try_from(self.slots.len()).ok().filter(|&i| i < NIL)?;
            self.slots.push(Slot {
                flow: Some(flow),
                hash,
                prev: NIL,
                next: NIL,
                list: 0,
                generation: 0,
            });
            idx
        };
        let Self { index, slots, .. } = self;
        index.insert_unique(hash, idx, |&i| slots.get(i as usize).map_or(0, |s| s.hash));
        let list = list_index(t.key.proto, FlowState::New);
        self.link(idx, list);
        self.active += 1;
        self.stats.active = self.active as u64;
        self.stats.active_max = self.stats.active_max.max(self.stats.active);
        self.stats.created += 1;
        match ProtoClass::of(t.key.proto) {
            ProtoClass::Tcp => self.stats.created_tcp += 1,
            ProtoClass::Udp => self.stats.created_udp += 1,
            ProtoClass::Icmp => self.stats.created_icmp += 1,
            ProtoClass::Default => self.stats.created_other += 1,
        }
        Some(idx)
    }

    fn find(&self, hash: u64, key: &FlowKey) -> Option<u32> {
        let slots = &self.slots;
        self.index
            .find(hash, |&i| {
                slots
                    .get(i as usize)
                    .and_then(|s| s.flow.as_ref())
                    .is_some_and(|f| f.key == *key)
            })
            .copied()
    }

    fn next_id(&mut self) -> u64 {
        loop {
            self.id_counter = self.id_counter.wrapping_add(1);
            let v = permute51(self.id_counter ^ self.id_seed);
            if v != 0 {
                return v;
            }
        }
    }

    fn timeout_of(&self, f: &Flow<T>) -> u32 {
        self.timeouts
            .get(ProtoClass::of(f.key.proto), f.state, self.emergency)
    }

    /// Suricata: `timeout_at = secs(last) + timeout`; timed out when `timeout_at < secs(now)`.
    fn timed_out(&self, idx: u32, now: Timestamp) -> bool {
        match self.slots.get(idx as usize).and_then(|s| s.flow.as_ref()) {
            Some(f) => f.last.secs().saturating_add(i64::from(self.timeout_of(f))) < now.secs(),
            None => false,
        }
    }

    fn least_recent(&self) -> Option<u32> {
        let mut best: Option<(Timestamp, u32)> = None;
        for &h in &self.heads {
            if h == NIL {
                continue;
            }
            if let Some(f) = self.slots.get(h as usize).and_then(|s| s.flow.as_ref())
                && best.is_none_or(|(t, _)| f.last < t)
            {
                best = Some((f.last, h));
            }
        }
        best.map(|(_, i)| i)
    }

    fn slot_last(&self, idx: u32) -> Timestamp {
        self.slots
            .get(idx as usize)
            .and_then(|s| s.flow.as_ref())
            .map(|f| f.last)
            .unwrap_or_default()
    }

    /// Appends `idx` to list `list`, walking back a few steps to keep the list sorted by `last`.
    fn link(&mut self, idx: u32, list: usize) {
        let last = self.slot_last(idx);
        let mut after = self.tails.get(list).copied().unwrap_or(NIL);
        let mut steps = 0;
        while after != NIL && steps < MAX_SORT_STEPS && self.slot_last(after) > last {
            after = self.slots.get(after as usize).map_or(NIL, |s| s.prev);
            steps += 1;
        }
        let next = if after == NIL {
            self.heads.get(list).copied().unwrap_or(NIL)
        } else {
            self.slots.get(after as usize).map_or(NIL, |s| s.next)
        };
        if let Some(s) = self.slots.get_mut(idx as usize) {
            s.prev = after;
            s.next = next;
            s.list = list as u8;
        }
        match self.slots.get_mut(after as usize) {
            Some(a) if after != NIL => a.next = idx,
            _ => {
                if let Some(h) = self.heads.get_mut(list) {
                    *h = idx;
                }
            }
        }
        match self.slots.get_mut(next as usize) {
            Some(n) if next != NIL => n.prev = idx,
            _ => {
                if let Some(t) = self.tails.get_mut(list) {
                    *t = idx;
                }
            }
        }
    }

    fn unlink(&mut self, idx: u32) {
        let Some(s) = self.slots.get(idx as usize) else {
            return;
        };
        let (prev, next, list) = (s.prev, s.next, usize::from(s.list));
        match self.slots.get_mut(prev as usize) {
            Some(p) if prev != NIL => p.next = next,
            _ => {
                if let Some(h) = self.heads.get_mut(list) {
                    *h = next;
                }
            }
        }
        match self.slots.get_mut(next as usize) {
            Some(n) if next != NIL => n.prev = prev,
            _ => {
                if let Some(t) = self.tails.get_mut(list) {
                    *t = prev;
                }
            }
        }
        if let Some(s) = self.slots.get_mut(idx as usize) {
            s.prev = NIL;
            s.next = NIL;
        }
    }

    /// Moves a flow to the tail of the list its current protocol class and state select.
    fn refile(&mut self, idx: u32) {
        let Some(list) = self
            .slots
            .get(idx as usize)
            .and_then(|s| s.flow.as_ref())
            .map(|f| list_index(f.key.proto, f.state))
        else {
            return;
        };
        self.unlink(idx);
        self.link(idx, list);
    }

    /// Re-files the flow last handed out by `&mut` if a later layer changed its state meanwhile.
    fn reconcile(&mut self) {
        let idx = std::mem::replace(&mut self.touched, NIL);
        if idx == NIL {
            return;
        }
        let Some(s) = self.slots.get(idx as usize) else {
            return;
        };
        let Some(f) = s.flow.as_ref() else { return };
        if usize::from(s.list) != list_index(f.key.proto, f.state) {
            self.refile(idx);
        }
    }

    /// Removes a flow from every structure and queues it as ended.
    fn end(&mut self, idx: u32, reason: EndReason) {
        if self
            .slots
            .get(idx as usize)
            .is_none_or(|s| s.flow.is_none())
        {
            return; // not live: it is on no list, so it must not be unlinked
        }
        self.unlink(idx);
        let Some(slot) = self.slots.get_mut(idx as usize) else {
            return;
        };
        let Some(flow) = slot.flow.take() else { return };
        let hash = slot.hash;
        slot.generation = slot.generation.wrapping_add(1);
        slot.next = self.free_head;
        self.free_head = idx;
        if let Ok(e) = self.index.find_entry(hash, |&i| i == idx) {
            e.remove();
        }
        if self.touched == idx {
            self.touched = NIL;
        }
        self.active = self.active.saturating_sub(1);
        self.stats.active = self.active as u64;
        match reason {
            EndReason::Timeout => self.stats.ended_timeout += 1,
            EndReason::Shutdown => self.stats.ended_shutdown += 1,
            EndReason::Forced => self.stats.ended_forced += 1,
            EndReason::TcpReuse => self.stats.tcp_reuse += 1,
        }
        self.pending.push_back(EndedFlow {
            flow,
            reason,
            emergency: reason == EndReason::Forced,
            ended_at: self.now,
        });
    }

    fn emit_pending(&mut self, emit: &mut impl FnMut(EndedFlow<T>)) {
        while let Some(e) = self.pending.pop_front() {
            emit(e);
        }
    }

    /// Hands out flows that ended during lookups (timed out on contact, TCP reuse, forced
    /// eviction) without scanning for timeouts.
    pub fn take_ended(&mut self, mut emit: impl FnMut(EndedFlow<T>)) {
        self.reconcile();
        self.emit_pending(&mut emit);
    }

    /// Ends flows idle past their timeout at packet time `now`, and hands out those plus any
    /// that ended during lookups. Call it once per packet (or batch): the scan runs at most once per
    /// second of packet time, and costs O(flows ended + 12). Leaves emergency mode when the
    /// table has drained below `(100 - emergency_recovery)` % of its capacity.
    pub fn expire(&mut self, now: Timestamp, mut emit: impl FnMut(EndedFlow<T>)) {
        self.reconcile();
        if now > self.now {
            self.now = now;
        }
        let secs = now.secs();
        if self.last_expire_secs.is_none_or(|l| secs > l) {
            self.last_expire_secs = Some(secs);
            for list in 0..NLISTS {
                let (class, state) = list_class_state(list);
                let timeout = i64::from(self.timeouts.get(class, state, self.emergency));
                loop {
                    let head = self.heads.get(list).copied().unwrap_or(NIL);
                    if head == NIL {
                        break;
                    }
                    let Some(f) = self.slots.get(head as usize).and_then(|s| s.flow.as_ref())
                    else {
                        break;
                    };
                    if list_index(f.key.proto, f.state) != list {
                        // State changed without a table call in between: file it correctly.
                        self.refile(head);
                        continue;
                    }
                    if f.last.secs().saturating_add(timeout) < secs {
                        self.end(head, EndReason::Timeout);
                    } else {
                        break;
                    }
                }
            }
            if self.emergency {
                let pct = u64::from(100u8.saturating_sub(self.cfg.emergency_recovery));
                let threshold = (self.capacity as u64).saturating_mul(pct) / 100;
                if (self.active as u64) <= threshold {
                    self.emergency = false;
                }
            }
        }
        self.emit_pending(&mut emit);
    }

    /// Ends every flow (reason `shutdown`) at end of input, oldest start first, after handing out
    /// flows that had already ended.
    pub fn drain(&mut self, mut emit: impl FnMut(EndedFlow<T>)) {
        self.reconcile();
        self.emit_pending(&mut emit);
        let mut live: Vec<(Timestamp, u64, u32)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.flow.as_ref().map(|f| (f.start, f.id, i as u32)))
            .collect();
        live.sort_unstable();
        for (_, _, idx) in live {
            self.end(idx, EndReason::Shutdown);
            self.emit_pending(&mut emit);
        }
        self.emergency = false;
    }

    /// The flow behind a handle, if it is still live.
    pub fn get(&self, h: FlowHandle) -> Option<&Flow<T>> {
        self.slots
            .get(h.idx as usize)
            .filter(|s| s.generation == h.generation)?
            .flow
            .as_ref()
    }

    /// The flow behind a handle, mutable, if it is still live.
    pub fn get_mut(&mut self, h: FlowHandle) -> Option<&mut Flow<T>> {
        self.reconcile();
        let slot = self
            .slots
            .get_mut(h.idx as usize)
            .filter(|s| s.generation == h.generation)?;
        let flow = slot.flow.as_mut()?;
        self.touched = h.idx;
        Some(flow)
    }

    /// Finds a live flow by key without counting anything.
    pub fn find_key(&self, key: &FlowKey) -> Option<&Flow<T>> {
        let idx = self.find(self.hasher.hash_one(key), key)?;
        self.slots.get(idx as usize)?.flow.as_ref()
    }

    /// All live flows, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Flow<T>> {
        self.slots.iter().filter_map(|s| s.flow.as_ref())
    }

    /// Number of live flows.
    pub fn len(&self) -> usize {
        self.active
    }

    /// True when no flow is live.
    pub fn is_empty(&self) -> bool {
        self.active == 0
    }

    /// Maximum number of flows (from `max_flows` and `memcap_bytes`).
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// True while in emergency mode (cap reached; emergency timeouts apply).
    pub fn is_emergency(&self) -> bool {
        self.emergency
    }

    /// The latest packet time seen.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Counters.
    pub fn stats(&self) -> &FlowStats {
        &self.stats
    }

    /// The configuration in use (timeouts after clamping are in [`FlowTable::timeouts`]).
    pub fn config(&self) -> &FlowConfig {
        &self.cfg
    }

    /// Effective timeouts.
    pub fn timeouts(&self) -> &FlowTimeouts {
        &self.timeouts
    }
}

impl<T> std::fmt::Debug for FlowTable<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowTable")
            .field("active", &self.active)
            .field("capacity", &self.capacity)
            .field("emergency", &self.emergency)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StateTimeouts;
    use sekimori_decode::{Addr, IcmpEmbedded, IcmpInfo, Ip, Ipv4Info, TcpInfo, UdpInfo};
    use tcp_flags::{ACK, FIN, PSH, RST, SYN};

    fn a(x: u8) -> Addr {
        Addr::v4([192, 168, 0, x])
    }
    fn ts(s: i64, us: u32) -> Timestamp {
        Timestamp::from_micros(s, us)
    }
    fn base(src: Addr, dst: Addr, l4: L4) -> Decoded<'static> {
        Decoded {
            ip: Some(Ip::V4(Ipv4Info {
                header_len: 20,
                ..Default::default()
            })),
            src,
            dst,
            l4,
            ..Default::default()
        }
    }
    fn udp(src: Addr, sp: u16, dst: Addr, dp: u16) -> Decoded<'static> {
        base(
            src,
            dst,
            L4::Udp(UdpInfo {
                sport: sp,
                dport: dp,
                len: 8,
            }),
        )
    }
    fn tcp(src: Addr, sp: u16, dst: Addr, dp: u16, flags: u8) -> Decoded<'static> {
        base(
            src,
            dst,
            L4::Tcp(TcpInfo {
                sport: sp,
                dport: dp,
                flags,
                header_len: 20,
                ..Default::default()
            }),
        )
    }
    fn icmp(src: Addr, dst: Addr, t: u8) -> Decoded<'static> {
        base(
            src,
            dst,
            L4::Icmpv4(IcmpInfo {
                icmp_type: t,
                ..Default::default()
            }),
        )
    }
    fn table() -> FlowTable<u32> {
        FlowTable::new(FlowConfig {
            seed: Some(7),
            ..FlowConfig::default()
        })
        .unwrap()
    }
    fn collect<T: Default>(t: &mut FlowTable<T>, now: Timestamp) -> Vec<EndedFlow<T>> {
        let mut v = Vec::new();
        t.expire(now, |e| v.push(e));
        v
    }
    use sekimori_decode::L4;

    #[test]
    fn both_directions_one_flow_exact_counters() {
        let mut t = table();
        let h = t
            .lookup(&udp(a(1), 5000, a(2), 53), ts(100, 0), 80)
            .unwrap();
        assert!(h.created && h.first_in_dir);
        assert_eq!(h.dir, Direction::ToServer);
        let id = h.flow.id();
        let h = t
            .lookup(&udp(a(2), 53, a(1), 5000), ts(100, 500), 120)
            .unwrap();
        assert!(!h.created && h.first_in_dir);
        assert_eq!(h.dir, Direction::ToClient);
        assert_eq!(h.flow.id(), id);
        assert_eq!(h.flow.state, FlowState::Established);
        let h = t
            .lookup(&udp(a(1), 5000, a(2), 53), ts(101, 0), 81)
            .unwrap();
        assert!(!h.first_in_dir);
        let f = &*h.flow;
        assert_eq!(
            (f.pkts(Direction::ToServer), f.pkts(Direction::ToClient)),
            (2, 1)
        );
        assert_eq!(
            (f.bytes(Direction::ToServer), f.bytes(Direction::ToClient)),
            (161, 120)
        );
        assert_eq!(
            (f.src(), f.sport(), f.dst(), f.dport()),
            (a(1), 5000, a(2), 53)
        );
        assert_eq!(f.start(), ts(100, 0));
        assert_eq!(f.last(), ts(101, 0));
        assert_eq!(f.age_secs(), 1);
        assert_eq!(t.len(), 1);
        assert_eq!(t.stats().created, 1);
        assert_eq!(t.stats().created_udp, 1);
        assert_eq!(t.stats().packets, 3);
        // An out-of-order (older) packet does not move `last` back.
        let h = t.lookup(&udp(a(2), 53, a(1), 5000), ts(99, 0), 10).unwrap();
        assert_eq!(h.flow.last(), ts(101, 0));
    }

    #[test]
    fn one_way_udp_stays_new() {
        let mut t = table();
        for i in 0..3 {
            t.lookup(&udp(a(1), 138, a(255), 138), ts(10 + i, 0), 100);
        }
        let f = t.iter().next().unwrap();
        assert_eq!(f.state, FlowState::New);
        assert_eq!(f.pkts(Direction::ToServer), 3);
        assert_eq!(f.pkts(Direction::ToClient), 0);
    }

    #[test]
    fn tcp_flags_per_direction_and_no_auto_establish() {
        let mut t = table();
        t.lookup(&tcp(a(1), 40000, a(2), 80, SYN), ts(1, 0), 74);
        t.lookup(&tcp(a(2), 80, a(1), 40000, SYN | ACK), ts(1, 1), 74);
        let h = t
            .lookup(&tcp(a(1), 40000, a(2), 80, ACK | PSH), ts(1, 2), 66)
            .unwrap();
        assert_eq!(h.flow.tcp_flags(Direction::ToServer), SYN | ACK | PSH);
        assert_eq!(h.flow.tcp_flags(Direction::ToClient), SYN | ACK);
        assert_eq!(h.flow.tcp_flags_all(), SYN | ACK | PSH);
        // TCP state comes from the stream layer, not from seeing both directions.
        assert_eq!(h.flow.state, FlowState::New);
    }

    #[test]
    fn icmp_echo_pairing() {
        let mut t = table();
        let h = t.lookup(&icmp(a(1), a(2), 8), ts(5, 0), 98).unwrap();
        assert_eq!(h.dir, Direction::ToServer);
        let h = t.lookup(&icmp(a(2), a(1), 0), ts(5, 100), 98).unwrap();
        assert!(!h.created);
        assert_eq!(h.dir, Direction::ToClient);
        let f = &*h.flow;
        assert_eq!(f.state, FlowState::Established);
        let i = f.icmp().unwrap();
        assert_eq!(
            (i.icmp_type, i.icmp_code, i.response_type, i.response_code),
            (8, 0, 0, 0)
        );
        assert_eq!((f.sport(), f.dport()), (0, 0));
        // A timestamp request between the same hosts is another flow.
        assert!(
            t.lookup(&icmp(a(1), a(2), 13), ts(5, 200), 60)
                .unwrap()
                .created
        );
        assert_eq!(t.len(), 2);
        assert_eq!(t.stats().created_icmp, 2);
    }

    #[test]
    fn icmp_error_counts_in_embedded_flow() {
        let mut t = table();
        t.lookup(&udp(a(1), 5000, a(2), 53), ts(1, 0), 80);
        let emb = IcmpEmbedded {
            src: a(1),
            dst: a(2),
            proto: 17,
            sport: 5000,
            dport: 53,
        };
        let err = base(
            a(2),
            a(1),
            L4::Icmpv4(IcmpInfo {
                icmp_type: 3,
                code: 3,
                embedded: Some(emb),
                ..Default::default()
            }),
        );
        let h = t.lookup(&err, ts(1, 10), 110).unwrap();
        assert!(h.icmp_error && !h.created);
        assert_eq!(h.dir, Direction::ToClient);
        assert_eq!(h.flow.bytes(Direction::ToClient), 110);
        assert_eq!(h.flow.pkts(Direction::ToClient), 1);
        // Errors do not count as "seen": the UDP flow stays new.
        assert!(!h.flow.seen(Direction::ToClient));
        assert_eq!(h.flow.state, FlowState::New);
        assert_eq!(t.len(), 1);
        // From the client side (outer source = flow src): to_server.
        let err2 = base(a(1), a(9), err.l4);
        assert_eq!(
            t.lookup(&err2, ts(1, 20), 110).unwrap().dir,
            Direction::ToServer
        );
        // No matching flow: nothing is created.
        let emb3 = IcmpEmbedded { sport: 6000, ..emb };
        let err3 = base(
            a(2),
            a(1),
            L4::Icmpv4(IcmpInfo {
                icmp_type: 3,
                embedded: Some(emb3),
                ..Default::default()
            }),
        );
        assert!(t.lookup(&err3, ts(1, 30), 110).is_none());
        assert_eq!(t.len(), 1);
        assert_eq!(t.stats().icmp_error_mapped, 2);
        assert_eq!(t.stats().icmp_error_unmatched, 1);
    }

    #[test]
    fn vlan_separation() {
        let mut t = table();
        let mut p1 = udp(a(1), 1, a(2), 2);
        p1.vlan = [6, 0, 0];
        p1.vlan_count = 1;
        let mut p2 = p1;
        p2.vlan = [7, 0, 0];
        let id1 = t.lookup(&p1, ts(1, 0), 60).unwrap().flow.id();
        let h = t.lookup(&p2, ts(1, 1), 60).unwrap();
        assert!(h.created);
        assert_ne!(h.flow.id(), id1);
        assert_eq!(h.flow.vlans(), &[7]);
        assert_eq!(t.len(), 2);
        // Without VLAN tracking both land in one flow, which still records the first VLAN.
        let mut t2: FlowTable<()> = FlowTable::new(FlowConfig {
            vlan_tracking: false,
            ..FlowConfig::default()
        })
        .unwrap();
        t2.lookup(&p1, ts(1, 0), 60);
        let h = t2.lookup(&p2, ts(1, 1), 60).unwrap();
        assert!(!h.created);
        assert_eq!(h.flow.vlans(), &[6]);
    }

    #[test]
    fn timeout_new_udp_by_packet_time() {
        let mut t = table();
        t.lookup(&udp(a(1), 1, a(2), 2), ts(100, 900_000), 60);
        // timeout_at = 100 + 30 = 130; expired when 130 < secs(now).
        assert!(collect(&mut t, ts(130, 999_999)).is_empty());
        assert_eq!(t.len(), 1);
        let ended = collect(&mut t, ts(131, 0));
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].reason, EndReason::Timeout);
        assert_eq!(ended[0].reason.as_str(), "timeout");
        assert!(!ended[0].emergency);
        assert_eq!(ended[0].ended_at, ts(131, 0));
        assert_eq!(ended[0].flow.pkts(Direction::ToServer), 1);
        assert!(t.is_empty());
        assert_eq!(t.stats().ended_timeout, 1);
    }

    #[test]
    fn timeout_established_and_closed() {
        let mut t = table();
        t.lookup(&udp(a(1), 1, a(2), 2), ts(0, 0), 60);
        t.lookup(&udp(a(2), 2, a(1), 1), ts(0, 1), 60);
        // Established UDP: 300 s.
        assert!(collect(&mut t, ts(300, 0)).is_empty());
        assert_eq!(collect(&mut t, ts(301, 0)).len(), 1);
        // TCP: the stream layer sets the state; a change re-files the flow.
        t.lookup(&tcp(a(1), 1000, a(2), 80, SYN), ts(400, 0), 60);
        let h = t
            .lookup(&tcp(a(2), 80, a(1), 1000, SYN | ACK), ts(400, 1), 60)
            .unwrap();
        h.flow.state = FlowState::Established;
        assert!(collect(&mut t, ts(1000, 0)).is_empty(), "600 s established");
        let h = t
            .lookup(&tcp(a(1), 1000, a(2), 80, FIN | ACK), ts(1000, 0), 60)
            .unwrap();
        h.flow.state = FlowState::Closed;
        assert!(collect(&mut t, ts(1060, 0)).is_empty());
        let e = collect(&mut t, ts(1061, 0));
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].flow.state, FlowState::Closed);
    }

    #[test]
    fn expired_flow_hit_by_packet_is_replaced() {
        let mut t = table();
        let id1 = t
            .lookup(&udp(a(1), 138, a(255), 138), ts(51, 0), 200)
            .unwrap()
            .flow
            .id();
        // 57 s idle > 30 s: the next packet ends the flow and starts a new one.
        let h = t
            .lookup(&udp(a(1), 138, a(255), 138), ts(108, 0), 250)
            .unwrap();
        assert!(h.created);
        assert_ne!(h.flow.id(), id1);
        let mut ended = Vec::new();
        t.take_ended(|e| ended.push(e));
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].flow.id(), id1);
        assert_eq!(ended[0].reason, EndReason::Timeout);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn drain_ends_all_as_shutdown_in_start_order() {
        let mut t = table();
        t.lookup(&udp(a(1), 2, a(2), 2), ts(20, 0), 60);
        t.lookup(&udp(a(1), 1, a(2), 1), ts(10, 0), 60);
        t.lookup(&icmp(a(1), a(3), 8), ts(15, 0), 60);
        let mut v = Vec::new();
        t.drain(|e| v.push(e));
        assert_eq!(v.len(), 3);
        assert!(
            v.iter()
                .all(|e| e.reason == EndReason::Shutdown && e.reason.as_str() == "shutdown")
        );
        let starts: Vec<i64> = v.iter().map(|e| e.flow.start().secs()).collect();
        assert_eq!(starts, vec![10, 15, 20]);
        assert!(t.is_empty());
        assert_eq!(t.stats().ended_shutdown, 3);
        assert_eq!(t.stats().active, 0);
    }

    #[test]
    fn emergency_eviction_under_cap() {
        let mut t: FlowTable<u32> = FlowTable::new(FlowConfig {
            max_flows: 3,
            memcap_bytes: 0,
            seed: Some(1),
            ..FlowConfig::default()
        })
        .unwrap();
        assert_eq!(t.capacity(), 3);
        t.lookup(&udp(a(1), 1, a(2), 1), ts(10, 0), 60);
        t.lookup(&udp(a(1), 2, a(2), 2), ts(11, 0), 60);
        t.lookup(&udp(a(1), 3, a(2), 3), ts(12, 0), 60);
        // Refresh flow 1, so flow 2 is now the least recently active.
        t.lookup(&udp(a(1), 1, a(2), 1), ts(13, 0), 60);
        assert!(!t.is_emergency());
        let h = t.lookup(&udp(a(1), 4, a(2), 4), ts(14, 0), 60).unwrap();
        assert!(h.created);
        assert!(t.is_emergency());
        assert_eq!(t.len(), 3);
        let mut ended = Vec::new();
        t.take_ended(|e| ended.push(e));
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].reason, EndReason::Forced);
        assert_eq!(ended[0].reason.as_str(), "forced");
        assert!(ended[0].emergency);
        assert_eq!(ended[0].flow.sport(), 2);
        let s = *t.stats();
        assert_eq!(
            (s.emergency_entered, s.emergency_evictions, s.ended_forced),
            (1, 1, 1)
        );
        assert_eq!(s.active_max, 3);
        // Emergency timeouts: new UDP 10 s instead of 30.
        let e = collect(&mut t, ts(23, 0));
        assert_eq!(e.len(), 1, "only flow 3 (last 12) times out: 12 + 10 < 23");
        assert_eq!(e[0].flow.sport(), 3);
        // 2 flows left of capacity 3: 2 > 3*70% = 2.1 → 2 <= 2, so emergency ends.
        assert!(!t.is_emergency());
        // Normal timeouts again: flow 1 (last 13) survives until 13 + 30 < secs.
        assert!(collect(&mut t, ts(43, 0)).is_empty());
        assert_eq!(collect(&mut t, ts(44, 0)).len(), 1);
    }

    #[test]
    fn emergency_midstream_only_syn_creates() {
        let mut t: FlowTable<()> = FlowTable::new(FlowConfig {
            max_flows: 1,
            memcap_bytes: 0,
            midstream: true,
            ..FlowConfig::default()
        })
        .unwrap();
        t.lookup(&tcp(a(1), 1, a(2), 80, SYN), ts(1, 0), 60);
        t.lookup(&tcp(a(1), 2, a(2), 80, SYN), ts(2, 0), 60); // evicts, enters emergency
        assert!(t.is_emergency());
        assert!(
            t.lookup(&tcp(a(1), 3, a(2), 80, ACK), ts(3, 0), 60)
                .is_none()
        );
        assert_eq!(t.stats().memcap_drops, 1);
        assert!(
            t.lookup(&tcp(a(1), 4, a(2), 80, SYN), ts(3, 0), 60)
                .unwrap()
                .created
        );
    }

    #[test]
    fn memcap_bytes_limits_capacity() {
        let per = FlowTable::<u64>::bytes_per_flow();
        let t: FlowTable<u64> = FlowTable::new(FlowConfig {
            memcap_bytes: per * 10 + 1,
            max_flows: 0,
            ..FlowConfig::default()
        })
        .unwrap();
        assert_eq!(t.capacity(), 10);
        let e = FlowTable::<u64>::new(FlowConfig {
            memcap_bytes: 1,
            max_flows: 0,
            ..FlowConfig::default()
        });
        assert!(matches!(e, Err(FlowError::MemcapTooSmall { .. })));
    }

    #[test]
    fn tcp_reuse_on_closed_flow() {
        let mut t = table();
        let h = t
            .lookup(&tcp(a(1), 1000, a(2), 80, SYN), ts(1, 0), 60)
            .unwrap();
        let old = h.flow.id();
        h.flow.user = 42;
        // SYN retransmission on a flow that is not closed: same flow.
        let h = t
            .lookup(&tcp(a(1), 1000, a(2), 80, SYN), ts(1, 1), 60)
            .unwrap();
        assert!(!h.created);
        h.flow.state = FlowState::Closed;
        // A RST is not a stream starter.
        assert!(
            !t.lookup(&tcp(a(1), 1000, a(2), 80, RST), ts(1, 2), 60)
                .unwrap()
                .created
        );
        let h = t
            .lookup(&tcp(a(1), 1000, a(2), 80, SYN), ts(2, 0), 60)
            .unwrap();
        assert!(h.created);
        assert_ne!(h.flow.id(), old);
        assert_eq!(h.flow.user, 0);
        assert_eq!(h.flow.pkts(Direction::ToServer), 1);
        let mut ended = Vec::new();
        t.take_ended(|e| ended.push(e));
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].reason, EndReason::TcpReuse);
        assert_eq!(ended[0].reason.as_str(), "timeout");
        assert_eq!(ended[0].flow.user, 42);
        assert_eq!(ended[0].flow.pkts(Direction::ToServer), 3);
        assert_eq!(t.stats().tcp_reuse, 1);
        assert_eq!(t.stats().ended_timeout, 0);
    }

    #[test]
    fn tcp_reuse_custom_rule() {
        let mut t = table();
        t.lookup(&tcp(a(1), 1000, a(2), 80, SYN), ts(1, 0), 60);
        let mut called = None;
        let h = t
            .lookup_with(
                &tcp(a(1), 1000, a(2), 80, SYN),
                ts(1, 5),
                60,
                |f, dir, _| {
                    called = Some((f.pkts(Direction::ToServer), dir));
                    true
                },
            )
            .unwrap();
        assert!(h.created);
        assert_eq!(called, Some((1, Direction::ToServer)));
        // Not called for non-starters.
        let h = t
            .lookup_with(&tcp(a(1), 1000, a(2), 80, ACK), ts(1, 6), 60, |_, _, _| {
                panic!("not a starter")
            })
            .unwrap();
        assert!(!h.created);
    }

    #[test]
    fn midstream_synack_first_is_swapped() {
        let mut t: FlowTable<()> = FlowTable::new(FlowConfig {
            midstream: true,
            ..FlowConfig::default()
        })
        .unwrap();
        let h = t
            .lookup(&tcp(a(2), 80, a(1), 40000, SYN | ACK), ts(1, 0), 74)
            .unwrap();
        assert!(h.created && h.flow.swapped());
        assert_eq!(h.dir, Direction::ToClient);
        assert_eq!(
            (h.flow.src(), h.flow.sport(), h.flow.dst(), h.flow.dport()),
            (a(1), 40000, a(2), 80)
        );
        assert_eq!(h.flow.pkts(Direction::ToClient), 1);
        assert_eq!(h.flow.tcp_flags(Direction::ToClient), SYN | ACK);
        let h = t
            .lookup(&tcp(a(1), 40000, a(2), 80, ACK), ts(1, 1), 66)
            .unwrap();
        assert_eq!(h.dir, Direction::ToServer);
        assert_eq!(t.stats().synack_swaps, 1);
        // Without midstream the first packet's sender stays the client.
        let mut t: FlowTable<()> = FlowTable::new(FlowConfig::default()).unwrap();
        let h = t
            .lookup(&tcp(a(2), 80, a(1), 40000, SYN | ACK), ts(1, 0), 74)
            .unwrap();
        assert_eq!(h.dir, Direction::ToServer);
        assert!(!h.flow.swapped());
    }

    #[test]
    fn swap_by_app_layer() {
        let mut t = table();
        t.lookup(&tcp(a(2), 80, a(1), 40000, ACK | PSH), ts(1, 0), 313);
        let h = t
            .lookup(&tcp(a(1), 40000, a(2), 80, ACK), ts(1, 1), 54)
            .unwrap();
        assert_eq!(h.dir, Direction::ToClient);
        h.flow.swap();
        let h = t
            .lookup(&tcp(a(1), 40000, a(2), 80, ACK), ts(1, 2), 54)
            .unwrap();
        assert_eq!(h.dir, Direction::ToServer);
        let f = &*h.flow;
        assert_eq!((f.src(), f.sport()), (a(1), 40000));
        assert_eq!(
            (f.pkts(Direction::ToServer), f.pkts(Direction::ToClient)),
            (2, 1)
        );
        assert_eq!(
            (f.bytes(Direction::ToServer), f.bytes(Direction::ToClient)),
            (108, 313)
        );
    }

    #[test]
    fn ids_unique_nonzero_51_bits_and_seeded() {
        let mut t = table();
        let mut ids = std::collections::HashSet::new();
        for i in 0..5000u16 {
            let id = t
                .lookup(&udp(a(1), i, a(2), 53), ts(1, 0), 60)
                .unwrap()
                .flow
                .id();
            assert!(id != 0 && id < (1 << 51));
            assert!(ids.insert(id));
        }
        let mut t2 = table();
        let first = t2
            .lookup(&udp(a(1), 0, a(2), 53), ts(1, 0), 60)
            .unwrap()
            .flow
            .id();
        let mut t3 = table();
        assert_eq!(
            t3.lookup(&udp(a(9), 9, a(8), 8), ts(9, 0), 60)
                .unwrap()
                .flow
                .id(),
            first
        );
        let mut t4: FlowTable<()> = FlowTable::new(FlowConfig {
            seed: Some(8),
            ..FlowConfig::default()
        })
        .unwrap();
        assert_ne!(
            t4.lookup(&udp(a(1), 0, a(2), 53), ts(1, 0), 60)
                .unwrap()
                .flow
                .id(),
            first
        );
    }

    #[test]
    fn handles_go_stale() {
        let mut t = table();
        let h = t
            .lookup(&udp(a(1), 1, a(2), 2), ts(1, 0), 60)
            .unwrap()
            .handle;
        assert!(t.get(h).is_some());
        t.get_mut(h).unwrap().alerted = true;
        assert!(t.get(h).unwrap().alerted);
        collect(&mut t, ts(100, 0));
        assert!(t.get(h).is_none());
        // The slot is reused by the next flow, but the old handle stays stale.
        let h2 = t
            .lookup(&udp(a(1), 3, a(2), 4), ts(100, 0), 60)
            .unwrap()
            .handle;
        assert!(t.get(h).is_none());
        assert!(t.get(h2).is_some());
    }

    #[test]
    fn no_flow_packets_counted() {
        let mut t = table();
        assert!(t.lookup(&Decoded::default(), ts(1, 0), 60).is_none());
        assert!(
            t.lookup(&base(a(1), a(2), L4::Other(47)), ts(1, 0), 60)
                .is_none()
        );
        assert!(t.lookup(&icmp(a(1), a(2), 11), ts(1, 0), 60).is_none());
        assert_eq!(t.stats().no_flow, 3);
        assert_eq!(t.stats().packets, 3);
        assert!(t.is_empty());
    }

    #[test]
    fn icmpv6_uses_default_timeouts() {
        let mut cfg = FlowConfig::default();
        cfg.timeouts.default.normal = StateTimeouts {
            new: 5,
            established: 50,
            closed: 0,
        };
        let mut t: FlowTable<()> = FlowTable::new(cfg).unwrap();
        let s = Addr::v6([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        let d = Addr::v6([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16]);
        let mut p = base(
            s,
            d,
            L4::Icmpv6(IcmpInfo {
                icmp_type: 143,
                ..Default::default()
            }),
        );
        p.ip = Some(Ip::V6(sekimori_decode::Ipv6Info {
            proto: 58,
            ..Default::default()
        }));
        t.lookup(&p, ts(10, 0), 90);
        assert!(collect(&mut t, ts(15, 0)).is_empty());
        assert_eq!(collect(&mut t, ts(16, 0)).len(), 1);
    }

    /// Deterministic pseudo-random traffic with jumping timestamps (forwards and backwards),
    /// state changes and a tiny cap: nothing panics and the bookkeeping stays consistent.
    #[test]
    fn hostile_sequence_keeps_invariants() {
        let mut t: FlowTable<u8> = FlowTable::new(FlowConfig {
            max_flows: 64,
            memcap_bytes: 0,
            midstream: true,
            seed: Some(3),
            ..FlowConfig::default()
        })
        .unwrap();
        let mut x: u64 = 0x1234_5678;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut ended = 0u64;
        let mut clock: i64 = 1_000;
        for _ in 0..20_000 {
            let r = next();
            clock += (r % 7) as i64 - 2; // mostly forward, sometimes back
            let when = ts(clock.max(0), (r >> 8) as u32 % 1_000_000);
            let (s, d) = (a((r >> 16) as u8 % 6), a((r >> 24) as u8 % 6));
            let (sp, dp) = ((r >> 32) as u16 % 5, (r >> 40) as u16 % 5);
            let p = match r % 4 {
                0 => udp(s, sp, d, dp),
                1 => tcp(s, sp, d, dp, (r >> 48) as u8),
                2 => icmp(s, d, (r >> 48) as u8 % 20),
                _ => base(s, d, L4::Other((r >> 48) as u8)),
            };
            if let Some(h) = t.lookup(&p, when, (r % 1500) as u32) {
                if r % 11 == 0 {
                    h.flow.state = match r % 3 {
                        0 => FlowState::New,
                        1 => FlowState::Established,
                        _ => FlowState::Closed,
                    };
                }
                h.flow.user = h.flow.user.wrapping_add(1);
            }
            if r % 5 == 0 {
                t.expire(when, |_| ended += 1);
            }
            assert!(t.len() <= 64);
        }
        t.take_ended(|_| ended += 1);
        assert_eq!(t.iter().count(), t.len());
        // every list entry is live and lists hold exactly the live flows
        let mut listed = 0;
        for l in 0..NLISTS {
            let mut i = t.heads[l];
            let mut prev = NIL;
            while i != NIL {
                let s = &t.slots[i as usize];
                assert!(s.flow.is_some());
                assert_eq!(s.prev, prev);
                assert_eq!(usize::from(s.list), l);
                prev = i;
                i = s.next;
                listed += 1;
            }
            assert_eq!(t.tails[l], prev);
        }
        assert_eq!(listed, t.len());
        let live = t.len() as u64;
        let mut drained = 0u64;
        t.drain(|_| drained += 1);
        let s = *t.stats();
        assert_eq!(drained, live);
        assert_eq!(
            s.created,
            s.ended_timeout + s.ended_shutdown + s.ended_forced + s.tcp_reuse
        );
        assert_eq!(ended + drained, s.created);
        assert_eq!(
            s.created,
            s.created_tcp + s.created_udp + s.created_icmp + s.created_other
        );
    }
}
