//! Unit tests of the reassembler: orderings, policies, limits, hostile inputs.

use super::*;
use sekimori_capture::LinkType;
use sekimori_decode::checksum::{internet_checksum, ipv4_header_valid};
use sekimori_decode::{L4, decode, tcp_udp_checksum_valid};

use crate::config::{HostPolicy, MIN_MEMCAP};

// ---------------------------------------------------------------------------------------------
// Helpers

const SRC4: [u8; 4] = [1, 1, 1, 1];
const DST4: [u8; 4] = [2, 2, 2, 2];
const SRC6: [u8; 16] = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const DST6: [u8; 16] = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

fn ts(secs: i64) -> Timestamp {
    Timestamp::from_micros(secs, 0)
}

/// An IPv4 fragment: `offset` in bytes (multiple of 8), `options` appended to the header.
fn v4_frag_opts(id: u16, proto: u8, offset: u16, mf: bool, options: &[u8], data: &[u8]) -> Vec<u8> {
    let hlen = 20 + options.len();
    let mut v = vec![0x40 | (hlen / 4) as u8, 0];
    v.extend_from_slice(&((hlen + data.len()) as u16).to_be_bytes());
    v.extend_from_slice(&id.to_be_bytes());
    v.extend_from_slice(&((offset / 8) | if mf { 0x2000 } else { 0 }).to_be_bytes());
    v.extend_from_slice(&[64, proto, 0, 0]);
    v.extend_from_slice(&SRC4);
    v.extend_from_slice(&DST4);
    v.extend_from_slice(options);
    let c = internet_checksum(&v);
    v[10..12].copy_from_slice(&c.to_be_bytes());
    v.extend_from_slice(data);
    v
}

fn v4_frag(id: u16, offset: u16, mf: bool, data: &[u8]) -> Vec<u8> {
    v4_frag_opts(id, 253, offset, mf, &[], data)
}

/// An IPv6 fragment; `unfrag` is the extension-header chain before the fragment header (its
/// first next-header value is `first_nh`, its last header must name 44).
fn v6_frag_ext(
    first_nh: u8,
    unfrag: &[u8],
    id: u32,
    nh: u8,
    offset: u16,
    mf: bool,
    data: &[u8],
) -> Vec<u8> {
    let plen = unfrag.len() + 8 + data.len();
    let mut v = vec![0x60, 0, 0, 0];
    v.extend_from_slice(&(plen as u16).to_be_bytes());
    v.push(if unfrag.is_empty() { 44 } else { first_nh });
    v.push(64);
    v.extend_from_slice(&SRC6);
    v.extend_from_slice(&DST6);
    v.extend_from_slice(unfrag);
    v.extend_from_slice(&[nh, 0]);
    v.extend_from_slice(&(offset | u16::from(mf)).to_be_bytes());
    v.extend_from_slice(&id.to_be_bytes());
    v.extend_from_slice(data);
    v
}

fn v6_frag(id: u32, offset: u16, mf: bool, data: &[u8]) -> Vec<u8> {
    v6_frag_ext(0, &[], id, 58, offset, mf, data)
}

/// Owned copy of an outcome (the borrowed one lives until the next call).
#[derive(Debug, PartialEq, Eq)]
enum Out {
    NotFragment,
    Held(Vec<Anomaly>),
    Done(Vec<u8>, Vec<Anomaly>),
    Dropped(DefragDrop, Vec<Anomaly>),
}

impl Out {
    fn done(self) -> Vec<u8> {
        match self {
            Out::Done(d, _) => d,
            other => panic!("expected a datagram, got {other:?}"),
        }
    }
    fn anomalies(&self) -> &[Anomaly] {
        match self {
            Out::NotFragment => &[],
            Out::Held(a) | Out::Done(_, a) | Out::Dropped(_, a) => a,
        }
    }
}

fn feed_lt(df: &mut Defragmenter, t: Timestamp, lt: LinkType, pkt: &[u8]) -> Out {
    let d = decode(lt, pkt);
    match df.process(t, &d) {
        DefragOutcome::NotFragment => Out::NotFragment,
        DefragOutcome::Held { anomalies } => Out::Held(anomalies.iter().collect()),
        DefragOutcome::Reassembled {
            datagram,
            anomalies,
        } => Out::Done(datagram.to_vec(), anomalies.iter().collect()),
        DefragOutcome::Dropped { reason, anomalies } => {
            Out::Dropped(reason, anomalies.iter().collect())
        }
    }
}

fn feed(df: &mut Defragmenter, t: Timestamp, pkt: &[u8]) -> Out {
    feed_lt(df, t, LinkType::RAW, pkt)
}

fn defrag(policy: OverlapPolicy) -> Defragmenter {
    Defragmenter::new(DefragConfig {
        policy,
        ..DefragConfig::default()
    })
    .unwrap()
}

/// Splits `payload` into fragments of the given data lengths (multiples of 8 except the last).
fn split(payload: &[u8], sizes: &[usize]) -> Vec<(u16, bool, Vec<u8>)> {
    let mut out = Vec::new();
    let mut off = 0usize;
    for (i, &n) in sizes.iter().enumerate() {
        let end = if i + 1 == sizes.len() {
            payload.len()
        } else {
            off + n
        };
        out.push((off as u16, i + 1 != sizes.len(), payload[off..end].to_vec()));
        off = end;
    }
    out
}

/// A UDP datagram (header + data) with a valid IPv4 pseudo-header checksum.
fn udp4(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let len = (8 + data.len()) as u16;
    let mut u = Vec::new();
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&len.to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(data);
    let mut ph = Vec::new();
    ph.extend_from_slice(&SRC4);
    ph.extend_from_slice(&DST4);
    ph.extend_from_slice(&[0, 17]);
    ph.extend_from_slice(&len.to_be_bytes());
    ph.extend_from_slice(&u);
    let c = internet_checksum(&ph);
    u[6..8].copy_from_slice(&c.to_be_bytes());
    u
}

/// A TCP segment with a valid IPv6 pseudo-header checksum.
fn tcp6(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0x20, 0, 0, 0, 0, 0]);
    t.extend_from_slice(data);
    let mut ph = Vec::new();
    ph.extend_from_slice(&SRC6);
    ph.extend_from_slice(&DST6);
    ph.extend_from_slice(&(t.len() as u32).to_be_bytes());
    ph.extend_from_slice(&[0, 0, 0, 6]);
    ph.extend_from_slice(&t);
    let c = internet_checksum(&ph);
    t[16..18].copy_from_slice(&c.to_be_bytes());
    t
}

/// Small deterministic PRNG (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Orderings

#[test]
fn ipv4_in_order() {
    let mut df = defrag(OverlapPolicy::Bsd);
    assert_eq!(
        feed(&mut df, ts(1), &v4_frag(12, 0, true, &[b'A'; 8])),
        Out::Held(vec![])
    );
    assert_eq!(
        feed(&mut df, ts(1), &v4_frag(12, 8, true, &[b'B'; 8])),
        Out::Held(vec![])
    );
    let d = feed(&mut df, ts(1), &v4_frag(12, 16, false, &[b'C'; 3])).done();
    assert_eq!(d.len(), 39);
    assert_eq!(d[0], 0x45);
    assert_eq!(u16::from_be_bytes([d[2], d[3]]), 39);
    assert_eq!(
        u16::from_be_bytes([d[6], d[7]]) & 0x3fff,
        0,
        "MF and offset cleared"
    );
    assert!(ipv4_header_valid(&d[..20]), "checksum recomputed");
    assert_eq!(&d[20..], b"AAAAAAAABBBBBBBBCCC");
    let dd = decode(LinkType::RAW, &d);
    assert!(!dd.is_fragment());
    assert!(dd.anomalies.is_empty());
    assert_eq!(df.pending(), 0);
    let s = df.stats();
    assert_eq!(
        (
            s.fragments,
            s.held,
            s.reassembled,
            s.ipv4_reassembled,
            s.dropped()
        ),
        (3, 2, 1, 1, 0)
    );
}

#[test]
fn ipv4_reverse_order_and_options_header() {
    let mut df = defrag(OverlapPolicy::Linux);
    // The first fragment carries IP options (router alert + NOPs): they are kept.
    let opts = [0x94, 4, 0, 0];
    assert!(matches!(
        feed(
            &mut df,
            ts(1),
            &v4_frag_opts(7, 1, 16, false, &[], &[b'C'; 3])
        ),
        Out::Held(_)
    ));
    assert!(matches!(
        feed(
            &mut df,
            ts(1),
            &v4_frag_opts(7, 1, 8, true, &[], &[b'B'; 8])
        ),
        Out::Held(_)
    ));
    let d = feed(
        &mut df,
        ts(1),
        &v4_frag_opts(7, 1, 0, true, &opts, &[b'A'; 8]),
    )
    .done();
    assert_eq!(d[0], 0x46);
    assert_eq!(&d[20..24], &opts);
    assert_eq!(u16::from_be_bytes([d[2], d[3]]) as usize, d.len());
    assert!(ipv4_header_valid(&d[..24]));
    assert_eq!(&d[24..], b"AAAAAAAABBBBBBBBCCC");
}

#[test]
fn ipv6_in_order_and_reverse() {
    for reverse in [false, true] {
        let mut df = defrag(OverlapPolicy::Bsd);
        let mut frags = [
            v6_frag(12, 0, true, &[b'A'; 8]),
            v6_frag(12, 8, true, &[b'B'; 8]),
            v6_frag(12, 16, false, &[b'C'; 3]),
        ];
        if reverse {
            frags.reverse();
        }
        let mut out = None;
        for (i, f) in frags.iter().enumerate() {
            let o = feed(&mut df, ts(1), f);
            if i < 2 {
                assert_eq!(o, Out::Held(vec![]));
            } else {
                out = Some(o.done());
            }
        }
        let d = out.unwrap();
        assert_eq!(d.len(), 40 + 19);
        assert_eq!(u16::from_be_bytes([d[4], d[5]]), 19, "payload length");
        assert_eq!(d[6], 58, "next header now the fragment header's");
        assert_eq!(&d[40..], b"AAAAAAAABBBBBBBBCCC");
        assert_eq!(df.stats().ipv6_reassembled, 1);
    }
}

#[test]
fn random_permutations_and_duplicates_reassemble_identically() {
    let mut rng = Rng(0x5eed);
    for round in 0..300 {
        let len = 9 + rng.below(3000);
        let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let udp = udp4(1000 + round as u16, 53, &data);
        // Random fragment sizes, multiples of 8.
        let mut sizes = vec![8 * (1 + rng.below(40.min((udp.len() - 1) / 8)))];
        let mut left = udp.len() - sizes[0];
        while left > 0 {
            let n = (8 * (1 + rng.below(40))).min(left.next_multiple_of(8));
            sizes.push(n);
            left = left.saturating_sub(n);
        }
        let frags = split(&udp, &sizes);
        let mut order: Vec<usize> = (0..frags.len()).collect();
        rng.shuffle(&mut order);
        // Throw in exact duplicates.
        for _ in 0..rng.below(3) {
            let dup = order[rng.below(order.len())];
            let at = rng.below(order.len());
            order.insert(at, dup);
        }
        let policy = OverlapPolicy::ALL[round % OverlapPolicy::ALL.len()];
        let mut df = defrag(policy);
        let mut results = Vec::new();
        for &i in &order {
            let (off, mf, ref chunk) = frags[i];
            match feed(
                &mut df,
                ts(1),
                &v4_frag_opts(round as u16, 17, off, mf, &[], chunk),
            ) {
                // Duplicates arriving after completion start a new datagram, which may complete
                // again when every piece was duplicated: it must be the same datagram.
                Out::Done(d, _) => results.push(d),
                Out::Held(a) => assert!(a.is_empty() || a == [Anomaly::Ipv4FragOverlap]),
                other => panic!("round {round}: {other:?}"),
            }
        }
        assert!(!results.is_empty(), "round {round} never completed");
        assert!(results.windows(2).all(|w| w[0] == w[1]));
        let d = results.swap_remove(0);
        assert_eq!(&d[20..], &udp[..], "round {round} ({policy})");
        let dd = decode(LinkType::RAW, &d);
        assert_eq!(dd.ports(), (1000 + round as u16, 53));
        assert_eq!(dd.payload, &data[..]);
        assert_eq!(tcp_udp_checksum_valid(&dd), Some(true));
    }
}

#[test]
fn exact_duplicate_is_an_overlap_and_changes_nothing() {
    for policy in OverlapPolicy::ALL {
        let mut df = defrag(policy);
        assert_eq!(
            feed(&mut df, ts(1), &v4_frag(3, 0, true, &[b'A'; 16])),
            Out::Held(vec![])
        );
        assert_eq!(
            feed(&mut df, ts(1), &v4_frag(3, 0, true, &[b'A'; 16])),
            Out::Held(vec![Anomaly::Ipv4FragOverlap])
        );
        let d = feed(&mut df, ts(1), &v4_frag(3, 16, false, b"end")).done();
        assert_eq!(&d[20..], b"AAAAAAAAAAAAAAAAend");
        assert_eq!(df.stats().overlaps, 1);
    }
}

// ---------------------------------------------------------------------------------------------
// Overlap policies: the classic target-based test pattern

/// The 17 fragments of the classic overlap pattern (Novak's target-based reassembly paper, used by
/// Suricata's defrag tests), as (letter, offset, length) in 8-byte units. The first nine build a
/// datagram with holes at units 3, 9, 11 and 12; the next eight overlap them in every way:
///
/// ```text
/// unit:  0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23
/// A      A A A
/// B              B B
/// C                  C C C
/// D                           D
/// E                                    E  E
/// F                                          F  F  F
/// G                                                   G  G
/// H                                                         H  H
/// I                                                               I
/// J        J J J J                        (starts inside A, ends inside B)
/// K                  K K K                (exactly C's extent)
/// L                        L  L  L        (encloses D)
/// M                                 M  M  M   (starts before E, same end)
/// N                                             N     (inside F)
/// O                                                      O  (inside G, at its end)
/// P                                                         P  (H's start, shorter)
/// Q                                                               Q  Q  (I's start, longer; last)
/// ```
const PATTERN: [(u8, u16, u16); 17] = [
    (b'A', 0, 3),
    (b'B', 4, 2),
    (b'C', 6, 3),
    (b'D', 10, 1),
    (b'E', 13, 2),
    (b'F', 15, 3),
    (b'G', 18, 2),
    (b'H', 20, 2),
    (b'I', 22, 1),
    (b'J', 1, 4),
    (b'K', 6, 3),
    (b'L', 9, 3),
    (b'M', 12, 3),
    (b'N', 16, 1),
    (b'O', 19, 1),
    (b'P', 20, 1),
    (b'Q', 22, 2),
];

/// Expected reassembly per policy, one letter per 8-byte unit, derived from the definitions:
///
/// * first: every unit keeps its first writer; the holes 3, 9, 11, 12 and 23 are filled by J, L,
///   L, M and Q: `AAAJBBCCCLDLMEEFFFGGHHIQ`.
/// * last: every unit keeps its latest writer: J over units 1-4, K over C, L over D, M over E,
///   N, O and P over F, G and H, Q over I: `AJJJJBKKKLLLMMMFNFGOPHQQ`.
/// * bsd (new wins only when it starts before the held fragment): J starts after A (A stays) but
///   before B (unit 4 becomes J); K starts with C (C stays); L before D, M before E win; N, O, P
///   and Q start inside or with their targets (lose): `AAAJJBCCCLLLMMMFFFGGHHIQ`.
/// * linux (new wins when it starts at or before): as bsd, plus K over C, P over unit 20 of H and
///   Q over I: `AAAJJBKKKLLLMMMFFFGGPHQQ`.
/// * windows (new wins only when it starts before and ends after): J ends inside B (B stays),
///   L encloses D (wins), M ends with E (E stays): `AAAJBBCCCLLLMEEFFFGGHHIQ`.
/// * solaris (new wins when it starts before and ends at or after): as windows except M, which
///   ends exactly with E, wins: `AAAJBBCCCLLLMMMFFFGGHHIQ`.
const EXPECTED: [(OverlapPolicy, &str); 6] = [
    (OverlapPolicy::First, "AAAJBBCCCLDLMEEFFFGGHHIQ"),
    (OverlapPolicy::Last, "AJJJJBKKKLLLMMMFNFGOPHQQ"),
    (OverlapPolicy::Bsd, "AAAJJBCCCLLLMMMFFFGGHHIQ"),
    (OverlapPolicy::Linux, "AAAJJBKKKLLLMMMFFFGGPHQQ"),
    (OverlapPolicy::Windows, "AAAJBBCCCLLLMEEFFFGGHHIQ"),
    (OverlapPolicy::Solaris, "AAAJBBCCCLLLMMMFFFGGHHIQ"),
];

fn expand(units: &str) -> Vec<u8> {
    units.bytes().flat_map(|c| [c; 8]).collect()
}

#[test]
fn overlap_policy_table_ipv4_and_ipv6() {
    for v6 in [false, true] {
        for (policy, expected) in EXPECTED {
            let mut df = defrag(policy);
            let mut overlaps = 0;
            for (i, &(c, off, len)) in PATTERN.iter().enumerate() {
                let last = i + 1 == PATTERN.len();
                let data = vec![c; usize::from(len) * 8];
                let pkt = if v6 {
                    v6_frag(1, off * 8, !last, &data)
                } else {
                    v4_frag(1, off * 8, !last, &data)
                };
                let out = feed(&mut df, ts(1), &pkt);
                let overlap = if v6 {
                    Anomaly::Ipv6FragOverlap
                } else {
                    Anomaly::Ipv4FragOverlap
                };
                let flagged = out.anomalies().contains(&overlap);
                if i < 9 {
                    assert!(
                        !flagged,
                        "{policy}: original fragment {} flagged",
                        c as char
                    );
                } else {
                    overlaps += usize::from(flagged);
                }
                if last {
                    let d = out.done();
                    let hdr = if v6 { 40 } else { 20 };
                    assert_eq!(d.len(), hdr + 192, "{policy}");
                    assert_eq!(
                        String::from_utf8_lossy(&d[hdr..]),
                        String::from_utf8_lossy(&expand(expected)),
                        "{policy} v6={v6}"
                    );
                } else {
                    assert!(matches!(out, Out::Held(_)), "{policy}: {out:?}");
                }
            }
            // Every one of the eight later fragments overlaps something.
            assert_eq!(overlaps, 8, "{policy}");
            assert_eq!(df.pending(), 0);
        }
    }
}

#[test]
fn tiny_fragment_overlap_rewriting_tcp_header() {
    // First fragment: TCP header start with dport 80; a second fragment at offset 0 rewrites the
    // ports to 22. Which one the target keeps depends on its policy; the outcome is explicit.
    let hdr80: Vec<u8> = [0x30, 0x39, 0, 80, 0, 0, 0, 1].to_vec();
    let hdr22: Vec<u8> = [0x30, 0x39, 0, 22, 0, 0, 0, 1].to_vec();
    let mut rest = vec![0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0];
    rest.extend_from_slice(b"GET /");
    for policy in OverlapPolicy::ALL {
        let mut df = defrag(policy);
        assert!(matches!(
            feed(&mut df, ts(1), &v4_frag_opts(9, 6, 0, true, &[], &hdr80)),
            Out::Held(_)
        ));
        let o = feed(&mut df, ts(1), &v4_frag_opts(9, 6, 0, true, &[], &hdr22));
        assert_eq!(o, Out::Held(vec![Anomaly::Ipv4FragOverlap]));
        let d = feed(&mut df, ts(1), &v4_frag_opts(9, 6, 8, false, &[], &rest)).done();
        let dd = decode(LinkType::RAW, &d);
        let L4::Tcp(t) = dd.l4 else {
            panic!("{policy}: {:?}", dd.l4)
        };
        // Same start and same end: only linux (start at or before) and last let the new one win.
        let expect = if matches!(policy, OverlapPolicy::Linux | OverlapPolicy::Last) {
            22
        } else {
            80
        };
        assert_eq!(t.dport, expect, "{policy}");
        assert_eq!(dd.payload, b"GET /");
    }
}

#[test]
fn host_policy_selects_per_destination() {
    let cfg = DefragConfig {
        policy: OverlapPolicy::First,
        host_policies: vec![HostPolicy {
            network: Addr::v4([2, 2, 0, 0]),
            prefix_len: 16,
            policy: OverlapPolicy::Last,
        }],
        ..DefragConfig::default()
    };
    let mut df = Defragmenter::new(cfg).unwrap();
    feed(&mut df, ts(1), &v4_frag(5, 0, true, &[b'o'; 8]));
    feed(&mut df, ts(1), &v4_frag(5, 0, true, &[b'n'; 8]));
    let d = feed(&mut df, ts(1), &v4_frag(5, 8, false, b"!")).done();
    assert_eq!(
        &d[20..28],
        b"nnnnnnnn",
        "DST4 = 2.2.2.2 is in 2.2/16: last policy"
    );
}

// ---------------------------------------------------------------------------------------------
// IPv6 specifics

#[test]
fn ipv6_fragment_header_after_other_extension_headers() {
    // Hop-by-hop (router alert) then destination options (PadN), then the fragment header.
    let hbh = [60u8, 0, 5, 2, 0, 0, 0, 0];
    let dst = [44u8, 0, 1, 4, 0, 0, 0, 0];
    let unfrag = [hbh, dst].concat();
    let tcp = tcp6(40000, 80, &[b'x'; 300]);
    let frags = split(&tcp, &[96, 104, 200]);
    let mut df = defrag(OverlapPolicy::Bsd);
    let mut out = None;
    for (off, mf, chunk) in frags.iter().rev() {
        match feed(
            &mut df,
            ts(1),
            &v6_frag_ext(0, &unfrag, 0xabcd, 6, *off, *mf, chunk),
        ) {
            Out::Done(d, a) => {
                assert!(a.is_empty());
                out = Some(d)
            }
            Out::Held(a) => assert!(a.is_empty()),
            other => panic!("{other:?}"),
        }
    }
    let d = out.unwrap();
    assert_eq!(d.len(), 40 + 16 + tcp.len());
    assert_eq!(d[6], 0, "fixed header still names hop-by-hop");
    assert_eq!(&d[40..48], &hbh);
    assert_eq!(
        d[48], 6,
        "destination options now names TCP, not the fragment header"
    );
    assert_eq!(&d[49..56], &dst[1..]);
    assert_eq!(u16::from_be_bytes([d[4], d[5]]) as usize, 16 + tcp.len());
    assert_eq!(&d[56..], &tcp[..]);
    let dd = decode(LinkType::RAW, &d);
    let an: Vec<Anomaly> = dd.anomalies.iter().collect();
    assert_eq!(
        an,
        [Anomaly::Ipv6DstoptsOnlyPadding],
        "the PadN-only header, nothing else"
    );
    assert_eq!(dd.ports(), (40000, 80));
    assert_eq!(dd.payload.len(), 300);
    assert_eq!(tcp_udp_checksum_valid(&dd), Some(true));
}

#[test]
fn ipv6_key_ignores_next_header_value() {
    // A later fragment naming another next header still joins the datagram (as a host does).
    let mut df = defrag(OverlapPolicy::Bsd);
    feed(
        &mut df,
        ts(1),
        &v6_frag_ext(0, &[], 77, 17, 0, true, &[1; 8]),
    );
    let d = feed(
        &mut df,
        ts(1),
        &v6_frag_ext(0, &[], 77, 6, 8, false, &[2; 8]),
    )
    .done();
    assert_eq!(d[6], 17, "next header from the first fragment");
}

#[test]
fn atomic_and_plain_packets_are_not_fragments() {
    let mut df = defrag(OverlapPolicy::Bsd);
    assert_eq!(
        feed(&mut df, ts(1), &v6_frag(1, 0, false, &[0; 8])),
        Out::NotFragment
    );
    let mut plain = v4_frag(1, 0, false, &[0; 8]);
    plain[6] = 0x40; // DF
    assert_eq!(feed(&mut df, ts(1), &plain), Out::NotFragment);
    assert_eq!(
        feed_lt(&mut df, ts(1), LinkType::ETHERNET, &[0u8; 60]),
        Out::NotFragment
    );
    assert_eq!(df.stats().not_fragment, 3);
    assert_eq!(df.stats().fragments, 0);
}

// ---------------------------------------------------------------------------------------------
// Keys

#[test]
fn vlan_and_ids_separate_datagrams() {
    let tagged = |vlan: u16, pkt: &[u8]| {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x81, 0x00]);
        f.extend_from_slice(&vlan.to_be_bytes());
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(pkt);
        f
    };
    let mut df = defrag(OverlapPolicy::Bsd);
    assert!(matches!(
        feed_lt(
            &mut df,
            ts(1),
            LinkType::ETHERNET,
            &tagged(1, &v4_frag(1, 0, true, &[1; 8]))
        ),
        Out::Held(_)
    ));
    assert!(matches!(
        feed_lt(
            &mut df,
            ts(1),
            LinkType::ETHERNET,
            &tagged(2, &v4_frag(1, 8, false, &[2; 8]))
        ),
        Out::Held(_)
    ));
    assert_eq!(df.pending(), 2);
    // Different id: separate too.
    assert!(matches!(
        feed_lt(
            &mut df,
            ts(1),
            LinkType::ETHERNET,
            &tagged(1, &v4_frag(2, 8, false, &[2; 8]))
        ),
        Out::Held(_)
    ));
    assert_eq!(df.pending(), 3);
    assert!(matches!(
        feed_lt(
            &mut df,
            ts(1),
            LinkType::ETHERNET,
            &tagged(1, &v4_frag(1, 8, false, &[2; 8]))
        ),
        Out::Done(..)
    ));

    let mut df = Defragmenter::new(DefragConfig {
        use_vlan: false,
        ..DefragConfig::default()
    })
    .unwrap();
    feed_lt(
        &mut df,
        ts(1),
        LinkType::ETHERNET,
        &tagged(1, &v4_frag(1, 0, true, &[1; 8])),
    );
    assert!(matches!(
        feed_lt(
            &mut df,
            ts(1),
            LinkType::ETHERNET,
            &tagged(2, &v4_frag(1, 8, false, &[2; 8]))
        ),
        Out::Done(..)
    ));
}

// ---------------------------------------------------------------------------------------------
// Ends and sizes

#[test]
fn too_large_datagrams() {
    let mut df = defrag(OverlapPolicy::Bsd);
    // Suricata's case: offset 8183 units + 71 bytes.
    let o = feed(&mut df, ts(1), &v4_frag(1, 8183 * 8, false, &[b'A'; 71]));
    assert_eq!(
        o,
        Out::Dropped(DefragDrop::TooLarge, vec![Anomaly::Ipv4FragPktTooLarge])
    );
    assert_eq!(df.pending(), 0);
    let o = feed(&mut df, ts(1), &v6_frag(1, 65528, false, &[b'A'; 16]));
    assert_eq!(
        o,
        Out::Dropped(DefragDrop::TooLarge, vec![Anomaly::Ipv6FragPktTooLarge])
    );
    // Fits as fragments, too large once the 60-byte first header is added.
    let opts = [1u8; 40];
    let mut df = defrag(OverlapPolicy::Bsd);
    let mut off = 0u16;
    let chunk = vec![0u8; 1480];
    let mut last = None;
    while usize::from(off) + 1480 <= 65480 {
        last = Some(feed(
            &mut df,
            ts(1),
            &v4_frag_opts(4, 1, off, true, if off == 0 { &opts } else { &[] }, &chunk),
        ));
        off += 1480;
    }
    assert!(matches!(last, Some(Out::Held(_))));
    let tail = vec![0u8; 65500 - usize::from(off)];
    let o = feed(&mut df, ts(1), &v4_frag_opts(4, 1, off, false, &[], &tail));
    assert_eq!(
        o,
        Out::Dropped(DefragDrop::TooLarge, vec![Anomaly::Ipv4FragPktTooLarge])
    );
    assert_eq!(df.pending(), 0, "unusable datagram discarded");
}

#[test]
fn fragments_after_the_last_one() {
    let mut df = defrag(OverlapPolicy::Bsd);
    feed(&mut df, ts(1), &v4_frag(8, 16, false, &[b'C'; 8])); // ends at 24
    let o = feed(&mut df, ts(1), &v4_frag(8, 24, true, &[b'X'; 8]));
    assert_eq!(
        o,
        Out::Dropped(DefragDrop::BeyondEnd, vec![Anomaly::Ipv4FragIgnored])
    );
    let o = feed(&mut df, ts(1), &v4_frag(8, 8, false, &[b'Y'; 8]));
    assert_eq!(
        o,
        Out::Dropped(DefragDrop::ConflictingEnd, vec![Anomaly::Ipv4FragIgnored])
    );
    // The datagram still completes correctly with the right pieces.
    feed(&mut df, ts(1), &v4_frag(8, 0, true, &[b'A'; 8]));
    let d = feed(&mut df, ts(1), &v4_frag(8, 8, true, &[b'B'; 8])).done();
    assert_eq!(&d[20..], b"AAAAAAAABBBBBBBBCCCCCCCC");
    // A last fragment contradicting data already beyond it.
    let mut df = defrag(OverlapPolicy::Bsd);
    feed(&mut df, ts(1), &v4_frag(9, 32, true, &[1; 8]));
    let o = feed(&mut df, ts(1), &v4_frag(9, 8, false, &[1; 8]));
    assert_eq!(
        o,
        Out::Dropped(DefragDrop::ConflictingEnd, vec![Anomaly::Ipv4FragIgnored])
    );
    assert_eq!(df.stats().dropped_conflicting_end, 1);
}

#[test]
fn truncated_and_empty_fragments() {
    let mut df = defrag(OverlapPolicy::Bsd);
    let f = v4_frag(3, 0, true, &[1; 64]);
    assert_eq!(
        feed(&mut df, ts(1), &f[..50]),
        Out::Dropped(DefragDrop::Truncated, vec![])
    );
    assert_eq!(
        feed(&mut df, ts(1), &v4_frag(3, 8, true, &[])),
        Out::Dropped(DefragDrop::Empty, vec![])
    );
    assert_eq!(df.pending(), 0);
    assert_eq!(df.stats().dropped(), 2);
}

// ---------------------------------------------------------------------------------------------
// Time, memory, hostile floods

#[test]
fn timeout_expiry() {
    let mut df = defrag(OverlapPolicy::Bsd);
    feed(&mut df, ts(100), &v4_frag(1, 0, true, &[1; 8]));
    feed(&mut df, ts(100), &v6_frag(1, 0, true, &[1; 8]));
    assert_eq!(df.pending(), 2);
    df.expire(ts(159));
    assert_eq!(df.pending(), 2, "60 s not yet passed");
    // A fragment refreshes its datagram's timeout.
    feed(&mut df, ts(150), &v4_frag(1, 8, true, &[2; 8]));
    df.expire(ts(161));
    assert_eq!(
        df.pending(),
        1,
        "IPv6 one expired, IPv4 one refreshed at 150"
    );
    assert_eq!(df.stats().timeouts, 1);
    df.expire(ts(211));
    assert_eq!(df.pending(), 0);
    assert_eq!(df.stats().timeouts, 2);
    assert_eq!(df.stats().trackers_active, 0);

    // Lazy expiry: a late fragment finds the old datagram timed out and starts afresh.
    let mut df = defrag(OverlapPolicy::Bsd);
    feed(&mut df, ts(0), &v4_frag(2, 0, true, &[1; 8]));
    let o = feed(&mut df, ts(61), &v4_frag(2, 8, false, &[2; 8]));
    assert_eq!(
        o,
        Out::Held(vec![]),
        "first part timed out, datagram incomplete"
    );
    assert_eq!(df.stats().timeouts, 1);
}

#[test]
fn memcap_bounds_memory_and_drops_are_counted() {
    let cfg = DefragConfig {
        memcap_bytes: MIN_MEMCAP,
        ..DefragConfig::default()
    };
    let mut df = Defragmenter::new(cfg).unwrap();
    let chunk = vec![7u8; 1480];
    let mut dropped = 0;
    for id in 0..1000u16 {
        match feed(&mut df, ts(1), &v4_frag(id, 0, true, &chunk)) {
            Out::Held(_) => {}
            Out::Dropped(DefragDrop::Memcap, a) => {
                assert_eq!(a, [Anomaly::Ipv4FragIgnored]);
                dropped += 1;
            }
            other => panic!("{other:?}"),
        }
        assert!(
            df.mem_used() <= MIN_MEMCAP,
            "mem {} over memcap",
            df.mem_used()
        );
    }
    assert!(dropped > 800, "only {dropped} dropped");
    assert_eq!(df.stats().dropped_memcap, dropped);
    assert!(df.stats().mem_peak <= MIN_MEMCAP as u64);
    // Once the pending datagrams time out, memory is available again.
    let o = feed(&mut df, ts(100), &v4_frag(5000, 0, true, &chunk));
    assert_eq!(o, Out::Held(vec![]));
    assert_eq!(df.pending(), 1);
}

#[test]
fn eight_byte_fragment_flood_is_bounded() {
    let cfg = DefragConfig {
        max_frags_per_datagram: 64,
        ..DefragConfig::default()
    };
    let mut df = Defragmenter::new(cfg).unwrap();
    let mut outcomes = Vec::new();
    // Never-completing datagram (no last fragment), 8 bytes at a time, every other slot.
    for i in 0..200u16 {
        outcomes.push(feed(
            &mut df,
            ts(1),
            &v4_frag(1, i * 16, true, &[i as u8; 8]),
        ));
    }
    assert!(outcomes[..64].iter().all(|o| matches!(o, Out::Held(_))));
    assert_eq!(
        outcomes[64],
        Out::Dropped(DefragDrop::TooManyFragments, vec![Anomaly::Ipv4FragIgnored])
    );
    // The discarded datagram restarts from scratch: bounded, never unbounded growth.
    assert_eq!(df.pending(), 1);
    assert!(df.mem_used() < 200_000, "mem {}", df.mem_used());
    assert_eq!(df.stats().dropped_too_many_frags, 3);
}

#[test]
fn tracker_limit() {
    let cfg = DefragConfig {
        max_trackers: 4,
        ..DefragConfig::default()
    };
    let mut df = Defragmenter::new(cfg).unwrap();
    for id in 0..4 {
        assert!(matches!(
            feed(&mut df, ts(1), &v4_frag(id, 0, true, &[1; 8])),
            Out::Held(_)
        ));
    }
    assert_eq!(
        feed(&mut df, ts(1), &v4_frag(99, 0, true, &[1; 8])),
        Out::Dropped(DefragDrop::TrackerLimit, vec![Anomaly::Ipv4FragIgnored])
    );
    // Existing datagrams still accept fragments and complete.
    assert!(matches!(
        feed(&mut df, ts(1), &v4_frag(2, 8, false, &[1; 8])),
        Out::Done(..)
    ));
    assert!(matches!(
        feed(&mut df, ts(1), &v4_frag(99, 0, true, &[1; 8])),
        Out::Held(_)
    ));
    // Expired ones make room without an explicit expire() call.
    assert!(matches!(
        feed(&mut df, ts(100), &v4_frag(100, 0, true, &[1; 8])),
        Out::Held(_)
    ));
    assert_eq!(df.pending(), 1);
}

#[test]
fn steady_state_does_not_grow() {
    let mut df = defrag(OverlapPolicy::Bsd);
    let data = vec![9u8; 4000];
    let frags = split(&udp4(1, 2, &data), &[1480, 1480, 1480]);
    let run = |df: &mut Defragmenter, id: u16| {
        for (off, mf, chunk) in &frags {
            feed(df, ts(1), &v4_frag_opts(id, 17, *off, *mf, &[], chunk));
        }
    };
    for id in 0..10 {
        run(&mut df, id);
    }
    let mem = df.mem_used();
    for id in 10..2000 {
        run(&mut df, id);
    }
    assert_eq!(
        df.mem_used(),
        mem,
        "buffers are reused: no growth in steady state"
    );
    assert_eq!(df.stats().reassembled, 2000);
    df.clear();
    assert_eq!(df.pending(), 0);
}

#[test]
fn malformed_first_fragments() {
    let mut df = defrag(OverlapPolicy::Bsd);
    // Fuzz-style: random fragments of random datagrams never panic and keep memory bounded.
    let mut rng = Rng(99);
    for i in 0..20_000u32 {
        let off = (rng.below(64) * 8) as u16;
        let len = rng.below(64);
        let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let mf = rng.below(4) != 0;
        let id = rng.below(8) as u16;
        let pkt = if i % 2 == 0 {
            v4_frag(id, off, mf, &data)
        } else {
            v6_frag(u32::from(id), off, mf, &data)
        };
        let _ = feed(&mut df, ts(i64::from(i / 1000)), &pkt);
        assert!(df.mem_used() <= df.config().memcap_bytes);
    }
    let s = df.stats().clone();
    assert_eq!(s.fragments, s.held + s.reassembled + s.dropped());
    assert!(s.reassembled > 0);
}
