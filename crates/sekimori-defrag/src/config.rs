//! Reassembly configuration: overlap policies (Suricata's names), per-host policies, limits.

use std::fmt;
use std::str::FromStr;

use sekimori_decode::Addr;

/// How overlapping fragment data is resolved, i.e. which bytes the protected host would keep.
///
/// The rule is applied byte range by byte range: for every byte already held, the new fragment
/// (`new`, with its own start/end offsets) either replaces the bytes of the fragment that currently
/// holds them (`old`, with *its* start/end offsets) or is discarded for those bytes:
///
/// | policy    | the new fragment wins when …                                   | stacks              |
/// |-----------|----------------------------------------------------------------|---------------------|
/// | `First`   | never: the first data received for a byte is kept              | old Solaris, HP-UX 11, Mac OS |
/// | `Last`    | always: the most recent data for a byte is kept                | (Cisco IOS)         |
/// | `Bsd`     | it starts strictly before `old` (`new.start < old.start`)      | BSD, HP-UX 10, IRIX |
/// | `Linux`   | it starts at or before `old` (`new.start <= old.start`)        | Linux               |
/// | `Windows` | it starts strictly before and ends strictly after `old`        | Windows             |
/// | `Solaris` | it starts strictly before `old` and ends at or after its end   | Solaris             |
///
/// Bytes no fragment held yet always go to the new fragment. These are the target-based
/// reassembly policies of Novak's "Target-Based Fragmentation Reassembly" as Suricata's defrag
/// names them; the table test in this crate checks each on the classic 17-fragment overlap pattern.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OverlapPolicy {
    /// The first data received wins.
    First,
    /// The last data received wins.
    Last,
    /// BSD: the new fragment wins where it starts before the held one (Suricata's default).
    #[default]
    Bsd,
    /// Linux: the new fragment wins where it starts at or before the held one.
    Linux,
    /// Windows: the new fragment wins only where it strictly encloses the held one.
    Windows,
    /// Solaris: the new fragment wins where it starts before and reaches the end of the held one.
    Solaris,
}

impl OverlapPolicy {
    /// Every policy.
    pub const ALL: [OverlapPolicy; 6] = [
        OverlapPolicy::First,
        OverlapPolicy::Last,
        OverlapPolicy::Bsd,
        OverlapPolicy::Linux,
        OverlapPolicy::Windows,
        OverlapPolicy::Solaris,
    ];

    /// Whether a new fragment covering `[new_start, new_end)` replaces, where they overlap, the
    /// bytes held by a fragment that covered `[old_start, old_end)`.
    #[inline]
    pub fn new_wins(self, new_start: u32, new_end: u32, old_start: u32, old_end: u32) -> bool {
        match self {
            OverlapPolicy::First => false,
            OverlapPolicy::Last => true,
            OverlapPolicy::Bsd => new_start < old_start,
            OverlapPolicy::Linux => new_start <= old_start,
            OverlapPolicy::Windows => new_start < old_start && new_end > old_end,
            OverlapPolicy::Solaris => new_start < old_start && new_end >= old_end,
        }
    }

    /// Suricata's configuration name of the policy.
    pub const fn name(self) -> &'static str {
        match self {
            OverlapPolicy::First => "first",
            OverlapPolicy::Last => "last",
            OverlapPolicy::Bsd => "bsd",
            OverlapPolicy::Linux => "linux",
            OverlapPolicy::Windows => "windows",
            OverlapPolicy::Solaris => "solaris",
        }
    }

    /// The policy for a Suricata `host-os-policy` operating-system name (`bsd`, `bsd-right`,
    /// `old-linux`, `linux`, `old-solaris`, `solaris`, `hpux10`, `hpux11`, `irix`, `macos`,
    /// `vista`, `windows`, `windows2k3`, `first`, `last`), mapped as Suricata's defrag maps them.
    /// `bsd-right` maps to `Bsd` (Suricata has no distinct defrag behaviour for it either).
    pub fn from_os_name(name: &str) -> Option<OverlapPolicy> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "bsd" | "bsd-right" | "hpux10" | "irix" => OverlapPolicy::Bsd,
            "linux" | "old-linux" => OverlapPolicy::Linux,
            "first" | "old-solaris" | "hpux11" | "macos" => OverlapPolicy::First,
            "solaris" => OverlapPolicy::Solaris,
            "windows" | "vista" | "windows2k3" => OverlapPolicy::Windows,
            "last" => OverlapPolicy::Last,
            _ => return None,
        })
    }
}

impl fmt::Display for OverlapPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OverlapPolicy {
    type Err = DefragConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OverlapPolicy::from_os_name(s)
            .ok_or_else(|| DefragConfigError::UnknownPolicy(s.to_string()))
    }
}

/// A per-destination policy (Suricata's `host-os-policy`): datagrams sent to an address inside
/// `network/prefix_len` are reassembled with `policy`. The longest matching prefix wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostPolicy {
    /// Network address (IPv4 or IPv6).
    pub network: Addr,
    /// Prefix length in bits (0..=32 for IPv4, 0..=128 for IPv6).
    pub prefix_len: u8,
    /// Policy for destinations inside the prefix.
    pub policy: OverlapPolicy,
}

impl HostPolicy {
    /// True when `addr` lies inside this prefix (same address family).
    pub fn contains(&self, addr: &Addr) -> bool {
        if addr.v6 != self.network.v6 {
            return false;
        }
        let bits = usize::from(self.prefix_len);
        let full = bits / 8;
        let (Some(a), Some(n)) = (addr.bytes.get(..full), self.network.bytes.get(..full)) else {
            return false;
        };
        if a != n {
            return false;
        }
        let rem = bits % 8;
        if rem == 0 {
            return true;
        }
        let mask = 0xffu8 << (8 - rem);
        match (addr.bytes.get(full), self.network.bytes.get(full)) {
            (Some(x), Some(y)) => x & mask == y & mask,
            _ => false,
        }
    }
}

/// Reassembly settings. `Default` gives Suricata's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefragConfig {
    /// Policy for destinations no [`HostPolicy`] matches (Suricata's `defrag.default-policy`
    /// idea; default BSD).
    pub policy: OverlapPolicy,
    /// Per-destination policies (Suricata's `host-os-policy`).
    pub host_policies: Vec<HostPolicy>,
    /// Seconds a datagram may wait for its missing fragments after its latest fragment
    /// (Suricata's `defrag.timeout`, default 60, allowed 1..=86400).
    pub timeout_secs: u64,
    /// Upper bound on the memory held for datagrams being reassembled, in bytes: fragment data,
    /// first-fragment headers, bookkeeping, pooled buffers and the output buffer (Suricata's
    /// `defrag.memcap`, default 32 MiB).
    pub memcap_bytes: usize,
    /// Most fragments one datagram may consist of; more and the whole datagram is dropped
    /// (default 256: a full 64 KiB datagram at a 576-byte MTU needs about 115).
    pub max_frags_per_datagram: usize,
    /// Most datagrams reassembled at once (Suricata's `defrag.trackers`, default 65535).
    pub max_trackers: usize,
    /// Whether VLAN ids are part of the datagram key (Suricata's `vlan.use-for-tracking`).
    pub use_vlan: bool,
}

impl Default for DefragConfig {
    fn default() -> Self {
        DefragConfig {
            policy: OverlapPolicy::Bsd,
            host_policies: Vec::new(),
            timeout_secs: 60,
            memcap_bytes: 32 * 1024 * 1024,
            max_frags_per_datagram: 256,
            max_trackers: 65535,
            use_vlan: true,
        }
    }
}

/// Smallest memcap accepted: room for one full datagram plus the output buffer.
pub const MIN_MEMCAP: usize = 256 * 1024;

/// Invalid reassembly settings.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DefragConfigError {
    /// Timeout outside 1..=86400 seconds.
    #[error("defrag timeout {0} s outside 1..=86400")]
    Timeout(u64),
    /// Memcap below [`MIN_MEMCAP`].
    #[error("defrag memcap {0} bytes below the minimum of {MIN_MEMCAP}")]
    Memcap(usize),
    /// A zero limit.
    #[error("defrag limit `{0}` must be at least 1")]
    ZeroLimit(&'static str),
    /// Prefix longer than the address.
    #[error("host policy prefix /{0} too long for its address family")]
    Prefix(u8),
    /// Unknown policy / OS name.
    #[error("unknown defrag policy `{0}`")]
    UnknownPolicy(String),
}

impl DefragConfig {
    /// Checks the settings.
    pub fn validate(&self) -> Result<(), DefragConfigError> {
        if !(1..=86_400).contains(&self.timeout_secs) {
            return Err(DefragConfigError::Timeout(self.timeout_secs));
        }
        if self.memcap_bytes < MIN_MEMCAP {
            return Err(DefragConfigError::Memcap(self.memcap_bytes));
        }
        if self.max_frags_per_datagram == 0 {
            return Err(DefragConfigError::ZeroLimit("max_frags_per_datagram"));
        }
        if self.max_trackers == 0 {
            return Err(DefragConfigError::ZeroLimit("max_trackers"));
        }
        for h in &self.host_policies {
            let max = if h.network.v6 { 128 } else { 32 };
            if h.prefix_len > max {
                return Err(DefragConfigError::Prefix(h.prefix_len));
            }
        }
        Ok(())
    }

    /// The policy for datagrams sent to `dst`: longest matching host prefix, else `policy`.
    pub fn policy_for(&self, dst: &Addr) -> OverlapPolicy {
        self.host_policies
            .iter()
            .filter(|h| h.contains(dst))
            .max_by_key(|h| h.prefix_len)
            .map_or(self.policy, |h| h.policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_names() {
        assert_eq!(
            OverlapPolicy::from_os_name("windows2k3"),
            Some(OverlapPolicy::Windows)
        );
        assert_eq!(
            OverlapPolicy::from_os_name("old-linux"),
            Some(OverlapPolicy::Linux)
        );
        assert_eq!(
            OverlapPolicy::from_os_name("macos"),
            Some(OverlapPolicy::First)
        );
        assert_eq!(
            OverlapPolicy::from_os_name("HPUX10"),
            Some(OverlapPolicy::Bsd)
        );
        assert_eq!(OverlapPolicy::from_os_name("plan9"), None);
        for p in OverlapPolicy::ALL {
            assert_eq!(p.name().parse::<OverlapPolicy>(), Ok(p));
        }
        assert!("x".parse::<OverlapPolicy>().is_err());
    }

    #[test]
    fn host_policy_longest_prefix() {
        let cfg = DefragConfig {
            host_policies: vec![
                HostPolicy {
                    network: Addr::v4([10, 0, 0, 0]),
                    prefix_len: 8,
                    policy: OverlapPolicy::Linux,
                },
                HostPolicy {
                    network: Addr::v4([10, 1, 2, 0]),
                    prefix_len: 23,
                    policy: OverlapPolicy::Windows,
                },
                HostPolicy {
                    network: Addr::v6([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                    prefix_len: 32,
                    policy: OverlapPolicy::Last,
                },
            ],
            ..DefragConfig::default()
        };
        assert_eq!(
            cfg.policy_for(&Addr::v4([10, 9, 9, 9])),
            OverlapPolicy::Linux
        );
        assert_eq!(
            cfg.policy_for(&Addr::v4([10, 1, 3, 200])),
            OverlapPolicy::Windows
        );
        assert_eq!(
            cfg.policy_for(&Addr::v4([10, 1, 4, 1])),
            OverlapPolicy::Linux
        );
        assert_eq!(cfg.policy_for(&Addr::v4([11, 0, 0, 1])), OverlapPolicy::Bsd);
        let mut v6 = [0u8; 16];
        v6[..4].copy_from_slice(&[0x20, 1, 0xd, 0xb8]);
        v6[15] = 7;
        assert_eq!(cfg.policy_for(&Addr::v6(v6)), OverlapPolicy::Last);
        // An IPv4 address never matches an IPv6 prefix, even with equal leading bytes.
        assert_eq!(
            cfg.policy_for(&Addr::v4([0x20, 1, 0xd, 0xb8])),
            OverlapPolicy::Bsd
        );
        assert!(cfg.validate().is_ok());
    }

    #[test]
    fn validation() {
        let ok = DefragConfig::default();
        assert!(ok.validate().is_ok());
        assert_eq!(
            DefragConfig {
                timeout_secs: 0,
                ..ok.clone()
            }
            .validate(),
            Err(DefragConfigError::Timeout(0))
        );
        assert!(
            DefragConfig {
                memcap_bytes: 1000,
                ..ok.clone()
            }
            .validate()
            .is_err()
        );
        assert!(
            DefragConfig {
                max_frags_per_datagram: 0,
                ..ok.clone()
            }
            .validate()
            .is_err()
        );
        assert!(
            DefragConfig {
                max_trackers: 0,
                ..ok.clone()
            }
            .validate()
            .is_err()
        );
        let bad = HostPolicy {
            network: Addr::v4([1, 2, 3, 4]),
            prefix_len: 33,
            policy: OverlapPolicy::Bsd,
        };
        assert_eq!(
            DefragConfig {
                host_policies: vec![bad],
                ..ok
            }
            .validate(),
            Err(DefragConfigError::Prefix(33))
        );
    }
}
