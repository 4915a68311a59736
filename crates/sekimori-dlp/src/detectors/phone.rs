//! Japanese telephone numbers: mobile/IP `0[5789]0-NNNN-NNNN`, landline `0N{1,4}-N{1,4}-NNNN`
//! (10 digits with the leading 0), free dial `0120-NNN-NNN` / `0800-NNN-NNNN`, navi dial
//! `0570-NNN-NNN`, and the international `+81` forms. No checksum: a keyword is needed for more
//! than low confidence.

use super::{Detector, DigitGroup, Digits, Input, Match, Validation, scan_windows, trim_cell};

/// Telephone number detector.
#[derive(Clone, Copy, Debug, Default)]
pub struct Phone;

/// Whether contiguous national digits (leading 0) form a Japanese number.
fn national_ok(d: &[u8]) -> bool {
    matches!(
        (d.len(), d),
        (11, [b'0', b'5' | b'7' | b'8' | b'9', b'0', ..]) | (10, [b'0', b'1'..=b'9', ..])
    )
}

/// Whether the group lengths are a usual way of writing the national number `d`.
fn grouping_ok(d: &[u8], l: &[usize]) -> bool {
    match *l {
        [_] => true,
        [a, b, c] => match d.len() {
            11 if d.starts_with(b"0800") => a == 4 && b == 3 && c == 4,
            11 => a == 3 && b == 4 && c == 4,
            10 if d.starts_with(b"0120") || d.starts_with(b"0570") => {
                (a == 4 && b == 3 && c == 3) || (a == 4 && b == 2 && c == 4)
            }
            10 => (2..=5).contains(&a) && (1..=4).contains(&b) && a + b == 6 && c == 4,
            _ => false,
        },
        _ => false,
    }
}

fn accept(text: &[u8], w: &[DigitGroup]) -> Option<String> {
    let first = w.first()?;
    if w.iter()
        .skip(1)
        .any(|g| !matches!(g.sep, b'-' | b' ' | b'(' | b')' | b'.'))
        || w.len() > 5
    {
        return None;
    }
    let d = Digits::of(text, w)?;
    let b = d.as_bytes();
    let international = first.start > 0 && text.get(first.start - 1) == Some(&b'+');
    if international {
        // +81 followed by the national number without its leading 0.
        let rest = b.strip_prefix(b"81")?;
        let rest = rest.strip_prefix(b"0").unwrap_or(rest);
        let mut nat = Vec::with_capacity(rest.len() + 1);
        nat.push(b'0');
        nat.extend_from_slice(rest);
        return national_ok(&nat).then(|| String::from_utf8_lossy(&nat).into_owned());
    }
    let mut l = [0usize; 5];
    for (o, g) in l.iter_mut().zip(w) {
        *o = g.len();
    }
    let l = l.get(..w.len())?;
    (national_ok(b) && grouping_ok(b, l)).then(|| d.as_str().to_owned())
}

impl Detector for Phone {
    fn name(&self) -> &str {
        "phone"
    }
    fn validation(&self) -> Validation {
        Validation::FormatOnly
    }
    fn requires_context(&self) -> bool {
        false
    }
    fn keywords(&self) -> Vec<&str> {
        vec![
            "電話",
            "TEL",
            "携帯",
            "連絡先",
            "FAX",
            "phone",
            "mobile",
            "tel.",
        ]
    }
    fn column_headers(&self) -> Vec<&str> {
        vec!["電話", "携帯", "連絡先", "TEL", "FAX", "phone", "mobile"]
    }
    fn find(&self, input: &Input<'_>, out: &mut Vec<Match>) {
        let text = input.text.as_bytes();
        scan_windows(input, 4, out, |w| accept(text, w));
    }
    fn validate_cell(&self, cell: &str) -> Option<String> {
        let c = trim_cell(cell);
        if c.is_empty()
            || !c
                .bytes()
                .all(|b| b.is_ascii_digit() || b"-() .+".contains(&b))
        {
            return None;
        }
        let mut toks = super::NumTokens::default();
        let input = Input::new(c, 0, c.len(), &mut toks);
        let mut out = Vec::new();
        self.find(&input, &mut out);
        match out.as_slice() {
            [m] => {
                let pre = c.get(..m.start).unwrap_or("x");
                let post = c.get(m.end..).unwrap_or("x");
                (matches!(pre, "" | "+" | "(") && matches!(post, "" | ")")).then(|| m.value.clone())
            }
            _ => None,
        }
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
    fn japanese_numbers() {
        let d = Phone;
        assert_eq!(find_all(&d, "携帯 090-1234-5678"), vec!["09012345678"]);
        assert_eq!(find_all(&d, "TEL:03-1234-5678"), vec!["0312345678"]);
        assert_eq!(find_all(&d, "(03)1234-5678"), vec!["0312345678"]);
        assert_eq!(find_all(&d, "03(1234)5678"), vec!["0312345678"]);
        assert_eq!(find_all(&d, "0120-123-456"), vec!["0120123456"]);
        assert_eq!(find_all(&d, "0466-12-3456"), vec!["0466123456"]);
        assert_eq!(find_all(&d, "09012345678"), vec!["09012345678"]);
        assert_eq!(find_all(&d, "+81-90-1234-5678"), vec!["09012345678"]);
        assert_eq!(find_all(&d, "+81 3 1234 5678"), vec!["0312345678"]);
        assert_eq!(
            find_all(&d, "０９０ー１２３４ー５６７８"),
            vec!["09012345678"]
        );
    }

    #[test]
    fn not_phones() {
        let d = Phone;
        assert!(find_all(&d, "1234-567890").is_empty());
        assert!(find_all(&d, "090-12345-678").is_empty());
        assert!(find_all(&d, "00-1234-5678").is_empty());
        assert!(find_all(&d, "0312345678901").is_empty());
        assert!(find_all(&d, "4111111111111111").is_empty());
        assert!(find_all(&d, "+1-212-555-0100").is_empty());
        assert!(find_all(&d, "2024-01-02").is_empty());
    }

    #[test]
    fn cell_and_mask() {
        assert_eq!(
            Phone.validate_cell("03-1234-5678").as_deref(),
            Some("0312345678")
        );
        assert_eq!(
            Phone.validate_cell("+81-90-1234-5678").as_deref(),
            Some("09012345678")
        );
        assert_eq!(Phone.validate_cell("03-1234-5678 内線"), None);
        assert_eq!(Phone.mask("09012345678"), "090********");
    }
}
