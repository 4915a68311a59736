//! Streaming `multipart/form-data` parser: splits a request body into parts and streams each
//! part's content with its field name, file name and content type. Memory is bounded by the
//! part-header cap plus one boundary length.
//!
//! Where bodies are sloppy it splits them as Suricata 7 does (so files get the same names,
//! sizes and hashes): a delimiter `--boundary` is recognised at the start of any line, also one
//! ended by a bare LF, and the two bytes before it are taken as the line break and dropped;
//! part header lines end at CRLF when the part uses CRLF at all (a bare LF then stays inside
//! the header line); a quote is removed from either end of a parameter value on its own.

/// Part headers longer than this are an error (`MULTIPART_INVALID_HEADER`).
const MAX_PART_HEADERS: usize = 8 * 1024;

/// What the parser reports while consuming a body.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PartEvent<'a> {
    /// A part starts.
    Open {
        /// `name` of Content-Disposition.
        field: &'a [u8],
        /// `filename` of Content-Disposition, when present.
        filename: Option<&'a [u8]>,
        /// Content-Type of the part (without parameters), when present.
        content_type: &'a [u8],
    },
    /// Content bytes of the open part.
    Data(&'a [u8]),
    /// The open part ends; `complete` is false when the body ended inside it.
    Close { complete: bool },
    /// The body is malformed (reported once).
    Error { header: bool },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Preamble,
    AfterBoundary,
    Headers,
    Data,
    Epilogue,
    Error,
}

/// The multipart parser of one body.
pub(crate) struct Multipart {
    delim: Vec<u8>,
    state: State,
    buf: Vec<u8>,
}

/// The boundary parameter of a `multipart/form-data` Content-Type, if it is one.
pub(crate) fn form_data_boundary(ct: &[u8]) -> Option<&[u8]> {
    let mut parts = ct.split(|&c| c == b';');
    let media = trim(parts.next()?);
    if !media.eq_ignore_ascii_case(b"multipart/form-data") {
        return None;
    }
    for p in parts {
        let p = trim(p);
        let Some(eq) = memchr::memchr(b'=', p) else {
            continue;
        };
        let (k, v) = (trim(p.get(..eq)?), trim(p.get(eq + 1..)?));
        if k.eq_ignore_ascii_case(b"boundary") {
            let v = unquote(v);
            return (!v.is_empty() && v.len() <= 200).then_some(v);
        }
    }
    None
}

fn trim(s: &[u8]) -> &[u8] {
    let a = s
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(s.len());
    let b = s
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map(|i| i + 1)
        .unwrap_or(a);
    s.get(a..b).unwrap_or(&[])
}

fn unquote(v: &[u8]) -> &[u8] {
    if v.len() >= 2 && v.first() == Some(&b'"') && v.last() == Some(&b'"') {
        v.get(1..v.len() - 1).unwrap_or(&[])
    } else {
        v
    }
}

/// A part header parameter value without its quotes, each end on its own (Suricata's way: an
/// unbalanced `"name"junk` loses only the leading quote).
fn unquote_ends(v: &[u8]) -> &[u8] {
    let v = v.strip_prefix(b"\"").unwrap_or(v);
    v.strip_suffix(b"\"").unwrap_or(v)
}

/// A parameter of a header value like `form-data; name="x"; filename="y"` (quotes removed).
fn header_param<'a>(value: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    // Split on ';' outside quotes.
    let mut start = 0;
    let mut quoted = false;
    let mut i = 0;
    while i <= value.len() {
        let c = value.get(i).copied();
        match c {
            Some(b'"') => quoted = !quoted,
            Some(b'\\') if quoted => i += 1,
            Some(b';') | None if !quoted || c.is_none() => {
                let p = trim(value.get(start..i.min(value.len())).unwrap_or(&[]));
                if let Some(eq) = memchr::memchr(b'=', p)
                    && trim(p.get(..eq).unwrap_or(&[])).eq_ignore_ascii_case(key)
                {
                    return Some(unquote_ends(trim(p.get(eq + 1..).unwrap_or(&[]))));
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

impl Multipart {
    pub(crate) fn new(boundary: &[u8]) -> Self {
        let mut delim = Vec::with_capacity(boundary.len() + 3);
        delim.extend_from_slice(b"\n--");
        delim.extend_from_slice(boundary);
        // A virtual line break before the body lets the first boundary match at offset 0.
        Multipart {
            delim,
            state: State::Preamble,
            buf: b"\r\n".to_vec(),
        }
    }

    pub(crate) fn memory(&self) -> usize {
        self.buf.capacity() + self.delim.capacity()
    }

    /// Consumes body bytes.
    pub(crate) fn feed(&mut self, data: &[u8], out: &mut dyn FnMut(PartEvent<'_>)) {
        if matches!(self.state, State::Epilogue | State::Error) {
            return;
        }
        self.buf.extend_from_slice(data);
        self.process(out);
    }

    /// The body ended.
    pub(crate) fn finish(&mut self, out: &mut dyn FnMut(PartEvent<'_>)) {
        if self.state == State::Data {
            let n = self.buf.len();
            if n > 0 {
                out(PartEvent::Data(&self.buf));
            }
            out(PartEvent::Close { complete: false });
        }
        if !matches!(self.state, State::Epilogue | State::Error) {
            out(PartEvent::Error { header: false });
        }
        self.state = State::Epilogue;
        self.buf = Vec::new();
    }

    fn process(&mut self, out: &mut dyn FnMut(PartEvent<'_>)) {
        let dl = self.delim.len();
        loop {
            match self.state {
                State::Epilogue | State::Error => {
                    self.buf.clear();
                    return;
                }
                State::Preamble => match memchr::memmem::find(&self.buf, &self.delim) {
                    Some(i) => {
                        self.buf.drain(..i + dl);
                        self.state = State::AfterBoundary;
                    }
                    None => {
                        let keep = dl.saturating_sub(1).min(self.buf.len());
                        let cut = self.buf.len() - keep;
                        self.buf.drain(..cut);
                        return;
                    }
                },
                State::AfterBoundary => {
                    if self.buf.starts_with(b"--") {
                        self.state = State::Epilogue;
                        continue;
                    }
                    if self.buf.len() < 2 && b"--".starts_with(&self.buf) {
                        return;
                    }
                    match memchr::memchr(b'\n', &self.buf) {
                        Some(nl) => {
                            // Transport padding after the boundary is ignored.
                            self.buf.drain(..=nl);
                            self.state = State::Headers;
                        }
                        None if self.buf.len() > 1024 => self.error(false, out),
                        None => return,
                    }
                }
                State::Headers => {
                    let end = find_headers_end(&self.buf);
                    match end {
                        Some((hend, body_start)) => {
                            let hdrs = self.buf.get(..hend).unwrap_or(&[]);
                            let mut field: &[u8] = &[];
                            let mut filename = None;
                            let mut ctype: &[u8] = &[];
                            let crlf = memchr::memmem::find(hdrs, b"\r\n").is_some()
                                || self.buf.get(hend..body_start) == Some(&b"\r\n"[..]);
                            let lines: Box<dyn Iterator<Item = &[u8]>> = if crlf {
                                Box::new(split_crlf(hdrs))
                            } else {
                                Box::new(hdrs.split(|&c| c == b'\n'))
                            };
                            for line in lines {
                                let line = line.strip_suffix(b"\r").unwrap_or(line);
                                let Some(colon) = memchr::memchr(b':', line) else {
                                    continue;
                                };
                                let name = trim(line.get(..colon).unwrap_or(&[]));
                                let value = trim(line.get(colon + 1..).unwrap_or(&[]));
                                if name.eq_ignore_ascii_case(b"content-disposition") {
                                    field = header_param(value, b"name").unwrap_or(&[]);
                                    filename = header_param(value, b"filename");
                                } else if name.eq_ignore_ascii_case(b"content-type") {
                                    ctype = trim(value.split(|&c| c == b';').next().unwrap_or(&[]));
                                }
                            }
                            out(PartEvent::Open {
                                field,
                                filename,
                                content_type: ctype,
                            });
                            self.buf.drain(..body_start);
                            self.state = State::Data;
                        }
                        None if self.buf.len() > MAX_PART_HEADERS => self.error(true, out),
                        None => return,
                    }
                }
                State::Data => match memchr::memmem::find(&self.buf, &self.delim) {
                    Some(i) => {
                        // `i` is the LF before `--boundary`: the line break is taken to be the
                        // two bytes ending there (CRLF; with a bare LF, Suricata drops the byte
                        // before it too).
                        let end = (i + 1).saturating_sub(2);
                        if end > 0 {
                            out(PartEvent::Data(self.buf.get(..end).unwrap_or(&[])));
                        }
                        out(PartEvent::Close { complete: true });
                        self.buf.drain(..i + dl);
                        self.state = State::AfterBoundary;
                    }
                    None => {
                        // Keep what may be the start of a delimiter and the byte before it.
                        let keep = dl.min(self.buf.len());
                        let cut = self.buf.len() - keep;
                        if cut > 0 {
                            out(PartEvent::Data(self.buf.get(..cut).unwrap_or(&[])));
                            self.buf.drain(..cut);
                        }
                        return;
                    }
                },
            }
        }
    }

    fn error(&mut self, header: bool, out: &mut dyn FnMut(PartEvent<'_>)) {
        out(PartEvent::Error { header });
        self.state = State::Error;
        self.buf.clear();
    }
}

/// Lines of a header block ended by CRLF (a bare LF stays inside its line).
fn split_crlf(b: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(b);
    std::iter::from_fn(move || {
        let r = rest?;
        match memchr::memmem::find(r, b"\r\n") {
            Some(i) => {
                rest = r.get(i + 2..);
                r.get(..i)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// End of part headers: (end of header bytes, start of content).
fn find_headers_end(b: &[u8]) -> Option<(usize, usize)> {
    // A part with no headers starts with the empty line directly.
    if b.starts_with(b"\r\n") {
        return Some((0, 2));
    }
    if b.starts_with(b"\n") {
        return Some((0, 1));
    }
    let mut from = 0;
    while let Some(nl) = memchr::memchr(b'\n', b.get(from..)?) {
        let i = from + nl;
        match (b.get(i + 1), b.get(i + 2)) {
            (Some(b'\n'), _) => return Some((i + 1, i + 2)),
            (Some(b'\r'), Some(b'\n')) => return Some((i + 1, i + 3)),
            (None, _) | (Some(b'\r'), None) => return None,
            _ => from = i + 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Eq)]
    enum Ev {
        Open(Vec<u8>, Option<Vec<u8>>, Vec<u8>),
        Data(Vec<u8>),
        Close(bool),
        Error(bool),
    }

    fn run(body: &[u8], boundary: &[u8], step: usize) -> Vec<Ev> {
        let mut m = Multipart::new(boundary);
        let mut evs: Vec<Ev> = Vec::new();
        let mut push = |e: PartEvent<'_>| match e {
            PartEvent::Open {
                field,
                filename,
                content_type,
            } => evs.push(Ev::Open(
                field.to_vec(),
                filename.map(|f| f.to_vec()),
                content_type.to_vec(),
            )),
            PartEvent::Data(d) => match evs.last_mut() {
                Some(Ev::Data(v)) => v.extend_from_slice(d),
                _ => evs.push(Ev::Data(d.to_vec())),
            },
            PartEvent::Close { complete } => evs.push(Ev::Close(complete)),
            PartEvent::Error { header } => evs.push(Ev::Error(header)),
        };
        for c in body.chunks(step.max(1)) {
            m.feed(c, &mut push);
        }
        m.finish(&mut push);
        evs
    }

    const BODY: &[u8] = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"field1\"\r\n\r\nvalue one\r\n--XyZ\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"a;b.txt\"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nfile\r\ncontent --XyZ no\r\n--XyZ--\r\nepilogue";

    #[test]
    fn parts_at_every_split() {
        let want = vec![
            Ev::Open(b"field1".to_vec(), None, vec![]),
            Ev::Data(b"value one".to_vec()),
            Ev::Close(true),
            Ev::Open(
                b"upload".to_vec(),
                Some(b"a;b.txt".to_vec()),
                b"text/plain".to_vec(),
            ),
            Ev::Data(b"file\r\ncontent --XyZ no".to_vec()),
            Ev::Close(true),
        ];
        for step in 1..BODY.len() {
            assert_eq!(run(BODY, b"XyZ", step), want, "step {step}");
        }
    }

    #[test]
    fn boundary_at_start_and_truncated_body() {
        let body = b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\nabc";
        assert_eq!(
            run(body, b"b", 3),
            vec![
                Ev::Open(b"x".to_vec(), None, vec![]),
                Ev::Data(b"abc".to_vec()),
                Ev::Close(false),
                Ev::Error(false)
            ]
        );
    }

    #[test]
    fn header_flood_is_an_error() {
        let mut body = b"--b\r\n".to_vec();
        body.extend(std::iter::repeat_n(b'a', MAX_PART_HEADERS + 10));
        let evs = run(&body, b"b", 1000);
        assert_eq!(evs, vec![Ev::Error(true)]);
    }

    #[test]
    fn boundary_parameter() {
        assert_eq!(
            form_data_boundary(b"multipart/form-data; boundary=abc"),
            Some(&b"abc"[..])
        );
        assert_eq!(
            form_data_boundary(b"Multipart/Form-Data;boundary=\"a b\""),
            Some(&b"a b"[..])
        );
        assert_eq!(form_data_boundary(b"multipart/mixed; boundary=abc"), None);
        assert_eq!(form_data_boundary(b"multipart/form-data"), None);
        assert_eq!(
            header_param(b"form-data; name=\"a\\\"b\"; filename=c", b"filename"),
            Some(&b"c"[..])
        );
    }
}
