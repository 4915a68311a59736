//! The protocol layer of sekimori: content-based protocol detection and application-layer
//! parsers (HTTP/1.x, DNS, TLS) producing typed transactions, events and streamed bodies, with the
//! semantics Suricata 7 users expect (field values, event names, transaction numbering).
//!
//! The engine drives it per flow through [`AppLayer`] (`on_stream_data`, `on_stream_gap`,
//! `on_stream_close`, `on_udp`, `on_flow_end`) with the flow's [`AppSlot`], and receives results
//! through an [`AppSink`] it implements. Parsers implement one trait, [`AppParser`], and are
//! listed in one place, [`Registry::builtin`].
//!
//! ```
//! use sekimori_app::{AppConfig, AppLayer, AppSink, AppSlot, AppTx, Direction, FileSink, FlowCtx, TxStage};
//!
//! struct Log(Vec<String>);
//! impl FileSink for Log {}
//! impl AppSink for Log {
//!     fn on_tx(&mut self, _flow: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage) {
//!         if let (AppTx::Http(t), TxStage::Complete) = (tx, stage) {
//!             self.0.push(String::from_utf8_lossy(t.uri_normalized().unwrap_or_default()).into_owned());
//!         }
//!     }
//! }
//!
//! let mut layer = AppLayer::new(AppConfig::default()).unwrap();
//! let mut slot: AppSlot = None; // kept in the flow by the engine
//! let flow = FlowCtx {
//!     id: 1,
//!     src: sekimori_decode::Addr::v4([10, 0, 0, 1]),
//!     dst: sekimori_decode::Addr::v4([10, 0, 0, 2]),
//!     sport: 40000,
//!     dport: 8080,
//!     proto: 6,
//!     vlan: &[],
//!     ts: sekimori_capture::Timestamp(0),
//! };
//! let mut log = Log(Vec::new());
//! layer.on_stream_data(&flow, &mut slot, Direction::ToServer, b"GET /a/../b%43 HTTP/1.1\r\nHost: x\r\n\r\n", &mut log);
//! layer.on_stream_data(&flow, &mut slot, Direction::ToClient, b"HTTP/1.1 204 No Content\r\n\r\n", &mut log);
//! assert_eq!(layer.on_flow_end(&flow, &mut slot, &mut log), Some("http"));
//! assert_eq!(log.0, vec!["/bC".to_string()]);
//! ```
#![deny(missing_docs)]

pub mod config;
pub mod dns;
pub mod error;
pub mod http;
pub mod layer;
pub mod parser;
pub mod registry;
pub mod quic;
pub mod replay;
pub mod rfb;
pub mod sink;
pub mod smb;
pub mod smtp;
pub mod stats;
pub mod tls;
pub mod types;

pub use config::{AppConfig, DnsConfig, HttpConfig, SmbConfig, TlsConfig};
pub use dns::{DnsEvent, DnsParser, DnsTx};
pub use error::ConfigError;
pub use http::{HttpEvent, HttpParser, HttpTx};
pub use layer::{AppLayer, AppSlot, FlowApp};
pub use parser::{AppParser, ParseCx, ParseResult, Probe, ProtocolInfo};
pub use registry::{Detect, ProtocolEntry, Registry};
pub use sink::{
    AppSink, AppTx, FileClose, FileId, FileKind, FileOpen, FileSink, FileStatus, NullSink,
};
pub use quic::{QuicParser, QuicTx};
pub use rfb::{RfbParser, RfbTx};
pub use smb::{SmbEvent, SmbParser, SmbTx};
pub use smtp::{SmtpConfig, SmtpParser, SmtpStats, SmtpTx};
pub use stats::{AppStats, DnsStats, HttpStats, SmbStats, TlsStats};
pub use tls::{TlsEvent, TlsParser, TlsTx};
pub use types::{AppEvent, AppProto, Direction, EventLayer, FlowCtx, Transport, TxStage};

#[cfg(test)]
pub(crate) mod testutil;
