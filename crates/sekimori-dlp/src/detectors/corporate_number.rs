//! 法人番号 (corporate number): 13 digits whose first digit is a check digit over the other 12.

use super::{
    Detector, DigitGroup, Digits, Input, Match, Validation, checks, lens, scan_windows, trim_cell,
    uniform_sep,
};

/// Corporate number detector.
#[derive(Clone, Copy, Debug, Default)]
pub struct CorporateNumber;

fn accept(text: &[u8], w: &[DigitGroup]) -> Option<String> {
    let (l, n) = lens(w);
    let shape_ok = match n {
        1 => l[0] == 13,
        4 => l[..4] == [1, 4, 4, 4] && uniform_sep(w, b"- "),
        _ => false,
    };
    if !shape_ok {
        return None;
    }
    let d = Digits::of(text, w)?;
    checks::corporate_number(d.as_bytes()).then(|| d.as_str().to_owned())
}

impl Detector for CorporateNumber {
    fn name(&self) -> &str {
        "corporate_number"
    }
    fn validation(&self) -> Validation {
        Validation::Checksum
    }
    fn requires_context(&self) -> bool {
        false
    }
    fn keywords(&self) -> Vec<&str> {
        vec!["法人番号", "corporate number"]
    }
    fn column_headers(&self) -> Vec<&str> {
        vec!["法人番号", "corporate number", "corporate_number"]
    }
    fn find(&self, input: &Input<'_>, out: &mut Vec<Match>) {
        let text = input.text.as_bytes();
        scan_windows(input, 4, out, |w| accept(text, w));
    }
    fn validate_cell(&self, cell: &str) -> Option<String> {
        let c = trim_cell(cell);
        if !c
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b == b' ')
        {
            return None;
        }
        let d = Digits::of_str(c)?;
        (d.len() == 13 && checks::corporate_number(d.as_bytes())).then(|| d.as_str().to_owned())
    }
    fn mask(&self, value: &str) -> String {
        super::mask_prefix(value, 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::testutil::find_all;

    #[test]
    fn check_digit_decides() {
        let d = CorporateNumber;
        assert_eq!(
            find_all(&d, "法人番号：9234567890123"),
            vec!["9234567890123"]
        );
        assert_eq!(find_all(&d, "9-2345-6789-0123"), vec!["9234567890123"]);
        assert!(find_all(&d, "8234567890123").is_empty());
        assert!(find_all(&d, "92345678901234").is_empty());
        assert_eq!(
            d.validate_cell("9234567890123").as_deref(),
            Some("9234567890123")
        );
        assert_eq!(d.mask("9234567890123"), "9234*********");
    }
}
