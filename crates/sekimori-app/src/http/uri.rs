//! Request URI parsing and normalisation, with the semantics of libhtp as Suricata configures it
//! (the `IDS` personality with lowercasing turned off), which is what `http.uri` inspects.
//!
//! Implemented (path only, in this order):
//! 1. percent-decoding of `%XX` (every byte, not only unreserved ones, as libhtp does); invalid
//!    escapes keep the `%`; `%uXXXX` is decoded (`%u00XX` → `XX`, full-width `%uFFxx` → ASCII,
//!    anything else → `?`); encoded separators (`%2f`, `%5c`) are decoded;
//! 2. backslashes become `/`, runs of `/` are compressed to one;
//! 3. UTF-8 sequences are converted to one byte each by best fit (code points below 256 map to
//!    themselves, full-width forms U+FF01–U+FF5E to ASCII, others to `?`; invalid UTF-8 → `?`;
//!    overlong forms are accepted, as in libhtp). libhtp's full Windows-1252 best-fit table is
//!    not included;
//! 4. dot segments are removed (RFC 3986 §5.2.4: `/./`, `/../`, trailing `/.` and `/..`).
//!
//! The query string is kept raw; the fragment is percent-decoded. Scheme and authority are not
//! part of the normalised URI (Suricata's `uri-include-all: no`); the host goes to
//! `http.host` instead.

/// The parts of a request URI (no validation, as libhtp's `htp_parse_uri`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UriParts<'a> {
    /// Scheme, when the URI does not start with `/` and has a colon.
    pub scheme: Option<&'a [u8]>,
    /// User name of the authority.
    pub username: Option<&'a [u8]>,
    /// Password of the authority.
    pub password: Option<&'a [u8]>,
    /// Host of the authority (brackets kept for IPv6).
    pub hostname: Option<&'a [u8]>,
    /// Port text of the authority.
    pub port: Option<&'a [u8]>,
    /// Path (possibly empty).
    pub path: &'a [u8],
    /// Query, without the `?`.
    pub query: Option<&'a [u8]>,
    /// Fragment, without the `#`.
    pub fragment: Option<&'a [u8]>,
}

fn sub(data: &[u8], a: usize, b: usize) -> &[u8] {
    data.get(a..b).unwrap_or(&[])
}

/// Splits a request URI into its parts.
pub fn parse_uri(input: &[u8]) -> UriParts<'_> {
    let mut u = UriParts::default();
    // Trailing spaces are not part of the URI.
    let mut len = input.len();
    while len > 0 && input.get(len - 1) == Some(&b' ') {
        len -= 1;
    }
    let data = sub(input, 0, len);
    if data.is_empty() {
        return u;
    }
    let mut pos = 0;
    if data.first() != Some(&b'/')
        && let Some(c) = memchr::memchr(b':', data)
    {
        u.scheme = Some(sub(data, 0, c));
        pos = c + 1;
    }
    if u.scheme.is_some()
        && data.get(pos) == Some(&b'/')
        && data.get(pos + 1) == Some(&b'/')
        && data.get(pos + 2).is_some_and(|&c| c != b'/')
    {
        let start = pos + 2;
        let mut end = start;
        while end < len && !matches!(data.get(end), Some(b'?' | b'/' | b'#')) {
            end += 1;
        }
        let auth = sub(data, start, end);
        let host_part = match memchr::memchr(b'@', auth) {
            Some(at) => {
                let cred = sub(auth, 0, at);
                match memchr::memchr(b':', cred) {
                    Some(c) => {
                        u.username = Some(sub(cred, 0, c));
                        u.password = Some(sub(cred, c + 1, cred.len()));
                    }
                    None => u.username = Some(cred),
                }
                sub(auth, at + 1, auth.len())
            }
            None => auth,
        };
        if host_part.first() == Some(&b'[') {
            match memchr::memchr(b']', host_part) {
                None => u.hostname = Some(host_part),
                Some(rb) => {
                    u.hostname = Some(sub(host_part, 0, rb + 1));
                    let rest = sub(host_part, rb + 1, host_part.len());
                    if let Some(c) = memchr::memchr(b':', rest) {
                        u.port = Some(sub(rest, c + 1, rest.len()));
                    }
                }
            }
        } else {
            match memchr::memchr(b':', host_part) {
                Some(c) => {
                    u.hostname = Some(sub(host_part, 0, c));
                    u.port = Some(sub(host_part, c + 1, host_part.len()));
                }
                None => u.hostname = Some(host_part),
            }
        }
        pos = end;
    }
    let start = pos;
    while pos < len && !matches!(data.get(pos), Some(b'?' | b'#')) {
        pos += 1;
    }
    u.path = sub(data, start, pos);
    if data.get(pos) == Some(&b'?') {
        let qs = pos + 1;
        pos = qs;
        while pos < len && data.get(pos) != Some(&b'#') {
            pos += 1;
        }
        u.query = Some(sub(data, qs, pos));
    }
    if data.get(pos) == Some(&b'#') {
        u.fragment = Some(sub(data, pos + 1, len));
    }
    u
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn hex2(a: u8, b: u8) -> Option<u8> {
    Some((hex(a)? << 4) | hex(b)?)
}

/// Decodes a `%uHHLL` pair the way libhtp's IDS personality does (best fit to one byte).
fn u_decode(hi: u8, lo: u8) -> u8 {
    if hi == 0 {
        lo
    } else if hi == 0xff && (0x01..=0x5e).contains(&lo) {
        lo + 0x20
    } else {
        b'?'
    }
}

/// Percent-decodes a path (step 1 and 2 of the module doc) into `out`.
fn decode_path(path: &[u8], out: &mut Vec<u8>) {
    let len = path.len();
    let mut r = 0;
    let mut prev_sep = false;
    while r < len {
        let Some(&c0) = path.get(r) else { break };
        let mut c = c0;
        if c0 == b'%' {
            let u = matches!(path.get(r + 1), Some(b'u' | b'U'));
            if u && r + 5 < len {
                let d = match path.get(r + 2..r + 6) {
                    Some(&[a, b, c, d]) => hex2(a, b).zip(hex2(c, d)),
                    _ => None,
                };
                match d {
                    Some((hi, lo)) => {
                        c = u_decode(hi, lo);
                        r += 6;
                    }
                    None => r += 1, // invalid %u: keep the percent
                }
            } else if u {
                r += 1; // %u without enough data: keep the percent
            } else if r + 2 < len {
                let v = match (path.get(r + 1), path.get(r + 2)) {
                    (Some(&a), Some(&b)) => hex2(a, b),
                    _ => None,
                };
                match v {
                    Some(v) => {
                        c = v;
                        r += 3;
                    }
                    None => r += 1,
                }
            } else {
                r += 1;
            }
        } else {
            r += 1;
        }
        if c == b'\\' {
            c = b'/';
        }
        if c == b'/' {
            if !prev_sep {
                out.push(c);
            }
            prev_sep = true;
        } else {
            out.push(c);
            prev_sep = false;
        }
    }
}

/// Converts UTF-8 sequences to single bytes by best fit (step 3), in place.
fn utf8_bestfit(buf: &mut Vec<u8>, from: usize) {
    let len = buf.len();
    let mut r = from;
    let mut w = from;
    while r < len {
        let Some(&b) = buf.get(r) else { break };
        let (need, init) = match b {
            0x00..=0x7f => {
                if let Some(x) = buf.get_mut(w) {
                    *x = b;
                }
                w += 1;
                r += 1;
                continue;
            }
            0xc0..=0xdf => (1, u32::from(b & 0x1f)),
            0xe0..=0xef => (2, u32::from(b & 0x0f)),
            0xf0..=0xf4 => (3, u32::from(b & 0x07)),
            _ => {
                // Invalid lead byte: replaced, consumed.
                if let Some(x) = buf.get_mut(w) {
                    *x = b'?';
                }
                w += 1;
                r += 1;
                continue;
            }
        };
        let mut cp = init;
        let mut k = 1;
        let mut ok = true;
        while k <= need {
            match buf.get(r + k) {
                Some(&c) if c & 0xc0 == 0x80 => cp = (cp << 6) | u32::from(c & 0x3f),
                Some(_) => {
                    ok = false;
                    break;
                }
                None => {
                    // Incomplete sequence at the end: dropped, as libhtp does.
                    buf.truncate(w);
                    return;
                }
            }
            k += 1;
        }
        let out = if ok {
            r += need + 1;
            if cp < 0x100 {
                cp as u8
            } else if (0xff01..=0xff5e).contains(&cp) {
                (cp - 0xfee0) as u8
            } else {
                b'?'
            }
        } else {
            // The invalid byte starts the next character.
            r += k;
            b'?'
        };
        if let Some(x) = buf.get_mut(w) {
            *x = out;
        }
        w += 1;
    }
    buf.truncate(w);
}

/// Removes dot segments (RFC 3986 §5.2.4) from `buf[from..]` in place, as libhtp does (a
/// segment removal at the very end leaves no trailing slash: `/a/b/..` → `/a`).
fn remove_dot_segments(buf: &mut Vec<u8>, from: usize) {
    let len = buf.len();
    let mut r = from;
    let mut w = from;
    let mut cur: Option<u8> = None;
    while r < len {
        let at = |i: usize| buf.get(i).copied();
        let c = match cur.take() {
            Some(c) => c,
            None => {
                let Some(c) = at(r) else { break };
                r += 1;
                c
            }
        };
        if c == b'.' {
            if at(r) == Some(b'.') && at(r + 1) == Some(b'/') {
                r += 2;
                continue;
            } else if at(r) == Some(b'/') {
                r += 1;
                continue;
            }
        }
        if c == b'/' {
            if at(r) == Some(b'.') && at(r + 1) == Some(b'/') {
                cur = Some(b'/');
                r += 2;
                continue;
            } else if r + 1 == len && at(r) == Some(b'.') {
                cur = Some(b'/');
                r += 1;
                continue;
            }
            let dotdot = at(r) == Some(b'.') && at(r + 1) == Some(b'.');
            if dotdot && at(r + 2) == Some(b'/') {
                cur = Some(b'/');
                r += 3;
                w = pop_segment(buf, from, w);
                continue;
            } else if dotdot && r + 2 == len {
                cur = Some(b'/');
                r += 2;
                w = pop_segment(buf, from, w);
                continue;
            }
        }
        if c == b'.' && r == len {
            r += 1;
            continue;
        }
        if c == b'.' && r + 1 == len && at(r) == Some(b'.') {
            r += 2;
            continue;
        }
        // Writes never overtake reads: `w <= r - 1` here.
        if let Some(x) = buf.get_mut(w) {
            *x = c;
        }
        w += 1;
        while r < len {
            let Some(n) = buf.get(r).copied() else { break };
            if n == b'/' {
                break;
            }
            if let Some(x) = buf.get_mut(w) {
                *x = n;
            }
            w += 1;
            r += 1;
        }
    }
    buf.truncate(w);
}

fn pop_segment(buf: &[u8], from: usize, mut w: usize) -> usize {
    while w > from && buf.get(w - 1) != Some(&b'/') {
        w -= 1;
    }
    if w > from {
        w -= 1;
    }
    w
}

/// Normalises a path (steps 1–4) and appends it to `out`.
pub fn normalize_path(path: &[u8], out: &mut Vec<u8>) {
    let from = out.len();
    decode_path(path, out);
    utf8_bestfit(out, from);
    remove_dot_segments(out, from);
}

/// Percent-decodes `%XX` (fragment rules: invalid escapes keep the `%`) and appends to `out`.
pub fn percent_decode(input: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(&c) = input.get(i) {
        if c == b'%'
            && let (Some(&a), Some(&b)) = (input.get(i + 1), input.get(i + 2))
            && let Some(v) = hex2(a, b)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(c);
        i += 1;
    }
}

/// Builds the normalised URI (`http.uri`) of a raw request URI into `out` (cleared first).
/// Returns the length of the path part within `out`.
pub fn normalize_uri(raw: &[u8], out: &mut Vec<u8>) -> usize {
    out.clear();
    let p = parse_uri(raw);
    normalize_path(p.path, out);
    let path_len = out.len();
    if let Some(q) = p.query {
        out.push(b'?');
        out.extend_from_slice(q);
    }
    if let Some(f) = p.fragment {
        out.push(b'#');
        percent_decode(f, out);
    }
    path_len
}

/// A parsed `host[:port]` (Host header or URI authority).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostPort<'a> {
    /// Host as written (brackets kept for IPv6), trimmed; `None` when unusable.
    pub host: Option<&'a [u8]>,
    /// Port number when present and valid (1..=65535).
    pub port: Option<u16>,
    /// Something was invalid (empty, bad port, unterminated IPv6 bracket, bad host characters).
    pub invalid: bool,
}

fn is_lws(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if first.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// Parses a port: digits with optional surrounding blanks; valid when in 1..=65535.
pub fn parse_port(s: &[u8]) -> Option<u16> {
    let mut i = 0;
    while s.get(i).is_some_and(|&c| is_lws(c)) {
        i += 1;
    }
    let start = i;
    let mut v: u32 = 0;
    while let Some(&c) = s.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        v = v.saturating_mul(10).saturating_add(u32::from(c - b'0'));
        i += 1;
    }
    if i == start {
        return None;
    }
    while s.get(i).is_some_and(|&c| is_lws(c)) {
        i += 1;
    }
    if i != s.len() || v == 0 || v > 65535 {
        return None;
    }
    u16::try_from(v).ok()
}

/// Whether a host name is syntactically valid (labels of letters, digits, `-`, `_`, 1..=63
/// bytes, single dots; or a bracketed IPv6 address).
pub fn valid_hostname(h: &[u8]) -> bool {
    if h.is_empty() || h.len() > 255 {
        return false;
    }
    if h.first() == Some(&b'[') {
        let inner = h.get(1..h.len().saturating_sub(1)).unwrap_or(&[]);
        return h.last() == Some(&b']')
            && std::str::from_utf8(inner)
                .ok()
                .and_then(|s| s.parse::<std::net::Ipv6Addr>().ok())
                .is_some();
    }
    let h = h.strip_suffix(b".").unwrap_or(h);
    h.split(|&c| c == b'.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && l.iter()
                .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    })
}

/// Parses `host[:port]` as libhtp's `htp_parse_hostport`.
pub fn parse_hostport(input: &[u8]) -> HostPort<'_> {
    let data = trim(input);
    let mut r = HostPort::default();
    if data.is_empty() {
        r.invalid = true;
        return r;
    }
    if data.first() == Some(&b'[') {
        let Some(rb) = memchr::memchr(b']', data) else {
            r.invalid = true;
            return r;
        };
        r.host = data.get(..=rb);
        let rest = data.get(rb + 1..).unwrap_or(&[]);
        if rest.is_empty() {
            return r;
        }
        match rest.split_first() {
            Some((b':', p)) => {
                r.port = parse_port(p);
                r.invalid = r.port.is_none();
            }
            _ => r.invalid = true,
        }
    } else {
        match memchr::memchr(b':', data) {
            None => r.host = Some(data),
            Some(c) => {
                let mut he = c;
                while he > 0 && data.get(he - 1).is_some_and(|b| b.is_ascii_whitespace()) {
                    he -= 1;
                }
                r.host = data.get(..he);
                r.port = parse_port(data.get(c + 1..).unwrap_or(&[]));
                r.invalid = r.port.is_none();
            }
        }
    }
    if let Some(h) = r.host
        && !valid_hostname(h)
    {
        r.invalid = true;
    }
    r
}

/// Lowercases a host and removes trailing dots, appending to `out`.
pub fn normalize_host(h: &[u8], out: &mut Vec<u8>) {
    let from = out.len();
    out.extend(h.iter().map(|c| c.to_ascii_lowercase()));
    while out.len() > from && out.last() == Some(&b'.') {
        out.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        let mut v = Vec::new();
        normalize_uri(s.as_bytes(), &mut v);
        String::from_utf8_lossy(&v).into_owned()
    }

    #[test]
    fn parses_origin_and_absolute_forms() {
        let p = parse_uri(b"/a/b?x=1#frag");
        assert_eq!(
            (p.path, p.query, p.fragment),
            (&b"/a/b"[..], Some(&b"x=1"[..]), Some(&b"frag"[..]))
        );
        let p = parse_uri(b"http://user:pw@Example.COM:8080/p?q");
        assert_eq!(p.scheme, Some(&b"http"[..]));
        assert_eq!(p.username, Some(&b"user"[..]));
        assert_eq!(p.password, Some(&b"pw"[..]));
        assert_eq!(p.hostname, Some(&b"Example.COM"[..]));
        assert_eq!(p.port, Some(&b"8080"[..]));
        assert_eq!(p.path, b"/p");
        let p = parse_uri(b"http://[::1]:80/x");
        assert_eq!(
            (p.hostname, p.port, p.path),
            (Some(&b"[::1]"[..]), Some(&b"80"[..]), &b"/x"[..])
        );
        // CONNECT authority form: libhtp takes the host as a scheme.
        let p = parse_uri(b"example.com:443");
        assert_eq!((p.scheme, p.path), (Some(&b"example.com"[..]), &b"443"[..]));
        // No colon, no slash: all path.
        assert_eq!(parse_uri(b"index.html").path, b"index.html");
        assert_eq!(parse_uri(b"").path, b"");
        assert_eq!(parse_uri(b"/x   ").path, b"/x");
    }

    #[test]
    fn normalises_like_libhtp() {
        assert_eq!(norm("/"), "/");
        assert_eq!(norm("/a/./b/../c"), "/a/c");
        assert_eq!(norm("/a/b/.."), "/a");
        assert_eq!(norm("/a/b/."), "/a/b");
        assert_eq!(norm("/a/b/../"), "/a");
        assert_eq!(norm("/a/b/../c"), "/a/c");
        assert_eq!(norm("/../../etc/passwd"), "/etc/passwd");
        assert_eq!(
            norm("//index.php?page=../../../etc/passwd"),
            "/index.php?page=../../../etc/passwd"
        );
        assert_eq!(norm("/%7Euser/%41%42"), "/~user/AB");
        assert_eq!(norm("/a%2fb%5Cc"), "/a/b/c");
        assert_eq!(norm("/a\\b\\\\c"), "/a/b/c");
        assert_eq!(norm("/%2e%2e/%2e/x"), "/x");
        assert_eq!(norm("/bad%zzescape%"), "/bad%zzescape%");
        assert_eq!(norm("/%u0041%U002F%uFF21%u1234"), "/A/A?");
        assert_eq!(norm("/%uZZ"), "/%uZZ");
        // UTF-8: é (U+00E9) becomes 0xE9 (shown lossily), full-width A becomes A.
        let mut v = Vec::new();
        normalize_uri("/caf%C3%A9/\u{FF21}".as_bytes(), &mut v);
        assert_eq!(v, b"/caf\xe9/A");
        // Invalid UTF-8 becomes '?'; a cut sequence at the end is dropped.
        let mut v = Vec::new();
        normalize_uri(b"/a\xffb\xc3", &mut v);
        assert_eq!(v, b"/a?b");
        let mut v = Vec::new();
        normalize_uri(b"/a\xc3(b", &mut v);
        assert_eq!(v, b"/a?(b");
        // Query raw, fragment decoded, authority dropped.
        assert_eq!(norm("http://h.example/x/../y?a=%41#%41"), "/y?a=%41#A");
        assert_eq!(norm("/q?x=/../"), "/q?x=/../");
    }

    #[test]
    fn hostport() {
        let h = parse_hostport(b" www.Example.com:8080 ");
        assert_eq!(
            (h.host, h.port, h.invalid),
            (Some(&b"www.Example.com"[..]), Some(8080), false)
        );
        let h = parse_hostport(b"[::1]:8000");
        assert_eq!(
            (h.host, h.port, h.invalid),
            (Some(&b"[::1]"[..]), Some(8000), false)
        );
        let h = parse_hostport(b"x.org:abc");
        assert_eq!(
            (h.host, h.port, h.invalid),
            (Some(&b"x.org"[..]), None, true)
        );
        assert!(parse_hostport(b"").invalid);
        assert!(parse_hostport(b"[::1").invalid);
        assert!(parse_hostport(b"bad host").invalid);
        assert_eq!(parse_hostport(b"h:0").port, None);
        assert_eq!(parse_hostport(b"h:65536").port, None);
        let mut out = Vec::new();
        normalize_host(b"WWW.Example.COM..", &mut out);
        assert_eq!(out, b"www.example.com");
        assert!(valid_hostname(b"a-b_c.example"));
        assert!(!valid_hostname(b"a..b"));
        assert!(valid_hostname(b"[2001:db8::1]"));
    }

    #[test]
    fn never_panics_on_odd_bytes() {
        for s in [
            &b"%"[..],
            b"%%",
            b"%u",
            b"%u1",
            b"/%",
            b"/.",
            b"/..",
            b".",
            "..".as_bytes(),
            b"\xf4\x80",
            b"\xf0",
        ] {
            let mut v = Vec::new();
            normalize_uri(s, &mut v);
            let _ = parse_hostport(s);
        }
    }
}
