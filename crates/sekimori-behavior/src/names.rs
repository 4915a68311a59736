//! Destination names: normalisation, the address → name cache fed by DNS answers, and the
//! allowlist (suffix match on labels, plus networks).

use std::collections::HashMap;

use sekimori_decode::Addr;

use crate::homenet::{in_net, parse_cidr};

/// Longest name accepted (RFC 1035 presentation length).
pub const MAX_NAME: usize = 253;

/// Writes the normalised form of `name` (ASCII lower case, trailing dot removed) into `out`.
/// Returns false (and leaves `out` empty) for an empty, over-long or non-printable name, which the
/// caller then treats as unknown.
pub fn normalize(name: &str, out: &mut String) -> bool {
    out.clear();
    let n = name.trim().trim_end_matches('.');
    if n.is_empty() || n.len() > MAX_NAME || !n.bytes().all(|b| b.is_ascii_graphic()) {
        return false;
    }
    out.extend(n.chars().map(|c| c.to_ascii_lowercase()));
    true
}

/// Address → name mappings in two generations: when the current one reaches half the capacity it
/// becomes the old one and the previous old one is dropped, so the cache is bounded and recently
/// used names survive, with O(1) work per insert.
#[derive(Debug, Default)]
pub struct NameCache {
    half: usize,
    cur: HashMap<(Addr, Addr), Box<str>>,
    old: HashMap<(Addr, Addr), Box<str>>,
    any_cur: HashMap<Addr, Box<str>>,
    any_old: HashMap<Addr, Box<str>>,
}

impl NameCache {
    /// A cache of at most about `cap` (client, address) entries plus as many address entries.
    pub fn new(cap: usize) -> Self {
        NameCache {
            half: (cap / 2).max(1),
            ..Default::default()
        }
    }

    /// Remembers that `client` resolved `name` (already normalised) to `ip`.
    pub fn insert(&mut self, client: Addr, ip: Addr, name: &str) {
        if self.cur.get(&(client, ip)).is_some_and(|n| &**n == name) {
            return;
        }
        if self.cur.len() >= self.half {
            self.old = std::mem::take(&mut self.cur);
        }
        if self.any_cur.len() >= self.half {
            self.any_old = std::mem::take(&mut self.any_cur);
        }
        self.cur.insert((client, ip), name.into());
        self.any_cur.insert(ip, name.into());
    }

    /// The name `client` used for `ip`, else the latest name any client used for it.
    pub fn lookup(&self, client: Addr, ip: Addr) -> Option<&str> {
        self.cur
            .get(&(client, ip))
            .or_else(|| self.old.get(&(client, ip)))
            .or_else(|| self.any_cur.get(&ip))
            .or_else(|| self.any_old.get(&ip))
            .map(|b| &**b)
    }

    /// Entries held (both generations, both maps).
    pub fn len(&self) -> usize {
        self.cur.len() + self.old.len() + self.any_cur.len() + self.any_old.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Names and networks excluded from beacon scoring.
#[derive(Clone, Debug, Default)]
pub struct Allowlist {
    names: Vec<String>,
    nets: Vec<(Addr, u8)>,
}

impl Allowlist {
    /// Builds the list; names are normalised (a leading `*.` is dropped), bad networks skipped
    /// (the configuration validator reports them).
    pub fn new(names: &[String], cidrs: &[String]) -> Self {
        let mut buf = String::new();
        let names = names
            .iter()
            .filter_map(|n| {
                let n = n.trim();
                let n = n.strip_prefix("*.").unwrap_or(n).trim_start_matches('.');
                normalize(n, &mut buf).then(|| buf.clone())
            })
            .collect();
        let nets = cidrs.iter().filter_map(|c| parse_cidr(c).ok()).collect();
        Allowlist { names, nets }
    }

    /// True when `name` (normalised) equals an entry or ends with `.entry`.
    pub fn name(&self, name: &str) -> bool {
        self.names.iter().any(|e| {
            name == e
                || (name.len() > e.len()
                    && name.ends_with(e.as_str())
                    && name.as_bytes().get(name.len() - e.len() - 1) == Some(&b'.'))
        })
    }

    /// True when `a` lies in an allowlisted network.
    pub fn addr(&self, a: Addr) -> bool {
        self.nets.iter().any(|&(n, p)| in_net(a, n, p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising() {
        let mut s = String::new();
        assert!(normalize("WWW.Example.COM.", &mut s));
        assert_eq!(s, "www.example.com");
        assert!(!normalize("", &mut s) && s.is_empty());
        assert!(!normalize("...", &mut s));
        assert!(!normalize("bad name", &mut s));
        assert!(!normalize("ctl\u{1}x", &mut s));
        assert!(!normalize("ünïcode.jp", &mut s));
        assert!(!normalize(&"a".repeat(254), &mut s));
        assert!(normalize(&"a".repeat(253), &mut s));
    }

    #[test]
    fn allowlist_suffix_on_labels() {
        let a = Allowlist::new(
            &[
                "*.windowsupdate.com".into(),
                "Example.org".into(),
                "bad name".into(),
            ],
            &["17.0.0.0/8".into(), "nonsense".into()],
        );
        assert!(a.name("windowsupdate.com"));
        assert!(a.name("fe2.update.windowsupdate.com"));
        assert!(!a.name("evilwindowsupdate.com"));
        assert!(a.name("example.org"));
        assert!(!a.name("example.org.evil.net"));
        assert!(!a.name("org"));
        assert!(a.addr(Addr::v4([17, 1, 2, 3])));
        assert!(!a.addr(Addr::v4([18, 1, 2, 3])));
    }

    #[test]
    fn cache_is_bounded_and_prefers_the_client() {
        let mut c = NameCache::new(4);
        let (c1, c2, ip) = (
            Addr::v4([10, 0, 0, 1]),
            Addr::v4([10, 0, 0, 2]),
            Addr::v4([1, 1, 1, 1]),
        );
        c.insert(c1, ip, "a.example");
        c.insert(c2, ip, "b.example");
        assert_eq!(c.lookup(c1, ip), Some("a.example"));
        assert_eq!(c.lookup(c2, ip), Some("b.example"));
        // A third client gets the latest name anyone used.
        assert_eq!(c.lookup(Addr::v4([10, 0, 0, 3]), ip), Some("b.example"));
        for i in 0..1000u32 {
            c.insert(c1, Addr::v4(i.to_be_bytes()), "x.example");
        }
        assert!(c.len() <= 8);
        assert_eq!(
            c.lookup(c1, Addr::v4(999u32.to_be_bytes())),
            Some("x.example")
        );
        assert_eq!(c.lookup(c1, Addr::v4([9, 9, 9, 9])), None);
    }
}
