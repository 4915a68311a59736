//! Packet decoding: link layer (Ethernet, SLL/SLL2, null/loopback, raw IP), VLAN, PPPoE, IPv4,
//! IPv6 with extension headers, TCP, UDP, ICMPv4/v6. Zero-copy over the captured bytes; malformed
//! input becomes counted [`Anomaly`] values (Suricata's `decoder.*` event names), never a panic.
//!
//! Entry point: [`decode()`](fn@decode). See the [`decode`](mod@decode) module for the exact
//! semantics (trimming to the IP length, truncation, what `payload` holds for fragments).
#![deny(missing_docs)]

pub mod anomaly;
pub mod checksum;
pub mod decode;
pub mod names;
pub mod stats;
pub mod types;

pub use anomaly::{Anomalies, Anomaly};
pub use checksum::{icmp_checksum_valid, tcp_udp_checksum_valid};
pub use decode::{MAX_VLAN_LAYERS, decode};
pub use names::ip_proto_name;
pub use stats::DecodeStats;
pub use types::*;
