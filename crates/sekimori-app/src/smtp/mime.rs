//! Streaming MIME decoder for SMTP message bodies: message headers (RFC 5322 with RFC 2047
//! encoded-words), nested multipart bodies, base64 / quoted-printable transfer encodings, file
//! names (Content-Disposition `filename`, RFC 2231 `filename*=`, Content-Type `name`), and URL /
//! HTML link extraction from text parts. Parts are streamed to the [`crate::FileSink`].
//!
//! Hand-rolled: the MIME crates on crates.io parse a whole message held in memory; this decoder
//! works line by line on a byte stream split anywhere, with bounded state.

use crate::parser::ParseCx;
use crate::sink::{FileClose, FileId, FileKind, FileOpen, FileStatus};
use crate::types::{AppProto, Direction};

/// Limits of the MIME decoder (part of [`super::SmtpConfig`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MimeLimits {
    /// Longest line buffered; longer body lines are delivered in pieces, longer header lines cut.
    pub max_line: usize,
    /// Longest unfolded header kept (`MIME_LONG_HEADER_VALUE` beyond).
    pub max_header_len: usize,
    /// Headers parsed per part; more are ignored.
    pub max_headers: usize,
    /// Parts per message; more are skipped (`MIME_PARSE_FAILED`).
    pub max_parts: usize,
    /// Multipart nesting depth; deeper multiparts are skipped.
    pub max_depth: usize,
    /// Longest boundary accepted (`MIME_LONG_BOUNDARY` beyond).
    pub max_boundary_len: usize,
    /// Decoded text bytes of one part scanned for URLs.
    pub max_text_scan: usize,
    /// URLs, links and attachment names kept per message (each list).
    pub max_list: usize,
    /// URL schemes extracted, lower case with `://` (Suricata's
    /// `smtp.mime.extract-urls-schemes`; see [`MimeLimits::set_url_schemes`]). Text is
    /// searched for each scheme in this order.
    pub url_schemes: Vec<Vec<u8>>,
}

impl MimeLimits {
    /// Sets the URL schemes to extract from their names as Suricata's configuration gives
    /// them (`http`, `https`, ...; `://` is added, case is ignored, empty names are skipped).
    pub fn set_url_schemes<S: AsRef<str>>(&mut self, names: &[S]) {
        self.url_schemes = names
            .iter()
            .map(|n| {
                n.as_ref()
                    .trim()
                    .trim_end_matches("://")
                    .to_ascii_lowercase()
            })
            .filter(|n| !n.is_empty())
            .map(|n| format!("{n}://").into_bytes())
            .collect();
    }
}

impl Default for MimeLimits {
    fn default() -> Self {
        MimeLimits {
            max_line: 8192,
            max_header_len: 8192,
            max_headers: 256,
            max_parts: 1000,
            max_depth: 10,
            max_boundary_len: 254,
            max_text_scan: 64 * 1024,
            max_list: 256,
            url_schemes: SCHEMES.iter().map(|s| s.to_vec()).collect(),
        }
    }
}

/// What the decoder learnt about one message (the `email` object of EVE).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MimeInfo {
    /// `PARSE_DONE` once the message ended normally, `PARSE_ERROR`, `BOUNDARY_ERROR`, ... else.
    pub status: &'static str,
    /// `From` header (raw, unfolded).
    pub from: Option<Vec<u8>>,
    /// `To` header (raw).
    pub to: Option<Vec<u8>>,
    /// `Cc` header (raw).
    pub cc: Option<Vec<u8>>,
    /// `Reply-To` header (raw).
    pub reply_to: Option<Vec<u8>>,
    /// `Subject` header (raw).
    pub subject: Option<Vec<u8>>,
    /// `Subject` with RFC 2047 encoded-words decoded to UTF-8.
    pub subject_decoded: Option<String>,
    /// `Message-ID` header.
    pub message_id: Option<Vec<u8>>,
    /// `X-Mailer` header.
    pub x_mailer: Option<Vec<u8>>,
    /// `Date` header.
    pub date: Option<Vec<u8>>,
    /// Top-level `Content-Type` header (raw, with parameters).
    pub content_type: Option<Vec<u8>>,
    /// Attachment file names (decoded, UTF-8), in order.
    pub attachments: Vec<String>,
    /// URLs found in text and HTML parts (with scheme), in order, without duplicates. As in
    /// Suricata, only URLs starting a word count (HTML `href` values are in [`MimeInfo::links`]).
    pub urls: Vec<Vec<u8>>,
    /// HTML `<a href>` links: (href, visible text).
    pub links: Vec<(Vec<u8>, String)>,
    /// A URL host is an IPv4 literal.
    pub url_ipv4: bool,
    /// A URL host is an IPv6 literal.
    pub url_ipv6: bool,
    /// A URL ends in `.exe`.
    pub url_exe: bool,
    /// Parts seen (the message itself included).
    pub parts: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum Cte {
    #[default]
    Plain,
    Base64,
    Qp,
}

#[derive(Default)]
struct PartHdr {
    ctype: Vec<u8>,
    boundary: Option<Vec<u8>>,
    ct_name: Option<String>,
    filename: Option<String>,
    attachment: bool,
    cte: Cte,
    headers: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum St {
    Headers,
    Body,
    Skip,
}

struct Leaf {
    file: FileId,
    size: u64,
    cte: Cte,
    pending_crlf: bool,
    b64: [u8; 4],
    b64n: usize,
    scan: bool,
    html: bool,
}

/// The streaming decoder of one message.
pub struct MimeParser {
    lim: MimeLimits,
    line: Vec<u8>,
    cont: bool,
    st: St,
    top: bool,
    frames: Vec<Vec<u8>>,
    hdr: Vec<u8>,
    part: PartHdr,
    leaf: Option<Leaf>,
    text: Vec<u8>,
    scratch: Vec<u8>,
    b64_err: bool,
    qp_err: bool,
    /// Result so far.
    pub info: MimeInfo,
    /// Events raised and not yet collected (Suricata names).
    pub events: Vec<&'static str>,
    /// Files opened.
    pub files: u64,
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [a, rest @ ..] = s {
        if a.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., a] = s {
        if a.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

fn strip_eol(l: &[u8]) -> (&[u8], bool) {
    match l {
        [r @ .., b'\r', b'\n'] => (r, true),
        [r @ .., b'\n'] => (r, true),
        _ => (l, false),
    }
}

impl MimeParser {
    /// A decoder for a new message.
    pub fn new(lim: &MimeLimits) -> Self {
        let mut lim = lim.clone();
        lim.max_line = lim.max_line.max(64);
        MimeParser {
            lim,
            line: Vec::new(),
            cont: false,
            st: St::Headers,
            top: true,
            frames: Vec::new(),
            hdr: Vec::new(),
            part: PartHdr::default(),
            leaf: None,
            text: Vec::new(),
            scratch: Vec::new(),
            b64_err: false,
            qp_err: false,
            info: MimeInfo {
                parts: 1,
                ..MimeInfo::default()
            },
            events: Vec::new(),
            files: 0,
        }
    }

    /// Heap bytes held.
    pub fn memory(&self) -> usize {
        self.line.capacity()
            + self.hdr.capacity()
            + self.text.capacity()
            + self.scratch.capacity()
            + self.frames.iter().map(|f| f.capacity()).sum::<usize>()
    }

    fn event(&mut self, name: &'static str) {
        if !self.events.contains(&name) && self.events.len() < 16 {
            self.events.push(name);
        }
    }

    /// Feeds message bytes (already dot-unstuffed), split anywhere.
    pub fn feed(&mut self, mut data: &[u8], cx: &mut ParseCx<'_>, tx_id: u64) {
        while !data.is_empty() {
            match memchr::memchr(b'\n', data) {
                Some(i) => {
                    let (l, rest) = data.split_at(i + 1);
                    data = rest;
                    if self.line.is_empty() {
                        let cont = std::mem::replace(&mut self.cont, false);
                        self.process(l, cont, cx, tx_id);
                    } else {
                        self.line.extend_from_slice(l);
                        let line = std::mem::take(&mut self.line);
                        let cont = std::mem::replace(&mut self.cont, false);
                        self.process(&line, cont, cx, tx_id);
                        self.line = line;
                        self.line.clear();
                    }
                }
                None => {
                    let room = self.lim.max_line.saturating_sub(self.line.len());
                    let take = room.min(data.len());
                    self.line.extend_from_slice(data.get(..take).unwrap_or(&[]));
                    data = data.get(take..).unwrap_or(&[]);
                    if self.line.len() >= self.lim.max_line {
                        self.event("MIME_LONG_LINE");
                        let line = std::mem::take(&mut self.line);
                        let cont = std::mem::replace(&mut self.cont, true);
                        self.process(&line, cont, cx, tx_id);
                        self.line = line;
                        self.line.clear();
                    }
                }
            }
        }
    }

    /// The message ended (`ok`: normally, else truncated by a gap or the flow end).
    pub fn end(&mut self, ok: bool, cx: &mut ParseCx<'_>, tx_id: u64) {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            let cont = self.cont;
            self.process(&line, cont, cx, tx_id);
        }
        if self.st == St::Headers {
            self.finish_header();
            self.begin_body(cx, tx_id);
        }
        self.end_leaf(
            cx,
            if ok {
                FileStatus::Complete
            } else {
                FileStatus::Truncated
            },
        );
        if self.info.status.is_empty() {
            self.info.status = if !ok {
                "PARSE_ERROR"
            } else if !self.frames.is_empty() {
                "BOUNDARY_ERROR"
            } else if self.b64_err {
                "BASE64_ERROR"
            } else if self.qp_err {
                "QP_ERROR"
            } else {
                "PARSE_DONE"
            };
        }
        if !self.frames.is_empty() && ok {
            self.event("MIME_MALFORMED_MSG");
        }
        if self.b64_err {
            self.event("MIME_INVALID_BASE64");
        }
        if self.qp_err {
            self.event("MIME_INVALID_QP");
        }
    }

    /// Closes the open part with `status` (a gap).
    pub fn abort(&mut self, cx: &mut ParseCx<'_>, status: FileStatus) {
        self.end_leaf(cx, status);
        self.st = St::Skip;
        self.info.status = "PARSE_ERROR";
    }

    fn process(&mut self, raw: &[u8], cont: bool, cx: &mut ParseCx<'_>, tx_id: u64) {
        let (line, eol) = strip_eol(raw);
        if !cont && line.starts_with(b"--") && !self.frames.is_empty() && self.boundary(line, cx) {
            return;
        }
        match self.st {
            St::Headers => {
                if cont {
                    return;
                }
                if line.is_empty() {
                    self.finish_header();
                    self.begin_body(cx, tx_id);
                } else if line.first().is_some_and(|c| *c == b' ' || *c == b'\t') {
                    if self.hdr.is_empty() {
                        return;
                    }
                    self.add_hdr(line);
                } else {
                    self.finish_header();
                    self.add_hdr(line);
                }
                if !eol {
                    // Header line cut at max_line.
                    self.event("MIME_LONG_HEADER_VALUE");
                }
            }
            St::Body => self.content(line, eol, cx),
            St::Skip => {}
        }
    }

    fn add_hdr(&mut self, l: &[u8]) {
        let room = self.lim.max_header_len.saturating_sub(self.hdr.len());
        if l.len() > room {
            self.event("MIME_LONG_HEADER_VALUE");
        }
        self.hdr
            .extend_from_slice(l.get(..room.min(l.len())).unwrap_or(&[]));
    }

    fn boundary(&mut self, line: &[u8], cx: &mut ParseCx<'_>) -> bool {
        let body = line.get(2..).unwrap_or(&[]);
        let mut hit = None;
        for (i, b) in self.frames.iter().enumerate().rev() {
            if let Some(rest) = body.strip_prefix(b.as_slice()) {
                if rest.starts_with(b"--") {
                    hit = Some((i, true));
                    break;
                }
                if trim(rest).is_empty() {
                    hit = Some((i, false));
                    break;
                }
            }
        }
        let Some((i, close)) = hit else {
            return false;
        };
        if self.st == St::Headers {
            self.finish_header();
        }
        self.end_leaf(cx, FileStatus::Complete);
        if close {
            self.frames.truncate(i);
            self.st = St::Skip;
        } else {
            self.frames.truncate(i + 1);
            self.part = PartHdr::default();
            self.top = false;
            self.info.parts += 1;
            if self.info.parts > self.lim.max_parts as u64 {
                self.event("MIME_PARSE_FAILED");
                self.st = St::Skip;
            } else {
                self.st = St::Headers;
            }
        }
        true
    }

    fn finish_header(&mut self) {
        if self.hdr.is_empty() {
            return;
        }
        let h = std::mem::take(&mut self.hdr);
        self.part.headers += 1;
        if self.part.headers <= self.lim.max_headers
            && let Some(c) = memchr::memchr(b':', &h)
        {
            let name = trim(h.get(..c).unwrap_or(&[]));
            let value = trim(h.get(c + 1..).unwrap_or(&[]));
            if name.len() > 76 {
                self.event("MIME_LONG_HEADER_NAME");
            }
            self.header(name, value);
        }
        self.hdr = h;
        self.hdr.clear();
    }

    fn header(&mut self, name: &[u8], value: &[u8]) {
        let lower = name.to_ascii_lowercase();
        match lower.as_slice() {
            b"content-type" => {
                let (main, params) = split_params(value);
                self.part.ctype = main.to_ascii_lowercase();
                if let Some(b) = param(&params, b"boundary") {
                    if b.len() > self.lim.max_boundary_len || b.is_empty() {
                        self.event("MIME_LONG_BOUNDARY");
                    } else {
                        self.part.boundary = Some(b);
                    }
                }
                self.part.ct_name = file_param(&params, b"name");
            }
            b"content-transfer-encoding" => {
                let v = value.to_ascii_lowercase();
                self.part.cte = match trim(&v) {
                    b"base64" => Cte::Base64,
                    b"quoted-printable" => Cte::Qp,
                    _ => Cte::Plain,
                };
            }
            b"content-disposition" => {
                let (main, params) = split_params(value);
                self.part.attachment = main.eq_ignore_ascii_case(b"attachment");
                self.part.filename = file_param(&params, b"filename");
            }
            _ => {}
        }
        if !self.top {
            return;
        }
        let slot = match lower.as_slice() {
            b"from" => &mut self.info.from,
            b"to" => &mut self.info.to,
            b"cc" => &mut self.info.cc,
            b"reply-to" => &mut self.info.reply_to,
            b"subject" => &mut self.info.subject,
            b"message-id" => &mut self.info.message_id,
            b"x-mailer" => &mut self.info.x_mailer,
            b"date" => &mut self.info.date,
            b"content-type" => &mut self.info.content_type,
            _ => return,
        };
        if slot.is_some() {
            return;
        }
        *slot = Some(value.to_vec());
        if lower == b"subject" {
            self.info.subject_decoded = Some(decode_words(value));
        }
    }

    fn begin_body(&mut self, cx: &mut ParseCx<'_>, tx_id: u64) {
        let part = std::mem::take(&mut self.part);
        if part.ctype.starts_with(b"multipart/") {
            if let Some(b) = part.boundary {
                if self.frames.len() >= self.lim.max_depth {
                    self.event("MIME_PARSE_FAILED");
                } else {
                    self.frames.push(b);
                }
            } else {
                self.event("MIME_MALFORMED_MSG");
            }
            self.st = St::Skip;
            return;
        }
        let name = part.filename.or(part.ct_name);
        let is_text = part.ctype.is_empty() || part.ctype.starts_with(b"text/");
        let attach = name.is_some() || part.attachment || !is_text;
        if let Some(n) = &name
            && self.info.attachments.len() < self.lim.max_list
        {
            self.info.attachments.push(n.clone());
        }
        let id = cx.new_file_id();
        let nm = name.unwrap_or_default();
        let open = FileOpen {
            id,
            proto: AppProto::Smtp,
            tx_id,
            dir: Direction::ToServer,
            kind: if attach {
                FileKind::MailAttachment
            } else {
                FileKind::MailBody
            },
            name: nm.as_bytes(),
            field: &[],
            content_type: &part.ctype,
            declared_len: None,
        };
        cx.sink.file_open(cx.flow, &open);
        self.files += 1;
        let html = part.ctype == b"text/html";
        self.text.clear();
        self.leaf = Some(Leaf {
            file: id,
            size: 0,
            cte: part.cte,
            pending_crlf: false,
            b64: [0; 4],
            b64n: 0,
            scan: !attach && (part.ctype.is_empty() || part.ctype == b"text/plain" || html),
            html,
        });
        self.st = St::Body;
    }

    fn content(&mut self, line: &[u8], eol: bool, cx: &mut ParseCx<'_>) {
        let Some(leaf) = self.leaf.as_mut() else {
            return;
        };
        let out = &mut self.scratch;
        out.clear();
        match leaf.cte {
            Cte::Plain => {
                if leaf.pending_crlf {
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(line);
                leaf.pending_crlf = eol;
            }
            Cte::Base64 => {
                for &c in line {
                    let v = match c {
                        b'A'..=b'Z' => c - b'A',
                        b'a'..=b'z' => c - b'a' + 26,
                        b'0'..=b'9' => c - b'0' + 52,
                        b'+' => 62,
                        b'/' => 63,
                        b'=' => {
                            // Padding: flush what the quantum holds.
                            flush_b64(leaf, out);
                            continue;
                        }
                        b' ' | b'\t' | b'\r' => continue,
                        _ => {
                            self.b64_err = true;
                            continue;
                        }
                    };
                    if let Some(s) = leaf.b64.get_mut(leaf.b64n) {
                        *s = v;
                    }
                    leaf.b64n += 1;
                    if leaf.b64n == 4 {
                        let [a, b, c2, d] = leaf.b64;
                        out.push((a << 2) | (b >> 4));
                        out.push((b << 4) | (c2 >> 2));
                        out.push((c2 << 6) | d);
                        leaf.b64n = 0;
                    }
                }
            }
            Cte::Qp => {
                // Suricata's decoder ends every decoded line that is not a soft break with CRLF,
                // the one before the closing boundary too (unlike plain parts): so does this.
                let mut l = line;
                while let [r @ .., b' ' | b'\t'] = l {
                    l = r;
                }
                let soft = eol && l.last() == Some(&b'=');
                if soft {
                    l = l.get(..l.len() - 1).unwrap_or(&[]);
                } else {
                    l = line;
                }
                let mut i = 0;
                while let Some(&c) = l.get(i) {
                    if c == b'=' {
                        let h = l.get(i + 1).and_then(|x| hexv(*x));
                        let lo = l.get(i + 2).and_then(|x| hexv(*x));
                        if let (Some(h), Some(lo)) = (h, lo) {
                            out.push(h << 4 | lo);
                            i += 3;
                            continue;
                        }
                        self.qp_err = true;
                    }
                    out.push(c);
                    i += 1;
                }
                if eol && !soft {
                    out.extend_from_slice(b"\r\n");
                }
            }
        }
        if out.is_empty() {
            return;
        }
        leaf.size += out.len() as u64;
        if leaf.scan {
            let room = self.lim.max_text_scan.saturating_sub(self.text.len());
            self.text
                .extend_from_slice(out.get(..room.min(out.len())).unwrap_or(&[]));
        }
        cx.sink.file_data(cx.flow, leaf.file, out);
    }

    fn end_leaf(&mut self, cx: &mut ParseCx<'_>, status: FileStatus) {
        let Some(mut leaf) = self.leaf.take() else {
            return;
        };
        self.scratch.clear();
        if leaf.cte == Cte::Base64 {
            flush_b64(&mut leaf, &mut self.scratch);
            if !self.scratch.is_empty() {
                leaf.size += self.scratch.len() as u64;
                cx.sink.file_data(cx.flow, leaf.file, &self.scratch);
            }
        }
        cx.sink.file_close(
            cx.flow,
            leaf.file,
            &FileClose {
                status,
                size: leaf.size,
            },
        );
        if leaf.scan {
            let text = std::mem::take(&mut self.text);
            scan_urls(
                &text,
                &mut self.info,
                self.lim.max_list,
                &self.lim.url_schemes,
            );
            if leaf.html {
                scan_links(&text, &mut self.info, self.lim.max_list);
            }
            self.text = text;
            self.text.clear();
        }
    }
}

fn flush_b64(leaf: &mut Leaf, out: &mut Vec<u8>) {
    let [a, b, c, _] = leaf.b64;
    match leaf.b64n {
        2 => out.push((a << 2) | (b >> 4)),
        3 => {
            out.push((a << 2) | (b >> 4));
            out.push((b << 4) | (c >> 2));
        }
        _ => {}
    }
    leaf.b64n = 0;
}

fn hexv(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Splits `type/sub; a=b; c="d"` into the main value and (lowercased name, value) parameters.
/// Lowercased parameter names with their (unquoted) values.
type Params = Vec<(Vec<u8>, Vec<u8>)>;

fn split_params(v: &[u8]) -> (&[u8], Params) {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, &c) in v.iter().enumerate() {
        match c {
            b'"' => quoted = !quoted,
            b';' if !quoted => {
                parts.push(v.get(start..i).unwrap_or(&[]));
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(v.get(start..).unwrap_or(&[]));
    let main = trim(parts.first().copied().unwrap_or(&[]));
    let mut params = Vec::new();
    for p in parts.iter().skip(1).take(64) {
        if let Some(eq) = memchr::memchr(b'=', p) {
            let k = trim(p.get(..eq).unwrap_or(&[])).to_ascii_lowercase();
            let mut val = trim(p.get(eq + 1..).unwrap_or(&[]));
            if val.len() >= 2 && val.first() == Some(&b'"') && val.last() == Some(&b'"') {
                val = val.get(1..val.len() - 1).unwrap_or(&[]);
            }
            params.push((k, val.to_vec()));
        }
    }
    (main, params)
}

fn param(params: &[(Vec<u8>, Vec<u8>)], name: &[u8]) -> Option<Vec<u8>> {
    params
        .iter()
        .find(|(k, _)| k.as_slice() == name)
        .map(|(_, v)| v.clone())
}

/// A file-name parameter: RFC 2231 (`name*=charset'lang'%xx`, continuations `name*0*=`) first,
/// else the plain value with RFC 2047 encoded-words decoded.
fn file_param(params: &[(Vec<u8>, Vec<u8>)], name: &[u8]) -> Option<String> {
    let mut pieces: Vec<(u32, bool, &[u8])> = Vec::new();
    for (k, v) in params {
        let Some(rest) = k.strip_prefix(name) else {
            continue;
        };
        let Some(rest) = rest.strip_prefix(b"*") else {
            continue;
        };
        if rest.is_empty() {
            pieces.push((0, true, v));
            continue;
        }
        let (num, ext) = match rest.strip_suffix(b"*") {
            Some(n) => (n, true),
            None => (rest, false),
        };
        if let Some(n) = std::str::from_utf8(num).ok().and_then(|s| s.parse().ok()) {
            pieces.push((n, ext, v));
        }
    }
    if !pieces.is_empty() {
        pieces.sort_by_key(|p| p.0);
        let mut charset: Option<&[u8]> = None;
        let mut bytes = Vec::new();
        for (i, (_, ext, v)) in pieces.iter().enumerate() {
            let mut v: &[u8] = v;
            if *ext {
                if i == 0 {
                    let mut it = v.splitn(3, |c| *c == b'\'');
                    if let (Some(cs), Some(_), Some(rest)) = (it.next(), it.next(), it.next()) {
                        charset = Some(cs);
                        v = rest;
                    }
                }
                percent_decode(v, &mut bytes);
            } else {
                bytes.extend_from_slice(v);
            }
        }
        return Some(to_utf8(charset.unwrap_or(b"utf-8"), &bytes));
    }
    param(params, name).map(|v| decode_words(&v))
}

fn percent_decode(v: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(&c) = v.get(i) {
        if c == b'%'
            && let (Some(h), Some(l)) = (
                v.get(i + 1).and_then(|x| hexv(*x)),
                v.get(i + 2).and_then(|x| hexv(*x)),
            )
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(c);
        i += 1;
    }
}

fn to_utf8(charset: &[u8], bytes: &[u8]) -> String {
    let cs = charset.split(|c| *c == b'*').next().unwrap_or(&[]);
    match encoding_rs::Encoding::for_label(cs) {
        Some(enc) => enc.decode_without_bom_handling(bytes).0.into_owned(),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Decodes RFC 2047 encoded-words (`=?charset?B|Q?text?=`) in a header value to UTF-8;
/// whitespace between two adjacent encoded-words is dropped, other text kept (lossy UTF-8).
pub fn decode_words(v: &[u8]) -> String {
    let mut out = String::new();
    let mut i = 0;
    let mut last_word_end: Option<usize> = None;
    let mut buf = Vec::new();
    while i < v.len() {
        if v.get(i..i + 2) == Some(b"=?")
            && let Some((charset, enc, text, end)) = encoded_word(v, i)
        {
            buf.clear();
            if enc == b'B' || enc == b'b' {
                b64_decode(text, &mut buf);
            } else {
                let mut j = 0;
                while let Some(&c) = text.get(j) {
                    match c {
                        b'_' => buf.push(b' '),
                        b'=' => {
                            if let (Some(h), Some(l)) = (
                                text.get(j + 1).and_then(|x| hexv(*x)),
                                text.get(j + 2).and_then(|x| hexv(*x)),
                            ) {
                                buf.push(h << 4 | l);
                                j += 3;
                                continue;
                            }
                            buf.push(c);
                        }
                        _ => buf.push(c),
                    }
                    j += 1;
                }
            }
            out.push_str(&to_utf8(charset, &buf));
            last_word_end = Some(end);
            i = end;
            continue;
        }
        // Plain run up to the next "=?".
        let next = memchr::memmem::find(v.get(i + 1..).unwrap_or(&[]), b"=?")
            .map_or(v.len(), |p| p + i + 1);
        let run = v.get(i..next).unwrap_or(&[]);
        let adjacent = last_word_end == Some(i)
            && trim(run).is_empty()
            && v.get(next..next + 2) == Some(b"=?")
            && encoded_word(v, next).is_some();
        if !adjacent {
            out.push_str(&String::from_utf8_lossy(run));
        }
        i = next;
    }
    out
}

/// (charset, encoding letter, encoded text, end offset) of an encoded-word.
type Word<'a> = (&'a [u8], u8, &'a [u8], usize);

fn encoded_word(v: &[u8], start: usize) -> Option<Word<'_>> {
    let rest = v.get(start + 2..)?;
    let q1 = memchr::memchr(b'?', rest)?;
    let charset = rest.get(..q1)?;
    let enc = *rest.get(q1 + 1)?;
    if rest.get(q1 + 2) != Some(&b'?') || !matches!(enc, b'B' | b'b' | b'Q' | b'q') {
        return None;
    }
    let text_start = q1 + 3;
    let tail = rest.get(text_start..)?;
    let endp = memchr::memmem::find(tail, b"?=")?;
    let text = tail.get(..endp)?;
    if text.iter().any(|c| c.is_ascii_whitespace()) || charset.is_empty() {
        return None;
    }
    Some((charset, enc, text, start + 2 + text_start + endp + 2))
}

fn b64_decode(text: &[u8], out: &mut Vec<u8>) {
    let mut q = [0u8; 4];
    let mut n = 0;
    for &c in text {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        if let Some(s) = q.get_mut(n) {
            *s = v;
        }
        n += 1;
        if n == 4 {
            out.push((q[0] << 2) | (q[1] >> 4));
            out.push((q[1] << 4) | (q[2] >> 2));
            out.push((q[2] << 6) | q[3]);
            n = 0;
        }
    }
    if n >= 2 {
        out.push((q[0] << 2) | (q[1] >> 4));
    }
    if n == 3 {
        out.push((q[1] << 4) | (q[2] >> 2));
    }
}

const SCHEMES: [&[u8]; 3] = [b"http://", b"https://", b"ftp://"];

fn url_end(c: u8) -> bool {
    c.is_ascii_whitespace() || c.is_ascii_control() || b"\"'<>`".contains(&c)
}

fn push_url(url: &[u8], info: &mut MimeInfo, max: usize) {
    let url = trim_trailing_punct(url);
    if info.urls.iter().any(|u| u.as_slice() == url) || info.urls.len() >= max {
        return;
    }
    let after = memchr::memmem::find(url, b"://").map_or(url, |p| url.get(p + 3..).unwrap_or(&[]));
    let host_end = after
        .iter()
        .position(|c| *c == b'/' || *c == b'?' || *c == b'#')
        .unwrap_or(after.len());
    let host = after.get(..host_end).unwrap_or(&[]);
    if host.first() == Some(&b'[') {
        info.url_ipv6 = true;
    } else {
        let h = host.split(|c| *c == b':').next().unwrap_or(&[]);
        if std::str::from_utf8(h)
            .ok()
            .and_then(|s| s.parse::<std::net::Ipv4Addr>().ok())
            .is_some()
        {
            info.url_ipv4 = true;
        }
    }
    if url.to_ascii_lowercase().ends_with(b".exe") {
        info.url_exe = true;
    }
    info.urls.push(url.to_vec());
}

fn trim_trailing_punct(mut u: &[u8]) -> &[u8] {
    while let [r @ .., b'.' | b',' | b';' | b')' | b']' | b'>'] = u {
        u = r;
    }
    u
}

/// Finds URLs of the `schemes` (lower case, with `://`; matched in any case) in decoded
/// text: scheme by scheme in the order given, each in text order, as Suricata's extraction
/// does (EVE lists them in reverse).
fn scan_urls(text: &[u8], info: &mut MimeInfo, max: usize, schemes: &[Vec<u8>]) {
    let lower = text.to_ascii_lowercase();
    // As Suricata: a URL starts a word (start of text or after whitespace).
    let word_start = |st: usize| st == 0 || text.get(st - 1).is_some_and(u8::is_ascii_whitespace);
    for s in schemes {
        if s.is_empty() {
            continue;
        }
        for st in memchr::memmem::find_iter(&lower, s) {
            if !word_start(st) {
                continue;
            }
            let body = st + s.len();
            let end = text
                .get(body..)
                .and_then(|t| t.iter().position(|c| url_end(*c)))
                .map_or(text.len(), |e| e + body);
            if end > body {
                push_url(text.get(st..end).unwrap_or(&[]), info, max);
            }
        }
    }
}

/// Finds `<a ... href="...">text</a>` links in HTML; the text has its tags removed and
/// whitespace collapsed.
fn scan_links(html: &[u8], info: &mut MimeInfo, max: usize) {
    let lower = html.to_ascii_lowercase();
    let mut i = 0;
    while info.links.len() < max {
        let Some(p) = memchr::memmem::find(lower.get(i..).unwrap_or(&[]), b"<a") else {
            break;
        };
        let at = i + p;
        i = at + 2;
        if !lower.get(at + 2).is_some_and(|c| c.is_ascii_whitespace()) {
            continue;
        }
        let Some(gt) = memchr::memchr(b'>', lower.get(at..).unwrap_or(&[])) else {
            break;
        };
        let tag_end = at + gt;
        let tag = html.get(at..tag_end).unwrap_or(&[]);
        let ltag = lower.get(at..tag_end).unwrap_or(&[]);
        let Some(hp) = memchr::memmem::find(ltag, b"href") else {
            continue;
        };
        let mut j = hp + 4;
        while tag.get(j).is_some_and(|c| c.is_ascii_whitespace()) {
            j += 1;
        }
        if tag.get(j) != Some(&b'=') {
            continue;
        }
        j += 1;
        while tag.get(j).is_some_and(|c| c.is_ascii_whitespace()) {
            j += 1;
        }
        let href = match tag.get(j) {
            Some(&q @ (b'"' | b'\'')) => {
                let r = tag.get(j + 1..).unwrap_or(&[]);
                let e = memchr::memchr(q, r).unwrap_or(r.len());
                r.get(..e).unwrap_or(&[])
            }
            _ => {
                let r = tag.get(j..).unwrap_or(&[]);
                let e = r
                    .iter()
                    .position(|c| c.is_ascii_whitespace())
                    .unwrap_or(r.len());
                r.get(..e).unwrap_or(&[])
            }
        };
        let body_start = tag_end + 1;
        let close = memchr::memmem::find(lower.get(body_start..).unwrap_or(&[]), b"</a")
            .map_or(html.len(), |e| body_start + e);
        let inner = html.get(body_start..close).unwrap_or(&[]);
        let mut text = Vec::new();
        let mut in_tag = false;
        for &c in inner {
            match c {
                b'<' => in_tag = true,
                b'>' => in_tag = false,
                _ if in_tag => {}
                _ if c.is_ascii_whitespace() => {
                    if text.last().is_some_and(|l| *l != b' ') {
                        text.push(b' ');
                    }
                }
                _ => text.push(c),
            }
        }
        while text.last() == Some(&b' ') {
            text.pop();
        }
        info.links
            .push((href.to_vec(), String::from_utf8_lossy(&text).into_owned()));
        i = close.max(i);
    }
}

#[cfg(test)]
mod url_tests {
    use super::*;

    fn urls(text: &[u8], lim: &MimeLimits) -> Vec<String> {
        let mut info = MimeInfo::default();
        scan_urls(text, &mut info, lim.max_list, &lim.url_schemes);
        info.urls
            .iter()
            .map(|u| String::from_utf8_lossy(u).into_owned())
            .collect()
    }

    const TEXT: &[u8] = b"body http://google.com is a link. http://test-site.org/blah/123/ too. \
        HTTPS://facebook.com also. ftp://172.42.48.124 also. mailto:a@b x:http://no.example";

    #[test]
    fn schemes_in_configured_order() {
        let mut lim = MimeLimits::default();
        lim.set_url_schemes(&["http", "https", "ftp", "mailto"]);
        assert_eq!(
            lim.url_schemes.last().map(Vec::as_slice),
            Some(&b"mailto://"[..])
        );
        // Scheme by scheme, each in text order (EVE reverses the list); `mailto:` has no `//`.
        assert_eq!(
            urls(TEXT, &lim),
            [
                "http://google.com",
                "http://test-site.org/blah/123/",
                "HTTPS://facebook.com",
                "ftp://172.42.48.124"
            ]
        );
        lim.set_url_schemes(&["ftp", " HTTP:// ", ""]);
        assert_eq!(
            urls(TEXT, &lim),
            [
                "ftp://172.42.48.124",
                "http://google.com",
                "http://test-site.org/blah/123/"
            ]
        );
        lim.set_url_schemes::<&str>(&[]);
        assert!(urls(TEXT, &lim).is_empty());
    }

    #[test]
    fn hostile_text() {
        let lim = MimeLimits::default();
        assert!(urls(b"", &lim).is_empty());
        assert!(urls(b"http://", &lim).is_empty());
        assert_eq!(urls(b"http://x", &lim), ["http://x"]);
        assert_eq!(urls(b"http://http://x", &lim), ["http://http://x"]);
        let many: Vec<u8> = b"http://a ".repeat(10_000);
        assert_eq!(urls(&many, &lim), ["http://a"]);
    }
}
