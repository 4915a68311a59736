//! PDF: `/Encrypt` in the trailer means the content cannot be read (reported encrypted); otherwise
//! the text of content streams is extracted — FlateDecode inflated within the caps, strings of the
//! text operators decoded through the file's ToUnicode CMaps (merged), UTF-16BE or Latin-1.
//!
//! Hand-written: the DLP layer needs only stream boundaries, the filter name and text operators,
//! under its own decompression budget; a full PDF object model is not needed. Limits: fonts'
//! CMaps are merged per file (codes colliding between subset fonts may decode wrongly), object
//! streams and other filters than FlateDecode are skipped, and an owner-password-only PDF (empty
//! user password) is still reported as encrypted.

use std::collections::HashMap;

use super::{Ctx, UTF8};
use crate::types::EncryptedEntry;

/// Whether the file has an `/Encrypt` dictionary reference.
pub(crate) fn is_encrypted(b: &[u8]) -> bool {
    let mut p = 0;
    while let Some(rel) = b
        .get(p..)
        .and_then(|r| memchr::memmem::find(r, b"/Encrypt"))
    {
        let after = b.get(p + rel + 8..).unwrap_or_default();
        let t = after
            .iter()
            .position(|c| !c.is_ascii_whitespace())
            .and_then(|i| after.get(i..))
            .unwrap_or_default();
        if t.first().is_some_and(u8::is_ascii_digit) || t.starts_with(b"<<") {
            return true;
        }
        p += rel + 8;
    }
    false
}

/// Merged ToUnicode mapping: code (with its byte width) → text.
#[derive(Debug, Default)]
pub(crate) struct CMap {
    map: HashMap<(u8, u32), String>,
    two_byte: bool,
}

fn hex_bytes(h: &[u8]) -> Vec<u8> {
    let digits: Vec<u8> = h
        .iter()
        .filter_map(|&c| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        })
        .collect();
    digits
        .chunks(2)
        .map(|p| (p.first().copied().unwrap_or(0) << 4) | p.get(1).copied().unwrap_or(0))
        .collect()
}

fn utf16be(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks(2)
        .map(|p| {
            u16::from_be_bytes([
                p.first().copied().unwrap_or(0),
                p.get(1).copied().unwrap_or(0),
            ])
        })
        .collect();
    String::from_utf16_lossy(&units)
}

fn code_of(b: &[u8]) -> u32 {
    b.iter().take(4).fold(0u32, |a, &c| (a << 8) | u32::from(c))
}

/// Hex tokens `<...>` and arrays of them in a CMap section.
fn hex_tokens(s: &[u8]) -> Vec<(bool, Vec<u8>)> {
    // (in_array, bytes)
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_array = false;
    while i < s.len() {
        match s.get(i) {
            Some(b'[') => in_array = true,
            Some(b']') => in_array = false,
            Some(b'<') => {
                let e = s
                    .get(i..)
                    .and_then(|r| memchr::memchr(b'>', r))
                    .map_or(s.len(), |p| i + p);
                out.push((in_array, hex_bytes(s.get(i + 1..e).unwrap_or_default())));
                i = e;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

impl CMap {
    /// Adds the bfchar/bfrange mappings of one CMap stream.
    pub(crate) fn add(&mut self, s: &[u8]) {
        let sections = |begin: &[u8], end: &[u8]| -> Vec<&[u8]> {
            let mut v = Vec::new();
            let mut p = 0;
            while let Some(a) = s.get(p..).and_then(|r| memchr::memmem::find(r, begin)) {
                let st = p + a + begin.len();
                let en = s
                    .get(st..)
                    .and_then(|r| memchr::memmem::find(r, end))
                    .map_or(s.len(), |e| st + e);
                v.push(s.get(st..en).unwrap_or_default());
                p = en;
            }
            v
        };
        for sec in sections(b"beginbfchar", b"endbfchar") {
            let t = hex_tokens(sec);
            for pair in t.chunks(2) {
                if let [(_, src), (_, dst)] = pair {
                    self.insert(src, utf16be(dst));
                }
            }
        }
        for sec in sections(b"beginbfrange", b"endbfrange") {
            let t = hex_tokens(sec);
            let mut i = 0;
            while let (Some((_, lo)), Some((_, hi))) = (t.get(i), t.get(i + 1)) {
                let (l, h) = (code_of(lo), code_of(hi));
                if h < l || h - l > 0xFFFF {
                    break;
                }
                match t.get(i + 2) {
                    Some((true, _)) => {
                        let mut k = i + 2;
                        let mut c = l;
                        while let Some((true, dst)) = t.get(k) {
                            self.insert_code(lo.len(), c, utf16be(dst));
                            c += 1;
                            k += 1;
                        }
                        i = k;
                    }
                    Some((false, dst)) => {
                        let base = utf16be(dst);
                        let mut chars: Vec<char> = base.chars().collect();
                        for c in l..=h {
                            self.insert_code(lo.len(), c, chars.iter().collect());
                            if let Some(last) = chars.last_mut() {
                                *last = char::from_u32(*last as u32 + 1).unwrap_or(*last);
                            }
                        }
                        i += 3;
                    }
                    None => break,
                }
            }
        }
    }

    fn insert(&mut self, src: &[u8], dst: String) {
        self.insert_code(src.len(), code_of(src), dst);
    }

    fn insert_code(&mut self, width: usize, code: u32, dst: String) {
        if self.map.len() < 1_000_000 {
            if width == 2 {
                self.two_byte = true;
            }
            self.map.insert((width.min(4) as u8, code), dst);
        }
    }

    /// Decodes a shown string.
    fn decode(&self, b: &[u8], out: &mut String) {
        if b.starts_with(&[0xFE, 0xFF]) {
            out.push_str(&utf16be(b.get(2..).unwrap_or_default()));
            return;
        }
        if self.two_byte && b.len().is_multiple_of(2) {
            let mut mapped = String::new();
            let mut hits = 0;
            for p in b.chunks(2) {
                if let Some(s) = self.map.get(&(2, code_of(p))) {
                    mapped.push_str(s);
                    hits += 1;
                }
            }
            if hits * 2 >= b.len() / 2 && hits > 0 {
                out.push_str(&mapped);
                return;
            }
        }
        for &c in b {
            match self.map.get(&(1, u32::from(c))) {
                Some(s) => out.push_str(s),
                None => out.push(char::from(c)),
            }
        }
    }
}

/// Parses a literal string starting after `(`; returns the bytes and the index after `)`.
fn literal(b: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut depth = 1;
    while let Some(&c) = b.get(i) {
        i += 1;
        match c {
            b'\\' => {
                let Some(&n) = b.get(i) else { break };
                i += 1;
                match n {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'0'..=b'7' => {
                        let mut v = u32::from(n - b'0');
                        for _ in 0..2 {
                            match b.get(i) {
                                Some(&d @ b'0'..=b'7') => {
                                    v = v * 8 + u32::from(d - b'0');
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        out.push((v & 0xFF) as u8);
                    }
                    b'\r' | b'\n' => {
                        if n == b'\r' && b.get(i) == Some(&b'\n') {
                            i += 1;
                        }
                    }
                    other => out.push(other),
                }
            }
            b'(' => {
                depth += 1;
                out.push(c);
            }
            b')' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    (out, i)
}

fn newline(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Text shown by the text operators of a content stream, one line per text line.
pub(crate) fn extract_text(b: &[u8], cmap: &CMap, out: &mut String) {
    let mut strings: Vec<Vec<u8>> = Vec::new();
    let mut nums: [f64; 2] = [0.0; 2];
    let mut i = 0;
    while i < b.len() {
        let c = b.get(i).copied().unwrap_or(0);
        match c {
            b'(' => {
                let (s, n) = literal(b, i + 1);
                strings.push(s);
                i = n;
                continue;
            }
            b'<' if b.get(i + 1) == Some(&b'<') => i += 2,
            b'<' => {
                let e = b
                    .get(i..)
                    .and_then(|r| memchr::memchr(b'>', r))
                    .map_or(b.len(), |p| i + p);
                strings.push(hex_bytes(b.get(i + 1..e).unwrap_or_default()));
                i = e + 1;
            }
            b'%' => {
                i = b
                    .get(i..)
                    .and_then(|r| memchr::memchr2(b'\n', b'\r', r))
                    .map_or(b.len(), |p| i + p);
            }
            b'-' | b'+' | b'.' | b'0'..=b'9' => {
                let s = i;
                while b
                    .get(i)
                    .is_some_and(|&d| d.is_ascii_digit() || d == b'.' || d == b'-' || d == b'+')
                {
                    i += 1;
                }
                let v = std::str::from_utf8(b.get(s..i).unwrap_or_default())
                    .ok()
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0.0);
                nums = [nums[1], v];
                continue;
            }
            c if c.is_ascii_alphabetic() || c == b'\'' || c == b'"' || c == b'*' => {
                let s = i;
                while b.get(i).is_some_and(|&d| {
                    d.is_ascii_alphabetic() || d == b'*' || d == b'\'' || d == b'"'
                }) {
                    i += 1;
                }
                let op = b.get(s..i).unwrap_or_default();
                match op {
                    b"Tj" | b"TJ" | b"'" | b"\"" => {
                        if matches!(op, b"'" | b"\"") {
                            newline(out);
                        }
                        for s in strings.drain(..) {
                            cmap.decode(&s, out);
                        }
                    }
                    b"T*" | b"ET" => newline(out),
                    b"Td" | b"TD" if nums[1] != 0.0 => newline(out),
                    _ => strings.clear(),
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
}

/// Scans a PDF file.
pub(crate) fn scan(ctx: &mut Ctx<'_, '_>, name: &str, b: &[u8], chain: &[String]) {
    if is_encrypted(b) {
        ctx.encrypted(
            chain,
            EncryptedEntry {
                name: name.to_owned(),
                container: "pdf".into(),
                method: "pdf".into(),
                compressed_size: Some(b.len() as u64),
                size: None,
            },
        );
        return;
    }
    let mut cmap = CMap::default();
    let mut contents: Vec<Vec<u8>> = Vec::new();
    let mut p = 0usize;
    while let Some(rel) = b.get(p..).and_then(|r| memchr::memmem::find(r, b"stream")) {
        let kw = p + rel;
        p = kw + 6;
        if kw >= 3 && b.get(kw - 3..kw) == Some(b"end") {
            continue;
        }
        let mut ds = kw + 6;
        match b.get(ds) {
            Some(b'\r') => {
                ds += 1;
                if b.get(ds) == Some(&b'\n') {
                    ds += 1;
                }
            }
            Some(b'\n') => ds += 1,
            _ => continue,
        }
        let lo = kw.saturating_sub(4096);
        let dict_start = b
            .get(lo..kw)
            .and_then(|r| memchr::memmem::rfind(r, b"obj"))
            .map_or(lo, |o| lo + o);
        let dict = b.get(dict_start..kw).unwrap_or_default();
        let Some(de) = b
            .get(ds..)
            .and_then(|r| memchr::memmem::find(r, b"endstream"))
            .map(|e| ds + e)
        else {
            break;
        };
        p = de + 9;
        let data = b.get(ds..de).unwrap_or_default();
        let has = |k: &[u8]| memchr::memmem::find(dict, k).is_some();
        if has(b"/Image")
            || has(b"/FontFile")
            || has(b"/XRef")
            || has(b"/ObjStm")
            || has(b"/Metadata")
        {
            continue;
        }
        if !ctx.count_entry() {
            break;
        }
        let decoded: Vec<u8> = if has(b"/Filter") {
            if !has(b"/FlateDecode")
                || has(b"/DCTDecode")
                || has(b"/ASCII85Decode")
                || has(b"/LZWDecode")
            {
                continue;
            }
            match ctx.inflate_capped("pdf", name, data, true) {
                Some(d) => d,
                None => continue,
            }
        } else {
            data.to_vec()
        };
        if memchr::memmem::find(&decoded, b"begincmap").is_some() {
            cmap.add(&decoded);
        } else {
            contents.push(decoded);
        }
    }
    // Strings in the document information dictionary (titles, authors) outside streams.
    let mut text = String::new();
    for c in &contents {
        extract_text(c, &cmap, &mut text);
        text.push('\n');
    }
    ctx.text(text.as_bytes(), UTF8, chain);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypt_detection() {
        assert!(is_encrypted(b"trailer << /Size 5 /Encrypt 4 0 R >>"));
        assert!(is_encrypted(b"<< /Encrypt << /Filter /Standard >> >>"));
        assert!(!is_encrypted(b"(text about /Encryption) Tj"));
    }

    #[test]
    fn text_operators() {
        let c = b"BT /F1 12 Tf 72 700 Td (TEL 03-1234-5678) Tj 0 -14 Td [(Card ) -250 (4111) 100 (111111111111)] TJ T* (a\\(b\\)c\\101) Tj ET";
        let mut s = String::new();
        extract_text(c, &CMap::default(), &mut s);
        assert_eq!(s, "TEL 03-1234-5678\nCard 4111111111111111\na(b)cA\n");
    }

    #[test]
    fn tounicode_cmap() {
        let mut m = CMap::default();
        m.add(b"begincmap 2 beginbfchar <0001> <6C0F> <0002> <540D> endbfchar 1 beginbfrange <0010> <0012> <0031> endbfrange endcmap");
        let mut s = String::new();
        extract_text(b"BT <0001000200100011> Tj ET", &m, &mut s);
        assert_eq!(s, "氏名12\n");
        let mut u = String::new();
        m.decode(&[0xFE, 0xFF, 0x5C, 0x71], &mut u);
        assert_eq!(u, "山");
    }
}
