//! Per-direction reassembly buffer: holds segment data until it may be released, resolves
//! overlaps by policy, and delivers bytes (and gaps) in stream order.
//!
//! Positions are 64-bit stream offsets (0 = first byte after the ISN), so the buffer itself
//! never deals with sequence wrap-around. Data lives in a sorted list of non-overlapping blocks
//! (each a reusable `Vec<u8>`); in-order data is appended to the last block, so the common path
//! allocates nothing once the block has grown. Original segment boundaries are kept separately:
//! target-based overlap policies depend on where the old segment started and ended.

use std::collections::VecDeque;

use sekimori_flow::Direction;

use crate::config::OverlapPolicy;
use crate::engine::StreamSink;
use crate::stats::StreamMemory;

/// Memory charged per held segment (its metadata), in addition to the data blocks.
pub(crate) const SEG_OVERHEAD: usize = 32;
/// Blocks kept in the engine's pool at most.
const POOL_MAX: usize = 128;
/// Largest block capacity worth pooling.
const POOL_MAX_CAPACITY: usize = 64 * 1024;
/// A pooled buffer is reused for a new block of `len` bytes only if its capacity is at most
/// `max(4 * len, POOL_REUSE_SLACK)`: small out-of-order pieces must not pin big buffers.
const POOL_REUSE_SLACK: usize = 16 * 1024;

/// Whether a pooled buffer of capacity `cap` may hold a new block of `len` bytes.
fn pool_accepts(cap: usize, len: usize) -> bool {
    cap <= len.saturating_mul(4).max(POOL_REUSE_SLACK)
}

/// Capacity an append of `add` bytes grows a block to (1.5x growth, computed here so that the
/// memory it needs can be reserved before growing).
fn grow_target(len: usize, cap: usize, add: usize) -> usize {
    if cap - len.min(cap) >= add {
        cap
    } else {
        len.saturating_add(add).max(cap.saturating_add(cap / 2))
    }
}
/// Compact a block once this many consumed bytes sit at its front (and they are half of it).
const COMPACT_AFTER: usize = 64 * 1024;

/// A segment as it was received (after depth truncation): where it began and how long it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SegMeta {
    off: u64,
    len: u64,
}

impl SegMeta {
    fn end(&self) -> u64 {
        self.off.saturating_add(self.len)
    }
}

/// Contiguous stored bytes: `data[head..]` holds stream offsets `off + head .. off + data.len()`.
#[derive(Debug)]
struct Block {
    off: u64,
    head: usize,
    data: Vec<u8>,
}

impl Block {
    fn start(&self) -> u64 {
        self.off.saturating_add(self.head as u64)
    }
    fn end(&self) -> u64 {
        self.off.saturating_add(self.data.len() as u64)
    }
    fn index(&self, pos: u64) -> usize {
        pos.saturating_sub(self.off) as usize
    }
}

/// Engine-owned resources a buffer operation needs.
pub(crate) struct Env<'a> {
    pub policy: OverlapPolicy,
    pub inline: bool,
    pub max_segs: usize,
    pub mem: &'a StreamMemory,
    /// The owning session's reservation (kept in step with `mem`).
    pub held: &'a mut usize,
    pub pool: &'a mut Vec<Vec<u8>>,
    pub scratch: &'a mut Vec<u8>,
}

impl Env<'_> {
    fn reserve(&mut self, n: usize) -> bool {
        if n == 0 {
            return true;
        }
        if self.mem.try_reserve(n) {
            *self.held = self.held.saturating_add(n);
            true
        } else {
            false
        }
    }
    /// Charges `n` bytes that are already allocated, even beyond the cap.
    fn force_reserve(&mut self, n: usize) {
        if n > 0 {
            self.mem.force_reserve(n);
            *self.held = self.held.saturating_add(n);
        }
    }
    fn unreserve(&mut self, n: usize) {
        let n = n.min(*self.held);
        if n > 0 {
            self.mem.release(n);
            *self.held -= n;
        }
    }
    fn would_fit(&self, n: usize) -> bool {
        self.mem
            .used()
            .checked_add(n)
            .is_some_and(|t| t <= self.mem.cap())
    }
    fn recycle(&mut self, mut v: Vec<u8>) {
        if self.pool.len() < POOL_MAX && v.capacity() <= POOL_MAX_CAPACITY {
            v.clear();
            self.pool.push(v);
        }
    }
    fn fresh(&mut self, len: usize) -> Vec<u8> {
        if self
            .pool
            .last()
            .is_some_and(|v| pool_accepts(v.capacity(), len))
            && let Some(v) = self.pool.pop()
        {
            return v;
        }
        Vec::with_capacity(len)
    }
}

/// What happened to a segment handed to the buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct InsertResult {
    /// It overlapped data held in the buffer.
    pub overlap: bool,
    /// Some overlapping bytes differed from the held bytes.
    pub different: bool,
    /// It repeated data already seen (held identical bytes, or already delivered bytes).
    pub retransmission: bool,
    /// It lay entirely before the delivered point and was dropped.
    pub before_base: bool,
    /// Not stored: memory budget exhausted.
    pub memcap: bool,
    /// Not stored: segment limit reached.
    pub limit: bool,
    /// Bytes of further-ahead data evicted to make room.
    pub evicted: u64,
}

/// Delivery counters accumulated by release operations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Delivered {
    pub bytes: u64,
    pub gaps: u64,
    pub gap_bytes: u64,
}

/// One direction's reassembly state.
#[derive(Debug, Default)]
pub(crate) struct Reassembly {
    /// Stream offset up to which data (or gaps) went to the sink.
    delivered: u64,
    /// Highest end offset of data seen in this direction (stored, delivered or dropped).
    data_end: u64,
    blocks: VecDeque<Block>,
    segs: VecDeque<SegMeta>,
    max_seg_len: u64,
    /// Payload bytes held in blocks.
    stored: usize,
    /// Capacity of the blocks' buffers (what is charged to the memory budget).
    cap: usize,
    /// Stream offsets of urgent bytes taken out of band (`urgent.policy: oob`), ascending:
    /// they are left out of what the sink receives.
    oob: VecDeque<u64>,
}

/// Most out-of-band bytes remembered per direction (older ones beyond this are delivered).
const MAX_OOB: usize = 64;

/// Delivers `bytes`, which sit at stream offset `from`, leaving out the out-of-band bytes
/// listed in `oob` (those passed are removed from it).
fn emit_skipping<S: StreamSink>(oob: &mut VecDeque<u64>, sink: &mut S, dir: Direction, from: u64, bytes: &[u8]) {
    let end = from.saturating_add(bytes.len() as u64);
    let mut pos = from;
    while let Some(&o) = oob.front() {
        if o >= end {
            break;
        }
        oob.pop_front();
        if o < pos {
            continue;
        }
        let (a, b) = ((pos - from) as usize, (o - from) as usize);
        if let Some(piece) = bytes.get(a..b).filter(|p| !p.is_empty()) {
            sink.on_data(dir, piece);
        }
        pos = o + 1;
    }
    if let Some(piece) = bytes.get((pos - from) as usize..).filter(|p| !p.is_empty()) {
        sink.on_data(dir, piece);
    }
}

impl Reassembly {
    /// Marks the byte at stream offset `at` as out-of-band urgent data: it is not delivered.
    /// Returns false when it cannot be honoured (already delivered, or too many pending).
    pub fn mark_oob(&mut self, at: u64) -> bool {
        if at < self.delivered || self.oob.len() >= MAX_OOB || self.oob.contains(&at) {
            return false;
        }
        let i = self.oob.partition_point(|&o| o < at);
        self.oob.insert(i, at);
        true
    }


    /// Offset delivered so far (data and gaps).
    pub fn delivered(&self) -> u64 {
        self.delivered
    }
    /// Highest end offset of data seen.
    pub fn data_end(&self) -> u64 {
        self.data_end
    }
    /// Payload bytes buffered.
    pub fn stored(&self) -> usize {
        self.stored
    }
    /// Segments held.
    pub fn segment_count(&self) -> usize {
        self.segs.len()
    }
    /// Separate regions of buffered data.
    pub fn region_count(&self) -> usize {
        self.blocks.len()
    }
    /// Regions as Suricata's streaming buffer counts them: buffered data is one region unless
    /// a hole of at least 256 KiB separates it (then a new region starts; smaller holes stay
    /// inside a region).
    pub fn streaming_regions(&self) -> usize {
        const LARGE_GAP: u64 = 262_144;
        let mut n = 1;
        let mut prev_end = self.delivered;
        for b in &self.blocks {
            if b.start().saturating_sub(prev_end) >= LARGE_GAP {
                n += 1;
            }
            prev_end = prev_end.max(b.end());
        }
        n
    }
    /// Records that data up to `end` exists even though it is not stored (depth/memcap paths
    /// use it so that a later gap covers the bytes).
    pub fn note_data_end(&mut self, end: u64) {
        self.data_end = self.data_end.max(end);
    }

    /// Hands a segment to the buffer: delivers it straight from `payload` when it is the next
    /// in-order data and may already be released (`data_limit`), else stores it.
    #[allow(clippy::too_many_arguments)]
    pub fn ingest<S: StreamSink>(
        &mut self,
        env: &mut Env<'_>,
        dir: Direction,
        start: i64,
        payload: &[u8],
        data_limit: u64,
        sink: &mut S,
        out: &mut Delivered,
    ) -> InsertResult {
        let len = i64::try_from(payload.len()).unwrap_or(i64::MAX);
        let end = start.saturating_add(len);
        let delivered = i64::try_from(self.delivered).unwrap_or(i64::MAX);
        if payload.is_empty() || end <= 0 {
            return InsertResult::default();
        }
        if self.blocks.is_empty()
            && start <= delivered
            && end > delivered
            && data_limit > self.delivered
        {
            // Fast path: nothing buffered, this is the next data and it may be released now.
            self.note_data_end(end as u64);
            let upto = (end as u64).min(data_limit);
            let from = (delivered - start) as usize;
            let to = (upto as i64 - start) as usize;
            let mut res = InsertResult {
                retransmission: from > 0,
                ..InsertResult::default()
            };
            if let Some(bytes) = payload.get(from..to) {
                if !bytes.is_empty() {
                    emit_skipping(&mut self.oob, sink, dir, self.delivered, bytes);
                    out.bytes += bytes.len() as u64;
                }
                self.delivered = upto;
            }
            self.prune_segs(env);
            if upto < end as u64 {
                let rest = payload.get(to..).unwrap_or(&[]);
                let r = self.insert(env, upto as i64, rest);
                res.memcap |= r.memcap;
                res.limit |= r.limit;
                res.evicted += r.evicted;
            }
            return res;
        }
        self.insert(env, start, payload)
    }

    /// Stores a segment starting at stream offset `start` (may be negative: before the stream
    /// start), resolving overlaps with held data by policy.
    pub fn insert(&mut self, env: &mut Env<'_>, start: i64, payload: &[u8]) -> InsertResult {
        let mut res = InsertResult::default();
        let len = i64::try_from(payload.len()).unwrap_or(i64::MAX);
        let end = start.saturating_add(len);
        if payload.is_empty() {
            return res;
        }
        let delivered = i64::try_from(self.delivered).unwrap_or(i64::MAX);
        if end <= delivered {
            res.before_base = true;
            res.retransmission = true;
            return res;
        }
        let end_u = end as u64;
        self.note_data_end(end_u);
        let w0 = start.max(delivered) as u64;
        let skip = (w0 as i64 - start) as usize;
        let Some(new) = payload.get(skip..) else {
            return res;
        };
        if skip > 0 {
            res.retransmission = true;
        }
        let meta = SegMeta {
            off: start.max(0) as u64,
            len: end_u - start.max(0) as u64,
        };
        let pos = self
            .segs
            .partition_point(|s| (s.off, s.len) < (meta.off, meta.len));
        let duplicate = self.segs.get(pos) == Some(&meta);

        // Make room by evicting data further ahead than this segment (never earlier data): an
        // attacker who floods the buffer with far-ahead junk cannot push out the next bytes.
        if !duplicate {
            while self.segs.len() >= env.max_segs {
                match self.evict_tail(env, w0) {
                    Some(n) => res.evicted += n,
                    None => {
                        res.limit = true;
                        return res;
                    }
                }
            }
        }
        while !env.would_fit(
            self.plan_capacity(env, w0, end_u)
                .saturating_add(SEG_OVERHEAD),
        ) {
            match self.evict_tail(env, w0) {
                Some(n) => res.evicted += n,
                None => break,
            }
        }

        // Overlap resolution against every held segment that overlaps the writable region.
        let mut use_scratch = false;
        let hi = self.segs.partition_point(|s| s.off < end_u);
        let mut i = hi;
        while i > 0 {
            i -= 1;
            let Some(s) = self.segs.get(i).copied() else {
                break;
            };
            if s.off.saturating_add(self.max_seg_len) <= w0 {
                break;
            }
            let r0 = s.off.max(w0);
            let r1 = s.end().min(end_u);
            if r0 >= r1 {
                continue;
            }
            res.overlap = true;
            let a = (r0 - w0) as usize;
            let b = (r1 - w0) as usize;
            let Some(new_part) = new.get(a..b) else {
                continue;
            };
            if self.stored_eq(r0, new_part) {
                continue;
            }
            res.different = true;
            let start_ord = start.cmp(&(s.off as i64));
            let end_ord = end_u.cmp(&s.end());
            let new_wins = !env.inline && env.policy.new_data_wins(start_ord, end_ord);
            if !new_wins {
                if !use_scratch {
                    env.scratch.clear();
                    env.scratch.extend_from_slice(new);
                    use_scratch = true;
                }
                if let Some(dst) = env.scratch.get_mut(a..b) {
                    self.copy_stored(r0, dst);
                }
            }
        }

        let fresh = (end_u - w0).saturating_sub(self.covered(w0, end_u)) as usize;
        if res.overlap && !res.different && fresh == 0 {
            res.retransmission = true;
        }
        let meta_cost = if duplicate { 0 } else { SEG_OVERHEAD };
        let planned = if fresh == 0 {
            0
        } else {
            self.plan_capacity(env, w0, end_u)
        };
        if !env.reserve(planned + meta_cost) {
            res.memcap = true;
            return res;
        }
        let added = if use_scratch {
            let scratch = std::mem::take(env.scratch);
            let a = self.write(env, w0, &scratch);
            *env.scratch = scratch;
            a
        } else {
            self.write(env, w0, new)
        };
        if added < planned {
            env.unreserve(planned - added);
        } else {
            env.force_reserve(added - planned);
        }
        if !duplicate {
            self.segs.insert(pos, meta);
            self.max_seg_len = self.max_seg_len.max(meta.len);
        }
        res
    }

    /// Releases data in order up to `data_limit`, declaring gaps for missing data up to
    /// `gap_limit` (only where data beyond the hole is known to exist).
    pub fn release<S: StreamSink>(
        &mut self,
        env: &mut Env<'_>,
        dir: Direction,
        data_limit: u64,
        gap_limit: u64,
        sink: &mut S,
        out: &mut Delivered,
    ) {
        loop {
            let Some(b) = self.blocks.front_mut() else {
                let hole_end = self.data_end.min(gap_limit);
                if hole_end > self.delivered {
                    let n = hole_end - self.delivered;
                    sink.on_gap(dir, n);
                    out.gaps += 1;
                    out.gap_bytes += n;
                    self.delivered = hole_end;
                }
                break;
            };
            let bstart = b.start();
            if bstart > self.delivered {
                let hole_end = bstart.min(gap_limit);
                if hole_end <= self.delivered {
                    break;
                }
                let n = hole_end - self.delivered;
                sink.on_gap(dir, n);
                out.gaps += 1;
                out.gap_bytes += n;
                self.delivered = hole_end;
                if hole_end < bstart {
                    break;
                }
                continue;
            }
            if bstart < self.delivered {
                // Cannot happen while the invariants hold; skip stale bytes defensively.
                let skip = (self.delivered.min(b.end()) - bstart) as usize;
                b.head += skip;
                self.stored = self.stored.saturating_sub(skip);
                if b.head >= b.data.len() {
                    self.pop_front_block(env);
                }
                continue;
            }
            let bend = b.end();
            let upto = bend.min(data_limit);
            if upto <= self.delivered {
                break;
            }
            let from = b.index(self.delivered);
            let to = b.index(upto);
            let n = to.saturating_sub(from);
            if let Some(bytes) = b.data.get(from..to) {
                emit_skipping(&mut self.oob, sink, dir, self.delivered, bytes);
            }
            out.bytes += n as u64;
            b.head = to;
            self.delivered = upto;
            self.stored = self.stored.saturating_sub(n);
            let exhausted = b.head >= b.data.len();
            if !exhausted && b.head >= COMPACT_AFTER && b.head * 2 >= b.data.len() {
                b.data.drain(..b.head);
                b.off = b.off.saturating_add(b.head as u64);
                b.head = 0;
            }
            if exhausted {
                self.pop_front_block(env);
            } else {
                break;
            }
        }
        self.prune_segs(env);
    }

    /// Drops everything held (no delivery) and returns the memory.
    pub fn clear(&mut self, env: &mut Env<'_>) {
        let n = self.cap + self.segs.len() * SEG_OVERHEAD;
        while let Some(b) = self.blocks.pop_front() {
            env.recycle(b.data);
        }
        self.segs.clear();
        self.stored = 0;
        self.cap = 0;
        env.unreserve(n);
    }

    /// Back to the initial state (nothing delivered, nothing seen), returning the memory.
    pub fn reset(&mut self, env: &mut Env<'_>) {
        self.clear(env);
        self.delivered = 0;
        self.data_end = 0;
        self.max_seg_len = 0;
    }

    /// Forgets held segments whose data has been delivered.
    fn prune_segs(&mut self, env: &mut Env<'_>) {
        let mut n = 0usize;
        while self.segs.front().is_some_and(|s| s.end() <= self.delivered) {
            self.segs.pop_front();
            n += 1;
        }
        if n > 0 {
            env.unreserve(n * SEG_OVERHEAD);
        }
        if self.segs.is_empty() {
            self.max_seg_len = 0;
        }
    }

    /// Evicts the furthest-ahead segment if it starts after `keep_from`; returns bytes freed.
    fn evict_tail(&mut self, env: &mut Env<'_>, keep_from: u64) -> Option<u64> {
        let last = *self.segs.back()?;
        if last.off <= keep_from {
            return None;
        }
        self.segs.pop_back();
        // Data of the evicted segment still covered by an earlier (longer) segment stays.
        let mut covered_to = self.delivered;
        for s in self.segs.iter().rev() {
            if s.off.saturating_add(self.max_seg_len) <= last.off {
                break;
            }
            covered_to = covered_to.max(s.end());
        }
        let cut = last.off.max(covered_to);
        let mut freed = 0u64;
        let mut freed_cap = 0usize;
        if cut < last.end() {
            while let Some(b) = self.blocks.back_mut() {
                if b.start() >= cut {
                    let n = b.data.len() - b.head;
                    freed += n as u64;
                    if let Some(blk) = self.blocks.pop_back() {
                        freed_cap += blk.data.capacity();
                        env.recycle(blk.data);
                    }
                } else {
                    if b.end() > cut {
                        let keep = b.index(cut);
                        freed += (b.data.len() - keep) as u64;
                        b.data.truncate(keep);
                    }
                    break;
                }
            }
        }
        self.stored = self.stored.saturating_sub(freed as usize);
        self.cap = self.cap.saturating_sub(freed_cap);
        env.unreserve(freed_cap + SEG_OVERHEAD);
        Some(freed)
    }

    /// Bytes of `[from, to)` currently stored.
    fn covered(&self, from: u64, to: u64) -> u64 {
        let mut i = self.blocks.partition_point(|b| b.end() <= from);
        let mut n = 0u64;
        while let Some(b) = self.blocks.get(i) {
            if b.start() >= to {
                break;
            }
            n += b.end().min(to) - b.start().max(from);
            i += 1;
        }
        n
    }

    /// True when the stored bytes at `off..` equal `data` (missing bytes count as different).
    fn stored_eq(&self, off: u64, data: &[u8]) -> bool {
        let end = off + data.len() as u64;
        let mut pos = off;
        let mut i = self.blocks.partition_point(|b| b.end() <= off);
        while pos < end {
            let Some(b) = self.blocks.get(i) else {
                return false;
            };
            if b.start() > pos {
                return false;
            }
            let upto = b.end().min(end);
            let held = b.data.get(b.index(pos)..b.index(upto));
            let new = data.get((pos - off) as usize..(upto - off) as usize);
            if held != new || held.is_none() {
                return false;
            }
            pos = upto;
            i += 1;
        }
        true
    }

    /// Copies stored bytes at `off..` into `dst` (bytes not stored are left untouched).
    fn copy_stored(&self, off: u64, dst: &mut [u8]) {
        let end = off + dst.len() as u64;
        let mut i = self.blocks.partition_point(|b| b.end() <= off);
        while let Some(b) = self.blocks.get(i) {
            if b.start() >= end {
                break;
            }
            let r0 = b.start().max(off);
            let r1 = b.end().min(end);
            if let (Some(src), Some(d)) = (
                b.data.get(b.index(r0)..b.index(r1)),
                dst.get_mut((r0 - off) as usize..(r1 - off) as usize),
            ) {
                d.copy_from_slice(src);
            }
            i += 1;
        }
    }

    /// Removes the (exhausted) first block, returning its buffer and its memory.
    fn pop_front_block(&mut self, env: &mut Env<'_>) {
        if let Some(blk) = self.blocks.pop_front() {
            let c = blk.data.capacity();
            self.cap = self.cap.saturating_sub(c);
            env.unreserve(c);
            env.recycle(blk.data);
        }
    }

    /// Buffer capacity writing `[w0, end)` would add (same decisions as `write`).
    fn plan_capacity(&self, env: &Env<'_>, w0: u64, end: u64) -> usize {
        let mut pos = w0;
        let mut i = self.blocks.partition_point(|b| b.end() <= pos);
        let mut pool_left = env.pool.len();
        let mut need = 0usize;
        while pos < end {
            if let Some(b) = self.blocks.get(i)
                && b.start() <= pos
            {
                pos = end.min(b.end());
                i += 1;
                continue;
            }
            let hole_end = self.blocks.get(i).map_or(end, |b| end.min(b.start()));
            let fill = (hole_end - pos) as usize;
            let prev = if i > 0 { self.blocks.get(i - 1) } else { None };
            match prev {
                Some(b) if b.end() == pos => {
                    let (len, cap) = (b.data.len(), b.data.capacity());
                    need += grow_target(len, cap, fill) - cap;
                }
                _ => {
                    let pooled = pool_left
                        .checked_sub(1)
                        .and_then(|k| env.pool.get(k))
                        .map(Vec::capacity)
                        .filter(|c| pool_accepts(*c, fill));
                    match pooled {
                        Some(c) => {
                            pool_left -= 1;
                            need += c.max(fill);
                        }
                        None => need += fill,
                    }
                }
            }
            pos = hole_end;
        }
        need
    }

    /// Writes `data` at stream offset `w0`, overwriting held bytes and filling holes; returns
    /// the buffer capacity this added.
    fn write(&mut self, env: &mut Env<'_>, w0: u64, data: &[u8]) -> usize {
        let cap_before = self.cap;
        let end = w0 + data.len() as u64;
        let mut pos = w0;
        let mut i = self.blocks.partition_point(|b| b.end() <= pos);
        while pos < end {
            let inside = self.blocks.get(i).is_some_and(|b| b.start() <= pos);
            if inside {
                if let Some(b) = self.blocks.get_mut(i) {
                    let upto = end.min(b.end());
                    let (bi0, bi1) = (b.index(pos), b.index(upto));
                    let (di0, di1) = ((pos - w0) as usize, (upto - w0) as usize);
                    if let (Some(dst), Some(src)) = (b.data.get_mut(bi0..bi1), data.get(di0..di1)) {
                        dst.copy_from_slice(src);
                    }
                    pos = upto;
                }
                i += 1;
                continue;
            }
            let hole_end = match self.blocks.get(i) {
                Some(b) => end.min(b.start()),
                None => end,
            };
            let Some(src) = data.get((pos - w0) as usize..(hole_end - w0) as usize) else {
                break;
            };
            let append = i > 0 && self.blocks.get(i - 1).is_some_and(|b| b.end() == pos);
            if append {
                if let Some(b) = self.blocks.get_mut(i - 1) {
                    let cap = b.data.capacity();
                    let target = grow_target(b.data.len(), cap, src.len());
                    if target > cap {
                        b.data.reserve_exact(target - b.data.len());
                    }
                    b.data.extend_from_slice(src);
                    self.cap = self.cap + b.data.capacity() - cap;
                }
            } else {
                let mut v = env.fresh(src.len());
                v.extend_from_slice(src);
                self.cap += v.capacity();
                self.blocks.insert(
                    i,
                    Block {
                        off: pos,
                        head: 0,
                        data: v,
                    },
                );
                i += 1;
            }
            self.stored += src.len();
            pos = hole_end;
        }
        self.cap.saturating_sub(cap_before)
    }

    /// Test helper: checks the structural invariants and returns the memory this buffer
    /// should be charged for.
    #[cfg(test)]
    pub fn check(&self) -> usize {
        let mut prev_end = self.delivered;
        let (mut cap, mut stored) = (0usize, 0usize);
        for b in &self.blocks {
            assert!(b.head < b.data.len(), "empty block kept");
            assert!(
                b.start() >= prev_end,
                "blocks overlap or precede the delivered point"
            );
            prev_end = b.end();
            cap += b.data.capacity();
            stored += b.data.len() - b.head;
        }
        assert_eq!(cap, self.cap, "capacity accounting");
        assert_eq!(stored, self.stored, "stored bytes accounting");
        assert!(self.data_end >= prev_end || self.blocks.is_empty());
        let mut last = (0u64, 0u64);
        for s in &self.segs {
            assert!(
                (s.off, s.len) > last || last == (0, 0),
                "segments unsorted or duplicated"
            );
            last = (s.off, s.len);
            assert!(s.len <= self.max_seg_len);
        }
        cap + self.segs.len() * SEG_OVERHEAD
    }

    /// Test helper: the ordered list of held segments as (offset, length).
    #[cfg(test)]
    pub fn segs_for_test(&self) -> Vec<(u64, u64)> {
        self.segs.iter().map(|s| (s.off, s.len)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Sink {
        out: Vec<u8>,
        gaps: Vec<u64>,
        calls: usize,
    }
    impl StreamSink for Sink {
        fn on_data(&mut self, _dir: Direction, data: &[u8]) {
            self.out.extend_from_slice(data);
            self.calls += 1;
        }
        fn on_gap(&mut self, _dir: Direction, len: u64) {
            self.gaps.push(len);
            self.out.extend(std::iter::repeat_n(b'#', len as usize));
        }
        fn on_close(&mut self, _dir: Direction) {}
    }

    struct Harness {
        mem: StreamMemory,
        held: usize,
        pool: Vec<Vec<u8>>,
        scratch: Vec<u8>,
        policy: OverlapPolicy,
        inline: bool,
        max_segs: usize,
    }
    impl Harness {
        fn new(policy: OverlapPolicy) -> Self {
            Harness {
                mem: StreamMemory::new(1 << 20),
                held: 0,
                pool: Vec::new(),
                scratch: Vec::new(),
                policy,
                inline: false,
                max_segs: 1000,
            }
        }
        fn env(&mut self) -> Env<'_> {
            Env {
                policy: self.policy,
                inline: self.inline,
                max_segs: self.max_segs,
                mem: &self.mem,
                held: &mut self.held,
                pool: &mut self.pool,
                scratch: &mut self.scratch,
            }
        }
    }

    const D: Direction = Direction::ToServer;

    #[test]
    fn in_order_and_out_of_order() {
        let mut h = Harness::new(OverlapPolicy::Bsd);
        let mut r = Reassembly::default();
        let mut s = Sink::default();
        let mut d = Delivered::default();
        r.insert(&mut h.env(), 6, b"world");
        r.insert(&mut h.env(), 0, b"hello ");
        assert_eq!(r.stored(), 11);
        assert_eq!(r.region_count(), 2);
        r.release(&mut h.env(), D, 5, 5, &mut s, &mut d);
        assert_eq!(s.out, b"hello");
        r.release(&mut h.env(), D, u64::MAX, 0, &mut s, &mut d);
        assert_eq!(s.out, b"hello world");
        assert_eq!(d.bytes, 11);
        assert_eq!(r.stored(), 0);
        assert_eq!(r.segment_count(), 0);
        assert_eq!(h.held, 0);
        assert_eq!(h.mem.used(), 0);
    }

    #[test]
    fn out_of_band_bytes_are_left_out_of_the_delivery() {
        let mut h = Harness::new(OverlapPolicy::Bsd);
        let mut r = Reassembly::default();
        let mut s = Sink::default();
        let mut d = Delivered::default();
        // "GET /malic" + urgent "X" at offset 10 + "ious": the X is out of band.
        assert!(r.mark_oob(10));
        assert!(!r.mark_oob(10), "marked once");
        r.insert(&mut h.env(), 0, b"GET /malic");
        r.insert(&mut h.env(), 10, b"X");
        r.insert(&mut h.env(), 11, b"ious");
        r.release(&mut h.env(), D, u64::MAX, 0, &mut s, &mut d);
        assert_eq!(s.out, b"GET /malicious");
        assert_eq!(d.bytes, 15, "the urgent byte still counts as received");
        // An offset already delivered cannot be taken out any more.
        assert!(!r.mark_oob(3));
        // Two urgent bytes in one delivered piece, the first at its start.
        let mut r = Reassembly::default();
        let mut s = Sink::default();
        assert!(r.mark_oob(0) && r.mark_oob(2));
        r.insert(&mut h.env(), 0, b"!a!b");
        r.release(&mut h.env(), D, u64::MAX, 0, &mut s, &mut d);
        assert_eq!(s.out, b"ab");
    }

    #[test]
    fn streaming_regions_split_only_at_large_holes() {
        let mut h = Harness::new(OverlapPolicy::Bsd);
        let mut r = Reassembly::default();
        assert_eq!(r.streaming_regions(), 1);
        r.insert(&mut h.env(), 10, b"a");
        r.insert(&mut h.env(), 100, b"b");
        // small holes: one region
        assert_eq!(r.region_count(), 2);
        assert_eq!(r.streaming_regions(), 1);
        let res = r.insert(&mut h.env(), 101 + 262_144, b"c");
        assert_eq!(r.region_count(), 3, "{res:?}");
        assert_eq!(r.streaming_regions(), 2);
    }

    #[test]
    fn gap_only_when_allowed_and_data_follows() {
        let mut h = Harness::new(OverlapPolicy::Bsd);
        let mut r = Reassembly::default();
        let mut s = Sink::default();
        let mut d = Delivered::default();
        r.insert(&mut h.env(), 0, b"abc");
        r.insert(&mut h.env(), 10, b"xyz");
        // Data limit high but gap limit at 5: deliver abc, gap of 2 (3..5), stop.
        r.release(&mut h.env(), D, u64::MAX, 5, &mut s, &mut d);
        assert_eq!(s.out, b"abc##");
        assert_eq!(s.gaps, vec![2]);
        r.release(&mut h.env(), D, u64::MAX, 13, &mut s, &mut d);
        assert_eq!(s.out, b"abc#######xyz");
        assert_eq!(s.gaps, vec![2, 5]);
        assert_eq!(d.gap_bytes, 7);
        assert_eq!(d.gaps, 2);
    }

    #[test]
    fn trailing_gap_uses_data_end() {
        let mut h = Harness::new(OverlapPolicy::Bsd);
        let mut r = Reassembly::default();
        let mut s = Sink::default();
        let mut d = Delivered::default();
        r.note_data_end(8);
        r.release(&mut h.env(), D, u64::MAX, 100, &mut s, &mut d);
        assert_eq!(s.gaps, vec![8]);
        assert_eq!(r.delivered(), 8);
    }

    #[test]
    fn direct_delivery_copies_nothing() {
        let mut h = Harness::new(OverlapPolicy::Bsd);
        let mut r = Reassembly::default();
        let mut s = Sink::default();
        let mut d = Delivered::default();
        let res = r.ingest(&mut h.env(), D, 0, b"abcdef", u64::MAX, &mut s, &mut d);
        assert!(!res.overlap);
        assert_eq!(s.out, b"abcdef");
        assert_eq!(r.stored(), 0);
        assert_eq!(h.mem.used(), 0);
        // partially deliverable: rest is stored
        r.ingest(&mut h.env(), D, 6, b"ghij", 8, &mut s, &mut d);
        assert_eq!(s.out, b"abcdefgh");
        assert_eq!(r.stored(), 2);
        // a retransmission overlapping delivered data is trimmed
        let res = r.ingest(&mut h.env(), D, 4, b"efghij", u64::MAX, &mut s, &mut d);
        assert!(res.retransmission);
        r.release(&mut h.env(), D, u64::MAX, 0, &mut s, &mut d);
        assert_eq!(s.out, b"abcdefghij");
    }

    #[test]
    fn duplicate_and_before_base() {
        let mut h = Harness::new(OverlapPolicy::Bsd);
        let mut r = Reassembly::default();
        r.insert(&mut h.env(), 0, b"abcd");
        let res = r.insert(&mut h.env(), 0, b"abcd");
        assert!(res.overlap && res.retransmission && !res.different);
        assert_eq!(r.segment_count(), 1);
        let res = r.insert(&mut h.env(), 0, b"abXd");
        assert!(res.overlap && res.different);
        let mut s = Sink::default();
        let mut d = Delivered::default();
        r.release(&mut h.env(), D, u64::MAX, 0, &mut s, &mut d);
        assert_eq!(
            s.out, b"abcd",
            "bsd keeps the original on a same-start same-end overlap"
        );
        let res = r.insert(&mut h.env(), 0, b"zz");
        assert!(res.before_base);
        let res = r.insert(&mut h.env(), -10, b"0123456789");
        assert!(res.before_base);
    }

    #[test]
    fn memcap_and_eviction() {
        let mut h = Harness::new(OverlapPolicy::Bsd);
        h.mem = StreamMemory::new(2 * SEG_OVERHEAD + 20);
        let mut r = Reassembly::default();
        // far-ahead junk takes the budget
        let res = r.insert(&mut h.env(), 100, &[b'J'; 20]);
        assert!(!res.memcap);
        // the next in-order bytes evict it rather than being dropped
        let res = r.insert(&mut h.env(), 0, &[b'A'; 20]);
        assert!(!res.memcap);
        assert_eq!(res.evicted, 20);
        assert_eq!(r.segs_for_test(), vec![(0, 20)]);
        // in-order append with no further-ahead data to evict: dropped
        let res = r.insert(&mut h.env(), 20, &[b'B'; 40]);
        assert!(res.memcap);
        // the evicted junk was seen, so it is known missing data too
        assert_eq!(r.data_end(), 120);
        let mut s = Sink::default();
        let mut d = Delivered::default();
        r.release(&mut h.env(), D, u64::MAX, u64::MAX, &mut s, &mut d);
        assert_eq!(&s.out[..20], &[b'A'; 20]);
        assert_eq!(s.gaps, vec![100]);
        assert_eq!(h.mem.used(), 0);
    }

    #[test]
    fn segment_limit() {
        let mut h = Harness::new(OverlapPolicy::Bsd);
        h.max_segs = 2;
        let mut r = Reassembly::default();
        assert!(!r.insert(&mut h.env(), 0, b"a").limit);
        assert!(!r.insert(&mut h.env(), 1, b"b").limit);
        assert!(r.insert(&mut h.env(), 2, b"c").limit);
        // exact duplicate does not need a slot
        assert!(!r.insert(&mut h.env(), 1, b"b").limit);
    }

    #[test]
    fn inline_keeps_first() {
        let mut h = Harness::new(OverlapPolicy::Last);
        h.inline = true;
        let mut r = Reassembly::default();
        r.insert(&mut h.env(), 5, b"AAAA");
        let res = r.insert(&mut h.env(), 3, b"BBBBBBBB");
        assert!(res.different);
        let mut s = Sink::default();
        let mut d = Delivered::default();
        r.release(&mut h.env(), D, u64::MAX, u64::MAX, &mut s, &mut d);
        assert_eq!(s.out, b"###BBAAAABB");
    }

    #[test]
    fn reversed_many_segments_no_quadratic_blowup() {
        let mut h = Harness::new(OverlapPolicy::Bsd);
        h.max_segs = 100_000;
        h.mem = StreamMemory::new(usize::MAX);
        let mut r = Reassembly::default();
        let n = 5000u64;
        for i in (0..n).rev() {
            r.insert(&mut h.env(), (i * 3) as i64, &[(i % 251) as u8; 3]);
        }
        let mut s = Sink::default();
        let mut d = Delivered::default();
        r.release(&mut h.env(), D, u64::MAX, 0, &mut s, &mut d);
        assert_eq!(s.out.len() as u64, n * 3);
        for i in 0..n {
            assert_eq!(s.out[(i * 3) as usize], (i % 251) as u8);
        }
    }

    #[test]
    fn clear_returns_memory() {
        let mut h = Harness::new(OverlapPolicy::Bsd);
        let mut r = Reassembly::default();
        r.insert(&mut h.env(), 10, b"abc");
        r.insert(&mut h.env(), 20, b"def");
        assert!(h.mem.used() > 0);
        r.clear(&mut h.env());
        assert_eq!(h.mem.used(), 0);
        assert_eq!(h.held, 0);
        assert_eq!(r.stored(), 0);
    }
}

#[cfg(test)]
mod perf_probe {
    use super::*;
    #[test]
    #[ignore]
    fn random_insert_cost() {
        for n in [4096usize, 16384] {
            let mem = StreamMemory::new(usize::MAX);
            let mut held = 0;
            let mut pool = Vec::new();
            let mut scratch = Vec::new();
            let mut r = Reassembly::default();
            let mut x: u64 = 0x1234_5678;
            let t = std::time::Instant::now();
            for _ in 0..n {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let off = 1 + (x % (n as u64 * 4)) * 2;
                let mut env = Env {
                    policy: OverlapPolicy::Bsd,
                    inline: false,
                    max_segs: n,
                    mem: &mem,
                    held: &mut held,
                    pool: &mut pool,
                    scratch: &mut scratch,
                };
                r.insert(&mut env, off as i64, b"x");
            }
            eprintln!("n={n}: {:?} total, {} segs", t.elapsed(), r.segment_count());
        }
    }
}
