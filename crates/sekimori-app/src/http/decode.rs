//! Streaming gzip/deflate/brotli decoding of HTTP bodies with bounded output.
//!
//! `flate2::Decompress` does the inflating (zlib-wrapped or raw deflate); the gzip member header
//! is parsed here because the low-level API only knows zlib and raw streams, and the streaming
//! high-level readers cannot bound the output produced per input chunk; `brotli-decompressor`'s
//! stream function decodes `br` the same way, into the same fixed buffer. Output is produced in
//! 32 KiB steps and stops at `max_output` or when the decoded/encoded ratio exceeds `ratio`
//! after `bomb_limit` bytes (libhtp's bomb rule), so a decompression bomb costs bounded CPU and
//! memory.

use brotli_decompressor::{BrotliResult, StandardAlloc};
use flate2::{Decompress, FlushDecompress, Status};

/// A content coding we can decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Coding {
    /// `gzip` / `x-gzip`.
    Gzip,
    /// `deflate`: zlib-wrapped or raw (detected from the first two bytes).
    Deflate,
    /// `br` (RFC 7932), with the same output cap and ratio check. libhtp 0.5 (Suricata 7)
    /// does not decode it: Suricata inspects and hashes such bodies as sent.
    Brotli,
}

impl Coding {
    /// The coding of a Content-Encoding value; `Err(())` when it names something we do not
    /// decode (or several codings), `Ok(None)` for identity / absent.
    pub(crate) fn from_header(v: &[u8]) -> Result<Option<Coding>, ()> {
        let mut found: Option<Coding> = None;
        let mut others = false;
        for tok in v.split(|&c| c == b',') {
            let t = trim(tok);
            let c = if t.eq_ignore_ascii_case(b"gzip") || t.eq_ignore_ascii_case(b"x-gzip") {
                Some(Coding::Gzip)
            } else if t.eq_ignore_ascii_case(b"deflate") {
                Some(Coding::Deflate)
            } else if t.eq_ignore_ascii_case(b"br") {
                Some(Coding::Brotli)
            } else if t.is_empty() || t.eq_ignore_ascii_case(b"identity") {
                None
            } else {
                others = true;
                None
            };
            if let Some(c) = c {
                if found.is_some() {
                    others = true;
                }
                found = Some(c);
            }
        }
        if others { Err(()) } else { Ok(found) }
    }
}

fn trim(s: &[u8]) -> &[u8] {
    let a = s
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(s.len());
    let b = s
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map(|i| i + 1)
        .unwrap_or(a);
    s.get(a..b).unwrap_or(&[])
}

/// Limits of one decoder.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) max_output: u64,
    pub(crate) bomb_limit: u64,
    pub(crate) ratio: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GzState {
    /// Fixed 10-byte header, `n` bytes seen.
    Fixed(u8),
    /// FEXTRA length (2 bytes), `n` seen.
    ExtraLen(u8),
    /// FEXTRA payload, bytes left.
    Extra(u16),
    /// Zero-terminated FNAME.
    Name,
    /// Zero-terminated FCOMMENT.
    Comment,
    /// FHCRC, bytes left.
    Hcrc(u8),
}

enum Stage {
    /// Gzip member header being read.
    GzHeader(GzState),
    /// Deflate: waiting for the first byte to tell zlib from raw.
    Sniff,
    /// Inflating.
    Inflate,
    /// Decoding brotli.
    Brotli,
    /// The stream ended (trailer and trailing bytes are ignored).
    Done,
    /// Decoding failed: bytes pass through undecoded.
    Passthrough,
    /// A limit was hit: nothing more is produced.
    Stopped,
}

/// What happened while decoding a chunk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DecodeReport {
    /// Decoding failed in this chunk (from now on bytes pass through).
    pub(crate) failed: bool,
    /// A limit was hit in this chunk.
    pub(crate) bomb: bool,
}

/// A streaming body decoder.
pub(crate) struct Decoder {
    stage: Stage,
    flags: u8,
    inflate: Option<Decompress>,
    /// Brotli state (boxed: large); its window is at most 16 MiB (large windows are refused).
    brotli: Option<Box<BrState>>,
    out: Vec<u8>,
    total_in: u64,
    total_out: u64,
    limits: Limits,
}

const STEP: usize = 32 * 1024;

type BrState = brotli_decompressor::BrotliState<StandardAlloc, StandardAlloc, StandardAlloc>;

fn brotli_state() -> Box<BrState> {
    let mut st = BrState::new(
        StandardAlloc::default(),
        StandardAlloc::default(),
        StandardAlloc::default(),
    );
    // RFC 7932 streams only: a large window could ask for a 1 GiB ring buffer.
    st.large_window = false;
    Box::new(st)
}

impl Decoder {
    pub(crate) fn new(coding: Coding, limits: Limits) -> Self {
        let stage = match coding {
            Coding::Gzip => Stage::GzHeader(GzState::Fixed(0)),
            Coding::Deflate => Stage::Sniff,
            Coding::Brotli => Stage::Brotli,
        };
        Decoder {
            stage,
            flags: 0,
            inflate: None,
            brotli: (coding == Coding::Brotli).then(brotli_state),
            out: Vec::new(),
            total_in: 0,
            total_out: 0,
            limits,
        }
    }

    /// Decoded bytes produced so far.
    pub(crate) fn produced(&self) -> u64 {
        self.total_out
    }

    pub(crate) fn memory(&self) -> usize {
        self.out.capacity()
            + if self.inflate.is_some() { 48 * 1024 } else { 0 }
            + if self.brotli.is_some() { 64 * 1024 } else { 0 }
    }

    /// Decodes `input`, handing decoded bytes to `emit`.
    pub(crate) fn feed(&mut self, mut input: &[u8], emit: &mut dyn FnMut(&[u8])) -> DecodeReport {
        let mut rep = DecodeReport::default();
        self.total_in = self.total_in.saturating_add(input.len() as u64);
        while !input.is_empty() {
            match self.stage {
                Stage::Done | Stage::Stopped => return rep,
                Stage::Passthrough => {
                    emit(input);
                    return rep;
                }
                Stage::Sniff => {
                    let b0 = input.first().copied().unwrap_or(0);
                    // A zlib header: CM = 8, CINFO <= 7 (the second byte makes the check sum,
                    // which we do not wait for: a raw deflate block rarely starts like this).
                    let zlib = b0 & 0x0f == 8 && b0 >> 4 <= 7;
                    self.inflate = Some(Decompress::new(zlib));
                    self.stage = Stage::Inflate;
                }
                Stage::GzHeader(st) => match self.gz_header(st, &mut input) {
                    Ok(()) => {}
                    Err(()) => {
                        rep.failed = true;
                        self.stage = Stage::Passthrough;
                    }
                },
                Stage::Brotli => {
                    if self.out.len() != STEP {
                        self.out.resize(STEP, 0);
                    }
                    // Output comes in STEP pieces; keep going while the decoder has more for
                    // the same input (bounded by the output cap checked in `give`).
                    loop {
                        let Some(st) = self.brotli.as_mut() else {
                            self.stage = Stage::Passthrough;
                            break;
                        };
                        let (mut avail_in, mut in_off) = (input.len(), 0usize);
                        let (mut avail_out, mut out_off, mut total) = (STEP, 0usize, 0usize);
                        let res = brotli_decompressor::BrotliDecompressStream(
                            &mut avail_in,
                            &mut in_off,
                            input,
                            &mut avail_out,
                            &mut out_off,
                            &mut self.out,
                            &mut total,
                            st,
                        );
                        input = input.get(in_off..).unwrap_or(&[]);
                        let made = out_off.min(STEP);
                        if made > 0 && self.give(made, &mut rep, emit) {
                            self.brotli = None;
                            return rep;
                        }
                        match res {
                            BrotliResult::NeedsMoreOutput if made > 0 => continue,
                            BrotliResult::NeedsMoreOutput => {
                                // No progress: never loop on it.
                                rep.failed = true;
                                self.stage = Stage::Passthrough;
                                self.brotli = None;
                                break;
                            }
                            BrotliResult::NeedsMoreInput => {
                                if !input.is_empty() {
                                    // Input left but not taken: corrupt.
                                    rep.failed = true;
                                    self.stage = Stage::Passthrough;
                                    self.brotli = None;
                                }
                                break;
                            }
                            BrotliResult::ResultSuccess => {
                                self.stage = Stage::Done;
                                self.brotli = None;
                                self.out = Vec::new();
                                break;
                            }
                            BrotliResult::ResultFailure => {
                                rep.failed = true;
                                self.stage = Stage::Passthrough;
                                self.brotli = None;
                                self.out = Vec::new();
                                break;
                            }
                        }
                    }
                }
                Stage::Inflate => {
                    let Some(inf) = self.inflate.as_mut() else {
                        self.stage = Stage::Passthrough;
                        continue;
                    };
                    if self.out.len() != STEP {
                        self.out.resize(STEP, 0);
                    }
                    let before_in = inf.total_in();
                    let before_out = inf.total_out();
                    let res = inf.decompress(input, &mut self.out, FlushDecompress::None);
                    let used = (inf.total_in() - before_in) as usize;
                    let made = (inf.total_out() - before_out) as usize;
                    input = input.get(used..).unwrap_or(&[]);
                    if made > 0 {
                        let room = self.limits.max_output.saturating_sub(self.total_out);
                        let give = (made as u64).min(room) as usize;
                        if let Some(chunk) = self.out.get(..give) {
                            emit(chunk);
                        }
                        self.total_out += give as u64;
                        let ratio_hit = self.total_out > self.limits.bomb_limit
                            && self.total_out
                                > self.limits.ratio.saturating_mul(self.total_in.max(1));
                        if give < made || self.total_out >= self.limits.max_output || ratio_hit {
                            rep.bomb = true;
                            self.stage = Stage::Stopped;
                            self.inflate = None;
                            self.out = Vec::new();
                            return rep;
                        }
                    }
                    match res {
                        Ok(Status::StreamEnd) => {
                            self.stage = Stage::Done;
                            self.inflate = None;
                            self.out = Vec::new();
                        }
                        Ok(_) => {
                            if used == 0 && made == 0 {
                                // No progress with input left: treat as corrupt.
                                rep.failed = true;
                                self.stage = Stage::Passthrough;
                                self.inflate = None;
                            }
                        }
                        Err(_) => {
                            rep.failed = true;
                            self.stage = Stage::Passthrough;
                            self.inflate = None;
                            self.out = Vec::new();
                        }
                    }
                }
            }
        }
        rep
    }

    /// Emits `made` decoded bytes of `self.out` within the output cap; applies the cap and the
    /// ratio check. Returns true when a limit stopped the decoder.
    fn give(&mut self, made: usize, rep: &mut DecodeReport, emit: &mut dyn FnMut(&[u8])) -> bool {
        let room = self.limits.max_output.saturating_sub(self.total_out);
        let give = (made as u64).min(room) as usize;
        if let Some(chunk) = self.out.get(..give) {
            emit(chunk);
        }
        self.total_out += give as u64;
        let ratio_hit = self.total_out > self.limits.bomb_limit
            && self.total_out > self.limits.ratio.saturating_mul(self.total_in.max(1));
        if give < made || self.total_out >= self.limits.max_output || ratio_hit {
            rep.bomb = true;
            self.stage = Stage::Stopped;
            self.out = Vec::new();
            return true;
        }
        false
    }

    fn gz_header(&mut self, st: GzState, input: &mut &[u8]) -> Result<(), ()> {
        let Some((&b, rest)) = input.split_first() else {
            return Ok(());
        };
        let mut next = st;
        match st {
            GzState::Fixed(n) => {
                match n {
                    0 if b != 0x1f => return Err(()),
                    1 if b != 0x8b => return Err(()),
                    2 if b != 8 => return Err(()),
                    3 => self.flags = b,
                    _ => {}
                }
                *input = rest;
                next = if n < 9 {
                    GzState::Fixed(n + 1)
                } else {
                    self.after(GzState::Fixed(9))
                };
            }
            GzState::ExtraLen(n) => {
                *input = rest;
                if n == 0 {
                    self.out.clear();
                    self.out.push(b);
                    next = GzState::ExtraLen(1);
                } else {
                    let len =
                        u16::from(self.out.first().copied().unwrap_or(0)) | (u16::from(b) << 8);
                    self.out.clear();
                    next = if len == 0 {
                        self.after(GzState::Extra(0))
                    } else {
                        GzState::Extra(len)
                    };
                }
            }
            GzState::Extra(left) => {
                let take = (left as usize).min(input.len());
                *input = input.get(take..).unwrap_or(&[]);
                let left = left - take as u16;
                next = if left == 0 {
                    self.after(GzState::Extra(0))
                } else {
                    GzState::Extra(left)
                };
            }
            GzState::Name | GzState::Comment => match memchr::memchr(0, input) {
                Some(z) => {
                    *input = input.get(z + 1..).unwrap_or(&[]);
                    next = self.after(st);
                }
                None => *input = &[],
            },
            GzState::Hcrc(left) => {
                *input = rest;
                next = if left <= 1 {
                    self.after(GzState::Hcrc(0))
                } else {
                    GzState::Hcrc(left - 1)
                };
            }
        }
        if matches!(self.stage, Stage::GzHeader(_)) {
            self.stage = Stage::GzHeader(next);
        }
        Ok(())
    }

    /// The header state after `done`, or the start of inflating when the header is over.
    fn after(&mut self, done: GzState) -> GzState {
        let order: [(u8, GzState); 4] = [
            (0x04, GzState::ExtraLen(0)),
            (0x08, GzState::Name),
            (0x10, GzState::Comment),
            (0x02, GzState::Hcrc(2)),
        ];
        let rank = |s: GzState| match s {
            GzState::Fixed(_) => 0,
            GzState::ExtraLen(_) | GzState::Extra(_) => 1,
            GzState::Name => 2,
            GzState::Comment => 3,
            GzState::Hcrc(_) => 4,
        };
        let done_rank = rank(done);
        for (bit, st) in order {
            if self.flags & bit != 0 && rank(st) > done_rank {
                return st;
            }
        }
        self.inflate = Some(Decompress::new(false));
        self.stage = Stage::Inflate;
        GzState::Fixed(0)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
    use std::io::Write;

    pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    const BIG: Limits = Limits {
        max_output: u64::MAX,
        bomb_limit: u64::MAX,
        ratio: u64::MAX,
    };

    fn run(dec: &mut Decoder, input: &[u8], step: usize) -> (Vec<u8>, DecodeReport) {
        let mut out = Vec::new();
        let mut rep = DecodeReport::default();
        for c in input.chunks(step.max(1)) {
            let r = dec.feed(c, &mut |d| out.extend_from_slice(d));
            rep.failed |= r.failed;
            rep.bomb |= r.bomb;
        }
        (out, rep)
    }

    #[test]
    fn gzip_any_split() {
        let text: Vec<u8> = (0..5000u32)
            .flat_map(|i| i.to_string().into_bytes())
            .collect();
        let gz = gzip(&text);
        for step in [1, 2, 3, 7, 100, gz.len()] {
            let mut d = Decoder::new(Coding::Gzip, BIG);
            let (out, rep) = run(&mut d, &gz, step);
            assert_eq!(out, text, "step {step}");
            assert_eq!(rep, DecodeReport::default());
        }
    }

    #[test]
    fn gzip_header_with_optional_fields() {
        // Hand-built member: FEXTRA + FNAME + FCOMMENT + FHCRC, then a raw deflate stream.
        let mut raw = DeflateEncoder::new(Vec::new(), Compression::default());
        raw.write_all(b"hello world").unwrap();
        let raw = raw.finish().unwrap();
        let mut m = vec![0x1f, 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3];
        m.extend_from_slice(&[3, 0, b'a', b'b', b'c']);
        m.extend_from_slice(b"name.txt\0comment\0");
        m.extend_from_slice(&[0xaa, 0xbb]);
        m.extend_from_slice(&raw);
        m.extend_from_slice(&[0; 8]);
        for step in [1, 5, m.len()] {
            let mut d = Decoder::new(Coding::Gzip, BIG);
            let (out, rep) = run(&mut d, &m, step);
            assert_eq!(out, b"hello world");
            assert!(!rep.failed);
        }
    }

    #[test]
    fn deflate_zlib_and_raw() {
        let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
        z.write_all(b"zlib wrapped").unwrap();
        let z = z.finish().unwrap();
        let mut d = Decoder::new(Coding::Deflate, BIG);
        assert_eq!(run(&mut d, &z, 3).0, b"zlib wrapped");
        let mut r = DeflateEncoder::new(Vec::new(), Compression::default());
        r.write_all(b"raw deflate").unwrap();
        let r = r.finish().unwrap();
        let mut d = Decoder::new(Coding::Deflate, BIG);
        assert_eq!(run(&mut d, &r, 1).0, b"raw deflate");
    }

    #[test]
    fn corrupt_data_passes_through() {
        let mut d = Decoder::new(Coding::Gzip, BIG);
        let (out, rep) = run(&mut d, b"not gzip at all", 4);
        assert!(rep.failed);
        // Everything from the byte that broke the header passes through.
        assert_eq!(out, b"not gzip at all");
        let mut bad = gzip(b"some text that is long enough to matter");
        let n = bad.len();
        for b in &mut bad[12..n - 8] {
            *b ^= 0x55;
        }
        let mut d = Decoder::new(Coding::Gzip, BIG);
        let (_, rep) = run(&mut d, &bad, 7);
        assert!(rep.failed);
    }

    #[test]
    fn output_cap_and_ratio() {
        let zeros = vec![0u8; 4 * 1024 * 1024];
        let gz = gzip(&zeros);
        let lim = Limits {
            max_output: 100_000,
            bomb_limit: u64::MAX,
            ratio: u64::MAX,
        };
        let mut d = Decoder::new(Coding::Gzip, lim);
        let (out, rep) = run(&mut d, &gz, 1000);
        assert!(rep.bomb);
        assert_eq!(out.len(), 100_000);
        assert_eq!(d.produced(), 100_000);
        // Ratio: 4 MiB of zeros compress ~1000:1; a ratio limit of 100 after 64 KiB stops it.
        let lim = Limits {
            max_output: u64::MAX,
            bomb_limit: 64 * 1024,
            ratio: 100,
        };
        let mut d = Decoder::new(Coding::Gzip, lim);
        let (out, rep) = run(&mut d, &gz, gz.len());
        assert!(rep.bomb);
        assert!(out.len() < zeros.len());
    }

    #[test]
    fn coding_header() {
        assert_eq!(Coding::from_header(b"gzip"), Ok(Some(Coding::Gzip)));
        assert_eq!(Coding::from_header(b" X-GZIP "), Ok(Some(Coding::Gzip)));
        assert_eq!(Coding::from_header(b"deflate"), Ok(Some(Coding::Deflate)));
        assert_eq!(Coding::from_header(b"identity"), Ok(None));
        assert_eq!(Coding::from_header(b"br"), Ok(Some(Coding::Brotli)));
        assert_eq!(Coding::from_header(b"zstd"), Err(()));
        assert_eq!(Coding::from_header(b"gzip, gzip"), Err(()));
    }

    pub(crate) fn brotli(data: &[u8], quality: u32) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut out, 4096, quality, 22);
            w.write_all(data).unwrap();
        }
        out
    }

    #[test]
    fn brotli_any_split_and_header() {
        assert_eq!(Coding::from_header(b"br"), Ok(Some(Coding::Brotli)));
        assert_eq!(Coding::from_header(b" BR "), Ok(Some(Coding::Brotli)));
        assert_eq!(Coding::from_header(b"br, gzip"), Err(()));
        let text: Vec<u8> = (0..20_000u32)
            .flat_map(|i| i.to_string().into_bytes())
            .collect();
        let br = brotli(&text, 9);
        for step in [1, 2, 5, 333, br.len()] {
            let mut d = Decoder::new(Coding::Brotli, BIG);
            let (out, rep) = run(&mut d, &br, step);
            assert_eq!(out, text, "step {step}");
            assert_eq!(rep, DecodeReport::default());
        }
    }

    #[test]
    fn brotli_garbage_passes_through() {
        let mut d = Decoder::new(Coding::Brotli, BIG);
        let junk = b"\xff\xff\xff\xff not brotli at all";
        let (out, rep) = run(&mut d, junk, 4);
        assert!(rep.failed);
        assert!(out.len() <= junk.len(), "undecoded bytes only");
    }

    #[test]
    fn brotli_bomb_is_capped_like_gzip() {
        // 32 MiB of zeros compress to a few hundred bytes: far beyond the 2048 ratio.
        let zeros = vec![0u8; 32 << 20];
        let bomb = brotli(&zeros, 5);
        assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
        let lim = Limits {
            max_output: 64 << 20,
            bomb_limit: 1 << 20,
            ratio: 2048,
        };
        let mut d = Decoder::new(Coding::Brotli, lim);
        let (out, rep) = run(&mut d, &bomb, 1460);
        assert!(rep.bomb);
        assert!(out.len() as u64 <= (1 << 20) + STEP as u64, "{}", out.len());
        assert!(d.memory() <= 64 * 1024 + STEP, "state released");
        // The plain output cap, without the ratio rule.
        let lim = Limits {
            max_output: 100_000,
            bomb_limit: u64::MAX,
            ratio: u64::MAX,
        };
        let mut d = Decoder::new(Coding::Brotli, lim);
        let (out, rep) = run(&mut d, &bomb, bomb.len());
        assert!(rep.bomb);
        assert_eq!(out.len(), 100_000);
    }
}
