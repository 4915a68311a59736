//! Packet acquisition: pcap and pcapng files (several merged in timestamp order) and, behind the
//! `live` feature, live capture. Every source counts what it read, dropped and failed on.
#![deny(missing_docs)]

pub mod types;

pub use types::{LinkType, Packet, Timestamp};
