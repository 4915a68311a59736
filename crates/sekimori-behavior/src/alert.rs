//! The layer's output: [`BehaviorAlert`], whose `behavior` member serialises to the `behavior`
//! object of detections.md, plus the alert envelope fields (addresses, ports, signature id).
//!
//! Signature ids (gid 1, range 8000000–8099999 reserved for built-in detectors; this layer uses
//! 8040001–8040007): beacon 8040001, first_seen 8040002, exfil_volume 8040003, bulk_read 8040004,
//! scan 8040005, off_hours 8040006, dns_tunnel 8040007.

use sekimori_capture::Timestamp;
use sekimori_decode::Addr;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::time::{eve_time, ser_ts};

/// What a behaviour alert is about (`behavior.kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BehaviorKind {
    /// Periodic connections (or a strobe, flagged in the evidence).
    Beacon,
    /// A destination new to the host (informational).
    FirstSeen,
    /// Outbound volume beyond floor and baseline.
    ExfilVolume,
    /// Many files/bytes read from an internal server.
    BulkRead,
    /// Reserved: scanning (no detector in this crate yet).
    Scan,
    /// Reserved: activity at unusual hours (no detector yet).
    OffHours,
    /// Reserved: DNS tunnelling (no detector yet).
    DnsTunnel,
}

impl BehaviorKind {
    /// The `behavior.kind` spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            BehaviorKind::Beacon => "beacon",
            BehaviorKind::FirstSeen => "first_seen",
            BehaviorKind::ExfilVolume => "exfil_volume",
            BehaviorKind::BulkRead => "bulk_read",
            BehaviorKind::Scan => "scan",
            BehaviorKind::OffHours => "off_hours",
            BehaviorKind::DnsTunnel => "dns_tunnel",
        }
    }
    /// The fixed `alert.signature_id` of the detector.
    pub const fn signature_id(self) -> u32 {
        match self {
            BehaviorKind::Beacon => 8_040_001,
            BehaviorKind::FirstSeen => 8_040_002,
            BehaviorKind::ExfilVolume => 8_040_003,
            BehaviorKind::BulkRead => 8_040_004,
            BehaviorKind::Scan => 8_040_005,
            BehaviorKind::OffHours => 8_040_006,
            BehaviorKind::DnsTunnel => 8_040_007,
        }
    }
    /// The `alert.category` (Suricata classtype description).
    pub const fn category(self) -> &'static str {
        match self {
            BehaviorKind::Beacon => "A Network Trojan was detected",
            BehaviorKind::FirstSeen => "Misc activity",
            BehaviorKind::ExfilVolume => "Potential Corporate Privacy Violation",
            BehaviorKind::BulkRead => "Attempted Information Leak",
            BehaviorKind::Scan => "Detection of a Network Scan",
            BehaviorKind::OffHours => "Misc activity",
            BehaviorKind::DnsTunnel => "Potential Corporate Privacy Violation",
        }
    }
}

/// The `behavior` object of an alert record (detections.md), plus the episode fields.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BehaviorRecord {
    /// Detector.
    pub kind: BehaviorKind,
    /// Score in [0, 1] (rounded to 3 decimals).
    pub score: f64,
    /// Connections (beacon: distinct start times in the window; others: flows/files involved).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connections: Option<u64>,
    /// Median interval in seconds (beacon).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_s: Option<f64>,
    /// Relative jitter MAD/median of the intervals (beacon).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jitter: Option<f64>,
    /// First activity of the episode (traffic time).
    #[serde(serialize_with = "ser_ts")]
    pub first_seen: Timestamp,
    /// Latest activity.
    #[serde(serialize_with = "ser_ts")]
    pub last_seen: Timestamp,
    /// The peer's name when known (DNS, SNI, Host), else its address.
    pub peer: String,
    /// Episode id: every record of one episode carries the same id.
    pub episode: u64,
    /// False for the first record of an episode, true for updates.
    pub update: bool,
    /// Detector-specific numbers and names.
    pub evidence: Map<String, Value>,
}

/// One behaviour detection: the envelope fields of the EVE alert plus [`BehaviorRecord`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BehaviorAlert {
    /// Traffic time of the decision (the record's `timestamp`).
    #[serde(serialize_with = "ser_ts")]
    pub ts: Timestamp,
    /// The internal host (`src_ip`).
    #[serde(serialize_with = "ser_addr")]
    pub src: Addr,
    /// The peer (`dest_ip`) of the latest flow.
    #[serde(serialize_with = "ser_addr")]
    pub dest: Addr,
    /// Client port of the latest flow.
    pub src_port: u16,
    /// Server port of the latest flow.
    pub dest_port: u16,
    /// IP protocol of the latest flow.
    pub proto: u8,
    /// Flow id of the latest flow (0 when unknown).
    pub flow_id: u64,
    /// `alert.signature_id`.
    pub signature_id: u32,
    /// `alert.signature`: one human sentence.
    pub signature: String,
    /// `alert.category`.
    pub category: &'static str,
    /// `alert.severity`: 1 (high) … 4 (info).
    pub severity: u8,
    /// The `behavior` object.
    pub behavior: BehaviorRecord,
}

fn ser_addr<S: serde::Serializer>(a: &Addr, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&a.to_ip())
}

/// Suricata's `proto` text for an IP protocol number.
pub fn proto_name(p: u8) -> String {
    match sekimori_decode::ip_proto_name(p) {
        Some(n) => n.to_string(),
        None => p.to_string(),
    }
}

impl BehaviorAlert {
    /// The whole EVE record (`event_type: alert`, `alert.layer: behavior`, the `behavior` object).
    /// The engine may write its own envelope instead; this is the reference shape.
    pub fn to_eve_json(&self) -> Value {
        let mut v = json!({
            "timestamp": eve_time(self.ts),
            "event_type": "alert",
            "src_ip": self.src.to_ip().to_string(),
            "src_port": self.src_port,
            "dest_ip": self.dest.to_ip().to_string(),
            "dest_port": self.dest_port,
            "proto": proto_name(self.proto),
            "alert": {
                "action": "allowed",
                "gid": 1,
                "signature_id": self.signature_id,
                "rev": 1,
                "signature": self.signature,
                "category": self.category,
                "severity": self.severity,
                "layer": "behavior",
            },
            "behavior": self.behavior,
        });
        if self.flow_id != 0
            && let Some(o) = v.as_object_mut()
        {
            o.insert("flow_id".into(), json!(self.flow_id));
        }
        v
    }
}

/// Severity from a score: ≥ 0.9 → 1, ≥ 0.75 → 2, ≥ 0.5 → 3, else 4.
pub fn severity_of(score: f64) -> u8 {
    if score >= 0.9 {
        1
    } else if score >= 0.75 {
        2
    } else if score >= 0.5 {
        3
    } else {
        4
    }
}

/// Rounds to 3 decimals for output (NaN → 0).
pub fn round3(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1000.0).round() / 1000.0
    } else {
        0.0
    }
}

/// Formats a byte count for signature sentences (`8.0 MiB`, `512 B`).
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if b < 1024 {
        return format!("{b} B");
    }
    let mut v = b as f64 / 1024.0;
    let mut i = 0usize;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    format!("{v:.1} {}", UNITS.get(i).copied().unwrap_or("B"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_shape() {
        let mut ev = Map::new();
        ev.insert("band".into(), json!("high"));
        let a = BehaviorAlert {
            ts: Timestamp::from_micros(1_700_000_000, 0),
            src: Addr::v4([10, 0, 0, 5]),
            dest: Addr::v4([203, 0, 113, 9]),
            src_port: 50000,
            dest_port: 443,
            proto: 6,
            flow_id: 42,
            signature_id: BehaviorKind::Beacon.signature_id(),
            signature: "Behavior: beacon".into(),
            category: BehaviorKind::Beacon.category(),
            severity: 1,
            behavior: BehaviorRecord {
                kind: BehaviorKind::Beacon,
                score: 0.93,
                connections: Some(70),
                interval_s: Some(301.5),
                jitter: Some(0.03),
                first_seen: Timestamp::from_micros(1_699_990_000, 0),
                last_seen: Timestamp::from_micros(1_700_000_000, 0),
                peer: "www.example.co.jp".into(),
                episode: 3,
                update: false,
                evidence: ev,
            },
        };
        let b = serde_json::to_value(&a.behavior).unwrap();
        assert_eq!(b["kind"], "beacon");
        assert_eq!(b["score"], 0.93);
        assert_eq!(b["connections"], 70);
        assert_eq!(b["interval_s"], 301.5);
        assert_eq!(b["jitter"], 0.03);
        assert_eq!(b["peer"], "www.example.co.jp");
        assert_eq!(b["first_seen"], "2023-11-14T19:26:40.000000+0000");
        assert_eq!(b["evidence"]["band"], "high");
        let e = a.to_eve_json();
        assert_eq!(e["event_type"], "alert");
        assert_eq!(e["alert"]["layer"], "behavior");
        assert_eq!(e["alert"]["gid"], 1);
        assert_eq!(e["alert"]["signature_id"], 8_040_001);
        assert_eq!(e["src_ip"], "10.0.0.5");
        assert_eq!(e["dest_ip"], "203.0.113.9");
        assert_eq!(e["proto"], "TCP");
        assert_eq!(e["flow_id"], 42);
        assert_eq!(e["behavior"]["episode"], 3);
        // Optional members vanish when absent.
        let mut r = a.behavior.clone();
        r.interval_s = None;
        let v = serde_json::to_value(&r).unwrap();
        assert!(v.get("interval_s").is_none());
    }

    #[test]
    fn helpers() {
        assert_eq!(severity_of(0.95), 1);
        assert_eq!(severity_of(0.8), 2);
        assert_eq!(severity_of(0.5), 3);
        assert_eq!(severity_of(0.1), 4);
        assert_eq!(severity_of(f64::NAN), 4);
        assert_eq!(round3(0.12345), 0.123);
        assert_eq!(round3(f64::INFINITY), 0.0);
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(8 << 20), "8.0 MiB");
        assert_eq!(human_bytes(u64::MAX), "16384.0 PiB");
        assert_eq!(proto_name(17), "UDP");
        assert_eq!(proto_name(4), "IPv4");
        assert_eq!(proto_name(253), "253", "as EVE prints an unnamed protocol");
        let ids: Vec<u32> = [
            BehaviorKind::Beacon,
            BehaviorKind::FirstSeen,
            BehaviorKind::ExfilVolume,
            BehaviorKind::BulkRead,
            BehaviorKind::Scan,
            BehaviorKind::OffHours,
            BehaviorKind::DnsTunnel,
        ]
        .iter()
        .map(|k| k.signature_id())
        .collect();
        assert!(ids.iter().all(|&i| (8_000_000..=8_099_999).contains(&i)));
    }
}
