//! Stream engine configuration and the target-based overlap policies.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// Which copy of overlapping TCP data the reassembler keeps, named as Suricata's `host-os-policy`
/// names them. Each value emulates how a receiving operating system resolves a retransmitted
/// segment that overlaps data it already holds (target-based reassembly).
///
/// Suricata treats `bsd-right` as `bsd` and `old-solaris` as `solaris`; so does sekimori, but the
/// original spelling is kept for display.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OverlapPolicy {
    /// Always keep the data that arrived first.
    First,
    /// Always take the data that arrived last.
    Last,
    /// BSD (Suricata's default): new data wins where the new segment starts before the old one.
    #[default]
    Bsd,
    /// Spelled `bsd-right`; behaves as [`OverlapPolicy::Bsd`] (as in Suricata).
    BsdRight,
    /// Linux before 2.6: BSD rules, plus new data wins when it starts at the same sequence
    /// number as the old segment and ends at or after it.
    OldLinux,
    /// Linux: BSD rules, plus new data wins when it starts at the same sequence number as the
    /// old segment and ends after it.
    Linux,
    /// Spelled `old-solaris`; behaves as [`OverlapPolicy::Solaris`] (as in Suricata).
    OldSolaris,
    /// Solaris: new data wins whenever it ends at or after the old segment's end (and when it
    /// starts before the old segment).
    Solaris,
    /// HP-UX 10: same as BSD.
    Hpux10,
    /// HP-UX 11: same as Solaris.
    Hpux11,
    /// IRIX: same as BSD.
    Irix,
    /// macOS: same as BSD.
    Macos,
    /// Windows Vista: the original data always wins (same as `first`).
    Vista,
    /// Windows (XP and older): same as BSD.
    Windows,
    /// Windows Server 2003: same as BSD.
    Windows2k3,
}

/// Every policy, in Suricata's documentation order.
pub const ALL_POLICIES: [OverlapPolicy; 15] = [
    OverlapPolicy::First,
    OverlapPolicy::Last,
    OverlapPolicy::Bsd,
    OverlapPolicy::BsdRight,
    OverlapPolicy::OldLinux,
    OverlapPolicy::Linux,
    OverlapPolicy::OldSolaris,
    OverlapPolicy::Solaris,
    OverlapPolicy::Hpux10,
    OverlapPolicy::Hpux11,
    OverlapPolicy::Irix,
    OverlapPolicy::Macos,
    OverlapPolicy::Vista,
    OverlapPolicy::Windows,
    OverlapPolicy::Windows2k3,
];

/// The behaviour groups the fifteen policy names fall into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Group {
    First,
    Last,
    Bsd,
    OldLinux,
    Linux,
    Solaris,
}

impl OverlapPolicy {
    /// Suricata's spelling (`bsd-right`, `old-linux`, `windows2k3`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            OverlapPolicy::First => "first",
            OverlapPolicy::Last => "last",
            OverlapPolicy::Bsd => "bsd",
            OverlapPolicy::BsdRight => "bsd-right",
            OverlapPolicy::OldLinux => "old-linux",
            OverlapPolicy::Linux => "linux",
            OverlapPolicy::OldSolaris => "old-solaris",
            OverlapPolicy::Solaris => "solaris",
            OverlapPolicy::Hpux10 => "hpux10",
            OverlapPolicy::Hpux11 => "hpux11",
            OverlapPolicy::Irix => "irix",
            OverlapPolicy::Macos => "macos",
            OverlapPolicy::Vista => "vista",
            OverlapPolicy::Windows => "windows",
            OverlapPolicy::Windows2k3 => "windows2k3",
        }
    }

    const fn group(self) -> Group {
        match self {
            OverlapPolicy::First | OverlapPolicy::Vista => Group::First,
            OverlapPolicy::Last => Group::Last,
            OverlapPolicy::Bsd
            | OverlapPolicy::BsdRight
            | OverlapPolicy::Hpux10
            | OverlapPolicy::Irix
            | OverlapPolicy::Macos
            | OverlapPolicy::Windows
            | OverlapPolicy::Windows2k3 => Group::Bsd,
            OverlapPolicy::OldLinux => Group::OldLinux,
            OverlapPolicy::Linux => Group::Linux,
            OverlapPolicy::OldSolaris | OverlapPolicy::Solaris | OverlapPolicy::Hpux11 => {
                Group::Solaris
            }
        }
    }

    /// Whether the newly arrived segment's bytes replace the bytes of an already held segment
    /// in the region where they overlap (and differ).
    ///
    /// `start` is how the new segment's first sequence number compares with the old segment's,
    /// `end` how the new segment's right edge compares with the old one's. This is the decision
    /// table Suricata applies per overlapped segment (`stream-tcp-list.c`).
    pub fn new_data_wins(self, start: Ordering, end: Ordering) -> bool {
        let g = self.group();
        match g {
            Group::Last => true,
            Group::First => false,
            _ => match start {
                // New segment begins before the old one: every non-"first" group except Solaris
                // (which only cares about the end) takes the new bytes; Solaris takes them when
                // the new segment also covers the old one's end.
                Ordering::Less => match g {
                    Group::Solaris => end != Ordering::Less,
                    _ => true,
                },
                Ordering::Equal => match end {
                    Ordering::Less => false,
                    Ordering::Equal => matches!(g, Group::OldLinux | Group::Solaris),
                    Ordering::Greater => {
                        matches!(g, Group::OldLinux | Group::Linux | Group::Solaris)
                    }
                },
                Ordering::Greater => end == Ordering::Greater && g == Group::Solaris,
            },
        }
    }
}

impl fmt::Display for OverlapPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Errors from parsing configuration values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The name is not one of Suricata's `host-os-policy` names.
    #[error(
        "unknown stream overlap policy {0:?} (expected one of: first, last, bsd, bsd-right, old-linux, linux, old-solaris, solaris, hpux10, hpux11, irix, macos, vista, windows, windows2k3)"
    )]
    UnknownPolicy(String),
}

impl FromStr for OverlapPolicy {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        ALL_POLICIES
            .iter()
            .copied()
            .find(|p| p.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| ConfigError::UnknownPolicy(s.to_string()))
    }
}

/// Settings of the stream engine (Suricata's `stream:` section).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamConfig {
    /// Pick up sessions whose handshake was not seen (`stream.midstream`, default false).
    pub midstream: bool,
    /// Accept sessions where only one direction is visible (`stream.async-oneside`, default false).
    pub async_oneside: bool,
    /// Overlap policy for all hosts (`host-os-policy`; default `bsd` as Suricata's default).
    pub policy: OverlapPolicy,
    /// Reassembly memory for all sessions sharing this engine's [`crate::StreamMemory`], in bytes
    /// (`stream.reassembly.memcap`, default 256 MiB). Counts buffered payload bytes plus a fixed
    /// per-segment overhead.
    pub memcap_bytes: usize,
    /// Reassembly depth per direction in bytes; 0 = unlimited (`stream.reassembly.depth`,
    /// default 1 MiB).
    pub depth: u64,
    /// Inline (IPS) mode: release data as soon as it is contiguous instead of once the peer
    /// has acknowledged it; overlapping data then always keeps what was already accepted.
    pub inline: bool,
    /// Maximum number of segments held per direction (out of order or waiting for an ACK);
    /// beyond this, the furthest-ahead data is evicted or the new segment dropped.
    pub max_queued_segments_per_direction: usize,
    /// Maximum number of different SYNs remembered while waiting for the SYN/ACK
    /// (`stream.max-syn-queued`, default 10).
    pub max_syn_queued: usize,
    /// `stream.reassembly.urgent.policy: oob`: the urgent byte of a segment with URG set (at
    /// `seq + urgent pointer - 1`) is out-of-band data and left out of the reassembled stream;
    /// false (`inline`, the default) keeps it in the stream.
    pub urgent_oob: bool,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            midstream: false,
            async_oneside: false,
            policy: OverlapPolicy::Bsd,
            memcap_bytes: 256 << 20,
            depth: 1 << 20,
            inline: false,
            max_queued_segments_per_direction: 16_384,
            max_syn_queued: 10,
            urgent_oob: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal as E, Greater as G, Less as L};

    #[test]
    fn parse_all_names() {
        for p in ALL_POLICIES {
            assert_eq!(p.as_str().parse::<OverlapPolicy>(), Ok(p));
            assert_eq!(p.to_string(), p.as_str());
        }
        assert_eq!(
            "  Windows2K3 ".parse::<OverlapPolicy>(),
            Ok(OverlapPolicy::Windows2k3)
        );
        assert!(matches!(
            "beos".parse::<OverlapPolicy>(),
            Err(ConfigError::UnknownPolicy(_))
        ));
        assert!("".parse::<OverlapPolicy>().is_err());
    }

    #[test]
    fn default_is_bsd_and_suricata_values() {
        let c = StreamConfig::default();
        assert_eq!(c.policy, OverlapPolicy::Bsd);
        assert!(!c.midstream);
        assert!(!c.async_oneside);
        assert!(!c.inline);
        assert_eq!(c.depth, 1 << 20);
    }

    /// The decision table, row by row, for one representative of each group.
    #[test]
    fn decision_table() {
        let cases: [(Ordering, Ordering); 9] = [
            (L, L),
            (L, E),
            (L, G),
            (E, L),
            (E, E),
            (E, G),
            (G, L),
            (G, E),
            (G, G),
        ];
        let expect = |p: OverlapPolicy| -> [bool; 9] {
            let mut out = [false; 9];
            for (i, (s, e)) in cases.iter().enumerate() {
                out[i] = p.new_data_wins(*s, *e);
            }
            out
        };
        let t = true;
        let f = false;
        assert_eq!(expect(OverlapPolicy::First), [f, f, f, f, f, f, f, f, f]);
        assert_eq!(expect(OverlapPolicy::Vista), [f, f, f, f, f, f, f, f, f]);
        assert_eq!(expect(OverlapPolicy::Last), [t, t, t, t, t, t, t, t, t]);
        assert_eq!(expect(OverlapPolicy::Bsd), [t, t, t, f, f, f, f, f, f]);
        assert_eq!(expect(OverlapPolicy::BsdRight), expect(OverlapPolicy::Bsd));
        assert_eq!(expect(OverlapPolicy::Windows), expect(OverlapPolicy::Bsd));
        assert_eq!(expect(OverlapPolicy::Linux), [t, t, t, f, f, t, f, f, f]);
        assert_eq!(expect(OverlapPolicy::OldLinux), [t, t, t, f, t, t, f, f, f]);
        assert_eq!(expect(OverlapPolicy::Solaris), [f, t, t, f, t, t, f, f, t]);
        assert_eq!(
            expect(OverlapPolicy::OldSolaris),
            expect(OverlapPolicy::Solaris)
        );
        assert_eq!(
            expect(OverlapPolicy::Hpux11),
            expect(OverlapPolicy::Solaris)
        );
    }
}
