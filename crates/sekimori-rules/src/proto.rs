//! Rule actions, header protocols and application-layer protocols.

use serde::Serialize;

/// What a rule does when it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Alert only.
    Alert,
    /// Drop the packet (IPS) and alert.
    Drop,
    /// Stop inspecting the packet/flow (whitelist).
    Pass,
    /// Drop, alert and send a reset/ICMP error to the source.
    Reject,
    /// Same as `reject`.
    RejectSrc,
    /// Reject towards the destination.
    RejectDst,
    /// Reject towards both ends.
    RejectBoth,
    /// Firewall/config rule (Suricata `config`).
    Config,
}

impl Action {
    /// Parse an action name (case-insensitive, as Suricata).
    pub fn parse(s: &str) -> Option<Action> {
        let a = match s.to_ascii_lowercase().as_str() {
            "alert" => Action::Alert,
            "drop" => Action::Drop,
            "pass" => Action::Pass,
            "reject" => Action::Reject,
            "rejectsrc" => Action::RejectSrc,
            "rejectdst" => Action::RejectDst,
            "rejectboth" => Action::RejectBoth,
            "config" => Action::Config,
            _ => return None,
        };
        Some(a)
    }

    /// The canonical name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Alert => "alert",
            Action::Drop => "drop",
            Action::Pass => "pass",
            Action::Reject => "reject",
            Action::RejectSrc => "rejectsrc",
            Action::RejectDst => "rejectdst",
            Action::RejectBoth => "rejectboth",
            Action::Config => "config",
        }
    }
}

/// Application-layer protocols known to Suricata 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub enum AppProto {
    /// HTTP/1 or HTTP/2 (`http`).
    Http,
    Http1,
    Http2,
    Ftp,
    FtpData,
    Smtp,
    Tls,
    Ssh,
    Imap,
    Jabber,
    Smb,
    Dcerpc,
    Irc,
    Dns,
    Modbus,
    Enip,
    Dnp3,
    Nfs,
    Ntp,
    Tftp,
    Ike,
    Krb5,
    Quic,
    Dhcp,
    Snmp,
    Sip,
    Rfb,
    Mqtt,
    Pgsql,
    Telnet,
    Template,
    Rdp,
    BittorrentDht,
}

impl AppProto {
    /// Parse a Suricata app-layer protocol name.
    pub fn parse(s: &str) -> Option<AppProto> {
        use AppProto::*;
        let p = match s.to_ascii_lowercase().as_str() {
            "http" => Http,
            "http1" => Http1,
            "http2" => Http2,
            "ftp" => Ftp,
            "ftp-data" => FtpData,
            "smtp" => Smtp,
            "tls" => Tls,
            "ssh" => Ssh,
            "imap" => Imap,
            "jabber" => Jabber,
            "smb" => Smb,
            "dcerpc" => Dcerpc,
            "irc" => Irc,
            "dns" => Dns,
            "modbus" => Modbus,
            "enip" => Enip,
            "dnp3" => Dnp3,
            "nfs" => Nfs,
            "ntp" => Ntp,
            "tftp" => Tftp,
            "ike" | "ikev2" => Ike,
            "krb5" => Krb5,
            "quic" => Quic,
            "dhcp" => Dhcp,
            "snmp" => Snmp,
            "sip" => Sip,
            "rfb" => Rfb,
            "mqtt" => Mqtt,
            "pgsql" => Pgsql,
            "telnet" => Telnet,
            "template" => Template,
            "rdp" => Rdp,
            "bittorrent-dht" => BittorrentDht,
            _ => return None,
        };
        Some(p)
    }

    /// Canonical name.
    pub fn as_str(self) -> &'static str {
        use AppProto::*;
        match self {
            Http => "http",
            Http1 => "http1",
            Http2 => "http2",
            Ftp => "ftp",
            FtpData => "ftp-data",
            Smtp => "smtp",
            Tls => "tls",
            Ssh => "ssh",
            Imap => "imap",
            Jabber => "jabber",
            Smb => "smb",
            Dcerpc => "dcerpc",
            Irc => "irc",
            Dns => "dns",
            Modbus => "modbus",
            Enip => "enip",
            Dnp3 => "dnp3",
            Nfs => "nfs",
            Ntp => "ntp",
            Tftp => "tftp",
            Ike => "ike",
            Krb5 => "krb5",
            Quic => "quic",
            Dhcp => "dhcp",
            Snmp => "snmp",
            Sip => "sip",
            Rfb => "rfb",
            Mqtt => "mqtt",
            Pgsql => "pgsql",
            Telnet => "telnet",
            Template => "template",
            Rdp => "rdp",
            BittorrentDht => "bittorrent-dht",
        }
    }

    /// Suricata's `AppProtoEquals`: `http` is compatible with `http1` and `http2`.
    pub fn compatible(self, other: AppProto) -> bool {
        use AppProto::*;
        self == other
            || matches!(
                (self, other),
                (Http, Http1) | (Http, Http2) | (Http1, Http) | (Http2, Http)
            )
    }
}

/// The protocol field of a rule header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// Any IP packet (`ip`, `ipv4`, `ip4`, `ipv6`, `ip6` narrow the family).
    Ip,
    /// IPv4 only.
    Ipv4,
    /// IPv6 only.
    Ipv6,
    /// TCP packets and stream.
    Tcp,
    /// TCP packets only.
    TcpPkt,
    /// TCP reassembled stream only.
    TcpStream,
    /// UDP.
    Udp,
    /// ICMPv4 and ICMPv6 (`icmp`).
    Icmp,
    /// ICMPv4 only.
    Icmpv4,
    /// ICMPv6 only.
    Icmpv6,
    /// SCTP.
    Sctp,
    /// Any packet, including ones that failed decoding (`pkthdr`).
    Pkthdr,
    /// An application-layer protocol.
    App(AppProto),
}

impl Protocol {
    /// Parse the protocol field (case-insensitive).
    pub fn parse(s: &str) -> Option<Protocol> {
        let p = match s.to_ascii_lowercase().as_str() {
            "ip" => Protocol::Ip,
            "ipv4" | "ip4" => Protocol::Ipv4,
            "ipv6" | "ip6" => Protocol::Ipv6,
            "tcp" => Protocol::Tcp,
            "tcp-pkt" => Protocol::TcpPkt,
            "tcp-stream" => Protocol::TcpStream,
            "udp" => Protocol::Udp,
            "icmp" => Protocol::Icmp,
            "icmpv4" => Protocol::Icmpv4,
            "icmpv6" => Protocol::Icmpv6,
            "sctp" => Protocol::Sctp,
            "pkthdr" => Protocol::Pkthdr,
            other => Protocol::App(AppProto::parse(other)?),
        };
        Some(p)
    }

    /// The app-layer protocol, if the header names one.
    pub fn app_proto(self) -> Option<AppProto> {
        match self {
            Protocol::App(a) => Some(a),
            _ => None,
        }
    }

    /// Canonical name.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Ip => "ip",
            Protocol::Ipv4 => "ipv4",
            Protocol::Ipv6 => "ipv6",
            Protocol::Tcp => "tcp",
            Protocol::TcpPkt => "tcp-pkt",
            Protocol::TcpStream => "tcp-stream",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
            Protocol::Icmpv4 => "icmpv4",
            Protocol::Icmpv6 => "icmpv6",
            Protocol::Sctp => "sctp",
            Protocol::Pkthdr => "pkthdr",
            Protocol::App(a) => a.as_str(),
        }
    }
}

/// Header direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// `->`: source to destination.
    ToDst,
    /// `<>`: either way.
    Both,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_names() {
        assert_eq!(Action::parse("ALERT"), Some(Action::Alert));
        assert_eq!(Action::parse("rejectboth"), Some(Action::RejectBoth));
        assert_eq!(Action::parse("log"), None);
        assert_eq!(Protocol::parse("tcp-pkt"), Some(Protocol::TcpPkt));
        assert_eq!(Protocol::parse("HTTP"), Some(Protocol::App(AppProto::Http)));
        assert_eq!(
            Protocol::parse("ftp-data"),
            Some(Protocol::App(AppProto::FtpData))
        );
        assert_eq!(Protocol::parse("ikev2"), Some(Protocol::App(AppProto::Ike)));
        assert_eq!(Protocol::parse("gopher"), None);
        for p in [
            "http",
            "http2",
            "dns",
            "tls",
            "smb",
            "quic",
            "bittorrent-dht",
            "krb5",
        ] {
            assert_eq!(AppProto::parse(p).unwrap().as_str(), p);
        }
        assert!(AppProto::Http.compatible(AppProto::Http2));
        assert!(!AppProto::Http1.compatible(AppProto::Http2));
    }
}
