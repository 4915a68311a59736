//! Character-set handling: charset guessing for undeclared Japanese text and the sniffing rule
//! that decides how many leading bytes the guess looks at.
//!
//! Order of the guess: byte-order mark, ISO-2022-JP escape sequences, UTF-8 validity, then
//! Shift_JIS (CP932) against EUC-JP by a score over what each decoding produces.

use encoding_rs::{EUC_JP, Encoding, ISO_2022_JP, SHIFT_JIS, UTF_8, UTF_16BE, UTF_16LE};

/// Most bytes looked at before guessing.
pub const SNIFF_MAX: usize = 64 * 1024;
/// The guess is made once this many non-ASCII bytes have been seen.
pub const SNIFF_NON_ASCII: usize = 512;

const ESC: u8 = 0x1B;

/// Sniffing progress over the leading bytes of a stream, so that the decision point is a function
/// of the bytes alone, never of how they were chunked.
#[derive(Clone, Debug, Default)]
pub struct Sniffer {
    scanned: usize,
    non_ascii: usize,
}

impl Sniffer {
    /// Returns the length of the prefix to guess from once it is known, given the bytes buffered so
    /// far (`buf` always starts at the stream start) and whether the stream has ended.
    pub fn decision_point(&mut self, buf: &[u8], finished: bool) -> Option<usize> {
        if buf.len() < 3 && !finished {
            return None;
        }
        if bom(buf).is_some() {
            return Some(buf.len().min(4));
        }
        while self.scanned < buf.len() {
            let i = self.scanned;
            let b = buf.get(i).copied().unwrap_or(0);
            if b == ESC {
                match iso2022_escape(buf.get(i + 1..).unwrap_or_default()) {
                    Esc::Yes(n) => return Some(i + 1 + n),
                    Esc::No => {}
                    Esc::More if !finished => return None,
                    Esc::More => {}
                }
            }
            if b >= 0x80 {
                self.non_ascii += 1;
                if self.non_ascii >= SNIFF_NON_ASCII {
                    return Some(i + 1);
                }
            }
            self.scanned += 1;
            if self.scanned >= SNIFF_MAX {
                return Some(SNIFF_MAX);
            }
        }
        finished.then_some(buf.len())
    }
}

fn bom(buf: &[u8]) -> Option<&'static Encoding> {
    if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
        Some(UTF_8)
    } else if buf.starts_with(&[0xFF, 0xFE]) {
        Some(UTF_16LE)
    } else if buf.starts_with(&[0xFE, 0xFF]) {
        Some(UTF_16BE)
    } else {
        None
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Esc {
    /// An ISO-2022-JP designation of this many bytes (after the ESC).
    Yes(usize),
    /// Not a designation.
    No,
    /// More bytes are needed to tell.
    More,
}

/// Classifies the bytes after an ESC.
fn iso2022_escape(rest: &[u8]) -> Esc {
    const SEQS: [&[u8]; 6] = [b"$@", b"$B", b"(J", b"(B", b"(I", b"$(D"];
    let mut need_more = false;
    for s in SEQS {
        if rest.starts_with(s) {
            return Esc::Yes(s.len());
        }
        if s.starts_with(rest) {
            need_more = true;
        }
    }
    if need_more { Esc::More } else { Esc::No }
}

/// True when `buf` is valid UTF-8, except possibly for an incomplete character at its very end.
fn valid_utf8_prefix(buf: &[u8]) -> bool {
    match std::str::from_utf8(buf) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// Score of `buf` decoded as `enc`: common Japanese characters count up, replacement characters,
/// half-width kana, private-use and control characters count down.
fn score(enc: &'static Encoding, buf: &[u8]) -> i64 {
    let mut dec = enc.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(dec.max_utf8_buffer_length(buf.len()).unwrap_or(buf.len()));
    let _ = dec.decode_to_string(buf, &mut out, false);
    let mut s = 0i64;
    for c in out.chars() {
        s += match c {
            '\u{3041}'..='\u{309F}' => 3,
            '\u{30A0}'..='\u{30FF}' => 2,
            '\u{4E00}'..='\u{9FFF}' => 2,
            '\u{3000}'..='\u{303F}' | '\u{FF01}'..='\u{FF5E}' => 1,
            '\u{FFFD}' => -20,
            '\u{FF61}'..='\u{FF9F}' => -1,
            '\u{E000}'..='\u{F8FF}' => -5,
            c if c.is_control() && !c.is_ascii_whitespace() => -5,
            c if c.is_ascii() => 0,
            _ => -1,
        };
    }
    s
}

/// Guesses the encoding of `prefix` (the leading bytes of undeclared text).
pub fn guess(prefix: &[u8]) -> &'static Encoding {
    if let Some(e) = bom(prefix) {
        return e;
    }
    let mut i = 0;
    while let Some(p) = prefix.get(i..).and_then(|r| memchr::memchr(ESC, r)) {
        let at = i + p;
        if matches!(
            iso2022_escape(prefix.get(at + 1..).unwrap_or_default()),
            Esc::Yes(_)
        ) {
            return ISO_2022_JP;
        }
        i = at + 1;
    }
    if valid_utf8_prefix(prefix) {
        return UTF_8;
    }
    let sjis = score(SHIFT_JIS, prefix);
    let euc = score(EUC_JP, prefix);
    if euc > sjis { EUC_JP } else { SHIFT_JIS }
}

/// Looks up a charset label (`Shift_JIS`, `sjis`, `cp932`, `EUC-JP`, `ISO-2022-JP`, `utf-8`, ...).
pub fn for_label(label: &str) -> Option<&'static Encoding> {
    let l = label.trim();
    match l.to_ascii_lowercase().as_str() {
        "cp932" | "ms932" | "windows-31j" | "sjis" | "shift-jis" => Some(SHIFT_JIS),
        "eucjp" | "euc_jp" => Some(EUC_JP),
        "jis" | "iso2022jp" => Some(ISO_2022_JP),
        _ => Encoding::for_label(l.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(e: &'static Encoding, s: &str) -> Vec<u8> {
        e.encode(s).0.into_owned()
    }

    const TEXT: &str =
        "お客様各位\n基礎年金番号は1234-567890です。氏名：山田太郎、住所：東京都千代田区丸の内1-1";

    #[test]
    fn guesses_each_charset() {
        assert_eq!(guess(TEXT.as_bytes()), UTF_8);
        assert_eq!(guess(&enc(SHIFT_JIS, TEXT)), SHIFT_JIS);
        assert_eq!(guess(&enc(EUC_JP, TEXT)), EUC_JP);
        assert_eq!(guess(&enc(ISO_2022_JP, TEXT)), ISO_2022_JP);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(TEXT.as_bytes());
        assert_eq!(guess(&bom), UTF_8);
        assert_eq!(guess(b"plain ascii"), UTF_8);
        assert_eq!(guess(&[0xFF, 0xFE, b'a', 0]), UTF_16LE);
    }

    #[test]
    fn short_kana_only_texts() {
        for s in ["ヤマダタロウ", "やまだ", "東京", "アイウエオかきくけこ漢字"]
        {
            assert_eq!(guess(&enc(SHIFT_JIS, s)), SHIFT_JIS, "{s}");
            assert_eq!(guess(&enc(EUC_JP, s)), EUC_JP, "{s}");
        }
    }

    #[test]
    fn truncated_utf8_tail_is_still_utf8() {
        let b = TEXT.as_bytes();
        let cut = b.len() - 1; // last char is '1' ASCII; cut inside a kanji instead
        let mut k = cut;
        while b.get(k).is_some_and(|x| x.is_ascii()) {
            k -= 1;
        }
        assert_eq!(guess(&b[..k]), UTF_8);
    }

    #[test]
    fn sniffer_is_chunking_independent() {
        let data = enc(SHIFT_JIS, &TEXT.repeat(100));
        let mut one = Sniffer::default();
        let whole = one.decision_point(&data, false);
        assert!(whole.is_some());
        for step in [1usize, 7, 100, 333] {
            let mut s = Sniffer::default();
            let mut got = None;
            let mut n = 0;
            while got.is_none() && n < data.len() {
                n = (n + step).min(data.len());
                got = s.decision_point(&data[..n], false);
            }
            assert_eq!(got, whole, "step {step}");
        }
        let mut s = Sniffer::default();
        assert_eq!(s.decision_point(b"ab", false), None);
        assert_eq!(s.decision_point(b"ab", true), Some(2));
    }

    #[test]
    fn labels() {
        assert_eq!(for_label("Shift_JIS"), Some(SHIFT_JIS));
        assert_eq!(for_label("CP932"), Some(SHIFT_JIS));
        assert_eq!(for_label("euc-jp"), Some(EUC_JP));
        assert_eq!(for_label("iso-2022-jp"), Some(ISO_2022_JP));
        assert_eq!(for_label("nonsense"), None);
    }
}
