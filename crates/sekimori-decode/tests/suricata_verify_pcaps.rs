//! Decodes every packet of the suricata-verify pcaps in /work/shared and checks that real traffic
//! produces no unexpected decoder anomalies (and exercises every link type present there).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pcap_parser::pcapng::Block;
use pcap_parser::{PcapBlockOwned, PcapError, create_reader};
use sekimori_capture::LinkType;
use sekimori_decode::{Anomaly, DecodeStats, L4, decode, tcp_udp_checksum_valid};

fn sv_root() -> Option<PathBuf> {
    sekimori_fixtures::shared::suricata_verify_tests()
}

fn pcaps(dir: &Path, out: &mut Vec<PathBuf>) {
    out.extend(sekimori_fixtures::shared::pcaps_below(dir));
}

/// (link type, captured bytes) of every packet of a pcap or pcapng file.
fn read_packets(path: &Path) -> Vec<(LinkType, Vec<u8>)> {
    let data = std::fs::read(path).unwrap();
    let mut reader = create_reader(1 << 20, &data[..]).unwrap();
    let mut linktypes: Vec<u32> = Vec::new();
    let mut out = Vec::new();
    loop {
        match reader.next() {
            Ok((off, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => linktypes = vec![h.network.0 as u32],
                    PcapBlockOwned::Legacy(b) => {
                        out.push((LinkType(linktypes[0]), b.data.to_vec()))
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => linktypes.clear(),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        linktypes.push(idb.linktype.0 as u32)
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let n = (epb.caplen as usize).min(epb.data.len());
                        out.push((
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

#[test]
fn suricata_verify_pcaps_decode_cleanly() {
    let Some(root) = sv_root() else { return };
    let mut files = Vec::new();
    pcaps(&root, &mut files);
    assert!(!files.is_empty(), "no pcaps under {}", root.display());
    files.sort();
    let mut stats = DecodeStats::default();
    let mut by_linktype: BTreeMap<u32, u64> = BTreeMap::new();
    let mut found: BTreeMap<Anomaly, Vec<String>> = BTreeMap::new();
    let mut bad_l4_csum = 0u64;
    let mut checked_l4_csum = 0u64;
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap().display().to_string();
        for (i, (lt, pkt)) in read_packets(f).iter().enumerate() {
            let d = decode(*lt, pkt);
            stats.record(&d);
            *by_linktype.entry(lt.0).or_default() += 1;
            let mut kinds: Vec<Anomaly> = d.anomalies.iter().collect();
            kinds.dedup();
            for a in kinds {
                found.entry(a).or_default().push(format!("{rel}#{}", i + 1));
            }
            if matches!(d.l4, L4::Tcp(_) | L4::Udp(_))
                && let Some(ok) = tcp_udp_checksum_valid(&d)
            {
                checked_l4_csum += 1;
                bad_l4_csum += u64::from(!ok);
            }
        }
    }
    eprintln!(
        "files {} packets {} by linktype {by_linktype:?}",
        files.len(),
        stats.pkts
    );
    eprintln!("{stats:#?}");
    eprintln!("l4 checksums checked {checked_l4_csum}, bad {bad_l4_csum}");
    for (a, where_) in &found {
        eprintln!(
            "{a}: {} packets: {:?}",
            where_.len(),
            &where_[..where_.len().min(40)]
        );
    }
    // Every link type present in the corpus decodes to IP for the bulk of its packets.
    assert!(stats.ipv4 + stats.ipv6 > stats.pkts * 9 / 10);
    // Every anomaly on real traffic, checked by hand against Suricata's rules for the same event:
    let packets = |file: &str, ids: &[u32]| -> Vec<String> {
        ids.iter().map(|i| format!("{file}#{i}")).collect()
    };
    let mut expected: BTreeMap<Anomaly, Vec<String>> = BTreeMap::new();
    // IGMP with a 4-byte router-alert option: not a multiple of 8 (Suricata's pad check).
    expected.insert(
        Anomaly::Ipv4OptPadRequired,
        [
            packets("bug-4663/input.pcap", &[973, 975]),
            packets("smtp-attachment-md5/input.pcap", &[25]),
        ]
        .concat(),
    );
    // The covert-channel test: exactly the packets real Suricata 7.0.10 alerted on with
    // `decode-event:ipv6.dstopts_unknown_opt` (pcap_cnt of the reference eve.json).
    expected.insert(
        Anomaly::Ipv6DstoptsUnknownOpt,
        packets(
            "ipv6-evasion/ipv6-covert-dstopts/covert_send6.pcap",
            &[
                1, 2, 3, 4, 5, 7, 9, 10, 14, 15, 16, 18, 21, 23, 24, 25, 29, 30,
            ],
        ),
    );
    // MLD reports: hop-by-hop router alert followed by a PadN of length zero.
    expected.insert(
        Anomaly::Ipv6ZeroLenPadn,
        [
            packets(
                "ipv6-evasion/ipv6-atomic-fragments-toobig/toobig.pcap",
                &[4, 5],
            ),
            packets(
                "ipv6-evasion/ipv6-malformed-fragments-1/frag-1.pcap",
                &[4, 7],
            ),
            packets(
                "ipv6-evasion/ipv6-malformed-fragments-2/frag-2.pcap",
                &[4, 7],
            ),
            packets("tls/tls-subjectaltname/input.pcap", &[90, 132, 133, 137]),
        ]
        .concat(),
    );
    // A deliberately broken segment: TCP data offset 2.
    expected.insert(
        Anomaly::TcpInvalidOptlen,
        packets("drop-protocol-change/input.pcap", &[7]),
    );
    assert_eq!(found, expected);
}
