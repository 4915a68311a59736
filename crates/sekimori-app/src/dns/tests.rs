//! DNS parser tests.

use super::*;
use crate::dns::message::{MAX_LABELS, MAX_NAME_LEN};
use crate::testutil::Harness;
use crate::types::Direction::{ToClient, ToServer};

fn encode_name(m: &mut Vec<u8>, name: &[u8]) {
    if !name.is_empty() {
        for l in name.split(|&c| c == b'.') {
            m.push(l.len() as u8);
            m.extend_from_slice(l);
        }
    }
    m.push(0);
}

/// A query message for `name` of type `qtype`.
pub(crate) fn query_bytes(id: u16, name: &[u8], qtype: u16) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    encode_name(&mut m, name);
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    m
}

/// A response to `name`/`qtype` with the given (answer, authority) records; each record is
/// (owner bytes already encoded, type, rdata).
fn response_bytes(
    id: u16,
    flags: u16,
    name: &[u8],
    qtype: u16,
    an: &[(Vec<u8>, u16, Vec<u8>)],
    ns: &[(Vec<u8>, u16, Vec<u8>)],
) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&flags.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes());
    m.extend_from_slice(&(an.len() as u16).to_be_bytes());
    m.extend_from_slice(&(ns.len() as u16).to_be_bytes());
    m.extend_from_slice(&0u16.to_be_bytes());
    encode_name(&mut m, name);
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    for (owner, t, rdata) in an.iter().chain(ns.iter()) {
        m.extend_from_slice(owner);
        m.extend_from_slice(&t.to_be_bytes());
        m.extend_from_slice(&[0, 1]);
        m.extend_from_slice(&300u32.to_be_bytes());
        m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        m.extend_from_slice(rdata);
    }
    m
}

const PTR_Q: [u8; 2] = [0xc0, 0x0c];

fn name_bytes(n: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    encode_name(&mut v, n);
    v
}

fn rich_response(id: u16) -> Vec<u8> {
    let mut mx = vec![0, 10];
    mx.extend_from_slice(&PTR_Q);
    let mut soa = name_bytes(b"ns1.example.com");
    soa.extend_from_slice(&name_bytes(b"hostmaster.example.com"));
    for v in [2021053000u32, 1800, 900, 604800, 86400] {
        soa.extend_from_slice(&v.to_be_bytes());
    }
    let mut srv = vec![0, 1, 0, 2, 0x13, 0xc4];
    srv.extend_from_slice(&name_bytes(b"sip.example.com"));
    let an = vec![
        (PTR_Q.to_vec(), 5, name_bytes(b"alias.example.net")),
        (name_bytes(b"alias.example.net"), 1, vec![93, 184, 216, 34]),
        (
            PTR_Q.to_vec(),
            28,
            vec![0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        ),
        (PTR_Q.to_vec(), 15, mx),
        (PTR_Q.to_vec(), 16, b"\x05hello\x05world".to_vec()),
        (PTR_Q.to_vec(), 2, name_bytes(b"ns1.example.com")),
        (PTR_Q.to_vec(), 12, name_bytes(b"host.example.com")),
        (PTR_Q.to_vec(), 33, srv),
        (PTR_Q.to_vec(), 44, vec![1, 2, 0xab, 0xcd]),
        (PTR_Q.to_vec(), 10, b"nul".to_vec()),
        (PTR_Q.to_vec(), 99, b"v=spf1".to_vec()),
        (PTR_Q.to_vec(), 1, vec![]), // empty rdata: no record, as Suricata 7
    ];
    let ns = vec![(PTR_Q.to_vec(), 6, soa)];
    response_bytes(id, 0x8180, b"www.example.com", 1, &an, &ns)
}

#[test]
fn parses_every_record_kind() {
    let mut m = DnsMessage::default();
    m.parse(&rich_response(7), true).unwrap();
    assert_eq!(m.header.id, 7);
    assert!(m.header.qr() && m.header.rd() && m.header.ra() && !m.header.aa());
    assert_eq!(m.header.rcode(), 0);
    assert_eq!(m.query_name(0), Some(&b"www.example.com"[..]));
    let a = &m.answers;
    assert_eq!(a.len(), 12, "TXT gives two records, the empty one none");
    assert_eq!(m.name(&a[0].name), b"www.example.com");
    assert!(matches!(a[0].data, RData::Name(n) if m.name(&n) == b"alias.example.net"));
    assert!(matches!(a[1].data, RData::Addr(b) if m.bytes(b) == [93, 184, 216, 34]));
    assert!(matches!(a[2].data, RData::Addr(b) if m.bytes(b).len() == 16));
    assert!(
        matches!(a[3].data, RData::Mx { preference: 10, exchange } if m.name(&exchange) == b"www.example.com")
    );
    assert!(matches!(a[4].data, RData::Txt(b) if m.bytes(b) == b"hello"));
    assert!(matches!(a[5].data, RData::Txt(b) if m.bytes(b) == b"world"));
    assert!(matches!(a[6].data, RData::Name(n) if m.name(&n) == b"ns1.example.com"));
    assert!(matches!(a[7].data, RData::Name(n) if m.name(&n) == b"host.example.com"));
    assert!(
        matches!(a[8].data, RData::Srv { priority: 1, weight: 2, port: 5060, target } if m.name(&target) == b"sip.example.com")
    );
    assert!(
        matches!(a[9].data, RData::Sshfp { algo: 1, fp_type: 2, fingerprint } if m.bytes(fingerprint) == [0xab, 0xcd])
    );
    assert!(matches!(a[10].data, RData::Null(b) if m.bytes(b) == b"nul"));
    assert!(matches!(a[11].data, RData::Other(b) if m.bytes(b) == b"v=spf1"));
    assert_eq!(a[11].ttl, 300);
    let Some(RData::Soa(soa)) = m.authorities.first().map(|r| r.data) else {
        panic!("no SOA")
    };
    assert_eq!(m.name(&soa.mname), b"ns1.example.com");
    assert_eq!(m.name(&soa.rname), b"hostmaster.example.com");
    assert_eq!(
        (soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum),
        (2021053000, 1800, 900, 604800, 86400)
    );
    assert_eq!(m.name_flags, NameFlags::default());
    assert_eq!(rrtype_name(1), Some("A"));
    assert_eq!(rrtype_name(60), Some("CDSNKEY"));
    assert_eq!(rrtype_name(64), None);
    assert_eq!(rcode_name(3), Some("NXDOMAIN"));
    assert_eq!(rcode_name(11), None);
}

#[test]
fn udp_flow_pairs_queries_and_responses() {
    let mut h = Harness::udp(53);
    h.data(ToServer, &query_bytes(7, b"a.example", 1));
    h.data(ToServer, &query_bytes(8, b"b.example", 28));
    h.data(
        ToClient,
        &response_bytes(8, 0x8180, b"b.example", 28, &[], &[]),
    );
    h.data(ToClient, &rich_response(7));
    h.data(
        ToClient,
        &response_bytes(9, 0x8180, b"c.example", 1, &[], &[]),
    );
    h.data(ToServer, &query_bytes(10, b"d.example", 1));
    assert_eq!(h.end(), Some("dns"));
    let d = &h.rec.dns;
    assert_eq!(
        d.iter().map(|t| t.tx_id).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4, 5]
    );
    assert!(d[0].is_request() && d[2].is_response());
    assert_eq!(d[2].request_tx_id, Some(1));
    assert_eq!(d[3].request_tx_id, Some(0));
    assert_eq!(d[3].rtt_ns, Some(3_000_000_000));
    assert_eq!(d[4].request_tx_id, None);
    let st = h.layer.stats().dns;
    assert_eq!(
        (
            st.requests,
            st.responses,
            st.paired,
            st.unsolicited,
            st.unanswered
        ),
        (3, 3, 2, 1, 1)
    );
    assert_eq!(h.rec.detected, vec![(AppProto::Dns, ToServer)]);
}

#[test]
fn pointer_loops_and_long_names() {
    // A pointer to itself as the question name: malformed.
    let mut m = query_bytes(1, b"", 1);
    m.truncate(12);
    m.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
    let mut msg = DnsMessage::default();
    assert_eq!(msg.parse(&m, false), Err(DnsError::Loop));
    assert!(msg.name_flags.infinite_loop);

    // A two-pointer cycle reached through a pointer: cut at the label limit, not an error.
    let mut m = query_bytes(2, b"x", 1);
    m[2] |= 0x80; // a response
    // answer owner: pointer to offset 40, where "a" + pointer back to 40 sits.
    m[6..8].copy_from_slice(&1u16.to_be_bytes());
    let owner_at = m.len();
    m.extend_from_slice(&[0xc0, 0]);
    m.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4]);
    let cyc = m.len();
    m[owner_at + 1] = cyc as u8;
    m.extend_from_slice(&[1, b'a', 0xc0, cyc as u8]);
    let mut msg = DnsMessage::default();
    msg.parse(&m, true).unwrap();
    assert!(msg.name_flags.label_limit && msg.name_flags.truncated);
    let owner = msg.answers[0].name;
    assert!(owner.truncated);
    assert!(msg.name(&owner).starts_with(b"a.a.a."));
    assert!(msg.name(&owner).len() <= MAX_LABELS as usize * 2);

    // A 1280-byte name without pointers: cut at 1025, parsing continues after it.
    let long: Vec<u8> = (0..20)
        .flat_map(|_| std::iter::once(b'.').chain(std::iter::repeat_n(b'x', 63)))
        .skip(1)
        .collect();
    let q = query_bytes(3, &long, 16);
    let mut msg = DnsMessage::default();
    msg.parse(&q, false).unwrap();
    assert_eq!(msg.query_name(0).map(|n| n.len()), Some(MAX_NAME_LEN));
    assert!(msg.queries[0].name.truncated && msg.name_flags.truncated);
    assert_eq!(msg.queries[0].rrtype, 16);

    // Through the layer: events with Suricata's names.
    let mut h = Harness::udp(53);
    h.data(ToServer, &q);
    h.data(ToClient, &m);
    h.end();
    let names: Vec<_> = h.rec.events.iter().map(|e| (e.tx_id, e.name)).collect();
    assert_eq!(
        names,
        vec![
            (Some(0), "name_too_long"),
            (Some(1), "name_too_long"),
            (Some(1), "too_many_labels")
        ]
    );
}

#[test]
fn header_flags_events() {
    let mut h = Harness::udp(53);
    let mut q = query_bytes(1, b"www.google.com", 1);
    q[3] |= 0x40; // Z
    h.data(ToServer, &q);
    let mut q = query_bytes(2, b"suricata.io", 1);
    q[2] = 0x48; // opcode 9
    h.data(ToServer, &q);
    let mut q = query_bytes(3, b"x.io", 1);
    q[2] |= 0x80; // QR on a query
    h.data(ToServer, &q);
    h.data(ToClient, &query_bytes(4, b"y.io", 1)); // QR clear on a response
    h.end();
    let ev: Vec<_> = h
        .rec
        .events
        .iter()
        .map(|e| (e.dir, e.tx_id, e.name))
        .collect();
    assert_eq!(
        ev,
        vec![
            (ToServer, Some(0), "z_flag_set"),
            (ToServer, Some(1), "invalid_opcode"),
            (ToServer, Some(1), "not_request"),
            (ToClient, Some(2), "not_response"),
        ]
    );
    assert_eq!(h.rec.dns.len(), 3);
    assert!(h.rec.dns[0].has_event(DnsEvent::ZFlagSet));
}

#[test]
fn truncated_messages_never_panic() {
    let full = rich_response(5);
    let mut malformed = 0;
    for k in 0..full.len() {
        let mut h = Harness::udp(53);
        h.data(ToServer, &query_bytes(5, b"www.example.com", 1));
        h.data(ToClient, &full[..k]);
        h.end();
        malformed += h.layer.stats().dns.malformed;
        assert!(h.rec.dns.len() <= 2);
    }
    assert!(malformed as usize > full.len() / 2);
    // Mutated messages.
    let mut x: u64 = 88172645463325252;
    for _ in 0..3000 {
        let mut m = full.clone();
        for _ in 0..4 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x as usize) % m.len();
            m[i] = (x >> 32) as u8;
        }
        let mut msg = DnsMessage::default();
        let _ = msg.parse(&m, true);
        let _ = DnsParser::probe(Transport::Udp, ToServer, &m);
        let _ = DnsParser::probe(Transport::Tcp, ToServer, &m);
    }
}

fn tcp_frames(msgs: &[Vec<u8>]) -> Vec<u8> {
    let mut v = Vec::new();
    for m in msgs {
        v.extend_from_slice(&(m.len() as u16).to_be_bytes());
        v.extend_from_slice(m);
    }
    v
}

fn tcp_digest(h: &Harness) -> String {
    let mut s = String::new();
    for t in &h.rec.dns {
        let m = &t.message;
        s.push_str(&format!(
            "{} {:?} id={} q={:?} an={} ns={} req={:?}\n",
            t.tx_id,
            t.dir,
            m.header.id,
            m.query_name(0)
                .map(|n| String::from_utf8_lossy(n).into_owned()),
            m.answers.len(),
            m.authorities.len(),
            t.request_tx_id
        ));
    }
    s
}

#[test]
fn tcp_framing_at_every_split() {
    let q = tcp_frames(&[
        query_bytes(1, b"www.example.com", 1),
        vec![],
        query_bytes(2, b"b.example", 28),
    ]);
    let mut q = q;
    // An empty frame in the middle.
    q.extend_from_slice(&[0, 0]);
    let r = tcp_frames(&[
        rich_response(1),
        response_bytes(2, 0x8180, b"b.example", 28, &[], &[]),
    ]);
    let run = |qs: &[&[u8]], rs: &[&[u8]]| {
        let mut h = Harness::tcp(53);
        for p in qs {
            h.ts_data(p);
        }
        for p in rs {
            h.tc_data(p);
        }
        h.end();
        assert_eq!(h.layer.stats().parse_errors, 0);
        tcp_digest(&h)
    };
    let whole = run(&[&q], &[&r]);
    assert_eq!(whole.lines().count(), 4, "{whole}");
    let qb: Vec<&[u8]> = q.chunks(1).collect();
    let rb: Vec<&[u8]> = r.chunks(1).collect();
    assert_eq!(run(&qb, &rb), whole);
    for i in 1..q.len() {
        assert_eq!(run(&[&q[..i], &q[i..]], &[&r]), whole, "query split {i}");
    }
    for i in 1..r.len() {
        assert_eq!(run(&[&q], &[&r[..i], &r[i..]]), whole, "response split {i}");
    }
}

#[test]
fn tcp_gap_resyncs_on_a_frame_boundary() {
    let mut h = Harness::tcp(53);
    let f1 = tcp_frames(&[query_bytes(1, b"one.example", 1)]);
    let f2 = tcp_frames(&[query_bytes(2, b"two.example", 1)]);
    let f3 = tcp_frames(&[query_bytes(3, b"three.example", 1)]);
    h.ts_data(&f1);
    h.ts_data(&f2[..10]);
    h.gap(ToServer, 5);
    h.ts_data(&f2[15..]); // middle of a message: dropped
    h.ts_data(&f3);
    h.end();
    let names: Vec<_> = h
        .rec
        .dns
        .iter()
        .map(|t| t.message.query_name(0).unwrap_or(&[]).to_vec())
        .collect();
    assert_eq!(
        names,
        vec![b"one.example".to_vec(), b"three.example".to_vec()]
    );
}

#[test]
fn tcp_malformed_stops_the_parser_as_suricata() {
    let mut h = Harness::tcp(53);
    h.ts_data(&tcp_frames(&[query_bytes(1, b"ok.example", 1)]));
    // Counts that cannot fit: rejected, parser stops.
    let mut bad = query_bytes(2, b"x", 1);
    bad[4] = 0xff;
    h.ts_data(&tcp_frames(&[bad]));
    h.ts_data(&tcp_frames(&[query_bytes(3, b"after.example", 1)]));
    h.end();
    assert_eq!(h.rec.dns.len(), 1);
    assert_eq!(h.layer.stats().parse_errors, 1);
}

#[test]
fn probes() {
    let q = query_bytes(1, b"example.com", 1);
    assert_eq!(DnsParser::probe(Transport::Udp, ToServer, &q), Probe::Yes);
    assert_eq!(
        DnsParser::probe(Transport::Udp, ToServer, &q[..5]),
        Probe::No
    );
    assert_eq!(
        DnsParser::probe(Transport::Udp, ToClient, &q),
        Probe::Reverse
    );
    let r = response_bytes(1, 0x8180, b"example.com", 1, &[], &[]);
    assert_eq!(DnsParser::probe(Transport::Udp, ToClient, &r), Probe::Yes);
    assert_eq!(
        DnsParser::probe(Transport::Udp, ToServer, &r),
        Probe::Reverse
    );
    assert_eq!(
        DnsParser::probe(Transport::Udp, ToServer, b"GET / HTTP/1.1\r\n\r\n"),
        Probe::No
    );
    let t = tcp_frames(std::slice::from_ref(&q));
    assert_eq!(DnsParser::probe(Transport::Tcp, ToServer, &t), Probe::Yes);
    assert_eq!(
        DnsParser::probe(Transport::Tcp, ToServer, &t[..1]),
        Probe::NeedMore
    );
    assert_eq!(
        DnsParser::probe(Transport::Tcp, ToServer, &t[..14]),
        Probe::Yes,
        "a header is enough when the rest is coming"
    );
    assert_eq!(
        DnsParser::probe(Transport::Tcp, ToServer, &t[..8]),
        Probe::NeedMore
    );
}

#[test]
fn udp_transactions_keep_their_datagram_tcp_ones_do_not() {
    let q = query_bytes(7, b"a.example", 1);
    let mut h = Harness::udp(53);
    h.data(ToServer, &q);
    h.end();
    assert_eq!(
        h.rec.dns[0].raw, q,
        "pkt_data of the packet that created the tx"
    );
    let mut h = Harness::tcp(53);
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&q);
    h.data(ToServer, &framed);
    h.end();
    assert_eq!(h.rec.dns.len(), 1);
    assert!(h.rec.dns[0].raw.is_empty());
}
