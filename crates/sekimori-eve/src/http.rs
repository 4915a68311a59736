//! The `http` record as Suricata 7 writes it with `extended: yes` (and optionally
//! `dump-all-headers`), from a [`sekimori_app::HttpTx`]. The `http` object alone is available for
//! records that embed it (alerts).
//!
//! Fields, in Suricata's order, each only when known: `hostname`, `http_port` (from the URI or
//! Host header; 0 when the request headers were never complete, as libhtp reports), `url` (raw
//! request URI), `http_user_agent`, `http_content_type` (response, cut at `;`), `content_range`,
//! then the extended ones: `http_refer`, `http_method`, `protocol`, `status` (with `redirect`
//! from Location), and `length` (response body bytes on the wire, always written).

use sekimori_app::http::{HttpPort, HttpTx, status_for_eve};

use crate::json::Obj;
use crate::records::Header;

/// Which headers `dump-all-headers` writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DumpHeaders {
    /// None (Suricata's default).
    #[default]
    None,
    /// `request_headers` only.
    Request,
    /// `response_headers` only.
    Response,
    /// Both.
    Both,
}

/// Options of the `http` logger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLogOptions {
    /// `extended: yes`: referer, method, protocol, status, redirect, length.
    pub extended: bool,
    /// `dump-all-headers`.
    pub dump_all_headers: DumpHeaders,
}

impl Default for HttpLogOptions {
    fn default() -> Self {
        HttpLogOptions {
            extended: true,
            dump_all_headers: DumpHeaders::None,
        }
    }
}

/// Appends `v` as a JSON string the way Suricata renders protocol bytes
/// (`set_string_from_bytes`): valid UTF-8 is escaped as JSON (`\b`, `\f`, `\n`, `\r`, `\t`,
/// other controls as `\u00XX`); other input keeps its ASCII bytes and writes each byte ≥ 0x80
/// as the four characters `\xNN`.
pub fn push_bytes_string(buf: &mut Vec<u8>, v: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let utf8 = std::str::from_utf8(v).is_ok();
    buf.push(b'"');
    for &c in v {
        match c {
            b'"' => buf.extend_from_slice(b"\\\""),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            0x08 => buf.extend_from_slice(b"\\b"),
            0x0c => buf.extend_from_slice(b"\\f"),
            0x00..=0x1f => {
                buf.extend_from_slice(b"\\u00");
                buf.push(HEX[(c >> 4) as usize]);
                buf.push(HEX[(c & 0xf) as usize]);
            }
            0x80..=0xff if !utf8 => {
                buf.extend_from_slice(b"\\\\x");
                buf.push(HEX[(c >> 4) as usize]);
                buf.push(HEX[(c & 0xf) as usize]);
            }
            _ => buf.push(c),
        }
    }
    buf.push(b'"');
}

/// A string field rendered with [`push_bytes_string`].
pub(crate) fn field_bytes(o: &mut Obj<'_>, k: &str, v: &[u8]) {
    o.raw_with(k, |b| push_bytes_string(b, v));
}

/// A parsed Content-Range (`bytes START-END/SIZE`, `*` parts absent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ContentRange {
    /// First byte.
    pub start: Option<u64>,
    /// Last byte.
    pub end: Option<u64>,
    /// Full size.
    pub size: Option<u64>,
}

fn num(s: &[u8]) -> Option<u64> {
    if s.is_empty() || !s.iter().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.iter().try_fold(0u64, |a, &c| {
        a.checked_mul(10)?.checked_add(u64::from(c - b'0'))
    })
}

/// Parses a Content-Range value; `None` when it is not `bytes a-b/n`, `bytes */n` or
/// `bytes a-b/*`.
pub fn parse_content_range(v: &[u8]) -> Option<ContentRange> {
    let v = v.trim_ascii();
    let rest = v.strip_prefix(b"bytes")?.trim_ascii_start();
    let slash = rest.iter().position(|&c| c == b'/')?;
    let (range, size) = (rest.get(..slash)?, rest.get(slash + 1..)?);
    let mut r = ContentRange::default();
    if range != b"*" {
        let dash = range.iter().position(|&c| c == b'-')?;
        r.start = Some(num(range.get(..dash)?)?);
        r.end = Some(num(range.get(dash + 1..)?)?);
    }
    if size != b"*" {
        r.size = Some(num(size)?);
    }
    Some(r)
}

fn headers_array(o: &mut Obj<'_>, key: &str, h: &sekimori_app::http::Headers) {
    o.arr(key, |a| {
        for (n, v) in h.iter() {
            a.obj(|e| {
                field_bytes(e, "name", n);
                field_bytes(e, "value", v);
            });
        }
    });
}

/// Writes the fields of the `http` object (without the braces' key) into `o`.
pub fn write_http_fields(o: &mut Obj<'_>, tx: &HttpTx, opts: &HttpLogOptions) {
    if let Some(h) = tx.host() {
        field_bytes(o, "hostname", h);
    }
    match tx.port() {
        HttpPort::Port(p) => {
            o.u64("http_port", u64::from(p));
        }
        HttpPort::Unprocessed => {
            o.u64("http_port", 0);
        }
        HttpPort::Missing => {}
    }
    if let Some(u) = tx.uri_raw() {
        field_bytes(o, "url", u);
    }
    if let Some(ua) = tx.user_agent() {
        field_bytes(o, "http_user_agent", ua);
    }
    if let Some(ct) = tx.content_type() {
        field_bytes(o, "http_content_type", ct);
    }
    if let Some(cr) = tx.response_header(b"content-range") {
        o.obj("content_range", |c| {
            field_bytes(c, "raw", cr);
            if let Some(p) = parse_content_range(cr) {
                if let Some(s) = p.start {
                    c.u64("start", s);
                }
                if let Some(e) = p.end {
                    c.u64("end", e);
                }
                if let Some(n) = p.size {
                    c.u64("size", n);
                }
            }
        });
    }
    if opts.extended {
        if let Some(r) = tx.referer() {
            field_bytes(o, "http_refer", r);
        }
        if let Some(m) = tx.method() {
            field_bytes(o, "http_method", m);
        }
        if let Some(p) = tx.protocol() {
            field_bytes(o, "protocol", p);
        }
        if let Some(s) = tx.status_raw() {
            o.u64("status", u64::from(status_for_eve(s)));
            if let Some(l) = tx.location() {
                field_bytes(o, "redirect", l);
            }
        }
        o.u64("length", tx.response_message_len);
    }
    if matches!(
        opts.dump_all_headers,
        DumpHeaders::Request | DumpHeaders::Both
    ) {
        headers_array(o, "request_headers", tx.request_headers());
    }
    if matches!(
        opts.dump_all_headers,
        DumpHeaders::Response | DumpHeaders::Both
    ) {
        headers_array(o, "response_headers", tx.response_headers());
    }
}

/// Everything an `http` record says.
#[derive(Clone, Copy, Debug)]
pub struct HttpRecord<'a> {
    /// Common header (`event_type` is forced to `http`); endpoints oriented as the flow.
    pub header: Header<'a>,
    /// `pkt_src` (`wire/pcap`, `stream (flow timeout)`, ...), when known.
    pub pkt_src: Option<&'a str>,
    /// Already-serialised JSON for `metadata` (flowbits, ...), when any.
    pub metadata: Option<&'a [u8]>,
    /// The transaction.
    pub tx: &'a HttpTx,
    /// Logger options.
    pub opts: HttpLogOptions,
}

/// Writes an `http` record (one JSON object, no newline) into `buf`.
pub fn write_http(buf: &mut Vec<u8>, r: &HttpRecord<'_>) {
    let mut o = Obj::new(buf);
    Header {
        event_type: "http",
        ..r.header
    }
    .write(&mut o);
    if let Some(p) = r.pkt_src {
        o.str("pkt_src", p);
    }
    if let Some(m) = r.metadata {
        o.raw("metadata", m);
    }
    o.u64("tx_id", r.tx.tx_id);
    o.obj("http", |h| write_http_fields(h, r.tx, &r.opts));
    o.end();
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::records::Endpoints;
    use sekimori_app::{
        AppConfig, AppEvent, AppLayer, AppSink, AppTx, DnsTx, FileSink, FlowCtx, TxStage,
    };
    use sekimori_capture::Timestamp;
    use sekimori_decode::Addr;
    use std::path::{Path, PathBuf};

    fn tx_of(req: &[u8], res: &[u8]) -> HttpTx {
        #[derive(Default)]
        struct One(Vec<HttpTx>);
        impl FileSink for One {}
        impl AppSink for One {
            fn on_tx(&mut self, _f: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage) {
                if let (AppTx::Http(t), TxStage::Complete) = (tx, stage) {
                    self.0.push(t.clone());
                }
            }
        }
        let mut layer = AppLayer::new(AppConfig::default()).unwrap();
        let mut slot = None;
        let mut sink = One::default();
        let f = FlowCtx {
            id: 1,
            src: Addr::v4([10, 0, 0, 1]),
            dst: Addr::v4([10, 0, 0, 2]),
            sport: 1234,
            dport: 80,
            proto: 6,
            vlan: &[],
            ts: Timestamp::from_micros(1, 0),
        };
        layer.on_stream_data(
            &f,
            &mut slot,
            sekimori_app::Direction::ToServer,
            req,
            &mut sink,
        );
        layer.on_stream_data(
            &f,
            &mut slot,
            sekimori_app::Direction::ToClient,
            res,
            &mut sink,
        );
        layer.on_flow_end(&f, &mut slot, &mut sink);
        sink.0.remove(0)
    }

    #[test]
    fn record_shape_matches_suricata() {
        let tx = tx_of(
            b"GET / HTTP/1.1\r\nHost: www.testmyids.com\r\nUser-Agent: curl/7.43.0\r\nAccept: */*\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 39\r\n\r\nuid=0(root) gid=0(root) groups=0(root)\n",
        );
        let mut buf = Vec::new();
        write_http(
            &mut buf,
            &HttpRecord {
                header: Header {
                    ts: Timestamp::from_micros(1_468_449_727, 388_078),
                    flow_id: Some(2019293191989413),
                    pcap_cnt: Some(7),
                    event_type: "ignored",
                    vlan: &[],
                    endpoints: Some(Endpoints {
                        src: Addr::v4([10, 16, 1, 11]),
                        sport: Some(54186),
                        dst: Addr::v4([82, 165, 177, 154]),
                        dport: Some(80),
                        proto: 6,
                    }),
                },
                pkt_src: Some("wire/pcap"),
                metadata: None,
                tx: &tx,
                opts: HttpLogOptions::default(),
            },
        );
        // Suricata 7.0.10's line for alert-testmyids.
        let want = r#"{"timestamp":"2016-07-13T22:42:07.388078+0000","flow_id":2019293191989413,"pcap_cnt":7,"event_type":"http","src_ip":"10.16.1.11","src_port":54186,"dest_ip":"82.165.177.154","dest_port":80,"proto":"TCP","pkt_src":"wire/pcap","tx_id":0,"http":{"hostname":"www.testmyids.com","url":"/","http_user_agent":"curl/7.43.0","http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":39}}"#;
        assert_eq!(String::from_utf8(buf).unwrap(), want);
    }

    #[test]
    fn optional_fields_and_escaping() {
        let tx = tx_of(
            b"GET http://x.example:81/a%20b HTTP/1.1\r\nReferer: http://r/\r\n\r\n",
            b"HTTP/1.1 206 Partial\r\nLocation: /z\r\nContent-Range: bytes 10-19/100\r\nContent-Length: 0\r\n\r\n",
        );
        let mut buf = Vec::new();
        let mut o = Obj::new(&mut buf);
        write_http_fields(
            &mut o,
            &tx,
            &HttpLogOptions {
                extended: true,
                dump_all_headers: DumpHeaders::Both,
            },
        );
        o.end();
        let s = String::from_utf8(buf).unwrap();
        assert_eq!(
            s,
            r#"{"hostname":"x.example","http_port":81,"url":"http://x.example:81/a%20b","content_range":{"raw":"bytes 10-19/100","start":10,"end":19,"size":100},"http_refer":"http://r/","http_method":"GET","protocol":"HTTP/1.1","status":206,"redirect":"/z","length":0,"request_headers":[{"name":"Referer","value":"http://r/"}],"response_headers":[{"name":"Location","value":"/z"},{"name":"Content-Range","value":"bytes 10-19/100"},{"name":"Content-Length","value":"0"}]}"#
        );
        let mut b = Vec::new();
        push_bytes_string(&mut b, b"a\x11\"\x08\xff/");
        assert_eq!(b, br#""a\u0011\"\b\\xff/""#);
        let mut b = Vec::new();
        push_bytes_string(&mut b, "é".as_bytes());
        assert_eq!(b, "\"é\"".as_bytes());
        assert_eq!(
            parse_content_range(b"bytes */100"),
            Some(ContentRange {
                start: None,
                end: None,
                size: Some(100)
            })
        );
        assert_eq!(
            parse_content_range(b"bytes 1-2/*"),
            Some(ContentRange {
                start: Some(1),
                end: Some(2),
                size: None
            })
        );
        assert_eq!(parse_content_range(b"items 1-2/3"), None);
    }

    // ---------------------------------------------------------------- reference comparison

    pub(crate) fn shared() -> Option<(PathBuf, PathBuf)> {
        let r = sekimori_fixtures::shared::path("data")?;
        Some((
            r.join("suricata-verify/tests"),
            r.join("suricata-verify-eve"),
        ))
    }

    /// (test dir, pcap path, extra TCP DNS ports) for every test of INDEX.tsv.
    pub(crate) fn tests_with_pcap(sv: &Path, eve: &Path) -> Vec<(String, PathBuf, Vec<u16>)> {
        let idx = std::fs::read_to_string(eve.join("INDEX.tsv")).unwrap_or_default();
        sekimori_fixtures::shared::parse_index(&idx, sv, eve)
            .into_iter()
            .map(|r| {
                let ports = r
                    .set("app-layer.protocols.dns.tcp.detection-ports.dp")
                    .and_then(|p| p.parse().ok())
                    .into_iter()
                    .collect();
                (r.test, r.pcap, ports)
            })
            .collect()
    }

    /// The raw text of the object under `"key":` in a JSON line.
    pub(crate) fn raw_object<'a>(line: &'a str, key: &str) -> Option<&'a str> {
        let pat = format!("\"{key}\":{{");
        let start = line.find(&pat)? + pat.len() - 1;
        let b = line.as_bytes();
        let (mut depth, mut in_str, mut esc) = (0i32, false, false);
        for (i, &c) in b.iter().enumerate().skip(start) {
            if in_str {
                match (esc, c) {
                    (true, _) => esc = false,
                    (false, b'\\') => esc = true,
                    (false, b'"') => in_str = false,
                    _ => {}
                }
                continue;
            }
            match c {
                b'"' => in_str = true,
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return line.get(start..=i);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Collects transactions per flow (client port) from a replay.
    #[derive(Default)]
    pub(crate) struct Collect {
        pub(crate) http: Vec<(String, HttpTx)>,
        pub(crate) dns: Vec<(String, DnsTx)>,
        pub(crate) events: Vec<AppEvent>,
        reversed: Vec<u64>,
    }
    impl FileSink for Collect {}
    impl AppSink for Collect {
        fn on_detect(
            &mut self,
            f: &FlowCtx<'_>,
            _p: sekimori_app::AppProto,
            _d: sekimori_app::Direction,
            reversed: bool,
        ) {
            if reversed {
                self.reversed.push(f.id);
            }
        }
        fn on_tx(&mut self, f: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage) {
            if stage != TxStage::Complete {
                return;
            }
            // Suricata swaps reversed flows: the real client is `src`.
            let (src, sport, dst, dport) = if self.reversed.contains(&f.id) {
                (f.dst, f.dport, f.src, f.sport)
            } else {
                (f.src, f.sport, f.dst, f.dport)
            };
            let key = format!(
                "{}|{}|{}|{}",
                crate::format::addr_string(src),
                sport,
                crate::format::addr_string(dst),
                dport
            );
            match tx {
                AppTx::Http(t) => self.http.push((key, t.clone())),
                AppTx::Dns(t) => self.dns.push((key, t.clone())),
                _ => {}
            }
        }
        fn on_event(&mut self, _f: &FlowCtx<'_>, e: &AppEvent) {
            self.events.push(*e);
        }
    }

    pub(crate) fn replay(pcap: &Path, dns_ports: &[u16]) -> Collect {
        let mut cfg = AppConfig::default();
        cfg.dns.tcp_ports.extend_from_slice(dns_ports);
        let mut layer = AppLayer::new(cfg).unwrap();
        let mut c = Collect::default();
        let _ = sekimori_app::replay::replay_pcap(pcap, &mut layer, &mut c);
        c
    }

    pub(crate) fn ref_key(v: &serde_json::Value) -> String {
        format!(
            "{}|{}|{}|{}",
            v["src_ip"].as_str().unwrap_or(""),
            v["src_port"],
            v["dest_ip"].as_str().unwrap_or(""),
            v["dest_port"]
        )
    }

    /// Reference records that depend on engine behaviour the replay does not model (not on the
    /// parser or this formatter).
    const KNOWN: &[(&str, &str)] = &[
        (
            "filestore-dont",
            "Suricata hands libhtp the data ACKed so far, so a 1-byte segment after a body arrives with it (and counts in `length`); the replay delivers per packet",
        ),
        (
            "tcp-urgp-01-oob",
            "the TCP stream engine's urgent-data policy removes the out-of-band byte from the URI",
        ),
        ("tcp-urgp-03-inline", "same urgent-data policy"),
        (
            "bug-2576-01-ips",
            "the traffic is inside GRE (transparent Ethernet bridging), which sekimori-decode does not open",
        ),
        (
            "drop-protocol-change",
            "Suricata logs the 101 response under the flow's original orientation before swapping it",
        ),
    ];

    /// Every `http` record of the reference, compared with ours for the same flow and tx_id:
    /// the `http` object must be byte-identical.
    #[test]
    fn http_records_match_suricata_reference() {
        let Some((sv, eve)) = shared() else { return };
        let (mut total, mut matched) = (0, 0);
        let mut problems = Vec::new();
        let mut known = Vec::new();
        for (test, pcap, ports) in tests_with_pcap(&sv, &eve) {
            let Ok(text) = std::fs::read_to_string(eve.join(&test).join("eve.json")) else {
                continue;
            };
            let refs: Vec<&str> = text
                .lines()
                .filter(|l| l.contains("\"event_type\":\"http\""))
                .collect();
            if refs.is_empty() {
                continue;
            }
            let is_known = KNOWN.iter().any(|(t, _)| *t == test);
            let ours = replay(&pcap, &ports);
            let mut used = vec![false; ours.http.len()];
            for line in refs {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                if v["http"].get("version").is_some() {
                    continue; // HTTP/2 (not parsed here)
                }
                total += 1;
                let key = ref_key(&v);
                let want = raw_object(line, "http").unwrap_or("");
                // Tests whose config dumps all headers: compare the fields before the dump.
                let want = match want.find(",\"request_headers\"") {
                    Some(i) => format!("{}}}", &want[..i]),
                    None => want.to_string(),
                };
                let tx_id = v["tx_id"].as_u64();
                let cand = ours
                    .http
                    .iter()
                    .enumerate()
                    .find(|(i, (k, t))| !used[*i] && *k == key && Some(t.tx_id) == tx_id);
                let problem = match cand {
                    None => Some(format!("{test}: missing {key} tx {tx_id:?}: {want}")),
                    Some((i, (_, t))) => {
                        used[i] = true;
                        let mut buf = Vec::new();
                        let mut o = Obj::new(&mut buf);
                        write_http_fields(&mut o, t, &HttpLogOptions::default());
                        o.end();
                        let got = String::from_utf8_lossy(&buf).into_owned();
                        (got != want).then(|| format!("{test}: {key}\n  want {want}\n  got  {got}"))
                    }
                };
                match problem {
                    None => matched += 1,
                    Some(p) if is_known => known.push(p),
                    Some(p) => problems.push(p),
                }
            }
        }
        eprintln!(
            "http: {matched}/{total} identical; {} known differences, {} unexpected",
            known.len(),
            problems.len()
        );
        for p in &known {
            eprintln!("known: {p}");
        }
        for p in &problems {
            eprintln!("{p}");
        }
        assert!(total > 100, "reference records found: {total}");
        assert!(
            problems.is_empty(),
            "{} http records differ from Suricata's",
            problems.len()
        );
        assert!(
            known.len() <= 6,
            "more known differences than documented: {}",
            known.len()
        );
    }
}
