//! Lexing: splitting a rule into its header fields and its option list, with Suricata's
//! escaping rules (`\;` does not end an option; quotes do not protect `;`).
//!
//! Hand-written on purpose: the rule grammar is Suricata's own (not a general format any
//! parser crate implements), and its quirks (only `\;` escapes the terminator, list fields
//! split on spaces outside brackets) have to be reproduced exactly.

use crate::error::{ErrorKind, ParseError, Result};

/// Longest rule Suricata accepts (its line buffer is 8192 bytes including the NUL).
pub const MAX_RULE_LEN: usize = 8191;

/// The seven header fields and the raw option text of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawRule<'a> {
    /// Action token (`alert`, `drop`, ...).
    pub action: &'a str,
    /// Protocol token.
    pub protocol: &'a str,
    /// Source address field.
    pub src: &'a str,
    /// Source port field.
    pub src_port: &'a str,
    /// Direction token.
    pub direction: &'a str,
    /// Destination address field.
    pub dst: &'a str,
    /// Destination port field.
    pub dst_port: &'a str,
    /// Option text between the parentheses (outer parentheses and spaces trimmed).
    pub options: &'a str,
}

/// One `name[:value];` item of the option list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawOption<'a> {
    /// Keyword name as written (trailing blanks trimmed).
    pub name: &'a str,
    /// Text after the first `:` with trailing blanks trimmed, if there was a `:`.
    pub value: Option<&'a str>,
}

/// Reject control characters (other than TAB, LF, CR) and DEL, as Suricata does.
pub fn check_text(text: &str) -> Result<()> {
    if text.len() > MAX_RULE_LEN {
        return Err(ParseError::new(
            ErrorKind::Encoding,
            format!(
                "rule is {} bytes long, longer than Suricata's limit of {MAX_RULE_LEN}",
                text.len()
            ),
        ));
    }
    for b in text.bytes() {
        if (b < 0x20 && b != b'\n' && b != b'\r' && b != b'\t') || b == 0x7f {
            return Err(ParseError::new(
                ErrorKind::Encoding,
                format!("rule contains invalid (control) character 0x{b:02x}"),
            ));
        }
    }
    Ok(())
}

/// Next whitespace-separated token.
fn token<'a>(s: &mut &'a str) -> &'a str {
    let t = s.trim_start_matches([' ', '\t']);
    let end = t
        .bytes()
        .position(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(t.len());
    let (tok, rest) = t.split_at(end);
    *s = rest.get(1..).unwrap_or("");
    tok
}

/// Next list field: ends at a space outside brackets. `None` when no space follows.
fn list_field<'a>(s: &mut &'a str) -> Option<&'a str> {
    let t = s.trim_start_matches([' ', '\t']);
    let mut depth: i32 = 0;
    for (i, c) in t.bytes().enumerate() {
        match c {
            b'[' => depth += 1,
            b']' => depth -= 1,
            b' ' if depth <= 0 => {
                let field = t.get(..i)?;
                *s = t.get(i + 1..).unwrap_or("");
                return Some(field);
            }
            _ => {}
        }
    }
    None
}

/// Split a rule into header fields and options.
pub fn split_rule(text: &str) -> Result<RawRule<'_>> {
    check_text(text)?;
    let mut s = text;
    let action = token(&mut s);
    let missing = |what: &str| {
        ParseError::kw(
            ErrorKind::Syntax,
            what,
            format!("rule header is incomplete: no {what} field"),
        )
    };
    let protocol = list_field(&mut s).ok_or_else(|| missing("protocol"))?;
    let src = list_field(&mut s).ok_or_else(|| missing("src"))?;
    let src_port = list_field(&mut s).ok_or_else(|| missing("sp"))?;
    let direction = token(&mut s);
    let dst = list_field(&mut s).ok_or_else(|| missing("dst"))?;
    let dst_port = list_field(&mut s).ok_or_else(|| missing("dp"))?;
    let opts = s.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '(');
    let opts = opts.trim_end_matches(|c: char| c.is_ascii_whitespace() || c == ')');
    if action.is_empty() {
        return Err(ParseError::kw(ErrorKind::Syntax, "action", "empty rule"));
    }
    Ok(RawRule {
        action,
        protocol,
        src,
        src_port,
        direction,
        dst,
        dst_port,
        options: opts,
    })
}

/// Iterator over the options of a rule, in order.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    rest: &'a str,
    failed: bool,
}

impl<'a> Options<'a> {
    /// Iterate the option text of a rule (as in [`RawRule::options`]).
    pub fn new(options: &'a str) -> Self {
        Options {
            rest: options,
            failed: false,
        }
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = Result<RawOption<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let s = self.rest.trim_start_matches([' ', '\t']);
        if self.rest.is_empty() {
            return None;
        }
        // Find the first ';' that is not directly preceded by a backslash.
        let bytes = s.as_bytes();
        let mut end = None;
        for (i, &c) in bytes.iter().enumerate() {
            if c == b';' && !(i > 0 && bytes.get(i - 1) == Some(&b'\\')) {
                end = Some(i);
                break;
            }
        }
        let Some(end) = end else {
            self.failed = true;
            let shown: String = s.chars().take(60).collect();
            return Some(Err(ParseError::new(
                ErrorKind::Syntax,
                format!("no terminating \";\" found (at \"{shown}\")"),
            )));
        };
        let item = s.get(..end).unwrap_or("");
        self.rest = s.get(end + 1..).unwrap_or("");
        let (name, value) = match item.find(':') {
            Some(p) => {
                let v = item.get(p + 1..).unwrap_or("");
                (
                    item.get(..p).unwrap_or(""),
                    Some(v.trim_end_matches([' ', '\t'])),
                )
            }
            None => (item, None),
        };
        let name = name.trim_end_matches([' ', '\t']);
        Some(Ok(RawOption { name, value }))
    }
}

/// How a keyword's value is quoted / negated (Suricata's SIGMATCH_* flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ValueRules {
    /// The keyword takes no value (`SIGMATCH_NOOPT`).
    pub no_value: bool,
    /// The value may be absent (`SIGMATCH_OPTIONAL_OPT`).
    pub optional: bool,
    /// Value must be in double quotes.
    pub quotes_mandatory: bool,
    /// Value may be in double quotes.
    pub quotes_optional: bool,
    /// A leading `!` negates the keyword.
    pub negation: bool,
}

impl ValueRules {
    pub(crate) const PLAIN: ValueRules = ValueRules {
        no_value: false,
        optional: false,
        quotes_mandatory: false,
        quotes_optional: false,
        negation: false,
    };
    pub(crate) const NOOPT: ValueRules = ValueRules {
        no_value: true,
        ..Self::PLAIN
    };
    pub(crate) const OPTIONAL: ValueRules = ValueRules {
        optional: true,
        ..Self::PLAIN
    };
    pub(crate) const QUOTED: ValueRules = ValueRules {
        quotes_mandatory: true,
        ..Self::PLAIN
    };
    pub(crate) const QUOTED_NEG: ValueRules = ValueRules {
        quotes_mandatory: true,
        negation: true,
        ..Self::PLAIN
    };
    pub(crate) const OPTQUOTE: ValueRules = ValueRules {
        quotes_optional: true,
        ..Self::PLAIN
    };
    pub(crate) const OPTQUOTE_NEG: ValueRules = ValueRules {
        quotes_optional: true,
        negation: true,
        ..Self::PLAIN
    };
}

/// A keyword value after Suricata's generic quoting/negation handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Value<'a> {
    /// The value with surrounding blanks, negation and quotes removed; `None` when absent.
    pub text: Option<&'a str>,
    /// A leading `!` was present (only for keywords that handle negation).
    pub negated: bool,
}

/// Apply Suricata's generic value checks (SigParseOptions) for a keyword.
pub(crate) fn prepare_value<'a>(
    name: &str,
    value: Option<&'a str>,
    rules: ValueRules,
) -> Result<Value<'a>> {
    let value = value.filter(|v| !v.is_empty());
    if rules.no_value {
        if value.is_some() {
            return Err(ParseError::kw(
                ErrorKind::UnexpectedValue,
                name,
                "keyword takes no value",
            ));
        }
        return Ok(Value {
            text: None,
            negated: false,
        });
    }
    let Some(v) = value else {
        if rules.optional {
            return Ok(Value {
                text: None,
                negated: false,
            });
        }
        return Err(ParseError::kw(
            ErrorKind::MissingValue,
            name,
            "keyword needs a value",
        ));
    };
    let mut p = v.trim_start_matches([' ', '\t']);
    if p.is_empty() {
        return Err(ParseError::kw(
            ErrorKind::MissingValue,
            name,
            "keyword needs a value",
        ));
    }
    let mut negated = false;
    if rules.negation && p.starts_with('!') {
        negated = true;
        p = p.get(1..).unwrap_or("").trim_start_matches([' ', '\t']);
        if p.is_empty() {
            return Err(ParseError::kw(
                ErrorKind::MissingValue,
                name,
                "nothing after '!'",
            ));
        }
    }
    if rules.quotes_mandatory && !p.starts_with('"') {
        return Err(ParseError::kw(
            ErrorKind::Syntax,
            name,
            "value must be double quoted",
        ));
    }
    if (rules.quotes_mandatory || rules.quotes_optional) && p.starts_with('"') {
        let t = p.trim_end_matches([' ', '\t']);
        if !t.ends_with('"') {
            return Err(ParseError::kw(
                ErrorKind::Syntax,
                name,
                "bad option value formatting (possible missing semicolon)",
            ));
        }
        let inner = if t.len() > 1 {
            t.get(1..t.len() - 1).unwrap_or("")
        } else {
            t
        };
        if inner.is_empty() {
            return Err(ParseError::kw(
                ErrorKind::InvalidValue,
                name,
                "empty quoted value",
            ));
        }
        return Ok(Value {
            text: Some(inner),
            negated,
        });
    }
    if p.starts_with('"') {
        return Err(ParseError::kw(
            ErrorKind::Syntax,
            name,
            "keyword does not take a quoted value",
        ));
    }
    Ok(Value {
        text: Some(p),
        negated,
    })
}

/// Remove backslash escapes the way Suricata's `msg` does (a backslash takes the next character literally).
pub fn unescape_lenient(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut esc = false;
    for c in s.chars() {
        if !esc && c == '\\' {
            esc = true;
        } else {
            esc = false;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_header_and_options() {
        let r = split_rule(
            "alert tcp [1.2.3.4, 5.6.7.8] any -> $HOME_NET [80,443] (msg:\"x\"; sid:1;)",
        )
        .unwrap();
        assert_eq!(r.action, "alert");
        assert_eq!(r.protocol, "tcp");
        assert_eq!(r.src, "[1.2.3.4, 5.6.7.8]");
        assert_eq!(r.src_port, "any");
        assert_eq!(r.direction, "->");
        assert_eq!(r.dst, "$HOME_NET");
        assert_eq!(r.dst_port, "[80,443]");
        assert_eq!(r.options, "msg:\"x\"; sid:1;");
    }

    #[test]
    fn incomplete_header_is_error() {
        let e = split_rule("alert tcp any any ->").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Syntax);
        assert!(split_rule("").is_err());
    }

    #[test]
    fn control_chars_rejected() {
        assert_eq!(
            split_rule("alert tcp any any -> any any (msg:\"\u{1}\"; sid:1;)")
                .unwrap_err()
                .kind,
            ErrorKind::Encoding
        );
        let long = format!(
            "alert tcp any any -> any any (msg:\"{}\"; sid:1;)",
            "a".repeat(9000)
        );
        assert_eq!(split_rule(&long).unwrap_err().kind, ErrorKind::Encoding);
    }

    #[test]
    fn options_escaped_semicolon() {
        let v: Vec<_> = Options::new(r#"content:"a\;b"; nocase; msg:"x:y";"#)
            .map(|o| o.unwrap())
            .collect();
        assert_eq!(v.len(), 3);
        assert_eq!(
            v[0],
            RawOption {
                name: "content",
                value: Some(r#""a\;b""#)
            }
        );
        assert_eq!(
            v[1],
            RawOption {
                name: "nocase",
                value: None
            }
        );
        assert_eq!(v[2].value, Some("\"x:y\""));
    }

    #[test]
    fn options_quotes_do_not_protect_semicolon() {
        let v: Vec<_> = Options::new(r#"content:"a;b"; sid:1;"#).collect();
        assert_eq!(v[0].as_ref().unwrap().value, Some("\"a"));
        assert_eq!(v[1].as_ref().unwrap().name, "b\"");
    }

    #[test]
    fn missing_terminator() {
        let v: Vec<_> = Options::new("sid:1; rev:2").collect();
        assert!(v[0].is_ok());
        assert_eq!(v[1].as_ref().unwrap_err().kind, ErrorKind::Syntax);
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn value_rules() {
        let v = prepare_value("content", Some(" !\"abc\" "), ValueRules::QUOTED_NEG).unwrap();
        assert_eq!(
            v,
            Value {
                text: Some("abc"),
                negated: true
            }
        );
        assert_eq!(
            prepare_value("content", Some("abc"), ValueRules::QUOTED_NEG)
                .unwrap_err()
                .kind,
            ErrorKind::Syntax
        );
        assert_eq!(
            prepare_value("content", Some("\"abc"), ValueRules::QUOTED_NEG)
                .unwrap_err()
                .kind,
            ErrorKind::Syntax
        );
        assert_eq!(
            prepare_value("nocase", Some("x"), ValueRules::NOOPT)
                .unwrap_err()
                .kind,
            ErrorKind::UnexpectedValue
        );
        assert_eq!(
            prepare_value("sid", None, ValueRules::PLAIN)
                .unwrap_err()
                .kind,
            ErrorKind::MissingValue
        );
        assert_eq!(
            prepare_value("sid", Some("\"1\""), ValueRules::PLAIN)
                .unwrap_err()
                .kind,
            ErrorKind::Syntax
        );
        assert_eq!(
            prepare_value("fast_pattern", None, ValueRules::OPTIONAL)
                .unwrap()
                .text,
            None
        );
        assert_eq!(
            prepare_value("pcre", Some("/a/"), ValueRules::OPTQUOTE_NEG)
                .unwrap()
                .text,
            Some("/a/")
        );
    }

    #[test]
    fn lenient_unescape() {
        assert_eq!(unescape_lenient(r#"a\;b\"c\\d"#), r#"a;b"c\d"#);
    }
}
