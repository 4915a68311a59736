//! Engine-level tests: synthetic TCP conversations driven through `StreamEngine::process`.

use sekimori_capture::Timestamp;
use sekimori_decode::{TcpInfo, TcpOptions, tcp_flags as F};
use sekimori_flow::Direction::{self, ToClient as TC, ToServer as TS};

use crate::*;

// ------------------------------------------------------------------ harness

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Data(Direction, Vec<u8>),
    Gap(Direction, u64),
    Close(Direction),
}

#[derive(Default, Debug)]
struct Rec {
    evs: Vec<Ev>,
}

impl StreamSink for Rec {
    fn on_data(&mut self, dir: Direction, data: &[u8]) {
        assert!(!data.is_empty(), "empty on_data");
        self.evs.push(Ev::Data(dir, data.to_vec()));
    }
    fn on_gap(&mut self, dir: Direction, len: u64) {
        assert!(len > 0, "empty gap");
        self.evs.push(Ev::Gap(dir, len));
    }
    fn on_close(&mut self, dir: Direction) {
        self.evs.push(Ev::Close(dir));
    }
}

impl Rec {
    /// The stream of one direction, gaps rendered as `_` per byte.
    fn stream(&self, dir: Direction) -> Vec<u8> {
        let mut v = Vec::new();
        for e in &self.evs {
            match e {
                Ev::Data(d, b) if *d == dir => v.extend_from_slice(b),
                Ev::Gap(d, n) if *d == dir => v.extend(std::iter::repeat_n(b'_', *n as usize)),
                _ => {}
            }
        }
        v
    }
    fn data_only(&self, dir: Direction) -> Vec<u8> {
        let mut v = Vec::new();
        for e in &self.evs {
            if let Ev::Data(d, b) = e
                && *d == dir
            {
                v.extend_from_slice(b);
            }
        }
        v
    }
    fn gaps(&self, dir: Direction) -> Vec<u64> {
        self.evs
            .iter()
            .filter_map(|e| match e {
                Ev::Gap(d, n) if *d == dir => Some(*n),
                _ => None,
            })
            .collect()
    }
    fn closes(&self) -> Vec<Direction> {
        self.evs
            .iter()
            .filter_map(|e| match e {
                Ev::Close(d) => Some(*d),
                _ => None,
            })
            .collect()
    }
}

fn tcp(seq: u32, ack: u32, flags: u8) -> TcpInfo {
    TcpInfo {
        sport: 40000,
        dport: 80,
        seq,
        ack,
        header_len: 20,
        flags,
        window: 65535,
        urgent: 0,
        options: TcpOptions::default(),
    }
}

const SA: u8 = F::SYN | F::ACK;
const A: u8 = F::ACK;
const PA: u8 = F::PSH | F::ACK;
const FA: u8 = F::FIN | F::ACK;
const RA: u8 = F::RST | F::ACK;

struct Conn {
    eng: StreamEngine,
    sess: TcpSession,
    rec: Rec,
    cisn: u32,
    sisn: u32,
    t: i64,
}

impl Conn {
    fn new(cfg: StreamConfig) -> Self {
        Conn {
            eng: StreamEngine::new(cfg),
            sess: TcpSession::default(),
            rec: Rec::default(),
            cisn: 1000,
            sisn: 5000,
            t: 0,
        }
    }
    fn ids() -> Self {
        Self::new(StreamConfig::default())
    }
    fn raw(&mut self, dir: Direction, t: TcpInfo, payload: &[u8]) -> SegmentOutcome {
        self.t += 1;
        self.eng.process(
            &mut self.sess,
            dir,
            Timestamp(self.t),
            &t,
            payload,
            &mut self.rec,
        )
    }
    fn send(
        &mut self,
        dir: Direction,
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &[u8],
    ) -> SegmentOutcome {
        self.raw(dir, tcp(seq, ack, flags), payload)
    }
    /// SYN, SYN/ACK, ACK with the connection's ISNs.
    fn handshake(&mut self) {
        let (c, s) = (self.cisn, self.sisn);
        let o = self.send(TS, c, 0, F::SYN, b"");
        assert!(o.new_session && !o.invalid);
        assert_eq!(self.sess.state(), TcpState::SynSent);
        let o = self.send(TC, s, c.wrapping_add(1), SA, b"");
        assert!(!o.invalid, "{o:?}");
        assert_eq!(self.sess.state(), TcpState::SynRecv);
        let o = self.send(TS, c.wrapping_add(1), s.wrapping_add(1), A, b"");
        assert!(!o.invalid, "{o:?}");
        assert_eq!(self.sess.state(), TcpState::Established);
    }
    /// Client data at relative offset `off` (acking the server's ISN+1 + `sack`).
    fn c_data(&mut self, off: u32, data: &[u8]) -> SegmentOutcome {
        let seq = self.cisn.wrapping_add(1).wrapping_add(off);
        self.send(TS, seq, self.sisn.wrapping_add(1), PA, data)
    }
    /// Server acknowledges client data up to relative offset `off`.
    fn s_ack(&mut self, off: u32) -> SegmentOutcome {
        let ack = self.cisn.wrapping_add(1).wrapping_add(off);
        self.send(TC, self.sisn.wrapping_add(1), ack, A, b"")
    }
    fn s_data(&mut self, off: u32, data: &[u8], c_acked: u32) -> SegmentOutcome {
        let seq = self.sisn.wrapping_add(1).wrapping_add(off);
        self.send(
            TC,
            seq,
            self.cisn.wrapping_add(1).wrapping_add(c_acked),
            PA,
            data,
        )
    }
    fn c_ack(&mut self, off: u32, s_acked_data: u32) -> SegmentOutcome {
        let _ = s_acked_data;
        let seq = self.cisn.wrapping_add(1).wrapping_add(off);
        self.send(
            TS,
            seq,
            self.sisn.wrapping_add(1).wrapping_add(s_acked_data),
            A,
            b"",
        )
    }
    /// Buffer invariants hold and the session's memory matches its buffers.
    fn check(&self) {
        let want = self.sess.half[0].reasm.check() + self.sess.half[1].reasm.check();
        assert_eq!(self.sess.memory(), want, "session memory accounting");
    }
    fn flush(&mut self) {
        self.eng.flush(&mut self.sess, &mut self.rec);
    }
    fn stats(&self) -> &StreamStats {
        self.eng.stats()
    }
}

/// Deterministic xorshift64* generator for permutations.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

fn message(len: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng(seed | 1);
    (0..len).map(|_| (r.next() >> 24) as u8).collect()
}

fn split(msg_len: usize, max_seg: usize, rng: &mut Rng) -> Vec<(usize, usize)> {
    let mut segs = Vec::new();
    let mut off = 0;
    while off < msg_len {
        let n = 1 + rng.below(max_seg);
        let n = n.min(msg_len - off);
        segs.push((off, n));
        off += n;
    }
    segs
}

// ------------------------------------------------------------------ basic reassembly

#[test]
fn in_order_released_on_ack() {
    let mut c = Conn::ids();
    c.handshake();
    c.c_data(0, b"hello ");
    c.c_data(6, b"world");
    assert!(c.rec.evs.is_empty(), "IDS mode must wait for the ACK");
    assert_eq!(c.sess.buffered(TS), 11);
    c.s_ack(6);
    assert_eq!(c.rec.stream(TS), b"hello ");
    c.s_ack(11);
    assert_eq!(c.rec.stream(TS), b"hello world");
    assert_eq!(c.sess.buffered(TS), 0);
    assert_eq!(c.stats().bytes_delivered, 11);
    assert_eq!(c.stats().segments, 2);
    assert_eq!(c.stats().sessions, 1);
    assert_eq!(
        c.eng.memory().used(),
        0,
        "all memory returned after release"
    );
}

#[test]
fn ack_before_data_delivers_without_buffering() {
    // The sensor sees the server's ACK before the data it acknowledges (possible with capture
    // reordering); the ACK is then beyond anything seen, the data goes straight through.
    let mut c = Conn::ids();
    c.handshake();
    c.s_ack(5);
    c.c_data(0, b"abcde");
    assert_eq!(c.rec.stream(TS), b"abcde");
    assert_eq!(c.eng.memory().used(), 0);
}

#[test]
fn both_directions() {
    let mut c = Conn::ids();
    c.handshake();
    c.c_data(0, b"GET / HTTP/1.0\r\n\r\n");
    c.s_data(0, b"HTTP/1.0 200 OK\r\n", 18);
    assert_eq!(
        c.rec.stream(TS),
        b"GET / HTTP/1.0\r\n\r\n",
        "server data packet acks the request"
    );
    assert!(c.rec.stream(TC).is_empty());
    c.c_ack(18, 17);
    assert_eq!(c.rec.stream(TC), b"HTTP/1.0 200 OK\r\n");
    assert_eq!(c.sess.tcp_flags(TS), F::SYN | F::ACK | F::PSH);
    assert_eq!(c.sess.tcp_flags(TC), F::SYN | F::ACK | F::PSH);
    assert_eq!(c.sess.state_name(), "established");
}

#[test]
fn reversed_order() {
    let mut c = Conn::ids();
    c.handshake();
    let msg = message(5000, 7);
    let segs: Vec<_> = (0..msg.len()).step_by(100).collect();
    for &off in segs.iter().rev() {
        let end = (off + 100).min(msg.len());
        c.c_data(off as u32, &msg[off..end]);
    }
    assert!(c.rec.evs.is_empty());
    c.s_ack(msg.len() as u32);
    assert_eq!(c.rec.stream(TS), msg);
    assert!(c.rec.gaps(TS).is_empty());
}

#[test]
fn random_permutations() {
    for seed in 1..20u64 {
        let mut rng = Rng(seed * 7919);
        let msg = message(3000 + seed as usize * 13, seed);
        let mut segs = split(msg.len(), 300, &mut rng);
        rng.shuffle(&mut segs);
        let mut c = Conn::ids();
        c.handshake();
        for (off, n) in &segs {
            c.c_data(*off as u32, &msg[*off..off + n]);
        }
        c.s_ack(msg.len() as u32);
        assert_eq!(c.rec.stream(TS), msg, "seed {seed}");
        assert_eq!(c.stats().overlaps, 0);
    }
}

#[test]
fn retransmission_same_bytes() {
    let mut c = Conn::ids();
    c.handshake();
    c.c_data(0, b"abcdef");
    let o = c.c_data(0, b"abcdef");
    assert!(o.retransmission);
    assert!(o.events.contains(StreamEvent::PktRetransmission));
    assert!(
        !o.events
            .contains(StreamEvent::ReassemblyOverlapDifferentData)
    );
    c.c_data(3, b"defghi");
    c.s_ack(9);
    assert_eq!(c.rec.stream(TS), b"abcdefghi");
    assert_eq!(c.stats().retransmissions, 1);
    assert_eq!(c.stats().overlaps, 2);
    assert_eq!(c.stats().overlaps_different_data, 0);
}

#[test]
fn retransmission_different_bytes_policy_applied() {
    // bsd: a same-start same-end overlap keeps the original.
    let mut c = Conn::ids();
    c.handshake();
    c.c_data(0, b"GOOD");
    let o = c.c_data(0, b"EVIL");
    assert!(
        o.events
            .contains(StreamEvent::ReassemblyOverlapDifferentData)
    );
    assert!(!o.invalid);
    c.s_ack(4);
    assert_eq!(c.rec.stream(TS), b"GOOD");
    assert_eq!(c.stats().overlaps_different_data, 1);
    assert_eq!(
        c.stats()
            .event_count(StreamEvent::ReassemblyOverlapDifferentData),
        1
    );

    // last: the retransmission wins.
    let mut c = Conn::new(StreamConfig {
        policy: OverlapPolicy::Last,
        ..StreamConfig::default()
    });
    c.handshake();
    c.c_data(0, b"GOOD");
    c.c_data(0, b"EVIL");
    c.s_ack(4);
    assert_eq!(c.rec.stream(TS), b"EVIL");
}

#[test]
fn acked_data_retransmitted_is_rejected() {
    let mut c = Conn::ids();
    c.handshake();
    c.c_data(0, b"abcd");
    c.s_ack(4);
    // ends before the acknowledged point: rejected by the state machine
    let o = c.c_data(0, b"XXX");
    assert!(o.invalid);
    assert!(o.events.contains(StreamEvent::EstPktBeforeLastAck));
    assert!(o.retransmission);
    // ends exactly at it: accepted by the state machine, dropped by reassembly
    let o = c.c_data(0, b"XXXX");
    assert!(!o.invalid);
    assert!(
        o.events
            .contains(StreamEvent::ReassemblySegmentBeforeBaseSeq)
    );
    assert!(o.retransmission);
    c.c_data(4, b"ef");
    c.s_ack(6);
    assert_eq!(c.rec.stream(TS), b"abcdef");
}

// ------------------------------------------------------------------ overlap policies

/// The standard pattern: nine original segments, each then overlapped by a new segment that
/// starts before / at / after it and ends before / at / after it. Per decade of ten bytes:
/// original (uppercase) at 2..6, new (lowercase) as listed.
fn overlap_pattern(cfg: StreamConfig) -> (Vec<u8>, u64) {
    let mut c = Conn::new(cfg);
    c.handshake();
    let old: Vec<(u32, Vec<u8>)> = (0..9u32)
        .map(|k| (10 * k + 2, vec![b'A' + k as u8; 4]))
        .collect();
    let new_ranges: [(u32, u32); 9] = [
        (0, 4),
        (0, 6),
        (0, 8),
        (2, 4),
        (2, 6),
        (2, 8),
        (3, 5),
        (4, 6),
        (4, 8),
    ];
    for (off, d) in &old {
        c.c_data(*off, d);
    }
    for (k, (s, e)) in new_ranges.iter().enumerate() {
        let data = vec![b'a' + k as u8; (e - s) as usize];
        c.c_data(10 * k as u32 + s, &data);
    }
    c.s_ack(88);
    (c.rec.stream(TS), c.stats().overlaps_different_data)
}

#[test]
fn overlap_policy_table() {
    let d = |parts: [&str; 9]| parts.concat().into_bytes();
    let first = d([
        "aaAAAA____",
        "bbBBBB____",
        "ccCCCCcc__",
        "__DDDD____",
        "__EEEE____",
        "__FFFFff__",
        "__GGGG____",
        "__HHHH____",
        "__IIIIii",
    ]);
    let last = d([
        "aaaaAA____",
        "bbbbbb____",
        "cccccccc__",
        "__ddDD____",
        "__eeee____",
        "__ffffff__",
        "__GggG____",
        "__HHhh____",
        "__IIiiii",
    ]);
    let bsd = d([
        "aaaaAA____",
        "bbbbbb____",
        "cccccccc__",
        "__DDDD____",
        "__EEEE____",
        "__FFFFff__",
        "__GGGG____",
        "__HHHH____",
        "__IIIIii",
    ]);
    let linux = d([
        "aaaaAA____",
        "bbbbbb____",
        "cccccccc__",
        "__DDDD____",
        "__EEEE____",
        "__ffffff__",
        "__GGGG____",
        "__HHHH____",
        "__IIIIii",
    ]);
    let old_linux = d([
        "aaaaAA____",
        "bbbbbb____",
        "cccccccc__",
        "__DDDD____",
        "__eeee____",
        "__ffffff__",
        "__GGGG____",
        "__HHHH____",
        "__IIIIii",
    ]);
    let solaris = d([
        "aaAAAA____",
        "bbbbbb____",
        "cccccccc__",
        "__DDDD____",
        "__eeee____",
        "__ffffff__",
        "__GGGG____",
        "__HHHH____",
        "__IIiiii",
    ]);
    let table: [(&str, &Vec<u8>); 15] = [
        ("first", &first),
        ("last", &last),
        ("bsd", &bsd),
        ("bsd-right", &bsd),
        ("old-linux", &old_linux),
        ("linux", &linux),
        ("old-solaris", &solaris),
        ("solaris", &solaris),
        ("hpux10", &bsd),
        ("hpux11", &solaris),
        ("irix", &bsd),
        ("macos", &bsd),
        ("vista", &first),
        ("windows", &bsd),
        ("windows2k3", &bsd),
    ];
    for (name, expect) in table {
        let policy: OverlapPolicy = name.parse().unwrap();
        let (got, diffs) = overlap_pattern(StreamConfig {
            policy,
            ..StreamConfig::default()
        });
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(expect),
            "policy {name}"
        );
        assert_eq!(
            diffs, 9,
            "policy {name}: every overlap carried different data"
        );
    }
}

#[test]
fn inline_mode_keeps_accepted_data_on_overlap() {
    // Inline: already accepted data wins whatever the configured policy (Suricata rewrites the
    // packet to match), and data is released without waiting for ACKs.
    let (got, _) = overlap_pattern(StreamConfig {
        policy: OverlapPolicy::Last,
        inline: true,
        ..StreamConfig::default()
    });
    let expect = [
        "aaAAAA____",
        "bbBBBB____",
        "ccCCCCcc__",
        "__DDDD____",
        "__EEEE____",
        "__FFFFff__",
        "__GGGG____",
        "__HHHH____",
        "__IIIIii",
    ]
    .concat();
    assert_eq!(String::from_utf8_lossy(&got), expect);
}

#[test]
fn overlap_spanning_several_segments() {
    // A new segment covering two held segments and the hole between them (bsd: starts before
    // the second, so wins there; starts after the first, so loses there).
    let mut c = Conn::ids();
    c.handshake();
    c.c_data(2, b"AAAA"); // 2..6
    c.c_data(8, b"BBBB"); // 8..12
    c.c_data(4, b"xxxxxxxxxx"); // 4..14
    c.c_data(0, b"01"); // 0..2
    c.s_ack(14);
    assert_eq!(c.rec.stream(TS), b"01AAAAxxxxxxxx");
}

// ------------------------------------------------------------------ sequence wrap

#[test]
fn seq_wraps_around() {
    let mut c = Conn::ids();
    c.cisn = u32::MAX - 500;
    c.sisn = u32::MAX - 10;
    c.handshake();
    let msg = message(2000, 3);
    let mut rng = Rng(99);
    let mut segs = split(msg.len(), 250, &mut rng);
    rng.shuffle(&mut segs);
    for (off, n) in &segs {
        c.c_data(*off as u32, &msg[*off..off + n]);
    }
    c.s_ack(1000);
    assert_eq!(c.rec.stream(TS), &msg[..1000]);
    c.s_ack(2000);
    assert_eq!(c.rec.stream(TS), msg);
    // the server's data wraps immediately
    c.s_data(0, b"0123456789abcdefghij", 2000);
    c.c_ack(2000, 20);
    assert_eq!(c.rec.stream(TC), b"0123456789abcdefghij");
    assert!(
        c.sess.next_seq(TC) < 100,
        "server sequence wrapped: {}",
        c.sess.next_seq(TC)
    );
}

// ------------------------------------------------------------------ midstream

#[test]
fn midstream_off_ignores_flow() {
    let mut c = Conn::ids();
    let o = c.send(TS, 100, 900, PA, b"hello");
    assert!(o.no_session);
    assert!(!o.invalid);
    let o = c.send(TC, 900, 105, A, b"");
    assert!(o.no_session);
    c.flush();
    assert!(c.rec.evs.is_empty());
    assert_eq!(c.sess.state(), TcpState::None);
    assert_eq!(c.sess.tcp_flags_all(), 0);
    assert_eq!(c.stats().no_session, 2);
}

#[test]
fn midstream_on_picks_up() {
    let mut c = Conn::new(StreamConfig {
        midstream: true,
        ..StreamConfig::default()
    });
    let o = c.send(TS, 100, 900, PA, b"hello");
    assert!(o.new_session && !o.no_session && !o.invalid, "{o:?}");
    assert!(c.sess.is_midstream());
    assert_eq!(c.sess.state(), TcpState::Established);
    c.send(TC, 900, 105, PA, b"world");
    assert_eq!(c.rec.stream(TS), b"hello");
    c.send(TS, 105, 905, A, b"");
    assert_eq!(c.rec.stream(TC), b"world");
    assert_eq!(c.stats().midstream_pickups, 1);
}

#[test]
fn midstream_synack_pickup_reverses_roles() {
    // The flow's first packet is the server's SYN/ACK (flow direction to_server).
    let mut c = Conn::new(StreamConfig {
        midstream: true,
        ..StreamConfig::default()
    });
    let o = c.send(TS, 7000, 3001, SA, b"");
    assert!(o.new_session);
    assert!(c.sess.is_reversed());
    assert_eq!(o.role, Some(TC));
    assert_eq!(c.sess.state(), TcpState::SynRecv);
    // client ACK (flow direction to_client) completes it; client data, server ack
    let o = c.send(TC, 3001, 7001, PA, b"req");
    assert!(!o.invalid, "{o:?}");
    assert_eq!(c.sess.state(), TcpState::Established);
    c.send(TS, 7001, 3004, PA, b"resp");
    assert_eq!(
        c.rec.stream(TS),
        b"req",
        "client data reported as to_server"
    );
    c.send(TC, 3004, 7005, A, b"");
    assert_eq!(c.rec.stream(TC), b"resp");
}

// ------------------------------------------------------------------ handshake variants

#[test]
fn syn_retransmission() {
    let mut c = Conn::ids();
    c.send(TS, 1000, 0, F::SYN, b"");
    let o = c.send(TS, 1000, 0, F::SYN, b"");
    assert!(o.retransmission && !o.invalid && !o.reuse);
    c.send(TC, 5000, 1001, SA, b"");
    c.send(TS, 1001, 5001, A, b"");
    assert_eq!(c.sess.state(), TcpState::Established);
}

#[test]
fn syn_resent_with_new_isn_and_synack_for_old() {
    let mut c = Conn::ids();
    c.send(TS, 1000, 0, F::SYN, b"");
    c.send(TS, 2000, 0, F::SYN, b"");
    assert_eq!(c.sess.isn(TS), 2000);
    // The server answers the first SYN.
    let o = c.send(TC, 5000, 1001, SA, b"");
    assert!(!o.invalid, "{o:?}");
    assert_eq!(c.sess.isn(TS), 1000);
    c.send(TS, 1001, 5001, A, b"");
    c.send(TS, 1001, 5001, PA, b"x");
    c.send(TC, 5001, 1002, A, b"");
    assert_eq!(c.rec.stream(TS), b"x");
}

#[test]
fn synack_with_wrong_ack() {
    let mut c = Conn::ids();
    c.send(TS, 1000, 0, F::SYN, b"");
    let o = c.send(TC, 5000, 4242, SA, b"");
    assert!(o.invalid);
    assert!(o.events.contains(StreamEvent::ThreeWhsSynackWithWrongAck));
    assert_eq!(c.sess.state(), TcpState::SynSent);
    assert_eq!(
        c.stats()
            .event_count(StreamEvent::ThreeWhsSynackWithWrongAck),
        1
    );
    // the genuine SYN/ACK still works
    let o = c.send(TC, 5000, 1001, SA, b"");
    assert!(!o.invalid);
    assert_eq!(c.sess.state(), TcpState::SynRecv);
}

#[test]
fn synack_from_client_and_bad_3whs_ack() {
    let mut c = Conn::ids();
    c.send(TS, 1000, 0, F::SYN, b"");
    let o = c.send(TS, 1000, 1, SA, b"");
    assert!(
        o.events
            .contains(StreamEvent::ThreeWhsSynackInWrongDirection)
    );
    c.send(TC, 5000, 1001, SA, b"");
    // right seq, wrong ack: evasion attempt
    let o = c.send(TS, 1001, 9999, A, b"");
    assert!(o.invalid);
    assert!(
        o.events
            .contains(StreamEvent::ThreeWhsRightSeqWrongAckEvasion)
    );
    // wrong everything
    let o = c.send(TS, 77, 9999, A, b"");
    assert!(o.events.contains(StreamEvent::ThreeWhsWrongSeqWrongAck));
    assert_eq!(c.sess.state(), TcpState::SynRecv);
    // data with the bad ACK was not reassembled
    let o = c.send(TS, 1001, 9999, PA, b"evil");
    assert!(o.invalid);
    c.send(TS, 1001, 5001, A, b"");
    c.send(TS, 1001, 5001, PA, b"good");
    c.send(TC, 5001, 1005, A, b"");
    assert_eq!(c.rec.stream(TS), b"good");
}

#[test]
fn split_handshake_4whs() {
    let mut c = Conn::ids();
    c.send(TS, 1000, 0, F::SYN, b"");
    c.send(TC, 5000, 0, F::SYN, b""); // server SYN instead of SYN/ACK
    let o = c.send(TS, 1000, 5001, SA, b""); // client SYN/ACK
    assert!(!o.invalid, "{o:?}");
    assert_eq!(c.sess.state(), TcpState::SynRecv);
    let o = c.send(TC, 5001, 1001, A, b""); // server ACK
    assert!(!o.invalid, "{o:?}");
    assert_eq!(c.sess.state(), TcpState::Established);
    c.send(TS, 1001, 5001, PA, b"data");
    c.send(TC, 5001, 1005, A, b"");
    assert_eq!(c.rec.stream(TS), b"data");
}

#[test]
fn missed_3whs_ack_server_data_accepted() {
    let mut c = Conn::ids();
    c.send(TS, 1000, 0, F::SYN, b"");
    c.send(TC, 5000, 1001, SA, b"");
    // the client's ACK was not captured; the server sends a banner
    let o = c.send(TC, 5001, 1001, PA, b"220 ready\r\n");
    assert!(!o.invalid, "{o:?}");
    assert_eq!(c.sess.state(), TcpState::Established);
    c.send(TS, 1001, 5012, A, b"");
    assert_eq!(c.rec.stream(TC), b"220 ready\r\n");
}

#[test]
fn async_oneside() {
    let cfg = StreamConfig {
        async_oneside: true,
        ..StreamConfig::default()
    };
    let mut c = Conn::new(cfg);
    c.send(TS, 1000, 0, F::SYN, b"");
    let o = c.send(TS, 1001, 5001, A, b"");
    assert!(!o.invalid, "{o:?}");
    assert!(c.sess.is_async());
    assert_eq!(c.sess.state(), TcpState::Established);
    c.send(TS, 1001, 5001, PA, b"one-");
    c.send(TS, 1005, 5001, PA, b"sided");
    assert_eq!(
        c.rec.stream(TS),
        b"one-sided",
        "no ACKs visible: data released as sent"
    );
    let o = {
        let mut c2 = Conn::new(StreamConfig {
            async_oneside: true,
            ..StreamConfig::default()
        });
        c2.send(TS, 1000, 0, F::SYN, b"");
        c2.send(TS, 1234, 5001, A, b"")
    };
    assert!(o.events.contains(StreamEvent::ThreeWhsAsyncWrongSeq));
}

#[test]
fn window_scale_negotiated() {
    let mut c = Conn::ids();
    let mut syn = tcp(1000, 0, F::SYN);
    syn.options.wscale = Some(7);
    c.raw(TS, syn, b"");
    let mut synack = tcp(5000, 1001, SA);
    synack.options.wscale = Some(9);
    synack.window = 1000;
    c.raw(TC, synack, b"");
    let mut ack = tcp(1001, 5001, A);
    ack.window = 100;
    c.raw(TS, ack, b"");
    assert_eq!(c.sess.wscale(TS), 7);
    assert_eq!(c.sess.wscale(TC), 9);
    assert_eq!(c.sess.window(TS), 100 << 7);
    // only one side offers scaling: none is used
    let mut c = Conn::ids();
    let mut syn = tcp(1000, 0, F::SYN);
    syn.options.wscale = Some(7);
    c.raw(TS, syn, b"");
    c.send(TC, 5000, 1001, SA, b"");
    c.send(TS, 1001, 5001, A, b"");
    assert_eq!(c.sess.wscale(TS), 0);
    assert_eq!(c.sess.wscale(TC), 0);
}

#[test]
fn out_of_window_and_invalid_ack() {
    let mut c = Conn::ids();
    let mut syn = tcp(1000, 0, F::SYN);
    syn.window = 2000;
    c.raw(TS, syn, b"");
    let mut synack = tcp(5000, 1001, SA);
    synack.window = 100; // server accepts 100 bytes
    c.raw(TC, synack, b"");
    c.send(TS, 1001, 5001, A, b"");
    let o = c.send(TS, 1001 + 90, 5001, PA, &[b'x'; 20]);
    assert!(o.invalid);
    assert!(o.events.contains(StreamEvent::EstPacketOutOfWindow));
    // the server acknowledges data the client cannot have sent
    let o = c.send(TC, 5001, 1001 + 5000, A, b"");
    assert!(o.invalid);
    assert!(o.events.contains(StreamEvent::PktInvalidAck));
    assert!(o.events.contains(StreamEvent::EstInvalidAck));
    assert_eq!(c.sess.last_ack(TS), 1001);
}

#[test]
fn data_without_ack_flag_ignored() {
    let mut c = Conn::ids();
    c.handshake();
    c.send(TS, 1001, 0, F::PSH, b"sneaky");
    c.c_data(0, b"real");
    c.s_ack(4);
    assert_eq!(c.rec.stream(TS), b"real");
}

#[test]
fn keepalive_skipped() {
    let mut c = Conn::ids();
    c.handshake();
    c.c_data(0, b"abc");
    c.s_ack(3);
    let o = c.c_data(2, b"z"); // one garbage byte at next_seq - 1
    assert!(!o.invalid);
    assert_eq!(c.stats().keepalives, 1);
    c.c_data(3, b"d");
    c.s_ack(4);
    assert_eq!(c.rec.stream(TS), b"abcd");
}

// ------------------------------------------------------------------ closing

#[test]
fn client_closes_first() {
    let mut c = Conn::ids();
    c.handshake();
    c.c_data(0, b"bye");
    let o = c.send(TS, 1004, 5001, FA, b"");
    assert!(!o.invalid, "{o:?}");
    assert_eq!(c.sess.state(), TcpState::CloseWait);
    assert_eq!(
        c.rec.stream(TS),
        b"bye",
        "FIN releases the direction's data"
    );
    assert_eq!(c.rec.closes(), vec![TS]);
    c.send(TC, 5001, 1005, A, b"");
    assert_eq!(c.sess.state(), TcpState::CloseWait);
    c.send(TC, 5001, 1005, FA, b"");
    assert_eq!(c.sess.state(), TcpState::LastAck);
    assert_eq!(c.rec.closes(), vec![TS, TC]);
    c.send(TS, 1005, 5002, A, b"");
    assert_eq!(c.sess.state(), TcpState::Closed);
    assert_eq!(c.sess.state_name(), "closed");
    assert!(!c.sess.closed_by_rst());
    assert_eq!(c.sess.tcp_flags_all(), 0x1b);
    c.flush();
    assert_eq!(c.rec.closes(), vec![TS, TC], "no second on_close");
}

#[test]
fn server_closes_first() {
    let mut c = Conn::ids();
    c.handshake();
    c.s_data(0, b"data", 0);
    c.send(TC, 5005, 1001, FA, b"");
    assert_eq!(c.sess.state(), TcpState::FinWait1);
    c.send(TS, 1001, 5006, A, b"");
    assert_eq!(c.sess.state(), TcpState::FinWait2);
    assert_eq!(c.rec.stream(TC), b"data");
    c.send(TS, 1001, 5006, FA, b"");
    assert_eq!(c.sess.state(), TcpState::TimeWait);
    c.send(TC, 5006, 1002, A, b"");
    assert_eq!(c.sess.state(), TcpState::Closed);
}

#[test]
fn simultaneous_close() {
    let mut c = Conn::ids();
    c.handshake();
    c.send(TC, 5001, 1001, FA, b"");
    assert_eq!(c.sess.state(), TcpState::FinWait1);
    c.send(TS, 1001, 5001, F::FIN, b""); // client FIN not acking the server's FIN
    assert_eq!(c.sess.state(), TcpState::Closing);
    c.send(TS, 1002, 5002, A, b"");
    assert_eq!(c.sess.state(), TcpState::TimeWait);
    c.send(TC, 5002, 1002, A, b"");
    assert_eq!(c.sess.state(), TcpState::Closed);
}

#[test]
fn fin_with_data_and_data_after_fin() {
    let mut c = Conn::ids();
    c.handshake();
    c.send(TS, 1001, 5001, FA | F::PSH, b"last words");
    assert_eq!(c.rec.stream(TS), b"last words");
    assert_eq!(c.sess.state(), TcpState::CloseWait);
    let o = c.send(TS, 1011, 5001, PA, b"more");
    assert!(o.invalid, "data beyond the sender's FIN is invalid: {o:?}");
    c.flush();
    assert_eq!(c.rec.stream(TS), b"last words");
}

#[test]
fn fin_before_missing_data_waits() {
    let mut c = Conn::ids();
    c.handshake();
    c.c_data(0, b"ab");
    c.send(TS, 1001 + 4, 5001, FA, b"ef"); // "cd" missing
    assert_eq!(c.rec.stream(TS), b"ab");
    assert!(c.rec.closes().is_empty());
    c.c_data(2, b"cd");
    assert_eq!(c.rec.stream(TS), b"abcdef");
    assert_eq!(c.rec.closes(), vec![TS]);
}

// ------------------------------------------------------------------ RST

#[test]
fn rst_closes_and_releases() {
    let mut c = Conn::ids();
    c.handshake();
    c.c_data(0, b"unacked");
    let o = c.send(TS, 1008, 5001, RA, b"");
    assert!(!o.invalid, "{o:?}");
    assert_eq!(c.sess.state(), TcpState::Closed);
    assert!(c.sess.closed_by_rst());
    assert_eq!(c.rec.stream(TS), b"unacked");
    assert_eq!(c.stats().rst_closed, 1);
    c.flush();
    assert_eq!(c.rec.closes(), vec![TS, TC]);
}

#[test]
fn rst_with_wrong_seq_ignored() {
    let mut c = Conn::ids();
    c.handshake();
    c.c_data(0, b"abc");
    let o = c.send(TC, 5001 + 1000, 1004, RA, b""); // bsd: must be exactly next_seq
    assert!(o.invalid);
    assert_eq!(c.sess.state(), TcpState::Established);
    let o = c.send(TC, 5001, 1001 + 100_000, RA, b"");
    assert!(o.events.contains(StreamEvent::RstInvalidAck));
    assert_eq!(c.sess.state(), TcpState::Established);
    c.s_ack(3);
    assert_eq!(c.rec.stream(TS), b"abc");
}

#[test]
fn rst_policy_linux_accepts_in_window() {
    let mut c = Conn::new(StreamConfig {
        policy: OverlapPolicy::Linux,
        ..StreamConfig::default()
    });
    c.handshake();
    let o = c.send(TC, 5001 + 10, 1001, F::RST, b"");
    assert!(!o.invalid, "{o:?}");
    assert_eq!(c.sess.state(), TcpState::Closed);
}

#[test]
fn rst_in_syn_sent() {
    let mut c = Conn::ids();
    c.send(TS, 1000, 0, F::SYN, b"");
    let o = c.send(TC, 0, 77, RA, b"");
    assert!(o.invalid);
    assert_eq!(c.sess.state(), TcpState::SynSent);
    let o = c.send(TC, 0, 1001, RA, b"");
    assert!(!o.invalid);
    assert_eq!(c.sess.state(), TcpState::Closed);
}

#[test]
fn suspected_rst_injection_resumes_session() {
    let mut c = Conn::ids();
    c.handshake();
    c.c_data(0, b"GET /");
    // a forged RST "from the client" with the right sequence number
    c.send(TS, 1006, 5001, RA, b"");
    assert_eq!(c.sess.state(), TcpState::Closed);
    // the client keeps talking: the RST was not its own
    let o = c.c_data(5, b"evil");
    assert!(o.events.contains(StreamEvent::SuspectedRstInject), "{o:?}");
    assert_eq!(c.sess.state(), TcpState::Established);
    c.s_ack(9);
    assert_eq!(c.rec.stream(TS), b"GET /evil");
}

#[test]
fn no_session_rst_and_fin() {
    let mut c = Conn::ids();
    let o = c.send(TS, 1, 1, RA, b"");
    assert!(o.events.contains(StreamEvent::RstButNoSession));
    let o = c.send(TS, 1, 1, FA, b"");
    assert!(o.events.contains(StreamEvent::FinButNoSession));
    assert!(!c.sess.has_session());
}

// ------------------------------------------------------------------ gaps, memcap, depth

#[test]
fn gap_when_acked_data_never_seen() {
    let mut c = Conn::ids();
    c.handshake();
    let a = vec![b'a'; 100];
    let cc = vec![b'c'; 100];
    c.c_data(0, &a);
    c.c_data(200, &cc); // 100..200 lost before the sensor
    c.s_ack(100);
    assert_eq!(c.rec.data_only(TS), a);
    c.s_ack(300);
    assert_eq!(c.rec.gaps(TS), vec![100]);
    let mut expect = a.clone();
    expect.extend(std::iter::repeat_n(b'_', 100));
    expect.extend_from_slice(&cc);
    assert_eq!(c.rec.stream(TS), expect);
    assert!(c.sess.had_gap(TS));
    assert!(!c.sess.had_gap(TC));
    assert_eq!(c.stats().gaps, 1);
    assert_eq!(c.stats().gap_bytes, 100);
    // late arrival of the lost segment is dropped (already skipped)
    let o = c.c_data(100, &[b'b'; 100]);
    assert!(
        o.invalid
            || o.events
                .contains(StreamEvent::ReassemblySegmentBeforeBaseSeq)
    );
    assert_eq!(c.rec.stream(TS).len(), 300);
}

#[test]
fn no_gap_while_hole_is_unacked() {
    let mut c = Conn::ids();
    c.handshake();
    c.c_data(0, b"ab");
    c.c_data(4, b"ef");
    c.s_ack(2);
    assert_eq!(c.rec.stream(TS), b"ab");
    assert!(c.rec.gaps(TS).is_empty());
    c.c_data(2, b"cd");
    c.s_ack(6);
    assert_eq!(c.rec.stream(TS), b"abcdef");
}

#[test]
fn memcap_exhaustion_then_gap() {
    let cfg = StreamConfig {
        memcap_bytes: 3000,
        ..StreamConfig::default()
    };
    let mut c = Conn::new(cfg);
    c.handshake();
    let msg = message(6000, 11);
    for off in (0..6000).step_by(1000) {
        c.c_data(off as u32, &msg[off..off + 1000]);
    }
    assert!(c.stats().memcap_drops > 0);
    assert!(c.eng.memory().used() <= 3000);
    c.s_ack(6000);
    let got = c.rec.stream(TS);
    assert_eq!(got.len(), 6000);
    let stored = c.rec.data_only(TS);
    assert!(!stored.is_empty());
    assert_eq!(
        &got[..stored.len()],
        &stored[..],
        "data first, then the dropped part as a gap"
    );
    assert_eq!(&got[..stored.len()], &msg[..stored.len()]);
    assert_eq!(
        c.rec.gaps(TS).iter().sum::<u64>() as usize,
        6000 - stored.len()
    );
    assert!(c.stats().event_count(StreamEvent::ReassemblyInsertMemcap) > 0);
    assert_eq!(c.eng.memory().used(), 0);
}

#[test]
fn memcap_evicts_far_ahead_junk_not_next_data() {
    let cfg = StreamConfig {
        memcap_bytes: 2000,
        ..StreamConfig::default()
    };
    let mut c = Conn::new(cfg);
    c.handshake();
    // attacker fills the budget with data far ahead
    c.c_data(10_000, &[b'J'; 1960]);
    // the real next bytes still get in
    let o = c.c_data(0, b"attack payload");
    assert!(
        !o.events.contains(StreamEvent::ReassemblyInsertMemcap),
        "{o:?}"
    );
    c.s_ack(14);
    assert_eq!(c.rec.stream(TS), b"attack payload");
    assert_eq!(c.stats().evicted_bytes, 1960);
}

#[test]
fn depth_limits_reassembly() {
    let cfg = StreamConfig {
        depth: 100,
        ..StreamConfig::default()
    };
    let mut c = Conn::new(cfg);
    c.handshake();
    let msg = message(250, 5);
    let o = c.c_data(0, &msg[..60]);
    assert!(!o.events.contains(StreamEvent::ReassemblyDepthReached));
    let o = c.c_data(60, &msg[60..120]);
    assert!(o.events.contains(StreamEvent::ReassemblyDepthReached));
    let o = c.c_data(120, &msg[120..250]);
    assert!(
        !o.events.contains(StreamEvent::ReassemblyDepthReached),
        "event only once"
    );
    c.s_ack(250);
    assert_eq!(c.rec.stream(TS), &msg[..100]);
    assert!(c.sess.depth_reached(TS));
    assert!(!c.sess.depth_reached(TC));
    assert_eq!(c.stats().depth_reached, 1);
    assert_eq!(
        c.stats().event_count(StreamEvent::ReassemblyDepthReached),
        1
    );
    c.flush();
    assert_eq!(c.rec.stream(TS), &msg[..100], "no gap beyond depth");
}

#[test]
fn flush_delivers_buffered_with_gaps() {
    let mut c = Conn::ids();
    c.handshake();
    c.c_data(0, b"abc");
    c.c_data(6, b"ghi");
    c.s_data(0, b"srv", 0);
    assert!(c.rec.stream(TS).is_empty());
    c.flush();
    assert_eq!(c.rec.stream(TS), b"abc___ghi");
    assert_eq!(c.rec.gaps(TS), vec![3]);
    assert!(
        !c.sess.had_gap(TS),
        "an unacknowledged hole is not a Suricata gap"
    );
    assert_eq!(c.stats().gaps, 1);
    assert_eq!(c.rec.stream(TC), b"srv");
    assert_eq!(c.rec.closes(), vec![TS, TC]);
    assert_eq!(c.eng.memory().used(), 0);
    // packets after the flush are ignored
    c.c_data(9, b"late");
    assert_eq!(c.rec.stream(TS), b"abc___ghi");
}

#[test]
fn dropping_session_returns_memory() {
    let mut eng = StreamEngine::new(StreamConfig::default());
    let mem = eng.memory().clone();
    {
        let mut sess = TcpSession::default();
        let mut rec = Rec::default();
        eng.process(
            &mut sess,
            TS,
            Timestamp(1),
            &tcp(1, 0, F::SYN),
            b"",
            &mut rec,
        );
        eng.process(&mut sess, TC, Timestamp(2), &tcp(9, 2, SA), b"", &mut rec);
        eng.process(&mut sess, TS, Timestamp(3), &tcp(2, 10, A), b"", &mut rec);
        eng.process(
            &mut sess,
            TS,
            Timestamp(4),
            &tcp(2, 10, PA),
            &[1; 500],
            &mut rec,
        );
        assert!(mem.used() >= 500);
        assert_eq!(sess.memory(), mem.used());
    }
    assert_eq!(mem.used(), 0);
}

#[test]
fn shared_memory_between_engines() {
    let mem = std::sync::Arc::new(StreamMemory::new(1000));
    let mut e1 = StreamEngine::with_memory(StreamConfig::default(), mem.clone());
    let mut e2 = StreamEngine::with_memory(StreamConfig::default(), mem.clone());
    let mut s1 = TcpSession::default();
    let mut s2 = TcpSession::default();
    let mut r = Rec::default();
    for (e, s) in [(&mut e1, &mut s1), (&mut e2, &mut s2)] {
        e.process(s, TS, Timestamp(1), &tcp(1, 0, F::SYN), b"", &mut r);
        e.process(s, TC, Timestamp(2), &tcp(9, 2, SA), b"", &mut r);
        e.process(s, TS, Timestamp(3), &tcp(2, 10, A), b"", &mut r);
    }
    e1.process(
        &mut s1,
        TS,
        Timestamp(4),
        &tcp(2, 10, PA),
        &[1; 700],
        &mut r,
    );
    let o = e2.process(
        &mut s2,
        TS,
        Timestamp(4),
        &tcp(2, 10, PA),
        &[1; 700],
        &mut r,
    );
    assert!(o.events.contains(StreamEvent::ReassemblyInsertMemcap));
    e1.release(&mut s1);
    assert_eq!(mem.used(), 0);
}

// ------------------------------------------------------------------ session reuse

#[test]
fn session_reuse_after_close() {
    let mut c = Conn::ids();
    c.handshake();
    c.send(TS, 1001, 5001, FA, b"");
    c.send(TC, 5001, 1002, FA, b"");
    c.send(TS, 1002, 5002, A, b"");
    assert_eq!(c.sess.state(), TcpState::Closed);
    let syn = tcp(90_000, 0, F::SYN);
    assert!(c.eng.is_session_reuse(&c.sess, TS, &syn));
    let o = c.raw(TS, syn, b"");
    assert!(o.reuse);
    assert_eq!(c.stats().reuse, 1);
    // same ISN again is a retransmission, not reuse
    let syn_old = tcp(1000, 0, F::SYN);
    assert!(!c.eng.is_session_reuse(&c.sess, TS, &syn_old));
}

#[test]
fn no_reuse_while_established() {
    let mut c = Conn::ids();
    c.handshake();
    let o = c.send(TS, 77, 0, F::SYN, b"");
    assert!(!o.reuse);
    assert!(o.invalid);
    assert!(o.events.contains(StreamEvent::EstSynResendDiffSeq));
}

// ------------------------------------------------------------------ inline

#[test]
fn inline_releases_without_ack() {
    let mut c = Conn::new(StreamConfig {
        inline: true,
        ..StreamConfig::default()
    });
    c.handshake();
    c.c_data(0, b"abc");
    assert_eq!(c.rec.stream(TS), b"abc");
    c.c_data(6, b"ghi");
    assert_eq!(c.rec.stream(TS), b"abc");
    c.c_data(3, b"def");
    assert_eq!(c.rec.stream(TS), b"abcdefghi");
    assert_eq!(c.eng.memory().used(), 0);
}

// ------------------------------------------------------------------ property-style

#[test]
fn random_segmentation_permutation_duplicates() {
    for seed in 1..60u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let len = 1 + rng.below(4000);
        let msg = message(len, seed);
        let mut segs = split(len, 1 + rng.below(700), &mut rng);
        // duplicates and re-segmented retransmissions carrying the same bytes
        let extra = rng.below(segs.len() + 1);
        for _ in 0..extra {
            let a = rng.below(len);
            let b = (a + 1 + rng.below(500)).min(len);
            segs.push((a, b - a));
        }
        rng.shuffle(&mut segs);
        let policy = ALL_POLICIES[rng.below(ALL_POLICIES.len())];
        let inline = rng.below(2) == 0;
        let mut c = Conn::new(StreamConfig {
            policy,
            inline,
            ..StreamConfig::default()
        });
        c.cisn = rng.next() as u32;
        c.handshake();
        let mut have = vec![false; len];
        for (off, n) in &segs {
            c.c_data(*off as u32, &msg[*off..off + n]);
            c.check();
            have[*off..off + n].iter_mut().for_each(|b| *b = true);
            if rng.below(4) == 0 {
                // acknowledge the contiguous prefix received so far, as the receiver would
                let prefix = have.iter().take_while(|x| **x).count();
                c.s_ack(prefix as u32);
                let out = c.rec.stream(TS);
                assert!(
                    out.len() <= prefix || inline,
                    "seed {seed}: released unacked data"
                );
                assert_eq!(&out[..], &msg[..out.len()], "seed {seed}: prefix mismatch");
            }
        }
        c.s_ack(len as u32);
        assert_eq!(
            c.rec.stream(TS),
            msg,
            "seed {seed} policy {policy} inline {inline}"
        );
        assert_eq!(c.stats().overlaps_different_data, 0);
        assert_eq!(c.stats().gaps, 0);
        assert_eq!(c.eng.memory().used(), 0, "seed {seed}");
    }
}

#[test]
fn random_with_interleaved_acks() {
    // Receiver-faithful ACKs: the server acknowledges the contiguous prefix it has received.
    for seed in 1..40u64 {
        let mut rng = Rng(seed * 31 + 5);
        let len = 500 + rng.below(3000);
        let msg = message(len, seed + 100);
        let mut segs = split(len, 400, &mut rng);
        // mild reordering: swap neighbours
        for i in 1..segs.len() {
            if rng.below(3) == 0 {
                segs.swap(i - 1, i);
            }
        }
        let dup = segs.clone();
        let mut c = Conn::ids();
        c.handshake();
        let mut have = vec![false; len];
        for (i, (off, n)) in segs.iter().enumerate() {
            c.c_data(*off as u32, &msg[*off..off + n]);
            c.check();
            for b in have.iter_mut().skip(*off).take(*n) {
                *b = true;
            }
            let prefix = have.iter().take_while(|x| **x).count();
            c.s_ack(prefix as u32);
            if rng.below(5) == 0 {
                let (o2, n2) = dup[rng.below(i + 1)];
                c.c_data(o2 as u32, &msg[o2..o2 + n2]);
            }
        }
        assert_eq!(c.rec.stream(TS), msg, "seed {seed}");
    }
}

#[test]
fn delivered_never_exceeds_sent_under_garbage() {
    // Hostile input: random flags, sequence numbers and payloads, both directions.
    for seed in 1..30u64 {
        let mut rng = Rng(seed * 1_000_003);
        let cfg = StreamConfig {
            midstream: rng.below(2) == 0,
            async_oneside: rng.below(2) == 0,
            inline: rng.below(2) == 0,
            policy: ALL_POLICIES[rng.below(15)],
            memcap_bytes: 1 + rng.below(50_000),
            depth: rng.below(3000) as u64,
            max_queued_segments_per_direction: 1 + rng.below(64),
            ..StreamConfig::default()
        };
        let mut c = Conn::new(cfg);
        let base = rng.next() as u32;
        let mut sent = [0u64; 2];
        for _ in 0..400 {
            let dir = if rng.below(2) == 0 { TS } else { TC };
            let flags = (rng.next() & 0x3f) as u8;
            let seq = base.wrapping_add(rng.below(5000) as u32);
            let ack = base.wrapping_add(rng.below(5000) as u32);
            let len = rng.below(300);
            let payload = vec![0xAAu8; len];
            let o = c.send(dir, seq, ack, flags, &payload);
            c.check();
            if o.reuse {
                c.flush();
                c.sess = TcpSession::default();
            }
            if let Some(role) = o.role {
                sent[role.index()] += len as u64;
            } else {
                sent[c.sess.role_of(dir).index()] += len as u64;
            }
        }
        c.flush();
        for d in [TS, TC] {
            let got = c.rec.data_only(d).len() as u64;
            assert!(
                got <= sent[d.index()],
                "seed {seed}: delivered {got} > sent {}",
                sent[d.index()]
            );
        }
        assert_eq!(c.eng.memory().used(), 0);
    }
}

// ------------------------------------------------------------------ more handshake / close cases

#[test]
fn tcp_fast_open_accepted() {
    let mut c = Conn::ids();
    let o = c.send(TS, 1000, 0, F::SYN, b"GET / ");
    assert!(!o.invalid);
    assert!(c.rec.evs.is_empty(), "SYN data is held until the SYN/ACK");
    let o = c.send(TC, 5000, 1007, SA, b""); // acknowledges the SYN and its 6 bytes
    assert!(!o.invalid, "{o:?}");
    assert_eq!(c.rec.stream(TS), b"GET / ");
    c.send(TS, 1007, 5001, PA, b"HTTP/1.1");
    c.send(TC, 5001, 1015, A, b"");
    assert_eq!(c.rec.stream(TS), b"GET / HTTP/1.1");
}

#[test]
fn tcp_fast_open_data_ignored_by_server() {
    let mut c = Conn::ids();
    c.send(TS, 1000, 0, F::SYN, b"decoy!");
    let o = c.send(TC, 5000, 1001, SA, b""); // only the SYN acknowledged
    assert!(!o.invalid);
    assert!(o.events.contains(StreamEvent::ThreeWhsSynackTfoDataIgnored));
    assert_eq!(c.eng.memory().used(), 0, "refused SYN data forgotten");
    c.send(TS, 1001, 5001, A, b"");
    // the client resends different bytes at the same place; the server only ever saw these
    c.send(TS, 1001, 5001, PA, b"real!!");
    c.send(TC, 5001, 1007, A, b"");
    assert_eq!(c.rec.stream(TS), b"real!!");
    assert_eq!(c.stats().overlaps, 0);
}

#[test]
fn syn_flood_event() {
    let cfg = StreamConfig {
        max_syn_queued: 2,
        ..StreamConfig::default()
    };
    let mut c = Conn::new(cfg);
    c.send(TS, 100, 0, F::SYN, b"");
    assert!(!c.send(TS, 200, 0, F::SYN, b"").invalid);
    assert!(!c.send(TS, 300, 0, F::SYN, b"").invalid);
    let o = c.send(TS, 400, 0, F::SYN, b"");
    assert!(o.invalid);
    assert!(o.events.contains(StreamEvent::ThreeWhsSynFlood));
}

#[test]
fn inline_rejects_server_data_before_3whs_ack() {
    let mut c = Conn::new(StreamConfig {
        inline: true,
        ..StreamConfig::default()
    });
    c.send(TS, 1000, 0, F::SYN, b"");
    c.send(TC, 5000, 1001, SA, b"");
    let o = c.send(TC, 5001, 1001, PA, b"injected");
    assert!(o.invalid);
    assert!(o.events.contains(StreamEvent::ThreeWhsAckDataInject));
    assert!(c.rec.evs.is_empty());
}

#[test]
fn client_rst_after_fin_suricata_parity() {
    // Before the server acknowledges the client's FIN, Suricata expects a client RST at the
    // FIN's sequence number; afterwards at FIN + 1.
    let mut c = Conn::ids();
    c.handshake();
    c.send(TS, 1001, 5001, FA, b"");
    let o = c.send(TS, 1002, 0, F::RST, b"");
    assert!(o.invalid);
    assert_eq!(c.sess.state(), TcpState::CloseWait);
    let mut c = Conn::ids();
    c.handshake();
    c.send(TS, 1001, 5001, FA, b"");
    c.send(TC, 5001, 1002, FA, b"");
    assert_eq!(c.sess.state(), TcpState::LastAck);
    let o = c.send(TS, 1002, 0, F::RST, b"");
    assert!(!o.invalid, "{o:?}");
    assert_eq!(c.sess.state(), TcpState::Closed);
}

#[test]
fn reverse_roles_swaps_directions() {
    let mut c = Conn::new(StreamConfig {
        midstream: true,
        ..StreamConfig::default()
    });
    // picked up from the server's response: the flow thinks the server is the client
    c.send(TS, 900, 100, PA, b"HTTP/1.1 200 OK");
    assert!(!c.sess.is_reversed());
    assert_eq!(c.sess.role_of(TS), TS);
    // app-layer detection says this is a response: swap
    c.sess.reverse_roles();
    assert!(c.sess.is_reversed());
    assert_eq!(c.sess.role_of(TS), TC);
    // the real client's request (flow direction to_client) acknowledges the response
    let o = c.send(TC, 100, 915, PA, b"GET / HTTP/1.1");
    assert_eq!(o.role, Some(TS));
    assert_eq!(c.rec.stream(TC), b"HTTP/1.1 200 OK");
    c.send(TS, 915, 114, A, b"");
    assert_eq!(c.rec.stream(TS), b"GET / HTTP/1.1");
    assert_eq!(c.sess.tcp_flags(TC), PA | A);
}

#[test]
fn swap_directions_follows_a_turned_flow() {
    let mut c = Conn::new(StreamConfig {
        midstream: true,
        ..StreamConfig::default()
    });
    // picked up from the server's response
    c.send(TS, 900, 100, PA, b"HTTP/1.1 200 OK");
    // the flow is turned round: the server's packets are to_client from now on
    c.sess.swap_directions();
    assert!(!c.sess.is_reversed());
    assert_eq!(c.sess.next_seq(TC), 915);
    // the real client's request, now to_server, acknowledges the response
    let o = c.send(TS, 100, 915, PA, b"GET / HTTP/1.1");
    assert_eq!(o.role, Some(TS));
    assert_eq!(c.rec.stream(TC), b"HTTP/1.1 200 OK");
    c.send(TC, 915, 114, A, b"");
    assert_eq!(c.rec.stream(TS), b"GET / HTTP/1.1");
    assert_eq!(c.sess.tcp_flags(TS), PA);
}

#[test]
fn note_flags_only_records_flags() {
    let mut c = Conn::ids();
    c.handshake();
    c.eng.note_flags(&mut c.sess, TS, &tcp(1001, 5001, FA));
    assert_eq!(c.sess.tcp_flags(TS) & F::FIN, F::FIN);
    assert_eq!(c.sess.state(), TcpState::Established);
}

#[test]
fn ack_pickup_on_server_packet_keeps_flow_orientation() {
    // A midstream flow whose first packet came from the server: roles follow the flow (as
    // Suricata before any app-layer swap); the server's data is "to_server" data.
    let mut c = Conn::new(StreamConfig {
        midstream: true,
        ..StreamConfig::default()
    });
    let o = c.send(TC, 900, 100, PA, b"resp");
    assert_eq!(o.role, Some(TC));
    assert!(!c.sess.is_reversed());
    c.send(TS, 100, 904, A, b"");
    assert_eq!(c.rec.stream(TC), b"resp");
}
