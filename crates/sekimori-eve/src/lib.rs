//! Suricata-compatible EVE JSON output: one JSON object per line, with Suricata's field names,
//! order and value formats, so that every EVE-aware tool reads sekimori's output unchanged.
#![deny(missing_docs)]

pub mod community;
pub mod dns;
pub mod fileinfo;
pub mod format;
pub mod http;
pub mod json;
pub mod quic;
pub mod records;
pub mod rfb;
pub mod smb;
pub mod smtp;
pub mod tls;
pub mod writer;

pub use community::community_id;
pub use format::{addr_string, push_addr, push_timestamp, timestamp_string};
pub use json::{Arr, Obj};
pub use records::{
    AlertFlow, AnomalyRecord, Endpoints, FlowRecord, Header, IcmpTypes, TcpSummary, flow_vars_members, write_alert_flow, write_anomaly, write_flow,
};
pub use writer::{EveError, EveWriter};
