//! Targeted-mail checks and download inspection for sekimori (issue 7).
//!
//! An [`Inspector`] is built once from an [`InspectConfig`]. Each file body (HTTP response or
//! upload, SMTP attachment, SMB read/write) is scanned as it streams with a [`FileScan`]
//! ([`Inspector::file`], [`FileScan::feed`], [`FileScan::finish`]) into a [`FileReport`]: type
//! by content, executable by content and name, name tricks, ZIP listing (nested, encrypted
//! names, zip-bomb bounded), hash-list hits and YARA rules. [`Inspector::download`] turns a
//! report plus its transport context into a [`FileVerdict`] (alert `layer: "file"`), and
//! [`Inspector::mail`] turns a parsed message ([`sekimori_app::smtp::MimeInfo`]) and its
//! attachments' reports into one [`MailVerdict`] (alert `layer: "mail"`).
//!
//! YARA (cargo feature `yara`, on by default) runs when a file finishes, on its kept bytes and
//! on every decompressed archive entry. A yara-x scanner costs about 0.3 ms to create and is
//! not `Send`; a worker that finishes many files should hold one [`YaraSession`]
//! ([`Inspector::yara_session`]) and call [`FileScan::finish_with`].
#![deny(missing_docs)]

pub mod archive;
pub mod config;
pub mod counters;
pub mod download;
pub mod error;
pub mod hashlist;
mod host;
pub mod kind;
pub mod mail;
pub mod names;
pub mod scan;
mod yara;

use std::sync::Arc;

pub use archive::{ArchiveEntry, ArchiveListing};
pub use config::{DEFAULT_FREEMAIL, InspectConfig};
pub use counters::Counters;
pub use download::{DownloadCtx, FileReason, FileVerdict};
pub use error::InspectError;
pub use hashlist::{HashAlgo, HashHit};
pub use kind::FileType;
pub use mail::{AttachmentEvidence, LinkEvidence, MailCheck, MailVerdict};
pub use names::NameFlags;
pub use scan::{FileMeta, FileReport, FileScan, Hashes, YaraHit, YaraSession};

use counters::AtomicCounters;
use hashlist::HashDb;
use yara::YaraRules;

/// What every scan shares (immutable but for the counters).
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) max_file_size: usize,
    pub(crate) max_archive_depth: u32,
    pub(crate) max_archive_entries: usize,
    pub(crate) max_unpacked_bytes: usize,
    pub(crate) disk_images: bool,
    pub(crate) extra_exts: Vec<String>,
    pub(crate) yara: Option<YaraRules>,
    pub(crate) counters: AtomicCounters,
}

/// The inspection layer: configuration, compiled YARA rules, hash lists and counters.
#[derive(Debug)]
pub struct Inspector {
    cfg: InspectConfig,
    shared: Arc<Shared>,
    /// The hash lists in force; swapped whole on reload, so scans keep the snapshot they began
    /// with and a reload needs only `&self` (one inspector can serve a long-lived worker).
    hashes: std::sync::RwLock<Arc<HashDb>>,
}

impl Inspector {
    /// Builds an inspector: reads the hash lists and compiles the YARA rules. Errors name the
    /// file and line of a bad hash line or YARA syntax error.
    pub fn new(cfg: &InspectConfig) -> Result<Inspector, InspectError> {
        if cfg.max_file_size == 0 {
            return Err(InspectError::Config("max_file_size must be > 0".into()));
        }
        if cfg.max_archive_entries == 0 {
            return Err(InspectError::Config(
                "max_archive_entries must be > 0".into(),
            ));
        }
        let hashes = HashDb::load(&cfg.hash_lists)?;
        let yara = YaraRules::compile(&cfg.yara_rules, cfg.yara_timeout_ms)?;
        Ok(Inspector {
            shared: Arc::new(Shared {
                max_file_size: cfg.max_file_size,
                max_archive_depth: cfg.max_archive_depth,
                max_archive_entries: cfg.max_archive_entries,
                max_unpacked_bytes: cfg.max_unpacked_bytes,
                disk_images: cfg.disk_images_executable,
                extra_exts: cfg.extra_executable_extensions.clone(),
                yara,
                counters: AtomicCounters::default(),
            }),
            hashes: std::sync::RwLock::new(Arc::new(hashes)),
            cfg: cfg.clone(),
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &InspectConfig {
        &self.cfg
    }

    /// Number of compiled YARA rules (0 without rules or without the `yara` feature).
    pub fn yara_rule_count(&self) -> usize {
        self.shared.yara.as_ref().map_or(0, YaraRules::len)
    }

    /// Re-reads the hash lists whose modification time (or size) changed. `Ok(true)` when a
    /// new snapshot is in force (scans started before keep the old one). On error (a list
    /// became unreadable or has a bad line) the previous lists stay in force.
    pub fn reload_if_changed(&self) -> Result<bool, InspectError> {
        match self.hashes().reloaded() {
            Ok(Some(db)) => {
                if let Ok(mut h) = self.hashes.write() {
                    *h = Arc::new(db);
                }
                AtomicCounters::add(&self.shared.counters.hash_reloads, 1);
                Ok(true)
            }
            Ok(None) => Ok(false),
            Err(e) => {
                AtomicCounters::add(&self.shared.counters.errors, 1);
                Err(e)
            }
        }
    }

    /// Starts scanning one file. The scan owns what it needs (it may outlive `&self`).
    pub fn file(&self, meta: FileMeta) -> FileScan {
        FileScan::new(Arc::clone(&self.shared), self.hashes(), meta)
    }

    /// The hash lists in force (a poisoned lock still yields the last snapshot).
    fn hashes(&self) -> Arc<HashDb> {
        match self.hashes.read() {
            Ok(h) => Arc::clone(&h),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    /// A reusable YARA scanner for [`FileScan::finish_with`] (one per thread).
    pub fn yara_session(&self) -> YaraSession<'_> {
        YaraSession {
            shared: &self.shared,
            scanner: self.shared.yara.as_ref().map(YaraRules::scanner),
        }
    }

    /// Scans a whole buffer at once (`file`, `feed`, `finish`).
    pub fn scan_bytes(&self, meta: FileMeta, data: &[u8], hashes: Option<&Hashes>) -> FileReport {
        let mut s = self.file(meta);
        s.feed(data);
        s.finish(hashes)
    }

    /// A snapshot of the counters.
    pub fn counters(&self) -> Counters {
        self.shared.counters.snapshot()
    }

    pub(crate) fn atomic(&self) -> &AtomicCounters {
        &self.shared.counters
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::tests::build;
    use crate::kind::tests::pe;
    use sekimori_app::FileKind;

    /// A PE "sample" with the markers the test rules look for.
    fn sample() -> Vec<u8> {
        let mut v = pe(false);
        v.extend_from_slice(
            b"....EmdiviMarker....\xde\xad\xbe\xef\x13\x37....http://203.0.113.5/gate.php",
        );
        v
    }

    const RULES: &str = r#"
rule Emdivi_String { strings: $a = "EmdiviMarker" condition: $a }
rule Hex_Pattern { strings: $h = { DE AD BE EF 13 37 } condition: $h }
rule PE_With_Gate {
  strings: $g = "/gate.php"
  condition: uint16(0) == 0x5A4D and $g
}
rule Never { strings: $n = "not-in-any-sample" condition: $n }
"#;

    #[test]
    fn streaming_feed_truncates_at_cap() {
        let i = Inspector::new(&InspectConfig {
            max_file_size: 10,
            ..InspectConfig::default()
        })
        .unwrap();
        let mut s = i.file(FileMeta::new("a.bin", ""));
        s.feed(b"MZ345");
        s.feed(b"6789abcdef");
        s.feed(b"more");
        assert_eq!(s.kept(), 10);
        let r = s.finish(None);
        assert!(r.truncated);
        assert_eq!(r.size, 19);
        assert_eq!(r.file_type, FileType::Pe);
        assert_eq!(r.sha256, None, "no digest of a truncated file");
        let given = Hashes {
            sha256: Some([7; 32]),
            ..Hashes::default()
        };
        let mut s = i.file(FileMeta::new("a.bin", ""));
        s.feed(&[0; 20]);
        let r = s.finish(Some(&given));
        assert_eq!(r.sha256.as_deref(), Some(&*"07".repeat(32)));
        let c = i.counters();
        assert_eq!(c.files_scanned, 2);
        assert_eq!(c.truncated, 2);
        assert_eq!(c.bytes, 39);
        // The split of the stream does not change the report.
        let data = build(&[("x.doc.exe", &pe(false), true)]);
        let whole = i_default().scan_bytes(FileMeta::new("z.zip", ""), &data, None);
        let i2 = i_default();
        let mut s = i2.file(FileMeta::new("z.zip", ""));
        for ch in data.chunks(7) {
            s.feed(ch);
        }
        assert_eq!(s.finish(None), whole);
        assert!(whole.archive.as_ref().unwrap().has_executable());
        assert_eq!(whole.sha256.as_deref().map(str::len), Some(64));
        assert!(
            Inspector::new(&InspectConfig {
                max_file_size: 0,
                ..InspectConfig::default()
            })
            .is_err()
        );
    }

    fn i_default() -> Inspector {
        Inspector::new(&InspectConfig::default()).unwrap()
    }

    #[test]
    fn hash_list_hits_file_and_entry_and_hot_reload() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("apt-hashes.txt");
        let exe = sample();
        let sha = {
            use sha2::Digest;
            sekimori_files::hex(&sha2::Sha256::digest(&exe))
        };
        std::fs::write(&list, "# empty for now\n").unwrap();
        let i = Inspector::new(&InspectConfig {
            hash_lists: vec![list.clone()],
            ..InspectConfig::default()
        })
        .unwrap();
        let zip = build(&[("a/b.bin", &exe, true)]);
        let r = i.scan_bytes(FileMeta::new("x.zip", ""), &zip, None);
        assert!(r.hash_hits.is_empty());
        assert!(!i.reload_if_changed().unwrap());
        std::fs::write(&list, format!("# apt\n{sha} Emdivi sample\n")).unwrap();
        let f = std::fs::File::options().write(true).open(&list).unwrap();
        f.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(5))
            .unwrap();
        drop(f);
        assert!(i.reload_if_changed().unwrap());
        let r = i.scan_bytes(FileMeta::new("x.exe", ""), &exe, None);
        assert_eq!(r.hash_hits.len(), 1);
        assert_eq!(r.hash_hits[0].list, "apt-hashes");
        assert_eq!(r.hash_hits[0].algorithm, HashAlgo::Sha256);
        let r = i.scan_bytes(FileMeta::new("x.zip", ""), &zip, None);
        assert_eq!(r.hash_hits.len(), 1);
        assert_eq!(r.entries()[0].hash_hits.len(), 1);
        let ctx = DownloadCtx {
            kind: FileKind::SmbRead,
            host: None,
            first_seen: false,
        };
        let v = i.download(&ctx, &r).unwrap();
        assert_eq!(v.reason, [FileReason::KnownBadHash]);
        assert_eq!(v.severity, 1);
        assert_eq!(v.signature_id, 8_050_004);
        assert!(
            v.signature.contains("apt-hashes (Emdivi sample)"),
            "{}",
            v.signature
        );
        assert_eq!(i.counters().hash_reloads, 1);
        // A broken list on reload is an error; the last good lists stay in force.
        std::fs::write(&list, "zz\n").unwrap();
        let f = std::fs::File::options().write(true).open(&list).unwrap();
        f.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(9))
            .unwrap();
        drop(f);
        let e = i.reload_if_changed().unwrap_err();
        assert!(e.to_string().contains("apt-hashes.txt:1:"), "{e}");
        assert_eq!(
            i.scan_bytes(FileMeta::new("x.exe", ""), &exe, None)
                .hash_hits
                .len(),
            1
        );
        // Bad line at start-up names file and line.
        let bad = dir.path().join("bad.txt");
        std::fs::write(&bad, format!("{sha}\n\n# c\n1234\n")).unwrap();
        let e = Inspector::new(&InspectConfig {
            hash_lists: vec![bad],
            ..InspectConfig::default()
        })
        .unwrap_err();
        assert!(matches!(e, InspectError::HashLine { line: 4, .. }), "{e:?}");
    }

    #[cfg(feature = "yara")]
    #[test]
    fn yara_three_rules_fire_on_sample_inside_zip_inside_mail() {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("apt.yar");
        std::fs::write(&rules, RULES).unwrap();
        let i = Inspector::new(&InspectConfig {
            yara_rules: vec![rules],
            home_domains: vec!["nenkin.go.jp".into()],
            ..InspectConfig::default()
        })
        .unwrap();
        assert_eq!(i.yara_rule_count(), 4);
        // The sample is deflated inside a ZIP inside a ZIP: its bytes appear nowhere raw.
        let inner = build(&[("請求書.doc.exe", &sample(), true)]);
        let outer = build(&[
            ("inner.zip", &inner, true),
            ("note.txt", b"see attached", true),
        ]);
        assert!(!outer.windows(12).any(|w| w == b"EmdiviMarker"));
        let r = i.scan_bytes(FileMeta::new("年金.zip", "application/zip"), &outer, None);
        assert_eq!(r.yara, ["Emdivi_String", "Hex_Pattern", "PE_With_Gate"]);
        assert!(
            r.yara_hits
                .iter()
                .all(|h| h.entry.as_deref() == Some("inner.zip/請求書.doc.exe"))
        );
        let e = r.entries().iter().find(|e| e.depth == 2).unwrap();
        assert_eq!(e.yara.len(), 3);
        let m = sekimori_app::smtp::MimeInfo {
            from: Some(b"x@partner.example".to_vec()),
            attachments: vec!["年金.zip".into()],
            ..Default::default()
        };
        let v = i.mail(&m, std::slice::from_ref(&r)).unwrap();
        assert_eq!(
            v.checks,
            [MailCheck::DoubleExtension, MailCheck::ExeInArchive]
        );
        let ctx = DownloadCtx {
            kind: FileKind::MailAttachment,
            host: None,
            first_seen: false,
        };
        let f = i.download(&ctx, &r).unwrap();
        assert_eq!(f.reason, [FileReason::Yara]);
        assert_eq!(f.signature_id, 8_050_005);
        let j = serde_json::to_value(&f).unwrap();
        assert_eq!(
            j["yara"],
            serde_json::json!(["Emdivi_String", "Hex_Pattern", "PE_With_Gate"])
        );
        let c = i.counters();
        assert!(c.yara_scans >= 4, "{c:?}");
        assert_eq!(c.yara_matches, 1);
        assert_eq!(c.files_scanned, 1);
        assert_eq!(c.archives_opened, 2);
        // The same through a reused session, twice; a session of another inspector is ignored.
        let mut sess = i.yara_session();
        for _ in 0..2 {
            let mut s = i.file(FileMeta::new("年金.zip", "application/zip"));
            s.feed(&outer);
            assert_eq!(s.finish_with(None, &mut sess).yara, r.yara);
        }
        let other = Inspector::new(&InspectConfig::default()).unwrap();
        let mut foreign = other.yara_session();
        let mut s = i.file(FileMeta::new("年金.zip", ""));
        s.feed(&outer);
        assert_eq!(s.finish_with(None, &mut foreign).yara.len(), 3);
        // A clean file: no rule.
        let clean = i.scan_bytes(FileMeta::new("a.txt", ""), b"hello", None);
        assert!(clean.yara.is_empty());
        assert_eq!(i.download(&ctx, &clean), None);
    }

    #[cfg(feature = "yara")]
    #[test]
    fn yara_syntax_error_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("broken.yar");
        std::fs::write(
            &p,
            "rule a { condition: true }\nrule b {\n  strings: $x = \"a\"\n  condition: $y\n}\n",
        )
        .unwrap();
        let e = Inspector::new(&InspectConfig {
            yara_rules: vec![p.clone()],
            ..InspectConfig::default()
        })
        .unwrap_err();
        match e {
            InspectError::Yara { path, line, .. } => {
                assert_eq!(path, p);
                assert_eq!(line, 4);
            }
            other => panic!("{other:?}"),
        }
        let e = Inspector::new(&InspectConfig {
            yara_rules: vec![dir.path().join("missing.yar")],
            ..InspectConfig::default()
        })
        .unwrap_err();
        assert!(matches!(e, InspectError::Io { .. }));
    }

    #[cfg(not(feature = "yara"))]
    #[test]
    fn yara_rules_without_feature_is_an_error() {
        let e = Inspector::new(&InspectConfig {
            yara_rules: vec!["x.yar".into()],
            ..InspectConfig::default()
        })
        .unwrap_err();
        assert!(matches!(e, InspectError::YaraDisabled));
        let _ = RULES;
    }
}

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn inspector_and_scans_cross_threads() {
        assert_send_sync::<super::Inspector>();
        assert_send_sync::<super::FileScan>();
        assert_send_sync::<super::FileReport>();
    }
}
