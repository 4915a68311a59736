//! Targeted-mail checks on one parsed message: one [`MailVerdict`] listing every check that
//! fired, with evidence; serializes to the `mail` object of detections.md.
//!
//! | check | signature_id |
//! |---|---|
//! | `rlo_filename` | 8060005 |
//! | `double_extension` | 8060004 |
//! | `exe_in_archive` | 8060003 |
//! | `exe_attachment` | 8060002 |
//! | `shortcut_attachment` | 8060006 |
//! | `office_macro` | 8060007 |
//! | `link_mismatch` | 8060001 |
//! | `freemail_spoof` | 8060008 |
//! | `reply_to_mismatch` | 8060009 |
//!
//! The alert's signature_id is that of the first check that fired in the order of this
//! table. Severity from the combination ("weapon" = exe_attachment, exe_in_archive,
//! double_extension, rlo_filename, shortcut_attachment; "lure" = link_mismatch,
//! freemail_spoof):
//! - 1: a weapon together with any other check (lure, office_macro, reply_to_mismatch);
//! - 2: a weapon alone; office_macro with a lure; link_mismatch with freemail_spoof;
//! - 3: office_macro, link_mismatch or freemail_spoof alone (reply_to_mismatch may add);
//! - 4: reply_to_mismatch alone.

use serde::Serialize;

use sekimori_app::smtp::{MimeInfo, decode_words};

use crate::Inspector;
use crate::archive::ArchiveEntry;
use crate::host;
use crate::names;
use crate::scan::FileReport;

/// One mail check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailCheck {
    /// An attachment name (or archive entry) with U+202E.
    RloFilename,
    /// An attachment name (or archive entry) like `invoice.doc.exe`.
    DoubleExtension,
    /// An archive attachment holds an executable (also listed inside encrypted archives).
    ExeInArchive,
    /// An attachment is an executable (content or extension).
    ExeAttachment,
    /// A shortcut (`.lnk`/`.url`) attached or in an archive.
    ShortcutAttachment,
    /// An Office document with macros attached or in an archive.
    OfficeMacro,
    /// An HTML link whose visible text names another host than its href.
    LinkMismatch,
    /// A free-mail sender claims the organisation.
    FreemailSpoof,
    /// Reply-To domain differs from the From domain.
    ReplyToMismatch,
}

impl MailCheck {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            MailCheck::RloFilename => "rlo_filename",
            MailCheck::DoubleExtension => "double_extension",
            MailCheck::ExeInArchive => "exe_in_archive",
            MailCheck::ExeAttachment => "exe_attachment",
            MailCheck::ShortcutAttachment => "shortcut_attachment",
            MailCheck::OfficeMacro => "office_macro",
            MailCheck::LinkMismatch => "link_mismatch",
            MailCheck::FreemailSpoof => "freemail_spoof",
            MailCheck::ReplyToMismatch => "reply_to_mismatch",
        }
    }
    /// The built-in signature id (8060000–8069999).
    pub fn signature_id(self) -> u32 {
        match self {
            MailCheck::LinkMismatch => 8_060_001,
            MailCheck::ExeAttachment => 8_060_002,
            MailCheck::ExeInArchive => 8_060_003,
            MailCheck::DoubleExtension => 8_060_004,
            MailCheck::RloFilename => 8_060_005,
            MailCheck::ShortcutAttachment => 8_060_006,
            MailCheck::OfficeMacro => 8_060_007,
            MailCheck::FreemailSpoof => 8_060_008,
            MailCheck::ReplyToMismatch => 8_060_009,
        }
    }
    fn weapon(self) -> bool {
        matches!(
            self,
            MailCheck::RloFilename
                | MailCheck::DoubleExtension
                | MailCheck::ExeInArchive
                | MailCheck::ExeAttachment
                | MailCheck::ShortcutAttachment
        )
    }
}

/// A mismatching link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LinkEvidence {
    /// The href.
    pub href: String,
    /// The visible text.
    pub text: String,
    /// Host of the href.
    pub href_host: String,
    /// Host named by the text.
    pub text_host: String,
    /// `different_host`, `raw_ip`, `punycode` or `lookalike`.
    pub reason: &'static str,
}

/// An attachment (or archive entry) that made checks fire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AttachmentEvidence {
    /// Attachment file name.
    pub filename: String,
    /// Archive entry path, for entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// The entry is encrypted (known by name only).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub encrypted: bool,
    /// Checks this file made fire.
    pub checks: Vec<MailCheck>,
    /// Content class, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_type: Option<crate::FileType>,
    /// SHA-256 of the attachment, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// The verdict on one message; serializes to the `mail` object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MailVerdict {
    /// Checks that fired, in table order.
    pub checks: Vec<MailCheck>,
    /// Mismatching links.
    pub links: Vec<LinkEvidence>,
    /// Attachments and entries that made checks fire.
    pub attachments: Vec<AttachmentEvidence>,
    /// From address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// From display name (decoded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    /// Reply-To domain, for `reply_to_mismatch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to_domain: Option<String>,
    /// What the free-mail sender claimed (a home domain, its label or an organisation name),
    /// for `freemail_spoof`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed: Option<String>,
    /// Decoded subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
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

/// A parsed address: (display name, address, domain).
struct Addr {
    name: String,
    addr: String,
    domain: String,
}

fn parse_addrs(raw: &[u8]) -> Vec<Addr> {
    let s = decode_words(raw);
    let mut out = Vec::new();
    for part in s.split(',') {
        let (name, addr) = match (part.rfind('<'), part.rfind('>')) {
            (Some(a), Some(b)) if b > a => (
                part.get(..a).unwrap_or_default(),
                part.get(a + 1..b).unwrap_or_default(),
            ),
            _ => {
                let a = part
                    .split_whitespace()
                    .find(|w| w.contains('@'))
                    .unwrap_or_default();
                let name = part
                    .find('(')
                    .and_then(|i| part.get(i + 1..))
                    .and_then(|r| r.split(')').next())
                    .unwrap_or_default();
                (name, a)
            }
        };
        let addr = addr.trim().trim_matches(['<', '>', '"']).to_owned();
        let Some((_, domain)) = addr.rsplit_once('@') else {
            continue;
        };
        let domain = domain.trim().trim_end_matches('.').to_lowercase();
        if domain.is_empty() {
            continue;
        }
        out.push(Addr {
            name: name.trim().trim_matches(['"', '\'']).trim().to_owned(),
            addr,
            domain,
        });
    }
    out
}

fn domain_in(domain: &str, list: &[String]) -> bool {
    let d = domain.to_ascii_lowercase();
    list.iter().any(|e| {
        let e = e.trim().to_ascii_lowercase();
        if let Some(stem) = e.strip_suffix(".*") {
            return host::org_label(&d) == stem || d.starts_with(&format!("{stem}."));
        }
        d == e || d.ends_with(&format!(".{e}"))
    })
}

/// `needle` (ASCII) occurs in `hay` not touching ASCII letters or digits on either side.
fn word_in(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(p) = hay.get(from..).and_then(|h| h.find(needle)) {
        let at = from + p;
        let before = hay.get(..at).and_then(|b| b.chars().next_back());
        let after = hay.get(at + needle.len()..).and_then(|a| a.chars().next());
        if !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
        {
            return true;
        }
        from = at + needle.len().max(1);
    }
    false
}

impl Inspector {
    /// Checks one link; `Some(reason)` when it is a mismatch.
    fn link_reason(&self, href: &str, text: &str) -> Option<(String, String, &'static str)> {
        let hh = host::url_host(href)?;
        let th = host::text_host(text)?;
        let h = host::norm(&hh);
        let t = host::norm(&th);
        if self
            .config()
            .link_redirectors
            .iter()
            .any(|r| domain_in(&h, std::slice::from_ref(r)))
        {
            return None;
        }
        let out = |reason| Some((hh.clone(), th.clone(), reason));
        if host::parse_ip(&h).is_some() {
            let same = host::parse_ip(&t).is_some() && host::parse_ip(&t) == host::parse_ip(&h);
            return if same { None } else { out("raw_ip") };
        }
        let hu = host::to_unicode(&h);
        let tu = host::to_unicode(&t);
        let puny = h.split('.').any(|l| l.starts_with("xn--"));
        let same_org = host::org_domain(&hu) == host::org_domain(&tu);
        if same_org {
            // The same host, but shown with letters that imitate others (`аpple.com`).
            if host::has_confusable(&hu) || host::has_confusable(&tu) {
                return out(if puny { "punycode" } else { "lookalike" });
            }
            return None;
        }
        if host::skeleton(&host::org_domain(&hu)) == host::skeleton(&host::org_domain(&tu)) {
            return out(if puny { "punycode" } else { "lookalike" });
        }
        out(if puny { "punycode" } else { "different_host" })
    }

    /// The targeted-mail checks on one message and the reports of its attachments; `None`
    /// when no check fired. Attachment names in `info.attachments` without a report get the
    /// name checks only.
    pub fn mail(&self, info: &MimeInfo, attachments: &[FileReport]) -> Option<MailVerdict> {
        crate::counters::AtomicCounters::add(&self.atomic().mails_checked, 1);
        let cfg = self.config();
        let mut checks: Vec<MailCheck> = Vec::new();
        let mut links = Vec::new();
        for (href, text) in &info.links {
            let href = String::from_utf8_lossy(href);
            if let Some((hh, th, reason)) = self.link_reason(&href, text) {
                links.push(LinkEvidence {
                    href: href.into_owned(),
                    text: text.clone(),
                    href_host: hh,
                    text_host: th,
                    reason,
                });
            }
        }
        if !links.is_empty() {
            checks.push(MailCheck::LinkMismatch);
        }

        let mut evid: Vec<AttachmentEvidence> = Vec::new();
        let entry_checks = |e: &ArchiveEntry| {
            let mut c = Vec::new();
            if e.shortcut() {
                c.push(MailCheck::ShortcutAttachment);
            } else if e.executable() {
                c.push(MailCheck::ExeInArchive);
            }
            if e.name_flags.double_extension.is_some() {
                c.push(MailCheck::DoubleExtension);
            }
            if e.name_flags.rlo {
                c.push(MailCheck::RloFilename);
            }
            if e.office_macro() {
                c.push(MailCheck::OfficeMacro);
            }
            c
        };
        for r in attachments {
            let mut c = Vec::new();
            if r.shortcut {
                c.push(MailCheck::ShortcutAttachment);
            } else if r.executable {
                c.push(MailCheck::ExeAttachment);
            }
            if r.name_flags.double_extension.is_some() {
                c.push(MailCheck::DoubleExtension);
            }
            if r.name_flags.rlo {
                c.push(MailCheck::RloFilename);
            }
            if r.office_macro {
                c.push(MailCheck::OfficeMacro);
            }
            if !c.is_empty() {
                evid.push(AttachmentEvidence {
                    filename: r.filename.clone(),
                    entry: None,
                    encrypted: false,
                    checks: c,
                    file_type: Some(r.file_type),
                    sha256: r.sha256.clone(),
                });
            }
            for e in r.entries() {
                let c = entry_checks(e);
                if !c.is_empty() {
                    evid.push(AttachmentEvidence {
                        filename: r.filename.clone(),
                        entry: Some(e.path.clone()),
                        encrypted: e.encrypted,
                        checks: c,
                        file_type: e.file_type,
                        sha256: e.sha256.clone(),
                    });
                }
            }
        }
        for n in &info.attachments {
            if attachments.iter().any(|r| &r.filename == n) {
                continue;
            }
            let f = names::analyse(
                n,
                cfg.disk_images_executable,
                &cfg.extra_executable_extensions,
            );
            let mut c = Vec::new();
            if f.shortcut {
                c.push(MailCheck::ShortcutAttachment);
            } else if f.executable {
                c.push(MailCheck::ExeAttachment);
            }
            if f.double_extension.is_some() {
                c.push(MailCheck::DoubleExtension);
            }
            if f.rlo {
                c.push(MailCheck::RloFilename);
            }
            if f.macro_ext {
                c.push(MailCheck::OfficeMacro);
            }
            if !c.is_empty() {
                evid.push(AttachmentEvidence {
                    filename: n.clone(),
                    entry: None,
                    encrypted: false,
                    checks: c,
                    file_type: None,
                    sha256: None,
                });
            }
        }
        for e in &evid {
            checks.extend(e.checks.iter().copied());
        }

        let from = info.from.as_deref().map(parse_addrs).unwrap_or_default();
        let from0 = from.first();
        let subject = info
            .subject_decoded
            .clone()
            .or_else(|| info.subject.as_deref().map(decode_words));
        let mut claimed = None;
        if let Some(f) = from0
            && domain_in(&f.domain, &cfg.freemail_domains)
            && !domain_in(&f.domain, &cfg.home_domains)
        {
            let local = f.addr.rsplit_once('@').map(|(l, _)| l).unwrap_or_default();
            let hay = format!(
                "{} {} {}",
                f.name,
                subject.as_deref().unwrap_or_default(),
                local
            )
            .to_lowercase();
            for d in &cfg.home_domains {
                let d = d.trim().to_lowercase();
                if d.is_empty() {
                    continue;
                }
                let label = host::org_label(&d);
                if hay.contains(&d) {
                    claimed = Some(d);
                } else if label.len() >= 3 && word_in(&hay, &label) {
                    claimed = Some(label);
                }
                if claimed.is_some() {
                    break;
                }
            }
            if claimed.is_none() {
                claimed = cfg
                    .organisation_names
                    .iter()
                    .find(|n| !n.trim().is_empty() && hay.contains(&n.trim().to_lowercase()))
                    .cloned();
            }
            if claimed.is_some() {
                checks.push(MailCheck::FreemailSpoof);
            }
        }
        let mut reply_to_domain = None;
        if let (Some(f), Some(rt)) = (from0, info.reply_to.as_deref()) {
            let fo = host::org_domain(&f.domain);
            if let Some(r) = parse_addrs(rt)
                .into_iter()
                .find(|r| host::org_domain(&r.domain) != fo)
            {
                reply_to_domain = Some(r.domain);
                checks.push(MailCheck::ReplyToMismatch);
            }
        }

        if checks.is_empty() {
            return None;
        }
        checks.sort();
        checks.dedup();
        let primary = *checks.first()?;
        let weapon = checks.iter().any(|c| c.weapon());
        let has = |c: MailCheck| checks.contains(&c);
        let lure = has(MailCheck::LinkMismatch) || has(MailCheck::FreemailSpoof);
        let severity = if weapon && checks.iter().any(|c| !c.weapon()) {
            1
        } else if weapon
            || (has(MailCheck::OfficeMacro) && lure)
            || (has(MailCheck::LinkMismatch) && has(MailCheck::FreemailSpoof))
        {
            2
        } else if lure || has(MailCheck::OfficeMacro) {
            3
        } else {
            4
        };

        let mut parts: Vec<String> = Vec::new();
        for c in &checks {
            let first = |c: MailCheck| {
                evid.iter()
                    .find(|e| e.checks.contains(&c))
                    .map(|e| match &e.entry {
                        Some(p) => format!("{}/{p}", e.filename),
                        None => e.filename.clone(),
                    })
            };
            parts.push(match c {
                MailCheck::LinkMismatch => links.first().map_or_else(String::new, |l| {
                    format!("link text {} points to {}", l.text_host, l.href_host)
                }),
                MailCheck::FreemailSpoof => format!(
                    "free-mail sender {} claims {}",
                    from0.map_or("", |f| f.domain.as_str()),
                    claimed.as_deref().unwrap_or_default()
                ),
                MailCheck::ReplyToMismatch => format!(
                    "Reply-To {} differs from From {}",
                    reply_to_domain.as_deref().unwrap_or_default(),
                    from0.map_or("", |f| f.domain.as_str())
                ),
                other => {
                    let what = match other {
                        MailCheck::RloFilename => "RLO file name",
                        MailCheck::DoubleExtension => "double extension",
                        MailCheck::ExeInArchive => "executable in archive",
                        MailCheck::ExeAttachment => "executable attachment",
                        MailCheck::ShortcutAttachment => "shortcut attachment",
                        _ => "macro document",
                    };
                    format!("{what} {}", first(*other).unwrap_or_default())
                }
            });
        }
        crate::counters::AtomicCounters::add(&self.atomic().mail_verdicts, 1);
        Some(MailVerdict {
            signature_id: primary.signature_id(),
            signature: format!("MAIL: targeted mail: {}", parts.join("; ")),
            severity,
            checks,
            links,
            attachments: evid,
            from: from0.map(|f| f.addr.clone()),
            from_name: from0.map(|f| f.name.clone()).filter(|n| !n.is_empty()),
            reply_to_domain,
            claimed,
            subject,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::tests::{build, encrypt_flags};
    use crate::kind::tests::{cfb, pe};
    use crate::{FileMeta, InspectConfig};

    fn insp() -> Inspector {
        Inspector::new(&InspectConfig {
            home_domains: vec!["nenkin.go.jp".into()],
            organisation_names: vec!["日本年金機構".into()],
            ..InspectConfig::default()
        })
        .unwrap()
    }

    /// RFC 2047 Q-encoding of UTF-8 text.
    fn q(s: &str) -> String {
        let mut o = String::from("=?UTF-8?Q?");
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() {
                o.push(char::from(b));
            } else {
                o.push_str(&format!("={b:02X}"));
            }
        }
        o.push_str("?=");
        o
    }

    fn info(from: &str, subject: &str, links: &[(&str, &str)]) -> MimeInfo {
        MimeInfo {
            from: Some(from.as_bytes().to_vec()),
            subject_decoded: Some(subject.to_owned()),
            links: links
                .iter()
                .map(|(h, t)| (h.as_bytes().to_vec(), (*t).to_owned()))
                .collect(),
            ..MimeInfo::default()
        }
    }

    fn checks(v: &Option<MailVerdict>) -> Vec<&'static str> {
        v.as_ref()
            .map(|v| v.checks.iter().map(|c| c.as_str()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn phishing_mail_names_every_check() {
        let i = insp();
        let zip = build(&[
            ("請求書.doc.exe", &pe(false), true),
            ("readme.txt", b"hi", true),
        ]);
        let att = i.scan_bytes(FileMeta::new("年金.zip", "application/zip"), &zip, None);
        let from = format!(
            "{} <kikou.info@yahoo.co.jp>",
            q("日本年金機構 nenkin 相談室")
        );
        let m = info(
            &from,
            "【重要】年金記録の確認",
            &[
                (
                    "http://203.0.113.5/nenkin/login.php",
                    "https://www.nenkin.go.jp/",
                ),
                ("https://www.nenkin.go.jp/faq", "www.nenkin.go.jp/faq"),
            ],
        );
        let v = i.mail(&m, std::slice::from_ref(&att));
        assert_eq!(
            checks(&v),
            [
                "double_extension",
                "exe_in_archive",
                "link_mismatch",
                "freemail_spoof"
            ]
        );
        let v = v.unwrap();
        assert_eq!(v.severity, 1);
        assert_eq!(v.signature_id, 8_060_004);
        assert!(v.signature.contains("請求書.doc.exe"), "{}", v.signature);
        assert!(v.signature.contains("203.0.113.5"), "{}", v.signature);
        assert_eq!(v.links.len(), 1);
        assert_eq!(v.links[0].reason, "raw_ip");
        assert_eq!(v.from_name.as_deref(), Some("日本年金機構 nenkin 相談室"));
        assert_eq!(v.claimed.as_deref(), Some("nenkin"));
        let j = serde_json::to_value(&v).unwrap();
        assert_eq!(j["checks"][0], "double_extension");
        assert_eq!(j["links"][0]["href"], "http://203.0.113.5/nenkin/login.php");
        assert_eq!(j["links"][0]["text"], "https://www.nenkin.go.jp/");
        assert_eq!(j["attachments"][0]["filename"], "年金.zip");
        assert_eq!(j["attachments"][0]["entry"], "請求書.doc.exe");
        assert!(j.get("severity").is_none());
        assert_eq!(i.counters().mail_verdicts, 1);
    }

    #[test]
    fn newsletter_with_matching_links_is_quiet() {
        let i = insp();
        let mut links = Vec::new();
        let urls: Vec<String> = (0..40)
            .map(|n| format!("https://www.shop.example.co.jp/item/{n}?utm=news"))
            .collect();
        for u in &urls {
            links.push((u.as_str(), u.as_str()));
        }
        links.extend_from_slice(&[
            ("https://shop.example.co.jp/", "WWW.SHOP.EXAMPLE.CO.JP"),
            (
                "https://www.shop.example.co.jp/sale/",
                "shop.example.co.jp/sale",
            ),
            ("https://cdn.example.co.jp/x", "詳しくはこちら"),
            ("https://shop.example.co.jp/unsub", "配信停止"),
            ("mailto:support@example.co.jp", "support@example.co.jp"),
            ("/relative/path", "www.other.example"),
            ("#top", "ページトップへ"),
            ("https://shop.example.co.jp/", "Click here"),
            ("http://xn--wgv71a119e.jp/", "日本語.jp"),
        ]);
        let mut m = info(
            "Shop News <news@shop.example.co.jp>",
            "今週のセール",
            &links,
        );
        m.reply_to = Some(b"support@mail.example.co.jp".to_vec());
        m.attachments = vec!["catalogue.pdf".into()];
        assert_eq!(i.mail(&m, &[]), None);
    }

    #[test]
    fn link_mismatch_cases() {
        let i = insp();
        let r = |h: &str, t: &str| i.link_reason(h, t).map(|x| x.2);
        assert_eq!(
            r("https://evil.example/login", "https://www.paypal.com/"),
            Some("different_host")
        );
        assert_eq!(
            r("http://198.51.100.7/", "www.bank.example"),
            Some("raw_ip")
        );
        assert_eq!(r("http://3232235777/", "bank.example"), Some("raw_ip"));
        assert_eq!(
            r("https://xn--pple-43d.com/", "apple.com"),
            Some("punycode")
        );
        assert_eq!(
            r("https://xn--pple-43d.com/", "аpple.com"),
            Some("punycode")
        );
        assert_eq!(
            r("https://rnicrosoft.com/", "microsoft.com"),
            Some("lookalike")
        );
        assert_eq!(
            r("https://g00gle.com/", "https://google.com"),
            Some("lookalike")
        );
        assert_eq!(r("https://paypa1.com/", "paypal.com"), Some("lookalike"));
        assert_eq!(
            r("https://bank.example@evil.example/", "bank.example"),
            Some("different_host")
        );
        // Not mismatches.
        assert_eq!(r("https://login.paypal.com/x", "paypal.com"), None);
        assert_eq!(r("HTTPS://WWW.Example.com/a/b", "example.com/"), None);
        assert_eq!(r("http://198.51.100.7/", "198.51.100.7"), None);
        assert_eq!(r("https://evil.example/", "こちら"), None);
        assert_eq!(r("https://evil.example/", "Click here to log in"), None);
        assert_eq!(r("mailto:a@evil.example", "www.bank.example"), None);
        assert_eq!(r("/login", "www.bank.example"), None);
        assert_eq!(r("https://evil.example/report.pdf", "report.pdf"), None);
        // Configured click-tracking redirectors are not mismatches.
        let i2 = Inspector::new(&InspectConfig {
            link_redirectors: vec!["click.mailer.example".into()],
            ..InspectConfig::default()
        })
        .unwrap();
        assert!(
            i2.link_reason("https://t.click.mailer.example/r?u=1", "www.shop.example")
                .is_none()
        );
    }

    #[test]
    fn freemail_spoof_and_reply_to() {
        let i = insp();
        // Display name claims the label.
        let v = i.mail(&info("Nenkin Center <abc@gmx.de>", "hello", &[]), &[]);
        assert_eq!(checks(&v), ["freemail_spoof"]);
        assert_eq!(v.as_ref().unwrap().severity, 3);
        assert_eq!(v.unwrap().signature_id, 8_060_008);
        // Subject claims the domain.
        let v = i.mail(
            &info("a@gmail.com", "nenkin.go.jp からのお知らせ", &[]),
            &[],
        );
        assert_eq!(checks(&v), ["freemail_spoof"]);
        // Organisation name.
        let v = i.mail(
            &info("\"山田\" <yamada@outlook.jp>", "日本年金機構より", &[]),
            &[],
        );
        assert_eq!(v.unwrap().claimed.as_deref(), Some("日本年金機構"));
        // No claim, or not free-mail, or a word that merely contains the label.
        assert_eq!(
            i.mail(&info("Taro <taro@gmail.com>", "lunch?", &[]), &[]),
            None
        );
        assert_eq!(
            i.mail(
                &info("Nenkin <a@partner.example.co.jp>", "nenkin", &[]),
                &[]
            ),
            None
        );
        assert_eq!(i.mail(&info("Nenkinx <a@gmail.com>", "hi", &[]), &[]), None);
        // Reply-To to another organisation, alone: severity 4.
        let mut m = info("Sales <sales@vendor.example>", "quote", &[]);
        m.reply_to = Some(b"\"Sales\" <sales@other-domain.example>".to_vec());
        let v = i.mail(&m, &[]).unwrap();
        assert_eq!(v.checks, [MailCheck::ReplyToMismatch]);
        assert_eq!(v.severity, 4);
        assert_eq!(v.signature_id, 8_060_009);
        assert_eq!(v.reply_to_domain.as_deref(), Some("other-domain.example"));
        m.reply_to = Some(b"sales@mail.vendor.example".to_vec());
        assert_eq!(i.mail(&m, &[]), None);
        // Without home domains there is no claim to check.
        let plain = Inspector::new(&InspectConfig::default()).unwrap();
        assert_eq!(
            plain.mail(&info("Nenkin <a@gmail.com>", "nenkin", &[]), &[]),
            None
        );
    }

    #[test]
    fn attachment_checks_and_severity() {
        let i = insp();
        let m = info("Bob <bob@partner.example>", "files", &[]);
        let exe = i.scan_bytes(FileMeta::new("tool.exe", ""), &pe(false), None);
        let v = i.mail(&m, std::slice::from_ref(&exe)).unwrap();
        assert_eq!(v.checks, [MailCheck::ExeAttachment]);
        assert_eq!(v.severity, 2);
        // A PE with a document name is an executable by content.
        let disguised = i.scan_bytes(FileMeta::new("report.pdf", ""), &pe(false), None);
        assert_eq!(checks(&i.mail(&m, &[disguised])), ["exe_attachment"]);
        let lnk = i.scan_bytes(FileMeta::new("Document.lnk", ""), b"L\0\0\0", None);
        assert_eq!(checks(&i.mail(&m, &[lnk])), ["shortcut_attachment"]);
        let rlo = i.scan_bytes(FileMeta::new("invoice\u{202E}fdp.scr", ""), b"x", None);
        assert_eq!(
            checks(&i.mail(&m, &[rlo])),
            ["rlo_filename", "exe_attachment"]
        );
        let doc = i.scan_bytes(
            FileMeta::new("minutes.doc", ""),
            &cfb(&["WordDocument", "Macros"]),
            None,
        );
        let v = i.mail(&m, &[doc]).unwrap();
        assert_eq!(v.checks, [MailCheck::OfficeMacro]);
        assert_eq!(v.severity, 3);
        let plain_doc = i.scan_bytes(
            FileMeta::new("minutes.doc", ""),
            &cfb(&["WordDocument"]),
            None,
        );
        let pdf = i.scan_bytes(
            FileMeta::new("a.pdf", "application/pdf"),
            b"%PDF-1.4\n",
            None,
        );
        assert_eq!(i.mail(&m, &[plain_doc, pdf]), None);
        // Macro document in a ZIP, plus a shortcut, in an encrypted archive listed by name.
        let z = encrypt_flags(build(&[
            ("見積書.xlsm", b"PK\x03\x04", true),
            ("open.lnk", b"L", false),
            ("run.js", b"x", false),
        ]));
        let r = i.scan_bytes(FileMeta::new("pw.zip", ""), &z, None);
        let v = i.mail(&m, &[r]).unwrap();
        assert_eq!(
            v.checks,
            [
                MailCheck::ExeInArchive,
                MailCheck::ShortcutAttachment,
                MailCheck::OfficeMacro
            ]
        );
        assert!(v.attachments.iter().all(|a| a.encrypted));
        assert_eq!(v.severity, 1);
        // Names from MimeInfo without a report get the name checks.
        let mut m2 = m.clone();
        m2.attachments = vec!["scan.pdf.exe".into(), "ok.txt".into()];
        assert_eq!(
            checks(&i.mail(&m2, &[])),
            ["double_extension", "exe_attachment"]
        );
    }

    #[test]
    fn exe_plus_link_mismatch_is_severity_1_and_hostile_headers() {
        let i = insp();
        let exe = i.scan_bytes(FileMeta::new("a.exe", ""), &pe(false), None);
        let m = info(
            "x@y.example",
            "s",
            &[("http://evil.example/", "https://bank.example/")],
        );
        let v = i.mail(&m, &[exe]).unwrap();
        assert_eq!(v.severity, 1);
        assert_eq!(v.signature_id, 8_060_002);
        for from in [
            "",
            "<>",
            "@",
            "a@",
            "\"<\" <@>",
            "=?x?B?====?= <a@gmail.com>",
            ",,,,",
            "<a@b",
        ] {
            let mut m = info(
                from,
                "nenkin",
                &[("http://", ""), ("", "www.a.example"), ("http://[", "a.b")],
            );
            m.reply_to = Some(from.as_bytes().to_vec());
            let _ = i.mail(&m, &[]);
        }
    }
}
