//! Content type ("magic") from a file's first bytes, with libmagic-style descriptions.
//!
//! Hand-rolled on purpose: libmagic is a C library with a large rule database; binding it would
//! pull a system dependency and parse untrusted data in C. This module recognises the formats a
//! network monitor meets most (executables, archives, documents, images, markup, scripts) from a
//! bounded head of the file ([`HEAD_LEN`] bytes) plus streaming text statistics ([`TextStats`])
//! over the first [`TEXT_SCAN_LEN`] bytes, and words the result the way `file(1)` 5.4x does where
//! that is cheap (for example `PE32 executable (GUI) Intel 80386, for MS Windows, 3 sections`,
//! `PNG image data, 36 x 36, 8-bit/color RGBA, non-interlaced`,
//! `HTML document, ASCII text, with CRLF line terminators`).

use std::fmt::Write as _;

/// Bytes of a file's head kept for signature detection.
pub const HEAD_LEN: usize = 4096;
/// Bytes scanned for text statistics (libmagic's default `bytes_max` is 1 MiB).
pub const TEXT_SCAN_LEN: u64 = 1 << 20;
/// Lines longer than this are "very long" (libmagic's `MAXLINELEN`).
const MAX_LINE_LEN: u64 = 300;

/// Streaming statistics of the text-ness of a byte stream: character classes, UTF-8 validity,
/// line terminators and the longest line. Constant size; feed any split of the stream.
#[derive(Clone, Debug)]
pub struct TextStats {
    seen: u64,
    non_ascii_text: bool,
    utf8_ok: bool,
    utf8_pending: u8,
    non_iso: bool,
    binary: bool,
    prev_cr: bool,
    crlf: u64,
    cr: u64,
    lf: u64,
    line: u64,
    max_line: u64,
    escapes: bool,
    backspace: bool,
    last_non_ws: u8,
}

impl Default for TextStats {
    fn default() -> Self {
        TextStats {
            seen: 0,
            non_ascii_text: false,
            utf8_ok: true,
            utf8_pending: 0,
            non_iso: false,
            binary: false,
            prev_cr: false,
            crlf: 0,
            cr: 0,
            lf: 0,
            line: 0,
            max_line: 0,
            escapes: false,
            backspace: false,
            last_non_ws: 0,
        }
    }
}

/// libmagic's "text" characters in the ASCII range: BEL..CR, ESC, and printable.
fn ascii_text(c: u8) -> bool {
    matches!(c, 0x07..=0x0d | 0x1b | 0x20..=0x7e)
}

impl TextStats {
    /// Feeds the next bytes (only the first [`TEXT_SCAN_LEN`] bytes count).
    pub fn update(&mut self, data: &[u8]) {
        let room = TEXT_SCAN_LEN.saturating_sub(self.seen);
        let take = usize::try_from(room).unwrap_or(usize::MAX).min(data.len());
        let Some(data) = data.get(..take) else { return };
        self.seen += take as u64;
        // Once a byte shows the stream is not text, no other statistic changes the description.
        if self.binary {
            return;
        }
        let mut rest = data;
        while !rest.is_empty() {
            // Fast path: a run of printable ASCII changes only the line length and the last
            // non-blank byte (when no multi-byte sequence or CR is pending).
            if self.utf8_pending == 0 && !self.prev_cr {
                let run = rest
                    .iter()
                    .position(|c| !(0x20..=0x7e).contains(c))
                    .unwrap_or(rest.len());
                if run > 0 {
                    let (printable, tail) = rest.split_at(run);
                    self.line += run as u64;
                    if let Some(&c) = printable.iter().rev().find(|&&c| c != b' ') {
                        self.last_non_ws = c;
                    }
                    rest = tail;
                    continue;
                }
            }
            let Some((&c, tail)) = rest.split_first() else {
                break;
            };
            rest = tail;
            self.byte(c);
            if self.binary {
                return;
            }
        }
    }

    fn byte(&mut self, c: u8) {
        {
            // UTF-8 validity, streaming.
            if self.utf8_pending > 0 {
                if c & 0xc0 == 0x80 {
                    self.utf8_pending -= 1;
                } else {
                    self.utf8_ok = false;
                    self.utf8_pending = 0;
                }
            } else if c >= 0x80 {
                match c {
                    0xc2..=0xdf => self.utf8_pending = 1,
                    0xe0..=0xef => self.utf8_pending = 2,
                    0xf0..=0xf4 => self.utf8_pending = 3,
                    _ => self.utf8_ok = false,
                }
            }
            if c >= 0x80 {
                self.non_ascii_text = true;
                if c < 0xa0 {
                    self.non_iso = true;
                }
            } else if !ascii_text(c) {
                self.binary = true;
            }
            match c {
                b'\r' => {
                    if self.prev_cr {
                        self.cr += 1;
                    }
                    self.prev_cr = true;
                    self.end_line();
                }
                b'\n' => {
                    if self.prev_cr {
                        self.crlf += 1;
                    } else {
                        self.lf += 1;
                        self.end_line();
                    }
                    self.prev_cr = false;
                }
                _ => {
                    if self.prev_cr {
                        self.cr += 1;
                    }
                    self.prev_cr = false;
                    self.line += 1;
                }
            }
            if c == 0x1b {
                self.escapes = true;
            }
            if c == 0x08 {
                self.backspace = true;
            }
            if !c.is_ascii_whitespace() {
                self.last_non_ws = c;
            }
        }
    }

    fn end_line(&mut self) {
        self.max_line = self.max_line.max(self.line);
        self.line = 0;
    }

    /// Bytes fed so far (capped at [`TEXT_SCAN_LEN`]).
    pub fn seen(&self) -> u64 {
        self.seen
    }

    fn finish(&self) -> Fin {
        let mut cr = self.cr;
        if self.prev_cr {
            cr += 1;
        }
        Fin {
            crlf: self.crlf,
            cr,
            lf: self.lf,
            max_line: self.max_line.max(self.line),
        }
    }

    /// The encoding phrase (`ASCII text`, ...) or `None` when the stream is not text.
    fn encoding(&self, head: &[u8]) -> Option<&'static str> {
        if self.binary {
            return None;
        }
        if !self.non_ascii_text {
            return Some("ASCII text");
        }
        // A truncated multi-byte sequence at the end of the scanned window still counts as UTF-8.
        if self.utf8_ok {
            if head.starts_with(b"\xef\xbb\xbf") {
                return Some("Unicode text, UTF-8 (with BOM) text");
            }
            return Some("Unicode text, UTF-8 text");
        }
        if !self.non_iso {
            return Some("ISO-8859 text");
        }
        Some("Non-ISO extended-ASCII text")
    }
}

struct Fin {
    crlf: u64,
    cr: u64,
    lf: u64,
    max_line: u64,
}

fn u16le(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([*s.first()?, *s.get(1)?]))
}
fn u32le(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(s.try_into().ok()?))
}
fn u32be(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(s.try_into().ok()?))
}
fn u16be(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes(s.try_into().ok()?))
}

/// Case-insensitive search of `needle` (lower case) in `hay`.
fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| {
        w.iter()
            .zip(needle)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

/// Describes a file from its head (the first up to [`HEAD_LEN`] bytes) and the text statistics
/// of its first bytes. `None` for an empty file (Suricata writes no `magic` then).
pub fn describe(head: &[u8], text: &TextStats) -> Option<String> {
    if head.is_empty() {
        return None;
    }
    if let Some(s) = binary_signature(head) {
        return Some(s);
    }
    let Some(enc) = text.encoding(head) else {
        return Some("data".to_owned());
    };
    if head.starts_with(b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR") {
        return Some("EICAR virus test files".to_owned());
    }
    if looks_json(head, text) {
        return Some("JSON text data".to_owned());
    }
    let (prefix, exec) = text_kind(head);
    let mut out = String::new();
    out.push_str(prefix);
    out.push_str(enc);
    if exec {
        out.push_str(" executable");
    }
    let f = text.finish();
    if f.max_line > MAX_LINE_LEN {
        let _ = write!(out, ", with very long lines ({})", f.max_line);
    }
    if f.crlf == 0 && f.cr == 0 && f.lf == 0 {
        out.push_str(", with no line terminators");
    } else if f.crlf > 0 || f.cr > 0 {
        let mut parts: Vec<&str> = Vec::new();
        if f.crlf > 0 {
            parts.push("CRLF");
        }
        if f.cr > 0 {
            parts.push("CR");
        }
        if f.lf > 0 {
            parts.push("LF");
        }
        let _ = write!(out, ", with {} line terminators", parts.join(", "));
    }
    if text.escapes {
        out.push_str(", with escape sequences");
    }
    if text.backspace {
        out.push_str(", with overstriking");
    }
    Some(out)
}

/// JSON-ish text: an object or array from the first to the last non-blank byte, no markup.
fn looks_json(head: &[u8], text: &TextStats) -> bool {
    let start = head.iter().position(|c| !c.is_ascii_whitespace());
    let Some(first) = start.and_then(|i| head.get(i)) else {
        return false;
    };
    let after = head.get(start.unwrap_or(0) + 1..).unwrap_or_default();
    let next = after.iter().find(|c| !c.is_ascii_whitespace()).copied();
    match (first, text.last_non_ws) {
        (b'{', b'}') => matches!(next, Some(b'"') | Some(b'}')),
        (b'[', b']') => matches!(
            next,
            Some(b'"' | b'{' | b'[' | b']' | b'-' | b't' | b'f' | b'n' | b'0'..=b'9')
        ),
        _ => false,
    }
}

/// The kind of a text file: (description prefix, executable script).
fn text_kind(head: &[u8]) -> (&'static str, bool) {
    if let Some(rest) = head.strip_prefix(b"#!") {
        let line_end = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
        let line = rest.get(..line_end).unwrap_or_default();
        let interp = line
            .split(|c| c.is_ascii_whitespace() || *c == b'/')
            .find(|w| !w.is_empty() && !matches!(*w, b"env" | b"usr" | b"bin" | b"local"))
            .unwrap_or_default();
        let kind = match interp {
            b"sh" | b"dash" => "POSIX shell script, ",
            b"bash" => "Bourne-Again shell script, ",
            b"zsh" => "Paul Falstad's zsh script, ",
            b"python" | b"python2" | b"python3" => "Python script, ",
            b"perl" => "Perl script text executable, ",
            b"ruby" => "Ruby script, ",
            b"node" | b"nodejs" => "Node.js script, ",
            b"pwsh" | b"powershell" => "PowerShell script, ",
            b"php" => "PHP script, ",
            _ => "a script, ",
        };
        return (kind, true);
    }
    let trimmed = {
        let start = head
            .iter()
            .position(|c| !c.is_ascii_whitespace())
            .unwrap_or(head.len());
        head.get(start..).unwrap_or_default()
    };
    if trimmed.starts_with(b"<?xml") {
        if find_ci(trimmed, b"<svg").is_some() {
            return ("SVG Scalable Vector Graphics image, ", false);
        }
        return ("XML 1.0 document, ", false);
    }
    if trimmed.starts_with(b"<?php") {
        return ("PHP script, ", false);
    }
    const HTML: [&[u8]; 9] = [
        b"<!doctype html",
        b"<html",
        b"<head",
        b"<title",
        b"<body",
        b"<script",
        b"<style",
        b"<table",
        b"<a href=",
    ];
    if HTML.iter().any(|n| find_ci(head, n).is_some()) {
        return ("HTML document, ", false);
    }
    let lower_has = |n: &[u8]| find_ci(head, n).is_some();
    if trimmed.starts_with(b"@echo off") || trimmed.starts_with(b"@ECHO OFF") {
        return ("DOS batch file, ", false);
    }
    if lower_has(b"createobject(\"wscript.shell\")") || lower_has(b"wscript.createobject(") {
        return ("VBScript, ", false);
    }
    if lower_has(b"invoke-expression")
        || lower_has(b"[system.convert]::frombase64string")
        || lower_has(b"new-object system.net.webclient")
    {
        return ("PowerShell script, ", false);
    }
    ("", false)
}

fn machine_pe(m: u16) -> &'static str {
    match m {
        0x14c => "Intel 80386",
        0x8664 => "x86-64",
        0xaa64 => "Aarch64",
        0x1c0 => "ARM",
        0x1c4 => "ARMv7 Thumb",
        0x200 => "Intel Itanium",
        _ => "Unknown processor type",
    }
}

fn pe(head: &[u8]) -> Option<String> {
    let lfanew = u32le(head, 0x3c)? as usize;
    if head.get(lfanew..lfanew.checked_add(4)?)? != b"PE\0\0" {
        return None;
    }
    let coff = lfanew + 4;
    let machine = u16le(head, coff)?;
    let nsections = u16le(head, coff + 2)?;
    let characteristics = u16le(head, coff + 18)?;
    let opt = coff + 20;
    let plus = match u16le(head, opt) {
        Some(0x20b) => true,
        Some(0x10b) => false,
        _ => return Some("MS-DOS executable".to_owned()),
    };
    let subsystem = u16le(head, opt + 68)?;
    let mut s = String::from(if plus {
        "PE32+ executable"
    } else {
        "PE32 executable"
    });
    if characteristics & 0x2000 != 0 {
        s.push_str(" (DLL)");
    }
    s.push_str(match subsystem {
        1 => " (native)",
        2 => " (GUI)",
        3 => " (console)",
        10 => " (EFI application)",
        _ => "",
    });
    let _ = write!(
        s,
        " {}, for MS Windows, {} section{}",
        machine_pe(machine),
        nsections,
        if nsections == 1 { "" } else { "s" }
    );
    Some(s)
}

fn elf(head: &[u8]) -> Option<String> {
    let class = *head.get(4)?;
    let data = *head.get(5)?;
    let le = data == 1;
    let rd16 = |at| if le { u16le(head, at) } else { u16be(head, at) };
    let mut s = String::from(match class {
        1 => "ELF 32-bit",
        2 => "ELF 64-bit",
        _ => "ELF invalid class",
    });
    s.push_str(if le { " LSB" } else { " MSB" });
    let kind = match rd16(16)? {
        1 => " relocatable",
        2 => " executable",
        3 => " shared object",
        4 => " core file",
        _ => " unknown type",
    };
    s.push_str(kind);
    let machine = match rd16(18)? {
        3 => "Intel 80386",
        8 => "MIPS",
        20 => "PowerPC",
        21 => "64-bit PowerPC",
        40 => "ARM",
        62 => "x86-64",
        183 => "ARM aarch64",
        243 => "UCB RISC-V",
        _ => "unknown machine",
    };
    let _ = write!(s, ", {machine}, version 1");
    Some(s)
}

fn zip(head: &[u8]) -> String {
    // Walk the local file headers inside the head to find well-known entry names.
    let mut at = 0usize;
    let (mut word, mut xl, mut ppt, mut ct, mut jar, mut odf) =
        (false, false, false, false, false, false);
    let mut guard = 0;
    while guard < 64 && head.get(at..).is_some_and(|r| r.starts_with(b"PK\x03\x04")) {
        guard += 1;
        let (Some(csize), Some(nlen), Some(xlen)) = (
            u32le(head, at + 18),
            u16le(head, at + 26),
            u16le(head, at + 28),
        ) else {
            break;
        };
        let name_at = at + 30;
        let Some(name) = head.get(name_at..name_at + nlen as usize) else {
            break;
        };
        ct |= name == b"[Content_Types].xml";
        word |= name.starts_with(b"word/");
        xl |= name.starts_with(b"xl/");
        ppt |= name.starts_with(b"ppt/");
        jar |= name.starts_with(b"META-INF/");
        if name == b"mimetype" {
            odf = true;
        }
        let Some(next) = name_at
            .checked_add(nlen as usize)
            .and_then(|v| v.checked_add(xlen as usize))
            .and_then(|v| v.checked_add(csize as usize))
        else {
            break;
        };
        at = next;
    }
    if word {
        return "Microsoft Word 2007+".to_owned();
    }
    if xl {
        return "Microsoft Excel 2007+".to_owned();
    }
    if ppt {
        return "Microsoft PowerPoint 2007+".to_owned();
    }
    if ct {
        return "Microsoft OOXML".to_owned();
    }
    if odf {
        return "OpenDocument".to_owned();
    }
    if jar {
        return "Java archive data (JAR)".to_owned();
    }
    let v = u16le(head, 4).unwrap_or(0);
    format!(
        "Zip archive data, at least v{}.{} to extract",
        v / 10,
        v % 10
    )
}

fn png(head: &[u8]) -> String {
    let mut s = String::from("PNG image data");
    if head.get(12..16) == Some(b"IHDR") {
        let (w, h) = (u32be(head, 16).unwrap_or(0), u32be(head, 20).unwrap_or(0));
        let depth = head.get(24).copied().unwrap_or(0);
        let color = match head.get(25).copied().unwrap_or(0) {
            0 => "grayscale",
            2 => "/color RGB",
            3 => "colormap",
            4 => "gray+alpha",
            6 => "/color RGBA",
            _ => "unknown",
        };
        let sep = if color.starts_with('/') { "" } else { " " };
        let inter = if head.get(28).copied().unwrap_or(0) == 1 {
            "interlaced"
        } else {
            "non-interlaced"
        };
        let _ = write!(s, ", {w} x {h}, {depth}-bit{sep}{color}, {inter}");
    }
    s
}

/// JPEG: the JFIF header, then the segments up to the first start-of-frame (libmagic's wording).
fn jpeg(h: &[u8]) -> String {
    let mut out = String::from("JPEG image data");
    if h.get(6..11) == Some(b"JFIF\0") {
        let (a, b) = (
            h.get(11).copied().unwrap_or(0),
            h.get(12).copied().unwrap_or(0),
        );
        let _ = write!(out, ", JFIF standard {a}.{b:02}");
        let units = match h.get(13).copied().unwrap_or(0) {
            0 => "aspect ratio",
            1 => "resolution (DPI)",
            2 => "resolution (DPCM)",
            _ => "unknown units",
        };
        let (x, y) = (u16be(h, 14).unwrap_or(0), u16be(h, 16).unwrap_or(0));
        let seg = u16be(h, 4).unwrap_or(0);
        let _ = write!(out, ", {units}, density {x}x{y}, segment length {seg}");
    } else if h.get(6..10) == Some(b"Exif") {
        out.push_str(", Exif standard");
        return out;
    }
    // Walk the marker segments after SOI.
    let mut at = 2usize;
    for _ in 0..64 {
        if h.get(at) != Some(&0xff) {
            break;
        }
        let Some(marker) = h.get(at + 1).copied() else {
            break;
        };
        let Some(len) = u16be(h, at + 2) else { break };
        let body = at + 4;
        match marker {
            0xfe => {
                let end = body + usize::from(len).saturating_sub(2);
                if let Some(c) = h.get(body..end) {
                    // libmagic prints the comment as a string: up to a NUL or line end.
                    let cut = c
                        .iter()
                        .position(|&b| b == 0 || b == b'\n')
                        .unwrap_or(c.len());
                    let c = c.get(..cut).unwrap_or_default();
                    let _ = write!(out, ", comment: \"{}\"", String::from_utf8_lossy(c));
                }
            }
            0xc0..=0xc3 | 0xc5..=0xc7 | 0xc9..=0xcb | 0xcd..=0xcf => {
                let kind = match marker {
                    0xc0 => "baseline",
                    0xc1 => "extended sequential",
                    0xc2 => "progressive",
                    0xc3 => "lossless",
                    _ => "hierarchical",
                };
                let prec = h.get(body).copied().unwrap_or(0);
                let (hh, w) = (
                    u16be(h, body + 1).unwrap_or(0),
                    u16be(h, body + 3).unwrap_or(0),
                );
                let comps = h.get(body + 5).copied().unwrap_or(0);
                let _ = write!(
                    out,
                    ", {kind}, precision {prec}, {w}x{hh}, components {comps}"
                );
                break;
            }
            _ => {}
        }
        let Some(next) = at.checked_add(2 + usize::from(len)) else {
            break;
        };
        at = next;
    }
    out
}

/// Debian package: the ar members after `debian-binary` name the control and data archives.
fn deb(h: &[u8]) -> String {
    let mut out = String::from("Debian binary package (format 2.0)");
    let mut at = 8usize;
    let mut names: Vec<&[u8]> = Vec::new();
    for _ in 0..3 {
        let Some(hdr) = h.get(at..at + 60) else { break };
        let name = hdr.get(..16).unwrap_or_default();
        let name = name
            .split(|&c| c == b' ' || c == b'/')
            .next()
            .unwrap_or_default();
        names.push(name);
        let size: usize = std::str::from_utf8(hdr.get(48..58).unwrap_or_default())
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(usize::MAX);
        let Some(next) = at.checked_add(60).and_then(|v| v.checked_add(size)) else {
            break;
        };
        at = next.saturating_add(next & 1);
    }
    if let Some(c) = names.get(1).filter(|n| n.starts_with(b"control.tar")) {
        let _ = write!(out, ", with {}", String::from_utf8_lossy(c));
    }
    if let Some(d) = names.get(2).and_then(|n| n.strip_prefix(b"data.tar")) {
        let comp = match d {
            b".gz" => "gzip",
            b".xz" => "xz",
            b".bz2" => "bzip2",
            b".zst" => "zstd",
            b".lzma" => "lzma",
            b"" => "none",
            _ => "unknown",
        };
        let _ = write!(out, ", data compression {comp}");
    }
    out
}

fn binary_signature(h: &[u8]) -> Option<String> {
    let s = |v: &str| Some(v.to_owned());
    if h.starts_with(b"MZ") {
        return pe(h).or_else(|| s("MS-DOS executable"));
    }
    if h.starts_with(b"\x7fELF") {
        return elf(h);
    }
    if let Some(m) = u32be(h, 0) {
        let (bits, le) = match m {
            0xfeedface => ("", false),
            0xfeedfacf => ("64-bit ", false),
            0xcefaedfe => ("", true),
            0xcffaedfe => ("64-bit ", true),
            _ => ("?", false),
        };
        if bits != "?" {
            let rd = |at| if le { u32le(h, at) } else { u32be(h, at) };
            let cpu = match rd(4).unwrap_or(0) {
                7 => "i386",
                0x0100_0007 => "x86_64",
                12 => "arm",
                0x0100_000c => "arm64",
                _ => "unknown",
            };
            let ft = match rd(12).unwrap_or(0) {
                1 => "object",
                2 => "executable",
                6 => "dynamically linked shared library",
                8 => "bundle",
                _ => "file",
            };
            return Some(format!("Mach-O {bits}{cpu} {ft}"));
        }
        if m == 0xcafebabe && u32be(h, 4).is_some_and(|n| n < 20) {
            return s("Mach-O universal binary");
        }
    }
    if h.starts_with(b"PK\x03\x04") {
        return Some(zip(h));
    }
    if h.starts_with(b"PK\x05\x06") {
        return s("Zip archive data (empty)");
    }
    if let Some(rest) = h.strip_prefix(b"%PDF-") {
        let v: Vec<u8> = rest
            .iter()
            .copied()
            .take_while(|c| c.is_ascii_digit() || *c == b'.')
            .take(8)
            .collect();
        return Some(format!(
            "PDF document, version {}",
            String::from_utf8_lossy(&v)
        ));
    }
    if h.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        return s("Composite Document File V2 Document");
    }
    if h.starts_with(b"\x1f\x8b") {
        let mut out = String::from("gzip compressed data");
        if h.get(3).is_some_and(|f| f & 0x08 != 0) {
            let name = h.get(10..).unwrap_or_default();
            let end = name.iter().position(|&c| c == 0).unwrap_or(name.len());
            let _ = write!(
                out,
                ", was \"{}\"",
                String::from_utf8_lossy(name.get(..end).unwrap_or_default())
            );
        }
        return Some(out);
    }
    if h.starts_with(b"Rar!\x1a\x07\x01\x00") {
        return s("RAR archive data, v5");
    }
    if h.starts_with(b"Rar!\x1a\x07\x00") {
        return s("RAR archive data, v4");
    }
    if h.starts_with(b"7z\xbc\xaf\x27\x1c") {
        let (a, b) = (
            h.get(6).copied().unwrap_or(0),
            h.get(7).copied().unwrap_or(0),
        );
        return Some(format!("7-zip archive data, version {a}.{b}"));
    }
    if h.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(png(h));
    }
    if h.starts_with(b"\xff\xd8\xff") {
        return Some(jpeg(h));
    }
    if h.starts_with(b"GIF87a") || h.starts_with(b"GIF89a") {
        let v = if h.get(4) == Some(&b'7') {
            "87a"
        } else {
            "89a"
        };
        let (w, hh) = (u16le(h, 6).unwrap_or(0), u16le(h, 8).unwrap_or(0));
        return Some(format!("GIF image data, version {v}, {w} x {hh}"));
    }
    if h.starts_with(b"MSCF\0\0\0\0") {
        return s("Microsoft Cabinet archive data");
    }
    if h.starts_with(b"!<arch>\ndebian-binary") {
        return Some(deb(h));
    }
    if h.starts_with(b"!<arch>\n") {
        return s("current ar archive");
    }
    if h.starts_with(b"BZh") && h.get(3).is_some_and(|c| (b'1'..=b'9').contains(c)) {
        return s("bzip2 compressed data");
    }
    if h.starts_with(b"\xfd7zXZ\0") {
        return s("XZ compressed data");
    }
    if h.starts_with(b"\xca\xfe\xba\xbe") {
        return s("compiled Java class data");
    }
    if h.starts_with(b"\xff\xfe") || h.starts_with(b"\xfe\xff") {
        let le = h.starts_with(b"\xff\xfe");
        return Some(format!(
            "Unicode text, UTF-16, {}-endian text",
            if le { "little" } else { "big" }
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(data: &[u8]) -> String {
        let mut t = TextStats::default();
        t.update(data);
        let head = data.get(..HEAD_LEN.min(data.len())).unwrap_or_default();
        describe(head, &t).unwrap_or_default()
    }

    fn pe_sample(plus: bool, subsystem: u16, dll: bool, machine: u16, sections: u16) -> Vec<u8> {
        let mut v = vec![0u8; 0x200];
        v[..2].copy_from_slice(b"MZ");
        v[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
        v[0x80..0x84].copy_from_slice(b"PE\0\0");
        v[0x84..0x86].copy_from_slice(&machine.to_le_bytes());
        v[0x86..0x88].copy_from_slice(&sections.to_le_bytes());
        let ch: u16 = 0x0102 | if dll { 0x2000 } else { 0 };
        v[0x96..0x98].copy_from_slice(&ch.to_le_bytes());
        let magic: u16 = if plus { 0x20b } else { 0x10b };
        v[0x98..0x9a].copy_from_slice(&magic.to_le_bytes());
        v[0x98 + 68..0x98 + 70].copy_from_slice(&subsystem.to_le_bytes());
        v
    }

    #[test]
    fn executables() {
        assert_eq!(
            m(&pe_sample(false, 2, false, 0x14c, 3)),
            "PE32 executable (GUI) Intel 80386, for MS Windows, 3 sections"
        );
        assert_eq!(
            m(&pe_sample(true, 3, false, 0x8664, 1)),
            "PE32+ executable (console) x86-64, for MS Windows, 1 section"
        );
        assert_eq!(
            m(&pe_sample(false, 2, true, 0x14c, 5)),
            "PE32 executable (DLL) (GUI) Intel 80386, for MS Windows, 5 sections"
        );
        // MZ with an e_lfanew pointing outside the head: plain DOS executable.
        let mut dos = b"MZ".to_vec();
        dos.resize(0x40, 0);
        dos[0x3c..0x40].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
        assert_eq!(m(&dos), "MS-DOS executable");
        let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
        elf.resize(64, 0);
        elf[16] = 3;
        elf[18] = 62;
        assert_eq!(m(&elf), "ELF 64-bit LSB shared object, x86-64, version 1");
        let mut macho = 0xfeedfacfu32.to_le_bytes().to_vec();
        macho.extend_from_slice(&0x0100_0007u32.to_le_bytes());
        macho.extend_from_slice(&3u32.to_le_bytes());
        macho.extend_from_slice(&2u32.to_le_bytes());
        assert_eq!(m(&macho), "Mach-O 64-bit x86_64 executable");
    }

    fn zip_entry(name: &str, body: &[u8]) -> Vec<u8> {
        let mut v = b"PK\x03\x04".to_vec();
        v.extend_from_slice(&20u16.to_le_bytes());
        v.extend_from_slice(&[0; 12]);
        v.extend_from_slice(&(body.len() as u32).to_le_bytes());
        v.extend_from_slice(&(body.len() as u32).to_le_bytes());
        v.extend_from_slice(&(name.len() as u16).to_le_bytes());
        v.extend_from_slice(&0u16.to_le_bytes());
        v.extend_from_slice(name.as_bytes());
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn archives_and_documents() {
        assert_eq!(
            m(&zip_entry("a.txt", b"hello")),
            "Zip archive data, at least v2.0 to extract"
        );
        let mut docx = zip_entry("[Content_Types].xml", b"<Types/>");
        docx.extend(zip_entry("_rels/.rels", b"<x/>"));
        docx.extend(zip_entry("word/document.xml", b"<w/>"));
        assert_eq!(m(&docx), "Microsoft Word 2007+");
        let mut xlsx = zip_entry("[Content_Types].xml", b"<Types/>");
        xlsx.extend(zip_entry("xl/workbook.xml", b"<w/>"));
        assert_eq!(m(&xlsx), "Microsoft Excel 2007+");
        assert_eq!(m(&zip_entry("[Content_Types].xml", b"")), "Microsoft OOXML");
        assert_eq!(
            m(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n1 0 obj"),
            "PDF document, version 1.5"
        );
        assert_eq!(
            m(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0\0\0"),
            "Composite Document File V2 Document"
        );
        assert_eq!(
            m(b"\x1f\x8b\x08\x08\0\0\0\0\0\x03a.txt\0xx"),
            "gzip compressed data, was \"a.txt\""
        );
        assert_eq!(m(b"\x1f\x8b\x08\0\0\0\0\0\0\x03xx"), "gzip compressed data");
        assert_eq!(m(b"Rar!\x1a\x07\x00\xcf\x90"), "RAR archive data, v4");
        assert_eq!(m(b"Rar!\x1a\x07\x01\x00\x33"), "RAR archive data, v5");
        assert_eq!(
            m(b"7z\xbc\xaf\x27\x1c\x00\x04rest"),
            "7-zip archive data, version 0.4"
        );
        assert_eq!(
            m(b"MSCF\0\0\0\0\xc0\xee\0\0"),
            "Microsoft Cabinet archive data"
        );
        let mut deb = b"!<arch>\n".to_vec();
        for (name, body) in [
            ("debian-binary", &b"2.0\n"[..]),
            ("control.tar.gz", b"abc"),
            ("data.tar.xz", b""),
        ] {
            deb.extend_from_slice(
                format!(
                    "{name:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n",
                    0,
                    0,
                    0,
                    100644,
                    body.len()
                )
                .as_bytes(),
            );
            deb.extend_from_slice(body);
            if body.len() % 2 == 1 {
                deb.push(b'\n');
            }
        }
        assert_eq!(
            m(&deb),
            "Debian binary package (format 2.0), with control.tar.gz, data compression xz"
        );
    }

    #[test]
    fn images() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&36u32.to_be_bytes());
        png.extend_from_slice(&36u32.to_be_bytes());
        png.extend_from_slice(&[8, 6, 0, 0, 0]);
        assert_eq!(
            m(&png),
            "PNG image data, 36 x 36, 8-bit/color RGBA, non-interlaced"
        );
        png[16 + 8 + 1] = 3;
        assert_eq!(
            m(&png),
            "PNG image data, 36 x 36, 8-bit colormap, non-interlaced"
        );
        let mut jpg =
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x01\x00\x48\x00\x48\x00\x00".to_vec();
        jpg.extend_from_slice(b"\xff\xfe\x00\x07hello");
        jpg.extend_from_slice(b"\xff\xc0\x00\x11\x08\x01\xf4\x02\x00\x03");
        assert_eq!(
            m(&jpg),
            "JPEG image data, JFIF standard 1.01, resolution (DPI), density 72x72, \
             segment length 16, comment: \"hello\", baseline, precision 8, 512x500, components 3"
        );
        assert_eq!(
            m(b"GIF89a\x10\x00\x20\x00\xf7"),
            "GIF image data, version 89a, 16 x 32"
        );
    }

    #[test]
    fn text_kinds() {
        assert_eq!(m(b"hello\nworld\n"), "ASCII text");
        assert_eq!(m(b"uid=0(root)"), "ASCII text, with no line terminators");
        assert_eq!(m(b"a\r\nb\r\n"), "ASCII text, with CRLF line terminators");
        assert_eq!(
            m(b"a\r\nb\rc\r\n"),
            "ASCII text, with CRLF, CR line terminators"
        );
        assert_eq!(
            m(b"a\r\nb\nc\r\n"),
            "ASCII text, with CRLF, LF line terminators"
        );
        let long = [b'a'; 761];
        let mut t = long.to_vec();
        t.extend_from_slice(b"\nshort\n");
        assert_eq!(m(&t), "ASCII text, with very long lines (761)");
        assert_eq!(
            m(b"<html><body>x</body></html>"),
            "HTML document, ASCII text, with no line terminators"
        );
        assert_eq!(m(b"\n<!DOCTYPE html>\n<p>\n"), "HTML document, ASCII text");
        assert_eq!(
            m("<html>\nnaïve\n".as_bytes()),
            "HTML document, Unicode text, UTF-8 text"
        );
        assert_eq!(
            m(b"<?xml version=\"1.0\"?>\n<a/>\n"),
            "XML 1.0 document, ASCII text"
        );
        assert_eq!(m(b"{\"a\": [1, 2]}\n"), "JSON text data");
        assert_eq!(m(b"[1, 2, 3]"), "JSON text data");
        assert_eq!(
            m(b"#!/bin/sh\necho hi\n"),
            "POSIX shell script, ASCII text executable"
        );
        assert_eq!(
            m(b"#!/usr/bin/env bash\nls\n"),
            "Bourne-Again shell script, ASCII text executable"
        );
        assert_eq!(
            m(b"#!/usr/bin/python3\nprint(1)\n"),
            "Python script, ASCII text executable"
        );
        assert_eq!(
            m(b"$c = New-Object System.Net.WebClient\nInvoke-Expression $x\n"),
            "PowerShell script, ASCII text"
        );
        assert_eq!(
            m(b"Set s = CreateObject(\"WScript.Shell\")\r\n"),
            "VBScript, ASCII text, with CRLF line terminators"
        );
        assert_eq!(
            m(b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"),
            "EICAR virus test files"
        );
        assert_eq!(m(b"caf\xe9\n"), "ISO-8859 text");
        assert_eq!(m(b"caf\x85\n"), "Non-ISO extended-ASCII text");
        assert_eq!(m(b"esc\x1b[0m\n"), "ASCII text, with escape sequences");
    }

    #[test]
    fn binary_and_empty() {
        assert_eq!(m(b"\x00\x01\x02\x03binary"), "data");
        assert_eq!(
            m(b"\xff\xfe\xff"),
            "Unicode text, UTF-16, little-endian text"
        );
        let t = TextStats::default();
        assert_eq!(describe(b"", &t), None);
    }

    #[test]
    fn text_stats_split_invariant() {
        let data = "line one\r\nline two ünïcödé\rthird\n\x1b[1m long ".repeat(40);
        let data = data.as_bytes();
        let whole = m(data);
        for step in [1, 2, 3, 7, 64] {
            let mut t = TextStats::default();
            for c in data.chunks(step) {
                t.update(c);
            }
            assert_eq!(describe(data, &t).unwrap(), whole, "step {step}");
        }
    }

    #[test]
    fn hostile_heads_do_not_panic() {
        let mut seeds: Vec<Vec<u8>> = vec![
            b"MZ".to_vec(),
            b"MZ\0\0".to_vec(),
            b"\x7fELF".to_vec(),
            b"PK\x03\x04\xff\xff".to_vec(),
            b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec(),
            b"\xfe\xed\xfa\xcf".to_vec(),
            b"\x1f\x8b\x08\x08".to_vec(),
            b"#!".to_vec(),
        ];
        let mut pe = pe_sample(false, 2, false, 0x14c, 3);
        pe.truncate(0x9a);
        seeds.push(pe);
        let mut z = zip_entry("word/x", b"");
        z[18..22].copy_from_slice(&u32::MAX.to_le_bytes());
        z[26..28].copy_from_slice(&u16::MAX.to_le_bytes());
        seeds.push(z);
        for s in seeds {
            for n in 0..=s.len() {
                let _ = m(&s[..n]);
            }
        }
    }
}
