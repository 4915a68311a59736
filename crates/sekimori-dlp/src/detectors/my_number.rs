//! 個人番号 (My Number): 12 digits, optionally `NNNN NNNN NNNN` or `NNNN-NNNN-NNNN`, with the check
//! digit of the My Number Act's ordinance verified.

use super::{
    Detector, DigitGroup, Digits, Input, Match, Validation, checks, lens, scan_windows, trim_cell,
    uniform_sep,
};

/// My Number detector.
#[derive(Clone, Copy, Debug, Default)]
pub struct MyNumber;

fn accept(text: &[u8], w: &[DigitGroup]) -> Option<String> {
    let (l, n) = lens(w);
    let shape_ok = match n {
        1 => l[0] == 12,
        3 => l[..3] == [4, 4, 4] && uniform_sep(w, b"- "),
        _ => false,
    };
    if !shape_ok {
        return None;
    }
    let d = Digits::of(text, w)?;
    checks::my_number(d.as_bytes()).then(|| d.as_str().to_owned())
}

impl Detector for MyNumber {
    fn name(&self) -> &str {
        "my_number"
    }
    fn validation(&self) -> Validation {
        Validation::Checksum
    }
    fn requires_context(&self) -> bool {
        false
    }
    fn keywords(&self) -> Vec<&str> {
        vec![
            "マイナンバー",
            "個人番号",
            "my number",
            "mynumber",
            "individual number",
        ]
    }
    fn column_headers(&self) -> Vec<&str> {
        vec![
            "マイナンバー",
            "個人番号",
            "my number",
            "my_number",
            "mynumber",
        ]
    }
    fn find(&self, input: &Input<'_>, out: &mut Vec<Match>) {
        let text = input.text.as_bytes();
        scan_windows(input, 3, out, |w| accept(text, w));
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
        (d.len() == 12 && checks::my_number(d.as_bytes())).then(|| d.as_str().to_owned())
    }
    fn mask(&self, value: &str) -> String {
        let m = super::mask_prefix(value, 4);
        format!(
            "{} {} {}",
            m.get(..4).unwrap_or_default(),
            m.get(4..8).unwrap_or_default(),
            m.get(8..).unwrap_or_default()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::testutil::find_all;

    #[test]
    fn check_digit_decides() {
        let d = MyNumber;
        assert_eq!(find_all(&d, "個人番号 123456789018"), vec!["123456789018"]);
        assert_eq!(find_all(&d, "1234 5678 9018"), vec!["123456789018"]);
        assert_eq!(find_all(&d, "1234-5678-9018"), vec!["123456789018"]);
        assert!(find_all(&d, "123456789012").is_empty(), "check digit fails");
        assert!(
            find_all(&d, "1234-5678 9018").is_empty(),
            "mixed separators"
        );
        assert!(find_all(&d, "9123456789018").is_empty(), "13 digits");
        assert!(find_all(&d, "1234567890189").is_empty());
    }

    #[test]
    fn cell_and_mask() {
        let d = MyNumber;
        assert_eq!(
            d.validate_cell("1234-5678-9018").as_deref(),
            Some("123456789018")
        );
        assert_eq!(d.validate_cell("123456789012"), None);
        assert_eq!(d.validate_cell("x123456789018"), None);
        assert_eq!(d.mask("123456789018"), "1234 **** ****");
    }
}
