use super::*;
use crate::AppLayer;
use crate::sink::FileKind;
use crate::testutil::Harness;

const B64_ATT: &[u8] =
    b"\x00\x01\x02binary\xff\xfe attachment bytes, long enough to span lines of base64 output!";

fn b64(data: &[u8]) -> Vec<u8> {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        out.push(T[(n >> 18) as usize & 63]);
        out.push(T[(n >> 12) as usize & 63]);
        out.push(if c.len() > 1 {
            T[(n >> 6) as usize & 63]
        } else {
            b'='
        });
        out.push(if c.len() > 2 {
            T[n as usize & 63]
        } else {
            b'='
        });
    }
    // 20-char lines.
    let mut lines = Vec::new();
    for l in out.chunks(20) {
        lines.extend_from_slice(l);
        lines.extend_from_slice(b"\r\n");
    }
    lines
}

fn message() -> Vec<u8> {
    let subj = encoding_rs::ISO_2022_JP
        .encode("日本語の件名")
        .0
        .into_owned();
    let mut m = Vec::new();
    m.extend_from_slice(b"From: \"Alice\" <alice@example.com>\r\nTo: bob@example.net, carol@example.org\r\nCc: dave@example.com\r\nSubject: =?ISO-2022-JP?B?");
    let enc = b64(&subj);
    let enc: Vec<u8> = enc
        .into_iter()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    m.extend_from_slice(&enc);
    m.extend_from_slice(b"?=\r\nMessage-ID: <1@x>\r\nX-Mailer: test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n boundary=\"outer\"\r\n\r\npreamble\r\n--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n--inner\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nSee http://example.com/a =3D ok=\r\n joined\r\n.dotted line\r\n--inner\r\nContent-Type: text/html\r\n\r\n<p><a href=\"https://evil.example/x\">https://bank.example/</a></p>\r\n--inner--\r\n--outer\r\nContent-Type: application/octet-stream; name=\"ignored.bin\"\r\nContent-Disposition: attachment; filename*=utf-8''caf%C3%A9.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n");
    m.extend_from_slice(&b64(B64_ATT));
    m.extend_from_slice(b"--outer\r\nContent-Type: text/plain; name=\"=?UTF-8?Q?r=C3=A9sum=C3=A9.txt?=\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nline one=\r\n continues =E2=82=AC\r\nline two\r\n--outer--\r\nepilogue\r\n");
    m
}

fn dot_stuff(m: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut start = true;
    for &c in m {
        if start && c == b'.' {
            out.push(b'.');
        }
        out.push(c);
        start = c == b'\n';
    }
    out
}

fn session() -> (Vec<u8>, Vec<u8>) {
    let mut c = Vec::new();
    c.extend_from_slice(b"EHLO client.example\r\nMAIL FROM:<alice@example.com> SIZE=100\r\nRCPT TO:<bob@example.net>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\n");
    c.extend_from_slice(&dot_stuff(&message()));
    c.extend_from_slice(b".\r\nQUIT\r\n");
    let s = b"220 mx.example ESMTP ready\r\n250-mx.example\r\n250 PIPELINING\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n".to_vec();
    (c, s)
}

fn run(client_chunks: &[&[u8]], server: &[u8]) -> Harness {
    let mut h = Harness::tcp(25);
    h.tc_data(server.get(..28).unwrap());
    for c in client_chunks {
        h.ts_data(c);
    }
    h.tc_data(&server[28..]);
    h.end();
    h
}

fn check_full(h: &Harness) {
    // QUIT after the message opens a second transaction (helo only), as in Suricata 7.
    assert_eq!(h.rec.smtp.len(), 2, "{:?}", h.rec.smtp);
    assert_eq!(h.rec.smtp[1].tx_id, 1);
    assert!(h.rec.smtp[1].mail_from.is_none() && h.rec.smtp[1].email.is_none());
    assert_eq!(h.rec.smtp[1].helo, h.rec.smtp[0].helo);
    let t = &h.rec.smtp[0];
    assert_eq!(t.tx_id, 0);
    assert_eq!(t.helo.as_deref(), Some(&b"client.example"[..]));
    assert_eq!(t.mail_from.as_deref(), Some(&b"<alice@example.com>"[..]));
    assert_eq!(
        t.rcpt_to,
        vec![
            b"<bob@example.net>".to_vec(),
            b"<carol@example.org>".to_vec()
        ]
    );
    let e = t.email.as_ref().unwrap();
    assert_eq!(e.status, "PARSE_DONE");
    assert_eq!(
        e.from.as_deref(),
        Some(&b"\"Alice\" <alice@example.com>"[..])
    );
    assert_eq!(e.subject_decoded.as_deref(), Some("日本語の件名"));
    assert_eq!(
        e.attachments,
        vec!["café.bin".to_string(), "résumé.txt".to_string()]
    );
    assert_eq!(e.urls, vec![b"http://example.com/a".to_vec()]);
    assert_eq!(
        e.links,
        vec![(
            b"https://evil.example/x".to_vec(),
            "https://bank.example/".to_string()
        )]
    );
    let files = &h.rec.files;
    assert_eq!(files.len(), 4);
    assert_eq!(files[0].kind, FileKind::MailBody);
    assert_eq!(
        files[0].data, b"See http://example.com/a = ok joined\r\n.dotted line\r\n",
        "quoted-printable lines keep their CRLF, the last one too (as Suricata)"
    );
    assert_eq!(files[1].kind, FileKind::MailBody);
    assert_eq!(files[2].kind, FileKind::MailAttachment);
    assert_eq!(files[2].name, "café.bin".as_bytes());
    assert_eq!(files[2].data, B64_ATT);
    assert_eq!(files[3].name, "résumé.txt".as_bytes());
    assert_eq!(
        files[3].data,
        "line one continues €\r\nline two\r\n".as_bytes()
    );
    for f in files {
        assert_eq!(f.close.unwrap().status, FileStatus::Complete);
        assert_eq!(f.close.unwrap().size, f.data.len() as u64);
    }
}

#[test]
fn full_message_pipelined() {
    let (c, s) = session();
    let h = run(&[&c], &s);
    check_full(&h);
    assert!(h.rec.events.is_empty(), "{:?}", h.rec.events);
    assert_eq!(h.layer.stats().detected_smtp, 1);
}

#[test]
fn split_at_every_byte_gives_same_tx() {
    let (c, s) = session();
    let whole = run(&[&c], &s);
    for cut in 1..c.len() {
        let h = run(&[&c[..cut], &c[cut..]], &s);
        assert_eq!(h.rec.smtp, whole.rec.smtp, "cut {cut}");
        assert_eq!(h.rec.files, whole.rec.files, "cut {cut}");
    }
    // Byte by byte.
    let pieces: Vec<&[u8]> = c.chunks(1).collect();
    let h = run(&pieces, &s);
    check_full(&h);
}

#[test]
fn rset_and_bdat_make_separate_txs() {
    let mut h = Harness::tcp(25);
    h.tc_data(b"220 mx ESMTP\r\n");
    h.ts_data(b"EHLO a\r\nMAIL FROM:<x@y>\r\nRSET\r\nMAIL FROM:<p@q>\r\nRCPT TO:<r@s>\r\nBDAT 12\r\nSubject: hi\rBDAT 9 LAST\r\n\n\r\nbody\r\nQUIT\r\n");
    h.tc_data(b"250 a\r\n250 b\r\n250 c\r\n250 d\r\n250 e\r\n250 f\r\n250 g\r\n221 h\r\n");
    h.end();
    assert_eq!(h.rec.smtp.len(), 2);
    assert_eq!(h.rec.smtp[0].mail_from.as_deref(), Some(&b"<x@y>"[..]));
    assert!(h.rec.smtp[0].email.is_none());
    let t = &h.rec.smtp[1];
    assert_eq!(t.tx_id, 1);
    assert_eq!(t.helo.as_deref(), Some(&b"a"[..]));
    let e = t.email.as_ref().unwrap();
    assert_eq!(e.subject.as_deref(), Some(&b"hi"[..]));
    assert_eq!(h.rec.files.len(), 1);
    assert_eq!(h.rec.files[0].data, b"body");
}

#[test]
fn starttls_switches_to_tls_detection() {
    let mut h = Harness::tcp(25);
    h.tc_data(b"220 mx ESMTP\r\n");
    h.ts_data(b"EHLO a\r\nSTARTTLS\r\n");
    h.tc_data(b"250 mx\r\n220 go ahead\r\n");
    // A TLS ClientHello record header follows on the client side.
    let hello = [
        0x16u8, 0x03, 0x01, 0x00, 0x2d, 0x01, 0x00, 0x00, 0x29, 0x03, 0x03,
    ];
    h.ts_data(&hello);
    h.end();
    let st = AppLayer::flow_state(&h.slot).unwrap();
    assert_eq!(st.app_proto_orig(), Some(AppProto::Smtp));
    assert_eq!(st.app_proto(), Some(AppProto::Tls));
    assert_eq!(h.rec.smtp.len(), 1);
    assert_eq!(h.layer.stats().smtp.starttls, 1);
}

#[test]
fn rejected_starttls_stays_smtp() {
    let mut h = Harness::tcp(25);
    h.tc_data(b"220 mx ESMTP\r\n");
    h.ts_data(b"EHLO a\r\nSTARTTLS\r\nQUIT\r\n");
    h.tc_data(b"250 mx\r\n454 no\r\n221 bye\r\n");
    h.end();
    assert!(h.rec.events.iter().any(|e| e.name == "TLS_REJECTED"));
    let st = AppLayer::flow_state(&h.slot).unwrap();
    assert_eq!(st.app_proto(), Some(AppProto::Smtp));
}

fn data_session(body: &[u8]) -> Harness {
    let mut h = Harness::tcp(25);
    h.rec.keep_data = false;
    h.tc_data(b"220 mx ESMTP\r\n");
    h.ts_data(b"EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n");
    h.ts_data(body);
    h.ts_data(b"\r\n.\r\n");
    h.end();
    h
}

#[test]
fn header_flood_is_bounded() {
    let mut body = Vec::new();
    for i in 0..20_000 {
        body.extend_from_slice(format!("X-H{i}: {}\r\n", "v".repeat(50)).as_bytes());
    }
    body.extend_from_slice(b"Subject: ");
    body.extend_from_slice(&vec![b'a'; 100_000]);
    body.extend_from_slice(b"\r\n\r\nbody");
    let h = data_session(&body);
    assert!(h.memory() < 200_000, "{}", h.memory());
    assert_eq!(h.rec.smtp.len(), 1);
    assert_eq!(h.rec.files.len(), 1);
}

#[test]
fn boundary_storm_and_deep_nesting_are_bounded() {
    let mut body = b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n".to_vec();
    for d in 1..200 {
        body.extend_from_slice(
            format!(
                "--b{}\r\nContent-Type: multipart/mixed; boundary=b{d}\r\n\r\n",
                d - 1
            )
            .as_bytes(),
        );
    }
    for _ in 0..5000 {
        body.extend_from_slice(b"--b5\r\nContent-Type: text/plain\r\n\r\nx\r\n");
    }
    let h = data_session(&body);
    let e = h.rec.smtp[0].email.as_ref().unwrap();
    assert!(h.rec.files.len() <= 1000, "{}", h.rec.files.len());
    assert!(e.parts <= 6000);
    assert!(h.rec.events.iter().any(|e| e.name == "MIME_PARSE_FAILED"));
    assert!(h.memory() < 100_000);
}

#[test]
fn long_body_line_delivered_whole() {
    let mut body = b"Subject: x\r\n\r\n".to_vec();
    body.extend(std::iter::repeat_n(b'z', 50_000));
    let mut h = Harness::tcp(25);
    h.tc_data(b"220 mx ESMTP\r\n");
    h.ts_data(b"EHLO a\r\nDATA\r\n");
    h.ts_data(&body);
    h.ts_data(b"\r\n.\r\n");
    h.end();
    assert_eq!(h.rec.files[0].data.len(), 50_000);
}

#[test]
fn gap_in_data_truncates_and_resyncs() {
    let mut h = Harness::tcp(25);
    h.tc_data(b"220 mx ESMTP\r\n");
    h.ts_data(b"EHLO a\r\nMAIL FROM:<a@b>\r\nDATA\r\nSubject: s\r\n\r\nabc");
    h.gap(Direction::ToServer, 100);
    h.ts_data(b"zzz\r\n.\r\nMAIL FROM:<n@m>\r\n");
    h.end();
    assert_eq!(h.rec.smtp.len(), 2);
    assert_eq!(h.rec.files[0].close.unwrap().status, FileStatus::Gap);
    assert_eq!(h.rec.smtp[1].mail_from.as_deref(), Some(&b"<n@m>"[..]));
}

#[test]
fn probes() {
    use Direction::*;
    let p = |d, b: &[u8]| SmtpParser::probe(Transport::Tcp, d, b);
    assert_eq!(p(ToServer, b"EHLO x\r\n"), Probe::Yes);
    assert_eq!(p(ToServer, b"he"), Probe::NeedMore);
    assert_eq!(p(ToServer, b"GET / "), Probe::No);
    assert_eq!(p(ToClient, b"220 mx ESMTP Postfix\r\n"), Probe::Yes);
    assert_eq!(p(ToClient, b"220 ftp ready\r\n"), Probe::No);
    assert_eq!(p(ToClient, b"220-mx"), Probe::NeedMore);
    assert_eq!(p(ToClient, b""), Probe::NeedMore);
}

#[test]
fn encoded_words() {
    assert_eq!(
        decode_words(b"=?utf-8?q?a_b?= =?utf-8?b?w6k=?= end"),
        "a bé end"
    );
    let sj = encoding_rs::SHIFT_JIS.encode("テスト").0.into_owned();
    let mut v = b"=?Shift_JIS?B?".to_vec();
    v.extend(b64(&sj).into_iter().filter(|c| !c.is_ascii_whitespace()));
    v.extend_from_slice(b"?=");
    assert_eq!(decode_words(&v), "テスト");
    assert_eq!(decode_words(b"=?iso-8859-1?q?caf=E9?="), "café");
    assert_eq!(decode_words(b"plain =?bad"), "plain =?bad");
}

/// Pseudo-random sessions (SMTP/MIME-heavy alphabet, random chunking and gaps): no panic, every
/// file closed exactly once with its size, bounded memory.
#[test]
fn random_sessions_are_safe() {
    let words: [&[u8]; 24] = [
        b"EHLO x\r\n",
        b"MAIL FROM:<a@b>\r\n",
        b"RCPT TO:<c@d>\r\n",
        b"DATA\r\n",
        b".\r\n",
        b"BDAT 7\r\n",
        b"BDAT 3 LAST\r\n",
        b"RSET\r\n",
        b"QUIT\r\n",
        b"STARTTLS\r\n",
        b"Content-Type: multipart/mixed; boundary=q\r\n",
        b"\r\n",
        b"--q\r\n",
        b"--q--\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"QUJD=\r\n",
        b"=4",
        b"Content-Transfer-Encoding: quoted-printable\r\n",
        b"Subject: =?utf-8?b?w6k=?=\r\n",
        b"Content-Disposition: attachment; filename*0*=utf-8''a%20; filename*1=b\r\n",
        b"..x\r\n",
        b" folded\r\n",
        b"<a href=http://x>y</a> http://z\r\n",
        b"\n",
    ];
    let replies: [&[u8]; 5] = [
        b"220 mx ESMTP\r\n",
        b"250 ok\r\n",
        b"354 go\r\n",
        b"220 tls\r\n",
        b"250-a\r\n",
    ];
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..300 {
        let mut h = Harness::tcp(25);
        h.tc_data(b"220 mx ESMTP\r\n");
        h.ts_data(b"EHLO a\r\n");
        let mut stream = Vec::new();
        for _ in 0..(rnd() % 60) {
            stream.extend_from_slice(words[(rnd() % words.len() as u64) as usize]);
        }
        let mut pos = 0;
        while pos < stream.len() {
            let n = (1 + rnd() % 40) as usize;
            let end = (pos + n).min(stream.len());
            match rnd() % 10 {
                0 => h.gap(Direction::ToServer, n as u64),
                1 => h.tc_data(replies[(rnd() % 5) as usize]),
                _ => h.ts_data(&stream[pos..end]),
            }
            pos = end;
        }
        h.end();
        for f in &h.rec.files {
            let c = f.close.expect("every file closed");
            assert_eq!(c.size, f.data.len() as u64);
        }
        assert!(h.memory() < 100_000);
    }
}

#[test]
fn bad_encodings_raise_events_and_status() {
    let body = b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nQU!JD\r\n";
    let h = data_session(body);
    let e = h.rec.smtp[0].email.as_ref().unwrap();
    assert_eq!(e.status, "BASE64_ERROR");
    assert!(h.rec.events.iter().any(|e| e.name == "MIME_INVALID_BASE64"));
    let body = b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n\r\nno end\r\n";
    let h = data_session(body);
    assert_eq!(
        h.rec.smtp[0].email.as_ref().unwrap().status,
        "BOUNDARY_ERROR"
    );
    assert!(h.rec.events.iter().any(|e| e.name == "MIME_MALFORMED_MSG"));
}

#[test]
fn zero_limits_do_not_hang() {
    let mut cfg = crate::AppConfig::default();
    cfg.smtp.max_line = 0;
    cfg.smtp.mime.max_line = 0;
    cfg.smtp.max_pipeline = 0;
    let mut h = Harness::new(cfg, 6, 25);
    h.tc_data(b"220 mx ESMTP\r\n");
    h.ts_data(b"EHLO aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nDATA\r\nSubject: x\r\n\r\nb\r\n.\r\n");
    h.end();
    assert_eq!(h.rec.smtp.len(), 1);
    assert!(
        h.rec
            .events
            .iter()
            .any(|e| e.name == "MAX_COMMAND_LINE_LEN_EXCEEDED")
    );
}

#[test]
fn both_sides_closed_complete_the_open_transaction() {
    let mut h = Harness::tcp(25);
    h.tc_data(b"220 mx ESMTP\r\n");
    h.ts_data(b"EHLO a\r\nMAIL FROM:<x@y>\r\nRCPT TO:<r@s>\r\nDATA\r\n");
    h.tc_data(b"250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
    h.ts_data(b"Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n");
    h.tc_data(b"250 queued\r\n221 bye\r\n");
    assert_eq!(h.rec.smtp.len(), 1, "the message is complete at its end");
    // One side closing is not enough: the other may still talk.
    h.close(Direction::ToServer);
    assert_eq!(h.rec.smtp.len(), 1);
    h.close(Direction::ToClient);
    assert_eq!(
        h.rec.smtp.len(),
        2,
        "the QUIT transaction ends with the stream"
    );
    assert_eq!(h.rec.smtp[1].tx_id, 1);
    // The flow end does not report it again.
    h.end();
    assert_eq!(h.rec.smtp.len(), 2);
}

fn raw_harness(decode_mime: bool) -> Harness {
    let mut cfg = crate::AppConfig::default();
    cfg.smtp.decode_mime = decode_mime;
    cfg.smtp.raw_extraction = true;
    let mut h = Harness::new(cfg, 6, 25);
    h.tc_data(b"220 mx ESMTP\r\n");
    h.ts_data(b"EHLO a\r\nMAIL FROM:<x@y>\r\nRCPT TO:<r@s>\r\nDATA\r\n");
    h.tc_data(b"250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
    h
}

#[test]
fn raw_extraction_gives_the_whole_message_as_one_file() {
    let mut h = raw_harness(false);
    h.ts_data(b"Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n..dot\r\n");
    h.ts_data(b"--b--\r\n.\r\n");
    assert_eq!(h.rec.files.len(), 1);
    let f = &h.rec.files[0];
    assert_eq!(f.name, b"rawmsg");
    assert_eq!(f.kind, FileKind::MailAttachment);
    assert_eq!(f.tx_id, 0);
    // Dot-unstuffed, the end-of-data line excluded.
    let want: &[u8] =
        b"Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n.dot\r\n--b--\r\n";
    assert_eq!(f.data, want);
    let c = f.close.as_ref().expect("closed");
    assert_eq!(
        (c.status, c.size),
        (FileStatus::Complete, want.len() as u64)
    );
    // No decoding: no `email` object.
    assert!(h.rec.smtp[0].email.is_none());
}

#[test]
fn raw_extraction_truncated_and_ignored_while_decoding() {
    let mut h = raw_harness(false);
    h.ts_data(b"Subject: x\r\n\r\npartial");
    h.end();
    let c = h.rec.files[0].close.as_ref().expect("closed at flow end");
    assert_eq!(c.status, FileStatus::Truncated);
    // With MIME decoding on, raw extraction is ignored (as Suricata): only the parts.
    let mut h = raw_harness(true);
    h.ts_data(b"Subject: x\r\n\r\nhello\r\n.\r\n");
    assert!(h.rec.files.iter().all(|f| f.name != b"rawmsg"));
    assert!(h.rec.smtp[0].email.is_some());
}
