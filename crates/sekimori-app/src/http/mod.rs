//! HTTP/1.0 and HTTP/1.1 with libhtp's semantics (what Suricata 7 logs and inspects):
//! pipelined requests and responses paired in order into transactions, tolerant request and
//! status lines, headers (folded, repeated, capped), URI normalisation ([`uri`]), bodies framed
//! by Content-Length, chunked coding (invalid sizes handled as libhtp does) or the end of the
//! stream, gzip/deflate decoding with bomb limits, `multipart/form-data` parts, CONNECT and
//! protocol upgrades (parsing stops and detection starts again on the tunnel).
//!
//! Bodies are streamed to the [`crate::FileSink`] as they arrive and the first bytes are kept in
//! the transaction for inspection. Gaps are survived: a body of known length continues after a
//! hole; a lost head or chunk boundary makes the side skip to the next line that starts like a
//! request (`METHOD `) or a response (`HTTP/`).

mod body;
mod decode;
pub mod events;
mod head;
mod multipart;
pub mod tx;
pub mod uri;

use std::collections::VecDeque;

use body::{Body, BodySetup, BodyStep, Framing, raise};
use decode::{Coding, Limits};
pub use events::HttpEvent;
pub use head::status_for_eve;
use head::{HeadScan, Scan};
use tx::{AddOutcome, Span};
pub use tx::{
    HEADER_FOLDED, HEADER_INVALID, HEADER_MISSING_COLON, HEADER_REPEATED, Headers, HttpPort, HttpTx,
};

use crate::config::{AppConfig, HttpConfig};
use crate::parser::{AppParser, ParseCx, ParseResult, Probe, ProtocolInfo};
use crate::sink::{AppTx, FileKind};
use crate::types::{AppProto, Direction, Transport, TxStage};

/// Spare transactions kept per flow for reuse.
const SPARE_TXS: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    /// Waiting for (or reading) a head.
    Head,
    /// Dropping the rest of an over-long head until its empty line.
    SkipHead { line_empty: bool },
    /// Reading a body.
    Body,
    /// Request side after CONNECT: hold the data until the response decides.
    AwaitConnect,
    /// The stream is a tunnel now.
    Tunnel,
    /// Looking for the next message start after a gap or broken framing.
    Resync,
    /// A message of `tx` ended; the transaction stays open while what follows in the same data
    /// is not a new message (libhtp's REQ/RES_FINALIZE: such lines are more body). `in_line`:
    /// inside such a line.
    Finalize { tx: u64, in_line: bool },
}

/// What follows a parsed head.
enum Next {
    NoBody,
    Body(Box<Body>),
    AwaitConnect,
    Interim,
    Tunnel,
}

struct Side {
    st: St,
    scan: HeadScan,
    body: Option<Box<Body>>,
    tx: Option<u64>,
    after_skip: Option<Next>,
    /// Response side: the transaction an interim (1xx) response belonged to.
    interim_tx: Option<u64>,
    closed: bool,
    /// The body of the message in `St::Finalize`: its file stays open for the bytes libhtp
    /// still counts as body, and closes when the message is done.
    fin_body: Option<Box<Body>>,
}

impl Side {
    fn new() -> Side {
        Side {
            st: St::Head,
            scan: HeadScan::default(),
            body: None,
            tx: None,
            after_skip: None,
            interim_tx: None,
            closed: false,
            fin_body: None,
        }
    }
}

/// The HTTP/1.x parser of one flow.
pub struct HttpParser {
    cfg: HttpConfig,
    txs: VecDeque<Box<HttpTx>>,
    // Boxed: transactions move between the open list and this one without reallocation.
    #[allow(clippy::vec_box)]
    spare: Vec<Box<HttpTx>>,
    next_tx_id: u64,
    res_next: u64,
    req: Side,
    res: Side,
    scratch: Vec<u8>,
    // Boxed: bodies move between a side and this list without being reallocated.
    #[allow(clippy::vec_box)]
    spare_bodies: Vec<Box<Body>>,
}

/// A body from the spare list (its buffers reused) or a new one.
#[allow(clippy::vec_box)]
fn make_body(spare: &mut Vec<Box<Body>>, setup: &BodySetup<'_>) -> Box<Body> {
    match spare.pop() {
        Some(mut b) => {
            b.reset(setup);
            b
        }
        None => Box::new(Body::new(setup)),
    }
}

fn find_tx(txs: &mut VecDeque<Box<HttpTx>>, id: u64) -> Option<&mut HttpTx> {
    txs.iter_mut().find(|t| t.tx_id == id).map(|b| &mut **b)
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len().max(1))
        .any(|w| w.eq_ignore_ascii_case(needle))
}

fn strip_params(v: &[u8]) -> &[u8] {
    let v = match memchr::memchr(b';', v) {
        Some(i) => v.get(..i).unwrap_or(v),
        None => v,
    };
    let a = v
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(v.len());
    let b = v
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map(|i| i + 1)
        .unwrap_or(a);
    v.get(a..b).unwrap_or(&[])
}

fn disposition_filename(v: &[u8]) -> Option<&[u8]> {
    for p in v.split(|&c| c == b';') {
        let p = strip_params(p);
        if let Some(eq) = memchr::memchr(b'=', p) {
            let k = p.get(..eq).unwrap_or(&[]);
            if k.trim_ascii().eq_ignore_ascii_case(b"filename") {
                let v = p.get(eq + 1..).unwrap_or(&[]).trim_ascii();
                let v = v
                    .strip_prefix(b"\"")
                    .and_then(|x| x.strip_suffix(b"\""))
                    .unwrap_or(v);
                return Some(v);
            }
        }
    }
    None
}

impl HttpParser {
    fn limits(&self) -> Limits {
        Limits {
            max_output: self.cfg.decompress_max_output,
            bomb_limit: self.cfg.bomb_limit,
            ratio: self.cfg.bomb_ratio,
        }
    }

    /// Open transactions (for tests and memory accounting).
    pub fn open_transactions(&self) -> usize {
        self.txs.len()
    }

    fn new_tx(&mut self, id: u64, evict: bool, cx: &mut ParseCx<'_>) {
        // Bound the number of open transactions: complete the oldest early. (A response-only
        // transaction for an already evicted id may exceed the bound by one: it completes with
        // its response.)
        while evict && self.txs.len() >= self.cfg.max_tx {
            let Some(mut old) = self.txs.pop_front() else {
                break;
            };
            if !old.shadow {
                old.evicted = true;
                cx.stats.http.txs_evicted += 1;
                cx.stats.http.txs += 1;
                cx.tx(AppTx::Http(&old), TxStage::Complete);
            }
            self.recycle(old);
        }
        let mut tx = self.spare.pop().unwrap_or_default();
        tx.reset(id);
        // Keep the deque ordered by id (a response-only transaction for an evicted id may come
        // after newer ones).
        let at = self
            .txs
            .iter()
            .position(|t| t.tx_id > id)
            .unwrap_or(self.txs.len());
        self.txs.insert(at, tx);
    }

    /// Keeps a finished body's buffers for the next one.
    fn retire(&mut self, mut b: Box<Body>) {
        b.release();
        if self.spare_bodies.len() < 2 {
            self.spare_bodies.push(b);
        }
    }

    fn recycle(&mut self, tx: Box<HttpTx>) {
        if self.spare.len() < SPARE_TXS && tx.memory() < 256 * 1024 {
            self.spare.push(tx);
        }
    }

    fn try_complete(&mut self, id: u64, cx: &mut ParseCx<'_>) {
        let Some(pos) = self.txs.iter().position(|t| t.tx_id == id) else {
            return;
        };
        let done = self.txs.get(pos).is_some_and(|t| t.req_done && t.res_done);
        if !done {
            return;
        }
        if let Some(tx) = self.txs.remove(pos) {
            if !tx.shadow {
                cx.stats.http.txs += 1;
                cx.tx(AppTx::Http(&tx), TxStage::Complete);
            }
            self.recycle(tx);
        }
    }

    /// Closes the file of the finished body of `id` on `dir` (kept open while the message was
    /// being finalised).
    fn end_fin_body(&mut self, dir: Direction, id: Option<u64>, cx: &mut ParseCx<'_>) {
        let side = self.side(dir);
        if side
            .fin_body
            .as_ref()
            .is_some_and(|b| id.is_none_or(|i| b.tx_id == i))
            && let Some(mut body) = side.fin_body.take()
        {
            let tid = body.tx_id;
            body.finish(true, find_tx(&mut self.txs, tid), cx);
            self.retire(body);
        }
    }

    fn request_done(&mut self, id: u64, cx: &mut ParseCx<'_>) {
        self.end_fin_body(Direction::ToServer, Some(id), cx);
        if let Some(tx) = find_tx(&mut self.txs, id)
            && !tx.req_done
        {
            tx.req_done = true;
            cx.tx(AppTx::Http(tx), TxStage::RequestComplete);
        }
        self.try_complete(id, cx);
    }

    fn response_done(&mut self, id: u64, cx: &mut ParseCx<'_>) {
        self.end_fin_body(Direction::ToClient, Some(id), cx);
        if let Some(tx) = find_tx(&mut self.txs, id) {
            tx.res_done = true;
        }
        self.try_complete(id, cx);
    }

    // ------------------------------------------------------------------ request side

    fn parse_request(&mut self, data: &[u8], cx: &mut ParseCx<'_>) -> ParseResult {
        let mut pos = 0;
        while pos < data.len() {
            let rest = data.get(pos..).unwrap_or(&[]);
            match self.req.st {
                St::Tunnel => {
                    cx.stats.dropped_bytes += rest.len() as u64;
                    return ParseResult::Ok;
                }
                St::AwaitConnect => {
                    return ParseResult::Incomplete {
                        consumed: pos,
                        needed: 1,
                    };
                }
                St::Resync => match resync_point(rest, Direction::ToServer) {
                    Resync::At(n) => {
                        cx.stats.http.resync_skipped += n as u64;
                        pos += n;
                        self.req.st = St::Head;
                        self.req.scan.reset();
                    }
                    Resync::Partial(n) => {
                        cx.stats.http.resync_skipped += n as u64;
                        return ParseResult::Incomplete {
                            consumed: pos + n,
                            needed: 1,
                        };
                    }
                    Resync::None => {
                        cx.stats.http.resync_skipped += rest.len() as u64;
                        return ParseResult::Ok;
                    }
                },
                St::SkipHead { line_empty } => {
                    let (used, done, le) = skip_head(rest, line_empty);
                    pos += used;
                    if done {
                        self.req.st = St::Head;
                        if let Some(next) = self.req.after_skip.take() {
                            self.apply_req_next(next, cx);
                        }
                    } else {
                        self.req.st = St::SkipHead { line_empty: le };
                    }
                }
                St::Body => {
                    let Some(mut body) = self.req.body.take() else {
                        self.req.st = St::Head;
                        continue;
                    };
                    let id = body.tx_id;
                    let step = body.feed(rest, find_tx(&mut self.txs, id), cx);
                    match step {
                        BodyStep::More => {
                            self.req.body = Some(body);
                            return ParseResult::Ok;
                        }
                        BodyStep::Done { used } | BodyStep::Broken { used } => {
                            pos += used;
                            let broken = matches!(step, BodyStep::Broken { .. });
                            if broken {
                                body.finish(false, find_tx(&mut self.txs, id), cx);
                                self.retire(body);
                                self.req.st = St::Resync;
                                self.request_done(id, cx);
                            } else {
                                self.end_fin_body(Direction::ToServer, None, cx);
                                self.req.fin_body = Some(body);
                                self.req.st = St::Finalize {
                                    tx: id,
                                    in_line: false,
                                };
                            }
                        }
                    }
                }
                St::Finalize { tx, in_line } => {
                    match self.finalize(Direction::ToServer, tx, in_line, rest, cx) {
                        Fin::Consumed(n) => pos += n,
                        Fin::NeedMore => {
                            return ParseResult::Incomplete {
                                consumed: pos,
                                needed: 1,
                            };
                        }
                        Fin::Done => {
                            self.req.st = St::Head;
                            self.request_done(tx, cx);
                        }
                    }
                }
                St::Head => match self.req.scan.scan(rest, self.cfg.max_head_len) {
                    Scan::Done { start, end } => {
                        let head = rest.get(start..end).unwrap_or(&[]);
                        let next = self.request_head(head, true, cx);
                        pos += end;
                        self.apply_req_next(next, cx);
                    }
                    Scan::Partial { skip } => {
                        return ParseResult::Incomplete {
                            consumed: pos + skip,
                            needed: 1,
                        };
                    }
                    Scan::TooLong {
                        start,
                        cut,
                        mid_line,
                    } => {
                        cx.stats.http.heads_truncated += 1;
                        let head = rest.get(start..cut).unwrap_or(&[]);
                        let next = self.request_head(head, true, cx);
                        if let Some(id) = self.req.tx {
                            raise(
                                find_tx(&mut self.txs, id),
                                id,
                                cx,
                                Direction::ToServer,
                                HttpEvent::RequestFieldTooLong,
                            );
                        }
                        pos += cut;
                        self.req.after_skip = Some(next);
                        self.req.st = St::SkipHead {
                            line_empty: !mid_line,
                        };
                    }
                },
            }
        }
        // The data ends right after a message: the transaction is complete (libhtp decides the
        // same way when no more data is at hand).
        if let St::Finalize { tx, in_line: false } = self.req.st {
            self.req.st = St::Head;
            self.request_done(tx, cx);
        }
        ParseResult::Ok
    }

    fn apply_req_next(&mut self, next: Next, cx: &mut ParseCx<'_>) {
        let Some(id) = self.req.tx else { return };
        match next {
            Next::NoBody | Next::Interim | Next::Tunnel => {
                self.req.st = St::Finalize {
                    tx: id,
                    in_line: false,
                };
            }
            Next::Body(b) => {
                self.req.body = Some(b);
                self.req.st = St::Body;
            }
            Next::AwaitConnect => {
                self.req.st = St::AwaitConnect;
                self.request_done(id, cx);
            }
        }
    }

    /// After a message of `tx`: is what follows a new message, or more body of `tx`?
    fn finalize(
        &mut self,
        dir: Direction,
        tx: u64,
        in_line: bool,
        rest: &[u8],
        cx: &mut ParseCx<'_>,
    ) -> Fin {
        let nl = memchr::memchr(b'\n', rest);
        let set = |me: &mut Self, in_line: bool| me.side(dir).st = St::Finalize { tx, in_line };
        if in_line {
            let n = nl.map_or(rest.len(), |i| i + 1);
            self.extra_body(dir, tx, rest.get(..n).unwrap_or(&[]), false, cx);
            set(self, nl.is_none());
            return Fin::Consumed(n);
        }
        let line = match nl {
            Some(i) => rest.get(..=i).unwrap_or(rest),
            None => rest,
        };
        let body_like = match dir {
            Direction::ToServer => {
                let lead = line.iter().take_while(|&&c| head::is_space(c)).count();
                let tok = line.get(lead..).unwrap_or(&[]);
                let tlen = tok.iter().take_while(|&&c| !head::is_space(c)).count();
                if tlen == 0 && nl.is_some() {
                    Some(false) // a blank line: body, without event
                } else if tlen == tok.len() && nl.is_none() && tlen <= head::MAX_METHOD_LEN {
                    None
                } else if head::is_known_method(tok.get(..tlen).unwrap_or(&[])) {
                    return Fin::Done;
                } else {
                    Some(true)
                }
            }
            Direction::ToClient => match head::looks_like_status_line(line) {
                Some(true) => return Fin::Done,
                Some(false) => Some(true),
                None if nl.is_some() => Some(false),
                None => None,
            },
        };
        match body_like {
            None if rest.len() < 1024 => Fin::NeedMore,
            other => {
                let n = line.len();
                self.extra_body(dir, tx, line, other.unwrap_or(true), cx);
                set(self, nl.is_none());
                Fin::Consumed(n)
            }
        }
    }

    /// Bytes after a message that are not a new message: more body of `id` (libhtp counts them).
    fn extra_body(
        &mut self,
        dir: Direction,
        id: u64,
        data: &[u8],
        event: bool,
        cx: &mut ParseCx<'_>,
    ) {
        let n = data.len() as u64;
        let limit = match dir {
            Direction::ToServer => self.cfg.request_body_limit,
            Direction::ToClient => self.cfg.response_body_limit,
        };
        if let Some(tx) = find_tx(&mut self.txs, id) {
            let buf = match dir {
                Direction::ToServer => {
                    tx.request_message_len += n;
                    tx.request_entity_len += n;
                    &mut tx.req_body
                }
                Direction::ToClient => {
                    tx.response_message_len += n;
                    tx.response_entity_len += n;
                    &mut tx.res_body
                }
            };
            let room = limit.saturating_sub(buf.len());
            buf.extend_from_slice(data.get(..room.min(data.len())).unwrap_or(&[]));
        }
        if let Some(b) = self.side(dir).fin_body.as_mut()
            && b.tx_id == id
        {
            b.extra(data, cx);
        }
        match dir {
            Direction::ToServer => {
                cx.stats.http.request_body_bytes += n;
                if event {
                    raise(
                        find_tx(&mut self.txs, id),
                        id,
                        cx,
                        dir,
                        HttpEvent::RequestBodyUnexpected,
                    );
                }
            }
            Direction::ToClient => cx.stats.http.response_body_bytes += n,
        }
    }

    /// Parses a request head (request line, headers, empty line) into a new transaction.
    /// `complete` is false for a head cut by the end of the stream.
    fn request_head(&mut self, head: &[u8], complete: bool, cx: &mut ParseCx<'_>) -> Next {
        let id = self.next_tx_id;
        self.next_tx_id += 1;
        self.new_tx(id, true, cx);
        self.req.tx = Some(id);
        cx.stats.http.requests += 1;
        let max_headers = self.cfg.max_headers;
        let arena_cap = self.cfg.max_head_len.saturating_mul(2);
        let mut evs = EvSet::default();
        let limits = self.limits();
        let req_limit = self.cfg.request_body_limit;
        let multipart_on = self.cfg.multipart;
        let decompress_requests = self.cfg.decompress_requests;
        let mut scratch = std::mem::take(&mut self.scratch);
        let Some(tx) = find_tx(&mut self.txs, id) else {
            self.scratch = scratch;
            return Next::NoBody;
        };
        tx.req_seen = true;
        tx.request_ts = cx.flow.ts;
        tx.req_head.extend_from_slice(head);
        let line_end = memchr::memchr(b'\n', head).map_or(head.len(), |i| i + 1);
        let line = head::chomp(head.get(..line_end).unwrap_or(&[]));
        tx.req_line = Span::new(0, line.len());
        let rl = head::parse_request_line(line);
        tx.method = Some(Span::new(rl.method.0, rl.method.1));
        tx.uri = rl.uri.map(|(a, b)| Span::new(a, b));
        tx.protocol = rl.protocol.map(|(a, b)| Span::new(a, b));
        if rl.leading_ws {
            evs.push(HttpEvent::RequestLineLeadingWhitespace);
        }
        if rl.method_delim_bad {
            evs.push(HttpEvent::MethodDelimNonCompliant);
        }
        if rl.uri_delim_bad {
            evs.push(HttpEvent::UriDelimNonCompliant);
        }
        // Header lines: everything after the request line, minus the terminating empty line.
        let mut block = head.get(line_end..).unwrap_or(&[]);
        if complete
            && let Some(b) = block
                .strip_suffix(b"\r\n")
                .or_else(|| block.strip_suffix(b"\n"))
        {
            block = b;
        }
        let has_headers = !block.is_empty();
        let http09 = rl.protocol.is_none() && !has_headers;
        if rl.protocol.is_none() && has_headers {
            evs.push(HttpEvent::RequestLineMissingProtocol);
        }
        let bad_fold = head::for_each_header(block, &mut scratch, |h| {
            let mut flags = 0;
            if h.missing_colon {
                flags |= tx::HEADER_MISSING_COLON;
                evs.push(HttpEvent::RequestFieldMissingColon);
            }
            if h.invalid {
                flags |= tx::HEADER_INVALID;
                evs.push(HttpEvent::RequestHeaderInvalid);
            }
            if h.folded {
                flags |= tx::HEADER_FOLDED;
            }
            match tx
                .req_headers
                .add(h.name, h.value, flags, max_headers, arena_cap)
            {
                AddOutcome::New => {}
                AddOutcome::Repeated => evs.push(HttpEvent::RequestHeaderRepetition),
                AddOutcome::ContentLengthConflict => {
                    evs.push(HttpEvent::DuplicateContentLengthFieldInRequest)
                }
                AddOutcome::Dropped => {
                    cx.stats.http.headers_dropped += 1;
                    evs.push(HttpEvent::RequestTooManyHeaders);
                }
            }
        });
        if bad_fold {
            evs.push(HttpEvent::InvalidRequestFieldFolding);
        }
        self.scratch = scratch;

        // URI normalisation and host (the raw URI lives in `req_head`, the results in other
        // fields of the transaction: disjoint borrows, no copy).
        let mut uri_port = HttpPort::Missing;
        let mut uri_has_host = false;
        if let Some(span) = tx.uri {
            let raw = span.get(&tx.req_head);
            let plen = uri::normalize_uri(raw, &mut tx.uri_norm);
            tx.uri_path = Span::new(0, plen);
            tx.has_uri_norm = true;
            let parts = uri::parse_uri(raw);
            if let Some(h) = parts.hostname {
                // Percent-decoded (into the hostname buffer), then lowercased in place.
                tx.hostname.clear();
                uri::percent_decode(h, &mut tx.hostname);
                tx.hostname.make_ascii_lowercase();
                while tx.hostname.last() == Some(&b'.') {
                    tx.hostname.pop();
                }
                if !uri::valid_hostname(&tx.hostname) {
                    evs.push(HttpEvent::RequestUriHostInvalid);
                }
                uri_has_host = true;
            }
            if let Some(p) = parts.port {
                match uri::parse_port(p) {
                    Some(p) => uri_port = HttpPort::Port(p),
                    None => evs.push(HttpEvent::RequestUriHostInvalid),
                }
            }
        }
        let processed = complete && !http09;
        if processed {
            tx.req_headers_done = true;
            tx.port = uri_port;
            tx.has_hostname = uri_has_host;
            match tx.req_headers.get(b"host") {
                None => {
                    let proto = tx.protocol().unwrap_or(&[]);
                    if proto.eq_ignore_ascii_case(b"HTTP/1.1") {
                        evs.push(HttpEvent::MissingHostHeader);
                    }
                }
                Some(v) => {
                    let hp = uri::parse_hostport(v);
                    if hp.invalid {
                        evs.push(HttpEvent::RequestHeaderHostInvalid);
                    }
                    if let Some(h) = hp.host {
                        if tx.has_hostname {
                            let mut h = h;
                            while let Some(x) = h.strip_suffix(b".") {
                                h = x;
                            }
                            let port_differs = matches!((tx.port, hp.port), (HttpPort::Port(a), Some(b)) if a != b);
                            if !h.eq_ignore_ascii_case(&tx.hostname) || port_differs {
                                evs.push(HttpEvent::HostHeaderAmbiguous);
                            }
                        } else {
                            tx.hostname.clear();
                            uri::normalize_host(h, &mut tx.hostname);
                            tx.has_hostname = true;
                            tx.port = hp.port.map_or(HttpPort::Missing, HttpPort::Port);
                        }
                    } else if tx.has_hostname {
                        evs.push(HttpEvent::HostHeaderAmbiguous);
                    }
                }
            }
        } else {
            tx.has_hostname = false;
        }

        // Body.
        let is_connect = tx.method() == Some(b"CONNECT");
        let is_post_or_put = matches!(tx.method(), Some(b"POST" | b"PUT"));
        let mut next = Next::NoBody;
        let mut body: Option<Box<Body>> = None;
        if processed {
            if is_connect {
                next = Next::AwaitConnect;
            } else {
                let te = tx.req_headers.get(b"transfer-encoding");
                let cl = tx.req_headers.get(b"content-length");
                let mut framing = None;
                let mut declared = None;
                if let Some(te) = te {
                    if contains_ci(te, b"chunked") {
                        framing = Some(Framing::Chunked);
                    } else {
                        evs.push(HttpEvent::InvalidTransferEncodingValueInRequest);
                    }
                }
                if framing.is_none()
                    && let Some(cl) = cl
                {
                    match head::parse_content_length(cl) {
                        Some(n) => {
                            declared = Some(n);
                            if n > 0 {
                                framing = Some(Framing::Length(n));
                            }
                        }
                        None => evs.push(HttpEvent::InvalidContentLengthFieldInRequest),
                    }
                }
                if let Some(framing) = framing {
                    let coding = if decompress_requests {
                        match tx
                            .req_headers
                            .get(b"content-encoding")
                            .map(Coding::from_header)
                        {
                            Some(Ok(c)) => c,
                            Some(Err(())) => {
                                evs.push(HttpEvent::AbnormalCeHeader);
                                None
                            }
                            None => None,
                        }
                    } else {
                        None
                    };
                    let ct = tx.req_headers.get(b"content-type").unwrap_or(&[]);
                    let boundary = if multipart_on {
                        multipart::form_data_boundary(ct)
                    } else {
                        None
                    };
                    let name = tx
                        .req_headers
                        .get(b"content-disposition")
                        .and_then(disposition_filename)
                        .or_else(|| tx.uri_path())
                        .unwrap_or(&[]);
                    body = Some(make_body(
                        &mut self.spare_bodies,
                        &BodySetup {
                            tx_id: id,
                            dir: Direction::ToServer,
                            framing,
                            coding,
                            limits,
                            boundary,
                            kind: if is_post_or_put {
                                FileKind::RequestFile
                            } else {
                                FileKind::RequestBody
                            },
                            name,
                            content_type: strip_params(ct),
                            declared_len: declared,
                            inspect_limit: req_limit,
                        },
                    ));
                }
            }
        }
        cx.tx(AppTx::Http(tx), TxStage::RequestHeaders);
        for e in evs.iter() {
            raise(find_tx(&mut self.txs, id), id, cx, Direction::ToServer, e);
        }
        if let Some(b) = body {
            next = Next::Body(b);
        }
        next
    }

    // ------------------------------------------------------------------ response side

    fn parse_response(&mut self, data: &[u8], cx: &mut ParseCx<'_>) -> ParseResult {
        let mut pos = 0;
        while pos < data.len() {
            let rest = data.get(pos..).unwrap_or(&[]);
            match self.res.st {
                St::Tunnel | St::AwaitConnect => {
                    cx.stats.dropped_bytes += rest.len() as u64;
                    return ParseResult::Ok;
                }
                St::Resync => match resync_point(rest, Direction::ToClient) {
                    Resync::At(n) => {
                        cx.stats.http.resync_skipped += n as u64;
                        pos += n;
                        self.res.st = St::Head;
                        self.res.scan.reset();
                    }
                    Resync::Partial(n) => {
                        cx.stats.http.resync_skipped += n as u64;
                        return ParseResult::Incomplete {
                            consumed: pos + n,
                            needed: 1,
                        };
                    }
                    Resync::None => {
                        cx.stats.http.resync_skipped += rest.len() as u64;
                        return ParseResult::Ok;
                    }
                },
                St::SkipHead { line_empty } => {
                    let (used, done, le) = skip_head(rest, line_empty);
                    pos += used;
                    if done {
                        self.res.st = St::Head;
                        if let Some(next) = self.res.after_skip.take()
                            && let Some(r) = self.apply_res_next(next, pos, cx)
                        {
                            return r;
                        }
                    } else {
                        self.res.st = St::SkipHead { line_empty: le };
                    }
                }
                St::Body => {
                    let Some(mut body) = self.res.body.take() else {
                        self.res.st = St::Head;
                        continue;
                    };
                    let id = body.tx_id;
                    match body.feed(rest, find_tx(&mut self.txs, id), cx) {
                        BodyStep::More => {
                            self.res.body = Some(body);
                            return ParseResult::Ok;
                        }
                        BodyStep::Done { used } | BodyStep::Broken { used } => {
                            pos += used;
                            self.end_fin_body(Direction::ToClient, None, cx);
                            self.res.fin_body = Some(body);
                            self.res.st = St::Finalize {
                                tx: id,
                                in_line: false,
                            };
                        }
                    }
                }
                St::Finalize { tx, in_line } => {
                    match self.finalize(Direction::ToClient, tx, in_line, rest, cx) {
                        Fin::Consumed(n) => pos += n,
                        Fin::NeedMore => {
                            return ParseResult::Incomplete {
                                consumed: pos,
                                needed: 1,
                            };
                        }
                        Fin::Done => {
                            self.res.st = St::Head;
                            self.response_done(tx, cx);
                        }
                    }
                }
                St::Head => {
                    // Leading empty lines are skipped; then decide whether this is HTTP at all.
                    let blank = rest
                        .iter()
                        .take_while(|&&c| c == b'\r' || c == b'\n')
                        .count();
                    if self.res.scan_is_fresh() {
                        match head::looks_like_status_line(rest.get(blank..).unwrap_or(&[])) {
                            None => {
                                return ParseResult::Incomplete {
                                    consumed: pos + blank,
                                    needed: 1,
                                };
                            }
                            Some(false) => {
                                pos += blank;
                                self.response_without_head(cx);
                                continue;
                            }
                            Some(true) => {}
                        }
                    }
                    match self.res.scan.scan(rest, self.cfg.max_head_len) {
                        Scan::Done { start, end } => {
                            let head = rest.get(start..end).unwrap_or(&[]);
                            let next = self.response_head(head, true, cx);
                            pos += end;
                            if let Some(r) = self.apply_res_next(next, pos, cx) {
                                return r;
                            }
                        }
                        Scan::Partial { skip } => {
                            return ParseResult::Incomplete {
                                consumed: pos + skip,
                                needed: 1,
                            };
                        }
                        Scan::TooLong {
                            start,
                            cut,
                            mid_line,
                        } => {
                            cx.stats.http.heads_truncated += 1;
                            let head = rest.get(start..cut).unwrap_or(&[]);
                            let next = self.response_head(head, true, cx);
                            if let Some(id) = self.res.tx {
                                raise(
                                    find_tx(&mut self.txs, id),
                                    id,
                                    cx,
                                    Direction::ToClient,
                                    HttpEvent::ResponseFieldTooLong,
                                );
                            }
                            pos += cut;
                            self.res.after_skip = Some(next);
                            self.res.st = St::SkipHead {
                                line_empty: !mid_line,
                            };
                        }
                    }
                }
            }
        }
        if let St::Finalize { tx, in_line: false } = self.res.st {
            self.res.st = St::Head;
            self.response_done(tx, cx);
        }
        ParseResult::Ok
    }

    /// The transaction the next response belongs to (creating one when there is no request).
    fn begin_response(&mut self, cx: &mut ParseCx<'_>) -> u64 {
        if let Some(id) = self.res.interim_tx.take()
            && self.txs.iter().any(|t| t.tx_id == id)
        {
            return id;
        }
        let id = self.res_next;
        self.res_next += 1;
        if self.txs.iter().any(|t| t.tx_id == id) {
            return id;
        }
        let fresh = id >= self.next_tx_id;
        if fresh {
            self.next_tx_id = id + 1;
        }
        self.new_tx(id, fresh, cx);
        if let Some(tx) = find_tx(&mut self.txs, id) {
            // No request (or it was completed early): nothing to wait for on that side.
            tx.req_done = true;
            tx.request_ts = cx.flow.ts;
            tx.shadow = !fresh;
        }
        if fresh {
            cx.stats.http.unmatched_responses += 1;
            raise(
                find_tx(&mut self.txs, id),
                id,
                cx,
                Direction::ToClient,
                HttpEvent::UnableToMatchResponseToRequest,
            );
        }
        id
    }

    /// A response that does not start with a status line: all of it is body until close.
    fn response_without_head(&mut self, cx: &mut ParseCx<'_>) {
        let id = self.begin_response(cx);
        self.res.tx = Some(id);
        cx.stats.http.responses += 1;
        let (name, limits) = (
            find_tx(&mut self.txs, id)
                .and_then(|t| t.file_path().map(|p| p.to_vec()))
                .unwrap_or_default(),
            self.limits(),
        );
        if let Some(tx) = find_tx(&mut self.txs, id) {
            tx.res_seen = true;
            tx.response_ts = cx.flow.ts;
            cx.tx(AppTx::Http(tx), TxStage::ResponseHeaders);
        }
        self.res.body = Some(make_body(
            &mut self.spare_bodies,
            &BodySetup {
                tx_id: id,
                dir: Direction::ToClient,
                framing: Framing::Close,
                coding: None,
                limits,
                boundary: None,
                kind: FileKind::ResponseBody,
                name: &name,
                content_type: &[],
                declared_len: None,
                inspect_limit: self.cfg.response_body_limit,
            },
        ));
        self.res.st = St::Body;
    }

    /// Applies what follows a response head. Returns a result to hand back right away (a
    /// switch to a tunnel).
    fn apply_res_next(
        &mut self,
        next: Next,
        pos: usize,
        cx: &mut ParseCx<'_>,
    ) -> Option<ParseResult> {
        let id = self.res.tx?;
        match next {
            Next::NoBody | Next::AwaitConnect => {
                self.res.st = St::Finalize {
                    tx: id,
                    in_line: false,
                };
                None
            }
            Next::Interim => {
                self.res.st = St::Head;
                self.res.interim_tx = Some(id);
                None
            }
            Next::Body(b) => {
                self.res.body = Some(b);
                self.res.st = St::Body;
                None
            }
            Next::Tunnel => {
                cx.stats.http.tunnels += 1;
                self.res.st = St::Tunnel;
                self.req.st = St::Tunnel;
                if let Some(tx) = find_tx(&mut self.txs, id) {
                    tx.tunnel = true;
                }
                self.response_done(id, cx);
                Some(ParseResult::Switch { consumed: pos })
            }
        }
    }

    fn response_head(&mut self, head: &[u8], complete: bool, cx: &mut ParseCx<'_>) -> Next {
        let id = self.begin_response(cx);
        self.res.tx = Some(id);
        cx.stats.http.responses += 1;
        let max_headers = self.cfg.max_headers;
        let arena_cap = self.cfg.max_head_len.saturating_mul(2);
        let limits = self.limits();
        let inspect_limit = self.cfg.response_body_limit;
        let mut evs = EvSet::default();
        let mut scratch = std::mem::take(&mut self.scratch);
        let Some(tx) = find_tx(&mut self.txs, id) else {
            self.scratch = scratch;
            return Next::NoBody;
        };
        let interim_before = tx.interim;
        tx.res_seen = true;
        tx.response_ts = cx.flow.ts;
        tx.res_head.clear();
        tx.res_headers.clear();
        tx.res_head.extend_from_slice(head);
        let line_end = memchr::memchr(b'\n', head).map_or(head.len(), |i| i + 1);
        let line = head::chomp(head.get(..line_end).unwrap_or(&[]));
        tx.res_line = Span::new(0, line.len());
        let sl = head::parse_status_line(line);
        tx.res_protocol = sl.protocol.map(|(a, b)| Span::new(a, b));
        tx.status = sl.status.map(|(a, b)| Span::new(a, b));
        tx.status_msg = sl.message.map(|(a, b)| Span::new(a, b));
        if !tx.response_protocol().is_some_and(|p| {
            p.len() >= 5 && p.get(..5).is_some_and(|x| x.eq_ignore_ascii_case(b"HTTP/"))
        }) {
            evs.push(HttpEvent::ResponseInvalidProtocol);
        }
        if tx.status().is_none() {
            evs.push(HttpEvent::ResponseInvalidStatus);
        }
        let mut block = head.get(line_end..).unwrap_or(&[]);
        if complete
            && let Some(b) = block
                .strip_suffix(b"\r\n")
                .or_else(|| block.strip_suffix(b"\n"))
        {
            block = b;
        }
        let bad_fold = head::for_each_header(block, &mut scratch, |h| {
            let mut flags = 0;
            if h.missing_colon {
                flags |= tx::HEADER_MISSING_COLON;
                evs.push(HttpEvent::ResponseFieldMissingColon);
            }
            if h.invalid {
                flags |= tx::HEADER_INVALID;
                evs.push(HttpEvent::ResponseHeaderInvalid);
            }
            if h.folded {
                flags |= tx::HEADER_FOLDED;
            }
            match tx
                .res_headers
                .add(h.name, h.value, flags, max_headers, arena_cap)
            {
                AddOutcome::New => {}
                AddOutcome::Repeated => evs.push(HttpEvent::ResponseHeaderRepetition),
                AddOutcome::ContentLengthConflict => {
                    evs.push(HttpEvent::DuplicateContentLengthFieldInResponse)
                }
                AddOutcome::Dropped => {
                    cx.stats.http.headers_dropped += 1;
                    evs.push(HttpEvent::ResponseTooManyHeaders);
                }
            }
        });
        if bad_fold {
            evs.push(HttpEvent::InvalidResponseFieldFolding);
        }
        self.scratch = scratch;
        tx.res_headers_done = complete;

        let status = tx.status().unwrap_or(0);
        let method = tx.method().unwrap_or(&[]);
        let is_connect = method == b"CONNECT";
        let is_head = method == b"HEAD";
        let te = tx.res_headers.get(b"transfer-encoding");
        let cl = tx.res_headers.get(b"content-length");
        let mut next = None;
        if is_connect {
            if (200..=299).contains(&status) {
                next = Some(Next::Tunnel);
            } else {
                // A refused CONNECT: the request side continues with HTTP.
                if self.req.st == St::AwaitConnect {
                    self.req.st = St::Head;
                }
            }
        }
        if next.is_none() && status == 101 && te.is_none() && cl.is_none() {
            next = Some(Next::Tunnel);
        }
        if next.is_none()
            && (100..=199).contains(&status)
            && status != 101
            && te.is_none()
            && cl.and_then(head::parse_content_length).unwrap_or(0) == 0
        {
            if status == 100 && interim_before > 0 {
                evs.push(HttpEvent::Continue100AlreadySeen);
            }
            tx.interim += 1;
            next = Some(Next::Interim);
        }
        if next.is_none()
            && (is_head
                || ((100..=199).contains(&status) || status == 204 || status == 304)
                    && te.is_none()
                    && cl.is_none())
        {
            next = Some(Next::NoBody);
        }
        let mut framing = None;
        if next.is_none() {
            if let Some(te) = te {
                if contains_ci(te, b"chunked") {
                    if !te.trim_ascii().eq_ignore_ascii_case(b"chunked") {
                        evs.push(HttpEvent::ResponseAbnormalTransferEncoding);
                    }
                    if tx
                        .response_protocol()
                        .is_some_and(|p| p.eq_ignore_ascii_case(b"HTTP/1.0"))
                    {
                        evs.push(HttpEvent::ResponseChunkedOldProto);
                    }
                    framing = Some(Framing::Chunked);
                } else {
                    evs.push(HttpEvent::InvalidTransferEncodingValueInResponse);
                }
            }
            if framing.is_none() {
                framing = Some(match cl {
                    Some(v) => match head::parse_content_length(v) {
                        Some(0) => {
                            next = Some(Next::NoBody);
                            Framing::Length(0)
                        }
                        Some(n) => Framing::Length(n),
                        None => {
                            evs.push(HttpEvent::InvalidContentLengthFieldInResponse);
                            Framing::Close
                        }
                    },
                    None => Framing::Close,
                });
            }
        }
        let mut body = None;
        if next.is_none()
            && let Some(framing) = framing
        {
            let coding = match tx
                .res_headers
                .get(b"content-encoding")
                .map(Coding::from_header)
            {
                Some(Ok(c)) => c,
                Some(Err(())) => {
                    evs.push(HttpEvent::AbnormalCeHeader);
                    None
                }
                None => None,
            };
            let ct = strip_params(tx.res_headers.get(b"content-type").unwrap_or(&[]));
            let name = match tx
                .res_headers
                .get(b"content-disposition")
                .and_then(disposition_filename)
            {
                Some(f) => f,
                None => tx.file_path().unwrap_or(&[]),
            };
            let declared = cl.and_then(head::parse_content_length);
            body = Some(make_body(
                &mut self.spare_bodies,
                &BodySetup {
                    tx_id: id,
                    dir: Direction::ToClient,
                    framing,
                    coding,
                    limits,
                    boundary: None,
                    kind: FileKind::ResponseBody,
                    name,
                    content_type: ct,
                    declared_len: declared,
                    inspect_limit,
                },
            ));
        }
        let interim = matches!(next, Some(Next::Interim));
        if !interim {
            cx.tx(AppTx::Http(tx), TxStage::ResponseHeaders);
        }
        for e in evs.iter() {
            raise(find_tx(&mut self.txs, id), id, cx, Direction::ToClient, e);
        }
        match (next, body) {
            (Some(n), _) => n,
            (None, Some(b)) => Next::Body(b),
            (None, None) => Next::NoBody,
        }
    }

    // ------------------------------------------------------------------ gaps, close, finish

    fn side(&mut self, dir: Direction) -> &mut Side {
        match dir {
            Direction::ToServer => &mut self.req,
            Direction::ToClient => &mut self.res,
        }
    }

    fn on_gap(&mut self, dir: Direction, len: u64, cx: &mut ParseCx<'_>) {
        cx.stats.http.gaps += 1;
        let st = self.side(dir).st;
        let cur = self.side(dir).tx;
        let mark = |txs: &mut VecDeque<Box<HttpTx>>, id: Option<u64>| {
            if let Some(t) = id.and_then(|i| find_tx(txs, i)) {
                match dir {
                    Direction::ToServer => t.request_gap = true,
                    Direction::ToClient => t.response_gap = true,
                }
            }
        };
        match st {
            St::Tunnel | St::AwaitConnect | St::Resync => {}
            St::Head => {
                self.side(dir).scan.reset();
                self.side(dir).st = St::Resync;
            }
            St::Finalize { tx, .. } => {
                self.side(dir).st = St::Resync;
                match dir {
                    Direction::ToServer => self.request_done(tx, cx),
                    Direction::ToClient => self.response_done(tx, cx),
                }
            }
            St::SkipHead { .. } => {
                self.side(dir).after_skip = None;
                self.side(dir).st = St::Resync;
                mark(&mut self.txs, cur);
                if let Some(id) = cur {
                    match dir {
                        Direction::ToServer => self.request_done(id, cx),
                        Direction::ToClient => self.response_done(id, cx),
                    }
                }
            }
            St::Body => {
                let Some(mut body) = self.side(dir).body.take() else {
                    self.side(dir).st = St::Resync;
                    return;
                };
                let id = body.tx_id;
                mark(&mut self.txs, Some(id));
                match body.gap(len, cx) {
                    None => self.side(dir).body = Some(body),
                    Some(beyond) => {
                        body.finish(false, find_tx(&mut self.txs, id), cx);
                        let chunked = !matches!(beyond, 0) || !body.until_close();
                        self.retire(body);
                        self.side(dir).st = if beyond > 0 || chunked {
                            St::Resync
                        } else {
                            St::Head
                        };
                        match dir {
                            Direction::ToServer => self.request_done(id, cx),
                            Direction::ToClient => self.response_done(id, cx),
                        }
                    }
                }
            }
        }
    }

    fn on_close(&mut self, dir: Direction, tail: &[u8], cx: &mut ParseCx<'_>) {
        if self.side(dir).closed {
            return;
        }
        self.side(dir).closed = true;
        let st = self.side(dir).st;
        match st {
            St::Head => {
                let content = tail.iter().any(|&c| c != b'\r' && c != b'\n');
                if content {
                    let start = tail
                        .iter()
                        .position(|&c| c != b'\r' && c != b'\n')
                        .unwrap_or(0);
                    let head = tail.get(start..).unwrap_or(&[]);
                    match dir {
                        Direction::ToServer => {
                            let _ = self.request_head(head, false, cx);
                            if let Some(id) = self.req.tx {
                                self.request_done(id, cx);
                            }
                        }
                        Direction::ToClient => {
                            if head::looks_like_status_line(head) == Some(true) {
                                let _ = self.response_head(head, false, cx);
                                if let Some(id) = self.res.tx {
                                    self.response_done(id, cx);
                                }
                            } else {
                                self.response_without_head(cx);
                                let _ = self.parse_response(head, cx);
                                self.close_body(dir, true, cx);
                            }
                        }
                    }
                }
            }
            St::Body => {
                let complete = self
                    .side(dir)
                    .body
                    .as_ref()
                    .is_some_and(|b| b.until_close());
                self.close_body(dir, complete, cx);
            }
            St::SkipHead { .. } => {
                if let Some(id) = self.side(dir).tx {
                    self.side(dir).after_skip = None;
                    match dir {
                        Direction::ToServer => self.request_done(id, cx),
                        Direction::ToClient => self.response_done(id, cx),
                    }
                }
            }
            St::Finalize { tx, in_line } => {
                // What is left is a cut line: a cut head when it starts like one, else body.
                let starts_message = !in_line
                    && !tail.is_empty()
                    && match dir {
                        Direction::ToServer => {
                            let lead = tail.iter().take_while(|&&c| head::is_space(c)).count();
                            let tok = tail.get(lead..).unwrap_or(&[]);
                            let tlen = tok.iter().take_while(|&&c| !head::is_space(c)).count();
                            head::is_known_method(tok.get(..tlen).unwrap_or(&[]))
                        }
                        Direction::ToClient => head::looks_like_status_line(tail) == Some(true),
                    };
                if !starts_message && !tail.is_empty() {
                    self.extra_body(dir, tx, tail, dir == Direction::ToServer && !in_line, cx);
                }
                self.side(dir).st = St::Head;
                match dir {
                    Direction::ToServer => self.request_done(tx, cx),
                    Direction::ToClient => self.response_done(tx, cx),
                }
                if starts_message {
                    self.side(dir).closed = false;
                    self.on_close(dir, tail, cx);
                }
            }
            St::AwaitConnect | St::Tunnel | St::Resync => {}
        }
    }

    fn close_body(&mut self, dir: Direction, complete: bool, cx: &mut ParseCx<'_>) {
        let Some(mut body) = self.side(dir).body.take() else {
            return;
        };
        let id = body.tx_id;
        body.finish(complete, find_tx(&mut self.txs, id), cx);
        self.retire(body);
        self.side(dir).st = St::Head;
        match dir {
            Direction::ToServer => self.request_done(id, cx),
            Direction::ToClient => self.response_done(id, cx),
        }
    }

    fn on_finish(&mut self, cx: &mut ParseCx<'_>) {
        for dir in [Direction::ToServer, Direction::ToClient] {
            self.end_fin_body(dir, None, cx);
            if let Some(mut body) = self.side(dir).body.take() {
                let id = body.tx_id;
                let complete = body.until_close();
                body.finish(complete, find_tx(&mut self.txs, id), cx);
                self.retire(body);
            }
        }
        while let Some(tx) = self.txs.pop_front() {
            if tx.shadow {
                continue;
            }
            cx.stats.http.txs += 1;
            cx.tx(AppTx::Http(&tx), TxStage::Complete);
            self.recycle(tx);
        }
    }
}

impl Side {
    /// No head scan in progress (the next bytes start a new message).
    fn scan_is_fresh(&self) -> bool {
        self.scan.is_fresh()
    }
}

/// Events gathered while a transaction is borrowed (a bit set: no allocation).
#[derive(Clone, Copy, Default)]
struct EvSet(u64);

impl EvSet {
    fn push(&mut self, e: HttpEvent) {
        self.0 |= 1u64 << (e as u8);
    }
    fn iter(self) -> impl Iterator<Item = HttpEvent> {
        HttpEvent::ALL
            .into_iter()
            .filter(move |e| self.0 & (1u64 << (*e as u8)) != 0)
    }
}

enum Fin {
    Consumed(usize),
    NeedMore,
    Done,
}

enum Resync {
    /// A message starts `n` bytes in.
    At(usize),
    /// `n` bytes can be dropped; what follows may start a message.
    Partial(usize),
    /// No message start here.
    None,
}

fn candidate(d: &[u8], dir: Direction) -> Option<bool> {
    match dir {
        Direction::ToClient => {
            let n = d.len().min(5);
            let p = d.get(..n)?;
            if !p.eq_ignore_ascii_case(b"HTTP/".get(..n)?) {
                return Some(false);
            }
            if n < 5 { None } else { Some(true) }
        }
        Direction::ToServer => {
            let tlen = d.iter().take_while(|&&c| c != b' ' && c != b'\t').count();
            if tlen == d.len() {
                // No delimiter yet: could still be a method.
                let prefix = d.get(..tlen)?;
                let maybe = head::KNOWN_METHODS.iter().any(|m| m.starts_with(prefix));
                return if maybe && tlen <= head::MAX_METHOD_LEN {
                    None
                } else {
                    Some(false)
                };
            }
            Some(head::is_known_method(d.get(..tlen)?))
        }
    }
}

/// Finds the next line start that looks like a message start.
fn resync_point(d: &[u8], dir: Direction) -> Resync {
    let mut start = 0;
    loop {
        let rest = d.get(start..).unwrap_or(&[]);
        match candidate(rest, dir) {
            Some(true) => return Resync::At(start),
            None => return Resync::Partial(start),
            Some(false) => {}
        }
        match memchr::memchr(b'\n', rest) {
            Some(nl) => start += nl + 1,
            None => return Resync::None,
        }
        if start >= d.len() {
            return Resync::Partial(d.len());
        }
    }
}

/// Skips an over-long head up to its empty line. Returns (bytes used, head ended, state).
fn skip_head(d: &[u8], mut line_empty: bool) -> (usize, bool, bool) {
    for (i, &c) in d.iter().enumerate() {
        match c {
            b'\n' if line_empty => return (i + 1, true, true),
            b'\n' => line_empty = true,
            b'\r' => {}
            _ => line_empty = false,
        }
    }
    (d.len(), false, line_empty)
}

/// Content probe for HTTP/1.x: a known method followed by a space (requests, case-insensitive as
/// Suricata's patterns) or `HTTP/` (responses).
fn probe_http(dir: Direction, data: &[u8]) -> Probe {
    let d = {
        let lead = data
            .iter()
            .take_while(|&&c| c == b'\r' || c == b'\n')
            .count();
        data.get(lead..).unwrap_or(&[])
    };
    if d.is_empty() {
        return Probe::NeedMore;
    }
    let req = || {
        let tlen = d.iter().take_while(|&&c| c != b' ' && c != b'\t').count();
        let tok = d.get(..tlen).unwrap_or(&[]);
        if tlen == d.len() {
            let maybe = head::KNOWN_METHODS.iter().any(|m| {
                m.len() >= tlen && m.get(..tlen).is_some_and(|p| p.eq_ignore_ascii_case(tok))
            });
            return if maybe { Probe::NeedMore } else { Probe::No };
        }
        if head::KNOWN_METHODS
            .iter()
            .any(|m| m.eq_ignore_ascii_case(tok))
        {
            Probe::Yes
        } else {
            Probe::No
        }
    };
    let res =
        || {
            let n = d.len().min(5);
            match d.get(..n) {
                Some(p) if b"HTTP/".get(..n).is_some_and(|h| h.eq_ignore_ascii_case(p)) => {
                    if n == 5 { Probe::Yes } else { Probe::NeedMore }
                }
                _ => Probe::No,
            }
        };
    // A request seen from the server or a response seen from the client: reversed roles (a flow
    // picked up mid-way, or the first packet lost).
    let (mine, theirs) = match dir {
        Direction::ToServer => (req(), res()),
        Direction::ToClient => (res(), req()),
    };
    match (mine, theirs) {
        (Probe::Yes, _) => Probe::Yes,
        (_, Probe::Yes) => Probe::Reverse,
        (Probe::NeedMore, _) | (_, Probe::NeedMore) => Probe::NeedMore,
        _ => Probe::No,
    }
}

impl AppParser for HttpParser {
    fn info() -> ProtocolInfo {
        ProtocolInfo {
            proto: AppProto::Http,
            tcp: true,
            udp: false,
        }
    }

    fn ports(_cfg: &AppConfig, t: Transport) -> Vec<u16> {
        match t {
            Transport::Tcp => vec![80, 8080, 8000, 3128],
            Transport::Udp => Vec::new(),
        }
    }

    fn any_port(_cfg: &AppConfig, t: Transport) -> bool {
        t == Transport::Tcp
    }

    fn probe(t: Transport, dir: Direction, data: &[u8]) -> Probe {
        if t != Transport::Tcp {
            return Probe::No;
        }
        probe_http(dir, data)
    }

    fn create(cfg: &AppConfig, _t: Transport) -> Self {
        HttpParser {
            cfg: cfg.http.clone(),
            txs: VecDeque::new(),
            spare: Vec::new(),
            next_tx_id: 0,
            res_next: 0,
            req: Side::new(),
            res: Side::new(),
            scratch: Vec::new(),
            spare_bodies: Vec::new(),
        }
    }

    fn proto(&self) -> AppProto {
        AppProto::Http
    }

    fn parse(&mut self, dir: Direction, data: &[u8], cx: &mut ParseCx<'_>) -> ParseResult {
        match dir {
            Direction::ToServer => self.parse_request(data, cx),
            Direction::ToClient => self.parse_response(data, cx),
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, cx: &mut ParseCx<'_>) {
        self.on_gap(dir, len, cx);
    }

    fn close(&mut self, dir: Direction, tail: &[u8], cx: &mut ParseCx<'_>) {
        self.on_close(dir, tail, cx);
    }

    fn finish(&mut self, cx: &mut ParseCx<'_>) {
        self.on_finish(cx);
    }

    fn memory(&self) -> usize {
        let txs: usize = self
            .txs
            .iter()
            .chain(self.spare.iter())
            .map(|t| t.memory() + std::mem::size_of::<HttpTx>())
            .sum();
        let bodies: usize = [&self.req.body, &self.res.body]
            .iter()
            .map(|b| b.as_ref().map_or(0, |b| b.memory()))
            .sum();
        std::mem::size_of::<Self>() + txs + bodies + self.scratch.capacity()
    }
}

#[cfg(test)]
mod tests;
