//! End-to-end reassembly and defragmentation: pcaps built by the fixture builder go through the
//! whole pipeline (capture → decode → defrag → flow → stream) and a hook records exactly what the
//! protocol layer would receive. Each case states the evasion or network condition it covers, and
//! checks the delivered bytes byte for byte.

use sekimori_capture::{PacketSource, PcapFile};
use sekimori_engine::Direction;
use sekimori_engine::{AppHook, AppSlot, Config, Engine, FlowInfo};
use sekimori_eve::EveWriter;
use sekimori_fixtures::{
    Link, TcpSession, Trace, ep, fragment, fragment_at, fragment_sizes, pick, tcp_packet,
    udp_packet,
};
use std::collections::BTreeMap;
use std::io::{Cursor, Write};
use std::sync::{Arc, Mutex};

/// What the protocol layer would see for one direction of one flow.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Delivered {
    /// Data, with `[GAP n]` where n bytes were skipped.
    text: Vec<u8>,
    closed: bool,
}

#[derive(Default)]
struct Seen {
    /// (flow id, direction) → delivered stream; flows are numbered in order of first data.
    streams: BTreeMap<(u64, bool), Delivered>,
    udp: Vec<Vec<u8>>,
    flow_order: Vec<u64>,
}

#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Seen>>);

impl Collect {
    fn note_flow(s: &mut Seen, id: u64) {
        if !s.flow_order.contains(&id) {
            s.flow_order.push(id);
        }
    }
}

impl AppHook for Collect {
    fn on_stream_data(&mut self, f: &FlowInfo, _: &mut AppSlot, dir: Direction, data: &[u8]) {
        let mut s = self.0.lock().unwrap();
        Self::note_flow(&mut s, f.id);
        s.streams
            .entry((f.id, dir == Direction::ToServer))
            .or_default()
            .text
            .extend_from_slice(data);
    }
    fn on_stream_gap(&mut self, f: &FlowInfo, _: &mut AppSlot, dir: Direction, len: u64) {
        let mut s = self.0.lock().unwrap();
        Self::note_flow(&mut s, f.id);
        let d = s
            .streams
            .entry((f.id, dir == Direction::ToServer))
            .or_default();
        d.text.extend_from_slice(format!("[GAP {len}]").as_bytes());
    }
    fn on_stream_close(&mut self, f: &FlowInfo, _: &mut AppSlot, dir: Direction) {
        let mut s = self.0.lock().unwrap();
        s.streams
            .entry((f.id, dir == Direction::ToServer))
            .or_default()
            .closed = true;
    }
    fn on_udp(&mut self, _: &FlowInfo, _: &mut AppSlot, _: Direction, payload: &[u8]) {
        self.0.lock().unwrap().udp.push(payload.to_vec());
    }
}

#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);
impl Write for SharedBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Run {
    seen: Seen,
    eve: Vec<serde_json::Value>,
}

impl Run {
    /// Client→server bytes of the n-th flow that carried data.
    fn client(&self, n: usize) -> Vec<u8> {
        self.stream(n, true)
    }
    fn server(&self, n: usize) -> Vec<u8> {
        self.stream(n, false)
    }
    fn stream(&self, n: usize, to_server: bool) -> Vec<u8> {
        let id = self.seen.flow_order[n];
        self.seen
            .streams
            .get(&(id, to_server))
            .map(|d| d.text.clone())
            .unwrap_or_default()
    }
    fn flows(&self) -> Vec<&serde_json::Value> {
        self.eve
            .iter()
            .filter(|r| r["event_type"] == "flow")
            .collect()
    }
}

fn run_with(trace: &Trace, toml: &str) -> Run {
    let cfg = Config::from_toml(toml).expect("test config");
    let out = SharedBuf::default();
    let mut engine = Engine::with_writer(
        cfg,
        EveWriter::new(Box::new(out.clone())),
        "eve.json".into(),
    )
    .unwrap();
    let hook = Collect::default();
    engine.set_hook(Box::new(hook.clone()));
    let mut src = PcapFile::from_reader(Cursor::new(trace.pcap_bytes()), "fixture.pcap").unwrap();
    while let Some(p) = src.next_packet().unwrap() {
        engine.process(&p);
    }
    engine.finish().unwrap();
    let eve = String::from_utf8(out.0.lock().unwrap().clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let seen = std::mem::take(&mut *hook.0.lock().unwrap());
    Run { seen, eve }
}

fn run(trace: &Trace) -> Run {
    run_with(trace, "")
}

const REQUEST: &[u8] =
    b"GET /index.html HTTP/1.1\r\nHost: example.co.jp\r\nUser-Agent: test\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

#[test]
fn tiny_segments_in_order() {
    // Evasion: 1-byte segments so no single packet carries a pattern.
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("10.0.0.1:40000"), ep("192.0.2.80:80")).mss(1);
    s.handshake(&mut t)
        .client(&mut t, REQUEST)
        .server(&mut t, RESPONSE)
        .close(&mut t);
    let r = run(&t);
    assert_eq!(r.client(0), REQUEST);
    assert_eq!(r.server(0), RESPONSE);
    let f = r.flows();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["flow"]["state"], "closed");
    assert_eq!(f[0]["tcp"]["state"], "closed");
}

#[test]
fn reversed_and_shuffled_segments() {
    // Evasion: segments sent in reverse and in a shuffled order before the ACK.
    for order in [vec![7, 6, 5, 4, 3, 2, 1, 0], vec![3, 0, 6, 1, 7, 2, 5, 4]] {
        let mut t = Trace::new(Link::Ethernet);
        let mut s = TcpSession::new(ep("10.0.0.1:40001"), ep("192.0.2.80:80")).mss(9);
        s.handshake(&mut t);
        let segs = s.plan_client(REQUEST);
        assert_eq!(segs.len(), 8);
        s.emit_order(&mut t, &segs, &order).server_ack(&mut t);
        s.server(&mut t, RESPONSE).close(&mut t);
        let r = run(&t);
        assert_eq!(r.client(0), REQUEST, "order {order:?}");
        assert_eq!(r.server(0), RESPONSE);
    }
}

#[test]
fn retransmissions_are_delivered_once() {
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("10.0.0.1:40002"), ep("192.0.2.80:80")).mss(10);
    s.handshake(&mut t);
    let segs = s.plan_client(REQUEST);
    let n = segs.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.extend([2, 3, 0]); // retransmit three segments
    order.insert(4, 1);
    s.emit_order(&mut t, &segs, &order)
        .server_ack(&mut t)
        .close(&mut t);
    let r = run(&t);
    assert_eq!(r.client(0), REQUEST);
}

/// Sends `first` at relative 4 and then `second` at relative 0 (overlapping 4 bytes of it),
/// with no ACK between them, then acknowledges both.
fn overlap_trace() -> Trace {
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("10.0.0.1:40003"), ep("192.0.2.80:80"));
    s.handshake(&mut t);
    s.client_raw(&mut t, 4, b"BBBBBBBB"); // bytes 4..12
    s.client_raw(&mut t, 0, b"AAAAAAAA"); // bytes 0..8: overlaps 4..8, starting before the held data
    s.server_ack(&mut t).close(&mut t);
    t
}

#[test]
fn overlap_policies_decide_which_bytes_win() {
    // Evasion: overlapping segments with different content; the IDS must pick the bytes the
    // target host would keep. The new segment starts before the held one and ends inside it.
    let t = overlap_trace();
    let newer = b"AAAAAAAABBBB".to_vec(); // the later segment's bytes win in the overlap
    let older = b"AAAABBBBBBBB".to_vec(); // the first-received bytes win
    for (policy, want) in [
        ("first", &older),
        ("last", &newer),
        ("bsd", &newer),     // new data wins where it starts before the held segment
        ("linux", &newer),   // ... starts at or before
        ("windows", &newer), // TCP Windows stacks, like BSD, take new data that starts before
        ("vista", &older),   // Vista keeps the first data it got
        ("solaris", &older), // new must start before and reach the held segment's end
        ("hpux11", &older),  // like Solaris
    ] {
        let r = run_with(&t, &format!("[stream]\npolicy = \"{policy}\"\n"));
        assert_eq!(
            String::from_utf8_lossy(&r.client(0)),
            String::from_utf8_lossy(want),
            "policy {policy}"
        );
    }
}

#[test]
fn sequence_numbers_wrapping_past_2_32() {
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("10.0.0.1:40004"), ep("192.0.2.80:80"))
        .isn(u32::MAX - 20, u32::MAX - 3)
        .mss(7);
    s.handshake(&mut t)
        .client(&mut t, REQUEST)
        .server(&mut t, RESPONSE)
        .close(&mut t);
    let r = run(&t);
    assert_eq!(r.client(0), REQUEST);
    assert_eq!(r.server(0), RESPONSE);
}

#[test]
fn missing_segment_becomes_an_exact_gap() {
    // A segment that never arrives while later data is acknowledged: the layer above must be
    // told exactly how much is missing, then get the rest.
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("10.0.0.1:40005"), ep("192.0.2.80:80")).mss(10);
    s.handshake(&mut t);
    let segs = s.plan_client(b"0123456789abcdefghijKLMNOPQRST");
    s.emit_order(&mut t, &segs, &[0, 2])
        .server_ack(&mut t)
        .close(&mut t);
    let r = run(&t);
    assert_eq!(
        String::from_utf8_lossy(&r.client(0)),
        "0123456789[GAP 10]KLMNOPQRST"
    );
}

#[test]
fn midstream_pickup_only_when_enabled() {
    // No handshake seen (capture started mid-connection).
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("10.0.0.1:40006"), ep("192.0.2.80:80"));
    s.client(&mut t, REQUEST)
        .server(&mut t, RESPONSE)
        .close(&mut t);
    let off = run(&t);
    assert!(
        off.seen.flow_order.is_empty(),
        "no reassembly without a handshake by default"
    );
    assert_eq!(off.flows().len(), 1, "the flow is still tracked and logged");
    let on = run_with(&t, "[stream]\nmidstream = true\n");
    assert_eq!(on.client(0), REQUEST);
    assert_eq!(on.server(0), RESPONSE);
}

#[test]
fn vlan_qinq_and_ipv6_sessions() {
    for (link, c, sv) in [
        (Link::Vlan(10), "10.0.0.1:40007", "192.0.2.80:80"),
        (
            Link::QinQ {
                outer: 100,
                inner: 20,
            },
            "10.0.0.1:40008",
            "192.0.2.80:80",
        ),
        (Link::Ethernet, "[2001:db8::1]:40009", "[2001:db8::80]:80"),
        (Link::Raw, "10.0.0.1:40010", "192.0.2.80:80"),
        (Link::LinuxSll, "10.0.0.1:40011", "192.0.2.80:80"),
        (Link::Null, "[2001:db8::1]:40012", "[2001:db8::80]:80"),
    ] {
        let mut t = Trace::new(link);
        let mut s = TcpSession::new(ep(c), ep(sv)).mss(5);
        s.handshake(&mut t)
            .client(&mut t, REQUEST)
            .server(&mut t, RESPONSE)
            .close(&mut t);
        let r = run(&t);
        assert_eq!(r.client(0), REQUEST, "{link:?}");
        assert_eq!(r.server(0), RESPONSE, "{link:?}");
        let f = r.flows();
        assert_eq!(f.len(), 1, "{link:?}");
        match link {
            Link::Vlan(v) => assert_eq!(f[0]["vlan"], serde_json::json!([v])),
            Link::QinQ { outer, inner } => {
                assert_eq!(f[0]["vlan"], serde_json::json!([outer, inner]))
            }
            _ => assert!(f[0].get("vlan").is_none()),
        }
    }
}

#[test]
fn same_tuple_on_two_vlans_is_two_flows() {
    let mut t = Trace::new(Link::Vlan(1));
    TcpSession::new(ep("10.0.0.1:40013"), ep("192.0.2.80:80"))
        .handshake(&mut t)
        .client(&mut t, b"one")
        .close(&mut t);
    let mut t2 = Trace::new(Link::Vlan(2));
    t2.at(t.now());
    TcpSession::new(ep("10.0.0.1:40013"), ep("192.0.2.80:80"))
        .handshake(&mut t2)
        .client(&mut t2, b"two")
        .close(&mut t2);
    t.extend_frames(t2.into_frames());
    let r = run(&t);
    assert_eq!(r.flows().len(), 2);
    assert_eq!(r.client(0), b"one");
    assert_eq!(r.client(1), b"two");
}

#[test]
fn udp_datagram_in_reordered_ipv4_fragments() {
    let payload: Vec<u8> = (0..200u8).collect();
    let dgram = udp_packet(ep("10.0.0.1:5000"), ep("192.0.2.53:53"), &payload);
    let frags = fragment(&dgram, 48, 0x1234).unwrap();
    assert!(frags.len() >= 4);
    let order: Vec<usize> = (0..frags.len()).rev().collect();
    let mut t = Trace::new(Link::Ethernet);
    t.push_ips(&pick(&frags, &order));
    let r = run(&t);
    assert_eq!(r.seen.udp, vec![payload]);
    let f = r.flows();
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0]["flow"]["pkts_toserver"], 1,
        "one reassembled datagram, not one per fragment"
    );
}

#[test]
fn tcp_segment_in_ipv6_fragments() {
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("[2001:db8::1]:40014"), ep("[2001:db8::80]:80"));
    s.handshake(&mut t);
    let seg = s.plan_client(REQUEST).remove(0);
    let ip = tcp_packet(
        s.client_addr(),
        s.server_addr(),
        seg.seq,
        seg.ack,
        seg.flags,
        &seg.payload,
    );
    let frags = fragment_sizes(&ip, &[16, 24, 24], 77).unwrap();
    t.push_ips(&pick(&frags, &[1, 3, 0, 2]));
    s.server_ack(&mut t).close(&mut t);
    let r = run(&t);
    assert_eq!(r.client(0), REQUEST);
}

#[test]
fn overlapping_fragments_follow_the_defrag_policy() {
    // Evasion: a second fragment rewrites part of the datagram. UDP payload of 32 bytes; a
    // fragment at offset 16 (of the IP payload = 8 header + 24 data) carries 'A's, then a rewrite
    // of the same range with 'Z's arrives before the last fragment.
    let payload = vec![b'.'; 32];
    let dgram = udp_packet(ep("10.0.0.1:5001"), ep("192.0.2.53:53"), &payload);
    let ip_payload_len = 8 + payload.len();
    let body = |fill: u8| -> Vec<u8> { vec![fill; 16] };
    // IP payload bytes 0..16: UDP header + first 8 data bytes (from the real datagram).
    let udp_bytes = &dgram[20..20 + ip_payload_len];
    let first = fragment_at(&dgram, 0, &udp_bytes[..16], true, 9).unwrap();
    let mid_a = fragment_at(&dgram, 16, &body(b'A'), true, 9).unwrap();
    let mid_z = fragment_at(&dgram, 16, &body(b'Z'), true, 9).unwrap();
    let last = fragment_at(&dgram, 32, &udp_bytes[32..], false, 9).unwrap();
    let mut t = Trace::new(Link::Ethernet);
    t.push_ips(&[first, mid_a, mid_z, last]);
    // The UDP checksum covers the original dots, so validation is off for this case.
    for (policy, fill) in [("first", b'A'), ("last", b'Z')] {
        let r = run_with(
            &t,
            &format!("[defrag]\npolicy = \"{policy}\"\n[decoder]\nchecksum_checks = \"no\"\n"),
        );
        let mut want = vec![b'.'; 8];
        want.extend(vec![fill; 16]);
        want.extend(vec![b'.'; 8]);
        assert_eq!(r.seen.udp, vec![want], "policy {policy}");
    }
}

#[test]
fn flows_are_logged_with_exact_counters() {
    let mut t = Trace::new(Link::Ethernet);
    let mut s = TcpSession::new(ep("10.0.0.1:40015"), ep("192.0.2.80:80"));
    s.handshake(&mut t)
        .client(&mut t, REQUEST)
        .server(&mut t, RESPONSE)
        .close(&mut t);
    let frames = t.frames();
    let r = run(&t);
    let f = &r.flows()[0];
    let total_pkts =
        f["flow"]["pkts_toserver"].as_u64().unwrap() + f["flow"]["pkts_toclient"].as_u64().unwrap();
    let total_bytes = f["flow"]["bytes_toserver"].as_u64().unwrap()
        + f["flow"]["bytes_toclient"].as_u64().unwrap();
    assert_eq!(total_pkts as usize, frames.len());
    assert_eq!(
        total_bytes as usize,
        frames.iter().map(|f| f.data.len()).sum::<usize>()
    );
    assert_eq!(f["src_ip"], "10.0.0.1");
    assert_eq!(f["dest_port"], 80);
}

#[test]
fn truncated_headers_become_logged_decoder_anomalies() {
    // A TCP/IPv4 frame cut inside the TCP header, and an IPv4 header claiming more bytes than
    // were captured: counted and logged as Suricata's decoder events, never a panic.
    let mut t = Trace::new(Link::Ethernet);
    let full = tcp_packet(ep("10.0.0.1:40020"), ep("192.0.2.80:80"), 1, 0, sekimori_fixtures::TcpFlags::SYN, b"");
    let mut cut = full[..30].to_vec(); // 20-byte IP header + 10 of the 20 TCP header bytes,
    cut[2..4].copy_from_slice(&30u16.to_be_bytes()); // with an IP length that agrees
    t.push_ip(&cut);
    let mut long = udp_packet(ep("10.0.0.1:5002"), ep("192.0.2.53:53"), b"abcd");
    long[2..4].copy_from_slice(&200u16.to_be_bytes()); // total length 200 > 32 captured
    t.push_ip(&long);
    let quiet = run(&t);
    assert!(quiet.eve.iter().all(|r| r["event_type"] != "anomaly"), "off by default, as Suricata ships");
    let r = run_with(&t, "[outputs]\ndecode_anomalies = true\n");
    let events: Vec<String> = r
        .eve
        .iter()
        .filter(|r| r["event_type"] == "anomaly")
        .map(|a| {
            assert_eq!(a["anomaly"]["type"], "decode");
            format!("{}:{}", a["pcap_cnt"], a["anomaly"]["event"].as_str().unwrap())
        })
        .collect();
    assert!(events.iter().any(|e| e.starts_with("1:decoder.tcp.")), "{events:?}");
    assert!(events.contains(&"2:decoder.ipv4.trunc_pkt".to_string()), "{events:?}");
    let stats = r.eve.iter().find(|r| r["event_type"] == "stats").unwrap();
    assert_eq!(stats["stats"]["decoder"]["event"]["ipv4.trunc_pkt"], 1);
}
