//! TLS parser tests.

use super::*;
use crate::testutil::Harness;
use crate::types::Direction::{ToClient, ToServer};

/// The ClientHello of suricata-verify `community-id-ipv6` (curl to dns.google), one record.
const DNS_GOOGLE_HELLO: &str = "16030101130100010f0303f8eb97c1cf968564200e3ac75ce74f3be694a92ea17d03afce58225d1cd665e32051c627d7d3b91ac53a0eb982517d2ec32225cd5aec60010277432a7bbe41dade0026c02bc02fc02cc030cca9cca8c009c013c00ac014009c009d002f0035c012000a130113021303010000a00000000f000d00000a646e732e676f6f676c65000500050100000000000a000a0008001d001700180019000b00020100000d001a0018080404030807080508060401050106010503060302010203ff01000100001700000010000e000c02683208687474702f312e3100120000002b00050403040303003300260024001d0020c727b4a5d614e9487af6a4edb2258b066d69978519a9f6a31119f04443dadc7d";

/// A self-signed certificate (openssl): C=FR, O=Sekimori Test, CN=test.example, serial 0A1B2C,
/// SAN test.example and www.test.example.
const CERT: &[u8] = include_bytes!("testdata/cert.der");

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn u16s(v: &[u16]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_be_bytes()).collect()
}

fn with_len16(b: &[u8]) -> Vec<u8> {
    let mut v = (b.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(b);
    v
}

fn extension(t: u16, content: &[u8]) -> Vec<u8> {
    let mut v = t.to_be_bytes().to_vec();
    v.extend_from_slice(&with_len16(content));
    v
}

fn handshake(t: u8, body: &[u8]) -> Vec<u8> {
    let l = body.len() as u32;
    let mut v = vec![t, (l >> 16) as u8, (l >> 8) as u8, l as u8];
    v.extend_from_slice(body);
    v
}

fn record(t: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![t, 3, 3];
    v.extend_from_slice(&with_len16(payload));
    v
}

fn sni_ext(name: &[u8]) -> Vec<u8> {
    let mut e = vec![0u8];
    e.extend_from_slice(&with_len16(name));
    extension(0, &with_len16(&e))
}

/// A ClientHello body with GREASE values in ciphers, extensions, groups, versions and ALPN.
fn client_hello_body(exts_extra: &[Vec<u8>]) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend_from_slice(&[7u8; 32]);
    b.push(32);
    b.extend_from_slice(&[9u8; 32]);
    b.extend_from_slice(&with_len16(&u16s(&[0x3a3a, 0x1301, 0xc02b, 0x002f])));
    b.extend_from_slice(&[1, 0]);
    let mut exts = Vec::new();
    exts.extend(extension(0x2a2a, &[]));
    exts.extend(sni_ext(b"www.example.org"));
    exts.extend(extension(10, &with_len16(&u16s(&[0x4a4a, 29, 23]))));
    exts.extend(extension(11, &[1, 0]));
    exts.extend(extension(13, &with_len16(&u16s(&[0x0403, 0x0804, 0x0401]))));
    let mut alpn = vec![2];
    alpn.extend_from_slice(b"h2");
    alpn.push(8);
    alpn.extend_from_slice(b"http/1.1");
    exts.extend(extension(16, &with_len16(&alpn)));
    exts.extend(extension(43, &[6, 0x5a, 0x5a, 3, 4, 3, 3]));
    for e in exts_extra {
        exts.extend_from_slice(e);
    }
    b.extend_from_slice(&with_len16(&exts));
    b
}

fn server_hello_body(version_ext: Option<u16>, session_id: &[u8]) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend_from_slice(&[5u8; 32]);
    b.push(session_id.len() as u8);
    b.extend_from_slice(session_id);
    b.extend_from_slice(&0xc02bu16.to_be_bytes());
    b.push(0);
    let mut exts = extension(0xff01, &[0]);
    if let Some(v) = version_ext {
        exts.extend(extension(43, &v.to_be_bytes()));
    }
    exts.extend(extension(11, &[1, 0]));
    b.extend_from_slice(&with_len16(&exts));
    b
}

fn certificate_body(der: &[u8]) -> Vec<u8> {
    let l = der.len() as u32;
    let mut one = vec![(l >> 16) as u8, (l >> 8) as u8, l as u8];
    one.extend_from_slice(der);
    let t = one.len() as u32;
    let mut b = vec![(t >> 16) as u8, (t >> 8) as u8, t as u8];
    b.extend_from_slice(&one);
    b
}

/// Server flight of a TLS 1.2 full handshake: ServerHello + Certificate + ServerHelloDone in one
/// record.
fn server_flight12() -> Vec<u8> {
    let mut hs = handshake(2, &server_hello_body(None, &[]));
    hs.extend(handshake(11, &certificate_body(CERT)));
    hs.extend(handshake(14, &[]));
    record(22, &hs)
}

fn client_hello_record() -> Vec<u8> {
    record(22, &handshake(1, &client_hello_body(&[])))
}

fn run(chunks: &[(Direction, Vec<u8>)]) -> Harness {
    let mut h = Harness::tcp(8443);
    for (d, c) in chunks {
        h.data(*d, c);
    }
    h.end();
    h
}

#[test]
fn full_tls12_handshake() {
    let h = run(&[
        (ToServer, client_hello_record()),
        (ToClient, server_flight12()),
    ]);
    assert_eq!(h.rec.tls.len(), 1);
    let t = &h.rec.tls[0];
    assert!(t.handshake_done);
    assert_eq!(t.sni(), Some(&b"www.example.org"[..]));
    assert_eq!(t.version_string(), "TLS 1.2");
    let ch = t.client_hello.as_ref().unwrap();
    assert_eq!(ch.alpn, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
    assert_eq!(ch.supported_versions, vec![0x5a5a, 0x0304, 0x0303]);
    assert_eq!(ch.groups, vec![0x4a4a, 29, 23]);
    assert_eq!(ch.ec_point_formats, vec![0]);
    assert_eq!(ch.signature_algorithms, vec![0x0403, 0x0804, 0x0401]);
    // GREASE left out of JA3.
    assert_eq!(
        t.ja3.as_deref(),
        Some("771,4865-49195-47,0-10-11-13-16-43,29-23,0")
    );
    assert_eq!(
        t.ja3_hash.as_deref(),
        Some(md5_hex("771,4865-49195-47,0-10-11-13-16-43,29-23,0").as_str())
    );
    assert_eq!(t.ja3s.as_deref(), Some("771,49195,65281-11"));
    // JA4: TLS 1.3 from supported_versions, SNI, 3 ciphers, 6 extensions, ALPN h2.
    let ja4 = t.ja4.as_deref().unwrap();
    assert!(ja4.starts_with("t13d0306h2_"), "{ja4}");
    let b = &md5_free_sha256("002f,1301,c02b")[..12];
    let c = &md5_free_sha256("000a,000b,000d,002b_0403,0804,0401")[..12];
    assert_eq!(ja4, format!("t13d0306h2_{b}_{c}"));
    let cert = t.server_cert.as_ref().unwrap();
    assert_eq!(cert.subject, "C=FR, O=Sekimori Test, CN=test.example");
    assert_eq!(cert.issuer, cert.subject);
    assert_eq!(cert.serial, "0A:1B:2C");
    assert_eq!(
        cert.fingerprint,
        "14:6c:d6:dc:5a:5f:5e:c4:08:91:b3:86:c6:d0:90:16:2c:58:a4:7f"
    );
    assert_eq!(cert.not_before, 1_795_429_645);
    assert_eq!(cert.not_after - cert.not_before, 365 * 86400);
    assert_eq!(cert.san, vec!["test.example", "www.test.example"]);
    assert_eq!(t.server_chain_len, 1);
    assert!(!t.session_resumed && !t.log_without_cert);
    assert_eq!(t.events().count(), 0);
    let st = h.layer.stats();
    assert_eq!(st.detected_tls, 1);
    assert_eq!(
        (
            st.tls.client_hellos,
            st.tls.server_hellos,
            st.tls.certificates,
            st.tls.handshakes_done
        ),
        (1, 1, 1, 1)
    );
    // Completed when the certificate arrived, before the flow ended.
    assert_eq!(h.rec.stages, vec![(0, TxStage::Complete)]);
}

#[test]
fn hello_randoms_and_certificate_chain_are_kept() {
    let h = run(&[
        (ToServer, client_hello_record()),
        (ToClient, server_flight12()),
    ]);
    let t = &h.rec.tls[0];
    // `tls.random` of each side: the 32 bytes after the hello's version.
    assert_eq!(t.client_hello.as_ref().unwrap().random, vec![7u8; 32]);
    assert_eq!(t.server_hello.as_ref().unwrap().random, vec![5u8; 32]);
    // `tls.certs`: every DER certificate of the server's chain, in order.
    assert_eq!(t.server_chain, vec![CERT.to_vec()]);
    assert!(t.client_chain.is_empty());
}

fn md5_free_sha256(s: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn real_client_hello_fingerprints_match_suricata() {
    // Values of Suricata 7.0.10's tls record for this flow.
    let h = run(&[(ToServer, unhex(DNS_GOOGLE_HELLO))]);
    let t = &h.rec.tls[0];
    assert_eq!(t.sni(), Some(&b"dns.google"[..]));
    assert_eq!(
        t.ja3.as_deref(),
        Some(
            "771,49195-49199-49196-49200-52393-52392-49161-49171-49162-49172-156-157-47-53-49170-10-4865-4866-4867,0-5-10-11-13-65281-23-16-18-43-51,29-23-24-25,0"
        )
    );
    assert_eq!(
        t.ja3_hash.as_deref(),
        Some("7a15285d4efc355608b304698cd7f9ab")
    );
    assert_eq!(
        t.ja4.as_deref(),
        Some("t13d1911h2_9dc949149365_e7c285222651")
    );
    assert!(!t.handshake_done, "no server data");
    assert_eq!(t.version_string(), "UNDETERMINED");
}

#[test]
fn split_at_every_byte_gives_the_same_tx() {
    let hello = unhex(DNS_GOOGLE_HELLO);
    let whole = run(&[
        (ToServer, client_hello_record()),
        (ToClient, server_flight12()),
    ]);
    let want = &whole.rec.tls[0];
    for data in [hello.clone(), client_hello_record()] {
        let base = run(&[(ToServer, data.clone())]);
        for k in 1..data.len() {
            let h = run(&[
                (ToServer, data[..k].to_vec()),
                (ToServer, data[k..].to_vec()),
            ]);
            assert_eq!(h.rec.tls.len(), 1, "split at {k}");
            let t = &h.rec.tls[0];
            assert_eq!(t.client_hello, base.rec.tls[0].client_hello, "split at {k}");
            assert_eq!(t.ja4, base.rec.tls[0].ja4);
            assert_eq!(t.ja3, base.rec.tls[0].ja3);
        }
    }
    // The server flight split everywhere too (detection already done by the client hello).
    let sf = server_flight12();
    for k in 1..sf.len() {
        let h = run(&[
            (ToServer, client_hello_record()),
            (ToClient, sf[..k].to_vec()),
            (ToClient, sf[k..].to_vec()),
        ]);
        let t = &h.rec.tls[0];
        assert_eq!(t.server_cert, want.server_cert, "split at {k}");
        assert_eq!(t.ja3s, want.ja3s);
        assert!(t.handshake_done);
    }
}

#[test]
fn handshake_split_across_records_and_records_packed() {
    // The ClientHello split into three records, all in one segment with a CCS after it.
    let msg = handshake(1, &client_hello_body(&[]));
    let mut seg = Vec::new();
    for part in [&msg[..3], &msg[3..50], &msg[50..]] {
        seg.extend(record(22, part));
    }
    let h = run(&[(ToServer, seg), (ToClient, server_flight12())]);
    let t = &h.rec.tls[0];
    assert_eq!(t.sni(), Some(&b"www.example.org"[..]));
    assert_eq!(t.records[0], 3);
    // One byte at a time.
    let mut h = Harness::tcp(443);
    let mut seg = Vec::new();
    for part in [&msg[..3], &msg[3..]] {
        seg.extend(record(22, part));
    }
    for b in &seg {
        h.data(ToServer, std::slice::from_ref(b));
    }
    for b in &server_flight12() {
        h.data(ToClient, std::slice::from_ref(b));
    }
    assert_eq!(h.rec.tls.len(), 1, "completed at the certificate");
    assert_eq!(h.rec.tls[0].sni(), Some(&b"www.example.org"[..]));
}

#[test]
fn tls13_completes_on_application_data_and_counts_it() {
    let mut sh = record(22, &handshake(2, &server_hello_body(Some(0x0304), &[])));
    sh.extend(record(20, &[1]));
    sh.extend(record(23, &[0xaa; 100]));
    let mut h = Harness::tcp(443);
    h.data(ToServer, &client_hello_record());
    assert!(h.rec.tls.is_empty());
    h.data(ToClient, &sh);
    assert_eq!(h.rec.tls.len(), 1);
    let mut more = record(23, &[0xbb; 300]);
    more.extend(record(23, &[0xcc; 10]));
    h.data(ToClient, &more);
    h.end();
    assert_eq!(h.rec.tls.len(), 1, "one transaction per session");
    let t = &h.rec.tls[0];
    assert_eq!(t.version_string(), "TLS 1.3");
    assert!(t.log_without_cert && t.handshake_done);
    assert!(t.server_cert.is_none());
    assert_eq!(t.ja3s.as_deref(), Some("771,49195,65281-43-11"));
    let st = h.layer.stats().tls;
    assert_eq!(st.encrypted_records, 3);
    assert_eq!(st.encrypted_bytes, 410);
}

#[test]
fn session_resumption_by_id_and_versions() {
    let mut body = client_hello_body(&[]);
    // The body carries a 32-byte session id of 9s; echo it back.
    let sh = record(22, &handshake(2, &server_hello_body(None, &[9u8; 32])));
    let h = run(&[(ToServer, record(22, &handshake(1, &body))), (ToClient, sh)]);
    assert!(h.rec.tls[0].session_resumed);
    assert!(!h.rec.tls[0].handshake_done);
    // Legacy version 0x0304 in a ServerHello is reported as a pre-16 draft (Suricata).
    body = server_hello_body(None, &[]);
    body[1] = 4;
    let h = run(&[
        (ToServer, client_hello_record()),
        (ToClient, record(22, &handshake(2, &body))),
    ]);
    // tls-parser rejects a ServerHello with legacy version 0x0304: an event, no version.
    let t = &h.rec.tls[0];
    assert!(t.has_event(TlsEvent::InvalidHandshakeMessage) || t.version == 0x7f01);
    assert_eq!(version_string(0x7f1c), "TLS 1.3 draft-28");
    assert_eq!(version_string(0xfb1a), "TLS 1.3 draft-26-fb");
    assert_eq!(version_string(0x0301), "TLSv1");
    assert_eq!(version_string(0x1234), "0x1234");
    assert_eq!(version_string(0), "UNDETERMINED");
}

#[test]
fn sni_events() {
    let two = client_hello_body(&[sni_ext(b"other.example")]);
    let h = run(&[(ToServer, record(22, &handshake(1, &two)))]);
    let t = &h.rec.tls[0];
    assert_eq!(
        t.sni(),
        Some(&b"www.example.org"[..]),
        "the first SNI is kept"
    );
    assert!(t.has_event(TlsEvent::MultipleSniExtensions));
    assert!(
        h.rec
            .events
            .iter()
            .any(|e| e.name == "MULTIPLE_SNI_EXTENSIONS" && e.tx_id == Some(0))
    );
    // A second ClientHello with an SNI: Suricata's MULTIPLE_SNI_EXTENSIONS, the first stays.
    let mut h = Harness::tcp(443);
    h.data(ToServer, &client_hello_record());
    let other = client_hello_body(&[]);
    let mut second = record(22, &handshake(1, &other));
    second[20] ^= 1; // a different random
    h.data(ToServer, &second);
    h.end();
    assert!(h.rec.tls[0].has_event(TlsEvent::MultipleSniExtensions));
    assert_eq!(h.rec.tls[0].client_hello.as_ref().unwrap().ciphers.len(), 4);
    // An SNI of length 0 in a hello without other SNI.
    let body = {
        let mut b = vec![3, 3];
        b.extend_from_slice(&[7u8; 32]);
        b.push(0);
        b.extend_from_slice(&with_len16(&u16s(&[0x1301])));
        b.extend_from_slice(&[1, 0]);
        b.extend_from_slice(&with_len16(&sni_ext(b"")));
        b
    };
    let h = run(&[(ToServer, record(22, &handshake(1, &body)))]);
    assert!(h.rec.tls[0].has_event(TlsEvent::InvalidSniLength));
    assert_eq!(h.rec.tls[0].sni(), None);
    assert!(h.rec.tls[0].ja4.as_deref().unwrap().starts_with("t12d0101"));
}

#[test]
fn record_errors_stop_the_parser() {
    for (bad, ev) in [
        (vec![22u8, 3, 3, 0, 0], "INVALID_RECORD_LENGTH"),
        (vec![22, 3, 3, 0x50, 0], "INVALID_RECORD_LENGTH"),
        (vec![22, 3, 9, 0, 4, 1, 2, 3, 4], "INVALID_RECORD_VERSION"),
        (vec![99, 3, 3, 0, 1, 0], "INVALID_RECORD_TYPE"),
    ] {
        let mut h = Harness::tcp(443);
        h.data(ToServer, &client_hello_record());
        h.data(ToServer, &bad);
        h.data(ToServer, &client_hello_record());
        h.end();
        assert!(h.rec.events.iter().any(|e| e.name == ev), "{ev}");
        assert_eq!(h.layer.stats().parse_errors, 1);
        assert_eq!(h.rec.tls.len(), 1, "the session is still handed over");
    }
}

#[test]
fn gap_resynchronises_on_a_record_boundary() {
    let mut h = Harness::tcp(443);
    h.data(ToServer, &client_hello_record());
    let sf = server_flight12();
    h.data(ToClient, &sf[..20]);
    h.gap(ToClient, 100);
    // Garbage that does not start like a record is skipped.
    h.data(ToClient, &[0x55; 40]);
    let mut tail = record(22, &handshake(2, &server_hello_body(None, &[])));
    tail.extend(record(22, &handshake(11, &certificate_body(CERT))));
    h.data(ToClient, &tail);
    h.end();
    let t = &h.rec.tls[0];
    assert!(t.server_cert.is_some() && t.handshake_done);
    let st = h.layer.stats().tls;
    assert_eq!((st.gaps, st.resync_skipped), (1, 40));
}

#[test]
fn oversized_handshake_message_is_skipped() {
    let mut cfg = crate::AppConfig::default();
    cfg.tls.max_handshake_len = 600;
    let mut h = Harness::new(cfg, 6, 443);
    h.data(ToServer, &client_hello_record());
    let mut big = handshake(11, &certificate_body(&[0x30; 900]));
    big.extend(handshake(14, &[]));
    let recs: Vec<u8> = big.chunks(300).flat_map(|c| record(22, c)).collect();
    h.data(ToClient, &recs);
    h.end();
    assert!(h.rec.tls[0].has_event(TlsEvent::HandshakeInvalidLength));
    assert_eq!(h.layer.stats().tls.handshake_overflows, 1);
    assert_eq!(h.layer.stats().tls.handshake_messages, 2, "hello + done");
}

#[test]
fn invalid_certificate_raises_event() {
    let mut hs = handshake(2, &server_hello_body(None, &[]));
    hs.extend(handshake(11, &certificate_body(&[0x30, 0x03, 1, 2, 3])));
    let h = run(&[
        (ToServer, client_hello_record()),
        (ToClient, record(22, &hs)),
    ]);
    let t = &h.rec.tls[0];
    assert!(t.has_event(TlsEvent::CertificateInvalidDer));
    assert!(t.server_cert.is_none() && !t.handshake_done);
    assert_eq!(h.layer.stats().tls.cert_errors, 1);
}

#[test]
fn probe_follows_suricata_patterns() {
    use crate::parser::AppParser;
    let p = |d: Direction, b: &[u8]| TlsParser::probe(Transport::Tcp, d, b);
    assert_eq!(p(ToServer, &[22, 3, 1, 0, 5]), Probe::Yes);
    assert_eq!(p(ToServer, &[22, 3]), Probe::NeedMore);
    assert_eq!(p(ToServer, &[]), Probe::NeedMore);
    assert_eq!(p(ToServer, &[22, 3, 4]), Probe::No);
    assert_eq!(p(ToServer, &[22, 2, 0]), Probe::No);
    assert_eq!(p(ToServer, b"GET / HTTP/1.1"), Probe::No);
    assert_eq!(p(ToClient, &[23, 3, 3, 0, 1]), Probe::Yes);
    assert_eq!(p(ToClient, &[21, 3, 0]), Probe::Yes);
    assert_eq!(p(ToServer, &[23, 3, 3, 0, 1]), Probe::Reverse);
    assert_eq!(
        TlsParser::probe(Transport::Udp, ToServer, &[22, 3, 1]),
        Probe::No
    );
    // Detected on any port, by content.
    let r = crate::Registry::builtin(&crate::AppConfig::default());
    assert_eq!(
        r.detect(
            Transport::Tcp,
            40000,
            8081,
            ToServer,
            &client_hello_record()
        ),
        crate::Detect::Found(AppProto::Tls)
    );
}

#[test]
fn hostile_input_never_panics() {
    let base = {
        let mut v = client_hello_record();
        v.extend(server_flight12());
        v
    };
    // Every truncation and a byte flipped at every position.
    for k in 0..base.len() {
        let mut h = Harness::tcp(443);
        h.data(ToServer, &base[..k]);
        h.end();
        let mut m = base.clone();
        m[k] ^= 0xff;
        let mut h = Harness::tcp(443);
        h.data(ToServer, &m[..base.len() / 2]);
        h.data(ToClient, &m[base.len() / 2..]);
        h.end();
    }
    // Pseudo-random records.
    let mut x: u32 = 12345;
    for _ in 0..300 {
        let mut v = vec![22u8, 3, 3];
        let mut body = Vec::new();
        for _ in 0..(x % 200) {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            body.push((x >> 16) as u8);
        }
        body.insert(0, 1);
        v.extend_from_slice(&with_len16(&body));
        let mut h = Harness::tcp(443);
        h.data(ToServer, &v);
        h.end();
    }
}

#[test]
fn memory_is_bounded_by_the_handshake_buffer() {
    let mut h = Harness::tcp(443);
    let msg = handshake(1, &client_hello_body(&[]));
    h.data(ToServer, &record(22, &msg[..100]));
    assert!(h.memory() >= 100);
    h.data(ToServer, &record(22, &msg[100..]));
    assert!(h.memory() < 4096);
}

#[test]
fn client_certificate_ends_the_handshake_when_requested() {
    let mut hs = handshake(2, &server_hello_body(None, &[]));
    hs.extend(handshake(11, &certificate_body(CERT)));
    hs.extend(handshake(13, &[1, 1, 0, 4, 4, 3, 8, 4, 0, 0]));
    hs.extend(handshake(14, &[]));
    let mut h = Harness::tcp(443);
    h.data(ToServer, &client_hello_record());
    h.data(ToClient, &record(22, &hs));
    assert!(h.rec.tls.is_empty(), "waits for the client certificate");
    h.data(
        ToServer,
        &record(22, &handshake(11, &certificate_body(CERT))),
    );
    assert_eq!(h.rec.tls.len(), 1);
    let t = &h.rec.tls[0];
    assert!(t.client_cert_requested && t.handshake_done);
    assert_eq!(t.client_cert, t.server_cert);
}

#[test]
fn tls13_draft18_server_hello() {
    let mut b = vec![0x7f, 0x12];
    b.extend_from_slice(&[1u8; 32]);
    b.extend_from_slice(&[0x13, 0x01]);
    b.extend_from_slice(&with_len16(&extension(51, &[0, 29, 0, 1, 7])));
    let h = run(&[
        (ToServer, client_hello_record()),
        (ToClient, record(22, &handshake(2, &b))),
    ]);
    let t = &h.rec.tls[0];
    assert_eq!(t.version_string(), "TLS 1.3 draft-18");
    assert!(t.log_without_cert);
    assert_eq!(t.ja3s.as_deref(), Some("32530,4865,51"));
}
