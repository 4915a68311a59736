//! ZIP listing and bounded extraction, nested to a depth limit.
//!
//! Hand-rolled rather than the `zip` crate because this walker must (1) list a ZIP whose end
//! was cut off at the scan cap (falling back from the central directory to the local headers),
//! (2) list the names of encrypted entries without touching their data, (3) share one
//! decompression budget across all entries and nesting levels (zip bombs, overlapping-entry
//! bombs), and (4) never trust a size field for an allocation. Decompression is `flate2`'s.

use std::io::Read;

use flate2::read::DeflateDecoder;
use serde::Serialize;

use crate::hashlist::HashHit;
use crate::kind::{FileType, classify};
use crate::names::{self, NameFlags};

/// Bytes of an entry decompressed to decide its type when its full content is not needed.
const HEAD: usize = 4096;
/// Longest `[Content_Types].xml` read to find macro-enabled content types.
const CONTENT_TYPES_MAX: usize = 1 << 20;

/// One entry of an archive (at any nesting level).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ArchiveEntry {
    /// Full path: the names of the containing archive entries and this entry's name, joined
    /// with `/` (`inner.zip/invoice.doc.exe`).
    pub path: String,
    /// The entry's name within its own archive.
    pub name: String,
    /// Nesting depth: 1 for entries of the scanned file itself.
    pub depth: u32,
    /// Declared uncompressed size.
    pub size: u64,
    /// Declared compressed size.
    pub compressed_size: u64,
    /// Compression method (0 stored, 8 deflated, 99 AES, ...).
    pub method: u16,
    /// The entry is encrypted (its data was not read).
    pub encrypted: bool,
    /// Content type, when the content could be read (stored or deflated, not encrypted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_type: Option<FileType>,
    /// Executable by name (extension list).
    pub executable_name: bool,
    /// Executable by content.
    pub executable_content: bool,
    /// Name tricks.
    pub name_flags: NameFlags,
    /// Decompressed bytes read (may be only the head).
    pub unpacked: u64,
    /// Decompression stopped at a cap before the entry's end.
    pub capped: bool,
    /// The data could not be decompressed.
    pub error: bool,
    /// YARA rules that matched the entry's content.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub yara: Vec<String>,
    /// Hash-list hits of the entry's content (only when fully decompressed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hash_hits: Vec<HashHit>,
    /// SHA-256 of the content, when fully decompressed and hashing was needed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

impl ArchiveEntry {
    /// Executable by name or content.
    pub fn executable(&self) -> bool {
        self.executable_name || self.executable_content
    }
    /// An Office document with macros (by content or macro-enabled extension).
    pub fn office_macro(&self) -> bool {
        self.name_flags.macro_ext || self.file_type.is_some_and(FileType::office_macro)
    }
    /// A shortcut by name or content.
    pub fn shortcut(&self) -> bool {
        self.name_flags.shortcut || self.file_type == Some(FileType::Lnk)
    }
}

/// The listing of an archive and its nested archives.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ArchiveListing {
    /// Entries, parents before children.
    pub entries: Vec<ArchiveEntry>,
    /// Every archive's central directory was read (else some listings came from local
    /// headers of a truncated archive and may be incomplete).
    pub complete: bool,
    /// Some entry is encrypted.
    pub encrypted: bool,
    /// Listing stopped at `max_archive_entries`.
    pub entries_capped: bool,
    /// Decompression stopped at `max_unpacked_bytes` or `max_file_size`.
    pub bytes_capped: bool,
    /// Nested archives deeper than `max_archive_depth` were not opened.
    pub depth_capped: bool,
    /// Archives opened (this one and nested ones).
    pub archives: u64,
}

impl ArchiveListing {
    /// Any entry (any depth) is executable.
    pub fn has_executable(&self) -> bool {
        self.entries.iter().any(ArchiveEntry::executable)
    }
}

/// Limits and wishes of one walk.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WalkLimits {
    pub max_depth: u32,
    pub max_entries: usize,
    pub max_unpacked: usize,
    pub max_entry: usize,
    /// Decompress every readable entry fully (YARA or hash lists need the content).
    pub need_full: bool,
    pub disk_images: bool,
}

/// A raw directory record.
struct Raw {
    name: Vec<u8>,
    flags: u16,
    method: u16,
    csize: u64,
    usize_: u64,
    /// Where the entry's data starts in the buffer, when known.
    data: Option<usize>,
    /// Where it ends (for local-header listings without sizes).
    data_end: Option<usize>,
}

fn u16le(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}
fn u32le(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}
fn u64le(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let h = hay.get(from..)?;
    h.windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Start of the data of the local header at `off`.
fn local_data(b: &[u8], off: usize) -> Option<usize> {
    if b.get(off..off.checked_add(4)?)? != b"PK\x03\x04" {
        return None;
    }
    let n = usize::from(u16le(b, off.checked_add(26)?)?);
    let x = usize::from(u16le(b, off.checked_add(28)?)?);
    off.checked_add(30)?.checked_add(n)?.checked_add(x)
}

/// Reads the central directory. `None` when there is no usable one.
fn central(b: &[u8], max: usize) -> Option<(Vec<Raw>, bool)> {
    let tail_from = b.len().saturating_sub(22 + 65535);
    let tail = b.get(tail_from..)?;
    let eocd = tail.windows(4).rposition(|w| w == b"PK\x05\x06")? + tail_from;
    let count = u64::from(u16le(b, eocd + 10)?);
    let mut cd_size = u64::from(u32le(b, eocd + 12)?);
    let mut cd_off = u64::from(u32le(b, eocd + 16)?);
    let mut cd_end = eocd;
    if (count == 0xffff || cd_size == 0xffff_ffff || cd_off == 0xffff_ffff)
        && eocd >= 20
        && b.get(eocd - 20..eocd - 16) == Some(b"PK\x06\x07")
    {
        let z = usize::try_from(u64le(b, eocd - 12)?).ok()?;
        // The record may be shifted by prepended data like everything else; look for it
        // just before the locator when its stated offset does not hold one.
        let z = if b.get(z..z.checked_add(4)?) == Some(b"PK\x06\x06") {
            z
        } else {
            let at = eocd.checked_sub(20 + 56)?;
            if b.get(at..at + 4) != Some(b"PK\x06\x06") {
                return None;
            }
            at
        };
        cd_size = u64le(b, z + 40)?;
        cd_off = u64le(b, z + 48)?;
        cd_end = z;
    }
    let cd_size = usize::try_from(cd_size).ok()?;
    let cd_off = usize::try_from(cd_off).ok()?;
    // Data prepended to the archive (self-extractors, polyglots) shifts every offset.
    let cd_start = cd_end.checked_sub(cd_size)?;
    let delta = cd_start.checked_sub(cd_off)?;
    let cd = b.get(cd_start..cd_end)?;
    let mut out = Vec::new();
    let mut at = 0usize;
    let mut capped = false;
    while cd.get(at..at.saturating_add(4)) == Some(b"PK\x01\x02") {
        if out.len() >= max {
            capped = true;
            break;
        }
        let flags = u16le(cd, at + 8)?;
        let method = u16le(cd, at + 10)?;
        let mut csize = u64::from(u32le(cd, at + 20)?);
        let mut usz = u64::from(u32le(cd, at + 24)?);
        let nlen = usize::from(u16le(cd, at + 28)?);
        let xlen = usize::from(u16le(cd, at + 30)?);
        let clen = usize::from(u16le(cd, at + 32)?);
        let mut loff = u64::from(u32le(cd, at + 42)?);
        let name_at = at + 46;
        let name = cd.get(name_at..name_at + nlen)?.to_vec();
        let extra = cd
            .get(name_at + nlen..name_at + nlen + xlen)
            .unwrap_or_default();
        // Zip64 extended information: the fields whose header value is all ones, in order.
        let mut x = 0usize;
        while let (Some(id), Some(len)) = (u16le(extra, x), u16le(extra, x + 2)) {
            let body = extra
                .get(x + 4..x + 4 + usize::from(len))
                .unwrap_or_default();
            if id == 1 {
                let mut p = 0usize;
                for field in [&mut usz, &mut csize, &mut loff] {
                    if *field == 0xffff_ffff
                        && let Some(v) = u64le(body, p)
                    {
                        *field = v;
                        p += 8;
                    }
                }
            }
            x = x + 4 + usize::from(len);
        }
        let data = usize::try_from(loff)
            .ok()
            .and_then(|o| o.checked_add(delta))
            .and_then(|o| local_data(b, o));
        out.push(Raw {
            name,
            flags,
            method,
            csize,
            usize_: usz,
            data,
            data_end: None,
        });
        at = name_at + nlen + xlen + clen;
    }
    Some((out, capped))
}

/// Lists entries from local headers (an archive whose central directory is missing).
fn local(b: &[u8], max: usize) -> (Vec<Raw>, bool) {
    let mut out = Vec::new();
    let mut at = 0usize;
    while b.get(at..at.saturating_add(4)) == Some(b"PK\x03\x04") {
        if out.len() >= max {
            return (out, true);
        }
        let (Some(flags), Some(method), Some(csize), Some(usz), Some(nlen), Some(data)) = (
            u16le(b, at + 6),
            u16le(b, at + 8),
            u32le(b, at + 18),
            u32le(b, at + 22),
            u16le(b, at + 26),
            local_data(b, at),
        ) else {
            break;
        };
        let name = b
            .get(at + 30..at + 30 + usize::from(nlen))
            .unwrap_or_default()
            .to_vec();
        let sized = flags & 8 == 0 || csize != 0;
        let end = if sized {
            data.saturating_add(csize as usize)
        } else {
            // Sizes follow the data (data descriptor): the data runs to the next header.
            [&b"PK\x03\x04"[..], b"PK\x01\x02", b"PK\x05\x06"]
                .iter()
                .filter_map(|s| find(b, s, data))
                .min()
                .unwrap_or(b.len())
        };
        out.push(Raw {
            name,
            flags,
            method,
            csize: u64::from(csize),
            usize_: u64::from(usz),
            data: Some(data),
            data_end: Some(end.min(b.len())),
        });
        let mut next = end;
        if !sized {
            // Skip a data descriptor, with or without its signature.
            next = find(b, b"PK\x03\x04", end).unwrap_or(b.len());
        } else if flags & 8 != 0 && b.get(next..next.saturating_add(4)) != Some(b"PK\x03\x04") {
            next = find(b, b"PK\x03\x04", next).unwrap_or(b.len());
        }
        if next <= at {
            break;
        }
        at = next;
    }
    (out, false)
}

/// Decodes an entry name: UTF-8 when flagged or valid, else Shift_JIS (Japanese Windows
/// archivers), else lossy.
fn decode_name(raw: &[u8], flags: u16) -> String {
    if flags & 0x800 != 0 {
        return String::from_utf8_lossy(raw).into_owned();
    }
    if let Ok(s) = std::str::from_utf8(raw) {
        return s.to_owned();
    }
    let (s, _, bad) = encoding_rs::SHIFT_JIS.decode(raw);
    if !bad {
        return s.into_owned();
    }
    String::from_utf8_lossy(raw).into_owned()
}

pub(crate) struct Walk<'v> {
    pub lim: WalkLimits,
    pub out: ArchiveListing,
    unpacked: usize,
    /// Called with each entry and the content read (whole when `full`).
    pub visit: &'v mut dyn FnMut(&mut ArchiveEntry, &[u8], bool),
}

impl<'v> Walk<'v> {
    pub(crate) fn new(
        lim: WalkLimits,
        visit: &'v mut dyn FnMut(&mut ArchiveEntry, &[u8], bool),
    ) -> Self {
        Walk {
            lim,
            out: ArchiveListing {
                complete: true,
                ..ArchiveListing::default()
            },
            unpacked: 0,
            visit,
        }
    }

    /// Decompresses into `buf` until it holds `limit` bytes (or the shared budget runs out),
    /// reading one byte more to learn whether the entry ends there; that extra byte stays in
    /// `buf` when `more` (a later call continues the same stream), else it is dropped.
    /// Returns whether the stream ended.
    fn inflate(
        &mut self,
        dec: &mut DeflateDecoder<&[u8]>,
        buf: &mut Vec<u8>,
        limit: usize,
        more: bool,
    ) -> Result<bool, ()> {
        let room = self.lim.max_unpacked.saturating_sub(self.unpacked);
        let cap = limit.min(buf.len().saturating_add(room));
        let before = buf.len();
        let want = cap.saturating_add(1).saturating_sub(before);
        let r = dec.by_ref().take(want as u64).read_to_end(buf);
        self.unpacked = self
            .unpacked
            .saturating_add(buf.len().saturating_sub(before));
        r.map_err(|_| ())?;
        if buf.len() > cap {
            if cap < limit {
                self.out.bytes_capped = true;
            }
            // The extra byte is kept only for a continuation that the budget still allows.
            if !more || cap < limit {
                buf.truncate(cap);
            }
            return Ok(false);
        }
        Ok(true)
    }

    /// Lists the archive in `b` (a ZIP), recursing into nested ZIPs. Returns the refined type of
    /// `b` itself (ZIP, JAR, OOXML, OOXML with macros).
    pub(crate) fn zip(&mut self, b: &[u8], prefix: &str, depth: u32) -> FileType {
        self.out.archives += 1;
        let room = self.lim.max_entries.saturating_sub(self.out.entries.len());
        let (raws, capped) = match central(b, room) {
            Some(x) => x,
            None => {
                self.out.complete = false;
                local(b, room)
            }
        };
        if capped {
            self.out.entries_capped = true;
        }
        let mut content_types = false;
        let mut office_dir = false;
        let mut vba = false;
        let mut manifest = false;
        let mut class = false;
        let mut macro_ct = false;
        for r in raws {
            if self.out.entries.len() >= self.lim.max_entries {
                self.out.entries_capped = true;
                break;
            }
            let name = decode_name(&r.name, r.flags);
            let lname = name.to_ascii_lowercase();
            content_types |= lname == "[content_types].xml";
            office_dir |=
                lname.starts_with("word/") || lname.starts_with("xl/") || lname.starts_with("ppt/");
            vba |= lname.ends_with("vbaproject.bin");
            manifest |= lname == "meta-inf/manifest.mf";
            class |= lname.ends_with(".class");
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let flags = names::analyse(&name, self.lim.disk_images, &[]);
            let mut e = ArchiveEntry {
                path,
                depth,
                size: r.usize_,
                compressed_size: r.csize,
                method: r.method,
                encrypted: r.flags & 1 != 0,
                executable_name: flags.executable,
                name_flags: flags,
                name,
                ..ArchiveEntry::default()
            };
            self.out.encrypted |= e.encrypted;
            let is_dir = e.name.ends_with('/') || e.name.ends_with('\\');
            let readable = !e.encrypted && !is_dir && (r.method == 0 || r.method == 8);
            let idx = self.out.entries.len();
            let Some(start) = r.data.filter(|_| readable) else {
                self.out.entries.push(e);
                continue;
            };
            let end = match r.data_end {
                Some(end) => end,
                None => start.saturating_add(usize::try_from(r.csize).unwrap_or(usize::MAX)),
            };
            let avail = b
                .get(start..end.min(b.len()).max(start))
                .unwrap_or_default();
            let short = end > b.len();
            let max_entry = self.lim.max_entry;
            let content_types_entry = e.name.eq_ignore_ascii_case("[Content_Types].xml");
            let mut owned = Vec::new();
            // Whether the whole entry was wanted (else only its head was read on purpose).
            let mut wanted_all = true;
            let (content, whole): (&[u8], bool) = if r.method == 0 {
                let c = avail.get(..avail.len().min(max_entry)).unwrap_or_default();
                (c, !short && avail.len() <= max_entry)
            } else {
                let mut dec = DeflateDecoder::new(avail);
                let whole = match self.inflate(&mut dec, &mut owned, HEAD, true) {
                    Err(()) => {
                        e.error = true;
                        false
                    }
                    Ok(true) => true,
                    Ok(false) => {
                        let ty = classify(&owned);
                        let nested = ty == FileType::Zip && depth < self.lim.max_depth;
                        if self.lim.need_full || nested || content_types_entry {
                            let lim = if content_types_entry && !self.lim.need_full {
                                CONTENT_TYPES_MAX
                            } else {
                                max_entry
                            };
                            let done = self.inflate(&mut dec, &mut owned, lim, false);
                            match done {
                                Ok(done) => done,
                                Err(()) => {
                                    e.error = true;
                                    false
                                }
                            }
                        } else {
                            owned.truncate(HEAD);
                            wanted_all = false;
                            false
                        }
                    }
                };
                (&owned[..], whole)
            };
            if e.error {
                self.out.complete = false;
            }
            e.unpacked = content.len() as u64;
            e.capped = !whole && !e.error && wanted_all;
            if content_types_entry {
                macro_ct |= crate::kind::find_ci(content, b"macroenabled");
            }
            let mut ty = classify(content);
            if ty == FileType::Zip {
                if depth < self.lim.max_depth {
                    let child_prefix = e.path.clone();
                    self.out.entries.push(e);
                    ty = self.zip(content, &child_prefix, depth + 1);
                    if let Some(pe) = self.out.entries.get_mut(idx) {
                        pe.file_type = Some(ty);
                        pe.executable_content = ty.executable();
                        (self.visit)(pe, content, whole);
                    }
                    continue;
                }
                self.out.depth_capped = true;
            }
            if content.is_empty() && e.size > 0 {
                e.file_type = None;
            } else {
                e.file_type = Some(ty);
                e.executable_content = ty.executable();
            }
            (self.visit)(&mut e, content, whole);
            self.out.entries.push(e);
        }
        if content_types && office_dir {
            if vba || macro_ct {
                FileType::OoxmlMacro
            } else {
                FileType::Ooxml
            }
        } else if manifest && class {
            FileType::Jar
        } else {
            FileType::Zip
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::{Cursor, Write};
    use zip::write::SimpleFileOptions;

    /// Builds a ZIP with the `zip` crate (an independent writer).
    pub(crate) fn build(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data, deflate) in entries {
            let m = if *deflate {
                zip::CompressionMethod::Deflated
            } else {
                zip::CompressionMethod::Stored
            };
            w.start_file(*name, SimpleFileOptions::default().compression_method(m))
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// Marks every entry of a ZIP as encrypted (flag bit 0 in local and central headers), as
    /// a ZipCrypto archive looks to a reader without the password.
    pub(crate) fn encrypt_flags(mut z: Vec<u8>) -> Vec<u8> {
        let mut i = 0;
        while i + 4 <= z.len() {
            if &z[i..i + 4] == b"PK\x03\x04" {
                z[i + 6] |= 1;
            } else if &z[i..i + 4] == b"PK\x01\x02" {
                z[i + 8] |= 1;
            }
            i += 1;
        }
        z
    }

    pub(crate) fn walk(b: &[u8], lim: WalkLimits) -> (ArchiveListing, FileType, usize) {
        let mut seen = 0usize;
        let mut v = |_: &mut ArchiveEntry, c: &[u8], _: bool| seen += c.len();
        let mut w = Walk::new(lim, &mut v);
        let ty = w.zip(b, "", 1);
        let out = w.out;
        (out, ty, seen)
    }

    pub(crate) fn lim() -> WalkLimits {
        WalkLimits {
            max_depth: 3,
            max_entries: 1000,
            max_unpacked: 64 << 20,
            max_entry: 32 << 20,
            need_full: false,
            disk_images: true,
        }
    }

    fn mz() -> Vec<u8> {
        crate::kind::tests::pe(false)
    }

    #[test]
    fn lists_double_extension_exe() {
        let exe = mz();
        let z = build(&[
            ("readme.txt", b"hello", true),
            ("invoice.doc.exe", &exe, true),
        ]);
        let (l, ty, _) = walk(&z, lim());
        assert_eq!(ty, FileType::Zip);
        assert!(l.complete);
        assert_eq!(l.entries.len(), 2);
        let e = &l.entries[1];
        assert_eq!(e.path, "invoice.doc.exe");
        assert!(e.executable_name && e.executable_content);
        assert_eq!(e.file_type, Some(FileType::Pe));
        assert_eq!(e.name_flags.double_extension.as_deref(), Some("doc"));
        assert!(!l.entries[0].executable());
        assert!(l.has_executable());
    }

    #[test]
    fn exe_by_content_only_and_stored() {
        let z = build(&[("photo.jpg", &mz(), false)]);
        let (l, _, _) = walk(&z, lim());
        assert!(!l.entries[0].executable_name);
        assert!(l.entries[0].executable_content);
    }

    #[test]
    fn nested_zip_to_depth_limit() {
        let inner = build(&[("evil.scr", &mz(), true)]);
        let mid = build(&[("inner.zip", &inner, true)]);
        let outer = build(&[("mid.zip", &mid, false)]);
        let (l, _, _) = walk(&outer, lim());
        let paths: Vec<&str> = l.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            ["mid.zip", "mid.zip/inner.zip", "mid.zip/inner.zip/evil.scr"]
        );
        assert_eq!(l.entries[2].depth, 3);
        assert!(l.entries[2].executable_content);
        assert_eq!(l.archives, 3);
        assert!(!l.depth_capped);
        // Depth 2: the innermost archive is listed as an entry but not opened.
        let (l, _, _) = walk(
            &outer,
            WalkLimits {
                max_depth: 2,
                ..lim()
            },
        );
        assert_eq!(l.entries.len(), 2);
        assert!(l.depth_capped);
        assert!(!l.has_executable());
    }

    #[test]
    fn encrypted_entries_are_listed_by_name() {
        let z = encrypt_flags(build(&[
            ("scan_2015.pdf.exe", &mz(), true),
            ("a.txt", b"x", false),
        ]));
        let (l, _, seen) = walk(&z, lim());
        assert!(l.encrypted);
        assert_eq!(seen, 0);
        let e = &l.entries[0];
        assert!(e.encrypted && e.executable_name && !e.executable_content);
        assert_eq!(e.file_type, None);
        assert_eq!(e.name_flags.double_extension.as_deref(), Some("pdf"));
    }

    /// An overlapping-entry bomb: `n` central-directory records (names `z0.bin`...) that all
    /// point at the one local entry of `z`.
    pub(crate) fn overlap(z: &[u8], n: usize) -> Vec<u8> {
        let cd = z.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        let eocd = z.windows(4).rposition(|w| w == b"PK\x05\x06").unwrap();
        let rec = &z[cd..eocd];
        let nlen = u16::from_le_bytes([rec[28], rec[29]]) as usize;
        let mut out = z[..cd].to_vec();
        for i in 0..n {
            let mut r = rec.to_vec();
            r[46 + nlen - 1] = b'0' + (i % 10) as u8;
            r[46 + nlen - 2] = b'0' + (i / 10 % 10) as u8;
            out.extend_from_slice(&r);
        }
        let cd_size = (out.len() - cd) as u32;
        let mut e = z[eocd..].to_vec();
        e[8..10].copy_from_slice(&(n as u16).to_le_bytes());
        e[10..12].copy_from_slice(&(n as u16).to_le_bytes());
        e[12..16].copy_from_slice(&cd_size.to_le_bytes());
        out.extend_from_slice(&e);
        out
    }

    #[test]
    fn zip_bomb_is_bounded() {
        let zeros = vec![0u8; 8 << 20];
        let one = build(&[("zeros00.bin", &zeros, true)]);
        assert!(one.len() < 64 * 1024);
        // Ten names for the same highly compressed data (80 MiB unpacked), and need_full on.
        let bomb = overlap(&one, 10);
        let l2 = WalkLimits {
            need_full: true,
            max_unpacked: 20 << 20,
            max_entry: 4 << 20,
            ..lim()
        };
        let (l, _, seen) = walk(&bomb, l2);
        assert!(seen <= 20 << 20, "{seen}");
        assert!(l.bytes_capped);
        assert!(l.entries.iter().all(|e| e.unpacked <= 4 << 20));
        assert!(l.entries.iter().any(|e| e.capped));
        // Without need_full only heads are read.
        let (l, _, seen) = walk(&bomb, lim());
        assert!(seen <= 10 * HEAD, "{seen}");
        assert!(!l.bytes_capped);
    }

    #[test]
    fn full_content_is_byte_exact() {
        let mut data = Vec::new();
        for i in 0..50_000u32 {
            data.extend_from_slice(&i.to_le_bytes());
        }
        let z = build(&[("big.bin", &data, true), ("small.bin", b"abc", true)]);
        let mut got: Vec<(String, Vec<u8>, bool)> = Vec::new();
        let mut v = |e: &mut ArchiveEntry, c: &[u8], whole: bool| {
            got.push((e.name.clone(), c.to_vec(), whole))
        };
        let mut w = Walk::new(
            WalkLimits {
                need_full: true,
                ..lim()
            },
            &mut v,
        );
        w.zip(&z, "", 1);
        assert!(!w.out.entries[0].capped);
        assert_eq!(w.out.entries[0].unpacked, data.len() as u64);
        assert_eq!(got.len(), 2);
        assert!(got[0].1 == data && got[0].2);
        assert!(got[1].1 == b"abc" && got[1].2);
        // Head only without need_full; a per-entry cap keeps an exact prefix.
        let mut got2: Vec<(Vec<u8>, bool)> = Vec::new();
        let mut v2 = |_: &mut ArchiveEntry, c: &[u8], whole: bool| got2.push((c.to_vec(), whole));
        let mut w = Walk::new(
            WalkLimits {
                need_full: true,
                max_entry: 10_000,
                ..lim()
            },
            &mut v2,
        );
        w.zip(&z, "", 1);
        assert!(w.out.entries[0].capped);
        assert!(got2[0].0 == data[..10_000] && !got2[0].1);
        let (l, _, seen) = walk(&z, lim());
        assert_eq!(seen, HEAD + 3);
        assert!(!l.entries[0].capped);
    }

    #[test]
    fn entry_cap() {
        let names: Vec<String> = (0..50).map(|i| format!("f{i}.txt")).collect();
        let entries: Vec<(&str, &[u8], bool)> = names
            .iter()
            .map(|n| (n.as_str(), &b"x"[..], false))
            .collect();
        let z = build(&entries);
        let (l, _, _) = walk(
            &z,
            WalkLimits {
                max_entries: 10,
                ..lim()
            },
        );
        assert_eq!(l.entries.len(), 10);
        assert!(l.entries_capped);
    }

    #[test]
    fn truncated_archive_falls_back_to_local_headers() {
        let z = build(&[
            ("a.txt", b"hello", false),
            ("b.exe", &mz(), true),
            ("c.txt", b"x", true),
        ]);
        let cd = z.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        let (l, _, _) = walk(&z[..cd], lim());
        assert!(!l.complete);
        let names: Vec<&str> = l.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a.txt", "b.exe", "c.txt"]);
        assert!(l.entries[1].executable_content);
    }

    #[test]
    fn prepended_data_and_ooxml() {
        let z = build(&[
            ("[Content_Types].xml", b"<Types><Override ContentType=\"application/vnd.ms-word.document.macroEnabled.main+xml\"/></Types>", true),
            ("word/document.xml", b"<w:document/>", true),
        ]);
        let (_, ty, _) = walk(&z, lim());
        assert_eq!(ty, FileType::OoxmlMacro);
        let z = build(&[
            ("[Content_Types].xml", b"<Types/>", true),
            ("word/document.xml", b"<w:document/>", true),
            (
                "word/vbaProject.bin",
                &crate::kind::tests::cfb(&["_VBA_PROJECT"]),
                true,
            ),
        ]);
        let (l, ty, _) = walk(&z, lim());
        assert_eq!(ty, FileType::OoxmlMacro);
        assert_eq!(l.entries[2].file_type, Some(FileType::CfbMacro));
        let plain = build(&[
            ("[Content_Types].xml", b"<Types/>", true),
            ("xl/workbook.xml", b"<w/>", true),
        ]);
        assert_eq!(walk(&plain, lim()).1, FileType::Ooxml);
        let mut sfx = mz();
        sfx.extend_from_slice(&build(&[("x.txt", b"abc", false)]));
        let (l, _, _) = walk(&sfx, lim());
        assert_eq!(l.entries.len(), 1);
        assert_eq!(l.entries[0].file_type, Some(FileType::Text));
        let jar = build(&[
            ("META-INF/MANIFEST.MF", b"Main-Class: A\n", true),
            ("A.class", b"\xca\xfe\xba\xbe\0\0\0\x34", true),
        ]);
        assert_eq!(walk(&jar, lim()).1, FileType::Jar);
    }

    #[test]
    fn shift_jis_names() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("請求書.exe");
        assert_eq!(decode_name(&sjis, 0), "請求書.exe");
        assert_eq!(decode_name("年金.pdf".as_bytes(), 0x800), "年金.pdf");
    }

    #[test]
    fn hostile_archives_do_not_panic() {
        let z = build(&[("a.txt", b"hello", true), ("b/c.exe", &mz(), false)]);
        let mut x: u32 = 99;
        for i in 0..z.len() {
            for _ in 0..4 {
                let mut m = z.clone();
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                m[i] = (x >> 16) as u8;
                let _ = walk(&m, lim());
                let _ = walk(&m[..i], lim());
            }
        }
        for t in [
            &b"PK\x05\x06"[..],
            b"PK\x03\x04",
            b"PK\x01\x02",
            b"PK\x06\x07PK\x05\x06",
        ] {
            let _ = walk(t, lim());
        }
    }
}
