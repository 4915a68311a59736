//! The reassembler: trackers keyed by datagram, byte-exact overlap resolution, limits, expiry.
//!
//! # Data layout
//!
//! A tracker keeps the *image* of the fragmentable part of its datagram (a byte buffer indexed by
//! fragment offset), a sorted list of non-overlapping byte ranges (`segs`) each owned by the
//! fragment whose data currently fills it, and the extents of those fragments. When a fragment
//! arrives, every range it overlaps is given to it or left to its owner according to the
//! [`OverlapPolicy`]; the bytes it wins are copied into the image. The datagram is complete when
//! the last fragment (MF clear) was seen and the owned ranges cover `0..end` without a hole; the
//! output is then the first fragment's header(s), fixed up, followed by the image.
//!
//! Trackers live in a slab and are reused with their buffers (no allocation in steady state);
//! every byte of buffer capacity, pooled or in use, counts against the memcap.
//!
//! etherparse 0.21 ships an `IpDefragPool`, but it has no overlap policies (later data always
//! wins), no memory cap, no per-datagram limits and no events, all of which an IDS needs here.

use hashbrown::HashMap;
use sekimori_capture::Timestamp;
use sekimori_decode::checksum::ipv4_header_checksum;
use sekimori_decode::{Addr, Anomalies, Anomaly, Decoded, Ip};

use crate::config::{DefragConfig, DefragConfigError, OverlapPolicy};
use crate::stats::DefragStats;

/// Largest IPv4 datagram / IPv6 payload.
const MAX_DGRAM: usize = 65_535;
/// Largest reassembled output: an IPv6 fixed header plus the largest payload.
const OUT_CAPACITY: usize = MAX_DGRAM + 40;

/// Why a fragment was not (or could no longer be) used. Every drop is counted in [`DefragStats`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum DefragDrop {
    /// The fragment would make the datagram longer than 65535 bytes (IPv4 total length / IPv6
    /// payload length); the fragment is ignored.
    #[error("fragment would make the datagram larger than 65535 bytes")]
    TooLarge,
    /// The fragment lies (partly) past the end announced by the datagram's last fragment; it is
    /// ignored.
    #[error("fragment extends past the end set by the last fragment")]
    BeyondEnd,
    /// A last fragment (MF clear) announcing an end that contradicts data or another last
    /// fragment already held; it is ignored.
    #[error("last fragment contradicts the datagram's known end")]
    ConflictingEnd,
    /// The datagram reached `max_frags_per_datagram`; the whole datagram is discarded.
    #[error("too many fragments for one datagram")]
    TooManyFragments,
    /// Keeping the fragment would exceed the memcap; it is ignored.
    #[error("defrag memcap reached")]
    Memcap,
    /// No tracker available (`max_trackers` datagrams already pending); it is ignored.
    #[error("defrag tracker limit reached")]
    TrackerLimit,
    /// The capture holds fewer bytes than the fragment's IP header announces; it is ignored.
    #[error("fragment truncated by the capture")]
    Truncated,
    /// The fragment carries no data; it is ignored.
    #[error("fragment without data")]
    Empty,
    /// The first fragment's headers are inconsistent (IPv6 extension-header chain that does not
    /// lead to the fragment header); it is ignored.
    #[error("malformed first fragment")]
    Malformed,
}

/// Result of [`Defragmenter::process`]. `anomalies` carries the defrag events for the packet
/// (`decoder.ipv4.frag_overlap`, `decoder.ipv6.frag_pkt_too_large`, ...), to be logged with the
/// fragment that caused them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefragOutcome<'a> {
    /// Not a fragment (or an atomic IPv6 fragment): process the packet as is.
    NotFragment,
    /// Stored; the datagram is still incomplete.
    Held {
        /// Events raised by this fragment.
        anomalies: Anomalies,
    },
    /// This fragment completed a datagram.
    Reassembled {
        /// The complete IP datagram, to be decoded with `LinkType::RAW`. Valid until the next
        /// call. IPv4: first fragment's header with total length set, MF and offset cleared and
        /// the checksum recomputed. IPv6: fixed header and unfragmentable extension headers with
        /// the fragment header removed, next header and payload length fixed.
        datagram: &'a [u8],
        /// Events raised by this fragment.
        anomalies: Anomalies,
    },
    /// The fragment was not used (see [`DefragDrop`]).
    Dropped {
        /// Why.
        reason: DefragDrop,
        /// Events raised by this fragment (`frag_pkt_too_large`, `frag_ignored`, ...).
        anomalies: Anomalies,
    },
}

impl<'a> DefragOutcome<'a> {
    /// Events raised by the fragment (empty for [`DefragOutcome::NotFragment`]).
    pub fn anomalies(&self) -> Anomalies {
        match self {
            DefragOutcome::NotFragment => Anomalies::default(),
            DefragOutcome::Held { anomalies }
            | DefragOutcome::Reassembled { anomalies, .. }
            | DefragOutcome::Dropped { anomalies, .. } => *anomalies,
        }
    }
    /// The reassembled datagram, if this fragment completed one.
    pub fn datagram(&self) -> Option<&'a [u8]> {
        match self {
            DefragOutcome::Reassembled { datagram, .. } => Some(datagram),
            _ => None,
        }
    }
}

/// Identifies one datagram.
///
/// IPv4: source, destination, identification and protocol (RFC 791). IPv6: source, destination
/// and identification (RFC 8200 section 4.5); the next-header value is deliberately not part of
/// the key, because a host reassembles fragments whose next-header values differ and keying on it
/// would let an attacker split a datagram across two trackers the IDS never completes. VLAN ids are
/// included when configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    src: Addr,
    dst: Addr,
    id: u32,
    proto: u8,
    v6: bool,
    vlan: [u16; 3],
}

/// A byte range of the image owned by fragment `owner` (index into `Tracker::frags`).
#[derive(Clone, Copy, Debug)]
struct Seg {
    start: u32,
    end: u32,
    owner: u32,
}

/// Offsets `[start, end)` of an accepted fragment.
#[derive(Clone, Copy, Debug)]
struct Extent {
    start: u32,
    end: u32,
}

/// One datagram being reassembled (or a pooled, cleared one).
#[derive(Default)]
struct Tracker {
    key: Option<Key>,
    policy: OverlapPolicy,
    /// Dropped when a packet arrives after this time.
    deadline: Timestamp,
    /// Fragments received for this datagram (accepted or not), for the per-datagram limit.
    received: usize,
    /// The last fragment was seen: `total` is the length of the fragmentable part.
    seen_last: bool,
    total: u32,
    /// Largest end offset held.
    max_end: u32,
    /// Bytes owned in `segs` (sum of their lengths).
    covered: u32,
    /// IPv4: the first fragment's header. IPv6: fixed header + unfragmentable extension headers,
    /// next header already pointing past the removed fragment header.
    header: Vec<u8>,
    has_header: bool,
    image: Vec<u8>,
    segs: Vec<Seg>,
    frags: Vec<Extent>,
}

impl Tracker {
    /// Heap bytes held by the buffers.
    fn heap(&self) -> usize {
        self.header.capacity()
            + self.image.capacity()
            + self.segs.capacity() * size_of::<Seg>()
            + self.frags.capacity() * size_of::<Extent>()
    }

    /// Empties the tracker, keeping its buffers for reuse.
    fn clear(&mut self) {
        self.key = None;
        self.received = 0;
        self.seen_last = false;
        self.total = 0;
        self.max_end = 0;
        self.covered = 0;
        self.header.clear();
        self.has_header = false;
        self.image.clear();
        self.segs.clear();
        self.frags.clear();
    }

    /// Empties the tracker and frees its buffers.
    fn release_buffers(&mut self) {
        self.clear();
        self.header = Vec::new();
        self.image = Vec::new();
        self.segs = Vec::new();
        self.frags = Vec::new();
    }
}

/// Fixed per-tracker cost counted against the memcap (slab slot + hash entry).
const TRACKER_OVERHEAD: usize = size_of::<Tracker>() + size_of::<(Key, u32)>() + 8;

/// What `process` needs to know about a fragment.
struct FragInfo<'a> {
    v6: bool,
    id: u32,
    proto: u8,
    offset: u32,
    mf: bool,
    /// Fragmentable data of this fragment.
    data: &'a [u8],
    /// IPv4: the IP header. IPv6: bytes from the IPv6 header to the fragment header.
    header: &'a [u8],
    /// IPv6: next header after the fragment header.
    next_header: u8,
    /// IPv4 header length (IPv6: 0).
    v4_hlen: usize,
    /// The capture holds less data than the IP header announces.
    truncated: bool,
}

/// IPv4/IPv6 fragment reassembler.
pub struct Defragmenter {
    cfg: DefragConfig,
    map: HashMap<Key, u32>,
    slab: Vec<Tracker>,
    free: Vec<u32>,
    /// Scratch for rebuilding a tracker's segment list.
    scratch: Vec<Seg>,
    /// Output buffer of the last reassembled datagram.
    out: Vec<u8>,
    /// Bytes counted against the memcap.
    mem: usize,
    /// No tracker expires before this time (lower bound; lets `expire` return early).
    next_deadline: Timestamp,
    stats: DefragStats,
}

impl Defragmenter {
    /// A reassembler with the given settings.
    pub fn new(cfg: DefragConfig) -> Result<Defragmenter, DefragConfigError> {
        cfg.validate()?;
        // The output buffer is sized once for the largest datagram, so reassembly never allocates.
        let out = Vec::with_capacity(OUT_CAPACITY);
        let mem = out.capacity();
        Ok(Defragmenter {
            cfg,
            map: HashMap::default(),
            slab: Vec::new(),
            free: Vec::new(),
            scratch: Vec::new(),
            out,
            mem,
            next_deadline: Timestamp(i64::MAX),
            stats: DefragStats::default(),
        })
    }

    /// The settings in use.
    pub fn config(&self) -> &DefragConfig {
        &self.cfg
    }

    /// Counters (gauges `trackers_active` and `mem_used` are current values).
    pub fn stats(&self) -> &DefragStats {
        &self.stats
    }

    /// Datagrams currently pending.
    pub fn pending(&self) -> usize {
        self.map.len()
    }

    /// Bytes currently counted against the memcap.
    pub fn mem_used(&self) -> usize {
        self.mem
    }

    /// Handles one decoded packet. Non-fragments return [`DefragOutcome::NotFragment`] at once;
    /// fragments are stored, possibly completing a datagram. VLAN ids are taken from `pkt.vlan`
    /// (when `use_vlan` is set).
    pub fn process(&mut self, ts: Timestamp, pkt: &Decoded<'_>) -> DefragOutcome<'_> {
        let vlan = if self.cfg.use_vlan { pkt.vlan } else { [0; 3] };
        self.process_with_vlan(ts, pkt, vlan)
    }

    /// As [`Defragmenter::process`], with the VLAN part of the key given explicitly.
    pub fn process_with_vlan(
        &mut self,
        ts: Timestamp,
        pkt: &Decoded<'_>,
        vlan: [u16; 3],
    ) -> DefragOutcome<'_> {
        let Some(info) = frag_info(pkt) else {
            self.stats.not_fragment += 1;
            return DefragOutcome::NotFragment;
        };
        self.stats.fragments += 1;
        if info.v6 {
            self.stats.ipv6_fragments += 1;
        } else {
            self.stats.ipv4_fragments += 1;
        }
        let mut an = Anomalies::default();
        let result = self.insert(ts, pkt, &info, vlan, &mut an);
        let (too_large, overlap, ignored) = if info.v6 {
            (
                Anomaly::Ipv6FragPktTooLarge,
                Anomaly::Ipv6FragOverlap,
                Anomaly::Ipv6FragIgnored,
            )
        } else {
            (
                Anomaly::Ipv4FragPktTooLarge,
                Anomaly::Ipv4FragOverlap,
                Anomaly::Ipv4FragIgnored,
            )
        };
        if an.contains(overlap) {
            self.stats.overlaps += 1;
        }
        self.stats.trackers_active = self.map.len() as u64;
        self.stats.mem_used = self.mem as u64;
        self.stats.mem_peak = self.stats.mem_peak.max(self.mem as u64);
        match result {
            Ok(false) => {
                self.stats.held += 1;
                DefragOutcome::Held { anomalies: an }
            }
            Ok(true) => {
                self.stats.reassembled += 1;
                if info.v6 {
                    self.stats.ipv6_reassembled += 1;
                } else {
                    self.stats.ipv4_reassembled += 1;
                }
                DefragOutcome::Reassembled {
                    datagram: &self.out,
                    anomalies: an,
                }
            }
            Err(reason) => {
                self.stats.count_drop(reason);
                match reason {
                    DefragDrop::TooLarge => an.push(too_large),
                    DefragDrop::Truncated | DefragDrop::Empty => {}
                    _ => an.push(ignored),
                }
                DefragOutcome::Dropped {
                    reason,
                    anomalies: an,
                }
            }
        }
    }

    /// Drops every datagram whose timeout passed at `now` (counted in `timeouts`). Cheap when
    /// nothing can have expired; call it regularly (e.g. once per second of packet time).
    pub fn expire(&mut self, now: Timestamp) {
        if now <= self.next_deadline {
            return;
        }
        let mut next = Timestamp(i64::MAX);
        let Defragmenter {
            map,
            slab,
            free,
            stats,
            ..
        } = self;
        map.retain(|_, idx| {
            let Some(t) = slab.get_mut(*idx as usize) else {
                return false;
            };
            if now > t.deadline {
                stats.timeouts += 1;
                t.clear();
                free.push(*idx);
                false
            } else {
                next = next.min(t.deadline);
                true
            }
        });
        self.next_deadline = next;
        self.stats.trackers_active = self.map.len() as u64;
    }

    /// Drops every pending datagram and frees all buffers (e.g. at shutdown or reconfiguration).
    pub fn clear(&mut self) {
        self.map.clear();
        self.slab.clear();
        self.free.clear();
        self.scratch = Vec::new();
        self.out.clear();
        self.mem = self.out.capacity();
        self.next_deadline = Timestamp(i64::MAX);
        self.stats.trackers_active = 0;
        self.stats.mem_used = 0;
    }

    // --------------------------------------------------------------------------------------------

    /// Stores one fragment. Ok(true) when it completed a datagram (then in `self.out`).
    fn insert(
        &mut self,
        ts: Timestamp,
        pkt: &Decoded<'_>,
        f: &FragInfo<'_>,
        vlan: [u16; 3],
        an: &mut Anomalies,
    ) -> Result<bool, DefragDrop> {
        if f.truncated {
            return Err(DefragDrop::Truncated);
        }
        if f.data.is_empty() {
            return Err(DefragDrop::Empty);
        }
        // The first fragment's headers must be usable before anything is stored.
        if f.offset == 0 {
            let ok = if f.v6 {
                v6_frag_nh_position(f.header).is_some()
            } else {
                f.header.len() == f.v4_hlen && f.v4_hlen >= 20
            };
            if !ok {
                return Err(DefragDrop::Malformed);
            }
        }
        let start = f.offset;
        let end = start + f.data.len() as u32;
        // IPv4: header + data must fit the 16-bit total length (Suricata uses the 20-byte
        // minimum here; the real header length is checked again at reassembly).
        let limit = if f.v6 { MAX_DGRAM } else { MAX_DGRAM - 20 };
        if end as usize > limit {
            return Err(DefragDrop::TooLarge);
        }
        let key = Key {
            src: pkt.src,
            dst: pkt.dst,
            id: f.id,
            proto: f.proto,
            v6: f.v6,
            vlan,
        };

        // Find or create the tracker; an expired one is recycled first.
        let idx = match self.map.get(&key).copied() {
            Some(idx) if self.slab.get(idx as usize).is_some_and(|t| ts > t.deadline) => {
                self.stats.timeouts += 1;
                self.map.remove(&key);
                self.recycle(idx);
                None
            }
            other => other,
        };
        let (idx, fresh) = match idx {
            Some(i) => (i, false),
            None => (self.new_tracker(ts, key)?, true),
        };

        let r = self.insert_into(ts, idx, f, start, end, an);
        match r {
            Ok(true) => {
                self.map.remove(&key);
                self.recycle(idx);
            }
            // Whole datagram unusable: too many pieces, or complete but over 64 KiB once the
            // first fragment's header is added.
            Err(DefragDrop::TooManyFragments | DefragDrop::TooLarge) => {
                self.map.remove(&key);
                self.recycle(idx);
            }
            Err(_) if fresh => {
                // Nothing was stored in a tracker made for this fragment: do not keep it.
                self.map.remove(&key);
                self.recycle(idx);
            }
            _ => {}
        }
        r
    }

    /// A cleared tracker registered under `key`.
    fn new_tracker(&mut self, ts: Timestamp, key: Key) -> Result<u32, DefragDrop> {
        if self.map.len() >= self.cfg.max_trackers {
            self.expire(ts);
            if self.map.len() >= self.cfg.max_trackers {
                return Err(DefragDrop::TrackerLimit);
            }
        }
        if self.free.is_empty() && self.mem + TRACKER_OVERHEAD > self.cfg.memcap_bytes {
            // Timed-out datagrams free slots (and memory) before the slab grows.
            self.expire(ts);
        }
        let idx = match self.free.pop() {
            Some(i) => i,
            None => {
                if !self.reserve_mem(ts, TRACKER_OVERHEAD) {
                    return Err(DefragDrop::Memcap);
                }
                let i = u32::try_from(self.slab.len()).map_err(|_| DefragDrop::TrackerLimit)?;
                self.mem += TRACKER_OVERHEAD;
                self.slab.push(Tracker::default());
                i
            }
        };
        let policy = self.cfg.policy_for(&key.dst);
        let t = self
            .slab
            .get_mut(idx as usize)
            .ok_or(DefragDrop::TrackerLimit)?;
        t.clear();
        t.key = Some(key);
        t.policy = policy;
        t.deadline = ts.add_secs(self.cfg.timeout_secs);
        self.next_deadline = self.next_deadline.min(t.deadline);
        self.map.insert(key, idx);
        self.stats.trackers_created += 1;
        Ok(idx)
    }

    /// Returns a tracker to the pool (buffers kept, still counted in `mem`).
    fn recycle(&mut self, idx: u32) {
        if let Some(t) = self.slab.get_mut(idx as usize) {
            t.clear();
            self.free.push(idx);
        }
    }

    /// Makes room for `extra` more bytes under the memcap: frees pooled buffers, then expires
    /// timed-out datagrams. False when it cannot.
    fn reserve_mem(&mut self, ts: Timestamp, extra: usize) -> bool {
        if self.mem + extra <= self.cfg.memcap_bytes {
            return true;
        }
        self.shrink_pool();
        if self.mem + extra <= self.cfg.memcap_bytes {
            return true;
        }
        self.expire(ts);
        self.shrink_pool();
        self.mem + extra <= self.cfg.memcap_bytes
    }

    /// Frees the buffers of pooled (unused) trackers.
    fn shrink_pool(&mut self) {
        for &i in &self.free {
            if let Some(t) = self.slab.get_mut(i as usize) {
                let before = t.heap();
                t.release_buffers();
                self.mem -= before;
            }
        }
    }

    /// The policy-resolved insertion of `[start, end)` into tracker `idx`.
    fn insert_into(
        &mut self,
        ts: Timestamp,
        idx: u32,
        f: &FragInfo<'_>,
        start: u32,
        end: u32,
        an: &mut Anomalies,
    ) -> Result<bool, DefragDrop> {
        let max_frags = self.cfg.max_frags_per_datagram;
        let timeout = self.cfg.timeout_secs;
        let header_bytes_needed = {
            let t = self
                .slab
                .get_mut(idx as usize)
                .ok_or(DefragDrop::TrackerLimit)?;
            t.received += 1;
            if t.received > max_frags {
                return Err(DefragDrop::TooManyFragments);
            }
            // Consistency with the datagram's end.
            if t.seen_last {
                if end > t.total {
                    return Err(DefragDrop::BeyondEnd);
                }
                if !f.mf && end != t.total {
                    return Err(DefragDrop::ConflictingEnd);
                }
            } else if !f.mf && end < t.max_end {
                return Err(DefragDrop::ConflictingEnd);
            }
            if start == 0 { f.header.len() } else { 0 }
        };

        // Memory: image growth, header, segment and extent lists (worst case: +2 segments).
        let projected = {
            let t = self
                .slab
                .get(idx as usize)
                .ok_or(DefragDrop::TrackerLimit)?;
            let img = image_capacity_for(&t.image, end as usize).saturating_sub(t.image.capacity());
            let hdr = header_bytes_needed.saturating_sub(t.header.capacity());
            let segs = grow_target(t.segs.len() + 2, t.segs.capacity())
                .saturating_sub(t.segs.capacity())
                * size_of::<Seg>();
            let frags = grow_target(t.frags.len() + 1, t.frags.capacity())
                .saturating_sub(t.frags.capacity())
                * size_of::<Extent>();
            let scratch = grow_target(t.segs.len() + 2, self.scratch.capacity())
                .saturating_sub(self.scratch.capacity())
                * size_of::<Seg>();
            img + hdr + segs + frags + scratch
        };
        if !self.reserve_mem(ts, projected) {
            return Err(DefragDrop::Memcap);
        }

        let Defragmenter {
            slab,
            scratch,
            mem,
            next_deadline,
            ..
        } = self;
        let t = slab.get_mut(idx as usize).ok_or(DefragDrop::TrackerLimit)?;
        let before = t.heap() + scratch.capacity() * size_of::<Seg>();

        // Grow the buffers (exactly as projected).
        let want = image_capacity_for(&t.image, end as usize);
        if want > t.image.capacity() {
            t.image.reserve_exact(want - t.image.len());
        }
        if t.image.len() < end as usize {
            t.image.resize(end as usize, 0);
        }
        let seg_need = t.segs.len() + 2;
        reserve_to(&mut t.segs, seg_need);
        let frag_need = t.frags.len() + 1;
        reserve_to(&mut t.frags, frag_need);
        reserve_to(scratch, seg_need);

        // Walk the owned ranges, giving each overlapped part to the winner.
        let owner = t.frags.len() as u32;
        let policy = t.policy;
        let mut overlap = false;
        let mut won_any = false;
        let mut won_first_byte = false;
        scratch.clear();
        let mut pos = start; // next byte of [start, end) not yet handled
        let push = |scratch: &mut Vec<Seg>, s: Seg| match scratch.last_mut() {
            Some(l) if l.end == s.start && l.owner == s.owner => l.end = s.end,
            _ => scratch.push(s),
        };
        for &seg in t.segs.iter() {
            if seg.end <= start {
                push(scratch, seg);
                continue;
            }
            if seg.start >= end {
                if pos < end {
                    push(
                        scratch,
                        Seg {
                            start: pos,
                            end,
                            owner,
                        },
                    );
                    won_any = true;
                    won_first_byte |= pos == 0;
                    pos = end;
                }
                push(scratch, seg);
                continue;
            }
            // `seg` overlaps [start, end).
            overlap = true;
            if seg.start > pos {
                push(
                    scratch,
                    Seg {
                        start: pos,
                        end: seg.start,
                        owner,
                    },
                );
                won_any = true;
                won_first_byte |= pos == 0;
            }
            if seg.start < start {
                push(
                    scratch,
                    Seg {
                        start: seg.start,
                        end: start,
                        owner: seg.owner,
                    },
                );
            }
            let (is, ie) = (seg.start.max(start), seg.end.min(end));
            let old = t
                .frags
                .get(seg.owner as usize)
                .copied()
                .unwrap_or(Extent { start: is, end: ie });
            if policy.new_wins(start, end, old.start, old.end) {
                push(
                    scratch,
                    Seg {
                        start: is,
                        end: ie,
                        owner,
                    },
                );
                won_any = true;
                won_first_byte |= is == 0;
            } else {
                push(
                    scratch,
                    Seg {
                        start: is,
                        end: ie,
                        owner: seg.owner,
                    },
                );
            }
            if seg.end > end {
                push(
                    scratch,
                    Seg {
                        start: end,
                        end: seg.end,
                        owner: seg.owner,
                    },
                );
            }
            pos = ie.max(pos);
        }
        if pos < end {
            push(
                scratch,
                Seg {
                    start: pos,
                    end,
                    owner,
                },
            );
            won_any = true;
            won_first_byte |= pos == 0;
        }

        // Copy the bytes the new fragment won.
        if won_any {
            for s in scratch.iter().filter(|s| s.owner == owner) {
                let (a, b) = (s.start as usize, s.end as usize);
                let src = f.data.get(a - start as usize..b - start as usize);
                if let (Some(dst), Some(src)) = (t.image.get_mut(a..b), src) {
                    dst.copy_from_slice(src);
                }
            }
            t.frags.push(Extent { start, end });
        }
        std::mem::swap(&mut t.segs, scratch);
        t.covered = t.segs.iter().map(|s| s.end - s.start).sum();

        // The first fragment's headers travel with byte 0 (validated in `insert`).
        if won_first_byte {
            store_header(t, f);
        }
        if !f.mf {
            t.seen_last = true;
            t.total = end;
        }
        t.max_end = t.max_end.max(end);
        t.deadline = ts.add_secs(timeout);
        *next_deadline = (*next_deadline).min(t.deadline);
        // Buffers only grow here (segs and scratch swap their allocations).
        let after = t.heap() + scratch.capacity() * size_of::<Seg>();
        *mem = (*mem + after).saturating_sub(before);

        if overlap {
            an.push(if f.v6 {
                Anomaly::Ipv6FragOverlap
            } else {
                Anomaly::Ipv4FragOverlap
            });
        }
        if !(t.seen_last && t.has_header && t.covered == t.total) {
            return Ok(false);
        }
        build_datagram(t, f.v6, &mut self.out)?;
        Ok(true)
    }
}

/// The fragment view of a decoded packet, or None when it is not a (non-atomic) fragment.
fn frag_info<'a>(pkt: &Decoded<'a>) -> Option<FragInfo<'a>> {
    let l3 = pkt.l3_offset as usize;
    match pkt.ip? {
        Ip::V4(h) if h.mf || h.frag_offset != 0 => {
            let hlen = usize::from(h.header_len);
            let expected = usize::from(h.total_len).saturating_sub(hlen);
            Some(FragInfo {
                truncated: pkt.payload.len() != expected,
                v6: false,
                id: u32::from(h.id),
                proto: h.proto,
                offset: u32::from(h.frag_offset),
                mf: h.mf,
                data: pkt.payload,
                header: pkt.data.get(l3..l3 + hlen).unwrap_or_default(),
                next_header: h.proto,
                v4_hlen: hlen,
            })
        }
        Ip::V6(h) => {
            let fr = h.frag.filter(|f| f.mf || f.offset != 0)?;
            let expected =
                (40 + usize::from(h.payload_len)).saturating_sub(usize::from(h.header_len));
            Some(FragInfo {
                truncated: pkt.payload.len() != expected,
                v6: true,
                id: fr.id,
                proto: 0,
                offset: u32::from(fr.offset),
                mf: fr.mf,
                data: pkt.payload,
                header: pkt
                    .data
                    .get(l3..l3 + usize::from(fr.header_offset))
                    .unwrap_or_default(),
                next_header: fr.next_header,
                v4_hlen: 0,
            })
        }
        Ip::V4(_) => None,
    }
}

/// Image capacity to request so that `end` bytes fit: grows in 2 KiB steps (a fragment is at most
/// one MTU), never beyond the largest datagram.
fn image_capacity_for(image: &Vec<u8>, end: usize) -> usize {
    if end <= image.capacity() {
        image.capacity()
    } else {
        end.next_multiple_of(2048).min(MAX_DGRAM).max(end)
    }
}

/// Capacity to give a list that must hold `len` items: doubles, starting at 8.
fn grow_target(len: usize, cap: usize) -> usize {
    if len <= cap {
        cap
    } else {
        (cap * 2).max(8).max(len)
    }
}

/// Grows `v` (by [`grow_target`]) so that it can hold `len` items.
fn reserve_to<T>(v: &mut Vec<T>, len: usize) {
    let cap = grow_target(len, v.capacity());
    if cap > v.capacity() {
        v.reserve_exact(cap - v.len());
    }
}

/// Stores the first fragment's header(s) in the tracker (IPv6: with the next header that pointed
/// to the fragment header rewritten to the fragment header's next header).
fn store_header(t: &mut Tracker, f: &FragInfo<'_>) {
    t.header.clear();
    t.header.reserve_exact(f.header.len()); // as projected for the memcap
    t.header.extend_from_slice(f.header);
    if f.v6
        && let Some(b) = v6_frag_nh_position(f.header).and_then(|at| t.header.get_mut(at))
    {
        *b = f.next_header;
    }
    t.has_header = true;
}

/// In `hdr` (IPv6 fixed header + the extension headers before the fragment header), the position
/// of the next-header byte that names the fragment header.
fn v6_frag_nh_position(hdr: &[u8]) -> Option<usize> {
    let mut nh_at = 6usize;
    let mut pos = 40usize;
    let mut guard = 0;
    while pos < hdr.len() {
        guard += 1;
        if guard > 64 {
            return None;
        }
        let nh = *hdr.get(nh_at)?;
        let len_byte = usize::from(*hdr.get(pos + 1)?);
        let len = match nh {
            51 => ((len_byte + 2) * 4).max(12), // AH
            0 | 60 => (len_byte + 1) * 8,       // hop-by-hop, destination options
            _ => 8 + len_byte * 8,              // routing, mobility, HIP, shim6
        };
        nh_at = pos;
        pos += len;
    }
    (pos == hdr.len() && *hdr.get(nh_at)? == 44).then_some(nh_at)
}

/// Writes the complete datagram of `t` into `out` (preallocated to [`OUT_CAPACITY`]).
fn build_datagram(t: &Tracker, v6: bool, out: &mut Vec<u8>) -> Result<(), DefragDrop> {
    let data = t
        .image
        .get(..t.total as usize)
        .ok_or(DefragDrop::Malformed)?;
    let len = t.header.len() + data.len();
    let max = if v6 { OUT_CAPACITY } else { MAX_DGRAM };
    if len > max {
        return Err(DefragDrop::TooLarge);
    }
    out.clear();
    out.extend_from_slice(&t.header);
    out.extend_from_slice(data);
    if v6 {
        let plen = (len - 40) as u16;
        if let Some(p) = out.get_mut(4..6) {
            p.copy_from_slice(&plen.to_be_bytes());
        }
    } else {
        let hlen = t.header.len();
        if let Some(p) = out.get_mut(2..4) {
            p.copy_from_slice(&(len as u16).to_be_bytes());
        }
        if let Some(p) = out.get_mut(6..8) {
            // Keep the reserved and DF bits; clear MF and the offset.
            p[0] &= 0xc0;
            p[1] = 0;
        }
        let c = out.get(..hlen).map(ipv4_header_checksum).unwrap_or(0);
        if let Some(p) = out.get_mut(10..12) {
            p.copy_from_slice(&c.to_be_bytes());
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "defrag_tests.rs"]
mod tests;
