//! Address and port groups: parsing (CIDR, ranges, `any`, `!`, nested `[...]`, `$VARS`),
//! variable tables with Suricata's defaults, and the resolved matchers.
//!
//! Semantics follow Suricata 7: each group collects positive and negated entries per address
//! family; a family with only negations starts from the whole family; a negated nested group
//! is resolved first and then subtracted. A family that is never mentioned matches nothing
//! (so `!$HOME_NET` with an IPv4-only HOME_NET matches no IPv6 address, as in Suricata).

use crate::error::{ErrorKind, ParseError, Result};
use crate::ranges::RangeSet;
use serde::Serialize;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// Maximum nesting of groups and variables (Suricata's limit).
const MAX_DEPTH: usize = 64;

/// A resolved address group: IPv4 and IPv6 ranges.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AddressSet {
    /// IPv4 ranges (as u32).
    pub v4: RangeSet<u32>,
    /// IPv6 ranges (as u128).
    pub v6: RangeSet<u128>,
}

impl AddressSet {
    /// Every IPv4 and IPv6 address.
    pub fn any() -> Self {
        AddressSet {
            v4: RangeSet::full(),
            v6: RangeSet::full(),
        }
    }

    /// True when this set is every address of both families.
    pub fn is_any(&self) -> bool {
        self.v4.is_full() && self.v6.is_full()
    }

    /// True when `ip` is in the set.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => self.v4.contains(u32::from(a)),
            IpAddr::V6(a) => self.v6.contains(u128::from(a)),
        }
    }

    /// True when both families are empty.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    fn union_with(&mut self, o: &AddressSet) {
        self.v4.union_with(&o.v4);
        self.v6.union_with(&o.v6);
    }
}

/// A resolved port group.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PortSet {
    /// Port ranges.
    pub ranges: RangeSet<u16>,
}

impl PortSet {
    /// Every port.
    pub fn any() -> Self {
        PortSet {
            ranges: RangeSet::full(),
        }
    }

    /// True when every port is in the set.
    pub fn is_any(&self) -> bool {
        self.ranges.is_full()
    }

    /// True when `port` is in the set.
    pub fn contains(&self, port: u16) -> bool {
        self.ranges.contains(port)
    }
}

/// An address field of a rule: the text as written and its resolved set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Addresses {
    /// Text as written in the rule (e.g. `$HOME_NET`).
    pub text: Box<str>,
    /// Resolved matcher (shared between rules using the same text).
    #[serde(skip)]
    pub set: Arc<AddressSet>,
}

/// A port field of a rule: the text as written and its resolved set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ports {
    /// Text as written in the rule.
    pub text: Box<str>,
    /// Resolved matcher.
    #[serde(skip)]
    pub set: Arc<PortSet>,
}

/// Variable tables (`vars.address-groups` and `vars.port-groups` of suricata.yaml).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vars {
    address: HashMap<String, String>,
    port: HashMap<String, String>,
}

impl Default for Vars {
    fn default() -> Self {
        Self::suricata_defaults()
    }
}

impl Vars {
    /// An empty table (every `$VAR` is undefined).
    pub fn empty() -> Self {
        Vars {
            address: HashMap::new(),
            port: HashMap::new(),
        }
    }

    /// The address and port groups of Suricata 7's default suricata.yaml.
    pub fn suricata_defaults() -> Self {
        let mut v = Vars::empty();
        for (k, val) in [
            ("HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"),
            ("EXTERNAL_NET", "!$HOME_NET"),
            ("HTTP_SERVERS", "$HOME_NET"),
            ("SMTP_SERVERS", "$HOME_NET"),
            ("SQL_SERVERS", "$HOME_NET"),
            ("DNS_SERVERS", "$HOME_NET"),
            ("TELNET_SERVERS", "$HOME_NET"),
            ("AIM_SERVERS", "$EXTERNAL_NET"),
            ("DC_SERVERS", "$HOME_NET"),
            ("DNP3_SERVER", "$HOME_NET"),
            ("DNP3_CLIENT", "$HOME_NET"),
            ("MODBUS_CLIENT", "$HOME_NET"),
            ("MODBUS_SERVER", "$HOME_NET"),
            ("ENIP_CLIENT", "$HOME_NET"),
            ("ENIP_SERVER", "$HOME_NET"),
        ] {
            v.set_address(k, val);
        }
        for (k, val) in [
            ("HTTP_PORTS", "80"),
            ("SHELLCODE_PORTS", "!80"),
            ("ORACLE_PORTS", "1521"),
            ("SSH_PORTS", "22"),
            ("DNP3_PORTS", "20000"),
            ("MODBUS_PORTS", "502"),
            ("FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"),
            ("FTP_PORTS", "21"),
            ("GENEVE_PORTS", "6081"),
            ("VXLAN_PORTS", "4789"),
            ("TEREDO_PORTS", "3544"),
        ] {
            v.set_port(k, val);
        }
        v
    }

    /// Define or override an address group (name without `$`).
    pub fn set_address(&mut self, name: &str, value: &str) {
        self.address.insert(
            name.trim_start_matches('$').to_string(),
            value.trim().to_string(),
        );
    }

    /// Define or override a port group (name without `$`).
    pub fn set_port(&mut self, name: &str, value: &str) {
        self.port.insert(
            name.trim_start_matches('$').to_string(),
            value.trim().to_string(),
        );
    }

    /// Value of an address group.
    pub fn address(&self, name: &str) -> Option<&str> {
        self.address.get(name).map(String::as_str)
    }

    /// Value of a port group.
    pub fn port(&self, name: &str) -> Option<&str> {
        self.port.get(name).map(String::as_str)
    }

    /// Resolve an address expression (as written in a rule header or a variable).
    pub fn resolve_addresses(&self, text: &str) -> Result<AddressSet> {
        let mut acc = AddrAcc::default();
        let mut stack = Vec::new();
        parse_addr_into(text.trim(), false, self, &mut acc, 0, &mut stack)?;
        acc.merge()
    }

    /// Resolve a port expression.
    pub fn resolve_ports(&self, text: &str) -> Result<PortSet> {
        let mut acc = PortAcc::default();
        let mut stack = Vec::new();
        parse_port_into(text.trim(), false, self, &mut acc, 0, &mut stack)?;
        acc.merge()
    }

    /// Check that every variable resolves (no cycles, no undefined references, valid syntax).
    pub fn validate(&self) -> Vec<ParseError> {
        let mut errs = Vec::new();
        let mut names: Vec<_> = self.address.keys().collect();
        names.sort();
        for n in names {
            if let Err(e) = self.resolve_addresses(&format!("${n}")) {
                errs.push(e);
            }
        }
        let mut names: Vec<_> = self.port.keys().collect();
        names.sort();
        for n in names {
            if let Err(e) = self.resolve_ports(&format!("${n}")) {
                errs.push(e);
            }
        }
        errs
    }
}

/// Memoises resolved header fields: most rules share a handful of address/port texts.
#[derive(Debug, Default)]
pub struct Resolver {
    addrs: HashMap<String, Result<Arc<AddressSet>>>,
    ports: HashMap<String, Result<Arc<PortSet>>>,
}

impl Resolver {
    /// New, empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resolve (with caching) an address field.
    pub fn addresses(&mut self, vars: &Vars, text: &str) -> Result<Addresses> {
        if let Some(r) = self.addrs.get(text) {
            return r.clone().map(|set| Addresses {
                text: text.into(),
                set,
            });
        }
        let r = vars.resolve_addresses(text).map(Arc::new);
        self.addrs.insert(text.to_string(), r.clone());
        r.map(|set| Addresses {
            text: text.into(),
            set,
        })
    }

    /// Resolve (with caching) a port field.
    pub fn ports(&mut self, vars: &Vars, text: &str) -> Result<Ports> {
        if let Some(r) = self.ports.get(text) {
            return r.clone().map(|set| Ports {
                text: text.into(),
                set,
            });
        }
        let r = vars.resolve_ports(text).map(Arc::new);
        self.ports.insert(text.to_string(), r.clone());
        r.map(|set| Ports {
            text: text.into(),
            set,
        })
    }
}

fn addr_err(msg: impl Into<String>) -> ParseError {
    ParseError::new(ErrorKind::Address, msg)
}

fn port_err(msg: impl Into<String>) -> ParseError {
    ParseError::new(ErrorKind::Port, msg)
}

fn var_err(msg: impl Into<String>) -> ParseError {
    ParseError::new(ErrorKind::Variable, msg)
}

#[derive(Debug, Default)]
struct AddrAcc {
    pos: AddressSet,
    neg: AddressSet,
}

impl AddrAcc {
    fn merge(mut self) -> Result<AddressSet> {
        if self.neg.v4.is_full() {
            return Err(addr_err(
                "complete IP space negated: the address range is empty (a !any or a negation covering everything)",
            ));
        }
        if self.pos.v4.is_empty() && !self.neg.v4.is_empty() {
            self.pos.v4 = RangeSet::full();
        }
        if self.pos.v6.is_empty() && !self.neg.v6.is_empty() {
            self.pos.v6 = RangeSet::full();
        }
        self.pos.v4.subtract(&self.neg.v4);
        self.pos.v6.subtract(&self.neg.v6);
        if self.pos.is_empty() {
            return Err(addr_err(
                "no addresses left after applying the negated addresses",
            ));
        }
        Ok(self.pos)
    }
}

#[derive(Debug, Default)]
struct PortAcc {
    pos: RangeSet<u16>,
    neg: RangeSet<u16>,
}

impl PortAcc {
    fn merge(mut self) -> Result<PortSet> {
        if self.neg.is_full() {
            return Err(port_err("complete port space is negated"));
        }
        if self.pos.is_empty() && !self.neg.is_empty() {
            self.pos = RangeSet::full();
        }
        self.pos.subtract(&self.neg);
        if self.pos.is_empty() {
            return Err(port_err(
                "no ports left after merging ports with negated ports",
            ));
        }
        Ok(PortSet { ranges: self.pos })
    }
}

/// Split a group's content at top-level commas, checking bracket balance.
fn split_items(s: &str, err: fn(String) -> ParseError) -> Result<Vec<&str>> {
    let mut items = Vec::new();
    let mut depth: i32 = 0;
    let mut start = 0;
    for (i, c) in s.bytes().enumerate() {
        match c {
            b'[' => depth += 1,
            b']' => {
                depth -= 1;
                if depth < 0 {
                    return Err(err(format!(
                        "not every block was properly opened in \"{s}\": missing '['"
                    )));
                }
            }
            b',' if depth == 0 => {
                items.push(s.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth > 0 {
        return Err(err(format!(
            "not every block was properly closed in \"{s}\": {depth} missing ']'"
        )));
    }
    items.push(s.get(start..).unwrap_or(""));
    Ok(items)
}

/// One item of a group: negation, and what it is.
enum Item<'a> {
    Group(&'a str),
    Var(&'a str),
    Literal(&'a str),
}

fn classify(item: &str) -> (bool, Item<'_>) {
    let mut t = item.trim_matches([' ', '\t']);
    let mut neg = false;
    while let Some(r) = t.strip_prefix('!') {
        neg = true; // Suricata sets (does not toggle) the flag for every '!'
        t = r.trim_start_matches([' ', '\t']);
    }
    if let Some(inner) = t.strip_prefix('[') {
        let inner = inner.strip_suffix(']').unwrap_or(inner);
        (neg, Item::Group(inner))
    } else if let Some(name) = t.strip_prefix('$') {
        (neg, Item::Var(name))
    } else {
        (neg, Item::Literal(t))
    }
}

fn parse_addr_into(
    s: &str,
    negate: bool,
    vars: &Vars,
    acc: &mut AddrAcc,
    depth: usize,
    stack: &mut Vec<String>,
) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(addr_err("address block recursion limit reached (max 64)"));
    }
    if s.trim().is_empty() {
        return Err(addr_err("empty address"));
    }
    for item in split_items(s, addr_err)? {
        let (n, kind) = classify(item);
        let neg = negate ^ n;
        match kind {
            Item::Group(inner) => {
                if inner.contains('[') && inner.matches('[').count() != inner.matches(']').count() {
                    return Err(addr_err(format!("unbalanced brackets in \"{item}\"")));
                }
                add_addr_group(inner, neg, vars, acc, depth, stack)?;
            }
            Item::Var(name) => {
                if stack.iter().any(|v| v == name) {
                    return Err(var_err(format!(
                        "found a loop in the address groups declaration: ${} -> ${name}",
                        stack.join(" -> $")
                    )));
                }
                let Some(value) = vars.address(name) else {
                    return Err(var_err(format!("address variable ${name} is not defined")));
                };
                if value.trim().is_empty() {
                    return Err(var_err(format!(
                        "address variable ${name} resolved to nothing"
                    )));
                }
                stack.push(name.to_string());
                let r = if neg {
                    add_addr_group(value, true, vars, acc, depth, stack)
                } else {
                    parse_addr_into(value, false, vars, acc, depth + 1, stack)
                };
                stack.pop();
                r?;
            }
            Item::Literal(lit) => {
                let set = parse_address_literal(lit)?;
                if neg {
                    acc.neg.union_with(&set);
                } else {
                    acc.pos.union_with(&set);
                }
            }
        }
    }
    Ok(())
}

fn add_addr_group(
    inner: &str,
    neg: bool,
    vars: &Vars,
    acc: &mut AddrAcc,
    depth: usize,
    stack: &mut Vec<String>,
) -> Result<()> {
    if !neg {
        return parse_addr_into(inner, false, vars, acc, depth + 1, stack);
    }
    let mut tmp = AddrAcc::default();
    parse_addr_into(inner, false, vars, &mut tmp, depth + 1, stack)?;
    let set = tmp.merge()?;
    acc.neg.union_with(&set);
    Ok(())
}

/// Parse one address literal: `any`, an IPv4/IPv6 address, `addr/prefix`, `a.b.c.d/netmask`, `a-b`.
pub fn parse_address_literal(lit: &str) -> Result<AddressSet> {
    let lit = lit.trim();
    let mut set = AddressSet::default();
    if lit.eq_ignore_ascii_case("any") {
        return Ok(AddressSet::any());
    }
    if lit.is_empty() {
        return Err(addr_err("empty address in group"));
    }
    if let Some((a, m)) = lit.split_once('/') {
        if a.contains(':') {
            let ip: Ipv6Addr = a
                .parse()
                .map_err(|_| addr_err(format!("invalid IPv6 address \"{a}\"")))?;
            let bits: u32 = m
                .parse()
                .map_err(|_| addr_err(format!("invalid IPv6 prefix length \"{m}\"")))?;
            if bits > 128 {
                return Err(addr_err(format!("IPv6 prefix length {bits} > 128")));
            }
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            let lo = u128::from(ip) & mask;
            set.v6.insert(lo, lo | !mask);
        } else {
            let ip: Ipv4Addr = a
                .parse()
                .map_err(|_| addr_err(format!("invalid IPv4 address \"{a}\"")))?;
            let bits = if m.contains('.') {
                let mask: Ipv4Addr = m
                    .parse()
                    .map_err(|_| addr_err(format!("invalid IPv4 netmask \"{m}\"")))?;
                let mv = u32::from(mask);
                if mv.leading_ones() + mv.trailing_zeros() != 32 {
                    return Err(addr_err(format!("non-contiguous IPv4 netmask \"{m}\"")));
                }
                mv.leading_ones()
            } else {
                m.parse::<u32>()
                    .map_err(|_| addr_err(format!("invalid IPv4 prefix length \"{m}\"")))?
            };
            if bits > 32 {
                return Err(addr_err(format!("IPv4 prefix length {bits} > 32")));
            }
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            let lo = u32::from(ip) & mask;
            set.v4.insert(lo, lo | !mask);
        }
        return Ok(set);
    }
    if let Some((a, b)) = lit.split_once('-') {
        let a = a.trim();
        let b = b.trim();
        if a.contains(':') {
            let x: Ipv6Addr = a
                .parse()
                .map_err(|_| addr_err(format!("invalid IPv6 address \"{a}\"")))?;
            let y: Ipv6Addr = b
                .parse()
                .map_err(|_| addr_err(format!("invalid IPv6 address \"{b}\"")))?;
            if u128::from(x) > u128::from(y) {
                return Err(addr_err(format!(
                    "address range \"{lit}\" has its start above its end"
                )));
            }
            set.v6.insert(u128::from(x), u128::from(y));
        } else {
            let x: Ipv4Addr = a
                .parse()
                .map_err(|_| addr_err(format!("invalid IPv4 address \"{a}\"")))?;
            let y: Ipv4Addr = b
                .parse()
                .map_err(|_| addr_err(format!("invalid IPv4 address \"{b}\"")))?;
            if u32::from(x) > u32::from(y) {
                return Err(addr_err(format!(
                    "address range \"{lit}\" has its start above its end"
                )));
            }
            set.v4.insert(u32::from(x), u32::from(y));
        }
        return Ok(set);
    }
    match lit.parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) => set.v4.insert(u32::from(a), u32::from(a)),
        Ok(IpAddr::V6(a)) => set.v6.insert(u128::from(a), u128::from(a)),
        Err(_) => return Err(addr_err(format!("invalid address \"{lit}\""))),
    }
    Ok(set)
}

fn parse_port_into(
    s: &str,
    negate: bool,
    vars: &Vars,
    acc: &mut PortAcc,
    depth: usize,
    stack: &mut Vec<String>,
) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(port_err("port block recursion limit reached (max 64)"));
    }
    if s.trim().is_empty() {
        return Err(port_err("empty port"));
    }
    for item in split_items(s, port_err)? {
        let (n, kind) = classify(item);
        let neg = negate ^ n;
        match kind {
            Item::Group(inner) => add_port_group(inner, neg, vars, acc, depth, stack)?,
            Item::Var(name) => {
                if stack.iter().any(|v| v == name) {
                    return Err(var_err(format!(
                        "found a loop in the port groups declaration: ${} -> ${name}",
                        stack.join(" -> $")
                    )));
                }
                let Some(value) = vars.port(name) else {
                    return Err(var_err(format!("port variable ${name} is not defined")));
                };
                if value.trim().is_empty() {
                    return Err(var_err(format!(
                        "port variable ${name} resolved to nothing"
                    )));
                }
                stack.push(name.to_string());
                let r = if neg {
                    add_port_group(value, true, vars, acc, depth, stack)
                } else {
                    parse_port_into(value, false, vars, acc, depth + 1, stack)
                };
                stack.pop();
                r?;
            }
            Item::Literal(lit) => {
                let (a, b) = parse_port_literal(lit)?;
                if neg {
                    acc.neg.insert(a, b);
                } else {
                    acc.pos.insert(a, b);
                }
            }
        }
    }
    Ok(())
}

fn add_port_group(
    inner: &str,
    neg: bool,
    vars: &Vars,
    acc: &mut PortAcc,
    depth: usize,
    stack: &mut Vec<String>,
) -> Result<()> {
    if !neg {
        return parse_port_into(inner, false, vars, acc, depth + 1, stack);
    }
    let mut tmp = PortAcc::default();
    parse_port_into(inner, false, vars, &mut tmp, depth + 1, stack)?;
    let set = tmp.merge()?;
    acc.neg.union_with(&set.ranges);
    Ok(())
}

fn parse_port_num(s: &str) -> Result<u16> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(port_err(format!("invalid port \"{s}\"")));
    }
    s.parse::<u16>()
        .map_err(|_| port_err(format!("port \"{s}\" is out of range (0-65535)")))
}

/// Parse one port literal: `any`, `80`, `1024:`, `:1023`, `1024:65535`.
pub fn parse_port_literal(lit: &str) -> Result<(u16, u16)> {
    let lit = lit.trim();
    if lit.eq_ignore_ascii_case("any") {
        return Ok((0, u16::MAX));
    }
    if let Some((a, b)) = lit.split_once(':') {
        if b.contains('!') {
            return Err(port_err("can't have a negated value in a range"));
        }
        let lo = if a.trim().is_empty() {
            0
        } else {
            parse_port_num(a)?
        };
        let hi = if b.trim().is_empty() {
            u16::MAX
        } else {
            parse_port_num(b)?
        };
        if lo > hi {
            return Err(port_err(format!(
                "port range \"{lit}\" has its start above its end"
            )));
        }
        if a.trim().is_empty() && b.trim().is_empty() {
            return Err(port_err("invalid port range \":\""));
        }
        return Ok((lo, hi));
    }
    let p = parse_port_num(lit)?;
    Ok((p, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn home_and_external() {
        let v = Vars::suricata_defaults();
        let home = v.resolve_addresses("$HOME_NET").unwrap();
        assert!(home.contains(ip("192.168.1.1")));
        assert!(home.contains(ip("10.255.255.255")));
        assert!(home.contains(ip("172.31.0.1")));
        assert!(!home.contains(ip("172.32.0.1")));
        assert!(!home.contains(ip("::1")));
        let ext = v.resolve_addresses("$EXTERNAL_NET").unwrap();
        assert!(ext.contains(ip("8.8.8.8")));
        assert!(!ext.contains(ip("10.1.2.3")));
        // Suricata semantics: a pure IPv4 negation says nothing about IPv6.
        assert!(!ext.contains(ip("2001:db8::1")));
        let aim = v.resolve_addresses("$AIM_SERVERS").unwrap();
        assert_eq!(aim, ext);
    }

    #[test]
    fn any_and_negations() {
        let v = Vars::empty();
        assert!(v.resolve_addresses("any").unwrap().is_any());
        assert_eq!(
            v.resolve_addresses("!any").unwrap_err().kind,
            ErrorKind::Address
        );
        let s = v.resolve_addresses("[10.0.0.0/8,!10.1.0.0/16]").unwrap();
        assert!(s.contains(ip("10.0.0.1")));
        assert!(!s.contains(ip("10.1.2.3")));
        let s = v
            .resolve_addresses("[1.2.3.0/24,![1.2.3.4,1.2.3.5]]")
            .unwrap();
        assert!(
            s.contains(ip("1.2.3.3")) && !s.contains(ip("1.2.3.4")) && !s.contains(ip("1.2.3.5"))
        );
        // negated nested group containing a negation: ![!1.2.3.4] == 1.2.3.4
        let s = v.resolve_addresses("![!1.2.3.4]").unwrap();
        assert!(s.contains(ip("1.2.3.4")) && !s.contains(ip("1.2.3.5")));
        assert!(v.resolve_addresses("[1.2.3.4,!1.2.3.4]").is_err());
        let s = v.resolve_addresses("!1.2.3.4").unwrap();
        assert!(s.contains(ip("1.2.3.5")) && !s.contains(ip("1.2.3.4")) && !s.contains(ip("::1")));
    }

    #[test]
    fn literal_forms() {
        let v = Vars::empty();
        let s = v
            .resolve_addresses(
                "[10.0.0.5/8, 1.1.1.1-1.1.1.3, 192.168.0.0/255.255.0.0, 2001:db8::/32, ::1]",
            )
            .unwrap();
        assert!(s.contains(ip("10.200.0.0")));
        assert!(s.contains(ip("1.1.1.2")) && !s.contains(ip("1.1.1.4")));
        assert!(s.contains(ip("192.168.44.1")));
        assert!(
            s.contains(ip("2001:db8:ffff::1")) && s.contains(ip("::1")) && !s.contains(ip("::2"))
        );
        for bad in [
            "1.2.3.4/33",
            "1.2.3",
            "300.1.1.1",
            "1.1.1.9-1.1.1.1",
            "::1/129",
            "1.2.3.4/255.0.255.0",
            "[1.2.3.4",
            "1.2.3.4]",
            "",
            "foo",
        ] {
            assert!(v.resolve_addresses(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn variables_cycles_and_undefined() {
        let mut v = Vars::empty();
        v.set_address("A", "[$B,1.1.1.1]");
        v.set_address("B", "$A");
        let e = v.resolve_addresses("$A").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Variable);
        assert!(e.message.contains("loop"), "{}", e.message);
        assert_eq!(
            v.resolve_addresses("$NOPE").unwrap_err().kind,
            ErrorKind::Variable
        );
        v.set_address("SELF", "$SELF");
        assert_eq!(
            v.resolve_addresses("$SELF").unwrap_err().kind,
            ErrorKind::Variable
        );
        // the same variable twice side by side is not a cycle
        v.set_address("C", "1.1.1.1");
        assert!(v.resolve_addresses("[$C,$C]").is_ok());
        v.set_port("P", "[$Q]");
        v.set_port("Q", "[80,$P]");
        assert_eq!(v.resolve_ports("$P").unwrap_err().kind, ErrorKind::Variable);
        assert!(!v.validate().is_empty());
        assert!(Vars::suricata_defaults().validate().is_empty());
    }

    #[test]
    fn overrides() {
        let mut v = Vars::suricata_defaults();
        v.set_address("HOME_NET", "[10.0.0.0/8,fd00::/8]");
        let ext = v.resolve_addresses("$EXTERNAL_NET").unwrap();
        assert!(ext.contains(ip("2001:db8::1")));
        assert!(!ext.contains(ip("fd00::1")));
        v.set_port("HTTP_PORTS", "[80,8080]");
        let p = v.resolve_ports("$FILE_DATA_PORTS").unwrap();
        assert!(p.contains(8080) && p.contains(110) && !p.contains(81));
    }

    #[test]
    fn ports() {
        let v = Vars::suricata_defaults();
        let p = v.resolve_ports("[1024:5000,49152:]").unwrap();
        assert!(p.contains(1024) && p.contains(5000) && p.contains(65535) && !p.contains(6000));
        let p = v.resolve_ports("$SHELLCODE_PORTS").unwrap();
        assert!(!p.contains(80) && p.contains(81) && p.contains(0));
        let p = v.resolve_ports("!$HTTP_PORTS").unwrap();
        assert!(!p.contains(80) && p.contains(443));
        let p = v.resolve_ports(":1023").unwrap();
        assert!(p.contains(0) && p.contains(1023) && !p.contains(1024));
        let p = v.resolve_ports("[80,![81:90,!85]]").unwrap();
        assert!(p.contains(80) && !p.contains(85) && !p.contains(100));
        let p = v.resolve_ports("![81:90,!85]").unwrap();
        assert!(
            p.contains(80)
                && p.contains(85)
                && p.contains(100)
                && !p.contains(81)
                && !p.contains(90)
        );
        assert!(v.resolve_ports("any").unwrap().is_any());
        for bad in [
            "!any", "65536", "90:80", "[80", "abc", "1:!5", "", "[80,!80]", ":",
        ] {
            assert!(v.resolve_ports(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resolver_caches() {
        let v = Vars::suricata_defaults();
        let mut r = Resolver::new();
        let a = r.addresses(&v, "$HOME_NET").unwrap();
        let b = r.addresses(&v, "$HOME_NET").unwrap();
        assert!(Arc::ptr_eq(&a.set, &b.set));
        assert!(r.addresses(&v, "$NOPE").is_err());
        assert!(r.addresses(&v, "$NOPE").is_err());
    }
}
