//! Typed errors of the inspection layer (configuration, hash lists, YARA rules).

use std::path::PathBuf;

/// What can go wrong building or reloading an [`crate::Inspector`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InspectError {
    /// A hash list or rule file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A hash list line is not an md5/sha1/sha256 hex digest.
    #[error("{path}:{line}: {reason}")]
    HashLine {
        /// The hash list file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A YARA rule file does not compile.
    #[error("{path}:{line}: YARA: {message}")]
    Yara {
        /// The rule file.
        path: PathBuf,
        /// 1-based line of the first error (0 when yara-x gave no location).
        line: usize,
        /// The compiler's message.
        message: String,
    },
    /// `yara_rules` is configured but the crate was built without the `yara` feature.
    #[error("yara_rules is configured but sekimori-inspect was built without the `yara` feature")]
    YaraDisabled,
    /// A configuration value is out of range.
    #[error("inspect config: {0}")]
    Config(String),
}
