//! The home network: a small CIDR set deciding which addresses are internal.

use std::net::IpAddr;
use std::str::FromStr;

use sekimori_decode::Addr;

use crate::error::HomeNetError;

/// A set of networks (address, prefix length). IPv4 and IPv6 networks never match each other.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HomeNet {
    nets: Vec<(Addr, u8)>,
}

/// Parses `addr/prefix` or a bare address (full-length prefix).
pub fn parse_cidr(s: &str) -> Result<(Addr, u8), HomeNetError> {
    let s = s.trim();
    if s.starts_with('!') {
        return Err(HomeNetError::Negation(s.to_string()));
    }
    let (a, p) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let ip = IpAddr::from_str(a.trim()).map_err(|_| HomeNetError::Syntax(s.to_string()))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = match p {
        Some(p) => p
            .trim()
            .parse::<u8>()
            .map_err(|_| HomeNetError::Syntax(s.to_string()))?,
        None => max,
    };
    if prefix > max {
        return Err(HomeNetError::Prefix(s.to_string()));
    }
    Ok((Addr::from(ip), prefix))
}

/// True when `a` lies in `net/prefix` (same family).
pub fn in_net(a: Addr, net: Addr, prefix: u8) -> bool {
    if a.v6 != net.v6 {
        return false;
    }
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    let (Some(x), Some(y)) = (a.bytes.get(..full), net.bytes.get(..full)) else {
        return false;
    };
    if x != y {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    match (a.bytes.get(full), net.bytes.get(full)) {
        (Some(x), Some(y)) => x & mask == y & mask,
        _ => false,
    }
}

impl HomeNet {
    /// An empty set (nothing is internal).
    pub fn new() -> Self {
        HomeNet::default()
    }

    /// RFC 1918, CGNAT-free private space and IPv6 unique-local/link-local:
    /// 10/8, 172.16/12, 192.168/16, fc00::/7, fe80::/10 (Suricata's default HOME_NET, plus IPv6).
    pub fn private() -> Self {
        let mut h = HomeNet::new();
        for n in [
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "fc00::/7",
            "fe80::/10",
        ] {
            if let Ok((a, p)) = parse_cidr(n) {
                h.nets.push((a, p));
            }
        }
        h
    }

    /// Parses a comma-separated list, optionally in brackets (`[10.0.0.0/8,192.168.0.0/16]`),
    /// as Suricata writes HOME_NET (variables and negation are not supported here).
    pub fn parse(s: &str) -> Result<Self, HomeNetError> {
        let t = s.trim();
        let t = t
            .strip_prefix('[')
            .and_then(|x| x.strip_suffix(']'))
            .unwrap_or(t);
        let mut h = HomeNet::new();
        for part in t.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (a, p) = parse_cidr(part)?;
            h.add(a, p)?;
        }
        Ok(h)
    }

    /// Adds one network. Host bits beyond the prefix are ignored.
    pub fn add(&mut self, addr: Addr, prefix: u8) -> Result<(), HomeNetError> {
        let max = if addr.v6 { 128 } else { 32 };
        if prefix > max {
            return Err(HomeNetError::Prefix(format!("{}/{prefix}", addr.to_ip())));
        }
        self.nets.push((addr, prefix));
        Ok(())
    }

    /// True when `a` is internal.
    pub fn contains(&self, a: Addr) -> bool {
        self.nets.iter().any(|&(n, p)| in_net(a, n, p))
    }

    /// Number of networks.
    pub fn len(&self) -> usize {
        self.nets.len()
    }

    /// True when no network is configured.
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Addr {
        Addr::from(IpAddr::from_str(s).unwrap())
    }

    #[test]
    fn membership() {
        let h = HomeNet::parse("[10.0.0.0/8, 192.168.1.0/24,2001:db8::/32, 172.16.5.4]").unwrap();
        assert_eq!(h.len(), 4);
        assert!(h.contains(a("10.200.3.4")));
        assert!(h.contains(a("192.168.1.255")));
        assert!(!h.contains(a("192.168.2.1")));
        assert!(h.contains(a("2001:db8:1::5")));
        assert!(!h.contains(a("2001:db9::5")));
        assert!(h.contains(a("172.16.5.4")));
        assert!(!h.contains(a("172.16.5.5")));
        assert!(!h.contains(a("8.8.8.8")));
    }

    #[test]
    fn odd_prefixes_and_families() {
        let h = HomeNet::parse("172.16.0.0/12").unwrap();
        assert!(h.contains(a("172.31.255.1")));
        assert!(!h.contains(a("172.32.0.1")));
        // An IPv4 network never matches an IPv6 address with the same leading bytes.
        assert!(!h.contains(Addr::v6([
            172, 16, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
        ])));
        let all = HomeNet::parse("0.0.0.0/0").unwrap();
        assert!(all.contains(a("1.2.3.4")));
        assert!(!all.contains(a("::1")));
        let p = HomeNet::private();
        assert!(p.contains(a("fd00::1")) && p.contains(a("fe80::1")) && !p.contains(a("2a00::1")));
    }

    #[test]
    fn hostile_syntax() {
        assert!(matches!(
            parse_cidr("10.0.0.0/33"),
            Err(HomeNetError::Prefix(_))
        ));
        assert!(matches!(parse_cidr("::/129"), Err(HomeNetError::Prefix(_))));
        assert!(matches!(
            parse_cidr("!10.0.0.0/8"),
            Err(HomeNetError::Negation(_))
        ));
        assert!(parse_cidr("10.0.0/8").is_err());
        assert!(parse_cidr("10.0.0.0/x").is_err());
        assert!(parse_cidr("").is_err());
        assert!(HomeNet::parse("[]").unwrap().is_empty());
        assert!(HomeNet::parse("10.0.0.0/8,bogus").is_err());
        let mut h = HomeNet::new();
        assert!(h.add(a("10.0.0.0"), 40).is_err());
    }
}
