//! Counters kept by every packet source, and progress reporting.

use std::path::PathBuf;

/// What a packet source read, skipped and failed on. Counters only grow.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// Packets delivered by `next_packet`.
    pub packets: u64,
    /// Captured bytes delivered (sum of `Packet::data.len()`).
    pub bytes: u64,
    /// Files opened (0 for live capture).
    pub files: u64,
    /// Files that ended in the middle of a record (the capture was cut); see
    /// [`FileStats::truncated`] for the offsets.
    pub truncated: u64,
    /// Fatal errors returned by `next_packet` (corrupt structure, I/O errors); each ends its file.
    pub errors: u64,
    /// Records whose captured length exceeded the configured limit
    /// ([`crate::CaptureOptions::max_caplen`]); they were skipped, not delivered.
    pub oversize: u64,
    /// Records whose captured length exceeded their original length; delivered with `orig_len`
    /// raised to the captured length.
    pub caplen_gt_origlen: u64,
    /// pcapng packet blocks naming an interface that no Interface Description Block declared
    /// (or a Simple Packet Block with no interface); skipped.
    pub bad_interface: u64,
    /// pcapng interfaces with an invalid `if_tsresol` option (microseconds were assumed).
    pub bad_tsresol: u64,
    /// pcapng blocks that carry no packet and were skipped (name resolution, statistics,
    /// decryption secrets, custom and unknown blocks).
    pub blocks_skipped: u64,
    /// Live capture: packets the kernel/libpcap reported as received by the filter.
    pub kernel_received: u64,
    /// Live capture: packets dropped because the kernel buffer was full.
    pub kernel_dropped: u64,
    /// Live capture: packets dropped by the interface or its driver.
    pub if_dropped: u64,
    /// One entry per input file, in input order (empty for live capture).
    pub per_file: Vec<FileStats>,
}

impl CaptureStats {
    /// Adds the counters (not `per_file`) of `o` into `self`.
    pub(crate) fn add_counters(&mut self, o: &CaptureStats) {
        self.packets += o.packets;
        self.bytes += o.bytes;
        self.files += o.files;
        self.truncated += o.truncated;
        self.errors += o.errors;
        self.oversize += o.oversize;
        self.caplen_gt_origlen += o.caplen_gt_origlen;
        self.bad_interface += o.bad_interface;
        self.bad_tsresol += o.bad_tsresol;
        self.blocks_skipped += o.blocks_skipped;
        self.kernel_received += o.kernel_received;
        self.kernel_dropped += o.kernel_dropped;
        self.if_dropped += o.if_dropped;
    }
}

/// Per-file summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileStats {
    /// The file (or the name given to [`crate::PcapFile::from_reader`]).
    pub path: PathBuf,
    /// Packets read from this file.
    pub packets: u64,
    /// Captured bytes read from this file.
    pub bytes: u64,
    /// `Some(offset)` when the file ends in the middle of a record: `offset` is where the
    /// incomplete record starts (everything before it was delivered).
    pub truncated: Option<u64>,
    /// The message of the error that ended this file early, if any.
    pub error: Option<String>,
}

/// Bytes consumed versus total, for a progress bar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes consumed so far (for files: file bytes, headers included).
    pub done: u64,
    /// Total bytes when known (file sizes); `None` for live capture or unsized readers.
    pub total: Option<u64>,
}

impl Progress {
    /// `done / total` in `0.0..=1.0`, when the total is known and non-zero.
    pub fn fraction(&self) -> Option<f64> {
        match self.total {
            Some(t) if t > 0 => Some((self.done.min(t)) as f64 / t as f64),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fraction() {
        assert_eq!(
            Progress {
                done: 5,
                total: Some(10)
            }
            .fraction(),
            Some(0.5)
        );
        assert_eq!(
            Progress {
                done: 50,
                total: Some(10)
            }
            .fraction(),
            Some(1.0)
        );
        assert_eq!(
            Progress {
                done: 5,
                total: Some(0)
            }
            .fraction(),
            None
        );
        assert_eq!(
            Progress {
                done: 5,
                total: None
            }
            .fraction(),
            None
        );
    }

    #[test]
    fn add_counters_sums_every_counter() {
        let a = CaptureStats {
            packets: 1,
            bytes: 2,
            files: 3,
            truncated: 4,
            errors: 5,
            oversize: 6,
            caplen_gt_origlen: 7,
            bad_interface: 8,
            bad_tsresol: 9,
            blocks_skipped: 10,
            kernel_received: 11,
            kernel_dropped: 12,
            if_dropped: 13,
            per_file: vec![FileStats::default()],
        };
        let mut b = a.clone();
        b.add_counters(&a);
        assert_eq!(b.packets, 2);
        assert_eq!(b.if_dropped, 26);
        assert_eq!(b.blocks_skipped, 20);
        assert_eq!(b.per_file.len(), 1, "per_file is not merged");
    }
}
