//! 基礎年金番号 (basic pension number): `NNNN-NNNNNN` or 10 digits. There is no public check digit,
//! so a value is only reported with a keyword nearby or in a column whose header names it.

use super::{Detector, DigitGroup, Digits, Input, Match, Validation, scan_windows, trim_cell};

/// Basic pension number detector.
#[derive(Clone, Copy, Debug, Default)]
pub struct PensionNumber;

fn canonical(d: &Digits) -> Option<String> {
    let s = d.as_str();
    (d.len() == 10).then(|| {
        format!(
            "{}-{}",
            s.get(..4).unwrap_or_default(),
            s.get(4..).unwrap_or_default()
        )
    })
}

fn accept(text: &[u8], w: &[DigitGroup]) -> Option<String> {
    let shape_ok = match w {
        [a] => a.len() == 10,
        [a, b] => a.len() == 4 && b.len() == 6 && matches!(b.sep, b'-' | b' '),
        _ => false,
    };
    if !shape_ok {
        return None;
    }
    canonical(&Digits::of(text, w)?)
}

impl Detector for PensionNumber {
    fn name(&self) -> &str {
        "pension_number"
    }
    fn validation(&self) -> Validation {
        Validation::FormatOnly
    }
    fn requires_context(&self) -> bool {
        true
    }
    fn keywords(&self) -> Vec<&str> {
        vec![
            "基礎年金番号",
            "年金番号",
            "年金手帳",
            "基礎年金",
            "pension number",
            "pension no",
        ]
    }
    fn column_headers(&self) -> Vec<&str> {
        vec![
            "基礎年金番号",
            "年金番号",
            "pension number",
            "pension_number",
            "pension no",
        ]
    }
    fn find(&self, input: &Input<'_>, out: &mut Vec<Match>) {
        let text = input.text.as_bytes();
        scan_windows(input, 2, out, |w| accept(text, w));
    }
    fn validate_cell(&self, cell: &str) -> Option<String> {
        let c = trim_cell(cell);
        let b = c.as_bytes();
        let ok = match b.len() {
            10 => b.iter().all(u8::is_ascii_digit),
            11 => b.iter().enumerate().all(|(i, x)| {
                if i == 4 {
                    matches!(x, b'-' | b' ')
                } else {
                    x.is_ascii_digit()
                }
            }),
            _ => false,
        };
        if !ok {
            return None;
        }
        canonical(&Digits::of_str(c)?)
    }
    fn mask(&self, value: &str) -> String {
        super::mask_prefix(value, 6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::testutil::find_all;

    #[test]
    fn formats() {
        let d = PensionNumber;
        assert_eq!(find_all(&d, "番号 1234-567890 です"), vec!["1234-567890"]);
        assert_eq!(find_all(&d, "1234567890"), vec!["1234-567890"]);
        assert_eq!(find_all(&d, "基礎年金番号1234-567890"), vec!["1234-567890"]);
        assert_eq!(find_all(&d, "１２３４－５６７８９０"), vec!["1234-567890"]);
        assert!(find_all(&d, "12345-67890").is_empty());
        assert!(find_all(&d, "12345678901").is_empty());
        assert!(find_all(&d, "A1234567890").is_empty());
        assert!(find_all(&d, "1234-5678901").is_empty());
        assert!(find_all(&d, "1234-567890-1").is_empty());
    }

    #[test]
    fn cells_and_mask() {
        let d = PensionNumber;
        assert_eq!(
            d.validate_cell(" \"1234-567890\" ").as_deref(),
            Some("1234-567890")
        );
        assert_eq!(
            d.validate_cell("1234567890").as_deref(),
            Some("1234-567890")
        );
        assert_eq!(d.validate_cell("123456789"), None);
        assert_eq!(d.validate_cell("abcd-efghij"), None);
        assert_eq!(d.mask("1234-567890"), "1234-56****");
    }
}
