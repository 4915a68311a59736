//! Packet decoding: link layer (Ethernet, SLL/SLL2, null/loopback, raw IP), VLAN, IPv4, IPv6 with
//! extension headers, TCP, UDP, ICMPv4/v6. Zero-copy over the captured bytes; malformed input
//! becomes counted [`Anomaly`] values, never a panic.
#![deny(missing_docs)]

pub mod anomaly;
pub mod types;

pub use anomaly::{Anomalies, Anomaly};
pub use types::*;
