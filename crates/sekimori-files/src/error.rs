//! Errors of file tracking.

use std::path::PathBuf;

/// What can fail while tracking files (only the filestore touches the file system).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// A filestore operation failed.
    #[error("filestore I/O on {path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}
