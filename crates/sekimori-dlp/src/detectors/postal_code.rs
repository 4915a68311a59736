//! 郵便番号 (postal code): `〒NNN-NNNN`, or `NNN-NNNN` with 〒/郵便番号/住所 nearby. A bare
//! `NNN-NNNN` is dropped (no context, no checksum).

use super::{Detector, DigitGroup, Digits, Input, Match, Validation, scan_windows, trim_cell};

/// Postal code detector.
#[derive(Clone, Copy, Debug, Default)]
pub struct PostalCode;

fn accept(text: &[u8], w: &[DigitGroup]) -> Option<String> {
    let ok = match w {
        [a, b] => a.len() == 3 && b.len() == 4 && b.sep == b'-',
        // Seven bare digits only right after 〒 (U+3012 = E3 80 92), optionally one space.
        [a] => {
            a.len() == 7 && {
                let before = text.get(..a.start).unwrap_or_default();
                let before = before.strip_suffix(b" ").unwrap_or(before);
                before.ends_with("〒".as_bytes())
            }
        }
        _ => false,
    };
    if !ok {
        return None;
    }
    let d = Digits::of(text, w)?;
    let s = d.as_str();
    Some(format!("{}-{}", s.get(..3)?, s.get(3..)?))
}

impl Detector for PostalCode {
    fn name(&self) -> &str {
        "postal_code"
    }
    fn validation(&self) -> Validation {
        Validation::FormatOnly
    }
    fn requires_context(&self) -> bool {
        true
    }
    fn keywords(&self) -> Vec<&str> {
        vec!["〒", "郵便番号", "住所", "postal code", "zip code"]
    }
    fn column_headers(&self) -> Vec<&str> {
        vec![
            "郵便番号",
            "〒",
            "postal code",
            "zip code",
            "postcode",
            "zip",
        ]
    }
    fn find(&self, input: &Input<'_>, out: &mut Vec<Match>) {
        let text = input.text.as_bytes();
        scan_windows(input, 1, out, |w| accept(text, w));
    }
    fn validate_cell(&self, cell: &str) -> Option<String> {
        let c = trim_cell(cell);
        let c = trim_cell(c.strip_prefix('〒').unwrap_or(c));
        let b = c.as_bytes();
        let ok = match b.len() {
            7 => b.iter().all(u8::is_ascii_digit),
            8 => b.iter().enumerate().all(|(i, x)| {
                if i == 3 {
                    *x == b'-'
                } else {
                    x.is_ascii_digit()
                }
            }),
            _ => false,
        };
        if !ok {
            return None;
        }
        let d = Digits::of_str(c)?;
        let s = d.as_str();
        Some(format!("{}-{}", s.get(..3)?, s.get(3..)?))
    }
    fn mask(&self, value: &str) -> String {
        super::mask_prefix(value, 3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::testutil::find_all;

    #[test]
    fn formats() {
        let d = PostalCode;
        assert_eq!(find_all(&d, "〒100-0001 東京都"), vec!["100-0001"]);
        assert_eq!(find_all(&d, "〒1000001"), vec!["100-0001"]);
        assert_eq!(find_all(&d, "〒 1000001"), vec!["100-0001"]);
        assert!(find_all(&d, "1000001").is_empty());
        assert!(find_all(&d, "100-00012").is_empty());
        assert!(find_all(&d, "03-1234-5678").is_empty());
        assert_eq!(d.validate_cell("〒100-0001").as_deref(), Some("100-0001"));
        assert_eq!(d.validate_cell("1000001").as_deref(), Some("100-0001"));
        assert_eq!(d.validate_cell("100-00a1"), None);
        assert_eq!(d.mask("100-0001"), "100-****");
    }
}
