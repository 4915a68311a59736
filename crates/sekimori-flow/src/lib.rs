//! Bidirectional flow table for sekimori, following Suricata 7's flow semantics: which packets
//! form one flow (ICMP echo pairing, ICMPv4 errors mapped to the embedded packet's flow, VLAN in
//! the key), who is the client, what the counters count, states, per-protocol timeouts driven by
//! packet time, TCP session reuse, and a memory cap with emergency mode. The facts and the
//! evidence for them are in `SURICATA-FLOW.md` in this crate.
//!
//! ```
//! use sekimori_flow::{FlowConfig, FlowTable};
//! let mut table: FlowTable<()> = FlowTable::new(FlowConfig::default()).unwrap();
//! // per packet: table.lookup(&decoded, ts, frame_len); table.expire(ts, |ended| { /* log */ });
//! // at end of input: table.drain(|ended| { /* log */ });
//! assert!(table.is_empty());
//! ```
#![deny(missing_docs)]

pub mod config;
pub mod direction;
pub mod error;
pub mod flow;
pub mod key;
pub mod table;

pub use config::{FlowConfig, FlowTimeouts, ProtoClass, ProtoTimeouts, StateTimeouts};
pub use direction::Direction;
pub use error::FlowError;
pub use flow::{EndReason, EndedFlow, Flow, FlowAction, FlowState};
pub use key::{FlowIcmp, FlowKey};
pub use table::{FlowHandle, FlowHit, FlowStats, FlowTable};
