//! E-mail addresses: a practical subset of RFC 5322 addr-spec (dot-atom local part of
//! `A-Za-z0-9._%+-`, a domain of at least two labels with an alphabetic TLD).

use super::{Detector, Input, Match, Validation, trim_cell};

/// E-mail address detector.
#[derive(Clone, Copy, Debug, Default)]
pub struct EmailAddress;

fn local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b".!#$%&'*+=?^_`{|}~-".contains(&b)
}

fn domain_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'-'
}

/// Expands around the `@` at `at`; returns (start, end) of a valid address.
fn expand(t: &[u8], at: usize) -> Option<(usize, usize)> {
    let mut s = at;
    while s > 0 && at - s < 64 && t.get(s - 1).copied().is_some_and(local_char) {
        s -= 1;
    }
    if s > 0 && t.get(s - 1).copied().is_some_and(local_char) {
        return None; // local part longer than 64
    }
    // Leading dots are not part of a local part; skip them.
    while s < at && t.get(s) == Some(&b'.') {
        s += 1;
    }
    let local = t.get(s..at)?;
    if local.is_empty() || local.ends_with(b".") || local.windows(2).any(|w| w == b"..") {
        return None;
    }
    let mut e = at + 1;
    while e < t.len() && e - at <= 253 && t.get(e).copied().is_some_and(domain_char) {
        e += 1;
    }
    // Trailing dots and hyphens are sentence punctuation.
    while e > at + 1 && matches!(t.get(e - 1), Some(b'.') | Some(b'-')) {
        e -= 1;
    }
    let domain = t.get(at + 1..e)?;
    let mut labels = 0;
    let mut last: &[u8] = &[];
    for l in domain.split(|&b| b == b'.') {
        if l.is_empty() || l.len() > 63 || l.starts_with(b"-") || l.ends_with(b"-") {
            return None;
        }
        labels += 1;
        last = l;
    }
    (labels >= 2 && last.len() >= 2 && last.iter().all(u8::is_ascii_alphabetic)).then_some((s, e))
}

impl Detector for EmailAddress {
    fn name(&self) -> &str {
        "email_address"
    }
    fn validation(&self) -> Validation {
        Validation::FormatOnly
    }
    fn requires_context(&self) -> bool {
        false
    }
    fn keywords(&self) -> Vec<&str> {
        vec!["メール", "email", "e-mail", "mail"]
    }
    fn column_headers(&self) -> Vec<&str> {
        vec!["メール", "email", "e-mail", "mail"]
    }
    fn find(&self, input: &Input<'_>, out: &mut Vec<Match>) {
        let t = input.text.as_bytes();
        let hi = input.to.saturating_add(65).min(t.len());
        let Some(region) = t.get(input.from..hi) else {
            return;
        };
        for rel in memchr::memchr_iter(b'@', region) {
            let at = input.from + rel;
            let Some((s, e)) = expand(t, at) else {
                continue;
            };
            if s < input.from || s >= input.to {
                continue;
            }
            let Some(v) = input.text.get(s..e) else {
                continue;
            };
            out.push(Match {
                start: s,
                end: e,
                value: v.to_ascii_lowercase(),
            });
        }
    }
    fn validate_cell(&self, cell: &str) -> Option<String> {
        let c = trim_cell(cell);
        let at = c.find('@')?;
        let (s, e) = expand(c.as_bytes(), at)?;
        (s == 0 && e == c.len()).then(|| c.to_ascii_lowercase())
    }
    fn mask(&self, value: &str) -> String {
        let first = value.chars().next().map(String::from).unwrap_or_default();
        let dom = value
            .split('@')
            .nth(1)
            .and_then(|d| d.chars().next())
            .map(String::from)
            .unwrap_or_default();
        format!("{first}***@{dom}***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::testutil::find_all;

    #[test]
    fn addresses() {
        let d = EmailAddress;
        assert_eq!(
            find_all(&d, "連絡先: Taro.Yamada+x@Example.co.jp."),
            vec!["taro.yamada+x@example.co.jp"]
        );
        assert_eq!(
            find_all(&d, "メール：ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ"),
            vec!["taro@example.jp"]
        );
        assert_eq!(find_all(&d, "a@b.cd,e@f.gh"), vec!["a@b.cd", "e@f.gh"]);
        assert!(find_all(&d, "@example.com").is_empty());
        assert!(find_all(&d, "user@localhost").is_empty());
        assert!(find_all(&d, "user@example.c0m").is_empty());
        assert!(find_all(&d, "a..b@example.com").is_empty());
        assert!(find_all(&d, "user@-example.com").is_empty());
        assert!(find_all(&d, "@@@").is_empty());
    }

    #[test]
    fn cell_and_mask() {
        assert_eq!(
            EmailAddress.validate_cell(" a@b.jp ").as_deref(),
            Some("a@b.jp")
        );
        assert_eq!(EmailAddress.validate_cell("mail a@b.jp"), None);
        assert_eq!(EmailAddress.mask("taro@example.jp"), "t***@e***");
    }
}
