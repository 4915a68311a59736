//! Text normalisation before matching: full-width ASCII (digits included) to ASCII, the hyphen
//! family to `-` between digits, the ideographic space to a space, and half-width katakana to
//! full-width (composing the voiced-sound marks), so that legacy Shift_JIS `ﾌﾘｶﾞﾅ` columns match.
//!
//! The normaliser is incremental: a character whose folding depends on the next one (a hyphen
//! after a digit, a half-width kana that may take a voicing mark) is held back until the next
//! call or [`Normalizer::finish`], so the output never depends on how the input was split.

/// Half-width katakana U+FF61..=U+FF9F to their full-width forms.
const HALF_KANA: [char; 63] = [
    '。', '「', '」', '、', '・', 'ヲ', 'ァ', 'ィ', 'ゥ', 'ェ', 'ォ', 'ャ', 'ュ', 'ョ', 'ッ', 'ー',
    'ア', 'イ', 'ウ', 'エ', 'オ', 'カ', 'キ', 'ク', 'ケ', 'コ', 'サ', 'シ', 'ス', 'セ', 'ソ', 'タ',
    'チ', 'ツ', 'テ', 'ト', 'ナ', 'ニ', 'ヌ', 'ネ', 'ノ', 'ハ', 'ヒ', 'フ', 'ヘ', 'ホ', 'マ', 'ミ',
    'ム', 'メ', 'モ', 'ヤ', 'ユ', 'ヨ', 'ラ', 'リ', 'ル', 'レ', 'ロ', 'ワ', 'ン', '゛', '゜',
];

/// True for the characters folded to `-` when they sit between two digits.
pub fn is_hyphen_like(c: char) -> bool {
    matches!(
        c,
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{30FC}' | '\u{FE63}' | '\u{FF0D}' | '\u{FF70}'
    )
}

fn is_digit_like(c: char) -> bool {
    c.is_ascii_digit() || ('\u{FF10}'..='\u{FF19}').contains(&c)
}

fn half_kana(c: char) -> Option<char> {
    let i = (c as u32).checked_sub(0xFF61)?;
    HALF_KANA.get(i as usize).copied()
}

/// Whether a half-width kana may be followed by a voicing mark (ｶ..ﾄ, ﾊ..ﾎ, ｳ).
fn takes_mark(c: char) -> bool {
    matches!(c, '\u{FF76}'..='\u{FF84}' | '\u{FF8A}'..='\u{FF8E}' | '\u{FF73}')
}

/// Full-width kana for base `c` (half-width) followed by mark `m` (ﾞ or ﾟ), if it composes.
fn compose(c: char, m: char) -> Option<char> {
    let base = half_kana(c)? as u32;
    let out = match (c, m) {
        ('\u{FF73}', '\u{FF9E}') => 0x30F4, // ｳﾞ -> ヴ
        ('\u{FF76}'..='\u{FF84}', '\u{FF9E}') => base + 1,
        ('\u{FF8A}'..='\u{FF8E}', '\u{FF9E}') => base + 1,
        ('\u{FF8A}'..='\u{FF8E}', '\u{FF9F}') => base + 2,
        _ => return None,
    };
    char::from_u32(out)
}

/// Full-width kana `p` followed by a voiced (゛) or semi-voiced (゜) mark, composed.
fn compose_full(p: char, voiced: bool) -> Option<char> {
    let cp = p as u32;
    // Work on the hiragana code point; katakana is hiragana + 0x60.
    let (h, kata) = match cp {
        0x3041..=0x3096 => (cp, false),
        0x30A1..=0x30F6 => (cp - 0x60, true),
        _ => return None,
    };
    let out = match (h, voiced) {
        (0x3046, true) => 0x3094, // う -> ゔ
        (
            0x304B | 0x304D | 0x304F | 0x3051 | 0x3053 | 0x3055 | 0x3057 | 0x3059 | 0x305B | 0x305D
            | 0x305F | 0x3061 | 0x3064 | 0x3066 | 0x3068,
            true,
        ) => h + 1,
        (0x306F | 0x3072 | 0x3075 | 0x3078 | 0x307B, true) => h + 1,
        (0x306F | 0x3072 | 0x3075 | 0x3078 | 0x307B, false) => h + 2,
        _ => return None,
    };
    char::from_u32(if kata { out + 0x60 } else { out })
}

/// Incremental normaliser; see the module documentation.
#[derive(Clone, Debug, Default)]
pub struct Normalizer {
    held: Option<char>,
    prev_digit: bool,
}

impl Normalizer {
    /// A fresh normaliser.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets any held character.
    pub fn reset(&mut self) {
        self.held = None;
        self.prev_digit = false;
    }

    /// Normalises `input` and appends it to `out`; may hold back the last character.
    pub fn push(&mut self, input: &str, out: &mut String) {
        let bytes = input.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if self.held.is_none() {
                // Bulk copy up to the next lead byte of a character we may fold. 0xE2 covers
                // U+2000..U+2FFF, 0xE3 U+3000..U+3FFF, 0xEF U+F000..U+FFFF; all lead bytes, so
                // the split point is a character boundary.
                let rest = bytes.get(i..).unwrap_or_default();
                let end = memchr::memchr3(0xE2, 0xE3, 0xEF, rest).map_or(bytes.len(), |r| i + r);
                if end > i {
                    out.push_str(input.get(i..end).unwrap_or_default());
                    self.prev_digit = bytes.get(end - 1).is_some_and(u8::is_ascii_digit);
                    i = end;
                    continue;
                }
            }
            let Some(c) = input.get(i..).and_then(|s| s.chars().next()) else {
                break;
            };
            i += c.len_utf8();
            self.step(c, out);
        }
    }

    /// Flushes a held character (end of text).
    pub fn finish(&mut self, out: &mut String) {
        if let Some(h) = self.held.take() {
            self.emit_unresolved(h, out);
        }
        self.prev_digit = false;
    }

    fn emit_unresolved(&mut self, h: char, out: &mut String) {
        if is_hyphen_like(h) {
            out.push(match h {
                '\u{FF0D}' => '-',
                '\u{FF70}' => 'ー',
                other => other,
            });
        } else if let Some(k) = half_kana(h) {
            out.push(k);
        } else {
            out.push(h);
        }
        self.prev_digit = false;
    }

    fn step(&mut self, c: char, out: &mut String) {
        if let Some(h) = self.held.take() {
            if is_hyphen_like(h) {
                if is_digit_like(c) {
                    out.push('-');
                    self.prev_digit = false;
                } else {
                    self.emit_unresolved(h, out);
                }
            } else if let Some(k) = compose(h, c) {
                out.push(k);
                self.prev_digit = false;
                return;
            } else {
                self.emit_unresolved(h, out);
            }
        }
        match c {
            '\u{FF10}'..='\u{FF19}' => {
                out.push(char::from(b'0' + (c as u32 - 0xFF10) as u8));
                self.prev_digit = true;
            }
            _ if self.prev_digit && is_hyphen_like(c) => {
                self.held = Some(c);
            }
            '\u{FF01}'..='\u{FF5E}' => {
                out.push(char::from_u32(c as u32 - 0xFEE0).unwrap_or(c));
                self.prev_digit = false;
            }
            '\u{3000}' => {
                out.push(' ');
                self.prev_digit = false;
            }
            '\u{3099}' | '\u{309B}' | '\u{309A}' | '\u{309C}' => {
                // A separate voicing mark after a full-width kana (what ISO-2022-JP encoders make of
                // half-width kana): compose with the previous character.
                let voiced = matches!(c, '\u{3099}' | '\u{309B}');
                match out
                    .chars()
                    .next_back()
                    .and_then(|p| compose_full(p, voiced))
                {
                    Some(k) => {
                        out.pop();
                        out.push(k);
                    }
                    None => out.push(c),
                }
                self.prev_digit = false;
            }
            '\u{FF61}'..='\u{FF9F}' => {
                if takes_mark(c) {
                    self.held = Some(c);
                } else {
                    self.emit_unresolved(c, out);
                }
            }
            _ => {
                out.push(c);
                self.prev_digit = c.is_ascii_digit();
            }
        }
    }
}

/// Normalises a whole string at once.
pub fn normalize(input: &str) -> String {
    let mut n = Normalizer::new();
    let mut out = String::with_capacity(input.len());
    n.push(input, &mut out);
    n.finish(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_fullwidth_digits_and_hyphens() {
        assert_eq!(normalize("１２３４－５６７８９０"), "1234-567890");
        assert_eq!(normalize("１２３４ー５６７８９０"), "1234-567890");
        assert_eq!(normalize("03‐1234―5678"), "03-1234-5678");
        assert_eq!(normalize("090−1234–5678"), "090-1234-5678");
    }

    #[test]
    fn keeps_long_vowel_mark_in_words() {
        assert_eq!(normalize("データー"), "データー");
        assert_eq!(normalize("1ー"), "1ー");
        assert_eq!(normalize("ー1"), "ー1");
        assert_eq!(normalize("A－B"), "A-B");
    }

    #[test]
    fn folds_space_and_ascii() {
        assert_eq!(normalize("ＴＥＬ：０３　１２"), "TEL:03 12");
        assert_eq!(
            normalize("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ"),
            "taro@example.jp"
        );
    }

    #[test]
    fn half_width_kana() {
        assert_eq!(normalize("ﾌﾘｶﾞﾅ"), "フリガナ");
        assert_eq!(normalize("ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ"), "パピプペポ");
        assert_eq!(normalize("ｳﾞｧ"), "ヴァ");
        assert_eq!(normalize("ﾔﾏﾀﾞ ﾀﾛｳ"), "ヤマダ タロウ");
        assert_eq!(normalize("ｶ"), "カ");
        assert_eq!(normalize("ﾞ"), "゛");
        assert_eq!(normalize("12ｰ34"), "12-34");
        assert_eq!(normalize("フリカ゛ナ ハ゜ン う゛"), "フリガナ パン ゔ");
        assert_eq!(normalize("ア゛"), "ア゛");
    }

    #[test]
    fn split_at_every_char_is_identical() {
        let s = "基礎年金番号：１２３４－５６７８９０ ﾔﾏﾀﾞ ﾀﾛｳ ＴＥＬ０９０ー１２３４ー５６７８";
        let whole = normalize(s);
        let idx: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
        for &a in &idx {
            for &b in &idx {
                if b < a {
                    continue;
                }
                let mut n = Normalizer::new();
                let mut out = String::new();
                n.push(&s[..a], &mut out);
                n.push(&s[a..b], &mut out);
                n.push(&s[b..], &mut out);
                n.finish(&mut out);
                assert_eq!(out, whole, "split {a}/{b}");
            }
        }
    }
}
