//! HTTP parser tests: normal traffic, pipelining, byte splits, gaps, garbage, floods, bombs.

use std::fmt::Write as _;

use super::decode::tests::gzip;
use super::*;
use crate::testutil::{Harness, Rec};
use crate::types::Direction::{ToClient, ToServer};
use crate::{AppConfig, AppLayer, FileStatus};

fn s(b: Option<&[u8]>) -> String {
    match b {
        Some(b) => format!("{:?}", String::from_utf8_lossy(b)),
        None => "-".into(),
    }
}

/// Everything observable about a conversation except timestamps.
fn digest(rec: &Rec) -> String {
    let mut o = String::new();
    for t in &rec.http {
        let _ = writeln!(
            o,
            "tx{} seen={}/{} line={} m={} u={} n={} p={} host={} port={:?} ua={} st={} msg={} ct={} \
             ml={}/{} el={}/{} qb={} rb={} gap={}/{} tun={} ev={:?}",
            t.tx_id,
            t.request_seen(),
            t.response_seen(),
            s(t.request_line()),
            s(t.method()),
            s(t.uri_raw()),
            s(t.uri_normalized()),
            s(t.protocol()),
            s(t.host()),
            t.port(),
            s(t.user_agent()),
            s(t.status_raw()),
            s(t.status_msg()),
            s(t.content_type()),
            t.request_message_len,
            t.response_message_len,
            t.request_entity_len,
            t.response_entity_len,
            s(Some(t.request_body())),
            s(Some(t.response_body())),
            t.request_gap,
            t.response_gap,
            t.tunnel,
            t.events().map(|e| e.name()).collect::<Vec<_>>(),
        );
        for (n, v) in t.request_headers().iter() {
            let _ = writeln!(
                o,
                "  > {}: {}",
                String::from_utf8_lossy(n),
                String::from_utf8_lossy(v)
            );
        }
        for (n, v) in t.response_headers().iter() {
            let _ = writeln!(
                o,
                "  < {}: {}",
                String::from_utf8_lossy(n),
                String::from_utf8_lossy(v)
            );
        }
    }
    for f in &rec.files {
        let _ = writeln!(
            o,
            "file{} tx{} {:?} {:?} name={} field={} ct={} decl={:?} data={} close={:?}",
            f.id.0,
            f.tx_id,
            f.dir,
            f.kind,
            s(Some(&f.name)),
            s(Some(&f.field)),
            s(Some(&f.content_type)),
            f.declared_len,
            s(Some(&f.data)),
            f.close
        );
    }
    for e in &rec.events {
        let _ = writeln!(o, "ev {:?} {:?} {}", e.dir, e.tx_id, e.name);
    }
    let _ = writeln!(o, "stages {:?}", rec.stages);
    o
}

fn chunked(data: &[u8], size: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for c in data.chunks(size) {
        v.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        v.extend_from_slice(c);
        v.extend_from_slice(b"\r\n");
    }
    v.extend_from_slice(b"0\r\n\r\n");
    v
}

fn conversation() -> (Vec<u8>, Vec<u8>) {
    let mp_body = b"--BB\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n--BB\r\nContent-Disposition: form-data; name=\"up\"; filename=\"doc.txt\"\r\nContent-Type: text/plain\r\n\r\nfile data\r\n--BB--\r\n";
    let mut req = Vec::new();
    req.extend_from_slice(
        b"GET /a/./b/../c%41?x=1 HTTP/1.1\r\nHost: WWW.Example.COM:8080\r\nUser-Agent: test/1.0\r\n\
          X-Folded: one\r\n two\r\nAccept: a\r\nAccept: b\r\n\r\n",
    );
    req.extend_from_slice(
        format!(
            "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=BB\r\nContent-Length: {}\r\n\r\n",
            mp_body.len()
        )
        .as_bytes(),
    );
    req.extend_from_slice(mp_body);
    req.extend_from_slice(b"PUT /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext\r\n world\r\n0\r\nTrailer: x\r\n\r\n");
    req.extend_from_slice(b"HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n");
    req.extend_from_slice(b"GET /close HTTP/1.0\r\n\r\n");

    let gz = gzip(b"compressed body, compressed body, compressed body");
    let mut res = Vec::new();
    res.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 5\r\n\r\nhello");
    res.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n");
    res.extend_from_slice(&chunked(&gz, 7));
    res.extend_from_slice(b"HTTP/1.1 204 No Content\r\n\r\n");
    res.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
    res.extend_from_slice(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close data");
    (req, res)
}

fn run_split(req_parts: &[&[u8]], res_parts: &[&[u8]]) -> Rec {
    let mut h = Harness::tcp(80);
    for p in req_parts {
        h.ts_data(p);
    }
    for p in res_parts {
        h.tc_data(p);
    }
    h.close(ToServer);
    h.close(ToClient);
    assert_eq!(h.end(), Some("http"));
    h.rec
}

#[test]
fn conversation_fields() {
    let (req, res) = conversation();
    let rec = run_split(&[&req], &[&res]);
    assert_eq!(rec.http.len(), 5, "{}", digest(&rec));
    let t = &rec.http[0];
    assert_eq!(t.method(), Some(&b"GET"[..]));
    assert_eq!(t.uri_raw(), Some(&b"/a/./b/../c%41?x=1"[..]));
    assert_eq!(t.uri_normalized(), Some(&b"/a/cA?x=1"[..]));
    assert_eq!(t.uri_path(), Some(&b"/a/cA"[..]));
    assert_eq!(t.protocol(), Some(&b"HTTP/1.1"[..]));
    assert_eq!(t.host(), Some(&b"www.example.com"[..]));
    assert_eq!(t.port(), HttpPort::Port(8080));
    assert_eq!(t.user_agent(), Some(&b"test/1.0"[..]));
    assert_eq!(t.request_header(b"x-folded"), Some(&b"one two"[..]));
    assert_eq!(t.request_header(b"ACCEPT"), Some(&b"a, b"[..]));
    assert_eq!(
        t.request_headers()
            .flags(b"accept")
            .map(|f| f & HEADER_REPEATED != 0),
        Some(true)
    );
    assert_eq!(
        t.request_headers()
            .flags(b"x-folded")
            .map(|f| f & HEADER_FOLDED != 0),
        Some(true)
    );
    assert!(t.has_event(HttpEvent::RequestHeaderRepetition));
    assert_eq!(t.status(), Some(200));
    assert_eq!(t.status_msg(), Some(&b"OK"[..]));
    assert_eq!(t.content_type(), Some(&b"text/html"[..]));
    assert_eq!(t.response_body(), b"hello");
    assert_eq!(t.response_message_len, 5);
    assert!(t.request_complete() && t.response_complete());

    let t = &rec.http[1];
    assert_eq!(t.method(), Some(&b"POST"[..]));
    assert_eq!(t.status(), Some(201));
    assert_eq!(t.interim_responses(), 1);
    assert_eq!(
        t.response_body(),
        b"compressed body, compressed body, compressed body"
    );
    assert!(
        t.response_message_len > t.response_entity_len / 2,
        "wire length counts chunk framing"
    );
    assert!(t.request_body().starts_with(b"--BB\r\n"));

    let t = &rec.http[2];
    assert_eq!(t.request_body(), b"hello world");
    assert_eq!(t.request_entity_len, 11);
    // "5\r\n" + "hello" + "\r\n" + "6;ext\r\n" + " world" + "\r\n" + "0\r\n"
    assert_eq!(t.request_message_len, 3 + 5 + 2 + 7 + 6 + 2 + 3);
    assert_eq!(t.status(), Some(204));

    let t = &rec.http[3];
    assert_eq!(t.method(), Some(&b"HEAD"[..]));
    assert_eq!(t.status(), Some(200));
    assert_eq!(t.response_message_len, 0, "no body after HEAD");

    let t = &rec.http[4];
    assert_eq!(t.protocol(), Some(&b"HTTP/1.0"[..]));
    assert_eq!(t.port(), HttpPort::Missing);
    assert_eq!(t.host(), None);
    assert_eq!(t.response_body(), b"until close data");

    // Files: two form parts, the chunked PUT body, the gzip body (decoded), the until-close body.
    // Files in the order they started (the first response body arrives after all requests).
    let kinds: Vec<_> = rec
        .files
        .iter()
        .map(|f| (f.kind, f.name.clone(), f.data.clone()))
        .collect();
    assert_eq!(kinds.len(), 6, "{kinds:?}");
    assert_eq!(kinds[0], (FileKind::FormPart, b"".to_vec(), b"v".to_vec()));
    assert_eq!(rec.files[0].field, b"f");
    assert_eq!(
        kinds[1],
        (
            FileKind::FormPart,
            b"doc.txt".to_vec(),
            b"file data".to_vec()
        )
    );
    assert_eq!(rec.files[1].content_type, b"text/plain");
    assert_eq!(
        kinds[2],
        (
            FileKind::RequestFile,
            b"/chunked".to_vec(),
            b"hello world".to_vec()
        )
    );
    assert_eq!(
        kinds[3],
        (FileKind::ResponseBody, b"/a/cA".to_vec(), b"hello".to_vec())
    );
    assert_eq!(rec.files[3].declared_len, Some(5));
    assert_eq!(rec.files[3].content_type, b"text/html");
    assert_eq!(kinds[4].0, FileKind::ResponseBody);
    assert_eq!(kinds[4].1, b"/upload");
    assert_eq!(
        kinds[4].2,
        b"compressed body, compressed body, compressed body"
    );
    assert_eq!(
        rec.files[4].declared_len, None,
        "a coded body has no known decoded size"
    );
    assert_eq!(
        kinds[5],
        (
            FileKind::ResponseBody,
            b"/close".to_vec(),
            b"until close data".to_vec()
        )
    );
    assert!(
        rec.files
            .iter()
            .all(|f| f.close.map(|c| c.status) == Some(FileStatus::Complete)),
        "{:?}",
        rec.files
    );
    assert_eq!(rec.files[0].close.map(|c| c.size), Some(1));
    // Stages: each tx RequestHeaders < RequestComplete, ResponseHeaders, Complete once.
    for t in &rec.http {
        let st: Vec<TxStage> = rec
            .stages
            .iter()
            .filter(|(id, _)| *id == t.tx_id)
            .map(|(_, s)| *s)
            .collect();
        assert_eq!(st.iter().filter(|s| **s == TxStage::Complete).count(), 1);
        assert_eq!(st.last(), Some(&TxStage::Complete));
        assert_eq!(st.first(), Some(&TxStage::RequestHeaders));
        assert!(st.contains(&TxStage::ResponseHeaders));
    }
}

#[test]
fn every_split_gives_the_same_result() {
    let (req, res) = conversation();
    let whole = digest(&run_split(&[&req], &[&res]));
    // Byte by byte, both directions.
    let rb: Vec<&[u8]> = req.chunks(1).collect();
    let sb: Vec<&[u8]> = res.chunks(1).collect();
    assert_eq!(digest(&run_split(&rb, &sb)), whole, "byte by byte");
    // Every 2-way split of each direction.
    for i in 1..req.len() {
        let d = digest(&run_split(&[&req[..i], &req[i..]], &[&res]));
        assert_eq!(d, whole, "request split at {i}");
    }
    for i in 1..res.len() {
        let d = digest(&run_split(&[&req], &[&res[..i], &res[i..]]));
        assert_eq!(d, whole, "response split at {i}");
    }
}

#[test]
fn pipelined_10000_requests_bounded_memory() {
    let one = b"GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench\r\n\r\n";
    let n = 10_000;
    let reqs: Vec<u8> = one.iter().copied().cycle().take(one.len() * n).collect();
    let mut h = Harness::tcp(80);
    h.rec.keep_data = false;
    let mut peak = 0;
    for c in reqs.chunks(1460) {
        h.ts_data(c);
        peak = peak.max(h.memory());
    }
    // No responses yet: at most max_tx transactions are kept, the rest completed early.
    let max_tx = AppConfig::default().http.max_tx;
    assert_eq!(h.layer.stats().http.requests, n as u64);
    assert_eq!(h.layer.stats().http.txs_evicted, (n - max_tx) as u64);
    assert!(peak < 2 * 1024 * 1024, "peak parser memory {peak}");
    // Now the responses: every one pairs (the evicted ones as response-only transactions).
    let one_res = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let res: Vec<u8> = one_res
        .iter()
        .copied()
        .cycle()
        .take(one_res.len() * n)
        .collect();
    for c in res.chunks(1460) {
        h.tc_data(c);
    }
    h.end();
    let st = h.layer.stats();
    assert_eq!(st.http.responses, n as u64);
    assert_eq!(
        h.rec.http.len(),
        n,
        "late responses of evicted transactions are parsed, not handed out again"
    );
    let ids: std::collections::BTreeSet<u64> = h.rec.http.iter().map(|t| t.tx_id).collect();
    assert_eq!(ids.len(), n);
    assert_eq!(st.http.unmatched_responses, 0);
}

#[test]
fn pipelined_interleaved_pairs_in_order() {
    let mut h = Harness::tcp(80);
    let mut reqs = Vec::new();
    let mut ress = Vec::new();
    for i in 0..10_000 {
        reqs.extend_from_slice(format!("GET /r{i} HTTP/1.1\r\nHost: h\r\n\r\n").as_bytes());
        let body = format!("body{i}");
        ress.extend_from_slice(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        );
    }
    h.rec.keep_data = false;
    // As many chunks in each direction, so responses never lag far behind.
    for (a, b) in reqs
        .chunks(reqs.len() / 100 + 1)
        .zip(ress.chunks(ress.len() / 100 + 1))
    {
        h.ts_data(a);
        h.tc_data(b);
        assert!(h.memory() < 1024 * 1024);
    }
    h.end();
    assert_eq!(h.rec.http.len(), 10_000);
    for (i, t) in h.rec.http.iter().enumerate() {
        assert_eq!(t.tx_id, i as u64);
        assert_eq!(t.uri_raw(), Some(format!("/r{i}").as_bytes()));
        assert_eq!(t.response_body(), format!("body{i}").as_bytes());
    }
    assert_eq!(h.layer.stats().http.txs_evicted, 0);
}

#[test]
fn gap_in_body_of_known_length_continues() {
    let mut h = Harness::tcp(80);
    h.ts_data(b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nab");
    h.gap(ToServer, 5);
    h.ts_data(b"cde");
    h.ts_data(b"GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
    h.tc_data(
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    );
    h.end();
    assert_eq!(h.rec.http.len(), 2, "{}", digest(&h.rec));
    assert!(h.rec.http[0].request_gap);
    assert_eq!(
        h.rec.http[0].request_body(),
        b"ab",
        "delivery stops at the gap"
    );
    assert_eq!(h.rec.http[1].uri_raw(), Some(&b"/next"[..]));
    assert_eq!(
        h.rec.files[0].close.map(|c| c.status),
        Some(FileStatus::Gap)
    );
}

#[test]
fn gap_in_head_resyncs_on_next_request() {
    let mut h = Harness::tcp(80);
    h.ts_data(b"GET /first HTTP/1.1\r\nHost: h\r\nX-A: ");
    h.gap(ToServer, 100);
    h.ts_data(b"tail of a header\r\nmore: junk\r\n\r\nGET /second HTTP/1.1\r\nHost: h\r\n\r\n");
    h.tc_data(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
    h.end();
    assert_eq!(h.rec.http.len(), 1, "{}", digest(&h.rec));
    assert_eq!(h.rec.http[0].uri_raw(), Some(&b"/second"[..]));
    assert!(h.layer.stats().http.resync_skipped > 0);
}

#[test]
fn gap_in_chunked_body_resyncs_and_response_gap() {
    let mut h = Harness::tcp(80);
    h.ts_data(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
    h.tc_data(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab");
    h.gap(ToClient, 50);
    h.tc_data(b"garbage\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno");
    h.end();
    assert_eq!(h.rec.http.len(), 2, "{}", digest(&h.rec));
    assert!(h.rec.http[0].response_gap);
    assert_eq!(h.rec.http[1].status(), Some(404));
    assert_eq!(h.rec.http[1].response_body(), b"no");
}

#[test]
fn garbage_never_panics_and_is_parsed_like_libhtp() {
    // The garbage request of the suricata-verify test with libhtp's reading of it.
    let mut h = Harness::tcp(80);
    h.ts_data(b"GET / HTTP/1.1\r\n\r\n");
    let t0 = h.rec.stages.len();
    let mut h2 = Harness::tcp(80);
    h2.ts_data(b"1026\x108 !34.\x11\"3DUf.21\r\n");
    h2.end();
    assert!(t0 > 0);
    assert_eq!(
        h2.rec.http.len(),
        0,
        "a head without its end is not parsed before close"
    );
    // As in byte-extract-01: the garbage arrives after the first request completed, so libhtp
    // (and we) parse it as a request of its own.
    let mut h3 = Harness::tcp(80);
    h3.ts_data(b"GET / HTTP/1.1\r\n\r\n");
    h3.ts_data(b"1026\x108 !34.\x11\"3DUf.21");
    h3.close(ToServer);
    h3.end();
    assert_eq!(h3.rec.http.len(), 2);
    assert_eq!(h3.rec.http[1].method(), Some(&b"1026\x108"[..]));
    assert_eq!(h3.rec.http[1].uri_raw(), Some(&b"!34.\x11\"3DUf.21"[..]));
    assert_eq!(h3.rec.http[1].protocol(), None);
    assert_eq!(h3.rec.http[1].port(), HttpPort::Unprocessed);
    // In the same data as the request, a line that is not a request is more body of it.
    let mut h4 = Harness::tcp(80);
    h4.ts_data(b"GET / HTTP/1.1\r\n\r\nnot a request\r\nGET /2 HTTP/1.1\r\n\r\n");
    h4.end();
    assert_eq!(h4.rec.http.len(), 2);
    assert!(h4.rec.http[0].has_event(HttpEvent::RequestBodyUnexpected));
    assert_eq!(h4.rec.http[0].request_body(), b"not a request\r\n");
    assert_eq!(h4.rec.http[1].uri_raw(), Some(&b"/2"[..]));
    // The same after a response: libhtp counts the bytes in the response length.
    let mut h5 = Harness::tcp(80);
    h5.ts_data(b"GET / HTTP/1.1\r\n\r\n");
    h5.tc_data(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\x00");
    h5.close(ToClient);
    h5.end();
    assert_eq!(h5.rec.http.len(), 1);
    assert_eq!(h5.rec.http[0].response_message_len, 3);

    // Pseudo-random bytes in both directions, in random pieces: nothing panics.
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..200 {
        let mut h = Harness::tcp(80);
        h.ts_data(b"GET / HTTP/1.1\r\n");
        for _ in 0..20 {
            let len = (next() % 300) as usize;
            let mut d: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if round % 3 == 0 {
                // Bias towards protocol-looking bytes.
                for b in &mut d {
                    *b = b"HTTP/1.1 200\r\n:;chunked 0123456789abcdef\tGET POST Content-Length: Transfer-Encoding: gzip"
                        [(*b as usize) % 88];
                }
            }
            match next() % 5 {
                0 => h.tc_data(&d),
                1 => h.gap(
                    if next() % 2 == 0 { ToServer } else { ToClient },
                    next() % 1000,
                ),
                _ => h.ts_data(&d),
            }
        }
        h.close(ToServer);
        h.close(ToClient);
        h.end();
    }
}

#[test]
fn header_flood_is_capped() {
    let mut cfg = AppConfig::default();
    cfg.http.max_headers = 100;
    let mut h = Harness::new(cfg, 6, 80);
    let mut req = b"GET /flood HTTP/1.1\r\n".to_vec();
    for i in 0..5000 {
        req.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n");
    h.ts_data(&req);
    h.end();
    assert_eq!(h.rec.http.len(), 2, "{}", h.rec.http.len());
    assert_eq!(h.rec.http[0].request_headers().len(), 100);
    assert!(h.rec.http[0].has_event(HttpEvent::RequestTooManyHeaders));
    assert_eq!(h.rec.http[1].uri_raw(), Some(&b"/after"[..]));

    // A head beyond max_head_len: cut, event, skipped without buffering, next request fine.
    let mut h = Harness::tcp(80);
    let mut req = b"GET /long HTTP/1.1\r\nHost: h\r\n".to_vec();
    for _ in 0..20_000 {
        req.extend_from_slice(b"X-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    req.extend_from_slice(b"\r\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n");
    let mut peak = 0;
    for c in req.chunks(1000) {
        h.ts_data(c);
        peak = peak.max(h.memory());
    }
    h.end();
    assert_eq!(h.rec.http.len(), 2);
    assert!(h.rec.http[0].has_event(HttpEvent::RequestFieldTooLong));
    assert!(h.rec.http[0].request_head_raw().len() <= AppConfig::default().http.max_head_len);
    assert_eq!(h.rec.http[0].host(), Some(&b"h"[..]));
    assert_eq!(h.rec.http[1].uri_raw(), Some(&b"/after"[..]));
    assert!(peak < 1024 * 1024, "peak {peak}");
    assert_eq!(h.layer.stats().http.heads_truncated, 1);

    // A single line with no end at all: the layer's pending cap is never reached either.
    let mut h = Harness::tcp(80);
    h.ts_data(b"GET /");
    for _ in 0..1000 {
        h.ts_data(&[b'a'; 1000]);
    }
    assert!(h.memory() < 512 * 1024);
    h.end();
}

/// A gzip member whose deflate stream expands to `1 + 258 * pairs` zero bytes in about
/// `pairs / 4` bytes: one dynamic-Huffman block where literal 0, "length 258, distance 1" and
/// end-of-block have codes of 2, 1 and 2 bits, and the distance code 1 bit.
pub(crate) fn zero_bomb(pairs: u64) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, v: u64, bits: u32) {
            self.acc |= v << self.n;
            self.n += bits;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// Huffman codes go most significant bit first.
        fn code(&mut self, code: u64, len: u32) {
            let mut r = 0;
            for i in 0..len {
                r |= ((code >> i) & 1) << (len - 1 - i);
            }
            self.put(r, len);
        }
    }
    let mut b = Bits {
        out: vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3],
        acc: 0,
        n: 0,
    };
    b.put(1, 1); // BFINAL
    b.put(2, 2); // dynamic Huffman
    b.put(29, 5); // HLIT: 286 codes
    b.put(0, 5); // HDIST: 1 code
    b.put(14, 4); // HCLEN: 18 code-length codes
    // Code-length code lengths in the RFC 1951 order 16,17,18,0,8,7,9,6,10,5,11,4,12,3,13,2,14,1.
    for l in [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2] {
        b.put(l, 3);
    }
    // Code-length alphabet codes: 18 -> 0, 1 -> 10, 2 -> 11.
    let cl_1 = |b: &mut Bits| b.code(0b10, 2);
    let cl_2 = |b: &mut Bits| b.code(0b11, 2);
    let zeros = |b: &mut Bits, n: u64| {
        b.code(0, 1);
        b.put(n - 11, 7);
    };
    cl_2(&mut b); // literal 0: length 2
    zeros(&mut b, 138);
    zeros(&mut b, 117); // literals 1..=255 unused
    cl_2(&mut b); // 256 (end of block): length 2
    zeros(&mut b, 28); // 257..=284 unused
    cl_1(&mut b); // 285 (length 258): length 1
    cl_1(&mut b); // distance code 0: length 1
    // Literal/length codes: 285 -> 0, 0 -> 10, 256 -> 11. Distance 0 -> 0.
    b.code(0b10, 2);
    for _ in 0..pairs {
        b.put(0, 2);
    }
    b.code(0b11, 2);
    if b.n > 0 {
        b.out.push(b.acc as u8);
    }
    b.out.extend_from_slice(&[0; 8]); // CRC and size are never reached by a capped decoder
    b.out
}

#[test]
fn zero_bomb_generator_is_valid_deflate() {
    use std::io::Read;
    let g = zero_bomb(1000);
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(&g[10..g.len() - 8])
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out.len(), 1 + 258 * 1000);
    assert!(out.iter().all(|&b| b == 0));
}

#[test]
fn decompression_bomb_is_capped_and_counted() {
    // 1 GiB of zeros in about 1 MiB of gzip.
    let pairs = (1u64 << 30) / 258;
    let bomb = zero_bomb(pairs);
    assert!(bomb.len() < 1_100_000);
    let mut cfg = AppConfig::default();
    cfg.http.decompress_max_output = 4 * 1024 * 1024;
    let mut h = Harness::new(cfg, 6, 80);
    h.rec.keep_data = false;
    h.ts_data(b"GET /bomb HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n");
    h.tc_data(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
            bomb.len()
        )
        .as_bytes(),
    );
    for c in bomb.chunks(64 * 1024) {
        h.tc_data(c);
        assert!(h.memory() < 2 * 1024 * 1024);
    }
    h.tc_data(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    h.end();
    let st = *h.layer.stats();
    assert_eq!(
        h.rec.data_bytes,
        4 * 1024 * 1024 + 2,
        "capped output plus the next body"
    );
    assert_eq!(st.http.decompress_truncated, 1);
    let t = &h.rec.http[0];
    assert!(t.decompression_truncated && t.has_event(HttpEvent::CompressionBomb));
    assert_eq!(
        t.response_message_len,
        bomb.len() as u64,
        "framing consumed the whole body"
    );
    assert_eq!(
        t.response_body().len(),
        AppConfig::default().http.response_body_limit
    );
    assert_eq!(
        h.rec.files[0].close.map(|c| c.status),
        Some(FileStatus::Truncated)
    );
    assert_eq!(h.rec.http[1].response_body(), b"ok");
}

#[test]
fn bad_chunk_size_in_response_becomes_body_until_close() {
    let mut h = Harness::tcp(80);
    h.ts_data(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    h.tc_data(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz-not-hex\r\nrest of it");
    h.close(ToClient);
    h.end();
    let t = &h.rec.http[0];
    assert!(t.has_event(HttpEvent::InvalidResponseChunkLen));
    assert_eq!(t.response_body(), b"abczz-not-hex\r\nrest of it");
    assert_eq!(h.layer.stats().http.chunk_errors, 1);
    // Request side: the body ends and parsing resumes at the next request.
    let mut h = Harness::tcp(80);
    h.ts_data(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nXYZ\r\nGET /n HTTP/1.1\r\nHost: h\r\n\r\n");
    h.end();
    assert_eq!(h.rec.http.len(), 2);
    assert!(h.rec.http[0].has_event(HttpEvent::InvalidRequestChunkLen));
    assert_eq!(h.rec.http[1].uri_raw(), Some(&b"/n"[..]));
}

#[test]
fn connect_tunnel_switches_protocol() {
    let mut h = Harness::tcp(3128);
    h.ts_data(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01\x00\x05hello");
    h.tc_data(b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03\x00\x02hi");
    h.ts_data(b"more tls");
    let name = h.end();
    assert_eq!(h.rec.http.len(), 1);
    let t = &h.rec.http[0];
    assert!(t.tunnel);
    assert_eq!(t.method(), Some(&b"CONNECT"[..]));
    assert_eq!(t.host(), Some(&b"example.com"[..]));
    assert_eq!(t.port(), HttpPort::Port(443));
    let fs = AppLayer::flow_state(&h.slot).unwrap();
    assert_eq!(fs.app_proto_orig(), Some(AppProto::Http));
    assert_eq!(
        fs.app_proto(),
        Some(AppProto::Tls),
        "the tunnel carries TLS"
    );
    assert_eq!(name, Some("tls"));
    assert_eq!(h.layer.stats().http.tunnels, 1);
    // A refused CONNECT keeps HTTP going.
    let mut h = Harness::tcp(3128);
    h.ts_data(b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n");
    h.tc_data(b"HTTP/1.1 407 Proxy Auth\r\nContent-Length: 0\r\n\r\n");
    h.ts_data(b"GET /again HTTP/1.1\r\nHost: x\r\n\r\n");
    h.end();
    assert_eq!(h.rec.http.len(), 2);
    assert_eq!(h.rec.http[1].uri_raw(), Some(&b"/again"[..]));
}

#[test]
fn response_without_request_and_not_http() {
    let mut h = Harness::tcp(80);
    h.tc_data(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 3\r\n\r\nabc");
    h.end();
    let t = &h.rec.http[0];
    assert!(!t.request_seen());
    assert_eq!(t.uri_raw(), Some(tx::URI_NOT_SEEN));
    assert_eq!(t.port(), HttpPort::Unprocessed);
    assert!(t.has_event(HttpEvent::UnableToMatchResponseToRequest));
    assert_eq!(t.status(), Some(200));
    // Response data that is not HTTP: body until close, no status.
    let mut h = Harness::tcp(80);
    h.ts_data(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    h.tc_data(b"<html>raw</html>");
    h.close(ToClient);
    h.end();
    let t = &h.rec.http[0];
    assert_eq!(t.status_raw(), None);
    assert_eq!(t.response_body(), b"<html>raw</html>");
}

#[test]
fn http09_and_missing_protocol() {
    let mut h = Harness::tcp(80);
    h.ts_data(b"GET /old\r\n\r\n");
    h.end();
    let t = &h.rec.http[0];
    assert_eq!(t.protocol(), None);
    assert_eq!(t.uri_raw(), Some(&b"/old"[..]));
    assert_eq!(t.port(), HttpPort::Unprocessed);
    let mut h = Harness::tcp(80);
    h.ts_data(b"GET /noproto\r\nHost: example.org\r\n\r\n");
    h.end();
    let t = &h.rec.http[0];
    assert!(t.has_event(HttpEvent::RequestLineMissingProtocol));
    assert_eq!(t.host(), Some(&b"example.org"[..]));
}

#[test]
fn absolute_uri_host_wins_and_ambiguity() {
    let mut h = Harness::tcp(8080);
    h.ts_data(b"GET http://Proxy.Example:81/x/../y HTTP/1.1\r\nHost: other.example\r\n\r\n");
    h.end();
    let t = &h.rec.http[0];
    assert_eq!(t.host(), Some(&b"proxy.example"[..]));
    assert_eq!(t.port(), HttpPort::Port(81));
    assert_eq!(t.uri_normalized(), Some(&b"/y"[..]));
    assert!(t.has_event(HttpEvent::HostHeaderAmbiguous));
}

#[test]
fn status_codes_without_bodies_and_ipv6_host() {
    let mut h = Harness::tcp(80);
    h.ts_data(b"GET /a HTTP/1.1\r\nHost: [::1]:8000\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
    h.tc_data(b"HTTP/1.1 304 Not Modified\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz");
    h.end();
    assert_eq!(h.rec.http[0].host(), Some(&b"[::1]"[..]));
    assert_eq!(h.rec.http[0].port(), HttpPort::Port(8000));
    assert_eq!(h.rec.http[0].status(), Some(304));
    assert_eq!(h.rec.http[1].response_body(), b"z");
}

#[test]
fn deflate_response_and_bad_gzip_passthrough() {
    let mut h = Harness::tcp(80);
    h.ts_data(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    h.tc_data(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!");
    h.end();
    let t = &h.rec.http[0];
    assert!(t.has_event(HttpEvent::GzipDecompressionFailed));
    assert_eq!(t.response_body(), b"not gzip!");
    assert_eq!(
        h.rec.files[0].close.map(|c| c.status),
        Some(FileStatus::Error)
    );
    assert_eq!(h.layer.stats().http.decompress_errors, 1);
}

#[test]
fn flow_end_flushes_incomplete_transactions() {
    let mut h = Harness::tcp(80);
    h.ts_data(b"POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\npartial");
    h.end();
    assert_eq!(h.rec.http.len(), 1);
    let t = &h.rec.http[0];
    assert!(!t.response_seen());
    assert_eq!(t.request_body(), b"partial");
    assert_eq!(
        h.rec.files[0].close.map(|c| c.status),
        Some(FileStatus::Complete),
        "libhtp finalises a body cut by the end of the stream; Suricata logs the file CLOSED"
    );
    assert_eq!(h.layer.stats().http.bodies_cut, 1);
    assert_eq!(h.rec.files[0].close.map(|c| c.size), Some(7));
    // A head cut by the end of the stream is parsed as far as it goes (headers not complete).
    let mut h = Harness::tcp(80);
    h.ts_data(b"GET /index.html HTTP/1.0\r\nUser-Agent: This is dummy");
    h.close(ToServer);
    h.end();
    let t = &h.rec.http[0];
    assert_eq!(t.uri_raw(), Some(&b"/index.html"[..]));
    assert_eq!(t.user_agent(), Some(&b"This is dummy"[..]));
    assert_eq!(t.port(), HttpPort::Unprocessed);
}

#[test]
fn probe() {
    use crate::parser::AppParser;
    let p = |d: &[u8]| HttpParser::probe(Transport::Tcp, ToServer, d);
    assert_eq!(p(b"GET / HTTP/1.1\r\n"), Probe::Yes);
    assert_eq!(p(b"get / HTTP/1.1\r\n"), Probe::Yes);
    assert_eq!(p(b"PROPFIND "), Probe::Yes);
    assert_eq!(p(b"POS"), Probe::NeedMore);
    assert_eq!(p(b"\r\n"), Probe::NeedMore);
    assert_eq!(p(b"SSH-2.0-OpenSSH"), Probe::No);
    assert_eq!(p(b"HTTP/1.1 200 OK"), Probe::Reverse);
    assert_eq!(
        HttpParser::probe(Transport::Tcp, ToClient, b"HTTP/1.1 200 OK"),
        Probe::Yes
    );
    assert_eq!(
        HttpParser::probe(Transport::Tcp, ToClient, b"GET / HTTP/1.1"),
        Probe::Reverse
    );
    assert_eq!(p(b"HTT"), Probe::NeedMore);
    assert_eq!(
        HttpParser::probe(Transport::Udp, ToServer, b"GET / HTTP/1.1"),
        Probe::No
    );
}

#[test]
fn bytes_after_a_body_go_to_its_file() {
    // Content-Length 12 and one more line: libhtp counts the line as body (REQ/RES_FINALIZE) and
    // Suricata's file gets it too (13 bytes), the file closing when the response is done.
    let mut h = Harness::tcp(80);
    h.ts_data(b"GET /1 HTTP/1.0\r\n\r\nGET /2 HTTP/1.0\r\n\r\n");
    h.tc_data(b"HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nHello World!\n");
    h.tc_data(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc");
    h.end();
    let f: Vec<_> = h
        .rec
        .files
        .iter()
        .map(|f| (f.name.clone(), f.data.clone()))
        .collect();
    assert_eq!(
        f,
        vec![
            (b"/1".to_vec(), b"Hello World!\n".to_vec()),
            (b"/2".to_vec(), b"abc".to_vec())
        ]
    );
    assert_eq!(
        h.rec.files[0].close.map(|c| (c.status, c.size)),
        Some((FileStatus::Complete, 13))
    );
    assert_eq!(h.rec.http[0].response_entity_len, 13);
}

#[test]
fn response_without_request_names_its_file_as_libhtp() {
    let mut h = Harness::tcp(80);
    h.tc_data(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    h.end();
    assert_eq!(h.rec.files.len(), 1);
    assert_eq!(h.rec.files[0].name, tx::URI_NOT_SEEN);
    assert_eq!(h.rec.files[0].data, b"hi");
}

#[test]
fn post_and_put_bodies_are_files_other_methods_not() {
    let mut h = Harness::tcp(80);
    h.ts_data(b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx");
    h.ts_data(b"PUT /b HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\ny");
    h.ts_data(b"OPTIONS /c HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nz");
    h.end();
    let kinds: Vec<_> = h
        .rec
        .files
        .iter()
        .map(|f| (f.kind, f.name.clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (FileKind::RequestFile, b"/a".to_vec()),
            (FileKind::RequestFile, b"/b".to_vec()),
            (FileKind::RequestBody, b"/c".to_vec())
        ]
    );
}

#[test]
fn sloppy_multipart_is_split_as_suricata_splits_it() {
    // Part lines ended by a bare LF: the header line runs on to the CRLF, the filename loses
    // only its leading quote, and the two bytes before `--boundary` are dropped.
    let body: &[u8] = b"--mb\r\nContent-Disposition: form-data; name=\"f1\"\r\n\r\n0123\n--mb\r\n\
Content-Disposition: form-data; name=\"file1\"; filename=\"New.txt\"\nContent-Type: text/plain\r\n\r\n\
FFFF\n--mb--\r\n";
    let mut h = Harness::tcp(80);
    let head = format!(
        "POST /up HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=mb\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    h.ts_data(head.as_bytes());
    h.ts_data(body);
    h.end();
    let parts: Vec<_> = h
        .rec
        .files
        .iter()
        .map(|f| (f.field.clone(), f.name.clone(), f.data.clone()))
        .collect();
    assert_eq!(
        parts,
        vec![
            (b"f1".to_vec(), b"".to_vec(), b"012".to_vec()),
            (
                b"file1".to_vec(),
                b"New.txt\"\nContent-Type: text/plain".to_vec(),
                b"FFF".to_vec()
            ),
        ]
    );
}

#[test]
fn brotli_response_is_decoded_and_a_bomb_capped() {
    let body = super::decode::tests::brotli(b"hello brotli world", 5);
    let mut h = Harness::tcp(80);
    h.ts_data(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
    let mut res = format!(
        "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    res.extend_from_slice(&body);
    h.tc_data(&res);
    // 64 MiB of zeros: the ratio rule stops decoding after 1 MiB, as for gzip.
    let bomb = super::decode::tests::brotli(&vec![0u8; 64 << 20], 5);
    let mut res = format!(
        "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: {}\r\n\r\n",
        bomb.len()
    )
    .into_bytes();
    res.extend_from_slice(&bomb);
    let mut peak = 0;
    for c in res.chunks(1460) {
        h.tc_data(c);
        peak = peak.max(h.memory());
    }
    h.end();
    assert_eq!(h.rec.files[0].data, b"hello brotli world");
    assert_eq!(h.rec.http[0].response_body(), b"hello brotli world");
    let t = &h.rec.http[1];
    assert!(t.decompression_truncated && t.has_event(HttpEvent::CompressionBomb));
    let f = &h.rec.files[1];
    assert!(f.data.len() <= (1 << 20) + 32 * 1024, "{}", f.data.len());
    assert_eq!(f.close.map(|c| c.status), Some(FileStatus::Truncated));
    assert!(peak < 24 << 20, "peak parser memory {peak}");
}
