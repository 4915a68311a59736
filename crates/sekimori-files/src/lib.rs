//! File tracking: turns the protocol layer's body streams ([`sekimori_app::FileSink`]) into
//! tracked files with a content type ("magic"), MD5/SHA-1/SHA-256 digests computed while the
//! bytes stream, optional content-addressed storage (the `filestore`), and a fan-out of the
//! content to [`FileObserver`]s (DLP, YARA). Memory per open file is bounded (a 4 KiB head for
//! magic plus hasher states); the number of open files is capped.
#![deny(missing_docs)]

pub mod error;
pub mod magic;
pub mod store;
pub mod tracker;

pub use error::FileError;
pub use magic::{TextStats, describe};
pub use store::{StoreConfig, store_path};
pub use tracker::{
    FileConfig, FileObserver, FileState, FileStats, FileTracker, Hashes, HttpBodyLimits, OpenFileView,
    TrackedFile, hex,
};
