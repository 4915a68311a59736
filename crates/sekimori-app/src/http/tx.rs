//! One HTTP transaction (a request and its response) and its header tables.

use sekimori_capture::Timestamp;

use super::events::HttpEvent;

/// A byte range into one of the transaction's buffers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Span {
        let s = u32::try_from(start).unwrap_or(u32::MAX);
        let e = u32::try_from(end).unwrap_or(u32::MAX);
        Span {
            start: s,
            end: e.max(s),
        }
    }
    pub(crate) fn get<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(self.start as usize..self.end as usize)
            .unwrap_or(&[])
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// Header flag: the header appeared more than once (values joined with `", "`).
pub const HEADER_REPEATED: u8 = 0x01;
/// Header flag: the header was folded over several lines.
pub const HEADER_FOLDED: u8 = 0x02;
/// Header flag: the line had no colon (kept with an empty name and the whole line as value).
pub const HEADER_MISSING_COLON: u8 = 0x04;
/// Header flag: empty name, whitespace before the colon, or a name that is not a token.
pub const HEADER_INVALID: u8 = 0x08;

#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    name: Span,
    value: Span,
    flags: u8,
}

/// A header table with libhtp's semantics: one entry per distinct (case-insensitive) name, in
/// first-seen order; a repeated header has its values joined with `", "` (a repeated
/// Content-Length keeps its first value); folded lines are joined to their header.
#[derive(Clone, Debug, Default)]
pub struct Headers {
    arena: Vec<u8>,
    list: Vec<Entry>,
    repetitions: u32,
}

/// Outcome of adding a header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AddOutcome {
    /// A new entry.
    New,
    /// Joined to an existing entry.
    Repeated,
    /// A second Content-Length with another value (the first is kept).
    ContentLengthConflict,
    /// Dropped: too many headers or repetitions.
    Dropped,
}

/// Repeated headers joined per head before further repetitions are dropped (libhtp: 64).
const MAX_REPETITIONS: u32 = 64;

impl Headers {
    pub(crate) fn clear(&mut self) {
        self.arena.clear();
        self.list.clear();
        self.repetitions = 0;
    }

    /// Number of distinct headers.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True when there are no headers.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The value of header `name` (ASCII case-insensitive).
    pub fn get(&self, name: &[u8]) -> Option<&[u8]> {
        self.find(name).map(|i| self.value_at(i))
    }

    /// The flags of header `name` (`HEADER_*`).
    pub fn flags(&self, name: &[u8]) -> Option<u8> {
        self.find(name)
            .and_then(|i| self.list.get(i))
            .map(|e| e.flags)
    }

    /// Iterates `(name, value)` in first-seen order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + Clone + '_ {
        self.list
            .iter()
            .map(|e| (e.name.get(&self.arena), e.value.get(&self.arena)))
    }

    fn value_at(&self, i: usize) -> &[u8] {
        self.list
            .get(i)
            .map(|e| e.value.get(&self.arena))
            .unwrap_or(&[])
    }

    fn find(&self, name: &[u8]) -> Option<usize> {
        self.list
            .iter()
            .position(|e| e.name.get(&self.arena).eq_ignore_ascii_case(name))
    }

    pub(crate) fn memory(&self) -> usize {
        self.arena.capacity() + self.list.capacity() * std::mem::size_of::<Entry>()
    }

    /// Adds a parsed header. `arena_cap` bounds the bytes kept for this table.
    pub(crate) fn add(
        &mut self,
        name: &[u8],
        value: &[u8],
        flags: u8,
        max_headers: usize,
        arena_cap: usize,
    ) -> AddOutcome {
        if let Some(i) = self.find(name) {
            if self.repetitions >= MAX_REPETITIONS {
                return AddOutcome::Dropped;
            }
            self.repetitions += 1;
            let Some(e) = self.list.get(i).copied() else {
                return AddOutcome::Dropped;
            };
            if name.eq_ignore_ascii_case(b"content-length") {
                if let Some(x) = self.list.get_mut(i) {
                    x.flags |= HEADER_REPEATED;
                }
                let old = super::head::parse_content_length(e.value.get(&self.arena));
                let new = super::head::parse_content_length(value);
                return if old.is_some() && old == new {
                    AddOutcome::Repeated
                } else {
                    AddOutcome::ContentLengthConflict
                };
            }
            let old_len = (e.value.end - e.value.start) as usize;
            if self.arena.len() + old_len + 2 + value.len() > arena_cap {
                return AddOutcome::Dropped;
            }
            let start = if e.value.end as usize == self.arena.len() {
                // The value is last in the arena: extend it in place.
                e.value.start as usize
            } else {
                let s = self.arena.len();
                self.arena
                    .extend_from_within(e.value.start as usize..e.value.end as usize);
                s
            };
            self.arena.extend_from_slice(b", ");
            self.arena.extend_from_slice(value);
            let end = self.arena.len();
            if let Some(x) = self.list.get_mut(i) {
                x.value = Span::new(start, end);
                x.flags |= HEADER_REPEATED | flags;
            }
            return AddOutcome::Repeated;
        }
        if self.list.len() >= max_headers || self.arena.len() + name.len() + value.len() > arena_cap
        {
            return AddOutcome::Dropped;
        }
        let ns = self.arena.len();
        self.arena.extend_from_slice(name);
        let vs = self.arena.len();
        self.arena.extend_from_slice(value);
        let ve = self.arena.len();
        self.list.push(Entry {
            name: Span::new(ns, vs),
            value: Span::new(vs, ve),
            flags,
        });
        AddOutcome::New
    }
}

/// The port of the request's host, as libhtp reports it (EVE `http_port`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HttpPort {
    /// The request headers were never completely processed (libhtp reports 0).
    #[default]
    Unprocessed,
    /// No (valid) port in the URI authority or the Host header.
    Missing,
    /// The port given in the URI authority or the Host header.
    Port(u16),
}

/// One HTTP/1.x transaction: a request and the response paired with it.
///
/// Byte fields are raw protocol bytes (not necessarily UTF-8). Accessors return `None` when the
/// element was not seen.
#[derive(Clone, Debug, Default)]
pub struct HttpTx {
    /// Transaction id within the flow (EVE `tx_id`), from 0.
    pub tx_id: u64,
    /// Time the request head completed (or the response started, for a response without request).
    pub request_ts: Timestamp,
    /// Time the response head completed.
    pub response_ts: Timestamp,

    pub(crate) req_seen: bool,
    pub(crate) req_head: Vec<u8>,
    pub(crate) req_line: Span,
    pub(crate) method: Option<Span>,
    pub(crate) uri: Option<Span>,
    pub(crate) protocol: Option<Span>,
    pub(crate) req_headers: Headers,
    pub(crate) req_headers_done: bool,
    pub(crate) uri_norm: Vec<u8>,
    pub(crate) has_uri_norm: bool,
    pub(crate) uri_path: Span,
    pub(crate) hostname: Vec<u8>,
    pub(crate) has_hostname: bool,
    pub(crate) port: HttpPort,
    pub(crate) req_body: Vec<u8>,
    /// Request body bytes on the wire (chunk framing included).
    pub request_message_len: u64,
    /// Request body bytes after de-chunking and decoding.
    pub request_entity_len: u64,
    pub(crate) req_done: bool,

    pub(crate) res_seen: bool,
    pub(crate) res_head: Vec<u8>,
    pub(crate) res_line: Span,
    pub(crate) res_protocol: Option<Span>,
    pub(crate) status: Option<Span>,
    pub(crate) status_msg: Option<Span>,
    pub(crate) res_headers: Headers,
    pub(crate) res_headers_done: bool,
    pub(crate) res_body: Vec<u8>,
    /// Response body bytes on the wire, chunk framing included (libhtp's `response_message_len`,
    /// EVE `length`).
    pub response_message_len: u64,
    /// Response body bytes after de-chunking and decoding.
    pub response_entity_len: u64,
    pub(crate) res_done: bool,
    pub(crate) interim: u32,
    /// The late response of a transaction that was completed early: parsed, never handed out.
    pub(crate) shadow: bool,

    pub(crate) events: u64,
    /// Bytes were missing in the request stream of this transaction.
    pub request_gap: bool,
    /// Bytes were missing in the response stream of this transaction.
    pub response_gap: bool,
    /// A successful CONNECT or a protocol upgrade: the stream after it is not HTTP.
    pub tunnel: bool,
    /// The transaction was completed early because too many were open.
    pub evicted: bool,
    /// The request body inspection buffer reached its limit.
    pub request_body_truncated: bool,
    /// The response body inspection buffer reached its limit.
    pub response_body_truncated: bool,
    /// Decompression of a body was cut (bomb or cap).
    pub decompression_truncated: bool,
}

fn opt(s: Option<Span>, buf: &[u8]) -> Option<&[u8]> {
    s.map(|s| s.get(buf))
}

/// The URI libhtp reports for a response that has no request (`http.uri` and EVE `url`).
pub const URI_NOT_SEEN: &[u8] = b"/libhtp::request_uri_not_seen";

impl HttpTx {
    pub(crate) fn reset(&mut self, tx_id: u64) {
        self.tx_id = tx_id;
        self.request_ts = Timestamp::default();
        self.response_ts = Timestamp::default();
        self.req_seen = false;
        self.req_head.clear();
        self.req_line = Span::default();
        self.method = None;
        self.uri = None;
        self.protocol = None;
        self.req_headers.clear();
        self.req_headers_done = false;
        self.uri_norm.clear();
        self.has_uri_norm = false;
        self.uri_path = Span::default();
        self.hostname.clear();
        self.has_hostname = false;
        self.port = HttpPort::Unprocessed;
        self.req_body.clear();
        self.request_message_len = 0;
        self.request_entity_len = 0;
        self.req_done = false;
        self.res_seen = false;
        self.res_head.clear();
        self.res_line = Span::default();
        self.res_protocol = None;
        self.status = None;
        self.status_msg = None;
        self.res_headers.clear();
        self.res_headers_done = false;
        self.res_body.clear();
        self.response_message_len = 0;
        self.response_entity_len = 0;
        self.res_done = false;
        self.interim = 0;
        self.shadow = false;
        self.events = 0;
        self.request_gap = false;
        self.response_gap = false;
        self.tunnel = false;
        self.evicted = false;
        self.request_body_truncated = false;
        self.response_body_truncated = false;
        self.decompression_truncated = false;
    }

    pub(crate) fn memory(&self) -> usize {
        self.req_head.capacity()
            + self.res_head.capacity()
            + self.uri_norm.capacity()
            + self.hostname.capacity()
            + self.req_body.capacity()
            + self.res_body.capacity()
            + self.req_headers.memory()
            + self.res_headers.memory()
    }

    // ---- request ----

    /// A request line was seen for this transaction (false for a response without request).
    pub fn request_seen(&self) -> bool {
        self.req_seen
    }
    /// The request line, without its line ending.
    pub fn request_line(&self) -> Option<&[u8]> {
        self.req_seen.then(|| self.req_line.get(&self.req_head))
    }
    /// The method as sent.
    pub fn method(&self) -> Option<&[u8]> {
        opt(self.method, &self.req_head)
    }
    /// The raw request URI as sent (`http.uri.raw`, EVE `url`). For a response without request,
    /// libhtp's placeholder `/libhtp::request_uri_not_seen`.
    pub fn uri_raw(&self) -> Option<&[u8]> {
        if !self.req_seen && self.res_seen {
            return Some(URI_NOT_SEEN);
        }
        opt(self.uri, &self.req_head)
    }
    /// The normalised URI (`http.uri`): see [`crate::http::uri`] for what is normalised.
    pub fn uri_normalized(&self) -> Option<&[u8]> {
        if !self.req_seen && self.res_seen {
            return Some(URI_NOT_SEEN);
        }
        self.has_uri_norm.then_some(self.uri_norm.as_slice())
    }
    /// The normalised path of the URI (no query, no fragment).
    pub fn uri_path(&self) -> Option<&[u8]> {
        self.has_uri_norm.then(|| self.uri_path.get(&self.uri_norm))
    }
    /// The name Suricata gives a file of this transaction when no Content-Disposition names it:
    /// the normalised URI path, or libhtp's placeholder for a response without request.
    pub fn file_path(&self) -> Option<&[u8]> {
        if !self.req_seen {
            return Some(URI_NOT_SEEN);
        }
        self.uri_path()
    }
    /// The request protocol string as sent (`HTTP/1.1`); `None` for HTTP/0.9-style requests.
    pub fn protocol(&self) -> Option<&[u8]> {
        opt(self.protocol, &self.req_head)
    }
    /// Host name: from an absolute URI, else from the Host header; lowercased, port and trailing
    /// dots removed (`http.host`, EVE `hostname`). Only once the request headers are complete.
    pub fn host(&self) -> Option<&[u8]> {
        self.has_hostname.then_some(self.hostname.as_slice())
    }
    /// The port from the URI authority or the Host header (EVE `http_port`).
    pub fn port(&self) -> HttpPort {
        self.port
    }
    /// Request headers.
    pub fn request_headers(&self) -> &Headers {
        &self.req_headers
    }
    /// A request header by name (case-insensitive).
    pub fn request_header(&self, name: &[u8]) -> Option<&[u8]> {
        self.req_headers.get(name)
    }
    /// The User-Agent header.
    pub fn user_agent(&self) -> Option<&[u8]> {
        self.req_headers.get(b"user-agent")
    }
    /// The Referer header.
    pub fn referer(&self) -> Option<&[u8]> {
        self.req_headers.get(b"referer")
    }
    /// The raw request head (request line, headers, terminating empty line), capped.
    pub fn request_head_raw(&self) -> &[u8] {
        if self.req_seen { &self.req_head } else { &[] }
    }
    /// All request headers were received.
    pub fn request_headers_complete(&self) -> bool {
        self.req_headers_done
    }
    /// The request (body included) is complete.
    pub fn request_complete(&self) -> bool {
        self.req_done
    }
    /// The decoded request body, up to `request_body_limit` bytes (`http.request_body`).
    pub fn request_body(&self) -> &[u8] {
        &self.req_body
    }

    // ---- response ----

    /// A response was seen.
    pub fn response_seen(&self) -> bool {
        self.res_seen
    }
    /// The status line, without its line ending.
    pub fn response_line(&self) -> Option<&[u8]> {
        (self.res_seen && !self.res_line.is_empty()).then(|| self.res_line.get(&self.res_head))
    }
    /// The response protocol string (`HTTP/1.1`).
    pub fn response_protocol(&self) -> Option<&[u8]> {
        opt(self.res_protocol, &self.res_head)
    }
    /// The status code as sent (`http.stat_code`).
    pub fn status_raw(&self) -> Option<&[u8]> {
        opt(self.status, &self.res_head)
    }
    /// The status code when it is a valid number 100..=999.
    pub fn status(&self) -> Option<u16> {
        let raw = self.status_raw()?;
        let v = super::head::parse_status(raw)?;
        (100..=999).contains(&v).then_some(v)
    }
    /// The status message (`http.stat_msg`).
    pub fn status_msg(&self) -> Option<&[u8]> {
        opt(self.status_msg, &self.res_head)
    }
    /// Response headers.
    pub fn response_headers(&self) -> &Headers {
        &self.res_headers
    }
    /// A response header by name (case-insensitive).
    pub fn response_header(&self, name: &[u8]) -> Option<&[u8]> {
        self.res_headers.get(name)
    }
    /// The response Content-Type without parameters (EVE `http_content_type`).
    pub fn content_type(&self) -> Option<&[u8]> {
        let v = self.res_headers.get(b"content-type")?;
        Some(match memchr::memchr(b';', v) {
            Some(i) => v.get(..i).unwrap_or(v),
            None => v,
        })
    }
    /// The Location header of the response (EVE `redirect`).
    pub fn location(&self) -> Option<&[u8]> {
        self.res_headers.get(b"location")
    }
    /// The raw response head, capped.
    pub fn response_head_raw(&self) -> &[u8] {
        &self.res_head
    }
    /// All response headers were received.
    pub fn response_headers_complete(&self) -> bool {
        self.res_headers_done
    }
    /// The response (body included) is complete.
    pub fn response_complete(&self) -> bool {
        self.res_done
    }
    /// The decoded response body, up to `response_body_limit` bytes (`file.data`).
    pub fn response_body(&self) -> &[u8] {
        &self.res_body
    }
    /// Interim (1xx other than 101) responses seen before the final one.
    pub fn interim_responses(&self) -> u32 {
        self.interim
    }

    // ---- events ----

    /// Events raised on this transaction.
    pub fn events(&self) -> impl Iterator<Item = HttpEvent> + '_ {
        HttpEvent::ALL
            .iter()
            .copied()
            .filter(move |e| self.events & (1u64 << (*e as u8)) != 0)
    }
    /// Whether `e` was raised on this transaction.
    pub fn has_event(&self, e: HttpEvent) -> bool {
        self.events & (1u64 << (e as u8)) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_merge_like_libhtp() {
        let mut h = Headers::default();
        assert_eq!(h.add(b"Accept", b"a", 0, 10, 1000), AddOutcome::New);
        assert_eq!(h.add(b"Host", b"x", 0, 10, 1000), AddOutcome::New);
        assert_eq!(h.add(b"accept", b"b", 0, 10, 1000), AddOutcome::Repeated);
        assert_eq!(h.add(b"ACCEPT", b"c", 0, 10, 1000), AddOutcome::Repeated);
        assert_eq!(h.get(b"accept"), Some(&b"a, b, c"[..]));
        assert_eq!(
            h.flags(b"accept").map(|f| f & HEADER_REPEATED),
            Some(HEADER_REPEATED)
        );
        assert_eq!(h.len(), 2);
        let names: Vec<&[u8]> = h.iter().map(|(n, _)| n).collect();
        assert_eq!(names, vec![&b"Accept"[..], &b"Host"[..]]);
        // Content-Length keeps the first value.
        assert_eq!(h.add(b"Content-Length", b"5", 0, 10, 1000), AddOutcome::New);
        assert_eq!(
            h.add(b"content-length", b" 5", 0, 10, 1000),
            AddOutcome::Repeated
        );
        assert_eq!(
            h.add(b"content-length", b"6", 0, 10, 1000),
            AddOutcome::ContentLengthConflict
        );
        assert_eq!(h.get(b"content-length"), Some(&b"5"[..]));
        // Interleaved repetition copies the value to the end of the arena.
        assert_eq!(h.add(b"host", b"y", 0, 10, 1000), AddOutcome::Repeated);
        assert_eq!(h.get(b"Host"), Some(&b"x, y"[..]));
        assert_eq!(h.get(b"accept"), Some(&b"a, b, c"[..]));
    }

    #[test]
    fn headers_caps() {
        let mut h = Headers::default();
        assert_eq!(h.add(b"a", b"1", 0, 2, 1000), AddOutcome::New);
        assert_eq!(h.add(b"b", b"1", 0, 2, 1000), AddOutcome::New);
        assert_eq!(h.add(b"c", b"1", 0, 2, 1000), AddOutcome::Dropped);
        assert_eq!(h.len(), 2);
        let mut h = Headers::default();
        assert_eq!(h.add(b"a", b"1", 0, 10, 4), AddOutcome::New);
        assert_eq!(h.add(b"b", b"12345", 0, 10, 4), AddOutcome::Dropped);
        let mut h = Headers::default();
        h.add(b"x", b"v", 0, 10, 100_000);
        for _ in 0..MAX_REPETITIONS {
            assert_eq!(h.add(b"x", b"v", 0, 10, 100_000), AddOutcome::Repeated);
        }
        assert_eq!(h.add(b"x", b"v", 0, 10, 100_000), AddOutcome::Dropped);
    }
}
