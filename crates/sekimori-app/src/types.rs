//! Shared vocabulary of the protocol layer: protocols, transports, the flow context every call
//! carries, and application-layer events.

use sekimori_capture::Timestamp;
use sekimori_decode::Addr;
pub use sekimori_flow::Direction;

/// An application protocol sekimori can detect and parse.
///
/// Not a wire value: the set grows with the parsers in the [`crate::Registry`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AppProto {
    /// HTTP/1.0 and HTTP/1.1.
    Http,
    /// DNS over UDP or TCP.
    Dns,
    /// TLS (SSLv3 to TLS 1.3) over TCP.
    Tls,
    /// SMTP (with MIME message decoding) over TCP.
    Smtp,
    /// SMB2/3 (and SMB1 negotiation) over NetBIOS session service, TCP.
    Smb,
    /// RFB (VNC) handshake over TCP.
    Rfb,
    /// QUIC (Initial packets: the TLS hellos) over UDP.
    Quic,
}

impl AppProto {
    /// The name Suricata uses for the protocol in EVE (`app_proto`, `event_type`, rules).
    pub const fn name(self) -> &'static str {
        match self {
            AppProto::Http => "http",
            AppProto::Dns => "dns",
            AppProto::Tls => "tls",
            AppProto::Smtp => "smtp",
            AppProto::Smb => "smb",
            AppProto::Rfb => "rfb",
            AppProto::Quic => "quic",
        }
    }
}

/// The transport a parser runs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// A reassembled TCP byte stream per direction.
    Tcp,
    /// UDP datagrams, each one delivered whole.
    Udp,
}

impl Transport {
    /// The transport of an IP protocol number (6 = TCP, 17 = UDP).
    pub const fn from_ip_proto(proto: u8) -> Option<Transport> {
        match proto {
            6 => Some(Transport::Tcp),
            17 => Some(Transport::Udp),
            _ => None,
        }
    }
}

/// The flow an application-layer call belongs to, oriented client → server (the same fields as
/// the engine's `FlowInfo`, so the engine converts field by field).
#[derive(Clone, Copy, Debug)]
pub struct FlowCtx<'a> {
    /// Flow id (as written in EVE).
    pub id: u64,
    /// Client address.
    pub src: Addr,
    /// Server address.
    pub dst: Addr,
    /// Client port.
    pub sport: u16,
    /// Server port.
    pub dport: u16,
    /// IP protocol number.
    pub proto: u8,
    /// VLAN ids, outermost first.
    pub vlan: &'a [u16],
    /// Time of the packet that caused this call (or of the flow's end).
    pub ts: Timestamp,
}

/// Which stage of Suricata's app-layer pipeline raised an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventLayer {
    /// Protocol detection (`proto_detect`).
    ProtoDetect,
    /// A protocol parser (`proto_parser`).
    ProtoParser,
}

impl EventLayer {
    /// The `anomaly.layer` value Suricata writes.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventLayer::ProtoDetect => "proto_detect",
            EventLayer::ProtoParser => "proto_parser",
        }
    }
}

/// An application-layer event (Suricata's `app-layer-event`, logged as an `anomaly` record of
/// type `applayer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppEvent {
    /// The protocol the event belongs to (`None` for detection events on undetected flows).
    pub proto: Option<AppProto>,
    /// Detection or parser.
    pub layer: EventLayer,
    /// Direction of the data that raised it.
    pub dir: Direction,
    /// Transaction the event is attached to, when there is one.
    pub tx_id: Option<u64>,
    /// Suricata's event name, e.g. `z_flag_set` (DNS) or `REQUEST_FIELD_TOO_LONG` (HTTP).
    pub name: &'static str,
}

/// Where a transaction stands when it is handed to the sink.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TxStage {
    /// The request line and headers are parsed (HTTP); rules on request headers can run.
    RequestHeaders,
    /// The request, body included, is complete (HTTP).
    RequestComplete,
    /// The response status line and headers are parsed (HTTP).
    ResponseHeaders,
    /// The transaction is finished (or the flow ended): log it. The last call for a transaction.
    Complete,
}
