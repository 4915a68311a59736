//! Reassembly counters.

use crate::defrag::DefragDrop;

/// What the reassembler received, produced and dropped. Counters only grow; `trackers_active`
/// and `mem_used` are gauges (current values), `mem_peak` their high-water mark.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DefragStats {
    /// Packets handed to `process` that were not fragments.
    pub not_fragment: u64,
    /// Fragments received (IPv4 + IPv6).
    pub fragments: u64,
    /// IPv4 fragments received.
    pub ipv4_fragments: u64,
    /// IPv6 fragments received.
    pub ipv6_fragments: u64,
    /// Fragments stored while their datagram is still incomplete.
    pub held: u64,
    /// Datagrams reassembled (IPv4 + IPv6).
    pub reassembled: u64,
    /// IPv4 datagrams reassembled.
    pub ipv4_reassembled: u64,
    /// IPv6 datagrams reassembled.
    pub ipv6_reassembled: u64,
    /// Fragments that overlapped data already held.
    pub overlaps: u64,
    /// Datagrams dropped because their timeout passed.
    pub timeouts: u64,
    /// Trackers (pending datagrams) created.
    pub trackers_created: u64,
    /// Fragments dropped: datagram would exceed 65535 bytes.
    pub dropped_too_large: u64,
    /// Fragments dropped: past the end set by the last fragment.
    pub dropped_beyond_end: u64,
    /// Fragments dropped: last fragment contradicting the known end.
    pub dropped_conflicting_end: u64,
    /// Fragments whose datagram was discarded for having too many fragments.
    pub dropped_too_many_frags: u64,
    /// Fragments dropped: memcap reached.
    pub dropped_memcap: u64,
    /// Fragments dropped: tracker limit reached.
    pub dropped_tracker_limit: u64,
    /// Fragments dropped: truncated by the capture.
    pub dropped_truncated: u64,
    /// Fragments dropped: no data.
    pub dropped_empty: u64,
    /// Fragments dropped: malformed first-fragment headers.
    pub dropped_malformed: u64,
    /// Datagrams pending now (gauge).
    pub trackers_active: u64,
    /// Bytes counted against the memcap now (gauge).
    pub mem_used: u64,
    /// Highest `mem_used` seen.
    pub mem_peak: u64,
}

impl DefragStats {
    /// Counts one dropped fragment.
    pub fn count_drop(&mut self, reason: DefragDrop) {
        let c = match reason {
            DefragDrop::TooLarge => &mut self.dropped_too_large,
            DefragDrop::BeyondEnd => &mut self.dropped_beyond_end,
            DefragDrop::ConflictingEnd => &mut self.dropped_conflicting_end,
            DefragDrop::TooManyFragments => &mut self.dropped_too_many_frags,
            DefragDrop::Memcap => &mut self.dropped_memcap,
            DefragDrop::TrackerLimit => &mut self.dropped_tracker_limit,
            DefragDrop::Truncated => &mut self.dropped_truncated,
            DefragDrop::Empty => &mut self.dropped_empty,
            DefragDrop::Malformed => &mut self.dropped_malformed,
        };
        *c += 1;
    }

    /// All dropped fragments.
    pub fn dropped(&self) -> u64 {
        self.dropped_too_large
            + self.dropped_beyond_end
            + self.dropped_conflicting_end
            + self.dropped_too_many_frags
            + self.dropped_memcap
            + self.dropped_tracker_limit
            + self.dropped_truncated
            + self.dropped_empty
            + self.dropped_malformed
    }
}
