//! 生年月日 (birth dates): `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD`, `YYYY年M月D日`, era dates
//! `(明治|大正|昭和|平成|令和)(N|元)年M月D日` and abbreviations `S45.3.2` (M/T/S/H/R). The date must
//! exist and, for an era date, lie within the era. A date alone is not personal data, so a
//! keyword (生年月日, 誕生日, birth, ...) or a column header is required.

use regex::Regex;

use super::{Detector, Input, Match, Validation, checks, checks::Era, trim_cell};

/// Birth date detector.
#[derive(Debug)]
pub struct BirthDate {
    re: Regex,
}

const PATTERN: &str = r"(?x)
    (?P<era>明治|大正|昭和|平成|令和|[MTSHR])[\x20]?(?P<ey>元|[0-9]{1,2})[\x20]?(?P<s1>年|[./-])[\x20]?
        (?P<em>[0-9]{1,2})[\x20]?(?P<s2>月|[./-])[\x20]?(?P<ed>[0-9]{1,2})(?:[\x20]?(?P<s3>日))?
  | (?P<y>[0-9]{4})[\x20]?(?P<t1>年|[./-])[\x20]?(?P<m>[0-9]{1,2})[\x20]?(?P<t2>月|[./-])[\x20]?
        (?P<d>[0-9]{1,2})(?:[\x20]?(?P<t3>日))?
";

fn num(s: Option<regex::Match<'_>>) -> Option<u32> {
    let s = s?.as_str();
    if s == "元" { Some(1) } else { s.parse().ok() }
}

/// Separators must be consistent: 年 月 日, or the same punctuation twice and no 日.
fn seps_ok(a: &str, b: &str, c: Option<&str>) -> bool {
    match a {
        "年" => b == "月" && c == Some("日"),
        _ => a == b && c.is_none(),
    }
}

impl BirthDate {
    /// Compiles the detector.
    pub fn new() -> Result<Self, regex::Error> {
        Ok(BirthDate {
            re: Regex::new(PATTERN)?,
        })
    }

    fn scan(
        &self,
        text: &str,
        base: usize,
        full: &str,
        from: usize,
        to: usize,
        out: &mut Vec<Match>,
    ) {
        for caps in self.re.captures_iter(text) {
            let Some(m0) = caps.get(0) else { continue };
            let start = base + m0.start();
            if start < from || start >= to {
                continue;
            }
            let end = base + m0.end();
            let fb = full.as_bytes();
            let prev = if start > 0 {
                fb.get(start - 1).copied()
            } else {
                None
            };
            let next = fb.get(end).copied();
            if next.is_some_and(|b| b.is_ascii_digit()) {
                continue;
            }
            let date = if let Some(era) = caps.name("era") {
                let letter = era.as_str().len() == 1;
                if letter && prev.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
                    continue;
                }
                let (Some(s1), Some(s2)) = (caps.name("s1"), caps.name("s2")) else {
                    continue;
                };
                if !seps_ok(
                    s1.as_str(),
                    s2.as_str(),
                    caps.name("s3").map(|m| m.as_str()),
                ) {
                    continue;
                }
                let Some(e) = Era::parse(era.as_str()) else {
                    continue;
                };
                let (Some(ey), Some(m), Some(d)) = (
                    num(caps.name("ey")),
                    num(caps.name("em")),
                    num(caps.name("ed")),
                ) else {
                    continue;
                };
                e.to_gregorian(ey, m, d)
            } else {
                if prev.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
                    continue;
                }
                let (Some(t1), Some(t2)) = (caps.name("t1"), caps.name("t2")) else {
                    continue;
                };
                if !seps_ok(
                    t1.as_str(),
                    t2.as_str(),
                    caps.name("t3").map(|m| m.as_str()),
                ) {
                    continue;
                }
                let (Some(y), Some(m), Some(d)) = (
                    num(caps.name("y")),
                    num(caps.name("m")),
                    num(caps.name("d")),
                ) else {
                    continue;
                };
                ((1868..=2100).contains(&y) && checks::date_exists(y, m, d)).then_some((y, m, d))
            };
            if let Some((y, m, d)) = date {
                out.push(Match {
                    start,
                    end,
                    value: format!("{y:04}-{m:02}-{d:02}"),
                });
            }
        }
    }
}

impl Detector for BirthDate {
    fn name(&self) -> &str {
        "birth_date"
    }
    fn validation(&self) -> Validation {
        Validation::Checksum
    }
    fn requires_context(&self) -> bool {
        true
    }
    fn keywords(&self) -> Vec<&str> {
        vec!["生年月日", "誕生日", "生まれ", "birth", "dob"]
    }
    fn column_headers(&self) -> Vec<&str> {
        vec!["生年月日", "誕生日", "birth", "dob"]
    }
    fn find(&self, input: &Input<'_>, out: &mut Vec<Match>) {
        let (base, text) = input.window(0, 64);
        self.scan(text, base, input.text, input.from, input.to, out);
    }
    fn validate_cell(&self, cell: &str) -> Option<String> {
        let c = trim_cell(cell);
        let mut out = Vec::new();
        self.scan(c, 0, c, 0, c.len().max(1), &mut out);
        match out.as_slice() {
            [m] if m.start == 0 && c.get(m.end..).is_some_and(|r| r.trim().is_empty()) => {
                Some(m.value.clone())
            }
            _ => None,
        }
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
    fn western_and_era() {
        let d = BirthDate::new().unwrap();
        assert_eq!(find_all(&d, "生年月日 1985-04-01"), vec!["1985-04-01"]);
        assert_eq!(find_all(&d, "1985/4/1"), vec!["1985-04-01"]);
        assert_eq!(find_all(&d, "1985年4月1日生"), vec!["1985-04-01"]);
        assert_eq!(find_all(&d, "平成元年1月8日"), vec!["1989-01-08"]);
        assert!(
            find_all(&d, "平成元年1月7日").is_empty(),
            "before 平成 began"
        );
        assert_eq!(find_all(&d, "令和元年5月1日"), vec!["2019-05-01"]);
        assert!(find_all(&d, "令和元年4月30日").is_empty());
        assert_eq!(find_all(&d, "昭和45年3月2日"), vec!["1970-03-02"]);
        assert_eq!(find_all(&d, "S45.3.2"), vec!["1970-03-02"]);
        assert_eq!(find_all(&d, "H1.1.8"), vec!["1989-01-08"]);
        assert_eq!(find_all(&d, "昭和６４年１月７日"), vec!["1989-01-07"]);
        assert_eq!(
            find_all(&d, "生年月日：平成 3年 12月 31日"),
            vec!["1991-12-31"]
        );
    }

    #[test]
    fn invalid_dates() {
        let d = BirthDate::new().unwrap();
        assert!(find_all(&d, "2023-02-29").is_empty());
        assert!(find_all(&d, "1985/13/01").is_empty());
        assert!(find_all(&d, "1985-04/01").is_empty(), "mixed separators");
        assert!(find_all(&d, "1985年4月1").is_empty(), "no 日");
        assert!(find_all(&d, "12985-04-01").is_empty());
        assert!(find_all(&d, "1985-04-011").is_empty());
        assert!(find_all(&d, "AS45.3.2").is_empty());
        assert!(
            find_all(&d, "昭和65年1月1日").is_empty(),
            "昭和 ended in its 64th year"
        );
        assert!(find_all(&d, "1700-01-01").is_empty());
    }

    #[test]
    fn cell_and_mask() {
        let d = BirthDate::new().unwrap();
        assert_eq!(d.validate_cell("S45.3.2").as_deref(), Some("1970-03-02"));
        assert_eq!(d.validate_cell("1985/04/01").as_deref(), Some("1985-04-01"));
        assert_eq!(d.validate_cell("1985/04/01 x"), None);
        assert_eq!(d.mask("1985-04-01"), "1985-**-**");
    }
}
