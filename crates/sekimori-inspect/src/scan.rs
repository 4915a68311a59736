//! Streaming per-file scan: [`FileScan`] keeps a file's first `max_file_size` bytes, and
//! [`FileScan::finish`] turns them into a [`FileReport`] (type, archive listing, name tricks,
//! hash-list hits, YARA rules).

use std::sync::Arc;

use md5::Digest as _;
use serde::Serialize;

use crate::Shared;
use crate::archive::{ArchiveEntry, ArchiveListing, Walk, WalkLimits};
use crate::counters::AtomicCounters;
use crate::hashlist::{HashDb, HashHit};
use crate::kind::{self, FileType};
use crate::names::{self, NameFlags};
use crate::yara::{YaraOutcome, YaraScanner};

/// Digests of a file computed elsewhere (the file tracker hashes every byte, also beyond this
/// layer's size cap).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hashes {
    /// MD5.
    pub md5: Option<[u8; 16]>,
    /// SHA-1.
    pub sha1: Option<[u8; 20]>,
    /// SHA-256.
    pub sha256: Option<[u8; 32]>,
}

impl From<&sekimori_files::TrackedFile> for Hashes {
    fn from(t: &sekimori_files::TrackedFile) -> Self {
        Hashes {
            md5: t.md5,
            sha1: t.sha1,
            sha256: t.sha256,
        }
    }
}

/// What is known of a file when it opens.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileMeta {
    /// File name (attachment name, or URI path for HTTP; `%XX` is decoded for the checks).
    pub name: String,
    /// Declared content type, without parameters (may be empty).
    pub content_type: String,
    /// Declared length, when announced.
    pub declared_len: Option<u64>,
}

impl FileMeta {
    /// From a name and a content type.
    pub fn new(name: &str, content_type: &str) -> Self {
        FileMeta {
            name: name.to_owned(),
            content_type: content_type.to_owned(),
            declared_len: None,
        }
    }
    /// From the protocol layer's stream opening (lossy UTF-8).
    pub fn from_open(o: &sekimori_app::FileOpen<'_>) -> Self {
        FileMeta {
            name: String::from_utf8_lossy(o.name).into_owned(),
            content_type: String::from_utf8_lossy(o.content_type).into_owned(),
            declared_len: o.declared_len,
        }
    }
}

/// A YARA match, with the archive entry it fired on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct YaraHit {
    /// Rule name.
    pub rule: String,
    /// Archive entry path; `None` for the file itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
}

/// Everything learnt about one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileReport {
    /// File name as given.
    pub filename: String,
    /// Declared content type.
    pub content_type: String,
    /// Bytes fed.
    pub size: u64,
    /// More than `max_file_size` bytes were fed; only the first were scanned.
    pub truncated: bool,
    /// Content class (refined for ZIPs: JAR, OOXML, OOXML with macros).
    pub file_type: FileType,
    /// libmagic-style description (`sekimori_files::describe`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub magic: Option<String>,
    /// Executable by content or by name.
    pub executable: bool,
    /// Executable by content.
    pub executable_content: bool,
    /// Executable by name.
    pub executable_name: bool,
    /// Office document with macros (by content, or macro-enabled extension).
    pub office_macro: bool,
    /// A shortcut (LNK content or `.lnk`/`.url` name).
    pub shortcut: bool,
    /// Carries an Authenticode signature (present, not verified).
    pub signed: bool,
    /// Name tricks.
    pub name_flags: NameFlags,
    /// ZIP listing (nested archives included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive: Option<ArchiveListing>,
    /// MD5 (hex), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
    /// SHA-1 (hex), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    /// SHA-256 (hex), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Hash-list hits of the file and of archive entries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hash_hits: Vec<HashHit>,
    /// Names of the YARA rules that matched the file or an entry (sorted, unique).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub yara: Vec<String>,
    /// Every YARA match with where it fired.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub yara_hits: Vec<YaraHit>,
    /// A YARA scan hit the time limit.
    pub yara_timeout: bool,
}

impl FileReport {
    /// The file is executable or is an archive holding an executable at any depth.
    pub fn delivers_executable(&self) -> bool {
        self.executable
            || self
                .archive
                .as_ref()
                .is_some_and(ArchiveListing::has_executable)
    }
    /// Archive entries (empty when not an archive).
    pub fn entries(&self) -> &[ArchiveEntry] {
        self.archive.as_ref().map_or(&[], |a| a.entries.as_slice())
    }
}

/// One file being scanned. Feed its bytes in order, then [`FileScan::finish`].
#[derive(Debug)]
pub struct FileScan {
    shared: Arc<Shared>,
    hashes: Arc<HashDb>,
    meta: FileMeta,
    buf: Vec<u8>,
    size: u64,
    truncated: bool,
}

impl FileScan {
    pub(crate) fn new(shared: Arc<Shared>, hashes: Arc<HashDb>, meta: FileMeta) -> Self {
        FileScan {
            shared,
            hashes,
            meta,
            buf: Vec::new(),
            size: 0,
            truncated: false,
        }
    }

    /// The next bytes of the file. Bytes beyond `max_file_size` are counted, not kept.
    pub fn feed(&mut self, data: &[u8]) {
        self.size = self.size.saturating_add(data.len() as u64);
        let room = self.shared.max_file_size.saturating_sub(self.buf.len());
        if data.len() > room {
            self.truncated = true;
        }
        if let Some(keep) = data.get(..room.min(data.len())) {
            self.buf.extend_from_slice(keep);
        }
    }

    /// Bytes kept so far.
    pub fn kept(&self) -> usize {
        self.buf.len()
    }

    /// The bytes kept so far (the first `max_file_size` bytes of the file), e.g. for rules'
    /// `file.data`.
    pub fn data(&self) -> &[u8] {
        &self.buf
    }

    /// Finishes the scan. `hashes`: digests of the whole file computed by the caller (the
    /// file tracker); without them, digests are computed here from the kept bytes when the
    /// file was not truncated (SHA-256 always, MD5/SHA-1 when a hash list holds such digests).
    pub fn finish(self, hashes: Option<&Hashes>) -> FileReport {
        let shared = Arc::clone(&self.shared);
        let mut scanner = shared.yara.as_ref().map(|y| y.scanner());
        self.finish_inner(hashes, scanner.as_mut())
    }

    /// As [`FileScan::finish`], reusing the YARA scanner of `session` (creating a yara-x
    /// scanner costs about 0.3 ms; a session made once per worker thread avoids that per
    /// file). A session of another inspector is ignored (a fresh scanner is used).
    pub fn finish_with(self, hashes: Option<&Hashes>, session: &mut YaraSession<'_>) -> FileReport {
        if Arc::ptr_eq(&self.shared, session.shared) {
            let scanner = session.scanner.as_mut();
            return self.finish_inner(hashes, scanner);
        }
        self.finish(hashes)
    }

    fn finish_inner(
        self,
        hashes: Option<&Hashes>,
        mut scanner: Option<&mut YaraScanner<'_>>,
    ) -> FileReport {
        let sh = &*self.shared;
        let c: &AtomicCounters = &sh.counters;
        AtomicCounters::add(&c.files_scanned, 1);
        AtomicCounters::add(&c.bytes, self.size);
        if self.truncated {
            AtomicCounters::add(&c.truncated, 1);
        }
        let data = self.buf.as_slice();
        let mut file_type = kind::classify(data);
        let magic = {
            let head = data
                .get(..sekimori_files::magic::HEAD_LEN.min(data.len()))
                .unwrap_or_default();
            let mut ts = sekimori_files::TextStats::default();
            let scan = (sekimori_files::magic::TEXT_SCAN_LEN as usize).min(data.len());
            ts.update(data.get(..scan).unwrap_or_default());
            sekimori_files::describe(head, &ts)
        };
        let flags = names::analyse(&self.meta.name, sh.disk_images, &sh.extra_exts);
        let (want_md5, want_sha1, _) = self.hashes.wants();
        let digests = match hashes {
            Some(h) => *h,
            None if !self.truncated => Hashes {
                md5: want_md5.then(|| md5::Md5::digest(data).into()),
                sha1: want_sha1.then(|| sha1::Sha1::digest(data).into()),
                sha256: Some(sha2::Sha256::digest(data).into()),
            },
            None => Hashes::default(),
        };
        let mut hash_hits = self.hashes.lookup(
            digests.md5.as_ref(),
            digests.sha1.as_ref(),
            digests.sha256.as_ref(),
        );

        let mut yara_hits: Vec<YaraHit> = Vec::new();
        let mut yara_timeout = false;
        let record =
            |o: YaraOutcome, entry: Option<&str>, hits: &mut Vec<YaraHit>, to: &mut bool| {
                AtomicCounters::add(&c.yara_scans, 1);
                if o.timeout {
                    AtomicCounters::add(&c.yara_timeouts, 1);
                    *to = true;
                }
                if o.error {
                    AtomicCounters::add(&c.yara_errors, 1);
                }
                if !o.rules.is_empty() {
                    AtomicCounters::add(&c.yara_matches, 1);
                }
                hits.extend(o.rules.into_iter().map(|rule| YaraHit {
                    rule,
                    entry: entry.map(str::to_owned),
                }));
            };
        if let Some(s) = scanner.as_deref_mut() {
            let o = s.scan(data);
            record(o, None, &mut yara_hits, &mut yara_timeout);
        }

        let mut archive = None;
        if file_type == FileType::Zip {
            let need_hash = !self.hashes.is_empty();
            let lim = WalkLimits {
                max_depth: sh.max_archive_depth,
                max_entries: sh.max_archive_entries,
                max_unpacked: sh.max_unpacked_bytes,
                max_entry: sh.max_file_size,
                need_full: scanner.is_some() || need_hash,
                disk_images: sh.disk_images,
            };
            let db = &*self.hashes;
            let mut entry_hits: Vec<HashHit> = Vec::new();
            let mut visit = |e: &mut ArchiveEntry, content: &[u8], whole: bool| {
                if content.is_empty() {
                    return;
                }
                if let Some(s) = scanner.as_deref_mut()
                    && (whole || e.capped)
                {
                    let o = s.scan(content);
                    e.yara = o.rules.clone();
                    record(o, Some(&e.path), &mut yara_hits, &mut yara_timeout);
                }
                if need_hash && whole {
                    let sha: [u8; 32] = sha2::Sha256::digest(content).into();
                    let md5: Option<[u8; 16]> = want_md5.then(|| md5::Md5::digest(content).into());
                    let sha1: Option<[u8; 20]> =
                        want_sha1.then(|| sha1::Sha1::digest(content).into());
                    let hits = db.lookup(md5.as_ref(), sha1.as_ref(), Some(&sha));
                    e.sha256 = Some(sekimori_files::hex(&sha));
                    entry_hits.extend(hits.iter().cloned());
                    e.hash_hits = hits;
                }
            };
            let mut w = Walk::new(lim, &mut visit);
            file_type = w.zip(data, "", 1);
            let listing = w.out;
            AtomicCounters::add(&c.archives_opened, listing.archives);
            AtomicCounters::add(&c.archive_entries, listing.entries.len() as u64);
            let enc = listing.entries.iter().filter(|e| e.encrypted).count();
            AtomicCounters::add(&c.encrypted_entries, enc as u64);
            let errs = listing.entries.iter().filter(|e| e.error).count();
            AtomicCounters::add(&c.errors, errs as u64);
            if listing.bytes_capped {
                AtomicCounters::add(&c.archive_capped, 1);
            }
            hash_hits.extend(entry_hits);
            archive = Some(listing);
        }
        AtomicCounters::add(&c.hash_hits, hash_hits.len() as u64);
        let mut yara: Vec<String> = yara_hits.iter().map(|h| h.rule.clone()).collect();
        yara.sort();
        yara.dedup();
        let executable_content = file_type.executable();
        FileReport {
            filename: self.meta.name.clone(),
            content_type: self.meta.content_type.clone(),
            size: self.size,
            truncated: self.truncated,
            file_type,
            magic,
            executable: executable_content || flags.executable,
            executable_content,
            executable_name: flags.executable,
            office_macro: file_type.office_macro() || flags.macro_ext,
            shortcut: file_type == FileType::Lnk || flags.shortcut,
            signed: kind::signed(data),
            name_flags: flags,
            archive,
            md5: digests.md5.map(|d| sekimori_files::hex(&d)),
            sha1: digests.sha1.map(|d| sekimori_files::hex(&d)),
            sha256: digests.sha256.map(|d| sekimori_files::hex(&d)),
            hash_hits,
            yara,
            yara_hits,
            yara_timeout,
        }
    }
}

/// A reusable YARA scanner for [`FileScan::finish_with`], borrowed from an
/// [`crate::Inspector`] ([`crate::Inspector::yara_session`]). Not `Send`: keep one per thread.
pub struct YaraSession<'a> {
    pub(crate) shared: &'a Arc<Shared>,
    pub(crate) scanner: Option<YaraScanner<'a>>,
}

impl std::fmt::Debug for YaraSession<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YaraSession")
            .field("yara", &self.scanner.is_some())
            .finish()
    }
}
