//! Real captures from /work/shared/data/suricata-verify through decode + defrag, checked against
//! what Suricata 7.0.10 reported for them (the reference eve.json / test.yaml).

use std::path::{Path, PathBuf};

use pcap_parser::pcapng::Block;
use pcap_parser::{PcapBlockOwned, PcapError, create_reader};
use sekimori_capture::{LinkType, Timestamp};
use sekimori_decode::{Anomaly, L4, decode, tcp_udp_checksum_valid};
use sekimori_defrag::{DefragConfig, DefragOutcome, Defragmenter};

fn sv_root() -> Option<PathBuf> {
    sekimori_fixtures::shared::suricata_verify_tests()
}

fn read_packets(path: &Path) -> Vec<(Timestamp, LinkType, Vec<u8>)> {
    let data = std::fs::read(path).unwrap();
    let mut reader = create_reader(1 << 20, &data[..]).unwrap();
    let mut linktypes: Vec<u32> = Vec::new();
    let mut out = Vec::new();
    loop {
        match reader.next() {
            Ok((off, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => linktypes = vec![h.network.0 as u32],
                    PcapBlockOwned::Legacy(b) => out.push((
                        Timestamp::from_micros(i64::from(b.ts_sec), b.ts_usec),
                        LinkType(linktypes[0]),
                        b.data.to_vec(),
                    )),
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => linktypes.clear(),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        linktypes.push(idb.linktype.0 as u32)
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let n = (epb.caplen as usize).min(epb.data.len());
                        let t = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                        out.push((
                            Timestamp((t as i64).saturating_mul(1000)),
                            LinkType(linktypes[epb.if_id as usize]),
                            epb.data[..n].to_vec(),
                        ));
                    }
                    _ => {}
                }
                reader.consume(off);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => reader.refill().unwrap(),
            Err(e) => panic!("{}: {e:?}", path.display()),
        }
    }
    out
}

/// Per packet (1-based pcap_cnt): the defrag events, and the reassembled datagram if any.
fn run(root: &Path, file: &str) -> Vec<(usize, Vec<Anomaly>, Option<Vec<u8>>)> {
    let path = root.join(file);
    let mut df = Defragmenter::new(DefragConfig::default()).unwrap();
    let mut out = Vec::new();
    for (i, (ts, lt, pkt)) in read_packets(&path).iter().enumerate() {
        let d = decode(*lt, pkt);
        let o = df.process(*ts, &d);
        let dgram = match o {
            DefragOutcome::Reassembled { datagram, .. } => Some(datagram.to_vec()),
            _ => None,
        };
        out.push((i + 1, o.anomalies().iter().collect(), dgram));
        df.expire(*ts);
    }
    out
}

fn b64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("bad base64"),
    };
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|&c| c != b'=') {
        acc = (acc << 6) | u32::from(val(c));
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// Suricata's alert for this test logs the reassembled packet; ours must be byte-identical.
#[test]
fn bug_6887_ipv6_tcp_reassembled_byte_exact() {
    let Some(root) = sv_root() else { return };
    let yaml =
        std::fs::read_to_string(root.join("defrag/bug-6887-defrag-ipv6-tcp/test.yaml")).unwrap();
    let expected_b64 = yaml
        .lines()
        .find_map(|l| l.trim().strip_prefix("packet: \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("packet in test.yaml");
    let expected = b64(expected_b64);
    let results = run(&root, "defrag/bug-6887-defrag-ipv6-tcp/frag-ip-tcp.pcap");
    let done: Vec<_> = results
        .iter()
        .filter_map(|(n, _, d)| d.as_ref().map(|d| (*n, d)))
        .collect();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].0, 3, "completed by the third fragment");
    assert_eq!(done[0].1, &expected);
    let d = decode(LinkType::RAW, done[0].1);
    let L4::Tcp(t) = d.l4 else {
        panic!("{:?}", d.l4)
    };
    assert_eq!((t.sport, t.dport), (12345, 8080));
    assert_eq!(d.payload.len(), 1000, "the rule is dsize:1000");
    assert!(results.iter().all(|(_, a, _)| a.is_empty()));
}

/// Suricata alerts `decode-event:ipv6.frag_overlap` exactly once, on pcap_cnt 8, in both tests.
#[test]
fn ipv6_malformed_fragments_overlap_on_packet_8() {
    let Some(root) = sv_root() else { return };
    for file in [
        "ipv6-evasion/ipv6-malformed-fragments-1/frag-1.pcap",
        "ipv6-evasion/ipv6-malformed-fragments-2/frag-2.pcap",
    ] {
        let results = run(&root, file);
        let flagged: Vec<usize> = results
            .iter()
            .filter(|(_, a, _)| a.contains(&Anomaly::Ipv6FragOverlap))
            .map(|(n, _, _)| *n)
            .collect();
        assert_eq!(flagged, [8], "{file}");
    }
}

/// Every capture of the corpus: fragments reassemble into datagrams that decode cleanly.
#[test]
fn corpus_fragments_reassemble_cleanly() {
    let Some(root) = sv_root() else { return };
    let files = sekimori_fixtures::shared::pcaps_below(&root);
    let mut total_frags = 0;
    let mut total_done = 0;
    for f in &files {
        let mut df = Defragmenter::new(DefragConfig::default()).unwrap();
        for (ts, lt, pkt) in read_packets(f) {
            let d = decode(lt, &pkt);
            if let DefragOutcome::Reassembled { datagram, .. } = df.process(ts, &d) {
                let r = decode(LinkType::RAW, datagram);
                assert!(!r.is_fragment());
                let bad: Vec<Anomaly> = r.anomalies.iter().filter(|a| a.is_invalid()).collect();
                assert!(bad.is_empty(), "{}: {bad:?}", f.display());
                if matches!(r.l4, L4::Tcp(_) | L4::Udp(_)) {
                    assert_eq!(tcp_udp_checksum_valid(&r), Some(true), "{}", f.display());
                }
            }
        }
        total_frags += df.stats().fragments;
        total_done += df.stats().reassembled;
    }
    eprintln!("fragments {total_frags}, reassembled {total_done}");
    // The corpus holds 12 fragments: 3 (bug-6887) + 4 + 4 (ipv6-malformed-fragments-1/2), each
    // completing one datagram, and 1 lone IPv4 fragment (drop-protocol-change) that never does.
    assert_eq!((total_frags, total_done), (12, 3));
}
