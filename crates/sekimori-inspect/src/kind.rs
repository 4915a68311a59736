//! Structural file type of a buffer: the classes this layer decides on (executable, archive,
//! macro document, ...). The human description (`magic`) comes from `sekimori_files::describe`;
//! this module only adds what that string cannot say reliably: whether a PE carries a
//! signature, whether an OLE compound file holds a VBA project, whether a script is a Windows
//! script host file. It checks a few fixed headers and walks no untrusted length fields except
//! bounded, checked ones.

use serde::Serialize;

/// The class of a file's content.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    /// No bytes.
    #[default]
    Empty,
    /// Windows PE (or MS-DOS MZ) executable.
    Pe,
    /// ELF executable or library.
    Elf,
    /// Mach-O executable (thin or universal).
    MachO,
    /// A script that runs by itself: `#!` interpreter line, batch, WSH (VBScript/JScript with
    /// `WScript`), PowerShell download cradles, HTML application.
    Script,
    /// Windows shortcut (`.lnk`, shell link header).
    Lnk,
    /// ZIP archive.
    Zip,
    /// Java archive (ZIP with `META-INF/MANIFEST.MF` and classes).
    Jar,
    /// Office Open XML document without macros.
    Ooxml,
    /// Office Open XML document with a VBA project (docm/xlsm/pptm).
    OoxmlMacro,
    /// OLE compound file (doc/xls/ppt/msi) without a VBA project.
    Cfb,
    /// OLE compound file with a VBA project (`_VBA_PROJECT`, `Macros`).
    CfbMacro,
    /// PDF document.
    Pdf,
    /// Rich Text Format.
    Rtf,
    /// Picture (PNG, JPEG, GIF, BMP, WebP, TIFF, ICO).
    Image,
    /// gzip stream.
    Gzip,
    /// RAR archive.
    Rar,
    /// 7-Zip archive.
    SevenZip,
    /// Microsoft Cabinet.
    Cab,
    /// ISO 9660 disk image.
    Iso,
    /// HTML document.
    Html,
    /// Other text.
    Text,
    /// Other binary data.
    Data,
}

impl FileType {
    /// Runs code when opened (PE, ELF, Mach-O, scripts, shortcuts, Java archives).
    pub fn executable(self) -> bool {
        matches!(
            self,
            FileType::Pe
                | FileType::Elf
                | FileType::MachO
                | FileType::Script
                | FileType::Lnk
                | FileType::Jar
        )
    }
    /// A compiled executable (PE, ELF, Mach-O).
    pub fn binary_executable(self) -> bool {
        matches!(self, FileType::Pe | FileType::Elf | FileType::MachO)
    }
    /// An archive or disk image.
    pub fn archive(self) -> bool {
        matches!(
            self,
            FileType::Zip
                | FileType::Jar
                | FileType::Gzip
                | FileType::Rar
                | FileType::SevenZip
                | FileType::Cab
                | FileType::Iso
        )
    }
    /// An Office document with macros.
    pub fn office_macro(self) -> bool {
        matches!(self, FileType::OoxmlMacro | FileType::CfbMacro)
    }
    /// Stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            FileType::Empty => "empty",
            FileType::Pe => "pe",
            FileType::Elf => "elf",
            FileType::MachO => "mach_o",
            FileType::Script => "script",
            FileType::Lnk => "lnk",
            FileType::Zip => "zip",
            FileType::Jar => "jar",
            FileType::Ooxml => "ooxml",
            FileType::OoxmlMacro => "ooxml_macro",
            FileType::Cfb => "cfb",
            FileType::CfbMacro => "cfb_macro",
            FileType::Pdf => "pdf",
            FileType::Rtf => "rtf",
            FileType::Image => "image",
            FileType::Gzip => "gzip",
            FileType::Rar => "rar",
            FileType::SevenZip => "7z",
            FileType::Cab => "cab",
            FileType::Iso => "iso",
            FileType::Html => "html",
            FileType::Text => "text",
            FileType::Data => "data",
        }
    }
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

/// Case-insensitive search of an ASCII lower-case `needle`.
pub(crate) fn find_ci(hay: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() || hay.len() < needle.len() {
        return false;
    }
    hay.windows(needle.len()).any(|w| {
        w.iter()
            .zip(needle)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

/// Bytes of a text file searched for script markers.
const SCRIPT_SCAN: usize = 64 * 1024;

/// Classifies a buffer (the head is enough for everything but ZIP subtypes, which the archive
/// walker refines, and OLE macros, which need the directory sectors).
pub fn classify(b: &[u8]) -> FileType {
    if b.is_empty() {
        return FileType::Empty;
    }
    if b.starts_with(b"MZ") {
        return FileType::Pe;
    }
    if b.starts_with(b"\x7fELF") {
        return FileType::Elf;
    }
    if b.starts_with(b"\xcf\xfa\xed\xfe")
        || b.starts_with(b"\xce\xfa\xed\xfe")
        || b.starts_with(b"\xfe\xed\xfa\xcf")
        || b.starts_with(b"\xfe\xed\xfa\xce")
    {
        return FileType::MachO;
    }
    // Universal binary: CAFEBABE with a small architecture count (Java classes share the magic
    // but have a version number >= 45 there).
    if b.starts_with(b"\xca\xfe\xba\xbe")
        && let Some(n) = b.get(4..8).and_then(|s| <[u8; 4]>::try_from(s).ok())
        && (1..=20).contains(&u32::from_be_bytes(n))
    {
        return FileType::MachO;
    }
    if b.starts_with(b"L\0\0\0\x01\x14\x02\0\0\0\0\0\xc0\0\0\0\0\0\0\x46") {
        return FileType::Lnk;
    }
    if b.starts_with(b"PK\x03\x04") || b.starts_with(b"PK\x05\x06") || b.starts_with(b"PK\x07\x08")
    {
        return FileType::Zip;
    }
    if b.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        return if cfb_has_vba(b) {
            FileType::CfbMacro
        } else {
            FileType::Cfb
        };
    }
    if b.starts_with(b"%PDF-") {
        return FileType::Pdf;
    }
    if b.starts_with(b"{\\rt") {
        return FileType::Rtf;
    }
    if b.starts_with(b"\x89PNG\r\n\x1a\n")
        || b.starts_with(b"\xff\xd8\xff")
        || b.starts_with(b"GIF87a")
        || b.starts_with(b"GIF89a")
        || (b.starts_with(b"BM")
            && b.len() > 26
            && u32le(b, 14).is_some_and(|h| (12..=124).contains(&h)))
        || (b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP"))
        || b.starts_with(b"II*\0")
        || b.starts_with(b"MM\0*")
        || b.starts_with(b"\0\0\x01\0")
    {
        return FileType::Image;
    }
    if b.starts_with(b"\x1f\x8b") {
        return FileType::Gzip;
    }
    if b.starts_with(b"Rar!\x1a\x07") {
        return FileType::Rar;
    }
    if b.starts_with(b"7z\xbc\xaf\x27\x1c") {
        return FileType::SevenZip;
    }
    if b.starts_with(b"MSCF\0\0\0\0") {
        return FileType::Cab;
    }
    if b.get(0x8001..0x8006) == Some(b"CD001") {
        return FileType::Iso;
    }
    text_type(b)
}

fn text_type(b: &[u8]) -> FileType {
    let head = b.get(..SCRIPT_SCAN.min(b.len())).unwrap_or(b);
    let sample = head.get(..4096.min(head.len())).unwrap_or(head);
    let binary = sample
        .iter()
        .any(|&c| c == 0 || (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)));
    if binary {
        return FileType::Data;
    }
    let start = head
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(0);
    let t = head.get(start..).unwrap_or_default();
    if t.starts_with(b"#!") {
        return FileType::Script;
    }
    if find_ci(t.get(..16.min(t.len())).unwrap_or_default(), b"@echo off") {
        return FileType::Script;
    }
    const MARKERS: [&[u8]; 9] = [
        b"wscript.shell",
        b"wscript.createobject",
        b"scripting.filesystemobject",
        b"shell.application",
        b"<hta:application",
        b"invoke-expression",
        b"downloadstring(",
        b"[system.convert]::frombase64string",
        b"new-object system.net.webclient",
    ];
    let lower = head.to_ascii_lowercase();
    if MARKERS
        .iter()
        .any(|m| memchr::memmem::find(&lower, m).is_some())
    {
        return FileType::Script;
    }
    const HTML: [&[u8]; 4] = [b"<!doctype html", b"<html", b"<body", b"<head"];
    if HTML.iter().any(|m| find_ci(sample, m)) {
        return FileType::Html;
    }
    FileType::Text
}

/// Directory entry names of an OLE compound file that hold VBA code.
const VBA_NAMES: [&str; 4] = ["_VBA_PROJECT", "_VBA_PROJECT_CUR", "Macros", "VBA"];

/// Finds OLE directory entries by name. Directory entries are 128-byte records that start on
/// 128-byte boundaries of the file (sectors are 512 or 4096 bytes after a one-sector header),
/// so scanning those boundaries finds them without following FAT chains, and keeps working on
/// a truncated file. A record matches when its name-length field equals the UTF-16 length of
/// the name (with NUL) and its object type is storage (1) or stream (2).
fn cfb_has_entry(b: &[u8], names: &[&str]) -> bool {
    let mut at = 512usize;
    while let Some(rec) = b.get(at..at.saturating_add(128)) {
        at = at.saturating_add(128);
        let Some(len) = u16le(rec, 0x40) else { break };
        let ty = rec.get(0x42).copied().unwrap_or(0);
        if !(ty == 1 || ty == 2) || !(2..=64).contains(&len) || len % 2 != 0 {
            continue;
        }
        let units = usize::from(len / 2 - 1);
        for n in names {
            if n.encode_utf16().count() != units {
                continue;
            }
            let eq = n.encode_utf16().enumerate().all(|(i, u)| {
                u16le(rec, i * 2).is_some_and(|v| {
                    v == u || (u < 128 && v < 128 && (v as u8).eq_ignore_ascii_case(&(u as u8)))
                })
            });
            if eq {
                return true;
            }
        }
    }
    false
}

/// An OLE compound file holds a VBA project.
pub fn cfb_has_vba(b: &[u8]) -> bool {
    cfb_has_entry(b, &VBA_NAMES)
}

/// The file carries an Authenticode signature: a PE with a non-empty security directory, or an
/// MSI (OLE) with a `\u{5}DigitalSignature` stream. Presence only; nothing is verified.
pub fn signed(b: &[u8]) -> bool {
    if b.starts_with(b"MZ") {
        let Some(pe) = u32le(b, 0x3c).map(|v| v as usize) else {
            return false;
        };
        if b.get(pe..pe.saturating_add(4)) != Some(b"PE\0\0") {
            return false;
        }
        let opt = pe + 24;
        let dirs = match u16le(b, opt) {
            Some(0x10b) => opt + 96,
            Some(0x20b) => opt + 112,
            _ => return false,
        };
        let nrva = u32le(b, dirs - 4).unwrap_or(0);
        return nrva > 4 && u32le(b, dirs + 4 * 8 + 4).is_some_and(|size| size > 0);
    }
    if b.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        return cfb_has_entry(b, &["\u{5}DigitalSignature"]);
    }
    false
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal PE32 head (MZ, PE signature, optional header with 16 data directories);
    /// `signed` puts a non-empty security directory in.
    pub(crate) fn pe(signed: bool) -> Vec<u8> {
        let mut v = vec![0u8; 1024];
        v[0] = b'M';
        v[1] = b'Z';
        v[0x3c] = 0x80;
        v[0x80..0x84].copy_from_slice(b"PE\0\0");
        v[0x84..0x86].copy_from_slice(&0x14cu16.to_le_bytes());
        let opt = 0x80 + 24;
        v[opt..opt + 2].copy_from_slice(&0x10bu16.to_le_bytes());
        v[opt + 92..opt + 96].copy_from_slice(&16u32.to_le_bytes());
        if signed {
            let sec = opt + 96 + 32;
            v[sec..sec + 4].copy_from_slice(&0x400u32.to_le_bytes());
            v[sec + 4..sec + 8].copy_from_slice(&0x100u32.to_le_bytes());
        }
        v
    }

    /// An OLE compound file with one directory sector holding the given entry names.
    pub(crate) fn cfb(names: &[&str]) -> Vec<u8> {
        let mut v = vec![0u8; 512 * 3];
        v[..8].copy_from_slice(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1");
        let mut entries = vec!["Root Entry"];
        entries.extend_from_slice(names);
        for (i, n) in entries.iter().enumerate() {
            let at = 512 + i * 128;
            let units: Vec<u16> = n.encode_utf16().collect();
            for (j, u) in units.iter().enumerate() {
                v[at + j * 2..at + j * 2 + 2].copy_from_slice(&u.to_le_bytes());
            }
            let len = ((units.len() + 1) * 2) as u16;
            v[at + 0x40..at + 0x42].copy_from_slice(&len.to_le_bytes());
            v[at + 0x42] = if i == 0 { 5 } else { 1 };
        }
        v
    }

    #[test]
    fn types() {
        assert_eq!(classify(b""), FileType::Empty);
        assert_eq!(classify(&pe(false)), FileType::Pe);
        assert_eq!(classify(b"\x7fELF\x02\x01\x01"), FileType::Elf);
        assert_eq!(classify(b"\xcf\xfa\xed\xfe\x07\0\0\x01"), FileType::MachO);
        assert_eq!(classify(b"\xca\xfe\xba\xbe\0\0\0\x02"), FileType::MachO);
        assert_eq!(classify(b"\xca\xfe\xba\xbe\0\0\0\x34"), FileType::Data);
        assert_eq!(classify(b"#!/bin/sh\nwget http://x/y\n"), FileType::Script);
        assert_eq!(classify(b"@ECHO OFF\r\nstart x.exe\r\n"), FileType::Script);
        assert_eq!(
            classify(b"Set s = CreateObject(\"WScript.Shell\")\ns.Run \"cmd\""),
            FileType::Script
        );
        assert_eq!(classify(b"<html><hta:application id=x>"), FileType::Script);
        assert_eq!(classify(b"<!DOCTYPE html><html><body>hi"), FileType::Html);
        // jQuery-style ActiveXObject use is ordinary web JavaScript, not a WSH script.
        assert_eq!(
            classify(b"function f(){return new window.ActiveXObject(\"Microsoft.XMLHTTP\")}"),
            FileType::Text
        );
        assert_eq!(classify(b"%PDF-1.7\n"), FileType::Pdf);
        assert_eq!(classify(b"\x89PNG\r\n\x1a\n...."), FileType::Image);
        assert_eq!(classify(b"\xff\xd8\xff\xe0"), FileType::Image);
        assert_eq!(classify(b"PK\x03\x04rest"), FileType::Zip);
        assert_eq!(classify(b"Rar!\x1a\x07\x01\0"), FileType::Rar);
        assert_eq!(classify(b"hello world\n"), FileType::Text);
        assert_eq!(classify(b"\0\x01\x02binary"), FileType::Data);
        let mut lnk = b"L\0\0\0\x01\x14\x02\0\0\0\0\0\xc0\0\0\0\0\0\0\x46".to_vec();
        lnk.extend_from_slice(&[0u8; 60]);
        assert_eq!(classify(&lnk), FileType::Lnk);
        assert!(FileType::Lnk.executable());
        assert!(!FileType::Pdf.executable());
    }

    #[test]
    fn ole_macros_and_signatures() {
        assert_eq!(classify(&cfb(&["WordDocument"])), FileType::Cfb);
        assert_eq!(
            classify(&cfb(&["WordDocument", "Macros"])),
            FileType::CfbMacro
        );
        assert_eq!(
            classify(&cfb(&["Workbook", "_VBA_PROJECT_CUR"])),
            FileType::CfbMacro
        );
        // The name inside a stream's data, not at a record boundary, does not count.
        let mut c = cfb(&["WordDocument"]);
        let s: Vec<u8> = "_VBA_PROJECT"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        c[512 + 300..512 + 300 + s.len()].copy_from_slice(&s);
        assert_eq!(classify(&c), FileType::Cfb);
        assert!(signed(&pe(true)));
        assert!(!signed(&pe(false)));
        assert!(signed(&cfb(&["\u{5}DigitalSignature"])));
        assert!(!signed(&cfb(&["x"])));
    }

    #[test]
    fn hostile_heads() {
        let mut x: u32 = 7;
        for len in 0..600 {
            let mut v = Vec::with_capacity(len);
            for _ in 0..len {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                v.push((x >> 16) as u8);
            }
            for p in [&b"MZ"[..], b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b""] {
                let mut w = p.to_vec();
                w.extend_from_slice(&v);
                let _ = classify(&w);
                let _ = signed(&w);
            }
        }
        let mut m = b"MZ".to_vec();
        m.resize(0x40, 0);
        m[0x3c..0x40].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(!signed(&m));
    }
}
