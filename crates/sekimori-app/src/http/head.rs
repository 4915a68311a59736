//! HTTP/1.x heads: finding where a head ends, and splitting start lines and header lines.
//!
//! Hand-written rather than `httparse`: Suricata's results come from libhtp, which accepts what
//! `httparse` rejects (spaces inside the URI, any bytes as method, missing or invalid protocol,
//! HTTP/0.9 requests, header lines without colon, folding in requests, bare LF) and reports it
//! as events. Using `httparse` would still need this tolerant parser for everything it refuses,
//! and two parsers could disagree on the same bytes. The scan uses `memchr` and allocates nothing.

/// libhtp's notion of whitespace in start lines (C `isspace`).
pub(crate) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Linear whitespace in header lines.
pub(crate) fn is_lws(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// Removes the line ending (`\n` or `\r\n`) of a line.
pub(crate) fn chomp(mut line: &[u8]) -> &[u8] {
    while let Some(rest) = line.strip_suffix(b"\n") {
        line = rest.strip_suffix(b"\r").unwrap_or(rest);
    }
    line
}

/// A line that ends a head (or is skipped before a start line): `\n` or `\r\n`.
pub(crate) fn is_blank_line(line: &[u8]) -> bool {
    line == b"\n" || line == b"\r\n"
}

/// Incremental search for the end of a head. The same bytes are presented again (with more
/// appended) until the head is complete, so the scanner remembers how far it got.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct HeadScan {
    pos: usize,
    start: Option<usize>,
}

/// Result of [`HeadScan::scan`]; offsets are into the presented buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scan {
    /// The head spans `start..end` (`end` is after the terminating empty line).
    Done { start: usize, end: usize },
    /// More bytes needed. `skip` leading bytes are empty lines and can be dropped.
    Partial { skip: usize },
    /// The head is longer than allowed: `start..cut` holds its complete lines (or, when even
    /// the first line is too long, its first `max` bytes: then `mid_line`).
    TooLong {
        start: usize,
        cut: usize,
        mid_line: bool,
    },
}

impl HeadScan {
    pub(crate) fn reset(&mut self) {
        *self = HeadScan::default();
    }

    /// No line of a head has been seen yet.
    pub(crate) fn is_fresh(&self) -> bool {
        self.pos == 0 && self.start.is_none()
    }

    fn too_long(start: usize, complete_end: usize, max: usize) -> Scan {
        if complete_end > start {
            Scan::TooLong {
                start,
                cut: complete_end,
                mid_line: false,
            }
        } else {
            Scan::TooLong {
                start,
                cut: start + max,
                mid_line: true,
            }
        }
    }

    /// Scans `buf` (which starts where the previous scans started).
    pub(crate) fn scan(&mut self, buf: &[u8], max: usize) -> Scan {
        while let Some(rest) = buf.get(self.pos..) {
            let Some(nl) = memchr::memchr(b'\n', rest) else {
                break;
            };
            let end = self.pos + nl + 1;
            let line = buf.get(self.pos..end).unwrap_or(&[]);
            match self.start {
                None => {
                    if !is_blank_line(line) {
                        self.start = Some(self.pos);
                    }
                }
                Some(start) => {
                    if is_blank_line(line) {
                        let r = Scan::Done { start, end };
                        self.reset();
                        return r;
                    }
                }
            }
            if let Some(start) = self.start
                && end - start > max
            {
                let r = Self::too_long(start, self.pos, max);
                self.reset();
                return r;
            }
            self.pos = end;
        }
        match self.start {
            Some(start) if buf.len() - start > max => {
                let r = Self::too_long(start, self.pos, max);
                self.reset();
                r
            }
            Some(_) => Scan::Partial { skip: 0 },
            None if buf.len() - self.pos > max => {
                // A start line longer than the limit with no end yet.
                let start = self.pos;
                self.reset();
                Scan::TooLong {
                    start,
                    cut: start + max,
                    mid_line: true,
                }
            }
            None => {
                // Only empty lines so far: they can be dropped.
                let skip = self.pos;
                self.pos = 0;
                Scan::Partial { skip }
            }
        }
    }
}

/// Byte ranges of a request line's parts (relative to the line).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RequestLine {
    pub(crate) method: (usize, usize),
    pub(crate) uri: Option<(usize, usize)>,
    pub(crate) protocol: Option<(usize, usize)>,
    pub(crate) leading_ws: bool,
    pub(crate) method_delim_bad: bool,
    pub(crate) uri_delim_bad: bool,
}

/// Splits a request line (no line ending) as libhtp's generic parser with `allow-space-uri`:
/// method up to the first whitespace; the URI runs to the last space before the protocol; no
/// protocol means HTTP/0.9.
pub(crate) fn parse_request_line(d: &[u8]) -> RequestLine {
    let len = d.len();
    let at = |i: usize| d.get(i).copied().unwrap_or(0);
    let mut r = RequestLine::default();
    let mut pos = 0;
    while pos < len && is_space(at(pos)) {
        pos += 1;
    }
    r.leading_ws = pos > 0;
    let mstart = pos;
    while pos < len && !is_space(at(pos)) {
        pos += 1;
    }
    r.method = (mstart, pos);
    while pos < len && is_space(at(pos)) {
        if at(pos) != b' ' {
            r.method_delim_bad = true;
        }
        pos += 1;
    }
    if pos == len {
        return r;
    }
    let start = pos;
    let mut p = len - 1;
    while p > start && is_space(at(p)) {
        p -= 1;
    }
    let mut bad = false;
    while p > start && at(p) != b' ' {
        if is_space(at(p)) {
            bad = true;
        }
        p -= 1;
    }
    if bad && p == start {
        p = len - 1;
        while p > start && !is_space(at(p)) {
            p -= 1;
        }
    } else {
        bad = (start..p).any(|i| at(i) != b' ' && is_space(at(i)));
        if p == start {
            p = len;
        }
    }
    r.uri_delim_bad = bad;
    // Whitespace before the protocol is not part of the URI (libhtp 0.5.50).
    let mut ue = p;
    while ue > start && is_space(at(ue - 1)) {
        ue -= 1;
    }
    r.uri = Some((start, ue));
    while p < len && is_space(at(p)) {
        p += 1;
    }
    if p < len {
        r.protocol = Some((p, len));
    }
    r
}

/// Byte ranges of a status line's parts (relative to the line).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct StatusLine {
    pub(crate) protocol: Option<(usize, usize)>,
    pub(crate) status: Option<(usize, usize)>,
    pub(crate) message: Option<(usize, usize)>,
}

/// Splits a status line: protocol, status code, message (libhtp's generic parser).
pub(crate) fn parse_status_line(d: &[u8]) -> StatusLine {
    let len = d.len();
    let at = |i: usize| d.get(i).copied().unwrap_or(0);
    let mut r = StatusLine::default();
    let mut pos = 0;
    while pos < len && is_space(at(pos)) {
        pos += 1;
    }
    let start = pos;
    while pos < len && !is_space(at(pos)) {
        pos += 1;
    }
    if pos == start {
        return r;
    }
    r.protocol = Some((start, pos));
    while pos < len && is_space(at(pos)) {
        pos += 1;
    }
    if pos == len {
        return r;
    }
    let start = pos;
    while pos < len && !is_space(at(pos)) {
        pos += 1;
    }
    r.status = Some((start, pos));
    while pos < len && is_space(at(pos)) {
        pos += 1;
    }
    if pos < len {
        r.message = Some((pos, len));
    }
    r
}

/// Whether a response start looks like HTTP (libhtp: starts with `http`, case-insensitive,
/// after whitespace). `None` when fewer than 4 non-blank bytes are available.
pub(crate) fn looks_like_status_line(d: &[u8]) -> Option<bool> {
    let i = d.iter().position(|&c| !is_space(c))?;
    let s = d.get(i..i + 4)?;
    Some(s.eq_ignore_ascii_case(b"http"))
}

/// One header after folding: name and value trimmed as libhtp does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HeaderLine<'a> {
    pub(crate) name: &'a [u8],
    pub(crate) value: &'a [u8],
    pub(crate) missing_colon: bool,
    pub(crate) invalid: bool,
    pub(crate) folded: bool,
}

fn is_token(c: u8) -> bool {
    c > 0x20 && c < 0x7f && !b"()<>@,;:\\\"/[]?={}".contains(&c)
}

/// Splits one (unfolded) header line into name and value.
pub(crate) fn split_header(d: &[u8], folded: bool) -> HeaderLine<'_> {
    let Some(colon) = memchr::memchr(b':', d) else {
        return HeaderLine {
            name: &[],
            value: d,
            missing_colon: true,
            invalid: false,
            folded,
        };
    };
    let mut invalid = colon == 0;
    let mut name_end = colon;
    while name_end > 0 && d.get(name_end - 1).is_some_and(|&c| is_lws(c)) {
        name_end -= 1;
        invalid = true;
    }
    let name = d.get(..name_end).unwrap_or(&[]);
    if name.iter().any(|&c| !is_token(c)) {
        invalid = true;
    }
    let mut vs = colon + 1;
    while d.get(vs).is_some_and(|&c| is_lws(c)) {
        vs += 1;
    }
    let mut ve = d.len();
    while ve > vs && d.get(ve - 1).is_some_and(|&c| is_lws(c)) {
        ve -= 1;
    }
    HeaderLine {
        name,
        value: d.get(vs..ve).unwrap_or(&[]),
        missing_colon: false,
        invalid,
        folded,
    }
}

/// Walks the header lines of `block` (the bytes after the start line, up to but excluding the
/// terminating empty line), joining folded lines. `scratch` is reused for folded headers.
/// Returns true when a folded line had no header to join (invalid folding).
pub(crate) fn for_each_header(
    block: &[u8],
    scratch: &mut Vec<u8>,
    mut f: impl FnMut(HeaderLine<'_>),
) -> bool {
    let mut bad_fold = false;
    // The current header: a range in `block`, or (once folded) the bytes in `scratch`.
    let mut cur: Option<(usize, usize)> = None;
    let mut cur_folded = false;
    let mut pos = 0;
    let emit = |cur: Option<(usize, usize)>,
                folded: bool,
                scratch: &[u8],
                f: &mut dyn FnMut(HeaderLine<'_>)| {
        if folded {
            f(split_header(scratch, true));
        } else if let Some((a, b)) = cur {
            f(split_header(block.get(a..b).unwrap_or(&[]), false));
        }
    };
    while pos < block.len() {
        let rest = block.get(pos..).unwrap_or(&[]);
        let end = match memchr::memchr(b'\n', rest) {
            Some(nl) => pos + nl + 1,
            None => block.len(),
        };
        let line = chomp(block.get(pos..end).unwrap_or(&[]));
        let line_start = pos;
        pos = end;
        if line.first().is_some_and(|&c| is_lws(c)) {
            match (cur, cur_folded) {
                (Some((a, b)), false) => {
                    scratch.clear();
                    scratch.extend_from_slice(block.get(a..b).unwrap_or(&[]));
                    scratch.extend_from_slice(line);
                    cur_folded = true;
                }
                (Some(_), true) => scratch.extend_from_slice(line),
                (None, _) => {
                    // Folding with nothing before: the line starts a header of its own.
                    bad_fold = true;
                    let skip = line.iter().take_while(|&&c| is_lws(c)).count();
                    let s = line_start + skip;
                    cur = Some((s, s + line.len() - skip));
                    cur_folded = false;
                }
            }
            continue;
        }
        emit(cur, cur_folded, scratch, &mut f);
        cur = Some((line_start, line_start + line.len()));
        cur_folded = false;
    }
    emit(cur, cur_folded, scratch, &mut f);
    bad_fold
}

/// Parses a Content-Length value as libhtp: leading junk and trailing junk are tolerated around
/// the digits; `None` when there are no digits or the number overflows.
pub(crate) fn parse_content_length(v: &[u8]) -> Option<u64> {
    let start = v.iter().position(|c| c.is_ascii_digit())?;
    let mut n: u64 = 0;
    for &c in v.get(start..).unwrap_or(&[]) {
        if !c.is_ascii_digit() {
            break;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(n)
}

/// A status code: digits with optional surrounding blanks.
pub(crate) fn parse_status(raw: &[u8]) -> Option<u16> {
    let s = raw.iter().position(|&c| !is_lws(c))?;
    let e = raw.iter().rposition(|&c| !is_lws(c))? + 1;
    let d = raw.get(s..e)?;
    if d.is_empty() || d.len() > 5 || !d.iter().all(|c| c.is_ascii_digit()) {
        return None;
    }
    d.iter().try_fold(0u16, |a, &c| {
        a.checked_mul(10)?.checked_add(u16::from(c - b'0'))
    })
}

/// The status as Suricata prints it in EVE: C `strtoul` of the status text, stored in an
/// unsigned int (leading digits; 0 when none).
pub fn status_for_eve(raw: &[u8]) -> u32 {
    let s = raw
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(raw.len());
    let mut v: u64 = 0;
    let mut overflow = false;
    for &c in raw.get(s..).unwrap_or(&[]) {
        if !c.is_ascii_digit() {
            break;
        }
        match v
            .checked_mul(10)
            .and_then(|x| x.checked_add(u64::from(c - b'0')))
        {
            Some(x) => v = x,
            None => overflow = true,
        }
    }
    if overflow { u32::MAX } else { v as u32 }
}

/// The request methods libhtp knows (case-sensitive).
pub(crate) const KNOWN_METHODS: &[&[u8]] = &[
    b"GET",
    b"POST",
    b"HEAD",
    b"PUT",
    b"DELETE",
    b"CONNECT",
    b"OPTIONS",
    b"TRACE",
    b"PATCH",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"VERSION-CONTROL",
    b"CHECKOUT",
    b"UNCHECKOUT",
    b"CHECKIN",
    b"UPDATE",
    b"LABEL",
    b"REPORT",
    b"MKWORKSPACE",
    b"MKACTIVITY",
    b"BASELINE-CONTROL",
    b"MERGE",
    b"INVALID",
];

/// Longest known method.
pub(crate) const MAX_METHOD_LEN: usize = 16;

/// Whether `m` is a method libhtp knows.
pub(crate) fn is_known_method(m: &[u8]) -> bool {
    KNOWN_METHODS.contains(&m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(d: &[u8], r: Option<(usize, usize)>) -> Option<&[u8]> {
        r.map(|(a, b)| &d[a..b])
    }

    #[test]
    fn request_lines() {
        let d = b"GET /index.html HTTP/1.1";
        let r = parse_request_line(d);
        assert_eq!(&d[r.method.0..r.method.1], b"GET");
        assert_eq!(part(d, r.uri), Some(&b"/index.html"[..]));
        assert_eq!(part(d, r.protocol), Some(&b"HTTP/1.1"[..]));
        // Spaces inside the URI (allow-space-uri).
        let d = b"GET /a b/c HTTP/1.0";
        let r = parse_request_line(d);
        assert_eq!(part(d, r.uri), Some(&b"/a b/c"[..]));
        assert_eq!(part(d, r.protocol), Some(&b"HTTP/1.0"[..]));
        // HTTP/0.9.
        let d = b"GET /";
        let r = parse_request_line(d);
        assert_eq!(part(d, r.uri), Some(&b"/"[..]));
        assert_eq!(r.protocol, None);
        let d = b"GET";
        let r = parse_request_line(d);
        assert_eq!((r.uri, r.protocol), (None, None));
        // Leading whitespace, tab delimiters.
        let d = b"  POST\t/x\tHTTP/1.1";
        let r = parse_request_line(d);
        assert!(r.leading_ws && r.method_delim_bad);
        assert_eq!(&d[r.method.0..r.method.1], b"POST");
        assert_eq!(part(d, r.uri), Some(&b"/x"[..]));
        assert_eq!(part(d, r.protocol), Some(&b"HTTP/1.1"[..]));
        // Garbage as libhtp sees it.
        let d = b"1026\x108 !34.\x11\"3DUf.21";
        let r = parse_request_line(d);
        assert_eq!(&d[r.method.0..r.method.1], b"1026\x108");
        assert_eq!(part(d, r.uri), Some(&b"!34.\x11\"3DUf.21"[..]));
        assert_eq!(r.protocol, None);
        assert_eq!(parse_request_line(b""), RequestLine::default());
        // Runs of spaces around the URI.
        let d = b"GET  /  HTTP/1.0";
        let r = parse_request_line(d);
        assert_eq!(part(d, r.uri), Some(&b"/"[..]));
        assert_eq!(part(d, r.protocol), Some(&b"HTTP/1.0"[..]));
    }

    #[test]
    fn status_lines() {
        let d = b"HTTP/1.1 200 OK";
        let r = parse_status_line(d);
        assert_eq!(part(d, r.protocol), Some(&b"HTTP/1.1"[..]));
        assert_eq!(part(d, r.status), Some(&b"200"[..]));
        assert_eq!(part(d, r.message), Some(&b"OK"[..]));
        let d = b"HTTP/1.0 404 Not   Found ";
        let r = parse_status_line(d);
        assert_eq!(part(d, r.message), Some(&b"Not   Found "[..]));
        let d = b"HTTP/1.1";
        assert_eq!(parse_status_line(d).status, None);
        assert_eq!(looks_like_status_line(b"  HTtp/1.1"), Some(true));
        assert_eq!(looks_like_status_line(b"\r\nHT"), None);
        assert_eq!(looks_like_status_line(b"<html>"), Some(false));
        assert_eq!(parse_status(b"200"), Some(200));
        assert_eq!(parse_status(b"20x"), None);
        assert_eq!(parse_status(b"99999999"), None);
        assert_eq!(status_for_eve(b"200"), 200);
        assert_eq!(status_for_eve(b"abc"), 0);
        assert_eq!(status_for_eve(b"302x"), 302);
        assert_eq!(status_for_eve(b"99999999999999999999999"), u32::MAX);
    }

    #[test]
    fn head_scan_incremental() {
        let msg = b"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\nrest";
        // Feed growing prefixes: the result is found once, at the right place.
        let mut sc = HeadScan::default();
        let mut found = None;
        for n in 1..=msg.len() {
            match sc.scan(&msg[..n], 1000) {
                Scan::Done { start, end } => {
                    found = Some((n, start, end));
                    break;
                }
                Scan::Partial { skip } => assert!(skip <= 2),
                Scan::TooLong { .. } => panic!("too long"),
            }
        }
        let (n, start, end) = found.unwrap();
        assert_eq!((start, end), (2, msg.len() - 4));
        assert_eq!(n, msg.len() - 4);
        // Bare LF.
        let mut sc = HeadScan::default();
        assert_eq!(
            sc.scan(b"GET / HTTP/1.0\nA: b\n\n", 100),
            Scan::Done { start: 0, end: 21 }
        );
        // Too long.
        let mut sc = HeadScan::default();
        let long = [b"GET / HTTP/1.1\r\n".as_slice(), &[b'a'; 200]].concat();
        assert_eq!(
            sc.scan(&long, 100),
            Scan::TooLong {
                start: 0,
                cut: 16,
                mid_line: false
            }
        );
        let mut sc = HeadScan::default();
        assert_eq!(
            sc.scan(&[b'G'; 300], 100),
            Scan::TooLong {
                start: 0,
                cut: 100,
                mid_line: true
            }
        );
    }

    #[test]
    fn headers_split_and_fold() {
        let block = b"Host: a\r\nX-Long: one\r\n  two\r\n\tthree\r\nNoColon\r\n: empty\r\nBad Name : v \r\n";
        let mut out = Vec::new();
        let mut scratch = Vec::new();
        let bad = for_each_header(block, &mut scratch, |h| {
            out.push((
                h.name.to_vec(),
                h.value.to_vec(),
                h.missing_colon,
                h.invalid,
                h.folded,
            ))
        });
        assert!(!bad);
        assert_eq!(
            out[0],
            (b"Host".to_vec(), b"a".to_vec(), false, false, false)
        );
        assert_eq!(
            out[1],
            (
                b"X-Long".to_vec(),
                b"one  two\tthree".to_vec(),
                false,
                false,
                true
            )
        );
        assert_eq!(out[2], (vec![], b"NoColon".to_vec(), true, false, false));
        assert_eq!(out[3], (vec![], b"empty".to_vec(), false, true, false));
        assert_eq!(
            out[4],
            (b"Bad Name".to_vec(), b"v".to_vec(), false, true, false)
        );
        // Folding on the first line.
        let mut n = 0;
        assert!(for_each_header(b" Folded: x\r\n", &mut scratch, |h| {
            n += 1;
            assert_eq!(h.name, b"Folded");
        }));
        assert_eq!(n, 1);
    }

    #[test]
    fn content_length() {
        assert_eq!(parse_content_length(b"123"), Some(123));
        assert_eq!(parse_content_length(b" 12 "), Some(12));
        assert_eq!(parse_content_length(b"x12y"), Some(12));
        assert_eq!(parse_content_length(b"abc"), None);
        assert_eq!(parse_content_length(b"99999999999999999999999"), None);
    }
}
