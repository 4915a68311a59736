//! The engine ([`Dlp`]: compiled detectors and keyword automaton, shared), the streaming
//! [`Scanner`] of one transfer, and the text pipeline behind both.
//!
//! Streaming design: bytes are decoded incrementally (encoding_rs keeps split multi-byte
//! characters between calls), normalised incrementally (a hyphen after a digit waits for the next
//! character), and appended to a text buffer. A batch runs once enough text is buffered; it covers
//! whole lines up to a cut that leaves at least [`LOOKAHEAD_CHARS`] characters after it, so every
//! value in the batch sees its keyword window (300 characters) on both sides. After the batch, only
//! the last [`HISTORY_CHARS`] characters before the cut are kept as look-behind context. Values
//! never span a newline, so the result does not depend on where chunks or batches fall; memory is
//! bounded by the batch size plus one line (lines longer than [`MAX_LINE`] are cut at a
//! punctuation or space character).

use std::sync::{Arc, OnceLock};

use ahash::AHashMap;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use encoding_rs::{Decoder, Encoding, UTF_8};

use crate::container::{self, FileReport};
use crate::detectors::{self, Detector, Input, Match, NumTokens, Validation, custom::Custom};
use crate::encoding::{self, Sniffer};
use crate::normalize::Normalizer;
use crate::tabular::{Headers, Table, split_cells};
use crate::types::{Confidence, EncryptedEntry, Finding, Findings, ScanStats};
use crate::{DlpConfig, DlpError, ScanLimits};

/// Characters of keyword context on each side of a value.
pub const CONTEXT_CHARS: usize = 300;
/// Characters that must follow a batch cut (context + the longest value).
pub const LOOKAHEAD_CHARS: usize = CONTEXT_CHARS + 100;
/// Characters kept before the next batch as look-behind context.
pub const HISTORY_CHARS: usize = CONTEXT_CHARS + 100;
/// Bytes of a single line before it is cut at a separator.
pub const MAX_LINE: usize = 64 * 1024;
/// Raw bytes decoded per decoder call.
const DECODE_CHUNK: usize = 64 * 1024;

#[derive(Clone, Debug)]
struct KwPattern {
    dets: Vec<usize>,
    ascii: bool,
}

/// Compiled, immutable engine state shared by all scanners.
#[derive(Debug)]
pub(crate) struct Engine {
    pub(crate) detectors: Vec<Box<dyn Detector>>,
    pub(crate) config: DlpConfig,
    kw_ac: Option<AhoCorasick>,
    kw_patterns: Vec<KwPattern>,
    max_kw_bytes: usize,
    headers: Headers,
    header_ac: Option<AhoCorasick>,
}

impl Engine {
    fn new(config: DlpConfig) -> Result<Engine, DlpError> {
        let all = detectors::builtin().map_err(|e| DlpError::Regex {
            detector: "builtin".into(),
            source: e,
        })?;
        for d in &config.disabled {
            if !all.iter().any(|x| x.name() == d.as_str()) {
                return Err(DlpError::UnknownDetector(d.clone()));
            }
        }
        let mut dets: Vec<Box<dyn Detector>> = all
            .into_iter()
            .filter(|d| !config.disabled.iter().any(|x| x == d.name()))
            .collect();
        for c in &config.custom {
            let names: Vec<String> = dets.iter().map(|d| d.name().to_owned()).collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let custom = Custom::new(c, &names)?;
            dets.push(Box::new(custom));
        }
        // Keyword automaton: one pattern per distinct keyword (ASCII case-folded).
        let mut pats: Vec<String> = Vec::new();
        let mut info: Vec<KwPattern> = Vec::new();
        let mut header_pairs = Vec::new();
        for (i, d) in dets.iter().enumerate() {
            for k in d.keywords() {
                let k = k.trim().to_ascii_lowercase();
                if k.is_empty() {
                    continue;
                }
                match pats.iter().position(|p| *p == k) {
                    Some(p) => {
                        if let Some(inf) = info.get_mut(p)
                            && !inf.dets.contains(&i)
                        {
                            inf.dets.push(i);
                        }
                    }
                    None => {
                        info.push(KwPattern {
                            dets: vec![i],
                            ascii: k.is_ascii(),
                        });
                        pats.push(k);
                    }
                }
            }
            for h in d.column_headers() {
                header_pairs.push((h.to_owned(), i));
            }
        }
        // Keywords are matched leftmost-longest without overlaps; a keyword containing another
        // inherits the detectors of the contained one so that nothing is lost.
        let closure: Vec<Vec<usize>> = pats
            .iter()
            .map(|p| {
                let mut d: Vec<usize> = Vec::new();
                for (q, inf) in pats.iter().zip(&info) {
                    if p.contains(q.as_str()) {
                        d.extend(&inf.dets);
                    }
                }
                d.sort_unstable();
                d.dedup();
                d
            })
            .collect();
        for (inf, d) in info.iter_mut().zip(closure) {
            inf.dets = d;
        }
        let max_kw_bytes = pats.iter().map(String::len).max().unwrap_or(0);
        let kw_ac = if pats.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .kind(Some(AhoCorasickKind::DFA))
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&pats)
                    .map_err(|e| DlpError::Keywords(e.to_string()))?,
            )
        };
        let headers = Headers::new(header_pairs);
        let htexts: Vec<&str> = headers.texts().collect();
        let header_ac = if htexts.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&htexts)
                    .map_err(|e| DlpError::Keywords(e.to_string()))?,
            )
        };
        Ok(Engine {
            detectors: dets,
            config,
            kw_ac,
            kw_patterns: info,
            max_kw_bytes,
            headers,
            header_ac,
        })
    }
}

/// A compiled DLP engine: cheap to clone, shareable across threads; hands out per-transfer
/// [`Scanner`]s and scans whole files.
#[derive(Clone, Debug)]
pub struct Dlp {
    inner: Arc<Engine>,
}

impl Dlp {
    /// Compiles the detectors of `config`.
    pub fn new(config: DlpConfig) -> Result<Dlp, DlpError> {
        Ok(Dlp {
            inner: Arc::new(Engine::new(config)?),
        })
    }

    /// A scanner for one transfer.
    pub fn scanner(&self) -> Scanner {
        Scanner::new(self.inner.clone())
    }

    /// The configuration the engine was built from.
    pub fn config(&self) -> &DlpConfig {
        &self.inner.config
    }

    /// Names of the active detectors, in `findings` order.
    pub fn detector_names(&self) -> Vec<&str> {
        self.inner.detectors.iter().map(|d| d.name()).collect()
    }

    /// Scans a complete byte body (text or container) as one transfer.
    pub fn scan_bytes(&self, bytes: &[u8]) -> Findings {
        let mut s = self.scanner();
        s.feed(bytes);
        s.finish()
    }

    /// Scans a whole file: opens containers recursively within the configured limits.
    pub fn scan_file(&self, name: Option<&str>, bytes: &[u8]) -> FileReport {
        self.scan_file_with_limits(name, bytes, &self.inner.config.limits)
    }

    /// Like [`Dlp::scan_file`] with other limits.
    pub fn scan_file_with_limits(
        &self,
        name: Option<&str>,
        bytes: &[u8],
        limits: &ScanLimits,
    ) -> FileReport {
        let mut tally = Tally::new(&self.inner);
        let mut errors = Vec::new();
        tally.stats.bytes_received += bytes.len() as u64;
        container::scan_root(&self.inner, limits, &mut tally, name, bytes, &mut errors);
        let mut findings = tally.into_findings(&self.inner);
        findings.file = name.map(str::to_owned);
        FileReport {
            container: findings.container.clone(),
            encrypted: findings.encrypted,
            errors,
            findings,
        }
    }
}

/// Scans a file with the built-in detectors (compiled once per process) and the given limits.
pub fn scan_file(name: Option<&str>, bytes: &[u8], limits: &ScanLimits) -> FileReport {
    static DEFAULT: OnceLock<Option<Dlp>> = OnceLock::new();
    match DEFAULT.get_or_init(|| Dlp::new(DlpConfig::default()).ok()) {
        Some(d) => d.scan_file_with_limits(name, bytes, limits),
        None => FileReport::default(),
    }
}

/// Per-transfer accumulation: distinct values per detector with their best grade, records,
/// samples, counters and container facts.
#[derive(Debug)]
pub(crate) struct Tally {
    seen: Vec<AHashMap<u64, Confidence>>,
    hasher: ahash::RandomState,
    pub(crate) records: u64,
    samples: Vec<String>,
    max_samples: usize,
    pub(crate) stats: ScanStats,
    pub(crate) truncated: bool,
    pub(crate) encrypted: Vec<EncryptedEntry>,
    /// Some content (text) was read.
    pub(crate) read_any: bool,
    pub(crate) charset: Option<&'static str>,
    /// Container chain of the first part that produced a finding.
    pub(crate) found_chain: Option<Vec<String>>,
    /// Outermost container chain seen.
    pub(crate) first_chain: Vec<String>,
    distinct: u64,
}

impl Tally {
    pub(crate) fn new(eng: &Engine) -> Tally {
        Tally {
            seen: (0..eng.detectors.len()).map(|_| AHashMap::new()).collect(),
            hasher: ahash::RandomState::with_seeds(
                0x5e41_6d0e,
                0xd1f0_0a11,
                0x0b5e_55ed,
                0x7a11_7e11,
            ),
            records: 0,
            samples: Vec::new(),
            max_samples: eng.config.max_samples,
            stats: ScanStats::default(),
            truncated: false,
            encrypted: Vec::new(),
            read_any: false,
            charset: None,
            found_chain: None,
            first_chain: Vec::new(),
            distinct: 0,
        }
    }

    /// Distinct values recorded so far (all detectors).
    pub(crate) fn distinct(&self) -> u64 {
        self.distinct
    }

    fn add(&mut self, det_idx: usize, det: &dyn Detector, value: &str, conf: Confidence) {
        let h = self.hasher.hash_one(value);
        let Some(map) = self.seen.get_mut(det_idx) else {
            return;
        };
        match map.get_mut(&h) {
            Some(c) => {
                if conf > *c {
                    *c = conf;
                }
            }
            None => {
                map.insert(h, conf);
                self.distinct += 1;
                if self.samples.len() < self.max_samples {
                    let m = det.mask(value);
                    if !self.samples.contains(&m) {
                        self.samples.push(m);
                    }
                }
            }
        }
    }

    pub(crate) fn into_findings(self, eng: &Engine) -> Findings {
        let mut f = Findings::default();
        let mut best: Option<Confidence> = None;
        for (i, map) in self.seen.iter().enumerate() {
            if map.is_empty() {
                continue;
            }
            let Some(det) = eng.detectors.get(i) else {
                continue;
            };
            let mut fi = Finding::default();
            for &c in map.values() {
                match c {
                    Confidence::High => fi.high += 1,
                    Confidence::Medium => fi.medium += 1,
                    Confidence::Low => fi.low += 1,
                }
                fi.confidence = fi.confidence.max(c);
            }
            fi.count = fi.high + fi.medium + fi.low;
            best = Some(best.map_or(fi.confidence, |b| b.max(fi.confidence)));
            f.findings.insert(det.name().to_owned(), fi);
        }
        f.confidence = best;
        f.encrypted = !self.encrypted.is_empty();
        f.records = if self.read_any || !f.encrypted {
            Some(self.records)
        } else {
            None
        };
        f.samples = self.samples;
        f.truncated = self.truncated;
        f.encrypted_entries = self.encrypted;
        f.container = self.found_chain.unwrap_or(self.first_chain);
        f.charset = self.charset;
        f.stats = self.stats;
        f
    }
}

/// Byte offset `n` characters before `pos` (or 0).
fn char_back(s: &str, pos: usize, n: usize) -> usize {
    let b = s.as_bytes();
    let mut p = pos.min(b.len());
    let mut k = 0;
    while p > 0 && k < n {
        p -= 1;
        while p > 0 && b.get(p).is_some_and(|x| x & 0xC0 == 0x80) {
            p -= 1;
        }
        k += 1;
    }
    p
}

/// Byte offset `n` characters after `pos` (or the end).
fn char_fwd(s: &str, pos: usize, n: usize) -> usize {
    let b = s.as_bytes();
    let mut p = pos.min(b.len());
    let mut k = 0;
    while p < b.len() && k < n {
        p += 1;
        while p < b.len() && b.get(p).is_some_and(|x| x & 0xC0 == 0x80) {
            p += 1;
        }
        k += 1;
    }
    p
}

/// The first character boundary at or after `pos`.
fn ceil_char(s: &str, mut pos: usize) -> usize {
    while pos < s.len() && !s.is_char_boundary(pos) {
        pos += 1;
    }
    pos.min(s.len())
}

/// Grade of a candidate from its detector's validation and its context.
fn grade(det: &dyn Detector, has_kw: bool) -> Option<Confidence> {
    if det.requires_context() && !has_kw {
        return None;
    }
    Some(match (det.validation(), has_kw) {
        (Validation::Checksum, true) => Confidence::High,
        (Validation::FormatOnly, true) => Confidence::Medium,
        (_, false) => Confidence::Low,
    })
}

/// Scratch buffers reused across batches.
#[derive(Debug, Default)]
struct Scratch {
    tokens: NumTokens,
    matches: Vec<Match>,
    kw: Vec<Vec<(usize, usize)>>,
    rec_pos: Vec<usize>,
    cells: Vec<(usize, usize)>,
    /// (position, detector, value, grade) accepted in the current batch.
    accepted: Vec<(usize, usize, String, Confidence)>,
}

/// The text pipeline of one document (a body, a ZIP member, an xlsx sheet): decoding,
/// normalisation, batching, detection and table state. Writes into a [`Tally`].
#[derive(Debug)]
pub(crate) struct TextScanner {
    declared: Option<&'static Encoding>,
    decoder: Option<Decoder>,
    sniff: Vec<u8>,
    sniffer: Sniffer,
    norm: Normalizer,
    decoded: String,
    buf: String,
    hist: usize,
    line_no: u64,
    last_record_line: Option<u64>,
    table: Option<Table>,
    seen_nonempty_line: bool,
    scratch: Scratch,
}

impl TextScanner {
    pub(crate) fn new(declared: Option<&'static Encoding>) -> TextScanner {
        TextScanner {
            declared,
            decoder: None,
            sniff: Vec::new(),
            sniffer: Sniffer::default(),
            norm: Normalizer::new(),
            decoded: String::new(),
            buf: String::new(),
            hist: 0,
            line_no: 0,
            last_record_line: None,
            table: None,
            seen_nonempty_line: false,
            scratch: Scratch::default(),
        }
    }

    /// Resets to a fresh document, keeping buffer capacity.
    pub(crate) fn reset(&mut self, declared: Option<&'static Encoding>) {
        self.declared = declared;
        self.decoder = None;
        self.sniff.clear();
        self.sniffer = Sniffer::default();
        self.norm.reset();
        self.decoded.clear();
        self.buf.clear();
        self.hist = 0;
        self.line_no = 0;
        self.last_record_line = None;
        self.table = None;
        self.seen_nonempty_line = false;
    }

    fn start_decoder(&mut self, enc: &'static Encoding, tally: &mut Tally) {
        tally.charset.get_or_insert(enc.name());
        self.decoder = Some(enc.new_decoder());
    }

    /// Feeds raw bytes (already counted against the scan cap by the caller).
    pub(crate) fn feed(&mut self, eng: &Engine, tally: &mut Tally, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        tally.read_any = true;
        if self.decoder.is_none() {
            if let Some(enc) = self.declared {
                self.start_decoder(enc, tally);
            } else {
                self.sniff.extend_from_slice(bytes);
                let Some(l) = self.sniffer.decision_point(&self.sniff, false) else {
                    return;
                };
                let enc = encoding::guess(self.sniff.get(..l).unwrap_or(&self.sniff));
                self.start_decoder(enc, tally);
                let pending = std::mem::take(&mut self.sniff);
                self.decode(eng, tally, &pending, false);
                self.sniff = pending;
                self.sniff.clear();
                return;
            }
        }
        self.decode(eng, tally, bytes, false);
    }

    /// Ends the document: flushes decoder and normaliser, runs the last batch.
    pub(crate) fn finish(&mut self, eng: &Engine, tally: &mut Tally) {
        if self.decoder.is_none() {
            let enc = match self.declared {
                Some(e) => e,
                None => {
                    let l = self
                        .sniffer
                        .decision_point(&self.sniff, true)
                        .unwrap_or(self.sniff.len());
                    encoding::guess(self.sniff.get(..l).unwrap_or(&self.sniff))
                }
            };
            if !self.sniff.is_empty() {
                self.start_decoder(enc, tally);
            }
            let pending = std::mem::take(&mut self.sniff);
            if self.decoder.is_some() {
                self.decode(eng, tally, &pending, true);
            }
            self.sniff = pending;
            self.sniff.clear();
        } else {
            self.decode(eng, tally, &[], true);
        }
        self.norm.finish(&mut self.buf);
        self.process(eng, tally, true);
        self.reset(self.declared);
    }

    fn decode(&mut self, eng: &Engine, tally: &mut Tally, bytes: &[u8], last: bool) {
        let Some(mut dec) = self.decoder.take() else {
            return;
        };
        let mut rest = bytes;
        loop {
            let take = rest.len().min(DECODE_CHUNK);
            let (piece, tail) = rest.split_at(take);
            let is_last = last && tail.is_empty();
            self.decoded.clear();
            let need = dec
                .max_utf8_buffer_length(piece.len())
                .unwrap_or(piece.len() * 3 + 16);
            self.decoded.reserve(need);
            let mut input = piece;
            loop {
                let (res, read, had_errors) =
                    dec.decode_to_string(input, &mut self.decoded, is_last);
                if had_errors {
                    tally.stats.decode_errors += 1;
                }
                input = input.get(read..).unwrap_or_default();
                match res {
                    encoding_rs::CoderResult::InputEmpty => break,
                    encoding_rs::CoderResult::OutputFull => {
                        self.norm.push(&self.decoded, &mut self.buf);
                        self.decoded.clear();
                        self.decoded.reserve(need.max(16));
                    }
                }
            }
            self.norm.push(&self.decoded, &mut self.buf);
            rest = tail;
            if self.buf.len().saturating_sub(self.hist) >= eng.config.batch_bytes.max(1) {
                self.process(eng, tally, false);
            }
            if rest.is_empty() {
                break;
            }
        }
        self.decoder = Some(dec);
    }

    /// Runs a detection batch if enough text is buffered (or everything when `last`).
    fn process(&mut self, eng: &Engine, tally: &mut Tally, last: bool) {
        let total = self.buf.len();
        let cut = if last {
            total
        } else {
            let la = char_back(&self.buf, total, LOOKAHEAD_CHARS);
            if la <= self.hist {
                return;
            }
            let region = self.buf.as_bytes().get(self.hist..la).unwrap_or_default();
            match memchr::memrchr(b'\n', region) {
                Some(q) => self.hist + q + 1,
                None if la - self.hist >= MAX_LINE => safe_cut(&self.buf, self.hist, la),
                None => return,
            }
        };
        if cut > self.hist {
            self.detect(eng, tally, self.hist, cut, last);
        }
        if last {
            return;
        }
        let keep_from = char_back(&self.buf, cut, HISTORY_CHARS);
        self.buf.drain(..keep_from);
        self.hist = cut - keep_from;
    }

    fn detect(&mut self, eng: &Engine, tally: &mut Tally, from: usize, to: usize, last: bool) {
        let text = self.buf.as_str();
        let Some(region) = text.get(from..to) else {
            return;
        };
        let rb = region.as_bytes();
        tally.stats.chars_scanned += rb.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64;
        let newlines = memchr::memchr_iter(b'\n', rb).count() as u64;
        tally.stats.lines += newlines + u64::from(last && !rb.is_empty() && !rb.ends_with(b"\n"));

        let sc = &mut self.scratch;
        // 1. Keywords around the region.
        sc.kw.resize_with(eng.detectors.len(), Vec::new);
        for v in sc.kw.iter_mut() {
            v.clear();
        }
        if let Some(ac) = &eng.kw_ac {
            let lo = char_back(text, from, CONTEXT_CHARS + eng.max_kw_bytes);
            let hi = char_fwd(text, to, CONTEXT_CHARS + eng.max_kw_bytes);
            let hay = text.get(lo..hi).unwrap_or_default();
            let hb = hay.as_bytes();
            for m in ac.find_iter(hay) {
                let Some(p) = eng.kw_patterns.get(m.pattern().as_usize()) else {
                    continue;
                };
                if p.ascii {
                    let before = m.start().checked_sub(1).and_then(|i| hb.get(i));
                    let after = hb.get(m.end());
                    if before.is_some_and(u8::is_ascii_alphabetic)
                        || after.is_some_and(u8::is_ascii_alphabetic)
                    {
                        continue;
                    }
                }
                for &d in &p.dets {
                    if let Some(v) = sc.kw.get_mut(d) {
                        v.push((lo + m.start(), lo + m.end()));
                    }
                }
            }
            for v in sc.kw.iter_mut() {
                v.sort_unstable();
            }
        }

        // 2. Detectors over the region; accepted values are collected and applied in text order so
        // that samples do not depend on batching.
        sc.accepted.clear();
        let min = eng.config.min_confidence;
        let input = Input::new(text, from, to, &mut sc.tokens);
        for (i, det) in eng.detectors.iter().enumerate() {
            sc.matches.clear();
            if det.requires_context() {
                // Only the stretches within reach of one of its keywords can yield anything.
                let hits = sc.kw.get(i).map(Vec::as_slice).unwrap_or_default();
                let reach = 4 * CONTEXT_CHARS + eng.max_kw_bytes + 256;
                let mut k = 0;
                while let Some(&(hs, he)) = hits.get(k) {
                    let a = hs.saturating_sub(reach).max(from);
                    let mut b = he.saturating_add(reach).min(to);
                    k += 1;
                    while let Some(&(ns, ne)) = hits.get(k) {
                        if ns.saturating_sub(reach) > b {
                            break;
                        }
                        b = ne.saturating_add(reach).min(to).max(b);
                        k += 1;
                    }
                    if a < b {
                        let (a, b) = (ceil_char(text, a), ceil_char(text, b));
                        det.find(
                            &Input {
                                from: a,
                                to: b,
                                ..input
                            },
                            &mut sc.matches,
                        );
                    }
                }
            } else {
                det.find(&input, &mut sc.matches);
            }
            let hits = sc.kw.get(i).map(Vec::as_slice).unwrap_or_default();
            for m in sc.matches.iter_mut() {
                tally.stats.candidates += 1;
                let has_kw = near_keyword(hits, text, m.start, m.end, eng.max_kw_bytes);
                match grade(det.as_ref(), has_kw) {
                    None => tally.stats.rejected_no_context += 1,
                    Some(c) if c < min => tally.stats.rejected_low_confidence += 1,
                    Some(c) => {
                        tally.stats.matches += 1;
                        sc.accepted
                            .push((m.start, i, std::mem::take(&mut m.value), c));
                    }
                }
            }
        }

        // 3. Tables, line by line.
        let mut p = from;
        while p < to {
            let eol = rb
                .get(p - from..)
                .and_then(|r| memchr::memchr(b'\n', r))
                .map_or(to, |q| p + q);
            let line = text.get(p..eol).unwrap_or_default();
            let line = line.strip_suffix('\r').unwrap_or(line);
            let nonempty = !line.trim().is_empty();
            table_line(
                eng,
                tally,
                &mut self.table,
                !self.seen_nonempty_line,
                line,
                p,
                sc,
            );
            if nonempty {
                self.seen_nonempty_line = true;
            }
            p = eol + 1;
        }

        sc.accepted.sort_unstable_by_key(|a| (a.0, a.1));
        sc.rec_pos.clear();
        for (pos, i, value, c) in sc.accepted.drain(..) {
            if let Some(det) = eng.detectors.get(i) {
                tally.add(i, det.as_ref(), &value, c);
            }
            sc.rec_pos.push(pos);
        }

        // 4. Records: distinct lines holding an accepted value.
        sc.rec_pos.sort_unstable();
        let mut line = self.line_no;
        let mut at = from;
        for &pos in &sc.rec_pos {
            line += rb
                .get(at - from..pos - from)
                .map_or(0, |r| memchr::memchr_iter(b'\n', r).count()) as u64;
            at = pos;
            if self.last_record_line != Some(line) {
                tally.records += 1;
                self.last_record_line = Some(line);
            }
        }
        self.line_no += newlines;
    }
}

/// Handles one line for table recognition and column-wise detection.
fn table_line(
    eng: &Engine,
    tally: &mut Tally,
    table: &mut Option<Table>,
    first_line: bool,
    line: &str,
    line_start: usize,
    sc: &mut Scratch,
) {
    if line.trim().is_empty() {
        return;
    }
    if table.is_none() && !first_line && memchr::memchr2(b',', b'\t', line.as_bytes()).is_none() {
        return;
    }
    // A header row (re)defines the table.
    let has_header_word = eng.header_ac.as_ref().is_some_and(|ac| ac.is_match(line));
    if has_header_word {
        if let Some(t) = eng.headers.header_row(line, &mut sc.cells) {
            *table = Some(t);
            return;
        }
        if first_line && let Some(d) = eng.headers.exact(line) {
            *table = Some(Table {
                delim: None,
                cols: vec![Some(d)],
            });
            return;
        }
    }
    let Some(t) = table.as_ref() else { return };
    match t.delim {
        Some(d) => {
            if !line.as_bytes().contains(&d) {
                *table = None;
                return;
            }
            split_cells(line, d, t.cols.len(), &mut sc.cells);
        }
        None => {
            sc.cells.clear();
            sc.cells.push((0, line.len()));
        }
    }
    for (ci, &(s, e)) in sc.cells.iter().enumerate() {
        let Some(Some(di)) = t.cols.get(ci) else {
            continue;
        };
        let Some(det) = eng.detectors.get(*di) else {
            continue;
        };
        let Some(cell) = line.get(s..e) else { continue };
        if let Some(v) = det.validate_cell(cell) {
            tally.stats.column_matches += 1;
            tally.stats.matches += 1;
            sc.accepted.push((line_start + s, *di, v, Confidence::High));
        }
    }
}

/// Whether a keyword hit lies within [`CONTEXT_CHARS`] characters of `start..end`.
///
/// Characters are 1–4 bytes, so a hit within `CONTEXT_CHARS` bytes is certainly near and a hit
/// farther than `4 * CONTEXT_CHARS` bytes certainly not; only the hits in between need the exact
/// character walk.
fn near_keyword(
    hits: &[(usize, usize)],
    text: &str,
    start: usize,
    end: usize,
    max_kw: usize,
) -> bool {
    if hits.is_empty() {
        return false;
    }
    let far_lo = start.saturating_sub(4 * CONTEXT_CHARS);
    let far_hi = end.saturating_add(4 * CONTEXT_CHARS);
    let first = hits.partition_point(|h| h.0 + max_kw < far_lo);
    let cands = hits.get(first..).unwrap_or_default();
    let mut maybe = false;
    for h in cands.iter().take_while(|h| h.0 < far_hi) {
        if h.1 <= far_lo {
            continue;
        }
        if h.1 + CONTEXT_CHARS > start && h.0 < end + CONTEXT_CHARS {
            return true;
        }
        maybe = true;
    }
    if !maybe {
        return false;
    }
    let lo = char_back(text, start, CONTEXT_CHARS);
    let hi = char_fwd(text, end, CONTEXT_CHARS);
    cands.iter().take_while(|h| h.0 < hi).any(|h| h.1 > lo)
}

/// A cut inside an over-long line: after the last separator character (tab, comma, semicolon,
/// quote, bracket, 、, 。) in the 4 KiB before `la`, else after the last space, else at `la`.
fn safe_cut(s: &str, hist: usize, la: usize) -> usize {
    let lo = la.saturating_sub(4096).max(hist);
    let b = s.as_bytes();
    let Some(win) = b.get(lo..la) else { return la };
    if let Some(p) = win.iter().rposition(|c| b"\t,;\"<>{}[]|\r".contains(c)) {
        return lo + p + 1;
    }
    if let Some(p) = memchr::memmem::rfind(win, "、".as_bytes())
        .or_else(|| memchr::memmem::rfind(win, "。".as_bytes()))
    {
        return lo + p + 3;
    }
    if let Some(p) = win.iter().rposition(|&c| c == b' ') {
        return lo + p + 1;
    }
    la
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Sniff,
    Text,
    Container,
}

/// Streaming scanner of one transfer: feed the content in any chunking, then [`Scanner::finish`].
///
/// The first bytes decide between text (decoded and scanned as it arrives, memory bounded) and a
/// container (ZIP, gzip, PDF, OLE: buffered up to `max_buffer_bytes`, then opened at `finish`).
#[derive(Debug)]
pub struct Scanner {
    eng: Arc<Engine>,
    tally: Tally,
    mode: Mode,
    head: Vec<u8>,
    text: TextScanner,
    container: Vec<u8>,
    name: Option<String>,
    declared: Option<&'static Encoding>,
}

/// Leading bytes looked at to recognise a container.
const HEAD: usize = 8;

fn container_magic(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04")
        || head.starts_with(b"PK\x05\x06")
        || head.starts_with(b"PK\x07\x08")
        || head.starts_with(b"%PDF-")
        || head.starts_with(&[0x1F, 0x8B])
        || head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
}

impl Scanner {
    fn new(eng: Arc<Engine>) -> Scanner {
        let tally = Tally::new(&eng);
        Scanner {
            eng,
            tally,
            mode: Mode::Sniff,
            head: Vec::new(),
            text: TextScanner::new(None),
            container: Vec::new(),
            name: None,
            declared: None,
        }
    }

    /// Declares the charset of the content (e.g. from a `Content-Type` header) instead of guessing.
    /// Must be called before the first [`Scanner::feed`].
    pub fn set_charset(&mut self, label: &str) -> Result<(), DlpError> {
        let enc =
            encoding::for_label(label).ok_or_else(|| DlpError::UnknownCharset(label.to_owned()))?;
        self.declared = Some(enc);
        self.text.reset(Some(enc));
        Ok(())
    }

    /// Names the transferred file (used for container type hints and reported as `file`).
    pub fn set_file_name(&mut self, name: Option<&str>) {
        self.name = name.map(str::to_owned);
    }

    /// Counters so far.
    pub fn stats(&self) -> &ScanStats {
        &self.tally.stats
    }

    /// Feeds the next chunk of content.
    pub fn feed(&mut self, chunk: &[u8]) {
        let t = &mut self.tally;
        t.stats.bytes_received += chunk.len() as u64;
        let mut chunk = chunk;
        if self.mode == Mode::Sniff {
            let need = HEAD.saturating_sub(self.head.len()).min(chunk.len());
            let (h, rest) = chunk.split_at(need);
            self.head.extend_from_slice(h);
            chunk = rest;
            if self.head.len() < HEAD {
                return;
            }
            self.decide();
        }
        self.route(chunk);
    }

    fn decide(&mut self) {
        self.mode = if container_magic(&self.head) {
            Mode::Container
        } else {
            Mode::Text
        };
        let head = std::mem::take(&mut self.head);
        self.route(&head);
    }

    fn route(&mut self, chunk: &[u8]) {
        if chunk.is_empty() {
            return;
        }
        let lim = &self.eng.config.limits;
        let t = &mut self.tally;
        match self.mode {
            Mode::Sniff => self.head.extend_from_slice(chunk),
            Mode::Text => {
                let room = lim.max_scan_bytes.saturating_sub(t.stats.bytes_scanned);
                let take = (chunk.len() as u64).min(room) as usize;
                if take < chunk.len() {
                    t.truncated = true;
                    t.stats.bytes_skipped += (chunk.len() - take) as u64;
                }
                t.stats.bytes_scanned += take as u64;
                self.text
                    .feed(&self.eng, t, chunk.get(..take).unwrap_or_default());
            }
            Mode::Container => {
                let room = lim
                    .max_buffer_bytes
                    .saturating_sub(self.container.len() as u64);
                let take = (chunk.len() as u64).min(room) as usize;
                if take < chunk.len() {
                    t.truncated = true;
                    t.stats.bytes_skipped += (chunk.len() - take) as u64;
                }
                self.container
                    .extend_from_slice(chunk.get(..take).unwrap_or_default());
            }
        }
    }

    /// Ends the transfer and returns its findings; the scanner is reset for reuse.
    pub fn finish(&mut self) -> Findings {
        if self.mode == Mode::Sniff {
            self.decide();
        }
        match self.mode {
            Mode::Container => {
                let data = std::mem::take(&mut self.container);
                let mut errors = Vec::new();
                let limits = self.eng.config.limits.clone();
                container::scan_root(
                    &self.eng,
                    &limits,
                    &mut self.tally,
                    self.name.as_deref(),
                    &data,
                    &mut errors,
                );
                self.container = data;
                self.container.clear();
            }
            _ => self.text.finish(&self.eng, &mut self.tally),
        }
        let tally = std::mem::replace(&mut self.tally, Tally::new(&self.eng));
        let mut f = tally.into_findings(&self.eng);
        f.file = self.name.take();
        self.mode = Mode::Sniff;
        self.head.clear();
        self.text.reset(self.declared);
        f
    }
}

/// Scans one decoded-or-raw text document into `tally` (used by containers).
pub(crate) fn scan_text_into(
    eng: &Engine,
    limits: &ScanLimits,
    tally: &mut Tally,
    bytes: &[u8],
    declared: Option<&'static Encoding>,
) {
    let room = limits
        .max_scan_bytes
        .saturating_sub(tally.stats.bytes_scanned);
    let take = (bytes.len() as u64).min(room) as usize;
    if take < bytes.len() {
        tally.truncated = true;
        tally.stats.bytes_skipped += (bytes.len() - take) as u64;
    }
    tally.stats.bytes_scanned += take as u64;
    let mut ts = TextScanner::new(declared);
    ts.feed(eng, tally, bytes.get(..take).unwrap_or_default());
    ts.finish(eng, tally);
}

/// UTF-8, for text extracted from XML and PDF.
pub(crate) const EXTRACTED: Option<&'static Encoding> = Some(UTF_8);

#[cfg(test)]
#[path = "scanner_tests.rs"]
mod tests;
