//! `content` patterns: decoding of `|hex|` and `\` escapes, and the content modifiers.

use serde::Serialize;

/// A numeric modifier value: a literal or the name of a `byte_extract`/`byte_math` variable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum NumOrVar {
    /// Literal value.
    Num(i32),
    /// Variable name.
    Var(String),
}

impl NumOrVar {
    /// The literal value, if it is one.
    pub fn num(&self) -> Option<i32> {
        match self {
            NumOrVar::Num(n) => Some(*n),
            NumOrVar::Var(_) => None,
        }
    }
}

/// `fast_pattern` as set on a content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FastPatternOpt {
    /// `fast_pattern;`
    Yes,
    /// `fast_pattern:only;` (accepted for compatibility; same as `fast_pattern`).
    Only,
    /// `fast_pattern:offset,length;` use only that slice of the pattern for the prefilter.
    Chop {
        /// Start of the slice.
        offset: u16,
        /// Length of the slice.
        len: u16,
    },
}

/// One `content` match with its modifiers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Content {
    /// The bytes to find (hex and escapes decoded).
    #[serde(serialize_with = "ser_bytes")]
    pub pattern: Vec<u8>,
    /// `content:!"..."`: the pattern must not be present.
    pub negated: bool,
    /// Case-insensitive (ASCII).
    pub nocase: bool,
    /// `rawbytes` (no effect in Suricata; kept for completeness).
    pub rawbytes: bool,
    /// `offset`: start searching this many bytes into the buffer.
    pub offset: Option<NumOrVar>,
    /// `depth`: search only the first `depth` bytes (from `offset`).
    pub depth: Option<NumOrVar>,
    /// `distance`: relative start after the previous match (may be negative).
    pub distance: Option<NumOrVar>,
    /// `within`: the match must end within this many bytes after the previous match.
    pub within: Option<NumOrVar>,
    /// `startswith`: anchored at the start of the buffer.
    pub startswith: bool,
    /// `endswith`: anchored at the end of the buffer.
    pub endswith: bool,
    /// `fast_pattern` setting, if given explicitly.
    pub fast_pattern: Option<FastPatternOpt>,
    /// `replace` bytes (IPS), if any.
    #[serde(serialize_with = "ser_opt_bytes")]
    pub replace: Option<Vec<u8>>,
}

fn ser_bytes<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(b))
}

fn ser_opt_bytes<S: serde::Serializer>(b: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match b {
        Some(b) => s.serialize_str(&String::from_utf8_lossy(b)),
        None => s.serialize_none(),
    }
}

impl Content {
    /// A content with no modifiers.
    pub fn new(pattern: Vec<u8>, negated: bool) -> Self {
        Content {
            pattern,
            negated,
            nocase: false,
            rawbytes: false,
            offset: None,
            depth: None,
            distance: None,
            within: None,
            startswith: false,
            endswith: false,
            fast_pattern: None,
            replace: None,
        }
    }

    /// True when the content is positioned relative to the previous match (`distance`/`within`).
    pub fn is_relative(&self) -> bool {
        self.distance.is_some() || self.within.is_some()
    }

    /// The bytes the prefilter should use (the `fast_pattern:chop` slice, or the whole pattern).
    pub fn fast_pattern_bytes(&self) -> &[u8] {
        if let Some(FastPatternOpt::Chop { offset, len }) = self.fast_pattern {
            let start = usize::from(offset);
            let end = start.saturating_add(usize::from(len));
            if let Some(s) = self.pattern.get(start..end) {
                return s;
            }
        }
        &self.pattern
    }
}

/// Decode a content string (quotes already removed) the way Suricata does:
/// `|41 42|` hex blocks (spaces and commas allowed inside), and `\` escaping only
/// `:` `;` `\` `"`. An unescaped `"` is an error. Returns the message on failure.
pub fn decode_content(s: &str) -> Result<Vec<u8>, String> {
    if s.is_empty() {
        return Err("empty content".into());
    }
    let mut out = Vec::with_capacity(s.len());
    let mut bin = false;
    let mut escape = false;
    let mut hex_hi: Option<u8> = None;
    let mut pipes = 0usize;
    for c in s.bytes() {
        if c == b'|' {
            pipes += 1;
            if bin {
                if hex_hi.is_some() {
                    return Err(format!("incomplete hex code in content \"{s}\""));
                }
                bin = false;
            } else {
                bin = true;
            }
        } else if !escape && c == b'\\' {
            escape = true;
        } else if bin {
            if let Some(v) = (c as char).to_digit(16) {
                let v = v as u8;
                match hex_hi.take() {
                    Some(hi) => out.push((hi << 4) | v),
                    None => hex_hi = Some(v),
                }
            } else if c != b' ' && c != b',' {
                return Err(format!(
                    "invalid hex code in content \"{s}\": '{}'",
                    c as char
                ));
            }
        } else if escape {
            if matches!(c, b':' | b';' | b'\\' | b'"') {
                out.push(c);
            } else {
                return Err(format!(
                    "'\\{}' is not a valid escape in content (only \\: \\; \\\\ \\\" are)",
                    c as char
                ));
            }
            escape = false;
        } else if c == b'"' {
            return Err("unescaped double quote within content".into());
        } else {
            out.push(c);
        }
    }
    if !pipes.is_multiple_of(2) {
        return Err(format!("unbalanced '|' in content \"{s}\""));
    }
    if out.is_empty() {
        return Err("content decodes to nothing".into());
    }
    if out.len() > 65535 {
        return Err("content longer than 65535 bytes".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_text() {
        assert_eq!(decode_content("uid=0|28|root|29|").unwrap(), b"uid=0(root)");
        assert_eq!(
            decode_content("|0d 0a|User-Agent|3a 20|").unwrap(),
            b"\r\nUser-Agent: "
        );
        assert_eq!(decode_content("|0D0a,41|").unwrap(), b"\r\nA");
        assert_eq!(decode_content("|00|").unwrap(), b"\0");
    }

    #[test]
    fn escapes() {
        assert_eq!(decode_content(r#"a\;b\"c\\d\:e"#).unwrap(), b"a;b\"c\\d:e");
        assert!(decode_content(r"a\nb").is_err());
        assert!(decode_content("a\"b").is_err());
    }

    #[test]
    fn bad_hex() {
        assert!(decode_content("|4|").is_err());
        assert!(decode_content("|zz|").is_err());
        assert!(decode_content("|41").is_err());
        assert!(decode_content("").is_err());
        assert!(decode_content("||").is_err());
    }

    #[test]
    fn chop_slice() {
        let mut c = Content::new(b"abcdef".to_vec(), false);
        assert_eq!(c.fast_pattern_bytes(), b"abcdef");
        c.fast_pattern = Some(FastPatternOpt::Chop { offset: 1, len: 3 });
        assert_eq!(c.fast_pattern_bytes(), b"bcd");
        c.fast_pattern = Some(FastPatternOpt::Chop { offset: 5, len: 3 });
        assert_eq!(c.fast_pattern_bytes(), b"abcdef");
    }
}
