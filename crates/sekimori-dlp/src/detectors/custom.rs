//! Detectors defined in configuration: a regex, optional keywords and column headers, and an
//! optional named validator applied to the digits of the match.

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{Detector, Digits, Input, Match, Validation, checks, trim_cell};
use crate::DlpError;

/// Configuration of a custom detector (deserializable from the engine configuration).
///
/// ```toml
/// [[dlp.custom]]
/// name = "employee_id"
/// pattern = "EMP-[0-9]{6}"
/// keywords = ["社員番号"]
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomDetector {
    /// Key in the `findings` map; `[a-z0-9_]+`, distinct from the built-in names.
    pub name: String,
    /// Regex (Rust `regex` syntax) over normalised text. A named group `value` selects the value
    /// inside a larger match.
    pub pattern: String,
    /// Keywords raising confidence within 300 characters.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Column headers making a column's cells candidates (substring match).
    #[serde(default)]
    pub column_headers: Vec<String>,
    /// Optional validator over the digits of the value: `luhn`, `my_number`, `corporate_number`.
    #[serde(default)]
    pub validator: Option<String>,
    /// Drop matches with no keyword or column header nearby.
    #[serde(default)]
    pub require_keyword: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Validator {
    Luhn,
    MyNumber,
    CorporateNumber,
}

impl Validator {
    fn parse(name: &str) -> Option<Validator> {
        Some(match name {
            "luhn" => Validator::Luhn,
            "my_number" => Validator::MyNumber,
            "corporate_number" => Validator::CorporateNumber,
            _ => return None,
        })
    }

    fn check(self, value: &str) -> bool {
        let Some(d) = Digits::of_str(value) else {
            return false;
        };
        match self {
            Validator::Luhn => checks::luhn(d.as_bytes()),
            Validator::MyNumber => checks::my_number(d.as_bytes()),
            Validator::CorporateNumber => checks::corporate_number(d.as_bytes()),
        }
    }
}

/// A compiled custom detector.
#[derive(Debug)]
pub struct Custom {
    name: String,
    re: Regex,
    cell: Regex,
    keywords: Vec<String>,
    headers: Vec<String>,
    validator: Option<Validator>,
    require_keyword: bool,
}

impl Custom {
    /// Compiles a custom detector; `reserved` lists names already taken.
    pub fn new(cfg: &CustomDetector, reserved: &[&str]) -> Result<Custom, DlpError> {
        let name = cfg.name.clone();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(DlpError::BadDetectorName(name));
        }
        if reserved.contains(&name.as_str()) {
            return Err(DlpError::DuplicateDetector(name));
        }
        let re = Regex::new(&cfg.pattern).map_err(|e| DlpError::Regex {
            detector: name.clone(),
            source: e,
        })?;
        let cell = Regex::new(&format!("^(?:{})$", cfg.pattern)).map_err(|e| DlpError::Regex {
            detector: name.clone(),
            source: e,
        })?;
        let validator = match cfg.validator.as_deref() {
            None => None,
            Some(v) => {
                Some(Validator::parse(v).ok_or_else(|| DlpError::UnknownValidator(v.to_owned()))?)
            }
        };
        Ok(Custom {
            name,
            re,
            cell,
            keywords: cfg.keywords.clone(),
            headers: cfg.column_headers.clone(),
            validator,
            require_keyword: cfg.require_keyword,
        })
    }
}

impl Detector for Custom {
    fn name(&self) -> &str {
        &self.name
    }
    fn validation(&self) -> Validation {
        if self.validator.is_some() {
            Validation::Checksum
        } else {
            Validation::FormatOnly
        }
    }
    fn requires_context(&self) -> bool {
        self.require_keyword
    }
    fn keywords(&self) -> Vec<&str> {
        self.keywords.iter().map(String::as_str).collect()
    }
    fn column_headers(&self) -> Vec<&str> {
        self.headers.iter().map(String::as_str).collect()
    }
    fn find(&self, input: &Input<'_>, out: &mut Vec<Match>) {
        let (base, text) = input.window(0, 256);
        for caps in self.re.captures_iter(text) {
            let Some(m) = caps.name("value").or_else(|| caps.get(0)) else {
                continue;
            };
            if m.as_str().is_empty() {
                continue;
            }
            let (start, end) = (base + m.start(), base + m.end());
            if start < input.from || start >= input.to {
                continue;
            }
            let b = input.text.as_bytes();
            let digit_glued = (m.as_str().starts_with(|c: char| c.is_ascii_digit())
                && start > 0
                && b.get(start - 1).is_some_and(u8::is_ascii_digit))
                || (m.as_str().ends_with(|c: char| c.is_ascii_digit())
                    && b.get(end).is_some_and(u8::is_ascii_digit));
            if digit_glued {
                continue;
            }
            if self.validator.is_some_and(|v| !v.check(m.as_str())) {
                continue;
            }
            out.push(Match {
                start,
                end,
                value: m.as_str().to_owned(),
            });
        }
    }
    fn validate_cell(&self, cell: &str) -> Option<String> {
        let c = trim_cell(cell);
        if !self.cell.is_match(c) || self.validator.is_some_and(|v| !v.check(c)) {
            return None;
        }
        Some(c.to_owned())
    }
    fn mask(&self, value: &str) -> String {
        let n = value.chars().count();
        super::mask_prefix(value, (n / 3).min(4))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::testutil::find_all;

    fn cfg(pattern: &str, validator: Option<&str>) -> CustomDetector {
        CustomDetector {
            name: "employee_id".into(),
            pattern: pattern.into(),
            keywords: vec!["社員番号".into()],
            validator: validator.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn regex_and_validator() {
        let d = Custom::new(&cfg("EMP-[0-9]{6}", None), &[]).unwrap();
        assert_eq!(find_all(&d, "社員番号 EMP-123456"), vec!["EMP-123456"]);
        assert!(find_all(&d, "EMP-1234567").is_empty(), "digit glued");
        assert_eq!(d.mask("EMP-123456"), "EMP-******");
        let l = Custom::new(&cfg("[0-9]{16}", Some("luhn")), &[]).unwrap();
        assert_eq!(find_all(&l, "4111111111111111"), vec!["4111111111111111"]);
        assert!(find_all(&l, "4111111111111112").is_empty());
        assert_eq!(l.validation(), Validation::Checksum);
        let g = Custom::new(&cfg(r"ID:(?P<value>[A-Z]{3}\d{3})", None), &[]).unwrap();
        assert_eq!(find_all(&g, "ID:ABC123"), vec!["ABC123"]);
    }

    #[test]
    fn config_errors() {
        assert!(matches!(
            Custom::new(&cfg("(", None), &[]),
            Err(DlpError::Regex { .. })
        ));
        assert!(matches!(
            Custom::new(&cfg("x", Some("nope")), &[]),
            Err(DlpError::UnknownValidator(_))
        ));
        let mut c = cfg("x", None);
        c.name = "Bad Name".into();
        assert!(matches!(
            Custom::new(&c, &[]),
            Err(DlpError::BadDetectorName(_))
        ));
        c.name = "phone".into();
        assert!(matches!(
            Custom::new(&c, &["phone"]),
            Err(DlpError::DuplicateDetector(_))
        ));
    }

    #[test]
    fn deserializes() {
        let c: CustomDetector = serde_json::from_str(
            r#"{"name":"emp","pattern":"E[0-9]+","keywords":["社員"],"validator":"luhn","require_keyword":true}"#,
        )
        .unwrap();
        assert_eq!(c.name, "emp");
        assert!(c.require_keyword);
        assert!(
            serde_json::from_str::<CustomDetector>(r#"{"name":"x","pattern":"y","bogus":1}"#)
                .is_err()
        );
    }
}
