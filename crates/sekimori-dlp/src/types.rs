//! Result types: confidence grades, per-detector findings, the serializable `dlp` object and the
//! counters every scan keeps.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How sure a finding is, graded as Purview does (high 85, medium 75, low 65).
///
/// * `High`: a validated value (checksum, or an existing date) with a keyword within 300
///   characters, or any format-valid value in a column whose header names the identifier.
/// * `Medium`: a format match with a keyword nearby for identifiers that have no checksum.
/// * `Low`: a format match (and checksum, where one exists) with no keyword.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Format (+ checksum) alone: 65.
    #[default]
    Low,
    /// Format + keyword for identifiers without a checksum: 75.
    Medium,
    /// Checksum/validation + keyword, or a keyword column header: 85.
    High,
}

impl Confidence {
    /// Purview-style numeric score (65 / 75 / 85).
    pub fn score(self) -> u8 {
        match self {
            Confidence::Low => 65,
            Confidence::Medium => 75,
            Confidence::High => 85,
        }
    }

    /// Lower-case name as serialized (`low`, `medium`, `high`).
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// Tally of one detector in one transfer: distinct valid values, graded by their best confidence.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Distinct values found (`high + medium + low`).
    pub count: u64,
    /// Best confidence among those values.
    pub confidence: Confidence,
    /// Distinct values whose best confidence is high.
    pub high: u64,
    /// Distinct values whose best confidence is medium.
    pub medium: u64,
    /// Distinct values whose best confidence is low.
    pub low: u64,
}

/// An encrypted part of a transfer whose contents could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EncryptedEntry {
    /// Entry name (ZIP member name, or the file name for a whole encrypted document).
    pub name: String,
    /// Container that holds it: `zip`, `ooxml`, `doc`, `xls`, `pdf`.
    pub container: String,
    /// Protection scheme: `zipcrypto`, `aes`, `strong`, `encrypted-directory`, `agile`,
    /// `standard`, `rc4`, `pdf`, `filepass`, `fib`.
    pub method: String,
    /// Stored (compressed) size in bytes, where visible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressed_size: Option<u64>,
    /// Declared plain size in bytes, where visible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// Counters of one scan (not serialized into the `dlp` object).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Bytes handed to the scanner (all of them, scanned or not).
    pub bytes_received: u64,
    /// Raw bytes that went through text decoding and detection.
    pub bytes_scanned: u64,
    /// Bytes dropped because a size cap was reached (the findings are then `truncated`).
    pub bytes_skipped: u64,
    /// Characters of normalised text run through the detectors.
    pub chars_scanned: u64,
    /// Lines (newline-terminated or final) seen in text.
    pub lines: u64,
    /// Decoding calls that had to substitute U+FFFD for malformed input.
    pub decode_errors: u64,
    /// Candidate matches produced by detectors (before context grading).
    pub candidates: u64,
    /// Candidates dropped because the detector needs a keyword and none was near.
    pub rejected_no_context: u64,
    /// Candidates dropped because their grade was below the configured minimum.
    pub rejected_low_confidence: u64,
    /// Accepted identifier occurrences (not distinct).
    pub matches: u64,
    /// Table cells accepted through a column header.
    pub column_matches: u64,
    /// Container parts opened (ZIP members, OOXML parts, gzip members, PDF streams, ...).
    pub parts_opened: u64,
    /// Bytes produced by decompression.
    pub bytes_decompressed: u64,
    /// Container parse or decompression errors (each also recorded in `FileReport::errors`).
    pub container_errors: u64,
    /// Containers or entries found encrypted.
    pub encrypted_parts: u64,
}

impl ScanStats {
    /// Adds every counter of `other` into `self`.
    pub fn merge(&mut self, other: &ScanStats) {
        self.bytes_received += other.bytes_received;
        self.bytes_scanned += other.bytes_scanned;
        self.bytes_skipped += other.bytes_skipped;
        self.chars_scanned += other.chars_scanned;
        self.lines += other.lines;
        self.decode_errors += other.decode_errors;
        self.candidates += other.candidates;
        self.rejected_no_context += other.rejected_no_context;
        self.rejected_low_confidence += other.rejected_low_confidence;
        self.matches += other.matches;
        self.column_matches += other.column_matches;
        self.parts_opened += other.parts_opened;
        self.bytes_decompressed += other.bytes_decompressed;
        self.container_errors += other.container_errors;
        self.encrypted_parts += other.encrypted_parts;
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Result of scanning one transfer, serializable as the `dlp` object of an alert record
/// (see detections.md). Fields the DLP layer cannot know (`direction`, `file`, `policy`) are left
/// `None` for the caller to fill; `container` may be prefixed by the caller (e.g. `multipart`).
///
/// Only masked values ever appear here.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Findings {
    /// `to_server` / `to_client`, filled by the caller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// File name, filled by the caller or by `scan_file` when it is given one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Container chain from outermost to the part that carried findings, e.g. `["zip","xlsx"]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub container: Vec<String>,
    /// Whether an encrypted archive or document was seen whose contents could not be read.
    pub encrypted: bool,
    /// Rows or lines carrying at least one identifier; `None` when nothing could be read because
    /// everything was encrypted.
    pub records: Option<u64>,
    /// Per detector name: distinct values and grades.
    pub findings: BTreeMap<String, Finding>,
    /// A few masked samples (never a full value).
    pub samples: Vec<String>,
    /// Policy name, filled by the caller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Best confidence over all findings; `None` when there are none.
    pub confidence: Option<Confidence>,
    /// A size, depth, ratio or entry-count cap stopped the scan before the end.
    #[serde(skip_serializing_if = "is_false")]
    pub truncated: bool,
    /// Encrypted entries with names and sizes where visible.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub encrypted_entries: Vec<EncryptedEntry>,
    /// Text encoding used for the (first) text part, e.g. `Shift_JIS`.
    #[serde(skip)]
    pub charset: Option<&'static str>,
    /// Counters of the scan.
    #[serde(skip)]
    pub stats: ScanStats,
}

impl Findings {
    /// Distinct values found by detector `name` (0 when absent).
    pub fn count(&self, name: &str) -> u64 {
        self.findings.get(name).map_or(0, |f| f.count)
    }

    /// Distinct values of detector `name` at or above `min` confidence.
    pub fn count_at_least(&self, name: &str, min: Confidence) -> u64 {
        self.findings.get(name).map_or(0, |f| match min {
            Confidence::Low => f.count,
            Confidence::Medium => f.high + f.medium,
            Confidence::High => f.high,
        })
    }

    /// Best confidence reported for detector `name`.
    pub fn confidence_of(&self, name: &str) -> Option<Confidence> {
        self.findings.get(name).map(|f| f.confidence)
    }

    /// Total distinct values over all detectors.
    pub fn total(&self) -> u64 {
        self.findings.values().map(|f| f.count).sum()
    }

    /// True when nothing was found and nothing encrypted was seen.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty() && !self.encrypted
    }
}
