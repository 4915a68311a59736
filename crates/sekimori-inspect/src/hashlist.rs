//! Known-bad hash lists: md5/sha1/sha256 hex digests, one per line, `#` comments, an optional
//! name after whitespace; re-read when the file's modification time or size changes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use hashbrown::HashMap;
use serde::Serialize;

use crate::error::InspectError;

/// Which digest matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HashAlgo {
    /// MD5.
    Md5,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

impl HashAlgo {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            HashAlgo::Md5 => "md5",
            HashAlgo::Sha1 => "sha1",
            HashAlgo::Sha256 => "sha256",
        }
    }
}

/// A hash-list hit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HashHit {
    /// The list: its file name without extension.
    pub list: String,
    /// The digest that matched.
    pub algorithm: HashAlgo,
    /// The digest (lower-case hex).
    pub hash: String,
    /// The name given on the list line, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One parsed list file.
#[derive(Debug)]
pub(crate) struct HashList {
    path: PathBuf,
    name: String,
    stamp: Option<(SystemTime, u64)>,
    md5: HashMap<[u8; 16], Option<Box<str>>>,
    sha1: HashMap<[u8; 20], Option<Box<str>>>,
    sha256: HashMap<[u8; 32], Option<Box<str>>>,
}

fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        let h = char::from(*pair.first()?).to_digit(16)?;
        let l = char::from(*pair.get(1)?).to_digit(16)?;
        *o = (h * 16 + l) as u8;
    }
    Some(out)
}

fn stamp(path: &Path) -> Result<(SystemTime, u64), InspectError> {
    let m = std::fs::metadata(path).map_err(|source| InspectError::Io {
        path: path.to_owned(),
        source,
    })?;
    let t = m.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    Ok((t, m.len()))
}

impl HashList {
    /// Parses list text (`path` names it in errors).
    pub(crate) fn parse(path: &Path, text: &str) -> Result<HashList, InspectError> {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut l = HashList {
            path: path.to_owned(),
            name,
            stamp: None,
            md5: HashMap::new(),
            sha1: HashMap::new(),
            sha256: HashMap::new(),
        };
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let (h, rest) = t
                .split_once(char::is_whitespace)
                .map_or((t, ""), |(a, b)| (a, b.trim()));
            let label = (!rest.is_empty()).then(|| Box::<str>::from(rest));
            let err = |reason: String| InspectError::HashLine {
                path: path.to_owned(),
                line: i + 1,
                reason,
            };
            let ok = match h.len() {
                32 => unhex::<16>(h).map(|d| l.md5.insert(d, label)).is_some(),
                40 => unhex::<20>(h).map(|d| l.sha1.insert(d, label)).is_some(),
                64 => unhex::<32>(h).map(|d| l.sha256.insert(d, label)).is_some(),
                n => {
                    return Err(err(format!(
                        "`{}` is {n} characters; want an md5 (32), sha1 (40) or sha256 (64) hex digest",
                        h.chars().take(80).collect::<String>()
                    )));
                }
            };
            if !ok {
                return Err(err(format!(
                    "`{}` is not hexadecimal",
                    h.chars().take(80).collect::<String>()
                )));
            }
        }
        Ok(l)
    }

    /// Reads and parses a list file.
    pub(crate) fn load(path: &Path) -> Result<HashList, InspectError> {
        let st = stamp(path)?;
        let bytes = std::fs::read(path).map_err(|source| InspectError::Io {
            path: path.to_owned(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes);
        let mut l = HashList::parse(path, &text)?;
        l.stamp = Some(st);
        Ok(l)
    }

    /// Digests held.
    pub(crate) fn len(&self) -> usize {
        self.md5.len() + self.sha1.len() + self.sha256.len()
    }
}

/// All configured lists (an immutable snapshot; reloading builds a new one).
#[derive(Debug, Default)]
pub(crate) struct HashDb {
    pub(crate) lists: Vec<Arc<HashList>>,
}

impl HashDb {
    pub(crate) fn load(paths: &[PathBuf]) -> Result<HashDb, InspectError> {
        let lists = paths
            .iter()
            .map(|p| HashList::load(p).map(Arc::new))
            .collect::<Result<_, _>>()?;
        Ok(HashDb { lists })
    }

    /// No digests at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.lists.iter().all(|l| l.len() == 0)
    }

    /// Which lists need which digests.
    pub(crate) fn wants(&self) -> (bool, bool, bool) {
        let md5 = self.lists.iter().any(|l| !l.md5.is_empty());
        let sha1 = self.lists.iter().any(|l| !l.sha1.is_empty());
        let sha256 = self.lists.iter().any(|l| !l.sha256.is_empty());
        (md5, sha1, sha256)
    }

    /// Lists whose file changed since it was read, reloaded. `Ok(None)` when nothing changed.
    /// A list that fails to parse is an error and the old snapshot stays in force.
    pub(crate) fn reloaded(&self) -> Result<Option<HashDb>, InspectError> {
        let mut changed = false;
        let mut lists = Vec::with_capacity(self.lists.len());
        for l in &self.lists {
            let now = stamp(&l.path)?;
            if Some(now) == l.stamp {
                lists.push(Arc::clone(l));
            } else {
                changed = true;
                lists.push(Arc::new(HashList::load(&l.path)?));
            }
        }
        Ok(changed.then_some(HashDb { lists }))
    }

    /// Hits of the given digests on every list.
    pub(crate) fn lookup(
        &self,
        md5: Option<&[u8; 16]>,
        sha1: Option<&[u8; 20]>,
        sha256: Option<&[u8; 32]>,
    ) -> Vec<HashHit> {
        let mut out = Vec::new();
        for l in &self.lists {
            let mut hit = |algo: HashAlgo, d: &[u8], name: &Option<Box<str>>| {
                out.push(HashHit {
                    list: l.name.clone(),
                    algorithm: algo,
                    hash: sekimori_files::hex(d),
                    name: name.as_deref().map(str::to_owned),
                });
            };
            if let Some(d) = md5
                && let Some(n) = l.md5.get(d)
            {
                hit(HashAlgo::Md5, d, n);
            }
            if let Some(d) = sha1
                && let Some(n) = l.sha1.get(d)
            {
                hit(HashAlgo::Sha1, d, n);
            }
            if let Some(d) = sha256
                && let Some(n) = l.sha256.get(d)
            {
                hit(HashAlgo::Sha256, d, n);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MD5_ABC: &str = "900150983cd24fb0d6963f7d28e17f72";
    const SHA1_ABC: &str = "a9993e364706816aba3e25717850c26c9cd0d89d";
    const SHA256_ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn parses_all_kinds_and_names() {
        let text = format!(
            "# bad files\n\n{MD5_ABC}\n  {}  Emdivi dropper 2015\n{SHA256_ABC}\t# tab comment\n",
            SHA1_ABC.to_uppercase()
        );
        let l = HashList::parse(Path::new("/x/bad-hashes.txt"), &text).unwrap();
        assert_eq!(l.len(), 3);
        let db = HashDb {
            lists: vec![Arc::new(l)],
        };
        let md5 = unhex::<16>(MD5_ABC).unwrap();
        let sha1 = unhex::<20>(SHA1_ABC).unwrap();
        let hits = db.lookup(Some(&md5), Some(&sha1), None);
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].list, "bad-hashes");
        assert_eq!(hits[0].algorithm, HashAlgo::Md5);
        assert_eq!(hits[0].name, None);
        assert_eq!(hits[1].algorithm, HashAlgo::Sha1);
        assert_eq!(hits[1].hash, SHA1_ABC);
        assert_eq!(hits[1].name.as_deref(), Some("Emdivi dropper 2015"));
        assert!(db.lookup(Some(&[0; 16]), None, None).is_empty());
    }

    #[test]
    fn errors_name_file_and_line() {
        let e =
            HashList::parse(Path::new("l.txt"), &format!("# c\n{MD5_ABC}\nabc123\n")).unwrap_err();
        match &e {
            InspectError::HashLine { path, line, .. } => {
                assert_eq!(path, Path::new("l.txt"));
                assert_eq!(*line, 3);
            }
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().starts_with("l.txt:3: "), "{e}");
        let bad_hex = format!("{}zz", &MD5_ABC[..30]);
        let e = HashList::parse(Path::new("l.txt"), &bad_hex).unwrap_err();
        assert!(e.to_string().contains("l.txt:1:") && e.to_string().contains("hexadecimal"));
    }

    #[test]
    fn hot_reload_on_mtime_change() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.txt");
        std::fs::write(&p, format!("{MD5_ABC}\n")).unwrap();
        let db = HashDb::load(std::slice::from_ref(&p)).unwrap();
        assert!(db.reloaded().unwrap().is_none());
        let sha = unhex::<32>(SHA256_ABC).unwrap();
        assert!(db.lookup(None, None, Some(&sha)).is_empty());
        std::fs::write(&p, format!("{MD5_ABC}\n{SHA256_ABC} new\n")).unwrap();
        let f = std::fs::File::options().write(true).open(&p).unwrap();
        f.set_modified(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000))
            .unwrap();
        drop(f);
        let db2 = db.reloaded().unwrap().expect("changed");
        assert_eq!(db2.lookup(None, None, Some(&sha)).len(), 1);
        assert!(db2.reloaded().unwrap().is_none());
        // A broken edit is an error naming the line; the caller keeps the old snapshot.
        std::fs::write(&p, format!("{MD5_ABC}\nnot-a-hash\n")).unwrap();
        let f = std::fs::File::options().write(true).open(&p).unwrap();
        f.set_modified(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(2_000_000))
            .unwrap();
        drop(f);
        let e = db2.reloaded().unwrap_err();
        assert!(e.to_string().contains(":2:"), "{e}");
        // A missing file is an I/O error naming it.
        let e = HashDb::load(&[dir.path().join("nope.txt")]).unwrap_err();
        assert!(e.to_string().contains("nope.txt"));
    }
}
