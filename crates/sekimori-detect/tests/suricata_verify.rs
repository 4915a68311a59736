//! End-to-end check against Suricata 7.0.10 on suricata-verify tests whose rules use only
//! packet-level keywords (payload, byte_*, ttl, itype, flow direction): each TCP/UDP/ICMP
//! packet's payload is inspected as the packet buffer and the sids fired are compared with the
//! `alert` records of the reference eve.json.
//!
//! Exact per-sid alert counts are compared for packet-only rule sets; for TCP rule sets where
//! Suricata inspects the reassembled stream, only the set of sids fired is compared.

use sekimori_capture::{PacketSource, PcapFile};
use sekimori_decode::{Addr, L4, decode};
use sekimori_detect::{Buffers, DetectEngine, FlowFacts, FlowState, PacketInfo, Scratch};
use sekimori_flow::Direction;
use sekimori_rules::{Classifications, Vars, load_files};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

const SV: &str = "/work/shared/data/suricata-verify/tests";
const EVE: &str = "/work/shared/data/suricata-verify-eve";

/// Minimal flow tracking for the test: client = sender of the first packet; established once
/// both sides have sent a packet (TCP: after the SYN/SYN-ACK exchange).
#[derive(Default)]
struct Flow {
    client: (Addr, u16),
    seen: [bool; 2],
    state: FlowState,
}

fn run(test: &str, pcap: &str) -> BTreeMap<u32, usize> {
    let dir = Path::new(SV).join(test);
    let rules: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rules"))
        .collect();
    let set = load_files(&rules, &Vars::suricata_defaults(), &Classifications::new());
    assert!(set.errors.is_empty(), "{test}: {:?}", set.errors);
    let e = DetectEngine::new(&set);
    assert!(e.skipped().is_empty(), "{test}: {:?}", e.skipped());
    let mut src = PcapFile::open(dir.join(pcap)).unwrap();
    let mut flows: HashMap<(Addr, Addr, u16, u16, u8), Flow> = HashMap::new();
    let mut scratch = Scratch::new();
    let mut out = BTreeMap::new();
    while let Some(p) = src.next_packet().unwrap() {
        let d = decode(p.linktype, p.data);
        if d.ip.is_none() {
            continue;
        }
        let mut info = PacketInfo::from_decoded(&d, p.ts);
        let (a, b) = ((d.src, d.sport_or0()), (d.dst, d.dport_or0()));
        let key = if a <= b {
            (a.0, b.0, a.1, b.1, info.ip_proto)
        } else {
            (b.0, a.0, b.1, a.1, info.ip_proto)
        };
        let f = flows.entry(key).or_insert_with(|| Flow {
            client: a,
            ..Flow::default()
        });
        let dir = if f.client == a {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        f.seen[(dir == Direction::ToClient) as usize] = true;
        let established = f.seen[0] && f.seen[1] && {
            // a TCP SYN/SYN-ACK is not yet established
            !matches!(d.l4, L4::Tcp(t) if t.flags & 0x02 != 0)
        };
        info.flow = Some(FlowFacts {
            direction: dir,
            established,
        });
        for a in e.inspect(
            &info,
            &Buffers::packet(d.payload),
            Some(&mut f.state),
            &mut scratch,
        ) {
            if a.noalert {
                continue;
            }
            *out.entry(a.sid).or_insert(0) += 1;
        }
    }
    out
}

trait Ports {
    fn sport_or0(&self) -> u16;
    fn dport_or0(&self) -> u16;
}

impl Ports for sekimori_decode::Decoded<'_> {
    fn sport_or0(&self) -> u16 {
        self.ports().0
    }
    fn dport_or0(&self) -> u16 {
        self.ports().1
    }
}

fn reference(test: &str) -> BTreeMap<u32, usize> {
    let text = std::fs::read_to_string(Path::new(EVE).join(test).join("eve.json")).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["event_type"] == "alert"
            && let Some(sid) = v["alert"]["signature_id"].as_u64()
        {
            *out.entry(sid as u32).or_insert(0) += 1;
        }
    }
    out
}

fn available() -> bool {
    Path::new(SV).exists() && Path::new(EVE).exists()
}

fn check_counts(test: &str, pcap: &str) {
    if !available() {
        return;
    }
    let got = run(test, pcap);
    let want = reference(test);
    assert_eq!(
        got, want,
        "{test}: per-sid alert counts differ from Suricata"
    );
}

fn check_sids(test: &str, pcap: &str) {
    if !available() {
        return;
    }
    let got: Vec<u32> = run(test, pcap).into_keys().collect();
    let want: Vec<u32> = reference(test).into_keys().collect();
    assert_eq!(got, want, "{test}: sids fired differ from Suricata");
}

#[test]
fn byte_extract_01() {
    check_counts("byte-extract-01", "input.pcap");
}

#[test]
fn detect_itype() {
    check_counts("detect-itype", "../detect-itype-prefilter/icmpv4-ping.pcap");
}

#[test]
fn detect_itype_prefilter() {
    if !available() {
        return;
    }
    // Suricata 7.0.10 does not load sids 3-5 (`itype: <= 8` etc.), which sekimori-rules accepts;
    // compare the rules both load.
    let mut got = run("detect-itype-prefilter", "icmpv4-ping.pcap");
    got.retain(|sid, _| *sid <= 2);
    assert_eq!(got, reference("detect-itype-prefilter"));
}

#[test]
fn detect_ttl() {
    check_counts("detect-ttl", "../rfb-protocol-3.8/04-vnc-openwall-3.8.pcap");
}

#[test]
fn detect_ttl_ipv6() {
    check_counts(
        "detect-ttl-ipv6",
        "../ipv6-evasion/ipv6-covert-dstopts/covert_send6.pcap",
    );
}

#[test]
fn alert_distance_within_1() {
    check_sids("alert-distance-within-1", "input.pcap");
}

#[test]
fn detect_bytejump_01() {
    check_sids("detect-bytejump-01", "input.pcap");
}

#[test]
fn detect_bytejump_02() {
    check_sids("detect-bytejump-02", "input.pcap");
}
