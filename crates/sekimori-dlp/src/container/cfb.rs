//! OLE / Compound File Binary (MS-CFB) inspection: an `EncryptionInfo` + `EncryptedPackage` pair
//! is an encrypted OOXML document (MS-OFFCRYPTO; the version of `EncryptionInfo` tells agile,
//! standard or RC4 CryptoAPI); a `WordDocument` stream whose FIB has `fEncrypted` is an encrypted
//! .doc; a `Workbook` stream with a FILEPASS record is an encrypted .xls.
//!
//! Hand-written: only the directory and the first bytes of two streams are needed, with every
//! sector chain bounded and checked, which a general CFB reader does not promise on hostile input.
//! Text of unencrypted legacy documents is not extracted. A .xls encrypted with the default
//! `VelvetSweatshop` password is still reported encrypted (telling it apart needs RC4 decryption).

use super::{ContainerError, Ctx};
use crate::types::EncryptedEntry;

const MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const FREE: u32 = 0xFFFF_FFFF;
/// Most sectors followed in one chain.
const MAX_CHAIN: usize = 1 << 20;

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

/// A directory entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DirEntry {
    pub name: String,
    pub kind: u8,
    pub start: u32,
    pub size: u64,
}

/// A parsed compound file.
#[derive(Debug)]
pub(crate) struct Cfb<'a> {
    b: &'a [u8],
    shift: u32,
    fat: Vec<u32>,
    minifat: Vec<u32>,
    mini_cutoff: u64,
    pub entries: Vec<DirEntry>,
}

impl<'a> Cfb<'a> {
    fn sector(&self, n: u32) -> Option<&'a [u8]> {
        let size = 1usize << self.shift;
        let off = (usize::try_from(n).ok()? + 1).checked_mul(size)?;
        self.b.get(off..off.checked_add(size)?)
    }

    fn chain(&self, start: u32, fat: &[u32]) -> Vec<u32> {
        let mut v = Vec::new();
        let mut n = start;
        while n != END_OF_CHAIN && n != FREE && v.len() < MAX_CHAIN.min(fat.len() + 1) {
            v.push(n);
            match fat.get(n as usize) {
                Some(&next) => n = next,
                None => break,
            }
        }
        v
    }

    /// Parses the header, FAT, directory and mini FAT.
    pub(crate) fn parse(b: &'a [u8]) -> Option<Cfb<'a>> {
        if b.get(..8)? != MAGIC {
            return None;
        }
        let shift = u32::from(u16_at(b, 0x1E)?);
        if shift != 9 && shift != 12 {
            return None;
        }
        let mut c = Cfb {
            b,
            shift,
            fat: Vec::new(),
            minifat: Vec::new(),
            mini_cutoff: 4096,
            entries: Vec::new(),
        };
        let n_fat = u32_at(b, 0x2C)? as usize;
        let dir_start = u32_at(b, 0x30)?;
        c.mini_cutoff = u64::from(u32_at(b, 0x38)?);
        let minifat_start = u32_at(b, 0x3C)?;
        let mut difat_next = u32_at(b, 0x44)?;
        // FAT sector numbers: 109 in the header, the rest in the DIFAT chain.
        let mut fat_sectors: Vec<u32> = (0..109)
            .filter_map(|i| u32_at(b, 0x4C + i * 4))
            .filter(|&s| s != FREE)
            .collect();
        let per = (1usize << shift) / 4;
        let mut guard = 0;
        while difat_next != END_OF_CHAIN
            && difat_next != FREE
            && fat_sectors.len() < n_fat
            && guard < 4096
        {
            let s = c.sector(difat_next)?;
            for i in 0..per - 1 {
                if let Some(v) = u32_at(s, i * 4)
                    && v != FREE
                {
                    fat_sectors.push(v);
                }
            }
            difat_next = u32_at(s, (per - 1) * 4)?;
            guard += 1;
        }
        fat_sectors.truncate(n_fat.clamp(1, 1 << 16));
        for s in fat_sectors {
            let Some(sec) = c.sector(s) else { continue };
            c.fat.extend(
                sec.chunks_exact(4)
                    .filter_map(|w| w.try_into().ok().map(u32::from_le_bytes)),
            );
        }
        let fat = std::mem::take(&mut c.fat);
        for s in c.chain(dir_start, &fat) {
            let Some(sec) = c.sector(s) else { break };
            for e in sec.chunks_exact(128) {
                let nlen = usize::from(u16_at(e, 64)?).min(64);
                let units: Vec<u16> = e
                    .get(..nlen.saturating_sub(2))
                    .unwrap_or_default()
                    .chunks_exact(2)
                    .map(|p| {
                        u16::from_le_bytes([
                            p.first().copied().unwrap_or(0),
                            p.get(1).copied().unwrap_or(0),
                        ])
                    })
                    .collect();
                let size_lo = u64::from(u32_at(e, 120)?);
                let size_hi = if shift == 12 {
                    u64::from(u32_at(e, 124)?)
                } else {
                    0
                };
                c.entries.push(DirEntry {
                    name: String::from_utf16_lossy(&units),
                    kind: *e.get(66)?,
                    start: u32_at(e, 116)?,
                    size: (size_hi << 32) | size_lo,
                });
            }
            if c.entries.len() > 100_000 {
                break;
            }
        }
        let mut minifat = Vec::new();
        for s in c.chain(minifat_start, &fat) {
            let Some(sec) = c.sector(s) else { break };
            minifat.extend(
                sec.chunks_exact(4)
                    .filter_map(|w| w.try_into().ok().map(u32::from_le_bytes)),
            );
        }
        c.fat = fat;
        c.minifat = minifat;
        Some(c)
    }

    /// The first `max` bytes of a stream entry.
    pub(crate) fn read(&self, e: &DirEntry, max: usize) -> Vec<u8> {
        let want = usize::try_from(e.size).unwrap_or(usize::MAX).min(max);
        let mut out = Vec::with_capacity(want.min(1 << 20));
        if e.size < self.mini_cutoff && e.kind == 2 {
            // Mini stream: 64-byte sectors inside the root entry's stream.
            let Some(root) = self.entries.first() else {
                return out;
            };
            let container: Vec<u32> = self.chain(root.start, &self.fat);
            let sec = 1usize << self.shift;
            for m in self.chain(e.start, &self.minifat) {
                let off = m as usize * 64;
                let (idx, within) = (off / sec, off % sec);
                let Some(s) = container.get(idx).and_then(|&n| self.sector(n)) else {
                    break;
                };
                out.extend_from_slice(s.get(within..within + 64).unwrap_or_default());
                if out.len() >= want {
                    break;
                }
            }
        } else {
            for n in self.chain(e.start, &self.fat) {
                let Some(s) = self.sector(n) else { break };
                out.extend_from_slice(s);
                if out.len() >= want {
                    break;
                }
            }
        }
        out.truncate(want);
        out
    }

    fn find(&self, name: &str) -> Option<&DirEntry> {
        self.entries
            .iter()
            .find(|e| e.kind == 2 && e.name.eq_ignore_ascii_case(name))
    }
}

/// What a compound file turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Encrypted OOXML with this scheme.
    EncryptedOoxml(&'static str),
    /// Encrypted Word 97-2003 document.
    EncryptedDoc,
    /// Encrypted Excel 97-2003 workbook.
    EncryptedXls,
    /// A legacy document that is not encrypted (text not extracted).
    Plain(&'static str),
    /// Not a readable compound file.
    Malformed,
}

/// Inspects a compound file.
pub(crate) fn inspect(b: &[u8]) -> Verdict {
    let Some(c) = Cfb::parse(b) else {
        return Verdict::Malformed;
    };
    if let (Some(info), Some(_)) = (c.find("EncryptionInfo"), c.find("EncryptedPackage")) {
        let head = c.read(info, 8);
        let scheme = match (u16_at(&head, 0), u16_at(&head, 2)) {
            (Some(4), Some(4)) => "agile",
            (Some(3 | 4), Some(2)) => "standard",
            (Some(2..=4), Some(3)) => "extensible",
            _ => "ooxml",
        };
        return Verdict::EncryptedOoxml(scheme);
    }
    if let Some(w) = c.find("WordDocument") {
        let fib = c.read(w, 12);
        // FibBase: wIdent 0xA5EC, flags at 0x0A with fEncrypted = 0x0100.
        if u16_at(&fib, 0) == Some(0xA5EC) && u16_at(&fib, 0x0A).is_some_and(|f| f & 0x0100 != 0) {
            return Verdict::EncryptedDoc;
        }
        return Verdict::Plain("doc");
    }
    if let Some(w) = c.find("Workbook").or_else(|| c.find("Book")) {
        let data = c.read(w, 64 * 1024);
        let mut p = 0usize;
        for _ in 0..64 {
            let (Some(t), Some(l)) = (u16_at(&data, p), u16_at(&data, p + 2)) else {
                break;
            };
            if t == 0x002F {
                return Verdict::EncryptedXls;
            }
            p += 4 + usize::from(l);
        }
        return Verdict::Plain("xls");
    }
    Verdict::Plain("ole")
}

/// Scans an OLE compound file (reports encryption; no text extraction).
pub(crate) fn scan(ctx: &mut Ctx<'_, '_>, name: &str, b: &[u8], chain: &[String]) {
    let (container, method) = match inspect(b) {
        Verdict::EncryptedOoxml(m) => ("ooxml", m),
        Verdict::EncryptedDoc => ("doc", "fib"),
        Verdict::EncryptedXls => ("xls", "filepass"),
        Verdict::Plain(f) => {
            ctx.error(ContainerError::UnsupportedFormat {
                name: name.to_owned(),
                format: f,
            });
            return;
        }
        Verdict::Malformed => {
            ctx.error(ContainerError::Malformed {
                container: "ole",
                detail: format!("{name:?}: unreadable compound file"),
            });
            return;
        }
    };
    ctx.encrypted(
        chain,
        EncryptedEntry {
            name: name.to_owned(),
            container: container.into(),
            method: method.into(),
            compressed_size: Some(b.len() as u64),
            size: None,
        },
    );
}

#[cfg(test)]
pub(crate) mod build {
    //! A minimal compound-file writer for tests: 512-byte sectors, one FAT sector, one directory
    //! sector, streams stored in regular sectors (each at least 4096 bytes, padded).

    /// Builds a compound file with the given streams (names and contents).
    pub fn cfb(streams: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut fat: Vec<u32> = Vec::new();
        let mut data: Vec<u8> = Vec::new();
        // Sector 0: FAT; sector 1: directory; streams follow.
        fat.push(0xFFFF_FFFD);
        fat.push(super::END_OF_CHAIN);
        let mut starts = Vec::new();
        for (_, content) in streams {
            let mut c = content.clone();
            c.resize(c.len().max(4096).div_ceil(512) * 512, 0);
            let first = fat.len() as u32;
            let n = c.len() / 512;
            for i in 0..n {
                fat.push(if i + 1 == n {
                    super::END_OF_CHAIN
                } else {
                    first + i as u32 + 1
                });
            }
            starts.push((first, content.len().max(4096)));
            data.extend_from_slice(&c);
        }
        assert!(fat.len() <= 128);
        let mut out = vec![0u8; 512];
        out[..8].copy_from_slice(&super::MAGIC);
        out[0x18..0x1A].copy_from_slice(&0x3Eu16.to_le_bytes());
        out[0x1A..0x1C].copy_from_slice(&3u16.to_le_bytes());
        out[0x1C..0x1E].copy_from_slice(&0xFFFEu16.to_le_bytes());
        out[0x1E..0x20].copy_from_slice(&9u16.to_le_bytes());
        out[0x20..0x22].copy_from_slice(&6u16.to_le_bytes());
        out[0x2C..0x30].copy_from_slice(&1u32.to_le_bytes());
        out[0x30..0x34].copy_from_slice(&1u32.to_le_bytes());
        out[0x38..0x3C].copy_from_slice(&4096u32.to_le_bytes());
        out[0x3C..0x40].copy_from_slice(&super::END_OF_CHAIN.to_le_bytes());
        out[0x44..0x48].copy_from_slice(&super::END_OF_CHAIN.to_le_bytes());
        for i in 0..109 {
            let v: u32 = if i == 0 { 0 } else { super::FREE };
            out[0x4C + i * 4..0x50 + i * 4].copy_from_slice(&v.to_le_bytes());
        }
        let mut fat_sec = vec![0xFFu8; 512];
        for (i, v) in fat.iter().enumerate() {
            fat_sec[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&fat_sec);
        let mut dir = vec![0u8; 512];
        let mut put = |idx: usize, name: &str, kind: u8, start: u32, size: u64| {
            let e = &mut dir[idx * 128..idx * 128 + 128];
            let units: Vec<u16> = name.encode_utf16().collect();
            for (k, u) in units.iter().enumerate() {
                e[k * 2..k * 2 + 2].copy_from_slice(&u.to_le_bytes());
            }
            e[64..66].copy_from_slice(&(((units.len() + 1) * 2) as u16).to_le_bytes());
            e[66] = kind;
            e[116..120].copy_from_slice(&start.to_le_bytes());
            e[120..124].copy_from_slice(&(size as u32).to_le_bytes());
        };
        put(0, "Root Entry", 5, super::END_OF_CHAIN, 0);
        for (i, ((name, _), (start, size))) in streams.iter().zip(&starts).enumerate().take(3) {
            put(i + 1, name, 2, *start, *size as u64);
        }
        out.extend_from_slice(&dir);
        out.extend_from_slice(&data);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::build::cfb;
    use super::*;

    #[test]
    fn encrypted_ooxml() {
        let b = cfb(&[
            ("EncryptionInfo", vec![4, 0, 4, 0, 0x40, 0, 0, 0]),
            ("EncryptedPackage", vec![1; 100]),
        ]);
        assert_eq!(inspect(&b), Verdict::EncryptedOoxml("agile"));
        let b = cfb(&[
            ("EncryptionInfo", vec![3, 0, 2, 0]),
            ("EncryptedPackage", vec![1; 100]),
        ]);
        assert_eq!(inspect(&b), Verdict::EncryptedOoxml("standard"));
    }

    #[test]
    fn legacy_doc_and_xls() {
        let mut fib = vec![0u8; 64];
        fib[0..2].copy_from_slice(&0xA5ECu16.to_le_bytes());
        fib[0x0A..0x0C].copy_from_slice(&0x0100u16.to_le_bytes());
        assert_eq!(
            inspect(&cfb(&[("WordDocument", fib.clone())])),
            Verdict::EncryptedDoc
        );
        fib[0x0A] = 0;
        fib[0x0B] = 0;
        assert_eq!(
            inspect(&cfb(&[("WordDocument", fib)])),
            Verdict::Plain("doc")
        );
        let mut wb = Vec::new();
        wb.extend_from_slice(&[0x09, 0x08, 4, 0, 0, 6, 5, 0]); // BOF
        wb.extend_from_slice(&[0x2F, 0x00, 2, 0, 1, 0]); // FILEPASS
        assert_eq!(inspect(&cfb(&[("Workbook", wb)])), Verdict::EncryptedXls);
        assert_eq!(
            inspect(&cfb(&[("Workbook", vec![0x09, 0x08, 0, 0])])),
            Verdict::Plain("xls")
        );
    }

    #[test]
    fn malformed() {
        assert_eq!(inspect(b"not ole"), Verdict::Malformed);
        let mut b = cfb(&[("EncryptionInfo", vec![4, 0, 4, 0])]);
        b.truncate(700);
        let _ = inspect(&b);
        for cut in (0..b.len()).step_by(37) {
            let _ = inspect(&b[..cut]);
        }
    }
}
