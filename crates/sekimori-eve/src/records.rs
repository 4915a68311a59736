//! The record shapes of the foundation layer: the common header every record starts with, `flow`,
//! `anomaly` and `stats`. Later layers (protocols, alerts) start their records with [`Header`] too.

use crate::format::{proto_name, push_addr, push_timestamp};
use crate::json::Obj;
use sekimori_capture::Timestamp;
use sekimori_decode::Addr;

/// The endpoints of a record: who sent what to whom.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// Source address.
    pub src: Addr,
    /// Source port (None for protocols without ports).
    pub sport: Option<u16>,
    /// Destination address.
    pub dst: Addr,
    /// Destination port.
    pub dport: Option<u16>,
    /// IP protocol number.
    pub proto: u8,
}

/// The fields every EVE record starts with, in Suricata's order.
#[derive(Clone, Copy, Debug, Default)]
pub struct Header<'a> {
    /// Record time.
    pub ts: Timestamp,
    /// The flow's id, when the record belongs to a flow.
    pub flow_id: Option<u64>,
    /// Packet number, when the record was caused by one packet.
    pub pcap_cnt: Option<u64>,
    /// `flow`, `alert`, `anomaly`, ...
    pub event_type: &'a str,
    /// VLAN ids, outermost first (omitted when empty).
    pub vlan: &'a [u16],
    /// Endpoints (omitted for records not tied to a packet or flow, e.g. `stats`).
    pub endpoints: Option<Endpoints>,
}

impl Header<'_> {
    /// Writes the header fields into `o`.
    pub fn write(&self, o: &mut Obj<'_>) {
        o.raw_with("timestamp", |b| {
            b.push(b'"');
            push_timestamp(b, self.ts);
            b.push(b'"');
        });
        if let Some(id) = self.flow_id {
            o.u64("flow_id", id);
        }
        if let Some(c) = self.pcap_cnt {
            o.u64("pcap_cnt", c);
        }
        o.str("event_type", self.event_type);
        if !self.vlan.is_empty() {
            o.arr("vlan", |a| {
                for v in self.vlan {
                    a.u64(u64::from(*v));
                }
            });
        }
        if let Some(ep) = self.endpoints {
            o.raw_with("src_ip", |b| quoted_addr(b, ep.src));
            if let Some(p) = ep.sport {
                o.u64("src_port", u64::from(p));
            }
            o.raw_with("dest_ip", |b| quoted_addr(b, ep.dst));
            if let Some(p) = ep.dport {
                o.u64("dest_port", u64::from(p));
            }
            match proto_name(ep.proto) {
                Some(n) => o.str("proto", n),
                None => o.str("proto", itoa::Buffer::new().format(ep.proto)),
            };
        }
    }
}

fn quoted_addr(b: &mut Vec<u8>, a: Addr) {
    b.push(b'"');
    push_addr(b, a);
    b.push(b'"');
}

/// ICMP type/code of both directions of an ICMP flow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IcmpTypes {
    /// Type of the initiator's first message.
    pub icmp_type: u8,
    /// Code of the initiator's first message.
    pub icmp_code: u8,
    /// Type of the first response, if any.
    pub response: Option<(u8, u8)>,
}

/// The `tcp` object of a flow record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpSummary {
    /// OR of the TCP flags seen to_server.
    pub flags_ts: u8,
    /// OR of the TCP flags seen to_client.
    pub flags_tc: u8,
    /// TCP state name (`established`, `closed`, ...) when a session was tracked.
    pub state: Option<&'static str>,
    /// A gap was seen to_server.
    pub ts_gap: bool,
    /// A gap was seen to_client.
    pub tc_gap: bool,
    /// Stream regions used to_server (Suricata's `ts_max_regions`), when a session was tracked.
    pub ts_max_regions: Option<u32>,
    /// Stream regions used to_client.
    pub tc_max_regions: Option<u32>,
}

/// Everything a `flow` record says.
#[derive(Clone, Copy, Debug, Default)]
pub struct FlowRecord<'a> {
    /// Flow id.
    pub flow_id: u64,
    /// VLAN ids.
    pub vlan: &'a [u16],
    /// Endpoints oriented client → server.
    pub endpoints: Endpoints,
    /// ICMP types, for ICMP flows.
    pub icmp: Option<IcmpTypes>,
    /// Detected application protocol.
    pub app_proto: Option<&'a str>,
    /// Packets client → server.
    pub pkts_toserver: u64,
    /// Packets server → client.
    pub pkts_toclient: u64,
    /// Bytes client → server.
    pub bytes_toserver: u64,
    /// Bytes server → client.
    pub bytes_toclient: u64,
    /// First packet time.
    pub start: Timestamp,
    /// Last packet time.
    pub end: Timestamp,
    /// `new`, `established`, `closed`, ...
    pub state: &'a str,
    /// `timeout`, `shutdown`, `forced`.
    pub reason: &'a str,
    /// Whether any alert fired on the flow.
    pub alerted: bool,
    /// IPS action taken on the flow (`drop`), if any.
    pub action: Option<&'a str>,
    /// The flow's variables as already-serialised members (`"traffic":{...},"metadata":{...}`,
    /// see [`flow_vars_members`]); empty when none. Written after the `flow` object.
    pub vars: &'a [u8],
    /// Community ID, when `community-id` is on (written after the `flow` object).
    pub community_id: Option<&'a str>,
    /// TCP details, for TCP flows.
    pub tcp: Option<TcpSummary>,
}

/// Writes a `flow` record (one JSON object, no newline) into `buf`.
pub fn write_flow(buf: &mut Vec<u8>, r: &FlowRecord<'_>) {
    let mut o = Obj::new(buf);
    Header {
        ts: r.start,
        flow_id: Some(r.flow_id),
        pcap_cnt: None,
        event_type: "flow",
        vlan: r.vlan,
        endpoints: Some(r.endpoints),
    }
    .write(&mut o);
    if let Some(i) = r.icmp {
        o.u64("icmp_type", i.icmp_type.into())
            .u64("icmp_code", i.icmp_code.into());
        if let Some((t, c)) = i.response {
            o.u64("response_icmp_type", t.into())
                .u64("response_icmp_code", c.into());
        }
    }
    if let Some(a) = r.app_proto {
        o.str("app_proto", a);
    }
    o.obj("flow", |f| {
        f.u64("pkts_toserver", r.pkts_toserver)
            .u64("pkts_toclient", r.pkts_toclient)
            .u64("bytes_toserver", r.bytes_toserver)
            .u64("bytes_toclient", r.bytes_toclient);
        f.raw_with("start", |b| quoted_ts(b, r.start));
        f.raw_with("end", |b| quoted_ts(b, r.end));
        f.i64("age", r.end.secs() - r.start.secs())
            .str("state", r.state)
            .str("reason", r.reason)
            .bool("alerted", r.alerted);
        if let Some(a) = r.action {
            f.str("action", a);
        }
    });
    o.members(r.vars);
    if let Some(c) = r.community_id {
        o.str("community_id", c);
    }
    if let Some(t) = r.tcp {
        o.obj("tcp", |o| write_tcp(o, &t));
    }
    o.end();
}

fn quoted_ts(b: &mut Vec<u8>, ts: Timestamp) {
    b.push(b'"');
    push_timestamp(b, ts);
    b.push(b'"');
}

fn hex_byte(v: u8) -> [u8; 2] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    [HEX[(v >> 4) as usize], HEX[(v & 0xf) as usize]]
}

fn write_tcp(o: &mut Obj<'_>, t: &TcpSummary) {
    let all = t.flags_ts | t.flags_tc;
    o.bytes("tcp_flags", &hex_byte(all))
        .bytes("tcp_flags_ts", &hex_byte(t.flags_ts))
        .bytes("tcp_flags_tc", &hex_byte(t.flags_tc));
    // Suricata lists the set flags in this order.
    for (bit, name) in [
        (0x02, "syn"),
        (0x01, "fin"),
        (0x04, "rst"),
        (0x08, "psh"),
        (0x10, "ack"),
        (0x20, "urg"),
        (0x40, "ecn"),
        (0x80, "cwr"),
    ] {
        if all & bit != 0 {
            o.bool(name, true);
        }
    }
    if let Some(s) = t.state {
        o.str("state", s);
    }
    if t.ts_gap {
        o.bool("ts_gap", true);
    }
    if t.tc_gap {
        o.bool("tc_gap", true);
    }
    if let Some(r) = t.ts_max_regions {
        o.u64("ts_max_regions", r.into());
    }
    if let Some(r) = t.tc_max_regions {
        o.u64("tc_max_regions", r.into());
    }
}

/// The `flow` object of an alert record: the flow's counters when the alert was raised, its
/// start and its endpoints (oriented client → server, whatever the alerting packet's direction),
/// as Suricata writes it under `outputs.eve-log.types.alert.flow` (on by default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AlertFlow {
    /// Packets client → server so far.
    pub pkts_toserver: u64,
    /// Packets server → client so far.
    pub pkts_toclient: u64,
    /// Bytes client → server so far.
    pub bytes_toserver: u64,
    /// Bytes server → client so far.
    pub bytes_toclient: u64,
    /// First packet time.
    pub start: Timestamp,
    /// The flow's endpoints (ports omitted for protocols without ports).
    pub endpoints: Endpoints,
}

/// Writes the alert's `flow` object into `o` (the key included).
pub fn write_alert_flow(o: &mut Obj<'_>, f: &AlertFlow) {
    o.obj("flow", |x| {
        x.u64("pkts_toserver", f.pkts_toserver)
            .u64("pkts_toclient", f.pkts_toclient)
            .u64("bytes_toserver", f.bytes_toserver)
            .u64("bytes_toclient", f.bytes_toclient);
        x.raw_with("start", |b| quoted_ts(b, f.start));
        x.raw_with("src_ip", |b| quoted_addr(b, f.endpoints.src));
        x.raw_with("dest_ip", |b| quoted_addr(b, f.endpoints.dst));
        if let Some(p) = f.endpoints.sport {
            x.u64("src_port", p.into());
        }
        if let Some(p) = f.endpoints.dport {
            x.u64("dest_port", p.into());
        }
    });
}

/// Appends a flow's variables as Suricata writes them in every record of the flow: flowbits
/// named `traffic/id/NAME` and `traffic/label/NAME` go to `"traffic":{"id":[...],"label":[...]}`,
/// the others to `"metadata":{"flowbits":[...]}` (`metadata` is there, empty or not, whenever
/// a flowbit is set). Nothing is appended when no flowbit is set.
pub fn flow_vars_members<'n>(out: &mut Vec<u8>, flowbits: impl Iterator<Item = &'n str> + Clone) {
    if flowbits.clone().next().is_none() {
        return;
    }
    let ids = || {
        flowbits
            .clone()
            .filter_map(|n| n.strip_prefix("traffic/id/"))
    };
    let labels = || {
        flowbits
            .clone()
            .filter_map(|n| n.strip_prefix("traffic/label/"))
    };
    let others = || {
        flowbits
            .clone()
            .filter(|n| !n.starts_with("traffic/id/") && !n.starts_with("traffic/label/"))
    };
    let mut tmp = Vec::new();
    let mut o = Obj::new(&mut tmp);
    if ids().next().is_some() || labels().next().is_some() {
        o.obj("traffic", |t| {
            if ids().next().is_some() {
                t.arr("id", |a| {
                    for n in ids() {
                        a.str(n);
                    }
                });
            }
            if labels().next().is_some() {
                t.arr("label", |a| {
                    for n in labels() {
                        a.str(n);
                    }
                });
            }
        });
    }
    o.obj("metadata", |m| {
        if others().next().is_some() {
            m.arr("flowbits", |a| {
                for n in others() {
                    a.str(n);
                }
            });
        }
    });
    o.end();
    // Without the braces of the temporary object.
    if let Some(inner) = tmp.get(1..tmp.len().saturating_sub(1)) {
        out.extend_from_slice(inner);
    }
}

/// What an `anomaly` record reports.
#[derive(Clone, Copy, Debug)]
pub struct AnomalyRecord<'a> {
    /// Header (event_type is forced to `anomaly`).
    pub header: Header<'a>,
    /// `decode`, `stream` or `applayer`.
    pub kind: &'a str,
    /// Event name, e.g. `decoder.ipv4.trunc_pkt`.
    pub event: &'a str,
    /// For app-layer anomalies: the protocol.
    pub app_proto: Option<&'a str>,
    /// For app-layer anomalies: `proto_parser` / `proto_detect`.
    pub layer: Option<&'a str>,
    /// For app-layer anomalies: the transaction, when known.
    pub tx_id: Option<u64>,
}

/// Writes an `anomaly` record into `buf`.
pub fn write_anomaly(buf: &mut Vec<u8>, r: &AnomalyRecord<'_>) {
    let mut o = Obj::new(buf);
    Header {
        event_type: "anomaly",
        ..r.header
    }
    .write(&mut o);
    if r.header.pcap_cnt.is_some() {
        o.str("pkt_src", "wire/pcap");
    }
    if let Some(t) = r.tx_id {
        o.u64("tx_id", t);
    }
    o.obj("anomaly", |a| {
        if let Some(p) = r.app_proto {
            a.str("app_proto", p);
        }
        a.str("type", r.kind).str("event", r.event);
        if let Some(l) = r.layer {
            a.str("layer", l);
        }
    });
    o.end();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_record_matches_suricata_shape() {
        let mut buf = Vec::new();
        let ep = Endpoints {
            src: Addr::v4([10, 16, 1, 11]),
            sport: Some(54186),
            dst: Addr::v4([82, 165, 177, 154]),
            dport: Some(80),
            proto: 6,
        };
        write_flow(
            &mut buf,
            &FlowRecord {
                flow_id: 2229530010573942,
                vlan: &[],
                endpoints: ep,
                icmp: None,
                app_proto: Some("http"),
                pkts_toserver: 3,
                pkts_toclient: 2,
                bytes_toserver: 162,
                bytes_toclient: 373,
                start: Timestamp::from_micros(1_468_449_727, 388_030),
                end: Timestamp::from_micros(1_468_449_727, 573_174),
                state: "closed",
                reason: "shutdown",
                alerted: true,
                action: None,
                vars: b"",
                community_id: None,
                tcp: Some(TcpSummary {
                    flags_ts: 0x11,
                    flags_tc: 0x19,
                    state: Some("closed"),
                    ts_max_regions: Some(1),
                    tc_max_regions: Some(1),
                    ..Default::default()
                }),
            },
        );
        // The reference line, from Suricata 7.0.10's output for alert-testmyids.
        let want = r#"{"timestamp":"2016-07-13T22:42:07.388030+0000","flow_id":2229530010573942,"event_type":"flow","src_ip":"10.16.1.11","src_port":54186,"dest_ip":"82.165.177.154","dest_port":80,"proto":"TCP","app_proto":"http","flow":{"pkts_toserver":3,"pkts_toclient":2,"bytes_toserver":162,"bytes_toclient":373,"start":"2016-07-13T22:42:07.388030+0000","end":"2016-07-13T22:42:07.573174+0000","age":0,"state":"closed","reason":"shutdown","alerted":true},"tcp":{"tcp_flags":"19","tcp_flags_ts":"11","tcp_flags_tc":"19","fin":true,"psh":true,"ack":true,"state":"closed","ts_max_regions":1,"tc_max_regions":1}}"#;
        assert_eq!(std::str::from_utf8(&buf).unwrap(), want);
    }

    #[test]
    fn alert_flow_object_matches_suricata_shape() {
        let mut buf = Vec::new();
        let mut o = Obj::new(&mut buf);
        write_alert_flow(
            &mut o,
            &AlertFlow {
                pkts_toserver: 4,
                pkts_toclient: 2,
                bytes_toserver: 379,
                bytes_toclient: 1588,
                start: Timestamp::from_micros(1_255_711_456, 83_524),
                endpoints: Endpoints {
                    src: Addr::v4([192, 168, 2, 3]),
                    sport: Some(37010),
                    dst: Addr::v4([208, 69, 36, 231]),
                    dport: Some(80),
                    proto: 6,
                },
            },
        );
        o.end();
        // From Suricata 7.0.10's alert in bug-78-uricontent.
        let want = r#"{"flow":{"pkts_toserver":4,"pkts_toclient":2,"bytes_toserver":379,"bytes_toclient":1588,"start":"2009-10-16T16:44:16.083524+0000","src_ip":"192.168.2.3","dest_ip":"208.69.36.231","src_port":37010,"dest_port":80}}"#;
        assert_eq!(std::str::from_utf8(&buf).unwrap(), want);
        // ICMP: no ports.
        let mut buf = Vec::new();
        let mut o = Obj::new(&mut buf);
        write_alert_flow(
            &mut o,
            &AlertFlow {
                endpoints: Endpoints {
                    proto: 1,
                    ..Default::default()
                },
                ..Default::default()
            },
        );
        o.end();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert!(v["flow"].get("src_port").is_none());
        assert_eq!(v["flow"]["pkts_toserver"], 0);
    }

    #[test]
    fn flow_vars_split_traffic_from_flowbits() {
        let mut out = Vec::new();
        flow_vars_members(&mut out, ["traffic/id/mozilla"].into_iter());
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#""traffic":{"id":["mozilla"]},"metadata":{}"#
        );
        let mut out = Vec::new();
        flow_vars_members(
            &mut out,
            ["a", "traffic/label/x", "traffic/id/y", "b"].into_iter(),
        );
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#""traffic":{"id":["y"],"label":["x"]},"metadata":{"flowbits":["a","b"]}"#
        );
        let mut out = Vec::new();
        flow_vars_members(&mut out, std::iter::empty());
        assert!(out.is_empty());
    }

    #[test]
    fn anomaly_record_has_type_and_event() {
        let mut buf = Vec::new();
        write_anomaly(
            &mut buf,
            &AnomalyRecord {
                header: Header {
                    ts: Timestamp::from_micros(1, 0),
                    pcap_cnt: Some(3),
                    ..Default::default()
                },
                kind: "decode",
                event: "decoder.ipv4.trunc_pkt",
                app_proto: None,
                layer: None,
                tx_id: None,
            },
        );
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["event_type"], "anomaly");
        assert_eq!(v["pcap_cnt"], 3);
        assert_eq!(v["anomaly"]["type"], "decode");
        assert_eq!(v["anomaly"]["event"], "decoder.ipv4.trunc_pkt");
        assert!(v.get("src_ip").is_none());
    }
}
