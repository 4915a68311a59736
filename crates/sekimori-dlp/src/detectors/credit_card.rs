//! Payment card numbers: 14–19 digits (spaces or hyphens between groups of 3–6), a known issuer
//! prefix (IIN) for the length, and a valid Luhn check digit.

use super::{
    Detector, DigitGroup, Digits, Input, Match, Validation, checks, scan_windows, trim_cell,
    uniform_sep,
};

/// Payment card detector.
#[derive(Clone, Copy, Debug, Default)]
pub struct CreditCard;

fn prefix_num(d: &[u8], n: usize) -> u32 {
    d.iter()
        .take(n)
        .fold(0u32, |a, &c| a * 10 + u32::from(c.wrapping_sub(b'0')))
}

/// Whether the issuer prefix is known for this length.
pub fn known_iin(d: &[u8]) -> bool {
    let len = d.len();
    let p1 = prefix_num(d, 1);
    let p2 = prefix_num(d, 2);
    let p3 = prefix_num(d, 3);
    let p4 = prefix_num(d, 4);
    let p6 = prefix_num(d, 6);
    match p1 {
        4 => matches!(len, 16 | 19),                   // Visa
        5 => (51..=55).contains(&p2) && len == 16,     // Mastercard
        2 => (2221..=2720).contains(&p4) && len == 16, // Mastercard 2-series
        3 => {
            (matches!(p2, 34 | 37) && len == 15)                                  // Amex
                || ((300..=305).contains(&p3) || matches!(p2, 36 | 38 | 39)) && (14..=19).contains(&len) // Diners
                || (3528..=3589).contains(&p4) && (16..=19).contains(&len) // JCB
        }
        6 => {
            (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || (622126..=622925).contains(&p6))
                && (16..=19).contains(&len) // Discover
                || p2 == 62 && (16..=19).contains(&len) // UnionPay
        }
        _ => false,
    }
}

fn accept(text: &[u8], w: &[DigitGroup]) -> Option<String> {
    if w.len() > 1 && (!uniform_sep(w, b"- ") || w.iter().any(|g| !(3..=6).contains(&g.len()))) {
        return None;
    }
    let d = Digits::of(text, w)?;
    let b = d.as_bytes();
    ((14..=19).contains(&b.len()) && known_iin(b) && checks::luhn(b)).then(|| d.as_str().to_owned())
}

impl Detector for CreditCard {
    fn name(&self) -> &str {
        "credit_card"
    }
    fn validation(&self) -> Validation {
        Validation::Checksum
    }
    fn requires_context(&self) -> bool {
        false
    }
    fn keywords(&self) -> Vec<&str> {
        vec![
            "カード番号",
            "クレジット",
            "有効期限",
            "セキュリティコード",
            "card",
            "expiry",
            "exp date",
            "credit",
            "visa",
            "mastercard",
            "amex",
            "jcb",
            "cvv",
            "cvc",
        ]
    }
    fn column_headers(&self) -> Vec<&str> {
        vec![
            "カード番号",
            "クレジットカード",
            "card number",
            "card_number",
            "credit card",
            "pan",
        ]
    }
    fn find(&self, input: &Input<'_>, out: &mut Vec<Match>) {
        let text = input.text.as_bytes();
        scan_windows(input, 5, out, |w| accept(text, w));
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
        let b = d.as_bytes();
        ((14..=19).contains(&b.len()) && known_iin(b) && checks::luhn(b))
            .then(|| d.as_str().to_owned())
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
    fn test_cards() {
        let d = CreditCard;
        assert_eq!(find_all(&d, "4111111111111111"), vec!["4111111111111111"]);
        assert_eq!(
            find_all(&d, "カード 4111 1111 1111 1111 期限"),
            vec!["4111111111111111"]
        );
        assert_eq!(
            find_all(&d, "4111-1111-1111-1111"),
            vec!["4111111111111111"]
        );
        assert_eq!(find_all(&d, "3782 822463 10005"), vec!["378282246310005"]);
        assert_eq!(
            find_all(&d, "JCB 3530111333300000"),
            vec!["3530111333300000"]
        );
        assert_eq!(find_all(&d, "5555555555554444"), vec!["5555555555554444"]);
        assert_eq!(find_all(&d, "30569309025904"), vec!["30569309025904"]);
    }

    #[test]
    fn not_cards() {
        let d = CreditCard;
        assert!(find_all(&d, "4111111111111112").is_empty(), "Luhn fails");
        assert!(find_all(&d, "090-1234-5678").is_empty(), "phone");
        assert!(find_all(&d, "+81-90-1234-5678").is_empty(), "phone");
        assert!(find_all(&d, "1234567812345670").is_empty(), "unknown IIN");
        assert!(find_all(&d, "41111111111111111111").is_empty(), "20 digits");
        assert!(
            find_all(&d, "4111-1111 1111-1111").is_empty(),
            "mixed separators"
        );
        assert!(find_all(&d, "x4111111111111111").is_empty());
    }

    #[test]
    fn mask_reveals_only_iin() {
        assert_eq!(CreditCard.mask("4111111111111111"), "411111**********");
        assert_eq!(
            CreditCard.validate_cell("4111 1111 1111 1111").as_deref(),
            Some("4111111111111111")
        );
    }
}
