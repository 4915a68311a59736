//! The [`Detector`] trait, the shared numeric tokenizer the digit-based detectors work from, and
//! one module per identifier type.
//!
//! Detectors see normalised text (see [`crate::normalize`]): ASCII digits, `-` between digits,
//! plain spaces. Boundaries are checked explicitly on bytes, never with regex `\b` (which does
//! not fire between a kanji and a digit).

pub mod address;
pub mod birth_date;
pub mod checks;
pub mod corporate_number;
pub mod credit_card;
pub mod custom;
pub mod email_address;
pub mod my_number;
pub mod pension_number;
pub mod person_name;
pub mod phone;
pub mod postal_code;

use std::fmt::Debug;

/// How a detector validates a value beyond its format; drives the confidence grade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validation {
    /// A checksum or an equivalent check (the date exists): keyword → high, alone → low.
    Checksum,
    /// Format only: keyword → medium, alone → low.
    FormatOnly,
}

/// A candidate value found in text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    /// Byte offset of the value in [`Input::text`].
    pub start: usize,
    /// Byte offset one past the value.
    pub end: usize,
    /// Canonical form used for distinct counting (e.g. digits only, `YYYY-MM-DD`). Never logged;
    /// only [`Detector::mask`] of it is.
    pub value: String,
}

/// One run of ASCII digits inside a numeric token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DigitGroup {
    /// Byte offset of the first digit.
    pub start: usize,
    /// Byte offset one past the last digit.
    pub end: usize,
    /// Separator byte before this group (`-`, ` `, `.`, `/`, `(`, `)`), 0 for the first group.
    pub sep: u8,
}

impl DigitGroup {
    /// Number of digits.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Always false: a group holds at least one digit.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// Numeric tokens of a text region: maximal sequences of digit groups joined by single
/// separators, computed once per batch and shared by the digit-based detectors.
#[derive(Clone, Debug, Default)]
pub struct NumTokens {
    groups: Vec<DigitGroup>,
    tokens: Vec<(u32, u32)>,
}

/// Tokens with fewer digits are dropped: no digit-based detector needs fewer (postal codes have 7).
pub const MIN_TOKEN_DIGITS: usize = 7;

/// Most groups kept in one token (longer runs are cut into several tokens).
const MAX_GROUPS: usize = 32;

fn is_sep(b: u8) -> bool {
    matches!(b, b'-' | b' ' | b'.' | b'/' | b'(' | b')')
}

impl NumTokens {
    /// Empties the token list, keeping capacity.
    pub fn clear(&mut self) {
        self.groups.clear();
        self.tokens.clear();
    }

    /// Tokenizes the tokens of `text` that start in `from..to` (tokens may run past `to`). A digit
    /// run continuing a token that began before `from` is skipped.
    pub fn tokenize(&mut self, text: &str, from: usize, to: usize) {
        self.clear();
        let b = text.as_bytes();
        let to = to.min(b.len());
        let mut i = from;
        while i < to {
            // Fast skip to the next ASCII digit.
            let Some(rel) = b
                .get(i..to)
                .and_then(|r| r.iter().position(u8::is_ascii_digit))
            else {
                break;
            };
            let s = i + rel;
            let continues = s > 0
                && (b.get(s - 1).is_some_and(u8::is_ascii_digit)
                    || (s >= 2
                        && b.get(s - 1).copied().is_some_and(is_sep)
                        && b.get(s - 2).is_some_and(u8::is_ascii_digit)));
            let first = self.groups.len();
            let mut j = s;
            let mut sep = 0u8;
            loop {
                let gs = j;
                while b.get(j).is_some_and(u8::is_ascii_digit) {
                    j += 1;
                }
                if !continues {
                    self.groups.push(DigitGroup {
                        start: gs,
                        end: j,
                        sep,
                    });
                }
                match (b.get(j), b.get(j + 1)) {
                    (Some(&c), Some(d))
                        if is_sep(c)
                            && d.is_ascii_digit()
                            && self.groups.len() - first < MAX_GROUPS =>
                    {
                        sep = c;
                        j += 1;
                    }
                    _ => break,
                }
            }
            let digits: usize = self
                .groups
                .get(first..)
                .map_or(0, |g| g.iter().map(DigitGroup::len).sum());
            if continues || digits < MIN_TOKEN_DIGITS {
                self.groups.truncate(first);
            } else if self.groups.len() > first {
                self.tokens.push((first as u32, self.groups.len() as u32));
            }
            i = j.max(s + 1);
        }
    }

    /// Iterates the tokens as slices of digit groups.
    pub fn iter(&self) -> impl Iterator<Item = &[DigitGroup]> {
        self.tokens
            .iter()
            .filter_map(|&(a, b)| self.groups.get(a as usize..b as usize))
    }
}

/// What a detector gets to search: normalised `text` with the region `from..to` it must report
/// matches for (a match's `start` must lie in it); text outside the region is context only.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    /// Normalised text (region plus context on both sides).
    pub text: &'a str,
    /// Start of the region.
    pub from: usize,
    /// End of the region.
    pub to: usize,
    /// Numeric tokens starting in the region.
    pub tokens: &'a NumTokens,
}

impl<'a> Input<'a> {
    /// Builds an input, tokenizing the region into `tokens`.
    pub fn new(text: &'a str, from: usize, to: usize, tokens: &'a mut NumTokens) -> Self {
        tokens.tokenize(text, from, to);
        Input {
            text,
            from,
            to,
            tokens,
        }
    }

    /// The byte slice of the text, starting up to `back` bytes before the region (on a character
    /// boundary), and ending up to `ahead` bytes after it, with the offset of its start.
    pub fn window(&self, back: usize, ahead: usize) -> (usize, &'a str) {
        let mut lo = self.from.saturating_sub(back);
        while lo > 0 && !self.text.is_char_boundary(lo) {
            lo -= 1;
        }
        let mut hi = self.to.saturating_add(ahead).min(self.text.len());
        while hi < self.text.len() && !self.text.is_char_boundary(hi) {
            hi += 1;
        }
        (lo, self.text.get(lo..hi).unwrap_or_default())
    }
}

/// A personal-data detector.
///
/// A detector finds candidate values in normalised text ([`Detector::find`]) and validates
/// single table cells whose column header names it ([`Detector::validate_cell`]). Grading by
/// keyword context, counting and masking are done by the scanner with the detector's answers.
pub trait Detector: Send + Sync + Debug {
    /// Key of the detector in the `findings` map (`pension_number`, ...).
    fn name(&self) -> &str;
    /// How values are validated beyond their format.
    fn validation(&self) -> Validation;
    /// Whether a format match without a nearby keyword or column header is dropped entirely.
    fn requires_context(&self) -> bool;
    /// Keywords that raise confidence when within 300 characters of a value.
    fn keywords(&self) -> Vec<&str>;
    /// Column headers that make every cell of the column a candidate (matched as substrings of the
    /// header cell).
    fn column_headers(&self) -> Vec<&str>;
    /// Appends candidates whose `start` lies in `input.from..input.to` to `out`.
    fn find(&self, input: &Input<'_>, out: &mut Vec<Match>);
    /// Canonical value of a whole table cell when it holds exactly one valid value.
    fn validate_cell(&self, cell: &str) -> Option<String>;
    /// Masked form of a canonical value: at most a prefix is revealed.
    fn mask(&self, value: &str) -> String;
}

/// Up to 24 digits collected from a window of groups, without allocating.
#[derive(Clone, Copy, Debug)]
pub struct Digits {
    buf: [u8; 24],
    len: usize,
}

impl Digits {
    /// Collects the digits of `groups` in `text`; `None` if there are more than 24.
    pub fn of(text: &[u8], groups: &[DigitGroup]) -> Option<Digits> {
        let mut d = Digits {
            buf: [0; 24],
            len: 0,
        };
        for g in groups {
            for &c in text.get(g.start..g.end)? {
                *d.buf.get_mut(d.len)? = c;
                d.len += 1;
            }
        }
        Some(d)
    }

    /// Collects the ASCII digits of `s`, ignoring everything else; `None` past 24 digits.
    pub fn of_str(s: &str) -> Option<Digits> {
        let mut d = Digits {
            buf: [0; 24],
            len: 0,
        };
        for c in s.bytes().filter(u8::is_ascii_digit) {
            *d.buf.get_mut(d.len)? = c;
            d.len += 1;
        }
        Some(d)
    }

    /// The digits as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// The digits as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// Number of digits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no digit was collected.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// True when the byte before `start` does not glue the value to an alphanumeric word (ASCII
/// letters, digits, `_`).
pub fn clean_before(text: &str, start: usize) -> bool {
    start == 0
        || !text
            .as_bytes()
            .get(start - 1)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// True when the byte at `end` does not glue the value to an alphanumeric word.
pub fn clean_after(text: &str, end: usize) -> bool {
    !text
        .as_bytes()
        .get(end)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// Calls `accept` on windows of consecutive space-separated units of a token (a unit is a run of
/// groups joined by non-space separators and is never split), longest first from each start;
/// an accepted window is pushed as a match and scanning resumes after it.
///
/// The window is bounded by clean boundaries when it touches the token's ends.
pub fn scan_windows(
    input: &Input<'_>,
    max_units: usize,
    out: &mut Vec<Match>,
    mut accept: impl FnMut(&[DigitGroup]) -> Option<String>,
) {
    let mut units: [usize; MAX_GROUPS + 1] = [0; MAX_GROUPS + 1];
    for tok in input.tokens.iter() {
        let mut n = 0;
        for (i, g) in tok.iter().enumerate() {
            if i == 0 || g.sep == b' ' {
                if let Some(u) = units.get_mut(n) {
                    *u = i;
                }
                n += 1;
            }
        }
        if let Some(u) = units.get_mut(n) {
            *u = tok.len();
        }
        let mut a = 0;
        while a < n {
            let mut accepted = None;
            let top = (a + max_units).min(n);
            for b in (a + 1..=top).rev() {
                let (Some(&gs), Some(&ge)) = (units.get(a), units.get(b)) else {
                    continue;
                };
                let Some(w) = tok.get(gs..ge) else { continue };
                let (Some(first), Some(last)) = (w.first(), w.last()) else {
                    continue;
                };
                if first.start < input.from || first.start >= input.to {
                    continue;
                }
                if (gs == 0 && !clean_before(input.text, first.start))
                    || (ge == tok.len() && !clean_after(input.text, last.end))
                {
                    continue;
                }
                if let Some(v) = accept(w) {
                    out.push(Match {
                        start: first.start,
                        end: last.end,
                        value: v,
                    });
                    accepted = Some(b);
                    break;
                }
            }
            a = accepted.unwrap_or(a + 1);
        }
    }
}

/// Group lengths of a window, e.g. `[4, 6]`, in a fixed buffer.
pub fn lens(groups: &[DigitGroup]) -> ([usize; 8], usize) {
    let mut out = [0usize; 8];
    let mut n = 0;
    for g in groups {
        if let Some(o) = out.get_mut(n) {
            *o = g.len();
        }
        n += 1;
    }
    (out, n)
}

/// True when every separator after the first group equals one of `allowed`, and all are the same.
pub fn uniform_sep(groups: &[DigitGroup], allowed: &[u8]) -> bool {
    let mut seen = None;
    for g in groups.iter().skip(1) {
        if !allowed.contains(&g.sep) {
            return false;
        }
        match seen {
            None => seen = Some(g.sep),
            Some(s) if s != g.sep => return false,
            Some(_) => {}
        }
    }
    true
}

/// Trims spaces, tabs and quotes around a table cell.
pub fn trim_cell(cell: &str) -> &str {
    cell.trim_matches(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '\u{FEFF}')
}

/// Masks every character of `value` after the first `keep` non-separator characters with `*`
/// (separators `-` and space are kept so the shape stays readable).
pub fn mask_prefix(value: &str, keep: usize) -> String {
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if c == '-' || c == ' ' {
                c
            } else {
                seen += 1;
                if seen <= keep { c } else { '*' }
            }
        })
        .collect()
}

/// All built-in detectors, in `findings` order.
pub fn builtin() -> Result<Vec<Box<dyn Detector>>, regex::Error> {
    Ok(vec![
        Box::new(pension_number::PensionNumber),
        Box::new(my_number::MyNumber),
        Box::new(corporate_number::CorporateNumber),
        Box::new(credit_card::CreditCard),
        Box::new(phone::Phone),
        Box::new(postal_code::PostalCode),
        Box::new(birth_date::BirthDate::new()?),
        Box::new(address::Address::new()?),
        Box::new(person_name::PersonName::new()?),
        Box::new(email_address::EmailAddress),
    ])
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::*;

    /// Runs `d.find` over a whole normalised text.
    pub fn find_all(d: &dyn Detector, text: &str) -> Vec<String> {
        let text = crate::normalize::normalize(text);
        let mut toks = NumTokens::default();
        let input = Input::new(&text, 0, text.len(), &mut toks);
        let mut out = Vec::new();
        d.find(&input, &mut out);
        out.into_iter().map(|m| m.value).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Vec<(usize, usize, u8)>> {
        let mut t = NumTokens::default();
        t.tokenize(s, 0, s.len());
        t.iter()
            .map(|g| g.iter().map(|g| (g.start, g.end, g.sep)).collect())
            .collect()
    }

    #[test]
    fn tokenizer_groups() {
        assert_eq!(
            toks("a 1234-567890 b"),
            vec![vec![(2, 6, 0), (7, 13, b'-')]]
        );
        assert_eq!(toks("1234 567"), vec![vec![(0, 4, 0), (5, 8, b' ')]]);
        assert_eq!(
            toks("1234567--1234567"),
            vec![vec![(0, 7, 0)], vec![(9, 16, 0)]]
        );
        assert_eq!(toks("9999999-"), vec![vec![(0, 7, 0)]]);
        assert!(toks("12 34 56").is_empty(), "fewer than 7 digits");
        assert!(toks("").is_empty());
        assert!(toks("abc").is_empty());
    }

    #[test]
    fn tokenizer_skips_continuations_before_region() {
        let s = "1234-5678 99";
        let mut t = NumTokens::default();
        t.tokenize(s, 2, s.len());
        assert_eq!(
            t.iter().count(),
            0,
            "'34-5678 99' continues a token that began before"
        );
        t.tokenize(s, 0, 1);
        assert_eq!(t.iter().count(), 1);
    }

    #[test]
    fn mask_prefix_keeps_separators() {
        assert_eq!(mask_prefix("1234-567890", 6), "1234-56****");
        assert_eq!(mask_prefix("", 3), "");
    }
}
