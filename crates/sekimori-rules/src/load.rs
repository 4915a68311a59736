//! Loading rule files (comments, blank lines, multi-line rules joined by a trailing `\`),
//! duplicate gid:sid handling, and the `rules check` report.

use crate::config::Classifications;
use crate::error::{ErrorKind, ParseError};
use crate::net::{Resolver, Vars};
use crate::rule::{Rule, parse_rule};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A rule that did not load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleError {
    /// File it came from (None for in-memory text).
    pub file: Option<PathBuf>,
    /// 1-based line of the rule's first line (0 for file-level errors).
    pub line: usize,
    /// The rule's sid, if it could be found in the text.
    pub sid: Option<u32>,
    /// The rule as read (multi-line rules joined; empty for file-level errors).
    pub text: String,
    /// What went wrong.
    pub error: ParseError,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let file = self
            .file
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "<text>".into());
        write!(f, "{file}:{}", self.line)?;
        if let Some(s) = self.sid {
            write!(f, " sid {s}")?;
        }
        write!(f, ": {}", self.error)
    }
}

/// Counters of a load (see [`RuleSet::stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LoadStats {
    /// Lines read.
    pub lines: u64,
    /// Rules seen (after joining multi-line rules).
    pub rules_seen: u64,
    /// Rules loaded.
    pub loaded: u64,
    /// Rules that failed (parse/validation errors and dropped duplicates).
    pub failed: u64,
    /// Rules skipped because of unmet `requires`.
    pub skipped: u64,
    /// Duplicates (gid:sid seen twice) among the failures.
    pub duplicates: u64,
    /// Files that could not be read.
    pub file_errors: u64,
}

/// The result of loading rule files.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    /// Rules that loaded, in file order.
    pub rules: Vec<Rule>,
    /// Rules that did not.
    pub errors: Vec<RuleError>,
    /// Counters.
    pub stats: LoadStats,
    /// Files read.
    pub files: Vec<PathBuf>,
}

/// Severity of a [`LogLine`], named as in Suricata's log (`<Error>`, `<Info>`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Something failed (a rule that did not load).
    Error,
    /// Something is odd but was handled.
    Warning,
    /// Progress and totals.
    Info,
}

impl LogLevel {
    /// `Error`, `Warning`, `Info`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "Error",
            LogLevel::Warning => "Warning",
            LogLevel::Info => "Info",
        }
    }
}

/// One line of the engine log about loading rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Severity.
    pub level: LogLevel,
    /// Module, Suricata style (`detect-pcre`, `detect`).
    pub module: String,
    /// The message.
    pub message: String,
}

impl RuleSet {
    /// What Suricata logs while loading these rules, in its words, so that tools reading
    /// suricata.log find the same lines: per failed rule the reason and `error parsing
    /// signature "..." from file F at line N`, per skipped rule (unmet `requires`) a warning,
    /// then `N rule files processed. L rules successfully loaded, F rules failed, S rules
    /// skipped` (only when some rule loaded, as Suricata).
    pub fn log_lines(&self) -> Vec<LogLine> {
        let mut out = Vec::new();
        for e in &self.errors {
            let file = e
                .file
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "<text>".into());
            if e.error.kind == ErrorKind::Io {
                out.push(LogLine {
                    level: LogLevel::Error,
                    module: "detect".into(),
                    message: e.error.message.clone(),
                });
                continue;
            }
            let module = match &e.error.keyword {
                Some(k) => format!("detect-{}", k.replace(['.', '_'], "-")),
                None => "detect-parse".into(),
            };
            if e.error.kind == ErrorKind::RequirementsNotMet {
                out.push(LogLine {
                    level: LogLevel::Warning,
                    module,
                    message: format!(
                        "{} (rule at {file} line {} skipped)",
                        e.error.message, e.line
                    ),
                });
                continue;
            }
            out.push(LogLine {
                level: LogLevel::Error,
                module,
                message: e.error.message.clone(),
            });
            out.push(LogLine {
                level: LogLevel::Error,
                module: "detect".into(),
                message: format!(
                    "error parsing signature \"{}\" from file {file} at line {}",
                    e.text, e.line
                ),
            });
        }
        let st = &self.stats;
        if st.loaded > 0 {
            out.push(LogLine {
                level: LogLevel::Info,
                module: "detect".into(),
                message: format!(
                    "{} rule files processed. {} rules successfully loaded, {} rules failed, {} rules skipped",
                    self.files.len(),
                    st.loaded,
                    st.failed,
                    st.skipped
                ),
            });
        } else if !self.files.is_empty() {
            out.push(LogLine {
                level: LogLevel::Warning,
                module: "detect".into(),
                message: format!(
                    "{} rule files specified, but no rules were loaded!",
                    self.files.len()
                ),
            });
        }
        out
    }
}

/// Incremental loader; keeps the variable/address cache across files.
pub struct Loader<'a> {
    vars: &'a Vars,
    classes: &'a Classifications,
    resolver: Resolver,
    set: RuleSet,
    index: HashMap<(u32, u32), usize>,
}

fn find_sid(text: &str) -> Option<u32> {
    let mut rest = text;
    while let Some(p) = rest.find("sid") {
        let before = rest.get(..p).and_then(|b| b.chars().next_back());
        let after = rest.get(p + 3..).unwrap_or("");
        rest = after;
        if matches!(before, Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == '.') {
            continue;
        }
        let a = after.trim_start();
        if let Some(a) = a.strip_prefix(':') {
            let n: String = a
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if let Ok(v) = n.parse() {
                return Some(v);
            }
        }
    }
    None
}

impl<'a> Loader<'a> {
    /// New loader.
    pub fn new(vars: &'a Vars, classes: &'a Classifications) -> Self {
        Loader {
            vars,
            classes,
            resolver: Resolver::new(),
            set: RuleSet::default(),
            index: HashMap::new(),
        }
    }

    /// Add one rule (already joined) found at `file:line`.
    pub fn add_rule(&mut self, text: &str, file: Option<&Path>, line: usize) {
        self.set.stats.rules_seen += 1;
        match parse_rule(text, self.vars, self.classes, &mut self.resolver) {
            Ok(rule) => {
                let key = (rule.gid, rule.sid);
                if let Some(&idx) = self.index.get(&key) {
                    let old_rev = self.set.rules.get(idx).map(|r| r.rev).unwrap_or(0);
                    self.set.stats.duplicates += 1;
                    self.set.stats.failed += 1;
                    let (kept, dropped) = if rule.rev > old_rev {
                        (rule.rev, old_rev)
                    } else {
                        (old_rev, rule.rev)
                    };
                    let err = ParseError::kw(
                        ErrorKind::Duplicate,
                        "sid",
                        format!(
                            "duplicate signature {}:{}; keeping rev {kept}, dropping rev {dropped}",
                            key.0, key.1
                        ),
                    );
                    if rule.rev > old_rev
                        && let Some(slot) = self.set.rules.get_mut(idx)
                    {
                        *slot = rule;
                    }
                    self.set.errors.push(RuleError {
                        file: file.map(Path::to_path_buf),
                        line,
                        sid: Some(key.1),
                        text: text.to_string(),
                        error: err,
                    });
                } else {
                    self.index.insert(key, self.set.rules.len());
                    self.set.rules.push(rule);
                    self.set.stats.loaded += 1;
                }
            }
            Err(e) => {
                if e.kind == ErrorKind::RequirementsNotMet {
                    self.set.stats.skipped += 1;
                } else {
                    self.set.stats.failed += 1;
                }
                self.set.errors.push(RuleError {
                    file: file.map(Path::to_path_buf),
                    line,
                    sid: find_sid(text),
                    text: text.to_string(),
                    error: e,
                });
            }
        }
    }

    /// Load rules from text (as a rule file's content).
    pub fn add_text(&mut self, text: &str, file: Option<&Path>) {
        let mut acc = String::new();
        let mut start_line = 0usize;
        for (i, raw) in text.split('\n').enumerate() {
            let lineno = i + 1;
            self.set.stats.lines += 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if acc.is_empty() {
                if line.is_empty() || line.starts_with([' ', '\t', '#', '\r']) {
                    continue;
                }
                start_line = lineno;
            }
            let trimmed = line.trim_end();
            if let Some(head) = trimmed.strip_suffix('\\') {
                acc.push_str(head);
                continue;
            }
            acc.push_str(line);
            let rule = std::mem::take(&mut acc);
            self.add_rule(&rule, file, start_line);
        }
        if !acc.is_empty() {
            let rule = std::mem::take(&mut acc);
            self.add_rule(&rule, file, start_line);
        }
    }

    /// Load one file.
    pub fn add_file(&mut self, path: &Path) {
        self.set.files.push(path.to_path_buf());
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => self.add_text(&text, Some(path)),
                Err(e) => {
                    // decode line by line so one bad line does not lose the file
                    let bytes = e.into_bytes();
                    let text = String::from_utf8_lossy(&bytes);
                    let mut clean = String::with_capacity(text.len());
                    for (i, l) in bytes.split(|&b| b == b'\n').enumerate() {
                        match std::str::from_utf8(l) {
                            Ok(s) => clean.push_str(s),
                            Err(_) => {
                                if !(l
                                    .first()
                                    .is_some_and(|b| matches!(b, b'#' | b' ' | b'\t' | b'\r'))
                                    || l.is_empty())
                                {
                                    self.set.stats.failed += 1;
                                    self.set.errors.push(RuleError {
                                        file: Some(path.to_path_buf()),
                                        line: i + 1,
                                        sid: find_sid(&String::from_utf8_lossy(l)),
                                        text: String::from_utf8_lossy(l).into_owned(),
                                        error: ParseError::new(
                                            ErrorKind::Encoding,
                                            "rule is not valid UTF-8",
                                        ),
                                    });
                                }
                            }
                        }
                        clean.push('\n');
                    }
                    clean.pop();
                    self.add_text(&clean, Some(path));
                }
            },
            Err(e) => {
                self.set.stats.file_errors += 1;
                self.set.errors.push(RuleError {
                    file: Some(path.to_path_buf()),
                    line: 0,
                    sid: None,
                    text: String::new(),
                    error: ParseError::new(
                        ErrorKind::Io,
                        format!("cannot read {}: {e}", path.display()),
                    ),
                });
            }
        }
    }

    /// Finish and return the rule set.
    pub fn finish(self) -> RuleSet {
        self.set
    }
}

/// Load rule files with the given variables and classification table.
pub fn load_files<P: AsRef<Path>>(paths: &[P], vars: &Vars, classes: &Classifications) -> RuleSet {
    let mut l = Loader::new(vars, classes);
    for p in paths {
        l.add_file(p.as_ref());
    }
    l.finish()
}

/// Load rules from a string (e.g. for tests or `-S`-style inline rules).
pub fn load_str(text: &str, vars: &Vars, classes: &Classifications) -> RuleSet {
    let mut l = Loader::new(vars, classes);
    l.add_text(text, None);
    l.finish()
}

/// One failure in a [`CheckReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureDetail {
    /// File.
    pub file: Option<String>,
    /// Line.
    pub line: usize,
    /// sid, if known.
    pub sid: Option<u32>,
    /// Keyword at fault.
    pub keyword: Option<String>,
    /// Explanation.
    pub message: String,
}

/// The result of `sekimori rules check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// Rules loaded.
    pub loaded: u64,
    /// Rules that failed.
    pub failed: u64,
    /// Rules skipped (unmet `requires`).
    pub skipped: u64,
    /// Unsupported-for-matching keyword → number of loaded rules using it.
    pub unsupported: BTreeMap<String, u64>,
    /// Failures grouped by reason category.
    pub failures: BTreeMap<String, Vec<FailureDetail>>,
    /// Failure count per keyword (`-` when not attributable).
    pub failures_by_keyword: BTreeMap<String, u64>,
    /// Loaded rules per action.
    pub actions: BTreeMap<String, u64>,
    /// Files read.
    pub files: Vec<String>,
    /// Load counters.
    pub stats: LoadStats,
}

impl CheckReport {
    /// Build the report of a rule set.
    pub fn new(set: &RuleSet) -> Self {
        let mut unsupported: BTreeMap<String, u64> = BTreeMap::new();
        let mut actions: BTreeMap<String, u64> = BTreeMap::new();
        for r in &set.rules {
            for k in &r.unsupported {
                *unsupported.entry(k.clone()).or_default() += 1;
            }
            *actions.entry(r.action.as_str().to_string()).or_default() += 1;
        }
        let mut failures: BTreeMap<String, Vec<FailureDetail>> = BTreeMap::new();
        let mut by_kw: BTreeMap<String, u64> = BTreeMap::new();
        for e in &set.errors {
            failures
                .entry(e.error.kind.as_str().to_string())
                .or_default()
                .push(FailureDetail {
                    file: e.file.as_ref().map(|p| p.display().to_string()),
                    line: e.line,
                    sid: e.sid,
                    keyword: e.error.keyword.clone(),
                    message: e.error.message.clone(),
                });
            *by_kw
                .entry(e.error.keyword.clone().unwrap_or_else(|| "-".into()))
                .or_default() += 1;
        }
        CheckReport {
            loaded: set.stats.loaded,
            failed: set.stats.failed,
            skipped: set.stats.skipped,
            unsupported,
            failures,
            failures_by_keyword: by_kw,
            actions,
            files: set.files.iter().map(|p| p.display().to_string()).collect(),
            stats: set.stats,
        }
    }

    /// JSON text of the report.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into())
    }

    /// Human-readable rendering (for the terminal).
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        let total = self.loaded + self.failed;
        let pct = if total == 0 {
            100.0
        } else {
            self.loaded as f64 * 100.0 / total as f64
        };
        let _ = writeln!(
            s,
            "{} rule file(s): {} loaded, {} failed, {} skipped ({pct:.2}% loaded)",
            self.files.len(),
            self.loaded,
            self.failed,
            self.skipped
        );
        if !self.failures.is_empty() {
            let _ = writeln!(s, "\nFailures by reason:");
            for (reason, list) in &self.failures {
                let _ = writeln!(s, "  {reason}: {}", list.len());
                for d in list.iter().take(20) {
                    let file = d.file.as_deref().unwrap_or("<text>");
                    let sid = d.sid.map(|x| format!(" sid {x}")).unwrap_or_default();
                    let kw = d
                        .keyword
                        .as_deref()
                        .map(|k| format!(" [{k}]"))
                        .unwrap_or_default();
                    let _ = writeln!(s, "    {file}:{}{sid}{kw}: {}", d.line, d.message);
                }
                if list.len() > 20 {
                    let _ = writeln!(s, "    ... and {} more", list.len() - 20);
                }
            }
        }
        if !self.unsupported.is_empty() {
            let _ = writeln!(
                s,
                "\nLoaded, but using keywords not supported for matching:"
            );
            for (k, n) in &self.unsupported {
                let _ = writeln!(s, "  {k}: {n} rule(s)");
            }
        }
        s
    }
}

/// Load the files and build the check report in one go.
pub fn check_files<P: AsRef<Path>>(
    paths: &[P],
    vars: &Vars,
    classes: &Classifications,
) -> CheckReport {
    CheckReport::new(&load_files(paths, vars, classes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_say_what_suricata_says() {
        let p =
            std::env::temp_dir().join(format!("sekimori-log-lines-{}.rules", std::process::id()));
        std::fs::write(
            &p,
            "alert http any any -> any any (http.uri; content:\"a\"; pcre:\"/b/P\"; sid:1;)\n\
             alert tcp any any -> any any (content:\"x\"; sid:2;)\n\
             alert http any any -> any any (http.uri; content:\"abcdef\"; bsize:10<>4; sid:3;)\n",
        )
        .unwrap();
        let set = load_files(&[&p], &Vars::suricata_defaults(), &Classifications::new());
        let _ = std::fs::remove_file(&p);
        let lines = set.log_lines();
        let errors: Vec<&LogLine> = lines
            .iter()
            .filter(|l| l.level == LogLevel::Error)
            .collect();
        assert_eq!(errors.len(), 4, "{lines:?}");
        assert!(
            errors[0]
                .message
                .starts_with("Expression seen with a sticky buffer still set")
        );
        assert!(errors[0].message.contains("\"http request body\""));
        assert_eq!(errors[0].module, "detect-pcre");
        assert!(
            errors[1]
                .message
                .starts_with("error parsing signature \"alert http")
        );
        assert!(
            errors[1]
                .message
                .ends_with(&format!("from file {} at line 1", p.display()))
        );
        let last = lines.last().unwrap();
        assert_eq!(last.level, LogLevel::Info);
        assert_eq!(
            last.message,
            "1 rule files processed. 1 rules successfully loaded, 2 rules failed, 0 rules skipped"
        );
    }

    #[test]
    fn log_lines_when_nothing_loaded() {
        let set = load_str(
            "alert tcp any any -> any any (nonsense; sid:1;)",
            &Vars::suricata_defaults(),
            &Classifications::new(),
        );
        let lines = set.log_lines();
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l.level == LogLevel::Error));
    }

    #[test]
    fn multiline_comments_blank() {
        let text = "# comment\n\n   indented is a comment too\nalert tcp any any -> any any \\\n  (msg:\"a\"; \\\n  sid:1;)\r\n#alert tcp any any -> any any (sid:2;)\nalert udp any any -> any any (msg:\"b\"; sid:3; rev:2;)\n";
        let set = load_str(text, &Vars::suricata_defaults(), &Classifications::new());
        assert_eq!(set.errors, vec![]);
        assert_eq!(set.rules.len(), 2);
        assert_eq!(set.rules[0].sid, 1);
        assert_eq!(set.rules[0].msg, "a");
        assert_eq!(set.rules[1].rev, 2);
    }

    #[test]
    fn errors_carry_line_and_sid() {
        let text = "alert tcp any any -> any any (msg:\"ok\"; sid:1;)\n\nalert tcp any any -> any any (msg:\"bad\"; frobnicate; sid:2;)\n";
        let set = load_str(text, &Vars::suricata_defaults(), &Classifications::new());
        assert_eq!(set.rules.len(), 1);
        assert_eq!(set.errors.len(), 1);
        let e = &set.errors[0];
        assert_eq!((e.line, e.sid), (3, Some(2)));
        assert_eq!(e.error.kind, ErrorKind::UnknownKeyword);
        assert_eq!(e.error.keyword.as_deref(), Some("frobnicate"));
        assert!(e.to_string().contains(":3 sid 2"));
    }

    #[test]
    fn duplicates_keep_higher_rev() {
        let text = "alert tcp any any -> any any (msg:\"v1\"; sid:5; rev:1;)\nalert tcp any any -> any any (msg:\"v3\"; sid:5; rev:3;)\nalert tcp any any -> any any (msg:\"v2\"; sid:5; rev:2;)\nalert tcp any any -> any any (msg:\"other gid\"; sid:5; gid:2;)\n";
        let set = load_str(text, &Vars::suricata_defaults(), &Classifications::new());
        assert_eq!(set.rules.len(), 2);
        assert_eq!(set.rules[0].msg, "v3");
        assert_eq!(set.stats.duplicates, 2);
        assert!(
            set.errors
                .iter()
                .all(|e| e.error.kind == ErrorKind::Duplicate)
        );
        let rep = CheckReport::new(&set);
        assert_eq!((rep.loaded, rep.failed), (2, 2));
        let json: serde_json::Value = serde_json::from_str(&rep.to_json()).unwrap();
        assert_eq!(json["loaded"], 2);
        assert_eq!(json["failed"], 2);
        assert!(json["unsupported"].is_object());
        assert!(rep.render_text().contains("duplicate: 2"));
    }

    #[test]
    fn report_unsupported_and_requires() {
        let text = "alert tcp any any -> any any (msg:\"l\"; lua:foo.lua; sid:1;)\nalert tcp any any -> any any (msg:\"r\"; requires: version >= 8; sid:2;)\nalert tcp any any -> any any (msg:\"r\"; requires: version >= 7.0.3; sid:3;)\n";
        let set = load_str(text, &Vars::suricata_defaults(), &Classifications::new());
        let rep = CheckReport::new(&set);
        assert_eq!(rep.loaded, 2);
        assert_eq!(rep.skipped, 1);
        assert_eq!(rep.failed, 0);
        assert_eq!(rep.unsupported.get("lua"), Some(&1));
    }

    #[test]
    fn missing_file_and_bad_utf8() {
        let set = load_files(
            &["/nonexistent/x.rules"],
            &Vars::suricata_defaults(),
            &Classifications::new(),
        );
        assert_eq!(set.stats.file_errors, 1);
        assert_eq!(set.errors[0].error.kind, ErrorKind::Io);
        let dir = std::env::temp_dir().join(format!("sekimori-rules-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("bad.rules");
        std::fs::write(&p, b"alert tcp any any -> any any (msg:\"\xff\"; sid:1;)\nalert tcp any any -> any any (msg:\"ok\"; sid:2;)\n").unwrap();
        let set = load_files(&[&p], &Vars::suricata_defaults(), &Classifications::new());
        assert_eq!(set.rules.len(), 1);
        assert_eq!(set.errors.len(), 1);
        assert_eq!(set.errors[0].error.kind, ErrorKind::Encoding);
        assert_eq!(set.errors[0].line, 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn find_sid_in_text() {
        assert_eq!(find_sid("alert x (msg:\"sid:9\"; sid: 42;)"), Some(9));
        assert_eq!(find_sid("(xsid:1; sid:7;)"), Some(7));
        assert_eq!(find_sid("nothing"), None);
    }
}
