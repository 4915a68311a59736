//! ZIP reader (PKWARE APPNOTE): central directory with ZIP64 and WinZip AES extra fields, and a
//! sequential local-header walk when the central directory is missing (a truncated transfer).
//!
//! Hand-written rather than the `zip` crate because the DLP layer needs what a general extractor
//! hides or refuses: the raw general-purpose flags (encryption bit 0, strong encryption bit 6,
//! encrypted central directory bit 13), method 99 with its 0x9901 extra field, entries of a
//! truncated archive, and decompression under our own size and ratio caps. All offsets are
//! checked; nothing here panics or allocates from declared sizes.

use std::borrow::Cow;

/// One archive member as declared by its headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry<'a> {
    /// Member name (UTF-8, or Shift_JIS for legacy Japanese archives).
    pub name: Cow<'a, str>,
    /// General-purpose bit flags.
    pub flags: u16,
    /// Compression method (99 = WinZip AES).
    pub method: u16,
    /// Actual method inside AES (from the 0x9901 extra field).
    pub aes_method: Option<u16>,
    /// CRC-32 of the plain data.
    pub crc: u32,
    /// Declared compressed size.
    pub csize: u64,
    /// Declared plain size.
    pub usize: u64,
    /// Compressed bytes (possibly shorter than `csize` when the archive is truncated).
    pub data: &'a [u8],
}

impl Entry<'_> {
    /// Directory entries end with `/`.
    pub fn is_dir(&self) -> bool {
        self.name.ends_with('/')
    }

    /// The encryption scheme if the entry is flagged encrypted.
    pub fn encryption(&self) -> Option<&'static str> {
        if self.method == 99 || self.aes_method.is_some() {
            Some("aes")
        } else if self.flags & 0x0040 != 0 {
            Some("strong")
        } else if self.flags & 0x0001 != 0 {
            Some("zipcrypto")
        } else {
            None
        }
    }
}

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(o..o.checked_add(2)?)?.try_into().ok()?,
    ))
}
fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(o..o.checked_add(4)?)?.try_into().ok()?,
    ))
}
fn u64_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(o..o.checked_add(8)?)?.try_into().ok()?,
    ))
}

const LOCAL: &[u8] = b"PK\x03\x04";
const CENTRAL: &[u8] = b"PK\x01\x02";
const EOCD: &[u8] = b"PK\x05\x06";
const EOCD64_LOC: &[u8] = b"PK\x06\x07";
const EOCD64: &[u8] = b"PK\x06\x06";

fn decode_name(raw: &[u8], utf8_flag: bool) -> Cow<'_, str> {
    match std::str::from_utf8(raw) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) if utf8_flag => String::from_utf8_lossy(raw),
        Err(_) => encoding_rs::SHIFT_JIS.decode_without_bom_handling(raw).0,
    }
}

/// Extra-field values: ZIP64 sizes/offset (only those whose 32-bit field was saturated) and the
/// AES actual method.
fn parse_extra(
    extra: &[u8],
    usize: &mut u64,
    csize: &mut u64,
    offset: &mut u64,
    aes: &mut Option<u16>,
) {
    let mut i = 0;
    while i + 4 <= extra.len() {
        let (Some(id), Some(len)) = (u16_at(extra, i), u16_at(extra, i + 2)) else {
            return;
        };
        let body = extra
            .get(i + 4..i + 4 + usize::from(len))
            .unwrap_or_default();
        match id {
            0x0001 => {
                let mut k = 0;
                if *usize == 0xFFFF_FFFF {
                    if let Some(v) = u64_at(body, k) {
                        *usize = v;
                    }
                    k += 8;
                }
                if *csize == 0xFFFF_FFFF {
                    if let Some(v) = u64_at(body, k) {
                        *csize = v;
                    }
                    k += 8;
                }
                if *offset == 0xFFFF_FFFF
                    && let Some(v) = u64_at(body, k)
                {
                    *offset = v;
                }
            }
            0x9901 => *aes = u16_at(body, 5).or(Some(0)),
            _ => {}
        }
        i += 4 + usize::from(len);
    }
}

/// Data slice of the member whose local header is at `off`, clipped to the archive.
fn local_data(b: &[u8], off: usize, csize: u64) -> Option<&[u8]> {
    if b.get(off..off.checked_add(4)?)? != LOCAL {
        return None;
    }
    let n = usize::from(u16_at(b, off + 26)?);
    let e = usize::from(u16_at(b, off + 28)?);
    let start = off.checked_add(30)?.checked_add(n)?.checked_add(e)?;
    let end = start
        .saturating_add(usize::try_from(csize).unwrap_or(usize::MAX))
        .min(b.len());
    b.get(start.min(b.len())..end)
}

/// Result of reading an archive's directory.
#[derive(Debug, Default)]
pub(crate) struct Listing<'a> {
    pub entries: Vec<Entry<'a>>,
    /// The central directory was flagged encrypted (bit 13) or unreadable names.
    pub encrypted_directory: bool,
    /// The archive was cut short or inconsistent.
    pub truncated: bool,
    /// More entries than `max` were present.
    pub too_many: bool,
}

/// Lists the members of `b` (at most `max`).
pub(crate) fn list(b: &[u8], max: usize) -> Listing<'_> {
    match central(b, max) {
        Some(l) if !l.entries.is_empty() || l.encrypted_directory => l,
        _ => sequential(b, max),
    }
}

fn find_eocd(b: &[u8]) -> Option<usize> {
    let lo = b.len().saturating_sub(22 + 65_535);
    let win = b.get(lo..)?;
    memchr::memmem::rfind(win, EOCD).map(|p| lo + p)
}

fn central(b: &[u8], max: usize) -> Option<Listing<'_>> {
    let eocd = find_eocd(b)?;
    let mut total = u64::from(u16_at(b, eocd + 10)?);
    let mut cd_size = u64::from(u32_at(b, eocd + 12)?);
    let mut cd_off = u64::from(u32_at(b, eocd + 16)?);
    if (total == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_off == 0xFFFF_FFFF) && eocd >= 20 {
        let loc = eocd - 20;
        if b.get(loc..loc + 4) == Some(EOCD64_LOC) {
            let rec = usize::try_from(u64_at(b, loc + 8)?).ok()?;
            if b.get(rec..rec.checked_add(4)?) == Some(EOCD64) {
                total = u64_at(b, rec + 32)?;
                cd_size = u64_at(b, rec + 40)?;
                cd_off = u64_at(b, rec + 48)?;
            }
        }
    }
    // Data prepended to the archive (self-extractors) shifts every offset.
    let expected = eocd as u64;
    let delta = expected.saturating_sub(cd_off.checked_add(cd_size)?);
    let mut p = usize::try_from(cd_off.checked_add(delta)?).ok()?;
    let mut l = Listing::default();
    let mut seen = 0u64;
    while b.get(p..p.checked_add(4)?) == Some(CENTRAL) {
        if l.entries.len() >= max {
            l.too_many = true;
            break;
        }
        let flags = u16_at(b, p + 8)?;
        let method = u16_at(b, p + 10)?;
        let crc = u32_at(b, p + 16)?;
        let mut csize = u64::from(u32_at(b, p + 20)?);
        let mut usize_ = u64::from(u32_at(b, p + 24)?);
        let n = usize::from(u16_at(b, p + 28)?);
        let e = usize::from(u16_at(b, p + 30)?);
        let c = usize::from(u16_at(b, p + 32)?);
        let mut off = u64::from(u32_at(b, p + 42)?);
        let name_raw = b.get(p + 46..p + 46 + n)?;
        let extra = b.get(p + 46 + n..p + 46 + n + e).unwrap_or_default();
        let mut aes = None;
        parse_extra(extra, &mut usize_, &mut csize, &mut off, &mut aes);
        if flags & 0x2000 != 0 {
            l.encrypted_directory = true;
        }
        let off = usize::try_from(off.saturating_add(delta)).unwrap_or(usize::MAX);
        let data = match local_data(b, off, csize) {
            Some(d) => d,
            None => {
                l.truncated = true;
                &[]
            }
        };
        if (data.len() as u64) < csize {
            l.truncated = true;
        }
        l.entries.push(Entry {
            name: decode_name(name_raw, flags & 0x0800 != 0),
            flags,
            method,
            aes_method: aes,
            crc,
            csize,
            usize: usize_,
            data,
        });
        seen += 1;
        p = p.checked_add(46 + n + e + c)?;
    }
    if seen < total && !l.too_many {
        l.truncated = true;
    }
    Some(l)
}

/// Walks local headers from the start (no usable central directory).
fn sequential(b: &[u8], max: usize) -> Listing<'_> {
    let mut l = Listing {
        truncated: true,
        ..Default::default()
    };
    let mut p = 0usize;
    while let Some(rel) = b.get(p..).and_then(|r| memchr::memmem::find(r, LOCAL)) {
        let off = p + rel;
        if l.entries.len() >= max {
            l.too_many = true;
            break;
        }
        let (Some(flags), Some(method), Some(crc), Some(cs), Some(us), Some(n), Some(e)) = (
            u16_at(b, off + 6),
            u16_at(b, off + 8),
            u32_at(b, off + 14),
            u32_at(b, off + 18),
            u32_at(b, off + 22),
            u16_at(b, off + 26),
            u16_at(b, off + 28),
        ) else {
            break;
        };
        let (n, e) = (usize::from(n), usize::from(e));
        let Some(name_raw) = b.get(off + 30..off + 30 + n) else {
            break;
        };
        let extra = b.get(off + 30 + n..off + 30 + n + e).unwrap_or_default();
        let (mut csize, mut usize_, mut o) = (u64::from(cs), u64::from(us), 0u64);
        let mut aes = None;
        parse_extra(extra, &mut usize_, &mut csize, &mut o, &mut aes);
        let start = off + 30 + n + e;
        let rest = b.get(start.min(b.len())..).unwrap_or_default();
        let data = if flags & 0x0008 != 0 && csize == 0 {
            // Sizes follow the data; for deflate the stream end tells where the data stops.
            if method == 8 {
                let used = super::deflate_stream_len(rest).unwrap_or(rest.len());
                rest.get(..used).unwrap_or(rest)
            } else {
                // Stored with a data descriptor: up to the next header signature.
                let end = memchr::memmem::find(rest, b"PK\x07\x08")
                    .or_else(|| memchr::memmem::find(rest, LOCAL))
                    .unwrap_or(rest.len());
                rest.get(..end).unwrap_or(rest)
            }
        } else {
            rest.get(..usize::try_from(csize).unwrap_or(usize::MAX).min(rest.len()))
                .unwrap_or(rest)
        };
        let data_len = data.len();
        l.entries.push(Entry {
            name: decode_name(name_raw, flags & 0x0800 != 0),
            flags,
            method,
            aes_method: aes,
            crc,
            csize: if csize == 0 { data_len as u64 } else { csize },
            usize: usize_,
            data,
        });
        p = start.saturating_add(data_len.max(1));
    }
    l
}

#[cfg(test)]
pub(crate) mod build {
    //! A tiny ZIP writer for tests (stored or deflated members, optional flags).

    use std::io::Write;

    /// A member to write.
    pub struct Member<'a> {
        pub name: &'a str,
        pub data: &'a [u8],
        pub deflate: bool,
        pub flags: u16,
        pub method_override: Option<u16>,
        pub extra: Vec<u8>,
    }

    impl<'a> Member<'a> {
        pub fn new(name: &'a str, data: &'a [u8]) -> Self {
            Member {
                name,
                data,
                deflate: true,
                flags: 0,
                method_override: None,
                extra: Vec::new(),
            }
        }
    }

    pub fn zip(members: &[Member<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut cd = Vec::new();
        for m in members {
            let comp = if m.deflate {
                let mut e =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(m.data).unwrap();
                e.finish().unwrap()
            } else {
                m.data.to_vec()
            };
            let method = m.method_override.unwrap_or(if m.deflate { 8 } else { 0 });
            let crc = crc32fast::hash(m.data);
            let off = out.len() as u32;
            let hdr = |sig: &[u8], central: bool| {
                let mut h = Vec::new();
                h.extend_from_slice(sig);
                if central {
                    h.extend_from_slice(&20u16.to_le_bytes());
                }
                h.extend_from_slice(&20u16.to_le_bytes());
                h.extend_from_slice(&m.flags.to_le_bytes());
                h.extend_from_slice(&method.to_le_bytes());
                h.extend_from_slice(&[0, 0, 0, 0]);
                h.extend_from_slice(&crc.to_le_bytes());
                h.extend_from_slice(&(comp.len() as u32).to_le_bytes());
                h.extend_from_slice(&(m.data.len() as u32).to_le_bytes());
                h.extend_from_slice(&(m.name.len() as u16).to_le_bytes());
                h.extend_from_slice(&(m.extra.len() as u16).to_le_bytes());
                if central {
                    h.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
                    h.extend_from_slice(&[0; 4]); // external attributes
                    h.extend_from_slice(&off.to_le_bytes());
                }
                h.extend_from_slice(m.name.as_bytes());
                h.extend_from_slice(&m.extra);
                h
            };
            out.extend(hdr(b"PK\x03\x04", false));
            out.extend_from_slice(&comp);
            cd.extend(hdr(b"PK\x01\x02", true));
        }
        let cd_off = out.len() as u32;
        out.extend_from_slice(&cd);
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(members.len() as u16).to_le_bytes());
        out.extend_from_slice(&(members.len() as u16).to_le_bytes());
        out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_off.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;

    #[test]
    fn lists_central_directory() {
        let z = zip(&[
            Member::new("a.txt", b"hello hello hello"),
            Member {
                deflate: false,
                ..Member::new("d/", b"")
            },
        ]);
        let l = list(&z, 100);
        assert!(!l.truncated);
        assert_eq!(l.entries.len(), 2);
        assert_eq!(l.entries[0].name, "a.txt");
        assert_eq!(l.entries[0].method, 8);
        assert_eq!(l.entries[0].usize, 17);
        assert!(l.entries[1].is_dir());
        assert_eq!(l.entries[0].encryption(), None);
    }

    #[test]
    fn truncated_archive_falls_back_to_local_headers() {
        let z = zip(&[
            Member::new("a.txt", b"hello hello hello"),
            Member::new("b.txt", b"world"),
        ]);
        let cut = &z[..z.len() - 30];
        let l = list(cut, 100);
        assert!(l.truncated);
        assert_eq!(l.entries.len(), 2);
        assert_eq!(l.entries[1].name, "b.txt");
    }

    #[test]
    fn encryption_flags() {
        let mut aes_extra = vec![0x01, 0x99, 7, 0];
        aes_extra.extend_from_slice(&[2, 0, b'A', b'E', 3, 8, 0]);
        let z = zip(&[
            Member {
                flags: 1,
                ..Member::new("zc.txt", b"x")
            },
            Member {
                method_override: Some(99),
                flags: 1,
                extra: aes_extra,
                ..Member::new("aes.txt", b"y")
            },
            Member {
                flags: 0x41,
                ..Member::new("strong.txt", b"z")
            },
        ]);
        let l = list(&z, 100);
        assert_eq!(l.entries[0].encryption(), Some("zipcrypto"));
        assert_eq!(l.entries[1].encryption(), Some("aes"));
        assert_eq!(l.entries[1].aes_method, Some(8));
        assert_eq!(l.entries[2].encryption(), Some("strong"));
    }

    #[test]
    fn entry_limit() {
        let z = zip(&[Member::new("a", b"x"), Member::new("b", b"y")]);
        let l = list(&z, 1);
        assert!(l.too_many);
        assert_eq!(l.entries.len(), 1);
    }

    #[test]
    fn decode_sjis_name() {
        let raw = encoding_rs::SHIFT_JIS.encode("名簿.csv").0.into_owned();
        assert_eq!(decode_name(&raw, false), "名簿.csv");
    }

    #[test]
    fn garbage_does_not_panic() {
        for n in 0..200usize {
            let mut v: Vec<u8> = (0..n).map(|i| (i * 31 % 256) as u8).collect();
            v.extend_from_slice(b"PK\x05\x06");
            v.extend_from_slice(&[0xFF; 18]);
            let _ = list(&v, 10);
            let mut w = b"PK\x03\x04".to_vec();
            w.extend((0..n).map(|i| (i * 7) as u8));
            let _ = list(&w, 10);
        }
    }
}
