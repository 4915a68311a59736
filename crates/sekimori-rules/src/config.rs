//! Companion config files: `classification.config`, `threshold.config` and `reference.config`.

use crate::error::{ErrorKind, ParseError, Result};
use crate::net::{AddressSet, Vars};
use crate::options::Track;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

/// One `config classification: name,description,priority` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    /// Short name used by `classtype`.
    pub name: String,
    /// Description (the alert `category`).
    pub description: String,
    /// Priority (1 = high).
    pub priority: u8,
}

/// The classification table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classifications {
    by_name: HashMap<String, Classification>,
}

/// A config line that failed to parse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigError {
    /// 1-based line number.
    pub line: usize,
    /// What went wrong.
    pub error: ParseError,
}

impl Classifications {
    /// An empty table (then `classtype` values are not checked).
    pub fn new() -> Self {
        Self::default()
    }

    /// Parse the text of a classification.config; bad lines are returned, good ones kept.
    pub fn parse(text: &str) -> (Self, Vec<ConfigError>) {
        let mut c = Classifications::new();
        let mut errs = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let l = line.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            match parse_classification_line(l) {
                Ok(cl) => {
                    c.by_name.insert(cl.name.to_ascii_lowercase(), cl);
                }
                Err(e) => errs.push(ConfigError {
                    line: i + 1,
                    error: e,
                }),
            }
        }
        (c, errs)
    }

    /// Read and parse a classification.config file.
    pub fn load(path: &Path) -> std::io::Result<(Self, Vec<ConfigError>)> {
        let text = std::fs::read_to_string(path)?;
        Ok(Self::parse(&text))
    }

    /// Add or replace an entry.
    pub fn insert(&mut self, c: Classification) {
        self.by_name.insert(c.name.to_ascii_lowercase(), c);
    }

    /// Look up a classtype (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&Classification> {
        self.by_name.get(&name.to_ascii_lowercase())
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

fn parse_classification_line(l: &str) -> Result<Classification> {
    let err = |m: &str| ParseError::kw(ErrorKind::Syntax, "classification", m.to_string());
    let rest = l
        .strip_prefix("config")
        .ok_or_else(|| err("line must start with 'config classification:'"))?;
    let rest = rest.trim_start();
    let rest = rest
        .strip_prefix("classification")
        .ok_or_else(|| err("line must start with 'config classification:'"))?;
    let rest = rest
        .trim_start()
        .strip_prefix(':')
        .ok_or_else(|| err("missing ':'"))?;
    let mut parts = rest.splitn(3, ',');
    let name = parts.next().unwrap_or("").trim();
    let desc = parts
        .next()
        .map(str::trim)
        .ok_or_else(|| err("missing description"))?;
    let prio = parts
        .next()
        .map(str::trim)
        .ok_or_else(|| err("missing priority"))?;
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(err("invalid classtype name"));
    }
    let priority: u8 = prio.parse().map_err(|_| err("invalid priority"))?;
    Ok(Classification {
        name: name.to_string(),
        description: desc.to_string(),
        priority,
    })
}

/// One `config reference: type url` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferenceSystem {
    /// System name (`cve`, `url`, ...).
    pub name: String,
    /// URL prefix.
    pub url: String,
}

/// Parse reference.config text into a name → URL-prefix map (bad lines returned).
pub fn parse_reference_config(text: &str) -> (HashMap<String, ReferenceSystem>, Vec<ConfigError>) {
    let mut m = HashMap::new();
    let mut errs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let parsed = l
            .strip_prefix("config")
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix("reference"))
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix(':'))
            .map(str::trim)
            .and_then(|r| r.split_once(char::is_whitespace))
            .map(|(n, u)| ReferenceSystem {
                name: n.trim().to_string(),
                url: u.trim().to_string(),
            });
        match parsed {
            Some(r) if !r.name.is_empty() && !r.url.is_empty() => {
                m.insert(r.name.to_ascii_lowercase(), r);
            }
            _ => errs.push(ConfigError {
                line: i + 1,
                error: ParseError::kw(
                    ErrorKind::Syntax,
                    "reference",
                    "expected 'config reference: <name> <url>'",
                ),
            }),
        }
    }
    (m, errs)
}

/// Which rules a threshold.config entry applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SigSelector {
    /// Generator id (0 = all).
    pub gid: u32,
    /// Signature id (0 = all).
    pub sid: u32,
}

/// `track` of a suppress entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressTrack {
    /// Match the source address.
    BySrc,
    /// Match the destination address.
    ByDst,
    /// Match either address.
    Either,
}

/// New action of a `rate_filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RateAction {
    /// alert
    Alert,
    /// drop
    Drop,
    /// pass
    Pass,
    /// reject
    Reject,
}

/// One line of threshold.config.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ThresholdEntry {
    /// `suppress gen_id G, sig_id S[, track by_src|by_dst|by_either, ip ADDR]`
    Suppress {
        /// Rules affected.
        sig: SigSelector,
        /// Tracker (None: suppress completely).
        track: Option<SuppressTrack>,
        /// Addresses (resolved; variables allowed).
        #[serde(skip)]
        ip: Option<AddressSet>,
        /// Address text as written.
        ip_text: Option<String>,
    },
    /// `threshold gen_id, sig_id, type, track, count, seconds`
    Threshold {
        /// Rules affected.
        sig: SigSelector,
        /// Threshold settings.
        threshold: crate::options::Threshold,
    },
    /// `event_filter` (same fields as threshold).
    EventFilter {
        /// Rules affected.
        sig: SigSelector,
        /// Threshold settings.
        threshold: crate::options::Threshold,
    },
    /// `rate_filter gen_id, sig_id, track, count, seconds, new_action, timeout`
    RateFilter {
        /// Rules affected.
        sig: SigSelector,
        /// Tracker.
        track: Track,
        /// Count.
        count: u32,
        /// Window in seconds.
        seconds: u32,
        /// Action once the rate is exceeded.
        new_action: RateAction,
        /// How long the new action stays in force (seconds).
        timeout: u32,
    },
}

fn kv_pairs(s: &str) -> Result<Vec<(&str, &str)>> {
    let mut v = Vec::new();
    for p in s.split(',').map(str::trim) {
        let (k, val) = p
            .split_once(char::is_whitespace)
            .map(|(a, b)| (a, b.trim()))
            .ok_or_else(|| {
                ParseError::kw(
                    ErrorKind::Syntax,
                    "threshold.config",
                    format!("expected 'key value', got \"{p}\""),
                )
            })?;
        v.push((k, val));
    }
    Ok(v)
}

/// Parse the text of a threshold.config (addresses in `suppress` resolve through `vars`).
pub fn parse_threshold_config(text: &str, vars: &Vars) -> (Vec<ThresholdEntry>, Vec<ConfigError>) {
    let mut out = Vec::new();
    let mut errs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        match parse_threshold_line(l, vars) {
            Ok(e) => out.push(e),
            Err(e) => errs.push(ConfigError {
                line: i + 1,
                error: e,
            }),
        }
    }
    (out, errs)
}

fn parse_threshold_line(l: &str, vars: &Vars) -> Result<ThresholdEntry> {
    let (kind, rest) = l
        .split_once(char::is_whitespace)
        .ok_or_else(|| ParseError::kw(ErrorKind::Syntax, "threshold.config", "empty entry"))?;
    let kw = kind.to_ascii_lowercase();
    let e = |m: String| ParseError::kw(ErrorKind::InvalidValue, &kw, m);
    let pairs = kv_pairs(rest)?;
    let mut gid = None;
    let mut sid = None;
    let mut typ = None;
    let mut track_s = None;
    let mut count = None;
    let mut seconds = None;
    let mut ip = None;
    let mut new_action = None;
    let mut timeout = None;
    for (k, v) in pairs {
        let num = |v: &str| {
            v.parse::<u32>()
                .map_err(|_| e(format!("invalid number \"{v}\" for {k}")))
        };
        match k {
            "gen_id" => gid = Some(num(v)?),
            "sig_id" => sid = Some(num(v)?),
            "type" => typ = Some(v),
            "track" => track_s = Some(v),
            "count" => count = Some(num(v)?),
            "seconds" => seconds = Some(num(v)?),
            "ip" => ip = Some(v),
            "new_action" => new_action = Some(v),
            "timeout" => timeout = Some(num(v)?),
            o => return Err(e(format!("unknown field \"{o}\""))),
        }
    }
    let sig = SigSelector {
        gid: gid.ok_or_else(|| e("missing gen_id".into()))?,
        sid: sid.ok_or_else(|| e("missing sig_id".into()))?,
    };
    let track = |v: Option<&str>| -> Result<Track> {
        match v {
            Some("by_src") => Ok(Track::BySrc),
            Some("by_dst") => Ok(Track::ByDst),
            Some("by_rule") => Ok(Track::ByRule),
            Some("by_both") => Ok(Track::ByBoth),
            Some(o) => Err(e(format!("invalid track \"{o}\""))),
            None => Err(e("missing track".into())),
        }
    };
    match kw.as_str() {
        "suppress" => {
            let track = match track_s {
                None => None,
                Some("by_src") => Some(SuppressTrack::BySrc),
                Some("by_dst") => Some(SuppressTrack::ByDst),
                Some("by_either") => Some(SuppressTrack::Either),
                Some(o) => return Err(e(format!("invalid track \"{o}\""))),
            };
            if track.is_some() != ip.is_some() {
                return Err(e("track and ip must be given together".into()));
            }
            let set = match ip {
                Some(t) => Some(vars.resolve_addresses(t).map_err(|x| x.with_keyword(&kw))?),
                None => None,
            };
            Ok(ThresholdEntry::Suppress {
                sig,
                track,
                ip: set,
                ip_text: ip.map(str::to_string),
            })
        }
        "threshold" | "event_filter" => {
            let kind = match typ {
                Some("limit") => crate::options::ThresholdType::Limit,
                Some("threshold") => crate::options::ThresholdType::Threshold,
                Some("both") => crate::options::ThresholdType::Both,
                Some(o) => return Err(e(format!("invalid type \"{o}\""))),
                None => return Err(e("missing type".into())),
            };
            let threshold = crate::options::Threshold {
                kind,
                track: track(track_s)?,
                count: count.ok_or_else(|| e("missing count".into()))?,
                seconds: seconds.ok_or_else(|| e("missing seconds".into()))?,
            };
            if kw == "threshold" {
                Ok(ThresholdEntry::Threshold { sig, threshold })
            } else {
                Ok(ThresholdEntry::EventFilter { sig, threshold })
            }
        }
        "rate_filter" => {
            let new_action = match new_action {
                Some("alert") => RateAction::Alert,
                Some("drop") => RateAction::Drop,
                Some("pass") => RateAction::Pass,
                Some("reject") => RateAction::Reject,
                Some(o) => return Err(e(format!("invalid new_action \"{o}\""))),
                None => return Err(e("missing new_action".into())),
            };
            Ok(ThresholdEntry::RateFilter {
                sig,
                track: track(track_s)?,
                count: count.ok_or_else(|| e("missing count".into()))?,
                seconds: seconds.ok_or_else(|| e("missing seconds".into()))?,
                new_action,
                timeout: timeout.ok_or_else(|| e("missing timeout".into()))?,
            })
        }
        o => Err(ParseError::kw(
            ErrorKind::Syntax,
            "threshold.config",
            format!("unknown entry type \"{o}\""),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let (c, errs) = Classifications::parse(
            "# comment\nconfig classification: bad-unknown,Potentially Bad Traffic, 2\nconfig classification: x\nconfig classification:trojan-activity,A Network Trojan was detected,1\n",
        );
        assert_eq!(c.len(), 2);
        assert_eq!(c.get("BAD-UNKNOWN").unwrap().priority, 2);
        assert_eq!(
            c.get("trojan-activity").unwrap().description,
            "A Network Trojan was detected"
        );
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].line, 3);
    }

    #[test]
    fn et_classification_file() {
        let Some(p) = sekimori_fixtures::shared::path("data/rules/et-open.classification.config") else {
            return;
        };
        let p = p.as_path();
        let (c, errs) = Classifications::load(p).unwrap();
        assert!(errs.is_empty(), "{errs:?}");
        assert!(c.len() > 30);
        assert_eq!(c.get("trojan-activity").unwrap().priority, 1);
    }

    #[test]
    fn thresholds() {
        let v = Vars::suricata_defaults();
        let text = "rate_filter gen_id 1, sig_id 1000001, track by_src, count 1, seconds 60, new_action alert, timeout 1000\n\
                    suppress gen_id 1, sig_id 1000001, track by_src, ip 145.254.160.237\n\
                    suppress gen_id 1, sig_id 7\n\
                    suppress gen_id 1, sig_id 8, track by_either, ip $HOME_NET\n\
                    threshold gen_id 1, sig_id 1000001, type limit, track by_rule, count 3, seconds 1000\n\
                    event_filter gen_id 1, sig_id 2, type both, track by_dst, count 3, seconds 10\n\
                    threshold gen_id 1, sig_id 3, type sometimes, track by_rule, count 3, seconds 1\n\
                    suppress gen_id 1, sig_id 9, track by_src\n\
                    bogus gen_id 1, sig_id 1\n";
        let (entries, errs) = parse_threshold_config(text, &v);
        assert_eq!(entries.len(), 6);
        assert_eq!(errs.len(), 3);
        assert!(matches!(
            entries[0],
            ThresholdEntry::RateFilter {
                new_action: RateAction::Alert,
                timeout: 1000,
                ..
            }
        ));
        match &entries[1] {
            ThresholdEntry::Suppress {
                ip: Some(s),
                track: Some(SuppressTrack::BySrc),
                ..
            } => {
                assert!(s.contains("145.254.160.237".parse().unwrap()));
            }
            o => panic!("{o:?}"),
        }
        assert!(matches!(
            entries[2],
            ThresholdEntry::Suppress { track: None, .. }
        ));
    }

    #[test]
    fn references() {
        let (m, errs) = parse_reference_config(
            "config reference: cve http://cve.mitre.org/cgi-bin/cvename.cgi?name=\nconfig reference: bad\n",
        );
        assert_eq!(
            m.get("cve").unwrap().url,
            "http://cve.mitre.org/cgi-bin/cvename.cgi?name="
        );
        assert_eq!(errs.len(), 1);
    }
}
