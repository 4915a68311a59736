//! HTTP message bodies: framing (Content-Length, chunked, until close), content decoding,
//! multipart splitting, the capped inspection buffer and streaming to the file sink.

use super::decode::{Coding, Decoder, Limits};
use super::events::HttpEvent;
use super::multipart::{Multipart, PartEvent};
use super::tx::HttpTx;
use crate::parser::ParseCx;
use crate::sink::{FileClose, FileId, FileKind, FileOpen, FileStatus};
use crate::types::{AppProto, Direction};

/// Longest chunk-size line accepted.
const MAX_CHUNK_LINE: usize = 1024;

/// Raises `ev` on `tx` (when it still exists) and on the sink.
pub(crate) fn raise(
    tx: Option<&mut HttpTx>,
    tx_id: u64,
    cx: &mut ParseCx<'_>,
    dir: Direction,
    ev: HttpEvent,
) {
    if let Some(t) = tx {
        if t.events & (1u64 << (ev as u8)) != 0 {
            return; // once per transaction
        }
        t.events |= 1u64 << (ev as u8);
    }
    cx.event(AppProto::Http, dir, Some(tx_id), ev.name());
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chunk {
    Size,
    Data(u64),
    DataEnd,
    Trailer { line_empty: bool },
}

/// How the body's end is found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// Exactly this many bytes remain.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Until the stream closes.
    Close,
}

/// Result of feeding body bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyStep {
    /// All bytes consumed, body continues.
    More,
    /// The body ended after `used` bytes.
    Done { used: usize },
    /// The framing broke after `used` bytes (request: bad chunk size); resynchronise there.
    Broken { used: usize },
}

struct OpenFile {
    id: FileId,
    size: u64,
}

/// Settings a body needs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BodySetup<'a> {
    pub(crate) tx_id: u64,
    pub(crate) dir: Direction,
    pub(crate) framing: Framing,
    pub(crate) coding: Option<Coding>,
    pub(crate) limits: Limits,
    pub(crate) boundary: Option<&'a [u8]>,
    pub(crate) kind: FileKind,
    pub(crate) name: &'a [u8],
    pub(crate) content_type: &'a [u8],
    pub(crate) declared_len: Option<u64>,
    pub(crate) inspect_limit: usize,
}

/// One body being received.
pub(crate) struct Body {
    pub(crate) tx_id: u64,
    dir: Direction,
    framing: Framing,
    chunk: Chunk,
    line: Vec<u8>,
    decoder: Option<Decoder>,
    multipart: Option<Multipart>,
    file: Option<OpenFile>,
    kind: FileKind,
    name: Vec<u8>,
    content_type: Vec<u8>,
    declared_len: Option<u64>,
    inspect_limit: usize,
    deliver: bool,
    gap: bool,
    truncated: bool,
    decode_failed: bool,
}

/// Where decoded bytes go (borrowed pieces of the parser and the context).
struct Sinks<'s, 'c> {
    tx: Option<&'s mut HttpTx>,
    cx: &'s mut ParseCx<'c>,
}

impl Body {
    pub(crate) fn new(s: &BodySetup<'_>) -> Body {
        Body {
            tx_id: s.tx_id,
            dir: s.dir,
            framing: s.framing,
            chunk: Chunk::Size,
            line: Vec::new(),
            decoder: s.coding.map(|c| Decoder::new(c, s.limits)),
            multipart: s.boundary.map(Multipart::new),
            file: None,
            kind: if s.boundary.is_some() {
                FileKind::FormPart
            } else {
                s.kind
            },
            name: s.name.to_vec(),
            content_type: s.content_type.to_vec(),
            declared_len: if s.coding.is_none() {
                s.declared_len
            } else {
                None
            },
            inspect_limit: s.inspect_limit,
            deliver: true,
            gap: false,
            truncated: false,
            decode_failed: false,
        }
    }

    /// Reuses this body's buffers for a new one.
    pub(crate) fn reset(&mut self, s: &BodySetup<'_>) {
        let mut line = std::mem::take(&mut self.line);
        let mut name = std::mem::take(&mut self.name);
        let mut content_type = std::mem::take(&mut self.content_type);
        line.clear();
        name.clear();
        name.extend_from_slice(s.name);
        content_type.clear();
        content_type.extend_from_slice(s.content_type);
        *self = Body::new(&BodySetup {
            name: &[],
            content_type: &[],
            ..*s
        });
        self.line = line;
        self.name = name;
        self.content_type = content_type;
    }

    /// Drops the decoding state (large) before the body is kept for reuse.
    pub(crate) fn release(&mut self) {
        self.decoder = None;
        self.multipart = None;
        self.file = None;
    }

    pub(crate) fn memory(&self) -> usize {
        self.line.capacity()
            + self.name.capacity()
            + self.content_type.capacity()
            + self.decoder.as_ref().map_or(0, |d| d.memory())
            + self.multipart.as_ref().map_or(0, |m| m.memory())
    }

    /// The body is framed by the end of the stream.
    pub(crate) fn until_close(&self) -> bool {
        self.framing == Framing::Close
    }

    /// Consumes body bytes from `data`.
    pub(crate) fn feed(
        &mut self,
        data: &[u8],
        mut tx: Option<&mut HttpTx>,
        cx: &mut ParseCx<'_>,
    ) -> BodyStep {
        let mut pos = 0;
        while pos < data.len() {
            let rest = data.get(pos..).unwrap_or(&[]);
            match self.framing {
                Framing::Close => {
                    self.count_wire(tx.as_deref_mut(), rest.len() as u64, cx);
                    self.entity(rest, tx.as_deref_mut(), cx);
                    return BodyStep::More;
                }
                Framing::Length(left) => {
                    let n = (left.min(rest.len() as u64)) as usize;
                    let part = rest.get(..n).unwrap_or(&[]);
                    self.count_wire(tx.as_deref_mut(), n as u64, cx);
                    self.entity(part, tx.as_deref_mut(), cx);
                    pos += n;
                    let left = left - n as u64;
                    self.framing = Framing::Length(left);
                    if left == 0 {
                        return BodyStep::Done { used: pos };
                    }
                }
                Framing::Chunked => match self.chunk {
                    Chunk::Data(left) => {
                        let n = (left.min(rest.len() as u64)) as usize;
                        self.count_wire(tx.as_deref_mut(), n as u64, cx);
                        self.entity(rest.get(..n).unwrap_or(&[]), tx.as_deref_mut(), cx);
                        pos += n;
                        self.chunk = if left == n as u64 {
                            Chunk::DataEnd
                        } else {
                            Chunk::Data(left - n as u64)
                        };
                    }
                    Chunk::DataEnd => match memchr::memchr(b'\n', rest) {
                        Some(nl) => {
                            self.count_wire(tx.as_deref_mut(), nl as u64 + 1, cx);
                            pos += nl + 1;
                            self.chunk = Chunk::Size;
                        }
                        None => {
                            self.count_wire(tx.as_deref_mut(), rest.len() as u64, cx);
                            return BodyStep::More;
                        }
                    },
                    Chunk::Trailer { mut line_empty } => {
                        for (i, &c) in rest.iter().enumerate() {
                            match c {
                                b'\n' if line_empty => return BodyStep::Done { used: pos + i + 1 },
                                b'\n' => line_empty = true,
                                b'\r' => {}
                                _ => line_empty = false,
                            }
                        }
                        self.chunk = Chunk::Trailer { line_empty };
                        return BodyStep::More;
                    }
                    Chunk::Size => {
                        let (used, outcome) = self.size_line(rest);
                        pos += used;
                        self.count_wire(tx.as_deref_mut(), used as u64, cx);
                        match outcome {
                            SizeLine::Partial => return BodyStep::More,
                            SizeLine::Empty => {}
                            SizeLine::Size(0) => self.chunk = Chunk::Trailer { line_empty: true },
                            SizeLine::Size(n) => self.chunk = Chunk::Data(n),
                            SizeLine::Invalid => {
                                cx.stats.http.chunk_errors += 1;
                                let line = std::mem::take(&mut self.line);
                                if self.dir == Direction::ToClient {
                                    raise(
                                        tx.as_deref_mut(),
                                        self.tx_id,
                                        cx,
                                        self.dir,
                                        HttpEvent::InvalidResponseChunkLen,
                                    );
                                    // libhtp: the rest of the response is a body until close,
                                    // starting with the bad line itself.
                                    self.framing = Framing::Close;
                                    self.entity(&line, tx.as_deref_mut(), cx);
                                } else {
                                    raise(
                                        tx.as_deref_mut(),
                                        self.tx_id,
                                        cx,
                                        self.dir,
                                        HttpEvent::InvalidRequestChunkLen,
                                    );
                                    self.truncated = true;
                                    return BodyStep::Broken { used: pos };
                                }
                            }
                        }
                    }
                },
            }
        }
        BodyStep::More
    }

    fn size_line(&mut self, rest: &[u8]) -> (usize, SizeLine) {
        let ctl = |c: u8| matches!(c, b'\r' | b'\n' | b' ' | b'\t' | 0x0b | 0x0c);
        for (i, &c) in rest.iter().enumerate() {
            self.line.push(c);
            if c == b'\n' {
                let r = parse_chunk_size(&self.line);
                let r = match r {
                    ChunkSize::Empty => SizeLine::Empty,
                    ChunkSize::Size(n, _) => SizeLine::Size(n),
                    ChunkSize::Invalid => return (i + 1, SizeLine::Invalid),
                };
                self.line.clear();
                return (i + 1, r);
            }
            // Leading junk (not a hex digit after the control characters): not chunked.
            let first = self.line.iter().position(|&b| !ctl(b));
            if let Some(f) = first
                && f + 1 == self.line.len()
                && !c.is_ascii_hexdigit()
            {
                return (i + 1, SizeLine::Invalid);
            }
            if self.line.len() > MAX_CHUNK_LINE {
                return (i + 1, SizeLine::Invalid);
            }
        }
        (rest.len(), SizeLine::Partial)
    }

    fn count_wire(&mut self, tx: Option<&mut HttpTx>, n: u64, cx: &mut ParseCx<'_>) {
        if let Some(t) = tx {
            match self.dir {
                Direction::ToServer => t.request_message_len += n,
                Direction::ToClient => t.response_message_len += n,
            }
        }
        match self.dir {
            Direction::ToServer => cx.stats.http.request_body_bytes += n,
            Direction::ToClient => cx.stats.http.response_body_bytes += n,
        }
    }

    /// De-framed body bytes: decode, then deliver.
    fn entity(&mut self, data: &[u8], tx: Option<&mut HttpTx>, cx: &mut ParseCx<'_>) {
        if data.is_empty() || !self.deliver {
            return;
        }
        let tx_id = self.tx_id;
        let dir = self.dir;
        let mut s = Sinks { tx, cx };
        match self.decoder.as_mut() {
            None => deliver(
                data,
                &mut s,
                dir,
                tx_id,
                self.inspect_limit,
                &mut self.multipart,
                &mut self.file,
                self.kind,
                &self.name,
                &self.content_type,
                self.declared_len,
            ),
            Some(dec) => {
                let before = dec.produced();
                let rep = {
                    let multipart = &mut self.multipart;
                    let file = &mut self.file;
                    let (kind, name, ct, dl, lim) = (
                        self.kind,
                        &self.name,
                        &self.content_type,
                        self.declared_len,
                        self.inspect_limit,
                    );
                    let s2 = &mut s;
                    dec.feed(data, &mut |d: &[u8]| {
                        deliver(d, s2, dir, tx_id, lim, multipart, file, kind, name, ct, dl)
                    })
                };
                s.cx.stats.http.decoded_bytes += dec.produced() - before;
                if rep.failed && !self.decode_failed {
                    self.decode_failed = true;
                    s.cx.stats.http.decompress_errors += 1;
                    raise(
                        s.tx.as_deref_mut(),
                        tx_id,
                        s.cx,
                        dir,
                        HttpEvent::GzipDecompressionFailed,
                    );
                }
                if rep.bomb {
                    self.truncated = true;
                    s.cx.stats.http.decompress_truncated += 1;
                    if let Some(t) = s.tx.as_deref_mut() {
                        t.decompression_truncated = true;
                    }
                    raise(
                        s.tx.as_deref_mut(),
                        tx_id,
                        s.cx,
                        dir,
                        HttpEvent::CompressionBomb,
                    );
                }
            }
        }
        if let Some(t) = s.tx {
            match dir {
                Direction::ToServer => t.request_entity_len += data.len() as u64,
                Direction::ToClient => t.response_entity_len += data.len() as u64,
            }
        }
    }

    /// Bytes of the body are missing. Returns the missing bytes that lie beyond the body (the
    /// next message's start was lost) or `None` when the body continues.
    pub(crate) fn gap(&mut self, len: u64, cx: &mut ParseCx<'_>) -> Option<u64> {
        self.gap = true;
        // Decoded streams cannot continue across a hole: stop delivering this body.
        self.stop_delivery(cx, FileStatus::Gap);
        match self.framing {
            Framing::Close => None,
            Framing::Length(left) if len < left => {
                self.framing = Framing::Length(left - len);
                None
            }
            Framing::Length(left) => Some(len - left),
            Framing::Chunked => Some(0),
        }
    }

    fn stop_delivery(&mut self, cx: &mut ParseCx<'_>, status: FileStatus) {
        if !self.deliver {
            return;
        }
        self.deliver = false;
        if let Some(mp) = self.multipart.as_mut() {
            let file = &mut self.file;
            mp.finish(&mut |ev| {
                if let PartEvent::Close { .. } = ev {
                    close_file(file, cx, status);
                }
            });
        }
        close_file(&mut self.file, cx, status);
    }

    /// The body ended (`complete`: its framing finished; else the stream closed or the flow
    /// ended first). A body cut by the end of the stream still ends as `Complete`: libhtp
    /// finalises the message when the connection closes and Suricata then closes the file as
    /// `CLOSED` (what it saw is the file); only gaps and caps make it `TRUNCATED`.
    pub(crate) fn finish(&mut self, complete: bool, tx: Option<&mut HttpTx>, cx: &mut ParseCx<'_>) {
        if !self.deliver {
            return;
        }
        if !complete {
            cx.stats.http.bodies_cut += 1;
        }
        let status = if self.gap {
            FileStatus::Gap
        } else if self.truncated {
            FileStatus::Truncated
        } else if self.decode_failed {
            FileStatus::Error
        } else {
            FileStatus::Complete
        };
        self.deliver = false;
        if let Some(mp) = self.multipart.as_mut() {
            let tx_id = self.tx_id;
            let dir = self.dir;
            let mut s = Sinks { tx, cx };
            let file = &mut self.file;
            mp.finish(&mut |ev| match ev {
                PartEvent::Data(d) => {
                    if let Some(f) = file.as_mut() {
                        f.size += d.len() as u64;
                        s.cx.sink.file_data(s.cx.flow, f.id, d);
                    }
                }
                PartEvent::Close { complete: c } => {
                    close_file(file, s.cx, if c { FileStatus::Complete } else { status });
                }
                PartEvent::Error { header } => {
                    let ev = if header {
                        HttpEvent::MultipartInvalidHeader
                    } else {
                        HttpEvent::MultipartGenericError
                    };
                    raise(s.tx.as_deref_mut(), tx_id, s.cx, dir, ev);
                }
                PartEvent::Open { .. } => {}
            });
        }
        close_file(&mut self.file, cx, status);
    }
}

impl Body {
    /// Bytes libhtp counts as more body after the framing ended (its REQ/RES_FINALIZE state):
    /// Suricata's body callback receives them too, so they go to the open file as they are.
    pub(crate) fn extra(&mut self, data: &[u8], cx: &mut ParseCx<'_>) {
        if !self.deliver || self.multipart.is_some() || data.is_empty() {
            return;
        }
        if let Some(f) = self.file.as_mut() {
            f.size += data.len() as u64;
            cx.sink.file_data(cx.flow, f.id, data);
        }
    }
}

fn close_file(file: &mut Option<OpenFile>, cx: &mut ParseCx<'_>, status: FileStatus) {
    if let Some(f) = file.take() {
        cx.sink.file_close(
            cx.flow,
            f.id,
            &FileClose {
                status,
                size: f.size,
            },
        );
    }
}

/// Decoded body bytes: inspection buffer, then multipart or the body's own file stream.
#[allow(clippy::too_many_arguments)]
fn deliver(
    data: &[u8],
    s: &mut Sinks<'_, '_>,
    dir: Direction,
    tx_id: u64,
    limit: usize,
    multipart: &mut Option<Multipart>,
    file: &mut Option<OpenFile>,
    kind: FileKind,
    name: &[u8],
    content_type: &[u8],
    declared_len: Option<u64>,
) {
    if let Some(t) = s.tx.as_deref_mut() {
        let (buf, trunc) = match dir {
            Direction::ToServer => (&mut t.req_body, &mut t.request_body_truncated),
            Direction::ToClient => (&mut t.res_body, &mut t.response_body_truncated),
        };
        let room = limit.saturating_sub(buf.len());
        if room < data.len() {
            *trunc = true;
        }
        buf.extend_from_slice(data.get(..room.min(data.len())).unwrap_or(&[]));
    }
    match multipart.as_mut() {
        Some(mp) => {
            mp.feed(data, &mut |ev| match ev {
                PartEvent::Open {
                    field,
                    filename,
                    content_type,
                } => {
                    close_file(file, s.cx, FileStatus::Truncated);
                    let id = s.cx.new_file_id();
                    s.cx.stats.http.files += 1;
                    let open = FileOpen {
                        id,
                        proto: AppProto::Http,
                        tx_id,
                        dir,
                        kind: FileKind::FormPart,
                        name: filename.unwrap_or(&[]),
                        field,
                        content_type,
                        declared_len: None,
                    };
                    s.cx.sink.file_open(s.cx.flow, &open);
                    *file = Some(OpenFile { id, size: 0 });
                }
                PartEvent::Data(d) => {
                    if let Some(f) = file.as_mut() {
                        f.size += d.len() as u64;
                        s.cx.sink.file_data(s.cx.flow, f.id, d);
                    }
                }
                PartEvent::Close { complete } => {
                    close_file(
                        file,
                        s.cx,
                        if complete {
                            FileStatus::Complete
                        } else {
                            FileStatus::Truncated
                        },
                    );
                }
                PartEvent::Error { header } => {
                    let ev = if header {
                        HttpEvent::MultipartInvalidHeader
                    } else {
                        HttpEvent::MultipartGenericError
                    };
                    raise(s.tx.as_deref_mut(), tx_id, s.cx, dir, ev);
                }
            });
        }
        None => {
            if file.is_none() {
                let id = s.cx.new_file_id();
                s.cx.stats.http.files += 1;
                let open = FileOpen {
                    id,
                    proto: AppProto::Http,
                    tx_id,
                    dir,
                    kind,
                    name,
                    field: &[],
                    content_type,
                    declared_len,
                };
                s.cx.sink.file_open(s.cx.flow, &open);
                *file = Some(OpenFile { id, size: 0 });
            }
            if let Some(f) = file.as_mut() {
                f.size += data.len() as u64;
                s.cx.sink.file_data(s.cx.flow, f.id, data);
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SizeLine {
    Partial,
    Empty,
    Size(u64),
    Invalid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ChunkSize {
    Empty,
    Size(u64, bool),
    Invalid,
}

/// Parses a chunk-size line as libhtp: control characters before, hex digits, anything after
/// (a `;` marks an extension); an all-blank line is skipped; sizes above 2^31-1 are invalid.
fn parse_chunk_size(line: &[u8]) -> ChunkSize {
    let ctl = |c: u8| matches!(c, b'\r' | b'\n' | b' ' | b'\t' | 0x0b | 0x0c);
    let s = line.iter().position(|&c| !ctl(c)).unwrap_or(line.len());
    let body = line.get(s..).unwrap_or(&[]);
    if body.is_empty() {
        return ChunkSize::Empty;
    }
    let digits = body.iter().take_while(|c| c.is_ascii_hexdigit()).count();
    if digits == 0 {
        return ChunkSize::Invalid;
    }
    let ext = body.get(digits..).is_some_and(|r| r.contains(&b';'));
    let mut v: u64 = 0;
    for &c in body.get(..digits).unwrap_or(&[]) {
        let d = (c as char).to_digit(16).unwrap_or(0);
        v = match v.checked_mul(16).and_then(|x| x.checked_add(u64::from(d))) {
            Some(x) => x,
            None => return ChunkSize::Invalid,
        };
    }
    if v > i32::MAX as u64 {
        ChunkSize::Invalid
    } else {
        ChunkSize::Size(v, ext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_sizes() {
        assert_eq!(parse_chunk_size(b"1a\r\n"), ChunkSize::Size(26, false));
        assert_eq!(
            parse_chunk_size(b"  A;ext=1\r\n"),
            ChunkSize::Size(10, true)
        );
        assert_eq!(parse_chunk_size(b"\r\n"), ChunkSize::Empty);
        assert_eq!(parse_chunk_size(b"zz\r\n"), ChunkSize::Invalid);
        assert_eq!(parse_chunk_size(b"80000000\r\n"), ChunkSize::Invalid);
        assert_eq!(
            parse_chunk_size(b"ffffffffffffffffffff\r\n"),
            ChunkSize::Invalid
        );
        assert_eq!(parse_chunk_size(b"0\r\n"), ChunkSize::Size(0, false));
    }
}
