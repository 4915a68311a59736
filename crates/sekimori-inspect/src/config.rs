//! Configuration of the inspection layer ([`InspectConfig`]); every field has a default.

use std::path::PathBuf;

use serde::Deserialize;

/// Free-mail domains used when the configuration names none. `*` as the last label matches any
/// top-level domain (`gmx.*` matches `gmx.net`, `gmx.de`, ...).
pub const DEFAULT_FREEMAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.co.jp",
    "ymail.com",
    "rocketmail.com",
    "outlook.com",
    "outlook.jp",
    "hotmail.com",
    "hotmail.co.jp",
    "hotmail.co.uk",
    "live.com",
    "live.jp",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "aim.com",
    "gmx.*",
    "web.de",
    "mail.com",
    "mail.ru",
    "inbox.ru",
    "list.ru",
    "bk.ru",
    "yandex.ru",
    "yandex.com",
    "rambler.ru",
    "qq.com",
    "foxmail.com",
    "163.com",
    "126.com",
    "yeah.net",
    "sina.com",
    "sina.cn",
    "sohu.com",
    "aliyun.com",
    "naver.com",
    "daum.net",
    "hanmail.net",
    "protonmail.com",
    "proton.me",
    "pm.me",
    "tutanota.com",
    "zoho.com",
    "zohomail.com",
    "excite.co.jp",
    "infoseek.jp",
    "nifty.com",
    "docomo.ne.jp",
    "ezweb.ne.jp",
    "au.com",
    "softbank.ne.jp",
    "i.softbank.jp",
    "ybb.ne.jp",
];

/// Configuration of an [`crate::Inspector`] (serde, every field defaulted, unknown fields are
/// an error).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct InspectConfig {
    /// Free-mail domains (exact, subdomains included; `name.*` matches any TLD).
    pub freemail_domains: Vec<String>,
    /// The organisation's own mail domains (`$HOME_DOMAINS`), e.g. `nenkin.go.jp`.
    pub home_domains: Vec<String>,
    /// Extra names that claim the organisation in a display name or subject (e.g.
    /// `日本年金機構`), besides the home domains and their organisation labels.
    pub organisation_names: Vec<String>,
    /// Hosts of link redirectors (click tracking) whose hrefs are never a link mismatch; a
    /// host matches itself and its subdomains.
    pub link_redirectors: Vec<String>,
    /// Hash lists: one md5/sha1/sha256 hex digest per line, `#` comments, optional name after
    /// whitespace. Re-read by [`crate::Inspector::reload_if_changed`] when their mtime changes.
    pub hash_lists: Vec<PathBuf>,
    /// YARA rule files (need the `yara` cargo feature).
    pub yara_rules: Vec<PathBuf>,
    /// Bytes of one file kept and scanned (beyond this the file is marked truncated).
    pub max_file_size: usize,
    /// YARA time limit per scanned buffer, in milliseconds (yara-x counts whole seconds, rounded
    /// up, from a heartbeat thread it starts on first use).
    pub yara_timeout_ms: u64,
    /// Archive nesting depth opened (1 = entries of the file itself).
    pub max_archive_depth: u32,
    /// Archive entries listed per scanned file (all nesting levels together).
    pub max_archive_entries: usize,
    /// Decompressed bytes per scanned file (all entries and levels together): the zip-bomb cap.
    pub max_unpacked_bytes: usize,
    /// Disk images (`.iso`, `.img`, `.vhd`, `.vhdx`) count as executable by name.
    pub disk_images_executable: bool,
    /// More extensions (without dot, any case) that count as executable by name.
    pub extra_executable_extensions: Vec<String>,
    /// `exe_from_first_seen_domain` is not raised for a file that carries an Authenticode
    /// signature (presence only, not verified) when its declared type matches its content.
    pub first_seen_skip_signed: bool,
}

impl Default for InspectConfig {
    fn default() -> Self {
        InspectConfig {
            freemail_domains: DEFAULT_FREEMAIL.iter().map(|s| (*s).to_owned()).collect(),
            home_domains: Vec::new(),
            organisation_names: Vec::new(),
            link_redirectors: Vec::new(),
            hash_lists: Vec::new(),
            yara_rules: Vec::new(),
            max_file_size: 32 << 20,
            yara_timeout_ms: 2000,
            max_archive_depth: 3,
            max_archive_entries: 1000,
            max_unpacked_bytes: 64 << 20,
            disk_images_executable: true,
            extra_executable_extensions: Vec::new(),
            first_seen_skip_signed: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_unknown_fields() {
        let c: InspectConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c, InspectConfig::default());
        assert_eq!(c.max_file_size, 32 << 20);
        assert_eq!(c.max_archive_depth, 3);
        assert!(c.freemail_domains.iter().any(|d| d == "yahoo.co.jp"));
        let c: InspectConfig =
            serde_json::from_str(r#"{"home_domains":["nenkin.go.jp"],"max_archive_depth":2}"#)
                .unwrap();
        assert_eq!(c.home_domains, vec!["nenkin.go.jp".to_owned()]);
        assert_eq!(c.max_archive_depth, 2);
        assert!(c.freemail_domains.len() > 20);
        assert!(serde_json::from_str::<InspectConfig>(r#"{"home_domain":[]}"#).is_err());
    }
}
