//! Counters of the stream engine and the shared reassembly memory budget.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::event::StreamEvent;

/// What one [`crate::StreamEngine`] saw and did. Plain counters; never reset by the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamStats {
    /// TCP packets handed to `process`.
    pub packets: u64,
    /// Urgent bytes left out of the stream as out-of-band data (`urgent.policy: oob`).
    pub urgent_oob: u64,
    /// TCP sessions created (handshake or pickup).
    pub sessions: u64,
    /// Sessions picked up without seeing the SYN (midstream / SYN-ACK / async pickups).
    pub midstream_pickups: u64,
    /// Packets the state machine rejected as invalid (their data was not reassembled).
    pub invalid: u64,
    /// Packets on flows without a session that created none (midstream off, stray RST/FIN, ...).
    pub no_session: u64,
    /// Session-reuse hints returned (a new connection on a finished tuple).
    pub reuse: u64,
    /// Keep-alive packets recognised and skipped.
    pub keepalives: u64,
    /// Segments with payload given to reassembly.
    pub segments: u64,
    /// Payload bytes given to reassembly.
    pub segment_bytes: u64,
    /// Bytes released to sinks as data.
    pub bytes_delivered: u64,
    /// Segments that only repeated data already seen (same bytes or already delivered).
    pub retransmissions: u64,
    /// Segments that overlapped data held in the reassembly buffer.
    pub overlaps: u64,
    /// Overlapping segments whose bytes differed from the data held.
    pub overlaps_different_data: u64,
    /// Gaps declared (missing data skipped).
    pub gaps: u64,
    /// Bytes skipped in gaps.
    pub gap_bytes: u64,
    /// Segments (or parts) not stored because the reassembly memcap was reached.
    pub memcap_drops: u64,
    /// Segments not stored because the per-direction segment limit was reached.
    pub segment_limit_drops: u64,
    /// Bytes of already buffered, further-ahead data evicted to make room for earlier data.
    pub evicted_bytes: u64,
    /// Directions that reached the reassembly depth.
    pub depth_reached: u64,
    /// Data bytes dropped because they lie beyond the reassembly depth.
    pub depth_bytes_dropped: u64,
    /// Sessions closed by a valid RST.
    pub rst_closed: u64,
    /// Occurrences of each [`StreamEvent`], indexed by `event as usize`.
    pub events: [u64; StreamEvent::COUNT],
}

impl Default for StreamStats {
    fn default() -> Self {
        StreamStats {
            packets: 0,
            urgent_oob: 0,
            sessions: 0,
            midstream_pickups: 0,
            invalid: 0,
            no_session: 0,
            reuse: 0,
            keepalives: 0,
            segments: 0,
            segment_bytes: 0,
            bytes_delivered: 0,
            retransmissions: 0,
            overlaps: 0,
            overlaps_different_data: 0,
            gaps: 0,
            gap_bytes: 0,
            memcap_drops: 0,
            segment_limit_drops: 0,
            evicted_bytes: 0,
            depth_reached: 0,
            depth_bytes_dropped: 0,
            rst_closed: 0,
            events: [0; StreamEvent::COUNT],
        }
    }
}

impl StreamStats {
    /// How many times `e` was raised.
    pub fn event_count(&self, e: StreamEvent) -> u64 {
        self.events.get(e as usize).copied().unwrap_or(0)
    }
}

/// Reassembly memory shared by every session of one or more engines (Suricata's
/// `stream.reassembly.memcap`). Sessions reserve before buffering and give memory back when
/// data is released, flushed, or the session is dropped.
#[derive(Debug)]
pub struct StreamMemory {
    used: AtomicUsize,
    cap: usize,
}

impl StreamMemory {
    /// A budget of `cap` bytes.
    pub fn new(cap: usize) -> Self {
        StreamMemory {
            used: AtomicUsize::new(0),
            cap,
        }
    }
    /// Bytes currently reserved.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }
    /// The budget.
    pub fn cap(&self) -> usize {
        self.cap
    }
    /// Reserves `n` bytes; false (and nothing reserved) when that would exceed the cap.
    pub fn try_reserve(&self, n: usize) -> bool {
        let mut cur = self.used.load(Ordering::Relaxed);
        loop {
            let Some(next) = cur.checked_add(n) else {
                return false;
            };
            if next > self.cap {
                return false;
            }
            match self
                .used
                .compare_exchange_weak(cur, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }
    /// Charges `n` bytes unconditionally (memory that is already allocated).
    pub fn force_reserve(&self, n: usize) {
        let _ = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| {
                Some(c.saturating_add(n))
            });
    }
    /// Gives `n` bytes back (saturating at zero).
    pub fn release(&self, n: usize) {
        let mut cur = self.used.load(Ordering::Relaxed);
        loop {
            let next = cur.saturating_sub(n);
            match self
                .used
                .compare_exchange_weak(cur, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_budget() {
        let m = StreamMemory::new(100);
        assert!(m.try_reserve(60));
        assert!(!m.try_reserve(41));
        assert!(m.try_reserve(40));
        assert_eq!(m.used(), 100);
        assert!(!m.try_reserve(1));
        m.release(30);
        assert_eq!(m.used(), 70);
        m.release(1000);
        assert_eq!(m.used(), 0);
        assert!(!m.try_reserve(usize::MAX));
        assert_eq!(m.cap(), 100);
    }

    #[test]
    fn stats_event_count() {
        let mut s = StreamStats::default();
        s.events[StreamEvent::FinSyn as usize] += 2;
        assert_eq!(s.event_count(StreamEvent::FinSyn), 2);
        assert_eq!(s.event_count(StreamEvent::RstWithData), 0);
    }
}
