//! SMB parser tests: framing, compounding, transactions, file streaming, hostile input.

use super::*;
use crate::config::AppConfig;
use crate::testutil::Harness;
use crate::types::Direction::{ToClient, ToServer};

const TREE: u32 = 5;
const SESS: u64 = 0x0000_0400_0000_0005;
const FID: [u8; 16] = [
    0x4d, 0, 0, 0, 0, 0, 0, 0, 0x09, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
];

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

/// An SMB2 header.
fn hdr(cmd: u16, resp: bool, mid: u64, status: u32, next: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(64);
    h.extend_from_slice(b"\xfeSMB");
    h.extend_from_slice(&64u16.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&status.to_le_bytes());
    h.extend_from_slice(&cmd.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&u32::from(resp).to_le_bytes());
    h.extend_from_slice(&next.to_le_bytes());
    h.extend_from_slice(&mid.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes());
    h.extend_from_slice(&TREE.to_le_bytes());
    h.extend_from_slice(&SESS.to_le_bytes());
    h.extend_from_slice(&[0u8; 16]);
    h
}

fn msg(cmd: u16, resp: bool, mid: u64, status: u32, body: &[u8]) -> Vec<u8> {
    let mut m = hdr(cmd, resp, mid, status, 0);
    m.extend_from_slice(body);
    m
}

/// A NetBIOS session message around `m`.
fn nb(m: &[u8]) -> Vec<u8> {
    let l = m.len() as u32;
    let mut v = vec![0, (l >> 16) as u8, (l >> 8) as u8, l as u8];
    v.extend_from_slice(m);
    v
}

fn negotiate_req() -> Vec<u8> {
    let mut b = vec![0u8; 36];
    b[0] = 36;
    b[2] = 2;
    b.extend_from_slice(&0x0202u16.to_le_bytes());
    b.extend_from_slice(&0x0311u16.to_le_bytes());
    msg(0, false, 0, 0, &b)
}

fn negotiate_resp() -> Vec<u8> {
    let mut b = vec![0u8; 64];
    b[0] = 65;
    b[4..6].copy_from_slice(&0x0311u16.to_le_bytes());
    b[8..24].copy_from_slice(&[0xab; 16]);
    b[32..36].copy_from_slice(&65536u32.to_le_bytes());
    b[36..40].copy_from_slice(&65536u32.to_le_bytes());
    msg(0, true, 0, 0, &b)
}

/// NTLMSSP AUTHENTICATE with unicode strings.
fn ntlm_auth(domain: &str, user: &str, host: &str) -> Vec<u8> {
    let (d, u, h) = (utf16(domain), utf16(user), utf16(host));
    let mut m = b"NTLMSSP\0".to_vec();
    m.extend_from_slice(&3u32.to_le_bytes());
    let base = 72u32;
    let mut payload = Vec::new();
    let mut field = |m: &mut Vec<u8>, s: &[u8]| {
        let off = base + payload.len() as u32;
        m.extend_from_slice(&(s.len() as u16).to_le_bytes());
        m.extend_from_slice(&(s.len() as u16).to_le_bytes());
        m.extend_from_slice(&off.to_le_bytes());
        payload.extend_from_slice(s);
    };
    field(&mut m, b""); // lm
    field(&mut m, b""); // nt
    field(&mut m, &d);
    field(&mut m, &u);
    field(&mut m, &h);
    field(&mut m, b""); // session key
    m.extend_from_slice(&(0x0200_0001u32).to_le_bytes());
    m.extend_from_slice(&[6, 0, 0x71, 0x17, 0, 0, 0, 15]);
    assert_eq!(m.len(), 72);
    m.extend_from_slice(&payload);
    // A little SPNEGO-ish wrapping in front.
    let mut blob = vec![0xa1, 0x82, 0x01, 0x00, 0x30, 0x82];
    blob.extend_from_slice(&m);
    blob
}

fn session_setup_req(mid: u64) -> Vec<u8> {
    let blob = ntlm_auth("CONTOSO", "Administrator", "SERVER01");
    let mut b = vec![0u8; 24];
    b[0] = 25;
    b[12..14].copy_from_slice(&(64u16 + 24).to_le_bytes());
    b[14..16].copy_from_slice(&(blob.len() as u16).to_le_bytes());
    b.extend_from_slice(&blob);
    msg(1, false, mid, 0, &b)
}

fn simple_resp(cmd: u16, mid: u64, status: u32) -> Vec<u8> {
    let mut b = vec![0u8; 8];
    b[0] = 9;
    msg(cmd, true, mid, status, &b)
}

fn tree_connect_req(mid: u64, path: &str) -> Vec<u8> {
    let p = utf16(path);
    let mut b = vec![0u8; 8];
    b[0] = 9;
    b[4..6].copy_from_slice(&72u16.to_le_bytes());
    b[6..8].copy_from_slice(&(p.len() as u16).to_le_bytes());
    b.extend_from_slice(&p);
    msg(3, false, mid, 0, &b)
}

fn tree_connect_resp(mid: u64) -> Vec<u8> {
    let mut b = vec![0u8; 16];
    b[0] = 16;
    b[2] = 1;
    msg(3, true, mid, 0, &b)
}

fn create_req(mid: u64, name: &str, disp: u32) -> Vec<u8> {
    let n = utf16(name);
    let mut b = vec![0u8; 56];
    b[0] = 57;
    b[36..40].copy_from_slice(&disp.to_le_bytes());
    b[44..46].copy_from_slice(&120u16.to_le_bytes());
    b[46..48].copy_from_slice(&(n.len() as u16).to_le_bytes());
    b.extend_from_slice(&n);
    msg(5, false, mid, 0, &b)
}

fn create_resp(mid: u64, status: u32) -> Vec<u8> {
    let mut b = vec![0u8; 88];
    b[0] = 89;
    let ft = (1_323_202_695u64 + 11_644_473_600) * 10_000_000;
    for i in 0..4 {
        b[8 + 8 * i..16 + 8 * i].copy_from_slice(&ft.to_le_bytes());
    }
    b[48..56].copy_from_slice(&8192u64.to_le_bytes());
    b[64..80].copy_from_slice(&FID);
    msg(5, true, mid, status, &b)
}

fn read_req(mid: u64, off: u64, len: u32) -> Vec<u8> {
    let mut b = vec![0u8; 49];
    b[0] = 49;
    b[4..8].copy_from_slice(&len.to_le_bytes());
    b[8..16].copy_from_slice(&off.to_le_bytes());
    b[16..32].copy_from_slice(&FID);
    msg(8, false, mid, 0, &b)
}

fn read_resp(mid: u64, data: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; 16];
    b[0] = 17;
    b[2] = 80;
    b[4..8].copy_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(data);
    msg(8, true, mid, 0, &b)
}

fn write_req(mid: u64, off: u64, data: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; 48];
    b[0] = 49;
    b[2..4].copy_from_slice(&112u16.to_le_bytes());
    b[4..8].copy_from_slice(&(data.len() as u32).to_le_bytes());
    b[8..16].copy_from_slice(&off.to_le_bytes());
    b[16..32].copy_from_slice(&FID);
    b.extend_from_slice(data);
    msg(9, false, mid, 0, &b)
}

fn close_req(mid: u64) -> Vec<u8> {
    let mut b = vec![0u8; 24];
    b[0] = 24;
    b[8..24].copy_from_slice(&FID);
    msg(6, false, mid, 0, &b)
}

/// A whole session: (direction, NetBIOS-framed bytes).
fn session() -> Vec<(Direction, Vec<u8>)> {
    vec![
        (ToServer, nb(&negotiate_req())),
        (ToClient, nb(&negotiate_resp())),
        (ToServer, nb(&session_setup_req(1))),
        (ToClient, nb(&simple_resp(1, 1, 0))),
        (ToServer, nb(&tree_connect_req(2, "\\\\10.0.0.12\\share"))),
        (ToClient, nb(&tree_connect_resp(2))),
        (ToServer, nb(&create_req(3, "dir\\report.pdf", 1))),
        (ToClient, nb(&create_resp(3, 0))),
        (ToServer, nb(&read_req(4, 0, 11))),
        (ToClient, nb(&read_resp(4, b"hello world"))),
        (ToServer, nb(&write_req(5, 11, b"secret-data"))),
        (ToClient, nb(&simple_resp(9, 5, 0))),
        (ToServer, nb(&close_req(6))),
        (ToClient, nb(&simple_resp(6, 6, 0))),
    ]
}

fn run(parts: &[(Direction, Vec<u8>)]) -> Harness {
    let mut h = Harness::tcp(445);
    for (d, b) in parts {
        h.data(*d, b);
    }
    h.end();
    h
}

fn check_session(h: &Harness) {
    let s = &h.rec.smb;
    let cmds: Vec<u16> = s.iter().map(|t| t.command).collect();
    // Negotiate, session setup, tree connect, create, then the file txs complete at CLOSE,
    // before the CLOSE tx itself.
    assert_eq!(cmds, vec![0, 1, 3, 5, 8, 9, 6], "{s:#?}");
    assert!(s.iter().all(|t| t.status == Some(0)));
    assert_eq!(s[0].dialect, Some(0x0311));
    assert_eq!(s[0].client_dialect_codes, vec![0x0202, 0x0311]);
    let n = s[1].ntlmssp.as_ref().expect("ntlmssp");
    assert_eq!(n.user, b"Administrator");
    assert_eq!(n.domain, b"CONTOSO");
    assert_eq!(n.host, b"SERVER01");
    assert_eq!(n.version, Some((6, 0, 6001, 15)));
    assert_eq!(s[2].share, b"\\\\10.0.0.12\\share");
    assert_eq!(s[2].share_type, Some(1));
    assert_eq!(s[3].filename, b"dir\\report.pdf");
    assert_eq!(s[3].disposition, Some(1));
    assert_eq!(s[3].file_id, Some(FID));
    assert_eq!(s[3].size, Some(8192));
    assert_eq!(
        s[3].times.map(|t| filetime_to_unix(t[0])),
        Some(1_323_202_695)
    );
    assert_eq!(s[4].filename, b"dir\\report.pdf");
    assert!(s[4].share.is_empty());
    assert_eq!(s[4].file_bytes, 11);
    assert_eq!(s[5].file_bytes, 11);
    assert_eq!((s[5].offset, s[5].length), (11, 11));
    assert_eq!(s[6].filename, b"dir\\report.pdf");
    assert!(s.iter().all(|t| t.session_id == SESS));
    let files = &h.rec.files;
    assert_eq!(files.len(), 2);
    let rd = files
        .iter()
        .find(|f| f.kind == FileKind::SmbRead)
        .expect("read");
    let wr = files
        .iter()
        .find(|f| f.kind == FileKind::SmbWrite)
        .expect("write");
    assert_eq!(rd.dir, ToClient);
    assert_eq!(rd.data, b"hello world");
    assert_eq!(rd.name, b"dir\\report.pdf");
    assert_eq!(wr.dir, ToServer);
    assert_eq!(wr.data, b"secret-data");
    assert!(
        files
            .iter()
            .all(|f| f.close.map(|c| c.status) == Some(FileStatus::Complete))
    );
    assert!(h.rec.events.is_empty(), "{:?}", h.rec.events);
}

#[test]
fn whole_session() {
    let h = run(&session());
    assert_eq!(h.rec.detected, vec![(AppProto::Smb, ToServer)]);
    check_session(&h);
    let st = h.layer.stats();
    assert_eq!(st.detected_smb, 1);
    assert_eq!(st.smb.requests, 7);
    assert_eq!(st.smb.responses, 7);
    assert_eq!(st.smb.read_bytes, 11);
    assert_eq!(st.smb.write_bytes, 11);
    assert_eq!(st.smb.files, 2);
}

#[test]
fn every_message_split_at_every_byte() {
    let base = session();
    for i in 0..base.len() {
        for k in 1..base[i].1.len() {
            let mut parts = Vec::new();
            for (j, (d, b)) in base.iter().enumerate() {
                if j == i {
                    parts.push((*d, b[..k].to_vec()));
                    parts.push((*d, b[k..].to_vec()));
                } else {
                    parts.push((*d, b.clone()));
                }
            }
            let h = run(&parts);
            check_session(&h);
        }
    }
}

#[test]
fn byte_by_byte_delivery() {
    let mut h = Harness::tcp(445);
    for (d, b) in session() {
        for x in b {
            h.data(d, &[x]);
        }
    }
    h.end();
    check_session(&h);
}

#[test]
fn several_records_per_segment_and_keepalives() {
    let s = session();
    // Join consecutive same-direction... pair each request with a NetBIOS keepalive.
    let mut parts = Vec::new();
    for (d, b) in s {
        let mut v = vec![0x85, 0, 0, 0];
        v.extend_from_slice(&b);
        parts.push((d, v));
    }
    let h = run(&parts);
    check_session(&h);
    assert_eq!(h.layer.stats().smb.nbss_other, 14);
    // Two records in one segment: the CREATE request and the READ request sent together,
    // answered together.
    let mut h = Harness::tcp(445);
    let s = session();
    for (d, b) in &s[..6] {
        h.data(*d, b);
    }
    let mut ts = nb(&create_req(3, "dir\\report.pdf", 1));
    h.data(ToServer, &ts);
    h.data(ToClient, &nb(&create_resp(3, 0)));
    ts = nb(&read_req(4, 0, 11));
    ts.extend_from_slice(&nb(&write_req(5, 11, b"secret-data")));
    ts.extend_from_slice(&nb(&close_req(6)));
    h.data(ToServer, &ts);
    let mut tc = nb(&read_resp(4, b"hello world"));
    tc.extend_from_slice(&nb(&simple_resp(9, 5, 0)));
    tc.extend_from_slice(&nb(&simple_resp(6, 6, 0)));
    h.data(ToClient, &tc);
    h.end();
    check_session(&h);
}

/// Compounds messages: each one's NextCommand points at the next (8-byte aligned).
fn compound(msgs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        let mut m = m.clone();
        if i + 1 < msgs.len() {
            while m.len() % 8 != 0 {
                m.push(0);
            }
            let n = m.len() as u32;
            m[20..24].copy_from_slice(&n.to_le_bytes());
        }
        out.extend_from_slice(&m);
    }
    out
}

#[test]
fn compounded_requests_and_responses() {
    let s = session();
    let mut h = Harness::tcp(445);
    for (d, b) in &s[..6] {
        h.data(*d, b);
    }
    h.data(
        ToServer,
        &nb(&compound(&[
            create_req(3, "dir\\report.pdf", 1),
            read_req(4, 0, 11),
            write_req(5, 11, b"secret-data"),
        ])),
    );
    h.data(
        ToClient,
        &nb(&compound(&[
            create_resp(3, 0),
            read_resp(4, b"hello world"),
            simple_resp(9, 5, 0),
        ])),
    );
    h.data(ToServer, &nb(&compound(&[close_req(6)])));
    h.data(ToClient, &nb(&simple_resp(6, 6, 0)));
    h.end();
    assert_eq!(h.layer.stats().smb.compounded, 4);
    // The READ/WRITE requests precede the CREATE response here, so their file ids are only
    // learnt from the requests: the file name is not known yet for them.
    let cmds: Vec<u16> = h.rec.smb.iter().map(|t| t.command).collect();
    assert_eq!(cmds, vec![0, 1, 3, 5, 8, 9, 6]);
    let files = &h.rec.files;
    assert_eq!(files.len(), 2);
    let rd = files
        .iter()
        .find(|f| f.kind == FileKind::SmbRead)
        .expect("read");
    let wr = files
        .iter()
        .find(|f| f.kind == FileKind::SmbWrite)
        .expect("write");
    assert_eq!(rd.data, b"hello world");
    assert_eq!(wr.data, b"secret-data");
}

#[test]
fn large_read_is_streamed_byte_exact() {
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let s = session();
    for chunk in [1usize, 1000, 1460, 65536, 400_000] {
        let mut h = Harness::tcp(445);
        for (d, b) in &s[..8] {
            h.data(*d, b);
        }
        h.data(ToServer, &nb(&read_req(4, 0, data.len() as u32)));
        let r = nb(&read_resp(4, &data));
        if chunk == 1 {
            // One byte at a time only for the head, then in bigger steps (test time).
            for x in &r[..200] {
                h.data(ToClient, &[*x]);
            }
            for c in r[200..].chunks(4093) {
                h.data(ToClient, c);
            }
        } else {
            for c in r.chunks(chunk) {
                h.data(ToClient, c);
            }
        }
        // A following record parses normally.
        h.data(ToServer, &nb(&close_req(6)));
        h.data(ToClient, &nb(&simple_resp(6, 6, 0)));
        h.end();
        assert_eq!(h.rec.files.len(), 1, "chunk {chunk}");
        assert!(h.rec.files[0].data == data, "chunk {chunk}");
        assert_eq!(h.rec.smb.last().map(|t| t.command), Some(6));
        assert_eq!(h.layer.stats().smb.read_bytes, data.len() as u64);
        let st = h.layer.stats();
        assert_eq!(
            st.smb.streamed_records,
            u64::from(chunk < 400_000),
            "{st:?}"
        );
        assert_eq!(st.pending_overflows, 0);
    }
}

#[test]
fn large_write_is_streamed() {
    let data = vec![0x5au8; 200_000];
    let s = session();
    let mut h = Harness::tcp(445);
    for (d, b) in &s[..8] {
        h.data(*d, b);
    }
    for c in nb(&write_req(5, 0, &data)).chunks(1460) {
        h.data(ToServer, c);
    }
    h.data(ToClient, &nb(&simple_resp(9, 5, 0)));
    h.end();
    assert_eq!(h.rec.files.len(), 1);
    assert_eq!(h.rec.files[0].data, data);
    let w = h.rec.smb.iter().find(|t| t.command == 9).expect("write tx");
    assert_eq!(w.file_bytes, 200_000);
    assert_eq!(w.status, Some(0));
}

#[test]
fn encrypted_transform_counted() {
    let mut h = Harness::tcp(445);
    h.data(ToServer, &nb(&negotiate_req()));
    h.data(ToClient, &nb(&negotiate_resp()));
    let mut t = b"\xfdSMB".to_vec();
    t.extend_from_slice(&[0u8; 48]);
    t.extend_from_slice(&[0x33; 100]);
    h.data(ToServer, &nb(&t));
    h.data(ToClient, &nb(&t));
    let big = {
        let mut b = b"\xfdSMB".to_vec();
        b.extend_from_slice(&vec![1u8; 100_000]);
        nb(&b)
    };
    for c in big.chunks(1460) {
        h.data(ToClient, c);
    }
    h.end();
    let st = h.layer.stats().smb;
    assert_eq!(st.encrypted_messages, 3);
    assert_eq!(st.encrypted_bytes, 152 * 2 + 100_004);
    assert_eq!(h.rec.smb.len(), 1);
    assert!(h.rec.events.is_empty());
}

#[test]
fn smb1_negotiate_detected_and_paired_with_smb2_answer() {
    let mut m = b"\xffSMB\x72".to_vec();
    m.extend_from_slice(&[0u8; 27]);
    m.push(0); // word count
    let mut dial = Vec::new();
    for d in ["NT LM 0.12", "SMB 2.002", "SMB 2.???"] {
        dial.push(2);
        dial.extend_from_slice(d.as_bytes());
        dial.push(0);
    }
    m.extend_from_slice(&(dial.len() as u16).to_le_bytes());
    m.extend_from_slice(&dial);
    let mut h = Harness::tcp(445);
    h.data(ToServer, &nb(&m));
    h.data(ToClient, &nb(&negotiate_resp()));
    h.end();
    assert_eq!(h.rec.detected, vec![(AppProto::Smb, ToServer)]);
    assert_eq!(h.rec.smb.len(), 1);
    let t = &h.rec.smb[0];
    assert_eq!(t.command_name(), Some("SMB1_COMMAND_NEGOTIATE_PROTOCOL"));
    assert_eq!(t.status, Some(0));
    assert_eq!(t.dialect, Some(0x0311));
    assert_eq!(t.client_dialects.len(), 3);
    assert_eq!(t.client_dialects[1], b"SMB 2.002");
    assert_eq!(t.max_read_size, Some(65536));
}

#[test]
fn pending_interim_response_does_not_complete() {
    let mut h = Harness::tcp(445);
    h.data(ToServer, &nb(&negotiate_req()));
    h.data(ToClient, &nb(&negotiate_resp()));
    h.data(ToServer, &nb(&msg(15, false, 7, 0, &[32, 0, 0, 0])));
    let mut interim = simple_resp(15, 7, 0x103);
    interim[16] = 3; // response + async
    h.data(ToClient, &nb(&interim));
    assert_eq!(h.rec.smb.len(), 1);
    let mut fin = simple_resp(15, 7, 0x10c);
    fin[16] = 3;
    h.data(ToClient, &nb(&fin));
    assert_eq!(h.rec.smb.len(), 2);
    assert_eq!(h.rec.smb[1].status, Some(0x10c));
    assert_eq!(
        h.rec.smb[1].command_name(),
        Some("SMB2_COMMAND_CHANGE_NOTIFY")
    );
    h.end();
}

#[test]
fn gap_resyncs_and_closes_stream_as_gap() {
    let s = session();
    let mut h = Harness::tcp(445);
    for (d, b) in &s[..8] {
        h.data(*d, b);
    }
    h.data(ToServer, &nb(&read_req(4, 0, 100_000)));
    let r = nb(&read_resp(4, &vec![7u8; 100_000]));
    h.data(ToClient, &r[..5000]);
    h.gap(ToClient, 10_000);
    // Garbage then a valid record.
    h.data(ToClient, &[0x11; 300]);
    h.data(ToServer, &nb(&close_req(6)));
    h.data(ToClient, &nb(&simple_resp(6, 6, 0)));
    h.end();
    assert_eq!(h.rec.files.len(), 1);
    assert_eq!(
        h.rec.files[0].close.map(|c| c.status),
        Some(FileStatus::Gap)
    );
    assert_eq!(h.rec.smb.last().map(|t| t.command), Some(6));
    assert!(h.layer.stats().smb.resync_skipped >= 300);
}

#[test]
fn direction_events() {
    let mut h = Harness::tcp(445);
    h.data(ToServer, &nb(&negotiate_req()));
    h.data(ToClient, &nb(&negotiate_resp()));
    h.data(ToServer, &nb(&simple_resp(6, 9, 0)));
    h.data(ToClient, &nb(&close_req(9)));
    h.end();
    let names: Vec<&str> = h.rec.events.iter().map(|e| e.name).collect();
    assert_eq!(names, vec!["response_to_server", "request_to_client"]);
}

#[test]
fn probe() {
    let p = |d: Direction, b: &[u8]| SmbParser::probe(Transport::Tcp, d, b);
    let req = nb(&negotiate_req());
    assert_eq!(p(ToServer, &req), Probe::Yes);
    assert_eq!(p(ToServer, &req[..6]), Probe::NeedMore);
    assert_eq!(p(ToServer, &nb(&negotiate_resp())), Probe::Reverse);
    assert_eq!(p(ToServer, b"GET / HTTP/1.1\r\n"), Probe::No);
    assert_eq!(p(ToServer, b"\x00\x00\x00\x10abcdefgh"), Probe::No);
    let mut s139 = vec![0x81, 0, 0, 4, 1, 2, 3, 4];
    s139.extend_from_slice(&req);
    assert_eq!(p(ToServer, &s139), Probe::Yes);
    assert_eq!(SmbParser::probe(Transport::Udp, ToServer, &req), Probe::No);
    assert_eq!(p(ToServer, &[0x81, 0x01, 0xff, 0xff, 0]), Probe::No);
    assert_eq!(p(ToServer, &[0x85, 0, 0, 0]), Probe::NeedMore);
}

#[test]
fn tx_cap_bounds_state() {
    let mut cfg = AppConfig::default();
    cfg.smb.max_tx = 8;
    let mut h = Harness::new(cfg, 6, 445);
    h.data(ToServer, &nb(&negotiate_req()));
    for i in 0..1000u64 {
        h.data(ToServer, &nb(&msg(13, false, 100 + i, 0, &[4, 0, 0, 0])));
    }
    assert!(h.memory() < 64 * 1024, "{}", h.memory());
    h.end();
    assert_eq!(h.rec.smb.len(), 1001);
    assert_eq!(h.layer.stats().smb.txs_evicted, 993);
}

#[test]
fn hostile_inputs_are_bounded() {
    // Compounded header whose NextCommand loops on itself is stopped by the offset walk.
    let mut m = hdr(13, false, 1, 0, 64);
    m.extend_from_slice(&hdr(13, false, 2, 0, 0xffff_fff0));
    let mut h = Harness::tcp(445);
    h.data(ToServer, &nb(&negotiate_req()));
    h.data(ToServer, &nb(&m));
    // Lengths pointing past the message.
    let mut c = create_req(3, "x", 1);
    c[64 + 44..64 + 46].copy_from_slice(&0xfff0u16.to_le_bytes());
    h.data(ToServer, &nb(&c));
    let mut s = session_setup_req(4);
    let l = s.len();
    s[l - 10..].fill(0xff);
    h.data(ToServer, &nb(&s));
    // A huge record of garbage.
    let mut big = vec![0u8, 0xff, 0xff, 0xff];
    big.extend_from_slice(&[0x41; 70_000]);
    h.data(ToServer, &big);
    h.end();
    assert!(h.layer.stats().smb.malformed >= 1);
    // Pseudo-random byte soup must not panic, and memory stays bounded.
    let mut x = 0x1234_5678u32;
    for round in 0..200 {
        let mut h = Harness::tcp(445);
        h.data(ToServer, &nb(&negotiate_req()));
        for _ in 0..20 {
            let mut v = Vec::new();
            for _ in 0..(x % 300) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                v.push(x as u8);
            }
            if round % 2 == 0 && v.len() > 8 {
                // Keep it framed with a valid magic to reach the deeper parsers.
                let mut m = hdr((x % 19) as u16, x & 1 == 1, u64::from(x % 5), 0, x % 3 * 64);
                m.extend_from_slice(&v);
                v = nb(&m);
            }
            let d = if x & 2 == 0 { ToServer } else { ToClient };
            h.data(d, &v);
        }
        assert!(h.memory() < 1 << 20);
        h.end();
    }
}

#[test]
fn flow_end_mid_read_is_truncated() {
    let s = session();
    let mut h = Harness::tcp(445);
    for (d, b) in &s[..8] {
        h.data(*d, b);
    }
    h.data(ToServer, &nb(&read_req(4, 0, 100_000)));
    let r = nb(&read_resp(4, &vec![3u8; 100_000]));
    h.data(ToClient, &r[..30_000]);
    h.end();
    assert_eq!(h.rec.files.len(), 1);
    let c = h.rec.files[0].close.expect("closed");
    assert_eq!(c.status, FileStatus::Truncated);
    assert_eq!(c.size, 30_000 - 4 - 80);
    // The file transaction is still handed over.
    assert_eq!(h.rec.smb.last().map(|t| t.command), Some(8));
}

#[test]
fn smb1_negotiate_answered_in_smb1() {
    let mut m = b"\xffSMB\x72".to_vec();
    m.extend_from_slice(&[0u8; 27]);
    m.push(0);
    let dial = b"\x02PC NETWORK PROGRAM 1.0\0\x02NT LM 0.12\0";
    m.extend_from_slice(&(dial.len() as u16).to_le_bytes());
    m.extend_from_slice(dial);
    // Response: status 0, flags 0x80, flags2 extended security, 17 words, dialect index 1.
    let mut r = b"\xffSMB\x72".to_vec();
    r.extend_from_slice(&[0, 0, 0, 0, 0x80, 0x00, 0x08]);
    r.resize(32, 0);
    r.push(17);
    r.extend_from_slice(&1u16.to_le_bytes());
    r.resize(67, 0);
    r.extend_from_slice(&16u16.to_le_bytes());
    r.extend_from_slice(&[0xab; 16]);
    let mut h = Harness::tcp(445);
    h.data(ToServer, &nb(&m));
    h.data(ToClient, &nb(&r));
    h.end();
    assert_eq!(h.rec.smb.len(), 1);
    let t = &h.rec.smb[0];
    assert_eq!(t.status, Some(0));
    assert_eq!(t.smb1_dialect, b"NT LM 0.12");
    assert_eq!(t.server_guid, Some([0xab; 16]));
    assert_eq!(h.layer.stats().smb.smb1_messages, 2);
}

// ---------------------------------------------------------------- SMB1 (NT LM 0.12)

const UID1: u16 = 0x0800;
const TID1: u16 = 0x0800;
const FID1: u16 = 0x4000;

/// An SMB1 message: header (unicode, NT status), parameter words, data bytes.
fn smb1(cmd: u8, resp: bool, mid: u16, status: u32, words: &[u8], bytes: &[u8]) -> Vec<u8> {
    let mut m = b"\xffSMB".to_vec();
    m.push(cmd);
    m.extend_from_slice(&status.to_le_bytes());
    m.push(if resp { 0x98 } else { 0x18 });
    m.extend_from_slice(&0xc801u16.to_le_bytes()); // unicode, NT status, extended security
    m.extend_from_slice(&[0u8; 12]);
    m.extend_from_slice(&TID1.to_le_bytes());
    m.extend_from_slice(&0x1234u16.to_le_bytes()); // pid
    m.extend_from_slice(&UID1.to_le_bytes());
    m.extend_from_slice(&mid.to_le_bytes());
    assert_eq!(m.len(), 32);
    m.push((words.len() / 2) as u8);
    m.extend_from_slice(words);
    m.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
    m.extend_from_slice(bytes);
    m
}

fn smb1_session() -> Vec<(Direction, Vec<u8>)> {
    // SESSION_SETUP_ANDX with an NTLMSSP AUTHENTICATE blob.
    let blob = ntlm_auth("", "", "HOST");
    let mut w = vec![0u8; 24];
    w[0] = 0xff;
    w[14..16].copy_from_slice(&(blob.len() as u16).to_le_bytes());
    let setup = smb1(0x73, false, 2, 0, &w, &blob);
    let setup_r = smb1(0x73, true, 2, 0, &[0xff, 0, 0, 0, 0, 0, 0, 0], &[]);
    // TREE_CONNECT_ANDX: 1-byte password, then the path (unicode, aligned), then the service.
    let mut w = vec![0xff, 0, 0, 0, 0, 0];
    w.extend_from_slice(&1u16.to_le_bytes());
    let mut b = vec![0u8]; // password
    // bytes start at offset 32 + 1 + 8 + 2 = 43; after the password 44: already even.
    b.extend_from_slice(&utf16("\\\\10.0.0.1\\PUBLIC"));
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(b"?????\0");
    let tree = smb1(0x75, false, 3, 0, &w, &b);
    let tree_r = smb1(0x75, true, 3, 0, &[0xff, 0, 0, 0, 0, 0], b"A:\0");
    // NT_CREATE_ANDX request: disposition 5 (overwrite-if) at word offset 35.
    let mut w = vec![0u8; 48];
    w[0] = 0xff;
    w[35..39].copy_from_slice(&5u32.to_le_bytes());
    let mut b = vec![0u8]; // pad: bytes start at 32 + 1 + 48 + 2 = 83 (odd)
    b.extend_from_slice(&utf16("\\eicar"));
    b.extend_from_slice(&[0, 0]);
    let create = smb1(0xa2, false, 4, 0, &w, &b);
    let mut w = vec![0u8; 68];
    w[0] = 0xff;
    w[5..7].copy_from_slice(&FID1.to_le_bytes());
    let ft = 132_253_793_510_000_000u64; // 2020-02-05T12:29:11Z
    for o in [11, 19, 27, 35] {
        w[o..o + 8].copy_from_slice(&ft.to_le_bytes());
    }
    let create_r = smb1(0xa2, true, 4, 0, &w, &[]);
    // WRITE_ANDX: data at DataOffset (from the header start).
    let data = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR";
    let mut w = vec![0u8; 28];
    w[0] = 0xff;
    w[4..6].copy_from_slice(&FID1.to_le_bytes());
    w[20..22].copy_from_slice(&(data.len() as u16).to_le_bytes());
    let doff = 32 + 1 + 28 + 2 + 1;
    w[22..24].copy_from_slice(&(doff as u16).to_le_bytes());
    let mut b = vec![0u8];
    b.extend_from_slice(data);
    let write = smb1(0x2f, false, 5, 0, &w, &b);
    let write_r = smb1(
        0x2f,
        true,
        5,
        0,
        &[0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        &[],
    );
    let mut w = FID1.to_le_bytes().to_vec();
    w.extend_from_slice(&[0xff; 4]);
    let close = smb1(0x04, false, 6, 0, &w, &[]);
    let close_r = smb1(0x04, true, 6, 0, &[], &[]);
    let disc = smb1(0x71, false, 7, 0, &[], &[]);
    let disc_r = smb1(0x71, true, 7, 0, &[], &[]);
    [
        (ToServer, setup),
        (ToClient, setup_r),
        (ToServer, tree),
        (ToClient, tree_r),
        (ToServer, create),
        (ToClient, create_r),
        (ToServer, write),
        (ToClient, write_r),
        (ToServer, close),
        (ToClient, close_r),
        (ToServer, disc),
        (ToClient, disc_r),
    ]
    .into_iter()
    .map(|(d, m)| (d, nb(&m)))
    .collect()
}

#[test]
fn smb1_session_logs_commands_and_the_written_file() {
    let h = run(&smb1_session());
    let names: Vec<_> = h
        .rec
        .smb
        .iter()
        .map(|t| t.command_name().unwrap_or("?"))
        .collect();
    assert_eq!(
        names,
        vec![
            "SMB1_COMMAND_SESSION_SETUP_ANDX",
            "SMB1_COMMAND_TREE_CONNECT_ANDX",
            "SMB1_COMMAND_NT_CREATE_ANDX",
            "SMB1_COMMAND_WRITE_ANDX",
            "SMB1_COMMAND_CLOSE",
            "SMB1_COMMAND_TREE_DISCONNECT",
        ]
    );
    let s = &h.rec.smb;
    assert!(s.iter().all(|t| t.smb1));
    assert_eq!(s[0].session_id, u64::from(UID1));
    assert_eq!(
        s[0].ntlmssp.as_ref().map(|n| n.host.clone()),
        Some(b"HOST".to_vec())
    );
    assert_eq!(
        s[1].share, b"\\10.0.0.1\\PUBLIC",
        "one leading backslash, as Suricata"
    );
    assert_eq!(s[1].tree_id, u32::from(TID1));
    assert_eq!(s[2].filename, b"\\eicar");
    assert_eq!(s[2].disposition, Some(5));
    assert_eq!(
        s[2].file_id.map(|f| u16::from_le_bytes([f[0], f[1]])),
        Some(FID1)
    );
    assert_eq!(
        s[2].times.map(|t| filetime_to_unix(t[0])),
        Some(1_580_905_751)
    );
    // The file transaction: no status, ids 0, name and share of its tree.
    assert_eq!(s[3].status, None);
    assert_eq!((s[3].session_id, s[3].tree_id), (0, 0));
    assert_eq!(s[3].filename, b"\\eicar");
    assert_eq!(s[3].share, b"\\10.0.0.1\\PUBLIC");
    assert_eq!(s[3].file_dir, Some(ToServer));
    assert_eq!(s[4].status, Some(0));
    // The written data became a file, closed by CLOSE.
    assert_eq!(h.rec.files.len(), 1);
    let f = &h.rec.files[0];
    assert_eq!(
        (f.kind, f.name.as_slice()),
        (FileKind::SmbWrite, &b"\\eicar"[..])
    );
    assert_eq!(f.data, b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR");
    assert_eq!(f.close.map(|c| c.status), Some(FileStatus::Complete));
}

#[test]
fn smb1_read_andx_streams_the_response_data() {
    let mut parts = smb1_session();
    parts.truncate(6); // through NT_CREATE_ANDX
    let mut w = vec![0u8; 24];
    w[0] = 0xff;
    w[4..6].copy_from_slice(&FID1.to_le_bytes());
    parts.push((ToServer, nb(&smb1(0x2e, false, 9, 0, &w, &[]))));
    let data = b"file content";
    let mut w = vec![0u8; 24];
    w[0] = 0xff;
    w[10..12].copy_from_slice(&(data.len() as u16).to_le_bytes());
    let doff = 32 + 1 + 24 + 2;
    w[12..14].copy_from_slice(&(doff as u16).to_le_bytes());
    parts.push((ToClient, nb(&smb1(0x2e, true, 9, 0, &w, data))));
    let h = run(&parts);
    assert_eq!(h.rec.files.len(), 1);
    assert_eq!(h.rec.files[0].kind, FileKind::SmbRead);
    assert_eq!(h.rec.files[0].data, data);
    let read = h
        .rec
        .smb
        .iter()
        .find(|t| t.command_name() == Some("SMB1_COMMAND_READ_ANDX"));
    assert_eq!(read.map(|t| t.file_dir), Some(Some(ToClient)));
}

#[test]
fn smb1_hostile_messages_do_not_panic() {
    let base = smb1_session();
    for (d, m) in &base {
        for cut in 0..m.len() {
            let mut v = m.clone();
            v.truncate(cut.max(4));
            // Fix the NetBIOS length so the cut message is a whole record.
            let l = (v.len() - 4) as u32;
            v[1..4].copy_from_slice(&[(l >> 16) as u8, (l >> 8) as u8, l as u8]);
            let mut h = Harness::tcp(445);
            h.data(*d, &v);
            h.end();
        }
        let mut v = m.clone();
        for b in v.iter_mut().skip(36) {
            *b = 0xff;
        }
        let mut h = Harness::tcp(445);
        h.data(*d, &v);
        h.end();
    }
}

#[test]
fn file_transactions_are_handed_over_before_their_files_close() {
    let h = run(&session());
    let s = &h.rec.smb;
    // The READ and WRITE file transactions: once as they stand at the close (for the
    // `fileinfo` records), then completed.
    for t in [&s[4], &s[5]] {
        let stages: Vec<TxStage> = h
            .rec
            .stages
            .iter()
            .filter(|(id, _)| *id == t.tx_id)
            .map(|(_, st)| *st)
            .collect();
        assert_eq!(stages, vec![TxStage::RequestComplete, TxStage::Complete]);
    }
    // Other transactions are handed over once.
    let tree = s[2].tx_id;
    assert_eq!(h.rec.stages.iter().filter(|(id, _)| *id == tree).count(), 1);
}
