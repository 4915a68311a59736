//! Containers: files are recognised by their magic bytes and opened recursively — ZIP (and the
//! OOXML documents inside ZIP: docx, xlsx, pptx), gzip, tar, PDF, OLE compound files — within the
//! transfer's depth, decompressed-size, ratio and entry-count caps. Text found inside is scanned
//! by the same detectors into the same tally, so counts are distinct across the whole transfer.
//! Encrypted members and documents are listed with their names and sizes.

pub mod cfb;
pub mod ooxml;
pub mod pdf;
pub mod zip;

use std::borrow::Cow;
use std::io::Read;

use flate2::{Decompress, FlushDecompress, Status};
use serde::Serialize;

use crate::ScanLimits;
use crate::scanner::{EXTRACTED, Engine, Tally, scan_text_into};
use crate::types::{EncryptedEntry, Findings};

/// What [`crate::Dlp::scan_file`] returns: the findings (also carrying the container chain and
/// the encrypted flag) plus the problems met while opening containers.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FileReport {
    /// Findings of the whole file, serializable as the `dlp` object.
    pub findings: Findings,
    /// Container chain from the outermost container to the part that carried findings
    /// (e.g. `["zip", "xlsx"]`); empty for plain text.
    pub container: Vec<String>,
    /// An encrypted archive member or document was seen.
    pub encrypted: bool,
    /// Problems met (malformed parts, unsupported methods, caps reached).
    pub errors: Vec<ContainerError>,
}

/// A problem met while opening a container; the scan goes on with what could be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum ContainerError {
    /// The container is malformed or cut short.
    #[error("{container}: malformed: {detail}")]
    Malformed {
        /// Container kind.
        container: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A member uses a compression method this reader does not decode.
    #[error("{container} member {name:?}: unsupported method {method}")]
    UnsupportedMethod {
        /// Container kind.
        container: &'static str,
        /// Member name.
        name: String,
        /// Method number.
        method: u16,
    },
    /// A document format whose text is not extracted (e.g. legacy unencrypted .doc/.xls).
    #[error("{name:?}: {format} text is not extracted")]
    UnsupportedFormat {
        /// File name.
        name: String,
        /// Format.
        format: &'static str,
    },
    /// Decompression failed.
    #[error("{container} member {name:?}: decompression failed: {detail}")]
    Decompress {
        /// Container kind.
        container: &'static str,
        /// Member name.
        name: String,
        /// Error text.
        detail: String,
    },
    /// Nesting deeper than `max_depth`.
    #[error("{name:?}: nesting deeper than {limit}")]
    DepthLimit {
        /// Member name.
        name: String,
        /// The cap.
        limit: u32,
    },
    /// Decompressed-size cap of the transfer reached.
    #[error("{name:?}: decompressed-size cap of {limit} bytes reached")]
    SizeLimit {
        /// Member name.
        name: String,
        /// The cap.
        limit: u64,
    },
    /// Compression-ratio cap reached (a likely decompression bomb).
    #[error("{name:?}: compression ratio above {limit}:1")]
    RatioLimit {
        /// Member name.
        name: String,
        /// The cap.
        limit: u64,
    },
    /// Entry-count cap reached.
    #[error("more than {limit} archive entries")]
    EntryLimit {
        /// The cap.
        limit: u32,
    },
}

/// Recognised file kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Zip,
    Gzip,
    Tar,
    Pdf,
    Cfb,
    /// Images, executables and other binaries: not scanned as text.
    Binary,
    Text,
}

fn is_tar(b: &[u8]) -> bool {
    let Some(h) = b.get(..512) else { return false };
    if h.get(257..262) == Some(b"ustar") {
        return true;
    }
    // Old (v7) tar: header checksum over the block with the checksum field read as spaces.
    let Some(stored) = h.get(148..156).and_then(parse_octal) else {
        return false;
    };
    let sum: u64 = h
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(c)
            }
        })
        .sum();
    stored == sum && h.first().is_some_and(|&c| c != 0)
}

/// Recognises the kind of a file from its first bytes.
pub(crate) fn sniff(b: &[u8]) -> Kind {
    if b.starts_with(b"PK\x03\x04") || b.starts_with(b"PK\x05\x06") || b.starts_with(b"PK\x07\x08")
    {
        Kind::Zip
    } else if b.starts_with(&[0x1F, 0x8B]) {
        Kind::Gzip
    } else if b.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Kind::Cfb
    } else if memchr::memmem::find(b.get(..1024).unwrap_or(b), b"%PDF-").is_some() {
        Kind::Pdf
    } else if is_tar(b) {
        Kind::Tar
    } else if b.starts_with(b"\x89PNG")
        || b.starts_with(&[0xFF, 0xD8, 0xFF])
        || b.starts_with(b"GIF8")
        || b.starts_with(b"MZ")
        || b.starts_with(b"\x7FELF")
        || b.starts_with(b"7z\xBC\xAF\x27\x1C")
        || b.starts_with(b"Rar!")
    {
        Kind::Binary
    } else {
        Kind::Text
    }
}

/// Parses a NUL/space-terminated octal field (tar).
fn parse_octal(f: &[u8]) -> Option<u64> {
    let s: &[u8] = f
        .split(|&c| c == 0 || c == b' ')
        .find(|p| !p.is_empty())
        .unwrap_or_default();
    if s.is_empty() {
        return Some(0);
    }
    let mut v = 0u64;
    for &c in s {
        if !(b'0'..=b'7').contains(&c) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(v)
}

/// Outcome of a bounded decompression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inflated {
    /// The stream ended.
    Complete,
    /// The output cap was reached.
    Capped,
    /// The input ended before the stream did.
    Incomplete,
    /// The data is not a valid stream.
    Corrupt,
}

/// Inflates raw deflate (`zlib = false`) or zlib data into `out`, at most `cap` bytes.
pub(crate) fn inflate(data: &[u8], zlib: bool, cap: usize, out: &mut Vec<u8>) -> Inflated {
    let mut d = Decompress::new(zlib);
    out.clear();
    loop {
        if out.len() >= cap {
            out.truncate(cap);
            return Inflated::Capped;
        }
        let want = (cap - out.len()).min(256 * 1024);
        if out.capacity() - out.len() < want {
            out.reserve_exact(want);
        }
        let before = (d.total_in(), d.total_out());
        let consumed = usize::try_from(d.total_in()).unwrap_or(usize::MAX);
        let input = data.get(consumed..).unwrap_or_default();
        let res = d.decompress_vec(input, out, FlushDecompress::None);
        if out.len() > cap {
            out.truncate(cap);
            return Inflated::Capped;
        }
        match res {
            Ok(Status::StreamEnd) => return Inflated::Complete,
            Ok(_) if (d.total_in(), d.total_out()) == before => {
                return if out.len() >= cap {
                    Inflated::Capped
                } else {
                    Inflated::Incomplete
                };
            }
            Ok(_) => {}
            Err(_) => return Inflated::Corrupt,
        }
    }
}

/// Length of the raw deflate stream at the start of `data` (bounded work).
pub(crate) fn deflate_stream_len(data: &[u8]) -> Option<usize> {
    let mut d = Decompress::new(false);
    let mut sink = vec![0u8; 64 * 1024];
    let mut guard = 0u32;
    loop {
        let consumed = usize::try_from(d.total_in()).ok()?;
        let before = (d.total_in(), d.total_out());
        match d.decompress(data.get(consumed..)?, &mut sink, FlushDecompress::None) {
            Ok(Status::StreamEnd) => return usize::try_from(d.total_in()).ok(),
            Ok(_) if (d.total_in(), d.total_out()) == before => return None,
            Ok(_) => {}
            Err(_) => return None,
        }
        guard += 1;
        if guard > 4096 {
            return None;
        }
    }
}

/// Recursion state of one file scan.
pub(crate) struct Ctx<'e, 't> {
    pub eng: &'e Engine,
    pub limits: &'e ScanLimits,
    pub tally: &'t mut Tally,
    pub errors: &'t mut Vec<ContainerError>,
    pub decompressed: u64,
    pub entries: u32,
    scratch: Vec<u8>,
}

/// Scans `bytes` (a whole file, named `name`) into `tally`.
pub(crate) fn scan_root(
    eng: &Engine,
    limits: &ScanLimits,
    tally: &mut Tally,
    name: Option<&str>,
    bytes: &[u8],
    errors: &mut Vec<ContainerError>,
) {
    let mut ctx = Ctx {
        eng,
        limits,
        tally,
        errors,
        decompressed: 0,
        entries: 0,
        scratch: Vec::new(),
    };
    let mut chain = Vec::new();
    ctx.node(name.unwrap_or(""), bytes, 0, &mut chain);
    ctx.tally.stats.container_errors += ctx.errors.len() as u64;
}

impl Ctx<'_, '_> {
    fn error(&mut self, e: ContainerError) {
        if self.errors.len() < 256 {
            self.errors.push(e);
        }
    }

    pub(crate) fn encrypted(&mut self, chain: &[String], e: EncryptedEntry) {
        self.tally.stats.encrypted_parts += 1;
        if self.tally.first_chain.is_empty() {
            self.tally.first_chain = chain.to_vec();
        }
        if self.tally.encrypted.len() < 1024 {
            self.tally.encrypted.push(e);
        }
    }

    fn enter(&mut self, chain: &mut Vec<String>, kind: &str) {
        chain.push(kind.to_owned());
        if self.tally.first_chain.is_empty() {
            self.tally.first_chain = chain.clone();
        }
    }

    /// Scans text into the tally, noting the chain of the first part with findings.
    pub(crate) fn text(
        &mut self,
        bytes: &[u8],
        declared: Option<&'static encoding_rs::Encoding>,
        chain: &[String],
    ) {
        let before = self.tally.distinct();
        scan_text_into(self.eng, self.limits, self.tally, bytes, declared);
        if self.tally.distinct() > before && self.tally.found_chain.is_none() {
            self.tally.found_chain = Some(chain.to_vec());
        }
    }

    /// Counts one archive entry; false once the cap is passed.
    pub(crate) fn count_entry(&mut self) -> bool {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            if self.entries == self.limits.max_entries + 1 {
                self.tally.truncated = true;
                self.error(ContainerError::EntryLimit {
                    limit: self.limits.max_entries,
                });
            }
            return false;
        }
        self.tally.stats.parts_opened += 1;
        true
    }

    /// Decompression cap for an entry of compressed size `csize`.
    fn cap_for(&self, csize: u64) -> (usize, bool) {
        let left = self
            .limits
            .max_decompressed
            .saturating_sub(self.decompressed);
        let ratio = csize.saturating_mul(self.limits.max_ratio).max(1 << 20);
        let ratio_bound = ratio < left;
        (
            usize::try_from(left.min(ratio)).unwrap_or(usize::MAX),
            ratio_bound,
        )
    }

    /// Inflates `data` within the transfer's caps, recording errors; returns what was produced.
    pub(crate) fn inflate_capped(
        &mut self,
        container: &'static str,
        name: &str,
        data: &[u8],
        zlib: bool,
    ) -> Option<Vec<u8>> {
        let (cap, ratio_bound) = self.cap_for(data.len() as u64);
        let mut out = Vec::new();
        let r = inflate(data, zlib, cap, &mut out);
        self.account(out.len());
        match r {
            Inflated::Complete => {}
            Inflated::Capped => self.capped(name, ratio_bound),
            Inflated::Incomplete => {
                self.tally.truncated = true;
                self.error(ContainerError::Malformed {
                    container,
                    detail: format!("{name:?}: stream cut short"),
                });
            }
            Inflated::Corrupt => {
                self.error(ContainerError::Decompress {
                    container,
                    name: name.to_owned(),
                    detail: "invalid deflate data".into(),
                });
                if out.is_empty() {
                    return None;
                }
            }
        }
        Some(out)
    }

    fn account(&mut self, n: usize) {
        self.decompressed = self.decompressed.saturating_add(n as u64);
        self.tally.stats.bytes_decompressed += n as u64;
    }

    fn capped(&mut self, name: &str, ratio_bound: bool) {
        self.tally.truncated = true;
        if ratio_bound {
            self.error(ContainerError::RatioLimit {
                name: name.to_owned(),
                limit: self.limits.max_ratio,
            });
        } else {
            self.error(ContainerError::SizeLimit {
                name: name.to_owned(),
                limit: self.limits.max_decompressed,
            });
        }
    }

    /// Plain bytes of a ZIP member, or `None` (encrypted members are recorded by the caller).
    pub(crate) fn zip_member<'a>(&mut self, e: &zip::Entry<'a>) -> Option<Cow<'a, [u8]>> {
        match e.method {
            0 => Some(Cow::Borrowed(e.data)),
            8 => self
                .inflate_capped("zip", &e.name, e.data, false)
                .map(Cow::Owned),
            m => {
                self.error(ContainerError::UnsupportedMethod {
                    container: "zip",
                    name: e.name.to_string(),
                    method: m,
                });
                None
            }
        }
    }

    /// A member flagged encrypted whose data nevertheless decompresses with a matching CRC
    /// ("pseudo-encryption") is plain.
    fn pseudo_encrypted<'a>(&mut self, e: &zip::Entry<'a>) -> Option<Cow<'a, [u8]>> {
        if e.encryption() != Some("zipcrypto") {
            return None;
        }
        let plain: Cow<'a, [u8]> = match e.method {
            0 => Cow::Borrowed(e.data),
            8 => {
                let (cap, _) = self.cap_for(e.data.len() as u64);
                let mut out = std::mem::take(&mut self.scratch);
                let r = inflate(e.data, false, cap, &mut out);
                if r != Inflated::Complete {
                    self.scratch = out;
                    return None;
                }
                self.account(out.len());
                Cow::Owned(out)
            }
            _ => return None,
        };
        (crc32fast::hash(&plain) == e.crc && plain.len() as u64 == e.usize).then_some(plain)
    }

    /// Scans one file or member.
    pub(crate) fn node(&mut self, name: &str, bytes: &[u8], depth: u32, chain: &mut Vec<String>) {
        let kind = sniff(bytes);
        if kind != Kind::Text && kind != Kind::Binary && depth >= self.limits.max_depth {
            self.tally.truncated = true;
            self.error(ContainerError::DepthLimit {
                name: name.to_owned(),
                limit: self.limits.max_depth,
            });
            return;
        }
        match kind {
            Kind::Text => self.text(bytes, None, chain),
            Kind::Binary => {}
            Kind::Zip => self.zip(name, bytes, depth, chain),
            Kind::Gzip => self.gzip(name, bytes, depth, chain),
            Kind::Tar => self.tar(bytes, depth, chain),
            Kind::Pdf => {
                self.enter(chain, "pdf");
                pdf::scan(self, name, bytes, chain);
                chain.pop();
            }
            Kind::Cfb => {
                self.enter(chain, "ole");
                cfb::scan(self, name, bytes, chain);
                chain.pop();
            }
        }
    }

    fn zip(&mut self, name: &str, bytes: &[u8], depth: u32, chain: &mut Vec<String>) {
        let room = self.limits.max_entries.saturating_sub(self.entries) as usize + 1;
        let listing = zip::list(bytes, room);
        if listing.truncated {
            self.tally.truncated = true;
            self.error(ContainerError::Malformed {
                container: "zip",
                detail: format!("{name:?}: archive cut short or inconsistent"),
            });
        }
        if let Some(kind) = ooxml::kind_of(&listing) {
            self.enter(chain, kind.as_str());
            ooxml::scan(self, name, &listing, kind, depth, chain);
            chain.pop();
            return;
        }
        self.enter(chain, "zip");
        if listing.encrypted_directory {
            self.encrypted(
                chain,
                EncryptedEntry {
                    name: name.to_owned(),
                    container: "zip".into(),
                    method: "encrypted-directory".into(),
                    compressed_size: Some(bytes.len() as u64),
                    size: None,
                },
            );
        }
        for e in &listing.entries {
            if !self.count_entry() {
                break;
            }
            if e.is_dir() {
                continue;
            }
            let data = if let Some(method) = e.encryption() {
                match self.pseudo_encrypted(e) {
                    Some(d) => d,
                    None => {
                        self.encrypted(
                            chain,
                            EncryptedEntry {
                                name: e.name.to_string(),
                                container: "zip".into(),
                                method: method.into(),
                                compressed_size: Some(e.csize),
                                size: Some(e.usize),
                            },
                        );
                        continue;
                    }
                }
            } else {
                match self.zip_member(e) {
                    Some(d) => d,
                    None => continue,
                }
            };
            self.node(&e.name, &data, depth + 1, chain);
            if let Cow::Owned(mut v) = data {
                v.clear();
                if v.capacity() <= 16 << 20 {
                    self.scratch = v;
                }
            }
        }
        chain.pop();
    }

    fn gzip(&mut self, name: &str, bytes: &[u8], depth: u32, chain: &mut Vec<String>) {
        self.enter(chain, "gzip");
        // Member name from the FNAME header field, else the outer name without .gz.
        let inner = gzip_name(bytes).unwrap_or_else(|| {
            let n = name.strip_suffix(".gz").unwrap_or(name);
            match n.strip_suffix(".tgz") {
                Some(b) => format!("{b}.tar"),
                None => n.to_owned(),
            }
        });
        let (cap, ratio_bound) = self.cap_for(bytes.len() as u64);
        let mut out = Vec::new();
        let mut dec = flate2::read::MultiGzDecoder::new(bytes).take(cap as u64 + 1);
        let res = dec.read_to_end(&mut out);
        if out.len() > cap {
            out.truncate(cap);
            self.capped(&inner, ratio_bound);
        }
        self.account(out.len());
        if let Err(e) = res {
            self.tally.truncated = true;
            self.error(ContainerError::Decompress {
                container: "gzip",
                name: inner.clone(),
                detail: e.to_string(),
            });
        }
        self.tally.stats.parts_opened += 1;
        self.node(&inner, &out, depth + 1, chain);
        chain.pop();
    }

    fn tar(&mut self, bytes: &[u8], depth: u32, chain: &mut Vec<String>) {
        self.enter(chain, "tar");
        let mut p = 0usize;
        while let Some(h) = bytes.get(p..p + 512) {
            if h.iter().all(|&c| c == 0) {
                break;
            }
            let Some(size) = h.get(124..136).and_then(parse_octal) else {
                self.error(ContainerError::Malformed {
                    container: "tar",
                    detail: "bad size field".into(),
                });
                break;
            };
            let field = |r: std::ops::Range<usize>| {
                let f = h.get(r).unwrap_or_default();
                let end = f.iter().position(|&c| c == 0).unwrap_or(f.len());
                String::from_utf8_lossy(f.get(..end).unwrap_or_default()).into_owned()
            };
            let mut name = field(0..100);
            let prefix = field(345..500);
            if h.get(257..262) == Some(b"ustar") && !prefix.is_empty() {
                name = format!("{prefix}/{name}");
            }
            let typeflag = h.get(156).copied().unwrap_or(0);
            let start = p + 512;
            let len = usize::try_from(size).unwrap_or(usize::MAX);
            let data = bytes
                .get(start..start.saturating_add(len).min(bytes.len()))
                .unwrap_or_default();
            if data.len() < len {
                self.tally.truncated = true;
            }
            if matches!(typeflag, b'0' | 0 | b'7') {
                if !self.count_entry() {
                    break;
                }
                self.node(&name, data, depth + 1, chain);
            }
            let blocks = len.div_ceil(512);
            p = match blocks.checked_mul(512).and_then(|b| start.checked_add(b)) {
                Some(n) => n,
                None => break,
            };
        }
        chain.pop();
    }
}

/// FNAME of a gzip header.
fn gzip_name(b: &[u8]) -> Option<String> {
    let flg = *b.get(3)?;
    let mut p = 10usize;
    if flg & 0x04 != 0 {
        let xlen = usize::from(u16::from_le_bytes([*b.get(10)?, *b.get(11)?]));
        p = p.checked_add(2 + xlen)?;
    }
    if flg & 0x08 == 0 {
        return None;
    }
    let rest = b.get(p..)?;
    let end = memchr::memchr(0, rest)?;
    let raw = rest.get(..end)?;
    Some(match std::str::from_utf8(raw) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::SHIFT_JIS
            .decode_without_bom_handling(raw)
            .0
            .into_owned(),
    })
}

/// UTF-8 declared for extracted text.
pub(crate) const UTF8: Option<&'static encoding_rs::Encoding> = EXTRACTED;

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
