//! Typed errors and warnings of the behaviour layer.

use std::path::PathBuf;

use thiserror::Error;

/// A configuration value out of range.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// A field is out of its allowed range.
    #[error("behavior config: {field} {why}")]
    Invalid {
        /// Dotted field name.
        field: &'static str,
        /// What is wrong.
        why: &'static str,
    },
    /// An `allow_cidrs` entry does not parse.
    #[error("behavior config: bad network {0:?} in allow_cidrs")]
    BadCidr(String),
}

/// A malformed home-network entry.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum HomeNetError {
    /// Not an address or `address/prefix`.
    #[error("bad network {0:?}: expected ADDRESS or ADDRESS/PREFIX")]
    Syntax(String),
    /// The prefix exceeds 32 (IPv4) or 128 (IPv6).
    #[error("bad network {0:?}: prefix too long")]
    Prefix(String),
    /// Negation (`!net`) is not supported here.
    #[error("bad network {0:?}: negation is not supported")]
    Negation(String),
}

/// The state store failed in a way that cannot be recovered by starting afresh.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The state directory cannot be created or written.
    #[error("behavior store {path}: {source}")]
    Io {
        /// File or directory concerned.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// SQLite refused to write the checkpoint.
    #[error("behavior store {path}: {source}")]
    Sqlite {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        source: rusqlite::Error,
    },
}

/// Something the caller should log after opening the store; the layer carried on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreWarning {
    /// The state file could not be read as a behaviour store; it was moved aside and a fresh,
    /// empty baseline is used.
    Corrupt {
        /// The state file.
        path: PathBuf,
        /// Where the unreadable file was moved (None when moving it failed too).
        moved_to: Option<PathBuf>,
        /// What SQLite or the loader said.
        reason: String,
    },
    /// The file was written by an incompatible version of the store; moved aside, fresh baseline.
    Schema {
        /// The state file.
        path: PathBuf,
        /// Version found.
        found: i64,
        /// Version this build writes.
        expected: i64,
        /// Where the old file was moved.
        moved_to: Option<PathBuf>,
    },
    /// Some rows held values that do not parse (bad address, bad blob); they were skipped.
    SkippedRows {
        /// The state file.
        path: PathBuf,
        /// Number of rows skipped.
        count: u64,
    },
}

impl std::fmt::Display for StoreWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreWarning::Corrupt {
                path,
                moved_to,
                reason,
            } => write!(
                f,
                "behavior store {} is corrupt ({reason}); moved to {}; starting a fresh baseline",
                path.display(),
                moved_to
                    .as_ref()
                    .map_or_else(|| "nowhere".to_string(), |p| p.display().to_string())
            ),
            StoreWarning::Schema {
                path,
                found,
                expected,
                moved_to,
            } => write!(
                f,
                "behavior store {} has schema {found}, expected {expected}; moved to {}; starting a fresh baseline",
                path.display(),
                moved_to
                    .as_ref()
                    .map_or_else(|| "nowhere".to_string(), |p| p.display().to_string())
            ),
            StoreWarning::SkippedRows { path, count } => {
                write!(
                    f,
                    "behavior store {}: skipped {count} unreadable rows",
                    path.display()
                )
            }
        }
    }
}

/// Errors of [`crate::Behavior`].
#[derive(Debug, Error)]
pub enum BehaviorError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Store failure (checkpoint could not be written, directory unusable).
    #[error(transparent)]
    Store(#[from] StoreError),
}
