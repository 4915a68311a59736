//! Counters of the inspection layer: a plain snapshot struct ([`Counters`]) and the shared
//! atomic cells that scans running anywhere update.

use std::sync::atomic::{AtomicU64, Ordering};

macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        /// What the inspection layer has done (a snapshot; see [`crate::Inspector::counters`]).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct Counters {
            $($(#[$doc])* pub $name: u64,)*
        }

        #[derive(Debug, Default)]
        pub(crate) struct AtomicCounters {
            $(pub(crate) $name: AtomicU64,)*
        }

        impl AtomicCounters {
            pub(crate) fn snapshot(&self) -> Counters {
                Counters { $($name: self.$name.load(Ordering::Relaxed),)* }
            }
        }
    };
}

counters! {
    /// Files finished ([`crate::FileScan::finish`]).
    files_scanned,
    /// Bytes fed to scans (kept or not).
    bytes,
    /// Files longer than `max_file_size` (only the first bytes were scanned).
    truncated,
    /// ZIP archives opened (nested ones included).
    archives_opened,
    /// Archive entries listed.
    archive_entries,
    /// Encrypted archive entries (listed by name only).
    encrypted_entries,
    /// Files whose archive decompression stopped at a cap (zip bomb guard).
    archive_capped,
    /// YARA scans run (file contents and archive entries).
    yara_scans,
    /// YARA scans with at least one matching rule.
    yara_matches,
    /// YARA scans stopped by the time limit.
    yara_timeouts,
    /// YARA scans that failed otherwise.
    yara_errors,
    /// Hash-list hits.
    hash_hits,
    /// Hash-list snapshots reloaded.
    hash_reloads,
    /// Errors: undecodable archive entries, failed reloads.
    errors,
    /// Messages checked by [`crate::Inspector::mail`].
    mails_checked,
    /// Mail verdicts produced.
    mail_verdicts,
    /// Files checked by [`crate::Inspector::download`].
    downloads_checked,
    /// File verdicts produced.
    file_verdicts,
}

impl AtomicCounters {
    pub(crate) fn add(cell: &AtomicU64, n: u64) {
        cell.fetch_add(n, Ordering::Relaxed);
    }
}
