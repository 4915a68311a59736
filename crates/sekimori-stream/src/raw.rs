//! Raw stream data for signature inspection (Suricata's "raw reassembly").
//!
//! The stream engine hands reassembled bytes to its sink in order; a [`RawStream`] per direction
//! keeps them for the payload rules that inspect the stream (`tcp-stream`, `flow:only_stream`).
//! Suricata inspects raw stream data in two ways, and so does this type:
//!
//! - IDS: data accumulates (it is delivered once the receiver acknowledged it) until a chunk's
//!   worth is there (`stream.reassembly.toserver-chunk-size`/`toclient-chunk-size`), the
//!   session closes, or the flow ends; then everything not inspected yet is inspected at once
//!   ([`RawStream::pending_chunks`], [`RawStream::consume`]). Holes split the data into
//!   separately inspected pieces, and the alert's payload shows them as `[N bytes missing]`.
//! - Inline (IPS): data is delivered as soon as it is contiguous and every packet inspects the
//!   stream data ending at its own last byte, up to one chunk back ([`RawStream::window`]);
//!   a retransmission that disagrees with data already in the stream is inspected (and shown)
//!   as the stream has it ([`RawStream::stored`]).
//!
//! Memory is bounded: at most `cap` bytes are kept; the oldest go first.

use std::fmt::Write as _;

/// One direction's raw stream data.
#[derive(Debug, Default, Clone)]
pub struct RawStream {
    /// Bytes kept, oldest first (no bytes for holes).
    data: Vec<u8>,
    /// Stream offset of `data[0]` when `gaps` is empty (offsets are tracked for the
    /// contiguous tail only: see `tail_start`).
    tail_start: u64,
    /// Index into `data` where the contiguous tail (no hole after it) starts.
    tail_ix: usize,
    /// Holes inside `data`: (index of the first byte after the hole, hole length).
    gaps: Vec<(usize, u64)>,
    /// Index into `data` of the first byte not inspected yet (IDS).
    inspected: usize,
    /// Stream offset one past the last byte or hole delivered.
    end: u64,
    /// Bytes or holes arrived and not inspected yet (IDS).
    pending: u64,
    /// Bytes dropped from the front to respect the cap (counted).
    pub trimmed: u64,
    /// Stream offset of `data[0]`, not counting holes recorded at index 0.
    front_off: u64,
}

impl RawStream {
    /// An empty stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends delivered bytes; keeps at most `cap` bytes (the oldest are dropped).
    pub fn push(&mut self, bytes: &[u8], cap: usize) {
        self.data.extend_from_slice(bytes);
        self.end = self.end.saturating_add(bytes.len() as u64);
        self.pending = self.pending.saturating_add(bytes.len() as u64);
        self.trim(cap);
    }

    /// Records a hole of `len` bytes (data known to be missing).
    pub fn gap(&mut self, len: u64) {
        if len == 0 {
            return;
        }
        self.end = self.end.saturating_add(len);
        self.pending = self.pending.saturating_add(len);
        match self.gaps.last_mut() {
            Some((at, l)) if *at == self.data.len() => *l = l.saturating_add(len),
            _ => self.gaps.push((self.data.len(), len)),
        }
        self.tail_ix = self.data.len();
        self.tail_start = self.end;
    }

    /// Stream offset one past the last byte (or hole) delivered.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Bytes (and holes) delivered since the last [`RawStream::consume`].
    pub fn pending(&self) -> u64 {
        self.pending
    }

    /// The contiguous pieces not inspected yet with their stream offsets, in order.
    pub fn pending_chunks_at(&self) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        let mut pos = self.inspected;
        self.pending_chunks().map(move |c| {
            // the piece starts at the first index >= pos with data
            let at = pos;
            pos = pos.saturating_add(c.len());
            (self.offset_of(at), c)
        })
    }

    /// Stream offset of `data[i]`.
    fn offset_of(&self, i: usize) -> u64 {
        let holes: u64 = self
            .gaps
            .iter()
            .filter(|(at, _)| *at <= i)
            .fold(0u64, |a, (_, l)| a.saturating_add(*l));
        self.front_off
            .saturating_add(i as u64)
            .saturating_add(holes)
    }

    /// The contiguous pieces not inspected yet, in order (holes split them).
    pub fn pending_chunks(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let from = self.inspected;
        let mut cuts: Vec<usize> = self
            .gaps
            .iter()
            .map(|(at, _)| *at)
            .filter(|at| *at > from && *at < self.data.len())
            .collect();
        cuts.push(self.data.len());
        let mut start = from;
        cuts.into_iter().filter_map(move |c| {
            let piece = self.data.get(start..c);
            start = c;
            piece.filter(|p| !p.is_empty())
        })
    }

    /// Writes the data not inspected yet as Suricata's alert payload shows stream data: the
    /// bytes, with `[N bytes missing]` where a hole is.
    pub fn render_pending(&self, out: &mut Vec<u8>) {
        self.render_from(self.inspected, out);
    }

    /// Like [`RawStream::render_pending`] for everything kept.
    pub fn render_all(&self, out: &mut Vec<u8>) {
        self.render_from(0, out);
    }

    fn render_from(&self, from: usize, out: &mut Vec<u8>) {
        out.clear();
        let mut pos = from;
        let mut note = String::new();
        for &(at, len) in &self.gaps {
            if at < from {
                continue;
            }
            if let Some(p) = self.data.get(pos..at) {
                out.extend_from_slice(p);
            }
            note.clear();
            let _ = write!(note, "[{len} bytes missing]");
            out.extend_from_slice(note.as_bytes());
            pos = at;
        }
        if let Some(p) = self.data.get(pos..) {
            out.extend_from_slice(p);
        }
    }

    /// Marks everything delivered so far as inspected (IDS); inspected bytes are forgotten.
    pub fn consume(&mut self) {
        self.pending = 0;
        self.inspected = self.data.len();
        self.forget_front(self.inspected);
        // holes already shown: fold them into the front offset
        let mut shown = 0u64;
        self.gaps.retain(|(at, l)| {
            if *at == 0 {
                shown = shown.saturating_add(*l);
                false
            } else {
                true
            }
        });
        self.front_off = self.front_off.saturating_add(shown);
    }

    /// Inline: marks everything delivered so far as inspected but keeps it as context for the
    /// next packets' windows.
    pub fn mark_inspected(&mut self) {
        self.pending = 0;
        self.inspected = self.data.len();
    }

    /// Inline: the contiguous stream bytes ending at stream offset `end` (a packet's last byte
    /// + 1), at most `max` of them. None when those bytes are not (or no longer) kept.
    pub fn window(&self, end: u64, max: usize) -> Option<&[u8]> {
        let have_to = self.end;
        if end > have_to || end <= self.tail_start {
            return None;
        }
        let tail = self.data.get(self.tail_ix..)?;
        let hi = usize::try_from(end - self.tail_start).ok()?;
        let lo = hi.saturating_sub(max);
        tail.get(lo..hi)
    }

    /// Inline: the bytes the stream holds for `[start, start + len)`, when all of them are
    /// kept (a retransmission is inspected as the stream has it).
    pub fn stored(&self, start: u64, len: usize) -> Option<&[u8]> {
        let end = start.checked_add(len as u64)?;
        if start < self.tail_start || end > self.end {
            return None;
        }
        let tail = self.data.get(self.tail_ix..)?;
        let lo = usize::try_from(start - self.tail_start).ok()?;
        tail.get(lo..lo.checked_add(len)?)
    }

    /// Bytes kept.
    pub fn kept(&self) -> usize {
        self.data.len()
    }

    fn trim(&mut self, cap: usize) {
        if self.data.len() > cap {
            let n = self.data.len() - cap;
            self.trimmed = self.trimmed.saturating_add(n as u64);
            self.forget_front(n);
        }
    }

    /// Drops `n` bytes from the front, keeping indices consistent.
    fn forget_front(&mut self, n: usize) {
        let n = n.min(self.data.len());
        if n == 0 {
            return;
        }
        self.data.drain(..n);
        let gone: u64 = self
            .gaps
            .iter()
            .filter(|(at, _)| *at < n)
            .fold(0u64, |a, (_, l)| a.saturating_add(*l));
        self.front_off = self.front_off.saturating_add(n as u64).saturating_add(gone);
        self.gaps.retain(|(at, _)| *at >= n);
        for (at, _) in &mut self.gaps {
            *at -= n;
        }
        if self.tail_ix >= n {
            self.tail_ix -= n;
        } else {
            // The front of the contiguous tail went: its offset moves with it.
            self.tail_start = self.tail_start.saturating_add((n - self.tail_ix) as u64);
            self.tail_ix = 0;
        }
        self.inspected = self.inspected.saturating_sub(n);
    }
}

/// Suricata's `payload_printable`: printable ASCII, CR and LF as they are, any other byte as `.`.
pub fn printable(data: &[u8], out: &mut String) {
    out.clear();
    out.extend(data.iter().map(|&b| {
        if (0x20..0x7f).contains(&b) || b == b'\n' || b == b'\r' {
            char::from(b)
        } else {
            '.'
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(r: &RawStream) -> Vec<Vec<u8>> {
        r.pending_chunks().map(<[u8]>::to_vec).collect()
    }

    #[test]
    fn pending_data_is_inspected_once() {
        let mut r = RawStream::new();
        r.push(b"GOOD", 1024);
        assert_eq!(r.pending(), 4);
        assert_eq!(chunks(&r), [b"GOOD".to_vec()]);
        r.consume();
        assert_eq!(r.pending(), 0);
        assert_eq!(chunks(&r).len(), 0);
        r.push(b"MORE", 1024);
        assert_eq!(chunks(&r), [b"MORE".to_vec()]);
        assert_eq!(r.end(), 8);
    }

    #[test]
    fn holes_split_chunks_and_show_in_the_payload() {
        let mut r = RawStream::new();
        r.push(b"VERY", 1024);
        r.gap(4);
        r.push(b"DATA", 1024);
        assert_eq!(chunks(&r), [b"VERY".to_vec(), b"DATA".to_vec()]);
        let mut out = Vec::new();
        r.render_pending(&mut out);
        assert_eq!(out, b"VERY[4 bytes missing]DATA");
        assert_eq!(r.end(), 12);
        assert_eq!(r.pending(), 12);
        let at: Vec<u64> = r.pending_chunks_at().map(|(o, _)| o).collect();
        assert_eq!(at, [0, 8]);
        r.consume();
        r.gap(1);
        r.push(b"x", 1024);
        assert_eq!(
            r.pending_chunks_at()
                .map(|(o, c)| (o, c.to_vec()))
                .collect::<Vec<_>>(),
            [(13, b"x".to_vec())]
        );
        r.render_pending(&mut out);
        assert_eq!(out, b"[1 bytes missing]x");
        r.consume();
        r.push(b"yz", 1024);
        assert_eq!(
            r.pending_chunks_at().map(|(o, _)| o).collect::<Vec<_>>(),
            [14]
        );
        // a leading and a trailing hole
        let mut r = RawStream::new();
        r.gap(2);
        r.push(b"ab", 1024);
        r.gap(3);
        r.render_pending(&mut out);
        assert_eq!(out, b"[2 bytes missing]ab[3 bytes missing]");
        assert_eq!(chunks(&r), [b"ab".to_vec()]);
    }

    #[test]
    fn inline_window_and_stored_bytes() {
        let mut r = RawStream::new();
        r.push(b"GOOD", 1024);
        assert_eq!(r.window(4, 100), Some(&b"GOOD"[..]));
        assert_eq!(r.window(4, 2), Some(&b"OD"[..]));
        assert_eq!(r.window(3, 100), Some(&b"GOO"[..]));
        assert_eq!(r.window(5, 100), None);
        assert_eq!(r.stored(0, 4), Some(&b"GOOD"[..]));
        assert_eq!(r.stored(2, 4), None);
        r.mark_inspected();
        assert_eq!(r.pending(), 0);
        assert_eq!(chunks(&r).len(), 0);
        assert_eq!(r.window(4, 100), Some(&b"GOOD"[..]));
        r.gap(2);
        r.push(b"xy", 1024);
        // only the contiguous tail after the hole is addressable
        assert_eq!(r.window(8, 100), Some(&b"xy"[..]));
        assert_eq!(r.stored(0, 4), None);
        assert_eq!(r.stored(6, 2), Some(&b"xy"[..]));
    }

    #[test]
    fn cap_drops_the_oldest_bytes() {
        let mut r = RawStream::new();
        r.push(b"abcdef", 4);
        assert_eq!(r.kept(), 4);
        assert_eq!(r.trimmed, 2);
        assert_eq!(r.window(6, 100), Some(&b"cdef"[..]));
        assert_eq!(r.stored(1, 2), None);
        assert_eq!(r.stored(2, 2), Some(&b"cd"[..]));
        r.gap(1);
        r.push(b"gh", 4);
        let mut out = Vec::new();
        r.render_all(&mut out);
        assert_eq!(out, b"ef[1 bytes missing]gh");
        assert_eq!(
            r.pending_chunks_at().map(|(o, _)| o).collect::<Vec<_>>(),
            [4, 7]
        );
        r.push(b"ijkl", 4);
        r.render_all(&mut out);
        assert_eq!(out, b"ijkl");
        assert_eq!(
            r.pending_chunks_at().map(|(o, _)| o).collect::<Vec<_>>(),
            [9]
        );
        assert_eq!(r.window(13, 2), Some(&b"kl"[..]));
    }

    #[test]
    fn hostile_offsets_do_not_panic() {
        let mut r = RawStream::new();
        assert_eq!(r.window(u64::MAX, usize::MAX), None);
        assert_eq!(r.stored(u64::MAX, usize::MAX), None);
        r.gap(u64::MAX);
        r.push(b"a", 0);
        r.gap(u64::MAX);
        assert_eq!(r.window(u64::MAX, 1), None);
        let mut out = Vec::new();
        r.render_all(&mut out);
        r.consume();
        assert_eq!(chunks(&r).len(), 0);
    }

    #[test]
    fn printable_like_suricata() {
        let mut s = String::new();
        printable(b"GE\x00T\r\n\xff~", &mut s);
        assert_eq!(s, "GE.T\r\n.~");
    }
}
