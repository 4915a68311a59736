//! What the engine feeds the layer: one record per ended flow, per DNS answer, per file read and
//! per alert of another layer. All borrow; nothing needs to outlive the call.

use sekimori_capture::Timestamp;
use sekimori_decode::Addr;
use sekimori_flow::Direction;

/// IANA protocol number of TCP.
pub const PROTO_TCP: u8 = 6;
/// IANA protocol number of UDP.
pub const PROTO_UDP: u8 = 17;

/// One ended (or timed-out) flow, as the flow table closes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowSummary<'a> {
    /// First packet.
    pub ts_start: Timestamp,
    /// Last packet.
    pub ts_end: Timestamp,
    /// The initiator (Suricata's `src_ip`).
    pub client: Addr,
    /// The responder (`dest_ip`).
    pub server: Addr,
    /// Client port (0 when the protocol has none).
    pub sport: u16,
    /// Server port.
    pub dport: u16,
    /// IP protocol number (6 TCP, 17 UDP, …).
    pub proto: u8,
    /// Detected application protocol in Suricata's spelling (`tls`, `http`, `dns`, `ntp`, …).
    pub app_proto: Option<&'a str>,
    /// Server name from TLS SNI, HTTP Host or a DNS answer the engine already matched.
    pub server_name: Option<&'a str>,
    /// Payload or wire bytes from client to server (the engine decides; be consistent).
    pub bytes_to_server: u64,
    /// Bytes from server to client.
    pub bytes_to_client: u64,
    /// Packets from client to server.
    pub pkts_to_server: u64,
    /// Packets from server to client.
    pub pkts_to_client: u64,
    /// True when the payload was encrypted (TLS, QUIC, SSH …). Volume detectors work on counts
    /// alone; recorded in evidence.
    pub encrypted: bool,
    /// The flow's id as printed in EVE (`flow_id`), echoed in alerts.
    pub flow_id: u64,
}

impl FlowSummary<'_> {
    /// Bytes in one direction.
    pub const fn bytes(&self, dir: Direction) -> u64 {
        match dir {
            Direction::ToServer => self.bytes_to_server,
            Direction::ToClient => self.bytes_to_client,
        }
    }
    /// Packets in one direction.
    pub const fn pkts(&self, dir: Direction) -> u64 {
        match dir {
            Direction::ToServer => self.pkts_to_server,
            Direction::ToClient => self.pkts_to_client,
        }
    }
}

/// A DNS answer seen on the wire: `client` asked for `name` and got `addrs` (A/AAAA records,
/// CNAME chains already followed by the caller). Used to name flows that carry no SNI/Host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DnsAnswer<'a> {
    /// Time of the answer.
    pub ts: Timestamp,
    /// The host that asked.
    pub client: Addr,
    /// The queried name.
    pub name: &'a str,
    /// Addresses in the answer.
    pub addrs: &'a [Addr],
}

/// One file read by `client` from an internal `server`: an SMB2 CREATE+READ of a file, or an HTTP
/// download from an internal web server. Send one record per file (a file read in many chunks
/// may be sent again; the window counts distinct paths).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileRead<'a> {
    /// Time of the read (last chunk).
    pub ts: Timestamp,
    /// The reading host.
    pub client: Addr,
    /// The file server.
    pub server: Addr,
    /// Client port of the carrying flow.
    pub sport: u16,
    /// Server port of the carrying flow (445 for SMB).
    pub dport: u16,
    /// SMB tree (share) name such as `\\fs01\finance`, or None for HTTP.
    pub share: Option<&'a str>,
    /// File path within the share (or the URL path).
    pub path: &'a str,
    /// Bytes read.
    pub bytes: u64,
    /// Flow id of the carrying flow.
    pub flow_id: u64,
}

/// The layer an alert came from (the `alert.layer` values of detections.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Rules.
    Signature,
    /// IP/domain/URL/JA3 lists.
    Intel,
    /// URL filtering.
    Policy,
    /// Targeted-mail checks.
    Mail,
    /// Download inspection.
    File,
    /// Data-loss prevention.
    Dlp,
    /// This layer.
    Behavior,
}

impl Layer {
    /// Parses the `alert.layer` spelling (ASCII case-insensitive).
    pub fn parse(s: &str) -> Option<Layer> {
        const ALL: [(&str, Layer); 7] = [
            ("signature", Layer::Signature),
            ("intel", Layer::Intel),
            ("policy", Layer::Policy),
            ("mail", Layer::Mail),
            ("file", Layer::File),
            ("dlp", Layer::Dlp),
            ("behavior", Layer::Behavior),
        ];
        ALL.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|&(_, l)| l)
    }
    /// The `alert.layer` spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Layer::Signature => "signature",
            Layer::Intel => "intel",
            Layer::Policy => "policy",
            Layer::Mail => "mail",
            Layer::File => "file",
            Layer::Dlp => "dlp",
            Layer::Behavior => "behavior",
        }
    }
}

/// An alert of any layer, reduced to what incident building needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerAlert<'a> {
    /// Time of the alert.
    pub ts: Timestamp,
    /// The internal host concerned (for outbound traffic the source; for inbound mail or
    /// downloads the internal receiver).
    pub host: Addr,
    /// Layer.
    pub layer: Layer,
    /// Kind within the layer (`beacon`, `bulk_read`, … for behaviour; the check name for mail;
    /// free text or empty otherwise).
    pub kind: &'a str,
    /// 1 (high) … 4 (info).
    pub severity: u8,
    /// The alert's signature text.
    pub signature: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_and_layers() {
        let f = FlowSummary {
            bytes_to_server: 5,
            bytes_to_client: 7,
            pkts_to_server: 1,
            pkts_to_client: 2,
            ..Default::default()
        };
        assert_eq!(f.bytes(Direction::ToServer), 5);
        assert_eq!(f.bytes(Direction::ToClient), 7);
        assert_eq!(f.pkts(Direction::ToClient), 2);
        assert_eq!(Layer::parse("DLP"), Some(Layer::Dlp));
        assert_eq!(Layer::parse("behaviour"), None);
        for l in [
            Layer::Signature,
            Layer::Intel,
            Layer::Policy,
            Layer::Mail,
            Layer::File,
            Layer::Dlp,
            Layer::Behavior,
        ] {
            assert_eq!(Layer::parse(l.as_str()), Some(l));
        }
    }
}
