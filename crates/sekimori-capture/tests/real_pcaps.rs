//! Reads real captures from the suricata-verify corpus, one per link type present there.
//! Expected counts/bytes were computed independently (a few lines of Python over the raw
//! records) and cross-checked against the highest `pcap_cnt` Suricata logged where it logged any.

use std::path::PathBuf;

use sekimori_capture::{LinkType, MultiFileSource, PacketSource, PcapFile, Timestamp};

fn sv(rel: &str) -> Option<PathBuf> {
    sekimori_fixtures::shared::suricata_verify_tests().map(|root| root.join(rel))
}

/// (file, link type, packets, captured bytes, first timestamp secs, first usecs)
const CASES: &[(&str, u32, u64, u64, i64, u32)] = &[
    (
        "tcp-protodetect-bailout/input.pcap",
        0,
        10,
        601,
        1_607_067_968,
        429_142,
    ),
    (
        "detect-bytetest-03/input.pcap",
        1,
        1,
        64,
        1_646_141_050,
        272_545,
    ),
    (
        "detect-bytejump-01/input.pcap",
        101,
        1,
        78,
        1_589_656_849,
        937_736,
    ),
    (
        "tcp-empty-sack/tcp-opt.pcap",
        101,
        42,
        13_714,
        1_571_309_124,
        735_551,
    ),
    (
        "detect-pcre/detect-pcre-02/input.pcap",
        113,
        10,
        948,
        1_704_831_500,
        974_975,
    ),
    (
        "smb-eicar-file/input.pcap",
        113,
        31,
        3_959,
        1_580_905_748,
        543_867,
    ),
    (
        "defrag/bug-6887-defrag-ipv6-tcp/frag-ip-tcp.pcap",
        229,
        3,
        1_164,
        1_712_911_987,
        483_336,
    ),
];

#[test]
fn one_file_per_linktype() {
    for &(rel, lt, pkts, bytes, s, us) in CASES {
        let Some(path) = sv(rel) else { return };
        let mut f = PcapFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let mut n = 0u64;
        let mut total = 0u64;
        let mut first = None;
        while let Some(p) = f.next_packet().unwrap_or_else(|e| panic!("{e}")) {
            n += 1;
            total += p.data.len() as u64;
            assert_eq!(p.linktype, LinkType(lt), "{rel}");
            assert_eq!(p.pcap_cnt, n);
            assert!(p.data.len() as u64 <= u64::from(p.orig_len));
            first.get_or_insert(p.ts);
        }
        assert_eq!((n, total), (pkts, bytes), "{rel}");
        assert_eq!(first, Some(Timestamp::from_micros(s, us)), "{rel}");
        let st = f.stats();
        assert_eq!((st.truncated, st.errors, st.oversize), (0, 0, 0), "{rel}");
        let size = std::fs::metadata(&path).map(|m| m.len()).ok();
        assert_eq!(f.progress().total, size);
        assert_eq!(Some(f.progress().done), size);
    }
}

#[test]
fn merge_real_files() {
    let Some(a) = sv("tcp-empty-sack/tcp-opt.pcap") else {
        return;
    };
    let Some(b) = sv("smb-eicar-file/input.pcap") else {
        return;
    };
    let Some(c) = sv("detect-pcre/detect-pcre-02/input.pcap") else {
        return;
    };
    let mut m = MultiFileSource::open(&[a, b, c]).unwrap_or_else(|e| panic!("{e}"));
    let mut last = Timestamp(i64::MIN);
    let mut per = [0u64; 3];
    let mut n = 0;
    while let Some(p) = m.next_packet().unwrap_or_else(|e| panic!("{e}")) {
        n += 1;
        assert_eq!(p.pcap_cnt, n);
        // Each of these files is itself in time order, so the merge must be too.
        assert!(p.ts >= last, "packet {n} goes back in time");
        last = p.ts;
        per[usize::from(p.source)] += 1;
    }
    assert_eq!(per, [42, 31, 10]);
    let s = m.stats();
    assert_eq!((s.packets, s.files, s.bytes), (83, 3, 13_714 + 3_959 + 948));
}
