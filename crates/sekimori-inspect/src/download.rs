//! Download inspection: a [`FileReport`] plus its transport context becomes a [`FileVerdict`]
//! (the `file` object of an alert with `layer: "file"`).
//!
//! | reason | signature_id | base severity |
//! |---|---|---|
//! | `known_bad_hash` | 8050004 | 1 |
//! | `yara` | 8050005 | 2 |
//! | `exe_from_raw_ip` | 8050001 | 2 |
//! | `type_mismatch` | 8050003 | 3 |
//! | `exe_from_first_seen_domain` | 8050002 | 3 |
//!
//! The alert's signature_id is that of the first reason in the order of this table; its
//! severity is the lowest (most severe) base severity, one step more severe (not below 1)
//! when two or more reasons fire.

use serde::Serialize;

use sekimori_app::FileKind;

use crate::host;
use crate::kind::FileType;
use crate::names::{DECOY_EXTENSIONS, EXECUTABLE_EXTENSIONS, MEDIA_DOC_EXTENSIONS};
use crate::scan::FileReport;
use crate::{HashHit, Inspector};

/// Why a file alerts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileReason {
    /// On a hash list.
    KnownBadHash,
    /// A YARA rule matched.
    Yara,
    /// An executable (or an archive holding one) over HTTP from an IP-literal host, or with no
    /// Host header.
    ExeFromRawIp,
    /// The declared content type or the extension contradicts the content.
    TypeMismatch,
    /// An executable over HTTP from a domain seen for the first time.
    ExeFromFirstSeenDomain,
}

impl FileReason {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            FileReason::KnownBadHash => "known_bad_hash",
            FileReason::Yara => "yara",
            FileReason::ExeFromRawIp => "exe_from_raw_ip",
            FileReason::TypeMismatch => "type_mismatch",
            FileReason::ExeFromFirstSeenDomain => "exe_from_first_seen_domain",
        }
    }
    /// The built-in signature id of the reason (8050000–8059999).
    pub fn signature_id(self) -> u32 {
        match self {
            FileReason::ExeFromRawIp => 8_050_001,
            FileReason::ExeFromFirstSeenDomain => 8_050_002,
            FileReason::TypeMismatch => 8_050_003,
            FileReason::KnownBadHash => 8_050_004,
            FileReason::Yara => 8_050_005,
        }
    }
    fn base_severity(self) -> u8 {
        match self {
            FileReason::KnownBadHash => 1,
            FileReason::Yara | FileReason::ExeFromRawIp => 2,
            FileReason::TypeMismatch | FileReason::ExeFromFirstSeenDomain => 3,
        }
    }
}

/// How the file travelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DownloadCtx<'a> {
    /// What the stream was (only `ResponseBody`, an HTTP download, is checked for raw-IP and
    /// first-seen hosts).
    pub kind: FileKind,
    /// HTTP `Host` header (a port is ignored); `None` when absent.
    pub host: Option<&'a str>,
    /// The host's domain was seen for the first time (decided by the caller).
    pub first_seen: bool,
}

/// Declared vs detected type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TypeMismatch {
    /// Declared content type, when it contradicts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared: Option<String>,
    /// File extension, when it contradicts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    /// What the content is.
    pub content: FileType,
}

/// A download verdict; serializes to the `file` object of detections.md.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileVerdict {
    /// File name.
    pub filename: String,
    /// Content description (`magic`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub magic: Option<String>,
    /// SHA-256 (hex), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// YARA rule names.
    pub yara: Vec<String>,
    /// Reasons, in table order.
    pub reason: Vec<FileReason>,
    /// Content class.
    pub file_type: FileType,
    /// The HTTP host, when the reason is about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The contradiction, for `type_mismatch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mismatch: Option<TypeMismatch>,
    /// Hash-list hits.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hash_hits: Vec<HashHit>,
    /// Executable archive entries (for executable reasons on archives).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<String>,
    /// Alert severity 1 (high) .. 4.
    #[serde(skip)]
    pub severity: u8,
    /// Alert signature_id.
    #[serde(skip)]
    pub signature_id: u32,
    /// Alert signature sentence.
    #[serde(skip)]
    pub signature: String,
}

fn declared_class(ct: &str) -> Option<&'static str> {
    let ct = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let major = ct.split('/').next().unwrap_or_default();
    match major {
        "image" => Some("image"),
        "audio" | "video" => Some("media"),
        "font" => Some("font"),
        "text" => Some("text"),
        _ => match ct.as_str() {
            "application/pdf" => Some("pdf"),
            "application/json" | "application/xml" | "application/xhtml+xml" => Some("text"),
            _ => None,
        },
    }
}

fn type_mismatch(r: &FileReport) -> Option<TypeMismatch> {
    let t = r.file_type;
    let archive = matches!(
        t,
        FileType::Zip | FileType::Jar | FileType::Rar | FileType::SevenZip | FileType::Cab
    );
    if !(t.binary_executable() || archive) {
        return None;
    }
    let declared = declared_class(&r.content_type).map(|_| r.content_type.clone());
    let extension = r.name_flags.extension.as_deref().filter(|e| {
        if EXECUTABLE_EXTENSIONS.contains(e) {
            return false;
        }
        if t.binary_executable() {
            MEDIA_DOC_EXTENSIONS.contains(e) || DECOY_EXTENSIONS.contains(e)
        } else {
            MEDIA_DOC_EXTENSIONS.contains(e)
        }
    });
    if declared.is_none() && extension.is_none() {
        return None;
    }
    Some(TypeMismatch {
        declared,
        extension: extension.map(str::to_owned),
        content: t,
    })
}

impl Inspector {
    /// Checks one finished file in its transport context; `None` when nothing fired. A
    /// signed-software download (`.msi`/`.exe`) from a named host with a matching content type
    /// does not alert (unless the caller says the domain is first seen and the file carries
    /// no signature; see [`crate::InspectConfig::first_seen_skip_signed`]).
    pub fn download(&self, ctx: &DownloadCtx<'_>, r: &FileReport) -> Option<FileVerdict> {
        crate::counters::AtomicCounters::add(&self.atomic().downloads_checked, 1);
        let mut reasons = Vec::new();
        let mut host_out = None;
        let exe = r.delivers_executable();
        let mismatch = type_mismatch(r);
        if ctx.kind == FileKind::ResponseBody && exe {
            let h = ctx
                .host
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .and_then(|h| host::url_host(&format!("http://{h}/")));
            match h {
                None => reasons.push(FileReason::ExeFromRawIp),
                Some(h) if host::parse_ip(&h).is_some() => {
                    reasons.push(FileReason::ExeFromRawIp);
                    host_out = Some(h);
                }
                Some(h) => {
                    let skip =
                        self.config().first_seen_skip_signed && r.signed && mismatch.is_none();
                    if ctx.first_seen && !skip {
                        reasons.push(FileReason::ExeFromFirstSeenDomain);
                        host_out = Some(h);
                    }
                }
            }
        }
        if mismatch.is_some() {
            reasons.push(FileReason::TypeMismatch);
        }
        if !r.hash_hits.is_empty() {
            reasons.push(FileReason::KnownBadHash);
        }
        if !r.yara.is_empty() {
            reasons.push(FileReason::Yara);
        }
        if reasons.is_empty() {
            return None;
        }
        reasons.sort();
        let primary = *reasons.first()?;
        let base = reasons.iter().map(|r| r.base_severity()).min().unwrap_or(3);
        let severity = if reasons.len() >= 2 {
            base.saturating_sub(1).max(1)
        } else {
            base
        };
        let entries: Vec<String> = r
            .entries()
            .iter()
            .filter(|e| e.executable())
            .map(|e| e.path.clone())
            .collect();
        let name = if r.filename.is_empty() {
            "(unnamed)"
        } else {
            r.filename.as_str()
        };
        let mut parts = Vec::new();
        for reason in &reasons {
            parts.push(match reason {
                FileReason::KnownBadHash => {
                    let h = r.hash_hits.first();
                    format!(
                        "{name} is on hash list {}{}",
                        h.map_or("", |h| h.list.as_str()),
                        h.and_then(|h| h.name.as_deref())
                            .map(|n| format!(" ({n})"))
                            .unwrap_or_default()
                    )
                }
                FileReason::Yara => format!("YARA {} matched {name}", r.yara.join(", ")),
                FileReason::ExeFromRawIp => format!(
                    "executable {name} ({}) downloaded from raw IP {}",
                    r.file_type.as_str(),
                    host_out.as_deref().unwrap_or("(no Host)")
                ),
                FileReason::TypeMismatch => {
                    let m = mismatch.as_ref();
                    format!(
                        "{name} declared as {} is {}",
                        m.and_then(|m| m
                            .declared
                            .clone()
                            .or_else(|| m.extension.as_ref().map(|e| format!(".{e}"))))
                            .unwrap_or_default(),
                        r.file_type.as_str()
                    )
                }
                FileReason::ExeFromFirstSeenDomain => format!(
                    "executable {name} from first-seen domain {}",
                    host_out.as_deref().unwrap_or_default()
                ),
            });
        }
        crate::counters::AtomicCounters::add(&self.atomic().file_verdicts, 1);
        Some(FileVerdict {
            filename: r.filename.clone(),
            magic: r.magic.clone(),
            sha256: r.sha256.clone(),
            yara: r.yara.clone(),
            file_type: r.file_type,
            host: host_out,
            mismatch,
            hash_hits: r.hash_hits.clone(),
            entries,
            severity,
            signature_id: primary.signature_id(),
            signature: format!("FILE: {}", parts.join("; ")),
            reason: reasons,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::tests::build;
    use crate::kind::tests::{cfb, pe};
    use crate::{FileMeta, InspectConfig};

    fn http<'a>(host: Option<&'a str>, first_seen: bool) -> DownloadCtx<'a> {
        DownloadCtx {
            kind: FileKind::ResponseBody,
            host,
            first_seen,
        }
    }

    #[test]
    fn exe_from_raw_ip_and_missing_host() {
        let i = Inspector::new(&InspectConfig::default()).unwrap();
        let r = i.scan_bytes(
            FileMeta::new("/x.exe", "application/octet-stream"),
            &pe(false),
            None,
        );
        let v = i
            .download(&http(Some("203.0.113.5:8080"), false), &r)
            .unwrap();
        assert_eq!(v.reason, [FileReason::ExeFromRawIp]);
        assert_eq!(v.severity, 2);
        assert_eq!(v.signature_id, 8_050_001);
        assert_eq!(v.host.as_deref(), Some("203.0.113.5"));
        assert!(
            v.signature.contains("raw IP 203.0.113.5"),
            "{}",
            v.signature
        );
        let j = serde_json::to_value(&v).unwrap();
        assert_eq!(j["filename"], "/x.exe");
        assert_eq!(j["reason"][0], "exe_from_raw_ip");
        assert!(j["magic"].as_str().unwrap().starts_with("PE32"), "{j}");
        assert_eq!(j["sha256"].as_str().unwrap().len(), 64);
        assert_eq!(j["yara"], serde_json::json!([]));
        let v = i.download(&http(None, false), &r).unwrap();
        assert_eq!(v.reason, [FileReason::ExeFromRawIp]);
        assert!(
            i.download(&http(Some("[2001:db8::5]:80"), false), &r)
                .is_some()
        );
        // An archive holding an executable counts too.
        let z = build(&[("setup.exe", &pe(false), true)]);
        let r = i.scan_bytes(FileMeta::new("/a.zip", "application/zip"), &z, None);
        let v = i.download(&http(Some("198.51.100.1"), false), &r).unwrap();
        assert_eq!(v.entries, ["setup.exe"]);
        // Not a download over HTTP: no host reasons.
        let r = i.scan_bytes(FileMeta::new("x.exe", ""), &pe(false), None);
        let smtp = DownloadCtx {
            kind: FileKind::MailAttachment,
            host: None,
            first_seen: true,
        };
        assert_eq!(i.download(&smtp, &r), None);
        // Not executable: no alert.
        let r = i.scan_bytes(FileMeta::new("/a.txt", "text/plain"), b"hello", None);
        assert_eq!(i.download(&http(Some("203.0.113.5"), true), &r), None);
    }

    #[test]
    fn signed_software_from_named_host_is_quiet() {
        let i = Inspector::new(&InspectConfig::default()).unwrap();
        let exe = i.scan_bytes(
            FileMeta::new("/dl/setup-1.2.exe", "application/x-msdownload"),
            &pe(true),
            None,
        );
        assert!(exe.signed);
        let msi = i.scan_bytes(
            FileMeta::new("/dl/tool.msi", "application/x-msi"),
            &cfb(&["\u{5}DigitalSignature", "\u{5}SummaryInformation"]),
            None,
        );
        assert!(msi.signed && msi.executable_name);
        for r in [&exe, &msi] {
            assert_eq!(
                i.download(&http(Some("download.vendor.example"), false), r),
                None
            );
            assert_eq!(
                i.download(&http(Some("download.vendor.example"), true), r),
                None
            );
        }
        // Unsigned from a first-seen domain alerts; from a known one does not.
        let u = i.scan_bytes(
            FileMeta::new("/u.exe", "application/octet-stream"),
            &pe(false),
            None,
        );
        let v = i.download(&http(Some("new.example"), true), &u).unwrap();
        assert_eq!(v.reason, [FileReason::ExeFromFirstSeenDomain]);
        assert_eq!(v.severity, 3);
        assert_eq!(v.host.as_deref(), Some("new.example"));
        assert_eq!(i.download(&http(Some("new.example"), false), &u), None);
        let strict = Inspector::new(&InspectConfig {
            first_seen_skip_signed: false,
            ..InspectConfig::default()
        })
        .unwrap();
        assert!(
            strict
                .download(&http(Some("x.example"), true), &exe)
                .is_some()
        );
    }

    #[test]
    fn type_mismatches() {
        let i = Inspector::new(&InspectConfig::default()).unwrap();
        let r = i.scan_bytes(
            FileMeta::new("/img/logo.jpg", "image/jpeg"),
            &pe(false),
            None,
        );
        let v = i.download(&http(Some("cdn.example"), false), &r).unwrap();
        assert_eq!(v.reason, [FileReason::TypeMismatch]);
        let m = v.mismatch.as_ref().unwrap();
        assert_eq!(m.declared.as_deref(), Some("image/jpeg"));
        assert_eq!(m.extension.as_deref(), Some("jpg"));
        assert_eq!(m.content, FileType::Pe);
        // Same from a raw IP: two reasons, one step more severe.
        let v = i.download(&http(Some("203.0.113.5"), false), &r).unwrap();
        assert_eq!(
            v.reason,
            [FileReason::ExeFromRawIp, FileReason::TypeMismatch]
        );
        assert_eq!(v.severity, 1);
        // Extension only (generic content type), and an archive served as text.
        let r = i.scan_bytes(
            FileMeta::new("invoice.doc", "application/octet-stream"),
            &pe(false),
            None,
        );
        assert!(i.download(&http(Some("a.example"), false), &r).is_some());
        let z = build(&[("a.txt", b"x", false)]);
        let r = i.scan_bytes(
            FileMeta::new("/data", "text/plain; charset=utf-8"),
            &z,
            None,
        );
        assert_eq!(
            i.download(&http(Some("a.example"), false), &r)
                .unwrap()
                .reason,
            [FileReason::TypeMismatch]
        );
        // Consistent declarations do not alert.
        let docx = build(&[
            ("[Content_Types].xml", b"<Types/>", true),
            ("word/document.xml", b"<w/>", true),
        ]);
        let r = i.scan_bytes(
            FileMeta::new(
                "/a.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
            &docx,
            None,
        );
        assert_eq!(r.file_type, FileType::Ooxml);
        assert_eq!(i.download(&http(Some("a.example"), false), &r), None);
        let r = i.scan_bytes(
            FileMeta::new("/p.png", "image/png"),
            b"\x89PNG\r\n\x1a\n....",
            None,
        );
        assert_eq!(i.download(&http(Some("203.0.113.5"), true), &r), None);
    }
}
