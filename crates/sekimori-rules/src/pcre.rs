//! `pcre:"/regex/flags"` with Suricata's extra flags (buffer selection, relative, rawbytes...).
//!
//! The regular expression itself is kept as text for the matcher to compile; here it is
//! checked structurally (delimiters, balanced groups and classes), not compiled.

use crate::buffer::Buffer;
use crate::error::{ErrorKind, ParseError, Result, invalid};
use serde::Serialize;

/// PCRE compile options selected by flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
pub struct PcreOptions {
    /// `i`
    pub caseless: bool,
    /// `m`
    pub multiline: bool,
    /// `s`
    pub dotall: bool,
    /// `x`
    pub extended: bool,
    /// `A`
    pub anchored: bool,
    /// `E`
    pub dollar_endonly: bool,
    /// `G`
    pub ungreedy: bool,
}

/// A parsed `pcre` keyword.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Pcre {
    /// The expression between the slashes.
    pub pattern: String,
    /// Compile options.
    pub options: PcreOptions,
    /// `!`: the expression must not match.
    pub negated: bool,
    /// `R`: match relative to the previous match.
    pub relative: bool,
    /// `B`: raw bytes (no effect in Suricata).
    pub rawbytes: bool,
    /// `O`: override the configured match limits.
    pub match_limit: bool,
    /// Buffer selected by a flag (`U`, `I`, `P`, `Q`, `H`, `D`, `M`, `C`, `S`, `Y`, `V`, `W`, `Z`).
    pub flag_buffer: Option<Buffer>,
    /// Named captures stored into variables: (`flow`|`pkt`, variable name).
    pub captures: Vec<(String, String)>,
}

const KW: &str = "pcre";

/// Find the closing `/`: the last slash not escaped by a single backslash.
fn closing_slash(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut found = None;
    for i in 1..b.len() {
        if b.get(i) != Some(&b'/') {
            continue;
        }
        let p1 = b.get(i - 1).copied();
        let p2 = if i >= 2 { b.get(i - 2).copied() } else { None };
        if p1 == Some(b'\\') && p2 != Some(b'\\') {
            continue;
        }
        found = Some(i);
    }
    found
}

/// Structural check of a regex: balanced `(...)` and closed `[...]`, no dangling `\`.
fn check_regex(re: &str) -> std::result::Result<(), String> {
    let b = re.as_bytes();
    let mut depth: i32 = 0;
    let mut i = 0;
    let mut in_class = false;
    while i < b.len() {
        let c = b.get(i).copied().unwrap_or(0);
        match c {
            b'\\' => {
                if i + 1 >= b.len() {
                    return Err("\\ at end of pattern".into());
                }
                // \Q...\E quotes everything up to \E
                if b.get(i + 1) == Some(&b'Q') {
                    let rest = re.get(i + 2..).unwrap_or("");
                    match rest.find("\\E") {
                        Some(p) => i += 2 + p + 2,
                        None => i = b.len(),
                    }
                    continue;
                }
                i += 2;
                continue;
            }
            b'[' if !in_class => {
                in_class = true;
                // a ']' right after '[' or '[^' is literal
                if b.get(i + 1) == Some(&b'^') {
                    i += 1;
                }
                if b.get(i + 1) == Some(&b']') {
                    i += 1;
                }
            }
            b'[' if in_class => {
                // POSIX class [:alpha:]
                if b.get(i + 1) == Some(&b':')
                    && let Some(p) = re.get(i + 2..).and_then(|r| r.find(":]"))
                {
                    i += 2 + p + 2;
                    continue;
                }
            }
            b']' if in_class => in_class = false,
            b'(' if !in_class => depth += 1,
            b')' if !in_class => {
                depth -= 1;
                if depth < 0 {
                    return Err("unmatched closing parenthesis".into());
                }
            }
            _ => {}
        }
        i += 1;
    }
    if in_class {
        return Err("missing terminating ] for character class".into());
    }
    if depth != 0 {
        return Err("missing closing parenthesis".into());
    }
    Ok(())
}

/// True if the expression has an uppercase letter that is not part of an escape (Suricata's check for `W`).
fn has_uppercase(re: &str) -> bool {
    let mut meta = false;
    for c in re.chars() {
        if meta {
            meta = false;
        } else if c == '\\' {
            meta = true;
        } else if c.is_ascii_uppercase() {
            return true;
        }
    }
    false
}

/// Parse a pcre value (quotes and `!` already removed by the option layer).
pub fn parse_pcre(value: &str, negated: bool) -> Result<Pcre> {
    let mut s = value.trim();
    // trailing ", flow:name" / ", pkt:name" capture variable lists
    let mut var_names: Vec<(String, String)> = Vec::new();
    let cut = [s.find("flow:"), s.find("pkt:")]
        .into_iter()
        .flatten()
        .min();
    if let Some(cut) = cut {
        let head = s.get(..cut).unwrap_or("");
        let trimmed = head.trim_end_matches([',', ' ']);
        if trimmed.len() < head.len() && closing_slash(trimmed).is_some() {
            for v in s.get(cut..).unwrap_or("").trim_end_matches('"').split(',') {
                let v = v.trim();
                if let Some((scope, name)) = v.split_once(':') {
                    if scope != "flow" && scope != "pkt" {
                        return Err(invalid(KW, format!("invalid capture variable \"{v}\"")));
                    }
                    var_names.push((scope.to_string(), name.trim().to_string()));
                } else if !v.is_empty() {
                    return Err(invalid(KW, format!("invalid capture variable \"{v}\"")));
                }
            }
            s = trimmed;
        }
    }
    if !s.starts_with('/') {
        return Err(invalid(
            KW,
            format!("pcre must be of the form \"/expression/flags\": {s}"),
        ));
    }
    let end = closing_slash(s).ok_or_else(|| invalid(KW, "missing closing '/'"))?;
    let pattern = s.get(1..end).unwrap_or("");
    let flags = s.get(end + 1..).unwrap_or("");
    if flags.contains('"') {
        return Err(invalid(KW, "invalid flags"));
    }
    let mut p = Pcre {
        pattern: pattern.to_string(),
        options: PcreOptions::default(),
        negated,
        relative: false,
        rawbytes: false,
        match_limit: false,
        flag_buffer: None,
        captures: var_names,
    };
    let mut host_check = false;
    for f in flags.chars() {
        let sel = match f {
            'A' => {
                p.options.anchored = true;
                None
            }
            'E' => {
                p.options.dollar_endonly = true;
                None
            }
            'G' => {
                p.options.ungreedy = true;
                None
            }
            'i' => {
                p.options.caseless = true;
                None
            }
            'm' => {
                p.options.multiline = true;
                None
            }
            's' => {
                p.options.dotall = true;
                None
            }
            'x' => {
                p.options.extended = true;
                None
            }
            'O' => {
                p.match_limit = true;
                None
            }
            'R' => {
                p.relative = true;
                None
            }
            'B' => {
                if p.flag_buffer.is_some() {
                    return Err(ParseError::kw(
                        ErrorKind::Conflict,
                        KW,
                        "regex modifier 'B' inconsistent with chosen buffer",
                    ));
                }
                p.rawbytes = true;
                None
            }
            'U' => Some(Buffer::HttpUri),
            'V' => Some(Buffer::HttpUserAgent),
            'W' => {
                host_check = true;
                Some(Buffer::HttpHost)
            }
            'Z' => Some(Buffer::HttpHostRaw),
            'H' => Some(Buffer::HttpHeader),
            'I' => Some(Buffer::HttpUriRaw),
            'D' => Some(Buffer::HttpHeaderRaw),
            'M' => Some(Buffer::HttpMethod),
            'C' => Some(Buffer::HttpCookie),
            'P' => Some(Buffer::HttpRequestBody),
            'Q' => Some(Buffer::FileData),
            'Y' => Some(Buffer::HttpStatMsg),
            'S' => Some(Buffer::HttpStatCode),
            ' ' => None,
            o => return Err(invalid(KW, format!("unknown regex modifier '{o}'"))),
        };
        if let Some(b) = sel {
            if p.rawbytes && !matches!(f, 'D' | 'P' | 'Q' | 'Y' | 'S') {
                return Err(ParseError::kw(
                    ErrorKind::Conflict,
                    KW,
                    format!("regex modifier '{f}' inconsistent with 'B'"),
                ));
            }
            if p.flag_buffer.is_some() {
                return Err(ParseError::kw(
                    ErrorKind::Conflict,
                    KW,
                    "only one pcre option to specify a buffer type is allowed",
                ));
            }
            p.flag_buffer = Some(b);
        }
    }
    if host_check && !p.options.caseless && has_uppercase(&p.pattern) {
        return Err(invalid(
            KW,
            "pcre host (\"W\") has an uppercase character; the host buffer is lowercase",
        ));
    }
    if let Err(e) = check_regex(&p.pattern) {
        return Err(invalid(
            KW,
            format!("regex \"{}\" does not compile: {e}", p.pattern),
        ));
    }
    // named captures (?P<flow_x>...) / (?P<pkt_x>...)
    let mut rest = p.pattern.as_str();
    while let Some(pos) = rest.find("(?P<") {
        let after = rest.get(pos + 4..).unwrap_or("");
        if let Some(end) = after.find('>') {
            let name = after.get(..end).unwrap_or("");
            if let Some((scope, var)) = name.split_once('_')
                && (scope == "flow" || scope == "pkt")
            {
                p.captures.push((scope.to_string(), var.to_string()));
            }
        }
        rest = after;
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic() {
        let p = parse_pcre(r"/^\/foo\/bar[a-z]{2}/Ui", false).unwrap();
        assert_eq!(p.pattern, r"^\/foo\/bar[a-z]{2}");
        assert!(p.options.caseless);
        assert_eq!(p.flag_buffer, Some(Buffer::HttpUri));
        let p = parse_pcre("/a/smiR", true).unwrap();
        assert!(p.negated && p.relative && p.options.dotall && p.options.multiline);
        assert_eq!(p.flag_buffer, None);
        let p = parse_pcre(r"/a\\/", false).unwrap();
        assert_eq!(p.pattern, r"a\\");
    }

    #[test]
    fn all_suricata_flags() {
        for (f, b) in [
            ('U', Buffer::HttpUri),
            ('I', Buffer::HttpUriRaw),
            ('P', Buffer::HttpRequestBody),
            ('Q', Buffer::FileData),
            ('H', Buffer::HttpHeader),
            ('D', Buffer::HttpHeaderRaw),
            ('M', Buffer::HttpMethod),
            ('C', Buffer::HttpCookie),
            ('S', Buffer::HttpStatCode),
            ('Y', Buffer::HttpStatMsg),
            ('V', Buffer::HttpUserAgent),
            ('W', Buffer::HttpHost),
            ('Z', Buffer::HttpHostRaw),
        ] {
            assert_eq!(
                parse_pcre(&format!("/a/{f}"), false).unwrap().flag_buffer,
                Some(b),
                "{f}"
            );
        }
        let p = parse_pcre("/a/AEGOBx", false).unwrap();
        assert!(
            p.options.anchored
                && p.options.dollar_endonly
                && p.options.ungreedy
                && p.match_limit
                && p.rawbytes
                && p.options.extended
        );
    }

    #[test]
    fn errors() {
        assert!(parse_pcre("/a/UP", false).is_err());
        assert!(parse_pcre("/a/BU", false).is_err());
        assert!(parse_pcre("/a/UB", false).is_err());
        assert!(parse_pcre("/a/K", false).is_err());
        assert!(parse_pcre("a/i", false).is_err());
        assert!(parse_pcre("/a", false).is_err());
        assert!(parse_pcre("/(a/", false).is_err());
        assert!(parse_pcre("/[a/", false).is_err());
        assert!(parse_pcre("/a)/", false).is_err());
        assert!(parse_pcre("/Host/W", false).is_err());
        assert!(parse_pcre("/Host/Wi", false).is_ok());
        assert!(parse_pcre(r"/\x41\d/W", false).is_ok());
    }

    #[test]
    fn regex_structure() {
        assert!(check_regex(r"[]a]").is_ok());
        assert!(check_regex(r"[^]a]").is_ok());
        assert!(check_regex(r"[[:alpha:]]+").is_ok());
        assert!(check_regex(r"\Q(\E").is_ok());
        assert!(check_regex(r"(?:a|b)\)").is_ok());
        assert!(check_regex("a\\").is_err());
    }

    #[test]
    fn captures() {
        let p = parse_pcre("/(?P<flow_ua>.*)/", false).unwrap();
        assert_eq!(p.captures, vec![("flow".to_string(), "ua".to_string())]);
        let p = parse_pcre("/(.*)/, flow:ua", false).unwrap();
        assert_eq!(p.captures, vec![("flow".to_string(), "ua".to_string())]);
        assert_eq!(p.pattern, "(.*)");
    }
}
