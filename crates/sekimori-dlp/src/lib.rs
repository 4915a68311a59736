//! DLP layer: finds Japanese personal data (basic pension numbers, My Numbers, corporate numbers,
//! payment cards, phone numbers, postal codes, birth dates, addresses, names, e-mail addresses and
//! configured custom identifiers) in what leaves the network, counts distinct values per transfer,
//! grades confidence as Purview does, and reports only masked samples.
//!
//! Text arrives as bytes in any chunking ([`Scanner::feed`]); it is decoded (UTF-8,
//! Shift_JIS/CP932, EUC-JP, ISO-2022-JP, guessed when undeclared), normalised (full-width digits,
//! hyphens), scanned in bounded batches with a context window carried across chunks, and tables
//! (CSV/TSV, xlsx sheets, docx tables) are read column-wise under their header row. Files and
//! archives ([`Dlp::scan_file`]) are opened recursively within size, ratio and depth caps:
//! ZIP, gzip, tar, OOXML (docx/xlsx/pptx), PDF, and OLE compound files (encrypted OOXML,
//! encrypted .doc/.xls are reported as encrypted).
//!
//! ```
//! let dlp = sekimori_dlp::Dlp::new(Default::default()).unwrap();
//! let mut s = dlp.scanner();
//! s.feed("基礎年金番号：１２３４－５６".as_bytes());
//! s.feed("７８９０\n".as_bytes());
//! let f = s.finish();
//! assert_eq!(f.count("pension_number"), 1);
//! assert_eq!(f.samples, vec!["1234-56****"]);
//! ```
#![deny(missing_docs)]

pub mod body;
pub mod container;
pub mod detectors;
pub mod encoding;
pub mod normalize;
pub mod scanner;
pub mod tabular;
pub mod types;
pub(crate) mod xml;

use serde::{Deserialize, Serialize};

pub use body::{BodyDecoder, BodyEncoding};
pub use container::{ContainerError, FileReport};
pub use detectors::custom::CustomDetector;
pub use detectors::{Detector, Match, Validation};
pub use scanner::{Dlp, Scanner, scan_file};
pub use types::{Confidence, EncryptedEntry, Finding, Findings, ScanStats};

/// Errors building a DLP engine from configuration.
#[derive(Debug, thiserror::Error)]
pub enum DlpError {
    /// A custom detector's pattern (or a built-in one) does not compile.
    #[error("detector {detector}: invalid regex: {source}")]
    Regex {
        /// Detector name.
        detector: String,
        /// Regex compile error.
        #[source]
        source: regex::Error,
    },
    /// A custom detector names a validator that does not exist.
    #[error("unknown validator {0:?} (known: luhn, my_number, corporate_number)")]
    UnknownValidator(String),
    /// A custom detector name is empty or not `[a-z0-9_]+`.
    #[error("invalid detector name {0:?}: use [a-z0-9_]+")]
    BadDetectorName(String),
    /// Two detectors share a name.
    #[error("duplicate detector name {0:?}")]
    DuplicateDetector(String),
    /// `disabled` names a detector that does not exist.
    #[error("unknown detector {0:?} in disabled list")]
    UnknownDetector(String),
    /// A charset label is not known.
    #[error("unknown charset {0:?}")]
    UnknownCharset(String),
    /// The keyword automaton could not be built.
    #[error("keyword automaton: {0}")]
    Keywords(String),
}

/// Size, depth and ratio caps of one transfer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScanLimits {
    /// Raw text bytes scanned per transfer (default 16 MiB); beyond, bytes are counted as skipped
    /// and the findings are `truncated`.
    pub max_scan_bytes: u64,
    /// Bytes of a container (ZIP, PDF, ...) buffered from a stream before it is opened
    /// (default 32 MiB).
    pub max_buffer_bytes: u64,
    /// Container nesting depth (default 4).
    pub max_depth: u32,
    /// Decompressed bytes per transfer (default 64 MiB).
    pub max_decompressed: u64,
    /// Decompression ratio per entry (default 100:1), enforced once an entry passes 1 MiB.
    pub max_ratio: u64,
    /// Archive entries opened per transfer (default 10,000).
    pub max_entries: u32,
}

impl Default for ScanLimits {
    fn default() -> Self {
        ScanLimits {
            max_scan_bytes: 16 << 20,
            max_buffer_bytes: 32 << 20,
            max_depth: 4,
            max_decompressed: 64 << 20,
            max_ratio: 100,
            max_entries: 10_000,
        }
    }
}

/// Configuration of a DLP engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DlpConfig {
    /// Caps per transfer.
    pub limits: ScanLimits,
    /// Values graded below this are not counted (default low: everything is counted, graded).
    pub min_confidence: Confidence,
    /// Masked samples kept per transfer (default 5).
    pub max_samples: usize,
    /// Built-in detectors to switch off, by name.
    pub disabled: Vec<String>,
    /// Custom detectors.
    pub custom: Vec<CustomDetector>,
    /// Normalised text bytes gathered before a detection batch runs (default 64 KiB). Results do
    /// not depend on it; it trades latency for per-batch overhead.
    pub batch_bytes: usize,
}

impl Default for DlpConfig {
    fn default() -> Self {
        DlpConfig {
            limits: ScanLimits::default(),
            min_confidence: Confidence::Low,
            max_samples: 5,
            disabled: Vec::new(),
            custom: Vec::new(),
            batch_bytes: 64 << 10,
        }
    }
}
