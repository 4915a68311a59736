//! IPv4 and IPv6 fragment reassembly, as Suricata's defrag does it: target-based overlap policies
//! (bsd, linux, windows, solaris, first, last; per destination through host policies), a timeout
//! per datagram, a memcap and a per-datagram fragment limit, with Suricata's defrag events.
//!
//! Feed every decoded packet to [`Defragmenter::process`]; a fragment that completes a datagram
//! yields the whole IP datagram, ready for `sekimori_decode::decode(LinkType::RAW, ..)`. What the
//! decoder hands over for fragments (`Decoded::payload` = the fragmentable bytes) is described in
//! `sekimori_decode::decode`. Call [`Defragmenter::expire`] regularly with the packet clock.
#![deny(missing_docs)]

pub mod config;
pub mod defrag;
pub mod stats;

pub use config::{DefragConfig, DefragConfigError, HostPolicy, MIN_MEMCAP, OverlapPolicy};
pub use defrag::{DefragDrop, DefragOutcome, Defragmenter};
pub use stats::DefragStats;
