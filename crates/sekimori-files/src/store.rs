//! The `filestore`: files written while they stream to a temporary file, then renamed at close
//! to a content-addressed path `<dir>/<first two hex digits of sha256>/<sha256 hex>`.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::FileError;

/// Where and how much to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreConfig {
    /// The filestore directory (created when missing; a `tmp` directory is made inside).
    pub dir: PathBuf,
    /// Files larger than this are not stored (their temporary file is removed as soon as the
    /// limit is passed). 0 means no limit.
    pub max_file_size: u64,
}

/// The content-addressed path of a file with SHA-256 `hex` under `dir`: `dir/ab/abcdef...`.
pub fn store_path(dir: &Path, sha256_hex: &str) -> PathBuf {
    let pre = sha256_hex.get(..2).unwrap_or("00");
    dir.join(pre).join(sha256_hex)
}

/// A file being written to the filestore.
#[derive(Debug)]
pub(crate) struct Pending {
    file: File,
    tmp: PathBuf,
}

impl Pending {
    /// Creates the temporary file `dir/tmp/file.<seq>.<pid>`.
    pub(crate) fn create(dir: &Path, seq: u64) -> Result<Self, FileError> {
        let tmp = dir
            .join("tmp")
            .join(format!("file.{}.{}", std::process::id(), seq));
        let file = File::create(&tmp).map_err(|source| FileError::Io {
            path: tmp.clone(),
            source,
        })?;
        Ok(Pending { file, tmp })
    }

    pub(crate) fn write(&mut self, data: &[u8]) -> Result<(), FileError> {
        self.file.write_all(data).map_err(|source| FileError::Io {
            path: self.tmp.clone(),
            source,
        })
    }

    /// Removes the temporary file.
    pub(crate) fn discard(self) {
        drop(self.file);
        let _ = fs::remove_file(&self.tmp);
    }

    /// Renames the temporary file to its content address. Returns the final path and whether
    /// the content was already there (the temporary file is then removed).
    pub(crate) fn commit(self, dir: &Path, sha256_hex: &str) -> Result<(PathBuf, bool), FileError> {
        let Pending { file, tmp } = self;
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| FileError::Io { path, source }
        };
        drop(file);
        let dest = store_path(dir, sha256_hex);
        if dest.exists() {
            let _ = fs::remove_file(&tmp);
            return Ok((dest, true));
        }
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(io(parent))?;
        }
        fs::rename(&tmp, &dest).map_err(io(&dest))?;
        Ok((dest, false))
    }
}

/// Creates the filestore and its `tmp` directory.
pub(crate) fn prepare(dir: &Path) -> Result<(), FileError> {
    let tmp = dir.join("tmp");
    fs::create_dir_all(&tmp).map_err(|source| FileError::Io { path: tmp, source })
}
