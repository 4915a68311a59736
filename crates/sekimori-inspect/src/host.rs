//! Host names for the mail checks: URL host extraction, "is this visible text a URL or host
//! name", IP literals, punycode decoding (RFC 3492, hand-rolled: the decoder is 40 lines and
//! the `idna` crate would bring Unicode tables this check does not need), look-alike
//! skeletons, and the organisational domain (registrable part) by a small suffix heuristic.

use std::net::{IpAddr, Ipv4Addr};

/// Second-level labels under a two-letter country code that are public suffixes themselves
/// (`co.jp`, `go.jp`, `ac.uk`, `com.au`, ...).
const SLD: &[&str] = &[
    "co", "go", "ne", "or", "ac", "ad", "ed", "gr", "lg", "com", "net", "org", "gov", "edu", "mil",
    "nic", "ltd", "plc", "gob", "nom", "sch", "info", "biz",
];

/// Lower-cases and strips a trailing dot and a `www.` prefix.
pub(crate) fn norm(host: &str) -> String {
    let h = host.trim().trim_end_matches('.').to_lowercase();
    match h.strip_prefix("www.") {
        Some(r) if r.contains('.') => r.to_owned(),
        _ => h,
    }
}

/// The organisational domain: the last two labels, or three under a country-code second
/// level (`mail.nenkin.go.jp` → `nenkin.go.jp`). IP literals are returned whole.
pub(crate) fn org_domain(host: &str) -> String {
    let h = norm(host);
    if parse_ip(&h).is_some() {
        return h;
    }
    let labels: Vec<&str> = h.split('.').filter(|l| !l.is_empty()).collect();
    let n = labels.len();
    let keep = if n >= 3
        && labels.last().is_some_and(|t| t.len() == 2)
        && labels.get(n - 2).is_some_and(|s| SLD.contains(s))
    {
        3
    } else {
        2
    };
    labels[n.saturating_sub(keep)..].join(".")
}

/// The organisation label: the first label of the organisational domain (`nenkin`).
pub(crate) fn org_label(host: &str) -> String {
    org_domain(host)
        .split('.')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// An IP literal host: dotted IPv4, bracketed or bare IPv6, or the integer / hex forms
/// browsers accept (`http://3232235777/`, `http://0xc0a80001/`).
pub(crate) fn parse_ip(h: &str) -> Option<IpAddr> {
    let h = h.trim_end_matches('.');
    let inner = h
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(h);
    if let Ok(ip) = inner.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(hex) = h.strip_prefix("0x").or_else(|| h.strip_prefix("0X")) {
        return u32::from_str_radix(hex, 16)
            .ok()
            .map(|v| IpAddr::V4(Ipv4Addr::from(v)));
    }
    if !h.is_empty() && h.len() <= 10 && h.bytes().all(|c| c.is_ascii_digit()) {
        return h.parse::<u32>().ok().map(|v| IpAddr::V4(Ipv4Addr::from(v)));
    }
    None
}

/// The host of an absolute URL (`scheme://[user@]host[:port]/...` or `//host/...`),
/// lower-cased. `None` for relative, `mailto:`, `tel:`, `javascript:` and other non-network
/// references.
pub(crate) fn url_host(url: &str) -> Option<String> {
    let u = url.trim();
    let rest = if let Some(r) = u.strip_prefix("//") {
        r
    } else {
        let colon = u.find("://")?;
        let scheme = u.get(..colon)?;
        if scheme.is_empty()
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            return None;
        }
        u.get(colon + 3..)?
    };
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let auth = rest.get(..end)?;
    // Userinfo is before the last `@` (`http://bank.example@evil.example/`).
    let hostport = auth.rsplit('@').next().unwrap_or(auth);
    let host = if hostport.starts_with('[') {
        hostport.get(..hostport.find(']')? + 1)?
    } else {
        hostport.rsplit_once(':').map_or(hostport, |(h, _)| h)
    };
    let host = host.trim_end_matches('.');
    if host.is_empty() {
        return None;
    }
    Some(host.to_lowercase())
}

/// The host named by link text that is a URL or a bare host name (`www.example.co.jp`,
/// `example.com/login`, `https://...`). Text with spaces, without a dot, or whose last label
/// is not alphabetic is not a host; neither are e-mail addresses or file names like `a.pdf`.
pub(crate) fn text_host(text: &str) -> Option<String> {
    let t = text
        .trim_matches(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    '<' | '>' | '"' | '\'' | '(' | ')' | '[' | ']' | '\u{3000}'
                )
        })
        .trim_end_matches(['.', ',', ';', ':', '!']);
    if t.is_empty() || t.chars().any(char::is_whitespace) {
        return None;
    }
    if t.contains("://") || t.starts_with("//") {
        return url_host(t);
    }
    let end = t.find(['/', '?', '#']).unwrap_or(t.len());
    let hostport = t.get(..end)?;
    if hostport.contains('@') {
        return None;
    }
    let host = hostport
        .rsplit_once(':')
        .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
        .map_or(hostport, |(h, _)| h);
    if parse_ip(host).is_some() && host.contains('.') {
        return Some(host.to_lowercase());
    }
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || l.len() > 63) {
        return None;
    }
    if !labels
        .iter()
        .all(|l| l.chars().all(|c| c.is_alphanumeric() || c == '-'))
    {
        return None;
    }
    let tld = labels.last()?.to_lowercase();
    let www = host.to_lowercase().starts_with("www.");
    if !(tld.starts_with("xn--")
        || (tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic)))
    {
        return None;
    }
    // Last labels that are far more often file extensions than top-level domains.
    const FILE_EXT: &[&str] = &[
        "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "exe", "zip", "rar", "jpg",
        "jpeg", "png", "gif", "htm", "html", "php", "asp", "aspx", "jsp", "js", "css", "mov",
        "mp3", "mp4", "csv", "xml", "json", "lnk", "scr", "bat", "cmd", "js", "vbs", "msi",
    ];
    if FILE_EXT.contains(&tld.as_str()) && !www {
        return None;
    }
    Some(host.to_lowercase())
}

/// Decodes one punycode label body (after `xn--`). `None` when invalid.
fn punycode(input: &str) -> Option<String> {
    const BASE: u32 = 36;
    let (basic, ext) = match input.rfind('-') {
        Some(i) => (input.get(..i)?, input.get(i + 1..)?),
        None => ("", input),
    };
    if !basic.is_ascii() {
        return None;
    }
    let mut out: Vec<char> = basic.chars().collect();
    let (mut n, mut i, mut bias) = (128u32, 0u32, 72u32);
    let mut it = ext.bytes().peekable();
    while it.peek().is_some() {
        let old = i;
        let mut w = 1u32;
        let mut k = BASE;
        loop {
            let c = it.next()?;
            let d = match c {
                b'a'..=b'z' => u32::from(c - b'a'),
                b'A'..=b'Z' => u32::from(c - b'A'),
                b'0'..=b'9' => u32::from(c - b'0') + 26,
                _ => return None,
            };
            i = i.checked_add(d.checked_mul(w)?)?;
            let t = if k <= bias {
                1
            } else if k >= bias + 26 {
                26
            } else {
                k - bias
            };
            if d < t {
                break;
            }
            w = w.checked_mul(BASE - t)?;
            k = k.checked_add(BASE)?;
        }
        let len = u32::try_from(out.len()).ok()? + 1;
        // Bias adaptation (RFC 3492 section 6.1).
        let mut delta = if old == 0 {
            (i - old) / 700
        } else {
            (i - old) / 2
        };
        delta += delta / len;
        let mut k2 = 0;
        while delta > ((BASE - 1) * 26) / 2 {
            delta /= BASE - 1;
            k2 += BASE;
        }
        bias = k2 + (BASE * delta) / (delta + 38);
        n = n.checked_add(i / len)?;
        i %= len;
        let ch = char::from_u32(n)?;
        if out.len() >= 63 {
            return None;
        }
        out.insert(usize::try_from(i).ok()?, ch);
        i += 1;
    }
    Some(out.into_iter().collect())
}

/// The Unicode form of a host: `xn--` labels decoded (left as they are when invalid).
pub(crate) fn to_unicode(host: &str) -> String {
    host.split('.')
        .map(|l| {
            l.strip_prefix("xn--")
                .and_then(punycode)
                .unwrap_or_else(|| l.to_owned())
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Maps a character to the ASCII letter it looks like (Cyrillic, Greek, full-width forms).
fn confusable(c: char) -> Option<char> {
    Some(match c {
        'а' | 'α' => 'a',
        'Ь' | 'Ƅ' | 'ь' => 'b',
        'с' | 'ϲ' | 'С' => 'c',
        'ԁ' => 'd',
        'е' | 'ε' | 'Е' => 'e',
        'һ' => 'h',
        'і' | 'ι' | 'І' | 'ı' => 'i',
        'ј' => 'j',
        'κ' | 'К' | 'к' => 'k',
        'ӏ' | 'Ӏ' => 'l',
        'М' | 'м' => 'm',
        'η' | 'п' => 'n',
        'о' | 'ο' | 'О' | 'Ο' | 'օ' => 'o',
        'р' | 'ρ' | 'Р' => 'p',
        'ԛ' => 'q',
        'ѕ' | 'Ѕ' => 's',
        'т' | 'τ' | 'Т' => 't',
        'υ' | 'ս' => 'u',
        'ν' | 'ѵ' => 'v',
        'ԝ' | 'ω' => 'w',
        'х' | 'χ' | 'Х' => 'x',
        'у' | 'γ' | 'У' => 'y',
        'Ζ' => 'z',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0)?.to_ascii_lowercase(),
        _ => return None,
    })
}

/// Contains a character that imitates an ASCII letter.
pub(crate) fn has_confusable(s: &str) -> bool {
    s.chars().any(|c| !c.is_ascii() && confusable(c).is_some())
}

/// A look-alike skeleton: confusable characters mapped to ASCII, then `rn`→`m`, `vv`→`w`,
/// `0`→`o`, `1`/`i`/`I`→`l`, `5`→`s`, lower case. Two hosts with the same skeleton look alike.
pub(crate) fn skeleton(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if c == 'I' { 'l' } else { c };
        let c = confusable(c).unwrap_or(c).to_ascii_lowercase();
        let c = match c {
            '0' => 'o',
            '1' | 'i' | '|' => 'l',
            '5' => 's',
            _ => c,
        };
        out.push(c);
    }
    out.replace("rn", "m").replace("vv", "w").replace("cl", "d")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_urls() {
        assert_eq!(
            url_host("https://WWW.Example.co.jp/a?b").as_deref(),
            Some("www.example.co.jp")
        );
        assert_eq!(
            url_host("http://user:pw@evil.example:8080/x").as_deref(),
            Some("evil.example")
        );
        assert_eq!(
            url_host("http://bank.example@203.0.113.5/").as_deref(),
            Some("203.0.113.5")
        );
        assert_eq!(
            url_host("//cdn.example.net/x").as_deref(),
            Some("cdn.example.net")
        );
        assert_eq!(
            url_host("http://[2001:db8::1]:80/").as_deref(),
            Some("[2001:db8::1]")
        );
        for r in [
            "/relative/path",
            "mailto:a@b.example",
            "tel:+81",
            "#top",
            "javascript:go()",
            "",
            "http://",
        ] {
            assert_eq!(url_host(r), None, "{r}");
        }
    }

    #[test]
    fn text_that_names_a_host() {
        assert_eq!(
            text_host("https://www.paypal.com/login").as_deref(),
            Some("www.paypal.com")
        );
        assert_eq!(
            text_host(" www.nenkin.go.jp ").as_deref(),
            Some("www.nenkin.go.jp")
        );
        assert_eq!(
            text_host("example.com/path").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            text_host("<http://a.example/>").as_deref(),
            Some("a.example")
        );
        assert_eq!(text_host("203.0.113.9").as_deref(), Some("203.0.113.9"));
        assert_eq!(text_host("пример.рф").as_deref(), Some("пример.рф"));
        for t in [
            "こちら",
            "click here",
            "詳細はこちら",
            "report.pdf",
            "v1.2",
            "a@b.example",
            "",
            "日本年金機構.",
            "Version 3.0 notes",
        ] {
            assert_eq!(text_host(t), None, "{t}");
        }
    }

    #[test]
    fn ips_and_domains() {
        assert!(parse_ip("203.0.113.5").is_some());
        assert!(parse_ip("3232235777").is_some());
        assert!(parse_ip("0xc0a80001").is_some());
        assert!(parse_ip("[::1]").is_some());
        assert!(parse_ip("example.com").is_none());
        assert_eq!(org_domain("mail.nenkin.go.jp"), "nenkin.go.jp");
        assert_eq!(org_domain("WWW.Example.COM."), "example.com");
        assert_eq!(org_domain("a.b.example.co.uk"), "example.co.uk");
        assert_eq!(org_domain("localhost"), "localhost");
        assert_eq!(org_label("nenkin.go.jp"), "nenkin");
        assert_eq!(norm("www.Example.com."), "example.com");
    }

    #[test]
    fn punycode_and_lookalikes() {
        assert_eq!(to_unicode("xn--e1afmkfd.xn--p1ai"), "пример.рф");
        assert_eq!(to_unicode("xn--wgv71a119e.jp"), "日本語.jp");
        assert_eq!(to_unicode("xn--pple-43d.com"), "аpple.com");
        assert_eq!(to_unicode("xn--!!!.com"), "xn--!!!.com");
        assert!(has_confusable("аpple.com"));
        assert!(!has_confusable("日本語.jp"));
        assert_eq!(skeleton("аpple.com"), skeleton("apple.com"));
        assert_eq!(skeleton("rnicrosoft.com"), skeleton("microsoft.com"));
        assert_eq!(skeleton("g00gle.com"), skeleton("google.com"));
        assert_eq!(skeleton("paypa1.com"), skeleton("paypal.com"));
        assert_eq!(skeleton("PaypaI.com"), skeleton("paypal.com"));
        assert_ne!(skeleton("example.com"), skeleton("example.org"));
        for s in [
            "xn--",
            "xn--a",
            "xn--zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
            "xn---",
            "xn--99999999999",
        ] {
            let _ = to_unicode(s);
        }
    }
}
