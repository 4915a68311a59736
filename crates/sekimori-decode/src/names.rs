//! Names of wire numbers as Suricata prints them, shared by every output (EVE, fast.log,
//! behaviour alerts) so that one protocol is always spelt one way.

/// The protocol name Suricata prints for an IP protocol number (its names come from the
/// system's protocol table); `None` means Suricata would print the number.
pub fn ip_proto_name(p: u8) -> Option<&'static str> {
    Some(match p {
        0 => "HOPOPT",
        1 => "ICMP",
        2 => "IGMP",
        4 => "IPv4",
        6 => "TCP",
        17 => "UDP",
        41 => "IPv6",
        43 => "IPv6-Route",
        44 => "IPv6-Frag",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        58 => "IPv6-ICMP",
        59 => "IPv6-NoNxt",
        60 => "IPv6-Opts",
        89 => "OSPFIGP",
        103 => "PIM",
        112 => "VRRP",
        115 => "L2TP",
        132 => "SCTP",
        136 => "UDPLite",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_suricata_prints_them() {
        assert_eq!(ip_proto_name(6), Some("TCP"));
        assert_eq!(ip_proto_name(58), Some("IPv6-ICMP"));
        assert_eq!(ip_proto_name(4), Some("IPv4"));
        assert_eq!(ip_proto_name(253), None, "unnamed numbers are printed as numbers");
    }
}
