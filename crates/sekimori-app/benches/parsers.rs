//! Parser throughput: HTTP transactions per second (pipelined requests and responses through the
//! app layer, in 1460-byte segments), DNS messages per second (UDP query/response pairs), and
//! URI normalisation; TLS handshakes per second (ClientHello + ServerHello/Certificate, JA3/JA4
//! and certificate decoding) and encrypted-record throughput; SMTP (a mail with a 256 KiB base64
//! attachment: commands, MIME, decoding) and SMB (an SMB1 session writing 1 MiB in WRITE_ANDX
//! records, streamed as a file) in bytes per second.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sekimori_app::http::uri::normalize_uri;
use sekimori_app::{AppConfig, AppLayer, Direction, FlowCtx, NullSink};
use sekimori_capture::Timestamp;
use sekimori_decode::Addr;

fn flow(proto: u8, dport: u16) -> FlowCtx<'static> {
    FlowCtx {
        id: 1,
        src: Addr::v4([10, 0, 0, 1]),
        dst: Addr::v4([10, 0, 0, 2]),
        sport: 40000,
        dport,
        proto,
        vlan: &[],
        ts: Timestamp(0),
    }
}

const REQ: &[u8] = b"GET /search/results.php?q=network+defence&page=2 HTTP/1.1\r\nHost: www.example.co.jp\r\n\
User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: ja,en-US;q=0.7,en;q=0.3\r\n\
Accept-Encoding: gzip, deflate\r\nReferer: https://www.example.co.jp/\r\nCookie: session=abcdef0123456789; theme=dark\r\n\
Connection: keep-alive\r\n\r\n";

const RES: &[u8] = b"HTTP/1.1 200 OK\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nServer: nginx\r\n\
Content-Type: text/html; charset=utf-8\r\nContent-Length: 64\r\nConnection: keep-alive\r\n\r\n\
<html><head><title>ok</title></head><body>results</body></html>\n";

fn http(c: &mut Criterion) {
    let n = 1000;
    let reqs: Vec<u8> = REQ.iter().copied().cycle().take(REQ.len() * n).collect();
    let ress: Vec<u8> = RES.iter().copied().cycle().take(RES.len() * n).collect();
    let f = flow(6, 80);
    let mut g = c.benchmark_group("http");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("pipelined_tx_1000", |b| {
        b.iter(|| {
            let mut layer = AppLayer::new(AppConfig::default()).expect("config");
            let mut slot = None;
            let mut sink = NullSink;
            for (a, r) in reqs.chunks(1460).zip(ress.chunks(1460)) {
                layer.on_stream_data(&f, &mut slot, Direction::ToServer, a, &mut sink);
                layer.on_stream_data(&f, &mut slot, Direction::ToClient, r, &mut sink);
            }
            layer.on_flow_end(&f, &mut slot, &mut sink);
            black_box(layer.stats().http.txs)
        })
    });
    g.finish();

    let mut g = c.benchmark_group("uri");
    g.throughput(Throughput::Elements(1));
    let mut out = Vec::with_capacity(256);
    g.bench_function("normalize", |b| {
        b.iter(|| {
            normalize_uri(
                black_box(b"/a/./b/../c%41/%2e%2e/d//e\\f?q=1&x=%20"),
                &mut out,
            )
        })
    });
    g.finish();
}

fn dns_msg(id: u16, response: bool) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(if response {
        &[0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0]
    } else {
        &[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
    });
    for l in [&b"www"[..], b"example", b"co", b"jp"] {
        m.push(l.len() as u8);
        m.extend_from_slice(l);
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    if response {
        // CNAME to a name under the question, then an A record.
        m.extend_from_slice(&[
            0xc0, 12, 0, 5, 0, 1, 0, 0, 0x0e, 0x10, 0, 6, 3, b'c', b'd', b'n', 0xc0, 16,
        ]);
        m.extend_from_slice(&[0xc0, 47, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34]);
    }
    m
}

fn dns(c: &mut Criterion) {
    let n = 1000u16;
    let msgs: Vec<(Vec<u8>, Vec<u8>)> = (0..n)
        .map(|i| (dns_msg(i, false), dns_msg(i, true)))
        .collect();
    let f = flow(17, 53);
    let mut g = c.benchmark_group("dns");
    g.throughput(Throughput::Elements(u64::from(n) * 2));
    g.bench_function("udp_messages_2000", |b| {
        b.iter(|| {
            let mut layer = AppLayer::new(AppConfig::default()).expect("config");
            let mut slot = None;
            let mut sink = NullSink;
            for (q, r) in &msgs {
                layer.on_udp(&f, &mut slot, Direction::ToServer, q, &mut sink);
                layer.on_udp(&f, &mut slot, Direction::ToClient, r, &mut sink);
            }
            layer.on_flow_end(&f, &mut slot, &mut sink);
            black_box(layer.stats().dns.paired)
        })
    });
    g.finish();
}

/// The ClientHello record of suricata-verify `community-id-ipv6` (curl to dns.google).
const TLS_HELLO: &str = "16030101130100010f0303f8eb97c1cf968564200e3ac75ce74f3be694a92ea17d03afce58225d1cd665e32051c627d7d3b91ac53a0eb982517d2ec32225cd5aec60010277432a7bbe41dade0026c02bc02fc02cc030cca9cca8c009c013c00ac014009c009d002f0035c012000a130113021303010000a00000000f000d00000a646e732e676f6f676c65000500050100000000000a000a0008001d001700180019000b00020100000d001a0018080404030807080508060401050106010503060302010203ff01000100001700000010000e000c02683208687474702f312e3100120000002b00050403040303003300260024001d0020c727b4a5d614e9487af6a4edb2258b066d69978519a9f6a31119f04443dadc7d";

fn tls_record(t: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![t, 3, 3];
    v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    v.extend_from_slice(payload);
    v
}

fn tls_handshake(t: u8, body: &[u8]) -> Vec<u8> {
    let l = body.len() as u32;
    let mut v = vec![t, (l >> 16) as u8, (l >> 8) as u8, l as u8];
    v.extend_from_slice(body);
    v
}

/// ServerHello + Certificate (the test certificate) + ServerHelloDone in one record.
fn tls_server_flight() -> Vec<u8> {
    let der: &[u8] = include_bytes!("../src/tls/testdata/cert.der");
    let mut sh = vec![3, 3];
    sh.extend_from_slice(&[5u8; 32]);
    sh.extend_from_slice(&[0, 0xc0, 0x2b, 0, 0, 5, 0xff, 0x01, 0, 1, 0]);
    let l = der.len() as u32;
    let mut one = vec![(l >> 16) as u8, (l >> 8) as u8, l as u8];
    one.extend_from_slice(der);
    let t = one.len() as u32;
    let mut cert = vec![(t >> 16) as u8, (t >> 8) as u8, t as u8];
    cert.extend_from_slice(&one);
    let mut hs = tls_handshake(2, &sh);
    hs.extend(tls_handshake(11, &cert));
    hs.extend(tls_handshake(14, &[]));
    tls_record(22, &hs)
}

fn tls(c: &mut Criterion) {
    let hello: Vec<u8> = (0..TLS_HELLO.len() / 2)
        .map(|i| u8::from_str_radix(&TLS_HELLO[2 * i..2 * i + 2], 16).expect("hex"))
        .collect();
    let server = tls_server_flight();
    let f = flow(6, 443);
    let n = 200u64;
    let mut g = c.benchmark_group("tls");
    g.throughput(Throughput::Elements(n));
    g.bench_function("handshakes_200", |b| {
        b.iter(|| {
            let mut layer = AppLayer::new(AppConfig::default()).expect("config");
            let mut sink = NullSink;
            for _ in 0..n {
                let mut slot = None;
                layer.on_stream_data(&f, &mut slot, Direction::ToServer, &hello, &mut sink);
                layer.on_stream_data(&f, &mut slot, Direction::ToClient, &server, &mut sink);
                layer.on_flow_end(&f, &mut slot, &mut sink);
            }
            black_box(layer.stats().tls.handshakes_done)
        })
    });
    // 1 MiB of application data in 16 KiB records, delivered in 1460-byte segments.
    let data: Vec<u8> = (0..64)
        .flat_map(|_| tls_record(23, &[0xab; 16384]))
        .collect();
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("encrypted_1mib", |b| {
        b.iter(|| {
            let mut layer = AppLayer::new(AppConfig::default()).expect("config");
            let mut slot = None;
            let mut sink = NullSink;
            layer.on_stream_data(&f, &mut slot, Direction::ToServer, &hello, &mut sink);
            layer.on_stream_data(&f, &mut slot, Direction::ToClient, &server, &mut sink);
            for seg in data.chunks(1460) {
                layer.on_stream_data(&f, &mut slot, Direction::ToClient, seg, &mut sink);
            }
            black_box(layer.stats().tls.encrypted_bytes)
        })
    });
    g.finish();
}

/// Runs one TCP conversation (alternating client and server parts, each in 1460-byte segments).
fn converse(f: &FlowCtx<'_>, parts: &[(Direction, Vec<u8>)]) -> [u64; 4] {
    let mut layer = AppLayer::new(AppConfig::default()).expect("config");
    let mut slot = None;
    let mut sink = NullSink;
    for (d, p) in parts {
        for seg in p.chunks(1460) {
            layer.on_stream_data(f, &mut slot, *d, seg, &mut sink);
        }
    }
    layer.on_flow_end(f, &mut slot, &mut sink);
    let st = layer.stats();
    [
        st.smtp.messages,
        st.smtp.files,
        st.smb.files,
        st.smb.write_bytes,
    ]
}

fn smtp(c: &mut Criterion) {
    let attachment: Vec<u8> = (0..256 * 1024u32).map(|i| (i * 7 % 251) as u8).collect();
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = Vec::new();
    for (i, ch) in attachment.chunks(3).enumerate() {
        let v = ch
            .iter()
            .enumerate()
            .fold(0u32, |a, (k, &b)| a | u32::from(b) << (16 - 8 * k));
        for k in 0..4 {
            if k <= ch.len() {
                b64.push(B64[((v >> (18 - 6 * k)) & 63) as usize]);
            } else {
                b64.push(b'=');
            }
        }
        if i % 19 == 18 {
            b64.extend_from_slice(b"\r\n");
        }
    }
    let mut msg = b"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: report\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\n\
Content-Type: text/plain\r\n\r\nSee http://example.com/report and the attachment.\r\n--XX\r\n\
Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"report.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    msg.extend_from_slice(&b64);
    msg.extend_from_slice(b"\r\n--XX--\r\n.\r\n");
    let s = |t: &str| (Direction::ToClient, t.as_bytes().to_vec());
    let cl = |t: &str| (Direction::ToServer, t.as_bytes().to_vec());
    let parts = vec![
        s("220 mx.example.net ESMTP\r\n"),
        cl("EHLO client.example.com\r\n"),
        s("250-mx.example.net\r\n250 8BITMIME\r\n"),
        cl("MAIL FROM:<alice@example.com>\r\n"),
        s("250 OK\r\n"),
        cl("RCPT TO:<bob@example.net>\r\n"),
        s("250 OK\r\n"),
        cl("DATA\r\n"),
        s("354 go ahead\r\n"),
        (Direction::ToServer, msg),
        s("250 queued\r\n"),
        cl("QUIT\r\n"),
        s("221 bye\r\n"),
    ];
    let bytes: usize = parts.iter().map(|p| p.1.len()).sum();
    let f = flow(6, 25);
    let r = converse(&f, &parts);
    assert!(
        r[0] == 1 && r[1] >= 1,
        "the mail and its attachment are parsed: {r:?}"
    );
    let mut g = c.benchmark_group("smtp");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("mail_256k_attachment", |b| {
        b.iter(|| black_box(converse(&f, &parts)))
    });
    g.finish();
}

/// An SMB1 message in a NetBIOS record.
fn smb1(cmd: u8, resp: bool, mid: u16, words: &[u8], bytes: &[u8]) -> Vec<u8> {
    let mut m = b"\xffSMB".to_vec();
    m.push(cmd);
    m.extend_from_slice(&[0; 4]);
    m.push(if resp { 0x98 } else { 0x18 });
    m.extend_from_slice(&0xc801u16.to_le_bytes());
    m.extend_from_slice(&[0u8; 12]);
    m.extend_from_slice(&1u16.to_le_bytes()); // tid
    m.extend_from_slice(&1u16.to_le_bytes()); // pid
    m.extend_from_slice(&1u16.to_le_bytes()); // uid
    m.extend_from_slice(&mid.to_le_bytes());
    m.push((words.len() / 2) as u8);
    m.extend_from_slice(words);
    m.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
    m.extend_from_slice(bytes);
    let l = m.len() as u32;
    let mut v = vec![0, (l >> 16) as u8, (l >> 8) as u8, l as u8];
    v.extend_from_slice(&m);
    v
}

fn smb(c: &mut Criterion) {
    let mut parts = Vec::new();
    let mut w = vec![0u8; 48];
    w[0] = 0xff;
    let name: Vec<u8> = "\\data.bin\0"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let mut b = vec![0u8];
    b.extend_from_slice(&name);
    parts.push((Direction::ToServer, smb1(0xa2, false, 1, &w, &b)));
    let mut w = vec![0u8; 68];
    w[0] = 0xff;
    w[5..7].copy_from_slice(&7u16.to_le_bytes());
    parts.push((Direction::ToClient, smb1(0xa2, true, 1, &w, &[])));
    let chunk = vec![0x5au8; 64000];
    for i in 0..16u16 {
        let mut w = vec![0u8; 28];
        w[0] = 0xff;
        w[4..6].copy_from_slice(&7u16.to_le_bytes());
        w[20..22].copy_from_slice(&(chunk.len() as u16).to_le_bytes());
        w[22..24].copy_from_slice(&(32u16 + 1 + 28 + 2 + 1).to_le_bytes());
        let mut b = vec![0u8];
        b.extend_from_slice(&chunk);
        parts.push((Direction::ToServer, smb1(0x2f, false, 2 + i, &w, &b)));
        parts.push((Direction::ToClient, smb1(0x2f, true, 2 + i, &[0; 12], &[])));
    }
    parts.push((
        Direction::ToServer,
        smb1(0x04, false, 99, &[7, 0, 0, 0, 0, 0], &[]),
    ));
    parts.push((Direction::ToClient, smb1(0x04, true, 99, &[], &[])));
    let bytes: usize = parts.iter().map(|p| p.1.len()).sum();
    let f = flow(6, 445);
    let r = converse(&f, &parts);
    assert_eq!(
        (r[2], r[3]),
        (1, 16 * 64000),
        "the writes are one streamed file"
    );
    let mut g = c.benchmark_group("smb");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("smb1_write_1mib", |b| {
        b.iter(|| black_box(converse(&f, &parts)))
    });
    g.finish();
}

criterion_group!(benches, http, dns, tls, smtp, smb);
criterion_main!(benches);
